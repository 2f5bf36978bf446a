//! Kaplan-Markov ballot comparison ("super-simple"): p-values, nmin, rate-based sizes.

use psephos_audit::bravo::Contest;
use psephos_audit::kaplan_markov::{
    Discrepancies, GAMMA, Rates, expected_sample_size, expected_sample_size_rounded,
    initial_sample_size, next_round_size, nmin, p_value, p_value_cards,
};
use serde_json::Value;

use crate::{close, equal, report_claimed, rla_json, tolerance};

pub(crate) const CLAIMS: &[&str] =
    &["KM-01", "KM-02", "KM-03", "KM-04", "KM-05", "KM-06", "KM-07", "KM-08"];

fn d(o1: u64, o2: u64, u1: u64, u2: u64) -> Discrepancies {
    Discrepancies { o1, o2, u1, u2 }
}

fn err<E: ToString>(e: E) -> String {
    e.to_string()
}

/// KM-02's cases as "m=.05,o1=1,alpha=.2".
fn km02(case: &str) -> Result<u64, String> {
    let (mut m, mut alpha, mut dd) = (0.0, 0.1, d(0, 0, 0, 0));
    for part in case.split(',') {
        let (k, v) = part.split_once('=').ok_or("bad case")?;
        let x: f64 = v.parse().map_err(err)?;
        match k {
            "m" => m = x,
            "alpha" => alpha = x,
            "o1" => dd.o1 = x as u64,
            "o2" => dd.o2 = x as u64,
            "u1" => dd.u1 = x as u64,
            "u2" => dd.u2 = x as u64,
            _ => return Err(format!("unknown key {k}")),
        }
    }
    nmin(alpha, m, GAMMA, dd).map_err(err)
}

fn check(v: &Value) -> Result<(), String> {
    let id = v["id"].as_str().unwrap_or_default();
    let i = &v["inputs"];
    let e = &v["expected"];
    match id {
        "KM-01" => {
            for m in i["margins"].as_array().cloned().unwrap_or_default() {
                let mf = m.as_f64().unwrap_or(0.0);
                let key = format!("{mf}");
                equal(
                    &format!("nmin at {key}"),
                    nmin(0.1, mf, GAMMA, d(0, 0, 0, 0)).ok(),
                    e[&key].as_u64(),
                )?;
            }
            Ok(())
        }
        "KM-02" => {
            let cases = i["cases"].as_array().cloned().unwrap_or_default();
            for (c, want) in cases.iter().zip(e.as_array().cloned().unwrap_or_default()) {
                let c = c.as_str().unwrap_or_default();
                equal(c, Some(km02(c)?), want.as_u64())?;
            }
            Ok(())
        }
        "KM-03" => {
            let margin = (354040.0 - 337589.0) / (354040.0 + 337589.0 + 33234.0);
            let p = p_value(200, margin, GAMMA, d(1, 0, 0, 0), true).map_err(err)?;
            close("p", p, e.as_f64().unwrap_or(f64::NAN), tolerance(v))
        }
        "KM-04" => {
            let rates = Rates { o1: 0.001, u1: 0.001, o2: 0.0, u2: 0.0 };
            let n = expected_sample_size(0.05, 0.05, GAMMA, rates).map_err(err)?;
            equal("expected", n, e["KM_Expected_sample_size"].as_u64())?;
            let n = expected_sample_size_rounded(0.05, 0.05, GAMMA, rates).map_err(err)?;
            equal("rounded", n, e["rounded"].as_u64())?;
            // Arlo's supersimple at 5 %, margin 5 % with its default rates: also 136.
            equal(
                "arlo",
                initial_sample_size(0.05, 0.05, GAMMA, 1_000_000, Rates::ARLO).ok(),
                Some(136),
            )
        }
        "KM-05" => {
            for (name, c) in i.as_object().cloned().unwrap_or_default() {
                let m = c["diluted_margin"].as_f64().unwrap_or(0.0);
                let ballots = c["contest"]["ballots"].as_u64().unwrap_or(0);
                let n = initial_sample_size(0.1, m, GAMMA, ballots, Rates::ARLO).map_err(err)?;
                equal(&name, Some(n), e[&name].as_u64())?;
            }
            Ok(())
        }
        "KM-06" | "KM-07" => {
            let margins = &vector_km05()["inputs"];
            for (name, c) in i.as_object().cloned().unwrap_or_default() {
                let n0 = c["n0"].as_u64().unwrap_or(0);
                let m = c["diluted_margin"]
                    .as_f64()
                    .or_else(|| margins[&name]["diluted_margin"].as_f64())
                    .unwrap_or(0.0);
                let o1 = u64::from(id == "KM-07");
                let p = p_value(n0, m, GAMMA, d(o1, 0, 0, 0), false).map_err(err)?;
                close(&name, p, e[&name].as_f64().unwrap_or(f64::NAN), tolerance(v))?;
            }
            Ok(())
        }
        "KM-08" => {
            // Follows the README's quirk 2: the correct p-value with two 1-vote
            // overstatements, not Arlo's aliased 0.1201733.
            let c = &i["contest"];
            let contest = Contest::new(
                vec![c["winner"].as_u64().unwrap_or(0), c["loser"].as_u64().unwrap_or(0)],
                c["ballots"].as_u64().unwrap_or(0),
                1,
            );
            let m = contest.diluted_margin().map_err(err)?;
            let n = i["n"].as_u64().unwrap_or(0);
            let o1 = i["o1"].as_u64().unwrap_or(0);
            let p = p_value(n, m, GAMMA, d(o1, 0, 0, 0), false).map_err(err)?;
            close("p (closed form)", p, e.as_f64().unwrap_or(f64::NAN), tolerance(v))?;
            let cards = [(1i8, o1), (0i8, n - o1)];
            let p = p_value_cards(m, GAMMA, &cards, false).map_err(err)?;
            close("p (per card)", p, e.as_f64().unwrap_or(f64::NAN), tolerance(v))
        }
        other => Err(format!("{other}: not a ballot-comparison vector known to this module")),
    }
}

fn vector_km05() -> Value {
    crate::vector("KM-05")
}

/// Arlo's round-2 sizes after one 1-vote or one 2-vote overstatement, and rlacalc's others.
fn extra() -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let arlo = rla_json("arlo_vectors.json");
    for c in arlo["supersimple"].as_array().cloned().unwrap_or_default() {
        let name = c["name"].as_str().unwrap_or_default().to_owned();
        let m = c["diluted_margin"].as_f64().unwrap_or(0.0);
        let ballots = c["contest"]["ballots"].as_u64().unwrap_or(0);
        let n0 = c["initial_sample_size"].as_u64().unwrap_or(0);
        for (key, dd) in [
            ("next_round_size_after_n0_with_one_o1", d(1, 0, 0, 0)),
            ("next_round_size_after_n0_with_one_o2", d(0, 1, 0, 0)),
        ] {
            let got = next_round_size(0.1, m, GAMMA, ballots, n0, dd).map_err(err);
            out.push((
                format!("arlo supersimple {name}: {key}"),
                got.and_then(|g| equal("size", Some(g), c[key].as_u64())),
            ));
        }
        let p = p_value_cards(m, GAMMA, &[(0, n0)], false).map_err(err);
        out.push((
            format!("arlo supersimple {name}: p after n0 clean (per card)"),
            p.and_then(|p| {
                close("p", p, c["p_value_after_n0_clean"].as_f64().unwrap_or(f64::NAN), 1e-12)
            }),
        ));
    }
    out
}

#[test]
fn ballot_comparison_vectors() {
    report_claimed("ballot_comparison", CLAIMS, check, extra());
}
