//! Seat margins against brute force: no change smaller than a seat's margin takes the seat, and
//! the change the margin names, of exactly that size, does.

use proptest::prelude::*;
use psephos_count::margins::{Target, Way, margins};
use psephos_count::{Allocation, BallotTotals, Tabulation, allocate};
use psephos_model::{
    Candidate, CandidateFilter, CandidateIdx, Contest, ContestIdx, Election, ElectionParts,
    Electorate, Formula, Fraction, Gender, ListKind, ListPr, ListThreshold, Method, Minimum, Party,
    PartyIdx, QuotaRule, QuotaScope, System, SystemIdx, ThresholdBase, ThresholdScope, TieMethod,
    TiePolicy,
};

fn women_rule(name: &str, minimum: u32) -> QuotaRule {
    QuotaRule {
        name: name.into(),
        filter: CandidateFilter { gender: Some(Gender::Female), group: None },
        minimum: Minimum::Count(minimum),
        scope: QuotaScope::Contest,
        unless_contest_has: None,
    }
}

fn candidate(i: usize, female: bool, party: Option<usize>) -> Candidate {
    Candidate {
        id: format!("C{i}"),
        name: format!("C{i}"),
        gender: if female { Gender::Female } else { Gender::Male },
        party: party.map(PartyIdx::from_index),
        contest: ContestIdx(0),
        groups: vec![],
        list_vote: false,
        person: None,
    }
}

fn one_contest(
    method: Method,
    seats: u32,
    candidates: Vec<Candidate>,
    parties: usize,
    quotas: Vec<QuotaRule>,
) -> Election {
    Election::new(ElectionParts {
        systems: vec![System {
            id: "s".into(),
            method,
            reserved_for: None,
            electorate: Electorate::Own,
            quotas,
            ties: TiePolicy { method: TieMethod::Lot, seed: "margins".into() },
        }],
        contests: vec![Contest {
            id: "D1".into(),
            name: "D1".into(),
            governorate: None,
            seats,
            system: SystemIdx(0),
            population: None,
        }],
        parties: (0..parties)
            .map(|p| Party {
                id: format!("P{p}"),
                name: format!("P{p}"),
                coalition: None,
                threshold: None,
                agreement: None,
            })
            .collect(),
        candidates,
        ..ElectionParts::default()
    })
}

/// A tabulation with these candidate votes (one contest, no stations).
fn tabulation(votes: &[u64]) -> Tabulation {
    let total: u64 = votes.iter().sum();
    Tabulation {
        candidate_votes: votes.to_vec(),
        contest_votes: vec![total],
        contest_ballots: vec![BallotTotals {
            ballots_found: total,
            votes: total,
            ..BallotTotals::default()
        }],
        governorate_ballots: vec![],
        unassigned_ballots: BallotTotals::default(),
        nation: BallotTotals::default(),
        party_votes: vec![],
        coalition_votes: vec![],
        independent_votes: 0,
        party_governorate_votes: vec![],
    }
}

fn holds(e: &Election, votes: &[u64], c: CandidateIdx) -> bool {
    let a: Allocation = allocate(e, &tabulation(votes));
    a.contests[0].seats.iter().any(|s| s.candidate == c)
}

/// Every change of the entries of `base` (each kept at 0 or more) whose size (sum of |change|)
/// is between 1 and `limit`, passed to `f`; stops at the first `true` and returns it.
fn any_change(base: &[u64], limit: u64, f: &mut dyn FnMut(&[u64]) -> bool) -> Option<Vec<u64>> {
    fn rec(
        base: &[u64],
        k: usize,
        left: u64,
        used: u64,
        cur: &mut Vec<u64>,
        f: &mut dyn FnMut(&[u64]) -> bool,
    ) -> bool {
        if k == base.len() {
            return used > 0 && f(cur);
        }
        let down = left.min(base[k]);
        for d in 0..=left {
            cur[k] = base[k] + d;
            if rec(base, k + 1, left - d, used + d, cur, f) {
                return true;
            }
        }
        for d in 1..=down {
            cur[k] = base[k] - d;
            if rec(base, k + 1, left - d, used + d, cur, f) {
                return true;
            }
        }
        cur[k] = base[k];
        false
    }
    let mut cur = base.to_vec();
    rec(base, 0, limit, 0, &mut cur, f).then_some(cur)
}

/// Applies a seat margin's change of size `m`.
/// `None` for [`Way::Several`], whose change is not spelled out.
fn apply(
    votes: &[u64],
    holder: usize,
    way: Way,
    m: u64,
    index: &dyn Fn(Target) -> usize,
) -> Option<Vec<u64>> {
    let mut v = votes.to_vec();
    match way {
        Way::Remove(t) => v[index(t)] -= m,
        Way::Add(t) => v[index(t)] += m,
        Way::Pair { removed, to } => {
            v[holder] -= removed;
            v[index(to)] += m - removed;
        }
        Way::Several => return None,
    }
    Some(v)
}

const LIMIT: u64 = 5;

fn sntv_case() -> impl Strategy<Value = (u32, Vec<bool>, Vec<u64>, u32, bool)> {
    (1u32..4, 2usize..6, 0u32..3, any::<bool>()).prop_flat_map(|(seats, n, minimum, two_rules)| {
        (
            Just(seats),
            proptest::collection::vec(any::<bool>(), n),
            proptest::collection::vec(0u64..7, n),
            Just(minimum),
            Just(two_rules),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn sntv_margins_are_the_smallest_change((seats, women, votes, minimum, two_rules) in sntv_case()) {
        let candidates: Vec<Candidate> =
            women.iter().enumerate().map(|(i, &w)| candidate(i, w, None)).collect();
        let mut quotas = if minimum > 0 { vec![women_rule("women", minimum)] } else { vec![] };
        if two_rules {
            // A second rule: at least one man.
            quotas.push(QuotaRule {
                name: "men".into(),
                filter: CandidateFilter { gender: Some(Gender::Male), group: None },
                minimum: Minimum::Count(1),
                scope: QuotaScope::Contest,
                unless_contest_has: None,
            });
        }
        let e = one_contest(Method::Sntv, seats, candidates, 0, quotas);
        let t = tabulation(&votes);
        let a = allocate(&e, &t);
        let m = margins(&e, &t, &a);
        for s in &m[0].seats {
            let w = s.candidate;
            let index = |t: Target| match t {
                Target::Candidate(c) => c.index(),
                Target::List(l) => l,
            };
            if let (Some(margin), Some(way)) = (s.margin, s.way) {
                match apply(&votes, w.index(), way, margin, &index) {
                    Some(changed) => prop_assert!(!holds(&e, &changed, w), "the margin's change of {margin} does not take {w:?}'s seat"),
                    None => {
                        let found = any_change(&votes, margin, &mut |v| !holds(&e, v, w));
                        prop_assert!(found.is_some() || margin > LIMIT + 3, "no change of {margin} takes {w:?}'s seat");
                    }
                }
            }
            let limit = s.margin.map_or(LIMIT, |m| (m - 1).min(LIMIT));
            let found = any_change(&votes, limit, &mut |v| !holds(&e, v, w));
            prop_assert!(found.is_none(), "votes {votes:?}: {found:?} takes {w:?}'s seat, below the margin {:?}", s.margin);
        }
    }
}

fn list_case() -> impl Strategy<Value = (u32, Vec<u64>, usize, bool)> {
    (1u32..6, 2usize..5, 0usize..6, any::<bool>()).prop_flat_map(
        |(seats, n, formula, threshold)| {
            (Just(seats), proptest::collection::vec(0u64..25, n), Just(formula), Just(threshold))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn list_margins_are_the_smallest_change((seats, votes, formula, threshold) in list_case()) {
        let formula = [
            Formula::DHondt,
            Formula::SainteLague,
            Formula::ModifiedSainteLague { first: Fraction::new(7, 5) },
            Formula::Hare,
            Formula::Droop,
            Formula::Danish,
        ][formula];
        let threshold = threshold.then_some(ListThreshold {
            share: Fraction::new(1, 5),
            base: ThresholdBase::ListVotes,
            scope: ThresholdScope::Contest,
            or_seats: None,
        });
        let n = votes.len();
        // Each list: its first candidate holds the votes; enough candidates for every seat.
        let candidates: Vec<Candidate> = (0..n)
            .flat_map(|p| (0..seats as usize).map(move |k| candidate(p * 10 + k, false, Some(p))))
            .collect();
        let e = one_contest(
            Method::ListPr(ListPr { formula, lists: ListKind::Closed, threshold }),
            seats,
            candidates,
            n,
            vec![],
        );
        let spread = |lv: &[u64]| -> Vec<u64> {
            let mut v = vec![0u64; n * seats as usize];
            for (p, &x) in lv.iter().enumerate() {
                v[p * seats as usize] = x;
            }
            v
        };
        let list_seats = |lv: &[u64]| -> Vec<u32> {
            let a = allocate(&e, &tabulation(&spread(lv)));
            a.contests[0].lists.iter().map(|l| l.seats).collect()
        };
        let t = tabulation(&spread(&votes));
        let a = allocate(&e, &t);
        let m = margins(&e, &t, &a);
        prop_assert!(m[0].note.is_none(), "{:?}", m[0].note);
        let now = list_seats(&votes);
        let index = |t: Target| match t {
            Target::Candidate(c) => c.index(),
            Target::List(l) => l,
        };
        for l in &m[0].lists {
            let k = l.list;
            if let (Some(margin), Some(way)) = (l.lose, l.lose_way) {
                let changed = apply(&votes, k, way, margin, &index).expect("a list change");
                prop_assert!(list_seats(&changed)[k] < now[k], "lose margin {margin} of list {k} does not take a seat");
            }
            if now[k] > 0 {
                // Every pairwise change smaller than the margin: x votes from list k, y to list b.
                let limit = l.lose.map_or(LIMIT, |m| (m - 1).min(LIMIT));
                for b in (0..n).filter(|&b| b != k) {
                    for x in 0..=limit.min(votes[k]) {
                        for y in 0..=(limit - x) {
                            if x + y == 0 {
                                continue;
                            }
                            let mut v = votes.clone();
                            v[k] -= x;
                            v[b] += y;
                            prop_assert!(
                                list_seats(&v)[k] >= now[k],
                                "{formula:?} {seats} seats, votes {votes:?}: {x} from list {k} and {y} to list {b} take a seat below its margin {:?}", l.lose
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Hand-checked: the Iraq rule in a 3-seat district.
#[test]
fn hand_checked_sntv_with_a_womens_seat() {
    // M0 100, M1 90, M2 80, W3 20, W4 15: the top three are men; W3 replaces M2.
    let women = [false, false, false, true, true];
    let candidates: Vec<Candidate> =
        women.iter().enumerate().map(|(i, &w)| candidate(i, w, None)).collect();
    let e = one_contest(Method::Sntv, 3, candidates, 0, vec![women_rule("women", 1)]);
    let votes = [100, 90, 80, 20, 15];
    let t = tabulation(&votes);
    let a = allocate(&e, &t);
    let m = margins(&e, &t, &a);
    let of = |c: usize| m[0].seats.iter().find(|s| s.candidate.index() == c).unwrap();
    // M1 falls to the lowest man (below M2's 80) and is replaced: 90 - 80 = 10, plus one if
    // the lot at 80 would keep M1 ahead of M2.
    let m1 = of(1).margin.unwrap();
    assert!(m1 == 10 || m1 == 11, "{m1}");
    // W3 loses her quota seat when W4 passes her: 20 - 15 = 5 (6 if she wins the lot at 15).
    let w3 = of(3).margin.unwrap();
    assert!(w3 == 5 || w3 == 6, "{w3}");
    // M0: 100 - 80 = 20 (or 21).
    let m0 = of(0).margin.unwrap();
    assert!(m0 == 20 || m0 == 21, "{m0}");
    assert_eq!(m[0].margin, Some(w3));
    assert_eq!(m[0].ballots, 305);
}

/// Hand-checked: D'Hondt, 10,000 / 6,000 / 1,500 for 5 seats (rla.md AS-03): A 3, B 2, C 0.
#[test]
fn hand_checked_dhondt() {
    let candidates: Vec<Candidate> = (0..3).map(|p| candidate(p, false, Some(p))).collect();
    let e = one_contest(
        Method::ListPr(ListPr {
            formula: Formula::DHondt,
            lists: ListKind::Closed,
            threshold: None,
        }),
        5,
        candidates,
        3,
        vec![],
    );
    let t = tabulation(&[10_000, 6_000, 1_500]);
    let a = allocate(&e, &t);
    assert_eq!(a.contests[0].lists.iter().map(|l| l.seats).collect::<Vec<_>>(), [3, 2, 0]);
    let m = margins(&e, &t, &a);
    let l = &m[0].lists;
    // A's third seat (quotient 3,333.3): of the others' seats only B's 6,000 is above it, so
    // three of their quotients must pass it. Removing from A alone: A/3 below B's third quotient
    // 2,000: 4,001 votes. Adding to B alone: B/3 above 3,333.3: 4,001. Both together with C: take
    // 1,001 from A (A/3 = 2,999.7, now below B's second quotient 3,000) and add 1,500 to C (C =
    // 3,000 > 2,999.7): 2,501 votes, the pairwise margin found (A and C changed only).
    assert!(matches!(l[0].lose, Some(2_500 | 2_501)), "{:?} {:?}", l[0].lose, l[0].lose_way);
    // B's second seat (3,000) against C's 1,500: C + y > 3,000: 1,501; removing from B: B/2 <
    // 1,500... and A's fourth quotient 2,500: B/2 < 2,500, B < 5,000: 1,001.
    // At 5,000 exactly B ties with A's fourth quotient and the lot decides: 1,000 or 1,001.
    assert!(matches!(l[1].lose, Some(1_000 | 1_001)), "{:?}", l[1].lose);
    assert_eq!(m[0].margin, l[1].lose);
}
