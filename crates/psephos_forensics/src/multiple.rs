//! Multiple testing: Holm within a pre-declared battery, Benjamini–Hochberg or
//! Benjamini–Yekutieli across regions or districts. Each returns adjusted p-values (q-values
//! for BH and BY) in the input order.

/// Holm–Bonferroni adjusted p-values.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Benjamini–Hochberg q-values (false discovery rate, independent or positively dependent
/// tests).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    step_up(p, 1.0)
}

/// Benjamini–Yekutieli q-values (false discovery rate under any dependence).
pub fn benjamini_yekutieli(p: &[f64]) -> Vec<f64> {
    let c: f64 = (1..=p.len()).map(|i| 1.0 / i as f64).sum();
    step_up(p, c)
}

fn step_up(p: &[f64], c: f64) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut out = vec![0.0; m];
    let mut running = 1.0f64;
    for (k, &i) in order.iter().enumerate() {
        let rank = m - k;
        running = running.min((p[i] * m as f64 * c / rank as f64).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_examples() {
        let p = [0.01, 0.04, 0.03, 0.005];
        assert_eq!(holm(&p), [0.03, 0.06, 0.06, 0.02]);
        let q = benjamini_hochberg(&p);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        let y = benjamini_yekutieli(&p);
        assert!(y.iter().zip(&q).all(|(a, b)| a >= b));
    }
}
