//! Consistent-sampler throughput for `bench/audit.sh`: N ids `B-0000001`..., take K without
//! replacement (every id is hashed), best of 5 runs; prints JSON with ids/second and the drawn
//! ids (to check them against the Python reference).

#![allow(clippy::print_stdout)]

use std::time::Instant;

use psephos_audit::sampling::{SampleOptions, consistent_sample};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let k: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let seed = args.get(3).cloned().unwrap_or_else(|| "20240501".to_owned());
    let ids: Vec<String> = (1..=n).map(|i| format!("B-{i:07}")).collect();
    let opts = SampleOptions { with_replacement: false, drop: 0, take: k };
    let mut best = f64::INFINITY;
    let mut drawn = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let draws = consistent_sample(&ids, &seed, opts);
        best = best.min(t.elapsed().as_secs_f64());
        drawn = draws.iter().map(|d| ids[d.index].clone()).collect();
    }
    let list: Vec<String> = drawn.iter().map(|s| format!("\"{s}\"")).collect();
    println!(
        "{{\"ids\": {n}, \"take\": {k}, \"seconds\": {best:.6}, \"ids_per_second\": {:.0}, \"drawn\": [{}]}}",
        n as f64 / best,
        list.join(", ")
    );
}
