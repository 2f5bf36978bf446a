//! Irish Dáil STV (Electoral Act 1992, Part XIX), as docs/internals/stv-variants.md §4
//! describes it: whole papers, the quota ⌊valid ÷ (seats + 1)⌋ + 1, the largest surplus first,
//! only the last parcel received examined for a candidate elected on transferred papers,
//! sub-parcels by next available preference, integer shares with the largest remainders, the
//! papers moved taken from the end of each sub-parcel, multiple exclusion, and the last-vacancy
//! rules.
//!
//! Which papers move in a surplus depends on the physical order of the papers. This count keeps a
//! deterministic order: the distinct ballots in the ballot set's order (BLT line order), each
//! one's papers together, received parcels appended in the order received. The winners are the
//! oracle; numbers per count approximate an official count.
//!
//! Everything is exact: papers are whole (value 1), except with [`Papers::Fraction`], where the
//! examined papers move at `surplus ÷ transferable` as exact rationals (pairs of `u128`).

use std::cmp::Ordering;

use crate::ballots::BallotSet;
use crate::decimal::{Rounding, mul_div};
use crate::stv::{Action, Stage, Status, StvCount, StvError, Tiebreak};

/// Display units per vote with [`Papers::Fraction`] (values are exact; stages show them
/// truncated to 5 decimals).
pub const FRACTION_UNIT: u64 = 100_000;

/// Which papers of a surplus move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Papers {
    /// The papers last filed in each sub-parcel (the law's choice, as 4.3 orders papers).
    #[default]
    Last,
    /// The papers first filed in each sub-parcel (a sensitivity check).
    First,
    /// Every paper of the examined parcel, at `surplus ÷ transferable` (exact Gregory).
    Fraction,
}

/// The choices the count leaves open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrishOptions {
    pub papers: Papers,
    /// Exclude the lowest candidates together when their votes together are fewer than the next
    /// candidate's.
    pub multiple_exclusion: bool,
    /// Defer surpluses while their total is below the gap between the two lowest continuing
    /// candidates (a simplified test of s.121).
    pub defer_surpluses: bool,
}

impl Default for IrishOptions {
    fn default() -> IrishOptions {
        IrishOptions { papers: Papers::Last, multiple_exclusion: true, defer_surpluses: false }
    }
}

/// A non-negative rational, reduced, with a positive denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Q {
    n: u128,
    d: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Q {
    const ZERO: Q = Q { n: 0, d: 1 };

    fn int(n: u128) -> Q {
        Q { n, d: 1 }
    }

    fn new(n: u128, d: u128) -> Result<Q, StvError> {
        if d == 0 {
            return Err(StvError::Overflow);
        }
        let g = gcd(n, d);
        Ok(Q { n: n / g, d: d / g })
    }

    fn add(self, o: Q) -> Result<Q, StvError> {
        if o.n == 0 {
            return Ok(self);
        }
        let g = gcd(self.d, o.d);
        let d = (self.d / g).checked_mul(o.d).ok_or(StvError::Overflow)?;
        let a = self.n.checked_mul(o.d / g).ok_or(StvError::Overflow)?;
        let b = o.n.checked_mul(self.d / g).ok_or(StvError::Overflow)?;
        Q::new(a.checked_add(b).ok_or(StvError::Overflow)?, d)
    }

    /// `self − o`, or an error when `o > self`.
    fn sub(self, o: Q) -> Result<Q, StvError> {
        let g = gcd(self.d, o.d);
        let d = (self.d / g).checked_mul(o.d).ok_or(StvError::Overflow)?;
        let a = self.n.checked_mul(o.d / g).ok_or(StvError::Overflow)?;
        let b = o.n.checked_mul(self.d / g).ok_or(StvError::Overflow)?;
        Q::new(a.checked_sub(b).ok_or(StvError::Overflow)?, d)
    }

    fn mul(self, o: Q) -> Result<Q, StvError> {
        let g1 = gcd(self.n, o.d).max(1);
        let g2 = gcd(o.n, self.d).max(1);
        let n = (self.n / g1).checked_mul(o.n / g2).ok_or(StvError::Overflow)?;
        let d = (self.d / g2).checked_mul(o.d / g1).ok_or(StvError::Overflow)?;
        Q::new(n, d)
    }

    fn times(self, k: u64) -> Result<Q, StvError> {
        self.mul(Q::int(u128::from(k)))
    }

    fn div(self, o: Q) -> Result<Q, StvError> {
        if o.n == 0 {
            return Err(StvError::Overflow);
        }
        self.mul(Q { n: o.d, d: o.n })
    }

    /// ⌊self × unit⌋, saturating at `u64::MAX`.
    fn units(self, unit: u64) -> u64 {
        mul_div(self.n, u128::from(unit), self.d, Rounding::Down)
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(u64::MAX)
    }
}

impl Ord for Q {
    fn cmp(&self, o: &Q) -> Ordering {
        crate::decimal::mul_wide(self.n, o.d).cmp(&crate::decimal::mul_wide(o.n, self.d))
    }
}

impl PartialOrd for Q {
    fn partial_cmp(&self, o: &Q) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Papers of one distinct ballot, together in a parcel.
#[derive(Clone, Copy, Debug)]
struct Entry {
    ballot: u32,
    count: u64,
    /// The rank they count at.
    at: u32,
    /// Value of each paper (1 unless [`Papers::Fraction`]).
    value: Q,
}

/// The first rank from `from` on whose candidate is continuing: `(rank, candidate)`; `None`
/// when the paper is non-transferable (no further preference, or equal preferences next).
fn next_preference(ranks: &[Vec<u32>], from: usize, status: &[Status]) -> Option<(u32, usize)> {
    for (k, rank) in ranks.iter().enumerate().skip(from) {
        if rank.len() != 1 {
            return None;
        }
        let c = rank[0] as usize;
        if status.get(c) == Some(&Status::Hopeful) {
            return Some((u32::try_from(k).ok()?, c));
        }
    }
    None
}

/// The count's state.
struct Count<'a> {
    candidates: &'a [String],
    ranks: Vec<Vec<Vec<u32>>>,
    status: Vec<Status>,
    votes: Vec<Q>,
    nontransferable: Q,
    /// Per candidate, the parcels received; `[0]` holds the first preferences.
    parcels: Vec<Vec<Vec<Entry>>>,
    /// Votes at the end of every count, for ties.
    history: Vec<Vec<Q>>,
    stages: Vec<Stage>,
    unit: u64,
}

impl Count<'_> {
    fn stage(&mut self, action: Action) {
        self.stages.push(Stage {
            action,
            votes: self.votes.iter().map(|v| v.units(self.unit)).collect(),
            status: self.status.clone(),
            nontransferable: self.nontransferable.units(self.unit),
            residual: 0,
        });
    }

    fn continuing(&self) -> Vec<usize> {
        (0..self.status.len()).filter(|&c| self.status[c] == Status::Hopeful).collect()
    }

    /// Orders candidates by votes (most first when `most_first`), equal ones by their votes at
    /// the earliest count where they differed, then by the lot.
    fn order(&self, cands: &mut [usize], tiebreak: &mut dyn Tiebreak, most_first: bool) {
        let key = |a: usize, b: usize| -> Ordering {
            let o = self.votes[a].cmp(&self.votes[b]).then_with(|| {
                for h in &self.history {
                    let o = h[a].cmp(&h[b]);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            if most_first { o.reverse() } else { o }
        };
        cands.sort_by(|&a, &b| key(a, b));
        let mut i = 0;
        while i < cands.len() {
            let mut j = i + 1;
            while j < cands.len() && key(cands[i], cands[j]) == Ordering::Equal {
                j += 1;
            }
            if j - i > 1 {
                tiebreak.order(&mut cands[i..j], self.candidates);
            }
            i = j;
        }
    }

    /// Transfers the surplus of elected candidate `e`.
    fn transfer_surplus(
        &mut self,
        e: usize,
        quota: Q,
        papers: Papers,
        tiebreak: &mut dyn Tiebreak,
    ) -> Result<(), StvError> {
        let n = self.status.len();
        let surplus = self.votes[e].sub(quota)?;
        // Elected on first preferences only: all papers; else the last parcel received.
        let parcels = std::mem::take(&mut self.parcels[e]);
        let examined = parcels.into_iter().last().unwrap_or_default();
        // Sub-parcels by next available preference, in order of first appearance.
        let mut slot: Vec<Option<usize>> = vec![None; n];
        let mut subs: Vec<(usize, Vec<Entry>)> = Vec::new();
        let mut transferable = Q::ZERO;
        for entry in &examined {
            let ranks = &self.ranks[entry.ballot as usize];
            let Some((at, c)) = next_preference(ranks, entry.at as usize + 1, &self.status) else {
                continue;
            };
            transferable = transferable.add(entry.value.times(entry.count)?)?;
            let s = match slot[c] {
                Some(s) => s,
                None => {
                    subs.push((c, Vec::new()));
                    slot[c] = Some(subs.len() - 1);
                    subs.len() - 1
                }
            };
            subs[s].1.push(Entry { at, ..*entry });
        }
        let moved: Vec<(usize, Vec<Entry>)> = if transferable <= surplus {
            subs
        } else if papers == Papers::Fraction {
            let f = surplus.div(transferable)?;
            let mut out = Vec::with_capacity(subs.len());
            for (c, entries) in subs {
                let mut v = Vec::with_capacity(entries.len());
                for en in entries {
                    v.push(Entry { value: en.value.mul(f)?, ..en });
                }
                out.push((c, v));
            }
            out
        } else {
            // Whole papers: every value is 1, so the surplus and the sizes are integers.
            let (s, t) = match (surplus.d, transferable.d) {
                (1, 1) => (surplus.n, transferable.n),
                _ => return Err(StvError::Overflow),
            };
            let sizes: Vec<u128> =
                subs.iter().map(|(_, es)| es.iter().map(|en| u128::from(en.count)).sum()).collect();
            let mut shares: Vec<u128> = Vec::with_capacity(subs.len());
            let mut rems: Vec<u128> = Vec::with_capacity(subs.len());
            for &size in &sizes {
                let p = s.checked_mul(size).ok_or(StvError::Overflow)?;
                shares.push(p / t);
                rems.push(p % t);
            }
            let given: u128 = shares.iter().sum();
            let rest = usize::try_from(s.saturating_sub(given)).unwrap_or(usize::MAX);
            // Largest remainders, then larger sub-parcels, then candidate number; a tie across
            // the cut goes to the lot.
            let mut idx: Vec<usize> = (0..subs.len()).collect();
            let rank = |i: usize| (std::cmp::Reverse(rems[i]), std::cmp::Reverse(sizes[i]));
            idx.sort_by(|&a, &b| rank(a).cmp(&rank(b)).then(subs[a].0.cmp(&subs[b].0)));
            if rest > 0 && rest < idx.len() && rank(idx[rest - 1]) == rank(idx[rest]) {
                let r = rank(idx[rest]);
                let lo = idx.iter().position(|&i| rank(i) == r).unwrap_or(0);
                let hi = idx.iter().rposition(|&i| rank(i) == r).map_or(lo, |p| p + 1);
                let mut tied: Vec<usize> = idx[lo..hi].iter().map(|&i| subs[i].0).collect();
                tiebreak.order(&mut tied, self.candidates);
                for (k, c) in tied.into_iter().enumerate() {
                    if let Some(s) = slot[c] {
                        idx[lo + k] = s;
                    }
                }
            }
            for &i in idx.iter().take(rest) {
                shares[i] += 1;
            }
            let mut out = Vec::with_capacity(subs.len());
            for (i, (c, entries)) in subs.into_iter().enumerate() {
                let mut want = shares[i];
                let mut take = Vec::new();
                let mut pick = |en: &Entry, want: &mut u128| {
                    let t = (*want).min(u128::from(en.count));
                    *want -= t;
                    take.push(Entry { count: t as u64, ..*en });
                };
                if papers == Papers::Last {
                    for en in entries.iter().rev() {
                        if want == 0 {
                            break;
                        }
                        pick(en, &mut want);
                    }
                } else {
                    for en in &entries {
                        if want == 0 {
                            break;
                        }
                        pick(en, &mut want);
                    }
                }
                out.push((c, take));
            }
            out
        };
        let mut total = Q::ZERO;
        for (c, entries) in moved {
            let mut got = Q::ZERO;
            for en in &entries {
                got = got.add(en.value.times(en.count)?)?;
            }
            self.votes[c] = self.votes[c].add(got)?;
            total = total.add(got)?;
            if !entries.is_empty() {
                self.parcels[c].push(entries);
            }
        }
        self.nontransferable = self.nontransferable.add(surplus.sub(total)?)?;
        self.votes[e] = quota;
        self.stage(Action::TransferSurplus(e, surplus.units(self.unit)));
        Ok(())
    }

    /// Excludes `out` together, in one count.
    fn exclude(&mut self, out: &[usize]) -> Result<(), StvError> {
        let n = self.status.len();
        for &x in out {
            self.status[x] = Status::Excluded;
            self.stage(Action::Exclude(x));
        }
        let mut incoming: Vec<Vec<Entry>> = vec![Vec::new(); n];
        for &x in out {
            for parcel in std::mem::take(&mut self.parcels[x]) {
                for en in parcel {
                    let ranks = &self.ranks[en.ballot as usize];
                    let v = en.value.times(en.count)?;
                    match next_preference(ranks, en.at as usize + 1, &self.status) {
                        Some((at, c)) => {
                            self.votes[c] = self.votes[c].add(v)?;
                            incoming[c].push(Entry { at, ..en });
                        }
                        None => self.nontransferable = self.nontransferable.add(v)?,
                    }
                }
            }
            self.votes[x] = Q::ZERO;
        }
        for (c, entries) in incoming.into_iter().enumerate() {
            if !entries.is_empty() {
                self.parcels[c].push(entries);
            }
        }
        match out {
            [x] => self.stage(Action::TransferExcluded(*x)),
            _ => self.stage(Action::TransferExcludedTogether(out.len())),
        }
        Ok(())
    }
}

/// Counts `seats` seats among `candidates` by the Dáil rules (ballot labels are candidate
/// numbers from 1, as BLT files give them). Withdrawn candidates are struck from every paper.
/// Ties that earlier counts leave go to `tiebreak`.
pub fn count(
    ballots: &BallotSet,
    candidates: &[String],
    withdrawn: &[usize],
    seats: usize,
    options: &IrishOptions,
    tiebreak: &mut dyn Tiebreak,
) -> Result<StvCount, StvError> {
    let n = candidates.len();
    let prefs = super::preferences(ballots, n)?;
    let mut status = vec![Status::Hopeful; n];
    for &w in withdrawn {
        if let Some(s) = status.get_mut(w) {
            *s = Status::Withdrawn;
        }
    }
    // Withdrawn candidates struck out; ranks left empty vanish.
    let ranks: Vec<Vec<Vec<u32>>> = prefs
        .iter()
        .map(|p| {
            p.ranks
                .iter()
                .map(|r| {
                    r.iter()
                        .copied()
                        .filter(|&c| status[c as usize] != Status::Withdrawn)
                        .collect::<Vec<u32>>()
                })
                .filter(|r| !r.is_empty())
                .collect()
        })
        .collect();
    let unit = if options.papers == Papers::Fraction { FRACTION_UNIT } else { 1 };
    let mut k = Count {
        candidates,
        ranks,
        status,
        votes: vec![Q::ZERO; n],
        nontransferable: Q::ZERO,
        parcels: vec![vec![Vec::new()]; n],
        history: Vec::new(),
        stages: Vec::new(),
        unit,
    };
    // First count; papers without a clear first preference are invalid.
    let mut valid: u128 = 0;
    let mut first = vec![0u128; n];
    for (b, p) in prefs.iter().enumerate() {
        if let Some((at, c)) = next_preference(&k.ranks[b], 0, &k.status) {
            let ballot = u32::try_from(b).map_err(|_| StvError::Overflow)?;
            k.parcels[c][0].push(Entry { ballot, count: p.count, at, value: Q::int(1) });
            first[c] += u128::from(p.count);
            valid += u128::from(p.count);
        }
    }
    k.votes = first.into_iter().map(Q::int).collect();
    let seats_plus = u128::try_from(seats).map_err(|_| StvError::Overflow)?.saturating_add(1);
    let quota_n = valid / seats_plus + 1;
    let quota = Q::int(quota_n);
    let quota_units =
        u64::try_from(quota_n).ok().and_then(|q| q.checked_mul(unit)).ok_or(StvError::Overflow)?;
    k.stage(Action::FirstCount);
    k.history.push(k.votes.clone());
    let mut elected: Vec<usize> = Vec::new();
    // Elected candidates whose surplus has not been transferred.
    let mut pending: Vec<usize> = Vec::new();
    loop {
        let mut reached: Vec<usize> =
            k.continuing().into_iter().filter(|&c| k.votes[c] >= quota).collect();
        k.order(&mut reached, tiebreak, true);
        for c in reached {
            k.status[c] = Status::Elected;
            elected.push(c);
            pending.push(c);
            k.stage(Action::Elect(c));
        }
        if elected.len() >= seats {
            break;
        }
        let left = seats - elected.len();
        let mut cont = k.continuing();
        if cont.len() <= left {
            k.order(&mut cont, tiebreak, true);
            for c in cont {
                k.status[c] = Status::Elected;
                elected.push(c);
                k.stage(Action::ElectRemaining(c));
            }
            break;
        }
        pending.retain(|&c| k.votes[c] > quota);
        let mut surpluses = Q::ZERO;
        for &c in &pending {
            surpluses = surpluses.add(k.votes[c].sub(quota)?)?;
        }
        // One vacancy left: a candidate with more votes than all the others together and the
        // surpluses is elected.
        if left == 1 {
            let mut all = surpluses;
            for &c in &cont {
                all = all.add(k.votes[c])?;
            }
            let mut winner = None;
            for &c in &cont {
                let others = all.sub(k.votes[c])?;
                if k.votes[c] > others {
                    winner = Some(c);
                }
            }
            if let Some(c) = winner {
                k.status[c] = Status::Elected;
                elected.push(c);
                k.stage(Action::ElectLastVacancy(c));
                break;
            }
        }
        let mut transfer = !pending.is_empty();
        if transfer && options.defer_surpluses {
            let mut low: Vec<Q> = cont.iter().map(|&c| k.votes[c]).collect();
            low.sort();
            if low.len() >= 2 && surpluses < low[1].sub(low[0])? {
                transfer = false;
            }
        }
        if transfer {
            let mut order = pending.clone();
            k.order(&mut order, tiebreak, true);
            let e = order[0];
            pending.retain(|&c| c != e);
            k.transfer_surplus(e, quota, options.papers, tiebreak)?;
        } else {
            // Untransferred surpluses count with the lowest candidates' votes.
            let untransferred = if transfer { Q::ZERO } else { surpluses };
            cont.sort_by(|&a, &b| k.votes[a].cmp(&k.votes[b]).then(a.cmp(&b)));
            let mut out: Vec<usize> = Vec::new();
            if options.multiple_exclusion {
                let mut total = untransferred;
                let mut best = 0;
                for j in 1..=cont.len() - left {
                    total = total.add(k.votes[cont[j - 1]])?;
                    if j < cont.len() && total < k.votes[cont[j]] {
                        best = j;
                    }
                }
                if best >= 2 {
                    out = cont[..best].to_vec();
                }
            }
            if out.is_empty() {
                let low = k.votes[cont[0]];
                let mut lowest: Vec<usize> =
                    cont.iter().copied().filter(|&c| k.votes[c] == low).collect();
                k.order(&mut lowest, tiebreak, false);
                out.push(lowest[0]);
            }
            k.exclude(&out)?;
        }
        k.history.push(k.votes.clone());
    }
    Ok(StvCount {
        candidates: candidates.to_vec(),
        seats,
        quota: quota_units,
        unit,
        elected,
        stages: k.stages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballots::{BallotSetBuilder, Mark};
    use crate::stv::CandidateOrder;

    /// Ballots from `(count, ranking)` with candidate numbers from 1; `0` in a ranking puts the
    /// next candidate at the same rank as the previous one (an equal preference).
    fn set(lines: &[(u64, &[u32])]) -> BallotSet {
        let mut b = BallotSetBuilder::new();
        for &(count, ranking) in lines {
            let mut marks = Vec::new();
            let mut rank = 0;
            let mut equal = false;
            for &c in ranking {
                if c == 0 {
                    equal = true;
                    continue;
                }
                if !equal {
                    rank += 1;
                }
                equal = false;
                marks.push(Mark { rank, label: b.label(&c.to_string()) });
            }
            b.add(&marks, count, 0, 0);
        }
        b.build()
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("C{}", i + 1)).collect()
    }

    fn run(lines: &[(u64, &[u32])], n: usize, seats: usize, options: IrishOptions) -> StvCount {
        let mut t = CandidateOrder::default();
        count(&set(lines), &names(n), &[], seats, &options, &mut t).expect("count")
    }

    /// Votes after the first stage with `action`.
    fn after(c: &StvCount, action: Action) -> Vec<u64> {
        c.stages.iter().find(|s| s.action == action).expect("stage").votes.clone()
    }

    #[test]
    fn quota_counts_valid_papers_only() {
        // 10 valid papers, 2 seats: ⌊10 ÷ 3⌋ + 1 = 4. The 5 papers with equal first
        // preferences and the 2 blank ones are invalid.
        let c = run(
            &[(6, &[1, 2]), (4, &[2]), (5, &[1, 0, 2]), (2, &[])],
            3,
            2,
            IrishOptions::default(),
        );
        assert_eq!((c.quota, c.unit), (4, 1));
        assert_eq!(c.stages[0].votes, vec![6, 4, 0]);
        let c = run(&[(100, &[1]), (1, &[2])], 2, 1, IrishOptions::default());
        assert_eq!(c.quota, 51);
        assert_eq!(c.elected, vec![0]);
    }

    #[test]
    fn first_count_surplus_splits_by_largest_remainder() {
        // 3 seats among 5; 40 papers, quota 11. C1 has 20: surplus 9 from all 20 papers, of which
        // 18 transfer: 7 to C2, 6 to C3, 5 to C4 (2 say nothing more). Shares 9 × 7/18 = 3.5,
        // 9 × 6/18 = 3, 9 × 5/18 = 2.5: integer parts 3 + 3 + 2, the one vote left to the
        // largest remainder, a tie of C2 and C4 at 0.5 settled by the larger sub-parcel (C2).
        let lines: &[(u64, &[u32])] = &[
            (7, &[1, 2]),
            (6, &[1, 3]),
            (5, &[1, 4]),
            (2, &[1]),
            (8, &[5]),
            (4, &[2]),
            (4, &[3]),
            (4, &[4]),
        ];
        let c = run(lines, 5, 3, IrishOptions::default());
        assert_eq!(c.quota, 11);
        let v = after(&c, Action::TransferSurplus(0, 9));
        assert_eq!(v, vec![11, 8, 7, 6, 8]);
        // 9 moved of 9: nothing non-transferable.
        let s = c.stages.iter().find(|s| s.action == Action::TransferSurplus(0, 9)).unwrap();
        assert_eq!(s.nontransferable, 0);
    }

    #[test]
    fn later_surplus_examines_the_last_parcel_and_moves_the_last_papers() {
        // 2 seats, 30 papers, quota 11. C1 10, C2 9, C3 6, C4 5. C4 is excluded: 5 papers to C1
        // (4 then 1 in file order), C1 reaches 15, surplus 4. Only the last parcel (C4's 5
        // papers) is examined: 4 go on to C2 and 1 to C3, 5 transferable > surplus 4, so
        // C2 gets ⌊4 × 4/5⌋ = 3 (remainder 0.2), C3 ⌊4 × 1/5⌋ = 0 (0.8) + 1. The papers
        // moved are the last filed: C3's one paper, C2's last 3 of 4.
        let lines: &[(u64, &[u32])] =
            &[(10, &[1, 3]), (9, &[2]), (6, &[3]), (4, &[4, 1, 2]), (1, &[4, 1, 3])];
        let c = run(lines, 4, 2, IrishOptions::default());
        assert_eq!(c.quota, 11);
        assert_eq!(after(&c, Action::TransferExcluded(3)), vec![15, 9, 6, 0]);
        assert_eq!(after(&c, Action::TransferSurplus(0, 4)), vec![11, 12, 7, 0]);
        assert_eq!(c.elected, vec![0, 1]);
        // The whole parcel at 4/5 with --irish-papers fraction: C2 3.2, C3 0.8.
        let f =
            run(lines, 4, 2, IrishOptions { papers: Papers::Fraction, ..IrishOptions::default() });
        let v = after(&f, Action::TransferSurplus(0, 4 * FRACTION_UNIT));
        assert_eq!(v, vec![11 * FRACTION_UNIT, 1_220_000, 680_000, 0]);
    }

    #[test]
    fn lowest_candidates_are_excluded_together() {
        // 1 seat. C4 1, C5 2, C3 4 < C2 10: C4 + C5 = 3 < 4 and C4 + C5 + C3 = 7 < 10, so all
        // three go in one count; C1 then has 12 + 7 and is elected.
        let lines: &[(u64, &[u32])] =
            &[(12, &[1]), (10, &[2]), (4, &[3, 1]), (1, &[4, 1]), (2, &[5, 1])];
        let c = run(lines, 5, 1, IrishOptions::default());
        let kinds: Vec<Action> = c.stages.iter().map(|s| s.action).collect();
        assert_eq!(
            kinds,
            vec![
                Action::FirstCount,
                Action::Exclude(3),
                Action::Exclude(4),
                Action::Exclude(2),
                Action::TransferExcludedTogether(3),
                Action::Elect(0),
            ]
        );
        assert_eq!(c.stages[4].votes, vec![19, 10, 0, 0, 0]);
        // Without multiple exclusion: one at a time; C1 reaches the quota (15) when C5 goes.
        let one = IrishOptions { multiple_exclusion: false, ..IrishOptions::default() };
        let c = run(lines, 5, 1, one);
        let excluded: Vec<Action> = c
            .stages
            .iter()
            .map(|s| s.action)
            .filter(|a| matches!(a, Action::TransferExcluded(_)))
            .collect();
        assert_eq!(excluded, vec![Action::TransferExcluded(3), Action::TransferExcluded(4)]);
        assert_eq!(c.elected, vec![0]);
    }

    #[test]
    fn last_vacancy_and_ties() {
        // 2 seats, 21 papers, quota 8. C1 is elected with 12, a surplus of 4 that no paper can
        // carry on. C2's 7 exceed C3 + C4 + the surplus (1 + 1 + 4): C2 takes the last seat
        // without the quota and without a further count.
        let c = run(&[(12, &[1]), (7, &[2]), (1, &[3]), (1, &[4])], 4, 2, IrishOptions::default());
        assert_eq!(c.quota, 8);
        let kinds: Vec<Action> = c.stages.iter().map(|s| s.action).collect();
        assert_eq!(kinds, vec![Action::FirstCount, Action::Elect(0), Action::ElectLastVacancy(1)]);
        // After C4 goes, C2 and C3 have 3 each; C3 had fewer at the first count, so C3 is
        // excluded (the candidate order alone would exclude C2).
        let lines: &[(u64, &[u32])] =
            &[(6, &[1]), (3, &[2]), (2, &[3, 1]), (1, &[4, 3]), (5, &[5])];
        let one = IrishOptions { multiple_exclusion: false, ..IrishOptions::default() };
        let c = run(lines, 5, 1, one);
        let excluded: Vec<Action> = c
            .stages
            .iter()
            .map(|s| s.action)
            .filter(|a| matches!(a, Action::TransferExcluded(_)))
            .collect();
        assert_eq!(excluded[..2], [Action::TransferExcluded(3), Action::TransferExcluded(2)]);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let o = IrishOptions::default();
        let mut t = CandidateOrder::default();
        assert!(count(&set(&[]), &[], &[], 3, &o, &mut t).is_ok());
        assert!(count(&set(&[(1, &[1])]), &names(1), &[], 0, &o, &mut t).is_ok());
        assert!(count(&set(&[(1, &[7])]), &names(2), &[], 1, &o, &mut t).is_err());
        let c = count(&set(&[(3, &[1, 2]), (2, &[2])]), &names(2), &[0], 1, &o, &mut t).unwrap();
        assert_eq!(c.elected, vec![1]);
        assert_eq!(c.quota, 3);
    }
}
