//! Last-digit tests with a calibrated per-station null (forensics.md §3.3).
//!
//! Under the null each station's count is redrawn from Bin(n_i, k_i/n_i) (its own number of
//! trials and rate), so the expected frequency of each last digit is a sum of per-station
//! probabilities, not a uniform 10 %: small counts and rates make some digits likelier. A value
//! cut (e.g. counts of at least 100) applies to the redrawn counts as to the data: a station
//! enters when its count passes the cut, with the null conditioned on passing it. Stations may
//! be selected by anything else (their size, their region), never by the digit.
//!
//! Calibration (tests/calibration.rs): clean Canada 2011 passes (Conservative votes ≥ 100:
//! χ² 4.35, p 0.887; ballots ≥ 100: p 0.36) where a uniform null rejects it (χ² 72), and
//! Russia 2011/2012 ballots issued show an excess of counts ending in 0 or 5 (z 7.5 and 5.3).

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::binomial;

/// One count and the trials it came from (e.g. ballots issued of registered voters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    pub value: u64,
    pub trials: u64,
}

/// The test's result.
#[derive(Clone, Debug, PartialEq)]
pub struct LastDigit {
    /// Stations whose count passed the cut.
    pub stations: u64,
    pub observed: [u64; 10],
    pub expected: [f64; 10],
    /// Pearson's χ² over the ten digits (9 degrees of freedom) and its p-value.
    pub chi2: f64,
    pub p_value: f64,
    /// Counts ending in 0 or 5: observed, expected, z of the difference (Poisson-binomial
    /// variance) and its one-sided p-value (an excess of round numbers).
    pub round_observed: u64,
    pub round_expected: f64,
    pub round_z: f64,
    pub round_p_value: f64,
}

/// The test over `counts`, keeping counts of at least `min_value`. Every station enters the
/// null (a station just below the cut may well be redrawn above it), with the probability of
/// each last digit among redrawn counts that pass the cut; the expected frequencies are then
/// scaled to the number of counts that passed.
pub fn last_digit(counts: &[Count], min_value: u64) -> LastDigit {
    use rayon::prelude::*;
    let mut observed = [0u64; 10];
    for c in counts.iter().filter(|c| c.value <= c.trials && c.value >= min_value) {
        observed[(c.value % 10) as usize] += 1;
    }
    // Per-station digit masses, summed in input order (chunks in order), so the floating-point
    // sum does not depend on the number of threads.
    let per_chunk: Vec<[f64; 10]> = counts
        .par_chunks(4096)
        .map(|chunk| {
            let mut mass = [0f64; 10];
            for c in chunk.iter().filter(|c| c.value <= c.trials) {
                let p = if c.trials == 0 { 0.0 } else { c.value as f64 / c.trials as f64 };
                let (first, pmf) = binomial::window(c.trials, p);
                for (i, &pr) in pmf.iter().enumerate() {
                    let k = first + i as u64;
                    if k >= min_value {
                        mass[(k % 10) as usize] += pr;
                    }
                }
            }
            mass
        })
        .collect();
    let mut mass = [0f64; 10];
    for m in per_chunk {
        for d in 0..10 {
            mass[d] += m[d];
        }
    }
    let stations: u64 = observed.iter().sum();
    let total_mass: f64 = mass.iter().sum();
    let scale = if total_mass > 0.0 { stations as f64 / total_mass } else { 0.0 };
    let expected = mass.map(|m| m * scale);
    let chi2: f64 = (0..10)
        .filter(|&d| expected[d] > 0.0)
        .map(|d| (observed[d] as f64 - expected[d]).powi(2) / expected[d])
        .sum();
    let p_value = ChiSquared::new(9.0).map_or(f64::NAN, |x| x.sf(chi2));
    let round_observed = observed[0] + observed[5];
    let round_expected = expected[0] + expected[5];
    // Round counts among those that pass: a binomial with the null's share of round numbers.
    let share = if total_mass > 0.0 { (mass[0] + mass[5]) / total_mass } else { 0.0 };
    let round_var = stations as f64 * share * (1.0 - share);
    let round_z = if round_var > 0.0 {
        (round_observed as f64 - round_expected) / round_var.sqrt()
    } else {
        0.0
    };
    LastDigit {
        stations,
        observed,
        expected,
        chi2,
        p_value,
        round_observed,
        round_expected,
        round_z,
        round_p_value: crate::normal_sf(round_z),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_counts_expect_nearly_uniform_digits() {
        let counts: Vec<Count> =
            (0..1000).map(|i| Count { value: 5000 + i * 7, trials: 20_000 }).collect();
        let r = last_digit(&counts, 0);
        assert_eq!(r.stations, 1000);
        for e in r.expected {
            assert!((e - 100.0).abs() < 0.5, "{:?}", r.expected);
        }
    }

    #[test]
    fn small_counts_are_not_uniform() {
        // Bin(20, 0.1): k = 2 is likeliest, so digit 2 is expected far above 10 %.
        let r = last_digit(&[Count { value: 2, trials: 20 }], 0);
        assert!(r.expected[2] > 0.25 && r.expected[9] < 0.01, "{:?}", r.expected);
        assert!((r.expected.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
