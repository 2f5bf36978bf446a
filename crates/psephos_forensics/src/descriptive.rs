//! Descriptive summaries, labelled as such: they describe distributions and carry no null
//! model. The digit and moment summary reproduces the EFToolkit table (Kalinin and Mebane)
//! column for column.

/// EFToolkit's "Turnout" summary of a group of stations from their ballots and registered
/// voters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitSummary {
    /// Mean second digit of the ballot counts of at least 10 (`_2BL`).
    pub second_digit_mean: f64,
    /// Share of whole-number turnout percentages, round(100·ballots/registered) with ties to
    /// even as R rounds, ending in 0 or 5 (`P05s`).
    pub percent_05_share: f64,
    /// Share of ballot counts ending in 0 or 5 (`C05s`).
    pub count_05_share: f64,
    /// Population skewness and (non-excess) kurtosis of the turnout fraction (`Skew`, `Kurt`).
    pub skewness: f64,
    pub kurtosis: f64,
    /// Stations (`Obs`).
    pub stations: usize,
}

/// The summary of `(ballots, registered)` pairs. Stations without registered voters have no
/// turnout and are left out of the turnout columns, as EFToolkit drops NaN.
pub fn digit_summary(stations: &[(u64, u64)]) -> DigitSummary {
    let second: Vec<f64> = stations
        .iter()
        .filter(|(b, _)| *b >= 10)
        .map(|(b, _)| {
            let s = b.to_string();
            f64::from(s.as_bytes()[1] - b'0')
        })
        .collect();
    let percents: Vec<u64> = stations
        .iter()
        .filter(|(_, r)| *r > 0)
        .map(|&(b, r)| {
            let (q, rem) =
                ((100 * u128::from(b)) / u128::from(r), (100 * u128::from(b)) % u128::from(r));
            let twice = 2 * rem;
            let up = twice > u128::from(r) || (twice == u128::from(r) && q % 2 == 1);
            (q + u128::from(up)) as u64
        })
        .collect();
    let turnout: Vec<f64> =
        stations.iter().filter(|(_, r)| *r > 0).map(|&(b, r)| b as f64 / r as f64).collect();
    let share_05 = |v: &mut dyn Iterator<Item = u64>| -> f64 {
        let (mut n, mut hit) = (0usize, 0usize);
        for x in v {
            n += 1;
            if x % 5 == 0 {
                hit += 1;
            }
        }
        if n == 0 { f64::NAN } else { hit as f64 / n as f64 }
    };
    let n = turnout.len() as f64;
    let mean = turnout.iter().sum::<f64>() / n;
    let m = |k: i32| turnout.iter().map(|t| (t - mean).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (m(2), m(3), m(4));
    DigitSummary {
        second_digit_mean: second.iter().sum::<f64>() / second.len() as f64,
        percent_05_share: share_05(&mut percents.iter().copied()),
        count_05_share: share_05(&mut stations.iter().map(|(b, _)| *b)),
        skewness: m3 / m2.powf(1.5),
        kurtosis: m4 / (m2 * m2),
        stations: stations.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let s = digit_summary(&[(125, 1000), (40, 80), (7, 100), (15, 0)]);
        // Second digits of 125, 40, 15: 2, 0, 5.
        assert!((s.second_digit_mean - 7.0 / 3.0).abs() < 1e-12);
        // Percentages 12.5 → 12 (ties to even), 50, 7: one of three ends in 0 or 5.
        assert!((s.percent_05_share - 1.0 / 3.0).abs() < 1e-12);
        // Counts 125, 40, 7, 15: three of four.
        assert!((s.count_05_share - 0.75).abs() < 1e-12);
        assert_eq!(s.stations, 4);
    }
}
