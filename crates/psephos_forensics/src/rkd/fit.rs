//! Fitting the latent densities: the mixtures of beta-binomials of the parent module, as the
//! package's `est.density` fits them (see the parent module's documentation).

use rand::{SeedableRng, rngs::ChaCha8Rng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::kde::{Kde, POINTS};
use super::{
    Component, GRID, LOG_BOUNDS, MAX_COMPONENTS, Mixture, Obs, SELECTION_CORRELATION, Start,
};

const EM_MAX_ITERATIONS: usize = 200;
const NEWTON_STEPS: usize = 8;
const CHUNK: usize = 4096;
/// R's `optim(method = "L-BFGS-B")` defaults: iterations, memory, and the relative reduction
/// of the objective (factr × machine epsilon) below which it stops.
const LBFGS_ITERATIONS: usize = 100;
const LBFGS_MEMORY: usize = 5;
const LBFGS_FACTR: f64 = 1e7 * f64::EPSILON;

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
/// binomial coefficients. Chunks are fixed and summed in order: the result does not depend on
/// the number of threads.
pub(super) fn e_step(obs: &[Obs], comps: &[Component]) -> (Vec<f64>, f64) {
    let max = obs.iter().map(|&(_, n)| n as usize).max().unwrap_or(0);
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

/// One EM update from `comps` (the package's `em.update`): E-step, weights, then the M-step.
fn em_update(obs: &[Obs], comps: &[Component]) -> (Vec<Component>, f64) {
    let (resp, ll) = e_step(obs, comps);
    let l = comps.len();
    let max = obs.iter().map(|&(_, n)| n as usize).max().unwrap_or(0);
    let total = obs.len() as f64;
    let next = comps
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
    (next, ll)
}

/// EM from a start, as the package runs it: update until two successive fitted densities
/// correlate at least 0.99 (at most [`EM_MAX_ITERATIONS`] updates).
fn em(obs: &[Obs], start: Vec<Component>, grid: &Grid, log_binom: f64) -> Mixture {
    let mut comps = start;
    let mut density = grid.density(&comps);
    let mut iterations = 0;
    loop {
        let (next, _) = em_update(obs, &comps);
        iterations += 1;
        let next_density = grid.density(&next);
        let r = correlation(&density, &next_density);
        comps = next;
        density = next_density;
        if r >= SELECTION_CORRELATION || iterations >= EM_MAX_ITERATIONS {
            break;
        }
    }
    let (_, ll) = e_step(obs, &comps);
    Mixture {
        components: comps,
        log_likelihood: ll + log_binom,
        iterations,
        correlation_with_previous: None,
    }
}

/// The 1001 points over [0.01, 0.99] where densities are compared, with their logs.
pub(super) struct Grid {
    ln_x: Vec<f64>,
    ln_1mx: Vec<f64>,
}

impl Grid {
    pub(super) fn new() -> Grid {
        let x = (0..GRID).map(|g| 0.01 + 0.98 * g as f64 / (GRID - 1) as f64);
        Grid { ln_x: x.clone().map(f64::ln).collect(), ln_1mx: x.map(|x| (-x).ln_1p()).collect() }
    }

    /// The mixture of betas on the grid.
    pub(super) fn density(&self, comps: &[Component]) -> Vec<f64> {
        let mut out = vec![0.0; GRID];
        for c in comps {
            let k = c.weight.ln() - ln_beta(c.alpha, c.beta);
            for ((o, lx), l1x) in out.iter_mut().zip(&self.ln_x).zip(&self.ln_1mx) {
                *o += ((c.alpha - 1.0) * lx + (c.beta - 1.0) * l1x + k).exp();
            }
        }
        out
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

pub(super) fn correlation(x: &[f64], y: &[f64]) -> f64 {
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

/// The package's parameter vector for L components: log α (L), log β (L), then L − 1 weight
/// parameters z (its `y.v`): w_i = (1 + e^−z_i)·w_{i+1}, normalised, so w_1 ≥ … ≥ w_L.
fn decode(theta: &[f64], l: usize) -> Vec<Component> {
    let mut u = vec![1.0; l];
    for i in (0..l.saturating_sub(1)).rev() {
        u[i] = (1.0 + (-theta[2 * l + i]).exp()) * u[i + 1];
    }
    let total: f64 = u.iter().sum();
    (0..l)
        .map(|k| Component {
            weight: u[k] / total,
            alpha: theta[k].exp(),
            beta: theta[l + k].exp(),
        })
        .collect()
}

/// The package's least-squares objective, mean((mixture density − KDE)²) on the grid, and its
/// gradient in the package's parameters.
fn least_squares(theta: &[f64], l: usize, grid: &Grid, kde: &[f64], grad: &mut [f64]) -> f64 {
    let comps = decode(theta, l);
    let n = GRID as f64;
    // Per component: its beta density on the grid (without the weight).
    let mut f = vec![0.0; l * GRID];
    let mut mix = vec![0.0; GRID];
    for (k, c) in comps.iter().enumerate() {
        let lb = ln_beta(c.alpha, c.beta);
        let row = &mut f[k * GRID..(k + 1) * GRID];
        for (g, r) in row.iter_mut().enumerate() {
            *r = ((c.alpha - 1.0) * grid.ln_x[g] + (c.beta - 1.0) * grid.ln_1mx[g] - lb).exp();
            mix[g] += c.weight * *r;
        }
    }
    let resid: Vec<f64> = mix.iter().zip(kde).map(|(m, k)| m - k).collect();
    let value = resid.iter().map(|r| r * r).sum::<f64>() / n;
    grad.iter_mut().for_each(|g| *g = 0.0);
    // Σ_g r_g f_k(x_g), Σ_g r_g f_k ln x, Σ_g r_g f_k ln(1 − x).
    let mut rf = vec![0.0; l];
    for (k, c) in comps.iter().enumerate() {
        let row = &f[k * GRID..(k + 1) * GRID];
        let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for g in 0..GRID {
            let w = resid[g] * row[g];
            s0 += w;
            s1 += w * grid.ln_x[g];
            s2 += w * grid.ln_1mx[g];
        }
        rf[k] = s0;
        let psi_ab = digamma(c.alpha + c.beta);
        // ∂f/∂log α = f·α(ln x − ψ(α) + ψ(α + β)); likewise for β.
        grad[k] = 2.0 / n * c.weight * c.alpha * (s1 - (digamma(c.alpha) - psi_ab) * s0);
        grad[l + k] = 2.0 / n * c.weight * c.beta * (s2 - (digamma(c.beta) - psi_ab) * s0);
    }
    // Weights: ∂w_i/∂z_m = w_i(∂ln u_i/∂z_m − Σ_j w_j ∂ln u_j/∂z_m), ∂ln u_i/∂z_m =
    // [m ≥ i]·(−e^−z_m/(1 + e^−z_m)).
    for m in 0..l.saturating_sub(1) {
        let e = (-theta[2 * l + m]).exp();
        let dlog = -e / (1.0 + e);
        let below: f64 = comps[..=m].iter().map(|c| c.weight).sum();
        let mut gm = 0.0;
        for (i, c) in comps.iter().enumerate() {
            let own = if m >= i { dlog } else { 0.0 };
            gm += c.weight * (own - below * dlog) * rf[i];
        }
        grad[2 * l + m] = 2.0 / n * gm;
    }
    if value.is_finite() { value } else { f64::MAX }
}

/// Box-constrained limited-memory BFGS in the manner of R's `optim(method = "L-BFGS-B")`
/// (memory 5, at most 100 iterations, stop when an iteration reduces the objective by less
/// than factr·ε relatively): the search direction is the two-loop L-BFGS direction on the
/// variables not held at a bound (a variable at a bound whose gradient points outward is
/// held), the step is projected on the box and halved until the Armijo condition holds. It is
/// not R's code (no generalised Cauchy point or subspace minimisation), but it stops where R's
/// does on these smooth problems: at a local minimum or after 100 iterations.
fn lbfgsb(
    f: &dyn Fn(&[f64], &mut [f64]) -> f64,
    x0: &[f64],
    (lo, hi): (f64, f64),
) -> (Vec<f64>, f64) {
    let dim = x0.len();
    let mut x: Vec<f64> = x0.iter().map(|v| v.clamp(lo, hi)).collect();
    let mut g = vec![0.0; dim];
    let mut fx = f(&x, &mut g);
    let mut memory: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    let mut g_new = vec![0.0; dim];
    for iteration in 0..LBFGS_ITERATIONS {
        let free: Vec<bool> =
            (0..dim).map(|i| !((x[i] <= lo && g[i] > 0.0) || (x[i] >= hi && g[i] < 0.0))).collect();
        let mut q: Vec<f64> = (0..dim).map(|i| if free[i] { g[i] } else { 0.0 }).collect();
        if q.iter().all(|v| *v == 0.0) {
            break;
        }
        // Two-loop recursion.
        let mut alphas = Vec::with_capacity(memory.len());
        for (s, y, rho) in memory.iter().rev() {
            let a = rho * dot(s, &q);
            for i in 0..dim {
                q[i] -= a * y[i];
            }
            alphas.push(a);
        }
        if let Some((s, y, _)) = memory.last() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, y, rho), a) in memory.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            for i in 0..dim {
                q[i] += s[i] * (a - b);
            }
        }
        let mut d: Vec<f64> = (0..dim).map(|i| if free[i] { -q[i] } else { 0.0 }).collect();
        if dot(&d, &g) >= 0.0 || d.iter().any(|v| !v.is_finite()) {
            memory.clear();
            d = (0..dim).map(|i| if free[i] { -g[i] } else { 0.0 }).collect();
        }
        let mut t = if iteration == 0 && memory.is_empty() {
            (1.0 / dot(&d, &d).sqrt()).min(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..40 {
            let xn: Vec<f64> = (0..dim).map(|i| (x[i] + t * d[i]).clamp(lo, hi)).collect();
            let fnew = f(&xn, &mut g_new);
            let decrease: f64 = (0..dim).map(|i| g[i] * (xn[i] - x[i])).sum();
            if fnew <= fx + 1e-4 * decrease {
                accepted = Some((xn, fnew));
                break;
            }
            t *= 0.5;
        }
        let Some((xn, fnew)) = accepted else { break };
        let s: Vec<f64> = (0..dim).map(|i| xn[i] - x[i]).collect();
        let y: Vec<f64> = (0..dim).map(|i| g_new[i] - g[i]).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).max(f64::MIN_POSITIVE) {
            if memory.len() == LBFGS_MEMORY {
                memory.remove(0);
            }
            memory.push((s, y, 1.0 / sy));
        }
        let reduction = (fx - fnew) / fx.abs().max(fnew.abs()).max(1.0);
        x = xn;
        fx = fnew;
        g.copy_from_slice(&g_new);
        if reduction <= LBFGS_FACTR {
            break;
        }
    }
    (x, fx)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The start of L components from the package's parameters: the least-squares fit of the
/// mixture of betas to the KDE of the shares, from `from`.
fn least_squares_start(from: &[f64], l: usize, grid: &Grid, kde: &[f64]) -> (Vec<Component>, f64) {
    let f = |theta: &[f64], grad: &mut [f64]| least_squares(theta, l, grid, kde, grad);
    let (theta, value) = lbfgsb(&f, from, LOG_BOUNDS);
    (decode(&theta, l), value)
}

/// The package's KDE of the shares: `density(k/n, bw = 0.001, n = 1001, from = 0.01,
/// to = 0.99)`.
fn share_kde(obs: &[Obs]) -> Vec<f64> {
    let kde = Kde::new(0.001, 0.01, 0.99, GRID);
    let mut binned = vec![0.0; 2 * POINTS];
    let w = 1.0 / obs.len().max(1) as f64;
    for &(k, n) in obs {
        kde.bin(&mut binned, f64::from(k) / f64::from(n), w);
    }
    kde.density(&binned)
}

/// Fits the mixture, choosing L as the package does: for L = 1, 2, …, 5, a least-squares start
/// then EM; stop at the first L whose density correlates at least 0.99 with L − 1's.
pub(super) fn fit_obs(obs: &[Obs], start: Start) -> Option<Mixture> {
    if obs.is_empty() {
        return None;
    }
    let log_binom: f64 = obs
        .iter()
        .map(|&(k, n)| {
            ln_gamma(f64::from(n) + 1.0)
                - ln_gamma(f64::from(k) + 1.0)
                - ln_gamma(f64::from(n - k) + 1.0)
        })
        .sum();
    let kde = share_kde(obs);
    let grid = Grid::new();
    let fit_l = |l: usize| -> Mixture {
        let dim = 3 * l - 1;
        let mut rng = ChaCha8Rng::seed_from_u64(start.seed);
        rng.set_stream(l as u64);
        let starts: Vec<Vec<f64>> = (0..start.tries.max(1))
            .map(|_| (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect())
            .collect();
        // Every start's fit, in parallel; the first with the smallest objective is kept.
        let fits: Vec<(Vec<Component>, f64)> =
            starts.par_iter().map(|s| least_squares_start(s, l, &grid, &kde)).collect();
        let (comps, _) = fits
            .into_iter()
            .reduce(|best, next| if next.1 < best.1 { next } else { best })
            .unwrap_or_else(|| (decode(&vec![0.0; dim], l), f64::MAX));
        em(obs, comps, &grid, log_binom)
    };
    let mut best = fit_l(1);
    let mut density = grid.density(&best.components);
    for l in 2..=MAX_COMPONENTS {
        let mut next = fit_l(l);
        let next_density = grid.density(&next.components);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_squares_gradient_is_exact() {
        let grid = Grid::new();
        let kde: Vec<f64> = (0..GRID).map(|g| 1.0 + (g as f64 / 150.0).sin()).collect();
        for l in [1usize, 3] {
            let theta: Vec<f64> = (0..3 * l - 1).map(|i| 0.4 + 0.37 * i as f64).collect();
            let mut grad = vec![0.0; theta.len()];
            least_squares(&theta, l, &grid, &kde, &mut grad);
            for i in 0..theta.len() {
                let h = 1e-6;
                let (mut up, mut down) = (theta.clone(), theta.clone());
                up[i] += h;
                down[i] -= h;
                let mut scratch = vec![0.0; theta.len()];
                let numeric = (least_squares(&up, l, &grid, &kde, &mut scratch)
                    - least_squares(&down, l, &grid, &kde, &mut scratch))
                    / (2.0 * h);
                assert!(
                    (numeric - grad[i]).abs() < 1e-5 * (1.0 + numeric.abs()),
                    "{l} {i}: {numeric} vs {}",
                    grad[i]
                );
            }
        }
    }

    #[test]
    fn the_weights_are_ordered_as_the_package_has_them() {
        let c = decode(&[0.0, 1.0, 2.0, 0.5, 0.5, 0.5, -3.0, 6.0], 3);
        assert!((c.iter().map(|c| c.weight).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(c[0].weight >= c[1].weight && c[1].weight >= c[2].weight);
        assert!((c[0].weight / c[1].weight - (1.0 + 3f64.exp())).abs() < 1e-9);
        assert!(
            (c[1].alpha - 1f64.exp()).abs() < 1e-12 && (c[2].beta - 0.5f64.exp()).abs() < 1e-12
        );
    }

    #[test]
    fn bounded_lbfgs_finds_box_minima() {
        // (x − 2)² + 10(y + 5)² on [−3, 6]²: the minimum (2, −3) has y at its bound.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 2.0);
            g[1] = 20.0 * (x[1] + 5.0);
            (x[0] - 2.0).powi(2) + 10.0 * (x[1] + 5.0).powi(2)
        };
        let (x, value) = lbfgsb(&f, &[5.0, 4.0], LOG_BOUNDS);
        assert!((x[0] - 2.0).abs() < 1e-4 && x[1] == -3.0, "{x:?}");
        assert!((value - 40.0).abs() < 1e-6);
    }

    #[test]
    fn the_share_kde_is_a_density() {
        // Shares spread over (0.05, 0.95): the KDE integrates to about 1 over [0.01, 0.99].
        let obs: Vec<Obs> = (0..5000u32).map(|i| (50 + (i * 7919) % 900, 1000)).collect();
        let d = share_kde(&obs);
        let mass: f64 = d.iter().sum::<f64>() * 0.98 / (GRID - 1) as f64;
        assert!((mass - 1.0).abs() < 0.01, "{mass}");
        assert!(d.iter().all(|v| *v >= 0.0));
    }
}
