//! List proportional representation in a contest: seats to lists by the system's formula and
//! threshold, then to each list's candidates by the list rule, then the quota rules.

use psephos_model::{
    CandidateIdx, ContestIdx, Election, Formula, ListKind, ListPr, PartyIdx, QuotaScope,
    ThresholdBase, ThresholdScope, TieMethod,
};

use crate::allocate::{ContestResult, QuotaOutcome, Reason, Replacement, Seat};
use crate::apportion::{Method, Ratio, TieRule, apportion};
use crate::lists::{ListRule, list_order};
use crate::tabulate::Tabulation;

/// One list in a contest and what it won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResult {
    /// The party, or `None` for an independent candidate standing alone.
    pub party: Option<PartyIdx>,
    /// Its candidates in list order (candidates.csv order), without list-vote rows.
    pub candidates: Vec<CandidateIdx>,
    /// List votes: its candidates' votes plus votes for the list only.
    pub votes: u64,
    /// Seats won in the contest (without leveling seats).
    pub seats: u32,
    /// Leveling seats placed in this contest (see [`crate::leveling`]).
    pub leveling: u32,
    /// Its candidates in the order they take seats, after the list rule and quota rules.
    pub order: Vec<CandidateIdx>,
    pub below_threshold: bool,
    /// The quotient (divisor formulas) or remainder (quota formulas) that won its last seat.
    pub last_won: Option<Ratio>,
    /// Its next quotient: the one that did not win.
    pub next: Option<Ratio>,
}

/// Lists that pooled their votes under a surplus agreement, and the seats the pool won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub name: String,
    /// Indices into [`ContestResult::lists`].
    pub lists: Vec<usize>,
    pub votes: u64,
    pub seats: u32,
}

/// A tie between lists that the tie rule settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListTie {
    /// Indices into [`ContestResult::lists`], in the rule's order (first = favoured).
    pub lists: Vec<usize>,
    pub seats: u32,
    pub chosen: Vec<usize>,
    pub rule: &'static str,
    pub tickets: Vec<String>,
}

/// The apportionment method of a package formula.
pub fn formula_method(f: Formula) -> Method {
    let r =
        |x: psephos_model::Fraction| Ratio::new(u128::from(x.numerator), u128::from(x.denominator));
    match f {
        Formula::DHondt => Method::DHondt,
        Formula::SainteLague => Method::SainteLague,
        Formula::ModifiedSainteLague { first } => Method::ModifiedSainteLague { first: r(first) },
        Formula::Imperiali => Method::Imperiali,
        Formula::Danish => Method::Danish,
        Formula::HuntingtonHill => Method::HuntingtonHill,
        Formula::Adams => Method::Adams,
        Formula::Dean => Method::Dean,
        Formula::Hare => Method::Hare,
        Formula::Droop => Method::Droop,
        Formula::HagenbachBischoff => Method::HagenbachBischoff,
        Formula::HagenbachBischoffRounded => Method::HagenbachBischoffRounded,
        Formula::ImperialiQuota => Method::ImperialiQuota,
    }
}

/// The lists of a contest, in order of first appearance of their candidates.
fn lists_of(election: &Election, tabulation: &Tabulation, contest: ContestIdx) -> Vec<ListResult> {
    let mut lists: Vec<ListResult> = Vec::new();
    for &c in election.candidates_in(contest) {
        let cand = election.candidate(c);
        let votes = tabulation.candidate_votes[c.index()];
        let slot = match cand.party {
            Some(p) => lists.iter().position(|l| l.party == Some(p)),
            None => None,
        };
        let k = slot.unwrap_or_else(|| {
            lists.push(ListResult {
                party: cand.party,
                candidates: Vec::new(),
                votes: 0,
                seats: 0,
                leveling: 0,
                order: Vec::new(),
                below_threshold: false,
                last_won: None,
                next: None,
            });
            lists.len() - 1
        });
        lists[k].votes += votes;
        if !cand.list_vote {
            lists[k].candidates.push(c);
        }
    }
    lists
}

/// A list's id for lots and display: its party's id, or its independent candidate's.
pub fn list_id<'a>(election: &'a Election, list: &ListResult) -> &'a str {
    match (list.party, list.candidates.first()) {
        (Some(p), _) => &election.parties[p.index()].id,
        (None, Some(&c)) => &election.candidate(c).id,
        (None, None) => "",
    }
}

pub(crate) fn list_pr(
    election: &Election,
    tabulation: &Tabulation,
    contest: ContestIdx,
    lp: &ListPr,
    sntv_seats: &[Vec<u32>],
) -> ContestResult {
    let system = election.system_of(contest);
    let contest_id = &election.contest(contest).id;
    let seats = election.contest(contest).seats;
    let mut lists = lists_of(election, tabulation, contest);
    let votes: Vec<u128> = lists.iter().map(|l| u128::from(l.votes)).collect();
    let ids: Vec<&str> = lists.iter().map(|l| list_id(election, l)).collect();

    // The threshold, measured where the law says.
    if let Some(t) = &lp.threshold {
        // A party's own share (e.g. a joint list's) replaces the system's.
        let share_of = |l: &ListResult| {
            let f = l.party.and_then(|p| election.parties[p.index()].threshold).unwrap_or(t.share);
            Ratio::new(u128::from(f.numerator), u128::from(f.denominator))
        };
        let blank = |c: ContestIdx| match t.base {
            ThresholdBase::ListVotes => 0,
            ThresholdBase::ValidBallots => u128::from(tabulation.contest_ballots[c.index()].blank),
        };
        match t.scope {
            ThresholdScope::Contest => {
                let base: u128 = votes.iter().sum::<u128>() + blank(contest);
                for (l, &v) in lists.iter_mut().zip(&votes) {
                    let share = share_of(l);
                    l.below_threshold = v * share.den < share.num * base;
                }
            }
            ThresholdScope::System => {
                // Every contest of the same system: lists are compared by party (independents
                // by their own votes).
                let same: Vec<ContestIdx> = (0..election.contests.len())
                    .map(ContestIdx::from_index)
                    .filter(|&c| election.contest(c).system == election.contest(contest).system)
                    .collect();
                let mut base = 0u128;
                let mut party_votes = vec![0u128; election.parties.len()];
                for &c in &same {
                    base += blank(c);
                    for &cand in election.candidates_in(c) {
                        let v = u128::from(tabulation.candidate_votes[cand.index()]);
                        base += v;
                        if let Some(p) = election.candidate(cand).party {
                            party_votes[p.index()] += v;
                        }
                    }
                }
                for (l, &v) in lists.iter_mut().zip(&votes) {
                    let national = l.party.map_or(v, |p| party_votes[p.index()]);
                    let share = share_of(l);
                    l.below_threshold = national * share.den < share.num * base;
                }
            }
        }
        // The alternative: enough seats won in the contests of an SNTV system.
        if let Some(alt) = t.or_seats {
            for l in &mut lists {
                let won = l
                    .party
                    .map_or(0, |p| sntv_seats.get(alt.system.index()).map_or(0, |s| s[p.index()]));
                if won >= alt.seats {
                    l.below_threshold = false;
                }
            }
        }
    }

    // Seats to lists.
    let method = formula_method(lp.formula);
    let context = contest_id.clone();
    let rule = match system.ties.method {
        TieMethod::Lot => TieRule::Lot { seed: system.ties.seed.clone(), context },
        TieMethod::MostVotes => {
            TieRule::MostVotesThenLot { seed: system.ties.seed.clone(), context }
        }
    };
    let eligible: Vec<u128> =
        lists.iter().zip(&votes).map(|(l, &v)| if l.below_threshold { 0 } else { v }).collect();
    let mut list_ties = Vec::new();
    let mut lot_lists = Vec::new();
    // Surplus agreements (Israel): lists above the threshold whose parties share an agreement
    // pool their votes; the pool's seats are then divided among them by the same formula.
    let agreement_of = |k: usize| {
        let l = &lists[k];
        if l.below_threshold {
            return None;
        }
        l.party.and_then(|p| election.parties[p.index()].agreement.as_deref())
    };
    let mut units: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for k in 0..lists.len() {
        match agreement_of(k) {
            Some(a) => match units.iter_mut().find(|u| u.0 == Some(a)) {
                Some(u) => u.1.push(k),
                None => units.push((Some(a), vec![k])),
            },
            None => units.push((None, vec![k])),
        }
    }
    // An agreement with one list above the threshold is just that list.
    for u in &mut units {
        if u.1.len() == 1 {
            u.0 = None;
        }
    }
    let unit_votes: Vec<u128> =
        units.iter().map(|u| u.1.iter().map(|&k| eligible[k]).sum()).collect();
    let unit_names: Vec<&str> = units.iter().map(|u| u.0.unwrap_or_else(|| ids[u.1[0]])).collect();
    // Seats no list could take: no list has votes, or none reached the threshold.
    let mut unallocated = 0u32;
    let apportioned = apportion(&unit_votes, &unit_names, u128::from(seats), method, None, &rule);
    if apportioned.is_err() {
        unallocated = seats;
    }
    let mut agreements = Vec::new();
    if let Ok(a) = apportioned {
        // Per list: its seats and the apportionment that gave them (the contest's, or the split
        // of its agreement's seats), for the quotients that explain them.
        let mut explain = |k: usize, list_votes: u128, won: u128, remainder: Option<Ratio>| {
            let l = &mut lists[k];
            l.seats = u32::try_from(won).unwrap_or(u32::MAX);
            if method.is_divisor() {
                if won > 0 {
                    l.last_won = Some(method.priority(list_votes, won - 1));
                }
                if !l.below_threshold && list_votes > 0 {
                    l.next = Some(method.priority(list_votes, won));
                }
            } else {
                l.last_won = remainder;
            }
        };
        let expand = |us: &[usize]| -> Vec<usize> {
            us.iter().flat_map(|&u| units[u].1.iter().copied()).collect()
        };
        for t in &a.ties {
            let (members, chosen) = (expand(&t.parties), expand(&t.chosen));
            // Only a drawn lot makes a seat's reason "lot"; a rule such as most votes does not.
            if !t.tickets.is_empty() {
                lot_lists.extend(chosen.iter().copied());
            }
            list_ties.push(ListTie {
                lists: members,
                seats: u32::try_from(t.seats).unwrap_or(u32::MAX),
                chosen,
                rule: t.rule,
                tickets: t.tickets.clone(),
            });
        }
        for (u, (agreement, members)) in units.iter().enumerate() {
            let Some(agreement) = agreement else {
                let k = members[0];
                explain(k, votes[k], a.seats[u], a.remainders.get(u).copied().flatten());
                continue;
            };
            let member_votes: Vec<u128> = members.iter().map(|&k| eligible[k]).collect();
            let member_ids: Vec<&str> = members.iter().map(|&k| ids[k]).collect();
            let context = format!("{contest_id}/{agreement}");
            let split_rule = match system.ties.method {
                TieMethod::Lot => TieRule::Lot { seed: system.ties.seed.clone(), context },
                TieMethod::MostVotes => {
                    TieRule::MostVotesThenLot { seed: system.ties.seed.clone(), context }
                }
            };
            let Ok(split) =
                apportion(&member_votes, &member_ids, a.seats[u], method, None, &split_rule)
            else {
                continue;
            };
            for (j, &k) in members.iter().enumerate() {
                explain(k, votes[k], split.seats[j], split.remainders.get(j).copied().flatten());
            }
            for t in split.ties {
                let map = |v: &[usize]| v.iter().map(|&j| members[j]).collect::<Vec<_>>();
                if !t.tickets.is_empty() {
                    lot_lists.extend(map(&t.chosen));
                }
                list_ties.push(ListTie {
                    lists: map(&t.parties),
                    seats: u32::try_from(t.seats).unwrap_or(u32::MAX),
                    chosen: map(&t.chosen),
                    rule: t.rule,
                    tickets: t.tickets,
                });
            }
            agreements.push(Agreement {
                name: (*agreement).to_owned(),
                lists: members.clone(),
                votes: u64::try_from(unit_votes[u]).unwrap_or(u64::MAX),
                seats: u32::try_from(a.seats[u]).unwrap_or(u32::MAX),
            });
        }
    }

    let (seats_out, quotas, empty_seats) =
        fill_lists(election, tabulation, contest, lp, &mut lists, &lot_lists, unallocated, &|_| {
            false
        });
    let personal = |c: CandidateIdx| tabulation.candidate_votes[c.index()];
    let mut ranking: Vec<(CandidateIdx, u64)> =
        lists.iter().flat_map(|l| l.candidates.iter().map(|&c| (c, personal(c)))).collect();
    ranking.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ContestResult {
        contest,
        ranking,
        seats: seats_out,
        quotas,
        ties: Vec::new(),
        empty_seats,
        lists,
        list_ties,
        agreements,
    }
}

/// Gives each list's seats to its candidates: the list rule's order, then the quota rules.
/// `skip` leaves out candidates who may not take a list seat (in a mixed-member system, those
/// who won a constituency). Returns the seats, the quota outcomes and the seats left empty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fill_lists(
    election: &Election,
    tabulation: &Tabulation,
    contest: ContestIdx,
    lp: &ListPr,
    lists: &mut [ListResult],
    lot_lists: &[usize],
    unallocated: u32,
    skip: &dyn Fn(CandidateIdx) -> bool,
) -> (Vec<Seat>, Vec<QuotaOutcome>, u32) {
    let system = election.system_of(contest);
    let seats = election.contest(contest).seats;
    // Seats to candidates, list by list.
    let list_rule = match lp.lists {
        ListKind::Closed => ListRule::Closed,
        ListKind::Open => ListRule::Open,
        ListKind::Preference { jump } => ListRule::Preference {
            jump: Ratio::new(u128::from(jump.numerator), u128::from(jump.denominator)),
        },
    };
    let personal = |c: CandidateIdx| tabulation.candidate_votes[c.index()];
    // Per list: its candidates in the order they take seats, and how many are elected.
    let mut orders: Vec<Vec<CandidateIdx>> = lists
        .iter()
        .map(|l| {
            let v: Vec<u128> = l.candidates.iter().map(|&c| u128::from(personal(c))).collect();
            list_order(&v, u128::from(l.votes), list_rule)
                .into_iter()
                .map(|k| l.candidates[k])
                .filter(|&c| !skip(c))
                .collect()
        })
        .collect();
    let mut empty_seats = unallocated;
    let elected: Vec<usize> = lists
        .iter()
        .zip(&orders)
        .map(|(l, o)| {
            let n = (l.seats as usize).min(o.len());
            empty_seats += l.seats - n as u32;
            n
        })
        .collect();
    // A seat is won by a quota replacement: (list, candidate) -> replaced.
    let mut replaced_by: Vec<(CandidateIdx, CandidateIdx)> = Vec::new();
    let mut quotas = Vec::new();
    let seats_filled: u32 = elected.iter().map(|&n| n as u32).sum();
    let by_votes = orders.clone();
    // Rules applied so far: a later rule may not take a seat from a candidate an earlier rule
    // needs to keep its minimum.
    let mut applied: Vec<&psephos_model::QuotaRule> = Vec::new();
    for rule in &system.quotas {
        let matches = |c: CandidateIdx| rule.filter.matches(election.candidate(c));
        let count_all = |orders: &[Vec<CandidateIdx>], elected: &[usize]| -> u32 {
            orders
                .iter()
                .zip(elected)
                .map(|(o, &n)| o[..n].iter().filter(|&&c| matches(c)).count() as u32)
                .sum()
        };
        if let Some(u) = rule.unless_contest_has
            && count_all(&orders, &elected) >= u.for_seats(seats).min(seats_filled)
        {
            continue;
        }
        let won_on_votes = count_all(&by_votes, &elected);
        let mut outcome = QuotaOutcome {
            rule: rule.name.clone(),
            minimum: 0,
            won_on_votes,
            replacements: Vec::new(),
            unmet: 0,
        };
        // Whether removing elected candidate `c` of list `k` would take an earlier rule below its
        // minimum.
        let needed = |c: CandidateIdx, k: usize, orders: &[Vec<CandidateIdx>]| -> bool {
            applied.iter().any(|earlier| {
                let m = |x: CandidateIdx| earlier.filter.matches(election.candidate(x));
                if !m(c) {
                    return false;
                }
                let in_list = |j: usize| orders[j][..elected[j]].iter().filter(|&&x| m(x)).count();
                match earlier.scope {
                    QuotaScope::List => {
                        in_list(k) as u32 <= earlier.minimum.for_seats(elected[k] as u32)
                    }
                    QuotaScope::Contest => {
                        (0..orders.len()).map(in_list).sum::<usize>() as u32
                            <= earlier.minimum.for_seats(seats).min(seats_filled)
                    }
                }
            })
        };
        // Within one list: the best-placed matching candidate not elected takes the place of
        // the lowest-placed elected one who does not match, did not enter by a quota and is not
        // needed by an earlier rule.
        let outgoing_in = |k: usize,
                           orders: &[Vec<CandidateIdx>],
                           replaced_by: &[(CandidateIdx, CandidateIdx)]|
         -> Option<usize> {
            let o = &orders[k];
            (0..elected[k]).rev().find(|&i| {
                !matches(o[i])
                    && !replaced_by.iter().any(|(e, _)| *e == o[i])
                    && !needed(o[i], k, orders)
            })
        };
        let replace_in = |k: usize,
                          orders: &mut Vec<Vec<CandidateIdx>>,
                          replaced_by: &mut Vec<(CandidateIdx, CandidateIdx)>|
         -> bool {
            let incoming = (elected[k]..orders[k].len()).find(|&i| matches(orders[k][i]));
            match (incoming, outgoing_in(k, orders, replaced_by)) {
                (Some(i), Some(j)) => {
                    let o = &mut orders[k];
                    let (inc, out) = (o[i], o[j]);
                    // The incoming candidate takes the outgoing one's place in the order; the
                    // outgoing one becomes the first not elected.
                    o.remove(i);
                    o[j] = inc;
                    o.insert(elected[k], out);
                    replaced_by.push((inc, out));
                    true
                }
                _ => false,
            }
        };
        match rule.scope {
            QuotaScope::List => {
                for k in 0..lists.len() {
                    let minimum = rule.minimum.for_seats(elected[k] as u32);
                    outcome.minimum += minimum;
                    let mut have =
                        orders[k][..elected[k]].iter().filter(|&&c| matches(c)).count() as u32;
                    while have < minimum {
                        if !replace_in(k, &mut orders, &mut replaced_by) {
                            outcome.unmet += minimum - have;
                            break;
                        }
                        let (inc, out) = replaced_by[replaced_by.len() - 1];
                        outcome.replacements.push(Replacement { elected: inc, replaced: out });
                        have += 1;
                    }
                }
            }
            QuotaScope::Contest => {
                let minimum = rule.minimum.for_seats(seats).min(seats_filled);
                outcome.minimum = minimum;
                let mut have = count_all(&orders, &elected);
                while have < minimum {
                    // The list whose lowest-placed removable winner has the fewest votes and
                    // which has a matching candidate to elect.
                    let candidate_lists = (0..lists.len()).filter_map(|k| {
                        let has_incoming = orders[k][elected[k]..].iter().any(|&c| matches(c));
                        let out = outgoing_in(k, &orders, &replaced_by)?;
                        has_incoming.then_some((personal(orders[k][out]), k))
                    });
                    let Some((_, k)) = candidate_lists.min() else {
                        outcome.unmet = minimum - have;
                        break;
                    };
                    replace_in(k, &mut orders, &mut replaced_by);
                    let (inc, out) = replaced_by[replaced_by.len() - 1];
                    outcome.replacements.push(Replacement { elected: inc, replaced: out });
                    have += 1;
                }
            }
        }
        quotas.push(outcome);
        applied.push(rule);
    }

    // The seats, list by list in list order of election.
    let mut seats_out = Vec::new();
    for (k, o) in orders.iter().enumerate() {
        for (pos, &c) in o[..elected[k]].iter().enumerate() {
            let replaced = replaced_by.iter().find(|(e, _)| *e == c).map(|(_, r)| *r);
            let reason = if replaced.is_some() {
                Reason::Quota
            } else if lot_lists.contains(&k) && pos + 1 == elected[k] {
                Reason::Lot
            } else if system.reserved_for.is_some() {
                Reason::Reserved
            } else {
                Reason::Rank
            };
            seats_out.push(Seat { contest, candidate: c, votes: personal(c), reason, replaced });
        }
    }
    for (l, o) in lists.iter_mut().zip(orders) {
        l.order = o;
    }
    (seats_out, quotas, empty_seats)
}
