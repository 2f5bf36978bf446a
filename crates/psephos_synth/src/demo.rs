//! A seeded synthetic election shaped like Iraq's of October 2021.
//!
//! The structure is the real one (18 governorates, 83 districts with their seats, 9 reserved
//! seats); the people and the numbers are invented: about 3,249 candidates (about 950 women),
//! 8,273 polling centres with about 55,000 stations and 22,116,368 registered voters, a turnout of
//! about 43.5 %, and bloc vote shares raked to the published 2021 shares by governorate
//! affinity. Every station gets an electronic form; one station per centre, drawn by lot, also
//! gets a manual (hand-count) form, a few of which differ from the electronic count by a vote,
//! as some did in 2021. About 7.9 % of the stations (2021: 4,326 of about 55,000) also get a
//! recount form, most identical to the count they check, a few with a vote moved.
//!
//! The same configuration always gives the same election, byte for byte: every random draw comes
//! from ChaCha8 streams seeded by [`DemoConfig::seed`], one stream per district.

use psephos_model::{
    Candidate, CandidateIdx, Coalition, CoalitionIdx, ContestIdx, Election, Form, FormKey, FormSet,
    Gender, GovernorateIdx, Party, PartyIdx, Phase, Source, Station, StationIdx,
};
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use rand_distr::{Binomial, Distribution, Gamma, LogNormal};
use rayon::prelude::*;

use crate::iraq;
use crate::names::{self, NameParts};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    /// Polling stations (2021: about 55,000).
    pub stations: u64,
    /// Candidates in all contests (2021: 3,249). Every district keeps at least one more
    /// candidate than seats and every reserved seat at least one candidate.
    pub candidates: u32,
    /// Percent of stations with planted ballot stuffing (0: a clean election), for testing
    /// forensic tools; see [`add_stuffing`].
    pub stuffing_percent: u32,
}

impl DemoConfig {
    pub const IRAQ_STATIONS: u64 = 55_000;
    pub const IRAQ_CANDIDATES: u32 = 3_249;
    pub const IRAQ_REGISTERED: u64 = 22_116_368;
    pub const IRAQ_CENTRES: u64 = 8_273;
    /// Turnout of 2021: 9,629,601 of 22,116,368.
    pub const IRAQ_TURNOUT: f64 = 9_629_601.0 / 22_116_368.0;

    pub fn iraq(seed: u64) -> Self {
        DemoConfig {
            seed,
            stations: Self::IRAQ_STATIONS,
            candidates: Self::IRAQ_CANDIDATES,
            stuffing_percent: 0,
        }
    }
}

/// A generated election and its forms.
pub struct Demo {
    pub election: Election,
    pub forms: FormSet,
}

/// Which community a bloc draws its votes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Community {
    Shia,
    Sunni,
    Kurd,
    Turkmen,
    All,
}

/// How a bloc nominates and spreads its vote over its candidates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Few candidates, votes managed evenly between them (the Sadrists, the KDP, Taqaddum).
    Managed,
    /// A list of candidates with a leader and followers.
    Party,
    /// Too many candidates splitting the list's vote (State Forces, National Contract in 2021).
    Loose,
    /// Many independent candidates with very uneven support.
    Scattered,
}

struct Bloc {
    id: &'static str,
    name: &'static str,
    /// National share of valid votes, percent (Wikipedia's 2021 infobox; "other lists" fill the rest).
    share: f64,
    community: Community,
    /// Multipliers of the bloc's strength in some governorates (by code).
    tilt: &'static [(&'static str, f64)],
    style: Style,
    /// Member parties (id, name); a bloc without parties is made of independents.
    parties: &'static [(&'static str, &'static str)],
}

use Community::*;
use Style::*;

const BLOCS: &[Bloc] = &[
    Bloc {
        id: "sadrist",
        name: "Sadrist Movement (al-Kutla al-Sadriya)",
        share: 10.0,
        community: Shia,
        tilt: &[("BGD", 1.3), ("MAY", 1.5), ("DHQ", 1.3)],
        style: Managed,
        parties: &[("sadrist", "Sadrist Movement")],
    },
    Bloc {
        id: "taqaddum",
        name: "Progress / Taqaddum",
        share: 7.2,
        community: Sunni,
        tilt: &[("ANB", 2.0), ("BGD", 1.3)],
        style: Managed,
        parties: &[("taqaddum", "Taqaddum Party")],
    },
    Bloc {
        id: "sol",
        name: "State of Law",
        share: 5.67,
        community: Shia,
        tilt: &[("BGD", 1.2), ("KRB", 1.3)],
        style: Managed,
        parties: &[("dawa", "Islamic Dawa Party"), ("sol", "State of Law Coalition")],
    },
    Bloc {
        id: "kdp",
        name: "Kurdistan Democratic Party",
        share: 8.83,
        community: Kurd,
        tilt: &[("ERB", 1.6), ("DUK", 2.0), ("NIN", 1.4), ("SUL", 0.15), ("KRK", 0.5)],
        style: Managed,
        parties: &[("kdp", "Kurdistan Democratic Party")],
    },
    Bloc {
        id: "fatah",
        name: "Fatah Alliance",
        share: 5.23,
        community: Shia,
        tilt: &[("DIY", 1.5), ("BAB", 1.2)],
        style: Party,
        parties: &[("badr", "Badr Organization"), ("sadiqoun", "Sadiqoun")],
    },
    Bloc {
        id: "kurdistani",
        name: "Kurdistani Coalition (PUK+Gorran)",
        share: 4.16,
        community: Kurd,
        tilt: &[("SUL", 2.2), ("KRK", 1.8), ("ERB", 0.5), ("DUK", 0.15)],
        style: Party,
        parties: &[
            ("puk", "Patriotic Union of Kurdistan"),
            ("gorran", "Movement for Change (Gorran)"),
        ],
    },
    Bloc {
        id: "azm",
        name: "Azm Alliance",
        share: 4.76,
        community: Sunni,
        tilt: &[("NIN", 1.5), ("SAL", 1.6), ("DIY", 1.2)],
        style: Party,
        parties: &[("azm", "Azm Alliance")],
    },
    Bloc {
        id: "imtidad",
        name: "Imtidad",
        share: 3.38,
        community: Shia,
        tilt: &[("DHQ", 4.0), ("BSR", 1.3)],
        style: Party,
        parties: &[("imtidad", "Imtidad Movement")],
    },
    Bloc {
        id: "newgen",
        name: "New Generation",
        share: 2.64,
        community: Kurd,
        tilt: &[("SUL", 2.5), ("ERB", 0.8)],
        style: Party,
        parties: &[("newgen", "New Generation Movement")],
    },
    Bloc {
        id: "ishraqat",
        name: "Ishraqat Kanon",
        share: 1.13,
        community: Shia,
        tilt: &[],
        style: Party,
        parties: &[("ishraqat", "Ishraqat Kanon")],
    },
    Bloc {
        id: "tasmim",
        name: "Tasmim Alliance",
        share: 1.73,
        community: Shia,
        tilt: &[("BSR", 20.0)],
        style: Party,
        parties: &[("tasmim", "Tasmim Alliance")],
    },
    Bloc {
        id: "stateforces",
        name: "Alliance of National State Forces (Abadi/Hakim)",
        share: 4.06,
        community: Shia,
        tilt: &[("NJF", 1.3), ("BSR", 1.2)],
        style: Loose,
        parties: &[("hikma", "National Wisdom Movement"), ("nasr", "Victory Alliance")],
    },
    Bloc {
        id: "aqd",
        name: "National Contract (Aqd)",
        share: 3.79,
        community: All,
        tilt: &[("KRK", 0.3), ("ERB", 0.1), ("DUK", 0.1), ("SUL", 0.1)],
        style: Loose,
        parties: &[("aqd", "National Contract")],
    },
    Bloc {
        id: "hawiyat",
        name: "Our People's Identity (Hawiyat)",
        share: 0.66,
        community: Sunni,
        tilt: &[("NIN", 3.0)],
        style: Loose,
        parties: &[("hawiyat", "Hawiyat")],
    },
    Bloc {
        id: "hasm",
        name: "Decisive Reform (Hasm)",
        share: 0.3,
        community: Sunni,
        tilt: &[("SAL", 3.0)],
        style: Loose,
        parties: &[("hasm", "Hasm")],
    },
    Bloc {
        id: "approach",
        name: "National Approach",
        share: 1.22,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("approach", "National Approach")],
    },
    Bloc {
        id: "huquq",
        name: "Rights Movement (Huquq)",
        share: 1.12,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("huquq", "Huquq Movement")],
    },
    Bloc {
        id: "eqtadar",
        name: "Eqtadar Watan",
        share: 0.83,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("eqtadar", "Eqtadar Watan")],
    },
    Bloc {
        id: "kdk",
        name: "Kurdistan Justice Group (KDK/Komal)",
        share: 0.72,
        community: Kurd,
        tilt: &[("SUL", 1.5)],
        style: Party,
        parties: &[("komal", "Kurdistan Justice Group")],
    },
    Bloc {
        id: "masses",
        name: "Party of the Masses",
        share: 0.56,
        community: Sunni,
        tilt: &[("SAL", 3.0)],
        style: Loose,
        parties: &[("masses", "Party of the Masses")],
    },
    Bloc {
        id: "itf",
        name: "Iraqi Turkmen Front",
        share: 0.55,
        community: Turkmen,
        tilt: &[("KRK", 2.0)],
        style: Party,
        parties: &[("itf", "Iraqi Turkmen Front")],
    },
    Bloc {
        id: "inp",
        name: "Iraqi National Project",
        share: 0.51,
        community: Sunni,
        tilt: &[],
        style: Loose,
        parties: &[("inp", "Iraqi National Project")],
    },
    Bloc {
        id: "furatain",
        name: "Al-Furatain",
        share: 0.45,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("furatain", "Al-Furatain")],
    },
    Bloc {
        id: "product",
        name: "National Product",
        share: 0.41,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("product", "National Product")],
    },
    Bloc {
        id: "wasit",
        name: "Wasit Independents",
        share: 0.35,
        community: Shia,
        tilt: &[("WAS", 40.0)],
        style: Party,
        parties: &[("wasit", "Wasit Independents")],
    },
    Bloc {
        id: "arabs-kirkuk",
        name: "Arabs of Kirkuk",
        share: 0.3,
        community: Sunni,
        tilt: &[("KRK", 30.0)],
        style: Party,
        parties: &[("arabs-kirkuk", "Arab Coalition of Kirkuk")],
    },
    Bloc {
        id: "loyalty",
        name: "Loyalty and Change",
        share: 0.17,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("loyalty", "Loyalty and Change")],
    },
    Bloc {
        id: "hopes",
        name: "National Hopes",
        share: 0.17,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("hopes", "National Hopes")],
    },
    Bloc {
        id: "nation",
        name: "The Nation's Party",
        share: 0.14,
        community: Sunni,
        tilt: &[],
        style: Loose,
        parties: &[("nation", "The Nation's Party")],
    },
    Bloc {
        id: "biladi",
        name: "Biladi",
        share: 0.09,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("biladi", "Biladi")],
    },
    Bloc {
        id: "support",
        name: "National Support",
        share: 0.07,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[("support", "National Support")],
    },
    Bloc {
        id: "others-shia",
        name: "Other lists (south and centre)",
        share: 3.6,
        community: Shia,
        tilt: &[],
        style: Loose,
        parties: &[
            ("civil", "Civil Democratic Alliance"),
            ("tahaluf", "Future Alliance"),
            ("islah", "Reform Gathering"),
        ],
    },
    Bloc {
        id: "others-sunni",
        name: "Other lists (west and north)",
        share: 2.6,
        community: Sunni,
        tilt: &[],
        style: Loose,
        parties: &[("watan", "Watan Front"), ("ahd", "Ahd Alliance")],
    },
    Bloc {
        id: "others-kurd",
        name: "Other lists (Kurdistan)",
        share: 1.3,
        community: Kurd,
        tilt: &[],
        style: Loose,
        parties: &[("kiu", "Kurdistan Islamic Union"), ("kig", "Kurdistan Islamic Group")],
    },
    Bloc {
        id: "others-turkmen",
        name: "Other lists (Turkmen)",
        share: 0.45,
        community: Turkmen,
        tilt: &[],
        style: Party,
        parties: &[("turkmen-rights", "Turkmen Rights Party")],
    },
    Bloc {
        id: "independents",
        name: "Independents (individual candidates)",
        share: 19.05,
        community: All,
        tilt: &[],
        style: Scattered,
        parties: &[],
    },
];

/// Community shares of the electorate and base turnout, by governorate code. Rough, public
/// orders of magnitude; they only shape where each bloc finds its voters.
const GOVERNORATE_PROFILE: [(&str, [f64; 4], f64); 18] = [
    ("BGD", [0.64, 0.32, 0.02, 0.02], 0.34),
    ("NIN", [0.06, 0.60, 0.25, 0.09], 0.44),
    ("BSR", [0.94, 0.05, 0.00, 0.01], 0.38),
    ("DHQ", [0.99, 0.01, 0.00, 0.00], 0.42),
    ("SUL", [0.00, 0.01, 0.99, 0.00], 0.40),
    ("BAB", [0.93, 0.07, 0.00, 0.00], 0.44),
    ("ANB", [0.01, 0.99, 0.00, 0.00], 0.48),
    ("ERB", [0.01, 0.03, 0.92, 0.04], 0.47),
    ("DIY", [0.40, 0.48, 0.10, 0.02], 0.42),
    ("KRK", [0.10, 0.35, 0.42, 0.13], 0.43),
    ("NJF", [0.99, 0.01, 0.00, 0.00], 0.41),
    ("SAL", [0.12, 0.84, 0.02, 0.02], 0.49),
    ("DUK", [0.00, 0.01, 0.95, 0.04], 0.55),
    ("QAD", [0.99, 0.01, 0.00, 0.00], 0.43),
    ("KRB", [0.99, 0.01, 0.00, 0.00], 0.45),
    ("WAS", [0.91, 0.03, 0.06, 0.00], 0.41),
    ("MAY", [0.99, 0.01, 0.00, 0.00], 0.40),
    ("MUT", [0.99, 0.01, 0.00, 0.00], 0.45),
];

/// A minority pool: its candidates per reserved seat, and where its voters live.
struct MinorityPool {
    group: &'static str,
    names: &'static NameParts,
    /// Candidates per reserved seat id (2021: 34 Christians in five governorates).
    candidates: &'static [(&'static str, u32)],
    women: f64,
    /// Governorate codes holding community polling centres, with how many (at 55,000 stations).
    centres: &'static [(&'static str, u32)],
    parties: &'static [(&'static str, &'static str)],
}

const MINORITIES: [MinorityPool; 5] = [
    MinorityPool {
        group: "christian",
        names: &names::CHRISTIAN,
        candidates: &[
            ("CHR-BGD", 9),
            ("CHR-NIN", 6),
            ("CHR-KRK", 5),
            ("CHR-ERB", 8),
            ("CHR-DUK", 6),
        ],
        women: 13.0 / 34.0,
        centres: &[("BGD", 22), ("NIN", 28), ("ERB", 14), ("DUK", 10), ("KRK", 6), ("BSR", 2)],
        parties: &[
            ("babylon", "Babylon Movement"),
            ("adm", "Assyrian Democratic Movement"),
            ("csapc", "Chaldean Syriac Assyrian Popular Council"),
        ],
    },
    MinorityPool {
        group: "sabean-mandaean",
        names: &names::SABEAN,
        candidates: &[("SAB-BGD", 9)],
        women: 0.2,
        centres: &[("BGD", 4), ("BSR", 2), ("MAY", 1)],
        parties: &[],
    },
    MinorityPool {
        group: "yazidi",
        names: &names::YAZIDI,
        candidates: &[("YAZ-NIN", 12)],
        women: 0.2,
        centres: &[("NIN", 30)],
        parties: &[("yazidi-movement", "Yazidi Movement for Reform and Progress")],
    },
    MinorityPool {
        group: "shabak",
        names: &names::SHABAK,
        candidates: &[("SHB-NIN", 8)],
        women: 0.15,
        centres: &[("NIN", 16)],
        parties: &[],
    },
    MinorityPool {
        group: "feyli-kurd",
        names: &names::FEYLI,
        candidates: &[("FEY-WAS", 10)],
        women: 0.2,
        centres: &[("WAS", 45)],
        parties: &[],
    },
];

/// Share of a community centre's valid votes that go to its community's candidates.
const COMMUNITY_VOTE_SHARE: f64 = 0.55;
/// Share of other stations' valid votes that stray to minority candidates on their ballot.
const STRAY_MINORITY_SHARE: f64 = 0.0002;
const BLANK_SHARE: f64 = 0.011;
/// Invalid ballots among the non-blank (7.5 % of all ballots with the blank ones, as in 2021).
const INVALID_SHARE: f64 = 0.065;
/// Stations of those hand-counted whose manual count differs from the electronic one by a vote
/// (2021: about 20 machines of the 8,273 sampled).
const MANUAL_DIFFERENCE_RATE: f64 = 20.0 / 8_273.0;
const WOMEN_SHARE_GENERAL: f64 = 0.292;

/// Progress of generation: called with the number of districts finished.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Generates the election and its forms.
pub fn generate(config: &DemoConfig, progress: Progress<'_>) -> Demo {
    let mut parts = iraq::iraq_2021(&format!("psephos demo, seed {}", config.seed));
    let govs = iraq::governorates();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(u64::MAX);
    let scale = config.stations as f64 / DemoConfig::IRAQ_STATIONS as f64;
    let district_count = govs.iter().map(|g| g.districts as usize).sum::<usize>();
    let profile = |code: &str| {
        GOVERNORATE_PROFILE.iter().find(|p| p.0 == code).map_or(([0.25; 4], 0.43), |p| (p.1, p.2))
    };

    // Stations per governorate and district, in proportion to seats.
    let seat_weights: Vec<f64> =
        parts.contests[..district_count].iter().map(|c| f64::from(c.seats)).collect();
    let stations_per_district =
        apportion(config.stations.max(district_count as u64), &seat_weights);

    // Turnout per governorate, scaled to the national 2021 figure.
    let raw_turnout: Vec<f64> = govs.iter().map(|g| profile(g.code).1).collect();
    let weighted: f64 =
        govs.iter().zip(&raw_turnout).map(|(g, t)| f64::from(g.general_seats) * t).sum::<f64>()
            / f64::from(govs.iter().map(|g| g.general_seats).sum::<u32>());
    let turnout: Vec<f64> =
        raw_turnout.iter().map(|t| t * DemoConfig::IRAQ_TURNOUT / weighted).collect();

    // Coalitions and parties.
    for b in BLOCS.iter().filter(|b| !b.parties.is_empty()) {
        parts.coalitions.push(Coalition { id: b.id.to_owned(), name: b.name.to_owned() });
        let co = CoalitionIdx::from_index(parts.coalitions.len() - 1);
        for (id, name) in b.parties {
            parts.parties.push(Party {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                coalition: Some(co),
                threshold: None,
                agreement: None,
            });
        }
    }
    parts
        .coalitions
        .push(Coalition { id: "babylon".to_owned(), name: "Babylon Movement".to_owned() });
    let babylon = CoalitionIdx::from_index(parts.coalitions.len() - 1);
    parts.coalitions.push(Coalition {
        id: "yazidi-movement".to_owned(),
        name: "Yazidi Movement for Reform and Progress".to_owned(),
    });
    let yazidi_co = CoalitionIdx::from_index(parts.coalitions.len() - 1);
    for pool in &MINORITIES {
        for (id, name) in pool.parties {
            let coalition = match *id {
                "babylon" => Some(babylon),
                "yazidi-movement" => Some(yazidi_co),
                _ => None,
            };
            parts.parties.push(Party {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                coalition,
                threshold: None,
                agreement: None,
            });
        }
    }
    let party_idx = |parts: &psephos_model::ElectionParts, id: &str| {
        parts.parties.iter().position(|p| p.id == id).map(PartyIdx::from_index)
    };

    // Bloc strength per governorate: raked so rows fit each governorate's electorate and
    // columns fit the national shares.
    let gov_weight: Vec<f64> =
        govs.iter().zip(&turnout).map(|(g, t)| f64::from(g.general_seats) * t).collect();
    let mut m: Vec<Vec<f64>> = govs
        .iter()
        .zip(&gov_weight)
        .map(|(g, w)| {
            let (communities, _) = profile(g.code);
            BLOCS
                .iter()
                .map(|b| {
                    let base = match b.community {
                        Shia => communities[0],
                        Sunni => communities[1],
                        Kurd => communities[2],
                        Turkmen => communities[3],
                        All => 1.0,
                    };
                    let tilt = b.tilt.iter().find(|t| t.0 == g.code).map_or(1.0, |t| t.1);
                    w * base * tilt
                })
                .collect()
        })
        .collect();
    let total_weight: f64 = gov_weight.iter().sum();
    let share_total: f64 = BLOCS.iter().map(|b| b.share).sum();
    for _ in 0..50 {
        for (bi, b) in BLOCS.iter().enumerate() {
            let col: f64 = m.iter().map(|row| row[bi]).sum();
            if col > 0.0 {
                let target = total_weight * b.share / share_total;
                m.iter_mut().for_each(|row| row[bi] *= target / col);
            }
        }
        for (row, w) in m.iter_mut().zip(&gov_weight) {
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                row.iter_mut().for_each(|x| *x *= w / sum);
            }
        }
    }

    // Candidates: minority pools first (their counts are fixed by the law's seats), then each
    // district's bloc nominations, topped up with independents.
    let budget_scale = f64::from(config.candidates) / f64::from(DemoConfig::IRAQ_CANDIDATES);
    let mut candidates: Vec<Candidate> = Vec::new();
    // Strength of each candidate within their pool (relative).
    let mut strength: Vec<f64> = Vec::new();
    for pool in &MINORITIES {
        for &(seat, n) in pool.candidates {
            let Some(contest) = iraq::contest_index(&parts, seat) else {
                continue;
            };
            let n = ((f64::from(n) * budget_scale).round() as u32).max(1);
            let weights = dirichlet(&mut rng, n as usize, 1.0);
            for w in weights {
                let female = rng.random_bool(pool.women);
                let party = if pool.parties.is_empty() || rng.random_bool(0.35) {
                    None
                } else {
                    party_idx(&parts, pool.parties[rng.random_range(0..pool.parties.len())].0)
                };
                candidates.push(Candidate {
                    id: String::new(),
                    name: names::full_name(pool.names, female, &mut rng),
                    gender: if female { Gender::Female } else { Gender::Male },
                    party,
                    contest,
                    groups: vec![pool.group.to_owned()],
                    list_vote: false,
                    person: None,
                });
                strength.push(w);
            }
        }
    }
    let minority_count = candidates.len() as u32;
    let general_budget = config.candidates.saturating_sub(minority_count);
    let mut general: Vec<(usize, Candidate, f64)> = Vec::new();
    let general_targets = apportion(u64::from(general_budget), &seat_weights);
    let mut d = 0usize;
    for (gi, g) in govs.iter().enumerate() {
        let row_sum: f64 = m[gi].iter().sum();
        for _ in 0..g.districts {
            let contest = ContestIdx::from_index(d);
            let seats = parts.contests[d].seats;
            let target = (general_targets[d] as u32).max(seats + 1);
            // Expected share of each bloc here, with district-level noise.
            let noise = LogNormal::new(0.0, 0.3).expect("valid lognormal");
            let mut shares: Vec<f64> =
                m[gi].iter().map(|x| x / row_sum * noise.sample(&mut rng)).collect();
            let s: f64 = shares.iter().sum();
            shares.iter_mut().for_each(|x| *x /= s);
            // Nominations, in units of a seat's worth of votes.
            let seat_share = 1.0 / f64::from(seats);
            let mut nominations: Vec<(usize, u32)> = BLOCS
                .iter()
                .enumerate()
                .filter(|(_, b)| b.style != Scattered)
                .map(|(bi, b)| {
                    let worth = shares[bi] / seat_share;
                    let n = match b.style {
                        Managed if worth > 0.25 => (worth / 0.55).round().max(1.0) as u32,
                        Managed | Party if worth > 0.08 => {
                            ((worth / 0.45).round() as u32 + 1).min(seats + 2)
                        }
                        Loose if worth > 0.05 => ((worth / 0.25).round() as u32 + 1).min(seats + 3),
                        Party | Loose if worth > 0.01 => u32::from(rng.random_bool(0.6)),
                        _ => 0,
                    };
                    (bi, n)
                })
                .filter(|&(_, n)| n > 0)
                .collect();
            // Keep within the district's share of the candidate budget, dropping the weakest.
            nominations.sort_by(|a, b| shares[b.0].total_cmp(&shares[a.0]));
            let independents_min = (target / 6).max(1);
            let mut room = target.saturating_sub(independents_min);
            for nom in nominations.iter_mut() {
                nom.1 = nom.1.min(room);
                room -= nom.1;
            }
            let nominated: u32 = nominations.iter().map(|n| n.1).sum();
            let independents = target - nominated;
            let mut add = |bloc: usize, n: u32, alpha: f64, rng: &mut ChaCha8Rng| {
                let b = &BLOCS[bloc];
                let weights = dirichlet(rng, n as usize, alpha);
                for w in weights {
                    let party = if b.parties.is_empty() {
                        None
                    } else {
                        party_idx(&parts, b.parties[rng.random_range(0..b.parties.len())].0)
                    };
                    let names = if b.community == Kurd { &names::KURD } else { &names::ARAB };
                    general.push((
                        d,
                        Candidate {
                            id: String::new(),
                            name: names::full_name(names, false, rng),
                            gender: Gender::Male,
                            party,
                            contest,
                            groups: Vec::new(),
                            list_vote: false,
                            person: None,
                        },
                        shares[bloc] * w,
                    ));
                }
            };
            for &(bi, n) in &nominations {
                let alpha = match BLOCS[bi].style {
                    Managed => 20.0,
                    Party => 2.0,
                    Loose | Scattered => 1.0,
                };
                add(bi, n, alpha, &mut rng);
            }
            let independent_bloc = BLOCS.iter().position(|b| b.style == Scattered).unwrap_or(0);
            add(independent_bloc, independents, 0.5, &mut rng);
            d += 1;
        }
    }
    // Women: an exact share of general candidates, drawn by lot; on average they poll less.
    let women = (WOMEN_SHARE_GENERAL * general.len() as f64).round() as usize;
    let mut order: Vec<usize> = (0..general.len()).collect();
    shuffle(&mut order, &mut rng);
    for &i in &order[..women.min(order.len())] {
        let (_, c, s) = &mut general[i];
        c.gender = Gender::Female;
        let kurd = names::KURD.family.iter().any(|f| c.name.ends_with(f));
        c.name = names::full_name(if kurd { &names::KURD } else { &names::ARAB }, true, &mut rng);
        *s *= rng.random_range(0.45..0.95);
    }
    // Ids in contest order: general candidates by district, then the reserved pools.
    general.sort_by_key(|g| g.0);
    let mut all: Vec<(Candidate, f64)> = general.into_iter().map(|(_, c, s)| (c, s)).collect();
    all.extend(candidates.into_iter().zip(strength));
    all.sort_by_key(|(c, _)| c.contest);
    let (mut candidates, strength): (Vec<Candidate>, Vec<f64>) = all.into_iter().unzip();
    for (i, c) in candidates.iter_mut().enumerate() {
        c.id = format!("C{:05}", i + 1);
    }
    parts.candidates = candidates;

    // Polling centres and stations.
    let target_registered = (DemoConfig::IRAQ_REGISTERED as f64 * scale).round() as u64;
    let voters = Binomial::new(300, 0.506).expect("valid binomial");
    let mut centres: Vec<Centre> = Vec::new();
    let station_weights: Vec<f64> = stations_per_district.iter().map(|&n| n as f64).collect();
    let centre_total =
        ((DemoConfig::IRAQ_CENTRES as f64 * scale).round() as u64).max(district_count as u64);
    let centres_per_district = apportion(centre_total, &station_weights);
    for (di, &n) in stations_per_district.iter().enumerate() {
        let contest = ContestIdx::from_index(di);
        let gov = parts.contests[di].governorate;
        // Every centre has a station; the rest are spread by uneven weights.
        let k_centres = centres_per_district[di].clamp(1, n.max(1));
        let mut sizes = vec![1u32; k_centres as usize];
        let weights = dirichlet(&mut rng, k_centres as usize, 2.0);
        multinomial(&mut rng, n - k_centres, &weights, &mut sizes);
        for (k, &s) in sizes.iter().enumerate() {
            let s = u64::from(s);
            let centre_id = format!("{}-{:04}", parts.contests[di].id, k + 1);
            let first = parts.stations.len();
            let centre = parts.centres.len() as u32;
            for j in 0..s {
                parts.station_ids.push(&format!("{centre_id}-{:02}", j + 1));
                parts.stations.push(Station {
                    centre,
                    district: contest,
                    governorate: gov,
                    registered: 250 + voters.sample(&mut rng) as u32,
                });
            }
            parts.centres.push(centre_id);
            centres.push(Centre {
                district: di,
                stations: first..first + s as usize,
                community: None,
            });
        }
    }
    // Exactly the target register: spread the difference one voter at a time.
    let registered: u64 = parts.stations.iter().map(|s| u64::from(s.registered)).sum();
    let n = parts.stations.len() as u64;
    if n > 0 {
        let diff = target_registered as i64 - registered as i64;
        let (each, rest) = (diff / n as i64, (diff % n as i64).unsigned_abs());
        for (i, s) in parts.stations.iter_mut().enumerate() {
            let mut v = i64::from(s.registered) + each;
            if (i as u64) < rest {
                v += diff.signum();
            }
            s.registered = v.clamp(1, i64::from(u32::MAX)) as u32;
        }
    }
    // Community centres of the minorities.
    for (pi, pool) in MINORITIES.iter().enumerate() {
        for &(code, count) in pool.centres {
            let Some(gi) = govs.iter().position(|g| g.code == code) else {
                continue;
            };
            let gov = GovernorateIdx::from_index(gi);
            let mut eligible: Vec<usize> = centres
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.community.is_none() && parts.contests[c.district].governorate == Some(gov)
                })
                .map(|(i, _)| i)
                .collect();
            shuffle(&mut eligible, &mut rng);
            let count = ((f64::from(count) * scale).round() as usize).max(1);
            for &c in eligible.iter().take(count) {
                centres[c].community = Some(pi);
            }
        }
    }

    let election = Election::new(parts);
    let turnout_of = |d: usize| {
        election.contests[d].governorate.map_or(DemoConfig::IRAQ_TURNOUT, |g| turnout[g.index()])
    };

    // Votes, one district per task, each with its own stream.
    let mut centres_by_district: Vec<Vec<&Centre>> = vec![Vec::new(); district_count];
    for c in &centres {
        centres_by_district[c.district].push(c);
    }
    let per_district: Vec<FormSet> = centres_by_district
        .par_iter()
        .enumerate()
        .map(|(d, centres)| {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
            rng.set_stream(d as u64);
            let set = district_forms(
                &election,
                ContestIdx::from_index(d),
                centres,
                &strength,
                turnout_of(d),
                &mut rng,
            );
            progress(1);
            set
        })
        .collect();
    let mut forms = FormSet::default();
    forms.files.push("generated".to_owned());
    for set in per_district {
        forms.append(set);
    }
    forms.files.truncate(1);
    for f in &mut forms.forms {
        f.source.file = 0;
    }
    if config.stuffing_percent > 0 {
        add_stuffing(&election, &mut forms, config.seed, config.stuffing_percent);
    }
    add_recounts(&mut forms, config.seed);
    Demo { election, forms }
}

/// Planted ballot stuffing, as forensic studies find it: in `percent` % of the stations (drawn
/// from a stream of their own, so the other stations are unchanged), ballots for the station's
/// leading candidate are added until the turnout is 5 to 25 points higher and lands on a whole
/// percentage (a target written on the protocol). Every form of the station sees the stuffed
/// box: the electronic count and any hand count.
fn add_stuffing(election: &Election, forms: &mut FormSet, seed: u64, percent: u32) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::MAX - 2);
    let share = f64::from(percent.min(100)) / 100.0;
    let stations = election.stations.len();
    let mut stuffed: Vec<Option<u64>> = vec![None; stations];
    let mut votes: Vec<u32> = Vec::new();
    for i in 0..forms.forms.len() {
        let form = forms.forms[i];
        let s = form.key.station.index();
        if form.key.phase == Phase::Electronic && form.key.contest == election.stations[s].district
        {
            if !rng.random_bool(share) {
                continue;
            }
            let n = u64::from(election.stations[s].registered);
            let b = u64::from(form.ballots_found);
            let rise = rng.random_range(5..=25u64);
            // The first count from the target up whose percentage is whole to ±0.05 points.
            let from = b + n * rise / 100;
            let target = (from..=n * 95 / 100).find(|&k| {
                let m = (100 * k + n / 2) / n;
                2 * (10_000 * k).abs_diff(100 * m * n) <= 10 * n
            });
            if let Some(t) = target {
                stuffed[s] = Some(t - b);
            }
        }
        let Some(extra) = stuffed.get(s).copied().flatten() else { continue };
        if form.key.contest != election.stations[s].district {
            continue;
        }
        votes.clear();
        votes.extend(forms.votes(&form));
        let Some(top) = (0..votes.len()).max_by_key(|&k| (votes[k], std::cmp::Reverse(k))) else {
            continue;
        };
        votes[top] = votes[top].saturating_add(extra as u32);
        let at = forms.push_votes(&votes);
        let f = &mut forms.forms[i];
        f.votes = at;
        f.ballots_found = f.ballots_found.saturating_add(extra as u32);
    }
}

/// Share of stations recounted by hand after appeals (2021: 4,326 by the commission of about
/// 55,000).
const RECOUNT_RATE: f64 = 4_326.0 / 55_000.0;
/// Recounts that differ from the count they check by a vote read for the wrong candidate
/// (2021: about 20 of 4,326, "fewer than 2 votes").
const RECOUNT_DIFFERENCE_RATE: f64 = 20.0 / 4_326.0;
/// Recounts that find a larger error (2021: one machine failed and its station was recounted).
const RECOUNT_FAULT_RATE: f64 = 1.0 / 4_326.0;

/// Recount forms for a share of the stations, each copying the station's hand count (or its
/// electronic count where it has none), now and then with a vote or a few moved between
/// candidates. Drawn from a stream of their own, in station order, so the other forms are the
/// same as without recounts.
fn add_recounts(forms: &mut FormSet, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::MAX - 1);
    // Per station, the form a recount checks: manual if there is one, else electronic.
    let mut checked: Vec<(u32, usize)> = Vec::new();
    for (i, f) in forms.forms.iter().enumerate() {
        match f.key.phase {
            Phase::Electronic => checked.push((f.key.station.0, i)),
            Phase::Manual => {
                if let Some(last) = checked.last_mut()
                    && last.0 == f.key.station.0
                {
                    last.1 = i;
                }
            }
            _ => {}
        }
    }
    let mut votes: Vec<u32> = Vec::new();
    for (_, i) in checked {
        if !rng.random_bool(RECOUNT_RATE) {
            continue;
        }
        let form = forms.forms[i];
        votes.clear();
        votes.extend(forms.votes(&form));
        let moved = if rng.random_bool(RECOUNT_FAULT_RATE) {
            3
        } else if rng.random_bool(RECOUNT_DIFFERENCE_RATE) {
            1
        } else {
            0
        };
        for _ in 0..moved {
            let start = rng.random_range(0..votes.len().max(1));
            let from = (0..votes.len()).map(|k| (start + k) % votes.len()).find(|&k| votes[k] > 0);
            if let Some(from) = from
                && votes.len() > 1
            {
                let to = (from + 1 + rng.random_range(0..votes.len() - 1)) % votes.len();
                votes[from] -= 1;
                votes[to] += 1;
            }
        }
        let at = forms.push_votes(&votes);
        forms.forms.push(Form {
            key: FormKey { phase: Phase::Recount, version: 1, ..form.key },
            votes: at,
            ..form
        });
    }
}

struct Centre {
    district: usize,
    stations: std::ops::Range<usize>,
    /// Index into [`MINORITIES`] for a community polling centre.
    community: Option<usize>,
}

fn district_forms(
    election: &Election,
    contest: ContestIdx,
    centres: &[&Centre],
    strength: &[f64],
    turnout: f64,
    rng: &mut ChaCha8Rng,
) -> FormSet {
    let ballot: &[CandidateIdx] = &election.ballot(contest).candidates;
    let mut set = FormSet::default();
    set.files.push(String::new());
    set.layouts.push(ballot.into());
    let is_minority: Vec<bool> =
        ballot.iter().map(|&c| !election.candidate(c).groups.is_empty()).collect();
    let local_noise = LogNormal::new(0.0, 0.35).expect("valid lognormal");
    // Mean one, so the governorate's turnout is kept on average.
    let turnout_noise = LogNormal::new(-0.0072, 0.12).expect("valid lognormal");
    let mut general_p = vec![0.0; ballot.len()];
    let mut minority_p = vec![0.0; ballot.len()];
    let mut votes = vec![0u32; ballot.len()];
    for centre in centres {
        let community = centre.community.map(|p| MINORITIES[p].group);
        for (k, &c) in ballot.iter().enumerate() {
            let cand = election.candidate(c);
            let s = strength[c.index()] * local_noise.sample(rng);
            if is_minority[k] {
                general_p[k] = 0.0;
                // A community votes for its own candidates, most of all for its governorate's.
                let own = community.is_some_and(|g| cand.groups.iter().any(|x| x == g));
                let local = election.contest(cand.contest).governorate
                    == election.contest(contest).governorate;
                minority_p[k] = s * if own { 1.0 } else { 0.02 } * if local { 10.0 } else { 1.0 };
            } else {
                general_p[k] = s;
                minority_p[k] = 0.0;
            }
        }
        let has_minority = minority_p.iter().any(|&p| p > 0.0);
        let manual_station = centre.stations.start + rng.random_range(0..centre.stations.len());
        for s in centre.stations.clone() {
            let station = StationIdx::from_index(s);
            let registered = election.station(station).registered;
            let p = (turnout * turnout_noise.sample(rng)).clamp(0.05, 0.95);
            let ballots = binomial(rng, u64::from(registered), p);
            let blank = binomial(rng, ballots, BLANK_SHARE);
            let invalid = binomial(rng, ballots - blank, INVALID_SHARE);
            let valid = ballots - blank - invalid;
            let minority_share = if !has_minority {
                0.0
            } else if community.is_some() {
                COMMUNITY_VOTE_SHARE
            } else {
                STRAY_MINORITY_SHARE
            };
            let minority_votes = binomial(rng, valid, minority_share);
            votes.fill(0);
            multinomial(rng, valid - minority_votes, &general_p, &mut votes);
            multinomial(rng, minority_votes, &minority_p, &mut votes);
            let form = Form {
                key: FormKey { station, contest, phase: Phase::Electronic, version: 1 },
                ballots_found: ballots as u32,
                blank: blank as u32,
                invalid: invalid as u32,
                layout: 0,
                votes: set.push_votes(&votes),
                source: Source { file: 0, line: 0 },
            };
            set.forms.push(form);
            if s == manual_station {
                // The hand count: the same, but now and then a vote read for the wrong candidate.
                if rng.random_bool(MANUAL_DIFFERENCE_RATE) {
                    let from = votes.iter().position(|&v| v > 0);
                    if let Some(from) = from {
                        let to =
                            (from + 1 + rng.random_range(0..votes.len().max(2) - 1)) % votes.len();
                        votes[from] -= 1;
                        votes[to] += 1;
                    }
                }
                let manual = set.push_votes(&votes);
                set.forms.push(Form {
                    key: FormKey { phase: Phase::Manual, ..form.key },
                    votes: manual,
                    ..form
                });
            }
        }
    }
    set
}

fn binomial(rng: &mut ChaCha8Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    Binomial::new(n, p).map_or(0, |b| b.sample(rng))
}

/// Splits `n` over the entries with positive weight by successive binomials, adding to `out`.
fn multinomial(rng: &mut ChaCha8Rng, n: u64, weights: &[f64], out: &mut [u32]) {
    let mut rest_weight: f64 = weights.iter().sum();
    let mut left = n;
    let last = weights.iter().rposition(|&w| w > 0.0);
    for (k, &w) in weights.iter().enumerate() {
        if left == 0 || w <= 0.0 {
            continue;
        }
        let v =
            if Some(k) == last { left } else { binomial(rng, left, (w / rest_weight).min(1.0)) };
        out[k] += v as u32;
        left -= v;
        rest_weight -= w;
    }
}

/// Dirichlet weights by normalised gamma draws.
fn dirichlet(rng: &mut ChaCha8Rng, n: usize, alpha: f64) -> Vec<f64> {
    let gamma = Gamma::new(alpha, 1.0).expect("valid gamma");
    let mut w: Vec<f64> = (0..n).map(|_| gamma.sample(rng).max(1e-9)).collect();
    let sum: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= sum);
    w
}

/// Fisher-Yates, from the given stream.
fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// Splits `total` in proportion to `weights` by largest remainders (exact, ties to the first).
fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut rest = total - out.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        out[i] += 1;
        rest -= 1;
    }
    out
}
