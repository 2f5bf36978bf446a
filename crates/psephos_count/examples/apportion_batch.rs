//! Times the apportionment of every Spain 1982–2019 province and Norway 2009–2025 county (district
//! seats, then the national leveling tier) from the conformance data, for `bench/apportion.sh`.
//!
//! Usage: apportion_batch [CONFORMANCE_DIR] [ITERATIONS]
//! Prints one JSON line: cases, official matches, and the best and median time of one batch.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::Instant;

use psephos_count::apportion::{Method, Ratio, Threshold, TieRule, apportion};
use psephos_count::leveling::{LevelingInput, LevelingRule, level};

struct Case {
    names: Vec<String>,
    votes: Vec<u128>,
    seats: u128,
    method: Method,
    threshold: Option<Threshold>,
    official: Vec<u128>,
}

struct NorwayYear {
    parties: Vec<String>,
    votes: Vec<Vec<u128>>,
    district: Vec<Vec<u128>>,
    seats: Vec<u128>,
    official: Vec<Vec<u128>>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "../shared/conformance".to_owned());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let mut cases = Vec::new();

    let spain = std::fs::read_to_string(format!(
        "{dir}/tabulation/spain_congress/spain_congress_1982_2019_by_province.csv"
    ))
    .expect("spain data");
    let mut provinces: BTreeMap<(String, String), Case> = BTreeMap::new();
    let mut valid: BTreeMap<(String, String), u128> = BTreeMap::new();
    for row in csv::Reader::from_reader(spain.as_bytes()).records() {
        let row = row.expect("row");
        let key = (row[0].to_owned(), row[3].to_owned());
        valid.insert(key.clone(), row[4].parse().unwrap());
        let case = provinces.entry(key).or_insert_with(|| Case {
            names: Vec::new(),
            votes: Vec::new(),
            seats: 0,
            method: Method::DHondt,
            threshold: None,
            official: Vec::new(),
        });
        case.names.push(row[8].to_owned());
        case.votes.push(row[10].parse().unwrap());
        let elected: u128 = row[11].parse().unwrap();
        case.official.push(elected);
        case.seats += elected;
    }
    for (key, mut case) in provinces {
        let party_votes: u128 = case.votes.iter().sum();
        case.threshold = Some(Threshold::uniform(
            Ratio::new(3, 100),
            valid[&key] - party_votes.min(valid[&key]),
        ));
        cases.push(case);
    }
    let spain_cases = cases.len();

    let mut norway = Vec::new();
    for year in [2009, 2013, 2017, 2021, 2025] {
        let text =
            std::fs::read_to_string(format!("{dir}/tabulation/norway_storting/PE/{year}.csv"))
                .expect("norway data");
        let rows: Vec<Vec<String>> = text
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(';').map(str::to_owned).collect())
            .collect();
        let mut counties: Vec<String> = rows.iter().map(|r| r[1].clone()).collect();
        counties.dedup();
        let mut parties: Vec<String> = rows.iter().map(|r| r[6].clone()).collect();
        parties.sort();
        parties.dedup();
        let (nd, np) = (counties.len(), parties.len());
        let mut y = NorwayYear {
            parties: parties.clone(),
            votes: vec![vec![0; np]; nd],
            district: vec![vec![0; np]; nd],
            seats: vec![0; nd],
            official: vec![vec![0; np]; nd],
        };
        for r in &rows {
            let d = counties.iter().position(|c| *c == r[1]).unwrap();
            let p = parties.iter().position(|q| *q == r[6]).unwrap();
            let (seats, leveling): (u128, u128) = (r[15].parse().unwrap(), r[16].parse().unwrap());
            y.votes[d][p] = r[12].parse().unwrap();
            y.district[d][p] = seats - leveling;
            y.official[d][p] = leveling;
            y.seats[d] += seats - leveling;
        }
        for d in 0..nd {
            cases.push(Case {
                names: parties.clone(),
                votes: y.votes[d].clone(),
                seats: y.seats[d],
                method: Method::ModifiedSainteLague { first: Ratio::new(7, 5) },
                threshold: None,
                official: y.district[d].clone(),
            });
        }
        norway.push(y);
    }
    let names: Vec<Vec<&str>> =
        cases.iter().map(|c| c.names.iter().map(String::as_str).collect()).collect();
    let ties = TieRule::MostVotesThenLot { seed: "bench".into(), context: "bench".into() };
    let rule = LevelingRule {
        total_seats: 169,
        leveling_seats: 19,
        method: Method::ModifiedSainteLague { first: Ratio::new(7, 5) },
        threshold: Ratio::new(4, 100),
    };

    // Names for lots, made once outside the timed loop.
    let district_names: Vec<Vec<String>> =
        norway.iter().map(|y| (0..y.votes.len()).map(|d| d.to_string()).collect()).collect();
    let norway_names: Vec<(Vec<&str>, Vec<&str>)> = norway
        .iter()
        .zip(&district_names)
        .map(|(y, d)| {
            (y.parties.iter().map(String::as_str).collect(), d.iter().map(String::as_str).collect())
        })
        .collect();
    let mut matches = 0;
    let mut times = Vec::with_capacity(iterations);
    let mut district_times = Vec::with_capacity(iterations);
    for it in 0..iterations {
        let start = Instant::now();
        let mut all_seats = Vec::with_capacity(cases.len());
        for (case, names) in cases.iter().zip(&names) {
            let a = apportion(
                &case.votes,
                names,
                case.seats,
                case.method,
                case.threshold.as_ref(),
                &ties,
            )
            .expect("apportion");
            all_seats.push(a.seats);
        }
        let districts_done = start.elapsed().as_secs_f64();
        let mut leveled = Vec::new();
        for (y, (ids, districts)) in norway.iter().zip(&norway_names) {
            let eligible = vec![true; ids.len()];
            let input = LevelingInput {
                votes: &y.votes,
                district_seats: &y.district,
                seats_in_district: &y.seats,
                districts,
                parties: ids,
                eligible: &eligible,
            };
            leveled.push(level(&input, &rule, &ties).by_district);
        }
        times.push(start.elapsed().as_secs_f64());
        district_times.push(districts_done);
        if it == 0 {
            matches = cases.iter().zip(&all_seats).filter(|(c, s)| c.official == **s).count()
                + norway.iter().zip(&leveled).filter(|(y, l)| y.official == **l).count();
        }
        std::hint::black_box(&all_seats);
    }
    times.sort_by(f64::total_cmp);
    district_times.sort_by(f64::total_cmp);
    println!(
        "{{\"tool\": \"psephos\", \"cases\": {}, \"spain\": {spain_cases}, \"norway_districts\": {}, \"norway_leveling_years\": {}, \"matches\": {matches}, \"best_s\": {:.6}, \"median_s\": {:.6}, \"best_districts_s\": {:.6}, \"iterations\": {iterations}}}",
        cases.len() + norway.len(),
        cases.len() - spain_cases,
        norway.len(),
        times[0],
        times[times.len() / 2],
        district_times[0]
    );
}
