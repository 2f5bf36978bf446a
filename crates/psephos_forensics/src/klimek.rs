//! The Klimek fraud model (Klimek, Yegorov, Hanel and Thurner, PNAS 2012), as forensics.md §3.4
//! specifies it: a fair model of turnout and leader share, plus incremental fraud (a share f_i
//! of stations where a fraction x of non-voters' ballots is stuffed and x^α of the opponents'
//! votes is taken) and extreme fraud (a share f_e where almost everything is). The fraction
//! parameters are fitted by simulating the model on the stations' own registers and comparing
//! 1 % fingerprints. **Descriptive**: the fit depends on the loss and binning; it is a scenario,
//! not a test, and is reported with its loss.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use rand_distr::{Distribution, Normal};

use crate::Station;

/// The fair model's parameters, estimated from the data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FairModel {
    /// Turnout and share modes (the first local maxima above 0.3 of their densities).
    pub turnout: f64,
    pub share: f64,
    pub turnout_sd: f64,
    pub share_sd: f64,
    /// Spread of the incremental fraud fraction.
    pub theta: f64,
}

/// The fitted fraud shares and the loss at the fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub fair: FairModel,
    pub alpha: f64,
    pub incremental: f64,
    pub extreme: f64,
    /// Sum of squared differences of the 1 % fingerprints (shares of stations), averaged over
    /// the simulation runs.
    pub loss: f64,
    pub seed: u64,
}

fn fractions(stations: &[Station]) -> Vec<(f64, f64)> {
    stations
        .iter()
        .filter(|s| {
            s.registered > 0 && s.found > 0 && s.issued <= s.registered && s.leader <= s.found
        })
        .map(|s| (s.issued as f64 / s.registered as f64, s.leader as f64 / s.found as f64))
        .collect()
}

/// The first local maximum above 0.3 of a histogram density with 1 % bins smoothed by a
/// Gaussian kernel of 2 bins (the mode the fair model is centred on).
fn first_mode_above(values: &[f64], floor: f64) -> f64 {
    let bins = 100usize;
    let mut h = vec![0.0f64; bins];
    for &v in values {
        h[((v * bins as f64) as usize).min(bins - 1)] += 1.0;
    }
    let smooth: Vec<f64> = (0..bins)
        .map(|i| {
            (0..bins)
                .map(|j| {
                    let d = i as f64 - j as f64;
                    h[j] * (-d * d / 8.0).exp()
                })
                .sum()
        })
        .collect();
    let start = (floor * bins as f64) as usize;
    for i in start.max(1)..bins - 1 {
        if smooth[i] >= smooth[i - 1] && smooth[i] > smooth[i + 1] {
            return (i as f64 + 0.5) / bins as f64;
        }
    }
    let best = (start..bins).max_by(|&a, &b| smooth[a].total_cmp(&smooth[b])).unwrap_or(start);
    (best as f64 + 0.5) / bins as f64
}

fn rms(it: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for x in it {
        s += x * x;
        n += 1;
    }
    if n == 0 { 0.0 } else { (s / n as f64).sqrt() }
}

/// The fair model of forensics.md §3.4 (without Klimek's √2 on σ_ν, as Kobak argues).
pub fn fair_model(stations: &[Station]) -> FairModel {
    let tf = fractions(stations);
    let t: Vec<f64> = tf.iter().map(|x| x.0).collect();
    let s: Vec<f64> = tf.iter().map(|x| x.1).collect();
    let turnout = first_mode_above(&t, 0.3);
    let share = first_mode_above(&s, 0.3);
    let turnout_sd =
        rms(tf.iter().filter(|(a, l)| *a < turnout && *l < share).map(|(a, _)| a - turnout));
    let share_sd = rms(s.iter().filter(|&&l| l < share).map(|l| l - share));
    let theta = rms(s.iter().filter(|&&l| l > share).map(|l| l - share)).sqrt();
    FairModel { turnout, share, turnout_sd, share_sd, theta }
}

/// A draw from N(mean, sd) truncated to [lo, hi], by rejection (a clamp after 64 tries).
fn truncated(rng: &mut ChaCha8Rng, n: &Normal<f64>, lo: f64, hi: f64) -> f64 {
    for _ in 0..64 {
        let x = n.sample(rng);
        if (lo..=hi).contains(&x) {
            return x;
        }
    }
    n.sample(rng).clamp(lo, hi)
}

/// The 1 % fingerprint (turnout × share) of the model with these fraud shares, on the
/// stations' registers, as shares of stations.
fn simulate(
    registers: &[u64],
    fair: &FairModel,
    alpha: f64,
    incremental: f64,
    extreme: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let bins = 100usize;
    let mut h = vec![0.0f64; bins * bins];
    let (Ok(a_n), Ok(l_n), Ok(x_n), Ok(e_n)) = (
        Normal::new(fair.turnout, fair.turnout_sd.max(1e-6)),
        Normal::new(fair.share, fair.share_sd.max(1e-6)),
        Normal::new(0.0, fair.theta.max(1e-6)),
        Normal::new(0.0, 0.075),
    ) else {
        return h;
    };
    for &n in registers {
        let a = truncated(rng, &a_n, 0.0, 1.0);
        let l = truncated(rng, &l_n, 0.0, 1.0);
        let u: f64 = rng.random();
        let x = if u < incremental {
            truncated(rng, &x_n, 0.0, 1.0).abs().min(1.0)
        } else if u < incremental + extreme {
            (1.0 - Distribution::<f64>::sample(&e_n, rng).abs()).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let nf = n as f64;
        let leader = nf * (a * l + x * (1.0 - a) + x.powf(alpha) * (1.0 - l) * a);
        let given = nf * (1.0 - (1.0 - x) * (1.0 - a));
        if given <= 0.0 || nf <= 0.0 {
            continue;
        }
        let t = (given / nf).clamp(0.0, 1.0);
        let s = (leader / given).clamp(0.0, 1.0);
        let bt = ((t * bins as f64) as usize).min(bins - 1);
        let bs = ((s * bins as f64) as usize).min(bins - 1);
        h[bs * bins + bt] += 1.0;
    }
    let total: f64 = h.iter().sum();
    if total > 0.0 {
        for v in &mut h {
            *v /= total;
        }
    }
    h
}

/// Fits f_i and f_e on a grid (f_i in steps of `step_i` from 0 to 1, f_e in steps of `step_e`
/// from 0 to `max_e`) with α fixed, each point scored by the mean loss over `runs` simulations
/// from `seed` (the same draws for every grid point: common random numbers).
pub fn fit(
    stations: &[Station],
    alpha: f64,
    step_i: f64,
    step_e: f64,
    max_e: f64,
    runs: u32,
    seed: u64,
) -> Fit {
    use rayon::prelude::*;
    let fair = fair_model(stations);
    let usable: Vec<&Station> = stations
        .iter()
        .filter(|s| {
            s.registered > 0 && s.found > 0 && s.issued <= s.registered && s.leader <= s.found
        })
        .collect();
    let registers: Vec<u64> = usable.iter().map(|s| s.registered).collect();
    let observed = {
        let bins = 100usize;
        let mut h = vec![0.0f64; bins * bins];
        for s in &usable {
            let t = s.issued as f64 / s.registered as f64;
            let l = s.leader as f64 / s.found as f64;
            let bt = ((t * bins as f64) as usize).min(bins - 1);
            let bs = ((l * bins as f64) as usize).min(bins - 1);
            h[bs * bins + bt] += 1.0;
        }
        let total: f64 = h.iter().sum();
        h.iter().map(|v| v / total.max(1.0)).collect::<Vec<f64>>()
    };
    let n_i = (1.0 / step_i).round() as usize;
    let n_e = (max_e / step_e).round() as usize;
    let grid: Vec<(f64, f64)> = (0..=n_i)
        .flat_map(|i| (0..=n_e).map(move |e| (i as f64 * step_i, e as f64 * step_e)))
        .filter(|(i, e)| i + e <= 1.0)
        .collect();
    let losses: Vec<f64> = grid
        .par_iter()
        .map(|&(fi, fe)| {
            let mut total = 0.0;
            for run in 0..runs {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(u64::from(run));
                let sim = simulate(&registers, &fair, alpha, fi, fe, &mut rng);
                total += sim.iter().zip(&observed).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            }
            total / f64::from(runs.max(1))
        })
        .collect();
    let best = (0..grid.len()).min_by(|&a, &b| losses[a].total_cmp(&losses[b])).unwrap_or(0);
    let (incremental, extreme) = grid.get(best).copied().unwrap_or((0.0, 0.0));
    Fit { fair, alpha, incremental, extreme, loss: losses.get(best).copied().unwrap_or(0.0), seed }
}

/// A parametric-bootstrap interval for the fitted shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    /// 95 % percentile intervals of f_i and f_e over the replicates.
    pub incremental: (f64, f64),
    pub extreme: (f64, f64),
    pub replicates: usize,
    /// Replicates whose refit landed on the edge of the local grid (the interval may be
    /// too narrow on that side).
    pub at_edge: usize,
}

/// Parametric bootstrap of a grid fit: `replicates` pseudo-elections are simulated from the
/// fitted model (f_i, f_e, the fair model, the stations' registers; ChaCha8 from `seed`,
/// streams 2^32 + r, apart from the fit's), and each is refitted as [`fit`] fits — the same
/// loss, the same common random numbers for the model at each grid point (one run, stream 0)
/// — on the grid points within 10 steps of f_i and 6 steps of f_e. Percentile intervals.
pub fn bootstrap(
    stations: &[Station],
    fitted: &Fit,
    step_i: f64,
    step_e: f64,
    replicates: usize,
    seed: u64,
) -> Interval {
    use rayon::prelude::*;
    let registers: Vec<u64> = stations
        .iter()
        .filter(|s| {
            s.registered > 0 && s.found > 0 && s.issued <= s.registered && s.leader <= s.found
        })
        .map(|s| s.registered)
        .collect();
    let (fi0, fe0) = (fitted.incremental, fitted.extreme);
    let grid: Vec<(f64, f64)> = (-10..=10)
        .flat_map(|i| (-6..=6).map(move |e| (fi0 + i as f64 * step_i, fe0 + e as f64 * step_e)))
        .filter(|&(i, e)| i >= -1e-9 && e >= -1e-9 && i + e <= 1.0 + 1e-9)
        .map(|(i, e)| (i.max(0.0), e.max(0.0)))
        .collect();
    // The model at each grid point, with the fit's common random numbers.
    let models: Vec<Vec<f64>> = grid
        .par_iter()
        .map(|&(fi, fe)| {
            let mut rng = ChaCha8Rng::seed_from_u64(fitted.seed);
            rng.set_stream(0);
            simulate(&registers, &fitted.fair, fitted.alpha, fi, fe, &mut rng)
        })
        .collect();
    let refits: Vec<(f64, f64)> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream((1 << 32) + r as u64);
            let pseudo = simulate(&registers, &fitted.fair, fitted.alpha, fi0, fe0, &mut rng);
            let loss = |m: &Vec<f64>| -> f64 {
                m.iter().zip(&pseudo).map(|(a, b)| (a - b) * (a - b)).sum()
            };
            let best = (0..grid.len())
                .min_by(|&a, &b| loss(&models[a]).total_cmp(&loss(&models[b])))
                .unwrap_or(0);
            grid.get(best).copied().unwrap_or((fi0, fe0))
        })
        .collect();
    let (lo_i, hi_i) = (
        grid.iter().map(|g| g.0).fold(f64::INFINITY, f64::min),
        grid.iter().map(|g| g.0).fold(f64::NEG_INFINITY, f64::max),
    );
    let (lo_e, hi_e) = (
        grid.iter().map(|g| g.1).fold(f64::INFINITY, f64::min),
        grid.iter().map(|g| g.1).fold(f64::NEG_INFINITY, f64::max),
    );
    let edge = |v: f64, lo: f64, hi: f64, floor: f64| {
        (v - lo).abs() < 1e-9 && lo > floor + 1e-9 || (v - hi).abs() < 1e-9
    };
    let at_edge = refits
        .iter()
        .filter(|&&(i, e)| edge(i, lo_i, hi_i, 0.0) || edge(e, lo_e, hi_e, 0.0))
        .count();
    let percentile = |mut v: Vec<f64>| -> (f64, f64) {
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        let n = v.len();
        let at = |q: f64| v[((q * n as f64) as usize).min(n - 1)];
        (at(0.025), at(0.975))
    };
    Interval {
        incremental: percentile(refits.iter().map(|r| r.0).collect()),
        extreme: percentile(refits.iter().map(|r| r.1).collect()),
        replicates,
        at_edge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fair_election_fits_no_fraud() {
        // Stations drawn from the fair model itself: the fit finds (nearly) no fraud.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (a, l) =
            (Normal::new(0.6, 0.08).expect("sd > 0"), Normal::new(0.45, 0.07).expect("sd > 0"));
        let stations: Vec<Station> = (0..4000)
            .map(|_| {
                let n = 1000u64;
                let t = truncated(&mut rng, &a, 0.0, 1.0);
                let s = truncated(&mut rng, &l, 0.0, 1.0);
                let g = (t * n as f64) as u64;
                Station { registered: n, issued: g, found: g, leader: (s * g as f64) as u64 }
            })
            .collect();
        let f = fit(&stations, 2.0, 0.05, 0.01, 0.05, 1, 9);
        assert!(f.incremental <= 0.1 && f.extreme <= 0.01, "{f:?}");
        assert!((f.fair.turnout - 0.6).abs() < 0.03 && (f.fair.share - 0.45).abs() < 0.03, "{f:?}");
    }

    #[test]
    fn the_bootstrap_interval_brackets_the_fit() {
        // Stations laid out on a fingerprint simulated with f_i = 0.3, f_e = 0.02: the fit
        // finds fraud, and the bootstrap gives an interval around the fit, not the whole range.
        let fair =
            FairModel { turnout: 0.55, share: 0.4, turnout_sd: 0.07, share_sd: 0.06, theta: 0.3 };
        let registers: Vec<u64> = (0..3000).map(|i| 800 + (i % 700)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let bins = 100usize;
        let mut stations = Vec::new();
        // Draw stations cell by cell from a simulated fingerprint's shares.
        let h = simulate(&registers, &fair, 2.0, 0.3, 0.02, &mut rng);
        for (cell, &share) in h.iter().enumerate() {
            let count = (share * registers.len() as f64).round() as u64;
            let (bs, bt) = (cell / bins, cell % bins);
            for _ in 0..count {
                let n = 1000u64;
                let g = ((bt as f64 + 0.5) / bins as f64 * n as f64) as u64;
                let l = ((bs as f64 + 0.5) / bins as f64 * g as f64) as u64;
                stations.push(Station { registered: n, issued: g, found: g, leader: l });
            }
        }
        let f = fit(&stations, 2.0, 0.05, 0.01, 0.05, 1, 4);
        assert!(f.incremental > 0.0, "{f:?}");
        let b = bootstrap(&stations, &f, 0.05, 0.01, 40, 4);
        assert_eq!(b.replicates, 40);
        assert!(
            b.incremental.0 <= f.incremental && f.incremental <= b.incremental.1,
            "{b:?} {f:?}"
        );
        assert!(b.extreme.0 <= f.extreme && f.extreme <= b.extreme.1, "{b:?} {f:?}");
        assert!(b.incremental.1 - b.incremental.0 < 0.3, "{b:?}");
        assert!(b.at_edge < 4, "{b:?}");
    }
}
