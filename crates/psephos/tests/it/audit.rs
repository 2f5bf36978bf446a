//! `psephos audit sample` and `psephos audit size`: the direct calls scripts rely on.

use serde_json::Value;

use crate::support::{Scratch, psephos};

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn sample_matches_the_python_consistent_sampler() {
    // consistent_sampler.sampler(['A#2','B#7','C#1','D#4'], seed=314159, with_replacement=True,
    // take=8, output='id') (vector CS-05).
    let dir = Scratch::new("audit-sample");
    std::fs::write(dir.0.join("ids.txt"), "A#2\nB#7\r\nC#1\n\nD#4\n").expect("write ids");
    let out = psephos(
        &dir.0,
        &[
            "audit",
            "sample",
            "--seed",
            "314159",
            "--ids",
            "ids.txt",
            "--count",
            "8",
            "--with-replacement",
            "--digits",
            "9",
            "--format",
            "json",
        ],
    );
    let v = json_of(&out);
    let ids: Vec<&str> =
        v.as_array().expect("array").iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]);
    assert_eq!(v[2]["generation"], 2);
    assert_eq!(v[5]["ticket"], "0.9014668792", "trimmed after the leading 9s");
}

#[test]
fn sample_without_replacement_keeps_full_tickets() {
    // Vector CS-07's first draw, full precision.
    let dir = Scratch::new("audit-sample-wor");
    let ids: String = (1..=10).map(|i| format!("B-{i:03}\n")).collect();
    std::fs::write(dir.0.join("ids.txt"), ids).expect("write ids");
    let out = psephos(
        &dir.0,
        &[
            "audit",
            "sample",
            "--seed",
            "32764932847923874923874982374982374",
            "--ids",
            "ids.txt",
            "--count",
            "20",
        ],
    );
    let v = json_of(&out);
    assert_eq!(v.as_array().map(Vec::len), Some(10));
    assert_eq!(v[0]["id"], "B-001");
    assert_eq!(
        v[0]["ticket"],
        "0.07448700607525046407645490259303679432631554264139371414649375244146994690621"
    );
    let csv = psephos(
        &dir.0,
        &["audit", "sample", "--seed", "x", "--ids", "ids.txt", "--count", "2", "--format", "csv"],
    );
    assert_eq!(csv.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("draw,id,ticket,generation\n"));
}

#[test]
fn size_bravo_gives_asn_and_quantiles() {
    // Arlo test_bravo true_sample_sizes['test1'] (vector BR-01).
    let dir = Scratch::new("audit-size");
    let out = psephos(
        &dir.0,
        &[
            "audit",
            "size",
            "--method",
            "bravo",
            "--risk-limit",
            "0.1",
            "--votes",
            "600,400",
            "--ballots",
            "1000",
            "--format",
            "json",
        ],
    );
    let v = json_of(&out);
    assert_eq!(v["asn"], 119);
    assert_eq!(v["quantiles"]["0.7"], 184);
    assert_eq!(v["quantiles"]["0.8"], 244);
    assert_eq!(v["quantiles"]["0.9"], 351);
    // Arlo's Contest A (KM-05) and the MACRO 10-station example (MA-05).
    let v = json_of(&psephos(
        &dir.0,
        &[
            "audit",
            "size",
            "--method",
            "kaplan-markov",
            "--risk-limit",
            "10%",
            "--votes",
            "60000,40000",
            "--ballots",
            "100000",
        ],
    ));
    assert_eq!(v["asn"], 27);
    let v = json_of(&psephos(
        &dir.0,
        &[
            "audit",
            "size",
            "--method",
            "macro",
            "--risk-limit",
            "0.1",
            "--votes",
            "600,400",
            "--ballots",
            "1000",
            "--stations",
            "10",
        ],
    ));
    assert_eq!(v["asn"], 10);
    assert_eq!(v["total_error_bound"], 6.0);
}

#[test]
fn audit_errors_have_their_exit_codes() {
    let dir = Scratch::new("audit-errors");
    let size = |extra: &[&str]| {
        let mut args = vec!["audit", "size", "--method", "bravo", "--ballots", "10"];
        args.extend_from_slice(extra);
        psephos(&dir.0, &args).status.code()
    };
    assert_eq!(
        size(&["--risk-limit", "1.5", "--votes", "6,4"]),
        Some(2),
        "risk limit out of range"
    );
    assert_eq!(size(&["--risk-limit", "0.1", "--votes", "6,x"]), Some(2), "votes not numbers");
    assert_eq!(size(&["--risk-limit", "0.1", "--votes", "5,5"]), Some(1), "a tie");
    assert_eq!(size(&["--risk-limit", "0.1", "--votes", "60,40"]), Some(1), "votes above ballots");
    let macro_without_stations = psephos(
        &dir.0,
        &[
            "audit",
            "size",
            "--method",
            "macro",
            "--risk-limit",
            "0.1",
            "--votes",
            "6,4",
            "--ballots",
            "10",
        ],
    );
    assert_eq!(macro_without_stations.status.code(), Some(2));
    let missing = psephos(
        &dir.0,
        &["audit", "sample", "--seed", "1", "--ids", "missing.txt", "--count", "1"],
    );
    assert_eq!(missing.status.code(), Some(1));
    let no_count = psephos(&dir.0, &["audit", "sample", "--seed", "1", "--ids", "missing.txt"]);
    assert_eq!(no_count.status.code(), Some(2));
}
