//! Same-area comparison (a natural experiment, forensics.md §3.6): within each area (e.g. a
//! territorial commission) that has both kinds of station — scanner-counted and hand-counted,
//! or observed and unobserved — the leader's votes per registered voter at the reference
//! stations predict the leader's votes everywhere in the area; the excess is what the other
//! stations report above that prediction.
//!
//! Assignment to the reference kind is usually not random, so the excess is an extrapolation,
//! not a causal estimate; the report says so. Its uncertainty comes from a bootstrap of the
//! stations within each area and kind, seeded and recorded.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

/// One station: its area, whether it is of the reference kind, its registered voters and the
/// leader's votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaStation {
    pub area: u32,
    pub reference: bool,
    pub registered: u64,
    pub leader: u64,
}

/// The comparison's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SameArea {
    /// Areas with both kinds of station (only they count).
    pub areas: usize,
    pub stations: usize,
    pub reference_stations: usize,
    /// Leader's votes in those areas, and the prediction from the reference rates.
    pub actual: f64,
    pub expected: f64,
    /// actual − expected.
    pub excess: f64,
    /// 95 % bootstrap percentile interval of the excess.
    pub ci: (f64, f64),
    /// Share of bootstrap excesses at or below zero (a one-sided bootstrap p-value).
    pub p_value: f64,
    pub bootstrap: usize,
    pub seed: u64,
}

/// Groups the stations by area; returns the areas with both kinds, each as (reference,
/// others).
fn groups(stations: &[AreaStation]) -> Vec<(Vec<AreaStation>, Vec<AreaStation>)> {
    let mut by_area: std::collections::BTreeMap<u32, (Vec<AreaStation>, Vec<AreaStation>)> =
        Default::default();
    for s in stations {
        let e = by_area.entry(s.area).or_default();
        if s.reference { e.0.push(*s) } else { e.1.push(*s) }
    }
    by_area.into_values().filter(|(r, o)| !r.is_empty() && !o.is_empty()).collect()
}

/// Σ over areas of (leader votes − reference rate × registered), over all stations of each area.
fn excess_of(areas: &[(Vec<AreaStation>, Vec<AreaStation>)]) -> (f64, f64) {
    let (mut actual, mut expected) = (0.0, 0.0);
    for (reference, others) in areas {
        let n_ref: u64 = reference.iter().map(|s| s.registered).sum();
        let l_ref: u64 = reference.iter().map(|s| s.leader).sum();
        if n_ref == 0 {
            continue;
        }
        let rate = l_ref as f64 / n_ref as f64;
        let n_all: u64 = n_ref + others.iter().map(|s| s.registered).sum::<u64>();
        let l_all: u64 = l_ref + others.iter().map(|s| s.leader).sum::<u64>();
        actual += l_all as f64;
        expected += rate * n_all as f64;
    }
    (actual, expected)
}

/// The comparison, with `bootstrap` resamples from `seed`.
pub fn same_area(stations: &[AreaStation], bootstrap: usize, seed: u64) -> SameArea {
    let areas = groups(stations);
    let (actual, expected) = excess_of(&areas);
    let excess = actual - expected;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws: Vec<f64> = Vec::with_capacity(bootstrap);
    let resample = |v: &[AreaStation], rng: &mut ChaCha8Rng| -> Vec<AreaStation> {
        (0..v.len()).map(|_| v[rng.random_range(0..v.len())]).collect()
    };
    for _ in 0..bootstrap {
        let boot: Vec<(Vec<AreaStation>, Vec<AreaStation>)> =
            areas.iter().map(|(r, o)| (resample(r, &mut rng), resample(o, &mut rng))).collect();
        let (a, e) = excess_of(&boot);
        draws.push(a - e);
    }
    draws.sort_by(f64::total_cmp);
    let quantile = |q: f64| -> f64 {
        if draws.is_empty() {
            return f64::NAN;
        }
        let i = ((draws.len() - 1) as f64 * q).round() as usize;
        draws[i]
    };
    let at_or_below = draws.iter().filter(|&&d| d <= 0.0).count();
    SameArea {
        areas: areas.len(),
        stations: areas.iter().map(|(r, o)| r.len() + o.len()).sum(),
        reference_stations: areas.iter().map(|(r, _)| r.len()).sum(),
        actual,
        expected,
        excess,
        ci: (quantile(0.025), quantile(0.975)),
        p_value: (1 + at_or_below) as f64 / (1 + draws.len()) as f64,
        bootstrap,
        seed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_and_by_bootstrap() {
        let s = |area, reference, registered, leader| AreaStation {
            area,
            reference,
            registered,
            leader,
        };
        // Area 1: reference rate 0.3; the other station reports 0.5 of 1000: excess 200.
        // Area 2: only one kind, ignored.
        let st = [
            s(1, true, 1000, 300),
            s(1, true, 1000, 300),
            s(1, false, 1000, 500),
            s(2, false, 10, 10),
        ];
        let r = same_area(&st, 200, 7);
        assert_eq!((r.areas, r.stations, r.reference_stations), (1, 3, 2));
        assert!((r.excess - 200.0).abs() < 1e-9 && (r.expected - 900.0).abs() < 1e-9);
        // Every resample has the same rates here, so the interval is a point.
        assert_eq!(r.ci, (200.0, 200.0));
        assert!(r.p_value < 0.01);
        assert_eq!(same_area(&st, 200, 7), r, "seeded");
    }
}
