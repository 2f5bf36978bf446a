//! Sample sizes by seeded simulation, where no closed form exists (ballot-polling ALPHA;
//! CLCA with assumed error rates).
//!
//! A *population* is a few assorter values with counts (polling: 1 for the winner, 0 for the
//! loser, ½ for the rest; CLCA: the overstatement assorter's value for no error and each
//! error kind). Each replicate draws cards from it — without replacement (an urn, as the
//! audit draws) or with replacement — and runs the ALPHA test draw by draw until p ≤ α; the
//! replicate's size is that draw's index, or N if the test never crosses (a full hand count).
//! Unlike SHANGRLA's `sample_size`, which bootstraps a whole population of N per replicate
//! and runs the test over all of it, a replicate stops at its crossing: O(size), not O(N).
//!
//! **Randomness, specified.** Replicate r (0-based) uses the ChaCha20 stream (RFC 8439
//! block function, 20 rounds, as `rand`'s `ChaCha20Rng`) keyed by
//! SHA-256("psephos/simulate/v1" ‖ 0x00 ‖ seed ‖ 0x00 ‖ r as 8 little-endian bytes), nonce
//! and counter 0; 64-bit words are two consecutive 32-bit outputs, low word first. A draw
//! from R remaining cards takes the next word w and picks index ⌊w·R/2⁶⁴⌋ (bias < R/2⁶⁴),
//! then walks the categories in the order given. Replicates are independent of each other
//! and of any thread count, so results depend only on (population, test, α, seed, reps).
//!
//! Quantile q of the sizes is the empirical inverse CDF: the ⌈q·reps⌉-th smallest size (so
//! at least a fraction q of replicates stopped by then); the mean is the arithmetic mean.

use rand::rngs::ChaCha20Rng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::alpha::{Estimator, NonnegMean};
use crate::stat_error::{StatError, check_risk_limit, invalid};

/// How the audit draws cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draws {
    WithoutReplacement,
    WithReplacement,
}

/// A simulation's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    /// Risk limit α.
    pub alpha: f64,
    /// Replicates (≥ 1).
    pub reps: u32,
    /// The seed, published with the result.
    pub seed: String,
    /// Stopping probabilities to report (0.7, 0.8, 0.9 by default).
    pub quantiles: Vec<f64>,
}

impl SimSpec {
    pub fn new(alpha: f64, reps: u32, seed: impl Into<String>) -> Self {
        SimSpec { alpha, reps, seed: seed.into(), quantiles: vec![0.7, 0.8, 0.9] }
    }
}

/// What a simulation found.
#[derive(Debug, Clone, PartialEq)]
pub struct SimResult {
    /// (q, size) for each requested stopping probability.
    pub quantiles: Vec<(f64, u64)>,
    /// Mean size over replicates.
    pub mean: f64,
    /// Replicates that never reached the risk limit (size N).
    pub full_hand_counts: u32,
    pub reps: u32,
    pub seed: String,
    /// Every replicate's size, in replicate order.
    pub sizes: Vec<u64>,
}

/// The replicate's ChaCha20 stream (module doc).
pub fn replicate_rng(seed: &str, rep: u64) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"psephos/simulate/v1\0");
    h.update(seed.as_bytes());
    h.update([0u8]);
    h.update(rep.to_le_bytes());
    let key: [u8; 32] = h.finalize().into();
    ChaCha20Rng::from_seed(key)
}

/// Simulated ALPHA sample sizes for a population of `(value, count)` categories.
pub fn alpha_sizes(
    population: &[(f64, u64)],
    test: NonnegMean,
    est: Estimator,
    draws: Draws,
    spec: &SimSpec,
) -> Result<SimResult, StatError> {
    check_risk_limit(spec.alpha)?;
    if spec.reps == 0 {
        return invalid("at least one replicate");
    }
    for &q in &spec.quantiles {
        if !(q.is_finite() && q > 0.0 && q <= 1.0) {
            return invalid(format!("quantile {q} is not in (0, 1]"));
        }
    }
    let n: u64 = population
        .iter()
        .map(|&(_, c)| c)
        .try_fold(0u64, u64::checked_add)
        .ok_or_else(|| StatError::InvalidInput("population size overflows".into()))?;
    if n == 0 {
        return invalid("empty population");
    }
    if let Some(tn) = test.n
        && tn != n
    {
        return invalid(format!("test population N = {tn} but the categories hold {n} cards"));
    }
    // Validate the estimator once.
    test.alpha_stream(est)?;
    let cap = match draws {
        Draws::WithoutReplacement => n,
        // With replacement the audit can go on forever; stop at N (a full count is cheaper).
        Draws::WithReplacement => n,
    };
    let mut sizes = Vec::with_capacity(spec.reps as usize);
    let mut counts: Vec<u64> = Vec::with_capacity(population.len());
    for rep in 0..u64::from(spec.reps) {
        let mut rng = replicate_rng(&spec.seed, rep);
        counts.clear();
        counts.extend(population.iter().map(|&(_, c)| c));
        let mut remaining = n;
        let mut st = test.alpha_stream(est)?;
        let mut size = n;
        for _ in 0..cap {
            let w = rng.next_u64();
            let mut idx = ((u128::from(w) * u128::from(remaining)) >> 64) as u64;
            let mut cat = 0;
            for (i, &c) in counts.iter().enumerate() {
                if idx < c {
                    cat = i;
                    break;
                }
                idx -= c;
            }
            if draws == Draws::WithoutReplacement {
                counts[cat] -= 1;
                remaining -= 1;
            }
            let step = st.push(population[cat].0)?;
            if step.p_j <= spec.alpha {
                size = st.draws();
                break;
            }
        }
        sizes.push(size);
    }
    let mut sorted = sizes.clone();
    sorted.sort_unstable();
    let quantiles = spec
        .quantiles
        .iter()
        .map(|&q| {
            let rank = ((q * f64::from(spec.reps)).ceil() as usize).clamp(1, sorted.len());
            (q, sorted[rank - 1])
        })
        .collect();
    let mean = sizes.iter().map(|&s| s as f64).sum::<f64>() / f64::from(spec.reps);
    Ok(SimResult {
        quantiles,
        mean,
        full_hand_counts: sizes.iter().filter(|&&s| s >= n).count() as u32,
        reps: spec.reps,
        seed: spec.seed.clone(),
        sizes,
    })
}

/// A two-candidate-style ballot-polling population for one pairwise assertion: `winner`
/// ballots assort 1, `loser` ballots 0, `other` (other candidates, blank, invalid) ½.
pub fn polling_population(winner: u64, loser: u64, other: u64) -> Vec<(f64, u64)> {
    vec![(1.0, winner), (0.0, loser), (0.5, other)]
}

/// Ballot-polling ALPHA sizes with SHANGRLA's defaults: shrink_trunc with η₀ = the reported
/// assorter mean, d = 100, f = 0; sampling without replacement from N = winner + loser +
/// other cards.
pub fn polling_sizes(
    winner: u64,
    loser: u64,
    other: u64,
    spec: &SimSpec,
) -> Result<SimResult, StatError> {
    if winner <= loser {
        return Err(StatError::OutcomeNotSupported(format!(
            "winner ({winner}) does not beat loser ({loser})"
        )));
    }
    let pop = polling_population(winner, loser, other);
    let n = winner + loser + other;
    let mean = (winner as f64 + 0.5 * other as f64) / n as f64;
    let test = NonnegMean::new(Some(n), 0.5, 1.0)?;
    let est = Estimator::ShrinkTrunc(crate::alpha::ShrinkTrunc::with_eta0(mean));
    alpha_sizes(&pop, test, est, Draws::WithoutReplacement, spec)
}

/// Assumed CLCA error rates per card: 1- and 2-vote overstatements (o1, o2) and
/// understatements (u1, u2).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ErrorRates {
    pub o1: f64,
    pub o2: f64,
    pub u1: f64,
    pub u2: f64,
}

/// CLCA sizes for a plurality-style assorter (u = 1 unless given) with margin v over N cards,
/// with errors at the given rates (counts rounded to the nearest card), ALPHA with
/// `optimal_comparison` (p₂ = 1e-5), without replacement.
pub fn clca_sizes(
    n: u64,
    margin: f64,
    assorter_u: f64,
    rates: ErrorRates,
    spec: &SimSpec,
) -> Result<SimResult, StatError> {
    let ov = crate::shangrla::Overstatement::new(assorter_u, margin)?;
    let u = assorter_u;
    let count = |r: f64| -> Result<u64, StatError> {
        if !(r.is_finite() && (0.0..=1.0).contains(&r)) {
            return invalid(format!("error rate {r} is not in [0, 1]"));
        }
        Ok((r * n as f64).round() as u64)
    };
    let (o1, o2, u1, u2) = (count(rates.o1)?, count(rates.o2)?, count(rates.u1)?, count(rates.u2)?);
    let errors = o1 + o2 + u1 + u2;
    if errors > n {
        return invalid("error rates add up to more than every card");
    }
    let pop = vec![
        (ov.no_error(), n - errors),
        (ov.from_omega(u / 2.0), o1),
        (ov.from_omega(u), o2),
        (ov.from_omega(-u / 2.0), u1),
        (ov.from_omega(-u), u2),
    ];
    let test = NonnegMean::new(Some(n), 0.5, ov.upper_bound())?;
    alpha_sizes(
        &pop,
        test,
        Estimator::OptimalComparison { p2: 1e-5 },
        Draws::WithoutReplacement,
        spec,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let spec = SimSpec::new(0.05, 20, "314159");
        let a = polling_sizes(52_500, 47_500, 0, &spec).unwrap();
        let b = polling_sizes(52_500, 47_500, 0, &spec).unwrap();
        assert_eq!(a, b);
        // SHANGRLA's median for this case is about 2,700–2,900.
        assert!(a.mean > 1000.0 && a.mean < 6000.0, "{}", a.mean);
        let c = clca_sizes(100_000, 0.02, 1.0, ErrorRates::default(), &spec).unwrap();
        assert_eq!(c.quantiles[0].1, 298);
    }
}
