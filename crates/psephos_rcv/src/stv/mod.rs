//! Single transferable vote as the laws RCTab does not implement count it: Scottish STV
//! ([`scottish`]) and the Irish Dáil rules ([`irish`]). Ballots come from BLT or PrefLib files,
//! whose labels are candidate numbers from 1.

pub mod irish;
pub mod meek;
pub mod scottish;

use sha2::{Digest, Sha256};

use crate::ballots::BallotSet;

/// A candidate's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Hopeful,
    Elected,
    Excluded,
    /// Withdrawn before the count: never counted.
    Withdrawn,
}

/// What a stage of the count did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    FirstCount,
    /// Reached the quota.
    Elect(usize),
    /// Elected because the hopeful candidates left were no more than the seats left.
    ElectRemaining(usize),
    /// A surplus (in units) passed on.
    TransferSurplus(usize, u64),
    /// Excluded as the lowest candidate.
    Exclude(usize),
    /// The excluded candidate's ballots passed on.
    TransferExcluded(usize),
    /// The ballots of the candidates excluded at the preceding `n` stages passed on together,
    /// as one count (Irish multiple exclusion).
    TransferExcludedTogether(usize),
    /// Elected to the last vacancy with more votes than all other hopeful candidates together
    /// and the untransferred surpluses (Irish s.124).
    ElectLastVacancy(usize),
}

/// The state after one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub action: Action,
    /// Votes per candidate, in units.
    pub votes: Vec<u64>,
    pub status: Vec<Status>,
    pub nontransferable: u64,
    /// Value lost to truncation so far.
    pub residual: u64,
}

/// The outcome of an STV count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StvCount {
    pub candidates: Vec<String>,
    pub seats: usize,
    /// The quota in units.
    pub quota: u64,
    /// Units per vote (10^decimals).
    pub unit: u64,
    /// In the order elected.
    pub elected: Vec<usize>,
    pub stages: Vec<Stage>,
}

/// A count that cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StvError {
    /// A ballot label that is not a candidate number.
    UnknownLabel(String),
    /// A value outside the arithmetic's range (128-bit fixed point).
    Overflow,
    /// Meek: more candidates reached the threshold in one pass than seats remained.
    TooManyElected,
    /// Meek: the surplus is negative, so no candidate is within it of the lowest.
    NegativeSurplus,
    /// Meek: an elected candidate's votes fell to zero, so its keep factor is undefined.
    ZeroVotesElected,
}

impl std::fmt::Display for StvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StvError::UnknownLabel(l) => write!(f, "ballot label {l:?} is not a candidate number"),
            StvError::Overflow => {
                write!(f, "a value passed the 128-bit fixed-point range; the count stopped")
            }
            StvError::TooManyElected => write!(
                f,
                "more candidates reached the threshold at once than seats remain; the count stopped"
            ),
            StvError::NegativeSurplus => write!(
                f,
                "the surplus is negative, so no candidate can be defeated; count with --force-positive-surplus"
            ),
            StvError::ZeroVotesElected => {
                write!(f, "an elected candidate has no votes left, so its keep factor is undefined")
            }
        }
    }
}

/// Settles ties that earlier stages leave: orders the tied candidates, first = favoured.
pub trait Tiebreak {
    fn order(&mut self, tied: &mut [usize], candidates: &[String]);
}

/// The lot: each candidate's ticket is SHA-256 of `seed|candidate name`; the lowest ticket is
/// favoured. Anyone can replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    pub seed: String,
    /// Every draw, in order: the tied candidates in the lot's order.
    pub draws: Vec<Vec<usize>>,
}

impl Lot {
    pub fn new(seed: &str) -> Lot {
        Lot { seed: seed.to_owned(), draws: Vec::new() }
    }
}

impl Tiebreak for Lot {
    fn order(&mut self, tied: &mut [usize], candidates: &[String]) {
        let ticket = |c: usize| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(self.seed.as_bytes());
            h.update(b"|");
            h.update(candidates[c].as_bytes());
            h.finalize().into()
        };
        tied.sort_by_key(|&c| ticket(c));
        self.draws.push(tied.to_vec());
    }
}

/// Ties settled by the order of the candidates in the ballot file: the earliest listed is
/// favoured (elected first, or excluded first when the lowest are tied), as Droop's reference
/// counts do without a `[tie]` order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateOrder {
    pub draws: Vec<Vec<usize>>,
}

impl Tiebreak for CandidateOrder {
    fn order(&mut self, tied: &mut [usize], _candidates: &[String]) {
        tied.sort_unstable();
        self.draws.push(tied.to_vec());
    }
}

/// One distinct ballot: its preferences (candidate indices per rank; several at a rank are
/// equal preferences) and its count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Prefs {
    pub(crate) ranks: Vec<Vec<u32>>,
    pub(crate) count: u64,
}

/// The ballots' preferences by candidate index (labels `"1"`.. `"n"`).
pub(crate) fn preferences(ballots: &BallotSet, n: usize) -> Result<Vec<Prefs>, StvError> {
    let index: Vec<Option<u32>> = ballots
        .labels
        .iter()
        .map(|l| {
            l.trim().parse::<u32>().ok().filter(|&k| k >= 1 && (k as usize) <= n).map(|k| k - 1)
        })
        .collect();
    let mut out = Vec::with_capacity(ballots.distinct().len());
    for d in ballots.distinct() {
        let mut ranks: Vec<Vec<u32>> = Vec::new();
        let mut last_rank = None;
        for m in ballots.marks(d) {
            let c = index[m.label.0 as usize].ok_or_else(|| {
                StvError::UnknownLabel(ballots.labels[m.label.0 as usize].clone())
            })?;
            if last_rank == Some(m.rank) {
                if let Some(r) = ranks.last_mut() {
                    r.push(c);
                }
            } else {
                ranks.push(vec![c]);
                last_rank = Some(m.rank);
            }
        }
        out.push(Prefs { ranks, count: d.count });
    }
    Ok(out)
}

/// Where every distinct ballot stands.
pub(crate) struct State {
    groups: Vec<Group>,
    pub(crate) votes: Vec<u64>,
    pub(crate) nontransferable: u64,
    /// Per candidate, the groups whose ballots it holds.
    held: Vec<Vec<usize>>,
}

struct Group {
    ranks: Vec<Vec<u32>>,
    count: u64,
    /// Value of each ballot, in units.
    value: u64,
    /// The rank it counts at (index into `ranks`).
    at: usize,
}

impl State {
    pub(crate) fn new(n: usize, prefs: &[Prefs], unit: u64) -> State {
        State {
            groups: prefs
                .iter()
                .map(|p| Group { ranks: p.ranks.clone(), count: p.count, value: unit, at: 0 })
                .collect(),
            votes: vec![0; n],
            nontransferable: 0,
            held: vec![Vec::new(); n],
        }
    }

    /// The first count: every ballot to its first preference.
    pub(crate) fn distribute_all(&mut self, status: &[Status]) {
        for g in 0..self.groups.len() {
            self.place(g, 0, status);
        }
    }

    /// Puts group `g` at its first hopeful preference from rank `from` on, or among the
    /// non-transferable ballots (also when a rank has equal preferences).
    fn place(&mut self, g: usize, from: usize, status: &[Status]) {
        let group = &mut self.groups[g];
        let total = group.value * group.count;
        for k in from..group.ranks.len() {
            let rank = &group.ranks[k];
            if rank.len() != 1 {
                break;
            }
            let c = rank[0] as usize;
            if status[c] == Status::Hopeful {
                group.at = k;
                self.votes[c] += total;
                self.held[c].push(g);
                return;
            }
        }
        group.at = group.ranks.len();
        self.nontransferable += total;
    }

    /// Moves every ballot candidate `c` holds to its next hopeful preference, its value changed
    /// by `value`; returns the total value moved (to candidates or non-transferable).
    pub(crate) fn transfer(
        &mut self,
        c: usize,
        status: &[Status],
        value: impl Fn(u64) -> u64,
    ) -> u64 {
        let groups = std::mem::take(&mut self.held[c]);
        let mut moved = 0u64;
        for g in groups {
            let group = &mut self.groups[g];
            group.value = value(group.value);
            moved += group.value * group.count;
            let next = group.at + 1;
            self.place(g, next, status);
        }
        moved
    }

    pub(crate) fn stage(&self, action: Action, status: &[Status], residual: u64) -> Stage {
        Stage {
            action,
            votes: self.votes.clone(),
            status: status.to_vec(),
            nontransferable: self.nontransferable,
            residual,
        }
    }
}

/// Orders a group of candidates with equal votes now by their votes at the latest earlier stage
/// where they differ (most votes first when `most_first`), then by the lot.
pub(crate) fn break_tie_by_earlier_stages(
    group: &mut [usize],
    stages: &[Stage],
    candidates: &[String],
    tiebreak: &mut dyn Tiebreak,
    most_first: bool,
) {
    group.sort_by(|&a, &b| {
        for s in stages.iter().rev() {
            let (va, vb) = (s.votes[a], s.votes[b]);
            if va != vb {
                return if most_first { vb.cmp(&va) } else { va.cmp(&vb) };
            }
        }
        std::cmp::Ordering::Equal
    });
    // Runs still equal at every stage go to the lot.
    let mut i = 0;
    while i < group.len() {
        let mut j = i + 1;
        while j < group.len() && stages.iter().all(|s| s.votes[group[j]] == s.votes[group[i]]) {
            j += 1;
        }
        if j - i > 1 {
            tiebreak.order(&mut group[i..j], candidates);
        }
        i = j;
    }
}
