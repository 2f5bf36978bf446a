//! Binomial probabilities at election scale.
//!
//! statrs's binomial functions lose accuracy for large n (rust-stack report §2), so the pmf is
//! computed around the mode and extended outward by the ratio of successive terms, then
//! normalised: the anchor's rounding cancels out.

/// Terms below this fraction of the mode's probability are left out (their total is far below
/// anything reported).
const NEGLIGIBLE: f64 = 1e-20;

/// The non-negligible probabilities of Bin(n, p): the first k and the pmf from it on, summing
/// to 1.
pub fn window(n: u64, p: f64) -> (u64, Vec<f64>) {
    let mut pmf = Vec::new();
    let first = window_into(n, p, &mut pmf, &mut Vec::new());
    (first, pmf)
}

/// [`window`] into `pmf` (cleared first), with `scratch` for the terms below the mode: no
/// allocation once the buffers have grown. Returns the first k.
pub fn window_into(n: u64, p: f64, pmf: &mut Vec<f64>, scratch: &mut Vec<f64>) -> u64 {
    pmf.clear();
    if n == 0 || p.is_nan() || p <= 0.0 {
        pmf.push(1.0);
        return 0;
    }
    if p >= 1.0 {
        pmf.push(1.0);
        return n;
    }
    let mode = (((n + 1) as f64) * p).floor().min(n as f64) as u64;
    let odds = p / (1.0 - p);
    // Downward: pmf(k−1)/pmf(k) = k/(n−k+1) · (1−p)/p.
    scratch.clear();
    let mut v = 1.0f64;
    let mut k = mode;
    while k > 0 {
        v *= k as f64 / (n - k + 1) as f64 / odds;
        if v < NEGLIGIBLE {
            break;
        }
        scratch.push(v);
        k -= 1;
    }
    let first = mode - scratch.len() as u64;
    pmf.extend(scratch.iter().rev());
    pmf.push(1.0);
    // Upward from the mode: pmf(k+1)/pmf(k) = (n−k)/(k+1) · p/(1−p).
    let mut v = 1.0f64;
    let mut k = mode;
    while k < n {
        v *= (n - k) as f64 / (k + 1) as f64 * odds;
        if v < NEGLIGIBLE {
            break;
        }
        pmf.push(v);
        k += 1;
    }
    let total: f64 = pmf.iter().sum();
    for x in pmf.iter_mut() {
        *x /= total;
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cases_match_the_formula() {
        let (first, pmf) = window(4, 0.5);
        assert_eq!(first, 0);
        let exact = [1.0, 4.0, 6.0, 4.0, 1.0].map(|c| c / 16.0);
        for (a, b) in pmf.iter().zip(exact) {
            assert!((a - b).abs() < 1e-15, "{pmf:?}");
        }
        assert_eq!(window(10, 0.0), (0, vec![1.0]));
        assert_eq!(window(10, 1.0), (10, vec![1.0]));
    }

    #[test]
    fn large_n_sums_to_one_around_the_mean() {
        let (first, pmf) = window(1_000_000, 0.3);
        let mean: f64 = pmf.iter().enumerate().map(|(i, p)| (first + i as u64) as f64 * p).sum();
        assert!((mean - 300_000.0).abs() < 1e-6, "{mean}");
        assert!(pmf.len() < 10_000);
    }
}
