//! Meek STV as stv-rs and Droop count it: keep factors iterated until the surplus is below ω
//! (10⁻⁶) or stable, fixed-point arithmetic with 9 decimals, one defeat per round
//! (Droop's `defeat_batch=none`). Spec: docs/internals/stv-variants.md §3.
//!
//! Every value is an integer number of 10⁻⁹ units. Products truncate (`mul`), keep factors round
//! up (`mul_up`, `div_up`), as stv-rs's `fixed9` does; the order of operations is theirs, because
//! each truncation shows in the transcript. Sums over ballots are exact, so the ballots' order
//! never matters. Arithmetic is `i128` and checked: an overflow is an error, never a wrap.

use crate::ballots::BallotSet;
use crate::stv::{Status, StvError};

/// 10⁹: one vote.
pub const ONE: i128 = 1_000_000_000;

/// How ballots with equal preferences (`a=b`) are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EqualRanks {
    /// Droop.py's recursive descent, which stv-rs reproduces by default (with its two known
    /// defects: a rank of defeated candidates stops the ballot, and an elected candidate's
    /// remainder skips its equals).
    #[default]
    Droop,
    /// stv-rs `--equalize`: the average over every order of the equal candidates.
    Equalize,
}

/// The count's options, named as stv-rs names its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeekOptions {
    pub equal_ranks: EqualRanks,
    /// Sum only positive surpluses (stv-rs `--force-positive-surplus`); by default an elected
    /// candidate a unit or two below the threshold lowers the surplus, as in Droop.
    pub force_positive_surplus: bool,
    /// ω = 10^-omega_exponent (stv-rs `--omega-exponent`, default 6).
    pub omega_exponent: u32,
}

impl Default for MeekOptions {
    fn default() -> MeekOptions {
        MeekOptions {
            equal_ranks: EqualRanks::Droop,
            force_positive_surplus: false,
            omega_exponent: 6,
        }
    }
}

/// Why an iteration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Someone reached the threshold.
    Elected,
    /// The surplus is at most ω.
    Omega,
    /// The surplus stopped falling.
    Stable,
}

/// What an action of the count did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeekAction {
    BeginCount,
    Elect(usize),
    Iterate(Why),
    /// The candidates within the surplus of the lowest (candidate order), and the one the tie
    /// order defeats.
    BreakTie {
        tied: Vec<usize>,
        defeated: usize,
    },
    /// Defeated as the lowest, after an iteration that stopped for `why` (omega or stable).
    Defeat {
        why: Why,
        candidate: usize,
    },
    ElectRemaining(usize),
    DefeatRemaining(usize),
    CountComplete,
}

/// One entry of the count's log, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeekEvent {
    Round(u32),
    /// The surplus stopped falling at this value.
    StableState(i128),
    Action(MeekActionRecord),
}

/// An action and the count it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeekActionRecord {
    pub action: MeekAction,
    /// Standing and votes of every candidate, for the actions that show them.
    pub candidates: Option<Vec<(Status, i128)>>,
    pub threshold: i128,
    pub votes: i128,
    /// Voting power no continuing or elected candidate holds (exhausted, or lost to truncation).
    pub residual: i128,
    pub surplus: i128,
}

/// A finished Meek count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeekCount {
    pub candidates: Vec<String>,
    pub withdrawn: Vec<bool>,
    pub seats: usize,
    /// Ballots that rank someone (the threshold's numerator).
    pub ballots: u128,
    pub options: MeekOptions,
    pub omega: i128,
    /// The threshold before any count (no exhausted power).
    pub initial_threshold: i128,
    /// In the order elected.
    pub elected: Vec<usize>,
    pub events: Vec<MeekEvent>,
}

/// Counts `seats` seats. Ballot labels are candidate numbers from 1 (as BLT files give them);
/// withdrawn candidates are passed over; `tie_order` (a permutation of the candidates, first =
/// defeated first; BLT `[tie]`) settles equal lowest candidates, candidate order when `None`.
pub fn count(
    ballots: &BallotSet,
    candidates: &[String],
    withdrawn: &[usize],
    seats: usize,
    tie_order: Option<&[usize]>,
    options: MeekOptions,
) -> Result<MeekCount, StvError> {
    let n = candidates.len();
    let mut lines: Vec<Line> = Vec::new();
    for p in super::preferences(ballots, n)? {
        let ranks: Vec<Vec<usize>> = p
            .ranks
            .iter()
            .map(|r| {
                r.iter().map(|&c| c as usize).filter(|c| !withdrawn.contains(c)).collect::<Vec<_>>()
            })
            .filter(|r: &Vec<usize>| !r.is_empty())
            .collect();
        if !ranks.is_empty() && p.count > 0 {
            let tied = ranks.iter().any(|r| r.len() > 1);
            lines.push(Line { count: i128::from(p.count), ranks, tied });
        }
    }
    let ballots_total: u128 = lines.iter().map(|l| l.count as u128).sum();
    let tie_rank: Vec<usize> = match tie_order {
        Some(order) => {
            let mut rank = vec![usize::MAX; n];
            for (r, &c) in order.iter().enumerate() {
                if let Some(slot) = rank.get_mut(c) {
                    *slot = r;
                }
            }
            rank
        }
        None => (0..n).collect(),
    };
    let is_withdrawn: Vec<bool> = (0..n).map(|c| withdrawn.contains(&c)).collect();
    let mut meek = Meek {
        lines,
        n,
        equal_ranks: options.equal_ranks,
        keep: vec![ONE; n],
        status: is_withdrawn
            .iter()
            .map(|&w| if w { Status::Withdrawn } else { Status::Hopeful })
            .collect(),
        pascal: pascal(n)?,
    };
    let total = i128::try_from(ballots_total)
        .ok()
        .and_then(|b| b.checked_mul(ONE))
        .ok_or(StvError::Overflow)?;
    let divisor = i128::try_from(seats).map_err(|_| StvError::Overflow)? + 1;
    let threshold_of = |exhausted: i128| -> Result<i128, StvError> {
        Ok(total.checked_sub(exhausted).ok_or(StvError::Overflow)? / divisor + 1)
    };
    let omega = ONE / 10i128.checked_pow(options.omega_exponent).ok_or(StvError::Overflow)?;
    let initial_threshold = threshold_of(0)?;
    let mut threshold = initial_threshold;
    let mut surplus = 0i128;
    let mut events: Vec<MeekEvent> = Vec::new();
    let mut elected: Vec<usize> = Vec::new();

    let record = |events: &mut Vec<MeekEvent>,
                  meek: &Meek,
                  action: MeekAction,
                  tally: &Tally,
                  full: bool,
                  threshold: i128,
                  surplus: i128| {
        let votes: i128 = tally.sums.iter().sum();
        events.push(MeekEvent::Action(MeekActionRecord {
            action,
            candidates: full
                .then(|| meek.status.iter().copied().zip(tally.sums.iter().copied()).collect()),
            threshold,
            votes,
            residual: tally.exhausted,
            surplus,
        }));
    };

    let mut tally = meek.count()?;
    // The first count reports no residual, as Droop does.
    tally.exhausted = 0;
    record(&mut events, &meek, MeekAction::BeginCount, &tally, true, threshold, surplus);
    let mut to_elect = seats;
    let mut round = 0u32;
    loop {
        round += 1;
        let hopeful = meek.status.iter().filter(|&&s| s == Status::Hopeful).count();
        if to_elect == 0 || hopeful <= to_elect {
            break;
        }
        events.push(MeekEvent::Round(round));
        let mut last = total;
        let why = loop {
            tally = meek.count()?;
            threshold = threshold_of(tally.exhausted)?;
            let mut any = false;
            for c in 0..n {
                if meek.status[c] == Status::Hopeful && tally.sums[c] >= threshold {
                    if to_elect == 0 {
                        return Err(StvError::TooManyElected);
                    }
                    meek.status[c] = Status::Elected;
                    elected.push(c);
                    to_elect -= 1;
                    record(
                        &mut events,
                        &meek,
                        MeekAction::Elect(c),
                        &tally,
                        true,
                        threshold,
                        surplus,
                    );
                    any = true;
                }
            }
            surplus = 0;
            for &c in &elected {
                let d = tally.sums[c] - threshold;
                surplus += if options.force_positive_surplus { d.max(0) } else { d };
            }
            if any {
                break Why::Elected;
            }
            if surplus <= omega {
                break Why::Omega;
            }
            if surplus >= last {
                events.push(MeekEvent::StableState(surplus));
                break Why::Stable;
            }
            last = surplus;
            for c in 0..n {
                if meek.status[c] == Status::Elected {
                    meek.keep[c] = keep_factor(meek.keep[c], threshold, tally.sums[c])?;
                }
            }
        };
        record(&mut events, &meek, MeekAction::Iterate(why), &tally, false, threshold, surplus);
        if why != Why::Elected {
            let hopeful: Vec<usize> =
                (0..n).filter(|&c| meek.status[c] == Status::Hopeful).collect();
            let lowest = hopeful.iter().map(|&c| tally.sums[c]).min().unwrap_or(0);
            let low: Vec<usize> =
                hopeful.iter().copied().filter(|&c| tally.sums[c] <= lowest + surplus).collect();
            let Some(&first) = low.iter().min_by_key(|&&c| tie_rank[c]) else {
                return Err(StvError::NegativeSurplus);
            };
            if low.len() > 1 {
                let action = MeekAction::BreakTie { tied: low.clone(), defeated: first };
                record(&mut events, &meek, action, &tally, false, threshold, surplus);
            }
            meek.status[first] = Status::Excluded;
            let action = MeekAction::Defeat { why, candidate: first };
            record(&mut events, &meek, action, &tally, true, threshold, surplus);
            meek.keep[first] = 0;
            tally = meek.count()?;
        }
    }
    for c in 0..n {
        if meek.status[c] != Status::Hopeful {
            continue;
        }
        if elected.len() < seats {
            meek.status[c] = Status::Elected;
            elected.push(c);
            record(
                &mut events,
                &meek,
                MeekAction::ElectRemaining(c),
                &tally,
                true,
                threshold,
                surplus,
            );
        } else {
            meek.status[c] = Status::Excluded;
            record(
                &mut events,
                &meek,
                MeekAction::DefeatRemaining(c),
                &tally,
                true,
                threshold,
                surplus,
            );
            meek.keep[c] = 0;
        }
        tally = meek.count()?;
    }
    record(&mut events, &meek, MeekAction::CountComplete, &tally, true, threshold, surplus);
    Ok(MeekCount {
        candidates: candidates.to_vec(),
        withdrawn: is_withdrawn,
        seats,
        ballots: ballots_total,
        options,
        omega,
        initial_threshold,
        elected,
        events,
    })
}

/// One distinct ranking and how many ballots cast it.
struct Line {
    count: i128,
    /// Candidates per rank, withdrawn ones removed, no empty rank.
    ranks: Vec<Vec<usize>>,
    /// Some rank has equal preferences.
    tied: bool,
}

struct Meek {
    lines: Vec<Line>,
    n: usize,
    equal_ranks: EqualRanks,
    /// Keep factors: 1 hopeful, 0 defeated, iterated for the elected.
    keep: Vec<i128>,
    status: Vec<Status>,
    /// Rows of Pascal's triangle, for equalized equal ranks.
    pascal: Vec<Vec<i128>>,
}

/// The result of counting every ballot with the current keep factors.
struct Tally {
    sums: Vec<i128>,
    exhausted: i128,
}

fn overflow() -> StvError {
    StvError::Overflow
}

/// `a·b` truncated to 9 decimals.
fn mul(a: i128, b: i128) -> Result<i128, StvError> {
    Ok(a.checked_mul(b).ok_or_else(overflow)? / ONE)
}

/// The keep factor's update: `⌈⌈kf·threshold⌉ / votes⌉` in 9 decimals.
fn keep_factor(kf: i128, threshold: i128, votes: i128) -> Result<i128, StvError> {
    if votes == 0 {
        return Err(StvError::ZeroVotesElected);
    }
    let up =
        kf.checked_mul(threshold).and_then(|x| x.checked_add(ONE - 1)).ok_or_else(overflow)? / ONE;
    Ok(up.checked_mul(ONE).and_then(|x| x.checked_add(votes - 1)).ok_or_else(overflow)? / votes)
}

fn pascal(n: usize) -> Result<Vec<Vec<i128>>, StvError> {
    let mut rows: Vec<Vec<i128>> = vec![vec![1]];
    for i in 1..=n {
        let prev = &rows[i - 1];
        let mut row = vec![1i128; i + 1];
        for j in 1..i {
            row[j] = prev[j - 1].checked_add(prev[j]).ok_or_else(overflow)?;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Adds to the candidates' sums during one ballot line's count.
struct Give<'a> {
    sums: &'a mut [i128],
    unused: i128,
    count: i128,
    keep: &'a [i128],
}

impl Give<'_> {
    fn give(&mut self, c: usize, used: i128) -> Result<(), StvError> {
        let v = used.checked_mul(self.count).ok_or_else(overflow)?;
        self.sums[c] = self.sums[c].checked_add(v).ok_or_else(overflow)?;
        self.unused -= v;
        Ok(())
    }

    /// `c` keeps its share of `power`; returns what passes on.
    fn split(&mut self, power: i128, c: usize) -> Result<i128, StvError> {
        self.give(c, mul(power, self.keep[c])?)?;
        mul(power, ONE - self.keep[c])
    }

    /// Droop.py's recursive descent over ranks with equal preferences.
    fn descend(&mut self, ranks: &[Vec<usize>], power: i128) -> Result<(), StvError> {
        let Some((rank, rest)) = ranks.split_first() else { return Ok(()) };
        let live = rank.iter().filter(|&&c| self.keep[c] != 0).count() as i128;
        if live == 0 {
            return Ok(());
        }
        let power = power / live;
        for &c in rank {
            if self.keep[c] == 0 {
                continue;
            }
            let rem = self.split(power, c)?;
            if rem != 0 {
                self.descend(rest, rem)?;
            }
        }
        Ok(())
    }
}

impl Meek {
    fn count(&self) -> Result<Tally, StvError> {
        let mut sums = vec![0i128; self.n];
        let mut exhausted = 0i128;
        for line in &self.lines {
            let unused = line.count.checked_mul(ONE).ok_or_else(overflow)?;
            let mut g = Give { sums: &mut sums, unused, count: line.count, keep: &self.keep };
            if line.tied && self.equal_ranks == EqualRanks::Droop {
                g.descend(&line.ranks, ONE)?;
            } else {
                let mut power = ONE;
                for rank in &line.ranks {
                    power = if let [c] = rank[..] {
                        g.split(power, c)?
                    } else {
                        self.superpose(&mut g, rank, power)?
                    };
                    if power == 0 {
                        break;
                    }
                }
            }
            exhausted = exhausted.checked_add(g.unused).ok_or_else(overflow)?;
        }
        Ok(Tally { sums, exhausted })
    }

    /// An equal rank counted as the average over all orders of its candidates: each one's share
    /// from the elementary symmetric polynomials of the others' unused factors.
    fn superpose(&self, g: &mut Give, rank: &[usize], power: i128) -> Result<i128, StvError> {
        let m = rank.len() - 1;
        let unused: Vec<i128> = rank.iter().map(|&c| ONE - self.keep[c]).collect();
        for (i, &c) in rank.iter().enumerate() {
            let mut poly = vec![0i128; m + 1];
            poly[0] = ONE;
            for (j, &u) in unused.iter().enumerate() {
                if j == i || u == 0 {
                    continue;
                }
                // Each coefficient grows by the one below it as it was before this factor.
                let mut prev = poly[0];
                for slot in &mut poly[1..] {
                    let old = *slot;
                    *slot = old.checked_add(mul(prev, u)?).ok_or_else(overflow)?;
                    prev = old;
                }
            }
            let mut weight = 0i128;
            for (q, &p) in poly.iter().enumerate() {
                weight = weight.checked_add(p / self.pascal[m][q]).ok_or_else(overflow)?;
            }
            let share = mul(weight, self.keep[c])? / (m as i128 + 1);
            g.give(c, mul(power, share)?)?;
        }
        let mut product = ONE;
        for &u in &unused {
            product = mul(product, u)?;
        }
        mul(power, product)
    }
}

/// A value as stv-rs prints it: `-`, whole part, `.`, nine decimals.
pub fn fixed9(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:09}", a / ONE as u128, a % ONE as u128)
}

/// The count as stv-rs (and Droop's `meek` rule) write it, byte for byte. `implementation` is
/// the package line: `Implementation: STV-rs` as stv-rs writes it, `Droop package: droop v0.14`
/// as Droop does.
pub fn transcript(count: &MeekCount, title: &str, implementation: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let equalized =
        if count.options.equal_ranks == EqualRanks::Equalize && implementation.contains("STV-rs") {
            " (equalized counting)"
        } else {
            ""
        };
    let _ = write!(
        out,
        "\nElection: {title}\n\n\t{implementation}{equalized}\n\tRule: Meek Parametric (omega = 1/10^{})\n\tArithmetic: fixed-point decimal arithmetic (9 places)\n\tSeats: {}\n\tBallots: {}\n\tQuota: {}\n\tOmega: {}\n\n",
        count.options.omega_exponent,
        count.seats,
        count.ballots,
        fixed9(count.initial_threshold),
        fixed9(count.omega),
    );
    for (c, name) in count.candidates.iter().enumerate() {
        let kind = if count.withdrawn[c] { "withdrawn" } else { "eligible" };
        let _ = writeln!(out, "\tAdd {kind}: {name}");
    }
    let names = &count.candidates;
    for event in &count.events {
        match event {
            MeekEvent::Round(r) => {
                let _ = writeln!(out, "Round {r}:");
            }
            MeekEvent::StableState(s) => {
                let _ = writeln!(out, "\tStable state detected ({})", fixed9(*s));
            }
            MeekEvent::Action(a) => {
                let message = match &a.action {
                    MeekAction::BeginCount => "Begin Count".to_owned(),
                    MeekAction::Elect(c) => format!("Elect: {}", names[*c]),
                    MeekAction::Iterate(why) => format!(
                        "Iterate ({})",
                        match why {
                            Why::Elected => "elected",
                            Why::Omega => "omega",
                            Why::Stable => "stable",
                        }
                    ),
                    MeekAction::BreakTie { tied, defeated } => format!(
                        "Break tie (defeat): [{}] -> {}",
                        tied.iter().map(|&c| names[c].as_str()).collect::<Vec<_>>().join(", "),
                        names[*defeated]
                    ),
                    MeekAction::Defeat { why, candidate } => {
                        let s = fixed9(a.surplus);
                        if *why == Why::Omega {
                            format!("Defeat (surplus {s} < omega): {}", names[*candidate])
                        } else {
                            format!("Defeat (stable surplus {s}): {}", names[*candidate])
                        }
                    }
                    MeekAction::ElectRemaining(c) => format!("Elect remaining: {}", names[*c]),
                    MeekAction::DefeatRemaining(c) => format!("Defeat remaining: {}", names[*c]),
                    MeekAction::CountComplete => "Count Complete".to_owned(),
                };
                let _ = writeln!(out, "Action: {message}");
                if let Some(cands) = &a.candidates {
                    let group = |c: usize| match cands[c] {
                        (Status::Elected | Status::Withdrawn, _) => 0,
                        (Status::Hopeful, _) => 1,
                        (Status::Excluded, v) if v != 0 => 2,
                        (Status::Excluded, _) => 3,
                    };
                    let mut order: Vec<usize> = (0..cands.len()).collect();
                    order.sort_by_key(|&c| group(c));
                    let mut zero: Vec<&str> = Vec::new();
                    for c in order {
                        let label = match cands[c].0 {
                            Status::Withdrawn => continue,
                            Status::Elected => "Elected: ",
                            Status::Hopeful => "Hopeful: ",
                            Status::Excluded if group(c) == 3 => {
                                zero.push(&names[c]);
                                continue;
                            }
                            Status::Excluded => "Defeated:",
                        };
                        let _ = writeln!(out, "\t{label} {} ({})", names[c], fixed9(cands[c].1));
                    }
                    if !zero.is_empty() {
                        let _ = writeln!(out, "\tDefeated: {} ({})", zero.join(", "), fixed9(0));
                    }
                }
                let _ = write!(
                    out,
                    "\tQuota: {}\n\tVotes: {}\n\tResidual: {}\n\tTotal: {}\n\tSurplus: {}\n",
                    fixed9(a.threshold),
                    fixed9(a.votes),
                    fixed9(a.residual),
                    fixed9(a.votes + a.residual),
                    fixed9(a.surplus),
                );
            }
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meek(ranks: Vec<Vec<usize>>, keep: Vec<i128>, equal_ranks: EqualRanks) -> Meek {
        let n = keep.len();
        let tied = ranks.iter().any(|r| r.len() > 1);
        Meek {
            lines: vec![Line { count: 1, ranks, tied }],
            n,
            equal_ranks,
            status: vec![Status::Hopeful; n],
            keep,
            pascal: pascal(n).unwrap_or_default(),
        }
    }

    #[test]
    fn equal_ranks_with_an_elected_candidate() {
        // spec §3.3.2: `apple=banana cherry`, apple's keep factor 0.500000001.
        let keep = vec![500_000_001, ONE, ONE];
        let droop = meek(vec![vec![0, 1], vec![2]], keep.clone(), EqualRanks::Droop);
        let t = droop.count().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.sums, [250_000_000, 500_000_000, 249_999_999]);
        assert_eq!(t.exhausted, 1);
        let equalized = meek(vec![vec![0, 1], vec![2]], keep, EqualRanks::Equalize);
        let t = equalized.count().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.sums, [250_000_000, 749_999_999, 0]);
    }

    #[test]
    fn a_rank_of_defeated_candidates_stops_droops_descent() {
        // Defect 1: `a b=c d` with a defeated gives b and c their halves; `a=b c` with both
        // defeated gives c nothing in Droop's mode, everything when equalized.
        let keep = vec![0, 0, ONE];
        let droop = meek(vec![vec![0, 1], vec![2]], keep.clone(), EqualRanks::Droop);
        assert_eq!(droop.count().map(|t| t.sums).unwrap_or_default(), [0, 0, 0]);
        let equalized = meek(vec![vec![0, 1], vec![2]], keep, EqualRanks::Equalize);
        assert_eq!(equalized.count().map(|t| t.sums).unwrap_or_default(), [0, 0, ONE]);
    }

    #[test]
    fn keep_factor_rounds_up_twice() {
        // vegetables.blt, round 2: Grape's keep factor ⌈9.000000001 / 13⌉.
        assert_eq!(keep_factor(ONE, 9_000_000_001, 13 * ONE).ok(), Some(692_307_693));
        assert_eq!(keep_factor(ONE, ONE, 0), Err(StvError::ZeroVotesElected));
    }

    #[test]
    fn values_print_with_nine_decimals() {
        assert_eq!(fixed9(9_000_000_001), "9.000000001");
        assert_eq!(fixed9(1000), "0.000001000");
        assert_eq!(fixed9(-1), "-0.000000001");
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(mul(i128::MAX, 2), Err(StvError::Overflow));
    }
}
