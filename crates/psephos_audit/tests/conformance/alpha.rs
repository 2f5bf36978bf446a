//! Category `alpha`: SHANGRLA `NonnegMean` risk functions (AL-01..AL-07), plus the extra
//! cases of `shangrla_rlacalc_sampler_vectors.json` → `nonnegmean`. Floats to the vector's
//! tolerance (1e-12 unless it says otherwise).

use psephos_audit::alpha::{Estimator, NonnegMean, ShrinkTrunc};
use serde_json::Value;

use crate::{close, equal, report, tolerance, vector};

pub(crate) const CLAIMS: &[&str] = &["AL-01", "AL-02", "AL-03", "AL-04", "AL-05", "AL-06", "AL-07"];

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

fn population(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn history(what: &str, got: &[f64], want: &[f64], tol: f64) -> Result<(), String> {
    equal(&format!("{what} length"), got.len(), want.len())?;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(&format!("{what}[{i}]"), *g, *w, tol)?;
    }
    Ok(())
}

fn al01() -> Result<(), String> {
    let v = vector("AL-01");
    let i = &v["inputs"];
    let nm =
        NonnegMean::new(None, i["t"].as_f64().unwrap_or(0.5), 1.0).map_err(|e| e.to_string())?;
    let r = nm
        .kaplan_markov(&floats(&i["x"]), i["g"].as_f64().unwrap_or(0.0), true)
        .map_err(|e| e.to_string())?;
    close("p", r.p, v["expected"].as_f64().unwrap_or(f64::NAN), tolerance(&v))
}

fn al02() -> Result<(), String> {
    let v = vector("AL-02");
    let i = &v["inputs"];
    let nm = NonnegMean::new(None, 0.5, 1.0).map_err(|e| e.to_string())?;
    let x = floats(&i["x"]);
    let g = i["g"].as_f64().unwrap_or(0.0);
    let seq = nm.kaplan_markov(&x, g, true).map_err(|e| e.to_string())?;
    let fin = nm.kaplan_markov(&x, g, false).map_err(|e| e.to_string())?;
    close(
        "random_order",
        seq.p,
        v["expected"]["random_order"].as_f64().unwrap_or(f64::NAN),
        tolerance(&v),
    )?;
    close("final", fin.p, v["expected"]["final"].as_f64().unwrap_or(f64::NAN), tolerance(&v))
}

fn alpha_case(id: &str, est: impl Fn(&Value) -> Estimator) -> Result<(), String> {
    let v = vector(id);
    let i = &v["inputs"];
    let nm = NonnegMean::new(
        population(&i["N"]),
        i["t"].as_f64().unwrap_or(0.5),
        i["u"].as_f64().unwrap_or(1.0),
    )
    .map_err(|e| e.to_string())?;
    let r = nm.alpha_mart(&floats(&i["x"]), est(i)).map_err(|e| e.to_string())?;
    let tol = tolerance(&v);
    close("p", r.p, v["expected"]["p"].as_f64().unwrap_or(f64::NAN), tol)?;
    history("p_history", &r.p_history, &floats(&v["expected"]["p_history"]), tol)?;
    if v["expected"]["eta_j"].is_array() {
        history("eta_j", &r.eta, &floats(&v["expected"]["eta_j"]), tol)?;
    }
    Ok(())
}

fn fixed(i: &Value) -> Estimator {
    Estimator::Fixed { eta: i["eta"].as_f64().unwrap_or(f64::NAN) }
}

fn shrink(i: &Value) -> Estimator {
    Estimator::ShrinkTrunc(ShrinkTrunc {
        eta0: i["eta"].as_f64().unwrap_or(f64::NAN),
        d: i["d"].as_f64().unwrap_or(100.0),
        f: i["f"].as_f64().unwrap_or(0.0),
        c: None,
        minsd: i["minsd"].as_f64().unwrap_or(1e-6),
    })
}

fn al06() -> Result<(), String> {
    let v = vector("AL-06");
    let i = &v["inputs"];
    let n = i["N"].as_u64().unwrap_or(0);
    let eta = i["eta"].as_f64().unwrap_or(f64::NAN);
    let alpha = i["alpha"].as_f64().unwrap_or(f64::NAN);
    let nm = NonnegMean::new(Some(n), 0.5, 1.0).map_err(|e| e.to_string())?;
    let want: Vec<u64> = v["expected"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let mut got = Vec::new();
    for x in [1.0, 0.75] {
        got.push(
            nm.sample_size_repeated(&[x], Estimator::Fixed { eta }, alpha)
                .map_err(|e| e.to_string())?,
        );
    }
    equal("sizes", got, want)
}

fn al07() -> Result<(), String> {
    let v = vector("AL-07");
    let i = &v["inputs"];
    let nm =
        NonnegMean::new(None, i["t"].as_f64().unwrap_or(0.5), 1.0).map_err(|e| e.to_string())?;
    let r = nm
        .betting_mart(&[0.75; 20], i["lam"].as_f64().unwrap_or(f64::NAN))
        .map_err(|e| e.to_string())?;
    close("p", r.p, v["expected"].as_f64().unwrap_or(f64::NAN), tolerance(&v))
}

/// The same quantities as recorded in `shangrla_rlacalc_sampler_vectors.json`.
fn extras() -> Vec<(String, Result<(), String>)> {
    let j = crate::rla_json("shangrla_rlacalc_sampler_vectors.json");
    let nn = &j["nonnegmean"];
    let mut out = Vec::new();
    let nm = NonnegMean::new(Some(1000), 0.5, 1.0);
    let case = |key: &str, x: f64| -> Result<(), String> {
        let want = nn[key].as_u64().ok_or_else(|| format!("no {key}"))?;
        let nm = nm.clone().map_err(|e| e.to_string())?;
        let got = nm
            .sample_size_repeated(&[x], Estimator::Fixed { eta: 0.75 }, 0.05)
            .map_err(|e| e.to_string())?;
        equal(key, got, want)
    };
    out.push((
        "nonnegmean sample_size x=1".to_owned(),
        case("sample_size alpha_mart eta=.75 N=1000 alpha=.05 x=ones", 1.0),
    ));
    out.push((
        "nonnegmean sample_size x=.75".to_owned(),
        case("sample_size alpha_mart eta=.75 N=1000 alpha=.05 x=0.75*ones", 0.75),
    ));
    out
}

#[test]
fn alpha_vectors() {
    let mut results = vec![
        ("AL-01".to_owned(), al01()),
        ("AL-02".to_owned(), al02()),
        ("AL-03".to_owned(), alpha_case("AL-03", fixed)),
        ("AL-04".to_owned(), alpha_case("AL-04", fixed)),
        ("AL-05".to_owned(), alpha_case("AL-05", shrink)),
        ("AL-06".to_owned(), al06()),
        ("AL-07".to_owned(), al07()),
    ];
    results.extend(extras());
    report("alpha", results);
}
