//! Runs RCTab suite cases from `$PSEPHOS_CONFORMANCE` (default `../shared/conformance` beside the
//! workspace) through the readers and compares ballot counts with the expected reports.

use std::path::PathBuf;

use psephos_model::Diagnostic;
use psephos_rcv::BallotSet;

use super::{CvrSource, ReadOptions, read_sources};

pub(crate) fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

pub(crate) fn suite_dir() -> PathBuf {
    conformance_dir().join("tabulation/rctab_suite/test_data")
}

fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{}: {e}; set PSEPHOS_CONFORMANCE to the conformance data", path.display())
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a suite case's sources as its config says.
pub(crate) fn read_case(case: &str) -> (BallotSet, Vec<Diagnostic>) {
    let dir = suite_dir().join(case);
    let config = json(&dir.join(format!("{case}_config.json")));
    let sources: Vec<CvrSource> =
        serde_json::from_value(config["cvrFileSources"].clone()).expect("cvrFileSources");
    let max = &config["rules"]["maxRankingsAllowed"];
    let max_rankings = match max.as_str() {
        Some("max") => None,
        Some(s) => Some(s.parse().expect("maxRankingsAllowed")),
        None => max.as_u64().map(|n| n as u32),
    };
    let options = ReadOptions { max_rankings, ..ReadOptions::default() };
    read_sources(&sources, &dir, &options)
}

/// `summary.totalNumBallots` and `summary.undervotes` of the expected report.
pub(crate) fn expected(case: &str) -> (u64, u64) {
    let dir = suite_dir().join(case);
    // Multi-pass (sequential) cases have one report per pass, all with the same ballots.
    let single = dir.join(format!("{case}_expected_detailed_report.json"));
    let path = if single.exists() {
        single
    } else {
        dir.join(format!("{case}_1_expected_detailed_report.json"))
    };
    let report = json(&path);
    let num = |v: &serde_json::Value| -> u64 {
        v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).expect("a count")
    };
    (num(&report["summary"]["totalNumBallots"]), num(&report["summary"]["undervotes"]))
}

/// Ballots that rank no one.
pub(crate) fn undervotes(set: &BallotSet) -> u64 {
    set.distinct().iter().filter(|d| set.marks(d).is_empty()).map(|d| d.count).sum()
}

/// Reads a case, requires no error, and checks its totals against the expected report.
pub(crate) fn check_case(case: &str) -> BallotSet {
    let (set, diags) = read_case(case);
    let errors: Vec<String> =
        diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{case}: {errors:#?}");
    assert_eq!((set.total(), undervotes(&set)), expected(case), "{case}: total, undervotes");
    set
}

/// Ballots as text, `"1:A 2:B=C"`, with their counts, in order of first appearance; `=` joins
/// marks at one rank.
pub(crate) fn rankings(set: &BallotSet) -> Vec<(String, u64)> {
    set.distinct()
        .iter()
        .map(|d| {
            let mut out = String::new();
            let mut last = 0;
            for m in set.marks(d) {
                if m.rank == last {
                    out.push('=');
                } else {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&format!("{}:", m.rank));
                    last = m.rank;
                }
                out.push_str(&set.labels[m.label.0 as usize]);
            }
            (out, d.count)
        })
        .collect()
}

/// How many ballots have exactly this ranking (any precinct or batch).
pub(crate) fn count_of(set: &BallotSet, ranking: &str) -> u64 {
    rankings(set).into_iter().filter(|(r, _)| r == ranking).map(|(_, n)| n).sum()
}

/// A fresh folder under the system's temporary folder, for synthetic files.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psephos_cvr_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

/// Reads one source given as JSON, with files relative to `dir`.
pub(crate) fn read_json_source(
    dir: &std::path::Path,
    source: &str,
    options: &ReadOptions,
) -> (BallotSet, Vec<Diagnostic>) {
    let source: CvrSource = serde_json::from_str(source).expect("a source");
    let mut b = psephos_rcv::BallotSetBuilder::new();
    let diags = super::read_source(&source, dir, &mut b, options);
    (b.build(), diags)
}
