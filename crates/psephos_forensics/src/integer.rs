//! Integer-percentage excess (Kobak, Shpilkin and Pshenichnikov 2016), with the exact
//! Poisson-binomial null of forensics.md §3.1.
//!
//! A station is *integer* in a fraction k/n when 100·k/n lies within half a width of a point of
//! the grid (by default within 0.05 percentage points of a whole percentage). Under the null
//! every station's count is redrawn from its own binomial — issued ballots from
//! Bin(N, G/N), leader votes from Bin(R, L/R) — so arithmetic artefacts of small or even
//! denominators are part of the null. The expected number of integer stations and its variance
//! are exact sums over stations; no simulation.

use crate::Station;
use crate::binomial;

/// Points on the percentage scale, in hundredths of a percentage point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// Distance between points (100: every whole percentage; 500: multiples of 5 %).
    pub period: u32,
    /// Where the points sit (0: whole percentages; 50: half percentages, the control).
    pub offset: u32,
    /// Width of the window around each point (10: ±0.05 pp).
    pub width: u32,
}

impl Grid {
    /// Whole percentages, ±0.05 pp: the test.
    pub const INTEGER: Grid = Grid { period: 100, offset: 0, width: 10 };
    /// Half percentages, ±0.05 pp: the control, which should show no excess.
    pub const HALF: Grid = Grid { period: 100, offset: 50, width: 10 };

    /// Whether 100·k/n lies on the grid, decided in exact integer arithmetic (a value exactly
    /// half a width from a point counts, as Kobak's `<=` does).
    pub fn contains(&self, k: u64, n: u64) -> bool {
        if n == 0 || self.period == 0 {
            return false;
        }
        let (k, n) = (i128::from(k), i128::from(n));
        let (period, offset, width) =
            (i128::from(self.period), i128::from(self.offset), i128::from(self.width));
        // |10000·k/n − (offset + m·period)| ≤ width/2, times 2n.
        let from_offset = 10_000 * k - offset * n;
        let step = period * n;
        let m = from_offset.div_euclid(step);
        [m, m + 1].iter().any(|&m| 2 * (from_offset - m * step).abs() <= width * n)
    }

    /// The runs of k in `lo..=hi` with 100·k/n on the grid, in increasing order: one run per
    /// grid point, found from the point instead of testing every k.
    pub fn runs(&self, n: u64, lo: u64, hi: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        self.for_each_run(n, lo, hi, |a, b| out.push((a, b)));
        out
    }

    /// [`Grid::runs`] without the vector: `f(first k, last k)` for each run, in order. In 64-bit
    /// arithmetic when the products fit (n below 2^40), else in 128-bit.
    pub fn for_each_run(&self, n: u64, lo: u64, hi: u64, mut f: impl FnMut(u64, u64)) {
        if n == 0 || self.period == 0 || lo > hi {
            return;
        }
        if n < 1 << 40 && self.period < 1 << 16 && self.offset < 1 << 16 && self.width < 1 << 16 {
            let (n, lo, hi) = (n as i64, lo as i64, hi as i64);
            let (period, offset, width) =
                (i64::from(self.period), i64::from(self.offset), i64::from(self.width));
            let m_lo = (10_000 * lo / n - offset).div_euclid(period) - 1;
            let m_hi = (10_000 * hi / n - offset).div_euclid(period) + 2;
            for m in m_lo..=m_hi {
                let g = offset + m * period;
                let k_min = (2 * n * g - width * n + 19_999).div_euclid(20_000).max(lo);
                let k_max = (2 * n * g + width * n).div_euclid(20_000).min(hi);
                if k_min <= k_max {
                    f(k_min as u64, k_max as u64);
                }
            }
            return;
        }
        let (n, lo, hi) = (i128::from(n), i128::from(lo), i128::from(hi));
        let (period, offset, width) =
            (i128::from(self.period), i128::from(self.offset), i128::from(self.width));
        // Points g = offset + m·period (hundredths of a pp); k is on g's run when
        // 2·|10000·k − n·g| ≤ width·n, i.e. 20000·k ∈ [2ng − wn, 2ng + wn].
        let m_lo = (10_000 * lo / n - offset).div_euclid(period) - 1;
        let m_hi = (10_000 * hi / n - offset).div_euclid(period) + 2;
        for m in m_lo..=m_hi {
            let g = offset + m * period;
            let k_min = (2 * n * g - width * n + 19_999).div_euclid(20_000).max(lo);
            let k_max = (2 * n * g + width * n).div_euclid(20_000).min(hi);
            if k_min <= k_max {
                f(k_min as u64, k_max as u64);
            }
        }
    }
}

/// Which fractions a station must have on the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// Turnout (issued ÷ registered) or leader share (leader ÷ found): Kobak's headline.
    TurnoutOrLeader,
    LeaderOnly,
    TurnoutOnly,
}

/// What each integer station counts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Stations,
    /// Registered voters (fixed under the null).
    Registered,
    /// Ballots issued (redrawn with the turnout under the null).
    Issued,
    /// Leader votes (redrawn with the share under the null).
    LeaderVotes,
}

/// The statistic and its null for one criterion and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Excess {
    pub criterion: Criterion,
    pub weight: Weight,
    pub observed: f64,
    pub expected: f64,
    pub sd: f64,
    /// observed − expected.
    pub excess: f64,
    pub z: f64,
    /// One-sided (an excess of integer stations). Station counts: refined normal
    /// approximation to the Poisson-binomial (skewness-corrected); weighted: normal.
    pub p_value: f64,
    /// The null's 99.9 % quantile minus its mean (normal), the band Kobak plots.
    pub band_999: f64,
}

/// Per station, the null probabilities and conditional moments the statistics need.
#[derive(Clone, Copy, Debug, Default)]
struct StationNull {
    /// P(turnout on the grid), P(share on the grid).
    q_t: f64,
    q_s: f64,
    /// E[G*·1T], E[G*²·1T]; E[L*·1S], E[L*²·1S]; and E[G*²], E[L*²].
    g1: f64,
    g2: f64,
    l1: f64,
    l2: f64,
    gg: f64,
    ll: f64,
    /// Whether the station's turnout and share are on the grid.
    on_t: bool,
    on_s: bool,
}

fn null_of(s: &Station, grid: Grid) -> StationNull {
    nulls_of(s, &[grid])[0]
}

/// The station's null for each grid; the two binomial windows are computed once.
fn nulls_of(s: &Station, grids: &[Grid]) -> Vec<StationNull> {
    thread_local! {
        static BUFFERS: std::cell::RefCell<[Vec<f64>; 3]> = const {
            std::cell::RefCell::new([Vec::new(), Vec::new(), Vec::new()])
        };
    }
    BUFFERS.with(|b| {
        let [turnout, share, scratch] = &mut *b.borrow_mut();
        let window = |n: u64, k_obs: u64, pmf: &mut Vec<f64>, scratch: &mut Vec<f64>| {
            let p = if n == 0 { 0.0 } else { k_obs as f64 / n as f64 };
            let first = binomial::window_into(n, p, pmf, scratch);
            let nf = n as f64;
            // E[K²] = np(1−p) + (np)².
            (first, nf * p * (1.0 - p) + (nf * p) * (nf * p))
        };
        let moments = |grid: Grid, n: u64, first: u64, pmf: &[f64]| -> (f64, f64, f64) {
            let (mut q, mut m1, mut m2) = (0.0, 0.0, 0.0);
            let last = first + pmf.len() as u64 - 1;
            grid.for_each_run(n, first, last, |a, b| {
                for k in a..=b {
                    let pr = pmf[(k - first) as usize];
                    let kf = k as f64;
                    q += pr;
                    m1 += kf * pr;
                    m2 += kf * kf * pr;
                }
            });
            (q, m1, m2)
        };
        let (t_first, gg) = window(s.registered, s.issued, turnout, scratch);
        let (s_first, ll) = window(s.found, s.leader, share, scratch);
        grids
            .iter()
            .map(|&grid| {
                let (q_t, g1, g2) = moments(grid, s.registered, t_first, turnout);
                let (q_s, l1, l2) = moments(grid, s.found, s_first, share);
                StationNull {
                    q_t,
                    q_s,
                    g1,
                    g2,
                    l1,
                    l2,
                    gg,
                    ll,
                    on_t: grid.contains(s.issued, s.registered),
                    on_s: grid.contains(s.leader, s.found),
                }
            })
            .collect()
    })
}

/// Every station's null for several grids, computed once (in parallel; the result does not
/// depend on the number of threads) and summarised as often as needed: the whole set, a
/// region, the control grid.
pub struct Prepared<'a> {
    stations: &'a [Station],
    grids: Vec<Grid>,
    /// By station, one null per grid.
    nulls: Vec<Vec<StationNull>>,
}

impl<'a> Prepared<'a> {
    pub fn new(stations: &'a [Station], grids: &[Grid]) -> Prepared<'a> {
        use rayon::prelude::*;
        let nulls = stations.par_iter().map(|s| nulls_of(s, grids)).collect();
        Prepared { stations, grids: grids.to_vec(), nulls }
    }

    /// The test on grid `g` (an index into the grids given) over the stations `which`
    /// (indices), or all of them.
    pub fn excess(&self, g: usize, which: Option<&[usize]>) -> Vec<Excess> {
        let all: Vec<usize>;
        let which = match which {
            Some(w) => w,
            None => {
                all = (0..self.stations.len()).collect();
                &all
            }
        };
        let grid = self.grids.get(g).copied().unwrap_or(Grid::INTEGER);
        let picked: Vec<(&Station, &StationNull)> = which
            .iter()
            .filter_map(|&i| Some((self.stations.get(i)?, self.nulls.get(i)?.get(g)?)))
            .collect();
        summarize(&picked, grid)
    }
}

/// The test on every station given (apply an inclusion rule first, e.g.
/// [`Station::kobak_included`]), for the three criteria and four weights.
pub fn excess(stations: &[Station], grid: Grid) -> Vec<Excess> {
    Prepared::new(stations, &[grid]).excess(0, None)
}

const CRITERIA: [Criterion; 3] =
    [Criterion::TurnoutOrLeader, Criterion::LeaderOnly, Criterion::TurnoutOnly];
const WEIGHTS: [Weight; 4] =
    [Weight::Stations, Weight::Registered, Weight::Issued, Weight::LeaderVotes];

fn summarize(picked: &[(&Station, &StationNull)], _grid: Grid) -> Vec<Excess> {
    // One pass over the stations for the 12 statistics; each is summed in station order.
    let mut acc = [(0.0f64, 0.0f64, 0.0f64, 0.0f64); 12];
    for &(s, q) in picked {
        for (ci, &criterion) in CRITERIA.iter().enumerate() {
            let hit = match criterion {
                Criterion::TurnoutOrLeader => q.on_t || q.on_s,
                Criterion::LeaderOnly => q.on_s,
                Criterion::TurnoutOnly => q.on_t,
            };
            for (wi, &weight) in WEIGHTS.iter().enumerate() {
                let (observed, mean, var, skew) = &mut acc[ci * 4 + wi];
                let w_obs = match weight {
                    Weight::Stations => 1.0,
                    Weight::Registered => s.registered as f64,
                    Weight::Issued => s.issued as f64,
                    Weight::LeaderVotes => s.leader as f64,
                };
                if hit {
                    *observed += w_obs;
                }
                let (e1, e2) = moments(criterion, weight, s, q);
                *mean += e1;
                *var += e2 - e1 * e1;
                if weight == Weight::Stations {
                    *skew += e1 * (1.0 - e1) * (1.0 - 2.0 * e1);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(12);
    for (ci, &criterion) in CRITERIA.iter().enumerate() {
        for (wi, &weight) in WEIGHTS.iter().enumerate() {
            let (observed, mean, var, skew) = acc[ci * 4 + wi];
            let sd = var.max(0.0).sqrt();
            let z = if sd > 0.0 { (observed - mean) / sd } else { 0.0 };
            let p_value = if sd == 0.0 {
                if observed > mean { 0.0 } else { 1.0 }
            } else if weight == Weight::Stations {
                // Refined normal approximation (Volkova): P(X ≥ x) = 1 − G((x − ½ − μ)/σ),
                // G(t) = Φ(t) + γ(1 − t²)φ(t)/6.
                let gamma = skew / (sd * sd * sd);
                let t = (observed - 0.5 - mean) / sd;
                let phi = (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                (crate::normal_sf(t) - gamma * (1.0 - t * t) * phi / 6.0).clamp(0.0, 1.0)
            } else {
                crate::normal_sf(z)
            };
            out.push(Excess {
                criterion,
                weight,
                observed,
                expected: mean,
                sd,
                excess: observed - mean,
                z,
                p_value,
                band_999: 3.090_232_306_167_813_5 * sd,
            });
        }
    }
    out
}

/// A station whose turnout or leader share is on the grid, and how likely that was under its
/// own null: the lower the probability, the more the station adds to the excess.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flag {
    /// Index into the stations given.
    pub station: usize,
    pub turnout_on_grid: bool,
    pub share_on_grid: bool,
    /// Probability under the null that the station is on the grid by the criterion that
    /// flagged it (turnout or share, whichever is on it; either, when both are).
    pub null_probability: f64,
}

/// The stations on the grid (turnout or leader share), least likely under the null first (ties
/// in input order): candidates for targeted, non-random audit additions, never proof.
pub fn flagged(stations: &[Station], grid: Grid) -> Vec<Flag> {
    use rayon::prelude::*;
    let mut out: Vec<Flag> = stations
        .par_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let t = grid.contains(s.issued, s.registered);
            let sh = grid.contains(s.leader, s.found);
            if !t && !sh {
                return None;
            }
            let q = null_of(s, grid);
            let p = match (t, sh) {
                (true, true) => q.q_t * q.q_s,
                (true, false) => q.q_t,
                _ => q.q_s,
            };
            Some(Flag { station: i, turnout_on_grid: t, share_on_grid: sh, null_probability: p })
        })
        .collect();
    out.sort_by(|a, b| a.null_probability.total_cmp(&b.null_probability));
    out
}

/// E[X_i] and E[X_i²] of one station's contribution under the null.
fn moments(criterion: Criterion, weight: Weight, s: &Station, q: &StationNull) -> (f64, f64) {
    let p_hit = match criterion {
        Criterion::TurnoutOrLeader => q.q_t + q.q_s - q.q_t * q.q_s,
        Criterion::LeaderOnly => q.q_s,
        Criterion::TurnoutOnly => q.q_t,
    };
    match weight {
        Weight::Stations => (p_hit, p_hit),
        Weight::Registered => {
            let n = s.registered as f64;
            (n * p_hit, n * n * p_hit)
        }
        // The turnout draw and the share draw are independent.
        Weight::Issued => {
            let (g, gg) = (s.issued as f64, q.gg);
            match criterion {
                Criterion::TurnoutOnly => (q.g1, q.g2),
                Criterion::LeaderOnly => (g * q.q_s, gg * q.q_s),
                Criterion::TurnoutOrLeader => {
                    (q.g1 + (g - q.g1) * q.q_s, q.g2 + (gg - q.g2) * q.q_s)
                }
            }
        }
        Weight::LeaderVotes => {
            let (l, ll) = (s.leader as f64, q.ll);
            match criterion {
                Criterion::LeaderOnly => (q.l1, q.l2),
                Criterion::TurnoutOnly => (l * q.q_t, ll * q.q_t),
                Criterion::TurnoutOrLeader => {
                    (q.l1 + (l - q.l1) * q.q_t, q.l2 + (ll - q.l2) * q.q_t)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_membership_is_exact() {
        let g = Grid::INTEGER;
        assert!(g.contains(1, 2)); // 50 %
        assert!(g.contains(1000, 2001)); // 49.975 %: 0.025 pp from 50
        assert!(!g.contains(1000, 2003)); // 49.925 %
        // Exactly 0.05 pp away counts: 2001/2000 ... 100.05 %.
        assert!(g.contains(2001, 2000));
        assert!(!g.contains(2002, 2000)); // 100.1 %
        assert!(Grid::HALF.contains(1, 200)); // 0.5 %
        assert!(!Grid::HALF.contains(1, 100));
        assert!(!g.contains(1, 0));
        // Runs agree with testing every k.
        for n in [1u64, 2, 3, 7, 100, 199, 2000, 2001, 12_345] {
            for grid in [Grid::INTEGER, Grid::HALF, Grid { period: 500, offset: 0, width: 10 }] {
                let lo = n / 3;
                let every: Vec<u64> = (lo..=n).filter(|&k| grid.contains(k, n)).collect();
                let runs: Vec<u64> =
                    grid.runs(n, lo, n).into_iter().flat_map(|(a, b)| a..=b).collect();
                assert_eq!(every, runs, "n {n} {grid:?}");
            }
        }
    }

    #[test]
    fn flags_rank_the_least_likely_first() {
        let stations = [
            // 50 % of 2: likely by chance.
            Station { registered: 2, issued: 1, found: 1, leader: 0 },
            // 70.0 % turnout of 1000: about one chance in ten.
            Station { registered: 1000, issued: 700, found: 700, leader: 333 },
            // Not on the grid at all.
            Station { registered: 1000, issued: 703, found: 703, leader: 333 },
        ];
        let f = flagged(&stations, Grid::INTEGER);
        assert_eq!(f.iter().map(|f| f.station).collect::<Vec<_>>(), [1, 0]);
        assert!(f[0].turnout_on_grid && !f[0].share_on_grid);
        assert!(f[0].null_probability < 0.101 && f[1].null_probability > 0.9, "{f:?}");
    }

    #[test]
    fn tiny_station_null_by_hand() {
        // n = 2, p = ½: k = 0, 1, 2 give 0, 50, 100 %, all whole percentages.
        let s = Station { registered: 2, issued: 1, found: 3, leader: 1 };
        let r = excess(&[s], Grid::INTEGER);
        let t = r
            .iter()
            .find(|e| e.criterion == Criterion::TurnoutOnly && e.weight == Weight::Stations)
            .copied();
        assert!(t.is_some_and(|t| (t.expected - 1.0).abs() < 1e-12 && t.sd < 1e-6));
        // n = 3, p = ⅓: only k = 0 and 3 are whole (0 %, 100 %): 8/27 + 1/27.
        let l = r
            .iter()
            .find(|e| e.criterion == Criterion::LeaderOnly && e.weight == Weight::Stations)
            .copied();
        assert!(l.is_some_and(|l| (l.expected - 9.0 / 27.0).abs() < 1e-12), "{l:?}");
    }
}
