//! BRAVO ballot-polling audits (Lindeman, Stark, Yates 2012): the risk of a sample, the
//! average sample number (ASN), and Mark Lindeman's quantile round sizes as Arlo plans them.
//!
//! A contest is reported vote totals per candidate, the ballots cast (N, undervotes included)
//! and the number of winners: the reported winners are the `winners` candidates with the most
//! votes. Every statistic is taken over every (winner, loser) pair: p-values per pair, sizes
//! as the maximum over pairs. Risk is computed in log space (no overflow for big samples).
//!
//! Floats: p-values and sizes are f64 (Arlo mixes `Decimal` and floats); sizes are ceilings of
//! f64 expressions and match the reference tools exactly on every conformance vector.

use std::fmt;

use statrs::function::beta::beta_reg;
use statrs::function::erf::{erfc, erfc_inv};

/// Why an audit statistic could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditError {
    /// The risk limit must be in (0, 1).
    RiskLimit(f64),
    /// A contest needs at least one winner and one loser.
    WinnersLosers { candidates: usize, winners: usize },
    /// The last winner and the first loser have the same reported votes: only a full hand count
    /// settles the outcome.
    Tie,
    /// A sample or audited count lists a different number of candidates than the contest.
    Candidates { expected: usize, got: usize },
    /// The votes exceed the ballots, or a margin is not positive.
    Inconsistent(String),
    /// A quantile must be in (0, 1).
    Quantile(f64),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RiskLimit(a) => write!(f, "risk limit {a} is not between 0 and 1"),
            Self::WinnersLosers { candidates, winners } => write!(
                f,
                "{winners} winners among {candidates} candidates: an audit needs at least one winner and one loser"
            ),
            Self::Tie => write!(
                f,
                "the last winner and the first loser are tied: only a full hand count decides"
            ),
            Self::Candidates { expected, got } => {
                write!(f, "{got} candidate counts given, the contest has {expected}")
            }
            Self::Inconsistent(m) => write!(f, "{m}"),
            Self::Quantile(q) => write!(f, "quantile {q} is not between 0 and 1"),
        }
    }
}

impl std::error::Error for AuditError {}

/// A plurality contest as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    /// Reported votes per candidate.
    pub votes: Vec<u64>,
    /// Ballots cast (cards), undervotes and invalid ballots included.
    pub ballots: u64,
    /// Number of seats: the `winners` candidates with most votes win.
    pub winners: usize,
}

impl Contest {
    pub fn new(votes: Vec<u64>, ballots: u64, winners: usize) -> Self {
        Self { votes, ballots, winners }
    }

    /// Reported winners (most votes first; equal votes by position) and losers.
    pub fn outcome(&self) -> Result<(Vec<usize>, Vec<usize>), AuditError> {
        let k = self.winners;
        if k == 0 || k >= self.votes.len() {
            return Err(AuditError::WinnersLosers { candidates: self.votes.len(), winners: k });
        }
        let total: u64 = self.votes.iter().sum();
        if total == 0 {
            return Err(AuditError::Inconsistent("the contest has no votes".to_owned()));
        }
        let mut order: Vec<usize> = (0..self.votes.len()).collect();
        order.sort_by(|&a, &b| self.votes[b].cmp(&self.votes[a]).then(a.cmp(&b)));
        if self.votes[order[k - 1]] == self.votes[order[k]] {
            return Err(AuditError::Tie);
        }
        let losers = order.split_off(k);
        Ok((order, losers))
    }

    /// Every (winner, loser) pair.
    pub fn pairs(&self) -> Result<Vec<(usize, usize)>, AuditError> {
        let (w, l) = self.outcome()?;
        Ok(w.iter().flat_map(|&a| l.iter().map(move |&b| (a, b))).collect())
    }

    /// The diluted margin: the smallest winner-loser margin over the ballots.
    pub fn diluted_margin(&self) -> Result<f64, AuditError> {
        let (w, l) = self.outcome()?;
        let last = w.iter().map(|&i| self.votes[i]).min().unwrap_or(0);
        let first = l.iter().map(|&i| self.votes[i]).max().unwrap_or(0);
        if self.ballots == 0 {
            return Err(AuditError::Inconsistent("the contest has no ballots".to_owned()));
        }
        Ok((last - first) as f64 / self.ballots as f64)
    }

    fn check_sample(&self, sample: &[u64]) -> Result<(), AuditError> {
        if sample.len() == self.votes.len() {
            Ok(())
        } else {
            Err(AuditError::Candidates { expected: self.votes.len(), got: sample.len() })
        }
    }
}

pub(crate) fn check_alpha(alpha: f64) -> Result<(), AuditError> {
    if alpha > 0.0 && alpha < 1.0 { Ok(()) } else { Err(AuditError::RiskLimit(alpha)) }
}

/// `a * ln(b)` with `0 * ln(0) = 0`.
fn xlogy(a: f64, b: f64) -> f64 {
    if a == 0.0 { 0.0 } else { a * b.ln() }
}

/// The risk of one pair.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRisk {
    pub winner: usize,
    pub loser: usize,
    /// min(1, 1/T).
    pub p_value: f64,
}

/// ln T of the pair for a sample of `n_w` winner and `n_l` loser ballots:
/// T = (s/½)^n_w · ((1−s)/½)^n_l with s = v_w/(v_w + v_l).
fn ln_t(v_w: u64, v_l: u64, n_w: u64, n_l: u64) -> f64 {
    let s = v_w as f64 / (v_w + v_l) as f64;
    xlogy(n_w as f64, 2.0 * s) + xlogy(n_l as f64, 2.0 - 2.0 * s)
}

/// BRAVO p-values of every (winner, loser) pair for the cumulative sample `sample` (ballots per
/// candidate). `not_found` ballots (sampled but not found) count as a vote for every loser, as
/// Arlo does.
pub fn p_values(
    contest: &Contest,
    sample: &[u64],
    not_found: u64,
) -> Result<Vec<PairRisk>, AuditError> {
    contest.check_sample(sample)?;
    Ok(contest
        .pairs()?
        .into_iter()
        .map(|(w, l)| {
            let lt = ln_t(contest.votes[w], contest.votes[l], sample[w], sample[l] + not_found);
            PairRisk { winner: w, loser: l, p_value: (-lt).exp().min(1.0) }
        })
        .collect())
}

/// The BRAVO p-value of one (winner, loser) pair with reported votes `v_w` > `v_l`, for a
/// sample with `n_w` ballots for the winner and `n_l` for the loser (ballots not found added to
/// `n_l` by the caller): min(1, 1/T), T = (s/½)^n_w · ((1−s)/½)^n_l, s = v_w/(v_w + v_l).
/// For pairs taken from an allocation (SNTV quota seats) rather than from the vote order.
pub fn pair_p_value(v_w: u64, v_l: u64, n_w: u64, n_l: u64) -> Result<f64, AuditError> {
    if v_w <= v_l {
        return Err(AuditError::Inconsistent(format!(
            "winner votes {v_w} must exceed loser votes {v_l}"
        )));
    }
    Ok((-ln_t(v_w, v_l, n_w, n_l)).exp().min(1.0))
}

/// Mark Lindeman's round size ([`quantile_size`]) of one pair given by counts: reported votes
/// `v_w` > `v_l` among `ballots`, and `sample_w`, `sample_l` ballots for them so far; the
/// per-ballot quotient is taken exactly, as [`sample_sizes`] does. Not capped at `ballots`.
pub fn pair_quantile_size(
    alpha: f64,
    v_w: u64,
    v_l: u64,
    ballots: u64,
    sample_w: u64,
    sample_l: u64,
    q: f64,
) -> Result<u64, AuditError> {
    if ballots == 0 || v_w.saturating_add(v_l) > ballots {
        return Err(AuditError::Inconsistent(format!(
            "{} votes for the pair but {ballots} ballots",
            v_w.saturating_add(v_l)
        )));
    }
    let n = ballots as f64;
    let share = Some((v_w + v_l, ballots));
    lindeman(alpha, v_w as f64 / n, v_l as f64 / n, sample_w, sample_l, q, share)
}

/// The contest's risk: the largest pairwise p-value.
pub fn risk(contest: &Contest, sample: &[u64], not_found: u64) -> Result<f64, AuditError> {
    Ok(p_values(contest, sample, not_found)?.iter().map(|p| p.p_value).fold(0.0, f64::max))
}

/// The average sample number of one pair (ballots of all kinds), given the sample so far:
/// ⌈(ln(1/α) − ln T + ln(2s)/2) / (p_w ln(2s) + p_l ln(2 − 2s))⌉, p the shares of all ballots;
/// 0 when T already reached 1/α.
fn pair_asn(alpha: f64, p_w: f64, p_l: f64, lnt: f64) -> u64 {
    let s = p_w / (p_w + p_l);
    let z_w = (2.0 * s).ln();
    let weighted_alpha = (1.0 / alpha).ln() - lnt;
    if weighted_alpha <= 0.0 {
        return 0;
    }
    let denom = p_w * z_w + xlogy(p_l, 2.0 - 2.0 * s);
    let n = ((weighted_alpha + z_w / 2.0) / denom).ceil();
    if n.is_finite() && n > 0.0 { n as u64 } else { 0 }
}

/// Arlo's `expected_prob`: the normal-approximation probability that the audit ends within
/// `asn` ballots, rounded to 2 decimals.
fn asn_prob(alpha: f64, p_w: f64, p_r: f64, sample_w: u64, sample_r: u64, asn: u64) -> f64 {
    let p_wr = p_w + p_r;
    let p_w2 = p_w / p_wr;
    let p_r2 = 1.0 - p_w2;
    let plus = (p_w2 / 0.5).ln();
    let minus = (p_r2 / 0.5).ln();
    let threshold = (1.0 / alpha).ln() - (sample_w as f64 * plus + sample_r as f64 * minus);
    if threshold <= 0.0 {
        return 1.0;
    }
    let n = asn as f64 * p_wr;
    let required = (threshold - minus * n) / (plus - minus);
    let z = (required - n * p_w2) / (n * p_w2 * p_r2).sqrt();
    let prob = normal_cdf(-z);
    if prob.is_finite() { (prob * 100.0).round() / 100.0 } else { 1.0 }
}

/// Φ(x).
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(q).
pub(crate) fn normal_quantile(q: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * q)
}

/// P(X ≤ k) for X ~ Binomial(n, p).
pub(crate) fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    if p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    beta_reg((n - k) as f64, k as f64 + 1.0, 1.0 - p)
}

/// The smallest k with P(X ≤ k) ≥ q, X ~ Binomial(n, p) (scipy's `binom.ppf`).
pub(crate) fn binom_ppf(q: f64, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let guess = nf * p + normal_quantile(q) * (nf * p * (1.0 - p)).sqrt();
    let mut k = if guess.is_finite() { guess.floor().clamp(0.0, nf) as u64 } else { 0 };
    while k < n && binom_cdf(k, n, p) < q {
        k += 1;
    }
    while k > 0 && binom_cdf(k - 1, n, p) >= q {
        k -= 1;
    }
    k
}

/// Mark Lindeman's round size (Arlo `bravo_sample_sizes`): the ballots (of all kinds) to draw so
/// that the audit of one pair ends with probability `q`, given `sample_w` and `sample_r` winner
/// and loser ballots so far; `p_w`, `p_r` are the reported shares of all ballots. A normal
/// approximation, then increased until the binomial (1 − q) quantile of winner ballots meets
/// the threshold. 0 when the sample already confirms the pair.
pub fn quantile_size(
    alpha: f64,
    p_w: f64,
    p_r: f64,
    sample_w: u64,
    sample_r: u64,
    q: f64,
) -> Result<u64, AuditError> {
    lindeman(alpha, p_w, p_r, sample_w, sample_r, q, None)
}

/// [`quantile_size`]; `pair_share` is p_w + p_r as an exact fraction (pairwise votes, ballots)
/// when the shares come from counts, else the f64 sum is divided exactly.
fn lindeman(
    alpha: f64,
    p_w: f64,
    p_r: f64,
    sample_w: u64,
    sample_r: u64,
    q: f64,
    pair_share: Option<(u64, u64)>,
) -> Result<u64, AuditError> {
    check_alpha(alpha)?;
    if !(q > 0.0 && q < 1.0) {
        return Err(AuditError::Quantile(q));
    }
    if !(p_w > p_r && p_r >= 0.0 && p_w + p_r <= 1.0 + 1e-12) {
        return Err(AuditError::Inconsistent(format!(
            "winner share {p_w} must exceed loser share {p_r}"
        )));
    }
    let p_wr = p_w + p_r;
    let p_w2 = p_w / p_wr;
    let p_r2 = 1.0 - p_w2;
    let plus = (p_w2 / 0.5).ln();
    let minus = (p_r2 / 0.5).ln();
    let threshold =
        (1.0 / alpha).ln() - (sample_w as f64 * plus + xlogy(sample_r as f64, 2.0 * p_r2));
    if threshold <= 0.0 {
        return Ok(0);
    }
    if p_r == 0.0 {
        // Every pairwise ballot is the winner's: n ballots give T = 2^n.
        let n = (threshold / plus).ceil();
        return Ok(per_ballot(n as u64, p_wr, pair_share));
    }
    let z = -normal_quantile(q);
    let f = threshold / (plus - minus);
    let g = minus / (plus - minus) + p_w2;
    let base = z * z * p_w2 * p_r2 + 2.0 * f * g;
    let disc = (base * base - 4.0 * g * g * f * f).max(0.0);
    let root = if q > 0.5 { base + disc.sqrt() } else { base - disc.sqrt() };
    // Arlo truncates the root (int()), then lets the binomial check raise it.
    let n0 = (root / (2.0 * g * g)).floor();
    let mut n = if n0.is_finite() && n0 > 0.0 { n0 as u64 } else { 1 };
    loop {
        let k = binom_ppf(1.0 - q, n, p_w2) as f64;
        if k * plus + (n as f64 - k) * minus >= threshold {
            break;
        }
        n += 1;
    }
    Ok(per_ballot(n, p_wr, pair_share))
}

/// ⌈n / p_wr⌉, the quotient taken exactly: of the counts when known (Arlo's decimal shares:
/// 3572 / 0.95 → 3760), else of the double (Arlo's float arguments: 1683 / 0.6799999999999999
/// → 2476).
fn per_ballot(n: u64, p_wr: f64, pair_share: Option<(u64, u64)>) -> u64 {
    match pair_share {
        Some((votes, ballots)) if votes > 0 => {
            (u128::from(n) * u128::from(ballots)).div_ceil(u128::from(votes)) as u64
        }
        _ => ceil_div_exact(n, p_wr),
    }
}

/// ⌈n / d⌉ for a positive double `d`, with the quotient of the exact binary value of `d`
/// (no rounding of the division itself).
fn ceil_div_exact(n: u64, d: f64) -> u64 {
    let bits = d.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, exp) =
        if exp_bits == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp_bits - 1075) };
    if mant == 0 || d <= 0.0 || !d.is_finite() {
        return (n as f64 / d).ceil() as u64;
    }
    // d = mant · 2^exp
    if exp >= 0 {
        match u128::from(mant).checked_shl(exp as u32).filter(|m| m >> 100 == 0) {
            Some(m) => u128::from(n).div_ceil(m) as u64,
            None => u64::from(n > 0),
        }
    } else if -exp <= 60 {
        let num = u128::from(n) << (-exp) as u32;
        num.div_ceil(u128::from(mant)) as u64
    } else {
        (n as f64 / d).ceil() as u64
    }
}

/// BRAVO sizes for the next round.
#[derive(Clone, Debug, PartialEq)]
pub struct Sizes {
    /// Average sample number (ballots), the maximum over pairs.
    pub asn: u64,
    /// Probability of ending within `asn` ballots (Arlo's normal approximation, 2 decimals).
    pub asn_prob: f64,
    /// (q, ballots) for each asked stopping probability, the maximum over pairs.
    pub quantiles: Vec<(f64, u64)>,
}

/// Sizes of the next round (ballots to draw), given the cumulative `sample` per candidate
/// (zeros before round 1): ASN and Lindeman quantile sizes, the maximum over (winner, loser)
/// pairs, none above the ballots.
pub fn sample_sizes(
    alpha: f64,
    contest: &Contest,
    sample: &[u64],
    quantiles: &[f64],
) -> Result<Sizes, AuditError> {
    check_alpha(alpha)?;
    contest.check_sample(sample)?;
    let total: u64 = contest.votes.iter().sum();
    if contest.ballots == 0 || total > contest.ballots.saturating_mul(contest.winners as u64) {
        return Err(AuditError::Inconsistent(format!(
            "{total} votes but {} ballots",
            contest.ballots
        )));
    }
    let n = contest.ballots as f64;
    let mut asn = 0u64;
    let mut asn_prob = 1.0;
    let mut sizes: Vec<(f64, u64)> = quantiles.iter().map(|&q| (q, 0)).collect();
    for (w, l) in contest.pairs()? {
        let p_w = contest.votes[w] as f64 / n;
        let p_l = contest.votes[l] as f64 / n;
        let lt = ln_t(contest.votes[w], contest.votes[l], sample[w], sample[l]);
        let a = pair_asn(alpha, p_w, p_l, lt);
        if a >= asn {
            let prob = asn_prob_or_one(alpha, p_w, p_l, sample[w], sample[l], a);
            if a > asn || prob < asn_prob {
                asn_prob = prob;
            }
            asn = a;
        }
        for (q, size) in &mut sizes {
            let share = Some((contest.votes[w] + contest.votes[l], contest.ballots));
            let s = lindeman(alpha, p_w, p_l, sample[w], sample[l], *q, share)?;
            *size = (*size).max(s);
        }
    }
    for (_, size) in &mut sizes {
        *size = (*size).min(contest.ballots);
    }
    Ok(Sizes { asn: asn.min(contest.ballots), asn_prob, quantiles: sizes })
}

fn asn_prob_or_one(alpha: f64, p_w: f64, p_l: f64, s_w: u64, s_l: u64, asn: u64) -> f64 {
    if asn == 0 { 1.0 } else { asn_prob(alpha, p_w, p_l, s_w, s_l, asn) }
}
