//! Rozenas' resampled kernel-density ("spikes") test (Political Analysis 2017; forensics.md §3.2),
//! as the CRAN package `spikes` 1.1 computes it.
//!
//! 1. **Latent densities.** A mixture of L beta-binomials is fitted to the turnout t | N and,
//!    separately, to the votes v | t ([`fit_mixture`]). L grows from 1 to 5 and stops at the
//!    first L whose fitted density (the mixture of betas on 1001 points over [0.01, 0.99])
//!    correlates at least 0.99 with that of L − 1; the fit for that L is kept.
//! 2. **Resampling** ([`spikes`]): B times (default 1000), every poll draws a turnout component
//!    with its posterior probability ∝ w_k·BB(t; N, α_k, β_k), p_t ~ Beta(t + α_k, N − t + β_k),
//!    t* ~ Bin(N, p_t); then a vote component ∝ w_j·BB(v; t, …), p_v ~ Beta(v + α_j,
//!    t − v + β_j), v* ~ Bin(t*, p_v); y* = v*/t* (0 when t* = 0).
//! 3. **Spikes.** The density of the shares is R's `density(y, bw = 1e-4, from = 0, to = 1,
//!    n = 1001)`, emulated ([`r_density`], module `kde`). ymax is the pointwise maximum over the
//!    resamples' densities. Bins are centred on the 1001 grid points, width 0.001,
//!    right-closed; w_b = max(0, observed share of polls in bin b − mean resampled share). The
//!    estimate is **fraud % = 100·Σ_{b: ymax_b < ydens_b} w_b**: the share of polls in excess
//!    spikes. It is an estimate, not a p-value.
//!
//! ## Fitting (`fit`), as the package's `est.density`
//!
//! * **Start.** For each L the mixture-of-betas density is fitted by least squares,
//!   mean((density − KDE)²) over the 1001 points, to R's `density(k/n, bw = 0.001, n = 1001,
//!   from = 0.01, to = 0.99)` (emulated), in the package's parameters — log α (L), log β (L)
//!   and L − 1 weight parameters z with w_i = (1 + e^−z_i)·w_{i+1} (its `y.v`, so the weights
//!   come out in decreasing order) — all bounded to [−3, 6]. The package starts R's
//!   `optim(method = "L-BFGS-B")` from `rnorm(3L − 1)`; here a box-constrained L-BFGS (memory
//!   5, at most 100 iterations, R's default stopping rule factr = 1e7; analytic gradient;
//!   not R's generalised-Cauchy-point code) starts from standard normal draws (ChaCha8 from
//!   the seed, stream L) and the best of [`FIT_TRIES`] = 10 starts is kept (the fits run in
//!   parallel; the first best wins ties, so the result does not depend on the thread count).
//! * **EM** (the package's `em.update`). E-step in log space from beta-binomial log-pmfs
//!   (ln Γ(x + j) − ln Γ(x) tabulated once per component as Σ_{i<j} ln(x + i)); M-step: the
//!   weights are mean responsibilities; (log α, log β) of each component maximise the weighted
//!   log-likelihood, written through the survival counts A_j = Σ r_i·`1[k_i > j]` (likewise for
//!   n − k and n) as Σ_j A_j ln(α + j) + B_j ln(β + j) − C_j ln(α + β + j) with exact value,
//!   gradient and Hessian, by a projected Newton method on the box (the package uses
//!   L-BFGS-B; the maximiser is the same). EM runs until two successive fitted densities
//!   correlate at least 0.99 (at least one update, at most 200): from the least-squares start
//!   that is one update, so the fit stays close to the KDE fit, as the package's does.
//! * **What the start does to L.** On Canada 2011 the turnout fit is the package's (w
//!   0.632/0.368, α 22.0/9.0, β 19.3/9.6 against 0.653/0.347, 21.7/8.9, 19.0/9.6). The vote fit
//!   depends on the start, in the package too: from one random start, as the package does,
//!   40 seeds select L = 2, 3, 4, 5 in 2, 11, 13 and 14 runs (the package's published fit has
//!   4); from the best of ten starts, L = 3 in 40 runs of 40. The best of ten is kept: it is
//!   the least-squares fit the package's procedure aims at, and it does not move with the seed.
//!
//! ## Resampling (`resample`), the same model drawn faster
//!
//! A beta mixture of binomials is a beta-binomial, so the package's turnout draw is
//! t* ~ Σ_k ρ_k·BB(N, t + α_k, N − t + β_k) (ρ_k the station's posterior component
//! probabilities), and given t* and the vote component j, v* ~ BB(t*, v + α_j, t − v + β_j).
//! Every station's B draws are made together:
//!
//! * t* by inversion from a table of that mixture pmf: each component's terms from their
//!   successive ratios (no Γ function), from the mode outward until they fall below 1e-12 of
//!   the mode's (the left-out mass is below 1e-10 per draw: tested against the exact pmf),
//!   cumulated; a guide table (Chen and Asau) finds the entry for a 53-bit uniform in about
//!   one step (the guide's entry and the two after it are compared at once, without a
//!   branch; the rare draw that needs more is finished after the others). Components with
//!   ρ_k < 1e-12 at the station are left out.
//! * (j, s) likewise from the mixture over j of BB(t, v + α_j, t − v + β_j) — the vote draw at
//!   the observed t — and then the Pólya urn of BB(·, v + α_j, t − v + β_j) is continued for
//!   t* − t draws (draw i succeeds with probability (v + α_j + successes)/(t + α_j + β_j + i))
//!   or thinned by t − t* draws removed at random (exchangeability: the first t* draws of the
//!   urn), which gives v* ~ BB(t*, v + α_j, t − v + β_j) exactly (tested by χ² against the
//!   pmf, and step by step against the plain urn). The step's probability lies between two
//!   bounds over the whole walk (those of its last step, whatever came before); each step's
//!   uniform is drawn as its top 15 bits, four steps to a random word, so a step whose
//!   15-bit cell lies below the lower bound is a success and one at or above the upper bound
//!   a failure, four at a time by word-wide integer operations, without waiting for the
//!   earlier steps; only the few whose cell meets the band between the bounds take 32 more
//!   bits and are compared exactly (to 2^−47) with the successes before them.
//! * A station's draws are made in passes — the table look-ups, the walks, the shares — so
//!   that the walks' unpredictable branches do not hold up the rest. The draws come from
//!   wyrand, seeded for each station (and batch of 1000 resamples) from its own ChaCha8 stream
//!   of the seed (stream 2^32·batch + station).
//! * y* is binned on R's 1024 points in fixed point (a station weighs 2^32 units, split
//!   between the two neighbouring points to within one unit), so that the sums are integers
//!   and exact in any order; the bin counts are integers too. The result does not depend on
//!   the number of threads. The binnings are kept resample by resample; the shares of 256
//!   stations in a row (in share order, so they land near each other) are held and added a
//!   block of resamples at a time, which keeps the rows being added to in cache.
//!
//! The draws are not the package's (R's rbeta and rbinom): a run reproduces the package's
//! estimator, not its random numbers, and single runs differ by their Monte Carlo error.
//!
//! ## Monte Carlo error
//!
//! The estimate is a sum over the few bins whose observed density tops all B resamples', so it
//! moves with the seed. [`Spikes::interval`] and [`Spikes::monte_carlo_sd`] describe what
//! reruns with other seeds (the mixtures held fixed) would give. Per grid point g, the chance
//! p_g that one resample's density reaches the observed one is estimated from the resampled
//! densities there: the share of resamples that did when the observed density is within the 21
//! largest ([`TAIL`] + 1), beyond them an exponential tail fitted to the 20 largest excesses
//! over the 21st (peaks over threshold), which tells a spike far above every resample from one
//! just above the largest. A rerun flags g with probability (1 − p_g)^B; the mean resampled
//! share is redrawn from a normal with its largest possible Monte Carlo variance (a bin count
//! is a sum of independent indicators, so its variance is at most its mean); points are taken
//! as independent; [`INTERVAL_REPLICATIONS`] = 4,000 replications (ChaCha8, stream 2^63 of the
//! seed) give the 2.5 and 97.5 % points and the sd. It covers the Monte Carlo error only, not
//! the sampling error of the fitted mixtures (the package's `confInt`, posterior draws of the
//! mixture each followed by a full rerun, is not computed).
//!
//! Canada 2011 (20 seeds, B = 1000): with the package's own mixtures 0.0505 % on average, sd
//! 0.028 % between seeds, standard error of the mean 0.0064 % (the package's
//! published single run: 0.0389 %, the research report's re-run 0.0400 %); with the fit here
//! (three vote components) 0.0737 %, sd 0.028 %, standard error 0.0063 %. The predicted
//! Monte Carlo sd averages 0.033 % and 0.032 % over those runs. Russia 2011 (5 seeds): 0.965 %,
//! sd 0.035 %.

mod fit;
mod kde;
mod resample;

use rand::{SeedableRng, rngs::ChaCha8Rng};
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

/// R's `density()` pads to a power of two of at least 512 points: 1024 for 1001.
const R_POINTS: usize = kde::POINTS;

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
    /// Seed of the fit's starts and of the resamples' ChaCha8 streams.
    pub seed: u64,
    /// 100·Σ w_b over flagged bins: the estimated percentage of polls in excess spikes.
    pub fraud_percent: f64,
    /// Bins where the observed density exceeds the largest resampled one.
    pub flagged: Vec<FlaggedBin>,
    /// 95 % Monte Carlo interval of the estimate: what reruns with other seeds would give,
    /// the mixtures held fixed (the module documentation gives the method).
    pub interval: (f64, f64),
    /// Monte Carlo standard deviation of the estimate, on the same model.
    pub monte_carlo_sd: f64,
    /// The turnout mixture (t | N).
    pub turnout: Mixture,
    /// The vote mixture (v | t).
    pub votes: Mixture,
}

/// Counts as (k, n), kept as indices into the log tables.
type Obs = (u32, u32);

/// The polls the test uses: ballots cast, at most registered, votes at most cast, and at most
/// [`MAX_REGISTERED`] registered (so counts fit the tables' 32-bit indices).
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

/// The least-squares starts of each L: `tries` vectors of standard normal parameters (as
/// the package's `rnorm`), from ChaCha8 with `seed` (stream L); the fit with the smallest
/// objective is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub seed: u64,
    pub tries: usize,
}

/// Random starts tried by [`spikes`] for every L (the best least-squares fit is kept).
pub const FIT_TRIES: usize = 10;

/// The mixture's beta density on 1001 points over [0.01, 0.99].
pub fn mixture_density(m: &Mixture) -> Vec<f64> {
    fit::Grid::new().density(&m.components)
}

/// Fits the mixture of beta-binomials to counts (k, n), k ≤ n, n ≥ 1, choosing L as the
/// module documentation says, from the given start. None when no count is usable.
pub fn fit_mixture(counts: &[(u64, u64)], start: Start) -> Option<Mixture> {
    let obs: Vec<Obs> = counts
        .iter()
        .filter(|&&(k, n)| n > 0 && k <= n && n <= MAX_REGISTERED)
        .map(|&(k, n)| (k as u32, n as u32))
        .collect();
    fit::fit_obs(&obs, start)
}

/// R's `density(y, bw = 1e-4, from = 0, to = 1, n = 1001)` from a linear binning with unit
/// weights onto the 1024 points over [−4bw, 1 + 4bw] (module `kde` describes the emulation); `count`
/// is n.
pub fn r_density(binned: &[f64], count: usize) -> Vec<f64> {
    thread_local! {
        static SHARES: kde::Kde = kde::Kde::new(BANDWIDTH, 0.0, 1.0, GRID);
    }
    let w = 1.0 / count.max(1) as f64;
    let weighted: Vec<f64> = binned.iter().map(|b| b * w).collect();
    SHARES.with(|k| k.density(&weighted))
}

/// The test with mixtures fitted by [`fit_mixture`]. None when no poll is usable.
pub fn spikes(polls: &[Poll], resamples: usize, seed: u64) -> Option<Spikes> {
    spikes_reporting(polls, resamples, seed, &|_| {})
}

/// What the resampling has done so far, for a progress display: station-draws made, and how
/// many there are in all. Called from the workers, every [`PROGRESS_STATIONS`] stations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Station-draws made since the last report.
    pub done: u64,
    /// Station-draws in all (usable stations × resamples).
    pub total: u64,
}

/// Stations a worker resamples between two progress reports.
pub const PROGRESS_STATIONS: usize = 1024;

/// [`spikes`], telling `progress` how the resampling goes (the fits before it are not
/// reported). The result does not depend on `progress`.
pub fn spikes_reporting(
    polls: &[Poll],
    resamples: usize,
    seed: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> Option<Spikes> {
    let used = usable(polls);
    let turnout: Vec<Obs> = used.iter().map(|p| (p.cast as u32, p.registered as u32)).collect();
    let votes: Vec<Obs> = used.iter().map(|p| (p.votes as u32, p.cast as u32)).collect();
    let start = Start { seed, tries: FIT_TRIES };
    let (t, v) = rayon::join(|| fit::fit_obs(&turnout, start), || fit::fit_obs(&votes, start));
    spikes_with_reporting(polls, &t?, &v?, resamples, seed, progress)
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
    spikes_with_reporting(polls, turnout, votes, resamples, seed, &|_| {})
}

/// [`spikes_with`], telling `progress` how the resampling goes.
pub fn spikes_with_reporting(
    polls: &[Poll],
    turnout: &Mixture,
    votes: &Mixture,
    resamples: usize,
    seed: u64,
    progress: &(dyn Fn(Progress) + Sync),
) -> Option<Spikes> {
    use resample::{Accumulator, UNIT, Workspace, Wyrand, add_share, bin_of};
    let valid = |m: &Mixture| {
        !m.components.is_empty()
            && m.components.len() < 256
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
    let ((t_resp, _), (v_resp, _)) = rayon::join(
        || fit::e_step(&t_obs, &turnout.components),
        || fit::e_step(&v_obs, &votes.components),
    );
    let (lt, lv) = (turnout.components.len(), votes.components.len());
    let t_shapes: Vec<(f64, f64)> = turnout.components.iter().map(|c| (c.alpha, c.beta)).collect();
    let v_shapes: Vec<(f64, f64)> = votes.components.iter().map(|c| (c.alpha, c.beta)).collect();

    let share = |p: &Poll| p.votes as f64 / p.cast as f64;
    let mut observed_bins = vec![0u64; GRID];
    let mut observed_binned = vec![0u64; R_POINTS];
    for p in &used {
        let y = share(p);
        observed_bins[bin_of(p.votes, p.cast, y)] += 1;
        add_share(&mut observed_binned, y);
    }
    let to_f64 = |b: &[u64]| b.iter().map(|&x| x as f64 / UNIT).collect::<Vec<f64>>();
    let ydens = r_density(&to_f64(&observed_binned), count);

    // Stations in order of their share, so that a worker's draws land near each other.
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| share(&used[a]).total_cmp(&share(&used[b])).then(a.cmp(&b)));
    let root = resample::root(seed);
    // The TAIL + 1 largest resampled densities at each point, largest first.
    let mut top: Vec<Vec<f64>> = (0..GRID).map(|_| Vec::with_capacity(TAIL + 2)).collect();
    let mut exceed = vec![0u64; GRID];
    let mut sums = vec![0u64; GRID];
    let (mut done, mut batch) = (0usize, 0u64);
    let draws = (count * resamples) as u64;
    while done < resamples {
        let this = (resamples - done).min(resample::BATCH);
        let groups = (2 * rayon::current_num_threads()).clamp(1, count);
        let acc = (0..groups)
            .into_par_iter()
            .map(|g| {
                let mut acc = Accumulator::new(this);
                let mut ws = Workspace::default();
                let mine = &order[g * count / groups..(g + 1) * count / groups];
                for (k, &i) in mine.iter().enumerate() {
                    let p = &used[i];
                    let station = resample::Station {
                        registered: p.registered as u32,
                        cast: p.cast as u32,
                        votes: p.votes as u32,
                        turnout_posterior: &t_resp[i * lt..(i + 1) * lt],
                        vote_posterior: &v_resp[i * lv..(i + 1) * lv],
                    };
                    let mut rng = Wyrand::from_stream(&root, (batch << 32) | i as u64);
                    resample::resample_station(
                        &station, &t_shapes, &v_shapes, &mut rng, &mut ws, &mut acc,
                    );
                    if (k + 1) % PROGRESS_STATIONS == 0 || k + 1 == mine.len() {
                        let stations = k % PROGRESS_STATIONS + 1;
                        progress(Progress { done: (stations * this) as u64, total: draws });
                    }
                }
                acc.flush();
                acc
            })
            .reduce_with(Accumulator::merge)?;
        let densities: Vec<Vec<f64>> =
            (0..this).into_par_iter().map(|b| r_density(&to_f64(acc.resample(b)), count)).collect();
        // Per point: how many resamples reach the observed density, and the largest values.
        top.par_iter_mut().zip(exceed.par_iter_mut()).enumerate().for_each(|(g, (top, x))| {
            for d in &densities {
                let v = d[g];
                *x += u64::from(v >= ydens[g]);
                if top.len() < TAIL + 1 || v > top[TAIL] {
                    let at = top.partition_point(|&t| t >= v);
                    top.insert(at, v);
                    top.truncate(TAIL + 1);
                }
            }
        });
        for (s, b) in sums.iter_mut().zip(&acc.bins) {
            *s += b;
        }
        done += this;
        batch += 1;
    }
    let total = count as f64;
    let observed: Vec<f64> = observed_bins.iter().map(|&o| o as f64 / total).collect();
    let expected: Vec<f64> =
        sums.iter().map(|&s| s as f64 / (total * resamples.max(1) as f64)).collect();
    let mut fraud = 0.0;
    let mut flagged = Vec::new();
    for b in 0..GRID {
        if resamples > 0 && exceed[b] == 0 {
            fraud += (observed[b] - expected[b]).max(0.0);
            flagged.push(FlaggedBin {
                centre: b as f64 / (GRID - 1) as f64,
                observed: observed[b],
                expected: expected[b],
                density: ydens[b],
                max_resampled: top[b].first().copied().unwrap_or(0.0),
            });
        }
    }
    let reach: Vec<f64> =
        (0..GRID).map(|g| exceedance(&top[g], exceed[g], ydens[g], resamples)).collect();
    let mc = monte_carlo(&observed, &expected, &reach, resamples, count, seed);
    Some(Spikes {
        polls: count,
        excluded: polls.len() - count,
        resamples,
        seed,
        fraud_percent: 100.0 * fraud,
        flagged,
        interval: mc.interval,
        monte_carlo_sd: mc.sd,
        turnout: turnout.clone(),
        votes: votes.clone(),
    })
}

/// Replications of the test simulated for the Monte Carlo interval.
pub const INTERVAL_REPLICATIONS: usize = 4000;
/// Resampled densities above the threshold of the tail fit (peaks over threshold).
pub const TAIL: usize = 20;

struct MonteCarlo {
    interval: (f64, f64),
    sd: f64,
}

/// The chance that one resample's density at a point reaches the observed density y: the
/// share of resamples that did when y is within the TAIL + 1 largest (at least TAIL/B then),
/// beyond them an exponential tail fitted to the TAIL largest excesses over the (TAIL + 1)-th
/// largest u: (TAIL/B)·exp(−(y − u)/σ), σ their mean excess.
fn exceedance(top: &[f64], exceed: u64, y: f64, resamples: usize) -> f64 {
    let b = resamples.max(1) as f64;
    let Some(&u) = top.get(TAIL) else {
        return exceed as f64 / b;
    };
    if y <= u {
        return exceed as f64 / b;
    }
    let sigma = top[..TAIL].iter().map(|v| v - u).sum::<f64>() / TAIL as f64;
    if sigma <= 0.0 {
        return 0.0;
    }
    (TAIL as f64 / b) * (-(y - u) / sigma).exp()
}

/// The Monte Carlo distribution of the estimate: what another run with B fresh resamples (the
/// same mixtures) would give. A point is flagged in a replication with probability
/// (1 − p_g)^B, p_g from [`exceedance`]; the mean resampled share is redrawn from a normal with
/// its largest possible Monte Carlo variance (a bin's count is a sum of independent indicators,
/// so its variance is at most its mean); points are taken as independent. Points that would be
/// flagged with probability below 1e-12 are left out. Seeded (ChaCha8, stream 2^63 of the
/// seed).
fn monte_carlo(
    observed: &[f64],
    expected: &[f64],
    reach: &[f64],
    resamples: usize,
    count: usize,
    seed: u64,
) -> MonteCarlo {
    use rand::RngExt;
    use rand_distr::StandardNormal;
    if resamples == 0 {
        return MonteCarlo { interval: (0.0, 0.0), sd: 0.0 };
    }
    let b = resamples as f64;
    let total = count as f64;
    // Points that could be flagged and could weigh: (observed, mean, its sd, P(flag)).
    let points: Vec<(f64, f64, f64, f64)> = (0..observed.len())
        .map(|g| {
            let flag = (b * (-reach[g]).ln_1p()).exp();
            (observed[g], expected[g], (expected[g] / (total * b)).sqrt(), flag)
        })
        .filter(|&(o, e, sd, flag)| flag >= 1e-12 && o > e - 8.0 * sd)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1 << 63);
    let mut values: Vec<f64> = (0..INTERVAL_REPLICATIONS)
        .map(|_| {
            let mut f = 0.0;
            for &(o, e, sd, flag) in &points {
                let z: f64 = rng.sample(StandardNormal);
                if rng.random::<f64>() < flag {
                    f += (o - (e + sd * z)).max(0.0);
                }
            }
            100.0 * f
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let at = |q: f64| values[((q * n) as usize).min(values.len() - 1)];
    MonteCarlo { interval: (at(0.025), at(0.975)), sd }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Binomial, Distribution, Gamma};
    use resample::{UNIT, add_share, bin_of};

    fn bin(v: u64, t: u64) -> usize {
        bin_of(v, t, v as f64 / t as f64)
    }

    #[test]
    fn bins_are_right_closed_and_centred() {
        assert_eq!(bin(0, 10), 0);
        assert_eq!(bin(1, 2000), 0); // 0.0005 closes bin 0
        assert_eq!(bin(3, 2000), 1); // 0.0015 closes bin 1
        assert_eq!(bin(1, 2), 500);
        assert_eq!(bin(7, 7), GRID - 1);
        assert_eq!(bin_of(0, 0, 0.0), 0);
        // The integer rule, not the float guess, decides: every v/t for small t.
        for t in 1..300u64 {
            for v in 0..=t {
                let want = (0..GRID).find(|&b| 2000 * v <= (2 * b as u64 + 1) * t);
                assert_eq!(Some(bin(v, t)), want, "{v}/{t}");
            }
        }
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
        let m = fit_mixture(&counts, Start { seed: 3, tries: FIT_TRIES }).expect("fit");
        let mean: f64 = m.components.iter().map(|c| c.weight * c.alpha / (c.alpha + c.beta)).sum();
        assert!((mean - 0.4).abs() < 0.01, "{m:?}");
    }

    #[test]
    fn r_density_of_a_point_stays_next_to_it() {
        let mut fixed = vec![0u64; R_POINTS];
        add_share(&mut fixed, 0.5);
        assert_eq!(fixed.iter().sum::<u64>(), UNIT as u64);
        let binned: Vec<f64> = fixed.iter().map(|&x| x as f64 / UNIT).collect();
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
    fn progress_counts_every_draw_and_changes_nothing() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let polls = synthetic(2500);
        let (done, calls) = (AtomicU64::new(0), AtomicU64::new(0));
        let totals = std::sync::Mutex::new(Vec::new());
        let reported = spikes_reporting(&polls, 12, 4, &|p: Progress| {
            done.fetch_add(p.done, Ordering::Relaxed);
            calls.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut t) = totals.lock() {
                t.push(p.total);
            }
        })
        .expect("result");
        assert_eq!(done.load(Ordering::Relaxed), 2500 * 12);
        // One report per share of the stations (two at least) and per PROGRESS_STATIONS
        // stations of a share: three at least for 2,500.
        assert!(calls.load(Ordering::Relaxed) >= 3, "{calls:?}");
        assert!(totals.lock().expect("totals").iter().all(|&t| t == 2500 * 12));
        assert_eq!(reported, spikes(&polls, 12, 4).expect("result"));
    }

    #[test]
    fn nothing_usable_is_none() {
        assert!(spikes(&[Poll { registered: 10, cast: 0, votes: 0 }], 10, 1).is_none());
    }
}
