//! Ranked contests inside an election package (`tests/ranked/`): the package's `allocate`
//! against `psephos rcv` on the same ballots, a count checked by hand, and the diagnostics.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Scratch, copy_tree, psephos, tests_dir};

fn fixture() -> PathBuf {
    tests_dir().join("ranked/city-council")
}

fn stdout_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Every label of candidates.csv (name, aliases) → candidate id.
fn ids_by_label(package: &Path) -> HashMap<String, String> {
    let mut r = csv::Reader::from_path(package.join("candidates.csv")).expect("candidates.csv");
    let header = r.headers().expect("header").clone();
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let (id, name, aliases) = (col("id"), col("name"), col("aliases"));
    let mut map = HashMap::new();
    for row in r.records() {
        let row = row.expect("row");
        map.insert(row[name].to_owned(), row[id].to_owned());
        for a in row[aliases].split(';').filter(|a| !a.is_empty()) {
            map.insert(a.to_owned(), row[id].to_owned());
        }
    }
    map
}

/// An RCTab configuration for the same ballots and rules as the package's contest, written
/// independently of psephos's package reader: what an RCTab user would write.
fn rctab_config(dir: &Path, files: &[&str], candidates: &[&str], rules: Value) -> PathBuf {
    let sources: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "provider": "genericCsv",
                "filePath": fixture().join(f).display().to_string(),
                "firstVoteColumnIndex": "2",
                "firstVoteRowIndex": "2",
                "idColumnIndex": "1",
            })
        })
        .collect();
    let config = json!({
        "tabulatorVersion": "2.0.1",
        "outputSettings": {"contestName": "x"},
        "cvrFileSources": sources,
        "candidates": candidates.iter().map(|c| json!({"name": c})).collect::<Vec<_>>(),
        "rules": rules,
    });
    let path = dir.join(format!("{}_config.json", files[0].replace(['/', '.'], "_")));
    std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
    path
}

/// Checks the package's count of `contest` against `psephos rcv --rctab-config`: the winners
/// and the tally of every round.
fn same_as_rcv(allocation: &Value, contest: &str, rcv: &Value, ids: &HashMap<String, String>) {
    let id = |name: &Value| ids[name.as_str().expect("name")].clone();
    let package_count = &allocation["ranked"][contest];
    let winners: Vec<String> = rcv["winners"].as_array().expect("winners").iter().map(id).collect();
    let package_winners: Vec<String> = package_count["winners"]
        .as_array()
        .expect("package winners")
        .iter()
        .map(|w| w.as_str().expect("id").to_owned())
        .collect();
    assert_eq!(package_winners, winners, "{contest}: winners");
    // The seats of the contest are those winners, in order, with reason rcv.
    let seats: Vec<(String, String)> = allocation["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter(|s| s["contest"] == contest)
        .map(|s| {
            (
                s["candidate"].as_str().expect("id").to_owned(),
                s["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect();
    assert_eq!(seats, winners.iter().map(|w| (w.clone(), "rcv".to_owned())).collect::<Vec<_>>());
    let rounds = rcv["rounds"].as_array().expect("rounds");
    let package_rounds = package_count["rounds"].as_array().expect("package rounds");
    assert_eq!(package_rounds.len(), rounds.len(), "{contest}: rounds");
    for (p, r) in package_rounds.iter().zip(rounds) {
        let tally: HashMap<String, Value> = r["tally"]
            .as_object()
            .expect("tally")
            .iter()
            .map(|(k, v)| (ids[k].clone(), v.clone()))
            .collect();
        let package_tally: HashMap<String, Value> =
            p["tally"].as_object().expect("tally").clone().into_iter().collect();
        assert_eq!(package_tally, tally, "{contest}: round {}", r["round"]);
    }
}

#[test]
fn package_counts_match_psephos_rcv_on_the_same_ballots() {
    let scratch = Scratch::new("ranked-cross");
    let package = fixture();
    let ids = ids_by_label(&package);
    let out =
        psephos(&scratch.0, &["allocate", &package.display().to_string(), "--format", "json"]);
    let allocation = stdout_json(&out);

    // The mayor: irv with RCTab's suggested rules, as the package states none.
    let mayor = rctab_config(
        &scratch.0,
        &["ballots/mayor.csv"],
        &["Alice", "Bob", "Carol"],
        json!({
            "winnerElectionMode": "singleWinnerMajority",
            "numberOfWinners": "1",
            "overvoteRule": "exhaustImmediately",
            "maxSkippedRanksAllowed": "1",
            "maxRankingsAllowed": "max",
            "tiebreakMode": "useCandidateOrder",
            "decimalPlacesForVoteArithmetic": "4",
        }),
    );
    let rcv = psephos(
        &scratch.0,
        &["rcv", "--rctab-config", &mayor.display().to_string(), "--format", "json"],
    );
    same_as_rcv(&allocation, "MAYOR", &stdout_json(&rcv), &ids);

    // The council: 3 seats, Droop, 4 decimals, RCTab's lot with the package's tie seed.
    let council = rctab_config(
        &scratch.0,
        &["ballots/council-a.csv", "ballots/council-b.csv"],
        &["Dana", "Eli", "Fay", "Gus", "Hana"],
        json!({
            "winnerElectionMode": "multiWinnerAllowMultipleWinnersPerRound",
            "numberOfWinners": "3",
            "overvoteRule": "exhaustImmediately",
            "maxSkippedRanksAllowed": "1",
            "maxRankingsAllowed": "max",
            "tiebreakMode": "random",
            "randomSeed": "20251104",
            "decimalPlacesForVoteArithmetic": "4",
        }),
    );
    let rcv = psephos(
        &scratch.0,
        &["rcv", "--rctab-config", &council.display().to_string(), "--format", "json"],
    );
    same_as_rcv(&allocation, "COUNCIL", &stdout_json(&rcv), &ids);
    assert_eq!(allocation["totals"]["rcv"], 4);
    assert_eq!(allocation["totals"]["seats"], 4);
}

#[test]
fn the_mayor_by_hand() {
    // ballots/mayor.csv: 5 Alice > Bob, 4 Bob > Carol, 2 Carol (an alias of M3) > Bob.
    // 11 ballots; a majority is 6. Round 1: Alice 5, Bob 4, Carol 2: no majority, Carol is
    // eliminated and her 2 ballots go to Bob. Round 2: Alice 5, Bob 6: Bob wins.
    let scratch = Scratch::new("ranked-hand");
    let out =
        psephos(&scratch.0, &["allocate", &fixture().display().to_string(), "--format", "json"]);
    let a = stdout_json(&out);
    let mayor = &a["ranked"]["MAYOR"];
    assert_eq!(mayor["ballots"], 11);
    assert_eq!(mayor["rounds"][0]["tally"], json!({"M1": "5", "M2": "4", "M3": "2"}));
    assert_eq!(mayor["rounds"][0]["eliminated"], json!(["M3"]));
    assert_eq!(mayor["rounds"][0]["transfers"], json!({"M3": {"M2": "2"}}));
    assert_eq!(mayor["rounds"][1]["tally"], json!({"M1": "5", "M2": "6"}));
    assert_eq!(mayor["winners"], json!(["M2"]));
    let seat = a["seats"].as_array().expect("seats").iter().find(|s| s["contest"] == "MAYOR");
    let seat = seat.expect("a mayor");
    assert_eq!(
        (&seat["candidate"], &seat["round"], &seat["votes"]),
        (&json!("M2"), &json!(2), &json!(4))
    );
    let table = psephos(&scratch.0, &["allocate", &fixture().display().to_string(), "--seats"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("MAYOR    M2         Bob"), "{text}");
    assert!(text.contains("rcv, round 2"), "{text}");
}

/// The council's ballots as a BLT file: the same rankings, weighted.
const COUNCIL_BLT: &str = "5 3
8 1 2 3 0
5 2 1 0
4 3 4 0
3 4 3 5 0
2 5 4 0
2 5 2 0
0
\"Dana\"
\"Eli\"
\"Fay\"
\"Gus\"
\"Hana\"
\"Council\"
";

#[test]
fn scottish_stv_from_a_blt_source_matches_psephos_rcv() {
    let scratch = Scratch::new("ranked-scottish");
    let package = scratch.0.join("pkg");
    copy_tree(&fixture(), &package);
    std::fs::write(package.join("ballots/council.blt"), COUNCIL_BLT).expect("write blt");
    let toml = std::fs::read_to_string(package.join("election.toml")).expect("toml");
    // The council counted under the Scottish order, from the BLT file alone.
    let start = toml.find("[systems.council]").expect("council system");
    let end = toml.find("[[cvr_sources]]").expect("sources");
    let mayor_source_end = toml[end..].find("\n\n").map(|k| end + k).expect("mayor source");
    let toml = format!(
        "{}[systems.council]\nmethod = \"scottish-stv\"\n\n{}\n\n[[cvr_sources]]\ncontest = \"COUNCIL\"\nprovider = \"blt\"\nfile_path = \"ballots/council.blt\"\n",
        &toml[..start],
        &toml[end..mayor_source_end]
    );
    std::fs::write(package.join("election.toml"), toml).expect("write toml");
    let a = stdout_json(&psephos(
        &scratch.0,
        &["allocate", &package.display().to_string(), "--format", "json"],
    ));
    let blt = package.join("ballots/council.blt").display().to_string();
    let rcv = stdout_json(&psephos(
        &scratch.0,
        &["rcv", &blt, "--method", "scottish-stv", "--seats", "3", "--format", "json"],
    ));
    let ids = ids_by_label(&package);
    let elected: Vec<String> = rcv["elected"]
        .as_array()
        .expect("elected")
        .iter()
        .map(|n| ids[n.as_str().expect("name")].clone())
        .collect();
    assert_eq!(a["ranked"]["COUNCIL"]["elected"], json!(elected));
    assert_eq!(a["ranked"]["COUNCIL"]["quota"], rcv["quota"]);
    let seats: Vec<&Value> = a["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter(|s| s["contest"] == "COUNCIL")
        .map(|s| &s["candidate"])
        .collect();
    assert_eq!(seats.len(), 3);
    assert_eq!(json!(seats), json!(elected));
}

#[test]
fn an_unknown_label_names_its_file_line_and_column() {
    let scratch = Scratch::new("ranked-unknown");
    let package = scratch.0.join("pkg");
    copy_tree(&fixture(), &package);
    let mayor = package.join("ballots/mayor.csv");
    let text = std::fs::read_to_string(&mayor).expect("mayor");
    std::fs::write(&mayor, text.replacen("Carol", "Karol", 1)).expect("write");
    let out = psephos(&package, &["validate", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("./ballots/mayor.csv:1: E513 field=4: unrecognized candidate \"Karol\" appears 6 time(s) in the ballots of contest MAYOR"),
        "{text}"
    );
    // allocate refuses; with --quarantine the council is counted and the mayor's seat is empty.
    let out = psephos(&package, &["allocate", "."]);
    assert_eq!(out.status.code(), Some(1));
    let out = psephos(&package, &["allocate", ".", "--quarantine", "--format", "json"]);
    let a = stdout_json(&out);
    assert_eq!(a["totals"]["seats"], 3);
    assert_eq!(a["totals"]["empty"], 1);
    assert!(a["ranked"]["MAYOR"]["error"].as_str().is_some_and(|e| e.contains("Karol")));
}

#[test]
fn definition_errors_are_all_reported() {
    let scratch = Scratch::new("ranked-definition");
    let package = scratch.0.join("pkg");
    copy_tree(&fixture(), &package);
    let toml = std::fs::read_to_string(package.join("election.toml")).expect("toml");
    let toml = toml
        .replace("method = \"irv\"", "method = \"irv\"\nquota = \"hare\"")
        .replace("tiebreak = \"lot\"", "tiebreak = \"coin\"")
        .replacen("provider = \"genericCsv\"", "provider = \"csv\"", 1)
        .replace("contest = \"MAYOR\"", "contest = \"MAYOR2\"");
    std::fs::write(package.join("election.toml"), toml).expect("write toml");
    let contests = std::fs::read_to_string(package.join("contests.csv")).expect("contests");
    std::fs::write(
        package.join("contests.csv"),
        contests.replace("MAYOR,Mayor,,1", "MAYOR,Mayor,,2"),
    )
    .expect("write contests");
    std::fs::write(
        package.join("stations.csv"),
        "id,centre,district,governorate,registered\nS1,C1,COUNCIL,,100\n",
    )
    .expect("write stations");
    let out = psephos(&package, &["validate", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "./contests.csv:2: E008 field=seats: contest MAYOR has 2 seats, but instant-runoff (irv) fills one",
        "./contests.csv:2: E008 field=system: contest MAYOR is counted from ranked ballots",
        "./election.toml:",
        "E002: system \"mayor\": quota belongs to stv and scottish-stv",
        "E002: system \"council\": tiebreak \"coin\": use order, lot, previous-round-then-lot",
        "E006 field=contest: [[cvr_sources]] names contest \"MAYOR2\", which is not in contests.csv",
        "E501 field=provider: unknown provider \"csv\"",
        "./stations.csv:2: E008 field=district: district COUNCIL is counted by stv from ranked ballots",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

fn boards() -> PathBuf {
    tests_dir().join("ranked/boards")
}

/// The school board's ballots (`boards/ballots/board.csv`) as a BLT file; `3=4` is an equal
/// preference, a rank the CSV marks for both Cleo and Dev.
const BOARD_BLT: &str = "5 3
12 1 2 0
6 2 1 0
4 3=4 5 0
2 3 4 0
3 4 3 0
3 5 4 0
2 1=5 0
0
\"Ana\"
\"Ben\"
\"Cleo\"
\"Dev\"
\"Eve\"
\"School board\"
";

/// The parks commission's ballots (`boards/ballots/parks.csv`) as a BLT file. The last ballot
/// has no single first preference, so the Irish count leaves it out of the valid papers.
const PARKS_BLT: &str = "5 3
10 1 2 3 0
4 2 1 0
5 3 4 0
3 4 5 3 0
3 5 2 0
1 1=4 0
0
\"Finn\"
\"Gail\"
\"Hugh\"
\"Ida\"
\"Joe\"
\"Parks commission\"
";

/// Replaces every candidate name in `v` (strings and object keys) by its id.
fn to_ids(v: &Value, ids: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => json!(ids.get(s).unwrap_or(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| to_ids(x, ids)).collect()),
        Value::Object(m) => Value::Object(
            m.iter().map(|(k, x)| (ids.get(k).unwrap_or(k).clone(), to_ids(x, ids))).collect(),
        ),
        other => other.clone(),
    }
}

/// The seats of `contest`: (candidate, round) in order, each with reason rcv.
fn seats_of(allocation: &Value, contest: &str) -> Vec<(String, u64)> {
    allocation["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter(|s| s["contest"] == contest)
        .map(|s| {
            assert_eq!(s["reason"], "rcv", "{s}");
            (s["candidate"].as_str().expect("id").to_owned(), s["round"].as_u64().expect("round"))
        })
        .collect()
}

#[test]
fn meek_and_irish_contests_match_psephos_rcv() {
    let scratch = Scratch::new("ranked-meek-irish");
    let package = boards();
    let ids = ids_by_label(&package);
    let a = stdout_json(&psephos(
        &scratch.0,
        &["allocate", &package.display().to_string(), "--format", "json"],
    ));

    // The school board: Meek, Droop's equal preferences, the lot from the package's tie seed.
    let blt = scratch.0.join("board.blt");
    std::fs::write(&blt, BOARD_BLT).expect("write blt");
    let rcv = stdout_json(&psephos(
        &scratch.0,
        &[
            "rcv",
            &blt.display().to_string(),
            "--method",
            "meek",
            "--tiebreak",
            "lot",
            "--seed",
            "boards-2025",
            "--format",
            "json",
        ],
    ));
    let board = &a["ranked"]["BOARD"];
    // The same count, action by action: every threshold, surplus, residual and vote.
    assert_eq!(board, &to_ids(&rcv, &ids));
    assert_eq!(board["elected"], json!(["B1", "B2", "B4"]));
    // Cleo and Eve tie at the first defeat; the lot defeats Eve (candidate order: Cleo).
    let tie = board["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|x| x["action"] == "tie broken")
        .expect("a tie");
    assert_eq!((&tie["candidate"], &tie["detail"]["tied"]), (&json!("B5"), &json!(["B3", "B5"])));
    assert_eq!(seats_of(&a, "BOARD"), [("B1".into(), 1), ("B2".into(), 2), ("B4".into(), 4)]);

    // The parks commission: the Irish rules, the lot from the system's own seed.
    let blt = scratch.0.join("parks.blt");
    std::fs::write(&blt, PARKS_BLT).expect("write blt");
    let rcv = stdout_json(&psephos(
        &scratch.0,
        &[
            "rcv",
            &blt.display().to_string(),
            "--method",
            "irish",
            "--tiebreak",
            "lot",
            "--seed",
            "boards-1",
            "--format",
            "json",
        ],
    ));
    let parks = &a["ranked"]["PARKS"];
    assert_eq!(parks, &to_ids(&rcv, &ids));
    // 24 valid papers of 25: the quota is 24 ÷ 4 + 1 = 7. Ida and Joe tie on 3; the lot
    // excludes Joe (candidate order would exclude Ida and elect Joe).
    assert_eq!(parks["quota"], "7");
    assert_eq!(parks["elected"], json!(["P1", "P2", "P3"]));
    assert_eq!(seats_of(&a, "PARKS"), [("P1".into(), 2), ("P2".into(), 4), ("P3".into(), 7)]);
    assert_eq!(a["totals"]["rcv"], 10);
    let table = psephos(&scratch.0, &["allocate", &package.display().to_string(), "--seats"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("rcv, stage 7"), "{text}");
}

#[test]
fn the_vegetables_by_hand() {
    // stv-rs's vegetables example (docs/internals/stv-variants.md §3.5): 45 ballots, Banana
    // and Fig withdrawn, 4 seats. Threshold 45 ÷ 5 + 10⁻⁹ = 9.000000001: Grape (13) is elected
    // in round 1 with a surplus of 3.999999999. Round 2: Grape's keep factor
    // ⌈9.000000001 ÷ 13⌉ = 0.692307693 passes 7 × 0.307692307 = 2.153846149 to Hazelnut
    // (8 → 10.153846149) and exhausts 6 × 0.307692307 = 1.846153842 (`6 fig grape`), so the
    // threshold is (45 − 1.846153842) ÷ 5 → 8.630769232, and Hazelnut and Jalapeno (9) are
    // elected. Apple and Date are defeated in rounds 3 and 4; Eggplant is elected in round 5.
    let scratch = Scratch::new("ranked-vegetables");
    let a = stdout_json(&psephos(
        &scratch.0,
        &["allocate", &boards().display().to_string(), "--format", "json"],
    ));
    let veg = &a["ranked"]["VEG"];
    assert_eq!(veg["withdrawn"], json!(["V2", "V6"]));
    assert_eq!(veg["ballots"], "45");
    let actions = veg["actions"].as_array().expect("actions");
    assert_eq!(actions[0]["threshold"], "9.000000001");
    let elect_hazelnut = actions
        .iter()
        .find(|x| x["action"] == "elected" && x["candidate"] == "V8")
        .expect("Hazelnut elected");
    assert_eq!(elect_hazelnut["round"], 2);
    assert_eq!(elect_hazelnut["threshold"], "8.630769232");
    assert_eq!(elect_hazelnut["residual"], "1.846153842");
    assert_eq!(elect_hazelnut["surplus"], "3.999999999");
    let votes: HashMap<&str, &str> = elect_hazelnut["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| (c["name"].as_str().expect("id"), c["votes"].as_str().expect("votes")))
        .collect();
    assert_eq!(votes["V7"], "9.000000009");
    assert_eq!(votes["V8"], "10.153846149");
    assert_eq!(veg["elected"], json!(["V7", "V8", "V9", "V5"]));
    assert_eq!(
        seats_of(&a, "VEG"),
        [("V7".into(), 1), ("V8".into(), 2), ("V9".into(), 2), ("V5".into(), 5)]
    );
    // And every action's threshold, votes, residual and surplus as stv-rs's transcript prints
    // them, when the conformance data is at hand.
    let root = std::env::var_os("PSEPHOS_CONFORMANCE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    let log = root.join("tabulation/stv_rs_meek/meek/vegetables.fixed9.log");
    let Ok(log) = std::fs::read_to_string(&log) else {
        eprintln!("vegetables: no stv-rs transcript at {}", log.display());
        return;
    };
    let mut blocks: Vec<[String; 4]> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in log.lines() {
        if line.starts_with("Action: ") {
            current.clear();
        }
        for key in ["Quota", "Votes", "Residual", "Surplus"] {
            if let Some(v) = line.strip_prefix(&format!("\t{key}: ")) {
                current.push(v.to_owned());
            }
        }
        if current.len() == 4 {
            blocks.push([0, 1, 2, 3].map(|k| current[k].clone()));
            current.clear();
        }
    }
    // Every action ends with the four lines (the header's Quota line is dropped at the first).
    let ours: Vec<[String; 4]> = actions
        .iter()
        .map(|x| {
            ["threshold", "votes", "residual", "surplus"]
                .map(|k| x[k].as_str().expect("value").to_owned())
        })
        .collect();
    assert_eq!(ours.len(), log.matches("Action: ").count());
    assert_eq!(blocks, ours);
}

#[test]
fn rules_that_do_not_apply_to_meek_or_irish_are_rejected_at_their_line() {
    let scratch = Scratch::new("ranked-meek-irish-rules");
    let package = scratch.0.join("pkg");
    copy_tree(&boards(), &package);
    let toml = std::fs::read_to_string(package.join("election.toml")).expect("toml");
    let start = toml.find("# stv-rs's vegetables").expect("systems");
    let end = toml.find("[[cvr_sources]]").expect("sources");
    let systems = "[systems.vegetables]
method = \"meek\"
quota = \"droop\"
decimal_places = 9
overvote_rule = \"always-skip-to-next-rank\"
irish_papers = \"last\"

[systems.board]
method = \"meek\"
equal_preferences = \"average\"
omega_exponent = 12
tiebreak = \"previous-round-then-lot\"
max_skipped_ranks = 2

[systems.parks]
method = \"irish\"
quota = \"hare\"
decimal_places = 2
force_positive_surplus = true
irish_papers = \"random\"
exhaust_on_duplicate = true
batch_elimination = true

";
    let toml = format!("{}{systems}{}", &toml[..start], &toml[end..]);
    let first = toml[..toml.find("[systems.vegetables]").expect("vegetables")].lines().count();
    std::fs::write(package.join("election.toml"), &toml).expect("write toml");
    let out = psephos(&package, &["validate", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    // (line within the systems above, message)
    for (line, expected) in [
        (3, "system \"vegetables\": meek has its own threshold"),
        (4, "system \"vegetables\": meek counts in fixed point with 9 decimals"),
        (
            5,
            "system \"vegetables\": overvote_rule is an RCTab rule for irv and stv; meek counts candidates at one rank as equal preferences",
        ),
        (6, "system \"vegetables\": irish_papers is a rule of method irish, not meek"),
        (10, "system \"board\": equal_preferences \"average\": use droop or equalize"),
        (11, "system \"board\": omega_exponent 12 must be from 1 to 9"),
        (
            12,
            "system \"board\": meek defeats the first of the tied in one order of all candidates; use order or lot",
        ),
        (13, "system \"board\": max_skipped_ranks is an RCTab rule for irv and stv"),
        (17, "system \"parks\": the Irish quota is fixed by law"),
        (18, "system \"parks\": irish moves whole papers"),
        (19, "system \"parks\": force_positive_surplus is a rule of method meek, not irish"),
        (20, "system \"parks\": irish_papers \"random\": use last, first or fraction"),
        (
            21,
            "system \"parks\": exhaust_on_duplicate is an RCTab rule for irv and stv; irish ends a ballot at equal preferences",
        ),
        (22, "system \"parks\": batch_elimination applies to irv only"),
    ] {
        let expected = format!("./election.toml:{}: E002: {expected}", first + line);
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert_eq!(text.matches("E002").count(), 14, "{text}");
    // And a meek rule in a system that is not ranked.
    let toml = toml.replace(
        "[systems.vegetables]\nmethod = \"meek\"",
        "[systems.other]\nmethod = \"sntv\"\nomega_exponent = 6\n\n[systems.vegetables]\nmethod = \"meek\"",
    );
    std::fs::write(package.join("election.toml"), &toml).expect("write toml");
    let text = String::from_utf8_lossy(&psephos(&package, &["validate", "."]).stdout).into_owned();
    assert!(
        text.contains(&format!(
            "./election.toml:{}: E002: system \"other\": quota, decimal_places",
            first + 3
        )),
        "{text}"
    );
}
