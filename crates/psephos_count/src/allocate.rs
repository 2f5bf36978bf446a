//! Seat allocation.
//!
//! Single non-transferable vote (SNTV): in each contest the candidates with the most votes win.
//! Then each quota rule of the contest's system is applied in order: while the winners hold fewer
//! matching candidates than the rule's minimum, the best-placed matching candidate who lost
//! replaces the lowest-placed winner who does not match and whom no earlier rule needs. A
//! reserved seat is an SNTV contest among the candidates of its group.
//!
//! Candidates with equal votes are ordered by the lot (see [`crate::lot`]); every place where the
//! lot decided something is recorded as a [`TieRecord`].

use psephos_model::{CandidateIdx, ContestIdx, Election, Method};

use crate::lot::lot_ticket;
use crate::tabulate::Tabulation;

/// Why a seat was won.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Among the top candidates by votes.
    Rank,
    /// Replaced a winner under a quota rule.
    Quota,
    /// Top candidate of a reserved seat's group.
    Reserved,
    /// Tied on votes for a last seat; the lot decided.
    Lot,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rank => "rank",
            Reason::Quota => "quota",
            Reason::Reserved => "reserved",
            Reason::Lot => "lot",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub contest: ContestIdx,
    pub candidate: CandidateIdx,
    pub votes: u64,
    pub reason: Reason,
    /// For a quota seat: the winner it replaced.
    pub replaced: Option<CandidateIdx>,
}

/// One replacement made by a quota rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub elected: CandidateIdx,
    pub replaced: CandidateIdx,
}

/// How a quota rule fared in a contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaOutcome {
    pub rule: String,
    pub minimum: u32,
    /// Matching candidates among the winners by votes alone, before any quota rule.
    pub won_on_votes: u32,
    pub replacements: Vec<Replacement>,
    /// Seats of the minimum that could not be filled (no matching candidate left to elect, or
    /// no winner that could give way).
    pub unmet: u32,
}

/// A decision the lot made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieRecord {
    pub contest: ContestIdx,
    /// What was decided, in words.
    pub question: String,
    /// The tied candidates, in the lot's order (first = favoured), with their tickets in hex.
    pub candidates: Vec<(CandidateIdx, String)>,
    pub votes: u64,
    /// The candidates the lot favoured.
    pub chosen: Vec<CandidateIdx>,
    pub seed: String,
}

/// The allocation of one contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestResult {
    pub contest: ContestIdx,
    /// Every candidate in final order: votes descending, ties by lot.
    pub ranking: Vec<(CandidateIdx, u64)>,
    /// Winners in ranking order.
    pub seats: Vec<Seat>,
    pub quotas: Vec<QuotaOutcome>,
    pub ties: Vec<TieRecord>,
    /// Seats no candidate could fill.
    pub empty_seats: u32,
    /// List PR: every list, its votes and seats (empty for SNTV).
    pub lists: Vec<crate::list_pr::ListResult>,
    /// List PR: ties between lists and how they were settled.
    pub list_ties: Vec<crate::list_pr::ListTie>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub contests: Vec<ContestResult>,
}

impl Allocation {
    pub fn seats(&self) -> impl Iterator<Item = &Seat> {
        self.contests.iter().flat_map(|c| c.seats.iter())
    }

    pub fn ties(&self) -> impl Iterator<Item = &TieRecord> {
        self.contests.iter().flat_map(|c| c.ties.iter())
    }
}

/// Allocates the seats of every contest from the tabulated votes.
pub fn allocate(election: &Election, tabulation: &Tabulation) -> Allocation {
    let contests = (0..election.contests.len())
        .map(|i| {
            let contest = ContestIdx::from_index(i);
            match &election.system_of(contest).method {
                Method::Sntv => sntv(election, tabulation, contest),
                Method::ListPr(lp) => crate::list_pr::list_pr(election, tabulation, contest, lp),
            }
        })
        .collect();
    Allocation { contests }
}

fn sntv(election: &Election, tabulation: &Tabulation, contest: ContestIdx) -> ContestResult {
    let system = election.system_of(contest);
    let contest_id = &election.contest(contest).id;
    let seed = &system.ties.seed;
    let seats = election.contest(contest).seats as usize;

    // Final order: votes descending, then ticket ascending.
    let mut order: Vec<(CandidateIdx, u64, [u8; 32])> = election
        .candidates_in(contest)
        .iter()
        .map(|&c| {
            let ticket = lot_ticket(seed, contest_id, &election.candidate(c).id);
            (c, tabulation.candidate_votes[c.index()], ticket)
        })
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let ranking: Vec<(CandidateIdx, u64)> = order.iter().map(|&(c, v, _)| (c, v)).collect();
    let votes_of = |c: CandidateIdx| tabulation.candidate_votes[c.index()];
    let place = |c: CandidateIdx| ranking.iter().position(|&(x, _)| x == c).unwrap_or(usize::MAX);
    let hex = |t: &[u8; 32]| t.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let tied_with = |v: u64| -> Vec<(CandidateIdx, String)> {
        order.iter().filter(|e| e.1 == v).map(|e| (e.0, hex(&e.2))).collect()
    };

    let filled = seats.min(ranking.len());
    let mut winners: Vec<CandidateIdx> = ranking[..filled].iter().map(|&(c, _)| c).collect();
    let mut reasons: Vec<Reason> =
        vec![if system.reserved_for.is_some() { Reason::Reserved } else { Reason::Rank }; filled];
    let mut ties = Vec::new();

    // A tie across the line between the last winner and the first loser.
    if filled > 0 && filled < ranking.len() && ranking[filled - 1].1 == ranking[filled].1 {
        let v = ranking[filled].1;
        let group = tied_with(v);
        let chosen: Vec<CandidateIdx> =
            group.iter().map(|g| g.0).filter(|c| winners.contains(c)).collect();
        for (w, r) in winners.iter().zip(reasons.iter_mut()) {
            if chosen.contains(w) {
                *r = Reason::Lot;
            }
        }
        ties.push(TieRecord {
            contest,
            question: format!(
                "{} candidate(s) with {v} votes for the last {} seat(s)",
                group.len(),
                chosen.len()
            ),
            candidates: group,
            votes: v,
            chosen,
            seed: seed.clone(),
        });
    }

    // Quota rules, in the order the package lists them.
    let mut replaced_by: Vec<Option<CandidateIdx>> = vec![None; filled];
    let mut quotas = Vec::new();
    // A share is of the contest's seats, as the law states it; no more than the seats filled.
    let minimum_of =
        |rule: &psephos_model::QuotaRule| rule.minimum.for_seats(seats as u32).min(filled as u32);
    let by_votes = winners.clone();
    for (rule_index, rule) in system.quotas.iter().enumerate() {
        let minimum = minimum_of(rule);
        let matches = |c: CandidateIdx| rule.filter.matches(election.candidate(c));
        let won_on_votes = by_votes.iter().filter(|&&c| matches(c)).count() as u32;
        let mut outcome = QuotaOutcome {
            rule: rule.name.clone(),
            minimum,
            won_on_votes,
            replacements: Vec::new(),
            unmet: 0,
        };
        let mut count = winners.iter().filter(|&&c| matches(c)).count() as u32;
        while count < minimum {
            // The best-placed matching candidate who lost.
            let incoming =
                ranking.iter().map(|&(c, _)| c).find(|c| !winners.contains(c) && matches(*c));
            // The lowest-placed winner who does not match, whose removal keeps every earlier
            // rule's minimum, and who did not enter by a quota.
            let outgoing = winners
                .iter()
                .enumerate()
                .rev()
                .filter(|&(k, &c)| {
                    !matches(c)
                        && replaced_by[k].is_none()
                        && system.quotas[..rule_index].iter().all(|earlier| {
                            !earlier.filter.matches(election.candidate(c))
                                || winners
                                    .iter()
                                    .filter(|&&w| earlier.filter.matches(election.candidate(w)))
                                    .count() as u32
                                    > minimum_of(earlier)
                        })
                })
                .map(|(k, &c)| (k, c))
                .next();
            let (Some(incoming), Some((k, outgoing))) = (incoming, outgoing) else {
                outcome.unmet = minimum - count;
                break;
            };
            // Record where the lot chose the incoming or the outgoing candidate.
            let vin = votes_of(incoming);
            let rivals_in: Vec<CandidateIdx> = ranking
                .iter()
                .map(|&(c, _)| c)
                .filter(|&c| {
                    c != incoming && !winners.contains(&c) && matches(c) && votes_of(c) == vin
                })
                .collect();
            if !rivals_in.is_empty() {
                let group: Vec<(CandidateIdx, String)> = tied_with(vin)
                    .into_iter()
                    .filter(|(c, _)| *c == incoming || rivals_in.contains(c))
                    .collect();
                ties.push(TieRecord {
                    contest,
                    question: format!("{} candidates eligible under quota {:?}, tied with {vin} votes, for one quota seat", group.len(), rule.name),
                    candidates: group,
                    votes: vin,
                    chosen: vec![incoming],
                    seed: seed.clone(),
                });
            }
            let vout = votes_of(outgoing);
            let rivals_out: Vec<CandidateIdx> = winners
                .iter()
                .enumerate()
                .filter(|&(j, &c)| {
                    j != k
                        && c != outgoing
                        && replaced_by[j].is_none()
                        && !matches(c)
                        && votes_of(c) == vout
                })
                .map(|(_, &c)| c)
                .collect();
            if !rivals_out.is_empty() {
                let group: Vec<(CandidateIdx, String)> = tied_with(vout)
                    .into_iter()
                    .filter(|(c, _)| *c == outgoing || rivals_out.contains(c))
                    .collect();
                // The lot's last-placed gives way: the chosen are those who keep their seats.
                ties.push(TieRecord {
                    contest,
                    question: format!(
                        "{} winners tied with {vout} votes; the lowest-placed by lot gives way under quota {:?}",
                        group.len(),
                        rule.name
                    ),
                    candidates: group,
                    votes: vout,
                    chosen: rivals_out,
                    seed: seed.clone(),
                });
            }
            winners[k] = incoming;
            reasons[k] = Reason::Quota;
            replaced_by[k] = Some(outgoing);
            outcome.replacements.push(Replacement { elected: incoming, replaced: outgoing });
            count += 1;
        }
        quotas.push(outcome);
    }

    let mut seats: Vec<Seat> = winners
        .iter()
        .zip(&reasons)
        .zip(&replaced_by)
        .map(|((&c, &reason), &replaced)| Seat {
            contest,
            candidate: c,
            votes: votes_of(c),
            reason,
            replaced,
        })
        .collect();
    seats.sort_by_key(|s| place(s.candidate));
    ContestResult {
        contest,
        ranking,
        seats,
        quotas,
        ties,
        empty_seats: (seats_len(election, contest) - filled) as u32,
        lists: Vec::new(),
        list_ties: Vec::new(),
    }
}

fn seats_len(election: &Election, contest: ContestIdx) -> usize {
    election.contest(contest).seats as usize
}
