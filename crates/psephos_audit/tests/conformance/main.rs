//! Conformance of psephos_audit with the vectors of `$PSEPHOS_CONFORMANCE/rla/`
//! (default `../shared/conformance`), produced by running the reference tools (Arlo, SHANGRLA,
//! rlacalc, consistent-sampler, cryptorandom, ColoradoRLA). Each module checks one category and
//! prints "N of M <category> vectors pass"; `every_vector_is_claimed` makes sure that no vector
//! of `conformance_vectors.json` is left unchecked.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use serde_json::Value;

mod alpha;
mod assorters;
mod ballot_comparison;
mod ballot_polling;
mod batch_comparison;
mod clca;
mod minerva;
mod sampling;

/// The conformance directory: `$PSEPHOS_CONFORMANCE`, or `../shared/conformance` beside the
/// workspace.
pub(crate) fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

/// A JSON file of `rla/`.
pub(crate) fn rla_json(name: &str) -> Value {
    let path = conformance_dir().join("rla").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set PSEPHOS_CONFORMANCE)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The curated vectors of `conformance_vectors.json`.
pub(crate) fn vectors() -> Vec<Value> {
    rla_json("conformance_vectors.json")["vectors"].as_array().cloned().unwrap_or_default()
}

/// The vector with this id.
pub(crate) fn vector(id: &str) -> Value {
    vectors()
        .into_iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id} in conformance_vectors.json"))
}

/// Checks the vectors of `conformance_vectors.json` this module claims with `check`, adds the
/// module's extra cases, and reports them all (see [`report`]).
pub(crate) fn report_claimed(
    category: &str,
    claims: &[&str],
    check: fn(&Value) -> Result<(), String>,
    extra: Vec<(String, Result<(), String>)>,
) {
    let mut results: Vec<(String, Result<(), String>)> = vectors()
        .iter()
        .filter(|v| claims.contains(&v["id"].as_str().unwrap_or_default()))
        .map(|v| (v["id"].as_str().unwrap_or_default().to_owned(), check(v)))
        .collect();
    results.extend(extra);
    report(category, results);
}

/// Checks every case, prints "N of M <category> vectors pass" and each failure with its
/// reason, and fails the test if any case failed.
pub(crate) fn report(category: &str, results: Vec<(String, Result<(), String>)>) {
    let total = results.len();
    let failures: Vec<String> =
        results.into_iter().filter_map(|(id, r)| r.err().map(|e| format!("  {id}: {e}"))).collect();
    println!("{} of {total} {category} vectors pass", total - failures.len());
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{category}: {} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `|actual - expected| <= tol` (absolute), with NaN never close.
pub(crate) fn close(what: &str, actual: f64, expected: f64, tol: f64) -> Result<(), String> {
    if (actual - expected).abs() <= tol {
        Ok(())
    } else {
        Err(format!("{what}: got {actual:?}, expected {expected:?} (tolerance {tol:e})"))
    }
}

/// `actual == expected`.
pub(crate) fn equal<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {actual:?}, expected {expected:?}"))
    }
}

/// The vector's own tolerance, or 1e-12 (README: floats 1e-12 unless the vector says otherwise).
pub(crate) fn tolerance(v: &Value) -> f64 {
    v["tolerance"].as_f64().unwrap_or(1e-12)
}

/// Vectors checked by modules of the other audit engineer (SHANGRLA, ALPHA, CLCA, assorters,
/// Minerva), until their module in this directory exists. Categories listed here are theirs;
/// `MI-01` is the Minerva vector of category `ballot_polling`.
const PENDING_CATEGORIES: &[&str] = &[];
const PENDING_IDS: &[&str] = &[];

#[test]
fn every_vector_is_claimed() {
    let claims: Vec<(&str, &[&str])> = vec![
        ("sampling", sampling::CLAIMS),
        ("ballot_polling", ballot_polling::CLAIMS),
        ("ballot_comparison", ballot_comparison::CLAIMS),
        ("batch_comparison", batch_comparison::CLAIMS),
        ("alpha", alpha::CLAIMS),
        ("clca", clca::CLAIMS),
        ("assorters", assorters::CLAIMS),
        ("minerva", minerva::CLAIMS),
    ];
    let mut unclaimed = Vec::new();
    for v in vectors() {
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let category = v["category"].as_str().unwrap_or_default();
        let owners: Vec<&str> =
            claims.iter().filter(|(_, ids)| ids.contains(&id.as_str())).map(|(m, _)| *m).collect();
        let pending = PENDING_CATEGORIES.contains(&category) || PENDING_IDS.contains(&id.as_str());
        let owner = match (owners.as_slice(), pending) {
            ([m], false) => (*m).to_owned(),
            ([], true) => "owned by shangrla engineer (module pending)".to_owned(),
            _ => {
                unclaimed.push(format!("{id} ({category}): claimed by {owners:?}"));
                continue;
            }
        };
        println!("{id:6} {category:18} {owner}");
    }
    assert!(unclaimed.is_empty(), "vectors not claimed by exactly one module: {unclaimed:?}");
}
