//! Exact tabulation of the selected forms.

use psephos_model::{Election, FormSet};
use rayon::prelude::*;

use crate::select::{Selection, StationStatus};

/// Ballot counts and reporting progress of a set of stations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BallotTotals {
    pub stations_expected: u64,
    pub stations_reporting: u64,
    /// Stations whose preferred form failed validation.
    pub stations_held: u64,
    pub registered: u64,
    /// Registered voters of the reporting stations.
    pub registered_reporting: u64,
    pub ballots_found: u64,
    pub blank: u64,
    pub invalid: u64,
    /// Candidate votes (valid votes).
    pub votes: u64,
}

impl BallotTotals {
    fn add(&mut self, o: &BallotTotals) {
        self.stations_expected += o.stations_expected;
        self.stations_reporting += o.stations_reporting;
        self.stations_held += o.stations_held;
        self.registered += o.registered;
        self.registered_reporting += o.registered_reporting;
        self.ballots_found += o.ballots_found;
        self.blank += o.blank;
        self.invalid += o.invalid;
        self.votes += o.votes;
    }

    /// Turnout of the reporting stations as an exact fraction (ballots found, registered).
    pub fn turnout(&self) -> (u64, u64) {
        (self.ballots_found, self.registered_reporting)
    }
}

/// Totals at every level, exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tabulation {
    /// Per candidate.
    pub candidate_votes: Vec<u64>,
    /// Per contest: votes of the candidates standing in it.
    pub contest_votes: Vec<u64>,
    /// Per contest: ballots counted at its stations (zero for contests without a ballot).
    pub contest_ballots: Vec<BallotTotals>,
    /// Per governorate (stations by their governorate).
    pub governorate_ballots: Vec<BallotTotals>,
    /// Stations without a governorate.
    pub unassigned_ballots: BallotTotals,
    pub nation: BallotTotals,
    pub party_votes: Vec<u64>,
    pub coalition_votes: Vec<u64>,
    /// Votes of candidates without a party.
    pub independent_votes: u64,
    /// Per party, per governorate of the candidate's contest (row-major, parties × governorates).
    pub party_governorate_votes: Vec<u64>,
}

/// Sums the forms the selection counts.
pub fn tabulate(election: &Election, set: &FormSet, selection: &Selection) -> Tabulation {
    let nc = election.contests.len();

    // Candidate votes and per-contest ballots, folded in parallel.
    let zero = || (vec![0u64; election.candidates.len()], vec![BallotTotals::default(); nc]);
    let (candidate_votes, mut contest_ballots) = selection
        .raw()
        .par_iter()
        .filter(|&&i| Selection::is_counted(i))
        .fold(zero, |(mut votes, mut ballots), &i| {
            let form = &set.forms[i as usize];
            let mut total = 0u64;
            for (&c, v) in set.layout(form).iter().zip(set.votes(form)) {
                votes[c.index()] += u64::from(v);
                total += u64::from(v);
            }
            let b = &mut ballots[form.key.contest.index()];
            b.ballots_found += u64::from(form.ballots_found);
            b.blank += u64::from(form.blank);
            b.invalid += u64::from(form.invalid);
            b.votes += total;
            (votes, ballots)
        })
        .reduce(zero, |(mut va, mut ba), (vb, bb)| {
            for (a, b) in va.iter_mut().zip(vb) {
                *a += b;
            }
            for (a, b) in ba.iter_mut().zip(bb) {
                a.add(&b);
            }
            (va, ba)
        });

    // Reporting progress, per station (and so per contest and governorate).
    let ng = election.governorates.len();
    let mut governorate_ballots = vec![BallotTotals::default(); ng];
    let mut unassigned_ballots = BallotTotals::default();
    for (s, station) in election.stations.iter().enumerate() {
        let registered = u64::from(station.registered);
        let ballots = election.station_ballots(psephos_model::StationIdx::from_index(s));
        for (k, (contest, status)) in ballots.zip(selection.station_ballots(s)).enumerate() {
            let c = &mut contest_ballots[contest.index()];
            c.stations_expected += 1;
            c.registered += registered;
            // Turnout in governorates and the nation is read from the district ballot, which
            // every voter receives; other ballots would count the same voters again.
            let mut g =
                BallotTotals { stations_expected: 1, registered, ..BallotTotals::default() };
            match status {
                StationStatus::Counted(i) => {
                    let form = &set.forms[i as usize];
                    c.stations_reporting += 1;
                    c.registered_reporting += registered;
                    g.stations_reporting = 1;
                    g.registered_reporting = registered;
                    g.ballots_found = u64::from(form.ballots_found);
                    g.blank = u64::from(form.blank);
                    g.invalid = u64::from(form.invalid);
                    g.votes = set.vote_total(form);
                }
                StationStatus::Held => {
                    c.stations_held += 1;
                    g.stations_held = 1;
                }
                StationStatus::Missing => {}
            }
            if k > 0 {
                continue;
            }
            match station.governorate {
                Some(gi) => governorate_ballots[gi.index()].add(&g),
                None => unassigned_ballots.add(&g),
            }
        }
    }
    let mut nation = unassigned_ballots;
    for g in &governorate_ballots {
        nation.add(g);
    }

    let mut contest_votes = vec![0u64; nc];
    let mut party_votes = vec![0u64; election.parties.len()];
    let mut coalition_votes = vec![0u64; election.coalitions.len()];
    let mut party_governorate_votes = vec![0u64; election.parties.len() * ng];
    let mut independent_votes = 0;
    for (i, c) in election.candidates.iter().enumerate() {
        let v = candidate_votes[i];
        contest_votes[c.contest.index()] += v;
        match c.party {
            Some(p) => {
                party_votes[p.index()] += v;
                if let Some(co) = election.parties[p.index()].coalition {
                    coalition_votes[co.index()] += v;
                }
                if let Some(g) = election.contest(c.contest).governorate {
                    party_governorate_votes[p.index() * ng + g.index()] += v;
                }
            }
            None => independent_votes += v,
        }
    }
    Tabulation {
        candidate_votes,
        contest_votes,
        contest_ballots,
        governorate_ballots,
        unassigned_ballots,
        nation,
        party_votes,
        coalition_votes,
        independent_votes,
        party_governorate_votes,
    }
}
