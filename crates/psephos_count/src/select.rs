//! Which form counts for each station, under a phase policy.

use psephos_model::{Code, ContestIdx, Diagnostic, Election, FormSet, PhasePolicy, StationIdx};

use crate::validate::{FormStatus, Validation};

/// The outcome of selection for one station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationStatus {
    /// This form (index into the set) counts.
    Counted(u32),
    /// The form the policy prefers failed validation or could not be read: the station is held
    /// back, and no older form is counted in its place.
    Held,
    /// No form that the policy accepts.
    Missing,
}

/// Per station and ballot, the form that counts. A station counts one ballot (its district's)
/// unless some contest is on a ballot paper of its own (see
/// [`Election::station_ballots`](psephos_model::Election::station_ballots)); each such ballot is a
/// *slot* of its own.
#[derive(Debug)]
pub struct Selection {
    pub policy: PhasePolicy,
    /// Per slot: the counted form's index, or [`HELD`] or [`MISSING`] (four bytes a slot).
    slots: Vec<u32>,
    /// Where each station's slots start (empty when every station has exactly one slot), and the
    /// end as the last entry.
    offsets: Vec<u32>,
    /// A warning for each ballot without a form, giving its station's share of the register.
    pub diagnostics: Vec<Diagnostic>,
}

const HELD: u32 = u32::MAX - 1;
const MISSING: u32 = u32::MAX;

fn status(raw: u32) -> StationStatus {
    match raw {
        HELD => StationStatus::Held,
        MISSING => StationStatus::Missing,
        i => StationStatus::Counted(i),
    }
}

impl Selection {
    fn first_slot(&self, s: usize) -> usize {
        if self.offsets.is_empty() { s } else { self.offsets[s] as usize }
    }

    fn station_count(&self) -> usize {
        if self.offsets.is_empty() { self.slots.len() } else { self.offsets.len() - 1 }
    }

    /// The status of each station's district ballot, in station order.
    pub fn stations(&self) -> impl ExactSizeIterator<Item = StationStatus> + '_ {
        (0..self.station_count()).map(|s| status(self.slots[self.first_slot(s)]))
    }

    /// The status of each ballot of one station, in the order of
    /// [`Election::station_ballots`](psephos_model::Election::station_ballots).
    pub fn station_ballots(&self, s: usize) -> impl Iterator<Item = StationStatus> + '_ {
        let end = if self.offsets.is_empty() { s + 1 } else { self.offsets[s + 1] as usize };
        self.slots[self.first_slot(s)..end].iter().map(|&r| status(r))
    }

    /// Indices of the forms that count.
    pub fn counted(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().filter(|&&s| s < HELD).map(|&s| s as usize)
    }

    /// Ballots (station slots) without a form.
    pub fn missing(&self) -> usize {
        self.slots.iter().filter(|&&s| s == MISSING).count()
    }

    /// Every slot's counted form or a status marker; for folding in parallel.
    pub(crate) fn raw(&self) -> &[u32] {
        &self.slots
    }

    /// Whether a raw entry is a counted form.
    pub(crate) fn is_counted(raw: u32) -> bool {
        raw < HELD
    }

    /// Ballots (station slots) held back.
    pub fn held(&self) -> usize {
        self.slots.iter().filter(|&&s| s == HELD).count()
    }

    /// Ballots the stations count in all: the number of stations when each counts one.
    pub fn ballots(&self) -> usize {
        self.slots.len()
    }
}

/// Chooses, for every station and ballot, the form of the first phase in the policy's
/// precedence that has one, and within that phase the highest version.
pub fn select(
    election: &Election,
    set: &FormSet,
    validation: &Validation,
    policy: &PhasePolicy,
) -> Selection {
    // Slots: one per station, or one per station and ballot when some contest has a ballot
    // paper of its own.
    let offsets: Vec<u32> = if election.has_separate_ballots() {
        let mut offsets = Vec::with_capacity(election.stations.len() + 1);
        let mut at = 0u32;
        for s in 0..election.stations.len() {
            offsets.push(at);
            at += election.station_ballot_count(StationIdx::from_index(s)) as u32;
        }
        offsets.push(at);
        offsets
    } else {
        Vec::new()
    };
    let slot_count = offsets.last().map_or(election.stations.len(), |&n| n as usize);
    let slot_of = |station: StationIdx, contest: Option<ContestIdx>| -> Option<(usize, usize)> {
        let s = station.index();
        if offsets.is_empty() {
            return Some((s, s + 1));
        }
        let first = offsets[s] as usize;
        match contest {
            Some(c) => {
                let k = election.station_ballot_index(station, c)?;
                Some((first + k, first + k + 1))
            }
            None => Some((first, offsets[s + 1] as usize)),
        }
    };
    // The best form so far per slot, as an index into the set (NONE if none yet). A set of
    // four billion forms is beyond any election; the index saturates rather than wraps.
    const NONE: u32 = MISSING;
    let mut best: Vec<u32> = vec![NONE; slot_count];
    for (i, form) in set.forms.iter().enumerate() {
        if validation.status[i] == FormStatus::Repeat {
            continue;
        }
        let Some(rank) = policy.rank(form.key.phase) else {
            continue;
        };
        let Some((slot, _)) = slot_of(form.key.station, Some(form.key.contest)) else {
            continue;
        };
        let slot = &mut best[slot];
        let better = *slot == NONE || {
            let held = &set.forms[*slot as usize].key;
            let r = policy.rank(held.phase).unwrap_or(usize::MAX);
            rank < r || (rank == r && form.key.version > held.version)
        };
        if better {
            *slot = u32::try_from(i).unwrap_or(NONE);
        }
    }
    // A newer form that could not be read holds its ballot back (every ballot of the station
    // when it is not known which).
    let mut blocked = vec![false; slot_count];
    for r in &set.rejected {
        let Some(rank) = policy.rank(r.phase) else {
            continue;
        };
        let Some((from, to)) = slot_of(r.station, r.contest) else {
            continue;
        };
        for s in from..to {
            let preferred = best[s] == NONE || {
                let held = &set.forms[best[s] as usize].key;
                let hr = policy.rank(held.phase).unwrap_or(usize::MAX);
                rank < hr || (rank == hr && r.version >= held.version)
            };
            if preferred {
                blocked[s] = true;
            }
        }
    }
    let total_registered = election.total_registered().max(1);
    let mut diagnostics = Vec::new();
    // The best form becomes the slot's status, in place.
    let mut slots = best;
    let mut station = 0usize;
    for (k, slot) in slots.iter_mut().enumerate() {
        // The station and ballot of slot k.
        let ballot = if offsets.is_empty() {
            station = k;
            0
        } else {
            while offsets[station + 1] as usize <= k {
                station += 1;
            }
            k - offsets[station] as usize
        };
        *slot = match *slot {
            _ if blocked[k] => HELD,
            NONE => {
                let s = StationIdx::from_index(station);
                let st = &election.stations[station];
                let contest = election.station_ballots(s).nth(ballot).unwrap_or(st.district);
                let share = 100.0 * f64::from(st.registered) / total_registered as f64;
                diagnostics.push(
                    Diagnostic::new(
                        Code::MissingStation,
                        format!(
                            "no {} form for {}; the station holds {} registered voters ({share:.4}% of the register)",
                            policy.precedence.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("/"),
                            election.contest(contest).id,
                            st.registered
                        ),
                    )
                    .station(election.station_ids.get(station))
                    .field("id"),
                );
                MISSING
            }
            i if i < HELD && validation.status[i as usize] == FormStatus::Ok => i,
            _ => HELD,
        };
    }
    Selection { policy: policy.clone(), slots, offsets, diagnostics }
}
