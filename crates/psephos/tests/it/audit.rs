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

// ---------------------------------------------------------------------------------------------
// The audit workflow: plan → draw → record → assess → verify, on tests/audit/two-districts.
//
// D1 (1 seat): 12 stations, each 100 ballots, A 70, B 20, C 10. Reported margins V_AB = 600,
// V_AC = 720; every station's error bound u_p = max((50 + 100)/600, (60 + 100)/720) = 1/4, so
// U = 3 and round 1 draws ⌈ln 0.05 / ln(2/3)⌉ + 1 = ⌈7.388⌉ + 1 = 9 stations. With no error
// the MACRO p-value is (1 − 1/U)^9 = (2/3)^9 = 512/19683 = 0.026012294873748943 ≤ 0.05:
// confirmed. D2 is tied (X 100, Y 100): only a full hand count settles it.

const SEED: &str = "36463115561126243615";
const HEADER: &str = "station,contest,phase,version,ballots_found,blank,invalid,A,B,C\n";

fn audit_package(dir: &std::path::Path) -> std::path::PathBuf {
    let pkg = dir.join("package");
    crate::support::copy_tree(&crate::support::tests_dir().join("audit/two-districts"), &pkg);
    pkg
}

fn run_ok(dir: &std::path::Path, args: &[&str]) -> String {
    let out = psephos(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn state(dir: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("audit.json")).expect("audit.json"))
        .expect("state JSON")
}

/// The D1 draws of a round, in order.
fn draws(v: &Value, round: usize) -> Vec<String> {
    v["rounds"][round]["sample"]
        .as_array()
        .expect("sample")
        .iter()
        .filter(|s| s["contest"] == "D1")
        .flat_map(|s| s["draws"].as_array().expect("draws").iter())
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Plans and draws round 1; returns the D1 draws.
fn plan_and_draw(dir: &std::path::Path) -> Vec<String> {
    let plan =
        run_ok(dir, &["audit", "plan", "package", "--risk-limit", "5%", "--out", "audit.json"]);
    assert!(plan.contains("D1: U = 3.000, round 1: 9 draw(s) of 12 stations"), "{plan}");
    assert!(plan.contains("D2: full hand count"), "{plan}");
    run_ok(dir, &["audit", "draw", "audit.json", "package", "--seed", SEED]);
    let v = state(dir);
    assert_eq!(v["plan"]["contests"][0]["upper_bound_total"], "3");
    assert_eq!(v["plan"]["contests"][0]["station_bounds"]["S07"], "1/4");
    assert_eq!(v["plan"]["contests"][1]["status"], "full hand count");
    assert_eq!(v["seed"], SEED);
    draws(&v, 0)
}

/// Writes hand counts for `stations`: the reported count, or `shifted` for the first one.
fn write_hand(dir: &std::path::Path, stations: &[String], first: &str) -> String {
    let mut text = HEADER.to_owned();
    let mut seen = std::collections::BTreeSet::new();
    for (k, s) in stations.iter().enumerate() {
        if seen.insert(s.clone()) {
            let votes = if k == 0 { first } else { "70,20,10" };
            text.push_str(&format!("{s},D1,manual,1,100,0,0,{votes}\n"));
        }
    }
    let name = format!("hand-{}.csv", std::fs::read_dir(dir).expect("dir").count());
    std::fs::write(dir.join(&name), text).expect("write hand counts");
    name
}

fn risk(v: &Value, round: usize) -> f64 {
    v["rounds"][round]["assessment"]["contests"][0]["risk"]
        .as_str()
        .expect("risk")
        .parse()
        .expect("a number")
}

#[test]
fn audit_workflow_confirms_a_clean_hand_count() {
    let dir = Scratch::new("audit-workflow-clean");
    audit_package(&dir.0);
    let sample = plan_and_draw(&dir.0);
    assert_eq!(sample.len(), 9);
    let hand = write_hand(&dir.0, &sample, "70,20,10");
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &hand]);
    let out = run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    assert!(out.contains("D1: confirmed (risk 0.026012294873748943 after 9 draw(s))"), "{out}");
    assert!(out.contains("D2: full hand count"), "{out}");
    let v = state(&dir.0);
    assert_eq!(v["rounds"][0]["assessment"]["contests"][0]["status"], "confirmed");
    // The hand cross-check: (2/3)^9 = 512/19683.
    assert!((risk(&v, 0) - 512.0 / 19683.0).abs() < 1e-15);
    // Each hand count keeps its file's digest.
    assert_eq!(v["rounds"][0]["counts"][0]["sha256"].as_str().map(str::len), Some(64));
    let verified = run_ok(&dir.0, &["audit", "verify", "audit.json", "package"]);
    assert!(verified.contains("replays"), "{verified}");
    // Every earlier version of the state file is kept.
    for k in 1..=3 {
        assert!(dir.0.join(format!("audit.{k}.json")).exists(), "audit.{k}.json");
    }
    // Nothing more to draw.
    assert_eq!(psephos(&dir.0, &["audit", "draw", "audit.json", "package"]).status.code(), Some(1));
}

#[test]
fn audit_workflow_overstatements_raise_the_risk() {
    // One vote moved from A to B at the first drawn station: δ_AB = 50 − 48 = 2, e_p = 2/600,
    // taint e_p/u_p = 1/75; the p-value is (2/3)^9 / (1 − 1/75)^m, m the station's draws.
    let dir = Scratch::new("audit-workflow-shifted");
    audit_package(&dir.0);
    let sample = plan_and_draw(&dir.0);
    let m = sample.iter().filter(|s| **s == sample[0]).count() as i32;
    let hand = write_hand(&dir.0, &sample, "69,21,10");
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &hand]);
    run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    let v = state(&dir.0);
    let expected = (512.0 / 19683.0) / (1.0f64 - 1.0 / 75.0).powi(m);
    assert!((risk(&v, 0) - expected).abs() < 1e-15, "{} vs {expected}", risk(&v, 0));
    assert!(risk(&v, 0) > 512.0 / 19683.0);
    let over = &v["rounds"][0]["assessment"]["contests"][0]["overstatements"][0];
    assert_eq!(over["e"], "1/300");
    assert_eq!(over["votes"], "2");
    assert_eq!((over["winner"].as_str(), over["loser"].as_str()), (Some("A"), Some("B")));

    // A large overstatement (A 20, B 70: δ_AB = 100, taint 2/3) escalates to a second round,
    // which continues the same ticket stream.
    let dir = Scratch::new("audit-workflow-escalate");
    audit_package(&dir.0);
    let sample = plan_and_draw(&dir.0);
    let hand = write_hand(&dir.0, &sample, "20,70,10");
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &hand]);
    let out = run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    assert!(out.contains("D1: continue"), "{out}");
    let v = state(&dir.0);
    let p = risk(&v, 0);
    assert!(p > 0.05, "{p}");
    let next = v["rounds"][0]["assessment"]["contests"][0]["next_round"].as_u64().expect("size");
    // n = ⌈(ln α − ln p) / ln(1 − 1/U)⌉ + 1.
    let n = ((0.05f64.ln() - p.ln()) / (2.0f64 / 3.0).ln()).ceil() as u64 + 1;
    assert_eq!(next, n);
    // A seed other than the audit's is refused; without one the recorded seed continues.
    let other = psephos(&dir.0, &["audit", "draw", "audit.json", "package", "--seed", "1"]);
    assert_eq!(other.status.code(), Some(1));
    run_ok(&dir.0, &["audit", "draw", "audit.json", "package"]);
    let v = state(&dir.0);
    let second = draws(&v, 1);
    assert_eq!(second.len() as u64, next);
    // The weighted sampler's first 9 + n draws are round 1 followed by round 2.
    use psephos_audit::sampling::{Weight, weighted_sample};
    let ids: Vec<String> = (1..=12).map(|i| format!("S{i:02}")).collect();
    let all = weighted_sample(&ids, &[Weight::new(1, 4); 12], SEED, 9 + next as usize, None)
        .expect("draws");
    let all: Vec<String> = all.iter().map(|d| ids[d.index].clone()).collect();
    assert_eq!(all[..9], sample[..]);
    assert_eq!(all[9..], second[..]);
    let verified = run_ok(&dir.0, &["audit", "verify", "audit.json", "package"]);
    assert!(verified.contains("2 round(s)"), "{verified}");
}

#[test]
fn audit_draw_refuses_a_changed_package() {
    let dir = Scratch::new("audit-workflow-changed");
    let pkg = audit_package(&dir.0);
    run_ok(&dir.0, &["audit", "plan", "package", "--risk-limit", "0.05", "--out", "audit.json"]);
    let before = std::fs::read(dir.0.join("audit.json")).expect("state");
    let results = pkg.join("results/D1.csv");
    let text = std::fs::read_to_string(&results).expect("results");
    std::fs::write(
        &results,
        text.replacen(
            "S01,D1,electronic,1,100,0,0,70,20,10",
            "S01,D1,electronic,1,100,0,0,71,19,10",
            1,
        ),
    )
    .expect("write");
    let out = psephos(&dir.0, &["audit", "draw", "audit.json", "package", "--seed", SEED]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E601") && err.contains("results/D1.csv changed"), "{err}");
    assert_eq!(std::fs::read(dir.0.join("audit.json")).expect("state"), before, "untouched");
    // A new result file is a change too.
    std::fs::write(&results, text).expect("restore");
    std::fs::write(
        pkg.join("results/late.csv"),
        format!("{HEADER}S02,D1,correction,1,100,0,0,70,20,10\n"),
    )
    .expect("write");
    let out = psephos(&dir.0, &["audit", "draw", "audit.json", "package", "--seed", SEED]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("results/late.csv is new"));
}

#[test]
fn audit_record_takes_only_hand_counts_of_sampled_stations() {
    let dir = Scratch::new("audit-workflow-record");
    audit_package(&dir.0);
    let sample = plan_and_draw(&dir.0);
    let outside = (1..=12).map(|i| format!("S{i:02}")).find(|s| !sample.contains(s)).expect("one");
    let text = format!(
        "{HEADER}{outside},D1,manual,1,100,0,0,70,20,10\n{},D1,electronic,2,100,0,0,70,20,10\n{},D1,recount,1,100,0,0,70,20,10\n",
        sample[0], sample[1]
    );
    std::fs::write(dir.0.join("mixed.csv"), text).expect("write");
    let out = psephos(&dir.0, &["audit", "record", "audit.json", "package", "mixed.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("E602 station={outside}")), "{err}");
    assert!(err.contains(&format!("E603 station={}", sample[0])), "{err}");
    let v = state(&dir.0);
    let counts = v["rounds"][0]["counts"].as_array().expect("counts");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0]["station"], sample[1].as_str());
    assert_eq!(counts[0]["phase"], "recount");
    // The same station again: refused.
    let again = psephos(&dir.0, &["audit", "record", "audit.json", "package", "mixed.csv"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("E604"));
    // Assess waits for every sampled station.
    let early = psephos(&dir.0, &["audit", "assess", "audit.json", "package"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&early.stderr).contains("no recorded hand count"));
}

#[test]
fn audit_state_files_are_byte_identical_across_runs() {
    let run = |name: &str| -> Vec<u8> {
        let dir = Scratch::new(name);
        audit_package(&dir.0);
        let sample = plan_and_draw(&dir.0);
        let hand = write_hand(&dir.0, &sample, "69,21,10");
        run_ok(&dir.0, &["audit", "record", "audit.json", "package", &hand]);
        run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
        std::fs::read(dir.0.join("audit.json")).expect("state")
    };
    let (a, b) = (run("audit-workflow-det-1"), run("audit-workflow-det-2"));
    assert!(a == b, "two runs wrote different state files");
}

#[test]
fn demo_writes_an_audit_plan_for_every_district() {
    let dir = Scratch::new("audit-demo");
    let out = psephos(
        &dir.0,
        &[
            "--quiet",
            "demo",
            "--out",
            "d",
            "--seed",
            "3",
            "--stations",
            "1500",
            "--candidates",
            "400",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Wrote d/audit-plan.json"));
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("d/audit-plan.json")).expect("plan"))
            .expect("JSON");
    assert_eq!(v["plan"]["risk_limit"], "0.05");
    let contests = v["plan"]["contests"].as_array().expect("contests");
    assert_eq!(contests.len(), 92, "every contest of the iraq-2021 structure is SNTV");
    for c in contests {
        let status = c["status"].as_str().expect("status");
        assert!(["audit", "full hand count", "uncontested"].contains(&status), "{status}");
    }
    // The plan is a state file the workflow continues (with 1,500 stations, about 18 per
    // district, every district may need a full hand count: then there is nothing to draw).
    let draw =
        psephos(&dir.0, &["audit", "draw", "d/audit-plan.json", "d/package", "--seed", SEED]);
    let audited = contests.iter().any(|c| c["status"] == "audit");
    assert_eq!(draw.status.code(), Some(if audited { 0 } else { 1 }));
}

#[test]
fn size_minerva_alpha_and_clca() {
    let dir = Scratch::new("audit-size-more");
    let run = |method: &str, votes: &str, ballots: &str, extra: &[&str]| {
        let mut args = vec![
            "audit",
            "size",
            "--method",
            method,
            "--risk-limit",
            "0.1",
            "--votes",
            votes,
            "--ballots",
            ballots,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = psephos(&dir.0, &args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        json_of(&out)
    };
    // Vector MI-01: 600/400/100 with 100 undervotes (athena's Minerva round sizes).
    let v = run("minerva", "600,400,100", "1200", &[]);
    assert_eq!(
        (&v["quantiles"]["0.7"], &v["quantiles"]["0.8"], &v["quantiles"]["0.9"]),
        (&serde_json::json!(134), &serde_json::json!(166), &serde_json::json!(215))
    );
    assert_eq!(run("providence", "600,400,100", "1200", &[])["quantiles"], v["quantiles"]);
    // Simulations: seeded (same seed, same sizes; another seed is allowed to differ), the
    // quantiles ordered, and a wide margin needs fewer ballots than a narrow one.
    for method in ["alpha", "clca"] {
        let a = run(method, "60000,40000", "100000", &["--seed", "7", "--reps", "40"]);
        assert_eq!(a, run(method, "60000,40000", "100000", &["--seed", "7", "--reps", "40"]));
        let q = |v: &serde_json::Value, k: &str| v["quantiles"][k].as_u64().unwrap_or(0);
        assert!(q(&a, "0.7") <= q(&a, "0.8") && q(&a, "0.8") <= q(&a, "0.9"), "{a}");
        let narrow = run(method, "51000,49000", "100000", &["--seed", "7", "--reps", "40"]);
        assert!(q(&narrow, "0.9") > q(&a, "0.9"), "{method}: {narrow} vs {a}");
        assert_eq!(a["seed"], "7");
    }
}

// ---------------------------------------------------------------------------------------------
// Ballot polling (BRAVO) in the workflow: the same package, ballots drawn from the manifest
// S01:1 … S12:100 (1,200 ballots; A 840, B 240, C 120), interpretations recorded from a CSV.

/// The D1 ballot manifest's ids, as the workflow builds them.
fn manifest_ids() -> Vec<String> {
    (1..=12).flat_map(|s| (1..=100).map(move |p| format!("S{s:02}:{p}"))).collect()
}

fn bravo_plan_and_draw(dir: &std::path::Path) -> Vec<String> {
    let plan = run_ok(
        dir,
        &[
            "audit",
            "plan",
            "package",
            "--risk-limit",
            "5%",
            "--method",
            "bravo",
            "--out",
            "audit.json",
        ],
    );
    assert!(plan.contains("D1: round 1: 53 ballot(s) of 1200"), "{plan}");
    assert!(plan.contains("D2: full hand count"), "{plan}");
    run_ok(dir, &["audit", "draw", "audit.json", "package", "--seed", SEED]);
    let v = state(dir);
    assert_eq!(v["plan"]["method"], "bravo");
    assert_eq!(v["plan"]["unit"], "ballots");
    let d1 = &v["plan"]["contests"][0];
    assert_eq!(d1["manifest_ballots"], 1200);
    assert_eq!(d1["manifest"]["S07"], 100);
    assert_eq!(d1["votes"]["A"], 840);
    assert_eq!(d1["manifest_sha256"].as_str().map(str::len), Some(64));
    draws(&v, 0)
}

/// Interprets every ballot still to fetch with `f(ballot id)`; returns the file name.
fn write_interpretations(dir: &std::path::Path, f: &dyn Fn(&str) -> String) -> String {
    let v = state(dir);
    let rounds = v["rounds"].as_array().expect("rounds");
    let last = rounds.last().expect("a round");
    let mut text = "ballot_id,contest,candidate\n".to_owned();
    for b in last["ballots"].as_array().expect("ballots") {
        let b = b.as_str().expect("id");
        text.push_str(&format!("{b},D1,{}\n", f(b)));
    }
    let name = format!("interpretations-{}.csv", rounds.len());
    std::fs::write(dir.join(&name), text).expect("write interpretations");
    name
}

/// Interprets a ballot as the reported shares: positions 1–70 A, 71–90 B, 91–100 C.
fn as_reported(id: &str) -> String {
    let p: u32 = id.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).expect("position");
    (if p <= 70 {
        "A"
    } else if p <= 90 {
        "B"
    } else {
        "C"
    })
    .to_owned()
}

/// T = Π (s_wl/0.5)^{n_w} ((1 − s_wl)/0.5)^{n_l}; the p-value min(1, 1/T).
fn bravo_p(v_w: f64, v_l: f64, n_w: u64, n_l: u64) -> f64 {
    let s = v_w / (v_w + v_l);
    (1.0 / ((s / 0.5).powi(n_w as i32) * ((1.0 - s) / 0.5).powi(n_l as i32))).min(1.0)
}

#[test]
fn bravo_plan_and_draw_use_the_library_and_the_consistent_sampler() {
    let dir = Scratch::new("audit-bravo-plan");
    audit_package(&dir.0);
    let sample = bravo_plan_and_draw(&dir.0);
    // The round size is the library's 0.9 quantile for the plurality contest.
    use psephos_audit::bravo::{Contest, sample_sizes};
    let sizes = sample_sizes(0.05, &Contest::new(vec![840, 240, 120], 1200, 1), &[0, 0, 0], &[0.9])
        .expect("sizes");
    assert_eq!(sizes.quantiles[0].1, 53);
    assert_eq!(sample.len(), 53);
    // The draws are the consistent sampler's, with replacement, tickets trimmed to 18 digits.
    use psephos_audit::sampling::{SampleOptions, consistent_sample, trim};
    let ids = manifest_ids();
    let opts = SampleOptions { with_replacement: true, drop: 0, take: 53 };
    let expected = consistent_sample(&ids, SEED, opts);
    let got: Vec<&str> = sample.iter().map(String::as_str).collect();
    let want: Vec<&str> = expected.iter().map(|d| ids[d.index].as_str()).collect();
    assert_eq!(got, want);
    let v = state(&dir.0);
    let first = &v["rounds"][0]["sample"][0]["draws"][0];
    assert_eq!(first["ticket"].as_str(), Some(trim(&expected[0].ticket, 18).as_str()));
    // Ballots to fetch: the distinct drawn ballots.
    let distinct: std::collections::BTreeSet<&str> = got.iter().copied().collect();
    assert_eq!(v["rounds"][0]["ballots"].as_array().map(Vec::len), Some(distinct.len()));
}

#[test]
fn bravo_interpretations_as_reported_confirm_the_outcome() {
    let dir = Scratch::new("audit-bravo-clean");
    audit_package(&dir.0);
    bravo_plan_and_draw(&dir.0);
    let mut confirmed = false;
    for round in 0..8 {
        let file = write_interpretations(&dir.0, &as_reported);
        run_ok(&dir.0, &["audit", "record", "audit.json", "package", &file]);
        let out = run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
        let v = state(&dir.0);
        let a = &v["rounds"][round]["assessment"]["contests"][0];
        // Every pair's p-value from the cumulative sample (multiplicity counts).
        let n = |c: &str| a["sample"][c].as_u64().expect("count");
        let p_ab = bravo_p(840.0, 240.0, n("A"), n("B"));
        let p_ac = bravo_p(840.0, 120.0, n("A"), n("C"));
        let got = |k: usize| -> f64 {
            a["assertions"][k]["p_value"].as_str().expect("p").parse().expect("number")
        };
        assert!((got(0) - p_ab).abs() <= 1e-12 * p_ab.max(1e-300), "{} vs {p_ab}", got(0));
        assert!((got(1) - p_ac).abs() <= 1e-12 * p_ac.max(1e-300), "{} vs {p_ac}", got(1));
        assert_eq!(a["draws"].as_u64(), Some(n("A") + n("B") + n("C")));
        if a["status"] == "confirmed" {
            assert!(p_ab.max(p_ac) <= 0.05);
            assert!(out.contains("D1: confirmed"), "{out}");
            confirmed = true;
            break;
        }
        assert_eq!(a["status"], "continue", "{out}");
        run_ok(&dir.0, &["audit", "draw", "audit.json", "package"]);
    }
    assert!(confirmed, "interpretations as reported confirm the outcome");
    let verified = run_ok(&dir.0, &["audit", "verify", "audit.json", "package"]);
    assert!(verified.contains("replays"), "{verified}");
}

#[test]
fn bravo_hand_checked_p_value_and_escalation() {
    // Every drawn ballot for A but the first, which is not found (a vote for B and for C):
    // p_AB = (9/14)^(n − m) · (9/4)^m, p_AC = (4/7)^(n − m) · 4^m, m the first ballot's draws.
    let dir = Scratch::new("audit-bravo-hand");
    audit_package(&dir.0);
    let sample = bravo_plan_and_draw(&dir.0);
    let first = sample[0].clone();
    let m = sample.iter().filter(|s| **s == first).count() as i32;
    let n = sample.len() as i32;
    let file = write_interpretations(&dir.0, &|id| {
        if id == first { "NOT_FOUND".to_owned() } else { "A".to_owned() }
    });
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &file]);
    run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    let v = state(&dir.0);
    let a = &v["rounds"][0]["assessment"]["contests"][0];
    let p_ab = (9.0f64 / 14.0).powi(n - m) * (9.0f64 / 4.0).powi(m);
    let got: f64 = a["assertions"][0]["p_value"].as_str().expect("p").parse().expect("number");
    assert!((got - p_ab).abs() <= 1e-12 * p_ab, "{got} vs {p_ab}");
    assert_eq!(a["not_found"].as_u64(), Some(m as u64));
    assert_eq!(a["status"], "confirmed");

    // Every ballot for B: the risk is 1 and the next round is the library's round-2 size.
    let dir = Scratch::new("audit-bravo-escalate");
    audit_package(&dir.0);
    bravo_plan_and_draw(&dir.0);
    let file = write_interpretations(&dir.0, &|_| "B".to_owned());
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &file]);
    let out = run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    let v = state(&dir.0);
    let a = &v["rounds"][0]["assessment"]["contests"][0];
    assert_eq!(a["risk"], "1");
    let next = a["next_round"].as_u64();
    let expected = ["B", "C"]
        .iter()
        .map(|l| {
            let (v_l, n_l) = if *l == "B" { (240, 53) } else { (120, 0) };
            psephos_audit::bravo::pair_quantile_size(0.05, 840, v_l, 1200, 0, n_l, 0.9)
                .expect("size")
        })
        .max();
    if a["status"] == "continue" {
        assert_eq!(next, expected, "{out}");
        run_ok(&dir.0, &["audit", "draw", "audit.json", "package"]);
        let v = state(&dir.0);
        let second = draws(&v, 1);
        assert_eq!(second.len() as u64, next.expect("size"));
        // Round 2 continues round 1's ticket stream.
        use psephos_audit::sampling::{SampleOptions, consistent_sample};
        let ids = manifest_ids();
        let take = 53 + second.len();
        let all =
            consistent_sample(&ids, SEED, SampleOptions { with_replacement: true, drop: 0, take });
        let all: Vec<&str> = all.iter().map(|d| ids[d.index].as_str()).collect();
        assert_eq!(all[53..], second.iter().map(String::as_str).collect::<Vec<_>>()[..]);
        let verified = run_ok(&dir.0, &["audit", "verify", "audit.json", "package"]);
        assert!(verified.contains("2 round(s)"), "{verified}");
    } else {
        assert_eq!(a["status"], "full hand count", "{out}");
        assert!(53 + expected.expect("size") >= 1200);
    }
}

#[test]
fn bravo_state_files_are_byte_identical_across_runs() {
    let run = |name: &str| -> Vec<u8> {
        let dir = Scratch::new(name);
        audit_package(&dir.0);
        bravo_plan_and_draw(&dir.0);
        let file = write_interpretations(&dir.0, &as_reported);
        run_ok(&dir.0, &["audit", "record", "audit.json", "package", &file]);
        run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
        std::fs::read(dir.0.join("audit.json")).expect("state")
    };
    let (a, b) = (run("audit-bravo-det-1"), run("audit-bravo-det-2"));
    assert!(a == b, "two runs wrote different state files");
}

#[test]
fn bravo_record_reports_bad_lines_with_file_line_and_field() {
    let dir = Scratch::new("audit-bravo-bad");
    audit_package(&dir.0);
    let sample = bravo_plan_and_draw(&dir.0);
    let undrawn = manifest_ids().into_iter().find(|b| !sample.contains(b)).expect("one");
    let text = format!(
        "ballot_id,contest,candidate\n{0},D9,A\nS01:0,D1,A\n{undrawn},D1,A\n{0},D1,Z\n{0},D1\n{0},D1,A\n{0},D1,B\n",
        sample[0]
    );
    std::fs::write(dir.0.join("bad.csv"), text).expect("write");
    let before = std::fs::read(dir.0.join("audit.json")).expect("state");
    let out = psephos(&dir.0, &["audit", "record", "audit.json", "package", "bad.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "bad.csv:2: E605 field=contest",
        "bad.csv:3: E605 field=ballot_id",
        "bad.csv:4: E602 field=ballot_id",
        "bad.csv:5: E605 field=candidate",
        "bad.csv:6: E605 field=line",
        "bad.csv:8: E604 field=ballot_id",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
    assert!(!err.contains("bad.csv:7:"), "line 7 is good: {err}");
    assert_eq!(std::fs::read(dir.0.join("audit.json")).expect("state"), before, "nothing recorded");
    // A wrong header.
    std::fs::write(dir.0.join("header.csv"), "ballot,contest,candidate\n").expect("write");
    let out = psephos(&dir.0, &["audit", "record", "audit.json", "package", "header.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("header.csv:1: E605 field=header"));
    // Assess waits for every drawn ballot.
    let early = psephos(&dir.0, &["audit", "assess", "audit.json", "package"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&early.stderr).contains("no recorded interpretation"));
}

#[test]
fn targeted_stations_are_fetched_but_not_counted_in_the_risk() {
    // Round 1 with the forensic ranking's stations as targeted additions: they are fetched and
    // hand counted beside the random draws, and the risk is exactly the clean audit's.
    let dir = Scratch::new("audit-targeted");
    audit_package(&dir.0);
    run_ok(&dir.0, &["audit", "plan", "package", "--risk-limit", "5%", "--out", "audit.json"]);
    // Every D1 station in the ranking, plus an unknown id, which is passed over.
    let targets = "id,region,line,reason,null_probability\nNOPE,,0,turnout,0.01\nS01,,2,turnout,0.02\nS02,,3,turnout,0.03\nS03,,4,turnout,0.04\nS04,,5,turnout,0.05\nS05,,6,turnout,0.06\nS06,,7,turnout,0.07\nS07,,8,turnout,0.08\nS08,,9,turnout,0.09\nS09,,10,turnout,0.1\nS10,,11,turnout,0.1\nS11,,12,turnout,0.1\nS12,,13,turnout,0.1\n";
    std::fs::write(dir.0.join("targets.csv"), targets).expect("write targets");
    let out = run_ok(
        &dir.0,
        &[
            "audit",
            "draw",
            "audit.json",
            "package",
            "--seed",
            SEED,
            "--targets",
            "targets.csv",
            "--targeted",
            "12",
        ],
    );
    assert!(out.contains("targeted, outside the risk computation"), "{out}");
    let v = state(&dir.0);
    let sample = draws(&v, 0);
    let targeted: Vec<String> = v["rounds"][0]["targeted"]
        .as_array()
        .expect("targeted")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    // Targeted stations are those not drawn anyway, in the file's order.
    assert!(targeted.iter().all(|t| !sample.contains(t)), "{targeted:?} {sample:?}");
    assert!(!targeted.is_empty() && !targeted.contains(&"NOPE".to_owned()));
    let fetch: Vec<String> = v["rounds"][0]["stations"]
        .as_array()
        .expect("stations")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    assert!(targeted.iter().all(|t| fetch.contains(t)));
    // Hand counts of every fetched station, the targeted ones included, are accepted.
    let mut all = sample.clone();
    all.extend(targeted.iter().cloned());
    let hand = write_hand(&dir.0, &all, "70,20,10");
    run_ok(&dir.0, &["audit", "record", "audit.json", "package", &hand]);
    run_ok(&dir.0, &["audit", "assess", "audit.json", "package"]);
    let v = state(&dir.0);
    assert!(
        (risk(&v, 0) - 512.0 / 19683.0).abs() < 1e-15,
        "targeted counts must not change the risk"
    );
    let verified = run_ok(&dir.0, &["audit", "verify", "audit.json", "package"]);
    assert!(verified.contains("replays"), "{verified}");
    // A changed targets file no longer replays.
    std::fs::write(dir.0.join("targets.csv"), "id\nS12\n").expect("rewrite targets");
    assert_eq!(
        psephos(&dir.0, &["audit", "verify", "audit.json", "package"]).status.code(),
        Some(1)
    );
}
