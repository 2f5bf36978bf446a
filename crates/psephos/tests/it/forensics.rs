//! `psephos forensics` on plain station tables: the clean Canada 2011 baseline passes the
//! battery, a table with planted round percentages is caught, and a wrong column is reported at
//! the header.

use std::path::PathBuf;

use crate::support::{Scratch, psephos};

fn canada() -> PathBuf {
    let root = match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    root.join("forensics/rozenas-spikes/canada2011_conservative_spikes_output_data.csv")
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn canada_2011_passes_the_battery() {
    let path = canada();
    let dir = Scratch::new("forensics-canada");
    let out = psephos(
        &dir.0,
        &[
            "forensics",
            &path.display().to_string(),
            "--registered",
            "N",
            "--ballots-issued",
            "t",
            "--leader",
            "v",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let tests = v["tests"].as_array().expect("tests");
    let names: Vec<&str> = tests.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "integer_percentages",
            "last_digit_ballots_issued",
            "last_digit_leader_votes",
            "protocol_arithmetic",
            "rozenas_spikes"
        ]
    );
    for t in tests {
        assert_ci(t);
    }
    for t in tests.iter().filter(|t| !t["p_value"].is_null()) {
        for key in ["name", "statistic", "p_value", "effect", "ci", "assumptions"] {
            assert!(!t[key].is_null(), "{key} missing in {t}");
        }
        // Clean baseline: nothing rejected within the battery at 1 %.
        assert!(t["p_holm"].as_f64().is_some_and(|p| p > 0.01), "{t}");
    }
    let integer = &tests[0];
    assert_eq!(integer["name"], "integer_percentages");
    for key in ["observed", "expected", "excess"] {
        assert!(integer[key].is_number(), "{key}");
    }
    // The interval is the documented normal one around the excess.
    let (excess, sd) =
        (integer["excess"].as_f64(), integer["by_criterion_and_weight"][0]["sd"].as_f64());
    let (Some(excess), Some(sd)) = (excess, sd) else { panic!("{integer}") };
    assert!((integer["ci"][0].as_f64().unwrap_or(0.0) - (excess - 1.959964 * sd)).abs() < 1e-3);
    // Rozenas' spikes on a clean election: an estimate well under 1 % of the polls, with its
    // Monte Carlo interval (psephos's fit: 0.074 % on average over seeds, sd 0.028 %).
    let spikes = &tests[4];
    assert!(spikes["p_value"].is_null());
    assert_eq!(spikes["resamples"], 1000);
    assert!(spikes["effect"].as_f64().is_some_and(|e| (0.0..0.16).contains(&e)), "{spikes}");
    assert!(spikes["ci"][1].as_f64().is_some_and(|hi| hi < 0.3), "{spikes}");
    assert_eq!(spikes["turnout_mixture"]["components"].as_array().map(Vec::len), Some(2));
    // The table shows every test with its interval.
    let table = psephos(
        &dir.0,
        &[
            "forensics",
            &path.display().to_string(),
            "--registered",
            "N",
            "--ballots-issued",
            "t",
            "--leader",
            "v",
            "--spikes",
            "0",
        ],
    );
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("effect [95% CI]") && text.contains("protocol_arithmetic"), "{text}");
    assert!(!text.contains("rozenas_spikes"), "--spikes 0 leaves the test out: {text}");
    let integer_line = text.lines().find(|l| l.starts_with("integer_percentages")).unwrap_or("");
    assert!(integer_line.contains('[') && integer_line.contains(']'), "{text}");
}

/// Every test carries `ci`: two ordered numbers, or null with a stated reason.
fn assert_ci(t: &serde_json::Value) {
    match t["ci"].as_array() {
        Some(ci) => {
            let (lo, hi) = (ci[0].as_f64(), ci[1].as_f64());
            assert!(ci.len() == 2 && lo.zip(hi).is_some_and(|(lo, hi)| lo <= hi), "{t}");
            assert!(t["ci_method"].as_str().is_some_and(|m| !m.is_empty()), "{t}");
        }
        None => {
            assert!(t["ci"].is_null(), "{t}");
            assert!(t["ci_note"].as_str().is_some_and(|m| !m.is_empty()), "{t}");
        }
    }
}

#[test]
fn planted_round_percentages_are_caught() {
    let dir = Scratch::new("forensics-planted");
    // 2,000 stations with ordinary counts; 286 of them report exactly 70 % for the leader.
    let mut csv = String::from("id,registered,issued,leader\n");
    let mut x: u64 = 12345;
    for i in 0..2000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let registered = 800 + (x >> 33) % 1600;
        let issued = registered * (45 + (x >> 20) % 30) / 100 + (x >> 40) % 7;
        // Every seventh station reports a whole 70 % for the leader.
        let (issued, leader) = if i % 7 == 0 {
            let issued = issued - issued % 10;
            (issued, issued * 7 / 10)
        } else {
            (issued, (issued * (40 + (x >> 10) % 25) / 100 + (x >> 50) % 5).min(issued))
        };
        csv.push_str(&format!("S{i},{registered},{issued},{leader}\n"));
    }
    std::fs::write(dir.0.join("t.csv"), csv).expect("write");
    let out = psephos(
        &dir.0,
        &[
            "forensics",
            "t.csv",
            "--registered",
            "registered",
            "--ballots-issued",
            "issued",
            "--leader",
            "leader",
            "--id",
            "id",
            "--format",
            "json",
            "--targets",
            "targets.csv",
            "--svg",
            "pictures",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let integer = &v["tests"][0];
    assert!(integer["p_holm"].as_f64().is_some_and(|p| p < 1e-6), "{integer}");
    assert!(integer["excess"].as_f64().is_some_and(|e| e > 200.0), "{integer}");
    // The targets list every station on the grid, least likely first: all planted ones are
    // there, and the order follows the null probability.
    let targets = std::fs::read_to_string(dir.0.join("targets.csv")).expect("targets written");
    let mut lines = targets.lines();
    assert_eq!(lines.next(), Some("id,region,line,reason,null_probability"));
    let rows: Vec<(u64, f64)> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0][1..].parse().unwrap_or(u64::MAX), cells[4].parse().unwrap_or(f64::NAN))
        })
        .collect();
    assert_eq!(rows.iter().filter(|(i, _)| i % 7 == 0).count(), 286);
    assert!(rows.windows(2).all(|w| w[0].1 <= w[1].1));
    for name in ["fingerprint.svg", "turnout.svg", "share.svg"] {
        let svg = std::fs::read_to_string(dir.0.join("pictures").join(name)).expect(name);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{name}");
    }
    assert_eq!(v["pictures"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["station_ranking"]["top"].as_array().map(Vec::len), Some(20));
}

#[test]
fn a_missing_column_is_reported_at_the_header() {
    let dir = Scratch::new("forensics-missing");
    std::fs::write(dir.0.join("t.csv"), "N,G,L\n100,50,20\n").expect("write");
    let out = psephos(
        &dir.0,
        &["forensics", "t.csv", "--registered", "N", "--ballots-issued", "G", "--leader", "Putin"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("t.csv:1: E701 field=Putin"), "{err}");
}

#[test]
fn a_clean_demo_package_is_not_flagged() {
    let dir = Scratch::new("forensics-demo");
    let demo = psephos(
        &dir.0,
        &[
            "demo",
            "--out",
            "d",
            "--seed",
            "11",
            "--stations",
            "3000",
            "--candidates",
            "400",
            "--quiet",
        ],
    );
    assert_eq!(demo.status.code(), Some(0), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = psephos(&dir.0, &["forensics", "d/package", "--format", "json", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["stations"]["read"], 3000);
    assert!(v["leader"].is_string());
    for t in v["tests"].as_array().expect("tests").iter().filter(|t| !t["p_value"].is_null()) {
        assert!(t["p_holm"].as_f64().is_some_and(|p| p > 0.01), "{t}");
    }
    // The demo's forms add up.
    for t in v["tests"].as_array().expect("tests") {
        assert_ci(t);
    }
    let arithmetic =
        v["tests"].as_array().and_then(|a| a.iter().find(|t| t["name"] == "protocol_arithmetic"));
    assert_eq!(arithmetic.map(|t| t["statistic"].clone()), Some(serde_json::json!(0)));
    // Packages add the cross-contest check; the demo's papers agree.
    let cross = v["tests"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "cross_contest_consistency"))
        .cloned()
        .expect("cross-contest check");
    assert_eq!(cross["statistic"], 0);
    assert!(cross["stations_compared"].is_number());
    // Governorates are the regions: none flagged at FDR 5 %.
    let regions = v["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 18);
    assert!(regions.iter().all(|r| r["q_value"].as_f64().is_some_and(|q| q > 0.05)));
}

#[test]
fn same_area_comparison_finds_votes_added_at_hand_counted_stations() {
    let dir = Scratch::new("forensics-same-area");
    // 40 areas of 10 stations; 3 per area are scanners. Hand-counted stations in the first 20
    // areas report 60 more leader votes each than their area's scanner rate predicts.
    let mut csv = String::from("area,kind,registered,issued,leader\n");
    let mut x: u64 = 99;
    let mut planted = 0u64;
    for area in 0..40u64 {
        for st in 0..10u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let registered = 1000 + (x >> 33) % 500;
            let issued = registered * 6 / 10;
            let base = registered * 3 / 10 + (x >> 50) % 11;
            let scanner = st < 3;
            let add = if !scanner && area < 20 { 60 } else { 0 };
            planted += add;
            let kind = if scanner { "koib" } else { "hand" };
            csv.push_str(&format!("A{area},{kind},{registered},{issued},{}\n", base + add));
        }
    }
    std::fs::write(dir.0.join("t.csv"), csv).expect("write");
    let run = |reference: &str| {
        let out = psephos(
            &dir.0,
            &[
                "forensics",
                "t.csv",
                "--registered",
                "registered",
                "--ballots-issued",
                "issued",
                "--leader",
                "leader",
                "--area",
                "area",
                "--compare",
                "kind",
                "--reference",
                reference,
                "--format",
                "json",
                "--seed",
                "5",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        json_of(&out)
    };
    let v = run("koib");
    let t = v["tests"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "same_area_comparison"))
        .cloned()
        .expect("same-area test");
    assert_eq!(t["areas"], 40);
    let excess = t["effect"].as_f64().unwrap_or(0.0);
    // About the planted 8,400 votes (the scanner rates carry some noise).
    assert!((excess - planted as f64).abs() < 0.25 * planted as f64, "{excess} vs {planted}");
    assert_ci(&t);
    let ci = t["ci"].as_array().expect("ci");
    assert!(ci[0].as_f64().is_some_and(|lo| lo > 0.0), "{t}");
    assert!(t["p_value"].as_f64().is_some_and(|p| p < 0.01));
    // Same seed, same answer.
    assert_eq!(run("koib")["tests"], v["tests"]);
}

#[test]
fn a_demo_with_planted_stuffing_is_flagged() {
    let dir = Scratch::new("forensics-stuffed");
    let demo = psephos(
        &dir.0,
        &[
            "demo",
            "--out",
            "d",
            "--seed",
            "11",
            "--stations",
            "3000",
            "--candidates",
            "400",
            "--stuffing",
            "10",
            "--quiet",
        ],
    );
    assert_eq!(demo.status.code(), Some(0), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = psephos(&dir.0, &["forensics", "d/package", "--format", "json", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let integer = &v["tests"][0];
    assert_eq!(integer["name"], "integer_percentages");
    assert!(integer["p_holm"].as_f64().is_some_and(|p| p < 1e-6), "{integer}");
    assert!(integer["excess"].as_f64().is_some_and(|e| e > 50.0), "{integer}");
}

#[test]
fn separate_ballot_papers_that_disagree_are_listed() {
    // Two stations with a constituency paper and a nationwide list paper: 50,000 ballots found
    // on one and 45,000 on the other at each.
    let dir = Scratch::new("forensics-cross-contest");
    crate::support::copy_tree(
        &crate::support::tests_dir().join("listpr/threshold-alternatives"),
        &dir.0.join("p"),
    );
    let out = psephos(&dir.0, &["forensics", "p", "--format", "json", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    let cross = v["tests"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "cross_contest_consistency"))
        .cloned()
        .expect("cross-contest check");
    assert_eq!(
        (cross["statistic"].clone(), cross["stations_compared"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(cross["stations"][0]["station"], "S1");
    assert_eq!(cross["stations"][0]["ballots_found"][0]["ballots"], 50000);
    assert_eq!(cross["stations"][0]["ballots_found"][1]["ballots"], 45000);
}
