//! Apportionment against official results in `$PSEPHOS_CONFORMANCE/tabulation/` (default
//! `../shared/conformance`). Each suite counts its cases and reports every failure with why.

use std::collections::BTreeMap;
use std::path::PathBuf;

use psephos_count::apportion::{Method, Ratio, Threshold, TieRule, apportion};
use psephos_count::leveling::{LevelingInput, LevelingRule, level};

pub(crate) fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn read(rel: &str) -> String {
    let path = conformance_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; set PSEPHOS_CONFORMANCE to the conformance data", path.display())
    })
}

fn lot(context: &str) -> TieRule {
    TieRule::Lot { seed: "conformance".into(), context: context.into() }
}

/// Runs `cases`, prints "suite: passed of total" and every failure, and fails if any failed.
pub(crate) fn report(suite: &str, results: Vec<(String, Result<(), String>)>) {
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(case, r)| r.as_ref().err().map(|e| format!("  {case}: {e}")))
        .collect();
    eprintln!("{suite}: {} of {} cases pass", results.len() - failures.len(), results.len());
    assert!(failures.is_empty(), "{suite} failures:\n{}", failures.join("\n"));
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i}")).collect()
}

/// Spain, Congreso 1982–2019: D'Hondt per province, 3 % of valid votes (blank ballots count in
/// the base), equal quotients to the party with more votes (LOREG art. 163).
#[test]
fn spain_congress_1982_2019() {
    let text = read("tabulation/spain_congress/spain_congress_1982_2019_by_province.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    // (election, province) -> (valid ballots, [(candidacy, votes, seats)])
    type Candidacies = Vec<(String, u128, u128)>;
    let mut provinces: BTreeMap<(String, String), (u128, Candidacies)> = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("csv row");
        let key = (row[0].to_owned(), row[3].to_owned());
        let entry = provinces.entry(key).or_insert((row[4].parse().unwrap(), Vec::new()));
        entry.1.push((row[8].to_owned(), row[10].parse().unwrap(), row[11].parse().unwrap()));
    }
    let results = provinces
        .iter()
        .map(|((election, province), (valid, parties))| {
            let votes: Vec<u128> = parties.iter().map(|p| p.1).collect();
            let ids: Vec<&str> = parties.iter().map(|p| p.0.as_str()).collect();
            let seats: u128 = parties.iter().map(|p| p.2).sum();
            let party_votes: u128 = votes.iter().sum();
            let threshold =
                Threshold::uniform(Ratio::new(3, 100), valid.saturating_sub(party_votes));
            let context = format!("{election} {province}");
            let rule =
                TieRule::MostVotesThenLot { seed: "conformance".into(), context: context.clone() };
            let got = apportion(&votes, &ids, seats, Method::DHondt, Some(&threshold), &rule)
                .map(|a| a.seats);
            let expected: Vec<u128> = parties.iter().map(|p| p.2).collect();
            let outcome = match got {
                Ok(s) if s == expected => Ok(()),
                Ok(s) => Err(format!("seats {s:?}, official {expected:?}")),
                Err(e) => Err(e.to_string()),
            };
            (context, outcome)
        })
        .collect();
    report("Spain Congreso 1982–2019 (provinces)", results);
}

struct NorwayRow {
    county: String,
    party: String,
    votes: u128,
    seats: u128,
    leveling: u128,
}

fn norway_year(year: u32) -> Vec<NorwayRow> {
    let text = read(&format!("tabulation/norway_storting/PE/{year}.csv"));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            NorwayRow {
                county: f[1].to_owned(),
                party: f[6].to_owned(),
                votes: f[12].parse().unwrap(),
                seats: f[15].parse().unwrap(),
                leveling: f[16].parse().unwrap(),
            }
        })
        .collect()
}

const NORWAY_YEARS: [u32; 5] = [2009, 2013, 2017, 2021, 2025];

/// Norway, Storting 2009–2025: district seats by modified Sainte-Laguë (first divisor 1.4).
#[test]
fn norway_district_seats() {
    let mut results = Vec::new();
    for year in NORWAY_YEARS {
        let rows = norway_year(year);
        let mut counties: BTreeMap<&str, Vec<&NorwayRow>> = BTreeMap::new();
        for r in &rows {
            counties.entry(r.county.as_str()).or_default().push(r);
        }
        for (county, parties) in counties {
            let votes: Vec<u128> = parties.iter().map(|p| p.votes).collect();
            let ids: Vec<&str> = parties.iter().map(|p| p.party.as_str()).collect();
            let expected: Vec<u128> = parties.iter().map(|p| p.seats - p.leveling).collect();
            let seats: u128 = expected.iter().sum();
            let method = Method::ModifiedSainteLague { first: Ratio::new(7, 5) };
            let got = apportion(&votes, &ids, seats, method, None, &lot(county)).map(|a| a.seats);
            let outcome = match got {
                Ok(s) if s == expected => Ok(()),
                Ok(s) => Err(format!("seats {s:?}, official {expected:?}")),
                Err(e) => Err(e.to_string()),
            };
            results.push((format!("{year} {county}"), outcome));
        }
    }
    report("Norway Storting 2009–2025 (district seats)", results);
}

/// Norway, Storting 2009–2025: 19 leveling seats (4 % threshold, national modified Sainte-Laguë
/// over 169 seats with iterative exclusion), placed one per county.
#[test]
fn norway_leveling_seats() {
    let mut results = Vec::new();
    for year in NORWAY_YEARS {
        let rows = norway_year(year);
        let mut counties: Vec<String> = rows.iter().map(|r| r.county.clone()).collect();
        counties.dedup();
        let mut parties: Vec<String> = rows.iter().map(|r| r.party.clone()).collect();
        parties.sort();
        parties.dedup();
        let nd = counties.len();
        let np = parties.len();
        let mut votes = vec![vec![0u128; np]; nd];
        let mut district = vec![vec![0u128; np]; nd];
        let mut official = vec![vec![0u128; np]; nd];
        for r in &rows {
            let d = counties.iter().position(|c| *c == r.county).unwrap();
            let p = parties.iter().position(|q| *q == r.party).unwrap();
            votes[d][p] = r.votes;
            district[d][p] = r.seats - r.leveling;
            official[d][p] = r.leveling;
        }
        let seats_in_district: Vec<u128> = district.iter().map(|d| d.iter().sum()).collect();
        let ids: Vec<&str> = parties.iter().map(String::as_str).collect();
        let county_ids: Vec<&str> = counties.iter().map(String::as_str).collect();
        let rule = LevelingRule {
            total_seats: 169,
            leveling_seats: 19,
            method: Method::ModifiedSainteLague { first: Ratio::new(7, 5) },
            threshold: Ratio::new(4, 100),
        };
        let leveled = level(
            &LevelingInput {
                votes: &votes,
                district_seats: &district,
                seats_in_district: &seats_in_district,
                districts: &county_ids,
                parties: &ids,
                eligible: &vec![true; np],
            },
            &rule,
            &lot(&year.to_string()),
        );
        // Per party, nationally.
        let national_official: Vec<u128> =
            (0..np).map(|p| official.iter().map(|d| d[p]).sum()).collect();
        results.push((
            format!("{year} national"),
            if leveled.leveling == national_official {
                Ok(())
            } else {
                Err(format!(
                    "leveling {:?}, official {national_official:?} (parties {ids:?})",
                    leveled.leveling
                ))
            },
        ));
        // Per county.
        for (d, county) in counties.iter().enumerate() {
            results.push((
                format!("{year} {county}"),
                if leveled.by_district[d] == official[d] {
                    Ok(())
                } else {
                    Err(format!(
                        "leveling {:?}, official {:?} (parties {ids:?})",
                        leveled.by_district[d], official[d]
                    ))
                },
            ));
        }
    }
    report("Norway Storting 2009–2025 (leveling seats, national and per county)", results);
}

/// United States House of Representatives, 2020: 435 seats among 50 states by Huntington-Hill.
#[test]
fn us_house_2020() {
    let text = read("tabulation/us_house_2020/us_house_2020_apportionment.csv");
    let rows: Vec<(String, u128, u128)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    let votes: Vec<u128> = rows.iter().map(|r| r.1).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let got = apportion(&votes, &ids, 435, Method::HuntingtonHill, None, &lot("us-house")).unwrap();
    let results = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.0.clone(),
                if got.seats[i] == r.2 {
                    Ok(())
                } else {
                    Err(format!("{} seats, official {}", got.seats[i], r.2))
                },
            )
        })
        .collect();
    report("US House 2020 (states)", results);
}

/// Knesset 19–22 (blocs of surplus agreements) and Austria's Nationalrat 1994–2019: national
/// D'Hondt with a threshold.
#[test]
fn knesset_and_austria() {
    let mut results = Vec::new();
    let knesset: serde_json::Value =
        serde_json::from_str(&read("tabulation/israel_knesset/knesset_19_22.json")).unwrap();
    let austria: serde_json::Value =
        serde_json::from_str(&read("tabulation/austria_nr/austria_nr_1994_2019.json")).unwrap();
    let cases =
        knesset.as_array().unwrap().iter().map(|k| (format!("Knesset {}", k["knesset"]), k)).chain(
            austria.as_array().unwrap().iter().map(|a| (format!("Austria {}", a["year"]), a)),
        );
    for (name, case) in cases {
        let votes: Vec<u128> =
            case["votes"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u128).collect();
        let expected: Vec<u128> = case["official_seats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u128)
            .collect();
        let seats = case["seats_total"].as_u64().unwrap() as u128;
        let share = Ratio::parse(&case["threshold"].to_string()).unwrap();
        let ids = names(votes.len());
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let threshold = Threshold::uniform(share, 0);
        let got = apportion(&votes, &ids, seats, Method::DHondt, Some(&threshold), &lot(&name))
            .map(|a| a.seats);
        results.push((
            name,
            match got {
                Ok(s) if s == expected => Ok(()),
                Ok(s) => Err(format!("seats {s:?}, official {expected:?}")),
                Err(e) => Err(e.to_string()),
            },
        ));
    }
    report("Knesset 19–22 and Austria NR 1994–2019", results);
}

/// Zurich city council 2006, the first biproportional apportionment: 125 seats, 8 parties × 9
/// districts; upper apportionment as published, lower apportionment by Sainte-Laguë with
/// alternate scaling; every cell against the official seats.
#[test]
fn zurich_2006_biproportional() {
    let text = read("tabulation/zurich_biproportional/zurich2006.yaml");
    // The file is JSON with comment lines and trailing commas.
    let body: String =
        text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let chars: Vec<char> = body.chars().collect();
    let mut json = String::with_capacity(body.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ','
            && chars[i + 1..]
                .iter()
                .find(|c| !c.is_whitespace())
                .is_some_and(|&n| n == ']' || n == '}')
        {
            continue;
        }
        json.push(c);
    }
    let doc: serde_json::Value = serde_json::from_str(&json).expect("zurich json");
    let pairs = |key: &str| -> Vec<(String, u128)> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_owned(), r[1].as_u64().unwrap() as u128))
            .collect()
    };
    let parties = pairs("party_seats");
    let districts = pairs("district_seats");
    let mut votes = vec![vec![0u128; districts.len()]; parties.len()];
    let mut official = vec![vec![0u128; districts.len()]; parties.len()];
    for row in doc["votes"].as_array().unwrap() {
        let p = parties.iter().position(|x| x.0 == row[0].as_str().unwrap()).unwrap();
        let d = districts.iter().position(|x| x.0 == row[1].as_str().unwrap()).unwrap();
        votes[p][d] = row[2].as_u64().unwrap() as u128;
        official[p][d] = row[3].as_u64().unwrap() as u128;
    }
    let district_seats: Vec<u128> = districts.iter().map(|d| d.1).collect();
    // Upper apportionment: each party's voter number is the sum over districts of its votes
    // divided by the district's seats, rounded to a whole number; Sainte-Laguë over 125 seats.
    let voter_numbers: Vec<u128> = votes
        .iter()
        .map(|row| row.iter().zip(&district_seats).map(|(&v, &s)| (2 * v + s) / (2 * s)).sum())
        .collect();
    let names: Vec<&str> = parties.iter().map(|p| p.0.as_str()).collect();
    let upper = apportion(&voter_numbers, &names, 125, Method::SainteLague, None, &lot("zurich"))
        .unwrap()
        .seats;
    let mut results: Vec<(String, Result<(), String>)> = parties
        .iter()
        .zip(&upper)
        .map(|(p, &s)| {
            (
                format!("{} in the city", p.0),
                if s == p.1 { Ok(()) } else { Err(format!("{s} seats, official {}", p.1)) },
            )
        })
        .collect();
    let party_seats = upper;
    let result = psephos_count::biproportional::biproportional(
        &votes,
        &party_seats,
        &district_seats,
        Method::SainteLague,
    );
    match result {
        Ok(r) => {
            for (p, party) in parties.iter().enumerate() {
                for (d, district) in districts.iter().enumerate() {
                    results.push((
                        format!("{} in {}", party.0, district.0),
                        if r.seats[p][d] == official[p][d] {
                            Ok(())
                        } else {
                            Err(format!("{} seats, official {}", r.seats[p][d], official[p][d]))
                        },
                    ));
                }
            }
        }
        Err(e) => results.push(("lower apportionment".to_owned(), Err(e.to_string()))),
    }
    report("Zurich 2006 biproportional (upper apportionment and cells)", results);
}
