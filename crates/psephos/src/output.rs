//! Writing results for people (aligned tables) and for programs (JSON, CSV).

use std::io::Write;
use std::path::Path;

use psephos_model::Diagnostic;

/// Where a command's output goes: standard output, or the file given with `--out`.
pub(crate) fn write_output(out: Option<&Path>, text: &str) -> std::io::Result<()> {
    match out {
        Some(path) => std::fs::write(path, text),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()
        }
    }
}

/// Lower-case hex of bytes (digests, Merkle hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of bytes, in lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// A table of strings, printed with aligned columns.
pub(crate) struct Table {
    headers: Vec<String>,
    /// Per column: align right (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(headers: &[(&str, bool)]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.0.to_owned()).collect(),
            right: headers.iter().map(|h| h.1).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut text = String::new();
            for (k, cell) in cells.iter().enumerate() {
                let pad = widths[k].saturating_sub(width(cell));
                if k > 0 {
                    text.push_str("  ");
                }
                if self.right[k] {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    if k + 1 < cells.len() {
                        text.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&self.headers);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule);
        for row in &self.rows {
            line(row);
        }
        out
    }
}

/// CSV text from a header and rows.
pub(crate) fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `num / den` as a percentage with two decimals, rounded half up, computed exactly.
pub(crate) fn percent(num: u64, den: u64) -> String {
    if den == 0 {
        return "-".to_owned();
    }
    let hundredths = (u128::from(num) * 20_000 + u128::from(den)) / (2 * u128::from(den));
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The same percentage as a JSON number.
pub(crate) fn percent_json(num: u64, den: u64) -> serde_json::Value {
    if den == 0 {
        return serde_json::Value::Null;
    }
    percent(num, den).parse::<f64>().map_or(serde_json::Value::Null, serde_json::Value::from)
}

pub(crate) fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "file": d.file,
        "line": d.line,
        "code": d.code.as_str(),
        "name": d.code.name(),
        "severity": d.severity().as_str(),
        "station": d.station,
        "field": d.field,
        "message": d.message,
    })
}

pub(crate) fn diagnostics_csv(diags: &[Diagnostic]) -> String {
    csv_text(
        &["file", "line", "code", "name", "severity", "station", "field", "message"],
        diags.iter().map(|d| {
            vec![
                d.file.clone().unwrap_or_default(),
                d.line.map(|l| l.to_string()).unwrap_or_default(),
                d.code.as_str().to_owned(),
                d.code.name().to_owned(),
                d.severity().as_str().to_owned(),
                d.station.clone().unwrap_or_default(),
                d.field.clone().unwrap_or_default(),
                d.message.clone(),
            ]
        }),
    )
}

pub(crate) fn diagnostics_text(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&d.to_string());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22_116_368), "22,116,368");
        assert_eq!(percent(9_629_601, 22_116_368), "43.54");
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(0, 0), "-");
    }
}
