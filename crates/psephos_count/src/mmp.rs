//! Mixed-member proportional representation: single-seat constituencies (plurality) and party
//! lists that compensate for them, with New Zealand's rule for overhang (kept) or Germany's of
//! 2013–2020 (the house grows until every party has its minimum).
//!
//! The list contests are first allocated like any list-PR contest (for Germany that is the
//! first stage: each Land's contingent among the parties there); this module then computes each
//! party's seats nationally, places them back into its lists, and fills the lists again.

use std::collections::HashSet;

use psephos_model::{ContestIdx, Election, MixedMember, Overhang, PartyIdx, TieMethod};

use crate::allocate::ContestResult;
use crate::apportion::{ApportionTie, TieRule, apportion, apportion_with_minimums};
use crate::list_pr::{fill_lists, formula_method};
use crate::tabulate::Tabulation;

/// A party in the national calculation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmpParty {
    pub party: PartyIdx,
    /// Its list votes in all the list contests.
    pub list_votes: u64,
    /// Whether it takes part: it passed the list system's threshold or its alternative.
    pub qualified: bool,
    /// Constituencies its candidates won.
    pub constituencies: u64,
    /// Overhang = level: the seats the house must give it at least.
    pub minimum: Option<u64>,
    /// Its seats in all: constituencies and list seats.
    pub seats: u64,
    pub list_seats: u64,
    /// Constituencies beyond its proportional share (overhang = keep).
    pub overhang: u64,
}

/// One party in one list contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmpList {
    pub contest: ContestIdx,
    pub party: PartyIdx,
    /// The seats the contest's own allocation gave it (Germany: of the Land's contingent).
    pub first_stage: u64,
    /// Constituencies it won in the contest's governorate (all, with a single list contest).
    pub constituencies: u64,
    /// Its seats there in all, and those filled from the list.
    pub seats: u64,
    pub list_seats: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmpOutcome {
    /// The house: `seats` of the law plus any overhang or leveling seats.
    pub house_seats: u64,
    /// Seats the national calculation started from: `seats` less the unattached constituencies.
    pub base_seats: u64,
    /// Constituencies won by independents or by parties that do not take part.
    pub unattached: u64,
    pub parties: Vec<MmpParty>,
    pub lists: Vec<MmpList>,
    /// Ties in the final national calculation (indices are party indices).
    pub national_ties: Vec<ApportionTie>,
}

/// Computes the mixed-member allocation and refills the list contests in `contests`.
pub(crate) fn mixed_member(
    election: &Election,
    tabulation: &Tabulation,
    m: &MixedMember,
    contests: &mut [ContestResult],
) -> MmpOutcome {
    let np = election.parties.len();
    let of_system = |s| -> Vec<usize> {
        (0..contests.len()).filter(|&i| election.contests[i].system == s).collect()
    };
    let list_contests = of_system(m.lists);
    let constituencies = of_system(m.constituencies);

    // Which list contest a constituency belongs to: the only one, or its governorate's.
    let list_of = |k: usize| -> Option<usize> {
        if list_contests.len() == 1 {
            return Some(0);
        }
        let g = election.contests[k].governorate?;
        list_contests.iter().position(|&l| election.contests[l].governorate == Some(g))
    };

    let qualified: Vec<bool> = (0..np)
        .map(|p| {
            list_contests.iter().any(|&l| {
                contests[l]
                    .lists
                    .iter()
                    .any(|x| x.party.map(PartyIdx::index) == Some(p) && !x.below_threshold)
            })
        })
        .collect();
    let mut direct = vec![0u128; np];
    let mut direct_in = vec![vec![0u128; np]; list_contests.len()];
    let mut unattached = 0u128;
    let mut winners: HashSet<&str> = HashSet::new();
    for &k in &constituencies {
        for seat in &contests[k].seats {
            let cand = election.candidate(seat.candidate);
            if let Some(person) = &cand.person {
                winners.insert(person.as_str());
            }
            match cand.party.map(PartyIdx::index) {
                Some(p) if qualified[p] => {
                    direct[p] += 1;
                    if let Some(l) = list_of(k) {
                        direct_in[l][p] += 1;
                    }
                }
                _ => unattached += 1,
            }
        }
    }
    let mut votes_in = vec![vec![0u128; np]; list_contests.len()];
    let mut first_stage = vec![vec![0u128; np]; list_contests.len()];
    for (l, &c) in list_contests.iter().enumerate() {
        for x in &contests[c].lists {
            if let Some(p) = x.party {
                votes_in[l][p.index()] += u128::from(x.votes);
                first_stage[l][p.index()] += u128::from(x.seats);
            }
        }
    }
    let national: Vec<u128> = (0..np).map(|p| votes_in.iter().map(|v| v[p]).sum()).collect();
    let eligible: Vec<u128> = (0..np).map(|p| if qualified[p] { national[p] } else { 0 }).collect();
    let names: Vec<&str> = election.parties.iter().map(|p| p.id.as_str()).collect();
    let method = formula_method(m.formula);
    let system = election.system(m.lists);
    let rule = |context: &str| match system.ties.method {
        TieMethod::Lot => TieRule::Lot { seed: system.ties.seed.clone(), context: context.into() },
        TieMethod::MostVotes => {
            TieRule::MostVotesThenLot { seed: system.ties.seed.clone(), context: context.into() }
        }
    };
    let national_rule = rule("mmp");
    let base = u128::from(m.seats).saturating_sub(unattached);
    let divide = |seats: u128| {
        apportion(&eligible, &names, seats, method, None, &national_rule)
            .map(|a| (a.seats, a.ties))
            .unwrap_or_else(|_| (vec![0; np], Vec::new()))
    };

    let (total, minimum, national_ties) = match m.overhang {
        Overhang::Keep => {
            let (share, ties) = divide(base);
            let total: Vec<u128> =
                (0..np).map(|p| if qualified[p] { share[p].max(direct[p]) } else { 0 }).collect();
            (total, None, ties)
        }
        Overhang::Level => {
            let minimum: Vec<u128> = (0..np)
                .map(|p| {
                    if !qualified[p] {
                        return 0;
                    }
                    (0..list_contests.len()).map(|l| direct_in[l][p].max(first_stage[l][p])).sum()
                })
                .collect();
            // The smallest house from `base` up in which every party has its minimum (it exists:
            // with enough seats every party's share passes any bound).
            let ceiling = base + minimum.iter().sum::<u128>() * 2 + 1;
            let mut house = base;
            let (share, ties) = loop {
                let (share, ties) = divide(house);
                if house >= ceiling || (0..np).all(|p| share[p] >= minimum[p]) {
                    break (share, ties);
                }
                house += 1;
            };
            (share, Some(minimum), ties)
        }
    };

    // Each party's seats to its lists, every list keeping at least its constituencies.
    let mut placed = vec![vec![0u128; np]; list_contests.len()];
    for p in (0..np).filter(|&p| qualified[p]) {
        if list_contests.len() == 1 {
            placed[0][p] = total[p];
            continue;
        }
        let v: Vec<u128> = votes_in.iter().map(|v| v[p]).collect();
        let mins: Vec<u128> = direct_in.iter().map(|d| d[p]).collect();
        let ids: Vec<&str> =
            list_contests.iter().map(|&c| election.contests[c].id.as_str()).collect();
        let party_rule = rule(&format!("mmp/{}", names[p]));
        if let Ok(a) = apportion_with_minimums(&v, &ids, total[p], method, &mins, &party_rule) {
            for (l, s) in a.seats.into_iter().enumerate() {
                placed[l][p] = s;
            }
        }
    }

    // Refill the list contests with their final list seats.
    let mut lists_out = Vec::new();
    for (l, &c) in list_contests.iter().enumerate() {
        let contest = ContestIdx::from_index(c);
        let psephos_model::Method::ListPr(lp) = &election.system(m.lists).method else {
            continue;
        };
        let result = &mut contests[c];
        for x in &mut result.lists {
            let list_seats = match x.party.map(PartyIdx::index) {
                Some(p) if qualified[p] => placed[l][p].saturating_sub(direct_in[l][p]),
                _ => 0,
            };
            x.seats = u32::try_from(list_seats).unwrap_or(u32::MAX);
            // The quotients describe the first stage, not these seats.
            x.last_won = None;
            x.next = None;
        }
        let skip =
            |cand| election.candidate(cand).person.as_deref().is_some_and(|p| winners.contains(p));
        let (seats, quotas, empty) =
            fill_lists(election, tabulation, contest, lp, &mut result.lists, &[], 0, &skip);
        result.seats = seats;
        result.quotas = quotas;
        result.empty_seats = empty;
        for p in (0..np).filter(|&p| qualified[p] || first_stage[l][p] > 0) {
            if votes_in[l][p] == 0 && direct_in[l][p] == 0 {
                continue;
            }
            lists_out.push(MmpList {
                contest,
                party: PartyIdx::from_index(p),
                first_stage: to_u64(first_stage[l][p]),
                constituencies: to_u64(direct_in[l][p]),
                seats: to_u64(placed[l][p]),
                list_seats: to_u64(placed[l][p].saturating_sub(direct_in[l][p])),
            });
        }
    }

    let proportional = match m.overhang {
        Overhang::Keep => divide(base).0,
        Overhang::Level => total.clone(),
    };
    let parties = (0..np)
        .filter(|&p| national[p] > 0 || direct[p] > 0)
        .map(|p| MmpParty {
            party: PartyIdx::from_index(p),
            list_votes: to_u64(national[p]),
            qualified: qualified[p],
            constituencies: to_u64(direct[p]),
            minimum: minimum.as_ref().map(|m| to_u64(m[p])),
            seats: to_u64(total[p]),
            list_seats: to_u64(total[p].saturating_sub(direct[p])),
            overhang: to_u64(direct[p].saturating_sub(proportional[p])),
        })
        .collect();
    MmpOutcome {
        house_seats: to_u64(total.iter().sum::<u128>() + unattached),
        base_seats: to_u64(base),
        unattached: to_u64(unattached),
        parties,
        lists: lists_out,
        national_ties,
    }
}

fn to_u64(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}
