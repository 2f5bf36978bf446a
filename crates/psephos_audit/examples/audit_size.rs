//! Simulated ballot-polling ALPHA sample size (SHANGRLA-equivalent: shrink_trunc, d = 100,
//! η₀ = the reported assorter mean, without replacement) for `bench/audit_size.sh`, until
//! `psephos audit size --method alpha` exists.
//!
//! Usage: audit_size WINNER LOSER OTHER REPS SEED [ALPHA]
//! Prints one JSON line: sizes at 0.5/0.7/0.8/0.9, mean, seconds.

use std::io::Write;
use std::time::Instant;

use psephos_audit::simulate::{SimSpec, polling_sizes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        return Err("usage: audit_size WINNER LOSER OTHER REPS SEED [ALPHA]".into());
    }
    let winner: u64 = args[0].parse()?;
    let loser: u64 = args[1].parse()?;
    let other: u64 = args[2].parse()?;
    let reps: u32 = args[3].parse()?;
    let seed = args[4].clone();
    let alpha: f64 = args.get(5).map_or(Ok(0.05), |a| a.parse())?;
    let mut spec = SimSpec::new(alpha, reps, seed.clone());
    spec.quantiles = vec![0.5, 0.7, 0.8, 0.9];
    let start = Instant::now();
    let r = polling_sizes(winner, loser, other, &spec)?;
    let secs = start.elapsed().as_secs_f64();
    let q: Vec<String> = r.quantiles.iter().map(|(q, n)| format!("\"{q}\": {n}")).collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{{\"method\": \"alpha\", \"seed\": \"{seed}\", \"reps\": {reps}, \"quantiles\": {{{}}}, \"mean\": {}, \"seconds\": {secs}}}",
        q.join(", "),
        r.mean
    )?;
    Ok(())
}
