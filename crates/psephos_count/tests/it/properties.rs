//! Properties of counting and allocation that must hold for every input.

use proptest::prelude::*;
use psephos_count::apportion::{Method as Divide, Ratio, TieRule, apportion};
use psephos_count::{Allocation, Reason, allocate, select, tabulate, validate};
use psephos_model::{
    Candidate, CandidateFilter, CandidateIdx, Contest, ContestIdx, Election, ElectionParts,
    Electorate, Form, FormKey, FormSet, Gender, Method, Minimum, Phase, QuotaRule, QuotaScope,
    Source, Station, StationIdx, System, SystemIdx, TieMethod, TiePolicy,
};

/// One SNTV district with a women's minimum, `votes[station][candidate]`.
fn election(seats: u32, women: &[bool], stations: usize, minimum: u32, seed: &str) -> Election {
    let quotas = if minimum == 0 {
        vec![]
    } else {
        vec![QuotaRule {
            name: "women".into(),
            filter: CandidateFilter { gender: Some(Gender::Female), group: None },
            minimum: Minimum::Count(minimum),
            scope: QuotaScope::Contest,
            unless_contest_has: None,
        }]
    };
    Election::new(ElectionParts {
        systems: vec![System {
            id: "district".into(),
            method: Method::Sntv,
            reserved_for: None,
            electorate: Electorate::Own,
            quotas,
            ties: TiePolicy { method: TieMethod::Lot, seed: seed.into() },
        }],
        contests: vec![Contest {
            id: "D1".into(),
            name: "D1".into(),
            governorate: None,
            seats,
            system: SystemIdx(0),
            population: None,
        }],
        candidates: women
            .iter()
            .enumerate()
            .map(|(i, &w)| Candidate {
                id: format!("C{i}"),
                name: format!("C{i}"),
                gender: if w { Gender::Female } else { Gender::Male },
                party: None,
                contest: ContestIdx(0),
                groups: vec![],
                list_vote: false,
                person: None,
            })
            .collect(),
        stations: (0..stations)
            .map(|_| Station {
                centre: 0,
                district: ContestIdx(0),
                governorate: None,
                registered: 10_000,
            })
            .collect(),
        centres: vec!["c".into()],
        station_ids: {
            let mut ids = psephos_model::IdArena::default();
            for s in 0..stations {
                ids.push(&format!("S{s}"));
            }
            ids
        },
        ..ElectionParts::default()
    })
}

fn forms(e: &Election, votes: &[Vec<u32>], order: &[usize]) -> FormSet {
    let mut set = FormSet::default();
    set.files = vec!["mem".into()];
    set.layouts.push(e.ballot(ContestIdx(0)).candidates.clone().into());
    for &s in order {
        let v = &votes[s];
        let votes = set.push_votes(v);
        let total: u32 = v.iter().sum();
        set.forms.push(Form {
            key: FormKey {
                station: StationIdx(s as u32),
                contest: ContestIdx(0),
                phase: Phase::Electronic,
                version: 1,
            },
            ballots_found: total,
            blank: 0,
            invalid: 0,
            layout: 0,
            votes,
            source: Source::new(0, s as u64 + 2),
        });
    }
    set
}

fn run(e: &Election, set: &FormSet) -> (Vec<u64>, Allocation) {
    let v = validate(e, set);
    assert_eq!(v.errors(), 0);
    let s = select(e, set, &v, &e.phase_policy);
    let t = tabulate(e, set, &s);
    let a = allocate(e, &t);
    (t.candidate_votes, a)
}

fn case() -> impl Strategy<Value = (u32, Vec<bool>, Vec<Vec<u32>>, u32)> {
    (1u32..6, 1usize..10, 1usize..4, 0u32..3).prop_flat_map(|(seats, n, stations, minimum)| {
        (
            Just(seats),
            proptest::collection::vec(any::<bool>(), n),
            // Small vote counts make ties common.
            proptest::collection::vec(proptest::collection::vec(0u32..6, n), stations),
            Just(minimum),
        )
    })
}

proptest! {
    #[test]
    fn seats_are_filled_and_quotas_kept((seats, women, votes, minimum) in case()) {
        let e = election(seats, &women, votes.len(), minimum, "seed");
        let (_, a) = run(&e, &forms(&e, &votes, &(0..votes.len()).collect::<Vec<_>>()));
        let r = &a.contests[0];
        let filled = (seats as usize).min(women.len());
        prop_assert_eq!(r.seats.len(), filled);
        prop_assert_eq!(r.empty_seats as usize, seats as usize - filled);
        // No one holds two seats.
        let mut ids: Vec<CandidateIdx> = r.seats.iter().map(|s| s.candidate).collect();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len(), filled);
        // The minimum is met as far as women stood for it.
        let seated_women = r.seats.iter().filter(|s| women[s.candidate.index()]).count();
        let standing_women = women.iter().filter(|w| **w).count();
        let needed = (minimum as usize).min(filled);
        prop_assert!(seated_women >= needed.min(standing_women));
        // Every quota seat replaced a man who had won on votes, and who had no more votes than
        // any other man left seated by rank.
        for s in r.seats.iter().filter(|s| s.reason == Reason::Quota) {
            let out = s.replaced.unwrap();
            prop_assert!(!women[out.index()]);
            for kept in r.seats.iter().filter(|k| !women[k.candidate.index()]) {
                prop_assert!(kept.votes >= a.contests[0].ranking.iter().find(|x| x.0 == out).unwrap().1);
            }
        }
        // Winners by rank have at least as many votes as every loser who did not enter by quota.
        let losers: Vec<u64> = r.ranking.iter().filter(|(c, _)| !ids.contains(c)).map(|x| x.1).collect();
        if minimum == 0 {
            for s in &r.seats {
                prop_assert!(losers.iter().all(|&l| s.votes >= l));
            }
        }
    }

    #[test]
    fn allocation_ignores_the_order_of_forms((seats, women, votes, minimum) in case(), rot in 0usize..4) {
        let e = election(seats, &women, votes.len(), minimum, "seed");
        let order: Vec<usize> = (0..votes.len()).collect();
        let mut rotated = order.clone();
        rotated.rotate_left(rot % votes.len());
        rotated.reverse();
        let (t1, a1) = run(&e, &forms(&e, &votes, &order));
        let (t2, a2) = run(&e, &forms(&e, &votes, &rotated));
        prop_assert_eq!(t1, t2);
        prop_assert_eq!(a1, a2);
    }

    #[test]
    fn the_lot_depends_only_on_the_seed((seats, women, votes, minimum) in case(), seed in "[a-z]{1,8}") {
        let order: Vec<usize> = (0..votes.len()).collect();
        let e = election(seats, &women, votes.len(), minimum, &seed);
        let (_, a1) = run(&e, &forms(&e, &votes, &order));
        let (_, a2) = run(&e, &forms(&e, &votes, &order));
        prop_assert_eq!(&a1, &a2);
        // Ties are recorded exactly where votes are equal across a decision.
        for t in a1.ties() {
            prop_assert!(t.candidates.len() >= 2);
            prop_assert!(t.candidates.iter().all(|(c, _)| a1.contests[0].ranking.iter().any(|x| x.0 == *c && x.1 == t.votes)));
        }
    }

    #[test]
    fn more_votes_never_cost_a_winner_the_seat((seats, women, votes, minimum) in case(), extra in 1u32..5) {
        let order: Vec<usize> = (0..votes.len()).collect();
        let e = election(seats, &women, votes.len(), minimum, "seed");
        let (_, a) = run(&e, &forms(&e, &votes, &order));
        for seat in a.contests[0].seats.clone() {
            let mut more = votes.clone();
            more[0][seat.candidate.index()] += extra;
            let (_, b) = run(&e, &forms(&e, &more, &order));
            prop_assert!(b.seats().any(|s| s.candidate == seat.candidate), "{:?} lost its seat with more votes", seat.candidate);
        }
    }
}

#[test]
fn rows_of_a_results_file_can_come_in_any_order() {
    // The same forms read from a wide CSV in two row orders give the same totals and seats.
    let e = election(2, &[false, true, false, false], 4, 1, "seed");
    let header = "station,contest,phase,version,ballots_found,blank,invalid,C0,C1,C2,C3\n";
    let rows = [
        "S0,D1,electronic,1,10,1,0,4,1,3,1\n",
        "S1,D1,electronic,1,12,0,2,2,3,4,1\n",
        "S2,D1,electronic,1,9,0,0,3,0,3,3\n",
        "S3,D1,manual,1,7,0,0,1,2,2,2\n",
    ];
    let read = |order: &[usize]| {
        let text: String = std::iter::once(header).chain(order.iter().map(|&i| rows[i])).collect();
        let r = psephos_io::parse_results(&e, "mem.csv", text.as_bytes());
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        run(&e, &r.forms)
    };
    let a = read(&[0, 1, 2, 3]);
    for order in [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
        assert_eq!(read(&order), a);
    }
}

/// The divisor methods by the textbook procedure: every party's quotients, the `seats` highest
/// win, ties at the boundary by the lowest index. Slow and obviously right.
fn textbook_divisor(votes: &[u128], seats: u128, method: Divide) -> (Vec<u128>, bool) {
    let mut quotients: Vec<(Ratio, usize)> = Vec::new();
    for (i, &v) in votes.iter().enumerate() {
        if v > 0 {
            for s in 0..seats {
                quotients.push((method.priority(v, s), i));
            }
        }
    }
    quotients.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut won = vec![0u128; votes.len()];
    for &(_, i) in quotients.iter().take(seats as usize) {
        won[i] += 1;
    }
    // A tie at the boundary: the last winner's quotient equals the first loser's.
    let tie = quotients.len() > seats as usize
        && seats > 0
        && quotients[seats as usize - 1].0 == quotients[seats as usize].0;
    (won, tie)
}

proptest! {
    /// The head start and the seat-by-seat scan give the textbook result whenever no tie sits
    /// at the boundary (with one, the tie rule decides and only the totals are compared).
    #[test]
    fn divisor_methods_match_the_textbook(
        votes in proptest::collection::vec(0u128..2000, 1..12),
        seats in 0u128..40,
        which in 0usize..4,
    ) {
        let method = [
            Divide::DHondt,
            Divide::SainteLague,
            Divide::ModifiedSainteLague { first: Ratio::new(7, 5) },
            Divide::ModifiedSainteLague { first: Ratio::new(17, 10) },
        ][which];
        let names: Vec<String> = (0..votes.len()).map(|i| format!("P{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let rule = TieRule::Lot { seed: "s".into(), context: "c".into() };
        if let Ok(a) = apportion(&votes, &names, seats, method, None, &rule) {
            let (expected, tie) = textbook_divisor(&votes, seats, method);
            prop_assert_eq!(a.seats.iter().sum::<u128>(), seats);
            if !tie {
                prop_assert_eq!(a.seats, expected);
                prop_assert!(a.ties.is_empty());
            }
        }
    }
}
