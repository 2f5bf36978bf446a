//! Real elections from votelib's test suite (`$PSEPHOS_CONFORMANCE/tabulation/votelib_real/`,
//! expected seats in its EXPECTED.json): Czech Chamber 2017 and 2021, Slovak National Council
//! 2020, New Zealand 2014 (MMP) and the German Bundestag 2017 (MMP with overhang leveling).
//! NZ party votes and German Land populations are the public figures votelib's tests use.

use std::collections::BTreeMap;

use psephos_count::apportion::{
    Method, Ratio, Threshold, TieRule, apportion, apportion_with_minimums,
};

use crate::apportion_conformance::{conformance_dir, report};

fn read(rel: &str) -> String {
    let path = conformance_dir().join("tabulation/votelib_real").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lot(context: &str) -> TieRule {
    TieRule::Lot { seed: "conformance".into(), context: context.into() }
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// `party;region1;region2;...` → (regions, parties, votes[region][party]).
fn regions_by_party(text: &str) -> (Vec<String>, Vec<String>, Vec<Vec<u128>>) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let regions: Vec<String> =
        lines.next().unwrap().split(';').skip(1).map(str::to_owned).collect();
    let mut parties = Vec::new();
    let mut votes = vec![Vec::new(); regions.len()];
    for line in lines {
        let f: Vec<&str> = line.split(';').collect();
        parties.push(f[0].to_owned());
        for (r, v) in f[1..].iter().enumerate() {
            votes[r].push(v.parse().unwrap());
        }
    }
    (regions, parties, votes)
}

fn check(
    case: &str,
    got: &BTreeMap<String, u128>,
    expected: &[(&str, u128)],
) -> (String, Result<(), String>) {
    let want: BTreeMap<String, u128> =
        expected.iter().map(|(p, s)| ((*p).to_owned(), *s)).collect();
    let got: BTreeMap<String, u128> =
        got.iter().filter(|(_, s)| **s > 0).map(|(p, s)| (p.clone(), *s)).collect();
    (
        case.to_owned(),
        if got == want { Ok(()) } else { Err(format!("seats {got:?}, official {want:?}")) },
    )
}

/// Czech Chamber 2017: 200 seats to 14 regions by Hare largest remainder on the votes cast there,
/// then D'Hondt per region among parties with 5 % of the national vote.
#[test]
fn czech_chamber_2017() {
    let (regions, parties, votes) = regions_by_party(&read("cz_psp_2017.csv"));
    let names = refs(&parties);
    let region_totals: Vec<u128> = votes.iter().map(|r| r.iter().sum()).collect();
    let region_seats =
        apportion(&region_totals, &refs(&regions), 200, Method::Hare, None, &lot("cz2017"))
            .unwrap()
            .seats;
    let national: Vec<u128> =
        (0..parties.len()).map(|p| votes.iter().map(|r| r[p]).sum()).collect();
    let qualified = apportion(
        &national,
        &names,
        1,
        Method::DHondt,
        Some(&Threshold::uniform(Ratio::new(5, 100), 0)),
        &lot("cz"),
    )
    .unwrap()
    .excluded;
    let mut total: BTreeMap<String, u128> = BTreeMap::new();
    let mut by_region: BTreeMap<String, BTreeMap<String, u128>> = BTreeMap::new();
    for (r, region) in regions.iter().enumerate() {
        let v: Vec<u128> =
            (0..parties.len()).map(|p| if qualified[p] { 0 } else { votes[r][p] }).collect();
        let seats = apportion(&v, &names, region_seats[r], Method::DHondt, None, &lot(region))
            .unwrap()
            .seats;
        for (p, s) in seats.iter().enumerate() {
            *total.entry(parties[p].clone()).or_default() += s;
            *by_region.entry(region.clone()).or_default().entry(parties[p].clone()).or_default() +=
                s;
        }
    }
    report(
        "Czech Chamber 2017",
        vec![
            check(
                "national",
                &total,
                &[
                    ("ANO", 78),
                    ("ODS", 25),
                    ("Piráti", 22),
                    ("SPD", 22),
                    ("ČSSD", 15),
                    ("KSČM", 15),
                    ("KDU-ČSL", 10),
                    ("TOP 09", 7),
                    ("STAN", 6),
                ],
            ),
            check(
                "Hlavní město Praha",
                &by_region["Hlavní město Praha"],
                &[
                    ("ANO", 6),
                    ("ODS", 5),
                    ("Piráti", 5),
                    ("SPD", 1),
                    ("ČSSD", 1),
                    ("KSČM", 1),
                    ("KDU-ČSL", 1),
                    ("TOP 09", 3),
                    ("STAN", 1),
                ],
            ),
            check(
                "Karlovarský kraj",
                &by_region["Karlovarský kraj"],
                &[("ANO", 3), ("Piráti", 1), ("SPD", 1)],
            ),
        ],
    );
}

/// Czech Chamber 2021 (the law as amended after the 2021 ruling): regions get seats by Hare
/// largest remainder; in each region the parties with 5 % nationally get a seat per Imperiali
/// quota (over-awards taken back from the smallest remainders); the seats left are divided
/// nationally by Droop largest remainder on the unused votes, and each party's share of them
/// goes to its regions by Droop largest remainder on its remainders there.
#[test]
fn czech_chamber_2021() {
    let (regions, parties, votes) = regions_by_party(&read("cz_psp_2021.csv"));
    let names = refs(&parties);
    let np = parties.len();
    let region_totals: Vec<u128> = votes.iter().map(|r| r.iter().sum()).collect();
    let region_seats =
        apportion(&region_totals, &refs(&regions), 200, Method::Hare, None, &lot("cz2021"))
            .unwrap()
            .seats;
    let national: Vec<u128> = (0..np).map(|p| votes.iter().map(|r| r[p]).sum()).collect();
    let excluded = apportion(
        &national,
        &names,
        1,
        Method::DHondt,
        Some(&Threshold::uniform(Ratio::new(5, 100), 0)),
        &lot("cz"),
    )
    .unwrap()
    .excluded;
    // First scrutiny.
    let mut first = vec![vec![0u128; np]; regions.len()];
    let mut remainders = vec![vec![Ratio::integer(0); np]; regions.len()];
    for r in 0..regions.len() {
        let v: Vec<u128> = (0..np).map(|p| if excluded[p] { 0 } else { votes[r][p] }).collect();
        let total: u128 = v.iter().sum();
        let quota = Method::ImperialiQuota.quota(total, region_seats[r]).unwrap();
        for p in 0..np {
            let k = v[p] * quota.den / quota.num;
            first[r][p] = k;
            remainders[r][p] = Ratio::new(v[p] * quota.den - k * quota.num, quota.den);
        }
        while first[r].iter().sum::<u128>() > region_seats[r] {
            let p = (0..np)
                .filter(|&p| first[r][p] > 0)
                .min_by(|&a, &b| remainders[r][a].cmp(&remainders[r][b]))
                .unwrap();
            first[r][p] -= 1;
        }
    }
    // Second scrutiny, on unused votes (remainders are multiples of 1/den; compare as rationals
    // scaled to a common denominator).
    let left = 200 - first.iter().flatten().sum::<u128>();
    // A common denominator of all remainders (each is a multiple of 1 / (region seats + 2)), so
    // that they add and compare exactly.
    fn gcd(a: u128, b: u128) -> u128 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let common = remainders.iter().flatten().fold(1u128, |l, x| l / gcd(l, x.den) * x.den);
    let scale = |x: Ratio| x.num * (common / x.den);
    let unused: Vec<u128> = (0..np).map(|p| remainders.iter().map(|r| scale(r[p])).sum()).collect();
    let unused: Vec<u128> = (0..np).map(|p| if excluded[p] { 0 } else { unused[p] }).collect();
    let second =
        apportion(&unused, &names, left, Method::Droop, None, &lot("cz2021 second")).unwrap().seats;
    let mut by_region: Vec<Vec<u128>> = first.clone();
    for p in 0..np {
        if second[p] == 0 {
            continue;
        }
        let rem: Vec<u128> = remainders.iter().map(|r| scale(r[p])).collect();
        let region_names = refs(&regions);
        let placed =
            apportion(&rem, &region_names, second[p], Method::Droop, None, &lot(&parties[p]))
                .unwrap()
                .seats;
        for (r, s) in placed.iter().enumerate() {
            by_region[r][p] += s;
        }
    }
    let total: BTreeMap<String, u128> =
        (0..np).map(|p| (parties[p].clone(), by_region.iter().map(|r| r[p]).sum())).collect();
    let praha = regions.iter().position(|r| r == "Hlavní město Praha").unwrap();
    let praha: BTreeMap<String, u128> =
        (0..np).map(|p| (parties[p].clone(), by_region[praha][p])).collect();
    report(
        "Czech Chamber 2021",
        vec![
            check(
                "national",
                &total,
                &[("ANO", 72), ("SPOLU", 71), ("Piráti+STAN", 37), ("SPD", 20)],
            ),
            check(
                "Hlavní město Praha",
                &praha,
                &[("SPOLU", 11), ("Piráti+STAN", 6), ("ANO", 5), ("SPD", 1)],
            ),
        ],
    );
}

/// Slovak National Council 2020: 150 seats, Hagenbach-Bischoff quota rounded half up, largest
/// remainders; 5 % for parties, 7 % for coalitions of 2–3 parties, 10 % for larger ones.
#[test]
fn slovak_council_2020() {
    let text = read("sk_nr_2020.csv");
    let rows: Vec<(String, bool, u128, u128)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f[0].to_owned(), f[1] == "1", f[2].parse().unwrap(), f[3].parse().unwrap())
        })
        .collect();
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let votes: Vec<u128> = rows.iter().map(|r| r.2).collect();
    let party_shares = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.1)
        .map(|(i, r)| {
            let members = r.0.split('-').count();
            (i, if members >= 4 { Ratio::new(10, 100) } else { Ratio::new(7, 100) })
        })
        .collect();
    let threshold = Threshold { share: Ratio::new(5, 100), extra_valid: 0, party_shares };
    let got = apportion(
        &votes,
        &refs(&names),
        150,
        Method::HagenbachBischoffRounded,
        Some(&threshold),
        &lot("sk2020"),
    )
    .unwrap();
    let results = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.0.clone(),
                if got.seats[i] == r.3 {
                    Ok(())
                } else {
                    Err(format!("{} seats, official {}", got.seats[i], r.3))
                },
            )
        })
        .collect();
    report("Slovak National Council 2020", results);
}

/// Plurality winners of single-member districts: `rows` of (district, votes per party).
fn plurality(rows: &[Vec<u128>]) -> Vec<u128> {
    let np = rows.first().map_or(0, Vec::len);
    let mut won = vec![0u128; np];
    for r in rows {
        let max = r.iter().max().copied().unwrap_or(0);
        if max > 0
            && let Some(p) = r.iter().position(|&v| v == max)
        {
            won[p] += 1;
        }
    }
    won
}

/// New Zealand 2014: 71 electorates by plurality; 120 list seats by Sainte-Laguë among parties
/// with 5 % of the party vote or an electorate; overhang kept.
#[test]
fn new_zealand_2014() {
    let text = read("nz_leg_2014_electorate.csv");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let parties: Vec<String> =
        lines.next().unwrap().split(';').skip(1).map(str::to_owned).collect();
    let rows: Vec<Vec<u128>> =
        lines.map(|l| l.split(';').skip(1).map(|v| v.parse().unwrap()).collect()).collect();
    let electorates = plurality(&rows);
    // Party votes, Electoral Commission 2014 (as in votelib's tests).
    let party_vote: [(&str, u128); 15] = [
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
    let names: Vec<String> = party_vote.iter().map(|p| p.0.to_owned()).collect();
    let won: Vec<u128> = names
        .iter()
        .map(|n| parties.iter().position(|p| p == n).map_or(0, |i| electorates[i]))
        .collect();
    let total: u128 = party_vote.iter().map(|p| p.1).sum();
    let votes: Vec<u128> = party_vote
        .iter()
        .zip(&won)
        .map(|(p, &w)| if p.1 * 100 >= 5 * total || w > 0 { p.1 } else { 0 })
        .collect();
    let list = apportion(&votes, &refs(&names), 120, Method::SainteLague, None, &lot("nz2014"))
        .unwrap()
        .seats;
    // Overhang: a party keeps its electorates when they exceed its share; the house grows.
    let total_seats: BTreeMap<String, u128> =
        names.iter().enumerate().map(|(i, n)| (n.clone(), list[i].max(won[i]))).collect();
    let electorate_map: BTreeMap<String, u128> =
        names.iter().enumerate().map(|(i, n)| (n.clone(), won[i])).collect();
    report(
        "New Zealand 2014",
        vec![
            check(
                "electorates",
                &electorate_map,
                &[
                    ("ACT New Zealand", 1),
                    ("Labour Party", 27),
                    ("Māori Party", 1),
                    ("National Party", 41),
                    ("United Future", 1),
                ],
            ),
            check(
                "total",
                &total_seats,
                &[
                    ("ACT New Zealand", 1),
                    ("Labour Party", 32),
                    ("Māori Party", 2),
                    ("National Party", 60),
                    ("United Future", 1),
                    ("Green Party", 14),
                    ("New Zealand First Party", 11),
                ],
            ),
        ],
    );
}

/// German Bundestag 2017 (Federal Electoral Act as of 2013): 598 seats to the Länder by
/// population (Sainte-Laguë); in each Land the parties above the threshold (5 % of second votes or
/// 3 constituencies) get Sainte-Laguë seats on their second votes; each party's minimum is the sum
/// over Länder of the larger of its constituencies and those seats; the house grows until the
/// national Sainte-Laguë allocation gives every party its minimum; each party's seats then go to
/// its Land lists by Sainte-Laguë, each keeping at least its constituencies.
#[test]
fn german_bundestag_2017() {
    let text = read("de_bdt_2017.csv");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let parties: Vec<String> =
        header[2..].iter().filter(|p| !p.is_empty()).map(|p| (*p).to_owned()).collect();
    lines.next();
    let np = parties.len();
    let mut lands: Vec<String> = Vec::new();
    let mut first_votes: BTreeMap<String, Vec<Vec<u128>>> = BTreeMap::new();
    let mut second: BTreeMap<String, Vec<u128>> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(';').collect();
        let land = f[1].to_owned();
        if !lands.contains(&land) {
            lands.push(land.clone());
        }
        let num = |s: &str| s.trim().parse::<u128>().unwrap_or(0);
        let erst: Vec<u128> = (0..np).map(|p| num(f[2 + 2 * p])).collect();
        let zweit: Vec<u128> =
            (0..np).map(|p| num(f.get(3 + 2 * p).copied().unwrap_or(""))).collect();
        first_votes.entry(land.clone()).or_default().push(erst);
        let s = second.entry(land).or_insert_with(|| vec![0; np]);
        for p in 0..np {
            s[p] += zweit[p];
        }
    }
    // Land populations (Bundeswahlleiter; as in votelib's tests).
    let population: [(&str, u128); 16] = [
        ("Schleswig-Holstein", 2673803),
        ("Hamburg", 1525090),
        ("Niedersachsen", 7278789),
        ("Bremen", 568510),
        ("Nordrhein-Westfalen", 15707569),
        ("Hessen", 5281198),
        ("Rheinland-Pfalz", 3661245),
        ("Baden-Württemberg", 9365001),
        ("Bayern", 11362245),
        ("Saarland", 899748),
        ("Berlin", 2975745),
        ("Brandenburg", 2391746),
        ("Mecklenburg-Vorpommern", 1548400),
        ("Sachsen", 3914671),
        ("Sachsen-Anhalt", 2145671),
        ("Thüringen", 2077901),
    ];
    let land_names: Vec<String> = population.iter().map(|p| p.0.to_owned()).collect();
    let pops: Vec<u128> = population.iter().map(|p| p.1).collect();
    let contingents =
        apportion(&pops, &refs(&land_names), 598, Method::SainteLague, None, &lot("de lands"))
            .unwrap()
            .seats;
    let direct: BTreeMap<&String, Vec<u128>> =
        first_votes.iter().map(|(l, rows)| (l, plurality(rows))).collect();
    let national: Vec<u128> = (0..np).map(|p| second.values().map(|s| s[p]).sum()).collect();
    let total_second: u128 = national.iter().sum();
    let direct_total: Vec<u128> = (0..np).map(|p| direct.values().map(|d| d[p]).sum()).collect();
    let qualified: Vec<bool> =
        (0..np).map(|p| national[p] * 100 >= 5 * total_second || direct_total[p] >= 3).collect();
    let names = refs(&parties);
    let mut minimum = vec![0u128; np];
    for (l, land) in land_names.iter().enumerate() {
        let v: Vec<u128> =
            (0..np).map(|p| if qualified[p] { second[land][p] } else { 0 }).collect();
        let seats = apportion(&v, &names, contingents[l], Method::SainteLague, None, &lot(land))
            .unwrap()
            .seats;
        for p in 0..np {
            if qualified[p] {
                minimum[p] += seats[p].max(direct[land][p]);
            }
        }
    }
    let eligible: Vec<u128> = (0..np).map(|p| if qualified[p] { national[p] } else { 0 }).collect();
    let mut house = 598u128;
    let seats = loop {
        let s = apportion(&eligible, &names, house, Method::SainteLague, None, &lot("de house"))
            .unwrap()
            .seats;
        if (0..np).all(|p| s[p] >= minimum[p]) {
            break s;
        }
        house += 1;
    };
    let total: BTreeMap<String, u128> = (0..np).map(|p| (parties[p].clone(), seats[p])).collect();
    // Each party's seats to its Land lists, keeping the constituencies.
    let mut mv: BTreeMap<String, u128> = BTreeMap::new();
    let land_refs = refs(&land_names);
    for p in (0..np).filter(|&p| qualified[p]) {
        let v: Vec<u128> = land_names.iter().map(|l| second[l][p]).collect();
        let mins: Vec<u128> = land_names.iter().map(|l| direct[l][p]).collect();
        let placed = apportion_with_minimums(
            &v,
            &land_refs,
            seats[p],
            Method::SainteLague,
            &mins,
            &lot(&parties[p]),
        )
        .unwrap()
        .seats;
        let m = land_names.iter().position(|l| l == "Mecklenburg-Vorpommern").unwrap();
        mv.insert(parties[p].clone(), placed[m]);
    }
    let mut results = vec![check(
        "national",
        &total,
        &[
            ("CDU", 200),
            ("SPD", 153),
            ("AfD", 94),
            ("FDP", 80),
            ("DIE LINKE", 69),
            ("GRÜNE", 67),
            ("CSU", 46),
        ],
    )];
    results.push((
        "house size".to_owned(),
        if house == 709 { Ok(()) } else { Err(format!("{house}, official 709")) },
    ));
    results.push(check(
        "Mecklenburg-Vorpommern",
        &mv,
        &[("CDU", 6), ("SPD", 2), ("AfD", 3), ("FDP", 1), ("DIE LINKE", 3), ("GRÜNE", 1)],
    ));
    report("German Bundestag 2017", results);
}

/// Nové Město nad Metují council 2018: 21 seats, D'Hondt on the sum of the candidates' votes,
/// 5 % threshold; open lists where candidates with 5 % of their list's votes jump ahead.
#[test]
fn nove_mesto_2018() {
    use psephos_count::lists::{ListRule, list_order};
    let text = read("nmnmet_cc_2018.csv");
    let mut parties: Vec<String> = Vec::new();
    let mut lists: Vec<Vec<(String, u128)>> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(';').collect();
        let p = match parties.iter().position(|x| x == f[0]) {
            Some(p) => p,
            None => {
                parties.push(f[0].to_owned());
                lists.push(Vec::new());
                parties.len() - 1
            }
        };
        lists[p].push((f[1].to_owned(), f[2].parse().unwrap()));
    }
    let votes: Vec<u128> = lists.iter().map(|l| l.iter().map(|c| c.1).sum()).collect();
    let seats = apportion(
        &votes,
        &refs(&parties),
        21,
        Method::DHondt,
        Some(&Threshold::uniform(Ratio::new(5, 100), 0)),
        &lot("nm"),
    )
    .unwrap()
    .seats;
    let expected: [(&str, &[&str]); 7] = [
        ("ČSSD", &["Čopík Jan Ing. Ph.D."]),
        ("KSČM", &["Kulhavá Zdeňka PhDr."]),
        (
            "VPM",
            &[
                "Hable Petr",
                "Maur Vilém Ing. MBA",
                "Hladík Jiří",
                "Prouza Radek",
                "Petruželková Marie",
                "Němeček Jan Ing.",
            ],
        ),
        ("NM", &["Sláma Jiří Bc.", "Žahourková Markéta", "Paarová Soňa Mgr."]),
        ("KDU-ČSL", &["Hylský Josef Mgr.", "Neumann Petr Ing.", "Dostál Pavel Ing. et Ing."]),
        (
            "ODS",
            &[
                "Hovorka Libor Ing.",
                "Kupková Irena Mgr.",
                "Slavík Milan Ing.",
                "Jarolímek Miroslav",
            ],
        ),
        ("VČ", &["Tymel Jiří Ing.", "Prouza Martin Ing.", "Balcarová Jana Mgr."]),
    ];
    let mut results = Vec::new();
    for (p, party) in parties.iter().enumerate() {
        let personal: Vec<u128> = lists[p].iter().map(|c| c.1).collect();
        let order =
            list_order(&personal, votes[p], ListRule::Preference { jump: Ratio::new(5, 100) });
        let elected: Vec<&str> =
            order.iter().take(seats[p] as usize).map(|&k| lists[p][k].0.as_str()).collect();
        let want: Vec<&str> =
            expected.iter().find(|e| e.0 == party).map_or(Vec::new(), |e| e.1.to_vec());
        results.push((
            party.clone(),
            if elected == want {
                Ok(())
            } else {
                Err(format!("elected {elected:?}, official {want:?}"))
            },
        ));
    }
    report("Nové Město nad Metují 2018 (open lists)", results);
}
