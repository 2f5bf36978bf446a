//! MACRO / PPEB batch comparison where a batch is a polling station.

use psephos_audit::bravo::Contest;
use psephos_audit::macro_batch::{
    Drawn, MacroContest, StationCount, error, error_votes, max_error, p_value, sample_size,
    total_error_bound,
};
use serde_json::Value;

use crate::{close, equal, report_claimed, rla_json, tolerance};

pub(crate) const CLAIMS: &[&str] = &["MA-01", "MA-02", "MA-03", "MA-04", "MA-05", "MA-06"];

fn err<E: ToString>(e: E) -> String {
    e.to_string()
}

fn dec(v: &Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or(f64::NAN)
}

/// Arlo's MACRO fixture (MA-01..MA-04): 400 batches, "Batch i" (400 ballots) and "Batch i AV"
/// (200 ballots), i in 0..200; contest A everywhere, B for i < 100, C for i < 30 and
/// 100 ≤ i < 130. Returns the contests and, per contest, the station counts by batch.
struct Fixture {
    contests: Vec<(&'static str, MacroContest)>,
    /// stations[contest][batch]: batch 2i is "Batch i", 2i+1 is "Batch i AV".
    stations: Vec<Vec<Option<StationCount>>>,
}

fn fixture() -> Fixture {
    let contests = vec![
        (
            "Contest A",
            MacroContest { contest: Contest::new(vec![60000, 54000], 120000, 1), unaccounted: 0 },
        ),
        (
            "Contest B",
            MacroContest { contest: Contest::new(vec![30000, 24000], 60000, 1), unaccounted: 0 },
        ),
        (
            "Contest C",
            MacroContest { contest: Contest::new(vec![18000, 12600], 36000, 1), unaccounted: 0 },
        ),
    ];
    let present = |c: usize, i: usize| match c {
        0 => true,
        1 => i < 100,
        _ => i < 30 || (100..130).contains(&i),
    };
    let loser = [180u64, 160, 140];
    let stations = (0..3)
        .map(|c| {
            (0..400)
                .map(|b| {
                    let i = b / 2;
                    let av = b % 2 == 1;
                    present(c, i).then(|| {
                        if av {
                            StationCount::new(vec![100, loser[c] / 2], 200)
                        } else {
                            StationCount::new(vec![200, loser[c]], 400)
                        }
                    })
                })
                .collect()
        })
        .collect();
    Fixture { contests, stations }
}

impl Fixture {
    fn bound(&self, c: usize) -> Result<f64, String> {
        let refs: Vec<Option<&StationCount>> =
            self.stations[c].iter().map(Option::as_ref).collect();
        total_error_bound(&self.contests[c].1, &refs).map_err(err)
    }

    /// A draw of batch `b`, audited as reported unless `audited` is given.
    fn draw(&self, c: usize, b: usize, audited: Option<&[u64]>) -> Result<Drawn, String> {
        let contest = &self.contests[c].1;
        let s = self.stations[c][b].as_ref();
        let max = max_error(contest, s).map_err(err)?;
        let e = match s {
            None => 0.0,
            Some(s) => error(contest, s, audited.unwrap_or(&s.votes)).map_err(err)?,
        };
        Ok(Drawn { max_error: max, error: e })
    }
}

fn check(v: &Value) -> Result<(), String> {
    let id = v["id"].as_str().unwrap_or_default();
    let e = &v["expected"];
    let f = fixture();
    match id {
        "MA-01" | "MA-02" => {
            for (c, (name, _)) in f.contests.iter().enumerate() {
                let u = f.bound(c)?;
                let p = if id == "MA-02" {
                    let draws: Result<Vec<Drawn>, String> =
                        (0..4).map(|i| f.draw(c, 2 * i, None)).collect();
                    p_value(u, &draws?, false)
                } else {
                    1.0
                };
                let n = sample_size(0.25, u, p, 400).map_err(err)?;
                equal(name, Some(n), e[*name].as_u64())?;
            }
            Ok(())
        }
        "MA-03" => {
            for (c, (name, contest)) in f.contests.iter().enumerate() {
                close(&format!("{name} U"), f.bound(c)?, dec(&e[*name]["U"]), 1e-9)?;
                let big = max_error(contest, f.stations[c][0].as_ref()).map_err(err)?;
                close(&format!("{name} u_p 400"), big, dec(&e[*name]["u_p_400"]), 1e-12)?;
                let small = max_error(contest, f.stations[c][1].as_ref()).map_err(err)?;
                close(&format!("{name} u_p 200"), small, dec(&e[*name]["u_p_200"]), 1e-12)?;
            }
            Ok(())
        }
        "MA-04" => {
            for (c, (name, _)) in f.contests.iter().enumerate() {
                let mut draws = Vec::new();
                for i in 0..30 {
                    draws.push(f.draw(c, 2 * i, None)?);
                }
                for i in 100..106 {
                    let audited: Option<&[u64]> = if c == 0 { Some(&[190, 190]) } else { None };
                    draws.push(f.draw(c, 2 * i, audited)?);
                }
                let p = p_value(f.bound(c)?, &draws, false);
                close(name, p, e[*name].as_f64().unwrap_or(f64::NAN), tolerance(v))?;
            }
            Ok(())
        }
        "MA-05" => {
            let contest =
                MacroContest { contest: Contest::new(vec![600, 400], 1000, 1), unaccounted: 0 };
            let station = StationCount::new(vec![60, 40], 100);
            let refs = vec![Some(&station); 10];
            let u = total_error_bound(&contest, &refs).map_err(err)?;
            close("U", u, dec(&e["U"]), 1e-12)?;
            close("u_p", max_error(&contest, Some(&station)).map_err(err)?, dec(&e["u_p"]), 1e-12)?;
            equal("round 1", sample_size(0.1, u, 1.0, 10).ok(), e["round1"].as_u64())?;
            let drawn =
                Drawn { max_error: 0.6, error: error(&contest, &station, &[58, 42]).map_err(err)? };
            close(
                "p",
                p_value(u, &[drawn], false),
                e["p"].as_f64().unwrap_or(f64::NAN),
                tolerance(v),
            )
        }
        "MA-06" => {
            let contest = MacroContest {
                contest: Contest::new(vec![5200, 4100, 500], 10000, 1),
                unaccounted: 0,
            };
            let station = StationCount::new(vec![260, 205, 25], 500);
            let refs = vec![Some(&station); 20];
            let u = total_error_bound(&contest, &refs).map_err(err)?;
            close("U", u, dec(&e["U"]), 1e-9)?;
            equal("round 1", sample_size(0.1, u, 1.0, 20).ok(), e["round1"].as_u64())?;
            let audited = &v["inputs"]["audited"];
            let mut draws = Vec::new();
            for name in ["PS-03", "PS-07", "PS-11", "PS-15"] {
                let a: Vec<u64> = ["A", "B", "C"]
                    .iter()
                    .map(|k| audited[name][k].as_u64().unwrap_or(0))
                    .collect();
                let ep = error(&contest, &station, &a).map_err(err)?;
                let want = &e["errors"][name];
                if !want.is_null() {
                    equal(
                        &format!("{name} counted_as"),
                        error_votes(&contest, &station, &a).ok(),
                        want["counted_as"].as_i64(),
                    )?;
                    close(
                        &format!("{name} weighted error"),
                        ep,
                        dec(&want["weighted_error"]),
                        1e-12,
                    )?;
                }
                draws.push(Drawn {
                    max_error: max_error(&contest, Some(&station)).map_err(err)?,
                    error: ep,
                });
            }
            close("p", p_value(u, &draws, false), e["p"].as_f64().unwrap_or(f64::NAN), tolerance(v))
        }
        other => Err(format!("{other}: not a batch-comparison vector known to this module")),
    }
}

/// Arlo's p-values after 4 clean batches, its next size for MA-06, and edge cases.
fn extra() -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let arlo = rla_json("arlo_vectors.json");
    let f = fixture();
    for (c, (name, _)) in f.contests.iter().enumerate() {
        let want =
            arlo["macro"]["per_contest"][*name]["p_after_4_clean"].as_f64().unwrap_or(f64::NAN);
        let got = (0..4)
            .map(|i| f.draw(c, 2 * i, None))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|d| Ok(p_value(f.bound(c)?, &d, false)));
        out.push((
            format!("arlo macro {name}: p after 4 clean"),
            got.and_then(|p| close("p", p, want, 1e-12)),
        ));
    }
    let x = rla_json("arlo_extra_vectors.json");
    let m = &x["macro_polling_stations_3cand"];
    let contest =
        MacroContest { contest: Contest::new(vec![5200, 4100, 500], 10000, 1), unaccounted: 0 };
    let u = 20.0 * 555.0 / 1100.0;
    let p = m["p_value_after_4"].as_f64().unwrap_or(1.0);
    out.push((
        "arlo macro 3-candidate stations: next size".to_owned(),
        sample_size(0.1, u, p, 20)
            .map_err(err)
            .and_then(|n| equal("size", Some(n), m["next_sample_size"].as_u64())),
    ));
    // Margins reduced to nothing: every station must be counted.
    let gone = MacroContest { unaccounted: 1100, ..contest.clone() };
    let station = StationCount::new(vec![260, 205, 25], 500);
    out.push((
        "psephos: margin used up by unaccounted ballots → full hand count".to_owned(),
        max_error(&gone, Some(&station))
            .map_err(err)
            .and_then(|u_p| equal("size", sample_size(0.1, u_p * 20.0, 1.0, 20).ok(), Some(20))),
    ));
    out.push((
        "psephos: full hand count → risk 0".to_owned(),
        equal("p", p_value(u, &[], true), 0.0),
    ));
    out
}

#[test]
fn batch_comparison_vectors() {
    report_claimed("batch_comparison", CLAIMS, check, extra());
}
