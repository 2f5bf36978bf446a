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
/// Each entry carries its value and mixture component, packed as `value << 8 | component`
/// (values are at most [`super::MAX_REGISTERED`] < 2^24, components fewer than 256), so a draw
/// is one lookup.
#[derive(Default)]
pub(super) struct Table {
    /// Cumulated weights, then +∞: the sentinel stops the search without a bounds test.
    cdf: Vec<f64>,
    guide: Vec<u32>,
    entries: Vec<u32>,
}

impl Table {
    fn clear(&mut self) {
        self.cdf.clear();
        self.guide.clear();
        self.entries.clear();
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
        let len = (self.cdf.len() - start) as u32;
        self.entries.extend((first..first + len).map(|k| k << 8 | component));
    }

    /// Adds the sentinel and builds the guide over the cumulated weights: cell g starts at
    /// the first entry whose weight exceeds g/len of the total, less a margin that covers
    /// the rounding of the draw's u·len and u·total, so that a draw never starts past its
    /// entry.
    fn finish(&mut self) {
        let len = self.cdf.len();
        let total = self.cdf.last().copied().unwrap_or(0.0);
        // Three sentinels: a draw reads up to two entries past its guide's.
        self.cdf.extend([f64::INFINITY; 3]);
        let step = 1.0 / len as f64 * (1.0 - 1.0 / 281_474_976_710_656.0);
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

    /// The table's sampler, its constants read once.
    fn sampler(&self) -> Sampler<'_> {
        let len = self.entries.len();
        Sampler {
            cdf: &self.cdf,
            guide: &self.guide,
            entries: &self.entries,
            total: self.cdf.get(len.wrapping_sub(1)).copied().unwrap_or(0.0),
            cells: self.guide.len() as f64,
            last_cell: self.guide.len().saturating_sub(1),
            last: len.saturating_sub(1),
        }
    }
}

/// A table read for drawing.
pub(super) struct Sampler<'a> {
    cdf: &'a [f64],
    guide: &'a [u32],
    entries: &'a [u32],
    total: f64,
    cells: f64,
    last_cell: usize,
    last: usize,
}

impl Sampler<'_> {
    /// The entry drawn with the uniform `u`, packed as `value << 8 | component`.
    fn draw(&self, u: f64) -> u32 {
        let (mut i, x) = self.start(u);
        while self.cdf[i] <= x {
            i += 1;
        }
        self.entries.get(i.min(self.last)).copied().unwrap_or(0)
    }

    /// [`Sampler::draw`] when the entry is at most two past the guide's (about 99 % of draws
    /// in a station's tables), else None: without a branch, and with the three weights read
    /// at once (the cumulated weights do not decrease, so the entry is the guide's plus the
    /// number of the first two that are ≤ u·total, when the third is not).
    #[inline(always)]
    fn draw_near(&self, u: f64) -> Option<u32> {
        let (i, x) = self.start(u);
        let (first, second, third) = (self.cdf[i] <= x, self.cdf[i + 1] <= x, self.cdf[i + 2] <= x);
        let at = i + usize::from(first) + usize::from(second);
        (!third).then_some(self.entries.get(at.min(self.last)).copied().unwrap_or(0))
    }

    /// Where the search for u's entry starts (the sentinel after the last entry stops it),
    /// and u times the total weight.
    #[inline(always)]
    fn start(&self, u: f64) -> (usize, f64) {
        let g = ((u * self.cells) as u32 as usize).min(self.last_cell);
        (self.guide.get(g).map_or(self.last, |&i| i as usize), u * self.total)
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
    /// The station's draws: t*, and (s, j) packed as the vote table has them, then v*.
    t_star: Vec<u32>,
    v_star: Vec<u32>,
    /// Each draw's walk from (j, s) at the observed t to t*.
    walks: Vec<Walk>,
    /// Draws whose entry lies beyond the first steps: (2·resample + 1 for the vote table, u).
    far: Vec<(u32, f64)>,
}

/// Stations whose draws are held before they are added to the binnings.
const TILE: usize = 256;
/// Resamples per block of the held draws.
const BLOCK: usize = 64;

/// What the resamples of a batch add up to.
pub(super) struct Accumulator {
    /// Linear binning of each resample's shares onto R's 1024 points, in units of 1/[`UNIT`]
    /// station, resample by resample: `binned[b * R_POINTS + i]`. Integers, so the sum does
    /// not depend on the order.
    pub binned: Vec<u64>,
    pub resamples: usize,
    /// Draws per share bin (right-closed, centred on k/1000), over all resamples.
    pub bins: Vec<u64>,
    /// The draws of a tile of stations (neighbours in share order) before they are added:
    /// each resample's row of `binned` then takes the tile's draws, which land on a few
    /// neighbouring points, at once. By blocks of [`BLOCK`] resamples, station by station:
    /// draw b of the tile's station k is at `((b / BLOCK) * TILE + k) * BLOCK + b % BLOCK`, so
    /// that a station writes runs and a block is read from a few pages. Packed as
    /// `lower point << 33 | upper point's weight`.
    pending: Vec<u64>,
    tiled: usize,
}

impl Accumulator {
    pub(super) fn new(resamples: usize) -> Accumulator {
        Accumulator {
            binned: vec![0; resamples * R_POINTS],
            resamples,
            bins: vec![0; GRID],
            pending: vec![0; resamples.div_ceil(BLOCK) * BLOCK * TILE],
            tiled: 0,
        }
    }

    /// Resample b's binning.
    pub(super) fn resample(&self, b: usize) -> &[u64] {
        &self.binned[b * R_POINTS..(b + 1) * R_POINTS]
    }

    /// Adds the pending draws to the binnings.
    pub(super) fn flush(&mut self) {
        let k = self.tiled;
        for (rows, block) in
            self.binned.chunks_mut(BLOCK * R_POINTS).zip(self.pending.chunks_exact(TILE * BLOCK))
        {
            for (b, row) in rows.chunks_exact_mut(R_POINTS).enumerate() {
                for station in block[..k * BLOCK].chunks_exact(BLOCK) {
                    let p = station[b];
                    let (i, w) = ((p >> 33) as usize, p & ((1 << 33) - 1));
                    if let Some(pair) = row.get_mut(i..i + 2) {
                        pair[0] += UNIT as u64 - w;
                        pair[1] += w;
                    }
                }
            }
        }
        self.tiled = 0;
    }

    pub(super) fn merge(mut self, mut other: Accumulator) -> Accumulator {
        self.flush();
        other.flush();
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
    let mut b = u64::from(((1000.0 * y + 0.5) as u32).min((GRID - 1) as u32));
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
    let ix = pos as u32;
    let w = ((pos - f64::from(ix)) * UNIT + 0.5) as i64 as u64;
    Some((ix as usize, w.min(UNIT as u64)))
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

/// The station's draws of (t*, v*), one per resample of `acc`, added to `acc` (pending until
/// [`Accumulator::flush`]). `rng` is the station's own.
pub(super) fn resample_station(
    s: &Station<'_>,
    turnout: &[(f64, f64)],
    votes: &[(f64, f64)],
    rng: &mut Wyrand,
    ws: &mut Workspace,
    acc: &mut Accumulator,
) {
    tables(s, turnout, votes, ws);
    // The draws in passes, so that the walks' unpredictable branches do not hold up the
    // table look-ups and divisions of the other draws.
    draw_tables(ws, acc.resamples, rng);
    walks(ws, s.cast, rng);
    shares(ws, acc);
}

/// The station's tables: t* ~ Σ_k ρ_k BB(N, t + α_k, N − t + β_k), the components' windows
/// added up on their union, one segment (the draw of v* does not depend on k); and (j, s),
/// s ~ BB(t, v + α_j, t − v + β_j) with j's posterior probability, one segment a component.
#[inline(never)]
fn tables(s: &Station<'_>, turnout: &[(f64, f64)], votes: &[(f64, f64)], ws: &mut Workspace) {
    let (n, t, v) = (s.registered, s.cast, s.votes);
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
    ws.turnout.entries.extend((lo..=hi).map(|k| k << 8));
    ws.turnout.finish();
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
}

/// t* and the packed (s, j) of every resample: the draws two entries or less from their guide
/// cell's start first, the few others after them.
#[inline(never)]
fn draw_tables(ws: &mut Workspace, resamples: usize, rng: &mut Wyrand) {
    let (turnout, votes) = (ws.turnout.sampler(), ws.votes.sampler());
    ws.t_star.resize(resamples, 0);
    ws.v_star.resize(resamples, 0);
    ws.far.resize(2 * resamples, (0, 0.0));
    let mut far = 0;
    for (b, (t_star, drawn)) in ws.t_star.iter_mut().zip(ws.v_star.iter_mut()).enumerate() {
        let (u, w) = (rng.unit(), rng.unit());
        let (near_t, near_v) = (turnout.draw_near(u), votes.draw_near(w));
        *t_star = near_t.unwrap_or(0) >> 8;
        *drawn = near_v.unwrap_or(0);
        ws.far[far] = (2 * b as u32, u);
        far += usize::from(near_t.is_none());
        ws.far[far] = (2 * b as u32 + 1, w);
        far += usize::from(near_v.is_none());
    }
    for &(slot, u) in &ws.far[..far] {
        let b = (slot / 2) as usize;
        if slot % 2 == 0 {
            ws.t_star[b] = turnout.draw(u) >> 8;
        } else {
            ws.v_star[b] = votes.draw(u);
        }
    }
}

/// v* | t*: the successes among the first t* draws of the vote component's Pólya urn, from
/// (j, s) drawn at the observed t, by continuing the urn or removing draws at random
/// ([`Walk`]). Replaces the packed (s, j) by v*.
#[inline(never)]
fn walks(ws: &mut Workspace, t: u32, rng: &mut Wyrand) {
    // The walks' constants in a pass of their own, so that their divisions overlap.
    ws.walks.clear();
    ws.walks.extend(ws.v_star.iter().zip(&ws.t_star).map(|(&drawn, &t_star)| {
        let shape = ws.vote_shapes.get((drawn & 0xff) as usize).copied().unwrap_or((1.0, 1.0));
        Walk::new(drawn >> 8, t, t_star, shape)
    }));
    for (v_star, walk) in ws.v_star.iter_mut().zip(&ws.walks) {
        *v_star = walk.run(rng);
    }
}

/// The shares v*/t*: their bins, and their linear binning held in `acc` until it is full.
#[inline(never)]
fn shares(ws: &Workspace, acc: &mut Accumulator) {
    if acc.tiled == TILE {
        acc.flush();
    }
    let k = acc.tiled;
    for (b, (&v_star, &t_star)) in ws.v_star.iter().zip(&ws.t_star).enumerate() {
        // v* = 0 when t* = 0, so the share is then 0.
        let y = f64::from(v_star) / f64::from(t_star.max(1));
        acc.bins[near_bin(v_star, t_star, y)] += 1;
        let (i, w) = linear_bin(y).unwrap_or((0, 0));
        if let Some(p) = acc.pending.get_mut(((b / BLOCK) * TILE + k) * BLOCK + b % BLOCK) {
            *p = (i as u64) << 33 | w;
        }
    }
    acc.tiled += 1;
}

/// [`bin_of`] for counts up to [`super::MAX_REGISTERED`], without a branch: the rounded
/// guess 1000·y is the bin or one of its neighbours (it is off only when 2000·v/t is an odd
/// integer, or by the rounding of y), so one step each way corrects it. The products stay
/// below 2^32.
#[inline]
fn near_bin(v: u32, t: u32, y: f64) -> usize {
    let num = 2000 * v;
    let mut b = ((1000.0 * y + 0.5) as u32).min((GRID - 1) as u32);
    b += u32::from(b < (GRID - 1) as u32 && (2 * b + 1) * t < num);
    b -= u32::from(b > 0 && (2 * b).wrapping_sub(1) * t >= num);
    b as usize
}

/// From x successes in the first `from` draws of a Pólya urn with initial weights (c, e), the
/// successes in the first `to` draws: the urn continued (to > from: draw i succeeds with
/// probability (c + successes so far)/(c + e + draws so far)), or `from − to` draws removed at
/// random (to < from: each removed draw is a success with probability successes left / draws
/// left; exchangeability makes the kept ones the first `to`).
///
/// Step i succeeds when its uniform U is below its probability. Over the whole walk that
/// probability lies between two bounds (the least and largest it can have at the last step,
/// whatever came before). U is drawn in two parts: its top 15 bits h, four steps to a random
/// word (one in each 16-bit quarter), and, only when needed, 32 bits more. When U's cell
/// [h, h + 1)·2^−15 lies below the lower bound the step is a success, when it lies at or
/// above the upper bound a failure, whatever the other steps did; so four steps are decided
/// by a few word-wide operations (each quarter subtracted from a constant that cannot borrow
/// from its neighbour), and the successes counted by their bits. Only the steps whose cell
/// meets the band between the bounds (about |to − from|/(c + e + from) of them, plus 2^−14)
/// take their 32 further bits and are compared exactly, in order, with the successes so far.
/// Both directions are one computation, so the direction is not a branch.
#[derive(Clone, Copy)]
struct Walk {
    x: u32,
    steps: u32,
    up: bool,
    /// Step i succeeds when U·(d0 + sign·i) < a0 + sign·successes.
    a0: f64,
    d0: f64,
    sign: f64,
    /// In each quarter, 2^15 + L − 1: subtracting h leaves the quarter's top bit set exactly
    /// when h < L, the cells wholly below the lower bound.
    sure: u64,
    /// Likewise 2^15 + H − 1: h < H unless the cell lies wholly at or above the upper bound.
    open: u64,
}

/// The 15-bit parts of four steps' uniforms, one in each quarter of a word.
const QUARTERS: u64 = 0x7fff_7fff_7fff_7fff;
/// The top bit of each quarter.
const QUARTER_TOPS: u64 = 0x8000_8000_8000_8000;
/// One in each quarter.
const QUARTER_ONES: u64 = 0x0001_0001_0001_0001;
/// Cells of a step's top 15 bits.
const CELL_COUNT: u64 = 1 << 15;
const CELLS: f64 = CELL_COUNT as f64;

impl Walk {
    /// The walk from x successes in `from` draws of the urn with weights (c, e) to `to` draws.
    #[inline]
    fn new(x: u32, from: u32, to: u32, (c, e): (f64, f64)) -> Walk {
        // Margins far above the rounding of the exact comparison.
        const WIDE: f64 = 1.0 / 1_099_511_627_776.0;
        let up = to > from;
        let steps = to.abs_diff(from);
        let (xf, last, k) = (f64::from(x), f64::from(steps.max(1) - 1), f64::from(u8::from(up)));
        let (a0, d0, sign) = (xf + k * c, f64::from(from) + k * (c + e), 2.0 * k - 1.0);
        // Up, the probability is (a0 + s)/(d0 + i) with s ≤ i successes so far: at least
        // a0/(d0 + last) and at most (a0 + last)/(d0 + last) (a0 < d0). Down, it is
        // (x − s)/(from − i) with s ≤ min(i, x): at least max(x − last, 0)/(from − last)
        // (x ≤ from) and at most x/(from − last).
        let inv = 1.0 / (d0 + sign * last);
        let p_lo = (a0 - (1.0 - k) * last).max(0.0) * inv;
        let p_hi = (a0 + k * last) * inv;
        // L = ⌊p_lo·2^15⌋ and H = ⌈p_hi·2^15⌉, widened, within [0, 2^15].
        let cells = CELL_COUNT as i64;
        let below = ((p_lo * (1.0 - WIDE) * CELLS) as i64).clamp(0, cells) as u64;
        let open = (((p_hi * (1.0 + WIDE) * CELLS) as i64) + 1).clamp(below as i64, cells) as u64;
        let quarter = |bound: u64| (CELL_COUNT + bound - 1) * QUARTER_ONES;
        Walk { x, steps, up, a0, d0, sign, sure: quarter(below), open: quarter(open) }
    }

    /// The walk: four steps a word, decided by their top 15 bits unless they meet the band.
    #[inline]
    fn run(&self, rng: &mut Wyrand) -> u32 {
        let mut hits = 0u32;
        let mut i = 0;
        let mut local = Wyrand(rng.0);
        while i < self.steps {
            let cells = local.next() & QUARTERS;
            // The quarters of the steps left (all four but at the end).
            let live = QUARTER_TOPS & (u64::MAX >> (16 * 4u32.saturating_sub(self.steps - i)));
            let sure = self.sure.wrapping_sub(cells) & live;
            let band = self.open.wrapping_sub(cells) & live & !sure;
            hits = if band == 0 {
                hits + tops(sure)
            } else {
                self.settle(&mut local, hits, i, cells, sure, band)
            };
            i += 4;
        }
        rng.0 = local.0;
        if self.up { self.x + hits } else { self.x - hits }
    }

    /// Four steps from step i, some in the band: in order, each band step's U completed with
    /// 32 more bits (the first two from the halves of one word, high half first, any others
    /// from a word each) and compared with the successes before it.
    #[inline(never)]
    fn settle(
        &self,
        rng: &mut Wyrand,
        hits: u32,
        i: u32,
        cells: u64,
        sure: u64,
        mut band: u64,
    ) -> u32 {
        const SCALE: f64 = 1.0 / 140_737_488_355_328.0;
        let fine = rng.next();
        let mut halves = [fine >> 32, fine & 0xffff_ffff].into_iter();
        let mut extra = 0u32;
        while band != 0 {
            let top = band & band.wrapping_neg();
            let q = top.trailing_zeros() / 16;
            let before = hits + tops(sure & (top - 1)) + extra;
            let bits = halves.next().unwrap_or_else(|| rng.next() >> 32);
            let h = (cells >> (16 * q)) & 0x7fff;
            let u = (h << 32 | bits) as f64 * SCALE;
            extra += u32::from(
                u * (self.d0 + self.sign * f64::from(i + q))
                    < self.a0 + self.sign * f64::from(before),
            );
            band &= band - 1;
        }
        hits + tops(sure) + extra
    }
}

/// How many quarters of a word have their top bit set (the others' top bits clear).
#[inline(always)]
fn tops(word: u64) -> u32 {
    ((word >> 15).wrapping_mul(QUARTER_ONES) >> 48) as u32
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
    fn the_near_bin_is_the_bin() {
        // Every v/t for small t, then large counts at and around the bins' edges.
        let mut cases: Vec<(u32, u32)> =
            (1..400).flat_map(|t| (0..=t).map(move |v| (v, t))).collect();
        for t in [999_999u32, 1_000_000, 777_777, 2000, 4000] {
            for edge in 0..=1000u32 {
                // v near (2·edge − 1)·t/2000, the edge below bin `edge`.
                let at = (u64::from(2 * edge).saturating_sub(1) * u64::from(t) / 2000) as u32;
                cases.extend((at.saturating_sub(1)..=(at + 1).min(t)).map(|v| (v, t)));
            }
        }
        cases.push((0, 0));
        for (v, t) in cases {
            let y = f64::from(v) / f64::from(t.max(1));
            assert_eq!(near_bin(v, t, y), bin_of(u64::from(v), u64::from(t), y), "{v}/{t}");
        }
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
        let len = t.entries.len();
        let total = t.cdf[len - 1];
        assert_eq!(t.cdf[len], f64::INFINITY);
        // Entries: BB(30, 4, 6)'s window, then BB(12, 2, 1.5)'s, with their components.
        let split = t.entries.iter().position(|&p| p & 0xff == 1).expect("two segments");
        assert!(t.entries[..split].windows(2).all(|w| w[1] == w[0] + (1 << 8)));
        assert!(t.entries[split..].windows(2).all(|w| w[1] == w[0] + (1 << 8)));
        let mut rng = Wyrand(7);
        for i in 0..20_000 {
            let u = if i < 3 { [0.0, 1.0 - f64::EPSILON, 0.5][i] } else { rng.unit() };
            let want = t.cdf[..len].iter().position(|&c| c > u * total).unwrap_or(len - 1);
            let sampler = t.sampler();
            assert_eq!(sampler.draw(u), t.entries[want], "u {u}");
            assert!(sampler.draw_near(u).is_none_or(|e| e == t.entries[want]), "u {u}");
        }
    }

    fn walk_of(x: u32, from: u32, to: u32, c: f64, e: f64) -> Walk {
        Walk::new(x, from, to, (c, e))
    }

    fn walk(x: u32, from: u32, to: u32, c: f64, e: f64, rng: &mut Wyrand) -> u32 {
        walk_of(x, from, to, c, e).run(rng)
    }

    /// L and H of a walk, from its quarter constants.
    fn bounds(w: &Walk) -> (u64, u64) {
        ((w.sure & 0xffff) + 1 - CELL_COUNT, (w.open & 0xffff) + 1 - CELL_COUNT)
    }

    /// The urn walk step by step, every step compared exactly with the successes so far:
    /// what [`walk`] must give from the same random words. Each word gives four steps their
    /// top 15 bits; the steps of a word whose cells lie in [L, H) take 32 more bits each, in
    /// step order, the first two from the halves of the next word (high half first), any
    /// others from a word each, as the walk does; the others are compared at their cell's
    /// middle.
    fn plain_walk(x: u32, from: u32, to: u32, c: f64, e: f64, rng: &mut Wyrand) -> u32 {
        const SCALE: f64 = 1.0 / 140_737_488_355_328.0;
        let w = walk_of(x, from, to, c, e);
        let (below, open) = bounds(&w);
        let steps = to.abs_diff(from);
        let mut hits = 0u32;
        let mut cells = 0u64;
        let (mut used, mut low) = (0, 0);
        for i in 0..steps {
            if i % 4 == 0 {
                cells = rng.next();
                used = 0;
            }
            let h = (cells >> (16 * (i % 4))) & 0x7fff;
            let u = if (below..open).contains(&h) {
                let bits = match used {
                    0 => {
                        let word = rng.next();
                        low = word & 0xffff_ffff;
                        word >> 32
                    }
                    1 => low,
                    _ => rng.next() >> 32,
                };
                used += 1;
                (h << 32 | bits) as f64 * SCALE
            } else {
                (h as f64 + 0.5) / CELLS
            };
            let (i, h) = (f64::from(i), f64::from(hits));
            hits += u32::from(if to > from {
                u * (c + e + f64::from(from) + i) < c + f64::from(x) + h
            } else {
                u * (f64::from(from) - i) < f64::from(x) - h
            });
        }
        if to > from { x + hits } else { x - hits }
    }

    /// Urns (draws so far, successes, α, β): small and large, both ends of the share.
    const WALK_CASES: &[(u32, u32, f64, f64)] =
        &[(60, 25, 7.3, 11.6), (700, 410, 14.3, 19.2), (2500, 1900, 4.7, 0.9), (40, 0, 0.4, 9.0)];

    /// Walk k of a case: its successes so far (x0, or now and then none or all) and a target
    /// anywhere up to twice the draws so far.
    fn walk_case(k: u32, from: u32, x0: u32, rng: &mut Wyrand) -> (u32, u32) {
        let x = if k.is_multiple_of(7) { [0, from, x0][(k / 7 % 3) as usize] } else { x0 };
        (x, (rng.next() % (2 * u64::from(from) + 3)) as u32)
    }

    #[test]
    fn the_walk_decides_every_step_as_the_plain_urn() {
        // Small and large urns, short and long walks, both ends of x.
        let mut rng = Wyrand(99);
        for &(from, x0, alpha, beta) in WALK_CASES {
            let (c, e) = (f64::from(x0) + alpha, f64::from(from - x0) + beta);
            for k in 0..20_000u32 {
                let (x, to) = walk_case(k, from, x0, &mut rng);
                let to = if k % 2 == 0 { to } else { from.saturating_sub(k % 90) + k % 45 };
                let state = rng.0;
                let fast = walk(x, from, to, c, e, &mut rng);
                let (after, mut again) = (rng.0, Wyrand(state));
                let plain = plain_walk(x, from, to, c, e, &mut again);
                assert_eq!((fast, after), (plain, again.0), "{x} {from} {to} {c} {e}");
            }
        }
    }

    #[test]
    fn the_walk_bounds_hold_at_every_step() {
        // For every step and every count of earlier successes it can have, the top of the
        // cells below L is a success and the bottom of the cells from H on a failure, by the
        // exact rule.
        let mut rng = Wyrand(99);
        for &(from, x0, alpha, beta) in WALK_CASES {
            let (c, e) = (f64::from(x0) + alpha, f64::from(from - x0) + beta);
            for k in 0..300u32 {
                let (x, to) = walk_case(k, from, x0, &mut rng);
                let w = walk_of(x, from, to, c, e);
                let (below, open) = bounds(&w);
                assert!(below <= open && open <= CELL_COUNT, "{below} {open}");
                for i in 0..w.steps {
                    let most = if w.up { i } else { i.min(x) };
                    let least = if w.up { 0 } else { i.saturating_sub(from - x) };
                    // The rule is monotone in the successes so far: the extremes suffice.
                    for hits in [least, most] {
                        let success = |u: f64| {
                            u * (w.d0 + w.sign * f64::from(i)) < w.a0 + w.sign * f64::from(hits)
                        };
                        let top_below = (below as f64 - 1.0 / 4_294_967_296.0) / CELLS;
                        assert!(below == 0 || success(top_below), "{x} {from} {to} {i} {hits}");
                        let bottom_above = open as f64 / CELLS;
                        assert!(
                            open == CELL_COUNT || !success(bottom_above),
                            "{x} {from} {to} {i} {hits}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_urn_walk_draws_the_beta_binomial() {
        // From s ~ BB(t, c, e), the walk to t* gives BB(t*, c, e), up and down, in small
        // urns and in large ones (where most steps are decided by their top 15 bits).
        let mut rng = Wyrand(12345);
        let cases: &[(u32, f64, f64, &[u32])] = &[
            (60, 7.3, 11.6, &[0, 23, 59, 60, 61, 97]),
            (700, 424.3, 309.2, &[640, 690, 699, 701, 712, 760, 900]),
            (30, 0.4, 39.0, &[0, 5, 31, 44]),
        ];
        for &(t, c, e, targets) in cases {
            let mut table = Table::default();
            table.push_beta_binomial(1.0, t, c, e, 0, &mut Vec::new());
            table.finish();
            let sampler = table.sampler();
            for &to in targets {
                let draws = 200_000usize;
                let mut freq = vec![0usize; to as usize + 1];
                for _ in 0..draws {
                    let s = sampler.draw(rng.unit()) >> 8;
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
                assert!(chi2 < df + 6.0 * (2.0 * df).sqrt() + 10.0, "{t} {to}: χ² {chi2} on {df}");
            }
        }
    }

    #[test]
    fn a_station_draws_the_posterior_predictive_exactly() {
        // Two components each: the draws' share bins against the exact law of
        // bin(v*/t*), t* ~ Σ_k ρ_k BB(N, t + α_k, N − t + β_k), v* | t* ~ Σ_j ρ'_j BB(t*, v +
        // γ_j, t − v + δ_j), by Pearson's χ².
        let (n, t, v) = (80u32, 52u32, 19u32);
        let (turnout, votes) = ([(20.0, 15.0), (3.0, 0.5)], [(6.0, 9.0), (1.5, 4.0)]);
        let (rho_t, rho_v) = ([0.7, 0.3], [0.4, 0.6]);
        let station = Station {
            registered: n,
            cast: t,
            votes: v,
            turnout_posterior: &rho_t,
            vote_posterior: &rho_v,
        };
        let mut expected = vec![0.0; GRID];
        for t_star in 0..=n {
            let p_t: f64 = (0..2)
                .map(|k| {
                    let (a, b) = turnout[k];
                    rho_t[k] * ln_bb(t_star, n, f64::from(t) + a, f64::from(n - t) + b).exp()
                })
                .sum();
            for v_star in 0..=t_star {
                let p_v: f64 = (0..2)
                    .map(|j| {
                        let (g, d) = votes[j];
                        let (c, e) = (f64::from(v) + g, f64::from(t - v) + d);
                        rho_v[j] * ln_bb(v_star, t_star, c, e).exp()
                    })
                    .sum();
                let y = if t_star == 0 { 0.0 } else { f64::from(v_star) / f64::from(t_star) };
                expected[bin_of(u64::from(v_star), u64::from(t_star), y)] += p_t * p_v;
            }
        }
        let (mut acc, mut ws) = (Accumulator::new(1000), Workspace::default());
        let stations = 300;
        for i in 0..stations {
            let mut rng = Wyrand::from_stream(&root(8), i);
            resample_station(&station, &turnout, &votes, &mut rng, &mut ws, &mut acc);
        }
        acc.flush();
        let draws = (stations * 1000) as f64;
        let (mut chi2, mut cells) = (0.0, 0usize);
        for (&f, &p) in acc.bins.iter().zip(&expected) {
            if draws * p >= 5.0 {
                chi2 += (f as f64 - draws * p).powi(2) / (draws * p);
                cells += 1;
            }
        }
        let df = cells.saturating_sub(1) as f64;
        assert!(chi2 < df + 6.0 * (2.0 * df).sqrt() + 10.0, "χ² {chi2} on {df}");
        assert_eq!(acc.binned.iter().sum::<u64>(), draws as u64 * UNIT as u64);
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
            &mut rng,
            &mut ws,
            &mut acc,
        );
        acc.flush();
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
