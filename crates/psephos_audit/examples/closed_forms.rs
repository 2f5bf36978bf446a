//! Closed-form audit sizes over a grid, for `bench/audit_closed_forms.sh` (against rlacalc):
//! Kaplan-Markov nmin (no discrepancies), the rounded expected Kaplan-Markov size with Arlo's
//! rates, and the BRAVO ASN for two candidates, at α = 5 % and 10 % and margins 0.5 %…40 %.
//!
//! Usage: closed_forms REPEATS. Prints one JSON line: the values (first pass) and seconds per
//! pass.

use std::io::Write;
use std::time::Instant;

use psephos_audit::bravo::{Contest, sample_sizes};
use psephos_audit::kaplan_markov::{
    Discrepancies, GAMMA, Rates, expected_sample_size_rounded, nmin,
};

fn grid() -> Vec<(f64, f64)> {
    let margins = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4];
    [0.05, 0.1].iter().flat_map(|&a| margins.iter().map(move |&m| (a, m))).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: u32 = std::env::args().nth(1).map_or(Ok(100), |a| a.parse())?;
    let n = 1_000_000u64;
    let mut values = Vec::new();
    let start = Instant::now();
    for r in 0..repeats {
        for (alpha, m) in grid() {
            let km = nmin(alpha, m, GAMMA, Discrepancies::default())?;
            let km_rates = expected_sample_size_rounded(alpha, m, GAMMA, Rates::ARLO)?;
            let w = (n as f64 * (1.0 + m) / 2.0).round() as u64;
            let contest = Contest::new(vec![w, n - w], n, 1);
            let asn = sample_sizes(alpha, &contest, &[0, 0], &[])?.asn;
            if r == 0 {
                values.push(format!(
                    "[{alpha}, {m}, {km}, {}, {asn}]",
                    km_rates.map_or("null".to_owned(), |v| v.to_string())
                ));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(repeats.max(1));
    let mut out = std::io::stdout().lock();
    writeln!(out, "{{\"seconds_per_pass\": {secs}, \"values\": [{}]}}", values.join(", "))?;
    Ok(())
}
