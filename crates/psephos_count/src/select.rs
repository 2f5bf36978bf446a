//! Which form counts for each station, under a phase policy.

use psephos_model::{Code, Diagnostic, Election, FormSet, PhasePolicy};

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

/// Per station, the form that counts.
#[derive(Debug)]
pub struct Selection {
    pub policy: PhasePolicy,
    /// Per station: the counted form's index, or [`HELD`] or [`MISSING`] (four bytes a station).
    stations: Vec<u32>,
    /// A warning for each station without a form, giving its share of the register.
    pub diagnostics: Vec<Diagnostic>,
}

const HELD: u32 = u32::MAX - 1;
const MISSING: u32 = u32::MAX;

impl Selection {
    /// The status of each station, in station order.
    pub fn stations(&self) -> impl ExactSizeIterator<Item = StationStatus> + '_ {
        self.stations.iter().map(|&s| match s {
            HELD => StationStatus::Held,
            MISSING => StationStatus::Missing,
            i => StationStatus::Counted(i),
        })
    }

    /// Indices of the forms that count.
    pub fn counted(&self) -> impl Iterator<Item = usize> + '_ {
        self.stations.iter().filter(|&&s| s < HELD).map(|&s| s as usize)
    }

    pub fn missing(&self) -> usize {
        self.stations.iter().filter(|&&s| s == MISSING).count()
    }

    /// Per station, the counted form or a status marker; for folding in parallel.
    pub(crate) fn raw(&self) -> &[u32] {
        &self.stations
    }

    /// Whether a raw entry is a counted form.
    pub(crate) fn is_counted(raw: u32) -> bool {
        raw < HELD
    }

    pub fn held(&self) -> usize {
        self.stations.iter().filter(|&&s| s == HELD).count()
    }
}

/// Chooses, for every station, the form of the first phase in the policy's precedence that has
/// one, and within that phase the highest version.
pub fn select(
    election: &Election,
    set: &FormSet,
    validation: &Validation,
    policy: &PhasePolicy,
) -> Selection {
    // The best form so far per station, as an index into the set (NONE if none yet). A set of
    // four billion forms is beyond any election; the index saturates rather than wraps.
    const NONE: u32 = MISSING;
    let mut best: Vec<u32> = vec![NONE; election.stations.len()];
    for (i, form) in set.forms.iter().enumerate() {
        if validation.status[i] == FormStatus::Repeat {
            continue;
        }
        let Some(rank) = policy.rank(form.key.phase) else {
            continue;
        };
        let slot = &mut best[form.key.station.index()];
        let better = *slot == NONE || {
            let held = &set.forms[*slot as usize].key;
            let r = policy.rank(held.phase).unwrap_or(usize::MAX);
            rank < r || (rank == r && form.key.version > held.version)
        };
        if better {
            *slot = u32::try_from(i).unwrap_or(NONE);
        }
    }
    // A newer form that could not be read holds its station back.
    let mut blocked = vec![false; election.stations.len()];
    for r in &set.rejected {
        let Some(rank) = policy.rank(r.phase) else {
            continue;
        };
        let s = r.station.index();
        let preferred = best[s] == NONE || {
            let held = &set.forms[best[s] as usize].key;
            let hr = policy.rank(held.phase).unwrap_or(usize::MAX);
            rank < hr || (rank == hr && r.version >= held.version)
        };
        if preferred {
            blocked[s] = true;
        }
    }
    let total_registered = election.total_registered().max(1);
    let mut diagnostics = Vec::new();
    // The best form becomes the station's status, in place.
    let mut stations = best;
    for (s, slot) in stations.iter_mut().enumerate() {
        *slot = match *slot {
            _ if blocked[s] => HELD,
            NONE => {
                let station = &election.stations[s];
                let share = 100.0 * f64::from(station.registered) / total_registered as f64;
                diagnostics.push(
                    Diagnostic::new(
                        Code::MissingStation,
                        format!(
                            "no {} form for {}; the station holds {} registered voters ({share:.4}% of the register)",
                            policy.precedence.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("/"),
                            election.contest(station.district).id,
                            station.registered
                        ),
                    )
                    .station(election.station_ids.get(s))
                    .field("id"),
                );
                MISSING
            }
            i if i < HELD && validation.status[i as usize] == FormStatus::Ok => i,
            _ => HELD,
        };
    }
    Selection { policy: policy.clone(), stations, diagnostics }
}
