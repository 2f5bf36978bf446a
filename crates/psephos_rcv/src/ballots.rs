//! Interned ranked ballots.
//!
//! A ballot is a list of [`Mark`]s: at rank `r`, label `l`. A label is the text the cast-vote
//! record carries (a candidate's name, alias or code, a write-in label, or a vendor's overvote
//! marker); the count maps labels to candidates, because some rules look at the raw label (RCTab
//! compares duplicates as raw strings). Several marks at one rank are an overvote; a rank with no
//! mark was skipped. Ballots with the same marks, precinct and batch are stored once, with a count.

use hashbrown::HashMap;

/// An index into [`BallotSet::labels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// One mark: rank (1 = first choice) and the label marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mark {
    pub rank: u32,
    pub label: Label,
}

/// One distinct ballot: its marks, how many ballots cast it, its precinct and batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distinct {
    start: u32,
    end: u32,
    pub count: u64,
    /// Index into [`BallotSet::precincts`] (0: none recorded).
    pub precinct: u32,
    /// Index into [`BallotSet::batches`] (0: none recorded).
    pub batch: u32,
}

/// Every ballot of one contest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotSet {
    /// Every label the ballots use, in order of first appearance.
    pub labels: Vec<String>,
    /// Precinct ids; 0 is "none recorded" (the empty string).
    pub precincts: Vec<String>,
    /// Batch ids; 0 is "none recorded".
    pub batches: Vec<String>,
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

/// Builds a [`BallotSet`], interning labels, precincts, batches and identical ballots as they
/// come.
#[derive(Debug, Default)]
pub struct BallotSetBuilder {
    set: BallotSet,
    index: HashMap<(u32, u32, Box<[Mark]>), u32>,
    label_index: HashMap<String, u32>,
    precinct_index: HashMap<String, u32>,
    batch_index: HashMap<String, u32>,
    scratch: Vec<Mark>,
}

fn intern(names: &mut Vec<String>, index: &mut HashMap<String, u32>, name: &str) -> u32 {
    if let Some(&i) = index.get(name) {
        return i;
    }
    let i = u32::try_from(names.len()).unwrap_or(u32::MAX);
    names.push(name.to_owned());
    index.insert(name.to_owned(), i);
    i
}

impl BallotSetBuilder {
    pub fn new() -> BallotSetBuilder {
        let mut b = BallotSetBuilder::default();
        intern(&mut b.set.precincts, &mut b.precinct_index, "");
        intern(&mut b.set.batches, &mut b.batch_index, "");
        b
    }

    /// The label for a text, adding it if new.
    pub fn label(&mut self, text: &str) -> Label {
        Label(intern(&mut self.set.labels, &mut self.label_index, text))
    }

    /// The text of a label this builder made ("" for any other).
    pub fn label_text(&self, label: Label) -> &str {
        self.set.labels.get(label.0 as usize).map_or("", String::as_str)
    }

    /// The index of a precinct id, adding it if new ("" is 0, none recorded).
    pub fn precinct(&mut self, id: &str) -> u32 {
        intern(&mut self.set.precincts, &mut self.precinct_index, id)
    }

    /// The index of a batch id, adding it if new ("" is 0, none recorded).
    pub fn batch(&mut self, id: &str) -> u32 {
        intern(&mut self.set.batches, &mut self.batch_index, id)
    }

    /// Adds `count` ballots with these marks in a precinct and batch. Marks are ordered by rank;
    /// within a rank they keep the record's order, and a label marked twice at one rank stays
    /// twice (RCTab reads that as an overvote).
    pub fn add(&mut self, marks: &[Mark], count: u64, precinct: u32, batch: u32) {
        self.add_distinct(marks, count, precinct, batch);
    }

    /// [`add`](Self::add), returning the index in [`BallotSet::distinct`] of the ballot that
    /// counts them, for [`add_to`](Self::add_to).
    pub fn add_distinct(&mut self, marks: &[Mark], count: u64, precinct: u32, batch: u32) -> u32 {
        self.scratch.clear();
        self.scratch.extend_from_slice(marks);
        self.scratch.sort_by_key(|m| m.rank);
        self.set.total += count;
        if let Some(&i) = self.index.get(&Lookup(precinct, batch, &self.scratch)) {
            self.set.distinct[i as usize].count += count;
            return i;
        }
        let start = u32::try_from(self.set.marks.len()).unwrap_or(u32::MAX);
        self.set.marks.extend_from_slice(&self.scratch);
        let end = u32::try_from(self.set.marks.len()).unwrap_or(u32::MAX);
        let i = u32::try_from(self.set.distinct.len()).unwrap_or(u32::MAX);
        self.set.distinct.push(Distinct { start, end, count, precinct, batch });
        self.index.insert((precinct, batch, self.scratch.clone().into_boxed_slice()), i);
        i
    }

    /// Adds `count` more ballots to distinct ballot `i`, as returned by
    /// [`add_distinct`](Self::add_distinct): the same as adding its marks, precinct and batch
    /// again, without looking them up. An index never returned is ignored.
    pub fn add_to(&mut self, i: u32, count: u64) {
        if let Some(d) = self.set.distinct.get_mut(i as usize) {
            d.count += count;
            self.set.total += count;
        }
    }

    pub fn build(self) -> BallotSet {
        self.set
    }
}

/// A lookup key borrowed from the scratch buffer, so that finding a ballot allocates nothing.
#[derive(Hash)]
struct Lookup<'a>(u32, u32, &'a [Mark]);

impl hashbrown::Equivalent<(u32, u32, Box<[Mark]>)> for Lookup<'_> {
    fn equivalent(&self, key: &(u32, u32, Box<[Mark]>)) -> bool {
        self.0 == key.0 && self.1 == key.1 && *self.2 == *key.2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_ballots_are_stored_once() {
        let mut b = BallotSetBuilder::new();
        let (x, y, z) = (b.label("A"), b.label("B"), b.label("C"));
        let m = |rank, label| Mark { rank, label };
        b.add(&[m(1, x), m(2, y)], 1, 0, 0);
        b.add(&[m(2, y), m(1, x)], 2, 0, 0);
        b.add(&[m(1, x), m(1, x)], 1, 0, 0);
        let p = b.precinct("P1");
        b.add(&[m(1, x), m(2, y)], 1, p, 0);
        b.add(&[m(1, z)], 1, 0, 0);
        let set = b.build();
        assert_eq!(set.total(), 6);
        assert_eq!(set.distinct().len(), 4);
        assert_eq!(set.marks(&set.distinct()[1]), &[m(1, x), m(1, x)]);
        assert_eq!(set.distinct()[0].count, 3);
        assert_eq!(set.marks(&set.distinct()[0]), &[m(1, x), m(2, y)]);
        assert_eq!(set.distinct()[3].count, 1);
        assert_eq!(set.labels, ["A", "B", "C"]);
        assert_eq!(set.precincts, ["", "P1"]);
    }

    #[test]
    fn add_to_equals_adding_again() {
        let m = |rank, label| Mark { rank, label: Label(label) };
        let mut a = BallotSetBuilder::new();
        let mut b = BallotSetBuilder::new();
        let i = a.add_distinct(&[m(2, 1), m(1, 0)], 2, 0, 0);
        let j = a.add_distinct(&[m(1, 1)], 1, 0, 0);
        assert_eq!(a.add_distinct(&[m(1, 0), m(2, 1)], 1, 0, 0), i);
        a.add_to(j, 3);
        a.add_to(99, 1);
        b.add(&[m(1, 0), m(2, 1)], 3, 0, 0);
        b.add(&[m(1, 1)], 4, 0, 0);
        assert_eq!(a.build(), b.build());
    }
}
