//! Minerva and Providence: round-by-round ballot-polling audits (the Athena class;
//! Zagórski, McClearn, Morin, Ottoboni, Vora 2020, arXiv 2008.02315; Broadrick, Vora,
//! Zagórski 2022, arXiv 2210.08717; rla.md §3.2).
//!
//! Everything is pairwise: among the n ballots of a sample that show the reported winner w or
//! the loser ℓ, K counts w. Under the alternative K ~ Bin(n, p) with p = V_w/(V_w + V_ℓ) the
//! reported share; under the null p = ½.
//!
//! * **Minerva** stops at round j when α·Pr_a[K_j ≥ k_j, not stopped before] ≥
//!   Pr_0[K_j ≥ k_j, not stopped before]. The smallest such k is kmin_j.
//! * **Providence** replaces the history by the observed previous count:
//!   σ_j = Pr_0[K_{j−1} = k_{j−1}]·Pr_0[ΔK ≥ k_j − k_{j−1}] /
//!   (Pr_a[K_{j−1} = k_{j−1}]·Pr_a[ΔK ≥ k_j − k_{j−1}]), p = min_j σ_j. Its first round is
//!   Minerva's.
//!
//! **Round sizes as athena (Arlo's Minerva) computes them.** For a stopping probability q,
//! the pairwise first-round size is found by athena's search, which is not "the smallest n":
//! the stopping probability is not monotone in n (kmin moves in integer steps), and athena
//! bisects. Reproduced here exactly: hi = 10,000 (doubled while the stopping probability at
//! hi is below q), lo = 1; repeat c = ⌊(lo + hi)/2⌋; if hi − lo ≤ 1 the answer is hi; if the
//! stopping probability at c is ≤ q then lo = c else hi = c. kmin is searched between
//! ⌊n/2⌋ and Wald's (BRAVO's) kmin ⌈(n·ln(1−m) + ln α)/(ln(1−m) − ln(1+m))⌉, m = 2p − 1.
//! For pairwise margins below 0.015 athena uses a normal approximation instead:
//! ⌈((z_q·√(p(1−p)) − ½·z_{αq})/(p − ½))²⌉ with z_x = Φ⁻¹(1 − x). Each pair's size is then
//! scaled to all ballots, ⌈n·(ballots/(V_w + V_ℓ))⌉, and the contest's size is the maximum
//! over winner–loser pairs (vector MI-01: 600/400/100 + 100 undervotes → 134/166/215).
//!
//! Binomial tails are computed from log-space pmfs; p-values and stopping probabilities are
//! f64 (agreement with scipy to about 1e-12 relative). Minerva's p-value after several
//! rounds convolves distributions directly: O(n²) in the cumulative sample.

use crate::special::{binom_ln_pmf, binom_pmf_vec, norm_ppf, upper_tails};
use crate::stat_error::{StatError, check_risk_limit, invalid};

/// Wald's kmin for n pairwise ballots, margin m = 2p − 1 and risk limit α (capped at n + 1).
fn wald_kmin(n: u64, margin: f64, alpha: f64) -> u64 {
    if margin >= 1.0 {
        return n;
    }
    let k = ((n as f64 * (1.0 - margin).ln() + alpha.ln())
        / ((1.0 - margin).ln() - (1.0 + margin).ln()))
    .ceil();
    if k <= 0.0 { 0 } else { (k as u64).min(n + 1) }
}

/// kmin and the stopping probability of a first round of n pairwise ballots.
pub fn first_round_kmin(n: u64, p: f64, alpha: f64) -> Option<(u64, f64)> {
    let tails_a = upper_tails(&binom_pmf_vec(n, p));
    let tails_0 = upper_tails(&binom_pmf_vec(n, 0.5));
    let right = wald_kmin(n, 2.0 * p - 1.0, alpha).min(n);
    (n / 2..=right)
        .find(|&k| alpha * tails_a[k as usize] >= tails_0[k as usize])
        .map(|k| (k, tails_a[k as usize]))
}

fn check_share(p: f64) -> Result<(), StatError> {
    if p.is_finite() && p > 0.5 && p <= 1.0 {
        Ok(())
    } else {
        invalid(format!("reported pairwise winner share {p} is not in (½, 1]"))
    }
}

fn check_quantile(q: f64) -> Result<(), StatError> {
    if q.is_finite() && q > 0.0 && q < 1.0 {
        Ok(())
    } else {
        invalid(format!("stopping probability {q} is not in (0, 1)"))
    }
}

/// athena's bisection for the smallest-looking n with `stop(n) > q` (see the module doc).
fn athena_search(q: f64, mut stop: impl FnMut(u64) -> f64) -> Result<u64, StatError> {
    let mut hi: u64 = 10_000;
    while stop(hi) < q {
        hi = hi.checked_mul(2).filter(|h| *h <= 1 << 30).ok_or_else(|| {
            StatError::InvalidInput(format!(
                "no round size up to 2^30 reaches stopping probability {q}"
            ))
        })?;
    }
    let mut lo: u64 = 1;
    loop {
        if hi - lo <= 1 {
            return Ok(hi);
        }
        let c = (lo + hi) / 2;
        if stop(c) <= q {
            lo = c;
        } else {
            hi = c;
        }
    }
}

/// Minerva's pairwise first-round size for stopping probability q, as athena computes it.
pub fn pairwise_first_round_size(p: f64, alpha: f64, q: f64) -> Result<u64, StatError> {
    check_risk_limit(alpha)?;
    check_share(p)?;
    check_quantile(q)?;
    let margin = 2.0 * p - 1.0;
    if margin < 0.015 {
        let z_a = norm_ppf(1.0 - q);
        let z_b = norm_ppf(1.0 - alpha * q);
        let n = ((z_a * (p * (1.0 - p)).sqrt() - 0.5 * z_b) / (p - 0.5)).powi(2).ceil();
        return Ok(n as u64);
    }
    athena_search(q, |n| first_round_kmin(n, p, alpha).map_or(0.0, |(_, s)| s))
}

/// A contest's first-round Minerva sizes (in ballots) for each stopping probability in
/// `quantiles`: `votes[c]` reported votes, `winners` the reported winners (all others lose),
/// `ballots` the contest's ballots (cards, including under- and invalid votes). Providence's
/// first round is the same.
pub fn round_sizes(
    votes: &[u64],
    winners: &[usize],
    ballots: u64,
    alpha: f64,
    quantiles: &[f64],
) -> Result<Vec<u64>, StatError> {
    let mut out = vec![0u64; quantiles.len()];
    if winners.iter().any(|&w| w >= votes.len()) {
        return invalid("winner index out of range");
    }
    for &w in winners {
        for (l, &vl) in votes.iter().enumerate() {
            if winners.contains(&l) {
                continue;
            }
            let vw = votes[w];
            let bc = vw + vl;
            if vw <= vl {
                return Err(StatError::OutcomeNotSupported(format!(
                    "winner {w} ({vw} votes) does not beat loser {l} ({vl} votes)"
                )));
            }
            let p = vw as f64 / bc as f64;
            let ratio = ballots as f64 / bc as f64;
            for (i, &q) in quantiles.iter().enumerate() {
                let n = pairwise_first_round_size(p, alpha, q)?;
                let scaled = (n as f64 * ratio).ceil() as u64;
                out[i] = out[i].max(scaled);
            }
        }
    }
    Ok(out)
}

/// Minerva's risk after rounds of cumulative pairwise sizes n_j and winner counts k_j:
/// the minimum over rounds of Pr_0[K_j ≥ k_j, not stopped]/Pr_a[K_j ≥ k_j, not stopped].
/// The audit stops at the first round where it is ≤ α.
pub fn minerva_p_value(p: f64, alpha: f64, rounds: &[(u64, u64)]) -> Result<f64, StatError> {
    check_risk_limit(alpha)?;
    check_share(p)?;
    check_rounds(rounds)?;
    let mut dist_a = vec![1.0];
    let mut dist_0 = vec![1.0];
    let mut prev_n = 0;
    let mut best: f64 = 1.0;
    for &(n, k) in rounds {
        let dn = n - prev_n;
        dist_a = convolve(&dist_a, &binom_pmf_vec(dn, p));
        dist_0 = convolve(&dist_0, &binom_pmf_vec(dn, 0.5));
        let ta = upper_tails(&dist_a);
        let t0 = upper_tails(&dist_0);
        let ratio =
            if ta[k as usize] > 0.0 { t0[k as usize] / ta[k as usize] } else { f64::INFINITY };
        best = best.min(ratio);
        if best <= alpha {
            break;
        }
        // Not stopped: keep only the walks below this round's kmin.
        let kmin = (0..=n as usize).find(|&x| alpha * ta[x] >= t0[x]).unwrap_or(n as usize + 1);
        for v in dist_a.iter_mut().skip(kmin) {
            *v = 0.0;
        }
        for v in dist_0.iter_mut().skip(kmin) {
            *v = 0.0;
        }
        prev_n = n;
    }
    Ok(best.min(1.0))
}

fn check_rounds(rounds: &[(u64, u64)]) -> Result<(), StatError> {
    let mut prev = (0, 0);
    for &(n, k) in rounds {
        if n <= prev.0 || k < prev.1 || k > n || k - prev.1 > n - prev.0 {
            return invalid(format!(
                "round ({n}, {k}) is not a cumulative (ballots, winner ballots) after {prev:?}"
            ));
        }
        prev = (n, k);
    }
    Ok(())
}

fn convolve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, &x) in a.iter().enumerate() {
        if x == 0.0 {
            continue;
        }
        for (j, &y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

fn ln_upper_tail(n: u64, k: u64, p: f64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if k > n {
        return f64::NEG_INFINITY;
    }
    let t = upper_tails(&binom_pmf_vec(n, p))[k as usize];
    t.ln()
}

/// Providence's p-value after rounds of cumulative (pairwise ballots, winner ballots).
pub fn providence_p_value(p: f64, rounds: &[(u64, u64)]) -> Result<f64, StatError> {
    check_share(p)?;
    check_rounds(rounds)?;
    let mut prev = (0u64, 0u64);
    let mut best: f64 = 1.0;
    for &(n, k) in rounds {
        let (dn, dk) = (n - prev.0, k - prev.1);
        let ln_num = binom_ln_pmf(prev.0, prev.1, 0.5) + ln_upper_tail(dn, dk, 0.5);
        let ln_den = binom_ln_pmf(prev.0, prev.1, p) + ln_upper_tail(dn, dk, p);
        let sigma =
            if ln_den == f64::NEG_INFINITY { f64::INFINITY } else { (ln_num - ln_den).exp() };
        best = best.min(sigma);
        prev = (n, k);
    }
    Ok(best.min(1.0))
}

/// Providence's next pairwise round size (new ballots to draw) for stopping probability q,
/// given the cumulative (ballots, winner ballots) observed so far (`None` before round 1,
/// which is Minerva's first round). Uses athena's search (module doc).
pub fn providence_next_round_size(
    p: f64,
    alpha: f64,
    q: f64,
    observed: Option<(u64, u64)>,
) -> Result<u64, StatError> {
    let Some((n0, k0)) = observed else {
        return pairwise_first_round_size(p, alpha, q);
    };
    check_risk_limit(alpha)?;
    check_share(p)?;
    check_quantile(q)?;
    check_rounds(&[(n0, k0)])?;
    // σ ≤ α ⇔ ln Pr_0[ΔK ≥ d] − ln Pr_a[ΔK ≥ d] ≤ ln α − (ln pmf_0 − ln pmf_a)(observed).
    let budget = alpha.ln() - (binom_ln_pmf(n0, k0, 0.5) - binom_ln_pmf(n0, k0, p));
    athena_search(q, |dn| {
        let ta = upper_tails(&binom_pmf_vec(dn, p));
        let t0 = upper_tails(&binom_pmf_vec(dn, 0.5));
        (0..=dn as usize)
            .find(|&d| ta[d] > 0.0 && t0[d].ln() - ta[d].ln() <= budget)
            .map_or(0.0, |d| ta[d])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mi01() {
        let s = round_sizes(&[600, 400, 100], &[0], 1200, 0.1, &[0.7, 0.8, 0.9]).unwrap();
        assert_eq!(s, vec![134, 166, 215]);
    }

    #[test]
    fn providence_first_round_equals_minerva() {
        let a = providence_p_value(0.6, &[(111, 70)]).unwrap();
        let b = minerva_p_value(0.6, 0.1, &[(111, 70)]).unwrap();
        assert!((a - b).abs() < 1e-12);
        assert!(providence_next_round_size(0.6, 0.1, 0.9, Some((111, 60))).unwrap() > 0);
    }
}
