//! Margins: for every seat, the smallest change of votes that changes who holds it, and each
//! contest's diluted margin for planning an audit.
//!
//! **The change.** A change adds votes to, or removes votes from, the totals of the contest's
//! candidates (SNTV) or lists (list PR); its size is the number of votes added or removed, each
//! changing one count by one. A ballot read for the wrong candidate is two such changes (one
//! removed, one added); a ballot read as blank that was a vote, or the reverse, is one. Other
//! contests do not change.
//!
//! **SNTV** (with the system's quota rules and reserved seats): a seat held by candidate w
//! changes when w is no longer among the contest's winners. The margin is the cheapest of: votes
//! removed from w; votes added to one other candidate; and w kept at its votes (or taken to
//! zero) while other candidates are lifted over it, cheapest first (all of them; or, under quota
//! rules, the cheapest i of those matching the same rules as w, for every i up to the seats + 1,
//! then the others). Each is found by running the allocation
//! itself ([`crate::allocate`]'s SNTV with its quota replacements and the lot) on the changed
//! totals, single changes with a binary search over their size; a margin found is always a
//! change that takes the seat.
//!
//! **List PR**: a seat of list A changes when A ends with fewer seats (the seat moves to another
//! list). Its margin is the smallest *pairwise* change: votes removed from A and added to one
//! other list B (either part may be zero), over every B, as the assertions of a highest-averages
//! audit are pairwise. The removals tried are the breakpoints where A's last quotient passes
//! another list's quotient (every removal up to 256 votes for largest-remainder formulas and with
//! a threshold), each with a binary search over the addition, and, with a threshold, the
//! smallest addition that makes B qualify. Everything runs the contest's apportionment (exact
//! rationals, the threshold recomputed on the changed totals, ties by the package's rule).
//! Changes spread over three or more lists can be smaller than the pairwise margin. Surplus
//! agreements, mixed-member and biproportional tiers are outside the contest's apportionment;
//! such contests are reported without margins, with a note; leveling seats are not covered.
//!
//! The property tests in `tests/it/margins.rs` compare these margins with a brute-force search
//! over every change (SNTV) or every pairwise change (list PR) smaller than the margin.
//!
//! **Diluted margin** of a contest: its smallest seat margin divided by the ballots cast in it
//! (the ballots found at the stations whose ballot lists its candidates), the μ of rla.md.

use psephos_model::{
    CandidateIdx, ContestIdx, Election, Method, ThresholdBase, ThresholdScope, TieMethod,
};

use crate::allocate::{Allocation, sntv_tickets, sntv_with};
use crate::apportion::{Ratio, TieRule, apportion};
use crate::list_pr::{formula_method, list_id};
use crate::tabulate::Tabulation;

/// Who a change is made to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Candidate(CandidateIdx),
    /// A list of a list-PR contest: index into [`crate::ContestResult::lists`].
    List(usize),
}

/// The cheapest change found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Votes removed from this candidate or list.
    Remove(Target),
    /// Votes added to this candidate or list.
    Add(Target),
    /// `removed` votes taken from the holder's list and the rest of the margin added to `to`.
    Pair { removed: u64, to: Target },
    /// Votes removed from the holder down to a level and added to several candidates to lift
    /// them over it (SNTV, where no change of one candidate's votes is enough).
    Several,
}

/// The smallest change that takes one seat, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatMargin {
    /// The holder: the candidate (SNTV), or the list's elected candidate (list PR).
    pub candidate: CandidateIdx,
    /// List PR: the holder's list (index into the contest's lists).
    pub list: Option<usize>,
    /// `None`: no change of this contest's votes takes the seat (every candidate wins, or a
    /// quota guarantees it).
    pub margin: Option<u64>,
    pub way: Option<Way>,
}

/// A list's margins in a list-PR contest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListMargin {
    pub list: usize,
    pub seats: u32,
    /// The smallest change that takes one of its seats (`None` if it has none, or none can).
    pub lose: Option<u64>,
    pub lose_way: Option<Way>,
}

/// The margins of one contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestMargins {
    pub contest: ContestIdx,
    pub seats: Vec<SeatMargin>,
    pub lists: Vec<ListMargin>,
    /// The smallest seat margin: the smallest change that changes the contest's outcome.
    pub margin: Option<u64>,
    /// Ballots cast in the contest (the denominator of the diluted margin).
    pub ballots: u64,
    /// Why margins were not computed, if they were not.
    pub note: Option<&'static str>,
}

impl ContestMargins {
    /// The diluted margin, margin ÷ ballots, as an exact pair.
    pub fn diluted(&self) -> Option<(u64, u64)> {
        match self.margin {
            Some(m) if self.ballots > 0 => Some((m, self.ballots)),
            _ => None,
        }
    }
}

/// The smallest `x` in `1..=hi` for which `changed(x)` holds, by binary search (assuming that
/// once a change of `x` takes the seat, every larger change of the same kind does); `None` if
/// `changed(hi)` does not hold.
fn smallest(hi: u64, mut changed: impl FnMut(u64) -> bool) -> Option<u64> {
    if hi == 0 || !changed(hi) {
        return None;
    }
    let (mut lo, mut hi) = (0u64, hi);
    // changed(hi) holds; changed(lo) does not (a change of 0 changes nothing).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if changed(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// [`smallest`] for changes that need not be monotone (largest-remainder quotas move with the
/// total; a list crossing a threshold changes everyone's seats at once): every `x` in
/// `1..=scan` is tried in turn, and only beyond `scan` is monotonicity assumed.
fn smallest_scanning(hi: u64, scan: u64, mut changed: impl FnMut(u64) -> bool) -> Option<u64> {
    let upto = hi.min(scan);
    if let Some(x) = (1..=upto).find(|&x| changed(x)) {
        return Some(x);
    }
    if hi <= scan {
        return None;
    }
    smallest(hi - scan, |x| changed(scan + x)).map(|x| scan + x)
}

/// How many additions are tried one by one where seats need not be monotone in them.
const SCAN: u64 = 64;

/// Margins of every SNTV and list-PR contest; ranked contests get a note.
pub fn margins(
    election: &Election,
    tabulation: &Tabulation,
    allocation: &Allocation,
) -> Vec<ContestMargins> {
    allocation
        .contests
        .iter()
        .map(|r| {
            let ballots = contest_ballots(election, tabulation, r.contest);
            let mut m = match &election.system_of(r.contest).method {
                Method::Sntv => sntv_margins(election, tabulation, r),
                Method::ListPr(lp) => list_margins(election, tabulation, r, lp, allocation),
                Method::Ranked(_) => ContestMargins {
                    contest: r.contest,
                    seats: Vec::new(),
                    lists: Vec::new(),
                    margin: None,
                    ballots: 0,
                    note: Some("ranked contest: margins of ranked counts are not computed"),
                },
            };
            m.ballots = ballots;
            m
        })
        .collect()
}

/// Ballots found at the stations whose ballot lists the contest's candidates.
fn contest_ballots(election: &Election, t: &Tabulation, contest: ContestIdx) -> u64 {
    let system = election.system_of(contest);
    if system.electorate.has_ballot() {
        return t.contest_ballots[contest.index()].ballots_found;
    }
    let Some(&first) = election.candidates_in(contest).first() else {
        return 0;
    };
    (0..election.contests.len())
        .map(ContestIdx::from_index)
        .filter(|&d| {
            election.system_of(d).electorate.has_ballot()
                && election.ballot(d).candidates.contains(&first)
        })
        .map(|d| t.contest_ballots[d.index()].ballots_found)
        .sum()
}

fn sntv_margins(
    election: &Election,
    t: &Tabulation,
    r: &crate::allocate::ContestResult,
) -> ContestMargins {
    let contest = r.contest;
    let tickets = sntv_tickets(election, contest);
    let mut votes = t.candidate_votes.clone();
    let candidates = election.candidates_in(contest);
    let total: u64 = candidates.iter().map(|c| votes[c.index()]).sum();
    let mut seats = Vec::new();
    for seat in &r.seats {
        let w = seat.candidate;
        let holds = |votes: &[u64]| {
            sntv_with(election, votes, contest, &tickets).seats.iter().any(|s| s.candidate == w)
        };
        let vw = votes[w.index()];
        let mut best: Option<(u64, Way)> = None;
        // Votes removed from the holder.
        if let Some(x) = smallest(vw, |x| {
            votes[w.index()] = vw - x;
            let changed = !holds(&votes);
            votes[w.index()] = vw;
            changed
        }) {
            best = Some((x, Way::Remove(Target::Candidate(w))));
        }
        // Votes added to another candidate.
        for &c in candidates {
            if c == w {
                continue;
            }
            let vc = votes[c.index()];
            let hi = match best {
                Some((b, _)) => b - 1,
                None => total + 1,
            };
            if let Some(y) = smallest(hi, |y| {
                votes[c.index()] = vc + y;
                let changed = !holds(&votes);
                votes[c.index()] = vc;
                changed
            }) {
                best = Some((y, Way::Add(Target::Candidate(c))));
            }
        }
        // Several candidates lifted over the holder, who keeps its votes or falls to none (where
        // the holder cannot fall below the others, at zero votes or protected by a quota).
        for level in [vw, 0] {
            if let Some(cost) = lift_over(election, &tickets, contest, &mut votes, w, level)
                && best.is_none_or(|(b, _)| cost < b)
            {
                best = Some((cost, Way::Several));
            }
        }
        seats.push(SeatMargin {
            candidate: w,
            list: None,
            margin: best.map(|b| b.0),
            way: best.map(|b| b.1),
        });
    }
    let margin = seats.iter().filter_map(|s| s.margin).min();
    ContestMargins { contest, seats, lists: Vec::new(), margin, ballots: 0, note: None }
}

/// The cost of setting the holder `w` to `level` votes and lifting other candidates over it,
/// cheapest first, until `w` loses its seat; `None` if it never does. `votes` is restored.
fn lift_over(
    election: &Election,
    tickets: &[[u8; 32]],
    contest: ContestIdx,
    votes: &mut [u64],
    w: CandidateIdx,
    level: u64,
) -> Option<u64> {
    let candidates = election.candidates_in(contest);
    let vw = votes[w.index()];
    let ticket_of = |c: CandidateIdx| candidates.iter().position(|&x| x == c).map(|k| tickets[k]);
    let tw = ticket_of(w);
    // The votes each other candidate needs to rank above w at `level`: level + 1, or level when
    // the lot already places it first.
    let mut lifts: Vec<(u64, CandidateIdx, u64)> = candidates
        .iter()
        .filter(|&&c| c != w)
        .map(|&c| {
            let target = if ticket_of(c) < tw { level } else { level + 1 };
            (target.saturating_sub(votes[c.index()]), c, votes[c.index()])
        })
        .collect();
    lifts.sort_by_key(|&(cost, c, _)| (cost, c));
    let holds = |votes: &[u64]| {
        sntv_with(election, votes, contest, tickets).seats.iter().any(|s| s.candidate == w)
    };
    // Lift everyone cheapest first; or, when quota rules apply, the cheapest i of those who
    // match the same rules as the holder (who compete for its quota seat) and then the others,
    // cheapest first, for every i up to the contest's seats + 1: a quota holder can lose its
    // seat only to a mix of both (one rival for the quota seat, others for the rest).
    let rules = &election.system_of(contest).quotas;
    let same = |c: CandidateIdx| {
        rules.iter().all(|r| {
            r.filter.matches(election.candidate(c)) == r.filter.matches(election.candidate(w))
        })
    };
    let (alike, others): (Vec<_>, Vec<_>) = lifts.iter().copied().partition(|&(_, c, _)| same(c));
    let seats = sntv_with(election, votes, contest, tickets).seats.len();
    let mut orders: Vec<Vec<(u64, CandidateIdx, u64)>> = vec![lifts.clone()];
    if !rules.is_empty() {
        for i in 0..=alike.len().min(seats + 1) {
            orders.push(alike[..i].iter().chain(&others).chain(&alike[i..]).copied().collect());
        }
    }
    let mut best: Option<u64> = None;
    for order in &orders {
        votes[w.index()] = level;
        let mut cost = vw - level;
        let mut result = None;
        if !holds(votes) {
            result = Some(cost);
        } else {
            for &(lift, c, _) in order {
                votes[c.index()] += lift;
                cost += lift;
                if !holds(votes) {
                    result = Some(cost);
                    break;
                }
            }
        }
        votes[w.index()] = vw;
        for &(_, c, v) in &lifts {
            votes[c.index()] = v;
        }
        if let Some(r) = result.filter(|&c| c > 0) {
            best = Some(best.map_or(r, |b| b.min(r)));
        }
    }
    best
}

/// Largest-remainder formulas: removals from the holder tried one by one up to this many votes.
const LR_EXHAUSTIVE: u128 = 256;

/// The contest's apportionment on plain list votes, as `list_pr` makes it.
struct ListOracle<'a> {
    method: crate::apportion::Method,
    seats: u128,
    names: Vec<&'a str>,
    rule: TieRule,
    /// Per list: its share of the threshold, the votes it is measured by outside this contest
    /// (system scope), and whether it qualifies whatever its votes (seats in an SNTV system).
    threshold: Option<Vec<(Ratio, u128, bool)>>,
    /// The base outside this contest's list votes (blank ballots, other contests' votes).
    base_extra: u128,
}

impl ListOracle<'_> {
    /// Which lists pass the threshold.
    fn qualified(&self, votes: &[u128]) -> Vec<bool> {
        match &self.threshold {
            None => vec![true; votes.len()],
            Some(t) => {
                let base: u128 = votes.iter().sum::<u128>() + self.base_extra;
                votes
                    .iter()
                    .zip(t)
                    .map(|(&v, &(share, outside, always))| {
                        always || (v + outside) * share.den >= share.num * base
                    })
                    .collect()
            }
        }
    }

    fn seats(&self, votes: &[u128]) -> Vec<u128> {
        let eligible: Vec<u128> =
            votes.iter().zip(self.qualified(votes)).map(|(&v, q)| if q { v } else { 0 }).collect();
        match apportion(&eligible, &self.names, self.seats, self.method, None, &self.rule) {
            Ok(a) => a.seats,
            Err(_) => vec![0; votes.len()],
        }
    }
}

fn list_margins(
    election: &Election,
    t: &Tabulation,
    r: &crate::allocate::ContestResult,
    lp: &psephos_model::ListPr,
    allocation: &Allocation,
) -> ContestMargins {
    let contest = r.contest;
    let mut out = ContestMargins {
        contest,
        seats: Vec::new(),
        lists: Vec::new(),
        margin: None,
        ballots: 0,
        note: None,
    };
    let system_idx = election.contest(contest).system;
    if !r.agreements.is_empty() {
        out.note = Some("surplus agreements pool lists' votes: margins are not computed");
        return out;
    }
    if election.mixed_member.as_ref().is_some_and(|m| m.lists == system_idx)
        || election.biproportional.as_ref().is_some_and(|b| b.system == system_idx)
    {
        out.note =
            Some("seats set by a mixed-member or biproportional tier: margins are not computed");
        return out;
    }
    let system = election.system_of(contest);
    let contest_id = election.contest(contest).id.clone();
    let rule = match system.ties.method {
        TieMethod::Lot => TieRule::Lot { seed: system.ties.seed.clone(), context: contest_id },
        TieMethod::MostVotes => {
            TieRule::MostVotesThenLot { seed: system.ties.seed.clone(), context: contest_id }
        }
    };
    let votes: Vec<u128> = r.lists.iter().map(|l| u128::from(l.votes)).collect();
    let mut base_extra = 0u128;
    let threshold = lp.threshold.as_ref().map(|th| {
        let blank = |c: ContestIdx| match th.base {
            ThresholdBase::ListVotes => 0,
            ThresholdBase::ValidBallots => u128::from(t.contest_ballots[c.index()].blank),
        };
        let share_of = |party: Option<psephos_model::PartyIdx>| {
            let f = party.and_then(|p| election.parties[p.index()].threshold).unwrap_or(th.share);
            Ratio::new(u128::from(f.numerator), u128::from(f.denominator))
        };
        // Qualification by seats won in an SNTV system does not depend on this contest.
        let always = |party: Option<psephos_model::PartyIdx>| {
            th.or_seats.is_some_and(|alt| {
                party.is_some_and(|p| {
                    let won = allocation
                        .contests
                        .iter()
                        .filter(|c| election.contest(c.contest).system == alt.system)
                        .flat_map(|c| c.seats.iter())
                        .filter(|s| election.candidate(s.candidate).party == Some(p))
                        .count();
                    won as u64 >= u64::from(alt.seats)
                })
            })
        };
        match th.scope {
            ThresholdScope::Contest => {
                base_extra = blank(contest);
                r.lists.iter().map(|l| (share_of(l.party), 0, always(l.party))).collect::<Vec<_>>()
            }
            ThresholdScope::System => {
                let mut party_votes = vec![0u128; election.parties.len()];
                for c in (0..election.contests.len()).map(ContestIdx::from_index) {
                    if election.contest(c).system != system_idx {
                        continue;
                    }
                    base_extra += blank(c);
                    if c == contest {
                        continue;
                    }
                    for &cand in election.candidates_in(c) {
                        let v = u128::from(t.candidate_votes[cand.index()]);
                        base_extra += v;
                        if let Some(p) = election.candidate(cand).party {
                            party_votes[p.index()] += v;
                        }
                    }
                }
                r.lists
                    .iter()
                    .map(|l| {
                        let outside = l.party.map_or(0, |p| party_votes[p.index()]);
                        (share_of(l.party), outside, always(l.party))
                    })
                    .collect()
            }
        }
    });
    let names: Vec<&str> = r.lists.iter().map(|l| list_id(election, l)).collect();
    let oracle = ListOracle {
        method: formula_method(lp.formula),
        seats: u128::from(election.contest(contest).seats),
        names,
        rule,
        threshold,
        base_extra,
    };
    let now = oracle.seats(&votes);
    // Lists qualified by seats elsewhere (or_seats) are not modelled: check that the oracle
    // gives the allocation's seats.
    if now.iter().zip(&r.lists).any(|(&s, l)| s != u128::from(l.seats)) {
        out.note = Some(
            "the contest's seats cannot be reproduced from its list votes alone (a threshold alternative or tier): margins are not computed",
        );
        return out;
    }
    let total: u128 = votes.iter().sum();
    let cap = crate::apportion::MAX_VOTES;
    let mut work = votes.clone();
    let n = votes.len();
    let to_u64 = |x: u128| u64::try_from(x).unwrap_or(u64::MAX);
    for a in 0..n {
        let held = now[a];
        let mut lm = ListMargin {
            list: a,
            seats: u32::try_from(held).unwrap_or(u32::MAX),
            lose: None,
            lose_way: None,
        };
        // Losing a seat: votes removed from A, or added to one other list.
        if held > 0 {
            let mut best: Option<(u64, Way)> = None;
            let va = votes[a];
            let exhaustive = !oracle.method.is_divisor() || oracle.threshold.is_some();
            let mut try_x = |x: u64| {
                work[a] = va - u128::from(x);
                let changed = oracle.seats(&work)[a] < held;
                work[a] = va;
                changed
            };
            let removal = if exhaustive {
                smallest_scanning(to_u64(va), SCAN, &mut try_x)
            } else {
                smallest(to_u64(va), &mut try_x)
            };
            if let Some(x) = removal {
                best = Some((x, Way::Remove(Target::List(a))));
            }
            // Removal levels worth trying with additions: where A's last quotient passes
            // below another list's quotient (a breakpoint of the pairwise cost).
            let method = oracle.method;
            let qa = |x: u128| method.priority(va - x, held - 1);
            let floor = best.map_or(0, |(x, _)| u128::from(x));
            let mut xs: Vec<u128> = vec![0];
            for (c, &vc) in votes.iter().enumerate().filter(|&(c, _)| c != a) {
                let mut j = 0u128;
                while j <= now[c] + oracle.seats {
                    let r = method.priority(vc, j);
                    if r > qa(0) {
                        j += 1;
                        continue;
                    }
                    if floor > 0 && r < qa(floor) {
                        break;
                    }
                    // The smallest x with qa(x) <= r.
                    let (mut lo, mut hi) = (0u128, va);
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if qa(mid) <= r { hi = mid } else { lo = mid + 1 }
                    }
                    xs.extend([lo, lo + 1]);
                    j += 1;
                    if xs.len() > 4 * n + 4 * oracle.seats as usize {
                        break;
                    }
                }
            }
            // Largest-remainder quotas move with the total: try every small removal instead.
            if exhaustive {
                let reach = floor.min(LR_EXHAUSTIVE).min(va);
                xs.extend(0..reach);
            }
            xs.sort_unstable();
            xs.dedup();
            xs.retain(|&x| x < va && best.is_none_or(|(b, _)| x < u128::from(b)));
            for b in (0..n).filter(|&b| b != a) {
                let vb = votes[b];
                for &x in &xs {
                    let hi = match best {
                        Some((c, _)) => to_u64(u128::from(c).saturating_sub(x + 1)),
                        None => to_u64((total * (oracle.seats + 1) + 1).min(cap - vb)),
                    };
                    if hi == 0 {
                        continue;
                    }
                    work[a] = va - x;
                    let mut try_y = |y: u64| {
                        work[b] = vb + u128::from(y);
                        let changed = oracle.seats(&work)[a] < held;
                        work[b] = vb;
                        changed
                    };
                    let mut found = if exhaustive {
                        smallest_scanning(hi, SCAN, &mut try_y)
                    } else {
                        smallest(hi, &mut try_y)
                    };
                    // With a threshold, a list that crosses it changes everyone's seats at
                    // once (not monotone in y): try the smallest addition that qualifies b.
                    if oracle.threshold.is_some() && !oracle.qualified(&work)[b] {
                        let qualifies = |y: u64, work: &mut Vec<u128>| {
                            work[b] = vb + u128::from(y);
                            let q = oracle.qualified(work)[b];
                            work[b] = vb;
                            q
                        };
                        if let Some(yq) = smallest(hi, |y| qualifies(y, &mut work)) {
                            // From the first qualifying addition on, a few more are tried one
                            // by one: qualifying alone may not yet move a seat.
                            let last = hi.min(yq.saturating_add(SCAN));
                            for y in yq..=last {
                                if found.is_some_and(|f| f <= y) {
                                    break;
                                }
                                work[b] = vb + u128::from(y);
                                let changed = oracle.seats(&work)[a] < held;
                                work[b] = vb;
                                if changed {
                                    found = Some(y);
                                    break;
                                }
                            }
                        }
                    }
                    work[a] = va;
                    if let Some(y) = found {
                        let way = if x == 0 {
                            Way::Add(Target::List(b))
                        } else {
                            Way::Pair { removed: to_u64(x), to: Target::List(b) }
                        };
                        best = Some((to_u64(x) + y, way));
                    }
                }
            }
            lm.lose = best.map(|b| b.0);
            lm.lose_way = best.map(|b| b.1);
        }
        out.lists.push(lm);
    }
    for seat in &r.seats {
        let Some(k) = r.lists.iter().position(|l| l.order.contains(&seat.candidate)) else {
            continue;
        };
        let lm = &out.lists[k];
        out.seats.push(SeatMargin {
            candidate: seat.candidate,
            list: Some(k),
            margin: lm.lose,
            way: lm.lose_way,
        });
    }
    out.margin = out.lists.iter().filter_map(|l| l.lose).min();
    out
}
