//! The structure of Iraq's 2021 Council of Representatives election (Law No. 9 of 2020): 18
//! governorates, 83 districts electing 320 members by single non-transferable vote with at least
//! one woman per district, and 9 seats reserved for minority components.

use psephos_model::{
    CandidateFilter, Contest, ContestIdx, ElectionParts, Electorate, Gender, GovernorateIdx, Meta,
    Method, Minimum, PhasePolicy, QuotaRule, QuotaScope, System, SystemIdx, TieMethod, TiePolicy,
};

const DISTRICTS_CSV: &str = include_str!("../data/iq_2021_districts_by_governorate.csv");

/// A governorate of the 2021 election.
#[derive(Clone, Debug)]
pub struct Governorate {
    pub name: &'static str,
    pub code: &'static str,
    pub districts: u32,
    pub general_seats: u32,
}

/// Codes used in ids, by governorate name as the data file spells it.
const CODES: [(&str, &str); 18] = [
    ("Baghdad", "BGD"),
    ("Nineveh", "NIN"),
    ("Basra", "BSR"),
    ("Dhi Qar", "DHQ"),
    ("Sulaymaniyah", "SUL"),
    ("Babil", "BAB"),
    ("Anbar", "ANB"),
    ("Erbil", "ERB"),
    ("Diyala", "DIY"),
    ("Kirkuk", "KRK"),
    ("Najaf", "NJF"),
    ("Salahuddin", "SAL"),
    ("Dohuk", "DUK"),
    ("Qadisiyah", "QAD"),
    ("Karbala", "KRB"),
    ("Wasit", "WAS"),
    ("Maysan", "MAY"),
    ("Muthanna", "MUT"),
];

/// The 18 governorates with their district and general-seat counts, from the embedded data.
pub fn governorates() -> Vec<Governorate> {
    DISTRICTS_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            // "Qadisiyah (Diwaniyah)" is one governorate with two names.
            let name = f.first()?.split(" (").next()?.trim();
            let (name, code) = CODES.iter().find(|(n, _)| *n == name).copied()?;
            Some(Governorate {
                name,
                code,
                districts: f.get(1)?.parse().ok()?,
                general_seats: f.get(3)?.parse().ok()?,
            })
        })
        .collect()
}

/// Seats of each district of a governorate: the general seats split as evenly as possible, the
/// larger districts first.
pub fn district_seats(g: &Governorate) -> Vec<u32> {
    let base = g.general_seats / g.districts;
    let extra = g.general_seats % g.districts;
    (0..g.districts).map(|i| base + u32::from(i < extra)).collect()
}

/// A seat reserved for a minority component.
#[derive(Clone, Copy, Debug)]
pub struct ReservedSeat {
    pub id: &'static str,
    pub name: &'static str,
    pub governorate: &'static str,
    pub group: &'static str,
    pub system: &'static str,
}

/// The nine reserved seats of 2021. Christian and Sabean-Mandaean candidates can be voted for
/// anywhere in Iraq; Yazidi, Shabak and Feyli Kurd candidates only in their governorate.
pub const RESERVED_SEATS: [ReservedSeat; 9] = [
    ReservedSeat {
        id: "CHR-BGD",
        name: "Christian seat, Baghdad",
        governorate: "Baghdad",
        group: "christian",
        system: "christian",
    },
    ReservedSeat {
        id: "CHR-NIN",
        name: "Christian seat, Nineveh",
        governorate: "Nineveh",
        group: "christian",
        system: "christian",
    },
    ReservedSeat {
        id: "CHR-KRK",
        name: "Christian seat, Kirkuk",
        governorate: "Kirkuk",
        group: "christian",
        system: "christian",
    },
    ReservedSeat {
        id: "CHR-ERB",
        name: "Christian seat, Erbil",
        governorate: "Erbil",
        group: "christian",
        system: "christian",
    },
    ReservedSeat {
        id: "CHR-DUK",
        name: "Christian seat, Dohuk",
        governorate: "Dohuk",
        group: "christian",
        system: "christian",
    },
    ReservedSeat {
        id: "SAB-BGD",
        name: "Sabean-Mandaean seat, Baghdad",
        governorate: "Baghdad",
        group: "sabean-mandaean",
        system: "sabean-mandaean",
    },
    ReservedSeat {
        id: "YAZ-NIN",
        name: "Yazidi seat, Nineveh",
        governorate: "Nineveh",
        group: "yazidi",
        system: "yazidi",
    },
    ReservedSeat {
        id: "SHB-NIN",
        name: "Shabak seat, Nineveh",
        governorate: "Nineveh",
        group: "shabak",
        system: "shabak",
    },
    ReservedSeat {
        id: "FEY-WAS",
        name: "Feyli Kurd seat, Wasit",
        governorate: "Wasit",
        group: "feyli-kurd",
        system: "feyli-kurd",
    },
];

/// The law of 2021 and its contests, with no candidates, parties or stations: what
/// `psephos init --template iraq-2021` writes.
pub fn iraq_2021(tie_seed: &str) -> ElectionParts {
    let ties = TiePolicy { method: TieMethod::Lot, seed: tie_seed.to_owned() };
    let system =
        |id: &str, electorate: Electorate, group: Option<&str>, quotas: Vec<QuotaRule>| System {
            id: id.to_owned(),
            method: Method::Sntv,
            reserved_for: group.map(str::to_owned),
            electorate,
            quotas,
            ties: ties.clone(),
        };
    let women = QuotaRule {
        name: "women".to_owned(),
        filter: CandidateFilter { gender: Some(Gender::Female), group: None },
        minimum: Minimum::Count(1),
        scope: QuotaScope::Contest,
        unless_contest_has: None,
    };
    let systems = vec![
        system("district", Electorate::Own, None, vec![women]),
        system("christian", Electorate::Nationwide, Some("christian"), vec![]),
        system("sabean-mandaean", Electorate::Nationwide, Some("sabean-mandaean"), vec![]),
        system("yazidi", Electorate::Governorate, Some("yazidi"), vec![]),
        system("shabak", Electorate::Governorate, Some("shabak"), vec![]),
        system("feyli-kurd", Electorate::Governorate, Some("feyli-kurd"), vec![]),
    ];
    let system_idx =
        |id: &str| SystemIdx::from_index(systems.iter().position(|s| s.id == id).unwrap_or(0));
    let govs = governorates();
    let governorate_names: Vec<String> = govs.iter().map(|g| g.name.to_owned()).collect();
    let gov_idx = |name: &str| {
        governorate_names.iter().position(|n| n == name).map(GovernorateIdx::from_index)
    };
    let mut contests = Vec::new();
    for (gi, g) in govs.iter().enumerate() {
        for (d, seats) in district_seats(g).into_iter().enumerate() {
            contests.push(Contest {
                id: format!("{}-{:02}", g.code, d + 1),
                name: format!("{} {}", g.name, d + 1),
                governorate: Some(GovernorateIdx::from_index(gi)),
                seats,
                system: system_idx("district"),
                population: None,
            });
        }
    }
    for r in RESERVED_SEATS {
        contests.push(Contest {
            id: r.id.to_owned(),
            name: r.name.to_owned(),
            governorate: gov_idx(r.governorate),
            seats: 1,
            system: system_idx(r.system),
            population: None,
        });
    }
    ElectionParts {
        meta: Meta {
            id: "iq-2021".to_owned(),
            name: "Council of Representatives of Iraq, 2021".to_owned(),
            date: "2021-10-10".to_owned(),
            country: "IQ".to_owned(),
        },
        systems,
        governorates: governorate_names,
        contests,
        phase_policy: Some(PhasePolicy::latest()),
        ..ElectionParts::default()
    }
}

/// Index of a contest by id within parts (for the generator).
pub(crate) fn contest_index(parts: &ElectionParts, id: &str) -> Option<ContestIdx> {
    parts.contests.iter().position(|c| c.id == id).map(ContestIdx::from_index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_matches_the_law() {
        let govs = governorates();
        assert_eq!(govs.len(), 18);
        assert_eq!(govs.iter().map(|g| g.districts).sum::<u32>(), 83);
        assert_eq!(govs.iter().map(|g| g.general_seats).sum::<u32>(), 320);
        for g in &govs {
            let seats = district_seats(g);
            assert_eq!(seats.iter().sum::<u32>(), g.general_seats);
            assert!(seats.iter().all(|s| (3..=5).contains(s)), "{}: {seats:?}", g.name);
        }
        let parts = iraq_2021("seed");
        assert_eq!(parts.contests.len(), 92);
        assert_eq!(parts.contests.iter().map(|c| c.seats).sum::<u32>(), 329);
    }
}
