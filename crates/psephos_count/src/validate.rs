//! Checks of each form's arithmetic and of forms against each other.

use psephos_model::{Code, Diagnostic, Election, Form, FormSet};
use rayon::prelude::*;

/// What validation concluded about one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormStatus {
    /// Passed every check.
    Ok,
    /// Failed a check: quarantined, never counted.
    Invalid,
    /// Repeats an earlier form exactly; the earlier one counts.
    Repeat,
}

/// The result of validating a [`FormSet`].
#[derive(Debug)]
pub struct Validation {
    /// Every problem, in the order of the forms.
    pub diagnostics: Vec<Diagnostic>,
    /// One status per form of the set.
    pub status: Vec<FormStatus>,
}

impl Validation {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// Validates every form: the arithmetic identity, counts against registered voters, and
/// submissions of the same form that differ.
pub fn validate(election: &Election, set: &FormSet) -> Validation {
    // Per-form checks, in parallel; diagnostics keep the order of the forms.
    let per_form: Vec<(usize, Vec<Diagnostic>)> = set
        .forms
        .par_iter()
        .enumerate()
        .filter_map(|(i, form)| {
            let d = check_form(election, set, form);
            (!d.is_empty()).then_some((i, d))
        })
        .collect();
    let mut status = vec![FormStatus::Ok; set.forms.len()];
    let mut diagnostics = Vec::new();
    for (i, d) in per_form {
        status[i] = FormStatus::Invalid;
        diagnostics.extend(d);
    }

    // The same key twice: compare the submissions. Only stations with more than one form can
    // have repeats; their forms are gathered (in reading order) and compared station by station.
    let mut per_station = vec![0u8; election.stations.len()];
    for f in &set.forms {
        let n = &mut per_station[f.key.station.index()];
        *n = n.saturating_add(1);
    }
    // Station and form index in one number: sorting it keeps reading order within a station.
    let mut shared: Vec<u64> = set
        .forms
        .iter()
        .enumerate()
        .filter(|(_, f)| per_station[f.key.station.index()] > 1)
        .map(|(i, f)| (u64::from(f.key.station.0) << 32) | i as u64)
        .collect();
    drop(per_station);
    shared.par_sort_unstable();
    let shared: Vec<u32> = shared.into_iter().map(|k| k as u32).collect();
    for bucket in shared
        .chunk_by(|&a, &b| set.forms[a as usize].key.station == set.forms[b as usize].key.station)
    {
        let mut grouped = vec![false; bucket.len()];
        for a in 0..bucket.len() {
            if grouped[a] {
                continue;
            }
            let first = bucket[a] as usize;
            let group: Vec<usize> = (a..bucket.len())
                .filter(|&b| set.forms[bucket[b] as usize].key == set.forms[first].key)
                .collect();
            if group.len() < 2 {
                continue;
            }
            for &b in &group {
                grouped[b] = true;
            }
            let group: Vec<usize> = group.iter().map(|&b| bucket[b] as usize).collect();
            let all_same =
                group.iter().all(|&i| same_numbers(set, &set.forms[first], &set.forms[i]));
            for &i in &group[1..] {
                let form = &set.forms[i];
                let d = if all_same {
                    if status[i] == FormStatus::Ok {
                        status[i] = FormStatus::Repeat;
                    }
                    diag(
                        election,
                        set,
                        form,
                        Code::IdenticalDuplicate,
                        "ballots_found",
                        format!(
                            "this form repeats the one at {}:{} with the same numbers; it counts once",
                            set.file_name(&set.forms[first]),
                            set.forms[first].source.line
                        ),
                    )
                } else {
                    diag(
                        election,
                        set,
                        form,
                        Code::ConflictingDuplicate,
                        "version",
                        format!(
                            "{} {} version {} was already submitted at {}:{} with different numbers; submit a change as a new version or a correction, never under the same key",
                            election.contest(form.key.contest).id,
                            form.key.phase.as_str(),
                            form.key.version,
                            set.file_name(&set.forms[first]),
                            set.forms[first].source.line
                        ),
                    )
                };
                diagnostics.push(d);
            }
            if !all_same {
                for &i in &group {
                    status[i] = FormStatus::Invalid;
                }
            }
        }
    }
    Validation { diagnostics, status }
}

fn same_numbers(set: &FormSet, a: &Form, b: &Form) -> bool {
    if (a.ballots_found, a.blank, a.invalid) != (b.ballots_found, b.blank, b.invalid) {
        return false;
    }
    let mut va: Vec<_> = set.layout(a).iter().zip(set.votes(a)).collect();
    let mut vb: Vec<_> = set.layout(b).iter().zip(set.votes(b)).collect();
    va.sort_unstable();
    vb.sort_unstable();
    va == vb
}

fn diag(
    election: &Election,
    set: &FormSet,
    form: &Form,
    code: Code,
    field: &str,
    message: String,
) -> Diagnostic {
    Diagnostic::new(code, message)
        .at(set.file_name(form), u64::from(form.source.line))
        .station(election.station_label(form.key.station))
        .field(field)
}

fn check_form(election: &Election, set: &FormSet, form: &Form) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let votes = set.vote_total(form);
    let sum = votes + u64::from(form.blank) + u64::from(form.invalid);
    if sum != u64::from(form.ballots_found) {
        out.push(diag(
            election,
            set,
            form,
            Code::Arithmetic,
            "ballots_found",
            format!(
                "candidate votes ({votes}) + blank ({}) + invalid ({}) = {sum}, but ballots found is {}; check the form against the paper and submit a correction",
                form.blank, form.invalid, form.ballots_found
            ),
        ));
    }
    let registered = election.station(form.key.station).registered;
    if form.ballots_found > registered {
        out.push(diag(
            election,
            set,
            form,
            Code::BallotsAboveRegistered,
            "ballots_found",
            format!(
                "{} ballots found but the station has only {registered} registered voters; check the count and the voter list",
                form.ballots_found
            ),
        ));
    }
    for (&c, v) in set.layout(form).iter().zip(set.votes(form)) {
        if v > registered {
            out.push(diag(
                election,
                set,
                form,
                Code::VotesAboveRegistered,
                &election.candidate(c).id,
                format!(
                    "candidate {} has {v} votes but the station has only {registered} registered voters; check for a typing error",
                    election.candidate(c).id
                ),
            ));
        }
    }
    out
}
