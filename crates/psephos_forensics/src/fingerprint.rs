//! The election fingerprint (Klimek et al. 2012): a two-dimensional histogram of turnout and
//! the leader's share over stations, and the one-dimensional histograms with whole-percentage
//! markers. Descriptive: no null model. A clean election draws one compact blob; ballot
//! stuffing drags a smear toward 100 % turnout and 100 % share, and fixed targets show as
//! lines at round percentages.

use crate::Station;

/// Counts in `bins × bins` cells over [0, 1]², row-major by share (row 0 = share in the
/// first bin), weighted by stations or by registered voters.
#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprint {
    pub bins: usize,
    pub cells: Vec<f64>,
    /// Stations left out (no registered voters or no ballots found, or a fraction above 1).
    pub skipped: usize,
}

/// Which weight each station carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    Stations,
    Voters,
}

/// The bin of a fraction k/n among `bins` equal bins of [0, 1] (1 goes to the last bin), in
/// integer arithmetic; None above 1.
fn bin(k: u64, n: u64, bins: usize) -> Option<usize> {
    if n == 0 || k > n {
        return None;
    }
    let b = (u128::from(k) * bins as u128 / u128::from(n)) as usize;
    Some(b.min(bins - 1))
}

pub fn fingerprint(stations: &[Station], bins: usize, weighting: Weighting) -> Fingerprint {
    let bins = bins.max(1);
    let mut cells = vec![0.0; bins * bins];
    let mut skipped = 0;
    for s in stations {
        match (bin(s.issued, s.registered, bins), bin(s.leader, s.found, bins)) {
            (Some(t), Some(l)) => {
                cells[l * bins + t] += match weighting {
                    Weighting::Stations => 1.0,
                    Weighting::Voters => s.registered as f64,
                };
            }
            _ => skipped += 1,
        }
    }
    Fingerprint { bins, cells, skipped }
}

/// A histogram of k/n over `bins` bins of [0, 1], stations as weights.
pub fn histogram(fractions: impl Iterator<Item = (u64, u64)>, bins: usize) -> Vec<u64> {
    let bins = bins.max(1);
    let mut h = vec![0u64; bins];
    for (k, n) in fractions {
        if let Some(b) = bin(k, n, bins) {
            h[b] += 1;
        }
    }
    h
}

/// The fingerprint as an SVG picture: cells shaded on a logarithmic scale, axes in percent.
pub fn fingerprint_svg(f: &Fingerprint, title: &str) -> String {
    let (size, margin) = (500.0, 50.0);
    let cell = size / f.bins as f64;
    let max = f.cells.iter().copied().fold(0.0, f64::max);
    let mut out = svg_header(size + 2.0 * margin, size + 2.0 * margin, title);
    out.push_str(&format!(
        "<rect x=\"{margin}\" y=\"{margin}\" width=\"{size}\" height=\"{size}\" fill=\"#ffffff\" stroke=\"#444\"/>\n"
    ));
    for l in 0..f.bins {
        for t in 0..f.bins {
            let v = f.cells[l * f.bins + t];
            if v <= 0.0 {
                continue;
            }
            // Darker for more; log scale so that the tails show.
            let shade = (1.0 + v).ln() / (1.0 + max).ln();
            let level = (255.0 * (1.0 - shade)).round() as u8;
            out.push_str(&format!(
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"rgb({level},{level},255)\"/>\n",
                margin + t as f64 * cell,
                margin + size - (l + 1) as f64 * cell,
                cell,
                cell
            ));
        }
    }
    axes(&mut out, margin, size, margin + size, "turnout (%)", "leader's share (%)");
    out.push_str("</svg>\n");
    out
}

/// A one-dimensional histogram as an SVG picture, with a thin mark at every whole percentage
/// so that spikes at round numbers stand out.
pub fn histogram_svg(h: &[u64], title: &str, axis: &str) -> String {
    let (width, height, margin) = (700.0, 300.0, 50.0);
    let max = h.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bar = width / h.len().max(1) as f64;
    let mut out = svg_header(width + 2.0 * margin, height + 2.0 * margin, title);
    for p in 0..=100 {
        let x = margin + width * p as f64 / 100.0;
        out.push_str(&format!(
            "<line x1=\"{x:.2}\" y1=\"{margin}\" x2=\"{x:.2}\" y2=\"{:.2}\" stroke=\"#f0c0c0\" stroke-width=\"0.5\"/>\n",
            margin + height
        ));
    }
    for (i, &v) in h.iter().enumerate() {
        if v == 0 {
            continue;
        }
        let hgt = height * v as f64 / max;
        out.push_str(&format!(
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{hgt:.2}\" fill=\"#3060c0\"/>\n",
            margin + i as f64 * bar,
            margin + height - hgt,
            bar.max(0.5)
        ));
    }
    axes(&mut out, margin, width, margin + height, axis, "stations");
    out.push_str("</svg>\n");
    out
}

fn svg_header(w: f64, h: f64, title: &str) -> String {
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n<title>{title}</title>\n<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{title}</text>\n",
        w / 2.0
    )
}

fn axes(out: &mut String, margin: f64, width: f64, bottom: f64, x_label: &str, y_label: &str) {
    for p in (0..=100).step_by(10) {
        let x = margin + width * p as f64 / 100.0;
        out.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{p}</text>\n",
            bottom + 15.0
        ));
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_label}</text>\n<text x=\"15\" y=\"{:.1}\" transform=\"rotate(-90 15 {:.1})\" text-anchor=\"middle\">{y_label}</text>\n",
        margin + width / 2.0,
        bottom + 32.0,
        (margin + bottom) / 2.0,
        (margin + bottom) / 2.0
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_edges() {
        let s = |n, g, l| Station { registered: n, issued: g, found: g, leader: l };
        let f =
            fingerprint(&[s(100, 50, 25), s(100, 100, 100), s(0, 0, 0)], 10, Weighting::Stations);
        assert_eq!(f.cells[5 * 10 + 5], 1.0); // 50 % turnout, 50 % share
        assert_eq!(f.cells[9 * 10 + 9], 1.0); // 100 % goes to the last bin
        assert_eq!(f.skipped, 1);
        let svg = fingerprint_svg(&f, "a < b");
        assert!(svg.starts_with("<svg") && svg.contains("a &lt; b") && svg.ends_with("</svg>\n"));
        assert_eq!(histogram([(1, 2), (3, 3)].into_iter(), 4), [0, 0, 1, 1]);
    }
}
