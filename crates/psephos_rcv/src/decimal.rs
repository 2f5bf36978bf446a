//! Fixed-point decimals for vote arithmetic: a value is an integer count of 10^-scale units, the
//! scale chosen per count (RCTab's `decimalPlacesForVoteArithmetic`, Scottish STV's 5 places,
//! Meek's 9). Products and quotients go through a 256-bit intermediate, so they are exact
//! before the one rounding the rules declare.

/// How a result that does not fit the scale is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero (truncation).
    Down,
    /// Away from zero.
    Up,
    /// To nearest, halves away from zero.
    HalfUp,
}

/// `a × b ÷ c`, rounded; `None` if `c` is 0 or the result exceeds 128 bits.
pub fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Option<u128> {
    if c == 0 {
        return None;
    }
    let (hi, lo) = mul_wide(a, b);
    let (q, r) = div_wide(hi, lo, c)?;
    Some(match rounding {
        Rounding::Down => q,
        Rounding::Up if r > 0 => q.checked_add(1)?,
        Rounding::Up => q,
        // r >= c - r  <=>  2r >= c, without overflowing 2r.
        Rounding::HalfUp if r >= c - r => q.checked_add(1)?,
        Rounding::HalfUp => q,
    })
}

/// The 256-bit product of two 128-bit numbers, as (high, low); comparing two products compares
/// the pairs.
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a1, a0) = (a >> 64, a & mask);
    let (b1, b0) = (b >> 64, b & mask);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let lo = (p00 & mask) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// (hi·2^128 + lo) ÷ d as (quotient, remainder), if the quotient fits in 128 bits.
fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
    if hi == 0 {
        return Some((lo / d, lo % d));
    }
    if hi >= d {
        return None;
    }
    // Long division, one bit at a time: the remainder stays below d, so 129 bits suffice, kept
    // as a carry flag.
    let mut rem = hi;
    let mut q = 0u128;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    Some((q, rem))
}

/// 10^scale.
pub fn unit(scale: u32) -> u128 {
    10u128.pow(scale)
}

/// A value in units of 10^-scale as a plain decimal string with exactly `scale` decimals
/// (`12.3400`), as Java's `BigDecimal.toPlainString` prints a value of that scale.
pub fn plain(units: u128, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let u = unit(scale);
    format!("{}.{:0width$}", units / u, units % u, width = scale as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_quotients() {
        assert_eq!(mul_div(7, 3, 2, Rounding::Down), Some(10));
        assert_eq!(mul_div(7, 3, 2, Rounding::Up), Some(11));
        assert_eq!(mul_div(7, 3, 2, Rounding::HalfUp), Some(11));
        assert_eq!(mul_div(5, 1, 3, Rounding::HalfUp), Some(2));
        assert_eq!(mul_div(4, 1, 3, Rounding::HalfUp), Some(1));
        assert_eq!(mul_div(1, 1, 0, Rounding::Down), None);
        // Beyond 128 bits in the middle, exact at the end.
        let big = 10u128.pow(30);
        assert_eq!(mul_div(big, big, big, Rounding::Down), Some(big));
        assert_eq!(mul_div(big + 1, big, big, Rounding::Down), Some(big + 1));
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX, Rounding::Down), Some(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 1, Rounding::Down), None);
    }

    proptest::proptest! {
        #[test]
        fn matches_narrow_arithmetic(a in 0u128..1 << 60, b in 0u128..1 << 60, c in 1u128..1 << 60) {
            let p = a * b;
            proptest::prop_assert_eq!(mul_div(a, b, c, Rounding::Down), Some(p / c));
            proptest::prop_assert_eq!(mul_div(a, b, c, Rounding::Up), Some(p.div_ceil(c)));
            proptest::prop_assert_eq!(mul_div(a, b, c, Rounding::HalfUp), Some((2 * p + c) / (2 * c)));
        }

        #[test]
        fn wide_division_inverts_multiplication(a in proptest::num::u128::ANY, b in 1u128..u128::MAX) {
            proptest::prop_assert_eq!(mul_div(a, b, b, Rounding::Down), Some(a));
        }
    }

    #[test]
    fn plain_strings() {
        assert_eq!(plain(123_400, 4), "12.3400");
        assert_eq!(plain(5, 4), "0.0005");
        assert_eq!(plain(42, 0), "42");
    }
}
