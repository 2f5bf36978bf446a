//! Election packages with the real structure of other laws: contests, seats and systems, with no
//! candidates, parties or stations yet.

use psephos_model::{
    CandidateFilter, Contest, ElectionParts, Electorate, Formula, Fraction, Gender, LevelingTier,
    ListKind, ListPr, ListThreshold, Meta, Method, Minimum, PhasePolicy, QuotaRule, QuotaScope,
    Rounding, System, SystemIdx, ThresholdBase, ThresholdScope, TieMethod, TiePolicy,
};

use crate::iraq::{RESERVED_SEATS, district_seats, governorates};

const SPAIN_SEATS: &str = include_str!("../data/es_congreso_2019_province_seats.csv");
const NORWAY_SEATS: &str = include_str!("../data/no_storting_2025_district_seats.csv");
const US_STATES: &str = include_str!("../data/us_house_2020_states.csv");
const DE_WAHLKREISE: &str = include_str!("../data/de_bundestag_2017_wahlkreise.csv");
const DE_LAENDER: &str = include_str!("../data/de_bundestag_2017_laender.csv");

/// Iraq, Council of Representatives, 2018 (Law No. 45 of 2013 as amended): 320 seats in the 18
/// governorates by open-list PR with modified Sainte-Laguë (first divisor 1.7), a woman among
/// each list's seats for every four; 9 seats reserved for minorities as in 2021.
pub fn iraq_2018(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::Lot, seed: tie_seed.to_owned() };
    let mut parts = crate::iraq::iraq_2021(tie_seed);
    parts.meta = Meta {
        id: "iq-2018".to_owned(),
        name: "Council of Representatives of Iraq, 2018".to_owned(),
        date: "2018-05-12".to_owned(),
        country: "IQ".to_owned(),
    };
    // The district system becomes one list-PR contest per governorate.
    parts.systems[0] = System {
        id: "governorate".to_owned(),
        method: Method::ListPr(ListPr {
            formula: Formula::ModifiedSainteLague { first: Fraction::new(17, 10) },
            lists: ListKind::Open,
            threshold: None,
        }),
        reserved_for: None,
        electorate: Electorate::Own,
        // "A woman is elected after every three winning men": a quarter of each list's seats,
        // rounded down, with the best-placed women of the list replacing its lowest men.
        quotas: vec![QuotaRule {
            name: "women".to_owned(),
            filter: CandidateFilter { gender: Some(Gender::Female), group: None },
            minimum: Minimum::Share { numerator: 1, denominator: 4, rounding: Rounding::Down },
            scope: QuotaScope::List,
            unless_contest_has: None,
        }],
        ties,
    };
    let govs = governorates();
    let reserved: Vec<Contest> =
        parts.contests.split_off(govs.iter().map(|g| g.districts as usize).sum());
    parts.contests = govs
        .iter()
        .enumerate()
        .map(|(gi, g)| Contest {
            id: g.code.to_owned(),
            name: g.name.to_owned(),
            governorate: Some(psephos_model::GovernorateIdx::from_index(gi)),
            seats: district_seats(g).iter().sum(),
            system: SystemIdx(0),
            population: None,
        })
        .chain(reserved)
        .collect();
    debug_assert_eq!(parts.contests.len(), 18 + RESERVED_SEATS.len());
    parts
}

/// Spain, Congreso de los Diputados (LOREG): 350 seats in 52 provinces (seats as in November
/// 2019), closed lists, D'Hondt, 3 % of the province's valid votes including blank ballots,
/// equal quotients to the list with more votes.
pub fn spain(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::MostVotes, seed: tie_seed.to_owned() };
    let system = System {
        id: "province".to_owned(),
        method: Method::ListPr(ListPr {
            formula: Formula::DHondt,
            lists: ListKind::Closed,
            threshold: Some(ListThreshold {
                share: Fraction::new(3, 100),
                base: ThresholdBase::ValidBallots,
                scope: ThresholdScope::Contest,
                or_seats: None,
            }),
        }),
        reserved_for: None,
        electorate: Electorate::Own,
        quotas: Vec::new(),
        ties,
    };
    let contests = SPAIN_SEATS
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split(',');
            let (code, name, seats) = (f.next()?, f.next()?, f.next()?.parse().ok()?);
            Some(Contest {
                id: format!("ES-{code}"),
                name: name.to_owned(),
                governorate: None,
                seats,
                system: SystemIdx(0),
                population: None,
            })
        })
        .collect();
    ElectionParts {
        meta: Meta {
            id: "es-congreso".to_owned(),
            name: "Congreso de los Diputados".to_owned(),
            date: String::new(),
            country: "ES".to_owned(),
        },
        systems: vec![system],
        contests,
        phase_policy: Some(PhasePolicy::latest()),
        ..ElectionParts::default()
    }
}

/// Norway, Storting (Election Act §§ 11-3 to 11-7): 169 seats; 150 district seats in the 19
/// counties (as apportioned for 2025) by modified Sainte-Laguë with first divisor 1.4 and no
/// threshold, then 19 leveling seats, one per county, for parties with 4 % of the national vote,
/// computed nationally by the same formula with iterative setting aside of parties whose district
/// seats exceed their share, and placed back into the counties. Lists are treated as closed:
/// personal votes have not changed a Storting list's order since the rule took its present form.
/// Ties by lot.
pub fn norway(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::Lot, seed: tie_seed.to_owned() };
    let formula = Formula::ModifiedSainteLague { first: Fraction::new(7, 5) };
    let system = System {
        id: "county".to_owned(),
        method: Method::ListPr(ListPr { formula, lists: ListKind::Closed, threshold: None }),
        reserved_for: None,
        electorate: Electorate::Own,
        quotas: Vec::new(),
        ties,
    };
    let contests = NORWAY_SEATS
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split(',');
            let (code, name, seats) = (f.next()?, f.next()?, f.next()?.parse().ok()?);
            Some(Contest {
                id: format!("NO-{code}"),
                name: name.to_owned(),
                governorate: None,
                seats,
                system: SystemIdx(0),
                population: None,
            })
        })
        .collect();
    ElectionParts {
        meta: Meta {
            id: "no-storting".to_owned(),
            name: "Stortinget".to_owned(),
            date: String::new(),
            country: "NO".to_owned(),
        },
        systems: vec![system],
        contests,
        phase_policy: Some(PhasePolicy::latest()),
        leveling: Some(LevelingTier {
            system: SystemIdx(0),
            seats: 19,
            formula,
            threshold: Fraction::new(4, 100),
        }),
        ..ElectionParts::default()
    }
}

/// United States, House of Representatives (2 U.S.C. §2a, method of equal proportions): 435
/// seats apportioned among the 50 states by their 2020 apportionment populations with
/// Huntington-Hill, one seat each first; each state's seats are its single-member districts
/// (`AL-01` ... ; `AK-AL` for an at-large seat), each elected by plurality (SNTV with one seat).
pub fn us_house(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::Lot, seed: tie_seed.to_owned() };
    let system = System {
        id: "district".to_owned(),
        method: Method::Sntv,
        reserved_for: None,
        electorate: Electorate::Own,
        quotas: Vec::new(),
        ties,
    };
    let mut governorates = Vec::new();
    let mut contests = Vec::new();
    let mut population = Vec::new();
    for line in US_STATES.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [state, code, pop, seats] = f[..] else { continue };
        let (Ok(pop), Ok(seats)) = (pop.parse::<u32>(), seats.parse::<u32>()) else { continue };
        governorates.push(state.to_owned());
        population.push((state.to_owned(), pop));
        let g = psephos_model::GovernorateIdx::from_index(governorates.len() - 1);
        for d in 1..=seats {
            let (id, name) = if seats == 1 {
                (format!("{code}-AL"), format!("{state} at-large"))
            } else {
                (format!("{code}-{d:02}"), format!("{state} {d}"))
            };
            contests.push(Contest {
                id,
                name,
                governorate: Some(g),
                seats: 1,
                system: SystemIdx(0),
                population: None,
            });
        }
    }
    ElectionParts {
        meta: Meta {
            id: "us-house".to_owned(),
            name: "United States House of Representatives".to_owned(),
            date: String::new(),
            country: "US".to_owned(),
        },
        systems: vec![system],
        governorates,
        contests,
        phase_policy: Some(PhasePolicy::latest()),
        apportionment: Some(psephos_model::ContestApportionment {
            system: SystemIdx(0),
            formula: Formula::HuntingtonHill,
            seats: 435,
            minimum: 1,
            governorate_population: population,
            apportioned: Vec::new(),
        }),
        ..ElectionParts::default()
    }
}

/// Germany, Bundestag 2017 (Federal Electoral Act as amended in 2013): 598 seats; 299
/// constituencies (`WK-001` ... `WK-299`) by plurality on the first vote; 16 Land lists (`LL-SH`
/// ...) on the second vote, a ballot paper of their own, closed lists, Sainte-Laguë, for parties
/// with 5 % of the second votes nationally or 3 constituencies. The Land contingents are the 598
/// seats apportioned by population (Sainte-Laguë); each Land's contingent is divided among the
/// parties there (first stage); the house grows until every party has at least the sum over the
/// Länder of its constituencies or first-stage seats, whichever is more; each party's seats go
/// back to its Land lists by Sainte-Laguë, each keeping its constituencies.
pub fn bundestag_2017(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::Lot, seed: tie_seed.to_owned() };
    let constituency = System {
        id: "constituency".to_owned(),
        method: Method::Sntv,
        reserved_for: None,
        electorate: Electorate::Own,
        quotas: Vec::new(),
        ties: ties.clone(),
    };
    let land = System {
        id: "land".to_owned(),
        method: Method::ListPr(ListPr {
            formula: Formula::SainteLague,
            lists: ListKind::Closed,
            threshold: Some(ListThreshold {
                share: Fraction::new(5, 100),
                base: ThresholdBase::ListVotes,
                scope: ThresholdScope::System,
                or_seats: Some(psephos_model::SeatsAlternative { seats: 3, system: SystemIdx(0) }),
            }),
        }),
        reserved_for: None,
        electorate: Electorate::GovernorateBallot,
        quotas: Vec::new(),
        ties,
    };
    let mut governorates: Vec<String> = Vec::new();
    let mut contests = Vec::new();
    for line in DE_WAHLKREISE.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [number, name, land] = f[..] else { continue };
        let Ok(number) = number.parse::<u32>() else { continue };
        let g = match governorates.iter().position(|x| x == land) {
            Some(g) => g,
            None => {
                governorates.push(land.to_owned());
                governorates.len() - 1
            }
        };
        contests.push(Contest {
            id: format!("WK-{number:03}"),
            name: name.to_owned(),
            governorate: Some(psephos_model::GovernorateIdx::from_index(g)),
            seats: 1,
            system: SystemIdx(0),
            population: None,
        });
    }
    for line in DE_LAENDER.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [code, land, population] = f[..] else { continue };
        let Ok(population) = population.parse::<u32>() else { continue };
        let g = governorates.iter().position(|x| x == land);
        contests.push(Contest {
            id: format!("LL-{code}"),
            name: format!("Landesliste {land}"),
            governorate: g.map(psephos_model::GovernorateIdx::from_index),
            // Apportioned by population: see [apportionment].
            seats: 0,
            system: SystemIdx(1),
            population: Some(population),
        });
    }
    ElectionParts {
        meta: Meta {
            id: "de-bundestag-2017".to_owned(),
            name: "Deutscher Bundestag, 2017".to_owned(),
            date: "2017-09-24".to_owned(),
            country: "DE".to_owned(),
        },
        systems: vec![constituency, land],
        governorates,
        contests,
        phase_policy: Some(PhasePolicy::latest()),
        apportionment: Some(psephos_model::ContestApportionment {
            system: SystemIdx(1),
            formula: Formula::SainteLague,
            seats: 598,
            minimum: 0,
            governorate_population: Vec::new(),
            apportioned: Vec::new(),
        }),
        mixed_member: Some(psephos_model::MixedMember {
            constituencies: SystemIdx(0),
            lists: SystemIdx(1),
            seats: 598,
            formula: Formula::SainteLague,
            overhang: psephos_model::Overhang::Level,
        }),
        ..ElectionParts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structures() {
        let iq = iraq_2018("");
        assert_eq!(iq.contests.len(), 27);
        assert_eq!(iq.contests.iter().map(|c| c.seats).sum::<u32>(), 329);
        let es = spain("");
        assert_eq!(es.contests.len(), 52);
        assert_eq!(es.contests.iter().map(|c| c.seats).sum::<u32>(), 350);
        let no = norway("");
        assert_eq!(no.contests.len(), 19);
        assert_eq!(no.contests.iter().map(|c| c.seats).sum::<u32>(), 150);
        let us = us_house("");
        assert_eq!(us.contests.len(), 435);
        assert_eq!(us.governorates.len(), 50);
        let de = bundestag_2017("");
        assert_eq!(de.contests.len(), 299 + 16);
        assert_eq!(de.contests.iter().filter(|c| c.seats == 1).count(), 299);
    }
}
