//! The forensic pictures drawn for the report: the election fingerprint (stations by turnout and
//! leader's share, 1 % cells) and the one-dimensional histograms with a mark at every whole
//! percentage. The counts come from `psephos_forensics::fingerprint`; here they are only drawn,
//! with the axes in the report's language.
//!
//! Shades are one hue from light to dark (a sequential scale that reads the same in greyscale
//! and for every kind of colour blindness). Neighbouring cells of a row with the same shade are
//! drawn as one rectangle, and so are neighbouring histogram bins of the same height, which
//! keeps the file small.

use std::fmt::Write;

use crate::format::Fmt;
use crate::svg::escape;

/// Nine shades of one blue, lightest first (ColorBrewer "Blues", colour-blind safe, print
/// friendly), for counts on a logarithmic scale.
const SHADES: [&str; 9] = [
    "#F7FBFF", "#DEEBF7", "#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C",
    "#08306B",
];

/// Texts of a chart, already in the report's language.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartText {
    pub title: String,
    pub desc: String,
    pub x_axis: String,
    pub y_axis: String,
}

fn header(out: &mut String, id: &str, w: f64, h: f64, text: &ChartText) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"sans-serif\" font-size=\"12\" direction=\"ltr\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        escape(&text.title),
        escape(&text.desc)
    );
}

/// The y axis's ticks: a value and its label.
enum YTicks {
    /// 0 to 100 % every 10 (the fingerprint's share axis).
    Percent,
    /// Counts from 0 to the largest (histograms).
    Counts(u64),
}

/// The frame, tick labels every 10 % along the x axis, the y axis's ticks, and axis titles.
#[allow(clippy::too_many_arguments)]
fn axes(
    out: &mut String,
    f: &Fmt,
    left: f64,
    width: f64,
    top: f64,
    bottom: f64,
    y: YTicks,
    text: &ChartText,
) {
    let _ = writeln!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{width}\" height=\"{}\" fill=\"none\" stroke=\"#444444\"/>",
        bottom - top
    );
    for p in (0..=100u64).step_by(10) {
        let x = left + width * p as f64 / 100.0;
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 15.0,
            escape(&f.plain(p))
        );
    }
    let ticks: Vec<(f64, String)> = match y {
        YTicks::Percent => {
            (0..=100u64).step_by(10).map(|p| (p as f64 / 100.0, f.plain(p))).collect()
        }
        YTicks::Counts(max) if max > 0 => {
            [0, max / 2, max].iter().map(|&v| (v as f64 / max as f64, f.int(v))).collect()
        }
        YTicks::Counts(_) => vec![(0.0, f.int(0))],
    };
    for (at, label) in ticks {
        let y = bottom - (bottom - top) * at;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            y + 4.0,
            escape(&label)
        );
    }
    let rtl = if f.lang.is_rtl() { " direction=\"rtl\"" } else { "" };
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\"{rtl}>{}</text>",
        left + width / 2.0,
        bottom + 32.0,
        escape(&text.x_axis)
    );
    let mid = (top + bottom) / 2.0;
    let _ = writeln!(
        out,
        "<text x=\"12\" y=\"{mid:.1}\" transform=\"rotate(-90 12 {mid:.1})\" text-anchor=\"middle\"{rtl}>{}</text>",
        escape(&text.y_axis)
    );
}

/// The fingerprint: `cells` is `bins × bins`, row-major by share (row 0 the lowest share),
/// columns by turnout, as `psephos_forensics::fingerprint::Fingerprint` holds them.
pub fn fingerprint_svg(bins: usize, cells: &[f64], f: &Fmt, text: &ChartText, id: &str) -> String {
    let (size, left, top) = (400.0, 56.0, 12.0);
    let bins = bins.max(1);
    let cell = size / bins as f64;
    let max = cells.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let mut out = String::new();
    header(&mut out, id, size + left + 20.0, size + top + 45.0, text);
    let _ = writeln!(
        out,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"#FFFFFF\"/>"
    );
    let shade = |v: f64| -> Option<usize> {
        if !(v > 0.0 && v.is_finite() && max > 0.0) {
            return None;
        }
        // Logarithmic, so that the tails show: the largest cell is the darkest shade.
        let s = (1.0 + v).ln() / (1.0 + max).ln();
        Some(((s * (SHADES.len() - 1) as f64).round() as usize).clamp(1, SHADES.len() - 1))
    };
    for row in 0..bins {
        let y = top + size - (row + 1) as f64 * cell;
        let mut col = 0;
        while col < bins {
            let Some(level) = cells.get(row * bins + col).and_then(|&v| shade(v)) else {
                col += 1;
                continue;
            };
            let start = col;
            while col + 1 < bins
                && cells.get(row * bins + col + 1).and_then(|&v| shade(v)) == Some(level)
            {
                col += 1;
            }
            col += 1;
            let _ = writeln!(
                out,
                "<rect x=\"{:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{cell:.2}\" fill=\"{}\"/>",
                left + start as f64 * cell,
                (col - start) as f64 * cell,
                SHADES[level]
            );
        }
    }
    axes(&mut out, f, left, size, top, top + size, YTicks::Percent, text);
    out.push_str("</svg>\n");
    out
}

/// A histogram over [0, 100] % with a thin mark at every whole percentage.
pub fn histogram_svg(counts: &[u64], f: &Fmt, text: &ChartText, id: &str) -> String {
    let (width, height, left, top) = (600.0, 180.0, 64.0, 12.0);
    let largest = counts.iter().copied().max().unwrap_or(0);
    let max = largest.max(1) as f64;
    let bar = width / counts.len().max(1) as f64;
    let mut out = String::new();
    header(&mut out, id, width + left + 20.0, height + top + 45.0, text);
    out.push_str("<g stroke=\"#E0A0A0\" stroke-width=\"0.4\">");
    for p in 0..=100u32 {
        let x = left + width * f64::from(p) / 100.0;
        let _ =
            write!(out, "<line x1=\"{x:.2}\" y1=\"{top}\" x2=\"{x:.2}\" y2=\"{}\"/>", top + height);
    }
    out.push_str("</g>\n<g fill=\"#08519C\">\n");
    let mut i = 0;
    while i < counts.len() {
        let v = counts[i];
        if v == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < counts.len() && counts[i + 1] == v {
            i += 1;
        }
        i += 1;
        let h = height * v as f64 / max;
        let _ = writeln!(
            out,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\"/>",
            left + start as f64 * bar,
            top + height - h,
            ((i - start) as f64 * bar).max(0.5)
        );
    }
    out.push_str("</g>\n");
    axes(&mut out, f, left, width, top, top + height, YTicks::Counts(largest), text);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Lang;

    fn text() -> ChartText {
        ChartText { title: "t<".into(), desc: "d".into(), x_axis: "x".into(), y_axis: "y".into() }
    }

    #[test]
    fn equal_neighbours_merge() {
        let f = Fmt::new(Lang::En);
        let svg = histogram_svg(&[0, 2, 2, 2, 0, 1], &f, &text(), "h");
        // Two bars: bins 1-3 (one rectangle) and bin 5.
        assert_eq!(svg.matches("<rect x=").count(), 2 + 1);
        assert!(svg.contains("<title id=\"h-title\">t&lt;</title>"));
        let cells = vec![1.0, 1.0, 0.0, 5.0];
        let svg = fingerprint_svg(2, &cells, &f, &text(), "g");
        // Row 0: one merged rectangle; row 1: one cell; plus the background and the frame.
        assert_eq!(svg.matches("<rect").count(), 2 + 2);
    }

    #[test]
    fn arabic_ticks() {
        let f = Fmt::new(Lang::Ar);
        let svg = histogram_svg(&[1], &f, &text(), "h");
        assert!(svg.contains(">١٠٠<"));
        assert!(svg.contains("direction=\"rtl\""));
    }
}
