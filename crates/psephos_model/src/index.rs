//! Lookup of string ids without storing them twice: the table holds only positions, and hashes
//! and compares the ids where they already live.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};
use rayon::prelude::*;

/// Positions of ids in a table, by id. The hasher's seed affects speed only, never results.
///
/// The table is split into shards by hash, so that a million ids are indexed on all cores.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    shards: Vec<HashTable<u32>>,
    hasher: DefaultHashBuilder,
}

/// log2 of the number of shards.
const SHARD_BITS: u32 = 4;

impl IdIndex {
    /// Indexes `ids` (position = index). Returns the index and the positions of ids that repeat an
    /// earlier one, in order; the first occurrence wins.
    pub fn build<'a>(ids: impl Iterator<Item = &'a str>) -> (IdIndex, Vec<usize>) {
        let all: Vec<&str> = ids.collect();
        let hasher = DefaultHashBuilder::default();
        let hashes: Vec<u64> = all.par_iter().map(|id| hasher.hash_one(id)).collect();
        // Positions grouped by shard, in order (a counting sort).
        let shards = 1usize << SHARD_BITS;
        let mut start = vec![0usize; shards + 1];
        for &h in &hashes {
            start[shard_of(h) + 1] += 1;
        }
        for k in 1..=shards {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut grouped = vec![0u32; hashes.len()];
        for (i, &h) in hashes.iter().enumerate() {
            let slot = &mut fill[shard_of(h)];
            grouped[*slot] = i as u32;
            *slot += 1;
        }
        let built: Vec<(HashTable<u32>, Vec<usize>)> = (0..shards)
            .into_par_iter()
            .map(|shard| {
                let members = &grouped[start[shard]..start[shard + 1]];
                let mut table = HashTable::with_capacity(members.len());
                let mut repeats = Vec::new();
                for &i in members {
                    let hash = hashes[i as usize];
                    match table.entry(
                        hash,
                        |&j: &u32| all[j as usize] == all[i as usize],
                        |&j: &u32| hashes[j as usize],
                    ) {
                        hashbrown::hash_table::Entry::Occupied(_) => repeats.push(i as usize),
                        hashbrown::hash_table::Entry::Vacant(v) => {
                            v.insert(i);
                        }
                    }
                }
                (table, repeats)
            })
            .collect();
        let mut repeats: Vec<usize> = built.iter().flat_map(|(_, r)| r.iter().copied()).collect();
        repeats.sort_unstable();
        let shards = built.into_iter().map(|(t, _)| t).collect();
        (IdIndex { shards, hasher }, repeats)
    }

    /// The position of `id`, given how to read the id at a position.
    pub fn get<'a>(&self, id: &str, id_at: impl Fn(usize) -> &'a str) -> Option<usize> {
        let hash = self.hasher.hash_one(id);
        self.shards
            .get(shard_of(hash))?
            .find(hash, |&j| id_at(j as usize) == id)
            .map(|&j| j as usize)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(HashTable::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARD_BITS)) as usize
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

    /// Appends every id of `other`, in order.
    pub fn extend(&mut self, other: &IdArena) {
        let base = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|&e| e.saturating_add(base)));
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
mod tests {
    use super::{IdArena, IdIndex};

    #[test]
    fn finds_ids_and_reports_repeats() {
        let ids = ["a", "b", "a", "c", "b"];
        let (index, repeats) = IdIndex::build(ids.iter().copied());
        assert_eq!(repeats, [2, 4]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.get("a", |i| ids[i]), Some(0));
        assert_eq!(index.get("c", |i| ids[i]), Some(3));
        assert_eq!(index.get("z", |i| ids[i]), None);
        // Many ids spread over every shard.
        let many: Vec<String> = (0..10_000).map(|i| format!("S{i}")).collect();
        let (index, repeats) = IdIndex::build(many.iter().map(String::as_str));
        assert!(repeats.is_empty());
        assert!((0..10_000).all(|i| index.get(&many[i], |j| &many[j]) == Some(i)));
    }

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
