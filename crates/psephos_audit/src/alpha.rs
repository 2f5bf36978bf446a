//! Risk-measuring functions for the mean of a bounded, non-negative population
//! (SHANGRLA's `NonnegMean`; Stark 2023, "ALPHA"; rla.md §3.2).
//!
//! The null is "the population mean is at most t" (t = ½ for assorters). Draws X_j ∈ [0, u].
//! With S_{j−1} = Σ_{i<j} X_i, the null mean of what remains is
//! μ_j = (N·t − S_{j−1})/(N − j + 1) without replacement and μ_j = t with replacement.
//!
//! * [`NonnegMean::alpha_mart`]: T_j = T_{j−1}·[X_j η_j/μ_j + (u − X_j)(u − η_j)/(u − μ_j)]/u
//!   with η_j from an [`Estimator`] (fixed, shrink-truncate, optimal comparison);
//! * [`NonnegMean::betting_mart`]: T_j = Π(1 + λ(X_i − μ_i)) with a fixed λ;
//! * [`NonnegMean::kaplan_markov`]: Π (t + g)/(X_i + g), and [`NonnegMean::kaplan_wald`].
//!
//! P-values are sequential: p = min(1, 1/max_{k≤j} T_k) is valid at any stopping time.
//! `p_history[j]` is min(1, 1/T_j) at each step (not its running minimum).
//!
//! Edge rules (as SHANGRLA's, rla.md §3.2), applied to the reported T_j (the running product
//! itself is not changed): μ_j > u ⇒ T_j = 0; μ_j ≈ 0 or μ_j ≈ u ⇒ T_j = 1 (|μ_j| ≤ 2ε +
//! 1e-5·|μ_j|, |u − μ_j| ≤ 2ε + 1e-5·|μ_j|); T_j ≈ 0 ⇒ T_j = 1; μ_j < 0 ⇒ T_j = ∞; and
//! once the sample total exceeds N·t the null is impossible, T_j = ∞ (SHANGRLA applies this
//! to the last draw only; here it applies from the draw that makes it so, which changes no
//! p-value: the next μ is negative anyway).
//!
//! Floats: p-values are f64 and agree with SHANGRLA to 1e-12 on the conformance vectors.

use crate::stat_error::{StatError, check_risk_limit, invalid};

const ATOL: f64 = 2.0 * f64::EPSILON;
const RTOL: f64 = 1e-5;

/// Population and null for a [`NonnegMean`] test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonnegMean {
    /// Population size N; `None` when sampling with replacement (N = ∞).
    pub n: Option<u64>,
    /// Null mean t (½ for assorters).
    pub t: f64,
    /// Upper bound u of the values.
    pub u: f64,
}

/// The shrink-truncate estimator of η_j (ALPHA §2.5.2):
/// η_j = min( u(1−ε) − c/√(d+j−1), max( [(d·η₀ + S_{j−1})/(d+j−1) + u·f/σ_j]/(1 + f/σ_j),
/// μ_j(1+ε) + c/√(d+j−1) ) ), ε = f64::EPSILON. σ_j is the sample standard deviation of
/// X_1..X_{j−1} (population form, Welford), with σ_1 = σ_2 = 1 and a floor `minsd`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShrinkTrunc {
    pub eta0: f64,
    /// Weight of the prior guess η₀ (SHANGRLA default 100).
    pub d: f64,
    /// Weight of the pull towards u (default 0).
    pub f: f64,
    /// Truncation slack; `None` = (η₀ − t)/2.
    pub c: Option<f64>,
    /// Floor of σ_j (default 1e-6).
    pub minsd: f64,
}

impl ShrinkTrunc {
    /// SHANGRLA's defaults around a prior guess η₀: d = 100, f = 0, c = (η₀ − t)/2,
    /// minsd = 1e-6.
    pub fn with_eta0(eta0: f64) -> Self {
        ShrinkTrunc { eta0, d: 100.0, f: 0.0, c: None, minsd: 1e-6 }
    }
}

/// How ALPHA picks the alternative η_j.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimator {
    /// A fixed alternative mean η: η_j = (N·η − S_{j−1})/(N − j + 1) without replacement,
    /// η with replacement. With replacement and binary data this is BRAVO.
    Fixed { eta: f64 },
    /// [`ShrinkTrunc`].
    ShrinkTrunc(ShrinkTrunc),
    /// CLCA: η = (1 − u(1 − p₂))/(2 − 2u) + u(1 − p₂) − ½ for the overstatement assorter's
    /// bound u > 1 and an assumed 2-vote overstatement rate p₂ (SHANGRLA uses 1e-5), constant
    /// over the sample.
    OptimalComparison { p2: f64 },
}

/// A p-value and its history.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// Sequential p-value min(1, 1/max_j T_j).
    pub p: f64,
    /// min(1, 1/T_j) after each draw.
    pub p_history: Vec<f64>,
    /// η_j used at each draw (empty for tests without η).
    pub eta: Vec<f64>,
}

fn isclose(a: f64, b: f64, atol: f64, rtol: f64) -> bool {
    (a - b).abs() <= atol + rtol * b.abs()
}

fn p_of(t: f64) -> f64 {
    if t.is_nan() { 1.0 } else { (1.0 / t).min(1.0) }
}

impl NonnegMean {
    /// Checks 0 < t < u and N ≥ 1.
    pub fn new(n: Option<u64>, t: f64, u: f64) -> Result<Self, StatError> {
        if !(u.is_finite() && u > 0.0) {
            return invalid(format!("upper bound u = {u} is not positive"));
        }
        if !(t.is_finite() && t > 0.0 && t < u) {
            return invalid(format!("null mean t = {t} is not in (0, u = {u})"));
        }
        if n == Some(0) {
            return invalid("population size N = 0");
        }
        Ok(NonnegMean { n, t, u })
    }

    fn check_x(&self, x: f64, j: u64) -> Result<(), StatError> {
        if !(x.is_finite() && x >= 0.0 && x <= self.u) {
            return invalid(format!("draw {j}: value {x} is not in [0, u = {}]", self.u));
        }
        if let Some(n) = self.n
            && j > n
        {
            return invalid(format!("draw {j} exceeds the population size {n}"));
        }
        Ok(())
    }

    /// The null mean of the remaining population before draw j (1-based), given the sum of
    /// the previous draws.
    fn mu(&self, j: u64, s_prev: f64) -> f64 {
        match self.n {
            Some(n) => (n as f64 * self.t - s_prev) / (n as f64 - j as f64 + 1.0),
            None => self.t,
        }
    }

    /// The reported T_j after SHANGRLA's edge rules.
    fn reported(&self, raw: f64, m: f64, s_now: f64) -> f64 {
        let mut r = raw;
        if m > self.u {
            r = 0.0;
        }
        if isclose(0.0, m, ATOL, RTOL) {
            r = 1.0;
        }
        if isclose(self.u, m, ATOL, RTOL) {
            r = 1.0;
        }
        if isclose(0.0, r, ATOL, RTOL) {
            r = 1.0;
        }
        if m < 0.0 {
            r = f64::INFINITY;
        }
        if let Some(n) = self.n
            && s_now > n as f64 * self.t
        {
            r = f64::INFINITY;
        }
        r
    }

    /// Starts a streaming ALPHA test (one draw at a time, O(1) per draw); `alpha_mart` and
    /// the simulations use it, so both compute the same numbers.
    pub fn alpha_stream(&self, est: Estimator) -> Result<AlphaStream, StatError> {
        match est {
            Estimator::Fixed { eta } => {
                if !(eta.is_finite() && eta > self.t && eta <= self.u) {
                    return invalid(format!("alternative η = {eta} is not in (t, u]"));
                }
            }
            Estimator::ShrinkTrunc(st) => {
                if !(st.eta0.is_finite() && st.eta0 > self.t && st.eta0 <= self.u) {
                    return invalid(format!("prior η₀ = {} is not in (t, u]", st.eta0));
                }
                if !(st.d.is_finite() && st.d >= 0.0 && st.f.is_finite() && st.f >= 0.0) {
                    return invalid("shrink_trunc needs d ≥ 0 and f ≥ 0");
                }
                if !(st.minsd.is_finite() && st.minsd > 0.0) {
                    return invalid("shrink_trunc needs minsd > 0");
                }
            }
            Estimator::OptimalComparison { p2 } => {
                if !(p2.is_finite() && (0.0..1.0).contains(&p2)) {
                    return invalid(format!("p2 = {p2} is not in [0, 1)"));
                }
                if self.u <= 1.0 {
                    return invalid(format!(
                        "optimal_comparison needs the overstatement bound u > 1, got {}",
                        self.u
                    ));
                }
            }
        }
        Ok(AlphaStream {
            nm: *self,
            est,
            j: 0,
            s: 0.0,
            raw: 1.0,
            t_max: 0.0,
            w_mean: 0.0,
            w_m2: 0.0,
        })
    }

    /// The ALPHA test supermartingale over the draws `x` (in draw order).
    pub fn alpha_mart(&self, x: &[f64], est: Estimator) -> Result<TestResult, StatError> {
        let mut st = self.alpha_stream(est)?;
        let mut p_history = Vec::with_capacity(x.len());
        let mut eta = Vec::with_capacity(x.len());
        for &xi in x {
            let step = st.push(xi)?;
            p_history.push(step.p_j);
            eta.push(step.eta);
        }
        Ok(TestResult { p: st.p_value(), p_history, eta })
    }

    /// The betting martingale with a fixed bet λ: T_j = Π (1 + λ(X_i − μ_i)), with the same
    /// edge rules as ALPHA. λ must be in [0, 1/μ] so that every factor is non-negative;
    /// it is checked against 1/t.
    pub fn betting_mart(&self, x: &[f64], lam: f64) -> Result<TestResult, StatError> {
        if !(lam.is_finite() && lam >= 0.0 && lam <= 1.0 / self.t) {
            return invalid(format!("bet λ = {lam} is not in [0, 1/t]"));
        }
        let mut s = 0.0;
        let mut raw = 1.0;
        let mut t_max: f64 = 0.0;
        let mut p_history = Vec::with_capacity(x.len());
        for (i, &xi) in x.iter().enumerate() {
            let j = i as u64 + 1;
            self.check_x(xi, j)?;
            let m = self.mu(j, s);
            raw *= 1.0 + lam * (xi - m);
            s += xi;
            let r = self.reported(raw, m, s);
            t_max = t_max.max(r);
            p_history.push(p_of(r));
        }
        Ok(TestResult { p: p_of(t_max), p_history, eta: Vec::new() })
    }

    /// SHANGRLA's Kaplan-Markov: p_j = min(1, Π_{i≤j} (t + g)/(X_i + g)), g ≥ 0. The
    /// p-value is the minimum over j when `sequential` (draws in random order), the last one
    /// otherwise. Uses t, not μ_j, as published (conservative without replacement).
    pub fn kaplan_markov(
        &self,
        x: &[f64],
        g: f64,
        sequential: bool,
    ) -> Result<TestResult, StatError> {
        if !(g.is_finite() && g >= 0.0) {
            return invalid(format!("g = {g} is negative"));
        }
        let mut prod = 1.0;
        let mut p_history = Vec::with_capacity(x.len());
        for (i, &xi) in x.iter().enumerate() {
            self.check_x(xi, i as u64 + 1)?;
            prod *= (self.t + g) / (xi + g);
            p_history.push(if prod.is_nan() { 1.0 } else { prod.min(1.0) });
        }
        let p = if sequential {
            p_history.iter().copied().fold(1.0, f64::min)
        } else {
            p_history.last().copied().unwrap_or(1.0)
        };
        Ok(TestResult { p, p_history, eta: Vec::new() })
    }

    /// Kaplan-Wald: T_j = Π ((1 − g)X_i/t + g), g ∈ [0, 1), p = min(1, 1/max T_j).
    pub fn kaplan_wald(&self, x: &[f64], g: f64) -> Result<TestResult, StatError> {
        if !(g.is_finite() && (0.0..1.0).contains(&g)) {
            return invalid(format!("g = {g} is not in [0, 1)"));
        }
        let mut prod = 1.0;
        let mut t_max: f64 = 0.0;
        let mut p_history = Vec::with_capacity(x.len());
        for (i, &xi) in x.iter().enumerate() {
            self.check_x(xi, i as u64 + 1)?;
            prod *= (1.0 - g) * xi / self.t + g;
            t_max = t_max.max(prod);
            p_history.push(p_of(prod));
        }
        Ok(TestResult { p: p_of(t_max), p_history, eta: Vec::new() })
    }

    /// Deterministic sample size (SHANGRLA `sample_size` without replicates): the
    /// hypothesised values `x` are each repeated ⌈N/len⌉ times in order and cut to N, and the
    /// answer is the first j with p_j ≤ α (N if none). Needs a finite N.
    pub fn sample_size_repeated(
        &self,
        x: &[f64],
        est: Estimator,
        alpha: f64,
    ) -> Result<u64, StatError> {
        let Some(n) = self.n else {
            return invalid("a deterministic sample size needs a finite population");
        };
        if x.is_empty() {
            return invalid("no hypothesised values");
        }
        let reps = n.div_ceil(x.len() as u64);
        let pop = x.iter().flat_map(|&v| std::iter::repeat_n(v, reps as usize)).take(n as usize);
        Ok(self.first_crossing(pop, est, alpha)?.unwrap_or(n))
    }

    /// The first j at which p_j ≤ α for the draws `x` in order, or `None`.
    pub fn first_crossing(
        &self,
        x: impl IntoIterator<Item = f64>,
        est: Estimator,
        alpha: f64,
    ) -> Result<Option<u64>, StatError> {
        check_risk_limit(alpha)?;
        let mut st = self.alpha_stream(est)?;
        for xi in x {
            let step = st.push(xi)?;
            if step.p_j <= alpha {
                return Ok(Some(st.draws()));
            }
        }
        Ok(None)
    }
}

/// One ALPHA step's outputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlphaStep {
    /// η_j.
    pub eta: f64,
    /// μ_j.
    pub mu: f64,
    /// min(1, 1/T_j).
    pub p_j: f64,
}

/// A running ALPHA test (see [`NonnegMean::alpha_stream`]).
#[derive(Debug, Clone)]
pub struct AlphaStream {
    nm: NonnegMean,
    est: Estimator,
    j: u64,
    s: f64,
    raw: f64,
    t_max: f64,
    w_mean: f64,
    w_m2: f64,
}

impl AlphaStream {
    /// Draws so far.
    pub fn draws(&self) -> u64 {
        self.j
    }

    /// The sequential p-value so far (1 before any draw).
    pub fn p_value(&self) -> f64 {
        if self.j == 0 { 1.0 } else { p_of(self.t_max) }
    }

    fn eta(&self, j: u64, m: f64) -> f64 {
        let nm = &self.nm;
        let u = nm.u;
        match self.est {
            Estimator::Fixed { eta } => match nm.n {
                Some(n) => (n as f64 * eta - self.s) / (n as f64 - j as f64 + 1.0),
                None => eta,
            },
            Estimator::ShrinkTrunc(st) => {
                let c = st.c.unwrap_or((st.eta0 - nm.t) / 2.0);
                let dj = st.d + j as f64 - 1.0;
                let sd = if j <= 2 {
                    1.0
                } else {
                    // Population sd of the j − 1 previous draws.
                    (self.w_m2 / (j - 1) as f64).sqrt().max(st.minsd)
                };
                let weighted = ((st.d * st.eta0 + self.s) / dj + u * st.f / sd) / (1.0 + st.f / sd);
                let tol = c / dj.sqrt();
                (u * (1.0 - f64::EPSILON) - tol).min(weighted.max(m * (1.0 + f64::EPSILON) + tol))
            }
            Estimator::OptimalComparison { p2 } => {
                (1.0 - u * (1.0 - p2)) / (2.0 - 2.0 * u) + u * (1.0 - p2) - 0.5
            }
        }
    }

    /// Takes draw X_j.
    pub fn push(&mut self, x: f64) -> Result<AlphaStep, StatError> {
        let j = self.j + 1;
        self.nm.check_x(x, j)?;
        let nm = self.nm;
        let u = nm.u;
        let m = nm.mu(j, self.s);
        let eta = self.eta(j, m);
        self.raw *= (x * eta / m + (u - x) * (u - eta) / (u - m)) / u;
        self.s += x;
        self.j = j;
        // Welford update over the draws so far.
        let delta = x - self.w_mean;
        self.w_mean += delta / j as f64;
        self.w_m2 += delta * (x - self.w_mean);
        let r = nm.reported(self.raw, m, self.s);
        if r > self.t_max || r.is_nan() {
            self.t_max = if r.is_nan() { self.t_max } else { r };
        }
        Ok(AlphaStep { eta, mu: m, p_j: p_of(r) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 10] = [1.0, 1.0, 0.0, 1.0, 0.5, 1.0, 1.0, 0.0, 1.0, 1.0];

    #[test]
    fn fixed_with_and_without_replacement() {
        let r = NonnegMean::new(None, 0.5, 1.0)
            .unwrap()
            .alpha_mart(&X, Estimator::Fixed { eta: 0.6 })
            .unwrap();
        assert!((r.p - 0.436_065_073_802_583_64).abs() < 1e-12);
        let r = NonnegMean::new(Some(20), 0.5, 1.0)
            .unwrap()
            .alpha_mart(&X, Estimator::Fixed { eta: 0.6 })
            .unwrap();
        assert!((r.p - 0.213_501_882_732_651_97).abs() < 1e-12, "{}", r.p);
    }

    #[test]
    fn rejects_bad_values() {
        let nm = NonnegMean::new(Some(3), 0.5, 1.0).unwrap();
        assert!(nm.alpha_mart(&[1.5], Estimator::Fixed { eta: 0.6 }).is_err());
        assert!(nm.alpha_mart(&[1.0; 4], Estimator::Fixed { eta: 0.6 }).is_err());
        assert!(NonnegMean::new(None, 1.0, 1.0).is_err());
    }
}
