//! Samplers that anyone can replay from a public seed.
//!
//! * Rivest's consistent sampler (`consistent-sampler` 1.0.10 on PyPI, the one Arlo uses), bit
//!   for bit: [`sha256_hex`], [`sha256_uniform`], [`first_fraction`], [`next_fraction`],
//!   [`trim`], and [`consistent_sample`] with and without replacement. Tickets are decimal
//!   strings compared in full; `digits` only trims them for display.
//! * Python-compatible ids for Arlo interoperability: [`PyId`] serialises as Python's `str()`,
//!   e.g. `('pct 2', 3)`.
//! * Stark's `sha256Rand` as ColoradoRLA uses it: [`sha256_rand`], [`sha256_rand_sequence`].
//! * cryptorandom's SHA-256 generator (SHANGRLA's `sample_num`): [`CryptoRandomSha256`].
//! * psephos's weighted consistent sampler for PPEB draws: [`weighted_sample`].
//!
//! The exact specifications, with vectors, are in `docs/internals/sampling.md`.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;

use sha2::{Digest, Sha256};

/// Why a sample could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleError {
    /// Without replacement, more distinct values were asked for than the range holds.
    RangeTooSmall { asked: u64, range: u64 },
    /// `min > max`.
    EmptyRange,
    /// A weight has a zero denominator, or the weights are not all given.
    BadWeight { index: usize },
    /// Every weight is zero: nothing can be drawn.
    ZeroWeights,
    /// The declared scale of the weighted sampler is below a weight.
    ScaleBelowWeight { index: usize },
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RangeTooSmall { asked, range } => write!(
                f,
                "cannot draw {asked} distinct values without replacement from a range of {range}"
            ),
            Self::EmptyRange => write!(f, "the range is empty (min > max)"),
            Self::BadWeight { index } => {
                write!(f, "weight {index} is not a fraction with a positive denominator")
            }
            Self::ZeroWeights => write!(f, "every weight is zero: nothing can be drawn"),
            Self::ScaleBelowWeight { index } => {
                write!(f, "the declared scale is smaller than weight {index}")
            }
        }
    }
}

impl std::error::Error for SampleError {}

// ---------------------------------------------------------------------------------------------
// 256-bit integers (big-endian limbs), just what the samplers need.

/// A 256-bit unsigned integer, most significant limb first.
type U256 = [u64; 4];

fn u256_from_digest(d: &[u8]) -> U256 {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[i * 8..i * 8 + 8]);
        *limb = u64::from_be_bytes(b);
    }
    limbs
}

/// Divides in place by `d` (> 0) and returns the remainder.
fn u256_divmod(x: &mut U256, d: u64) -> u64 {
    let d = u128::from(d);
    let mut r: u128 = 0;
    for limb in x.iter_mut() {
        let cur = (r << 64) | u128::from(*limb);
        *limb = (cur / d) as u64;
        r = cur % d;
    }
    r as u64
}

/// The remainder of `x` divided by `d` (> 0).
fn u256_mod(x: &U256, d: u64) -> u64 {
    let d = u128::from(d);
    let mut r: u128 = 0;
    for &limb in x {
        r = ((r << 64) | u128::from(limb)) % d;
    }
    r as u64
}

const TEN19: u64 = 10_000_000_000_000_000_000;

/// Decimal digits of `x`, most significant first, without leading zeros ("0" for zero).
fn u256_decimal(mut x: U256) -> Vec<u8> {
    let mut chunks = Vec::with_capacity(5);
    while x != [0; 4] {
        chunks.push(u256_divmod(&mut x, TEN19));
    }
    let mut out = Vec::with_capacity(80);
    match chunks.pop() {
        None => out.push(b'0'),
        Some(top) => {
            out.extend_from_slice(top.to_string().as_bytes());
            while let Some(c) = chunks.pop() {
                out.extend_from_slice(format!("{c:019}").as_bytes());
            }
        }
    }
    out
}

/// Decimal of a 256-bit big-endian integer, as Python's `str(int)`.
pub fn u256_to_decimal(be_bytes: &[u8; 32]) -> String {
    String::from_utf8(u256_decimal(u256_from_digest(be_bytes))).unwrap_or_default()
}

/// `floor(a * c / 2^256)` for a 256-bit `a` and a 128-bit `c`.
fn mul_high(a: &U256, c: u128) -> u128 {
    // little-endian limbs
    let al = [a[3], a[2], a[1], a[0]];
    let cl = [c as u64, (c >> 64) as u64];
    let mut prod = [0u64; 6];
    for (i, &x) in al.iter().enumerate() {
        let mut carry: u128 = 0;
        for (j, &y) in cl.iter().enumerate() {
            let t = u128::from(x) * u128::from(y) + u128::from(prod[i + j]) + carry;
            prod[i + j] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + 2;
        while carry != 0 && k < 6 {
            let t = u128::from(prod[k]) + carry;
            prod[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
    u128::from(prod[4]) | (u128::from(prod[5]) << 64)
}

// ---------------------------------------------------------------------------------------------
// Rivest's consistent sampler.

/// Lowercase hex SHA-256 of the UTF-8 text (`consistent_sampler.sha256_hex`).
pub fn sha256_hex(input: &str) -> String {
    hex(&Sha256::digest(input.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// The uniform fraction of a digest: `"0."` + the decimal of the digest as an integer,
/// zero-padded to at least 64 digits, reversed.
fn uniform_from_digest(d: &[u8]) -> String {
    let mut digits = u256_decimal(u256_from_digest(d));
    if digits.len() < 64 {
        let mut padded = vec![b'0'; 64 - digits.len()];
        padded.extend_from_slice(&digits);
        digits = padded;
    }
    digits.reverse();
    let mut s = String::with_capacity(digits.len() + 2);
    s.push_str("0.");
    s.push_str(std::str::from_utf8(&digits).unwrap_or_default());
    s
}

/// `consistent_sampler.sha256_uniform`: `"0."` + reverse of the zero-padded (64) decimal of
/// `int(sha256_hex(s), 16)`.
pub fn sha256_uniform(input: &str) -> String {
    uniform_from_digest(&Sha256::digest(input.as_bytes()))
}

/// `consistent_sampler.first_fraction(id, seed_hash)` with `seed_hash = sha256_hex(str(seed))`:
/// the generation-1 ticket of an id.
pub fn first_fraction(id: &str, seed: &str) -> String {
    sha256_uniform(&(sha256_hex(seed) + id))
}

/// `consistent_sampler.next_fraction(x)`: the ticket after `x` in its id's sequence. Keeps the
/// leading run of 9s of `x` (after `"0."`), appends `sha256_uniform(x + ":" + i)` without its
/// `"0."` for i = 1, 2, ..., and returns the first result greater than `x + "0"` (string order).
pub fn next_fraction(x: &str) -> String {
    let x0 = format!("{x}0");
    let bytes = x0.as_bytes();
    let mut k = 2.min(bytes.len());
    while k < bytes.len() && bytes[k] == b'9' {
        k += 1;
    }
    let mut i: u64 = 1;
    loop {
        let u = sha256_uniform(&format!("{x}:{i}"));
        let mut y = String::with_capacity(k + u.len());
        y.push_str(&x0[..k]);
        y.push_str(&u[2..]);
        if y.as_str() > x0.as_str() {
            return y;
        }
        i += 1;
    }
}

/// `consistent_sampler.trim(x, digits)`: keeps `"0."`, the leading run of 9s, and `digits`
/// more digits (truncated, not rounded).
pub fn trim(x: &str, digits: usize) -> String {
    let b = x.as_bytes();
    let mut k = 2.min(b.len());
    while k < b.len() && b[k] == b'9' {
        k += 1;
    }
    x[..(k + digits).min(x.len())].to_owned()
}

/// An id as Python sees it, for ids that Arlo hashes with `str(id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyId {
    Str(String),
    Int(i64),
    Tuple(Vec<PyId>),
}

impl PyId {
    /// Python's `str(self)`: a string as is, an int in decimal, a tuple as `('pct 2', 3)`
    /// (elements by `repr`, `", "` between, a trailing comma for one element).
    pub fn py_str(&self) -> String {
        match self {
            Self::Str(s) => s.clone(),
            _ => self.py_repr(),
        }
    }

    /// Python's `repr(self)`.
    pub fn py_repr(&self) -> String {
        match self {
            Self::Str(s) => py_repr_str(s),
            Self::Int(i) => i.to_string(),
            Self::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(Self::py_repr).collect();
                if items.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text holds a single quote and no double
/// quote; backslash, the quote, `\t`, `\n`, `\r` escaped; other C0/C1 controls, DEL, U+00AD
/// and U+2028/U+2029 as `\xNN` / `\uNNNN`. (Python also escapes other non-printable code points
/// such as unassigned ones; ids do not contain them.)
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// One draw of a sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draw {
    /// Position of the drawn id in the input list.
    pub index: usize,
    /// The full ticket (compare these, trim only for display).
    pub ticket: String,
    /// 1 for an id's first ticket, 2 for its second (with replacement), ...
    pub generation: u32,
}

/// How many draws, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    pub with_replacement: bool,
    /// Draws to skip at the start (`drop`; e.g. those of earlier rounds).
    pub drop: usize,
    /// Draws to return after the skipped ones (`take`).
    pub take: usize,
}

/// Hashes ids into first tickets: the seed hash is one whole SHA-256 block, so its state is
/// computed once and cloned per id.
struct TicketHasher {
    base: Sha256,
}

impl TicketHasher {
    fn new(seed: &str) -> Self {
        let mut base = Sha256::new();
        base.update(sha256_hex(seed).as_bytes());
        Self { base }
    }

    fn digest(&self, id: &str) -> [u8; 32] {
        let mut h = self.base.clone();
        h.update(id.as_bytes());
        h.finalize().into()
    }

    /// The first 19 digits after `"0."` of the id's first ticket, as a number: the low 19
    /// decimal digits of the hash, reversed. Every ticket has at least 64 digits.
    fn key(&self, id: &str) -> u64 {
        let x = u256_from_digest(&self.digest(id));
        let mut r = u256_mod(&x, TEN19);
        let mut key = 0u64;
        for _ in 0..19 {
            key = key * 10 + r % 10;
            r /= 10;
        }
        key
    }

    fn ticket(&self, id: &str) -> String {
        uniform_from_digest(&self.digest(id))
    }
}

/// A heap entry: ordered by ticket, then input position (Python orders by ticket, then id; equal
/// tickets mean equal ids).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    ticket: String,
    index: usize,
    generation: u32,
}

/// The merged ticket stream: first tickets in ascending order (`firsts`), later generations in
/// a heap.
struct Stream<'a, S: AsRef<str>> {
    ids: &'a [S],
    hasher: TicketHasher,
    firsts: Vec<(u64, usize)>,
    pos: usize,
    head: Option<String>,
    heap: BinaryHeap<Reverse<Entry>>,
    with_replacement: bool,
}

impl<'a, S: AsRef<str>> Stream<'a, S> {
    /// `limit`: only the `limit` smallest first tickets can matter (None: all of them).
    fn new(ids: &'a [S], seed: &str, with_replacement: bool, limit: Option<usize>) -> Self {
        let hasher = TicketHasher::new(seed);
        let mut firsts: Vec<(u64, usize)> =
            ids.iter().enumerate().map(|(i, id)| (hasher.key(id.as_ref()), i)).collect();
        let cmp = |a: &(u64, usize), b: &(u64, usize)| -> Ordering {
            a.0.cmp(&b.0).then_with(|| {
                hasher
                    .ticket(ids[a.1].as_ref())
                    .cmp(&hasher.ticket(ids[b.1].as_ref()))
                    .then(a.1.cmp(&b.1))
            })
        };
        if let Some(k) = limit
            && k < firsts.len()
        {
            if k == 0 {
                firsts.clear();
            } else {
                firsts.select_nth_unstable_by(k - 1, cmp);
                firsts.truncate(k);
            }
        }
        firsts.sort_unstable_by(cmp);
        Self { ids, hasher, firsts, pos: 0, head: None, heap: BinaryHeap::new(), with_replacement }
    }

    fn next_draw(&mut self) -> Option<Draw> {
        if self.head.is_none() && self.pos < self.firsts.len() {
            self.head = Some(self.hasher.ticket(self.ids[self.firsts[self.pos].1].as_ref()));
        }
        let take_first = match (&self.head, self.heap.peek()) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(h), Some(Reverse(e))) => {
                (h.as_str(), self.firsts[self.pos].1) < (e.ticket.as_str(), e.index)
            }
        };
        let draw = if take_first {
            let ticket = self.head.take().unwrap_or_default();
            let index = self.firsts[self.pos].1;
            self.pos += 1;
            Draw { index, ticket, generation: 1 }
        } else {
            let Reverse(e) = self.heap.pop()?;
            Draw { index: e.index, ticket: e.ticket, generation: e.generation }
        };
        if self.with_replacement {
            self.heap.push(Reverse(Entry {
                ticket: next_fraction(&draw.ticket),
                index: draw.index,
                generation: draw.generation + 1,
            }));
        }
        Some(draw)
    }
}

/// Rivest's consistent sampler (`consistent_sampler.sampler`): every id gets the ticket
/// `first_fraction(str(id), seed)`; draws come in increasing ticket order; with replacement a
/// drawn id gets its next ticket (`next_fraction`) and generation + 1. Returns draws
/// `drop..drop + take` (fewer without replacement when the ids run out).
///
/// Ids are the texts Python hashes (`str(id)`; see [`PyId`] for tuples); the seed is `str(seed)`.
pub fn consistent_sample<S: AsRef<str>>(ids: &[S], seed: &str, opts: SampleOptions) -> Vec<Draw> {
    let want = opts.drop.saturating_add(opts.take);
    let mut stream = Stream::new(ids, seed, opts.with_replacement, Some(want));
    let mut out = Vec::with_capacity(opts.take.min(ids.len().max(1) * 4));
    let mut n = 0usize;
    while n < want {
        let Some(d) = stream.next_draw() else { break };
        if n >= opts.drop {
            out.push(d);
        }
        n += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Weighted consistent sampler (psephos's own; docs/internals/sampling.md).

/// A non-negative weight as an exact fraction `num / den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weight {
    pub num: u64,
    pub den: u64,
}

impl Weight {
    pub const fn new(num: u64, den: u64) -> Self {
        Self { num, den }
    }

    /// `self < other`, exactly.
    fn lt(self, other: Self) -> bool {
        u128::from(self.num) * u128::from(other.den) < u128::from(other.num) * u128::from(self.den)
    }
}

/// The acceptance hash of a ticket: `int(SHA256(ticket + ":accept"))`.
fn accept_hash(ticket: &str) -> U256 {
    let mut h = Sha256::new();
    h.update(ticket.as_bytes());
    h.update(b":accept");
    u256_from_digest(&h.finalize())
}

/// `a / 2^256 < w / scale`, exactly: `floor(a * w.den * scale.num / 2^256) < w.num * scale.den`.
fn accepts(a: &U256, w: Weight, scale: Weight) -> bool {
    let c1 = u128::from(w.den) * u128::from(scale.num);
    let c2 = u128::from(w.num) * u128::from(scale.den);
    mul_high(a, c1) < c2
}

/// One accepted draw of the weighted sampler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightedDraw {
    /// Position of the id in the input list.
    pub index: usize,
    /// The underlying consistent-sampler ticket (full precision).
    pub ticket: String,
    /// The generation of that ticket in the id's own sequence (rejected tickets count).
    pub generation: u32,
}

/// psephos's weighted consistent sampler, with replacement, for PPEB (probability proportional
/// to an error bound): draws are independent and id `p` comes up with probability
/// `w_p / Σ w` exactly.
///
/// Runs Rivest's consistent sampler with replacement over all ids and keeps a draw with ticket
/// `x` of id `p` iff `int(SHA256(x + ":accept")) / 2^256 < w_p / scale` (exact integer
/// comparison), where `scale` is the largest weight unless given (it must be ≥ every weight).
/// With the same seed and scale, the draws of a subset of ids are the draws of the whole set
/// that fall in the subset, in the same order. Returns the first `take` accepted draws.
pub fn weighted_sample<S: AsRef<str>>(
    ids: &[S],
    weights: &[Weight],
    seed: &str,
    take: usize,
    scale: Option<Weight>,
) -> Result<Vec<WeightedDraw>, SampleError> {
    if weights.len() != ids.len() {
        return Err(SampleError::BadWeight { index: weights.len().min(ids.len()) });
    }
    if let Some(i) = weights.iter().position(|w| w.den == 0) {
        return Err(SampleError::BadWeight { index: i });
    }
    if weights.iter().all(|w| w.num == 0) {
        return Err(SampleError::ZeroWeights);
    }
    let max = weights.iter().copied().fold(Weight::new(0, 1), |m, w| if m.lt(w) { w } else { m });
    let scale = match scale {
        None => max,
        Some(s) if s.den == 0 => return Err(SampleError::BadWeight { index: weights.len() }),
        Some(s) => {
            if let Some(i) = weights.iter().position(|w| s.lt(*w)) {
                return Err(SampleError::ScaleBelowWeight { index: i });
            }
            s
        }
    };
    let mut stream = Stream::new(ids, seed, true, None);
    let mut out = Vec::with_capacity(take);
    while out.len() < take {
        let Some(d) = stream.next_draw() else { break };
        let w = weights[d.index];
        if w.num > 0 && accepts(&accept_hash(&d.ticket), w, scale) {
            out.push(WeightedDraw { index: d.index, ticket: d.ticket, generation: d.generation });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Stark's sha256Rand (ColoradoRLA).

/// The k-th pick (k = 1, 2, ...): `min + int_be(SHA256(seed + "," + k)) mod (max - min + 1)`.
pub fn sha256_rand(seed: &str, k: u64, min: u64, max: u64) -> Result<u64, SampleError> {
    if min > max {
        return Err(SampleError::EmptyRange);
    }
    let x = u256_from_digest(&Sha256::digest(format!("{seed},{k}").as_bytes()));
    let range = max - min;
    if range == u64::MAX {
        return Ok(min.wrapping_add(x[3]));
    }
    Ok(min + u256_mod(&x, range + 1))
}

/// The first `n` picks for k = 1, 2, ...; without replacement, repeats are skipped.
pub fn sha256_rand_sequence(
    seed: &str,
    min: u64,
    max: u64,
    n: u64,
    with_replacement: bool,
) -> Result<Vec<u64>, SampleError> {
    if min > max {
        return Err(SampleError::EmptyRange);
    }
    let range = (max - min).saturating_add(1);
    if !with_replacement && n > range {
        return Err(SampleError::RangeTooSmall { asked: n, range });
    }
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 20));
    let mut seen = std::collections::HashSet::new();
    let mut k = 0u64;
    while (out.len() as u64) < n {
        k += 1;
        let v = sha256_rand(seed, k, min, max)?;
        if with_replacement || seen.insert(v) {
            out.push(v);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// cryptorandom's SHA-256 generator.

/// cryptorandom's `SHA256` PRNG: the k-th output (k = 0, 1, ...) is
/// `int_be(SHA256(utf8(str(seed) + ",") ‖ 0x00 × k))` (Python's `bytes(k)` is k zero bytes).
/// SHANGRLA gives CVRs these as `sample_num`s in manifest order.
#[derive(Clone)]
pub struct CryptoRandomSha256 {
    state: Sha256,
    counter: u64,
}

impl CryptoRandomSha256 {
    /// `seed` is `str(seed)` (e.g. the decimal of an int seed).
    pub fn new(seed: &str) -> Self {
        let mut state = Sha256::new();
        state.update(seed.as_bytes());
        state.update(b",");
        Self { state, counter: 0 }
    }

    /// How many outputs were taken.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// The next output as 32 big-endian bytes.
    pub fn next_bytes(&mut self) -> [u8; 32] {
        let out: [u8; 32] = self.state.clone().finalize().into();
        self.state.update([0u8]);
        self.counter += 1;
        out
    }

    /// The next output as a decimal integer (`nextRandom()`).
    pub fn next_decimal(&mut self) -> String {
        u256_to_decimal(&self.next_bytes())
    }

    /// The next output times 2^-256, rounded to the nearest double (ties to even) as Python's
    /// `int * float` does (`random()`).
    pub fn random(&mut self) -> f64 {
        u256_to_f64(&u256_from_digest(&self.next_bytes())) * 2f64.powi(-256)
    }
}

/// A 256-bit integer rounded to the nearest f64, ties to even.
fn u256_to_f64(x: &U256) -> f64 {
    let Some(top) = x.iter().position(|&l| l != 0) else { return 0.0 };
    let lz = x[top].leading_zeros();
    let bits = (4 - top) as i32 * 64 - lz as i32; // number of significant bits
    if bits <= 64 {
        return x[3] as f64; // u64 -> f64 rounds to nearest even
    }
    // The top 64 significant bits, and a sticky bit for any 1 below them.
    let shift = bits - 64;
    let mut top64: u64 = 0;
    let mut sticky = false;
    for bit in (0..bits as usize).rev() {
        let b = (x[3 - bit / 64] >> (bit % 64)) & 1;
        if bit >= shift as usize {
            top64 = (top64 << 1) | b;
        } else if b == 1 {
            sticky = true;
        }
    }
    // Round top64 (64 bits) to 53 bits, with sticky.
    let low = top64 & 0x7ff; // 11 bits dropped
    let mut mant = top64 >> 11;
    let half = 0x400;
    if low > half || (low == half && (sticky || mant & 1 == 1)) {
        mant += 1;
    }
    (mant as f64) * 2f64.powi(shift + 11)
}
