//! Ranked contests of a package: instant-runoff and STV counted from cast-vote records.
//!
//! The counting itself is `psephos_rcv`'s: RCTab's rules (`rctab::tabulate`) for `irv` and
//! `stv`, the Scottish order (`stv::scottish`) for `scottish-stv`, Meek as stv-rs
//! (`stv::meek`) for `meek` and the Dáil rules (`stv::irish`) for `irish`. This module only
//! turns the package's rules into theirs, and their winners into the package's seats (reason
//! [`Reason::Rcv`]).

use psephos_model::{
    CandidateIdx, ContestIdx, Election, EqualPreferences, IrishPapers, OvervoteRule, Ranked,
    RankedKind, RankedQuota, RankedTiebreak,
};
use psephos_rcv::rctab;
use psephos_rcv::{BallotSet, BallotSetBuilder, Mark};

use crate::allocate::{ContestResult, Reason, Seat};

/// The ballots of one ranked contest, as read from its sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedBallots {
    pub contest: ContestIdx,
    /// Labels are as the records give them: a candidate's name, id or alias (see
    /// [`candidate_labels`]), RCTab's overvote marker, or undeclared write-ins.
    pub ballots: BallotSet,
    /// Whether a source counts undeclared write-ins (RCTab's pseudo-candidate).
    pub undeclared_write_ins: bool,
    /// Candidates a ballot file withdraws: they take no part in the count.
    pub withdrawn: Vec<CandidateIdx>,
    /// Whether reading the sources found errors (records with errors are left out).
    pub errors: bool,
}

impl RankedBallots {
    /// A contest without ballots.
    pub fn empty(contest: ContestIdx) -> RankedBallots {
        RankedBallots {
            contest,
            ballots: BallotSet::default(),
            undeclared_write_ins: false,
            withdrawn: Vec::new(),
            errors: false,
        }
    }
}

/// How a ranked contest was counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RankedOutcome {
    /// By RCTab's rules: the round-by-round tabulation and the rules it used.
    Rctab { tabulation: Box<rctab::Tabulation>, rules: Box<rctab::Rules> },
    /// By the Scottish order or the Irish rules: the stage-by-stage count.
    Stages(Box<psephos_rcv::stv::StvCount>),
    /// By Meek's method: every round and action.
    Meek(Box<psephos_rcv::stv::meek::MeekCount>),
}

/// The count of one ranked contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedCount {
    pub contest: ContestIdx,
    /// The contest's candidates, in the count's order (candidates.csv order).
    pub candidates: Vec<CandidateIdx>,
    /// The count, or why it could not be made (its seats are then left empty).
    pub outcome: Result<RankedOutcome, String>,
}

impl RankedCount {
    /// The round (rctab, meek) or stage (scottish-stv, irish) in which a candidate was elected.
    /// Meek's last hopefuls elected when the seats left equal them are in the last round (0 when
    /// no round was needed).
    pub fn elected_in(&self, c: CandidateIdx) -> Option<u32> {
        let k = self.candidates.iter().position(|&x| x == c)?;
        match self.outcome.as_ref().ok()? {
            RankedOutcome::Rctab { tabulation, .. } => {
                tabulation.winner_rounds.iter().find(|w| w.0 == k).map(|w| w.1)
            }
            RankedOutcome::Stages(count) => count
                .stages
                .iter()
                .position(|s| {
                    matches!(
                        s.action,
                        psephos_rcv::stv::Action::Elect(x)
                            | psephos_rcv::stv::Action::ElectRemaining(x)
                            | psephos_rcv::stv::Action::ElectLastVacancy(x) if x == k
                    )
                })
                .and_then(|i| u32::try_from(i + 1).ok()),
            RankedOutcome::Meek(count) => {
                use psephos_rcv::stv::meek::{MeekAction, MeekEvent};
                let mut round = 0;
                for e in &count.events {
                    match e {
                        MeekEvent::Round(r) => round = *r,
                        MeekEvent::Action(a)
                            if matches!(a.action, MeekAction::Elect(x)
                                | MeekAction::ElectRemaining(x) if x == k) =>
                        {
                            return Some(round);
                        }
                        _ => {}
                    }
                }
                None
            }
        }
    }
}

/// The texts that name a candidate in a cast-vote record: its name (when not empty), its id and
/// its aliases. The name comes first: it is the candidate's name in the count.
pub fn candidate_labels<'a>(
    election: &'a Election,
    c: CandidateIdx,
    aliases: &'a [String],
) -> Vec<&'a str> {
    let cand = election.candidate(c);
    let mut v: Vec<&str> = Vec::new();
    for l in std::iter::once(cand.name.as_str())
        .chain(std::iter::once(cand.id.as_str()))
        .chain(aliases.iter().map(String::as_str))
    {
        if !l.is_empty() && !v.contains(&l) {
            v.push(l);
        }
    }
    v
}

/// The name a candidate has in the count: its name when no other candidate of the contest has
/// the same, else its id.
fn count_name(election: &Election, contest: ContestIdx, c: CandidateIdx) -> String {
    let cand = election.candidate(c);
    let shared =
        election.candidates_in(contest).iter().filter(|&&o| o != c).any(|&o| {
            election.candidate(o).name == cand.name || election.candidate(o).id == cand.name
        });
    if cand.name.is_empty() || shared { cand.id.clone() } else { cand.name.clone() }
}

/// RCTab's contest for a package contest: each candidate named as in [`count_name`], with its
/// other labels as aliases.
pub fn rctab_contest(
    election: &Election,
    contest: ContestIdx,
    aliases: &dyn Fn(CandidateIdx) -> Vec<String>,
    input: &RankedBallots,
) -> rctab::Contest {
    let candidates = election
        .candidates_in(contest)
        .iter()
        .map(|&c| {
            let name = count_name(election, contest, c);
            let own = aliases(c);
            let labels = candidate_labels(election, c, &own);
            rctab::Candidate {
                aliases: labels.iter().filter(|l| **l != name).map(|l| (*l).to_owned()).collect(),
                name,
                excluded: input.withdrawn.contains(&c),
            }
        })
        .collect();
    rctab::Contest { candidates, undeclared_write_ins: input.undeclared_write_ins }
}

/// RCTab's rules for a ranked system and a contest of `seats` seats; the seed is the system's
/// tie seed, a whole number for a lot.
pub fn rctab_rules(r: &Ranked, seats: u32, seed: &str) -> Result<rctab::Rules, String> {
    let random_seed = match r.tiebreak {
        RankedTiebreak::Order => None,
        RankedTiebreak::Lot | RankedTiebreak::PreviousRoundThenLot => {
            match seed.trim().parse::<i64>() {
                Ok(n) if n.unsigned_abs() <= 1 << 47 => Some(n),
                _ => {
                    return Err(format!(
                        "tiebreak {:?} needs a tie seed that is a whole number within ±2^47, not {seed:?}",
                        r.tiebreak.as_str()
                    ));
                }
            }
        }
    };
    Ok(rctab::Rules {
        mode: match r.kind {
            RankedKind::Irv => rctab::WinnerMode::SingleWinnerMajority,
            _ => rctab::WinnerMode::MultiWinnerAllowMultipleWinnersPerRound,
        },
        seats,
        overvote: match r.overvote {
            OvervoteRule::ExhaustImmediately => rctab::OvervoteRule::ExhaustImmediately,
            OvervoteRule::AlwaysSkipToNextRank => rctab::OvervoteRule::AlwaysSkipToNextRank,
            OvervoteRule::ExhaustIfMultipleContinuing => {
                rctab::OvervoteRule::ExhaustIfMultipleContinuing
            }
        },
        max_skipped_ranks: r.max_skipped_ranks,
        exhaust_on_duplicate: r.exhaust_on_duplicate,
        decimal_places: r.decimal_places,
        hare_quota: r.quota == RankedQuota::Hare,
        batch_elimination: r.batch_elimination,
        continue_until_two: r.continue_until_two,
        tiebreak: match r.tiebreak {
            RankedTiebreak::Order => rctab::TieBreakMode::UseCandidateOrder,
            RankedTiebreak::Lot => rctab::TieBreakMode::Random,
            RankedTiebreak::PreviousRoundThenLot => {
                rctab::TieBreakMode::PreviousRoundCountsThenRandom
            }
        },
        random_seed,
        ..rctab::Rules::default()
    })
}

/// Counts one ranked contest. `aliases` gives a candidate's aliases from candidates.csv.
pub fn count_ranked(
    election: &Election,
    rules: &Ranked,
    input: &RankedBallots,
    aliases: &dyn Fn(CandidateIdx) -> Vec<String>,
) -> (ContestResult, RankedCount) {
    let contest = input.contest;
    let candidates: Vec<CandidateIdx> = election.candidates_in(contest).to_vec();
    let seats = election.contest(contest).seats;
    let system = election.system_of(contest);
    let outcome = match rules.kind {
        RankedKind::Irv | RankedKind::Stv => {
            rctab_rules(rules, seats, &system.ties.seed).and_then(|r| {
                let c = rctab_contest(election, contest, aliases, input);
                rctab::tabulate(&c, &r, &input.ballots, rctab::SliceRequest::default())
                    .map(|t| RankedOutcome::Rctab { tabulation: Box::new(t), rules: Box::new(r) })
                    .map_err(|e| e.to_string())
            })
        }
        RankedKind::ScottishStv | RankedKind::Meek | RankedKind::Irish => {
            stv(election, rules, input, aliases, &candidates, seats)
        }
    };
    // First preferences, and the winners in the order elected.
    let (first, winners): (Vec<u64>, Vec<usize>) = match &outcome {
        Ok(RankedOutcome::Rctab { tabulation: t, .. }) => {
            let unit = psephos_rcv::decimal::unit(t.arith.internal);
            let first = (0..candidates.len())
                .map(|k| {
                    t.rounds
                        .first()
                        .and_then(|r| r.contest.tally_of(k))
                        .map_or(0, |v| u64::try_from(v.units / unit).unwrap_or(u64::MAX))
                })
                .collect();
            (first, t.winners.iter().copied().filter(|&w| w < candidates.len()).collect())
        }
        Ok(RankedOutcome::Stages(c)) => {
            let first = (0..candidates.len())
                .map(|k| {
                    c.stages.first().and_then(|s| s.votes.get(k)).map_or(0, |v| v / c.unit.max(1))
                })
                .collect();
            (first, c.elected.clone())
        }
        Ok(RankedOutcome::Meek(c)) => {
            use psephos_rcv::stv::meek::{MeekEvent, ONE};
            // The first count: every ballot at full value to its first preference.
            let begin = c.events.iter().find_map(|e| match e {
                MeekEvent::Action(a) => a.candidates.as_ref(),
                _ => None,
            });
            let first = (0..candidates.len())
                .map(|k| {
                    begin
                        .and_then(|cs| cs.get(k))
                        .map_or(0, |&(_, v)| u64::try_from(v / ONE).unwrap_or(0))
                })
                .collect();
            (first, c.elected.clone())
        }
        Err(_) => (vec![0; candidates.len()], Vec::new()),
    };
    let mut ranking: Vec<(CandidateIdx, u64)> =
        candidates.iter().zip(&first).map(|(&c, &v)| (c, v)).collect();
    ranking.sort_by_key(|r| std::cmp::Reverse(r.1));
    let seats_won: Vec<Seat> = winners
        .iter()
        .map(|&k| Seat {
            contest,
            candidate: candidates[k],
            votes: first[k],
            reason: Reason::Rcv,
            replaced: None,
        })
        .collect();
    let empty_seats = seats.saturating_sub(u32::try_from(seats_won.len()).unwrap_or(u32::MAX));
    let result = ContestResult {
        contest,
        ranking,
        seats: seats_won,
        quotas: Vec::new(),
        ties: Vec::new(),
        empty_seats,
        lists: Vec::new(),
        list_ties: Vec::new(),
        agreements: Vec::new(),
    };
    (result, RankedCount { contest, candidates, outcome })
}

/// The counts of `psephos_rcv::stv` (Scottish, Meek, Irish): labels become candidate numbers;
/// a rank holding an overvote or an undeclared write-in ends the ballot there. Several
/// candidates at one rank stay together: equal preferences, which Meek counts and the Scottish
/// and Irish counts treat as the end of the ballot.
fn stv(
    election: &Election,
    rules: &Ranked,
    input: &RankedBallots,
    aliases: &dyn Fn(CandidateIdx) -> Vec<String>,
    candidates: &[CandidateIdx],
    seats: u32,
) -> Result<RankedOutcome, String> {
    use psephos_rcv::stv::{CandidateOrder, Lot, Tiebreak, irish, meek, scottish};
    let mut by_label: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let own: Vec<Vec<String>> = candidates.iter().map(|&c| aliases(c)).collect();
    for (k, &c) in candidates.iter().enumerate() {
        for l in candidate_labels(election, c, &own[k]) {
            by_label.entry(l).or_insert(k);
        }
    }
    let set = &input.ballots;
    let index: Vec<Option<usize>> =
        set.labels.iter().map(|l| by_label.get(l.as_str()).copied()).collect();
    let mut b = BallotSetBuilder::new();
    let numbers: Vec<psephos_rcv::Label> =
        (1..=candidates.len()).map(|k| b.label(&k.to_string())).collect();
    let mut marks: Vec<Mark> = Vec::new();
    for d in set.distinct() {
        marks.clear();
        let all = set.marks(d);
        // The first rank with a mark that is no candidate ends the ballot.
        let end = all
            .iter()
            .filter(|m| index[m.label.0 as usize].is_none())
            .map(|m| m.rank)
            .min()
            .unwrap_or(u32::MAX);
        for m in all.iter().filter(|m| m.rank < end) {
            if let Some(k) = index[m.label.0 as usize] {
                marks.push(Mark { rank: m.rank, label: numbers[k] });
            }
        }
        b.add(&marks, d.count, 0, 0);
    }
    let ballots = b.build();
    let names: Vec<String> =
        candidates.iter().map(|&c| count_name(election, input.contest, c)).collect();
    let withdrawn: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| input.withdrawn.contains(c))
        .map(|(k, _)| k)
        .collect();
    let seed = &election.system_of(input.contest).ties.seed;
    let seats = seats as usize;
    let mut order = CandidateOrder::default();
    let mut lot = Lot::new(seed);
    let tiebreak: &mut dyn Tiebreak = match rules.tiebreak {
        RankedTiebreak::Order => &mut order,
        RankedTiebreak::Lot | RankedTiebreak::PreviousRoundThenLot => &mut lot,
    };
    let result = match rules.kind {
        RankedKind::Meek => {
            let options = meek::MeekOptions {
                equal_ranks: match rules.equal_preferences {
                    EqualPreferences::Droop => meek::EqualRanks::Droop,
                    EqualPreferences::Equalize => meek::EqualRanks::Equalize,
                },
                force_positive_surplus: rules.force_positive_surplus,
                omega_exponent: rules.omega_exponent,
            };
            // Meek takes one order of all candidates, first = defeated first: under a lot, the
            // candidates in the order of their tickets (as `psephos rcv --method meek`).
            let tie_order: Option<Vec<usize>> = match rules.tiebreak {
                RankedTiebreak::Order => None,
                _ => {
                    let mut all: Vec<usize> = (0..names.len()).collect();
                    tiebreak.order(&mut all, &names);
                    Some(all)
                }
            };
            meek::count(&ballots, &names, &withdrawn, seats, tie_order.as_deref(), options)
                .map(|c| RankedOutcome::Meek(Box::new(c)))
        }
        RankedKind::Irish => {
            let options = irish::IrishOptions {
                papers: match rules.irish_papers {
                    IrishPapers::Last => irish::Papers::Last,
                    IrishPapers::First => irish::Papers::First,
                    IrishPapers::Fraction => irish::Papers::Fraction,
                },
                multiple_exclusion: rules.multiple_exclusion,
                defer_surpluses: rules.defer_surpluses,
            };
            irish::count(&ballots, &names, &withdrawn, seats, &options, tiebreak)
                .map(|c| RankedOutcome::Stages(Box::new(c)))
        }
        _ => scottish::count(&ballots, &names, &withdrawn, seats, tiebreak)
            .map(|c| RankedOutcome::Stages(Box::new(c))),
    };
    result.map_err(|e| e.to_string())
}
