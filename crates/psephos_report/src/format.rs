//! Numbers, percentages and dates written for the report's language.
//!
//! English: Western digits, `,` between thousands, `.` before decimals, `%` after the number.
//! Arabic: Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩), as Iraq's official documents write them, with the
//! Arabic thousands separator `٬` (U+066C), decimal separator `٫` (U+066B) and percent sign `٪`
//! (U+066A); a minus sign is preceded by the Arabic letter mark (U+061C) so that it stays at the
//! number's start in right-to-left text, as CLDR writes Arabic numbers. Months are the Levantine
//! and Iraqi names (كانون الثاني ... كانون الأول).
//!
//! Every computation is exact integer arithmetic where the input is integers (percentages are
//! rounded half up, like `psephos tabulate`); floats (risk values, forensic statistics) are
//! formatted from their shortest round-trip text or with a fixed number of decimals.

/// The language of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ar,
}

impl Lang {
    /// The BCP 47 tag written in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }

    /// The text direction written in `<html dir>`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ar => "rtl",
        }
    }

    pub fn is_rtl(self) -> bool {
        self == Lang::Ar
    }
}

const ARABIC_DIGITS: [char; 10] = ['٠', '١', '٢', '٣', '٤', '٥', '٦', '٧', '٨', '٩'];
const ARABIC_DECIMAL: char = '\u{066B}';
const ARABIC_THOUSANDS: char = '\u{066C}';
const ARABIC_PERCENT: char = '\u{066A}';
const ARABIC_LETTER_MARK: char = '\u{061C}';

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_AR: [&str; 12] = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
];

/// Formats numbers for one language.
#[derive(Clone, Copy, Debug)]
pub struct Fmt {
    pub lang: Lang,
}

impl Fmt {
    pub fn new(lang: Lang) -> Fmt {
        Fmt { lang }
    }

    /// Rewrites a number written the English way (`-1,234.5`) in the report's language.
    fn localize(&self, western: &str) -> String {
        match self.lang {
            Lang::En => western.replace('-', "\u{2212}"),
            Lang::Ar => {
                let mut out = String::with_capacity(western.len() * 2);
                for ch in western.chars() {
                    match ch {
                        '0'..='9' => out.push(ARABIC_DIGITS[ch as usize - '0' as usize]),
                        '.' => out.push(ARABIC_DECIMAL),
                        ',' => out.push(ARABIC_THOUSANDS),
                        '-' => {
                            out.push(ARABIC_LETTER_MARK);
                            out.push('-');
                        }
                        _ => out.push(ch),
                    }
                }
                out
            }
        }
    }

    /// Digits only, no grouping (years, ids of rounds, row counts in the hemicycle's text).
    pub fn plain(&self, n: u64) -> String {
        self.localize(&n.to_string())
    }

    /// A whole number with thousands separators.
    pub fn int(&self, n: u64) -> String {
        self.localize(&group(&n.to_string()))
    }

    /// `num / den` as a percentage with two decimals, rounded half up, exactly; a dash when
    /// `den` is 0.
    pub fn pct(&self, num: u64, den: u64) -> String {
        match hundredths(num, den) {
            None => "–".to_owned(),
            Some(h) => {
                self.percent_text(&format!("{}.{:02}", group(&(h / 100).to_string()), h % 100))
            }
        }
    }

    /// A number already in percent (a float), with `decimals` decimals.
    pub fn pct_f(&self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return "–".to_owned();
        }
        self.percent_text(&fixed_text(value, decimals))
    }

    fn percent_text(&self, western: &str) -> String {
        match self.lang {
            Lang::En => format!("{}%", self.localize(western)),
            Lang::Ar => format!("{}{ARABIC_PERCENT}", self.localize(western)),
        }
    }

    /// `num / den` as a decimal fraction with `decimals` decimals, rounded half up, exactly.
    pub fn ratio(&self, num: u64, den: u64, decimals: u32) -> String {
        if den == 0 {
            return "–".to_owned();
        }
        let scale = 10u128.pow(decimals.min(30));
        let q = (u128::from(num) * scale * 2 + u128::from(den)) / (2 * u128::from(den));
        let (int, frac) = (q / scale, q % scale);
        let text = if decimals == 0 {
            group(&int.to_string())
        } else {
            format!("{}.{:0width$}", group(&int.to_string()), frac, width = decimals as usize)
        };
        self.localize(&text)
    }

    /// A float with a fixed number of decimals; a dash when not finite.
    pub fn fixed(&self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return "–".to_owned();
        }
        self.localize(&fixed_text(value, decimals))
    }

    /// A decimal number given as text (`"0.05"`, `"0.031"`), as in the audit's state file:
    /// localized when it is a plain decimal, else returned as it is.
    pub fn decimal_text(&self, text: &str) -> String {
        let plain = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && text.chars().any(|c| c.is_ascii_digit());
        if plain { self.localize(text) } else { text.to_owned() }
    }

    /// A probability (p-value): four decimals down to 0.0001, then `m × 10^e` with two
    /// significant digits; as HTML (the exponent in `<sup>`), made only of digits, signs and
    /// fixed markup, so it needs no escaping.
    pub fn p_value_html(&self, p: f64) -> String {
        if !p.is_finite() {
            return "–".to_owned();
        }
        if p == 0.0 {
            return self.localize("0");
        }
        if p >= 0.0001 {
            return self.localize(&fixed_text(p, 4));
        }
        let (mantissa, exponent) = sci_parts(p);
        format!(
            "{}\u{00A0}×\u{00A0}{}<sup>{}</sup>",
            self.localize(&mantissa),
            self.localize("10"),
            self.localize(&exponent.to_string())
        )
    }

    /// A date written `YYYY-MM-DD` as "10 October 2021" / "١٠ تشرين الأول ٢٠٢١"; any other
    /// text is returned unchanged.
    pub fn date(&self, text: &str) -> String {
        let parts: Vec<&str> = text.split('-').collect();
        let parsed = match parts.as_slice() {
            [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
                match (y.parse::<u32>(), m.parse::<usize>(), d.parse::<u32>()) {
                    (Ok(y), Ok(m), Ok(d)) if (1..=12).contains(&m) && (1..=31).contains(&d) => {
                        Some((y, m, d))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some((y, m, d)) = parsed else { return text.to_owned() };
        let month = match self.lang {
            Lang::En => MONTHS_EN[m - 1],
            Lang::Ar => MONTHS_AR[m - 1],
        };
        format!("{} {month} {}", self.plain(u64::from(d)), self.plain(u64::from(y)))
    }
}

/// `num / den` in hundredths of a percent, rounded half up; None when `den` is 0.
pub(crate) fn hundredths(num: u64, den: u64) -> Option<u128> {
    if den == 0 {
        return None;
    }
    Some((u128::from(num) * 20_000 + u128::from(den)) / (2 * u128::from(den)))
}

/// Thousands separators (`,`) in a run of ASCII digits.
fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `value` with `decimals` decimals, the integer part grouped by thousands.
fn fixed_text(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::new();
    // "-0.000" is written without a sign.
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    out.push_str(&group(int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Two significant digits and the power of ten: 0.0000123 → ("1.2", -5).
fn sci_parts(p: f64) -> (String, i32) {
    let text = format!("{:.1e}", p);
    let (m, e) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    (m.to_owned(), e.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: Fmt = Fmt { lang: Lang::En };
    const AR: Fmt = Fmt { lang: Lang::Ar };

    #[test]
    fn integers_and_percentages() {
        assert_eq!(EN.int(22_116_368), "22,116,368");
        assert_eq!(AR.int(22_116_368), "٢٢٬١١٦٬٣٦٨");
        assert_eq!(EN.int(0), "0");
        // Iraq 2021: 9,629,601 of 22,116,368 registered voted (43.54 %).
        assert_eq!(EN.pct(9_629_601, 22_116_368), "43.54%");
        assert_eq!(AR.pct(9_629_601, 22_116_368), "٤٣٫٥٤٪");
        assert_eq!(EN.pct(1, 0), "–");
        // Half up, exactly: 1/8 = 12.5 %; 1/800 = 0.125 % → 0.13 %.
        assert_eq!(EN.pct(1, 800), "0.13%");
        assert_eq!(EN.pct(5, 5), "100.00%");
    }

    #[test]
    fn decimals_and_signs() {
        assert_eq!(EN.fixed(-0.25, 2), "\u{2212}0.25");
        assert_eq!(AR.fixed(-0.25, 2), "\u{061C}-٠٫٢٥");
        assert_eq!(EN.fixed(-0.0001, 2), "0.00");
        assert_eq!(EN.fixed(1234.5, 1), "1,234.5");
        assert_eq!(EN.ratio(11, 4324, 6), "0.002544");
        assert_eq!(AR.ratio(11, 4324, 6), "٠٫٠٠٢٥٤٤");
        assert_eq!(EN.decimal_text("0.05"), "0.05");
        assert_eq!(AR.decimal_text("0.05"), "٠٫٠٥");
        assert_eq!(AR.decimal_text("inf"), "inf");
    }

    #[test]
    fn p_values() {
        assert_eq!(EN.p_value_html(0.5), "0.5000");
        assert_eq!(EN.p_value_html(0.0000123), "1.2\u{a0}×\u{a0}10<sup>\u{2212}5</sup>");
        assert_eq!(AR.p_value_html(0.0000123), "١٫٢\u{a0}×\u{a0}١٠<sup>\u{061C}-٥</sup>");
        assert_eq!(EN.p_value_html(f64::NAN), "–");
    }

    #[test]
    fn dates() {
        assert_eq!(EN.date("2021-10-10"), "10 October 2021");
        assert_eq!(AR.date("2021-10-10"), "١٠ تشرين الأول ٢٠٢١");
        assert_eq!(AR.date("autumn 2021"), "autumn 2021");
        assert_eq!(EN.date("2021-13-10"), "2021-13-10");
    }
}
