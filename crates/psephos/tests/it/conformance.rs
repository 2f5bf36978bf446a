//! Conformance against the published Iraq 2021 figures in `$PSEPHOS_CONFORMANCE/iraq/`
//! (default `../shared/conformance`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::support::{Scratch, psephos};

fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect()
}

#[test]
fn iraq_2021_structure_matches_published_figures() {
    let dir = conformance_dir().join("iraq");
    let districts = std::fs::read_to_string(dir.join("iq_2021_districts_by_governorate.csv"))
        .unwrap_or_else(|e| {
            panic!("{}: {e}; set PSEPHOS_CONFORMANCE to the conformance data", dir.display())
        });
    let scratch = Scratch::new("conformance-iraq");
    let pkg = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "iraq-2021", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    let contests = rows(&std::fs::read_to_string(pkg.join("contests.csv")).unwrap());
    // Per governorate: (districts, general seats, minority seats) from the template.
    let mut ours: HashMap<String, (u32, u32, u32)> = HashMap::new();
    for c in &contests {
        let e = ours.entry(c[2].clone()).or_default();
        let seats: u32 = c[3].parse().unwrap();
        if c[4] == "district" {
            e.0 += 1;
            e.1 += seats;
            assert!(
                (3..=5).contains(&seats),
                "district {} has {seats} seats; the law says 3 to 5",
                c[0]
            );
        } else {
            e.2 += seats;
        }
    }
    let mut checks = 0;
    let mut failures = Vec::new();
    for r in rows(&districts) {
        let name = r[0].split(" (").next().unwrap().to_owned();
        let published: (u32, u32, u32) =
            (r[1].parse().unwrap(), r[3].parse().unwrap(), r[4].parse().unwrap());
        checks += 1;
        if ours.get(&name) != Some(&published) {
            failures
                .push(format!("{name}: published {published:?}, template {:?}", ours.get(&name)));
        }
    }
    let seats_by_bloc =
        std::fs::read_to_string(dir.join("iq_2021_final_seats_by_bloc.csv")).unwrap();
    let published_total: u32 =
        rows(&seats_by_bloc).iter().map(|r| r[1].parse::<u32>().unwrap()).sum();
    let template_total: u32 = contests.iter().map(|c| c[3].parse::<u32>().unwrap()).sum();
    checks += 1;
    if published_total != template_total {
        failures
            .push(format!("total seats: published {published_total}, template {template_total}"));
    }
    eprintln!("iraq conformance: {} of {checks} checks pass", checks - failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Spain, Congreso, November 2019, through a whole package: `init --template spain`, every
/// candidacy of every province as a list (its votes as list votes, blank ballots on the form),
/// then `psephos allocate`; every province's seats against the official ones.
#[test]
fn spain_2019_through_a_package() {
    let text = std::fs::read_to_string(
        conformance_dir()
            .join("tabulation/spain_congress/spain_congress_1982_2019_by_province.csv"),
    )
    .expect("spain data");
    let scratch = Scratch::new("spain-2019");
    let pkg = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "spain", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    // code -> (valid, blank, [(candidacy id, votes, official seats)])
    type Candidacies = Vec<(String, u64, u64)>;
    let mut provinces: std::collections::BTreeMap<String, (u64, u64, Candidacies)> =
        Default::default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        if &row[0] != "02-2019-11-10" {
            continue;
        }
        let p = provinces.entry(row[2].to_owned()).or_insert((
            row[4].parse().unwrap(),
            row[5].parse().unwrap(),
            Vec::new(),
        ));
        p.2.push((row[7].to_owned(), row[10].parse().unwrap(), row[11].parse().unwrap()));
    }
    let mut parties = String::from("id,name,coalition\n");
    let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
    let mut stations = String::from("id,centre,district,governorate,registered\n");
    let mut seen_party = std::collections::BTreeSet::new();
    std::fs::create_dir_all(pkg.join("results")).unwrap();
    for (code, (valid, blank, lists)) in &provinces {
        let contest = format!("ES-{code}");
        let mut header = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        let mut row = String::new();
        let party_votes: u64 = lists.iter().map(|l| l.1).sum();
        // Valid votes not in the candidacy rows count as blank: the threshold's base is the
        // province's valid votes.
        let blank_all = valid - party_votes;
        assert!(blank_all >= *blank);
        for (id, votes, _) in lists {
            let party = format!("P{id}");
            if seen_party.insert(party.clone()) {
                parties.push_str(&format!("{party},Candidacy {id},\n"));
            }
            candidates
                .push_str(&format!("{contest}-{party}-L,List {id},,{party},{contest},,list\n"));
            header.push_str(&format!(",{contest}-{party}-L"));
            row.push_str(&format!(",{votes}"));
            for k in 1..=40 {
                let cand = format!("{contest}-{party}-{k}");
                candidates.push_str(&format!("{cand},Candidate {k},M,{party},{contest},,\n"));
                header.push_str(&format!(",{cand}"));
                row.push_str(",0");
            }
        }
        stations.push_str(&format!("S{code},C{code},{contest},,{}\n", valid * 2));
        std::fs::write(
            pkg.join(format!("results/{contest}.csv")),
            format!("{header}\nS{code},{contest},electronic,1,{valid},{blank_all},0{row}\n"),
        )
        .unwrap();
    }
    std::fs::write(pkg.join("parties.csv"), parties).unwrap();
    std::fs::write(pkg.join("candidates.csv"), candidates).unwrap();
    std::fs::write(pkg.join("stations.csv"), stations).unwrap();
    let out =
        psephos(&scratch.0, &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut won: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for l in v["lists"].as_array().unwrap() {
        won.insert(
            (l["contest"].as_str().unwrap().to_owned(), l["list"].as_str().unwrap().to_owned()),
            l["seats"].as_u64().unwrap(),
        );
    }
    let mut checks = 0;
    let mut failures = Vec::new();
    for (code, (_, _, lists)) in &provinces {
        checks += 1;
        let contest = format!("ES-{code}");
        let bad: Vec<String> = lists
            .iter()
            .filter(|(id, _, official)| {
                won.get(&(contest.clone(), format!("P{id}"))).copied().unwrap_or(0) != *official
            })
            .map(|(id, _, official)| format!("{id}: official {official}"))
            .collect();
        if !bad.is_empty() {
            failures.push(format!("{contest}: {}", bad.join(", ")));
        }
    }
    eprintln!(
        "spain 2019 through a package: {} of {checks} provinces match",
        checks - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Norway, Storting 2009–2025, through whole packages: `init --template norway`, the year's
/// counties and district seats in contests.csv, every party's county votes as list votes, then
/// `psephos allocate`; every party's district and leveling seats in every county against the
/// official ones.
#[test]
fn norway_2009_2025_through_packages() {
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for year in [2009, 2013, 2017, 2021, 2025] {
        let text = std::fs::read_to_string(
            conformance_dir().join(format!("tabulation/norway_storting/PE/{year}.csv")),
        )
        .expect("norway data");
        // county code -> (name, [(party, votes, district seats, leveling seats)])
        type Lists = Vec<(String, u64, u64, u64)>;
        let mut counties: std::collections::BTreeMap<String, (String, Lists)> = Default::default();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(';').collect();
            let (seats, leveling): (u64, u64) = (f[15].parse().unwrap(), f[16].parse().unwrap());
            counties
                .entry(f[0].to_owned())
                .or_insert_with(|| (f[1].to_owned(), Vec::new()))
                .1
                .push((f[6].to_owned(), f[12].parse().unwrap(), seats - leveling, leveling));
        }
        let scratch = Scratch::new(&format!("norway-{year}"));
        let pkg = scratch.0.join("pkg");
        let out = psephos(&scratch.0, &["init", "--template", "norway", pkg.to_str().unwrap()]);
        assert!(out.status.success());
        let mut contests = String::from("id,name,governorate,seats,system\n");
        let mut parties = String::from("id,name,coalition\n");
        let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
        let mut stations = String::from("id,centre,district,governorate,registered\n");
        let mut seen_party = std::collections::BTreeSet::new();
        std::fs::create_dir_all(pkg.join("results")).unwrap();
        for (code, (name, lists)) in &counties {
            let contest = format!("NO-{code}");
            let seats: u64 = lists.iter().map(|l| l.2).sum();
            contests.push_str(&format!("{contest},{name},,{seats},county\n"));
            let mut header =
                String::from("station,contest,phase,version,ballots_found,blank,invalid");
            let mut row = String::new();
            let valid: u64 = lists.iter().map(|l| l.1).sum();
            for (party, votes, _, _) in lists {
                if seen_party.insert(party.clone()) {
                    parties.push_str(&format!("{party},Party {party},\n"));
                }
                candidates.push_str(&format!(
                    "{contest}-{party}-L,List {party},,{party},{contest},,list\n"
                ));
                header.push_str(&format!(",{contest}-{party}-L"));
                row.push_str(&format!(",{votes}"));
                for k in 1..=(seats as usize + 1) {
                    let cand = format!("{contest}-{party}-{k}");
                    candidates.push_str(&format!("{cand},Candidate {k},F,{party},{contest},,\n"));
                    header.push_str(&format!(",{cand}"));
                    row.push_str(",0");
                }
            }
            stations.push_str(&format!("S{code},C{code},{contest},,{}\n", valid * 2));
            std::fs::write(
                pkg.join(format!("results/{contest}.csv")),
                format!("{header}\nS{code},{contest},electronic,1,{valid},0,0{row}\n"),
            )
            .unwrap();
        }
        for (file, text) in [
            ("contests.csv", contests),
            ("parties.csv", parties),
            ("candidates.csv", candidates),
            ("stations.csv", stations),
        ] {
            std::fs::write(pkg.join(file), text).unwrap();
        }
        let out = psephos(
            &scratch.0,
            &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut won: std::collections::BTreeMap<(String, String), (u64, u64)> = Default::default();
        for l in v["lists"].as_array().unwrap() {
            won.insert(
                (l["contest"].as_str().unwrap().to_owned(), l["list"].as_str().unwrap().to_owned()),
                (l["seats"].as_u64().unwrap(), l["leveling"].as_u64().unwrap()),
            );
        }
        let leveling_seats = v["totals"]["leveling"].as_u64().unwrap();
        let mut matching = 0;
        for (code, (_, lists)) in &counties {
            let contest = format!("NO-{code}");
            let bad: Vec<String> = lists
                .iter()
                .filter(|(party, _, district, leveling)| {
                    won.get(&(contest.clone(), party.clone())).copied().unwrap_or((0, 0))
                        != (*district, *leveling)
                })
                .map(|(party, _, district, leveling)| {
                    format!("{party}: official {district}+{leveling}")
                })
                .collect();
            if bad.is_empty() {
                matching += 1;
            } else {
                failures.push(format!("{year} {contest}: {}", bad.join(", ")));
            }
        }
        lines.push(format!(
            "{year}: {matching} of {} counties match (district and leveling seats), {leveling_seats} leveling seats filled",
            counties.len()
        ));
        assert_eq!(leveling_seats, 19, "{year}");
    }
    eprintln!("norway through packages:\n{}", lines.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// US House 2020 through a package: `init --template us-house` writes each state's districts
/// from the official seat counts; `validate` apportions 435 seats by Huntington-Hill on the
/// populations and must find every state's districts equal to its seats. The reported
/// apportionment is compared with the official table as well.
#[test]
fn us_house_2020_through_a_package() {
    let text = std::fs::read_to_string(
        conformance_dir().join("tabulation/us_house_2020/us_house_2020_apportionment.csv"),
    )
    .expect("us house data");
    let official: HashMap<String, u64> =
        rows(&text).into_iter().map(|r| (r[0].clone(), r[2].parse().unwrap())).collect();
    let scratch = Scratch::new("us-house");
    let pkg = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "us-house", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    let out = psephos(&scratch.0, &["validate", pkg.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<&serde_json::Value> =
        v["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    let units = v["apportionment"]["units"].as_array().unwrap();
    let matching = units
        .iter()
        .filter(|u| official.get(u["unit"].as_str().unwrap()) == u["seats"].as_u64().as_ref())
        .count();
    eprintln!("us house 2020 through a package: {matching} of {} states match", official.len());
    assert_eq!(matching, 50);
    assert_eq!(units.len(), 50);
}
