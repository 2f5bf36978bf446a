//! BRAVO: p-values, ASN, Lindeman quantile round sizes, multi-candidate and round-2 sizes.
//! (MI-01, Minerva, belongs to the SHANGRLA engineer's `minerva.rs`.)

use psephos_audit::bravo::{Contest, p_values, quantile_size, sample_sizes};
use serde_json::{Map, Value};

use crate::{close, equal, report_claimed, rla_json, tolerance};

pub(crate) const CLAIMS: &[&str] =
    &["BR-01", "BR-02", "BR-03", "BR-04", "BR-05", "BR-06", "BR-07", "BR-08"];

const QUANTILES: [f64; 3] = [0.7, 0.8, 0.9];

/// An Arlo contest object: candidates in order (every key but `ballots`, `numWinners`,
/// `votesAllowed`).
fn arlo_contest(c: &Value) -> (Vec<String>, Contest) {
    let obj = c.as_object().cloned().unwrap_or_else(Map::new);
    let mut names = Vec::new();
    let mut votes = Vec::new();
    for (k, v) in &obj {
        if !["ballots", "numWinners", "votesAllowed"].contains(&k.as_str()) {
            names.push(k.clone());
            votes.push(v.as_u64().unwrap_or(0));
        }
    }
    let ballots = obj.get("ballots").and_then(Value::as_u64).unwrap_or(0);
    let winners = obj.get("numWinners").and_then(Value::as_u64).unwrap_or(1) as usize;
    (names, Contest::new(votes, ballots, winners))
}

fn counts(names: &[String], sample: &Value) -> Vec<u64> {
    names.iter().map(|n| sample[n].as_u64().unwrap_or(0)).collect()
}

/// Checks ASN and the 0.7/0.8/0.9 sizes against `{"asn": n, "0.7": n, ...}`.
fn check_sizes(contest: &Contest, sample: &[u64], alpha: f64, e: &Value) -> Result<(), String> {
    let s = sample_sizes(alpha, contest, sample, &QUANTILES).map_err(|e| e.to_string())?;
    let asn_want = e["asn"].as_u64().or_else(|| e["asn"]["size"].as_u64());
    equal("asn", Some(s.asn), asn_want)?;
    for (q, n) in &s.quantiles {
        let key = format!("{q}");
        let want = e[&key].as_u64().or_else(|| e[&key]["size"].as_u64());
        if want.is_some() {
            equal(&format!("size at {key}"), Some(*n), want)?;
        }
    }
    Ok(())
}

fn check(v: &Value) -> Result<(), String> {
    let id = v["id"].as_str().unwrap_or_default();
    let i = &v["inputs"];
    let e = &v["expected"];
    match id {
        "BR-01" | "BR-02" => {
            let (names, contest) = arlo_contest(&i["contest"]);
            let alpha = i["risk_limit"].as_f64().unwrap_or(0.0);
            check_sizes(&contest, &vec![0; names.len()], alpha, e)
        }
        "BR-03" => {
            let (names, contest) = arlo_contest(&i["contest"]);
            let ps =
                p_values(&contest, &counts(&names, &i["sample"]), 0).map_err(|e| e.to_string())?;
            for p in ps {
                let key = format!("{}|{}", names[p.winner], names[p.loser]);
                close(&key, p.p_value, e[&key].as_f64().unwrap_or(f64::NAN), tolerance(v))?;
            }
            Ok(())
        }
        "BR-04" => {
            let w = i["winner_votes"].as_u64().unwrap_or(0);
            let l = i["loser_votes"].as_u64().unwrap_or(0);
            let contest = Contest::new(vec![w, l], w + l, 1);
            let sample =
                [i["winner_obs"].as_u64().unwrap_or(0), i["loser_obs"].as_u64().unwrap_or(0)];
            let p = p_values(&contest, &sample, 0).map_err(|e| e.to_string())?;
            close("p", p[0].p_value, e.as_f64().unwrap_or(f64::NAN), tolerance(v))
        }
        "BR-05" => {
            let alpha = i["alpha"].as_f64().unwrap_or(0.0);
            for m in i["margins"].as_array().cloned().unwrap_or_default() {
                let m = m.as_str().unwrap_or_default().to_owned();
                let margin_ppm = (m.parse::<f64>().unwrap_or(0.0) * 1e6).round() as u64;
                let w = (1_000_000 + margin_ppm) / 2;
                let contest = Contest::new(vec![w, 1_000_000 - w], 1_000_000, 1);
                let s = sample_sizes(alpha, &contest, &[0, 0], &[]).map_err(|e| e.to_string())?;
                equal(&format!("ASN at margin {m}"), Some(s.asn), e[&m].as_u64())?;
            }
            Ok(())
        }
        "BR-06" => {
            let rows = i["rows"].as_array().cloned().unwrap_or_default();
            for (row, want) in rows.iter().zip(e.as_array().cloned().unwrap_or_default()) {
                let contest = Contest::new(
                    vec![row["winner"].as_u64().unwrap_or(0), row["loser"].as_u64().unwrap_or(0)],
                    row["ballots"].as_u64().unwrap_or(0),
                    1,
                );
                let s = sample_sizes(row["alpha"].as_f64().unwrap_or(0.0), &contest, &[0, 0], &[])
                    .map_err(|e| e.to_string())?;
                equal(&format!("ASN of {row}"), Some(s.asn), want.as_u64())?;
            }
            Ok(())
        }
        "BR-07" => {
            let rows = i["rows"].as_array().cloned().unwrap_or_default();
            for (row, want) in rows.iter().zip(e.as_array().cloned().unwrap_or_default()) {
                let got = quantile_size(
                    row["alpha"].as_f64().unwrap_or(0.0),
                    row["p_w"].as_f64().unwrap_or(0.0),
                    row["p_r"].as_f64().unwrap_or(0.0),
                    row["sample_w"].as_u64().unwrap_or(0),
                    row["sample_r"].as_u64().unwrap_or(0),
                    row["p_completion"].as_f64().unwrap_or(0.0),
                )
                .map_err(|e| e.to_string())?;
                equal(&format!("size of {row}"), Some(got), want.as_u64())?;
            }
            Ok(())
        }
        "BR-08" => {
            let (names, contest) = arlo_contest(&i["contest"]);
            let alpha = i["risk_limit"].as_f64().unwrap_or(0.0);
            check_sizes(&contest, &counts(&names, &i["round1"]), alpha, e)
        }
        other => Err(format!("{other}: not a ballot-polling vector known to this module")),
    }
}

/// Every Arlo BRAVO scenario (sizes with Arlo's ASN probability, p-values after round 1), the
/// r2b2 ASN cross-check and rlacalc's other risk levels.
fn extra() -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let arlo = rla_json("arlo_vectors.json");
    for t in arlo["bravo_get_sample_size_and_risk"].as_array().cloned().unwrap_or_default() {
        let name = t["name"].as_str().unwrap_or_default().to_owned();
        let (names, contest) = arlo_contest(&t["contest"]);
        let alpha = t["risk_limit_pct"].as_f64().unwrap_or(0.0) / 100.0;
        let e = &t["get_sample_size_round1"];
        let sizes = check_sizes(&contest, &vec![0; names.len()], alpha, e).and_then(|()| {
            let s = sample_sizes(alpha, &contest, &vec![0; names.len()], &QUANTILES)
                .map_err(|e| e.to_string())?;
            match e["asn"]["prob"].as_f64() {
                Some(p) => close("ASN probability", s.asn_prob, p, 1e-9),
                None => Ok(()),
            }
        });
        out.push((format!("arlo {name}: round-1 sizes"), sizes));
        let risk = p_values(&contest, &counts(&names, &t["round1_sample"]), 0)
            .map_err(|e| e.to_string())
            .and_then(|ps| {
                let want = &t["compute_risk_after_round1"]["p_values"];
                let keys = want.as_object().map(|o| o.len()).unwrap_or(0);
                equal("pairs", ps.len(), keys)?;
                for p in ps {
                    let key = format!("{}|{}", names[p.winner], names[p.loser]);
                    close(&key, p.p_value, want[&key].as_f64().unwrap_or(f64::NAN), 1e-12)?;
                }
                Ok(())
            });
        out.push((format!("arlo {name}: p-values after round 1"), risk));
    }
    for row in arlo["bravo_sample_sizes_quantile"].as_array().cloned().unwrap_or_default() {
        let got = quantile_size(
            row["alpha"].as_f64().unwrap_or(0.0),
            row["p_w"].as_f64().unwrap_or(0.0),
            row["p_r"].as_f64().unwrap_or(0.0),
            row["sample_w"].as_u64().unwrap_or(0),
            row["sample_r"].as_u64().unwrap_or(0),
            row["p_completion"].as_f64().unwrap_or(0.0),
        );
        out.push((
            format!("arlo bravo_sample_sizes {row}"),
            got.map_err(|e| e.to_string())
                .and_then(|g| equal("size", Some(g), row["size"].as_u64())),
        ));
    }
    let r2 = &arlo["bravo_all_pairs_round2"];
    let (names, contest) = arlo_contest(&r2["contest"]);
    let s = sample_sizes(0.1, &contest, &counts(&names, &r2["round1"]), &QUANTILES)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            close(
                "ASN probability",
                s.asn_prob,
                r2["get_sample_size"]["asn"]["prob"].as_f64().unwrap_or(f64::NAN),
                1e-9,
            )
        });
    out.push(("arlo bravo_all_pairs_round2: ASN probability".to_owned(), s));

    let rl = rla_json("shangrla_rlacalc_sampler_vectors.json");
    let r = &rl["rlacalc"];
    let contest = Contest::new(vec![2894, 1695], 2894 + 1695, 1);
    let p = p_values(&contest, &[45, 32], 0).map_err(|e| e.to_string()).and_then(|p| {
        close(
            "p",
            p[0].p_value,
            r["ballot_polling_risk_level(2894,1695,45,32) Las Animas 2018"]
                .as_f64()
                .unwrap_or(f64::NAN),
            1e-12,
        )
    });
    out.push(("rlacalc Las Animas 2018 risk level".to_owned(), p));
    let table = &r["findAsn(alpha=.05) by margin"];
    for (m, want) in table.as_object().cloned().unwrap_or_default() {
        let margin_ppm = (m.parse::<f64>().unwrap_or(0.0) * 1e6).round() as u64;
        let w = (1_000_000 + margin_ppm) / 2;
        let contest = Contest::new(vec![w, 1_000_000 - w], 1_000_000, 1);
        let got = sample_sizes(0.05, &contest, &[0, 0], &[]).map(|s| s.asn);
        out.push((
            format!("rlacalc findAsn alpha .05 margin {m}"),
            got.map_err(|e| e.to_string()).and_then(|g| equal("asn", Some(g), want.as_u64())),
        ));
    }
    let extra = rla_json("arlo_extra_vectors.json");
    for row in extra["bravo_asn_crosscheck"].as_array().cloned().unwrap_or_default() {
        let contest = Contest::new(
            vec![row["winner"].as_u64().unwrap_or(0), row["loser"].as_u64().unwrap_or(0)],
            row["ballots"].as_u64().unwrap_or(0),
            1,
        );
        let got = sample_sizes(row["alpha"].as_f64().unwrap_or(0.0), &contest, &[0, 0], &[])
            .map(|s| s.asn);
        out.push((
            format!("r2b2 asn_tests {row}"),
            got.map_err(|e| e.to_string())
                .and_then(|g| equal("asn", Some(g), row["r2b2_asn_tests_json"].as_u64())),
        ));
    }
    out
}

#[test]
fn ballot_polling_vectors() {
    report_claimed("ballot_polling", CLAIMS, check, extra());
}
