//! The contract of the Foundation issue, checked on the real demo: `psephos demo`, then
//! `allocate`, `validate` and `init` as a script would call them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::support::{Scratch, psephos};

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("open csv");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

/// Every file under `dir`, relative path to contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir").display().to_string();
                out.insert(rel, std::fs::read(&p).expect("read file"));
            }
        }
    }
    out
}

#[test]
fn demo_contract() {
    let scratch = Scratch::new("demo-contract");
    let dir = scratch.0.join("demo");
    let out =
        psephos(&scratch.0, &["--quiet", "demo", "--out", dir.to_str().unwrap(), "--seed", "7"]);
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    let package = dir.join("package");
    assert!(package.join("election.toml").is_file());
    assert!(dir.join("seats.json").is_file());

    // The forms are CSV files under results/, in the wide layout.
    let mut forms_files = 0;
    for phase in ["electronic", "manual", "recount"] {
        for e in std::fs::read_dir(package.join("results").join(phase)).expect("results dir") {
            let text = std::fs::read_to_string(e.expect("entry").path()).expect("read form file");
            assert!(text.starts_with("station,contest,phase,version,ballots_found,blank,invalid,"));
            forms_files += 1;
        }
    }
    assert_eq!(forms_files, 3 * 83);

    // The shape of 2021.
    let stations = read_csv(&package.join("stations.csv"));
    assert_eq!(stations.len(), 55_000);
    let registered: u64 = stations.iter().map(|s| s["registered"].parse::<u64>().unwrap()).sum();
    assert_eq!(registered, 22_116_368);
    let centres: HashSet<&str> = stations.iter().map(|s| s["centre"].as_str()).collect();
    assert_eq!(centres.len(), 8_273);
    let candidates = read_csv(&package.join("candidates.csv"));
    assert_eq!(candidates.len(), 3_249);
    let women = candidates.iter().filter(|c| c["gender"] == "F").count();
    assert!((900..=1000).contains(&women), "{women} women");
    let governorates: HashSet<&str> = stations.iter().map(|s| s["governorate"].as_str()).collect();
    assert_eq!(governorates.len(), 18);

    // allocate --format json: 329 seats, 9 reserved, a woman wherever a woman stood.
    let out = psephos(
        &scratch.0,
        &["--quiet", "allocate", package.to_str().unwrap(), "--format", "json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let seats = v["seats"].as_array().expect("seats");
    assert_eq!(seats.len(), 329);
    assert_eq!(v["totals"]["seats"], 329);
    for key in ["contest", "candidate", "party", "coalition", "gender", "votes", "reason"] {
        assert!(seats.iter().all(|s| s.get(key).is_some()), "every seat has {key}");
    }
    assert_eq!(seats.iter().filter(|s| s["reason"] == "reserved").count(), 9);
    let contests = read_csv(&package.join("contests.csv"));
    let women_standing: HashSet<&str> =
        candidates.iter().filter(|c| c["gender"] == "F").map(|c| c["contest"].as_str()).collect();
    let women_seated: HashSet<&str> = seats
        .iter()
        .filter(|s| s["gender"] == "F")
        .map(|s| s["contest"].as_str().unwrap())
        .collect();
    for c in contests.iter().filter(|c| c["system"] == "district") {
        if women_standing.contains(c["id"].as_str()) {
            assert!(
                women_seated.contains(c["id"].as_str()),
                "district {} has no woman seated",
                c["id"]
            );
        }
    }
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.join("seats.json")).unwrap()).unwrap();
    assert_eq!(saved["seats"], v["seats"], "seats.json holds the same allocation");

    // validate: clean, then one broken form in an extra file.
    let out = psephos(&scratch.0, &["--quiet", "validate", package.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let first_file = package.join("results/electronic/BGD-01.csv");
    let text = std::fs::read_to_string(&first_file).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut row: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    let station = row[0].clone();
    let last = row.len() - 1;
    row[last] = (row[last].parse::<u32>().unwrap() + 3).to_string();
    row[2] = "correction".to_owned();
    std::fs::write(package.join("results/extra.csv"), format!("{header}\n{}\n", row.join(",")))
        .unwrap();
    let out = psephos(&scratch.0, &["--quiet", "validate", package.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.contains(&station) && l.contains("E401")),
        "no E401 line for {station}:\n{stdout}"
    );
    std::fs::remove_file(package.join("results/extra.csv")).unwrap();

    // reconcile: the recounts of 2021's shape, most identical, a few by a vote, no seat changes.
    let out = psephos(
        &scratch.0,
        &[
            "--quiet",
            "reconcile",
            package.to_str().unwrap(),
            "--tolerance",
            "1",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let pairs = v["pairs"].as_array().expect("pairs");
    let recount = pairs
        .iter()
        .find(|p| p["from"] == "electronic" && p["to"] == "recount")
        .expect("recounts against the electronic count");
    let n = recount["stations"].as_u64().unwrap();
    assert!((3_500..=5_200).contains(&n), "{n} stations recounted");
    let identical = recount["identical"].as_u64().unwrap();
    assert!(identical * 100 >= n * 98, "{identical} of {n} identical");
    assert!(recount["within_tolerance"].as_u64().unwrap() > 0);
    let manual = pairs.iter().find(|p| p["from"] == "electronic" && p["to"] == "manual").unwrap();
    assert_eq!(manual["stations"], 8_273);
    assert_eq!(v["seats_changed"], 0);
    assert!(
        v["summary"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("No seat changes"))
    );

    // margins: every SNTV seat has one, and every contest a diluted margin.
    let out =
        psephos(&scratch.0, &["--quiet", "margins", package.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let contests = v["contests"].as_array().unwrap();
    assert_eq!(contests.len(), 92);
    let seats: usize = contests.iter().map(|c| c["seats"].as_array().unwrap().len()).sum();
    assert_eq!(seats, 329);
    assert!(contests.iter().all(|c| c["margin"].as_u64().is_some_and(|m| m > 0)));
    assert!(contests.iter().all(|c| c["diluted_margin"].is_string()));

    // The same seed gives the same election, byte for byte.
    let again = scratch.0.join("again");
    let out =
        psephos(&scratch.0, &["--quiet", "demo", "--out", again.to_str().unwrap(), "--seed", "7"]);
    assert!(out.status.success());
    assert!(snapshot(&package) == snapshot(&again.join("package")), "demo is not deterministic");
    assert_eq!(
        std::fs::read(dir.join("seats.json")).unwrap(),
        std::fs::read(again.join("seats.json")).unwrap()
    );
}

#[test]
fn init_writes_the_iraq_2021_structure() {
    let scratch = Scratch::new("init");
    let dir = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "iraq-2021", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let contests = read_csv(&dir.join("contests.csv"));
    assert_eq!(contests.len(), 92);
    let seats: u32 = contests.iter().map(|c| c["seats"].parse::<u32>().unwrap()).sum();
    assert_eq!(seats, 329);
    for table in ["coalitions.csv", "parties.csv", "candidates.csv", "stations.csv"] {
        let text = std::fs::read_to_string(dir.join(table)).unwrap();
        assert_eq!(text.lines().count(), 1, "{table} holds only its header");
    }
    // An empty package is valid, with warnings for contests without stations or candidates.
    let out = psephos(&scratch.0, &["--quiet", "validate", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.contains("W009")).count(), 92);
    assert_eq!(stdout.lines().filter(|l| l.contains("W011")).count(), 1);
    // A second init into the same directory refuses.
    let out = psephos(&scratch.0, &["init", "--template", "iraq-2021", dir.to_str().unwrap()]);
    assert!(!out.status.success());
}

#[test]
fn a_station_whose_newest_form_is_unreadable_is_held_back() {
    let scratch = Scratch::new("held");
    let pkg = scratch.0.join("pkg");
    crate::support::copy_tree(&crate::support::tests_dir().join("corrupt/_base"), &pkg);
    // A recount of S1 with a negative count: rejected while reading. The electronic form of S1
    // must not be counted in its place.
    std::fs::write(
        pkg.join("results/recount.csv"),
        "station,contest,phase,version,ballots_found,blank,invalid,A1,A2,A3,A4,A5,X1,X2\n\
         S1,D1,recount,1,60,2,3,20,15,10,-5,3,1,1\n",
    )
    .unwrap();
    let out = psephos(&pkg, &["--quiet", "tabulate", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "errors stop the count");
    let v: Value = serde_json::from_slice(&out.stdout).expect("the problems, as JSON");
    assert_eq!(v["ok"], false);
    assert_eq!(v["diagnostics"][0]["code"], "E202");
    let out = psephos(&pkg, &["--quiet", "tabulate", ".", "--format", "json", "--quarantine"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nation"]["stations_held"], 1);
    assert_eq!(v["nation"]["stations_reporting"], 2);
    // Only S2 and S3 are counted: 50 + 70 ballots.
    assert_eq!(v["nation"]["ballots_found"], 120);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("E202") && stderr.contains("held back"), "{stderr}");
}

#[test]
fn nothing_to_count_is_an_error() {
    let scratch = Scratch::new("nothing");
    let pkg = scratch.0.join("pkg");
    crate::support::copy_tree(&crate::support::tests_dir().join("corrupt/_base"), &pkg);
    let out = psephos(&pkg, &["--quiet", "allocate", ".", "--phase", "recount"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to count"));
}

#[test]
fn apportion_from_a_plain_csv() {
    let scratch = Scratch::new("apportion");
    let file = scratch.0.join("votes.csv");
    std::fs::write(&file, "party,votes\nA,100000\nB,80000\nC,30000\nD,20000\n").unwrap();
    let f = file.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["apportion", f];
        all.extend_from_slice(args);
        psephos(&scratch.0, &all)
    };
    let seats_of = |out: &std::process::Output| -> Vec<u64> {
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        v["allocation"].as_array().unwrap().iter().map(|a| a["seats"].as_u64().unwrap()).collect()
    };
    // Textbook results (Wikipedia's examples of each method).
    assert_eq!(
        seats_of(&run(&["--method", "dhondt", "--seats", "8", "--format", "json"])),
        [4, 3, 1, 0]
    );
    assert_eq!(
        seats_of(&run(&["--method", "sainte-lague", "--seats", "8", "--format", "json"])),
        [3, 3, 1, 1]
    );
    // A threshold whose base includes blank ballots: D (20,000) is below 8.5 % of 250,000 but
    // not of the parties' 230,000.
    let out =
        run(&["--method", "dhondt", "--seats", "8", "--threshold", "8.5", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["allocation"][3].get("below_threshold").is_none());
    let out = run(&[
        "--method",
        "dhondt",
        "--seats",
        "8",
        "--threshold",
        "8.5",
        "--threshold-extra-valid",
        "20000",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["allocation"][3]["below_threshold"], true);
    assert_eq!(v["threshold"]["below"], serde_json::json!(["D"]));
    for key in ["party", "votes", "seats"] {
        assert!(v["allocation"][0].get(key).is_some());
    }
    assert!(v["ties"].as_array().unwrap().is_empty());
    assert_eq!(v["steps"].as_array().unwrap().len(), 8);
    // A tie for the last seat is settled by the lot and recorded.
    std::fs::write(&file, "party,votes\nA,10\nB,10\n").unwrap();
    let out = run(&["--method", "hare", "--seats", "1", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ties"][0]["seats"], 1);
    assert_eq!(v["ties"][0]["tickets"].as_array().unwrap().len(), 2);
    // Mistakes: an unknown method is a usage error; a bad row is an input error with its line.
    assert_eq!(run(&["--method", "borda", "--seats", "1"]).status.code(), Some(2));
    std::fs::write(&file, "party,votes\nA,10\nB,ten\n").unwrap();
    let out = run(&["--method", "dhondt", "--seats", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("votes.csv:3: E201"));
}
