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

use psephos_model::{CandidateIdx, ContestIdx, Election, Method, PartyIdx, TieMethod};

use crate::apportion::{Ratio, TieRule};
use crate::leveling::{LevelingInput, LevelingRule, level};

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
    /// A leveling seat of the national tier, placed in this contest.
    Leveling,
    /// Elected in a ranked count (instant-runoff or STV).
    Rcv,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rank => "rank",
            Reason::Quota => "quota",
            Reason::Reserved => "reserved",
            Reason::Lot => "lot",
            Reason::Leveling => "leveling",
            Reason::Rcv => "rcv",
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
    /// List PR: surplus agreements that pooled votes.
    pub agreements: Vec<crate::list_pr::Agreement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub contests: Vec<ContestResult>,
    /// The leveling tier, when the election has one.
    pub leveling: Option<LevelingOutcome>,
    /// The mixed-member calculation, when the election has one.
    pub mmp: Option<crate::mmp::MmpOutcome>,
    /// The biproportional apportionment, when the election has one.
    pub biproportional: Option<crate::biproportional::BiproportionalOutcome>,
    /// The counts of the ranked contests, in contest order.
    pub ranked: Vec<crate::ranked::RankedCount>,
}

/// A party in the leveling tier's national calculation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelingParty {
    pub party: PartyIdx,
    /// List votes in all contests of the tier's system.
    pub votes: u64,
    pub qualified: bool,
    /// Seats the national calculation gives it, district and leveling together; `None` when it
    /// did not qualify or was set aside for winning more district seats than this.
    pub entitlement: Option<u64>,
    pub district_seats: u64,
    pub leveling_seats: u64,
}

/// Equal quotients for a leveling seat and how the tie rule ordered them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementTie {
    /// In the rule's order (first = favoured).
    pub tied: Vec<(ContestIdx, PartyIdx)>,
    pub rule: &'static str,
    pub tickets: Vec<String>,
}

/// One leveling seat, in the order placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelingPlacement {
    pub contest: ContestIdx,
    pub party: PartyIdx,
    /// The party's next quotient in the contest over the contest's votes per district seat.
    pub quotient: Ratio,
    /// Who takes it: the list's next candidate, if it has one left.
    pub candidate: Option<CandidateIdx>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelingOutcome {
    /// Parties with votes in the tier, in parties.csv order.
    pub parties: Vec<LevelingParty>,
    /// Parties set aside, in the order the national calculation set them aside.
    pub set_aside: Vec<PartyIdx>,
    /// Seats of the national calculation (district seats of the system plus leveling seats).
    pub national_seats: u64,
    /// List votes of the system, independents' included: the threshold's base.
    pub total_votes: u64,
    pub placements: Vec<LevelingPlacement>,
    /// Ties between parties in the national calculation (indices are party indices).
    pub national_ties: Vec<crate::apportion::ApportionTie>,
    /// Equal quotients for a leveling seat (pairs of contest and party).
    pub placement_ties: Vec<PlacementTie>,
}

impl Allocation {
    pub fn seats(&self) -> impl Iterator<Item = &Seat> {
        self.contests.iter().flat_map(|c| c.seats.iter())
    }

    pub fn ties(&self) -> impl Iterator<Item = &TieRecord> {
        self.contests.iter().flat_map(|c| c.ties.iter())
    }
}

/// Allocates the seats of every contest from the tabulated votes. Ranked contests have no
/// ballots here: their seats stay empty (see [`allocate_with_ranked`]).
pub fn allocate(election: &Election, tabulation: &Tabulation) -> Allocation {
    allocate_with_ranked(election, tabulation, &[], &|_| Vec::new())
}

/// Allocates the seats of every contest: SNTV and list PR from the tabulated votes, ranked
/// contests from their ballots (`ranked`, one entry per ranked contest that has ballots).
/// `aliases` gives a candidate's aliases, for matching ballot labels.
pub fn allocate_with_ranked(
    election: &Election,
    tabulation: &Tabulation,
    ranked: &[crate::ranked::RankedBallots],
    aliases: &dyn Fn(CandidateIdx) -> Vec<String>,
) -> Allocation {
    let mut ranked_counts = Vec::new();
    // SNTV and ranked contests first: a list-PR threshold may count the seats a party won in
    // SNTV contests.
    let mut results: Vec<Option<ContestResult>> = (0..election.contests.len())
        .map(|i| {
            let contest = ContestIdx::from_index(i);
            match &election.system_of(contest).method {
                Method::Sntv => Some(sntv(election, tabulation, contest)),
                Method::ListPr(_) => None,
                Method::Ranked(rules) => {
                    let empty = crate::ranked::RankedBallots::empty(contest);
                    let input = ranked.iter().find(|r| r.contest == contest).unwrap_or(&empty);
                    let (result, count) =
                        crate::ranked::count_ranked(election, rules, input, aliases);
                    ranked_counts.push(count);
                    Some(result)
                }
            }
        })
        .collect();
    // Seats won per system and party in the SNTV contests.
    let mut sntv_seats = vec![vec![0u32; election.parties.len()]; election.systems.len()];
    for r in results.iter().flatten() {
        let system = election.contest(r.contest).system.index();
        for seat in &r.seats {
            if let Some(p) = election.candidate(seat.candidate).party {
                sntv_seats[system][p.index()] += 1;
            }
        }
    }
    for (i, slot) in results.iter_mut().enumerate() {
        let contest = ContestIdx::from_index(i);
        if let Method::ListPr(lp) = &election.system_of(contest).method {
            *slot = Some(crate::list_pr::list_pr(election, tabulation, contest, lp, &sntv_seats));
        }
    }
    let contests = results.into_iter().flatten().collect();
    let mut allocation = Allocation {
        contests,
        leveling: None,
        mmp: None,
        biproportional: None,
        ranked: ranked_counts,
    };
    if let Some(b) = &election.biproportional {
        allocation.biproportional =
            Some(crate::biproportional::tier(election, tabulation, b, &mut allocation.contests));
    }
    if let Some(m) = &election.mixed_member {
        allocation.mmp =
            Some(crate::mmp::mixed_member(election, tabulation, m, &mut allocation.contests));
    }
    if let Some(tier) = &election.leveling {
        allocation.leveling = Some(leveling_tier(election, tier, &mut allocation.contests));
    }
    allocation
}

/// The national leveling tier over the list-PR contests of one system: computes each party's
/// leveling seats and gives each placed seat to the list's next candidate in that contest.
fn leveling_tier(
    election: &Election,
    tier: &psephos_model::LevelingTier,
    contests: &mut [ContestResult],
) -> LevelingOutcome {
    let districts: Vec<usize> =
        (0..contests.len()).filter(|&i| election.contests[i].system == tier.system).collect();
    // One column per party, then one per independent list (never eligible, but its votes count
    // in the threshold's base and in its district's votes per seat).
    let np = election.parties.len();
    let independents: usize = districts
        .iter()
        .map(|&i| contests[i].lists.iter().filter(|l| l.party.is_none()).count())
        .sum();
    let n = np + independents;
    let mut votes = vec![vec![0u128; n]; districts.len()];
    let mut won = vec![vec![0u128; n]; districts.len()];
    let mut next_independent = np;
    for (d, &i) in districts.iter().enumerate() {
        for l in &contests[i].lists {
            let col = match l.party {
                Some(p) => p.index(),
                None => {
                    next_independent += 1;
                    next_independent - 1
                }
            };
            votes[d][col] += u128::from(l.votes);
            won[d][col] += u128::from(l.seats);
        }
    }
    let seats_in_district: Vec<u128> =
        districts.iter().map(|&i| u128::from(election.contests[i].seats)).collect();
    let ids: Vec<String> = (0..n)
        .map(|p| match election.parties.get(p) {
            Some(party) => party.id.clone(),
            None => format!("independent-{}", p - np + 1),
        })
        .collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let eligible: Vec<bool> = (0..n).map(|p| p < np).collect();
    let district_total: u128 = seats_in_district.iter().sum();
    let rule = LevelingRule {
        total_seats: district_total + u128::from(tier.seats),
        leveling_seats: u128::from(tier.seats),
        method: crate::list_pr::formula_method(tier.formula),
        threshold: Ratio::new(
            u128::from(tier.threshold.numerator),
            u128::from(tier.threshold.denominator),
        ),
    };
    let system = &election.systems[tier.system.index()];
    let context = "leveling".to_owned();
    let ties = match system.ties.method {
        TieMethod::Lot => TieRule::Lot { seed: system.ties.seed.clone(), context },
        TieMethod::MostVotes => {
            TieRule::MostVotesThenLot { seed: system.ties.seed.clone(), context }
        }
    };
    let district_ids: Vec<&str> =
        districts.iter().map(|&i| election.contests[i].id.as_str()).collect();
    let input = LevelingInput {
        votes: &votes,
        district_seats: &won,
        seats_in_district: &seats_in_district,
        districts: &district_ids,
        parties: &id_refs,
        eligible: &eligible,
    };
    let leveled = level(&input, &rule, &ties);

    let mut placements = Vec::new();
    for pl in &leveled.placements {
        let ci = districts[pl.district];
        let party = PartyIdx::from_index(pl.party);
        let result = &mut contests[ci];
        let list = result.lists.iter_mut().find(|l| l.party == Some(party));
        let candidate = list.and_then(|l| {
            let next = l.order.get((l.seats + l.leveling) as usize).copied();
            l.leveling += 1;
            next
        });
        match candidate {
            Some(c) => result.seats.push(Seat {
                contest: result.contest,
                candidate: c,
                votes: result.ranking.iter().find(|(r, _)| *r == c).map_or(0, |r| r.1),
                reason: Reason::Leveling,
                replaced: None,
            }),
            None => result.empty_seats += 1,
        }
        placements.push(LevelingPlacement {
            contest: result.contest,
            party,
            quotient: pl.quotient,
            candidate,
        });
    }
    let national = |p: usize| votes.iter().map(|d| d[p]).sum::<u128>();
    let district_seats = |p: usize| won.iter().map(|d| d[p]).sum::<u128>();
    let to_u64 = |x: u128| u64::try_from(x).unwrap_or(u64::MAX);
    let parties = (0..np)
        .filter(|&p| national(p) > 0 || district_seats(p) > 0)
        .map(|p| LevelingParty {
            party: PartyIdx::from_index(p),
            votes: to_u64(national(p)),
            qualified: leveled.qualified[p],
            entitlement: leveled.entitlement[p].map(to_u64),
            district_seats: to_u64(district_seats(p)),
            leveling_seats: to_u64(leveled.leveling[p]),
        })
        .collect();
    LevelingOutcome {
        parties,
        set_aside: leveled.exclusions.iter().map(|x| PartyIdx::from_index(x.party)).collect(),
        national_seats: to_u64(rule.total_seats),
        total_votes: to_u64(votes.iter().flatten().sum()),
        placements,
        national_ties: leveled.national_ties,
        placement_ties: leveled
            .placement_ties
            .into_iter()
            .map(|t| PlacementTie {
                tied: t
                    .tied
                    .into_iter()
                    .map(|(d, p)| (ContestIdx::from_index(districts[d]), PartyIdx::from_index(p)))
                    .collect(),
                rule: t.rule,
                tickets: t.tickets,
            })
            .collect(),
    }
}

fn sntv(election: &Election, tabulation: &Tabulation, contest: ContestIdx) -> ContestResult {
    let tickets = sntv_tickets(election, contest);
    sntv_with(election, &tabulation.candidate_votes, contest, &tickets)
}

/// The lot's tickets of a contest's candidates, in `candidates_in` order.
pub(crate) fn sntv_tickets(election: &Election, contest: ContestIdx) -> Vec<[u8; 32]> {
    let seed = &election.system_of(contest).ties.seed;
    let contest_id = &election.contest(contest).id;
    election
        .candidates_in(contest)
        .iter()
        .map(|&c| lot_ticket(seed, contest_id, &election.candidate(c).id))
        .collect()
}

/// SNTV with the quota rules, from the candidates' votes (indexed by candidate) and the lot's
/// tickets of the contest's candidates (from [`sntv_tickets`]).
pub(crate) fn sntv_with(
    election: &Election,
    candidate_votes: &[u64],
    contest: ContestIdx,
    tickets: &[[u8; 32]],
) -> ContestResult {
    let system = election.system_of(contest);
    let seed = &system.ties.seed;
    let seats = election.contest(contest).seats as usize;

    // Final order: votes descending, then ticket ascending.
    let mut order: Vec<(CandidateIdx, u64, [u8; 32])> = election
        .candidates_in(contest)
        .iter()
        .zip(tickets)
        .map(|(&c, &ticket)| (c, candidate_votes[c.index()], ticket))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let ranking: Vec<(CandidateIdx, u64)> = order.iter().map(|&(c, v, _)| (c, v)).collect();
    let votes_of = |c: CandidateIdx| candidate_votes[c.index()];
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
    // Rules whose `unless_contest_has` was already met: they neither apply nor protect.
    let mut skipped = vec![false; system.quotas.len()];
    for (rule_index, rule) in system.quotas.iter().enumerate() {
        let minimum = minimum_of(rule);
        let matches = |c: CandidateIdx| rule.filter.matches(election.candidate(c));
        if let Some(u) = rule.unless_contest_has
            && winners.iter().filter(|&&c| matches(c)).count() as u32
                >= u.for_seats(seats as u32).min(filled as u32)
        {
            skipped[rule_index] = true;
            continue;
        }
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
                        && system.quotas[..rule_index].iter().zip(&skipped).all(
                            |(earlier, &skip)| {
                                skip || !earlier.filter.matches(election.candidate(c))
                                    || winners
                                        .iter()
                                        .filter(|&&w| earlier.filter.matches(election.candidate(w)))
                                        .count() as u32
                                        > minimum_of(earlier)
                            },
                        )
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
        agreements: Vec::new(),
    }
}

fn seats_len(election: &Election, contest: ContestIdx) -> usize {
    election.contest(contest).seats as usize
}
