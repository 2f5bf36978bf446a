//! Synthetic ranked ballots for benchmarks: Plackett-Luce rankings (each next choice drawn in
//! proportion to the candidates' weights among those not yet ranked), truncated to a random
//! length. Deterministic from a seed: ballot `i` comes from its own ChaCha8 stream position, so
//! any range of ballots can be generated on its own, in parallel, with the same result.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

/// How to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedConfig {
    pub ballots: u64,
    pub candidates: usize,
    /// Longest ranking; lengths are uniform in 1..=max_ranks.
    pub max_ranks: usize,
    pub seed: u64,
}

/// Candidate weights: geometric, so that the count has a clear order but close races below.
pub fn weights(candidates: usize) -> Vec<f64> {
    (0..candidates).map(|i| 0.8f64.powi(i as i32)).collect()
}

/// Candidate names: `Candidate 01`, `Candidate 02`, ...
pub fn names(candidates: usize) -> Vec<String> {
    (1..=candidates).map(|i| format!("Candidate {i:02}")).collect()
}

/// Ballots `range` of the election, each as candidate indices in rank order.
pub fn ballots(
    config: &RankedConfig,
    range: std::ops::Range<u64>,
) -> impl Iterator<Item = Vec<u32>> + '_ {
    let weights = weights(config.candidates);
    let mut rng: Option<(u64, ChaCha8Rng)> = None;
    range.map(move |i| {
        let block = i / BLOCK;
        let fresh = !matches!(&rng, Some((b, _)) if *b == block);
        if fresh {
            // Start the block's stream and draw the ballots before `i` in it.
            let mut r = ChaCha8Rng::seed_from_u64(config.seed);
            r.set_stream(block);
            for _ in block * BLOCK..i {
                draw(&mut r, &weights, config.max_ranks);
            }
            rng = Some((block, r));
        }
        let (_, r) = rng.as_mut().expect("set above");
        draw(r, &weights, config.max_ranks)
    })
}

/// Ballots share a stream in blocks of this many, so that any range can be generated alone.
const BLOCK: u64 = 4096;

fn draw(rng: &mut ChaCha8Rng, weights: &[f64], max_ranks: usize) -> Vec<u32> {
    let len = rng.random_range(1..=max_ranks.clamp(1, weights.len().max(1)));
    let mut left: Vec<(u32, f64)> =
        weights.iter().enumerate().map(|(i, &w)| (i as u32, w)).collect();
    let mut ranking = Vec::with_capacity(len);
    for _ in 0..len {
        let total: f64 = left.iter().map(|c| c.1).sum();
        let mut x = rng.random::<f64>() * total;
        let mut k = left.len() - 1;
        for (j, c) in left.iter().enumerate() {
            if x < c.1 {
                k = j;
                break;
            }
            x -= c.1;
        }
        ranking.push(left.remove(k).0);
    }
    ranking
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_range_gives_the_same_ballots() {
        let c = RankedConfig { ballots: 10_000, candidates: 10, max_ranks: 5, seed: 42 };
        let all: Vec<Vec<u32>> = ballots(&c, 0..10_000).collect();
        let part: Vec<Vec<u32>> = ballots(&c, 5_000..6_000).collect();
        assert_eq!(&all[5_000..6_000], &part[..]);
        assert!(all.iter().all(|b| (1..=5).contains(&b.len())));
        // Candidate 0 (the heaviest weight) leads the first choices.
        let firsts = all.iter().filter(|b| b[0] == 0).count();
        assert!(firsts > all.iter().filter(|b| b[0] == 9).count());
    }
}
