//! Numbers as RCTab's `java.math.BigDecimal`s behave in a count: a non-negative value and the
//! scale Java would print it with. The value is held exactly in units of 10^-S for an internal
//! scale S large enough for every operation of the count (see [`Arith`]); the scale only changes
//! how the number prints (`6` and `6.0000` are equal but print differently, and RCTab's output
//! shows which one it carried).

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::decimal::{Rounding, mul_div, unit};

/// A value and its Java scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JNum {
    /// The value in units of 10^-S.
    pub units: u128,
    /// The scale Java prints it with (at most S).
    pub scale: u32,
}

impl JNum {
    pub const ZERO: JNum = JNum { units: 0, scale: 0 };

    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// `a.plus(b)`: exact; the larger scale.
    pub fn plus(self, other: JNum) -> JNum {
        JNum { units: self.units + other.units, scale: self.scale.max(other.scale) }
    }

    /// `a.subtract(b)`, floored at zero (values here never go negative).
    pub fn minus(self, other: JNum) -> JNum {
        JNum { units: self.units.saturating_sub(other.units), scale: self.scale.max(other.scale) }
    }

    /// The value times a whole number of ballots: an exact sum of `n` equal values.
    pub fn times(self, n: u64) -> JNum {
        JNum { units: self.units * u128::from(n), scale: self.scale }
    }
}

impl PartialOrd for JNum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for JNum {
    /// `compareTo`: by value only.
    fn cmp(&self, other: &Self) -> Ordering {
        self.units.cmp(&other.units)
    }
}

/// The arithmetic of one count: RCTab's `decimalPlacesForVoteArithmetic` (`d`) and the internal
/// scale S ≥ every scale a number of the count can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arith {
    pub d: u32,
    pub internal: u32,
}

impl Arith {
    pub fn new(d: u32, extra_scale: u32) -> Arith {
        Arith { d, internal: d + extra_scale }
    }

    /// A whole number, scale 0.
    pub fn int(&self, n: u64) -> JNum {
        JNum { units: u128::from(n) * unit(self.internal), scale: 0 }
    }

    /// `ONE`.
    pub fn one(&self) -> JNum {
        self.int(1)
    }

    /// A decimal string such as `15`, `0.5` or `4.05`, with the scale of its digits; `None` if it
    /// is not a non-negative decimal that fits the internal scale.
    pub fn parse(&self, text: &str) -> Option<JNum> {
        let text = text.trim();
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale = u32::try_from(frac.len()).ok()?;
        if scale > self.internal || int.len() > 24 {
            return None;
        }
        let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac_units: u128 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        let units = int.checked_mul(unit(self.internal))?
            + frac_units.checked_mul(unit(self.internal - scale))?;
        Some(JNum { units, scale })
    }

    /// `a.divide(b, d, RoundingMode.DOWN)`: truncated to `d` decimals, scale `d`.
    pub fn divide(&self, a: JNum, b: JNum) -> JNum {
        self.divide_to(a, b, self.d, Rounding::Down)
    }

    /// `a.divide(b, k, mode)` for a value `b`.
    pub fn divide_to(&self, a: JNum, b: JNum, k: u32, rounding: Rounding) -> JNum {
        // a/b with k decimals = round(a.units × 10^k / b.units) in units of 10^-k.
        let q = mul_div(a.units, unit(k), b.units.max(1), rounding).unwrap_or(u128::MAX);
        JNum { units: q * unit(self.internal - k), scale: k }
    }

    /// `a.divide(BigDecimal.valueOf(n), k, mode)` for a whole number `n`.
    pub fn divide_int(&self, a: JNum, n: u64, k: u32, rounding: Rounding) -> JNum {
        self.divide_to(a, self.int(n), k, rounding)
    }

    /// `a.multiply(b).setScale(d, RoundingMode.DOWN)`.
    pub fn multiply(&self, a: JNum, b: JNum) -> JNum {
        // a × b in units of 10^-(2S); to d decimals: floor(a.units × b.units / 10^(2S−d)).
        let s = self.internal;
        let q =
            mul_div(a.units, b.units, unit(2 * s - self.d), Rounding::Down).unwrap_or(u128::MAX);
        JNum { units: q * unit(s - self.d), scale: self.d }
    }

    /// `a.multiply(b)` exactly (scale = the sum of the scales); the product must fit the
    /// internal scale.
    pub fn multiply_exact(&self, a: JNum, b: JNum) -> JNum {
        let s = self.internal;
        let q = mul_div(a.units, b.units, unit(s), Rounding::Down).unwrap_or(u128::MAX);
        JNum { units: q, scale: (a.scale + b.scale).min(s) }
    }

    /// `1 / 10^k`, scale `k`.
    pub fn ulp(&self, k: u32) -> JNum {
        JNum { units: unit(self.internal - k.min(self.internal)), scale: k }
    }

    /// `BigDecimal.toString()`: plain digits with the scale's decimals, or scientific notation
    /// when the adjusted exponent is below −6 (a zero of scale 10 prints `0E-10`).
    pub fn text(&self, n: JNum) -> String {
        let scale = n.scale.min(self.internal);
        let unscaled = n.units / unit(self.internal - scale);
        let digits = unscaled.to_string();
        let adjusted = -(scale as i64) + (digits.len() as i64 - 1);
        if adjusted >= -6 {
            if scale == 0 {
                return digits;
            }
            let s = scale as usize;
            if digits.len() > s {
                let (i, f) = digits.split_at(digits.len() - s);
                return format!("{i}.{f}");
            }
            return format!("0.{}{digits}", "0".repeat(s - digits.len()));
        }
        let mut out = String::new();
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "E{adjusted}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_java() {
        let a = Arith::new(4, 2);
        assert_eq!(a.text(a.int(6)), "6");
        assert_eq!(a.text(a.int(6).plus(a.divide(a.int(0), a.int(1)))), "6.0000");
        assert_eq!(a.text(a.parse("2.2501").unwrap()), "2.2501");
        assert_eq!(a.text(a.parse("0.0005").unwrap()), "0.0005");
        let b = Arith::new(10, 0);
        assert_eq!(b.text(JNum { units: 0, scale: 10 }), "0E-10");
        assert_eq!(b.text(JNum { units: 1234, scale: 10 }), "1.234E-7");
        assert_eq!(b.text(JNum { units: 12_340, scale: 10 }), "0.0000012340");
    }

    #[test]
    fn rctab_surplus_arithmetic() {
        // test_set_allow_only_one_winner_per_round: f = trunc4(0.7499 / 3) = 0.2499.
        let a = Arith::new(4, 2);
        let extra = a.parse("0.7499").unwrap();
        let f = a.divide(extra, a.int(3));
        assert_eq!(a.text(f), "0.2499");
        // trunc4(0.2499 × 0.3999) = 0.0999.
        let g = a.multiply(f, a.parse("0.3999").unwrap());
        assert_eq!(a.text(g), "0.0999");
        // Threshold: 9 / 4 truncated to 4 decimals, plus 0.0001.
        let t = a.divide_int(a.int(9), 4, 4, Rounding::Down).plus(a.ulp(4));
        assert_eq!(a.text(t), "2.2501");
        // Bottoms-up: 27 × 0.15 = 4.05 (scale 2).
        assert_eq!(a.text(a.multiply_exact(a.int(27), a.parse("0.15").unwrap())), "4.05");
        assert_eq!(a.text(a.multiply_exact(a.int(26), a.parse("0.15").unwrap())), "3.90");
    }
}
