//! SHANGRLA assertions and assorters (Stark 2020; rla.md §3.1).
//!
//! A reported outcome is reduced to a set of *assertions*, each "the mean of an assorter A
//! over all cards is above ½", with 0 ≤ A(b) ≤ u. The outcome is confirmed when every
//! assertion's null (mean ≤ ½) is rejected at the risk limit.
//!
//! Every assorter here comes from the generic affine recipe: a linear assertion
//! Σ_b g(b) > 0 with g ∈ [−a, c] becomes A(b) = (g(b) + a)/(2a), u = (c + a)/(2a).
//!
//! | assertion | vote for the first | vote for the second | any other ballot | u |
//! |---|---|---|---|---|
//! | [`Assorter::Pairwise`] (plurality, SNTV, approval) | 1 | 0 | ½ | 1 |
//! | [`Assorter::Supermajority`] share f | 1/(2f) | 0 (other candidate) | ½ (no valid vote) | 1/(2f) |
//! | [`Assorter::AboveThreshold`] share t | 1/(2t) | 0 (other valid vote) | ½ (invalid) | 1/(2t) |
//! | [`Assorter::BelowThreshold`] share t | 0 | 1/(2(1−t)) (other valid vote) | ½ (invalid) | 1/(2(1−t)) |
//! | [`Assorter::Divisor`] W_A, L_B | (d(L_B)/d(W_A) + 1)/2 | 0 | ½ | (d(L_B)/d(W_A) + 1)/2 |
//!
//! Approval ballots may mark several candidates: the pairwise assorter is then
//! (1 + [w marked] − [ℓ marked])/2, so a ballot marking both assorts ½.
//!
//! The overstatement assorter for card-level comparison audits (CLCA) is [`Overstatement`].

use crate::stat_error::{StatError, invalid};

/// A ballot as an assorter sees it: the candidates (or parties) it validly marks, and
/// whether it counts as a valid vote in the contest (for supermajority and threshold
/// shares, the denominator is the valid votes). An invalid ballot, an overvote in a
/// vote-for-one contest, or a blank that the law leaves out of the denominator is
/// `valid: false`. A blank that the law counts in the denominator (Spain's *voto en
/// blanco*) is `valid: true` with no marks.
#[derive(Debug, Clone, Copy)]
pub struct Ballot<'a> {
    pub marks: &'a [u32],
    pub valid: bool,
}

/// Reported counts of one contest (or one station): votes per candidate index for ballots
/// with one valid mark, valid ballots that mark no candidate, and invalid ballots. The number
/// of cards is the sum of the three.
#[derive(Debug, Clone, Copy)]
pub struct Tally<'a> {
    pub votes: &'a [u64],
    pub valid_blank: u64,
    pub invalid: u64,
}

impl Tally<'_> {
    /// Cards: every ballot, valid or not.
    pub fn cards(&self) -> u64 {
        self.votes.iter().sum::<u64>() + self.valid_blank + self.invalid
    }
}

/// A divisor sequence d(1), d(2), ... for highest-averages methods. Only ratios of divisors
/// enter an assorter, so Sainte-Laguë may be written 1, 3, 5, ... or 0.5, 1.5, 2.5, ....
#[derive(Debug, Clone, PartialEq)]
pub enum Divisor {
    /// d(k) = k.
    DHondt,
    /// d(k) = 2k − 1.
    SainteLague,
    /// d(1) = `first` (1.4 in Norway and Sweden), d(k) = 2k − 1 after.
    ModifiedSainteLague { first: f64 },
    /// d(k) = 3k − 2 (Denmark's 1, 4, 7, ...).
    Danish,
    /// d(k) = k + 1 (Imperiali).
    Imperiali,
    /// An explicit sequence d(1), d(2), ...; it must be long enough for every seat + 1.
    Custom(Vec<f64>),
}

impl Divisor {
    /// d(k) for k ≥ 1.
    pub fn d(&self, k: u32) -> Result<f64, StatError> {
        if k == 0 {
            return invalid("divisors start at seat 1");
        }
        let k_f = f64::from(k);
        let v = match self {
            Divisor::DHondt => k_f,
            Divisor::SainteLague => 2.0 * k_f - 1.0,
            Divisor::ModifiedSainteLague { first } => {
                if k == 1 {
                    *first
                } else {
                    2.0 * k_f - 1.0
                }
            }
            Divisor::Danish => 3.0 * k_f - 2.0,
            Divisor::Imperiali => k_f + 1.0,
            Divisor::Custom(seq) => match seq.get(k as usize - 1) {
                Some(v) => *v,
                None => return invalid(format!("custom divisor sequence has no entry {k}")),
            },
        };
        if !(v.is_finite() && v >= 0.0) {
            return invalid(format!("divisor d({k}) = {v} is not a non-negative number"));
        }
        Ok(v)
    }
}

/// An assorter: the per-card function whose mean over all cards the assertion claims is
/// above ½.
#[derive(Debug, Clone, PartialEq)]
pub enum Assorter {
    /// `winner` has more votes than `loser`: A = (1 + [w] − [ℓ])/2, u = 1.
    Pairwise { winner: u32, loser: u32 },
    /// `winner` has more than `share` of the valid votes: A = 1/(2f) for a valid vote for w,
    /// 0 for a valid vote for anyone else, ½ for a ballot without exactly one valid vote.
    Supermajority { winner: u32, share: f64 },
    /// `party` has more than `threshold` of the valid votes (an electoral threshold passed).
    AboveThreshold { party: u32, threshold: f64 },
    /// `party` has less than `threshold` of the valid votes (an electoral threshold missed).
    BelowThreshold { party: u32, threshold: f64 },
    /// Highest averages: `winner`'s last seat won (W_A = its seats) beats `loser`'s first
    /// seat lost (L_B = its seats + 1): T_A/d(W_A) > T_B/d(L_B). `d_won` = d(W_A),
    /// `d_lost` = d(L_B).
    Divisor { winner: u32, loser: u32, won: u32, lost: u32, d_won: f64, d_lost: f64 },
}

impl Assorter {
    /// Builds a supermajority assorter; `share` must be in (0, 1).
    pub fn supermajority(winner: u32, share: f64) -> Result<Self, StatError> {
        check_share(share, "supermajority share")?;
        Ok(Assorter::Supermajority { winner, share })
    }

    /// Builds a threshold-passed assorter; `threshold` must be in (0, 1).
    pub fn above_threshold(party: u32, threshold: f64) -> Result<Self, StatError> {
        check_share(threshold, "threshold")?;
        Ok(Assorter::AboveThreshold { party, threshold })
    }

    /// Builds a threshold-missed assorter; `threshold` must be in (0, 1).
    pub fn below_threshold(party: u32, threshold: f64) -> Result<Self, StatError> {
        check_share(threshold, "threshold")?;
        Ok(Assorter::BelowThreshold { party, threshold })
    }

    /// Builds the highest-averages assertion "winner's seat `won` beats loser's seat `lost`".
    /// Returns `Ok(None)` when d(won) = 0 (the seat is won at any vote count, as Adams' first
    /// seat), and an error when d(lost) = 0 (the loser would win that seat at any count).
    pub fn divisor(
        winner: u32,
        loser: u32,
        won: u32,
        lost: u32,
        divisor: &Divisor,
    ) -> Result<Option<Self>, StatError> {
        let d_won = divisor.d(won)?;
        let d_lost = divisor.d(lost)?;
        if d_lost == 0.0 {
            return Err(StatError::OutcomeNotSupported(format!(
                "party {loser} would win seat {lost} at any vote count (d({lost}) = 0)"
            )));
        }
        if d_won == 0.0 {
            return Ok(None);
        }
        Ok(Some(Assorter::Divisor { winner, loser, won, lost, d_won, d_lost }))
    }

    /// The upper bound u of the assorter.
    pub fn upper_bound(&self) -> f64 {
        match self {
            Assorter::Pairwise { .. } => 1.0,
            Assorter::Supermajority { share, .. } => 1.0 / (2.0 * share),
            Assorter::AboveThreshold { threshold, .. } => 1.0 / (2.0 * threshold),
            Assorter::BelowThreshold { threshold, .. } => 1.0 / (2.0 * (1.0 - threshold)),
            Assorter::Divisor { d_won, d_lost, .. } => (d_lost / d_won + 1.0) / 2.0,
        }
    }

    /// A(b) for one ballot.
    pub fn assort(&self, b: Ballot<'_>) -> f64 {
        let has = |c: u32| b.marks.contains(&c);
        match *self {
            Assorter::Pairwise { winner, loser } => {
                if !b.valid {
                    return 0.5;
                }
                (1.0 + f64::from(u8::from(has(winner))) - f64::from(u8::from(has(loser)))) / 2.0
            }
            Assorter::Supermajority { winner, share } => {
                if b.valid && b.marks.len() == 1 {
                    if b.marks[0] == winner { 1.0 / (2.0 * share) } else { 0.0 }
                } else {
                    0.5
                }
            }
            Assorter::AboveThreshold { party, threshold } => {
                if !b.valid {
                    0.5
                } else if has(party) {
                    1.0 / (2.0 * threshold)
                } else {
                    0.0
                }
            }
            Assorter::BelowThreshold { party, threshold } => {
                if !b.valid {
                    0.5
                } else if has(party) {
                    0.0
                } else {
                    1.0 / (2.0 * (1.0 - threshold))
                }
            }
            Assorter::Divisor { winner, loser, d_won, d_lost, .. } => {
                if !b.valid {
                    return 0.5;
                }
                // g = [A]/d(W_A) − [B]/d(L_B); A = (d(L_B)/2)·g + ½.
                let g = f64::from(u8::from(has(winner))) / d_won
                    - f64::from(u8::from(has(loser))) / d_lost;
                d_lost / 2.0 * g + 0.5
            }
        }
    }

    /// Σ A(b) over a reported tally of vote-for-one ballots (one valid mark each, valid
    /// blanks, invalid ballots). For approval tallies use [`Assorter::total_approval`].
    pub fn total(&self, t: &Tally<'_>) -> Result<f64, StatError> {
        let mut sum = 0.0;
        for (c, &v) in t.votes.iter().enumerate() {
            let c = u32::try_from(c)
                .map_err(|_| StatError::InvalidInput("too many candidates".into()))?;
            if v > 0 {
                sum += v as f64 * self.assort(Ballot { marks: &[c], valid: true });
            }
        }
        sum += t.valid_blank as f64 * self.assort(Ballot { marks: &[], valid: true });
        sum += t.invalid as f64 * self.assort(Ballot { marks: &[], valid: false });
        Ok(sum)
    }

    /// The mean of A over the tally's cards.
    pub fn mean(&self, t: &Tally<'_>) -> Result<f64, StatError> {
        let n = t.cards();
        if n == 0 {
            return invalid("a tally with no cards has no assorter mean");
        }
        Ok(self.total(t)? / n as f64)
    }

    /// The assorter margin 2·mean − 1 over the tally's cards (the "diluted margin" in
    /// assorter units: positive iff the assertion holds in the reported counts).
    pub fn margin(&self, t: &Tally<'_>) -> Result<f64, StatError> {
        Ok(2.0 * self.mean(t)? - 1.0)
    }

    /// Pairwise total for an approval contest: `approvals[c]` approvals of candidate c over
    /// `cards` cards: Σ A = (cards + V_w − V_ℓ)/2.
    pub fn total_approval(&self, approvals: &[u64], cards: u64) -> Result<f64, StatError> {
        match *self {
            Assorter::Pairwise { winner, loser } => {
                let w = approvals.get(winner as usize).copied();
                let l = approvals.get(loser as usize).copied();
                match (w, l) {
                    (Some(w), Some(l)) => Ok((cards as f64 + w as f64 - l as f64) / 2.0),
                    _ => invalid("candidate index out of range"),
                }
            }
            _ => invalid("approval totals are defined for pairwise assorters only"),
        }
    }
}

fn check_share(f: f64, what: &str) -> Result<(), StatError> {
    if f.is_finite() && f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        invalid(format!("{what} {f} is not in (0, 1)"))
    }
}

/// Plurality and multi-winner plurality (k seats, vote for up to k) and approval: every
/// reported winner against every reported loser.
pub fn plurality_assertions(winners: &[u32], losers: &[u32]) -> Result<Vec<Assorter>, StatError> {
    for w in winners {
        if losers.contains(w) {
            return invalid(format!("candidate {w} is both a winner and a loser"));
        }
    }
    Ok(winners
        .iter()
        .flat_map(|&w| losers.iter().map(move |&l| Assorter::Pairwise { winner: w, loser: l }))
        .collect())
}

/// How an SNTV candidate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SntvSeat {
    /// Not elected.
    Lost,
    /// Elected on votes, among the open seats.
    Open,
    /// Elected through the quota: replaced a candidate outside the quota group who had more
    /// votes (Iraq's women's quota).
    Quota,
    /// Elected to a seat reserved for the candidate's pool (Iraq's minority seats).
    Reserved,
}

/// One SNTV candidate as the assertion builder needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SntvCandidate {
    /// The candidate index the assorters will name.
    pub id: u32,
    pub votes: u64,
    pub seat: SntvSeat,
    /// Belongs to the quota group (women, for Iraq's quota).
    pub quota_group: bool,
    /// The reserved-seat pool the candidate runs in; `None` for the open contest.
    pub reserved_pool: Option<u32>,
}

/// Why an SNTV assertion is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SntvReason {
    /// Open contest, quota not binding: every winner beats every loser.
    Open,
    /// Quota binding: a winner outside the quota group beats a loser (of either group).
    OpenBinding,
    /// Quota binding: a quota-group winner beats a quota-group loser.
    QuotaGroup,
    /// Reserved pool `pool`: its winner beats its loser.
    Reserved(u32),
}

/// A pairwise SNTV assertion with its reason and its reported margin in votes.
#[derive(Debug, Clone, PartialEq)]
pub struct SntvAssertion {
    pub assorter: Assorter,
    pub reason: SntvReason,
    /// V_w − V_ℓ in the reported counts.
    pub vote_margin: i64,
}

/// SNTV assertions with quota replacements and reserved seats (rla.md §3.1; Iraq 2021).
///
/// What each kind of seat implies:
///
/// * **Reserved pools** are separate contests: each pool's winners against each of the same
///   pool's losers (`Reserved`). Pool candidates take no part in the open contest.
/// * **Open contest, quota not binding** (no `Quota` seat): every winner against every loser
///   (`Open`). Then the true top S is the reported winner set, which already meets the quota.
/// * **Open contest, quota binding** (at least one `Quota` seat; Q = the quota-group
///   winners): the rule elects the top S − Q candidates outside the group and the top Q of
///   the group. Sufficient: each winner outside the group beats every loser of either group
///   (`OpenBinding`: outsiders are ranked right, and the best losing group member does not
///   make the true top S hold more than Q group members, so the quota still decides), and
///   each group winner beats each group loser (`QuotaGroup`). Group winners are *not* asserted
///   against outsiders who lost: the quota, not the votes, elected them.
///
/// Returns `OutcomeNotSupported` if an assertion fails in the reported counts (margin ≤ 0)
/// and `InvalidInput` for a `Quota` seat outside the group, or a `Reserved` seat without a
/// pool.
pub fn sntv_assertions(cands: &[SntvCandidate]) -> Result<Vec<SntvAssertion>, StatError> {
    let mut out = Vec::new();
    for c in cands {
        match (c.seat, c.reserved_pool) {
            (SntvSeat::Reserved, None) => {
                return invalid(format!(
                    "candidate {} holds a reserved seat but runs in no pool",
                    c.id
                ));
            }
            (SntvSeat::Open | SntvSeat::Quota, Some(p)) => {
                return invalid(format!(
                    "candidate {} runs in reserved pool {p} but holds an open or quota seat",
                    c.id
                ));
            }
            (SntvSeat::Quota, None) if !c.quota_group => {
                return invalid(format!(
                    "candidate {} holds a quota seat outside the quota group",
                    c.id
                ));
            }
            _ => {}
        }
    }
    let binding = cands.iter().any(|c| c.seat == SntvSeat::Quota);
    let mut push = |w: &SntvCandidate, l: &SntvCandidate, reason| -> Result<(), StatError> {
        let vote_margin =
            i64::try_from(w.votes).unwrap_or(i64::MAX) - i64::try_from(l.votes).unwrap_or(i64::MAX);
        if vote_margin <= 0 {
            return Err(StatError::OutcomeNotSupported(format!(
                "winner {} ({} votes) does not beat loser {} ({} votes) ({reason:?})",
                w.id, w.votes, l.id, l.votes
            )));
        }
        out.push(SntvAssertion {
            assorter: Assorter::Pairwise { winner: w.id, loser: l.id },
            reason,
            vote_margin,
        });
        Ok(())
    };
    for w in cands.iter().filter(|c| c.seat != SntvSeat::Lost) {
        for l in cands.iter().filter(|c| c.seat == SntvSeat::Lost) {
            match (w.reserved_pool, l.reserved_pool) {
                (Some(pw), Some(pl)) if pw == pl => push(w, l, SntvReason::Reserved(pw))?,
                (None, None) => {
                    if !binding {
                        push(w, l, SntvReason::Open)?;
                    } else if !w.quota_group {
                        push(w, l, SntvReason::OpenBinding)?;
                    } else if l.quota_group {
                        push(w, l, SntvReason::QuotaGroup)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// One highest-averages assertion with the seat numbers it compares and its reported margin.
#[derive(Debug, Clone, PartialEq)]
pub struct DivisorAssertion {
    pub assorter: Assorter,
    /// Assorter mean over the tally's cards and margin 2·mean − 1.
    pub mean: f64,
    pub margin: f64,
}

/// Assertions for a highest-averages allocation (Blom, Everest, Ek, Stark, Stuckey, Teague,
/// Vukcevic 2021): for every party A with s_A ≥ 1 seats and every other eligible party B,
/// T_A/d(s_A) > T_B/d(s_B + 1). With `threshold` (share of valid votes), parties at or above
/// it get an [`Assorter::AboveThreshold`] assertion and those below a
/// [`Assorter::BelowThreshold`] one, and only eligible parties take part in the divisor
/// assertions. `seats[i]` is the reported seats of party i; `tally.votes` its votes.
pub fn divisor_assertions(
    tally: &Tally<'_>,
    seats: &[u32],
    divisor: &Divisor,
    threshold: Option<f64>,
) -> Result<Vec<DivisorAssertion>, StatError> {
    if seats.len() != tally.votes.len() {
        return invalid(format!("{} seat counts for {} parties", seats.len(), tally.votes.len()));
    }
    let n = u32::try_from(seats.len())
        .map_err(|_| StatError::InvalidInput("too many parties".into()))?;
    let mut eligible = vec![true; seats.len()];
    let mut assorters = Vec::new();
    if let Some(t) = threshold {
        let valid: u64 = tally.votes.iter().sum::<u64>() + tally.valid_blank;
        for p in 0..n {
            let v = tally.votes[p as usize];
            // Passed iff v ≥ t·valid; compare exactly enough in f64 for vote counts < 2^53.
            if v as f64 >= t * valid as f64 {
                assorters.push(Assorter::above_threshold(p, t)?);
            } else {
                eligible[p as usize] = false;
                if seats[p as usize] > 0 {
                    return Err(StatError::OutcomeNotSupported(format!(
                        "party {p} is below the threshold but holds seats"
                    )));
                }
                assorters.push(Assorter::below_threshold(p, t)?);
            }
        }
    }
    for a in 0..n {
        if !eligible[a as usize] || seats[a as usize] == 0 {
            continue;
        }
        for b in 0..n {
            if b == a || !eligible[b as usize] {
                continue;
            }
            let lost = seats[b as usize]
                .checked_add(1)
                .ok_or_else(|| StatError::InvalidInput("seat count overflow".into()))?;
            if let Some(x) = Assorter::divisor(a, b, seats[a as usize], lost, divisor)? {
                assorters.push(x);
            }
        }
    }
    assorters
        .into_iter()
        .map(|assorter| {
            let mean = assorter.mean(tally)?;
            Ok(DivisorAssertion { assorter, mean, margin: 2.0 * mean - 1.0 })
        })
        .collect()
}

/// The assorter value of a card's CVR (reported record) in a comparison audit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CvrValue {
    /// The CVR's assorter value.
    Value(f64),
    /// A phantom CVR (a card in the manifest without a CVR): assorts ½.
    Phantom,
}

/// The assorter value of the sampled card's MVR (manual reading).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MvrValue {
    /// The hand reading's assorter value.
    Value(f64),
    /// The card could not be found, is a phantom, or lacks the contest the CVR has: assorts
    /// 0, the worst case.
    Missing,
}

/// The overstatement assorter of CLCA (SHANGRLA): with ω = A(cvr) − A(mvr), assorter upper
/// bound u and reported assorter margin v = 2·Ā_cvr − 1,
/// B = (1 − ω/u)/(2 − v/u), 0 ≤ B ≤ 2/(2 − v/u). The audit tests mean(B) > ½.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overstatement {
    /// The assorter's upper bound u.
    pub u: f64,
    /// The reported assorter margin v.
    pub margin: f64,
}

impl Overstatement {
    /// `u` > 0 and 0 < v < 2u (a positive margin: otherwise the reported outcome fails).
    pub fn new(u: f64, margin: f64) -> Result<Self, StatError> {
        if !(u.is_finite() && u > 0.0) {
            return invalid(format!("assorter upper bound {u} is not positive"));
        }
        if !margin.is_finite() || margin <= 0.0 {
            return Err(StatError::OutcomeNotSupported(format!(
                "assorter margin {margin} is not positive"
            )));
        }
        if margin >= 2.0 * u {
            return invalid(format!("assorter margin {margin} is not below 2u = {}", 2.0 * u));
        }
        Ok(Overstatement { u, margin })
    }

    /// B for an overstatement ω.
    pub fn from_omega(&self, omega: f64) -> f64 {
        (1.0 - omega / self.u) / (2.0 - self.margin / self.u)
    }

    /// B for a CVR and an MVR value (phantom CVR ½, missing MVR 0).
    pub fn assort(&self, cvr: CvrValue, mvr: MvrValue) -> f64 {
        let c = match cvr {
            CvrValue::Value(x) => x,
            CvrValue::Phantom => 0.5,
        };
        let m = match mvr {
            MvrValue::Value(x) => x,
            MvrValue::Missing => 0.0,
        };
        self.from_omega(c - m)
    }

    /// The upper bound of B: 2/(2 − v/u).
    pub fn upper_bound(&self) -> f64 {
        2.0 / (2.0 - self.margin / self.u)
    }

    /// B when CVR and MVR agree: 1/(2 − v/u).
    pub fn no_error(&self) -> f64 {
        1.0 / (2.0 - self.margin / self.u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(votes: &[u64]) -> Tally<'_> {
        Tally { votes, valid_blank: 0, invalid: 0 }
    }

    #[test]
    fn dhondt_worked_example() {
        let a = divisor_assertions(&t(&[10000, 6000, 1500]), &[3, 2, 0], &Divisor::DHondt, None)
            .unwrap();
        let margins: Vec<f64> = a.iter().map(|x| x.margin).collect();
        let want = [
            0.228_571_428_571_428_65,
            0.104_761_904_761_904_61,
            0.114_285_714_285_714_32,
            0.085_714_285_714_285_63,
        ];
        for (m, w) in margins.iter().zip(want) {
            assert!((m - w).abs() < 1e-12, "{m} vs {w}");
        }
    }

    #[test]
    fn sntv_quota_binding() {
        let c = |id, votes, seat, q| SntvCandidate {
            id,
            votes,
            seat,
            quota_group: q,
            reserved_pool: None,
        };
        // 3 seats, 1 woman required: men 100, 90, 80 top; woman 50 replaces man 80.
        let cands = [
            c(0, 100, SntvSeat::Open, false),
            c(1, 90, SntvSeat::Open, false),
            c(2, 80, SntvSeat::Lost, false),
            c(3, 50, SntvSeat::Quota, true),
            c(4, 40, SntvSeat::Lost, true),
        ];
        let a = sntv_assertions(&cands).unwrap();
        // men winners × {2, 4} = 4, woman winner × woman loser = 1.
        assert_eq!(a.len(), 5);
        assert!(a.iter().all(|x| x.vote_margin > 0));
    }
}
