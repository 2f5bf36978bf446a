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

/// Where a form came from: a file (index into [`FormSet::files`]) and its 1-based line
/// (saturating at 4,294,967,295, far beyond any real file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: u32,
    pub line: u32,
}

impl Source {
    pub fn new(file: u32, line: u64) -> Source {
        Source { file, line: u32::try_from(line).unwrap_or(u32::MAX) }
    }
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
    /// Where the votes are stored (from [`FormSet::push_votes`]); as many as the layout is long.
    pub votes: VotesAt,
    pub source: Source,
}

/// A form that was submitted but could not be read (its problems are reported elsewhere). It
/// is never counted, but it still tells selection that the station has a newer form: the station
/// is held back rather than counted from an older one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectedForm {
    pub station: StationIdx,
    /// The ballot it was for, when that is one the station counts; otherwise it holds back
    /// every ballot of the station.
    pub contest: Option<ContestIdx>,
    pub phase: Phase,
    pub version: u32,
}

/// Where a form's votes are: an offset into the 16-bit arena or, with the top bit set, into the
/// 32-bit arena (for the rare form with a count above 65,535).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VotesAt(u64);

const LARGE: u64 = 1 << 63;

/// A form's votes, read from either arena.
#[derive(Clone, Debug)]
pub struct Votes<'a> {
    small: std::slice::Iter<'a, u16>,
    large: std::slice::Iter<'a, u32>,
}

impl Iterator for Votes<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self.small.next() {
            Some(&v) => Some(u32::from(v)),
            None => self.large.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.small.len() + self.large.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Votes<'_> {}

/// All forms read, in the order they were read.
///
/// Votes are stored in one arena (16 bits a count, 32 for a form that needs more), and the
/// candidate order of each form is an interned layout, so a million forms cost little more than
/// their numbers.
#[derive(Clone, Debug, Default)]
pub struct FormSet {
    /// Display names of the files forms were read from.
    pub files: Vec<String>,
    pub layouts: Vec<Box<[CandidateIdx]>>,
    pub forms: Vec<Form>,
    small_votes: Vec<u16>,
    large_votes: Vec<u32>,
    /// Forms whose station, phase and version could be read but not the rest.
    pub rejected: Vec<RejectedForm>,
}

impl FormSet {
    /// The candidates a form gives votes for, in order.
    pub fn layout(&self, form: &Form) -> &[CandidateIdx] {
        &self.layouts[form.layout as usize]
    }

    /// The votes of a form, aligned with [`FormSet::layout`].
    pub fn votes(&self, form: &Form) -> Votes<'_> {
        let len = self.layouts[form.layout as usize].len();
        let start = usize::try_from(form.votes.0 & !LARGE).unwrap_or(usize::MAX);
        if form.votes.0 & LARGE == 0 {
            Votes { small: self.small_votes[start..start + len].iter(), large: [].iter() }
        } else {
            Votes { small: [].iter(), large: self.large_votes[start..start + len].iter() }
        }
    }

    /// Stores a form's votes and says where they are.
    pub fn push_votes(&mut self, votes: &[u32]) -> VotesAt {
        if votes.iter().all(|&v| v <= u32::from(u16::MAX)) {
            let at = VotesAt(self.small_votes.len() as u64);
            self.small_votes.extend(votes.iter().map(|&v| v as u16));
            at
        } else {
            let at = VotesAt(self.large_votes.len() as u64 | LARGE);
            self.large_votes.extend_from_slice(votes);
            at
        }
    }

    /// Makes room for `counts` more votes, so that a known total is allocated once.
    pub fn reserve_votes(&mut self, counts: usize) {
        self.small_votes.reserve_exact(counts);
    }

    /// Sum of a form's candidate votes.
    pub fn vote_total(&self, form: &Form) -> u64 {
        self.votes(form).map(u64::from).sum()
    }

    /// Display name of a form's file.
    pub fn file_name(&self, form: &Form) -> &str {
        &self.files[form.source.file as usize]
    }

    /// Appends the forms of `other`, re-basing its file, layout and vote indices.
    pub fn append(&mut self, other: FormSet) {
        let file_base = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let layout_base = u32::try_from(self.layouts.len()).unwrap_or(u32::MAX);
        let small_base = self.small_votes.len() as u64;
        let large_base = self.large_votes.len() as u64;
        self.files.extend(other.files);
        self.layouts.extend(other.layouts);
        self.small_votes.extend(other.small_votes);
        self.large_votes.extend(other.large_votes);
        self.rejected.extend(other.rejected);
        self.forms.extend(other.forms.into_iter().map(|mut f| {
            f.source.file += file_base;
            f.layout += layout_base;
            f.votes =
                VotesAt(f.votes.0 + if f.votes.0 & LARGE == 0 { small_base } else { large_base });
            f
        }));
    }
}
