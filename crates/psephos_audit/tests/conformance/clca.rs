//! Category `clca`: card-level comparison sample sizes (AL-08, AL-09), ALPHA with
//! `optimal_comparison` on the overstatement assorter, and the Kaplan-Markov closed form
//! ⌈ln α / ln(1 − v/(2γ))⌉, γ = 1.03905. Extra cases: the overstatement values recorded in
//! `shangrla_rlacalc_sampler_vectors.json` → `clca_sample_sizes_no_errors`. Sizes exact.

use psephos_audit::alpha::{Estimator, NonnegMean};
use psephos_audit::shangrla::Overstatement;
use serde_json::Value;

use crate::{close, equal, report, vector};

pub(crate) const CLAIMS: &[&str] = &["AL-08", "AL-09"];

const GAMMA: f64 = 1.03905;

fn opt_size(n: u64, v: f64, alpha: f64, error_every: Option<usize>) -> Result<u64, String> {
    let ov = Overstatement::new(1.0, v).map_err(|e| e.to_string())?;
    let nm = NonnegMean::new(Some(n), 0.5, ov.upper_bound()).map_err(|e| e.to_string())?;
    let clean = ov.no_error();
    let one_over = ov.from_omega(0.5);
    let pop = (0..n as usize).map(move |i| match error_every {
        Some(k) if i % k == 0 => one_over,
        _ => clean,
    });
    Ok(nm
        .first_crossing(pop, Estimator::OptimalComparison { p2: 1e-5 }, alpha)
        .map_err(|e| e.to_string())?
        .unwrap_or(n))
}

fn km_size(v: f64, alpha: f64) -> u64 {
    (alpha.ln() / (1.0 - v / (2.0 * GAMMA)).ln()).ceil() as u64
}

fn al08() -> Vec<(String, Result<(), String>)> {
    let v = vector("AL-08");
    let rows = v["inputs"]["rows"].as_array().cloned().unwrap_or_default();
    let want = v["expected"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .zip(want.iter())
        .map(|(r, w)| {
            let (m, a) =
                (r["v"].as_f64().unwrap_or(f64::NAN), r["alpha"].as_f64().unwrap_or(f64::NAN));
            let res = (|| {
                equal(
                    "alpha_opt",
                    opt_size(100_000, m, a, None)?,
                    w["alpha_opt"].as_u64().unwrap_or(0),
                )?;
                equal("km", km_size(m, a), w["km"].as_u64().unwrap_or(0))
            })();
            (format!("AL-08 v={m} alpha={a}"), res)
        })
        .collect()
}

fn al09() -> Vec<(String, Result<(), String>)> {
    let v = vector("AL-09");
    let rows = v["inputs"]["rows"].as_array().cloned().unwrap_or_default();
    let want: Vec<u64> = v["expected"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    rows.iter()
        .zip(want)
        .map(|(r, w)| {
            let m = r["v"].as_f64().unwrap_or(f64::NAN);
            let a = r["alpha"].as_f64().unwrap_or(f64::NAN);
            let n = r["N"].as_u64().unwrap_or(0);
            let res = opt_size(n, m, a, Some(1000)).and_then(|got| equal("size", got, w));
            (format!("AL-09 v={m}"), res)
        })
        .collect()
}

fn extras() -> Vec<(String, Result<(), String>)> {
    let j = crate::rla_json("shangrla_rlacalc_sampler_vectors.json");
    let rows = j["clca_sample_sizes_no_errors"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .map(|r| {
            let m = r["assorter_margin_v"].as_f64().unwrap_or(f64::NAN);
            let a = r["alpha"].as_f64().unwrap_or(f64::NAN);
            let res = (|| {
                let ov = Overstatement::new(1.0, m).map_err(|e| e.to_string())?;
                close(
                    "x_noerror",
                    ov.no_error(),
                    r["x_noerror"].as_f64().unwrap_or(f64::NAN),
                    1e-12,
                )?;
                close(
                    "u",
                    ov.upper_bound(),
                    r["u_overstatement"].as_f64().unwrap_or(f64::NAN),
                    1e-12,
                )?;
                close(
                    "one-vote",
                    ov.from_omega(0.5),
                    r["x_one_vote_over(o=1/2)"].as_f64().unwrap_or(f64::NAN),
                    1e-12,
                )?;
                close(
                    "two-vote",
                    ov.from_omega(1.0),
                    r["x_two_vote_over(o=1)"].as_f64().unwrap_or(f64::NAN),
                    1e-12,
                )
            })();
            (format!("overstatement values v={m} alpha={a}"), res)
        })
        .collect()
}

#[test]
fn clca_vectors() {
    let mut results = al08();
    results.extend(al09());
    results.extend(extras());
    report("clca", results);
}
