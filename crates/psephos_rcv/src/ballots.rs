//! Interned ranked ballots.
//!
//! A ballot is a list of [`Mark`]s: at rank `r`, choice `c`. Several marks at one rank are an
//! overvote; a rank with no mark was skipped. Ballots with the same marks and the same slice
//! (precinct or batch) are stored once, with a count.

use hashbrown::HashMap;

/// What a voter marked at a rank: a candidate (an index into [`BallotSet::candidates`]) or an
/// explicit overvote (a vendor's overvote label, where the candidates are not recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Choice(pub u32);

impl Choice {
    /// The vendor recorded an overvote at this rank without saying for whom.
    pub const OVERVOTE: Choice = Choice(u32::MAX);

    pub fn candidate(self) -> Option<usize> {
        (self != Choice::OVERVOTE).then_some(self.0 as usize)
    }
}

/// One mark: rank (1 = first choice) and choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mark {
    pub rank: u32,
    pub choice: Choice,
}

/// One distinct ballot: its marks, how many ballots cast it, and its slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distinct {
    start: u32,
    end: u32,
    pub count: u64,
    /// Index into [`BallotSet::slices`].
    pub slice: u32,
}

/// Every ballot of one contest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotSet {
    /// Candidate names, in the order the contest declares them.
    pub candidates: Vec<String>,
    /// Slice names (precincts or batches); slice 0 is the unnamed one.
    pub slices: Vec<String>,
    distinct: Vec<Distinct>,
    marks: Vec<Mark>,
    total: u64,
}

impl BallotSet {
    /// The distinct ballots.
    pub fn distinct(&self) -> &[Distinct] {
        &self.distinct
    }

    /// The marks of a distinct ballot, by rank (several at one rank for an overvote).
    pub fn marks(&self, d: &Distinct) -> &[Mark] {
        &self.marks[d.start as usize..d.end as usize]
    }

    /// Ballots cast, counting each distinct ballot as often as it was cast.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Builds a [`BallotSet`], interning identical ballots as they come.
#[derive(Debug, Default)]
pub struct BallotSetBuilder {
    set: BallotSet,
    index: HashMap<(u32, Box<[Mark]>), u32>,
    slice_index: HashMap<String, u32>,
    scratch: Vec<Mark>,
}

impl BallotSetBuilder {
    pub fn new(candidates: Vec<String>) -> BallotSetBuilder {
        let mut b = BallotSetBuilder::default();
        b.set.candidates = candidates;
        b.set.slices.push(String::new());
        b.slice_index.insert(String::new(), 0);
        b
    }

    /// The index of a slice, adding it if new.
    pub fn slice(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.slice_index.get(name) {
            return i;
        }
        let i = u32::try_from(self.set.slices.len()).unwrap_or(u32::MAX);
        self.set.slices.push(name.to_owned());
        self.slice_index.insert(name.to_owned(), i);
        i
    }

    /// Adds `count` ballots with these marks (in any order) in a slice.
    pub fn add(&mut self, marks: &[Mark], count: u64, slice: u32) {
        self.scratch.clear();
        self.scratch.extend_from_slice(marks);
        self.scratch.sort_unstable();
        self.scratch.dedup();
        self.set.total += count;
        if let Some(&i) = self.index.get(&Lookup(slice, &self.scratch)) {
            self.set.distinct[i as usize].count += count;
            return;
        }
        let start = u32::try_from(self.set.marks.len()).unwrap_or(u32::MAX);
        self.set.marks.extend_from_slice(&self.scratch);
        let end = u32::try_from(self.set.marks.len()).unwrap_or(u32::MAX);
        let i = u32::try_from(self.set.distinct.len()).unwrap_or(u32::MAX);
        self.set.distinct.push(Distinct { start, end, count, slice });
        self.index.insert((slice, self.scratch.clone().into_boxed_slice()), i);
    }

    pub fn build(self) -> BallotSet {
        self.set
    }
}

/// A lookup key borrowed from the scratch buffer, so that finding a ballot allocates nothing.
#[derive(Hash)]
struct Lookup<'a>(u32, &'a [Mark]);

impl hashbrown::Equivalent<(u32, Box<[Mark]>)> for Lookup<'_> {
    fn equivalent(&self, key: &(u32, Box<[Mark]>)) -> bool {
        self.0 == key.0 && *self.1 == *key.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rank: u32, c: u32) -> Mark {
        Mark { rank, choice: Choice(c) }
    }

    #[test]
    fn identical_ballots_are_stored_once() {
        let mut b = BallotSetBuilder::new(vec!["A".into(), "B".into(), "C".into()]);
        b.add(&[m(1, 0), m(2, 1)], 1, 0);
        b.add(&[m(2, 1), m(1, 0)], 2, 0);
        let p = b.slice("P1");
        b.add(&[m(1, 0), m(2, 1)], 1, p);
        b.add(&[m(1, 2)], 1, 0);
        let set = b.build();
        assert_eq!(set.total(), 5);
        assert_eq!(set.distinct().len(), 3);
        assert_eq!(set.distinct()[0].count, 3);
        assert_eq!(set.marks(&set.distinct()[0]), &[m(1, 0), m(2, 1)]);
    }
}
