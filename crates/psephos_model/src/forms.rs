//! Station result forms, kept exactly as submitted.
//!
//! A form is one station's count of one ballot in one phase and version. Forms are never merged
//! or overwritten: a recount or a correction is a new form beside the old ones, and a selection
//! policy (see `psephos_count::select`) decides which one counts.

use crate::ids::{CandidateIdx, ContestIdx, StationIdx};

/// The stage of counting a form records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// The count of the station's tabulator (optical scanner).
    Electronic,
    /// The hand count at the station.
    Manual,
    /// A hand recount, usually after an appeal.
    Recount,
    /// A correction of an earlier form, with a reason.
    Correction,
}

impl Phase {
    pub const ALL: [Phase; 4] =
        [Phase::Electronic, Phase::Manual, Phase::Recount, Phase::Correction];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Electronic => "electronic",
            Phase::Manual => "manual",
            Phase::Recount => "recount",
            Phase::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What identifies a form: two forms with the same key are the same submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FormKey {
    pub station: StationIdx,
    pub contest: ContestIdx,
    pub phase: Phase,
    pub version: u32,
}

/// Where a form came from: a file (index into [`FormSet::files`]) and its 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: u32,
    pub line: u64,
}

/// One form's header; its votes live in [`FormSet::votes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Form {
    pub key: FormKey,
    pub ballots_found: u32,
    pub blank: u32,
    pub invalid: u32,
    /// Index into [`FormSet::layouts`]: which candidates the votes are for, in order.
    pub layout: u32,
    /// Start of this form's votes in [`FormSet::votes`]; the length is its layout's length.
    pub votes_start: u64,
    pub source: Source,
}

/// A form that was submitted but could not be read (its problems are reported elsewhere). It
/// is never counted, but it still tells selection that the station has a newer form: the station
/// is held back rather than counted from an older one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectedForm {
    pub station: StationIdx,
    pub phase: Phase,
    pub version: u32,
}

/// All forms read, in the order they were read.
///
/// Votes are stored in one arena, and the candidate order of each form is an interned layout,
/// so a million forms cost little more than their numbers.
#[derive(Clone, Debug, Default)]
pub struct FormSet {
    /// Display names of the files forms were read from.
    pub files: Vec<String>,
    pub layouts: Vec<Box<[CandidateIdx]>>,
    pub forms: Vec<Form>,
    pub votes: Vec<u32>,
    /// Forms whose station, phase and version could be read but not the rest.
    pub rejected: Vec<RejectedForm>,
}

impl FormSet {
    /// The candidates a form gives votes for, in order.
    pub fn layout(&self, form: &Form) -> &[CandidateIdx] {
        &self.layouts[form.layout as usize]
    }

    /// The votes of a form, aligned with [`FormSet::layout`].
    pub fn votes(&self, form: &Form) -> &[u32] {
        let start = usize::try_from(form.votes_start).unwrap_or(usize::MAX);
        let len = self.layouts[form.layout as usize].len();
        &self.votes[start..start + len]
    }

    /// Sum of a form's candidate votes.
    pub fn vote_total(&self, form: &Form) -> u64 {
        self.votes(form).iter().map(|&v| u64::from(v)).sum()
    }

    /// Display name of a form's file.
    pub fn file_name(&self, form: &Form) -> &str {
        &self.files[form.source.file as usize]
    }

    /// Appends the forms of `other`, re-basing its file, layout and vote indices.
    pub fn append(&mut self, other: FormSet) {
        let file_base = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let layout_base = u32::try_from(self.layouts.len()).unwrap_or(u32::MAX);
        let votes_base = self.votes.len() as u64;
        self.files.extend(other.files);
        self.layouts.extend(other.layouts);
        self.votes.extend(other.votes);
        self.rejected.extend(other.rejected);
        self.forms.extend(other.forms.into_iter().map(|mut f| {
            f.source.file += file_base;
            f.layout += layout_base;
            f.votes_start += votes_base;
            f
        }));
    }
}
