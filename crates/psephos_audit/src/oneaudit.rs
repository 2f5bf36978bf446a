//! ONEAudit for station-level results without ballot-level records (Stark 2023, arXiv
//! 2303.03335; rla.md §3.1). Specification: `docs/internals/oneaudit.md`.
//!
//! Each card of station p gets the "ONE CVR" Ā_p, the station's reported assorter mean.
//! The comparison audit then runs as CLCA on the overstatement assorter
//! B = (1 − (Ā_p − A(mvr))/u)/(2 − v/u), where v = 2Ā − 1 is the contest's reported assorter
//! margin (Ā = the mean of the ONE CVRs over all cards, which is the reported mean). Cards
//! are drawn uniformly from the card manifest (stations × cards), read by hand, and assorted.

use crate::alpha::NonnegMean;
use crate::shangrla::{Assorter, Ballot, MvrValue, Overstatement, Tally};
use crate::stat_error::{StatError, invalid};

/// One station: its reported tally and the cards its manifest lists.
#[derive(Debug, Clone, Copy)]
pub struct Station<'a> {
    pub tally: Tally<'a>,
    /// Cards in the manifest; at least the tally's cards. Extra cards (counted but not in the
    /// tally) report ½, a non-vote.
    pub manifest_cards: u64,
}

/// A station as the audit uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// Manifest cards.
    pub cards: u64,
    /// The ONE CVR Ā_p.
    pub one_cvr: f64,
    /// The reported cards as (assorter value, count), for planning.
    pub reported: Vec<(f64, u64)>,
}

/// A ONEAudit of one assertion over station pools.
#[derive(Debug, Clone, PartialEq)]
pub struct OneAudit {
    pub pools: Vec<Pool>,
    pub overstatement: Overstatement,
    /// All manifest cards N.
    pub cards: u64,
}

impl OneAudit {
    /// Builds the pools of `assorter` from station tallies. Errors when a manifest lists fewer
    /// cards than the station reported, when there are no cards, or when the reported margin
    /// is not positive.
    pub fn from_stations(assorter: &Assorter, stations: &[Station<'_>]) -> Result<Self, StatError> {
        let mut pools = Vec::with_capacity(stations.len());
        let mut total = 0.0;
        let mut cards: u64 = 0;
        for (i, s) in stations.iter().enumerate() {
            let reported_cards = s.tally.cards();
            if s.manifest_cards < reported_cards {
                return invalid(format!(
                    "station {i}: manifest lists {} cards but {reported_cards} were reported",
                    s.manifest_cards
                ));
            }
            let mut reported = Vec::new();
            for (c, &v) in s.tally.votes.iter().enumerate() {
                if v > 0 {
                    let c = u32::try_from(c)
                        .map_err(|_| StatError::InvalidInput("too many candidates".into()))?;
                    reported.push((assorter.assort(Ballot { marks: &[c], valid: true }), v));
                }
            }
            if s.tally.valid_blank > 0 {
                reported.push((
                    assorter.assort(Ballot { marks: &[], valid: true }),
                    s.tally.valid_blank,
                ));
            }
            let non_votes = s.tally.invalid + (s.manifest_cards - reported_cards);
            if non_votes > 0 {
                reported.push((assorter.assort(Ballot { marks: &[], valid: false }), non_votes));
            }
            let sum: f64 = reported.iter().map(|&(a, n)| a * n as f64).sum();
            total += sum;
            cards = cards
                .checked_add(s.manifest_cards)
                .ok_or_else(|| StatError::InvalidInput("card count overflows".into()))?;
            let one_cvr = if s.manifest_cards == 0 { 0.5 } else { sum / s.manifest_cards as f64 };
            pools.push(Pool { cards: s.manifest_cards, one_cvr, reported });
        }
        if cards == 0 {
            return invalid("no cards");
        }
        let margin = 2.0 * total / cards as f64 - 1.0;
        let overstatement = Overstatement::new(assorter.upper_bound(), margin)?;
        Ok(OneAudit { pools, overstatement, cards })
    }

    /// The reported assorter margin v.
    pub fn margin(&self) -> f64 {
        self.overstatement.margin
    }

    /// B for a card drawn from station `pool` whose hand reading assorts `mvr`.
    pub fn assort(&self, pool: usize, mvr: MvrValue) -> Result<f64, StatError> {
        let Some(p) = self.pools.get(pool) else {
            return invalid(format!("no station {pool}"));
        };
        if let MvrValue::Value(a) = mvr
            && !(a.is_finite() && a >= 0.0 && a <= self.overstatement.u)
        {
            return invalid(format!("assorter value {a} is not in [0, u]"));
        }
        Ok(self.overstatement.assort(crate::shangrla::CvrValue::Value(p.one_cvr), mvr))
    }

    /// The test for mean(B) > ½ over all N cards (without replacement), u = 2/(2 − v/u).
    pub fn test(&self) -> Result<NonnegMean, StatError> {
        NonnegMean::new(Some(self.cards), 0.5, self.overstatement.upper_bound())
    }

    /// The population of B values if every station's count is exactly right (for sample
    /// sizes): each reported card's B against its station's ONE CVR, merged by value.
    pub fn population_if_correct(&self) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = Vec::new();
        for p in &self.pools {
            for &(a, n) in &p.reported {
                let b = self.overstatement.from_omega(p.one_cvr - a);
                match out.iter_mut().find(|(v, _)| *v == b) {
                    Some(e) => e.1 += n,
                    None => out.push((b, n)),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cvr_is_station_mean() {
        let a = Assorter::Pairwise { winner: 0, loser: 1 };
        let st = [
            Station {
                tally: Tally { votes: &[60, 40], valid_blank: 0, invalid: 0 },
                manifest_cards: 100,
            },
            Station {
                tally: Tally { votes: &[50, 40], valid_blank: 0, invalid: 10 },
                manifest_cards: 100,
            },
        ];
        let o = OneAudit::from_stations(&a, &st).unwrap();
        assert!((o.pools[0].one_cvr - 0.6).abs() < 1e-15);
        assert!((o.pools[1].one_cvr - 0.55).abs() < 1e-15);
        assert!((o.margin() - 0.15).abs() < 1e-12);
        let pop = o.population_if_correct();
        let mean: f64 = pop.iter().map(|&(b, n)| b * n as f64).sum::<f64>() / 200.0;
        // Mean of B when the counts are right is 1/(2 − v).
        assert!((mean - 1.0 / (2.0 - 0.15)).abs() < 1e-12);
    }
}
