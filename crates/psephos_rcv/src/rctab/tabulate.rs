//! The round-by-round count, as RCTab v2.0.1's `Tabulator` performs it
//! (docs/internals/rctab-semantics.md §2–§10). Ballots are interned: each distinct ballot is
//! followed once and weighted by its count, which is exact because identical ballots always
//! take identical paths and RCTab rounds each ballot's value separately.

use hashbrown::HashMap;

use super::num::{Arith, JNum};
use super::rules::{
    Contest, OVERVOTE_LABEL, OvervoteRule, Rules, TieBreakMode, UNDECLARED_WRITE_INS, WinnerMode,
};
use crate::ballots::BallotSet;
use crate::decimal::Rounding;
use crate::java_hash::{capacity_after_inserts, capacity_of_copy, iteration_order};
use crate::java_random::JavaRandom;

/// Why a ballot stopped counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    /// Ranked nobody (an undervote).
    DidNotRank,
    ExhaustedChoices,
    Overvote,
    SkippedRankings,
    RepeatedRankings,
    /// Held by a winner elected in the last round (never transferred).
    FinalRoundSurplus,
}

const STATUSES: usize = 7;

impl Status {
    fn index(self) -> usize {
        self as usize
    }
}

/// Where a transfer went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Candidate(usize),
    Exhausted,
    ResidualSurplus,
}

/// Where a transfer came from: a candidate, or `None` for ballots not yet counted.
pub type Source = Option<usize>;

/// One round's figures for the contest or one slice of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundFigures {
    /// Candidates in the round's tally (continuing, and earlier winners in multi-seat counts),
    /// with their votes.
    pub tally: Vec<(usize, JNum)>,
    /// Ballots by status (cumulative levels), indexed by [`Status`].
    pub by_status: [JNum; STATUSES],
    /// Transfers recorded while this round was counted: (from, to) → value.
    pub transfers: Vec<((Source, Target), JNum)>,
}

impl RoundFigures {
    pub fn status(&self, s: Status) -> JNum {
        self.by_status[s.index()]
    }

    pub fn tally_of(&self, c: usize) -> Option<JNum> {
        self.tally.iter().find(|t| t.0 == c).map(|t| t.1)
    }

    /// What the transfer log of this round holds from `from`, by target.
    pub fn transfers_from(&self, from: usize) -> Vec<(Target, JNum)> {
        let mut v: Vec<(Target, JNum)> = self
            .transfers
            .iter()
            .filter(|((s, _), _)| *s == Some(from))
            .map(|((_, t), v)| (*t, *v))
            .collect();
        v.sort_by_key(|t| t.0);
        v
    }
}

/// One round of the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    pub number: u32,
    pub threshold: JNum,
    pub elected: Vec<usize>,
    pub eliminated: Vec<usize>,
    /// Candidates elected or eliminated this round by a tie-break.
    pub by_tiebreak: Vec<usize>,
    /// Residual surplus so far (cumulative).
    pub residual: JNum,
    pub contest: RoundFigures,
    /// The same figures per slice (precinct or batch), when asked for.
    pub slices: Vec<RoundFigures>,
}

/// The outcome of a count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tabulation {
    /// Candidate names: the declared ones in configuration order, then undeclared write-ins if
    /// counted.
    pub names: Vec<String>,
    pub excluded: Vec<bool>,
    pub rounds: Vec<Round>,
    /// Winners, in the order elected.
    pub winners: Vec<usize>,
    /// The round each winner was elected in.
    pub winner_rounds: Vec<(usize, u32)>,
    pub arith: Arith,
    /// Ballots that ranked nobody.
    pub undervotes: u64,
    pub total_ballots: u64,
    /// `usesSurpluses()`: multi-seat with fractional transfer.
    pub uses_surpluses: bool,
    /// Index of the undeclared write-ins pseudo-candidate, if counted.
    pub uwi: Option<usize>,
    /// Precinct ids when counted by precinct (`Round::slices[i]` is precinct `i`; 0 = none).
    pub precinct_ids: Vec<String>,
    /// Batch ids when counted by batch (`Round::slices[precincts + i]` is batch `i`).
    pub batch_ids: Vec<String>,
}

impl Tabulation {
    /// `getNumCandidates()`: names less excluded ones (undeclared write-ins counted).
    pub fn num_candidates(&self) -> usize {
        self.names.len() - self.excluded.iter().filter(|&&e| e).count()
    }
}

/// A count that could not be completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabulateError {
    /// A ballot label that is no candidate's name or alias.
    UnknownLabels(Vec<String>),
    /// The rules need `randomSeed`.
    MissingSeed,
    /// A tie that the rules leave to an operator (`stopCountingAndAsk`,
    /// `previousRoundCountsThenAsk`).
    NeedsOperator { round: u32, tied: Vec<String> },
    /// RCTab aborts the tabulation.
    Aborted(String),
}

impl std::fmt::Display for TabulateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TabulateError::UnknownLabels(l) => {
                write!(f, "cast vote records name unknown candidates: {}", l.join(", "))
            }
            TabulateError::MissingSeed => {
                f.write_str("this tie-break mode needs a random seed (randomSeed)")
            }
            TabulateError::NeedsOperator { round, tied } => write!(
                f,
                "round {round}: {} are tied and the tie-break mode asks an operator to choose",
                tied.join(", ")
            ),
            TabulateError::Aborted(why) => f.write_str(why),
        }
    }
}

/// Which slices to count separately.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceRequest {
    pub by_precinct: bool,
    pub by_batch: bool,
}

/// What a label stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabelKind {
    Candidate { candidate: usize, is_name: bool },
    Overvote,
}

/// One distinct ballot's state; `count` ballots share it.
#[derive(Clone, Debug)]
struct Group {
    recipient: Option<usize>,
    status: Status,
    /// Value kept by each winner, per ballot.
    kept: Vec<(usize, JNum)>,
    /// Accumulators this group adds to: the contest (0) and its slices.
    accs: [u32; 3],
    n_accs: u8,
}

/// Per-round accumulation for the contest or a slice.
#[derive(Clone, Debug)]
struct Acc {
    tally: Vec<Option<JNum>>,
    by_status: [JNum; STATUSES],
    transfers: HashMap<(Source, Target), JNum>,
}

impl Acc {
    fn new(n: usize) -> Acc {
        Acc { tally: vec![None; n], by_status: [JNum::ZERO; STATUSES], transfers: HashMap::new() }
    }
}

struct Counter<'a> {
    rules: &'a Rules,
    ballots: &'a BallotSet,
    arith: Arith,
    names: Vec<String>,
    excluded: Vec<bool>,
    uwi: Option<usize>,
    labels: Vec<LabelKind>,
    groups: Vec<Group>,
    accs: Vec<Acc>,
    winner_round: Vec<Option<u32>>,
    eliminated_round: Vec<Option<u32>>,
    winners: Vec<usize>,
    rounds: Vec<Round>,
    random: Option<JavaRandom>,
    permutation: Vec<usize>,
    round: u32,
}

/// Counts the ballots of a contest under RCTab's rules.
pub fn tabulate(
    contest: &Contest,
    rules: &Rules,
    ballots: &BallotSet,
    slices: SliceRequest,
) -> Result<Tabulation, TabulateError> {
    let mut names: Vec<String> = contest.candidates.iter().map(|c| c.name.clone()).collect();
    let mut excluded: Vec<bool> = contest.candidates.iter().map(|c| c.excluded).collect();
    let uwi = contest.undeclared_write_ins.then(|| {
        names.push(UNDECLARED_WRITE_INS.to_owned());
        excluded.push(false);
        names.len() - 1
    });
    // Labels: names, aliases (and the write-in and overvote tokens).
    let mut by_text: HashMap<&str, LabelKind> = HashMap::new();
    for (i, c) in contest.candidates.iter().enumerate() {
        for a in &c.aliases {
            by_text
                .entry(a.as_str())
                .or_insert(LabelKind::Candidate { candidate: i, is_name: false });
        }
    }
    for (i, c) in contest.candidates.iter().enumerate() {
        by_text.insert(c.name.as_str(), LabelKind::Candidate { candidate: i, is_name: true });
    }
    if let Some(u) = uwi {
        by_text.insert(UNDECLARED_WRITE_INS, LabelKind::Candidate { candidate: u, is_name: true });
    }
    by_text.insert(OVERVOTE_LABEL, LabelKind::Overvote);
    // Labels of records a reader left out may be interned without being used: only labels on
    // counted ballots must be known.
    let mut used = vec![false; ballots.labels.len()];
    for d in ballots.distinct() {
        for m in ballots.marks(d) {
            used[m.label.0 as usize] = true;
        }
    }
    let mut unknown = Vec::new();
    let labels: Vec<LabelKind> = ballots
        .labels
        .iter()
        .zip(&used)
        .map(|(l, &u)| {
            by_text.get(l.as_str()).copied().unwrap_or_else(|| {
                if u {
                    unknown.push(l.clone());
                }
                LabelKind::Overvote
            })
        })
        .collect();
    if !unknown.is_empty() {
        return Err(TabulateError::UnknownLabels(unknown));
    }
    // The internal scale holds d decimals and the percentage's and minimum threshold's digits.
    let extra = [rules.bottoms_up_percentage.as_deref(), rules.minimum_vote_threshold.as_deref()]
        .iter()
        .flatten()
        .map(|t| t.split_once('.').map_or(0, |(_, f)| f.len() as u32))
        .sum::<u32>()
        + 2;
    let arith = Arith::new(rules.decimal_places.clamp(1, 20), extra);

    // Slices: accumulator 0 is the contest; then precincts, then batches.
    let np = if slices.by_precinct { ballots.precincts.len() } else { 0 };
    let nb = if slices.by_batch { ballots.batches.len() } else { 0 };
    let n = names.len();
    let groups = ballots
        .distinct()
        .iter()
        .map(|d| {
            let mut accs = [0u32; 3];
            let mut k = 1;
            if slices.by_precinct {
                accs[k] = 1 + d.precinct;
                k += 1;
            }
            if slices.by_batch {
                accs[k] = 1 + np as u32 + d.batch;
                k += 1;
            }
            Group {
                recipient: None,
                status: Status::Active,
                kept: Vec::new(),
                accs,
                n_accs: k as u8,
            }
        })
        .collect();
    let random = if rules.tiebreak.needs_seed() {
        Some(JavaRandom::new(rules.random_seed.ok_or(TabulateError::MissingSeed)?))
    } else {
        None
    };
    let mut counter = Counter {
        rules,
        ballots,
        arith,
        names,
        excluded,
        uwi,
        labels,
        groups,
        accs: vec![Acc::new(n); 1 + np + nb],
        winner_round: vec![None; n],
        eliminated_round: vec![None; n],
        winners: Vec::new(),
        rounds: Vec::new(),
        random,
        permutation: (0..contest.candidates.len()).collect(),
        round: 0,
    };
    if rules.tiebreak == TieBreakMode::GeneratePermutation {
        let mut sorted: Vec<usize> = counter.permutation.clone();
        sorted.sort_by(|&a, &b| java_cmp(&counter.names[a], &counter.names[b]));
        if let Some(r) = counter.random.as_mut() {
            r.shuffle(&mut sorted);
        }
        counter.permutation = sorted;
    }
    counter.run()?;
    let undervotes = counter
        .rounds
        .first()
        .map_or(0, |r| (r.contest.status(Status::DidNotRank).units / arith_unit(&arith)) as u64);
    let winner_rounds =
        counter.winners.iter().map(|&w| (w, counter.winner_round[w].unwrap_or(0))).collect();
    Ok(Tabulation {
        names: counter.names,
        excluded: counter.excluded,
        rounds: counter.rounds,
        winners: counter.winners,
        winner_rounds,
        arith,
        undervotes,
        total_ballots: ballots.total(),
        uses_surpluses: uses_surpluses(rules),
        uwi,
        precinct_ids: if slices.by_precinct { ballots.precincts.clone() } else { Vec::new() },
        batch_ids: if slices.by_batch { ballots.batches.clone() } else { Vec::new() },
    })
}

fn arith_unit(a: &Arith) -> u128 {
    crate::decimal::unit(a.internal)
}

/// `usesSurpluses()`: several seats, and not bottoms-up.
fn uses_surpluses(rules: &Rules) -> bool {
    rules.seats > 1 && rules.mode != WinnerMode::BottomsUp
}

/// Java's `String.compareTo`: by UTF-16 code units.
pub fn java_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

impl Counter<'_> {
    fn continuing(&self, c: usize) -> bool {
        if self.excluded[c] || self.eliminated_round[c].is_some() {
            return false;
        }
        if self.winner_round[c].is_some() {
            return self.rules.continue_until_two;
        }
        true
    }

    fn num_candidates(&self) -> usize {
        self.names.len() - self.excluded.iter().filter(|&&e| e).count()
    }

    fn num_declared(&self) -> usize {
        self.names.len() - usize::from(self.uwi.is_some())
    }

    fn eliminated_count(&self) -> usize {
        self.eliminated_round.iter().filter(|e| e.is_some()).count()
    }

    fn value(&self, g: &Group) -> JNum {
        let mut v = self.arith.one();
        for &(_, k) in &g.kept {
            v = v.minus(k);
        }
        v
    }

    fn run(&mut self) -> Result<(), TabulateError> {
        let mut last_elected = false;
        let mut last_eliminated = false;
        loop {
            if !self.should_continue(last_elected, last_eliminated) {
                return Ok(());
            }
            self.round += 1;
            let round = self.round;
            self.count_round();
            let residual = self.rounds.last().map_or(JNum::ZERO, |r| r.residual);
            let tally: Vec<(usize, JNum)> = (0..self.names.len())
                .filter_map(|c| self.accs[0].tally[c].map(|v| (c, v)))
                .collect();
            let threshold = self.threshold(&tally);
            let mut by_tiebreak = Vec::new();
            let winners = self.identify_winners(&tally, threshold, &mut by_tiebreak)?;
            let mut eliminated = Vec::new();
            if !winners.is_empty() {
                for &w in &winners {
                    self.winner_round[w] = Some(round);
                    self.winners.push(w);
                }
                if uses_surpluses(self.rules) {
                    for &w in &winners {
                        let t = tally.iter().find(|x| x.0 == w).map_or(JNum::ZERO, |x| x.1);
                        let f = if t > threshold {
                            self.arith.divide(t.minus(threshold), t)
                        } else {
                            JNum::ZERO
                        };
                        for gi in 0..self.groups.len() {
                            if self.groups[gi].recipient == Some(w) {
                                let v = self.value(&self.groups[gi]);
                                let transfer = self.arith.multiply(v, f);
                                self.groups[gi].kept.push((w, v.minus(transfer)));
                            }
                        }
                    }
                }
            } else if self.winners.len() < self.rules.seats as usize
                || (self.rules.continue_until_two
                    && self.eliminated_count() < self.num_candidates().saturating_sub(2))
                || self.rules.mode == WinnerMode::BottomsUpUsingPercentageThreshold
            {
                eliminated = self.eliminate(&tally, threshold, &mut by_tiebreak)?;
                for &c in &eliminated {
                    self.eliminated_round[c] = Some(round);
                }
            }
            last_elected = !winners.is_empty();
            last_eliminated = !eliminated.is_empty();
            // Earlier winners' tallies (multi-seat) and the residual surplus.
            let residual = if self.rules.seats > 1 {
                self.update_winner_tallies(threshold, residual)
            } else {
                residual
            };
            let mut elected = winners;
            elected.sort_by(|&a, &b| java_cmp(&self.names[a], &self.names[b]));
            eliminated.sort_by(|&a, &b| java_cmp(&self.names[a], &self.names[b]));
            let figures: Vec<RoundFigures> = self
                .accs
                .iter()
                .map(|acc| RoundFigures {
                    tally: (0..self.names.len())
                        .filter_map(|c| acc.tally[c].map(|v| (c, v)))
                        .collect(),
                    by_status: acc.by_status,
                    transfers: acc.transfers.iter().map(|(k, v)| (*k, *v)).collect(),
                })
                .collect();
            let mut figures = figures.into_iter();
            let contest = figures.next().unwrap_or_default();
            self.rounds.push(Round {
                number: round,
                threshold,
                elected,
                eliminated,
                by_tiebreak,
                residual,
                contest,
                slices: figures.collect(),
            });
        }
    }

    /// §8: whether to count another round.
    fn should_continue(&self, last_elected: bool, last_eliminated: bool) -> bool {
        let rules = self.rules;
        if rules.stop_after_round.is_some_and(|r| self.round >= r) {
            return false;
        }
        if self.winners.len() == self.num_declared() && rules.seats as usize > self.num_candidates()
        {
            return false;
        }
        if rules.continue_until_two {
            return self.eliminated_count() + self.winners.len() + 1 < self.num_candidates()
                || last_eliminated;
        }
        if rules.mode == WinnerMode::BottomsUpUsingPercentageThreshold {
            return self.winners.is_empty();
        }
        self.winners.len() < rules.seats as usize || (uses_surpluses(rules) && last_elected)
    }

    /// §3: every ballot's choice this round, into fresh tallies.
    fn count_round(&mut self) {
        let n = self.names.len();
        let continuing: Vec<bool> = (0..n).map(|c| self.continuing(c)).collect();
        for acc in &mut self.accs {
            for (c, t) in acc.tally.iter_mut().enumerate() {
                *t = continuing[c].then_some(JNum::ZERO);
            }
            acc.by_status = [JNum::ZERO; STATUSES];
            acc.transfers.clear();
        }
        let all_seats_filled =
            uses_surpluses(self.rules) && self.winners.len() == self.rules.seats as usize;
        for gi in 0..self.groups.len() {
            let value = self.value(&self.groups[gi]);
            let count = self.ballots.distinct()[gi].count;
            let g = &self.groups[gi];
            if g.status != Status::Active {
                let status = g.status;
                self.add_status(gi, status, value.times(count));
                continue;
            }
            if let Some(r) = g.recipient
                && continuing[r]
            {
                self.add_tally(gi, r, value.times(count));
                continue;
            }
            let marks = self.ballots.marks(&self.ballots.distinct()[gi]);
            if marks.is_empty() {
                self.record(gi, None, Status::DidNotRank, value, count);
                continue;
            }
            let max_rank = marks.last().map_or(0, |m| m.rank);
            let mut last_rank_seen = 0u32;
            let mut seen: Vec<u32> = Vec::new();
            let mut i = 0;
            'ranks: while i < marks.len() {
                let rank = marks[i].rank;
                let mut j = i;
                while j < marks.len() && marks[j].rank == rank {
                    j += 1;
                }
                let at_rank = &marks[i..j];
                i = j;
                if all_seats_filled {
                    self.record(gi, None, Status::FinalRoundSurplus, value, count);
                    break;
                }
                if let Some(max) = self.rules.max_skipped_ranks
                    && u64::from(rank) - u64::from(last_rank_seen) > u64::from(max) + 1
                {
                    self.record(gi, None, Status::SkippedRankings, value, count);
                    break;
                }
                last_rank_seen = rank;
                if self.rules.exhaust_on_duplicate {
                    for m in at_rank {
                        if seen.contains(&m.label.0) {
                            self.record(gi, None, Status::RepeatedRankings, value, count);
                            break 'ranks;
                        }
                        seen.push(m.label.0);
                    }
                }
                match self.overvote_decision(at_rank, &continuing) {
                    Decision::Exhaust => {
                        self.record(gi, None, Status::Overvote, value, count);
                        break;
                    }
                    Decision::Skip => {
                        if rank == max_rank {
                            self.record(gi, None, Status::ExhaustedChoices, value, count);
                        }
                        continue;
                    }
                    Decision::None => {}
                }
                for m in at_rank {
                    if let LabelKind::Candidate { candidate, .. } = self.labels[m.label.0 as usize]
                        && continuing[candidate]
                    {
                        self.record(gi, Some(candidate), Status::Active, value, count);
                        self.add_tally(gi, candidate, value.times(count));
                        break 'ranks;
                    }
                }
                if rank == max_rank {
                    self.record(gi, None, Status::ExhaustedChoices, value, count);
                }
            }
        }
    }

    fn overvote_decision(&self, marks: &[crate::ballots::Mark], continuing: &[bool]) -> Decision {
        let kinds: Vec<LabelKind> = marks.iter().map(|m| self.labels[m.label.0 as usize]).collect();
        if kinds.contains(&LabelKind::Overvote) {
            return match self.rules.overvote {
                OvervoteRule::ExhaustImmediately => Decision::Exhaust,
                _ => Decision::Skip,
            };
        }
        if marks.len() <= 1 {
            return Decision::None;
        }
        match self.rules.overvote {
            OvervoteRule::ExhaustImmediately => Decision::Exhaust,
            OvervoteRule::AlwaysSkipToNextRank => Decision::Skip,
            OvervoteRule::ExhaustIfMultipleContinuing => {
                // RCTab asks about the raw label: an alias or code is taken as continuing.
                let k = kinds
                    .iter()
                    .filter(|k| match k {
                        LabelKind::Candidate { candidate, is_name: true } => continuing[*candidate],
                        LabelKind::Candidate { is_name: false, .. } => true,
                        LabelKind::Overvote => false,
                    })
                    .count();
                if k >= 2 { Decision::Exhaust } else { Decision::None }
            }
        }
    }

    /// `recordSelectionForCastVoteRecord`.
    fn record(
        &mut self,
        gi: usize,
        target: Option<usize>,
        status: Status,
        value: JNum,
        count: u64,
    ) {
        let total = value.times(count);
        let from = self.groups[gi].recipient;
        if value.units > 0 {
            let to = target.map_or(Target::Exhausted, Target::Candidate);
            self.add_transfer(gi, (from, to), total);
        }
        let g = &mut self.groups[gi];
        g.recipient = target;
        if target.is_none() {
            g.status = status;
        }
        if status != Status::Active {
            self.add_status(gi, status, total);
        }
    }

    fn accs_of(&self, gi: usize) -> impl Iterator<Item = usize> + use<> {
        let g = &self.groups[gi];
        let (accs, n) = (g.accs, g.n_accs as usize);
        (0..n).map(move |k| accs[k] as usize)
    }

    fn add_tally(&mut self, gi: usize, c: usize, v: JNum) {
        for a in self.accs_of(gi) {
            let acc = &mut self.accs[a];
            if let Some(t) = acc.tally[c].as_mut() {
                *t = t.plus(v);
            }
            acc.by_status[Status::Active.index()] = acc.by_status[Status::Active.index()].plus(v);
        }
    }

    fn add_status(&mut self, gi: usize, s: Status, v: JNum) {
        for a in self.accs_of(gi) {
            let slot = &mut self.accs[a].by_status[s.index()];
            *slot = slot.plus(v);
        }
    }

    fn add_transfer(&mut self, gi: usize, key: (Source, Target), v: JNum) {
        for a in self.accs_of(gi) {
            let slot = self.accs[a].transfers.entry(key).or_insert(JNum::ZERO);
            *slot = slot.plus(v);
        }
    }

    /// §4: the round's threshold.
    fn threshold(&self, tally: &[(usize, JNum)]) -> JNum {
        let rules = self.rules;
        let a = &self.arith;
        let multi_seat = rules.seats > 1;
        let previous = self.rounds.last().map(|r| r.threshold);
        // Copied from round 1 (multi-seat, first round determines), or frozen after the winner
        // under continue-until-two.
        if let Some(p) = previous {
            if multi_seat || rules.first_round_determines_threshold {
                return p;
            }
            let elected_before = self.winner_round.iter().flatten().any(|&r| r < self.round);
            if rules.continue_until_two && elected_before {
                return p;
            }
        }
        let active: JNum = tally.iter().fold(JNum::ZERO, |s, t| s.plus(t.1));
        let mut thr = if rules.mode == WinnerMode::BottomsUpUsingPercentageThreshold {
            let pct = rules.bottoms_up_percentage.as_deref().unwrap_or("0");
            // The percentage over 100, with two more decimals than written (15 → 0.15).
            let p = a.parse(pct).map(|p| JNum { units: p.units / 100, scale: p.scale + 2 });
            a.multiply_exact(active, p.unwrap_or(JNum::ZERO))
        } else {
            let div = if rules.hare_quota { rules.seats } else { rules.seats + 1 };
            let k = if rules.non_integer_threshold { a.d } else { 0 };
            if rules.hare_quota {
                a.divide_int(active, u64::from(div), k, Rounding::Up)
            } else {
                a.divide_int(active, u64::from(div), k, Rounding::Down).plus(a.ulp(k))
            }
        };
        if let Some(m) = rules.minimum_vote_threshold.as_deref().and_then(|m| a.parse(m))
            && m.units > 0
            && m > thr
        {
            thr = m;
        }
        thr
    }

    /// §5: who wins this round.
    fn identify_winners(
        &mut self,
        tally: &[(usize, JNum)],
        thr: JNum,
        by_tiebreak: &mut Vec<usize>,
    ) -> Result<Vec<usize>, TabulateError> {
        let rules = self.rules;
        if let Some(u) = self.uwi
            && tally.iter().any(|t| t.0 == u && t.1.units > 0)
        {
            return Ok(Vec::new());
        }
        if rules.mode == WinnerMode::BottomsUpUsingPercentageThreshold {
            if !tally.is_empty() && tally.iter().all(|t| t.1 > thr) {
                return Ok(tally.iter().map(|t| t.0).collect());
            }
            return Ok(Vec::new());
        }
        let unfilled = (rules.seats as usize).saturating_sub(self.winners.len());
        let mut w: Vec<usize> = Vec::new();
        if unfilled > 0 {
            if tally.len() <= unfilled {
                w = tally.iter().map(|t| t.0).collect();
            } else if rules.first_round_determines_threshold
                && tally.len() - 1 == rules.seats as usize
            {
                w = top(tally);
            } else if rules.mode != WinnerMode::BottomsUp {
                let mut over: Vec<(JNum, usize)> = tally
                    .iter()
                    .filter(|t| t.1 >= thr && Some(t.0) != self.uwi)
                    .map(|t| (t.1, t.0))
                    .collect();
                over.sort_by_key(|x| x.0);
                w = over.into_iter().map(|x| x.1).collect();
            }
        }
        let multi = w.len() > 1
            && (rules.mode == WinnerMode::MultiWinnerAllowOnlyOneWinnerPerRound
                || rules.first_round_determines_threshold);
        let minimum = rules.minimum_vote_threshold.as_deref().and_then(|m| self.arith.parse(m));
        let none = rules.seats == 1
            && w.is_empty()
            && tally.len() == 2
            && unfilled == 1
            && tally.iter().all(|t| minimum.is_none_or(|m| t.1 >= m));
        if multi || none {
            w = top(tally);
            if w.len() > 1 {
                let chosen = self.tiebreak(&w, true)?;
                by_tiebreak.push(chosen);
                w = vec![chosen];
            }
        }
        Ok(w)
    }

    /// §7: who is eliminated this round.
    fn eliminate(
        &mut self,
        tally: &[(usize, JNum)],
        thr: JNum,
        by_tiebreak: &mut Vec<usize>,
    ) -> Result<Vec<usize>, TabulateError> {
        let rules = self.rules;
        // Undeclared write-ins with votes go first, alone.
        if let Some(u) = self.uwi
            && tally.iter().any(|t| t.0 == u && t.1.units > 0)
        {
            return Ok(vec![u]);
        }
        if rules.mode == WinnerMode::BottomsUpUsingPercentageThreshold && rules.cutoff_elimination {
            let below: Vec<usize> = tally.iter().filter(|t| t.1 < thr).map(|t| t.0).collect();
            if !below.is_empty() {
                return Ok(below);
            }
        }
        if let Some(m) = rules.minimum_vote_threshold.as_deref().and_then(|m| self.arith.parse(m))
            && m.units > 0
            && tally.iter().any(|t| t.1 < m)
        {
            let below: Vec<usize> = tally.iter().filter(|t| t.1 < m).map(|t| t.0).collect();
            if below.len() == self.num_declared() {
                return Err(TabulateError::Aborted(
                    "Tabulation can't proceed because all declared candidates are below the minimum vote threshold.".to_owned(),
                ));
            }
            return Ok(below);
        }
        // By tally, ascending; equal tallies in candidate order for determinism (the set is
        // what matters).
        let mut by_tally: Vec<(JNum, Vec<usize>)> = Vec::new();
        let mut sorted: Vec<(JNum, usize)> = tally.iter().map(|t| (t.1, t.0)).collect();
        sorted.sort();
        for (v, c) in sorted {
            match by_tally.last_mut() {
                Some((lv, cs)) if *lv == v => cs.push(c),
                _ => by_tally.push((v, vec![c])),
            }
        }
        if rules.batch_elimination {
            let mut running = JNum::ZERO;
            let mut seen: Vec<usize> = Vec::new();
            let mut elim: Vec<usize> = Vec::new();
            let mut prev: Vec<usize> = Vec::new();
            for (t, cands) in &by_tally {
                let mut new = elim.clone();
                if running < *t {
                    for &c in &seen {
                        if !new.contains(&c) {
                            new.push(c);
                        }
                    }
                }
                running = running.plus(t.times(cands.len() as u64));
                seen.extend(cands.iter().copied());
                if new.len() > elim.len() {
                    prev = elim;
                    elim = new;
                }
            }
            if rules.continue_until_two
                && elim.len() + self.eliminated_count() == self.num_candidates().saturating_sub(1)
            {
                elim = prev;
            }
            if elim.len() > 1 {
                return Ok(elim);
            }
        }
        let Some((_, lowest)) = by_tally.first() else {
            return Err(TabulateError::Aborted("Failed to eliminate any candidates!".to_owned()));
        };
        if lowest.len() == 1 {
            return Ok(vec![lowest[0]]);
        }
        let lowest = lowest.clone();
        let chosen = self.tiebreak(&lowest, false)?;
        by_tiebreak.push(chosen);
        Ok(vec![chosen])
    }

    /// §6.2: earlier winners' tallies, and the residual surplus.
    fn update_winner_tallies(&mut self, thr: JNum, residual: JNum) -> JNum {
        let mut residual = residual;
        let round = self.round;
        let earlier: Vec<usize> = self
            .winners
            .iter()
            .copied()
            .filter(|&w| self.winner_round[w].is_some_and(|r| r < round))
            .collect();
        if earlier.is_empty() {
            return residual;
        }
        let previous: Vec<Vec<Option<JNum>>> = self
            .rounds
            .last()
            .map(|r| {
                std::iter::once(&r.contest)
                    .chain(r.slices.iter())
                    .map(|f| (0..self.names.len()).map(|c| f.tally_of(c)).collect())
                    .collect()
            })
            .unwrap_or_default();
        for &w in &earlier {
            let just_elected = self.winner_round[w] == Some(round - 1);
            if just_elected {
                // ZERO plus the values each ballot left with the winner, per accumulator.
                let mut sums = vec![JNum::ZERO; self.accs.len()];
                for gi in 0..self.groups.len() {
                    let kept = self.groups[gi].kept.iter().find(|k| k.0 == w).map(|k| k.1);
                    if let Some(k) = kept {
                        let v = k.times(self.ballots.distinct()[gi].count);
                        for a in self.accs_of(gi) {
                            sums[a] = sums[a].plus(v);
                        }
                    }
                }
                for (a, s) in sums.iter().enumerate() {
                    self.accs[a].tally[w] = Some(*s);
                }
                let t = self.accs[0].tally[w].unwrap_or(JNum::ZERO);
                if t > thr {
                    let res = t.minus(thr);
                    residual = residual.plus(res);
                    self.accs[0].tally[w] = Some(thr);
                    let slot = self.accs[0]
                        .transfers
                        .entry((Some(w), Target::ResidualSurplus))
                        .or_insert(JNum::ZERO);
                    *slot = slot.plus(res);
                }
            } else {
                for (a, acc) in self.accs.iter_mut().enumerate() {
                    acc.tally[w] = previous.get(a).and_then(|p| p[w]);
                }
            }
        }
        residual
    }

    /// §9: settles a tie; `selecting_winner` for the top, else the bottom.
    fn tiebreak(&mut self, tied: &[usize], selecting_winner: bool) -> Result<usize, TabulateError> {
        let mut sorted = tied.to_vec();
        sorted.sort_by(|&a, &b| java_cmp(&self.names[a], &self.names[b]));
        match self.rules.tiebreak {
            TieBreakMode::Random => Ok(self.random_pick(&sorted)),
            TieBreakMode::UseCandidateOrder | TieBreakMode::GeneratePermutation => {
                let perm = &self.permutation;
                let found = if selecting_winner {
                    perm.iter().find(|c| sorted.contains(c)).copied()
                } else {
                    perm.iter().rev().find(|c| sorted.contains(c)).copied()
                };
                // A tie of undeclared write-ins (absent from the order) with one candidate.
                Ok(found.unwrap_or(sorted[0]))
            }
            TieBreakMode::PreviousRoundCountsThenRandom
            | TieBreakMode::PreviousRoundCountsThenAsk => {
                let mut cand = sorted.clone();
                for r in (1..self.round).rev() {
                    let figures = &self.rounds[(r - 1) as usize].contest;
                    let names: Vec<&str> = cand.iter().map(|&c| self.names[c].as_str()).collect();
                    let order = iteration_order(&names, capacity_of_copy(names.len()));
                    let in_order: Vec<usize> = order.iter().map(|&k| cand[k]).collect();
                    let value = |c: usize| figures.tally_of(c).unwrap_or(JNum::ZERO);
                    let best = in_order.iter().map(|&c| value(c));
                    let target = if selecting_winner { best.max() } else { best.min() }
                        .unwrap_or(JNum::ZERO);
                    cand = in_order.into_iter().filter(|&c| value(c) == target).collect();
                    if cand.len() == 1 {
                        return Ok(cand[0]);
                    }
                }
                if self.rules.tiebreak == TieBreakMode::PreviousRoundCountsThenAsk {
                    return Err(self.needs_operator(&cand));
                }
                Ok(self.random_pick(&cand))
            }
            TieBreakMode::StopCountingAndAsk => Err(self.needs_operator(&sorted)),
        }
    }

    fn random_pick(&mut self, list: &[usize]) -> usize {
        let r = self.random.get_or_insert_with(|| JavaRandom::new(0));
        let i = (r.next_double() * list.len() as f64).floor() as usize;
        list[i.min(list.len() - 1)]
    }

    fn needs_operator(&self, tied: &[usize]) -> TabulateError {
        TabulateError::NeedsOperator {
            round: self.round,
            tied: tied.iter().map(|&c| self.names[c].clone()).collect(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    None,
    Skip,
    Exhaust,
}

/// The candidates with the highest tally.
fn top(tally: &[(usize, JNum)]) -> Vec<usize> {
    let max = tally.iter().map(|t| t.1).max().unwrap_or(JNum::ZERO);
    tally.iter().filter(|t| t.1 == max).map(|t| t.0).collect()
}

/// The order RCTab's CSV lists candidates in: round 1's tally, most votes first, equal tallies
/// in Java `HashMap` order of the candidate names, undeclared write-ins last.
pub fn csv_candidate_order(t: &Tabulation) -> Vec<usize> {
    let names: Vec<&str> = t.names.iter().map(String::as_str).collect();
    let hash = iteration_order(&names, capacity_after_inserts(names.len()));
    let first = t.rounds.first();
    let in_tally: Vec<usize> = hash
        .into_iter()
        .filter(|&c| first.is_some_and(|r| r.contest.tally_of(c).is_some()))
        .collect();
    let mut order = in_tally;
    let value = |c: usize| first.and_then(|r| r.contest.tally_of(c)).unwrap_or(JNum::ZERO);
    order.sort_by(|&a, &b| {
        let ua = Some(a) == t.uwi;
        let ub = Some(b) == t.uwi;
        ua.cmp(&ub).then(value(b).cmp(&value(a)))
    });
    order
}
