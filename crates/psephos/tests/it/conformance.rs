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

/// New Zealand 2014 through a package: 71 electorates (plurality) and the nationwide party vote
/// on a ballot paper of its own; 120 seats by Sainte-Laguë among parties with 5 % of the party
/// vote or an electorate; overhang kept. Party votes (Electoral Commission, as in votelib's
/// tests) are recorded on the first station's party-vote form.
#[test]
fn new_zealand_2014_through_a_package() {
    let text = std::fs::read_to_string(
        conformance_dir().join("tabulation/votelib_real/nz_leg_2014_electorate.csv"),
    )
    .expect("nz data");
    let party_vote: [(&str, u64); 15] = [
        ("ACT New Zealand", 16689),
        ("Aotearoa Legalise Cannabis Party", 10961),
        ("Ban1080", 5113),
        ("Conservative", 95598),
        ("Democrats for Social Credit", 1730),
        ("Focus New Zealand", 639),
        ("Green Party", 257359),
        ("Internet MANA", 34094),
        ("Labour Party", 604535),
        ("Māori Party", 31849),
        ("National Party", 1131501),
        ("New Zealand First Party", 208300),
        ("NZ Independent Coalition", 872),
        ("The Civilian Party", 1096),
        ("United Future", 5286),
    ];
    let id = |name: &str| format!("P{}", party_vote.iter().position(|p| p.0 == name).unwrap());
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(';').skip(1).collect();
    let scratch = Scratch::new("nz-2014");
    let pkg = scratch.0.join("pkg");
    std::fs::create_dir_all(pkg.join("results")).unwrap();
    std::fs::write(
        pkg.join("election.toml"),
        r#"[election]
id = "nz-2014"
name = "New Zealand House of Representatives, 2014"
date = "2014-09-20"
country = "NZ"

[ties]
method = "lot"
seed = "nz-2014"

[systems.electorate]
method = "sntv"

[systems.party]
method = "list-pr"
formula = "sainte-lague"
electorate = "nationwide-ballot"
threshold = { share = "5%", scope = "system", or_seats = 1, or_seats_in = "electorate" }

[mmp]
constituencies = "electorate"
lists = "party"
seats = 120
formula = "sainte-lague"
overhang = "keep"
"#,
    )
    .unwrap();
    let mut contests = String::from("id,name,governorate,seats,system\nPV,Party vote,,120,party\n");
    let mut parties = String::from("id,name,coalition\n");
    let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
    let mut stations = String::from("id,centre,district,governorate,registered\n");
    for (k, (name, _)) in party_vote.iter().enumerate() {
        parties.push_str(&format!("P{k},{name},\n"));
        candidates.push_str(&format!("PV-P{k}-L,List,,P{k},PV,,list\n"));
        for n in 1..=70 {
            candidates.push_str(&format!("PV-P{k}-{n},Candidate {n},F,P{k},PV,,\n"));
        }
    }
    let mut electorate_forms = String::new();
    for (e, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(';').collect();
        let contest = format!("E{e:02}");
        contests.push_str(&format!("{contest},{},,1,electorate\n", f[0]));
        stations.push_str(&format!("S{e:02},C{e:02},{contest},,3000000\n"));
        let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        let mut row = String::new();
        let mut total = 0u64;
        for (party, votes) in header.iter().zip(&f[1..]) {
            let cand = format!("{contest}-{}", id(party));
            candidates.push_str(&format!("{cand},Candidate,F,{},{contest},,\n", id(party)));
            head.push_str(&format!(",{cand}"));
            let v: u64 = votes.parse().unwrap();
            total += v;
            row.push_str(&format!(",{v}"));
        }
        electorate_forms = format!("{head}\nS{e:02},{contest},electronic,1,{total},0,0{row}\n");
        std::fs::write(pkg.join(format!("results/{contest}.csv")), &electorate_forms).unwrap();
    }
    assert!(!electorate_forms.is_empty());
    // The party vote: every station has a form; the national totals are on the first one.
    let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
    for k in 0..party_vote.len() {
        head.push_str(&format!(",PV-P{k}-L"));
        for n in 1..=70 {
            head.push_str(&format!(",PV-P{k}-{n}"));
        }
    }
    let mut forms = format!("{head}\n");
    let total: u64 = party_vote.iter().map(|p| p.1).sum();
    for e in 0..71 {
        let mut row = format!("S{e:02},PV,electronic,1,{},0,0", if e == 0 { total } else { 0 });
        for (_, v) in &party_vote {
            row.push_str(&format!(",{}", if e == 0 { *v } else { 0 }));
            row.push_str(&",0".repeat(70));
        }
        forms.push_str(&row);
        forms.push('\n');
    }
    std::fs::write(pkg.join("results/PV.csv"), forms).unwrap();
    for (file, text) in [
        ("contests.csv", contests),
        ("parties.csv", parties),
        ("coalitions.csv", "id,name\n".to_owned()),
        ("candidates.csv", candidates),
        ("stations.csv", stations),
    ] {
        std::fs::write(pkg.join(file), text).unwrap();
    }
    let out =
        psephos(&scratch.0, &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mmp = &v["mmp"];
    let seats_of = |name: &str| {
        mmp["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["party"] == id(name).as_str())
            .map_or(0, |p| p["seats"].as_u64().unwrap())
    };
    let official = [
        ("ACT New Zealand", 1),
        ("Labour Party", 32),
        ("Māori Party", 2),
        ("National Party", 60),
        ("United Future", 1),
        ("Green Party", 14),
        ("New Zealand First Party", 11),
        ("Conservative", 0),
        ("Internet MANA", 0),
    ];
    let matching = official.iter().filter(|(p, s)| seats_of(p) == *s).count();
    eprintln!(
        "new zealand 2014 through a package: {matching} of {} parties match, house of {}",
        official.len(),
        mmp["house_seats"]
    );
    let bad: Vec<String> = official
        .iter()
        .filter(|(p, s)| seats_of(p) != *s)
        .map(|(p, s)| format!("{p}: {} (official {s})", seats_of(p)))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(mmp["house_seats"], 121);
    // The seats themselves: every member is a candidate, 121 in all.
    assert_eq!(v["seats"].as_array().unwrap().len(), 121);
}

/// Germany, Bundestag 2017, through a package: `init --template bundestag-2017`, then every
/// constituency's first votes and second votes (one station per constituency, counting its
/// constituency ballot and its Land list ballot); seats per party nationally, the house size
/// and one Land's distribution against the official result.
#[test]
fn bundestag_2017_through_a_package() {
    let text =
        std::fs::read_to_string(conformance_dir().join("tabulation/votelib_real/de_bdt_2017.csv"))
            .expect("bundestag data");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let party_names: Vec<&str> = header[2..].iter().copied().filter(|p| !p.is_empty()).collect();
    lines.next();
    let scratch = Scratch::new("bundestag-2017");
    let pkg = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "bundestag-2017", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    let contests = std::fs::read_to_string(pkg.join("contests.csv")).unwrap();
    // Land name -> its list contest id.
    let land_list: HashMap<String, String> = rows(&contests)
        .into_iter()
        .filter(|r| r[4] == "land")
        .map(|r| (r[2].clone(), r[0].clone()))
        .collect();
    let mut parties = String::from("id,name,coalition\n");
    for (k, name) in party_names.iter().enumerate() {
        parties.push_str(&format!("P{k},{name},\n"));
    }
    let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
    let mut stations = String::from("id,centre,district,governorate,registered\n");
    std::fs::create_dir_all(pkg.join("results")).unwrap();
    // Per Land: the second-vote rows of its stations.
    let mut land_rows: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut constituency_forms = String::new();
    for (w, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(';').collect();
        let contest = format!("WK-{:03}", w + 1);
        let land = f[1];
        let n = w + 1;
        stations.push_str(&format!("S{n:03},C{n:03},{contest},{land},1000000\n"));
        let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        let mut row = String::new();
        let mut total = 0u64;
        let mut second = Vec::new();
        for k in 0..party_names.len() {
            let num = |s: Option<&&str>| s.and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or(0);
            let (first, zweit) = (num(f.get(2 + 2 * k)), num(f.get(3 + 2 * k)));
            second.push(zweit);
            if first > 0 {
                let cand = format!("{contest}-P{k}");
                candidates.push_str(&format!("{cand},Direct candidate,F,P{k},{contest},,\n"));
                head.push_str(&format!(",{cand}"));
                row.push_str(&format!(",{first}"));
                total += first;
            }
        }
        constituency_forms
            .push_str(&format!("{head}\nS{:03},{contest},electronic,1,{total},0,0{row}\n", w + 1));
        std::fs::write(pkg.join(format!("results/{contest}.csv")), &constituency_forms).unwrap();
        constituency_forms.clear();
        let total: u64 = second.iter().sum();
        let mut row = format!("S{:03},{},electronic,1,{total},0,0", w + 1, land_list[land]);
        for v in &second {
            row.push_str(&format!(",{v}"));
            row.push_str(&",0".repeat(60));
        }
        land_rows.entry(land.to_owned()).or_default().push(row);
    }
    for (land, list) in &land_list {
        let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        for k in 0..party_names.len() {
            candidates.push_str(&format!("{list}-P{k}-L,List,,P{k},{list},,list\n"));
            head.push_str(&format!(",{list}-P{k}-L"));
            for n in 1..=60 {
                candidates.push_str(&format!("{list}-P{k}-{n},Candidate {n},F,P{k},{list},,\n"));
                head.push_str(&format!(",{list}-P{k}-{n}"));
            }
        }
        std::fs::write(
            pkg.join(format!("results/{list}.csv")),
            format!("{head}\n{}\n", land_rows[land].join("\n")),
        )
        .unwrap();
    }
    for (file, text) in
        [("parties.csv", parties), ("candidates.csv", candidates), ("stations.csv", stations)]
    {
        std::fs::write(pkg.join(file), text).unwrap();
    }
    let out =
        psephos(&scratch.0, &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mmp = &v["mmp"];
    let id = |name: &str| format!("P{}", party_names.iter().position(|p| *p == name).unwrap());
    let seats_of = |name: &str| {
        mmp["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["party"] == id(name).as_str())
            .map_or(0, |p| p["seats"].as_u64().unwrap())
    };
    let official = [
        ("CDU", 200),
        ("SPD", 153),
        ("AfD", 94),
        ("FDP", 80),
        ("DIE LINKE", 69),
        ("GRÜNE", 67),
        ("CSU", 46),
    ];
    let mut bad: Vec<String> = official
        .iter()
        .filter(|(p, s)| seats_of(p) != *s)
        .map(|(p, s)| format!("{p}: {} (official {s})", seats_of(p)))
        .collect();
    let in_mv = |name: &str| {
        mmp["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["contest"] == "LL-MV" && l["party"] == id(name).as_str())
            .map_or(0, |l| l["seats"].as_u64().unwrap())
    };
    let mv = [("CDU", 6), ("SPD", 2), ("AfD", 3), ("FDP", 1), ("DIE LINKE", 3), ("GRÜNE", 1)];
    bad.extend(
        mv.iter()
            .filter(|(p, s)| in_mv(p) != *s)
            .map(|(p, s)| format!("Mecklenburg-Vorpommern {p}: {} (official {s})", in_mv(p))),
    );
    eprintln!(
        "bundestag 2017 through a package: {} of {} parties, {} of {} Mecklenburg-Vorpommern lists, house of {} (official 709)",
        official.iter().filter(|(p, s)| seats_of(p) == *s).count(),
        official.len(),
        mv.iter().filter(|(p, s)| in_mv(p) == *s).count(),
        mv.len(),
        mmp["house_seats"]
    );
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(mmp["house_seats"], 709);
    assert_eq!(v["seats"].as_array().unwrap().len(), 709);
}

/// Knesset 19–22 through packages: one national contest, D'Hondt (Bader-Ofer), surplus
/// agreements in parties.csv; every list's seats, after the split of its agreement's seats,
/// against the official ones.
#[test]
fn knesset_19_22_through_packages() {
    let text = std::fs::read_to_string(
        conformance_dir().join("tabulation/israel_knesset/knesset_19_22_surplus_pairs.txt"),
    )
    .expect("knesset data");
    let mut summary = Vec::new();
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('[')) {
        let (knesset, blocs, votes, seats, threshold) = parse_knesset_line(line);
        let scratch = Scratch::new(&format!("knesset-{knesset}"));
        let pkg = &scratch.0;
        std::fs::create_dir_all(pkg.join("results")).unwrap();
        std::fs::write(
            pkg.join("election.toml"),
            format!(
                "[election]\nid = \"knesset-{knesset}\"\nname = \"Knesset {knesset}\"\ndate = \"\"\ncountry = \"IL\"\n\n[ties]\nmethod = \"lot\"\nseed = \"knesset\"\n\n[systems.national]\nmethod = \"list-pr\"\nformula = \"dhondt\"\nthreshold = {{ share = \"{threshold}\" }}\n"
            ),
        )
        .unwrap();
        let mut parties = String::from("id,name,coalition,agreement\n");
        let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
        let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        let mut row = String::new();
        let mut total = 0u64;
        let mut expected = Vec::new();
        for (b, members) in votes.iter().enumerate() {
            for (m, v) in members.iter().enumerate() {
                let id = format!("L{b}-{m}");
                let agreement = if members.len() > 1 { format!("A{b}") } else { String::new() };
                parties.push_str(&format!("{id},\"{}\",,{agreement}\n", blocs[b].replace('"', "")));
                candidates.push_str(&format!("{id}-L,List,,{id},IL,,list\n"));
                head.push_str(&format!(",{id}-L"));
                row.push_str(&format!(",{v}"));
                for n in 1..=40 {
                    candidates.push_str(&format!("{id}-{n},Candidate {n},F,{id},IL,,\n"));
                    head.push_str(&format!(",{id}-{n}"));
                    row.push_str(",0");
                }
                total += v;
                expected.push((id, seats[b][m]));
            }
        }
        for (file, text) in [
            (
                "contests.csv",
                "id,name,governorate,seats,system\nIL,Knesset,,120,national\n".to_owned(),
            ),
            ("parties.csv", parties),
            ("coalitions.csv", "id,name\n".to_owned()),
            ("candidates.csv", candidates),
            (
                "stations.csv",
                "id,centre,district,governorate,registered\nS1,C1,IL,,9000000\n".to_owned(),
            ),
            ("results/IL.csv", format!("{head}\nS1,IL,electronic,1,{total},0,0{row}\n")),
        ] {
            std::fs::write(pkg.join(file), text).unwrap();
        }
        let out = psephos(pkg, &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let won: HashMap<String, u64> = v["lists"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["list"].as_str().unwrap().to_owned(), l["seats"].as_u64().unwrap()))
            .collect();
        let bad: Vec<String> = expected
            .iter()
            .filter(|(id, s)| won.get(id) != Some(s))
            .map(|(id, s)| format!("{id}: {:?} (official {s})", won.get(id)))
            .collect();
        summary.push(format!(
            "Knesset {knesset}: {} of {} lists match",
            expected.len() - bad.len(),
            expected.len()
        ));
        if !bad.is_empty() {
            failures.push(format!("Knesset {knesset}: {}", bad.join(", ")));
        }
    }
    eprintln!("knesset through packages:\n{}", summary.join("\n"));
    assert_eq!(summary.len(), 4);
    assert!(failures.is_empty(), "{failures:?}");
}

type KnessetLine = (u32, Vec<String>, Vec<Vec<u64>>, Vec<Vec<u64>>, String);

/// One line of the Python-literal table: `[19, ['a+b', ...], [1+2, 3], [4+5, 6], 0.02]`.
fn parse_knesset_line(line: &str) -> KnessetLine {
    // Tokens: quoted strings, and everything else split on brackets and commas.
    let mut strings = Vec::new();
    let mut rest = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let mut s = String::new();
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
                s.push(d);
            }
            strings.push(s);
            rest.push('S');
        } else {
            rest.push(c);
        }
    }
    // rest: [19, [S, S, ...], [a+b, c], [d+e, f], 0.02]
    let groups: Vec<&str> = rest.split('[').collect();
    let knesset: u32 = groups[1].trim().trim_end_matches(',').trim().parse().unwrap();
    let numbers = |g: &str| -> Vec<Vec<u64>> {
        g.split(']')
            .next()
            .unwrap()
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.split('+').map(|n| n.trim().parse().unwrap()).collect())
            .collect()
    };
    let votes = numbers(groups[3]);
    let seats = numbers(groups[4]);
    let threshold = groups[4].split(']').nth(1).unwrap().trim_matches(|c| c == ',' || c == ' ');
    let threshold = format!("{}%", threshold.parse::<f64>().unwrap() * 100.0);
    (knesset, strings, votes, seats, threshold)
}

/// Zurich city council 2006 through a package: nine districts of one list-PR system,
/// `[biproportional]` with Sainte-Laguë on voter numbers; every party's seats in the city and
/// in every district against the official ones.
#[test]
fn zurich_2006_through_a_package() {
    let text = std::fs::read_to_string(
        conformance_dir().join("tabulation/zurich_biproportional/zurich2006.yaml"),
    )
    .expect("zurich data");
    // The file is JSON with comment lines and trailing commas.
    let body: String =
        text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let cleaned: String = {
        // Drop any comma followed only by whitespace and a closing bracket.
        let chars: Vec<char> = body.chars().collect();
        let mut out = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if c == ','
                && chars[i + 1..]
                    .iter()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|&n| n == ']' || n == '}')
            {
                continue;
            }
            out.push(c);
        }
        out
    };
    let doc: serde_json::Value = serde_json::from_str(&cleaned).expect("zurich json");
    let pairs = |key: &str| -> Vec<(String, u64)> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_owned(), r[1].as_u64().unwrap()))
            .collect()
    };
    let parties = pairs("party_seats");
    let districts = pairs("district_seats");
    let scratch = Scratch::new("zurich-2006");
    let pkg = &scratch.0;
    std::fs::create_dir_all(pkg.join("results")).unwrap();
    std::fs::write(
        pkg.join("election.toml"),
        "[election]\nid = \"zurich-2006\"\nname = \"Gemeinderat Zürich 2006\"\ndate = \"2006-02-12\"\ncountry = \"CH\"\n\n[ties]\nmethod = \"lot\"\nseed = \"zurich\"\n\n[systems.district]\nmethod = \"list-pr\"\nformula = \"sainte-lague\"\n\n[biproportional]\nsystem = \"district\"\nformula = \"sainte-lague\"\nvoter_numbers = true\n",
    )
    .unwrap();
    let pid = |name: &str| format!("P{}", parties.iter().position(|p| p.0 == name).unwrap());
    let did = |name: &str| format!("D{}", districts.iter().position(|d| d.0 == name).unwrap());
    let mut contests = String::from("id,name,governorate,seats,system\n");
    let mut stations = String::from("id,centre,district,governorate,registered\n");
    for (d, (name, seats)) in districts.iter().enumerate() {
        contests.push_str(&format!("D{d},{name},,{seats},district\n"));
        stations.push_str(&format!("S{d},C{d},D{d},,10000000\n"));
    }
    let mut party_rows = String::from("id,name,coalition\n");
    for (p, (name, _)) in parties.iter().enumerate() {
        party_rows.push_str(&format!("P{p},{name},\n"));
    }
    let mut candidates = String::from("id,name,gender,party,contest,groups,kind\n");
    // Per district: the list votes of each party, and the official cell seats.
    let mut cells: std::collections::BTreeMap<String, Vec<(String, u64, u64)>> = Default::default();
    for row in doc["votes"].as_array().unwrap() {
        let (party, district) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
        cells.entry(did(district)).or_default().push((
            pid(party),
            row[2].as_u64().unwrap(),
            row[3].as_u64().unwrap(),
        ));
    }
    for (d, lists) in &cells {
        let mut head = String::from("station,contest,phase,version,ballots_found,blank,invalid");
        let mut row = String::new();
        let mut total = 0;
        for (p, votes, _) in lists {
            candidates.push_str(&format!("{d}-{p}-L,List,,{p},{d},,list\n"));
            head.push_str(&format!(",{d}-{p}-L"));
            row.push_str(&format!(",{votes}"));
            total += votes;
            for n in 1..=20 {
                candidates.push_str(&format!("{d}-{p}-{n},Candidate {n},F,{p},{d},,\n"));
                head.push_str(&format!(",{d}-{p}-{n}"));
                row.push_str(",0");
            }
        }
        let s = d.replace('D', "S");
        std::fs::write(
            pkg.join(format!("results/{d}.csv")),
            format!("{head}\n{s},{d},electronic,1,{total},0,0{row}\n"),
        )
        .unwrap();
    }
    for (file, text) in [
        ("contests.csv", contests),
        ("parties.csv", party_rows),
        ("coalitions.csv", "id,name\n".to_owned()),
        ("candidates.csv", candidates),
        ("stations.csv", stations),
    ] {
        std::fs::write(pkg.join(file), text).unwrap();
    }
    let out = psephos(pkg, &["--quiet", "allocate", pkg.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["biproportional"]["error"].is_null(), "{}", v["biproportional"]["error"]);
    let won: HashMap<(String, String), u64> = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                (l["contest"].as_str().unwrap().to_owned(), l["list"].as_str().unwrap().to_owned()),
                l["seats"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut checks = 0;
    let mut bad = Vec::new();
    for (p, (name, official)) in parties.iter().enumerate() {
        checks += 1;
        let got: u64 = won.iter().filter(|((_, l), _)| *l == format!("P{p}")).map(|(_, s)| s).sum();
        if got != *official {
            bad.push(format!("{name} in the city: {got} (official {official})"));
        }
    }
    for (d, lists) in &cells {
        for (p, _, official) in lists {
            checks += 1;
            let got = won.get(&(d.clone(), p.clone())).copied().unwrap_or(0);
            if got != *official {
                bad.push(format!("{p} in {d}: {got} (official {official})"));
            }
        }
    }
    eprintln!("zurich 2006 through a package: {} of {checks} match", checks - bad.len());
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(checks, 80);
}
