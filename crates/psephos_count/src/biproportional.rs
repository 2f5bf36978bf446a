//! Biproportional apportionment ("double Pukelsheim", Zurich since 2006): given each party's
//! seats (upper apportionment) and each district's seats, find district divisors and party
//! multipliers so that every cell's seats are its votes divided by both, rounded by the divisor
//! method, and every row and column adds up.
//!
//! The lower apportionment uses alternate scaling: districts and parties are fitted in turn, each
//! by a one-dimensional divisor apportionment, and the divisor chosen in each step is the simplest
//! fraction inside the interval of valid divisors, so that numbers stay small and every
//! comparison stays exact.

use crate::apportion::{Method, Ratio};

/// Why the lower apportionment could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BiproportionalError {
    /// The row and column totals disagree.
    Totals { parties: u128, districts: u128 },
    /// A district or party needs seats but has no votes to give them.
    NoVotes,
    /// Two cells tie exactly for a seat; the law's tie rule is needed.
    Tie,
    /// Alternate scaling did not settle within its step limit.
    NoConvergence,
}

impl std::fmt::Display for BiproportionalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BiproportionalError::Totals { parties, districts } => {
                write!(f, "party seats add up to {parties} but district seats to {districts}")
            }
            BiproportionalError::NoVotes => {
                f.write_str("a district or party has seats but no votes")
            }
            BiproportionalError::Tie => f.write_str("two cells tie exactly for a seat"),
            BiproportionalError::NoConvergence => f.write_str("alternate scaling did not converge"),
        }
    }
}

/// The lower apportionment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Biproportional {
    /// Seats per party (row) and district (column).
    pub seats: Vec<Vec<u128>>,
    /// Per party: the multiplier its votes are divided by.
    pub party_divisors: Vec<Ratio>,
    /// Per district: the divisor its votes are divided by.
    pub district_divisors: Vec<Ratio>,
    /// Alternate-scaling steps taken.
    pub steps: usize,
}

/// Divides seats so that rows add to `party_seats` and columns to `district_seats`, with cell
/// seats `round(votes[p][d] / (party_divisor[p] · district_divisor[d]))` by the divisor method
/// (Sainte-Laguë in Zurich).
pub fn biproportional(
    votes: &[Vec<u128>],
    party_seats: &[u128],
    district_seats: &[u128],
    method: Method,
) -> Result<Biproportional, BiproportionalError> {
    let np = party_seats.len();
    let nd = district_seats.len();
    let (tp, td) = (party_seats.iter().sum::<u128>(), district_seats.iter().sum::<u128>());
    if tp != td {
        return Err(BiproportionalError::Totals { parties: tp, districts: td });
    }
    let mut party_div = vec![Ratio::integer(1); np];
    let mut district_div = vec![Ratio::integer(1); nd];
    let mut seats = vec![vec![0u128; nd]; np];
    for step in 1..=200 {
        // Fit every district, given the party multipliers.
        for d in 0..nd {
            let w: Vec<Ratio> = (0..np).map(|p| divide(votes[p][d], party_div[p])).collect();
            let (s, divisor) = fit(&w, district_seats[d], method)?;
            district_div[d] = divisor;
            for p in 0..np {
                seats[p][d] = s[p];
            }
        }
        if (0..np).all(|p| seats[p].iter().sum::<u128>() == party_seats[p]) {
            return Ok(Biproportional {
                seats,
                party_divisors: party_div,
                district_divisors: district_div,
                steps: step,
            });
        }
        // Fit every party, given the district divisors.
        for p in 0..np {
            let w: Vec<Ratio> = (0..nd).map(|d| divide(votes[p][d], district_div[d])).collect();
            let (s, divisor) = fit(&w, party_seats[p], method)?;
            party_div[p] = divisor;
            seats[p] = s;
        }
        if (0..nd).all(|d| (0..np).map(|p| seats[p][d]).sum::<u128>() == district_seats[d]) {
            return Ok(Biproportional {
                seats,
                party_divisors: party_div,
                district_divisors: district_div,
                steps: step,
            });
        }
    }
    Err(BiproportionalError::NoConvergence)
}

/// `votes / divisor` as a rational.
fn divide(votes: u128, divisor: Ratio) -> Ratio {
    Ratio::new(votes * divisor.den, divisor.num.max(1))
}

/// A one-dimensional divisor apportionment of `seats` among weights: the seats, and the simplest
/// divisor that yields them.
fn fit(
    weights: &[Ratio],
    seats: u128,
    method: Method,
) -> Result<(Vec<u128>, Ratio), BiproportionalError> {
    let n = weights.len();
    let mut s = vec![0u128; n];
    if seats == 0 {
        return Ok((s, Ratio::integer(1)));
    }
    if weights.iter().all(|w| w.num == 0) {
        return Err(BiproportionalError::NoVotes);
    }
    // Quotient of weight w at s seats: w / d(s).
    let quotient = |w: Ratio, held: u128| -> Ratio {
        if w.num == 0 {
            return Ratio::integer(0);
        }
        let d = method.divisor(held).unwrap_or(Ratio::integer(held + 1));
        if d.num == 0 {
            return Ratio::new(1, 0);
        }
        Ratio::new(w.num * d.den, w.den * d.num)
    };
    for _ in 0..seats {
        let best = (0..n).max_by(|&a, &b| {
            quotient(weights[a], s[a]).cmp(&quotient(weights[b], s[b])).then(b.cmp(&a))
        });
        if let Some(k) = best {
            s[k] += 1;
        }
    }
    // Valid divisors lie above every quotient that did not win and at or below every one that did.
    let lo = (0..n).map(|k| quotient(weights[k], s[k])).max().unwrap_or(Ratio::integer(0));
    let hi = (0..n)
        .filter(|&k| s[k] > 0)
        .map(|k| quotient(weights[k], s[k] - 1))
        .min()
        .unwrap_or(Ratio::new(1, 0));
    if lo >= hi {
        return Err(BiproportionalError::Tie);
    }
    Ok((s, simplest_between(lo, hi)))
}

/// The fraction with the smallest denominator strictly between `a` and `b` (a < b; b may be
/// infinite).
fn simplest_between(a: Ratio, b: Ratio) -> Ratio {
    let n = a.num / a.den.max(1);
    // An integer strictly between them.
    if b.is_infinite() || (n + 1) * b.den < b.num {
        return Ratio::integer(n + 1);
    }
    // Both within [n, n + 1]: x = n + 1/y with 1/(b - n) < y < 1/(a - n).
    let b_frac = Ratio::new(b.num - n * b.den, b.den);
    let a_frac = Ratio::new(a.num - n * a.den, a.den);
    let low = Ratio::new(b_frac.den, b_frac.num);
    let y = if a_frac.num == 0 {
        Ratio::integer(low.num / low.den.max(1) + 1)
    } else {
        simplest_between(low, Ratio::new(a_frac.den, a_frac.num))
    };
    Ratio::new(n * y.num + y.den, y.num)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplest_fractions() {
        let s = |a: (u128, u128), b: (u128, u128)| {
            let r = simplest_between(Ratio::new(a.0, a.1), Ratio::new(b.0, b.1));
            (r.num, r.den)
        };
        assert_eq!(s((1, 3), (1, 2)), (2, 5));
        assert_eq!(s((3, 2), (7, 2)), (2, 1));
        assert_eq!(s((0, 1), (1, 3)), (1, 4));
        assert_eq!(s((2, 1), (21, 10)), (23, 11));
        assert_eq!(s((5, 1), (1, 0)), (6, 1));
    }

    #[test]
    fn a_small_table() {
        // Pukelsheim's textbook-style example: two parties, two districts.
        let votes = vec![vec![60, 40], vec![40, 60]];
        let r = biproportional(&votes, &[5, 5], &[5, 5], Method::SainteLague).unwrap();
        assert_eq!(r.seats, vec![vec![3, 2], vec![2, 3]]);
    }
}

/// The biproportional tier of a package: the upper and lower apportionments over the contests
/// of one list-PR system, and the lists refilled with their seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BiproportionalOutcome {
    /// Parties that took part (a list of theirs passed the system's threshold somewhere), with
    /// the number the upper apportionment used (votes, or voter numbers) and their seats.
    pub parties: Vec<(psephos_model::PartyIdx, u64, u64)>,
    /// Per party in `parties`: its multiplier, and per contest: its divisor (six decimals).
    pub party_divisors: Vec<String>,
    pub contest_divisors: Vec<(psephos_model::ContestIdx, String)>,
    /// Why the lower apportionment failed, if it did (the system's seats are then left empty).
    pub error: Option<String>,
}

/// Runs the tier over `contests` (already allocated one by one) and refills their lists.
pub(crate) fn tier(
    election: &psephos_model::Election,
    tabulation: &crate::tabulate::Tabulation,
    b: &psephos_model::BiproportionalTier,
    contests: &mut [crate::allocate::ContestResult],
) -> BiproportionalOutcome {
    use psephos_model::{ContestIdx, PartyIdx};
    let members: Vec<usize> =
        (0..contests.len()).filter(|&i| election.contests[i].system == b.system).collect();
    let np = election.parties.len();
    // Parties with a list above the threshold in at least one contest.
    let mut qualified = vec![false; np];
    let mut votes = vec![vec![0u128; members.len()]; np];
    for (d, &i) in members.iter().enumerate() {
        for l in &contests[i].lists {
            if let Some(p) = l.party {
                votes[p.index()][d] += u128::from(l.votes);
                qualified[p.index()] |= !l.below_threshold && l.votes > 0;
            }
        }
    }
    let parties: Vec<usize> = (0..np).filter(|&p| qualified[p]).collect();
    let district_seats: Vec<u128> =
        members.iter().map(|&i| u128::from(election.contests[i].seats)).collect();
    let rows: Vec<Vec<u128>> = parties.iter().map(|&p| votes[p].clone()).collect();
    let upper_numbers: Vec<u128> = rows
        .iter()
        .map(|row| {
            if b.voter_numbers {
                // Votes over the contest's seats, rounded half up.
                row.iter()
                    .zip(&district_seats)
                    .map(|(&v, &s)| if s == 0 { 0 } else { (2 * v + s) / (2 * s) })
                    .sum()
            } else {
                row.iter().sum()
            }
        })
        .collect();
    let method = crate::list_pr::formula_method(b.formula);
    let names: Vec<&str> = parties.iter().map(|&p| election.parties[p].id.as_str()).collect();
    let system = election.system(b.system);
    let rule = match system.ties.method {
        psephos_model::TieMethod::Lot => crate::apportion::TieRule::Lot {
            seed: system.ties.seed.clone(),
            context: "biproportional".into(),
        },
        psephos_model::TieMethod::MostVotes => crate::apportion::TieRule::MostVotesThenLot {
            seed: system.ties.seed.clone(),
            context: "biproportional".into(),
        },
    };
    let total: u128 = district_seats.iter().sum();
    let upper = crate::apportion::apportion(&upper_numbers, &names, total, method, None, &rule)
        .map(|a| a.seats)
        .unwrap_or_else(|_| vec![0; parties.len()]);
    let lower = biproportional(&rows, &upper, &district_seats, method);
    let six = |r: &Ratio| r.decimal(6);
    let (cells, party_divisors, contest_divisors, error) = match lower {
        Ok(r) => (
            Some(r.seats),
            r.party_divisors.iter().map(six).collect(),
            members
                .iter()
                .zip(&r.district_divisors)
                .map(|(&i, d)| (ContestIdx::from_index(i), six(d)))
                .collect(),
            None,
        ),
        Err(e) => (None, Vec::new(), Vec::new(), Some(e.to_string())),
    };
    // Refill every contest with its cells' seats (none if the lower apportionment failed).
    for (d, &i) in members.iter().enumerate() {
        let contest = ContestIdx::from_index(i);
        let psephos_model::Method::ListPr(lp) = &system.method else { continue };
        let result = &mut contests[i];
        for l in &mut result.lists {
            let k = l.party.and_then(|p| parties.iter().position(|&q| q == p.index()));
            l.seats = match (&cells, k) {
                (Some(c), Some(k)) => u32::try_from(c[k][d]).unwrap_or(u32::MAX),
                _ => 0,
            };
            // The contest's own quotients do not explain these seats.
            l.last_won = None;
            l.next = None;
        }
        let unallocated = if cells.is_some() { 0 } else { election.contests[i].seats };
        let (seats, quotas, empty) = crate::list_pr::fill_lists(
            election,
            tabulation,
            contest,
            lp,
            &mut result.lists,
            &[],
            unallocated,
            &|_| false,
        );
        result.seats = seats;
        result.quotas = quotas;
        result.empty_seats = empty;
        result.list_ties.clear();
    }
    BiproportionalOutcome {
        parties: parties
            .iter()
            .zip(upper_numbers.iter().zip(&upper))
            .map(|(&p, (&n, &s))| {
                (
                    PartyIdx::from_index(p),
                    u64::try_from(n).unwrap_or(u64::MAX),
                    u64::try_from(s).unwrap_or(u64::MAX),
                )
            })
            .collect(),
        party_divisors,
        contest_divisors,
        error,
    }
}
