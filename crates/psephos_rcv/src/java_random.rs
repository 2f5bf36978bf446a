//! `java.util.Random` and `java.util.Collections.shuffle`, bit for bit, so that RCTab's lots
//! (tie-break modes `random` and `generatePermutation`) replay identically.
//!
//! Java's generator is a 48-bit linear congruential generator: seed' = seed × 0x5DEECE66D + 0xB
//! (mod 2⁴⁸), returning the top bits; `nextDouble` joins 26 and 27 bits; `nextInt(bound)`
//! rejects the values that would bias the remainder; `shuffle` swaps from the end.

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const ADDEND: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// A `java.util.Random`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    /// `new Random(seed)`.
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom { seed: (seed as u64 ^ MULTIPLIER) & MASK }
    }

    /// `next(bits)`: the top `bits` bits of the next state, as Java's `int`.
    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(MULTIPLIER).wrapping_add(ADDEND)) & MASK;
        (self.seed >> (48 - bits)) as i32
    }

    /// `nextInt()`.
    pub fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// `nextInt(bound)`, `bound` > 0.
    pub fn next_int_bounded(&mut self, bound: i32) -> i32 {
        debug_assert!(bound > 0);
        let bound = bound.max(1);
        if bound & (bound - 1) == 0 {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            // Java tests `bits - val + (bound - 1) < 0` in 32-bit arithmetic: an overflow means the
            // draw fell in the incomplete last block.
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }

    /// `nextDouble()`: a multiple of 2⁻⁵³ in [0, 1).
    pub fn next_double(&mut self) -> f64 {
        let high = i64::from(self.next(26)) << 27;
        let low = i64::from(self.next(27));
        (high + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `Collections.shuffle(list, this)`.
    pub fn shuffle<T>(&mut self, list: &mut [T]) {
        let n = list.len();
        for i in (2..=n).rev() {
            let j = self.next_int_bounded(i32::try_from(i).unwrap_or(i32::MAX)) as usize;
            list.swap(i - 1, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java() {
        // Values printed by a JVM: new Random(42).nextInt(), new Random(0).nextInt(), and the
        // first nextDouble() of the same seeds.
        assert_eq!(JavaRandom::new(42).next_int(), -1_170_105_035);
        assert_eq!(JavaRandom::new(0).next_int(), -1_155_484_576);
        assert_eq!(JavaRandom::new(42).next_double(), 0.7275636800328681);
        assert_eq!(JavaRandom::new(0).next_double(), 0.730967787376657);
    }

    #[test]
    fn bounded_draws_stay_in_range() {
        let mut r = JavaRandom::new(7);
        for bound in [1, 2, 3, 5, 7, 8, 10, 1000, i32::MAX] {
            for _ in 0..100 {
                let v = r.next_int_bounded(bound);
                assert!((0..bound).contains(&v));
            }
        }
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<u32> = (0..20).collect();
        JavaRandom::new(1).shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
