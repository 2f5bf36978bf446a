//! Scottish STV (The Scottish Local Government Elections Order 2007, Schedule 1, rules 45–52):
//! weighted inclusive Gregory, values in fixed point with 5 decimals truncated, Droop's integer
//! quota, the largest surplus transferred first, the lowest candidate excluded when no surplus
//! remains, ties settled by earlier stages and then by lot.
//!
//! Every ballot of an elected candidate moves on at `value × surplus ÷ total`, truncated to five
//! decimals; what truncation drops is the residual. Ballots are interned: identical ballots take
//! identical paths and values, so each distinct ballot moves once, weighted by its count.

use crate::ballots::BallotSet;
use crate::stv::{Action, Stage, StvCount, StvError, Tiebreak};

/// 10^5: values are whole numbers of hundred-thousandths.
pub const UNIT: u64 = 100_000;

/// Counts `seats` seats among `candidates` (ballot labels are candidate numbers from 1, as BLT
/// files give them). Withdrawn candidates take no part: their marks are passed over.
pub fn count(
    ballots: &BallotSet,
    candidates: &[String],
    withdrawn: &[usize],
    seats: usize,
    tiebreak: &mut dyn Tiebreak,
) -> Result<StvCount, StvError> {
    let n = candidates.len();
    let prefs = super::preferences(ballots, n)?;
    let total_ballots: u64 = prefs.iter().map(|p| p.count).sum();
    let quota = (total_ballots / (seats as u64 + 1) + 1) * UNIT;
    let mut state = super::State::new(n, &prefs, UNIT);
    let mut stages: Vec<Stage> = Vec::new();
    let mut status = vec![super::Status::Hopeful; n];
    for &w in withdrawn {
        if let Some(s) = status.get_mut(w) {
            *s = super::Status::Withdrawn;
        }
    }
    // Surpluses waiting to be transferred, by candidate.
    let mut pending: Vec<usize> = Vec::new();
    let mut elected: Vec<usize> = Vec::new();
    let mut residual = 0u64;
    state.distribute_all(&status);
    stages.push(state.stage(Action::FirstCount, &status, residual));
    loop {
        // Elect everyone at or above the quota, most votes first.
        let mut reached: Vec<usize> = (0..n)
            .filter(|&c| status[c] == super::Status::Hopeful && state.votes[c] >= quota)
            .collect();
        order_by_votes(&mut reached, &state, &stages, candidates, tiebreak, true);
        for c in reached {
            status[c] = super::Status::Elected;
            elected.push(c);
            pending.push(c);
            stages.push(state.stage(Action::Elect(c), &status, residual));
        }
        if elected.len() >= seats {
            break;
        }
        let hopeful: Vec<usize> = (0..n).filter(|&c| status[c] == super::Status::Hopeful).collect();
        if hopeful.len() <= seats - elected.len() {
            let mut rest = hopeful;
            order_by_votes(&mut rest, &state, &stages, candidates, tiebreak, true);
            for c in rest {
                status[c] = super::Status::Elected;
                elected.push(c);
                stages.push(state.stage(Action::ElectRemaining(c), &status, residual));
            }
            break;
        }
        if !pending.is_empty() {
            // The largest surplus first; equal surpluses by earlier stages, then the lot.
            let mut by_surplus = pending.clone();
            by_surplus.sort_by(|&a, &b| state.votes[b].cmp(&state.votes[a]));
            let top = state.votes[by_surplus[0]];
            let mut tied: Vec<usize> =
                by_surplus.into_iter().filter(|&c| state.votes[c] == top).collect();
            let c = if tied.len() > 1 {
                order_by_votes(&mut tied, &state, &stages, candidates, tiebreak, true);
                tied[0]
            } else {
                tied[0]
            };
            pending.retain(|&p| p != c);
            let votes = state.votes[c];
            let surplus = votes.saturating_sub(quota);
            if surplus > 0 {
                let moved = state.transfer(c, &status, |value| {
                    // value × surplus ÷ votes, truncated to 5 decimals.
                    ((u128::from(value) * u128::from(surplus)) / u128::from(votes.max(1))) as u64
                });
                residual += surplus - moved;
            }
            state.votes[c] = quota.min(votes);
            stages.push(state.stage(Action::TransferSurplus(c, surplus), &status, residual));
            continue;
        }
        // No surplus: exclude the lowest hopeful candidate.
        let low = hopeful.iter().map(|&c| state.votes[c]).min().unwrap_or(0);
        let mut lowest: Vec<usize> =
            hopeful.into_iter().filter(|&c| state.votes[c] == low).collect();
        if lowest.len() > 1 {
            order_by_votes(&mut lowest, &state, &stages, candidates, tiebreak, false);
        }
        let c = lowest[0];
        status[c] = super::Status::Excluded;
        stages.push(state.stage(Action::Exclude(c), &status, residual));
        state.transfer(c, &status, |value| value);
        state.votes[c] = 0;
        stages.push(state.stage(Action::TransferExcluded(c), &status, residual));
    }
    Ok(StvCount { candidates: candidates.to_vec(), seats, quota, unit: UNIT, elected, stages })
}

/// Orders candidates with equal votes: by their votes at the latest earlier stage where they
/// differed (most first when `most_first`, else fewest first), then by lot.
fn order_by_votes(
    cands: &mut [usize],
    state: &super::State,
    stages: &[Stage],
    candidates: &[String],
    tiebreak: &mut dyn Tiebreak,
    most_first: bool,
) {
    cands.sort_by(|&a, &b| {
        let o = state.votes[b].cmp(&state.votes[a]);
        if most_first { o } else { o.reverse() }
    });
    let mut i = 0;
    while i < cands.len() {
        let mut j = i + 1;
        while j < cands.len() && state.votes[cands[j]] == state.votes[cands[i]] {
            j += 1;
        }
        if j - i > 1 {
            let group = &mut cands[i..j];
            super::break_tie_by_earlier_stages(group, stages, candidates, tiebreak, most_first);
        }
        i = j;
    }
}
