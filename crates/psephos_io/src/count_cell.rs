//! Parsing one count (votes, ballots) from a cell, with the precise reason when it is not one.

use psephos_model::Code;

/// Why a cell is not a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CountError {
    Empty,
    NotANumber,
    Negative,
    TooLarge,
}

impl CountError {
    pub(crate) fn code(self) -> Code {
        match self {
            CountError::Empty => Code::MissingValue,
            CountError::NotANumber => Code::NotANumber,
            CountError::Negative => Code::Negative,
            CountError::TooLarge => Code::TooLarge,
        }
    }

    /// Message for a count of `what`, whose raw text was `raw`.
    pub(crate) fn message(self, what: &str, raw: &[u8]) -> String {
        let raw = String::from_utf8_lossy(raw);
        let raw = raw.trim();
        match self {
            CountError::Empty => {
                format!("{what} is empty; enter the count from the paper form (0 if none)")
            }
            CountError::NotANumber => format!(
                "{what} is {raw:?}, not a whole number; enter the count from the paper form using digits only"
            ),
            CountError::Negative => {
                format!("{what} is {raw}, a negative count; enter the count from the paper form")
            }
            CountError::TooLarge => format!(
                "{what} is {raw}, more than any station can count (4,294,967,295); check for a typing error"
            ),
        }
    }
}

/// Parses a non-negative whole number, allowing surrounding ASCII spaces.
pub(crate) fn parse_count(raw: &[u8]) -> Result<u32, CountError> {
    // The common case, plain digits that fit, in one pass.
    if !raw.is_empty() && raw.len() <= 9 {
        let mut value = 0u32;
        let mut plain = true;
        for &b in raw {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                plain = false;
                break;
            }
            value = value * 10 + u32::from(d);
        }
        if plain {
            return Ok(value);
        }
    }
    let s = raw.trim_ascii();
    if s.is_empty() {
        return Err(CountError::Empty);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(CountError::NotANumber);
    }
    let value = if digits.iter().all(u8::is_ascii_digit) {
        fold_digits(digits.iter().map(|&d| u32::from(d - b'0')))
    } else {
        // Forms typed in Arabic may use Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩ or ۰۱۲۳۴۵۶۷۸۹).
        let text = std::str::from_utf8(digits).map_err(|_| CountError::NotANumber)?;
        let values: Option<Vec<u32>> = text.chars().map(digit_value).collect();
        fold_digits(values.ok_or(CountError::NotANumber)?.into_iter())
    };
    if negative {
        // "-0" is still written as a negative count: the clerk typed a minus sign.
        return Err(CountError::Negative);
    }
    value
}

fn fold_digits(digits: impl Iterator<Item = u32>) -> Result<u32, CountError> {
    let mut value: u64 = 0;
    for d in digits {
        value = value * 10 + u64::from(d);
        if value > u64::from(u32::MAX) {
            return Err(CountError::TooLarge);
        }
    }
    Ok(value as u32)
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '\u{0660}'..='\u{0669}' => Some(c as u32 - 0x0660),
        '\u{06F0}'..='\u{06F9}' => Some(c as u32 - 0x06F0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count(b"0"), Ok(0));
        assert_eq!(parse_count(b" 42 "), Ok(42));
        assert_eq!(parse_count(b"4294967295"), Ok(u32::MAX));
        assert_eq!(parse_count(b"4294967296"), Err(CountError::TooLarge));
        assert_eq!(parse_count(b"99999999999999999999999"), Err(CountError::TooLarge));
        assert_eq!(parse_count(b""), Err(CountError::Empty));
        assert_eq!(parse_count(b"  "), Err(CountError::Empty));
        assert_eq!(parse_count(b"-3"), Err(CountError::Negative));
        assert_eq!(parse_count(b"-"), Err(CountError::NotANumber));
        assert_eq!(parse_count(b"+3"), Err(CountError::NotANumber));
        assert_eq!(parse_count(b"3.0"), Err(CountError::NotANumber));
        assert_eq!(parse_count(b"12a"), Err(CountError::NotANumber));
        assert_eq!(parse_count("٣٤٥".as_bytes()), Ok(345));
        assert_eq!(parse_count("۱۲".as_bytes()), Ok(12));
        assert_eq!(parse_count("3٤".as_bytes()), Ok(34));
        assert_eq!(parse_count("-٣".as_bytes()), Err(CountError::Negative));
        assert_eq!(parse_count("٣x".as_bytes()), Err(CountError::NotANumber));
    }
}
