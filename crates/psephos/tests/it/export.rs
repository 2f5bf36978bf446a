//! `psephos export --format nist-err`: the NIST SP 1500-100 v2 Election Results Reporting JSON.
//!
//! Every export is checked against the schema in `$PSEPHOS_CONFORMANCE/transparency/nist-cdf/`
//! (draft 4, with formats), for referential integrity (every `*Id`/`*Ids` names an object of a
//! type its `refTypes` allows), against psephos's own tabulation and allocation, and for
//! determinism (byte-identical twice, whatever the thread count).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Scratch, psephos, tests_dir};

fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}; set PSEPHOS_CONFORMANCE", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema() -> Value {
    read_json(
        &conformance_dir().join("transparency/nist-cdf/NIST_V2_election_results_reporting.json"),
    )
}

/// The schema's errors for `instance` (draft 4, formats checked), at most ten, with their paths.
fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .take(10)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the ERR schema compiles as draft 4")
}

/// Referential integrity, driven by the schema: every property whose schema has `refTypes`
/// (or whose items have) must name an `@id` of one of those types; every `@id` is unique; and
/// every property named `...Id` or `...Ids` but `VendorApplicationId` has `refTypes`, so none
/// goes unchecked.
fn reference_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut errors = Vec::new();
    collect_ids(instance, &mut ids, &mut errors);
    check_refs(schema, instance, &ids, "", &mut errors);
    errors.truncate(10);
    errors
}

fn collect_ids(v: &Value, ids: &mut HashMap<String, String>, errors: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(id)), Some(Value::String(t))) =
                (o.get("@id"), o.get("@type"))
                && ids.insert(id.clone(), t.clone()).is_some()
            {
                errors.push(format!("@id {id:?} is used twice"));
            }
            o.values().for_each(|x| collect_ids(x, ids, errors));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_ids(x, ids, errors)),
        _ => {}
    }
}

fn check_refs(
    schema: &Value,
    v: &Value,
    ids: &HashMap<String, String>,
    path: &str,
    errors: &mut Vec<String>,
) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(t)) = o.get("@type") {
                let props = &schema["definitions"][t]["properties"];
                assert!(props.is_object(), "{path}: unknown @type {t}");
                for (k, x) in o {
                    let prop = &props[k];
                    let (types, values): (&Value, Vec<&Value>) = match x {
                        Value::Array(a) => (&prop["items"]["refTypes"], a.iter().collect()),
                        _ => (&prop["refTypes"], vec![x]),
                    };
                    // VendorApplicationId is the one `...Id` that names no object.
                    let reference = k.ends_with("Id") || k.ends_with("Ids");
                    if reference && k != "VendorApplicationId" && !types.is_array() {
                        errors.push(format!("{path}/{k}: no refTypes in the schema"));
                    }
                    if let Some(types) = types.as_array() {
                        for value in values {
                            let id = value.as_str().unwrap_or_default();
                            match ids.get(id) {
                                None => errors.push(format!("{path}/{k}: {id:?} names nothing")),
                                Some(t) if !types.iter().any(|x| x == t.as_str()) => errors.push(
                                    format!("{path}/{k}: {id:?} is a {t}, not one of {types:?}"),
                                ),
                                Some(_) => {}
                            }
                        }
                    }
                }
            }
            for (k, x) in o {
                check_refs(schema, x, ids, &format!("{path}/{k}"), errors);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_refs(schema, x, ids, &format!("{path}/{i}"), errors);
            }
        }
        _ => {}
    }
}

/// Runs `psephos export` and returns the report's bytes.
fn export(cwd: &Path, package: &Path, extra: &[&str]) -> Vec<u8> {
    let out = cwd.join(format!("export-{}.json", extra.join("_").replace(['/', ' '], "-")));
    let mut args = vec!["--quiet", "export", package.to_str().unwrap(), "--format", "nist-err"];
    args.extend_from_slice(&["--generated-date", "2025-11-11T21:30:00+03:00"]);
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let run = psephos(cwd, &args);
    assert!(
        run.status.success(),
        "export of {} failed: {}{}",
        package.display(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(&out).expect("read the export")
}

fn json_of(cwd: &Path, args: &[&str]) -> Value {
    let out = psephos(cwd, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Every `(GpUnitId, Type) -> Count` of a selection's VoteCounts.
fn counts(selection: &Value) -> Vec<(&str, &str, u64, Option<&str>)> {
    selection["VoteCounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["GpUnitId"].as_str().unwrap(),
                c["Type"].as_str().unwrap(),
                c["Count"].as_u64().unwrap(),
                c["DeviceClass"]["Type"].as_str(),
            )
        })
        .collect()
}

fn external(unit: &Value, other_type: &str) -> String {
    unit["ExternalIdentifier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["OtherType"] == other_type)
        .and_then(|x| x["Value"].as_str())
        .unwrap_or_else(|| panic!("{} has no {other_type}", unit["@id"]))
        .to_owned()
}

/// Checks the report against psephos's own tabulation and allocation of the same package, and
/// each station's total against the form its devices say the phase policy picks.
/// `options` are the export's `--phase` and `--quarantine`, passed on to tabulate and allocate.
fn check_round_trip(cwd: &Path, package: &Path, report: &Value, options: &[&str]) {
    let mut args = vec!["--quiet", "tabulate", package.to_str().unwrap(), "--format", "json"];
    let mut alloc = vec!["--quiet", "allocate", package.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(options);
    alloc.extend_from_slice(options);
    let tab = json_of(cwd, &args);
    let allocation = json_of(cwd, &alloc);
    let precedence: Vec<&str> = tab["phase_policy"].as_str().unwrap().split(" > ").collect();

    let units: HashMap<&str, &Value> = report["GpUnit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["@id"].as_str().unwrap(), u))
        .collect();
    let is_station = |id: &str| units.get(id).is_some_and(|u| u["OtherType"] == "polling-station");
    // The form the policy picks for each station and ballot, from the devices' identifiers.
    let mut picked: HashMap<(&str, String), (usize, u64, &str)> = HashMap::new();
    for u in units.values().filter(|u| u["OtherType"] == "polling-station") {
        for dev in u["ComposingGpUnitIds"].as_array().into_iter().flatten() {
            let dev_id = dev.as_str().unwrap();
            let device = units[dev_id];
            assert_eq!(device["@type"], "ElectionResults.ReportingDevice");
            let phase = external(device, "psephos-phase");
            let rank = precedence
                .iter()
                .position(|p| *p == phase)
                .unwrap_or_else(|| panic!("{dev_id}: phase {phase} is not in the policy"));
            let class = device["DeviceClass"]["Type"].as_str().unwrap();
            assert_eq!(class == "opscan-precinct", phase == "electronic", "{dev_id}: {class}");
            let version: u64 = external(device, "psephos-version").parse().unwrap();
            let ballot = external(device, "psephos-ballot");
            let key = (u["@id"].as_str().unwrap(), ballot);
            let better = picked.get(&key).is_none_or(|&(r, v, _)| {
                (rank, std::cmp::Reverse(version)) < (r, std::cmp::Reverse(v))
            });
            if better {
                picked.insert(key, (rank, version, dev_id));
            }
        }
    }
    // Held-back stations (their preferred form quarantined) have no total: nothing to compare.
    let completed = |station: &str| units[station]["CountStatus"][0]["Status"] == "completed";
    let picked_devices: HashMap<&str, &str> =
        picked.iter().filter(|(k, _)| completed(k.0)).map(|(k, &(_, _, dev))| (dev, k.0)).collect();

    let election = &report["Election"][0];
    let mut selections: HashMap<String, &Value> = HashMap::new();
    let mut area_of: HashMap<String, &str> = HashMap::new();
    for contest in election["Contest"].as_array().unwrap() {
        for s in contest["ContestSelection"].as_array().unwrap() {
            let row = s["@id"].as_str().unwrap().strip_prefix("selection:").map(str::to_owned);
            if let Some(row) = row {
                area_of.insert(row.clone(), contest["ElectionDistrictId"].as_str().unwrap());
                selections.insert(row, s);
            }
        }
    }
    let mut checked = 0;
    for cand in tab["candidates"].as_array().unwrap() {
        let id = cand["candidate"].as_str().unwrap();
        let votes = cand["votes"].as_u64().unwrap();
        let sel = selections.get(id).unwrap_or_else(|| panic!("no selection for {id}"));
        let c = counts(sel);
        let station_totals: u64 =
            c.iter().filter(|x| x.1 == "total" && is_station(x.0)).map(|x| x.2).sum();
        assert_eq!(station_totals, votes, "{id}: the stations' totals add up to the tabulation");
        let area = area_of[id];
        let area_total: Vec<u64> =
            c.iter().filter(|x| x.1 == "total" && x.0 == area).map(|x| x.2).collect();
        if votes > 0 {
            assert_eq!(area_total, [votes], "{id}: the contest total is the tabulation");
        }
        // Each station total is the count of the form the policy picks, from its device.
        let station_total: HashMap<&str, u64> =
            c.iter().filter(|x| x.1 == "total" && is_station(x.0)).map(|x| (x.0, x.2)).collect();
        for x in c.iter().filter(|x| x.1 == "election-day") {
            assert!(x.3.is_some(), "{id}: a form's count carries its DeviceClass");
            if let Some(station) = picked_devices.get(x.0) {
                assert_eq!(station_total.get(station), Some(&x.2), "{id} at {}", x.0);
                checked += 1;
            }
        }
    }
    assert!(checked > 0 || tab["nation"]["stations_reporting"] == 0);

    // Ballots, registered voters and progress of the nation.
    let nation = units["nation"];
    assert_eq!(nation["VotersRegistered"], tab["nation"]["registered"]);
    assert_eq!(nation["TotalSubUnits"], tab["nation"]["stations_expected"]);
    assert_eq!(nation["SubUnitsReported"], tab["nation"]["stations_reporting"]);
    let nation_ballots = election["BallotCounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["GpUnitId"] == "nation" && b["Type"] == "total");
    if let Some(b) = nation_ballots {
        assert_eq!(b["BallotsCast"], tab["nation"]["ballots_found"]);
        assert_eq!(b["BallotsRejected"], tab["nation"]["invalid"]);
    }

    // Seats: per candidate as allocate lists them; per list as its `lists` say.
    let mut won: BTreeMap<&str, u64> = BTreeMap::new();
    for seat in allocation["seats"].as_array().unwrap() {
        *won.entry(seat["candidate"].as_str().unwrap()).or_default() += 1;
    }
    let mut reported: BTreeMap<&str, u64> = BTreeMap::new();
    for cand in election["Candidate"].as_array().unwrap() {
        let id = cand["@id"].as_str().unwrap().strip_prefix("candidate:").unwrap();
        let seats: u64 =
            counts(selections[id]).iter().filter(|x| x.1 == "seats").map(|x| x.2).sum();
        if seats > 0 {
            reported.insert(id, seats);
            let status =
                if report["Status"] == "certified" { "winner" } else { "projected-winner" };
            assert_eq!(cand["PostElectionStatus"], status);
        } else {
            assert!(cand.get("PostElectionStatus").is_none());
        }
    }
    assert_eq!(reported, won, "seats per candidate");
    for list in allocation["lists"].as_array().into_iter().flatten() {
        let Some(party) = list["party"].as_str() else { continue };
        let contest = election["Contest"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["@id"] == format!("contest:{}", list["contest"].as_str().unwrap()))
            .unwrap();
        let seats: u64 = contest["ContestSelection"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["PartyIds"].as_array().is_some_and(|p| p[0] == format!("party:{party}")))
            .flat_map(|s| counts(s).into_iter().filter(|x| x.1 == "seats").map(|x| x.2))
            .sum();
        let expected = list["seats"].as_u64().unwrap() + list["leveling"].as_u64().unwrap();
        assert_eq!(seats, expected, "seats of list {party} in {}", list["contest"]);
    }
}

/// Exports `package`, validates it and checks it every way; returns the report.
fn check_package(
    scratch: &Path,
    package: &Path,
    validator: &jsonschema::Validator,
    schema: &Value,
) -> Value {
    let bytes = export(scratch, package, &[]);
    let report: Value = serde_json::from_slice(&bytes).expect("the export is JSON");
    let errors = schema_errors(validator, &report);
    assert!(errors.is_empty(), "{}: {errors:#?}", package.display());
    let refs = reference_errors(schema, &report);
    assert!(refs.is_empty(), "{}: {refs:#?}", package.display());
    check_round_trip(scratch, package, &report, &[]);
    // Determinism: the same bytes again, and on one thread.
    assert_eq!(
        export(scratch, package, &[]),
        bytes,
        "{}: a second export differs",
        package.display()
    );
    let single = std::process::Command::new(env!("CARGO_BIN_EXE_psephos"))
        .env("RAYON_NUM_THREADS", "1")
        .args(["--quiet", "export", package.to_str().unwrap(), "--generated-date"])
        .arg("2025-11-11T21:30:00+03:00")
        .output()
        .expect("run psephos");
    assert!(single.status.success());
    assert!(single.stdout == bytes, "{}: one thread gives other bytes", package.display());
    report
}

#[test]
fn the_research_example_validates() {
    let schema = schema();
    let validator = validator(&schema);
    let example = read_json(
        &conformance_dir().join("transparency/examples/err_v2_polling_station_minimal.json"),
    );
    let errors = schema_errors(&validator, &example);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(reference_errors(&schema, &example), Vec::<String>::new());
}

#[test]
fn fixture_packages_export_valid_reports() {
    let schema = schema();
    let validator = validator(&schema);
    let scratch = Scratch::new("export-fixtures");
    let t = tests_dir();
    for package in [
        "sntv/phase-precedence",
        "sntv/reserved-seats",
        "listpr/iraq-2018-open-lists",
        "listpr/norway-leveling",
        "listpr/threshold-alternatives",
        "listpr/surplus-agreement",
        "ranked/boards",
        "audit/two-districts",
    ] {
        let report = check_package(&scratch.0, &t.join(package), &validator, &schema);
        assert_eq!(report["Format"], "precinct-level");
        assert_eq!(report["GeneratedDate"], "2025-11-11T21:30:00+03:00");
    }

    // The phase-precedence package: four forms of S1 (electronic, recount, corrections 1 and
    // 2), one of S2; the second correction counts.
    let package = t.join("sntv/phase-precedence");
    let report: Value = serde_json::from_slice(&export(&scratch.0, &package, &[])).unwrap();
    let s1 =
        report["GpUnit"].as_array().unwrap().iter().find(|u| u["@id"] == "station:S1").unwrap();
    assert_eq!(
        s1["ComposingGpUnitIds"],
        serde_json::json!([
            "form:S1:electronic:1",
            "form:S1:recount:1",
            "form:S1:correction:1",
            "form:S1:correction:2"
        ])
    );
    assert_eq!(report["Status"], "unofficial-complete");
    assert_eq!(report["SequenceStart"], 0);
    assert_eq!(report["SequenceEnd"], 5);

    // Options reach the report; --phase electronic publishes the electronic forms only.
    let bytes = export(
        &scratch.0,
        &package,
        &[
            "--status",
            "certified",
            "--sequence",
            "17..42",
            "--phase",
            "electronic",
            "--test",
            "rehearsal",
        ],
    );
    let report: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(schema_errors(&validator, &report).is_empty());
    assert_eq!(report["Status"], "certified");
    assert_eq!(
        (report["SequenceStart"].as_u64(), report["SequenceEnd"].as_u64()),
        (Some(17), Some(42))
    );
    assert_eq!(
        (report["IsTest"].as_bool(), report["TestType"].as_str()),
        (Some(true), Some("rehearsal"))
    );
    let devices: Vec<&str> = report["GpUnit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["@type"] == "ElectionResults.ReportingDevice")
        .map(|u| u["@id"].as_str().unwrap())
        .collect();
    assert_eq!(devices, ["form:S1:electronic:1", "form:S2:electronic:1"]);
    check_round_trip(&scratch.0, &package, &report, &["--phase", "electronic"]);
    let winners: Vec<&Value> = report["Election"][0]["Candidate"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("PostElectionStatus").is_some())
        .collect();
    assert!(winners.iter().all(|c| c["PostElectionStatus"] == "winner"));

    // A faulty recount of S2 holds S2 back: the export stops, or with --quarantine leaves the
    // recount out, reports S2 in process and the whole as partial.
    let held = scratch.0.join("held");
    crate::support::copy_tree(&package, &held);
    let recount = held.join("results/recount.csv");
    let mut text = std::fs::read_to_string(&recount).unwrap();
    text.push_str("S2,D1,recount,1,40,0,0,20,10,11\n");
    std::fs::write(&recount, text).unwrap();
    let refused = psephos(&scratch.0, &["--quiet", "export", held.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("E401"));
    let report: Value =
        serde_json::from_slice(&export(&scratch.0, &held, &["--quarantine"])).unwrap();
    assert!(schema_errors(&validator, &report).is_empty());
    assert!(reference_errors(&schema, &report).is_empty());
    assert_eq!(report["Status"], "unofficial-partial");
    let s2 =
        report["GpUnit"].as_array().unwrap().iter().find(|u| u["@id"] == "station:S2").unwrap();
    assert_eq!(s2["CountStatus"][0]["Status"], "in-process");
    assert_eq!(s2["ComposingGpUnitIds"], serde_json::json!(["form:S2:electronic:1"]));
    assert!(s2.get("VotersParticipated").is_none());
    check_round_trip(&scratch.0, &held, &report, &["--quarantine"]);

    // Bad options are usage errors.
    for bad in [
        ["--generated-date", "yesterday"],
        ["--sequence", "9..3"],
        ["--status", "final"],
        ["--language", "not a tag"],
    ] {
        let mut args = vec!["--quiet", "export", package.to_str().unwrap()];
        args.extend_from_slice(&bad);
        assert_eq!(psephos(&scratch.0, &args).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn a_small_iraq_demo_exports_a_valid_report() {
    let schema = schema();
    let validator = validator(&schema);
    let scratch = Scratch::new("export-demo");
    let dir = scratch.0.join("demo");
    let out = psephos(
        &scratch.0,
        &[
            "--quiet",
            "demo",
            "--out",
            dir.to_str().unwrap(),
            "--stations",
            "1500",
            "--candidates",
            "350",
        ],
    );
    assert!(out.status.success(), "demo: {}", String::from_utf8_lossy(&out.stderr));
    let package = dir.join("package");
    let report = check_package(&scratch.0, &package, &validator, &schema);
    // The demo has hand counts and recounts beside the scanners' counts.
    let classes: HashMap<&str, usize> = report["GpUnit"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["DeviceClass"]["Type"].as_str())
        .fold(HashMap::new(), |mut m, c| {
            *m.entry(c).or_default() += 1;
            m
        });
    assert_eq!(classes.get("opscan-precinct"), Some(&1500));
    assert!(classes.get("manual-count").is_some_and(|&n| n > 0), "{classes:?}");
    // Electronic forms only: totals as tabulate --phase electronic has them.
    let bytes = export(&scratch.0, &package, &["--phase", "electronic"]);
    let electronic: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(schema_errors(&validator, &electronic).is_empty());
    check_round_trip(&scratch.0, &package, &electronic, &["--phase", "electronic"]);
}

#[test]
fn mutated_reports_fail_validation() {
    let schema = schema();
    let validator = validator(&schema);
    let scratch = Scratch::new("export-mutations");
    let package = tests_dir().join("listpr/iraq-2018-open-lists");
    let report: Value = serde_json::from_slice(&export(&scratch.0, &package, &[])).unwrap();
    assert!(schema_errors(&validator, &report).is_empty());
    assert!(reference_errors(&schema, &report).is_empty());

    const SELECTION: &str = "/Election/0/Contest/0/ContestSelection/1";
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "an unknown property",
            Box::new(|v| {
                v.pointer_mut(&format!("{SELECTION}/VoteCounts/0")).unwrap()["Verified"] =
                    true.into();
            }),
        ),
        ("a status outside the enum", Box::new(|v| v["Status"] = "final".into())),
        (
            "a device class outside the enum",
            Box::new(|v| {
                v.pointer_mut(&format!("{SELECTION}/VoteCounts/0/DeviceClass")).unwrap()["Type"] =
                    "scanner".into();
            }),
        ),
        ("a plain-string Name", Box::new(|v| v["GpUnit"][0]["Name"] = "Iraq".into())),
        (
            "a count as text",
            Box::new(|v| {
                v.pointer_mut(&format!("{SELECTION}/VoteCounts/0")).unwrap()["Count"] = "12".into();
            }),
        ),
        (
            "a missing required Issuer",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("Issuer");
            }),
        ),
        ("a malformed GeneratedDate", Box::new(|v| v["GeneratedDate"] = "11/11/2025".into())),
    ];
    for (what, mutate) in &mutations {
        let mut bad = report.clone();
        mutate(&mut bad);
        assert!(!schema_errors(&validator, &bad).is_empty(), "{what} passed the schema");
    }

    // Dangling and mistyped references pass the schema but not the integrity check.
    let mut bad = report.clone();
    bad.pointer_mut(&format!("{SELECTION}/VoteCounts/0")).unwrap()["GpUnitId"] =
        "station:none".into();
    assert!(schema_errors(&validator, &bad).is_empty());
    assert!(!reference_errors(&schema, &bad).is_empty(), "a dangling GpUnitId");
    let mut bad = report.clone();
    bad["Election"][0]["ElectionScopeId"] = bad["Party"][0]["@id"].clone();
    assert!(!reference_errors(&schema, &bad).is_empty(), "an ElectionScopeId naming a party");
}
