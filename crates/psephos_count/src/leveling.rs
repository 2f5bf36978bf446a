//! Leveling (compensatory) seats: a national tier that corrects the disproportion of district
//! allocations, placed back into the districts. This is Norway's Storting procedure (Election Act
//! §§ 11-5 to 11-7); its parameters (national method, threshold, number of leveling seats) are
//! inputs, so other laws of the same shape use it too.

use crate::apportion::{ApportionTie, Method, Ratio, TieRule, apportion, order_tied};

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

/// Equal quotients for the next leveling seat, settled by the tie rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementTie {
    /// The tied (district, party) pairs, in the rule's order (first = favoured).
    pub tied: Vec<(usize, usize)>,
    pub rule: &'static str,
    /// Lot tickets (hex, same order), when a lot was drawn; each ticket is drawn for
    /// `district/party`.
    pub tickets: Vec<String>,
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
    /// Ties in the final national calculation.
    pub national_ties: Vec<ApportionTie>,
    pub placement_ties: Vec<PlacementTie>,
}

/// The votes and district seats the tier works on.
#[derive(Clone, Copy, Debug)]
pub struct LevelingInput<'a> {
    /// Votes per district and party.
    pub votes: &'a [Vec<u128>],
    /// District seats won, per district and party.
    pub district_seats: &'a [Vec<u128>],
    /// Each district's number of district seats.
    pub seats_in_district: &'a [u128],
    /// District names, for lots.
    pub districts: &'a [&'a str],
    /// Party names, for lots.
    pub parties: &'a [&'a str],
    /// Whether each party may take part at all (Norway: registered parties, not independent
    /// lists); an ineligible party's votes still count in the threshold's base and in its
    /// district's votes per seat.
    pub eligible: &'a [bool],
}

/// Computes and places the leveling seats.
pub fn level(input: &LevelingInput<'_>, rule: &LevelingRule, ties: &TieRule) -> Leveled {
    let LevelingInput { votes, district_seats, seats_in_district, districts, parties, eligible } =
        *input;
    let n = parties.len();
    let national: Vec<u128> = (0..n).map(|p| votes.iter().map(|d| d[p]).sum()).collect();
    let total: u128 = national.iter().sum();
    let won: Vec<u128> = (0..n).map(|p| district_seats.iter().map(|d| d[p]).sum()).collect();
    let qualified: Vec<bool> = (0..n)
        .map(|p| {
            eligible.get(p).copied().unwrap_or(true)
                && national[p] * rule.threshold.den >= rule.threshold.num * total
        })
        .collect();

    // National calculation, setting aside parties that won more district seats than they are
    // entitled to, until none does.
    let mut in_calc = qualified.clone();
    let mut seats = rule
        .total_seats
        .saturating_sub((0..n).filter(|&p| !qualified[p]).map(|p| won[p]).sum::<u128>());
    let mut exclusions = Vec::new();
    let (entitlement, national_ties) = loop {
        let v: Vec<u128> = (0..n).map(|p| if in_calc[p] { national[p] } else { 0 }).collect();
        let (shares, national_ties) = match apportion(&v, parties, seats, rule.method, None, ties) {
            Ok(a) => (a.seats, a.ties),
            Err(_) => (vec![0; n], Vec::new()),
        };
        let over: Vec<usize> = (0..n).filter(|&p| in_calc[p] && won[p] > shares[p]).collect();
        if over.is_empty() {
            let e = (0..n).map(|p| in_calc[p].then_some(shares[p])).collect::<Vec<_>>();
            break (e, national_ties);
        }
        for p in over {
            exclusions.push(Exclusion { party: p, district_seats: won[p], entitlement: shares[p] });
            in_calc[p] = false;
            seats = seats.saturating_sub(won[p]);
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
    let mut placement_ties = Vec::new();
    let quotient = |d: usize, p: usize| {
        Ratio::new(
            votes[d][p] * seats_in_district[d],
            (2 * district_seats[d][p] + 1) * district_votes[d].max(1),
        )
    };
    // The quotients do not change as seats are placed, so every (district, party) pair is
    // ranked once; each placement takes the best pair still open.
    let mut pairs: Vec<(Ratio, usize, usize)> = (0..nd)
        .flat_map(|d| (0..n).filter(|&p| owed[p] > 0).map(move |p| (d, p)))
        .map(|(d, p)| (quotient(d, p), d, p))
        .collect();
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut from = 0usize;
    let mut placed = 0u128;
    while placed < rule.leveling_seats {
        let open = |&(_, d, p): &(Ratio, usize, usize)| !filled[d] && owed[p] > 0;
        let Some(i) = (from..pairs.len()).find(|&i| open(&pairs[i])) else { break };
        from = i;
        let q = pairs[i].0;
        let mut tied: Vec<(usize, usize)> = pairs[i..]
            .iter()
            .take_while(|x| x.0 == q)
            .filter(|x| open(x))
            .map(|&(_, d, p)| (d, p))
            .collect();
        if tied.len() > 1 {
            let names: Vec<String> =
                tied.iter().map(|&(d, p)| format!("{}/{}", districts[d], parties[p])).collect();
            let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let tied_votes: Vec<u128> = tied.iter().map(|&(d, p)| votes[d][p]).collect();
            let mut order: Vec<usize> = (0..tied.len()).collect();
            let (tickets, rule_name) = order_tied(&mut order, &tied_votes, &name_refs, ties);
            tied = order.iter().map(|&k| tied[k]).collect();
            placement_ties.push(PlacementTie { tied: tied.clone(), rule: rule_name, tickets });
        }
        let (d, p) = tied[0];
        filled[d] = true;
        owed[p] -= 1;
        by_district[d][p] += 1;
        placements.push(Placement { district: d, party: p, quotient: q });
        placed += 1;
    }
    Leveled {
        qualified,
        entitlement,
        exclusions,
        leveling,
        by_district,
        placements,
        national_ties,
        placement_ties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::lot_ticket;

    fn rule(total: u128, leveling: u128) -> LevelingRule {
        LevelingRule {
            total_seats: total,
            leveling_seats: leveling,
            method: Method::ModifiedSainteLague { first: Ratio::new(7, 5) },
            threshold: Ratio::new(4, 100),
        }
    }

    #[test]
    fn equal_quotients_for_a_leveling_seat_go_to_the_lot() {
        // B wins both districts; A is owed one leveling seat and has the same quotient in both.
        let votes = vec![vec![30, 70], vec![30, 70]];
        let won = vec![vec![0, 1], vec![0, 1]];
        let input = LevelingInput {
            votes: &votes,
            district_seats: &won,
            seats_in_district: &[1, 1],
            districts: &["D0", "D1"],
            parties: &["A", "B"],
            eligible: &[true, true],
        };
        let ties = TieRule::Lot { seed: "s".to_owned(), context: "leveling".to_owned() };
        let leveled = level(&input, &rule(3, 1), &ties);
        assert_eq!(leveled.leveling, vec![1, 0]);
        assert_eq!(leveled.placement_ties.len(), 1);
        let favoured = if lot_ticket("s", "leveling", "D0/A") < lot_ticket("s", "leveling", "D1/A")
        {
            0
        } else {
            1
        };
        assert_eq!(leveled.placements[0].district, favoured);
        assert_eq!(leveled.placement_ties[0].tied[0], (favoured, 0));
        assert_eq!(leveled.placement_ties[0].tickets.len(), 2);
    }

    #[test]
    fn ineligible_lists_count_in_the_base_but_take_no_seat() {
        // An independent list with 10 % would qualify if it were a party.
        let votes = vec![vec![50, 40, 10]];
        let won = vec![vec![1, 1, 0]];
        let input = LevelingInput {
            votes: &votes,
            district_seats: &won,
            seats_in_district: &[2],
            districts: &["D0"],
            parties: &["A", "B", "independent"],
            eligible: &[true, true, false],
        };
        let ties = TieRule::Lot { seed: String::new(), context: String::new() };
        let leveled = level(&input, &rule(3, 1), &ties);
        assert_eq!(leveled.qualified, vec![true, true, false]);
        assert_eq!(leveled.leveling.iter().sum::<u128>(), 1);
        assert_eq!(leveled.leveling[2], 0);
    }
}
