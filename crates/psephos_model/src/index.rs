//! Lookup of string ids without storing them twice: the table holds only positions, and hashes
//! and compares the ids where they already live.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Positions of ids in a table, by id. The hasher's seed affects speed only, never results.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl IdIndex {
    /// Indexes `ids` (position = index). Returns the index and the positions of ids that repeat an
    /// earlier one; the first occurrence wins.
    pub fn build<'a>(ids: impl Iterator<Item = &'a str>) -> (IdIndex, Vec<usize>) {
        let all: Vec<&str> = ids.collect();
        let mut index = IdIndex {
            table: HashTable::with_capacity(all.len()),
            hasher: DefaultHashBuilder::default(),
        };
        let mut repeats = Vec::new();
        for (i, id) in all.iter().enumerate() {
            let hash = index.hasher.hash_one(id);
            let found = index.table.find(hash, |&j| all[j as usize] == *id).is_some();
            if found {
                repeats.push(i);
            } else {
                let hasher = &index.hasher;
                index.table.insert_unique(hash, i as u32, |&j| hasher.hash_one(all[j as usize]));
            }
        }
        (index, repeats)
    }

    /// The position of `id`, given how to read the id at a position.
    pub fn get<'a>(&self, id: &str, id_at: impl Fn(usize) -> &'a str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        self.table.find(hash, |&j| id_at(j as usize) == id).map(|&j| j as usize)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    #[test]
    fn finds_ids_and_reports_repeats() {
        let ids = ["a", "b", "a", "c", "b"];
        let (index, repeats) = IdIndex::build(ids.iter().copied());
        assert_eq!(repeats, [2, 4]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.get("a", |i| ids[i]), Some(0));
        assert_eq!(index.get("c", |i| ids[i]), Some(3));
        assert_eq!(index.get("z", |i| ids[i]), None);
    }
}

/// Many short ids in one buffer: a million station ids cost their bytes and four more each,
/// instead of a heap allocation apiece.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdArena {
    text: String,
    /// End of each id in `text`.
    ends: Vec<u32>,
}

impl IdArena {
    pub fn with_capacity(ids: usize, bytes: usize) -> IdArena {
        IdArena { text: String::with_capacity(bytes), ends: Vec::with_capacity(ids) }
    }

    /// Appends an id. The arena holds at most 4 GiB of ids.
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Keeps the ids whose position `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        let mut out = IdArena::with_capacity(self.len(), self.text.len());
        for i in 0..self.len() {
            if keep(i) {
                out.push(self.get(i));
            }
        }
        *self = out;
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

#[cfg(test)]
mod arena_tests {
    use super::IdArena;

    #[test]
    fn stores_ids_back_to_back() {
        let mut a = IdArena::default();
        for id in ["S1", "", "BGD-01-0001-01"] {
            a.push(id);
        }
        assert_eq!(a.len(), 3);
        assert_eq!(a.iter().collect::<Vec<_>>(), ["S1", "", "BGD-01-0001-01"]);
        a.retain(|i| i != 1);
        assert_eq!(a.iter().collect::<Vec<_>>(), ["S1", "BGD-01-0001-01"]);
    }
}
