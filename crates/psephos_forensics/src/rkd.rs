//! Rozenas' resampled kernel-density ("spikes") test (Political Analysis 2017; forensics.md §3.2).
//!
//! 1. **Latent densities.** A mixture of L beta-binomials is fitted to the turnout t | N and,
//!    separately, to the votes v | t, by EM ([`fit_mixture`]). L grows from 1 to 5 and stops at
//!    the first L whose fitted density (the mixture of betas on 1001 points over [0.01, 0.99])
//!    correlates at least 0.99 with that of L − 1; the fit for that L is kept.
//! 2. **Resampling** ([`spikes`]): B times (default 1000), every poll draws a turnout component
//!    with its posterior probability ∝ w_k·BB(t; N, α_k, β_k), p_t ~ Beta(t + α_k, N − t + β_k),
//!    t* ~ Bin(N, p_t); then a vote component ∝ w_k·BB(v; t, …), p_v ~ Beta(v + α_k,
//!    t − v + β_k), v* ~ Bin(t*, p_v); y* = v*/t* (0 when t* = 0).
//! 3. **Spikes.** The density of the shares is R's `density(y, bw = 1e-4, from = 0, to = 1,
//!    n = 1001)`, emulated ([`r_density`]). ymax is the pointwise maximum over the resamples'
//!    densities. Bins are centred on the 1001 grid points, width 0.001, right-closed;
//!    w_b = max(0, observed share of polls in bin b − mean resampled share). The estimate is
//!    **fraud % = 100·Σ_{b: ymax_b < ydens_b} w_b**: the share of polls in excess spikes. It is
//!    an estimate, not a p-value.
//!
//! ## Fitting, as built
//!
//! * **Start** (the spec's): the mixture-of-betas density is fitted by least squares to a
//!   Gaussian KDE of the shares k/n (bandwidth 0.001, from a 20,000-bin histogram) on 1001
//!   points over [0.01, 0.99]. The optimiser is Nelder–Mead over (L − 1 weight logits, log α,
//!   log β per component; the logs clamped to [−3, 6]), run three times from its own result,
//!   itself started from L equal-count groups of the sorted shares (each at its median share,
//!   with the sample's method-of-moments precision, weights 1/L). Deterministic.
//! * **EM.** E-step in log space from beta-binomial log-pmfs; ln Γ(x + j) − ln Γ(x) is tabulated
//!   once per component and iteration as Σ_{i<j} ln(x + i), so no station calls ln Γ. M-step:
//!   weights are mean responsibilities; (log α, log β) of each component maximise the weighted
//!   log-likelihood, written through the survival counts A_j = Σ r_i·1[k_i > j] (likewise for
//!   n − k and n) as Σ_j A_j ln(α + j) + B_j ln(β + j) − C_j ln(α + β + j), so that value,
//!   gradient and Hessian are exact sums over j < max n. The optimiser is a **projected Newton
//!   method** in (log α, log β) on the box [−3, 6]²: a coordinate at a bound whose gradient
//!   points out is held fixed; the Newton direction is used where the Hessian is negative
//!   definite, the gradient otherwise; step halving until the likelihood increases; at most 8
//!   steps per M-step (a generalised EM).
//! * **Stop** (the spec's): EM stops once successive fitted densities correlate at least 0.99
//!   (or the log-likelihood gains less than 1e-8 of itself, or after 200 iterations). From the
//!   least-squares start this is one iteration, so the fit stays close to the KDE fit, as the
//!   package's does: on Canada 2011 the turnout mixture is w 0.634/0.366, α 22.0/9.0,
//!   β 19.3/9.6 against the package's 0.653/0.347, 21.7/8.9, 19.0/9.6. It is not the maximum
//!   likelihood fit (run to convergence, EM moves far from it); the vote mixture differs from
//!   the package's (3 components here, 4 there: Nelder–Mead finds another local optimum).
//!
//! Everything is deterministic: E-steps are computed in fixed chunks and summed in order, and
//! resample b draws from its own ChaCha8 stream (`seed_from_u64(seed)`, stream b), so the
//! result does not depend on the number of threads.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use rand_distr::{Binomial, Distribution, Gamma};
use rayon::prelude::*;

/// Bounds on log α and log β (the package's L-BFGS-B box).
pub const LOG_BOUNDS: (f64, f64) = (-3.0, 6.0);
/// Largest number of mixture components tried.
pub const MAX_COMPONENTS: usize = 5;
/// Model selection: stop growing L once the densities of L and L − 1 correlate this much.
pub const SELECTION_CORRELATION: f64 = 0.99;
/// Kernel bandwidth of the share density.
pub const BANDWIDTH: f64 = 1e-4;
/// Grid points (and bins) over [0, 1].
pub const GRID: usize = 1001;
/// Resamples used by `psephos forensics`.
pub const DEFAULT_RESAMPLES: usize = 1000;
/// Polls with more registered voters than this are left out (they would size the tables).
pub const MAX_REGISTERED: u64 = 1_000_000;

const EM_MAX_ITERATIONS: usize = 200;
const EM_TOLERANCE: f64 = 1e-8;
const NEWTON_STEPS: usize = 8;
const CHUNK: usize = 4096;
/// R's `density()` pads to a power of two of at least 512 points: 1024 for 1001.
const R_POINTS: usize = 1024;

/// One poll: registered voters N, ballots cast t, votes for the party v.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Poll {
    /// Registered voters (N).
    pub registered: u64,
    /// Ballots cast (t).
    pub cast: u64,
    /// Votes for the party (v).
    pub votes: u64,
}

/// One beta-binomial component.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    /// Mixture weight.
    pub weight: f64,
    /// α of the beta.
    pub alpha: f64,
    /// β of the beta.
    pub beta: f64,
}

/// A fitted mixture of beta-binomials.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    /// Components, in the order EM left them.
    pub components: Vec<Component>,
    /// Log-likelihood of the data (binomial coefficients included).
    pub log_likelihood: f64,
    /// EM iterations run for this L.
    pub iterations: usize,
    /// Correlation of this fit's density with that of one component fewer (None for L = 1).
    pub correlation_with_previous: Option<f64>,
}

/// One bin where the observed density exceeds every resample's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlaggedBin {
    /// Bin centre (a grid point k/1000).
    pub centre: f64,
    /// Observed share of polls in the bin.
    pub observed: f64,
    /// Mean resampled share of polls in the bin.
    pub expected: f64,
    /// Observed density at the centre.
    pub density: f64,
    /// Largest resampled density at the centre.
    pub max_resampled: f64,
}

/// The test's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Spikes {
    /// Polls used.
    pub polls: usize,
    /// Polls left out: no ballots cast, more cast than registered, more votes than cast, or
    /// more than [`MAX_REGISTERED`] registered.
    pub excluded: usize,
    /// Resamples drawn.
    pub resamples: usize,
    /// Seed of the ChaCha8 streams.
    pub seed: u64,
    /// 100·Σ w_b over flagged bins: the estimated percentage of polls in excess spikes.
    pub fraud_percent: f64,
    /// Bins where the observed density exceeds the largest resampled one.
    pub flagged: Vec<FlaggedBin>,
    /// The turnout mixture (t | N).
    pub turnout: Mixture,
    /// The vote mixture (v | t).
    pub votes: Mixture,
}

/// Counts as (k, n), kept as indices into the log tables.
type Obs = (u32, u32);

fn usable(polls: &[Poll]) -> Vec<Poll> {
    polls
        .iter()
        .filter(|p| {
            p.cast > 0
                && p.cast <= p.registered
                && p.votes <= p.cast
                && p.registered <= MAX_REGISTERED
        })
        .copied()
        .collect()
}

/// `out[j] = ln Γ(x + j) − ln Γ(x)` for j = 0..=max.
fn rising_log(x: f64, max: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(max + 1);
    let mut acc = 0.0;
    out.push(acc);
    for j in 0..max {
        acc += (x + j as f64).ln();
        out.push(acc);
    }
    out
}

struct Tables {
    log_weight: f64,
    a: Vec<f64>,
    b: Vec<f64>,
    ab: Vec<f64>,
}

impl Tables {
    fn new(c: &Component, max: usize) -> Tables {
        Tables {
            log_weight: c.weight.ln(),
            a: rising_log(c.alpha, max),
            b: rising_log(c.beta, max),
            ab: rising_log(c.alpha + c.beta, max),
        }
    }

    /// ln w + ln BB(k; n) without the binomial coefficient.
    fn log_term(&self, (k, n): Obs) -> f64 {
        let (k, n) = (k as usize, n as usize);
        self.log_weight + self.a[k] + self.b[n - k] - self.ab[n]
    }
}

/// Responsibilities (row-major, one row of L per observation) and the log-likelihood without
/// binomial coefficients.
fn e_step(obs: &[Obs], comps: &[Component], max: usize) -> (Vec<f64>, f64) {
    let tables: Vec<Tables> = comps.iter().map(|c| Tables::new(c, max)).collect();
    let l = comps.len();
    let mut resp = vec![0.0; obs.len() * l];
    let sums: Vec<f64> = resp
        .par_chunks_mut(CHUNK * l)
        .zip(obs.par_chunks(CHUNK))
        .map(|(rows, chunk)| {
            let mut ll = 0.0;
            for (row, &o) in rows.chunks_mut(l).zip(chunk) {
                let mut top = f64::NEG_INFINITY;
                for (r, t) in row.iter_mut().zip(&tables) {
                    *r = t.log_term(o);
                    top = top.max(*r);
                }
                let mut total = 0.0;
                for r in row.iter_mut() {
                    *r = (*r - top).exp();
                    total += *r;
                }
                for r in row.iter_mut() {
                    *r /= total;
                }
                ll += top + total.ln();
            }
            ll
        })
        .collect();
    (resp, sums.iter().sum())
}

/// Survival counts of one component: A_j (k > j), B_j (n − k > j), C_j (n > j).
struct Survival {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Survival {
    fn new(obs: &[Obs], resp: &[f64], l: usize, comp: usize, max: usize) -> Survival {
        let mut a = vec![0.0; max + 1];
        let mut b = vec![0.0; max + 1];
        let mut c = vec![0.0; max + 1];
        for (i, &(k, n)) in obs.iter().enumerate() {
            let r = resp[i * l + comp];
            a[k as usize] += r;
            b[(n - k) as usize] += r;
            c[n as usize] += r;
        }
        // Turn point masses at k into counts of k > j.
        for v in [&mut a, &mut b, &mut c] {
            let mut acc = 0.0;
            for j in (0..v.len()).rev() {
                let here = v[j];
                v[j] = acc;
                acc += here;
            }
            while v.last() == Some(&0.0) {
                v.pop();
            }
        }
        Survival { a, b, c }
    }

    /// Value, gradient and Hessian in (log α, log β).
    fn eval(&self, la: f64, lb: f64) -> (f64, [f64; 2], [f64; 3]) {
        let (al, be) = (la.exp(), lb.exp());
        let s = al + be;
        let (mut v, mut ga, mut gb, mut haa, mut hbb, mut hs) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (j, &w) in self.a.iter().enumerate() {
            let x = al + j as f64;
            v += w * x.ln();
            ga += w / x;
            haa -= w / (x * x);
        }
        for (j, &w) in self.b.iter().enumerate() {
            let x = be + j as f64;
            v += w * x.ln();
            gb += w / x;
            hbb -= w / (x * x);
        }
        let mut gs = 0.0;
        for (j, &w) in self.c.iter().enumerate() {
            let x = s + j as f64;
            v -= w * x.ln();
            gs += w / x;
            hs += w / (x * x);
        }
        let (da, db) = (ga - gs, gb - gs);
        let (daa, dbb, dab) = (haa + hs, hbb + hs, hs);
        (v, [al * da, be * db], [al * al * daa + al * da, al * be * dab, be * be * dbb + be * db])
    }

    fn value(&self, la: f64, lb: f64) -> f64 {
        let (al, be) = (la.exp(), lb.exp());
        let s = al + be;
        let mut v = 0.0;
        for (j, &w) in self.a.iter().enumerate() {
            v += w * (al + j as f64).ln();
        }
        for (j, &w) in self.b.iter().enumerate() {
            v += w * (be + j as f64).ln();
        }
        for (j, &w) in self.c.iter().enumerate() {
            v -= w * (s + j as f64).ln();
        }
        v
    }

    /// Projected Newton ascent from (la, lb) on the box.
    fn maximise(&self, mut la: f64, mut lb: f64) -> (f64, f64) {
        let (lo, hi) = LOG_BOUNDS;
        for _ in 0..NEWTON_STEPS {
            let (v, g, h) = self.eval(la, lb);
            let free = |x: f64, gx: f64| !((x <= lo && gx < 0.0) || (x >= hi && gx > 0.0));
            let (fa, fb) = (free(la, g[0]), free(lb, g[1]));
            let (haa, hab, hbb) = (h[0], h[1], h[2]);
            let d = match (fa, fb) {
                (true, true) => {
                    let det = haa * hbb - hab * hab;
                    if haa < 0.0 && det > 0.0 {
                        [-(hbb * g[0] - hab * g[1]) / det, -(haa * g[1] - hab * g[0]) / det]
                    } else {
                        g
                    }
                }
                (true, false) => [if haa < 0.0 { -g[0] / haa } else { g[0] }, 0.0],
                (false, true) => [0.0, if hbb < 0.0 { -g[1] / hbb } else { g[1] }],
                (false, false) => break,
            };
            if !(d[0].is_finite() && d[1].is_finite()) {
                break;
            }
            let mut t = 1.0;
            let mut moved = false;
            for _ in 0..50 {
                let na = (la + t * d[0]).clamp(lo, hi);
                let nb = (lb + t * d[1]).clamp(lo, hi);
                let nv = self.value(na, nb);
                if nv > v {
                    let step = (na - la).abs() + (nb - lb).abs();
                    la = na;
                    lb = nb;
                    moved = step > 1e-10;
                    break;
                }
                t *= 0.5;
            }
            if !moved {
                break;
            }
        }
        (la, lb)
    }
}

fn clamp_log(x: f64) -> f64 {
    if x.is_finite() { x.ln().clamp(LOG_BOUNDS.0, LOG_BOUNDS.1) } else { LOG_BOUNDS.1 }
}

/// The documented start: L equal-count groups of the sorted shares, each at its median, with
/// the sample's method-of-moments precision.
fn initial(obs: &[Obs], l: usize) -> Vec<Component> {
    let mut shares: Vec<f64> = obs.iter().map(|&(k, n)| f64::from(k) / f64::from(n)).collect();
    shares.sort_by(f64::total_cmp);
    let count = shares.len() as f64;
    let mean = shares.iter().sum::<f64>() / count;
    let var = shares.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / count;
    let binomial = obs
        .iter()
        .map(|&(k, n)| {
            let y = f64::from(k) / f64::from(n);
            y * (1.0 - y) / f64::from(n)
        })
        .sum::<f64>()
        / count;
    let extra = (var - binomial).max(var * 0.1).max(1e-9);
    let precision = (mean * (1.0 - mean) / extra - 1.0).max(1.0);
    (0..l)
        .map(|c| {
            let pos = ((2 * c + 1) * shares.len()) / (2 * l);
            let m = shares.get(pos).copied().unwrap_or(mean).clamp(0.01, 0.99);
            Component {
                weight: 1.0 / l as f64,
                alpha: clamp_log(m * precision).exp(),
                beta: clamp_log((1.0 - m) * precision).exp(),
            }
        })
        .collect()
}

fn em(obs: &[Obs], max: usize, mut comps: Vec<Component>, log_binom: f64) -> Mixture {
    let l = comps.len();
    let mut prev = f64::NEG_INFINITY;
    let mut iterations = 0;
    let mut ll;
    let mut prev_density: Option<Vec<f64>> = None;
    loop {
        let (resp, now) = e_step(obs, &comps, max);
        ll = now;
        if iterations >= EM_MAX_ITERATIONS || (now - prev).abs() <= EM_TOLERANCE * now.abs() {
            break;
        }
        {
            let d = mixture_density(&Mixture {
                components: comps.clone(),
                log_likelihood: 0.0,
                iterations: 0,
                correlation_with_previous: None,
            });
            if let Some(p) = &prev_density
                && correlation(p, &d) >= SELECTION_CORRELATION
            {
                break;
            }
            prev_density = Some(d);
        }
        prev = now;
        iterations += 1;
        let total = obs.len() as f64;
        comps = comps
            .par_iter()
            .enumerate()
            .map(|(c, comp)| {
                let weight: f64 = (0..obs.len()).map(|i| resp[i * l + c]).sum::<f64>() / total;
                if weight <= 0.0 {
                    return Component { weight: f64::MIN_POSITIVE, ..*comp };
                }
                let s = Survival::new(obs, &resp, l, c, max);
                let (la, lb) = s.maximise(comp.alpha.ln(), comp.beta.ln());
                Component { weight, alpha: la.exp(), beta: lb.exp() }
            })
            .collect();
    }
    Mixture {
        components: comps,
        log_likelihood: ll + log_binom,
        iterations,
        correlation_with_previous: None,
    }
}

/// The mixture's beta density on 1001 points over [0.01, 0.99].
pub fn mixture_density(m: &Mixture) -> Vec<f64> {
    let ln_beta = |a: f64, b: f64| {
        statrs::function::gamma::ln_gamma(a) + statrs::function::gamma::ln_gamma(b)
            - statrs::function::gamma::ln_gamma(a + b)
    };
    let consts: Vec<f64> = m.components.iter().map(|c| ln_beta(c.alpha, c.beta)).collect();
    (0..GRID)
        .map(|g| {
            let x = 0.01 + 0.98 * g as f64 / (GRID - 1) as f64;
            m.components
                .iter()
                .zip(&consts)
                .map(|(c, k)| {
                    c.weight * ((c.alpha - 1.0) * x.ln() + (c.beta - 1.0) * (-x).ln_1p() - k).exp()
                })
                .sum()
        })
        .collect()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    let r = sxy / (sxx * syy).sqrt();
    if r.is_finite() { r } else { 0.0 }
}

/// Fits the mixture of beta-binomials to counts (k, n), k ≤ n, n ≥ 1, choosing L as the
/// module documentation says. None when no count is usable.
pub fn fit_mixture(counts: &[(u64, u64)]) -> Option<Mixture> {
    let obs: Vec<Obs> = counts
        .iter()
        .filter(|&&(k, n)| n > 0 && k <= n && n <= MAX_REGISTERED)
        .map(|&(k, n)| (k as u32, n as u32))
        .collect();
    fit_obs(&obs)
}

fn fit_obs(obs: &[Obs]) -> Option<Mixture> {
    if obs.is_empty() {
        return None;
    }
    let max = obs.iter().map(|&(_, n)| n as usize).max().unwrap_or(0);
    let log_binom: f64 = obs
        .iter()
        .map(|&(k, n)| {
            use statrs::function::gamma::ln_gamma;
            ln_gamma(f64::from(n) + 1.0)
                - ln_gamma(f64::from(k) + 1.0)
                - ln_gamma(f64::from(n - k) + 1.0)
        })
        .sum();
    let kde = share_kde(obs);
    let start = |l: usize| least_squares_start(&kde, initial(obs, l));
    let mut best = em(obs, max, start(1), log_binom);
    let mut density = mixture_density(&best);
    for l in 2..=MAX_COMPONENTS {
        let mut next = em(obs, max, start(l), log_binom);
        let next_density = mixture_density(&next);
        let r = correlation(&density, &next_density);
        next.correlation_with_previous = Some(r);
        best = next;
        density = next_density;
        if r >= SELECTION_CORRELATION {
            break;
        }
    }
    Some(best)
}

/// Gaussian KDE (bandwidth 0.001) of the shares k/n on the 1001 points of [0.01, 0.99], from
/// a histogram of 20,000 bins over [0, 1].
fn share_kde(obs: &[Obs]) -> Vec<f64> {
    const FINE: usize = 20_000;
    const BW: f64 = 0.001;
    let mut hist = vec![0.0; FINE];
    for &(k, n) in obs {
        let y = f64::from(k) / f64::from(n);
        hist[((y * FINE as f64) as usize).min(FINE - 1)] += 1.0;
    }
    let total = obs.len().max(1) as f64;
    let norm = 1.0 / (total * BW * (2.0 * std::f64::consts::PI).sqrt());
    let reach = (6.0 * BW * FINE as f64) as isize;
    (0..GRID)
        .map(|g| {
            let x = 0.01 + 0.98 * g as f64 / (GRID - 1) as f64;
            let centre = (x * FINE as f64) as isize;
            let mut s = 0.0;
            for j in (centre - reach).max(0)..(centre + reach).min(FINE as isize) {
                let z = ((j as f64 + 0.5) / FINE as f64 - x) / BW;
                s += hist[j as usize] * (-0.5 * z * z).exp();
            }
            s * norm
        })
        .collect()
}

/// The spec's start: the mixture of betas fitted by least squares to the KDE of the shares
/// (1001 points over [0.01, 0.99]) with Nelder–Mead over (weight logits, log α, log β), the
/// logs clamped to the bounds, from `from`.
fn least_squares_start(kde: &[f64], from: Vec<Component>) -> Vec<Component> {
    let l = from.len();
    let decode = |theta: &[f64]| -> Vec<Component> {
        let top = theta[..l - 1].iter().copied().fold(0.0_f64, f64::max);
        let e: Vec<f64> =
            (0..l).map(|c| if c + 1 < l { (theta[c] - top).exp() } else { (-top).exp() }).collect();
        let total: f64 = e.iter().sum();
        (0..l)
            .map(|c| {
                let la = theta[l - 1 + 2 * c].clamp(LOG_BOUNDS.0, LOG_BOUNDS.1);
                let lb = theta[l + 2 * c].clamp(LOG_BOUNDS.0, LOG_BOUNDS.1);
                Component { weight: e[c] / total, alpha: la.exp(), beta: lb.exp() }
            })
            .collect()
    };
    let loss = |theta: &[f64]| -> f64 {
        let m = Mixture {
            components: decode(theta),
            log_likelihood: 0.0,
            iterations: 0,
            correlation_with_previous: None,
        };
        let d = mixture_density(&m);
        let v: f64 = d.iter().zip(kde).map(|(a, b)| (a - b).powi(2)).sum();
        if v.is_finite() { v } else { f64::MAX }
    };
    let mut x0 = vec![0.0; l - 1];
    for c in &from {
        x0.push(c.alpha.ln());
        x0.push(c.beta.ln());
    }
    // Two restarts from the best point with a fresh simplex: Nelder–Mead stalls otherwise.
    let mut best = x0;
    for _ in 0..3 {
        best = nelder_mead(&loss, best, 0.5, 400 * (3 * l));
    }
    decode(&best)
}

/// Nelder–Mead (standard coefficients 1, 2, 0.5, 0.5) from x0 with an axis simplex of `step`.
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: Vec<f64>, step: f64, max_evals: usize) -> Vec<f64> {
    let dim = x0.len();
    if dim == 0 {
        return x0;
    }
    let mut pts: Vec<(f64, Vec<f64>)> = Vec::with_capacity(dim + 1);
    pts.push((f(&x0), x0.clone()));
    for i in 0..dim {
        let mut x = x0.clone();
        x[i] += step;
        pts.push((f(&x), x));
    }
    let mut evals = dim + 1;
    while evals < max_evals {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (best, worst) = (pts[0].0, pts[dim].0);
        if (worst - best).abs() <= 1e-12 * best.abs().max(1e-300) {
            break;
        }
        let centroid: Vec<f64> =
            (0..dim).map(|j| pts[..dim].iter().map(|p| p.1[j]).sum::<f64>() / dim as f64).collect();
        let along = |t: f64| -> Vec<f64> {
            centroid.iter().zip(&pts[dim].1).map(|(c, w)| c + t * (w - c)).collect()
        };
        let xr = along(-1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < pts[0].0 {
            let xe = along(-2.0);
            let fe = f(&xe);
            evals += 1;
            pts[dim] = if fe < fr { (fe, xe) } else { (fr, xr) };
        } else if fr < pts[dim - 1].0 {
            pts[dim] = (fr, xr);
        } else {
            let xc = if fr < worst { along(-0.5) } else { along(0.5) };
            let fc = f(&xc);
            evals += 1;
            if fc < fr.min(worst) {
                pts[dim] = (fc, xc);
            } else {
                let x_best = pts[0].1.clone();
                for p in pts.iter_mut().skip(1) {
                    let x: Vec<f64> =
                        x_best.iter().zip(&p.1).map(|(b, v)| b + 0.5 * (v - b)).collect();
                    *p = (f(&x), x);
                    evals += 1;
                }
            }
        }
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.swap_remove(0).1
}

/// R's `density(y, bw = 1e-4, from = 0, to = 1, n = 1001)` (R ≥ 3.4): linear binning with
/// weights 1/n onto 1024 points over [−4bw, 1 + 4bw], zero padding to 2048, circular
/// convolution with the Gaussian kernel sampled as R samples it (spacing 2(up − lo)/2047, not
/// the binning spacing), negative values set to 0, and linear interpolation to the 1001 grid
/// points. The convolution is direct: kernel terms beyond 12 bandwidths are below 1e-31 of the
/// centre and are dropped. `binned` holds the binning with unit weights (2048 entries are
/// not needed: the padded half stays 0); `count` is n.
pub fn r_density(binned: &[f64], count: usize) -> Vec<f64> {
    let n = R_POINTS;
    let (lo, up) = (-4.0 * BANDWIDTH, 1.0 + 4.0 * BANDWIDTH);
    let kstep = 2.0 * (up - lo) / (2 * n - 1) as f64;
    let norm = 1.0 / (BANDWIDTH * (2.0 * std::f64::consts::PI).sqrt());
    let reach = ((12.0 * BANDWIDTH) / kstep).floor() as usize;
    let kernel: Vec<f64> = (0..=reach)
        .map(|d| {
            let z = d as f64 * kstep / BANDWIDTH;
            norm * (-0.5 * z * z).exp()
        })
        .collect();
    let weight = 1.0 / count.max(1) as f64;
    let smoothed: Vec<f64> = (0..n)
        .map(|i| {
            let mut s = 0.0;
            for (d, k) in kernel.iter().enumerate() {
                if let Some(y) = binned.get(i + d) {
                    s += y * k;
                }
                if d > 0
                    && let Some(j) = i.checked_sub(d)
                {
                    s += binned[j] * k;
                }
            }
            (s * weight).max(0.0)
        })
        .collect();
    let xdelta = (up - lo) / (n - 1) as f64;
    (0..GRID)
        .map(|g| {
            let x = g as f64 / (GRID - 1) as f64;
            let pos = (x - lo) / xdelta;
            let i = (pos.floor().max(0.0) as usize).min(n - 2);
            let x0 = lo + i as f64 * xdelta;
            let f = (x - x0) / xdelta;
            smoothed[i] + (smoothed[i + 1] - smoothed[i]) * f
        })
        .collect()
}

/// Adds y to R's linear binning (`BinDist`) with unit weight.
fn bin_linear(binned: &mut [f64], y: f64) {
    let n = R_POINTS;
    let lo = -4.0 * BANDWIDTH;
    let xdelta = (1.0 + 8.0 * BANDWIDTH) / (n - 1) as f64;
    let pos = (y - lo) / xdelta;
    let ix = pos.floor();
    let fx = pos - ix;
    if ix >= 0.0 && ix <= (n - 2) as f64 {
        let i = ix as usize;
        binned[i] += 1.0 - fx;
        binned[i + 1] += fx;
    } else if ix == -1.0 {
        binned[0] += fx;
    } else if ix == (n - 1) as f64 {
        binned[n - 1] += 1.0 - fx;
    }
}

/// Index of the bin (centred on k/1000, width 0.001, right-closed) holding v/t, in integers:
/// the smallest b with v/t ≤ (2b + 1)/2000.
fn bin_of(v: u64, t: u64) -> usize {
    if t == 0 {
        return 0;
    }
    let (num, t) = (2000 * v, t);
    if num <= t {
        return 0;
    }
    let b = (num - t).div_ceil(2 * t);
    (b as usize).min(GRID - 1)
}

/// Posterior component probabilities, as cumulative rows.
fn cumulative(obs: &[Obs], m: &Mixture) -> (Vec<f64>, usize) {
    let max = obs.iter().map(|&(_, n)| n as usize).max().unwrap_or(0);
    let (mut resp, _) = e_step(obs, &m.components, max);
    let l = m.components.len();
    for row in resp.chunks_mut(l) {
        let mut acc = 0.0;
        for r in row.iter_mut() {
            acc += *r;
            *r = acc;
        }
    }
    (resp, l)
}

fn pick(row: &[f64], u: f64) -> usize {
    let total = row.last().copied().unwrap_or(1.0);
    row.iter().position(|&c| u * total < c).unwrap_or(row.len().saturating_sub(1))
}

/// p ~ Beta(k + α, n − k + β) as X/(X + Y) with X, Y gamma variates (Marsaglia–Tsang: cheaper
/// than Cheng's beta sampler at these shapes), then Bin(trials, p).
fn draw<R: rand::Rng + ?Sized>(k: u64, n: u64, comp: &Component, rng: &mut R, trials: u64) -> u64 {
    let a = k as f64 + comp.alpha;
    let b = (n - k) as f64 + comp.beta;
    let x = Gamma::new(a, 1.0).map_or(a, |d| d.sample(rng));
    let y = Gamma::new(b, 1.0).map_or(b, |d| d.sample(rng));
    let p = if x + y > 0.0 { x / (x + y) } else { a / (a + b) };
    Binomial::new(trials, p).map_or(0, |d| d.sample(rng))
}

/// The test with mixtures fitted by [`fit_mixture`]. None when no poll is usable.
pub fn spikes(polls: &[Poll], resamples: usize, seed: u64) -> Option<Spikes> {
    let used = usable(polls);
    let turnout: Vec<Obs> = used.iter().map(|p| (p.cast as u32, p.registered as u32)).collect();
    let votes: Vec<Obs> = used.iter().map(|p| (p.votes as u32, p.cast as u32)).collect();
    let t = fit_obs(&turnout)?;
    let v = fit_obs(&votes)?;
    spikes_with(polls, &t, &v, resamples, seed)
}

/// The test with given mixtures (e.g. the R package's published fit). None when no poll is
/// usable or a mixture is empty or invalid.
pub fn spikes_with(
    polls: &[Poll],
    turnout: &Mixture,
    votes: &Mixture,
    resamples: usize,
    seed: u64,
) -> Option<Spikes> {
    let valid = |m: &Mixture| {
        !m.components.is_empty()
            && m.components.iter().all(|c| {
                c.weight.is_finite()
                    && c.weight > 0.0
                    && c.alpha.is_finite()
                    && c.alpha > 0.0
                    && c.beta.is_finite()
                    && c.beta > 0.0
            })
    };
    if !valid(turnout) || !valid(votes) {
        return None;
    }
    let used = usable(polls);
    if used.is_empty() {
        return None;
    }
    let count = used.len();
    let t_obs: Vec<Obs> = used.iter().map(|p| (p.cast as u32, p.registered as u32)).collect();
    let v_obs: Vec<Obs> = used.iter().map(|p| (p.votes as u32, p.cast as u32)).collect();
    let (t_cum, lt) = cumulative(&t_obs, turnout);
    let (v_cum, lv) = cumulative(&v_obs, votes);

    let mut observed_bins = vec![0u64; GRID];
    let mut binned = vec![0.0; R_POINTS];
    for p in &used {
        observed_bins[bin_of(p.votes, p.cast)] += 1;
        bin_linear(&mut binned, p.votes as f64 / p.cast as f64);
    }
    let ydens = r_density(&binned, count);

    let one = |b: usize| -> (Vec<f64>, Vec<u64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(b as u64);
        let mut binned = vec![0.0; R_POINTS];
        let mut bins = vec![0u64; GRID];
        for (i, p) in used.iter().enumerate() {
            let ct = pick(&t_cum[i * lt..(i + 1) * lt], rng.random::<f64>());
            let tc = &turnout.components[ct];
            let ts = draw(p.cast, p.registered, tc, &mut rng, p.registered);
            let cv = pick(&v_cum[i * lv..(i + 1) * lv], rng.random::<f64>());
            let vc = &votes.components[cv];
            let vs = draw(p.votes, p.cast, vc, &mut rng, ts);
            let y = if ts == 0 { 0.0 } else { vs as f64 / ts as f64 };
            bins[bin_of(vs, ts)] += 1;
            bin_linear(&mut binned, y);
        }
        (r_density(&binned, count), bins)
    };
    let (ymax, sums) = (0..resamples).into_par_iter().map(one).reduce(
        || (vec![0.0; GRID], vec![0u64; GRID]),
        |(mut m, mut s), (m2, s2)| {
            for (a, b) in m.iter_mut().zip(&m2) {
                *a = a.max(*b);
            }
            for (a, b) in s.iter_mut().zip(&s2) {
                *a += b;
            }
            (m, s)
        },
    );
    let mut fraud = 0.0;
    let mut flagged = Vec::new();
    let total = count as f64;
    for b in 0..GRID {
        if resamples > 0 && ymax[b] < ydens[b] {
            let observed = observed_bins[b] as f64 / total;
            let expected = sums[b] as f64 / (total * resamples as f64);
            fraud += (observed - expected).max(0.0);
            flagged.push(FlaggedBin {
                centre: b as f64 / (GRID - 1) as f64,
                observed,
                expected,
                density: ydens[b],
                max_resampled: ymax[b],
            });
        }
    }
    Some(Spikes {
        polls: count,
        excluded: polls.len() - count,
        resamples,
        seed,
        fraud_percent: 100.0 * fraud,
        flagged,
        turnout: turnout.clone(),
        votes: votes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_right_closed_and_centred() {
        assert_eq!(bin_of(0, 10), 0);
        assert_eq!(bin_of(1, 2000), 0); // 0.0005 closes bin 0
        assert_eq!(bin_of(3, 2000), 1); // 0.0015 closes bin 1
        assert_eq!(bin_of(1, 2), 500);
        assert_eq!(bin_of(7, 7), GRID - 1);
    }

    #[test]
    fn em_recovers_a_single_beta_binomial() {
        // Deterministic pseudo-data from Beta(20, 30) shares over n = 400.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (x, y) = (Gamma::new(20.0, 1.0).expect("x"), Gamma::new(30.0, 1.0).expect("y"));
        let counts: Vec<(u64, u64)> = (0..4000)
            .map(|_| {
                let (a, b): (f64, f64) = (x.sample(&mut rng), y.sample(&mut rng));
                let p = a / (a + b);
                (Binomial::new(400, p).expect("binomial").sample(&mut rng), 400)
            })
            .collect();
        let m = fit_mixture(&counts).expect("fit");
        let mean: f64 = m.components.iter().map(|c| c.weight * c.alpha / (c.alpha + c.beta)).sum();
        assert!((mean - 0.4).abs() < 0.01, "{m:?}");
    }

    #[test]
    fn r_density_of_a_point_stays_next_to_it() {
        let mut binned = vec![0.0; R_POINTS];
        bin_linear(&mut binned, 0.5);
        assert!((binned.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let d = r_density(&binned, 1);
        for (g, y) in d.iter().enumerate() {
            assert_eq!(*y > 1e-9, (499..=501).contains(&g), "{g} {y}");
        }
    }

    fn synthetic(count: usize) -> Vec<Poll> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        (0..count)
            .map(|i| {
                let registered = 200 + (i as u64 * 37) % 900;
                let cast = Binomial::new(registered, 0.6).map_or(0, |d| d.sample(&mut rng));
                let votes = Binomial::new(cast, 0.45).map_or(0, |d| d.sample(&mut rng));
                Poll { registered, cast, votes }
            })
            .collect()
    }

    #[test]
    fn same_result_on_one_thread_and_on_three() {
        let mut polls = synthetic(3000);
        // Unusable rows are counted, never a panic.
        polls.push(Poll { registered: 10, cast: 11, votes: 0 });
        polls.push(Poll { registered: 10, cast: 5, votes: 6 });
        polls.push(Poll { registered: u64::MAX, cast: 5, votes: 1 });
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| spikes(&polls, 30, 9))
                .expect("result")
        };
        let (one, three) = (run(1), run(3));
        assert_eq!(one, three);
        assert_eq!((one.polls, one.excluded), (3000, 3));
    }

    #[test]
    fn nothing_usable_is_none() {
        assert!(spikes(&[Poll { registered: 10, cast: 0, votes: 0 }], 10, 1).is_none());
    }
}
