//! The resampling step, station by station: every station's B draws are made together, from
//! tables of its own posterior predictive distributions (the parent module's docs say why this
//! is the same model as the package's beta-then-binomial draws).

use rand::{Rng, SeedableRng, rngs::ChaCha8Rng};

use super::{BANDWIDTH, GRID, R_POINTS};

/// Probabilities below this fraction of a component's mode are left out of its table.
pub(super) const CUT: f64 = 1e-12;
/// Components whose posterior probability at a station is below this are left out there.
pub(super) const NEGLIGIBLE_COMPONENT: f64 = 1e-12;
/// One station's share of the linear binning, in fixed point: 2^32 units per station.
pub(super) const UNIT: f64 = 4_294_967_296.0;
/// At most this many resamples are held in memory at once (8 KB each per worker).
pub(super) const BATCH: usize = 1000;

/// wyrand (Wang Yi's generator, the default of Go's and Zig's runtimes): the draws'
/// generator, five instructions a word. Each station's is seeded with a word of its own
/// ChaCha8 stream, so the draws depend on the seed and the station, never on the thread that
/// makes them.
pub(super) struct Wyrand(u64);

impl Wyrand {
    pub(super) fn from_stream(key: &[u8; 32], stream: u64) -> Wyrand {
        let mut r = ChaCha8Rng::from_seed(*key);
        r.set_stream(stream);
        Wyrand(r.next_u64())
    }

    #[inline]
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform on [0, 1) with 53 bits.
    #[inline]
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// A discrete distribution sampled by inversion with a guide table (Chen and Asau 1974): the
/// draw is the first entry whose cumulative weight exceeds a 53-bit uniform times the total.
/// Entries are grouped in segments (one per mixture component): an entry's value is its
/// segment's first value plus its place in the segment.
#[derive(Default)]
pub(super) struct Table {
    cdf: Vec<f64>,
    guide: Vec<u32>,
    /// (end, first value, component) of each segment.
    segments: Vec<(u32, u32, u32)>,
}

impl Table {
    fn clear(&mut self) {
        self.cdf.clear();
        self.guide.clear();
        self.segments.clear();
    }

    /// Appends a segment: `weight` × the pmf of BB(n, a, b) over its window, cumulated.
    fn push_beta_binomial(
        &mut self,
        weight: f64,
        n: u32,
        a: f64,
        b: f64,
        component: u32,
        scratch: &mut Vec<f64>,
    ) {
        let start = self.cdf.len();
        let (first, total) = beta_binomial_window(n, a, b, &mut self.cdf, scratch);
        let scale = weight / total;
        let mut acc = self.cdf.get(start.wrapping_sub(1)).copied().unwrap_or(0.0);
        for c in &mut self.cdf[start..] {
            acc += *c * scale;
            *c = acc;
        }
        self.segments.push((self.cdf.len() as u32, first, component));
    }

    /// Builds the guide over the cumulated weights.
    fn finish(&mut self) {
        let len = self.cdf.len();
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let step = 1.0 / len as f64;
        let mut i = 0usize;
        self.guide.reserve(len);
        for g in 0..len {
            let at = (g as f64 * step) * total;
            while i + 1 < len && self.cdf[i] <= at {
                i += 1;
            }
            self.guide.push(i as u32);
        }
    }

    /// The entry drawn with the uniform `u`, as (value, component).
    #[inline]
    fn draw(&self, u: f64) -> (u32, u32) {
        let len = self.guide.len();
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let x = u * total;
        let g = ((u * len as f64) as usize).min(len.saturating_sub(1));
        let mut i = self.guide.get(g).copied().unwrap_or(0) as usize;
        while i + 1 < len && self.cdf[i] <= x {
            i += 1;
        }
        while i > 0 && self.cdf[i - 1] > x {
            i -= 1;
        }
        let mut start = 0u32;
        for &(end, first, component) in &self.segments {
            if (i as u32) < end {
                return (first + (i as u32 - start), component);
            }
            start = end;
        }
        (0, 0)
    }
}

/// The pmf of BB(n, a, b) relative to its mode, appended to `out` over the window where the
/// terms are at least [`CUT`] of the mode's (from the mode outward, until a term falls below
/// the cut while the terms are falling: a second mode further out would be kept). Returns the
/// first k and the window's sum. Successive terms come from their ratios, so no Γ function is
/// evaluated; the truncated mass is left out. `scratch` holds the terms below the mode.
fn beta_binomial_window(
    n: u32,
    a: f64,
    b: f64,
    out: &mut Vec<f64>,
    scratch: &mut Vec<f64>,
) -> (u32, f64) {
    let nf = f64::from(n);
    // P(k + 1)/P(k) and P(k − 1)/P(k).
    let up = |k: f64| (nf - k) * (k + a) / ((k + 1.0) * (nf - k - 1.0 + b));
    let down = |k: f64| k * (nf - k + b) / ((nf - k + 1.0) * (k - 1.0 + a));
    let mut m = ((nf * a / (a + b)) as u32).min(n);
    while m < n && up(f64::from(m)) > 1.0 {
        m += 1;
    }
    while m > 0 && down(f64::from(m)) > 1.0 {
        m -= 1;
    }
    scratch.clear();
    let mut total = 1.0;
    let mut p = 1.0;
    let mut k = f64::from(m);
    while k > 0.0 {
        let r = down(k);
        p *= r;
        if p < CUT && r <= 1.0 {
            break;
        }
        total += p;
        scratch.push(p);
        k -= 1.0;
    }
    out.extend(scratch.iter().rev());
    out.push(1.0);
    let mut p = 1.0;
    let mut k = f64::from(m);
    while k < nf {
        let r = up(k);
        p *= r;
        if p < CUT && r <= 1.0 {
            break;
        }
        total += p;
        out.push(p);
        k += 1.0;
    }
    (m - scratch.len() as u32, total)
}

/// One station as the resampler sees it.
pub(super) struct Station<'a> {
    pub registered: u32,
    pub cast: u32,
    pub votes: u32,
    /// Posterior component probabilities (turnout, votes), rows summing to 1.
    pub turnout_posterior: &'a [f64],
    pub vote_posterior: &'a [f64],
}

/// Per-worker scratch: the station's tables.
#[derive(Default)]
pub(super) struct Workspace {
    turnout: Table,
    votes: Table,
    /// Component parameters of the vote table: (v + α_j, t − v + β_j).
    vote_shapes: Vec<(f64, f64)>,
    /// The turnout components' windows: (start in `scratch_terms`, length, first k, scale).
    parts: Vec<(usize, usize, u32, f64)>,
    scratch_terms: Vec<f64>,
    scratch: Vec<f64>,
}

/// What the resamples of a batch add up to.
pub(super) struct Accumulator {
    /// Linear binning of each resample's shares onto R's 1024 points, in units of 1/[`UNIT`]
    /// station, point by point: `binned[i * resamples + b]` (a station's draws land on a few
    /// neighbouring points, so this keeps them close in memory). Integers, so the sum does
    /// not depend on the order.
    pub binned: Vec<u64>,
    pub resamples: usize,
    /// Draws per share bin (right-closed, centred on k/1000), over all resamples.
    pub bins: Vec<u64>,
    /// The station's draws before they are added: (lower point, upper point's weight).
    pending: Vec<(u32, u64)>,
}

impl Accumulator {
    pub(super) fn new(resamples: usize) -> Accumulator {
        Accumulator {
            binned: vec![0; resamples * R_POINTS],
            resamples,
            bins: vec![0; GRID],
            pending: Vec::with_capacity(resamples),
        }
    }

    /// Resample b's binning.
    pub(super) fn resample(&self, b: usize) -> Vec<u64> {
        (0..R_POINTS).map(|i| self.binned[i * self.resamples + b]).collect()
    }

    pub(super) fn merge(mut self, other: Accumulator) -> Accumulator {
        for (a, b) in self.binned.iter_mut().zip(&other.binned) {
            *a += b;
        }
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            *a += b;
        }
        self
    }
}

/// Index of the bin (centred on k/1000, width 0.001, right-closed) holding v/t, in integers:
/// the smallest b with 2000·v ≤ (2b + 1)·t. `y` is v/t, used for a first guess only.
#[inline]
pub(super) fn bin_of(v: u64, t: u64, y: f64) -> usize {
    if t == 0 {
        return 0;
    }
    // v ≤ t ≤ 2^32, so these products fit in 64 bits.
    let num = 2000 * v;
    // A first guess (y ≥ 0, so the cast rounds down), then the exact rule.
    let mut b = ((1000.0 * y + 0.5) as u64).min((GRID - 1) as u64);
    while b < (GRID - 1) as u64 && (2 * b + 1) * t < num {
        b += 1;
    }
    while b > 0 && (2 * b - 1) * t >= num {
        b -= 1;
    }
    b as usize
}

/// Position of y on R's binning grid: the lower point and the upper point's fixed-point
/// weight (the lower one gets UNIT minus it). None outside the grid.
#[inline]
pub(super) fn linear_bin(y: f64) -> Option<(usize, u64)> {
    let lo = -4.0 * BANDWIDTH;
    let inv_delta = (R_POINTS - 1) as f64 / (1.0 + 8.0 * BANDWIDTH);
    let pos = (y - lo) * inv_delta;
    if !(0.0..(R_POINTS - 1) as f64).contains(&pos) {
        return None;
    }
    // pos ≥ 0: the casts round down.
    let ix = pos as usize;
    let w = ((pos - ix as f64) * UNIT + 0.5) as u64;
    Some((ix, w.min(UNIT as u64)))
}

/// Adds one share to a fixed-point binning.
#[inline]
pub(super) fn add_share(binned: &mut [u64], y: f64) {
    if let Some((i, w)) = linear_bin(y)
        && let (Some(a), Some(b)) = (binned.get(i), binned.get(i + 1))
    {
        let (a, b) = (*a, *b);
        binned[i] = a + (UNIT as u64 - w);
        binned[i + 1] = b + w;
    }
}

/// The station's `resamples` draws of (t*, v*), added to `acc`. `rng` is the station's own.
pub(super) fn resample_station(
    s: &Station<'_>,
    turnout: &[(f64, f64)],
    votes: &[(f64, f64)],
    resamples: usize,
    rng: &mut Wyrand,
    ws: &mut Workspace,
    acc: &mut Accumulator,
) {
    let (n, t, v) = (s.registered, s.cast, s.votes);
    // t* ~ Σ_k ρ_k BB(N, t + α_k, N − t + β_k): the components' windows added up on their
    // union, one segment (the draw of v* does not depend on k).
    ws.turnout.clear();
    ws.parts.clear();
    ws.scratch_terms.clear();
    let (mut lo, mut hi) = (u32::MAX, 0u32);
    for (&rho, &(alpha, beta)) in s.turnout_posterior.iter().zip(turnout) {
        if rho >= NEGLIGIBLE_COMPONENT {
            let start = ws.scratch_terms.len();
            let (first, total) = beta_binomial_window(
                n,
                f64::from(t) + alpha,
                f64::from(n - t) + beta,
                &mut ws.scratch_terms,
                &mut ws.scratch,
            );
            let len = ws.scratch_terms.len() - start;
            ws.parts.push((start, len, first, rho / total));
            lo = lo.min(first);
            hi = hi.max(first + len as u32 - 1);
        }
    }
    if lo > hi {
        (lo, hi) = (t, t);
    }
    ws.turnout.cdf.resize((hi - lo + 1) as usize, 0.0);
    for &(start, len, first, scale) in &ws.parts {
        let at = (first - lo) as usize;
        let terms = &ws.scratch_terms[start..start + len];
        for (c, &p) in ws.turnout.cdf[at..at + len].iter_mut().zip(terms) {
            *c += p * scale;
        }
    }
    let mut acc_p = 0.0;
    for c in &mut ws.turnout.cdf {
        acc_p += *c;
        *c = acc_p;
    }
    ws.turnout.segments.push((hi - lo + 1, lo, 0));
    ws.turnout.finish();
    // v* | t*: the successes among the first t* draws of the vote component's Pólya urn, from
    // (j, s) drawn at the observed t — s ~ BB(t, v + α_j, t − v + β_j), j with its posterior
    // probability — by continuing the urn or removing draws at random.
    ws.votes.clear();
    ws.vote_shapes.clear();
    for (j, (&rho, &(alpha, beta))) in s.vote_posterior.iter().zip(votes).enumerate() {
        let (c, e) = (f64::from(v) + alpha, f64::from(t - v) + beta);
        ws.vote_shapes.push((c, e));
        if rho >= NEGLIGIBLE_COMPONENT {
            ws.votes.push_beta_binomial(rho, t, c, e, j as u32, &mut ws.scratch);
        }
    }
    ws.votes.finish();
    acc.pending.clear();
    for _ in 0..resamples {
        let (t_star, _) = ws.turnout.draw(rng.unit());
        let (s0, j) = ws.votes.draw(rng.unit());
        let (c, e) = ws.vote_shapes.get(j as usize).copied().unwrap_or((1.0, 1.0));
        let v_star = walk(s0, t, t_star, c, e, rng);
        let y = if t_star == 0 { 0.0 } else { f64::from(v_star) / f64::from(t_star) };
        acc.bins[bin_of(u64::from(v_star), u64::from(t_star), y)] += 1;
        let (i, w) = linear_bin(y).unwrap_or((0, 0));
        acc.pending.push((i as u32, w));
    }
    let r = acc.resamples;
    for (b, &(i, w)) in acc.pending.iter().enumerate() {
        let at = i as usize * r + b;
        if let (Some(&lo), Some(&hi)) = (acc.binned.get(at), acc.binned.get(at + r)) {
            acc.binned[at] = lo + (UNIT as u64 - w);
            acc.binned[at + r] = hi + w;
        }
    }
}

/// From x successes in the first `from` draws of a Pólya urn with initial weights (c, e), the
/// successes in the first `to` draws: the urn continued (to > from: draw i succeeds with
/// probability (c + successes so far)/(c + e + draws so far)), or `from − to` draws removed at
/// random (to < from: each removed draw is a success with probability successes left / draws
/// left; exchangeability makes the kept ones the first `to`). Each step compares 32 random
/// bits with its probability; a step whose outcome does not depend on the earlier steps' (the
/// uniform is below the smallest or above the largest probability the step can have) is
/// decided without them, so the steps rarely wait on each other.
#[inline]
fn walk(x: u32, from: u32, to: u32, c: f64, e: f64, rng: &mut Wyrand) -> u32 {
    if to > from {
        let base = c + f64::from(x);
        let den0 = c + e + f64::from(from);
        let mut hits = 0u32;
        halves(to - from, rng, |u01, i| {
            let u = u01 * (den0 + f64::from(i));
            // Success for sure below base (no success yet), failure for sure at or above
            // base + i (every earlier step a success); in between (rarely) it depends on
            // them. (u − base) in [0, i): a non-negative double's bits order as integers,
            // and a negative one's sign bit puts it above every positive one. Branch-free in
            // the usual case: the outcome itself is a coin toss.
            let ambiguous = (u - base).to_bits() < f64::from(i).to_bits();
            hits += u32::from(u < base);
            if ambiguous {
                hits += u32::from(u < base + f64::from(hits));
            }
        });
        x + hits
    } else {
        let xf = f64::from(x);
        let left0 = f64::from(from);
        let mut removed = 0u32;
        halves(from - to, rng, |u01, i| {
            let u = u01 * (left0 - f64::from(i));
            // The successes left lie between x − i and x.
            let floor = xf - f64::from(i);
            let ambiguous = (u - floor).to_bits() < f64::from(i).to_bits();
            removed += u32::from(u < floor);
            if ambiguous {
                removed += u32::from(u < xf - f64::from(removed));
            }
        });
        x - removed
    }
}

/// `step(u, i)` for i < steps, u uniform on [0, 1) with 32 bits: two from each word.
#[inline(always)]
fn halves(steps: u32, rng: &mut Wyrand, mut step: impl FnMut(f64, u32)) {
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    let mut i = 0;
    while i + 2 <= steps {
        let r = rng.next();
        step((r >> 32) as f64 * SCALE, i);
        step((r & 0xffff_ffff) as f64 * SCALE, i + 1);
        i += 2;
    }
    if i < steps {
        step((rng.next() >> 32) as f64 * SCALE, i);
    }
}

/// The ChaCha8 key of a seed (`ChaCha8Rng::seed_from_u64`): the root of every station's stream.
pub(super) fn root(seed: u64) -> [u8; 32] {
    ChaCha8Rng::seed_from_u64(seed).get_seed()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln BB(k; n, a, b), for checking.
    fn ln_bb(k: u32, n: u32, a: f64, b: f64) -> f64 {
        use statrs::function::gamma::ln_gamma;
        let (k, n) = (f64::from(k), f64::from(n));
        ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
            + ln_gamma(k + a)
            + ln_gamma(n - k + b)
            - ln_gamma(n + a + b)
            - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b))
    }

    #[test]
    fn the_window_is_the_beta_binomial_pmf() {
        for &(n, a, b) in
            &[(40u32, 3.5, 7.25), (1000, 412.3, 590.1), (7, 0.4, 9.0), (25, 30.0, 0.2)]
        {
            let (mut out, mut scratch) = (Vec::new(), Vec::new());
            let (first, total) = beta_binomial_window(n, a, b, &mut out, &mut scratch);
            let mass: f64 = (0..=n).map(|k| ln_bb(k, n, a, b).exp()).sum();
            assert!((mass - 1.0).abs() < 1e-9);
            for (i, p) in out.iter().enumerate() {
                let exact = ln_bb(first + i as u32, n, a, b).exp();
                assert!(
                    (p / total - exact).abs() < 1e-9 * exact.max(1e-300) + 1e-13,
                    "{n} {a} {b} {i}"
                );
            }
            // The left-out tails are negligible.
            let kept: f64 = out.iter().sum::<f64>() / total;
            let outside: f64 = (0..=n)
                .filter(|&k| k < first || k >= first + out.len() as u32)
                .map(|k| ln_bb(k, n, a, b).exp())
                .sum();
            assert!((kept - 1.0).abs() < 1e-12 && outside < 1e-10, "{n} {a} {b}: {outside}");
        }
    }

    #[test]
    fn the_guide_table_inverts_the_cdf() {
        let mut t = Table::default();
        let mut scratch = Vec::new();
        t.push_beta_binomial(0.3, 30, 4.0, 6.0, 0, &mut scratch);
        t.push_beta_binomial(0.7, 12, 2.0, 1.5, 1, &mut scratch);
        t.finish();
        let total = *t.cdf.last().expect("entries");
        let mut rng = Wyrand(7);
        for i in 0..20_000 {
            let u = if i < 3 { [0.0, 1.0 - f64::EPSILON, 0.5][i] } else { rng.unit() };
            let want = t.cdf.iter().position(|&c| c > u * total).expect("an entry");
            let (v, j) = t.draw(u);
            let (end0, first0, _) = t.segments[0];
            let expect = if want < end0 as usize {
                (first0 + want as u32, 0)
            } else {
                (t.segments[1].1 + (want - end0 as usize) as u32, 1)
            };
            assert_eq!((v, j), expect, "u {u}");
        }
    }

    #[test]
    fn the_urn_walk_draws_the_beta_binomial() {
        // From s ~ BB(t, c, e), the walk to t* gives BB(t*, c, e), up and down.
        let (t, c, e) = (60u32, 7.3, 11.6);
        let mut table = Table::default();
        table.push_beta_binomial(1.0, t, c, e, 0, &mut Vec::new());
        table.finish();
        let mut rng = Wyrand(12345);
        for to in [0u32, 23, 60, 61, 97] {
            let draws = 200_000usize;
            let mut freq = vec![0usize; to as usize + 1];
            for _ in 0..draws {
                let (s, _) = table.draw(rng.unit());
                freq[walk(s, t, to, c, e, &mut rng) as usize] += 1;
            }
            // Pearson χ² over the cells with an expected count of at least 5.
            let (mut chi2, mut cells) = (0.0, 0usize);
            for (k, &f) in freq.iter().enumerate() {
                let expected = draws as f64 * ln_bb(k as u32, to, c, e).exp();
                if expected >= 5.0 {
                    chi2 += (f as f64 - expected).powi(2) / expected;
                    cells += 1;
                }
            }
            let df = cells.saturating_sub(1) as f64;
            assert!(chi2 < df + 6.0 * (2.0 * df).sqrt() + 10.0, "to {to}: χ² {chi2} on {df}");
        }
    }

    #[test]
    fn a_station_resamples_with_the_right_moments() {
        // One component each: t* ~ BB(N, t + α, N − t + β); v* | t* ~ BB(t*, v + γ, t − v + δ).
        let (n, t, v) = (900u32, 610u32, 250u32);
        let (alpha, beta, gamma, delta) = (20.0, 15.0, 6.0, 9.0);
        let station = Station {
            registered: n,
            cast: t,
            votes: v,
            turnout_posterior: &[1.0],
            vote_posterior: &[1.0],
        };
        let draws = 100_000;
        let mut acc = Accumulator::new(draws);
        let mut ws = Workspace::default();
        let mut rng = Wyrand::from_stream(&root(4), 0);
        resample_station(
            &station,
            &[(alpha, beta)],
            &[(gamma, delta)],
            draws,
            &mut rng,
            &mut ws,
            &mut acc,
        );
        // The mean share over the draws, from the bins and from the exact moments.
        let (a, b) = (f64::from(t) + alpha, f64::from(n - t) + beta);
        let (c, e) = (f64::from(v) + gamma, f64::from(t - v) + delta);
        let p = c / (c + e);
        let mean_bin: f64 =
            acc.bins.iter().enumerate().map(|(g, &k)| g as f64 * k as f64).sum::<f64>()
                / (draws as f64 * 1000.0);
        assert!((mean_bin - p).abs() < 0.002, "{mean_bin} vs {p}");
        // Spread of the share: Var(v*/t*) ≈ E over t* of p q (c + e + t*)/((c + e + 1) t*).
        let nf = f64::from(n);
        let mt = nf * a / (a + b);
        let var_share = p * (1.0 - p) * (c + e + mt) / ((c + e + 1.0) * mt);
        let var_bin: f64 = acc
            .bins
            .iter()
            .enumerate()
            .map(|(g, &k)| (g as f64 / 1000.0 - mean_bin).powi(2) * k as f64)
            .sum::<f64>()
            / draws as f64;
        assert!((var_bin / var_share - 1.0).abs() < 0.05, "{var_bin} vs {var_share}");
        // Every draw is binned once, with a unit's weight.
        let total: u64 = acc.binned.iter().sum();
        assert_eq!(total, draws as u64 * UNIT as u64);
        assert_eq!(acc.bins.iter().sum::<u64>(), draws as u64);
    }
}
