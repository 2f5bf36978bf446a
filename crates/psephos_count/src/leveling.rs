//! Leveling (compensatory) seats: a national tier that corrects the disproportion of district
//! allocations, placed back into the districts. This is Norway's Storting procedure (Election Act
//! §§ 11-5 to 11-7); its parameters (national method, threshold, number of leveling seats) are
//! inputs, so other laws of the same shape use it too.

use crate::apportion::{Method, Ratio, TieRule, apportion};

/// The rules of the leveling tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelingRule {
    /// Seats in the national calculation: district seats plus leveling seats (Norway: 169).
    pub total_seats: u128,
    /// Leveling seats, one per district (Norway: 19).
    pub leveling_seats: u128,
    /// Method of the national calculation (Norway: modified Sainte-Laguë, 1.4).
    pub method: Method,
    /// Share of the national vote a party needs to take part (Norway: 4/100).
    pub threshold: Ratio,
}

/// A party the national calculation set aside because its district seats exceed its national
/// entitlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exclusion {
    pub party: usize,
    pub district_seats: u128,
    pub entitlement: u128,
}

/// One leveling seat placed in a district, in the order placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub district: usize,
    pub party: usize,
    /// The party's next quotient in the district relative to the district's votes per seat.
    pub quotient: Ratio,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leveled {
    /// Parties that reached the threshold.
    pub qualified: Vec<bool>,
    /// National entitlement of each party that stayed in the calculation.
    pub entitlement: Vec<Option<u128>>,
    pub exclusions: Vec<Exclusion>,
    /// Leveling seats per party.
    pub leveling: Vec<u128>,
    /// Leveling seats per district and party.
    pub by_district: Vec<Vec<u128>>,
    pub placements: Vec<Placement>,
}

/// Computes and places the leveling seats. `votes[d][p]` and `district_seats[d][p]` are per
/// district and party; `seats_in_district[d]` is each district's number of district seats.
pub fn level(
    votes: &[Vec<u128>],
    district_seats: &[Vec<u128>],
    seats_in_district: &[u128],
    parties: &[&str],
    rule: &LevelingRule,
    ties: &TieRule,
) -> Leveled {
    let n = parties.len();
    let national: Vec<u128> = (0..n).map(|p| votes.iter().map(|d| d[p]).sum()).collect();
    let total: u128 = national.iter().sum();
    let won: Vec<u128> = (0..n).map(|p| district_seats.iter().map(|d| d[p]).sum()).collect();
    let qualified: Vec<bool> =
        national.iter().map(|&v| v * rule.threshold.den >= rule.threshold.num * total).collect();

    // National calculation, setting aside parties that won more district seats than they are
    // entitled to, until none does.
    let mut in_calc = qualified.clone();
    let mut seats =
        rule.total_seats - (0..n).filter(|&p| !qualified[p]).map(|p| won[p]).sum::<u128>();
    let mut exclusions = Vec::new();
    let entitlement = loop {
        let v: Vec<u128> = (0..n).map(|p| if in_calc[p] { national[p] } else { 0 }).collect();
        let shares = apportion(&v, parties, seats, rule.method, None, ties)
            .map(|a| a.seats)
            .unwrap_or_else(|_| vec![0; n]);
        let over: Vec<usize> = (0..n).filter(|&p| in_calc[p] && won[p] > shares[p]).collect();
        if over.is_empty() {
            break (0..n).map(|p| in_calc[p].then_some(shares[p])).collect::<Vec<_>>();
        }
        for p in over {
            exclusions.push(Exclusion { party: p, district_seats: won[p], entitlement: shares[p] });
            in_calc[p] = false;
            seats -= won[p];
        }
    };
    let leveling: Vec<u128> =
        (0..n).map(|p| entitlement[p].map_or(0, |e| e.saturating_sub(won[p]))).collect();

    // Placement: repeatedly the highest quotient among districts still without their leveling
    // seat and parties still owed one. A party's quotient in a district is its votes over
    // (2 × its seats there + 1), divided by the district's votes per district seat.
    let nd = votes.len();
    let district_votes: Vec<u128> = votes.iter().map(|d| d.iter().sum()).collect();
    let mut owed = leveling.clone();
    let mut filled = vec![false; nd];
    let mut by_district = vec![vec![0u128; n]; nd];
    let mut placements = Vec::new();
    let quotient = |d: usize, p: usize| {
        Ratio::new(
            votes[d][p] * seats_in_district[d],
            (2 * district_seats[d][p] + 1) * district_votes[d].max(1),
        )
    };
    loop {
        let mut best: Option<(Ratio, usize, usize)> = None;
        for d in (0..nd).filter(|&d| !filled[d]) {
            for p in (0..n).filter(|&p| owed[p] > 0) {
                let q = quotient(d, p);
                if best.is_none_or(|(b, _, _)| q > b) {
                    best = Some((q, d, p));
                }
            }
        }
        let Some((q, d, p)) = best else { break };
        filled[d] = true;
        owed[p] -= 1;
        by_district[d][p] += 1;
        placements.push(Placement { district: d, party: p, quotient: q });
    }
    Leveled { qualified, entitlement, exclusions, leveling, by_district, placements }
}
