//! Reading a C2SP tiled log back ([`crate::tiles`]): hashes, entries and proofs, each tile
//! authenticated against the checkpoint root before it is used.
//!
//! Files come from a [`TileSource`] (any `Fn(&str) -> Option<Vec<u8>>`: a directory, a map, an
//! HTTP cache; this crate does no I/O). Authentication is the Go reference's (`TileHashReader`
//! in `golang.org/x/mod/sumdb/tlog`): the partial tiles of a tree of size `N` (the rightmost
//! tile of each level, at most one per level) together determine its root, which must be the
//! checkpoint's; every full tile must hash to its hash in the level above, itself
//! authenticated. So a proof or an entry read from tiles is checked against the checkpoint
//! whatever the server sends, and every failure names the tile at fault:
//! [`TileError::Missing`], [`TileError::WrongLength`], [`TileError::Mismatch`] (a tile that
//! contradicts authenticated hashes), [`TileError::RootMismatch`] (the partial tiles, which
//! only the root checks, do not yield it), [`TileError::MalformedBundle`] and
//! [`TileError::BundleEntryMismatch`].
//!
//! [`TileReader::read_tree`] audits the whole log: every tile present and of the right length,
//! the leaf hashes hashing to the checkpoint root, every higher tile equal to what the leaves
//! give. When the leaves do not match it localises the fault top-down.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::ProofError;
use crate::hash::{EMPTY_ROOT, HASH_LEN, Hash, hex, leaf_hash, node_hash};
use crate::tiles::{
    TILE_HEIGHT, TILE_WIDTH, Tile, TileError, TileKind, decode_entry_bundle, level_count,
    partial_tile, perfect_root, shr,
};
use crate::tree::{MerkleTree, TreeHead};

/// Where tiles come from: the bytes of the file at a path relative to the log prefix
/// ([`Tile::path`]), or `None` if it is not served. Implemented by every
/// `Fn(&str) -> Option<Vec<u8>>`.
pub trait TileSource {
    /// The file at `path`, if served.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

impl<F: Fn(&str) -> Option<Vec<u8>>> TileSource for F {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self(path)
    }
}

/// Authenticated hash tiles, by (level, index).
type VerifiedTiles = BTreeMap<(u32, u64), Rc<[Hash]>>;

/// A tiled log of a known tree head (from a verified checkpoint), read through a
/// [`TileSource`]. Tiles are fetched when first needed and kept once authenticated.
pub struct TileReader<S> {
    source: S,
    head: TreeHead,
    /// Authenticated hash tiles, by (level, index).
    verified: RefCell<VerifiedTiles>,
    /// Whether the partial tiles were checked against the root.
    top_verified: Cell<bool>,
}

impl<S> std::fmt::Debug for TileReader<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileReader")
            .field("head", &self.head)
            .field("verified_tiles", &self.verified.borrow().len())
            .finish_non_exhaustive()
    }
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The leaves of the tree of `size` leaves split into complete subtrees, largest first: each
/// as (height `k`, index of the subtree among those of `2^k` leaves).
fn decomposition(size: u64) -> impl Iterator<Item = (u32, u64)> {
    (0..64u32).rev().filter(move |k| size >> k & 1 == 1).map(move |k| (k, size >> k & !1))
}

/// The root of the tree of `size` leaves from the roots of its decomposition's subtrees.
fn fold_decomposition<E>(
    size: u64,
    mut subtree: impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Hash, E> {
    let roots = decomposition(size).map(|(k, i)| subtree(k, i)).collect::<Result<Vec<_>, E>>()?;
    Ok(roots.into_iter().rev().reduce(|acc, left| node_hash(&left, &acc)).unwrap_or(EMPTY_ROOT))
}

/// The root of the complete subtree `(k, i)` from the hashes of the tile holding its bottom
/// row at level `k / 8` (`hashes` is that tile's contents).
fn subtree_in_tile(k: u32, i: u64, hashes: &[Hash]) -> Option<Hash> {
    let j = k % TILE_HEIGHT;
    let pos = i << j;
    let offset = (pos % TILE_WIDTH) as usize;
    hashes.get(offset..offset + (1usize << j)).map(perfect_root)
}

fn to_hashes(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks_exact(HASH_LEN)
        .map(|c| {
            let mut h = [0u8; HASH_LEN];
            h.copy_from_slice(c);
            h
        })
        .collect()
}

impl<S: TileSource> TileReader<S> {
    /// A reader of the log whose checkpoint has this tree head.
    pub fn new(source: S, head: TreeHead) -> Self {
        Self {
            source,
            head,
            verified: RefCell::new(BTreeMap::new()),
            top_verified: Cell::new(false),
        }
    }

    /// The tree head the tiles are checked against.
    pub fn head(&self) -> TreeHead {
        self.head
    }

    /// The tile source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The file of `tile`: served, and of the right length if it is a hash tile.
    fn fetch(&self, tile: Tile) -> Result<Vec<u8>, TileError> {
        let path = tile.path();
        let bytes =
            self.source.read(&path).ok_or_else(|| TileError::Missing { path: path.clone() })?;
        if let Some(want) = tile.hash_bytes_len().filter(|&want| bytes.len() != want) {
            return Err(TileError::WrongLength { path, got: bytes.len(), want });
        }
        Ok(bytes)
    }

    fn fetch_hashes(&self, tile: Tile) -> Result<Vec<Hash>, TileError> {
        Ok(to_hashes(&self.fetch(tile)?))
    }

    /// The tile `index` of `level` in the tree of the head, full or partial.
    fn tile_at(&self, level: u32, index: u64) -> Option<Tile> {
        let count = level_count(self.head.size, level);
        let full = count / TILE_WIDTH;
        let kind = TileKind::Hashes(u8::try_from(level).ok()?);
        if index < full {
            Tile::new(kind, index, TILE_WIDTH as u16).ok()
        } else if index == full {
            partial_tile(self.head.size, level)
        } else {
            None
        }
    }

    /// The partial tiles of the tree, by level, as served (unauthenticated).
    fn fetch_partials(&self) -> Result<Vec<(u32, Tile, Vec<Hash>)>, TileError> {
        let mut out = Vec::new();
        let mut level = 0;
        while level_count(self.head.size, level) > 0 {
            if let Some(tile) = partial_tile(self.head.size, level) {
                out.push((level, tile, self.fetch_hashes(tile)?));
            }
            level += 1;
        }
        Ok(out)
    }

    /// The root the partial tiles yield for the head's size.
    fn root_from_partials(&self, partials: &[(u32, Tile, Vec<Hash>)]) -> Hash {
        // Every subtree of the decomposition has its bottom row in the partial tile of its
        // level (its bits of the size are that tile's width); the lookups cannot fail.
        fold_decomposition(self.head.size, |k, i| {
            partials
                .iter()
                .find(|(l, _, _)| *l == k / TILE_HEIGHT)
                .and_then(|(_, _, hashes)| subtree_in_tile(k, i, hashes))
                .ok_or(())
        })
        .unwrap_or(EMPTY_ROOT)
    }

    fn root_mismatch(&self, computed: &Hash, tiles: Vec<String>) -> TileError {
        TileError::RootMismatch { expected: hex(&self.head.root), computed: hex(computed), tiles }
    }

    /// Checks the partial tiles against the checkpoint root, once.
    fn verify_top(&self) -> Result<(), TileError> {
        if self.top_verified.get() {
            return Ok(());
        }
        let partials = self.fetch_partials()?;
        let computed = self.root_from_partials(&partials);
        if computed != self.head.root {
            let tiles = partials.iter().map(|(_, t, _)| t.path()).collect();
            return Err(self.root_mismatch(&computed, tiles));
        }
        let mut verified = self.verified.borrow_mut();
        for (level, tile, hashes) in partials {
            verified.insert((level, tile.index()), hashes.into());
        }
        self.top_verified.set(true);
        Ok(())
    }

    /// The authenticated hashes of tile `index` of `level`.
    fn tile_hashes(&self, level: u32, index: u64) -> Result<Rc<[Hash]>, TileError> {
        if let Some(h) = self.verified.borrow().get(&(level, index)) {
            return Ok(Rc::clone(h));
        }
        let tile = self.tile_at(level, index).ok_or(TileError::IndexOutOfRange {
            index: index.saturating_mul(TILE_WIDTH),
            size: level_count(self.head.size, level),
        })?;
        if !tile.is_full() {
            self.verify_top()?;
            return self.verified.borrow().get(&(level, index)).cloned().ok_or_else(|| {
                self.root_mismatch(&self.head.root, vec![tile.path()]) // unreachable: verify_top
            });
        }
        let hashes = self.fetch_hashes(tile)?;
        let parent_tile = index / TILE_WIDTH;
        let parent = self.tile_hashes(level + 1, parent_tile)?;
        let position = (index % TILE_WIDTH) as usize;
        let want = parent.get(position).copied().unwrap_or(EMPTY_ROOT);
        let got = perfect_root(&hashes);
        if got != want {
            let parent_path =
                self.tile_at(level + 1, parent_tile).map(|t| t.path()).unwrap_or_default();
            return Err(TileError::Mismatch {
                path: tile.path(),
                detail: format!(
                    "its hashes hash to {}, hash {position} of {parent_path} (authenticated) is {}",
                    hex(&got),
                    hex(&want)
                ),
            });
        }
        let hashes: Rc<[Hash]> = hashes.into();
        self.verified.borrow_mut().insert((level, index), Rc::clone(&hashes));
        Ok(hashes)
    }

    /// The root of the complete subtree of `2^k` leaves at `i` (inside the head's tree).
    fn node(&self, k: u32, i: u64) -> Result<Hash, TileError> {
        let level = k / TILE_HEIGHT;
        let pos = i << (k % TILE_HEIGHT);
        let hashes = self.tile_hashes(level, pos / TILE_WIDTH)?;
        subtree_in_tile(k, i, &hashes)
            .ok_or(TileError::IndexOutOfRange { index: i, size: shr(self.head.size, k) })
    }

    /// `MTH(D[start:end])`, `end <= N`, split as RFC 9162 splits it.
    fn subtree_root(&self, start: u64, end: u64) -> Result<Hash, TileError> {
        let n = end - start;
        if n == 0 {
            return Ok(EMPTY_ROOT);
        }
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let k = n.trailing_zeros();
            return self.node(k, start >> k);
        }
        let k = split(n);
        Ok(node_hash(&self.subtree_root(start, start + k)?, &self.subtree_root(start + k, end)?))
    }

    fn check_size(&self, size: u64) -> Result<(), TileError> {
        if size > self.head.size {
            return Err(TileError::SizeBeyondLog { size, len: self.head.size });
        }
        Ok(())
    }

    /// Checks the partial tiles against the checkpoint root and returns it: the root of the
    /// tree of `N` leaves, recomputed from the tiles.
    pub fn root(&self) -> Result<Hash, TileError> {
        self.verify_top()?;
        Ok(self.head.root)
    }

    /// The root of the tree of the first `size <= N` leaves, from authenticated tiles.
    pub fn root_at(&self, size: u64) -> Result<Hash, TileError> {
        self.check_size(size)?;
        if size == self.head.size {
            return self.root();
        }
        self.subtree_root(0, size)
    }

    /// The authenticated hash of leaf `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, TileError> {
        if index >= self.head.size {
            return Err(TileError::IndexOutOfRange { index, size: self.head.size });
        }
        self.node(0, index)
    }

    /// The entry bundle `index` of the tree, full or partial.
    fn bundle_at(&self, index: u64) -> Option<Tile> {
        let full = self.head.size / TILE_WIDTH;
        let width = if index < full { TILE_WIDTH } else { self.head.size % TILE_WIDTH };
        if index > full || width == 0 {
            return None;
        }
        Tile::new(TileKind::Entries, index, width as u16).ok()
    }

    /// The entries of bundle `index`, each checked against its authenticated leaf hash.
    fn bundle_entries(&self, index: u64) -> Result<Vec<Vec<u8>>, TileError> {
        let bundle = self.bundle_at(index).ok_or(TileError::IndexOutOfRange {
            index: index.saturating_mul(TILE_WIDTH),
            size: self.head.size,
        })?;
        let entries = decode_entry_bundle(bundle, &self.fetch(bundle)?)?;
        let leaves = self.tile_hashes(0, index)?;
        for (position, (entry, leaf)) in entries.iter().zip(leaves.iter()).enumerate() {
            if leaf_hash(entry) != *leaf {
                return Err(TileError::BundleEntryMismatch {
                    path: bundle.path(),
                    position,
                    index: index * TILE_WIDTH + position as u64,
                });
            }
        }
        Ok(entries)
    }

    /// Entry `index`, from its bundle, checked against its authenticated leaf hash.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, TileError> {
        if index >= self.head.size {
            return Err(TileError::IndexOutOfRange { index, size: self.head.size });
        }
        let mut entries = self.bundle_entries(index / TILE_WIDTH)?;
        Ok(entries.swap_remove((index % TILE_WIDTH) as usize))
    }

    /// Every entry of the log, in order, each checked against its authenticated leaf hash.
    pub fn read_entries(&self) -> Result<Vec<Vec<u8>>, TileError> {
        let mut out = Vec::new();
        for index in 0..self.head.size.div_ceil(TILE_WIDTH) {
            out.extend(self.bundle_entries(index)?);
        }
        Ok(out)
    }

    /// The inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` in the tree of the first
    /// `size <= N` leaves, from authenticated tiles: the proof [`MerkleTree::inclusion_proof`]
    /// gives on the same tree.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TileError> {
        self.check_size(size)?;
        if index >= size {
            return Err(TileError::IndexOutOfRange { index, size });
        }
        let (mut start, mut end, mut m) = (0, size, index);
        let mut proof = Vec::with_capacity(64);
        while end - start > 1 {
            let k = split(end - start);
            if m < k {
                proof.push(self.subtree_root(start + k, end)?);
                end = start + k;
            } else {
                proof.push(self.subtree_root(start, start + k)?);
                start += k;
                m -= k;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// The consistency proof (RFC 9162 §2.1.4.1) from the tree of `size1` leaves to the tree
    /// of `size2 <= N`, from authenticated tiles: the proof [`MerkleTree::consistency_proof`]
    /// gives on the same tree.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, TileError> {
        self.check_size(size2)?;
        if size1 > size2 {
            return Err(ProofError::SizesReversed { size1, size2 }.into());
        }
        if size1 == 0 {
            return Err(ProofError::FromEmptyTree.into());
        }
        let (mut start, mut end, mut m) = (0, size2, size1);
        let mut complete = true;
        let mut proof = Vec::with_capacity(64);
        while m != end - start {
            let k = split(end - start);
            if m <= k {
                proof.push(self.subtree_root(start + k, end)?);
                end = start + k;
            } else {
                proof.push(self.subtree_root(start, start + k)?);
                start += k;
                m -= k;
                complete = false;
            }
        }
        if !complete {
            proof.push(self.subtree_root(start, end)?);
        }
        proof.reverse();
        Ok(proof)
    }

    /// Audits the whole tiled tree and returns it: every hash tile served with the right
    /// length, the leaf hashes (level 0) hashing to the checkpoint root, and every higher tile
    /// exactly what the leaves give. Errors name the tile at fault:
    ///
    /// * a missing or wrongly sized tile (the first, by level then index);
    /// * leaves matching the root: the first higher tile with a wrong hash ([`TileError::Mismatch`]);
    /// * leaves not matching, but the partial tiles yielding the root: the fault is localised
    ///   top-down, each full tile checked against its (authenticated) hash in the level above,
    ///   down to the first that disagrees ([`TileError::Mismatch`]);
    /// * neither yielding the root: [`TileError::RootMismatch`], naming the tiles both
    ///   computations rest on (the partial level-0 tile, when every higher tile agrees with the
    ///   leaves; none if there is none, as for a consistent tile set of another tree; otherwise
    ///   every partial tile).
    ///
    /// Tiles are fetched level by level, so a checkpoint of absurd size fails at the first
    /// missing tile. Once the audit passes, every tile is authenticated for the other methods.
    pub fn read_tree(&self) -> Result<MerkleTree, TileError> {
        let size = self.head.size;
        let mut served: BTreeMap<(u32, u64), (Tile, Vec<Hash>)> = BTreeMap::new();
        let mut tree = MerkleTree::new();
        let mut level = 0;
        while level_count(size, level) > 0 {
            let tiles = level_count(size, level).div_ceil(TILE_WIDTH);
            for index in 0..tiles {
                let Some(tile) = self.tile_at(level, index) else { break };
                let hashes = self.fetch_hashes(tile)?;
                if level == 0 {
                    for h in &hashes {
                        tree.push_leaf_hash(*h);
                    }
                }
                served.insert((level, index), (tile, hashes));
            }
            level += 1;
        }
        let computed = tree.root();
        let higher_mismatch = || -> Result<Option<TileError>, TileError> {
            for (tile, hashes) in served.values().filter(|(t, _)| t.level() != Some(0)) {
                let want = to_hashes(&crate::tiles::tile_bytes(&tree, *tile)?);
                if let Some(i) = (0..want.len()).find(|&i| hashes.get(i) != want.get(i)) {
                    return Ok(Some(TileError::Mismatch {
                        path: tile.path(),
                        detail: format!(
                            "hash {i} is {}, the leaves (which hash to the checkpoint root) give {}",
                            hashes.get(i).map(|h| hex(h)).unwrap_or_default(),
                            hex(&want[i])
                        ),
                    }));
                }
            }
            Ok(None)
        };
        if computed == self.head.root {
            if let Some(e) = higher_mismatch()? {
                return Err(e);
            }
            let mut verified = self.verified.borrow_mut();
            for (key, (_, hashes)) in served {
                verified.insert(key, hashes.into());
            }
            self.top_verified.set(true);
            return Ok(tree);
        }
        // The leaves do not hash to the checkpoint root: which tile is at fault?
        let partials: Vec<(u32, Tile, Vec<Hash>)> = served
            .iter()
            .filter(|(_, (t, _))| !t.is_full())
            .map(|(&(l, _), (t, h))| (l, *t, h.clone()))
            .collect();
        if self.root_from_partials(&partials) == self.head.root {
            // The partial tiles are authentic; walk down, each full tile against its parent.
            for (&(level, index), (tile, hashes)) in served.iter().rev() {
                if !tile.is_full() {
                    continue;
                }
                let parent = served.get(&(level + 1, index / TILE_WIDTH));
                let position = (index % TILE_WIDTH) as usize;
                let want = parent.and_then(|(_, h)| h.get(position));
                let got = perfect_root(hashes);
                if want != Some(&got) {
                    return Err(TileError::Mismatch {
                        path: tile.path(),
                        detail: format!(
                            "its hashes hash to {}, hash {position} of {} (authenticated) is {}",
                            hex(&got),
                            parent.map(|(t, _)| t.path()).unwrap_or_default(),
                            want.map(|h| hex(h)).unwrap_or_default()
                        ),
                    });
                }
            }
            // Every tile authenticated, yet the leaves disagree: only a SHA-256 collision.
            return Err(self.root_mismatch(&computed, Vec::new()));
        }
        let tiles = if higher_mismatch()?.is_none() {
            partials.iter().filter(|(l, _, _)| *l == 0).map(|(_, t, _)| t.path()).collect()
        } else {
            partials.iter().map(|(_, t, _)| t.path()).collect()
        };
        Err(self.root_mismatch(&computed, tiles))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::tiles::{tile_files, tiles_for_size};

    fn log(n: u64) -> (MerkleTree, Vec<Vec<u8>>) {
        let entries: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let tree = MerkleTree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
        (tree, entries)
    }

    fn served(tree: &MerkleTree, entries: &[Vec<u8>], n: u64) -> HashMap<String, Vec<u8>> {
        tile_files(tree, entries, n).unwrap().into_iter().map(|f| (f.path, f.bytes)).collect()
    }

    fn reader(
        files: &HashMap<String, Vec<u8>>,
        head: TreeHead,
    ) -> TileReader<impl Fn(&str) -> Option<Vec<u8>> + '_> {
        TileReader::new(move |p: &str| files.get(p).cloned(), head)
    }

    #[test]
    fn the_spec_example_tree_of_70000_reads_back() {
        let n = 70_000;
        let (tree, entries) = log(n);
        let files = served(&tree, &entries, n);
        // 274 + 2 + 1 hash tiles and 274 bundles.
        assert_eq!(files.len(), 274 + 2 + 1 + 274);
        assert_eq!(files["tile/0/273.p/112"].len(), 112 * 32);
        assert_eq!(files["tile/1/000"].len(), 8192);
        assert_eq!(files["tile/1/001.p/17"].len(), 17 * 32);
        assert_eq!(files["tile/2/000.p/1"].len(), 32);
        // The level-2 hash is the root of the first 65,536 leaves.
        assert_eq!(files["tile/2/000.p/1"], tree.head_at(65_536).unwrap().root);

        let r = reader(&files, tree.head());
        assert_eq!(r.root().unwrap(), tree.root());
        for size in [1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999, 70_000] {
            assert_eq!(r.root_at(size).unwrap(), tree.head_at(size).unwrap().root, "{size}");
        }
        for index in [0, 1, 255, 256, 65_535, 65_536, 69_887, 69_888, 69_999] {
            assert_eq!(r.leaf_hash(index).unwrap(), *tree.leaf(index).unwrap());
            assert_eq!(r.entry(index).unwrap(), entries[index as usize]);
            assert_eq!(
                r.inclusion_proof(index, n).unwrap(),
                tree.inclusion_proof(index, n).unwrap()
            );
        }
        for (a, b) in [(1, n), (256, n), (65_536, n), (69_999, n), (300, 65_537), (n, n)] {
            assert_eq!(r.consistency_proof(a, b).unwrap(), tree.consistency_proof(a, b).unwrap());
        }
        let read = r.read_tree().unwrap();
        assert_eq!(read, tree);
        assert_eq!(r.read_entries().unwrap(), entries);

        assert!(matches!(r.entry(n), Err(TileError::IndexOutOfRange { .. })));
        assert!(matches!(r.root_at(n + 1), Err(TileError::SizeBeyondLog { .. })));
        assert!(matches!(
            r.consistency_proof(0, 5),
            Err(TileError::Proof(ProofError::FromEmptyTree))
        ));
        assert!(matches!(r.inclusion_proof(5, 5), Err(TileError::IndexOutOfRange { .. })));
    }

    /// Every kind of damage to the 70,000 tree's tiles is reported with the right tile.
    #[test]
    fn missing_short_and_corrupt_tiles_are_named() {
        let n = 70_000;
        let (tree, entries) = log(n);
        let files = served(&tree, &entries, n);
        let head = tree.head();
        let damaged = |path: &str, f: &dyn Fn(&mut Vec<u8>)| {
            let mut files = files.clone();
            if let Some(bytes) = files.get_mut(path) {
                f(bytes);
            }
            files
        };
        let flip = |b: &mut Vec<u8>| b[40] ^= 1;

        // Missing, in every reader path.
        for path in
            ["tile/0/005", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]
        {
            let mut files = files.clone();
            files.remove(path);
            let want = TileError::Missing { path: path.to_owned() };
            assert_eq!(reader(&files, head).read_tree(), Err(want.clone()), "{path}");
            let r = reader(&files, head);
            let err =
                (0..n).step_by(97).chain([5 * 256, 69_900]).find_map(|i| r.leaf_hash(i).err());
            assert_eq!(err, Some(want), "{path}");
        }
        let mut no_bundle = files.clone();
        no_bundle.remove("tile/entries/003");
        let r = reader(&no_bundle, head);
        assert_eq!(r.entry(800), Err(TileError::Missing { path: "tile/entries/003".into() }));
        assert!(r.entry(767).is_ok());

        // Wrong length.
        let short = damaged("tile/0/007", &|b| b.truncate(8191));
        assert_eq!(
            reader(&short, head).read_tree(),
            Err(TileError::WrongLength { path: "tile/0/007".into(), got: 8191, want: 8192 })
        );
        let long = damaged("tile/1/001.p/17", &|b| b.push(0));
        assert!(matches!(
            reader(&long, head).root(),
            Err(TileError::WrongLength { path, .. }) if path == "tile/1/001.p/17"
        ));

        // A flipped bit in a full level-0 tile: localised top-down.
        let bad = damaged("tile/0/010", &flip);
        let is_mismatch = |e: Option<TileError>, p: &str| matches!(e, Some(TileError::Mismatch { path, .. }) if path == p);
        assert!(is_mismatch(reader(&bad, head).read_tree().err(), "tile/0/010"));
        assert!(is_mismatch(reader(&bad, head).leaf_hash(2600).err(), "tile/0/010"));
        assert!(reader(&bad, head).leaf_hash(2500).is_ok());
        assert!(is_mismatch(reader(&bad, head).inclusion_proof(2600, n).err(), "tile/0/010"));
        assert!(reader(&bad, head).inclusion_proof(0, n).is_ok());
        assert!(is_mismatch(reader(&bad, head).entry(2561).err(), "tile/0/010"));
        // In a full level-1 tile: the leaves are right, so the level-1 tile is named.
        let bad = damaged("tile/1/000", &flip);
        assert!(is_mismatch(reader(&bad, head).read_tree().err(), "tile/1/000"));
        assert!(is_mismatch(reader(&bad, head).leaf_hash(0).err(), "tile/1/000"));
        // In a partial level-1 tile.
        let bad = damaged("tile/1/001.p/17", &flip);
        assert!(is_mismatch(reader(&bad, head).read_tree().err(), "tile/1/001.p/17"));
        assert!(matches!(reader(&bad, head).root(), Err(TileError::RootMismatch { .. })));
        // In the partial level-2 tile.
        let bad = damaged("tile/2/000.p/1", &|b| b[0] ^= 1);
        assert!(is_mismatch(reader(&bad, head).read_tree().err(), "tile/2/000.p/1"));
        // In the partial level-0 tile: both the leaves and the partial tiles disagree with
        // the root, and only the partial level-0 tile is common to both.
        let bad = damaged("tile/0/273.p/112", &flip);
        let err = reader(&bad, head).read_tree();
        assert!(
            matches!(&err, Err(TileError::RootMismatch { expected, tiles, .. })
                if *expected == hex(&tree.root()) && tiles == &["tile/0/273.p/112"]),
            "{err:?}"
        );
        assert!(matches!(reader(&bad, head).leaf_hash(0), Err(TileError::RootMismatch { .. })));
        // A corrupt entry.
        let bad = damaged("tile/entries/002", &|b| {
            let last = b.len() - 1;
            b[last] ^= 1;
        });
        let r = reader(&bad, head);
        assert_eq!(
            r.entry(767),
            Err(TileError::BundleEntryMismatch {
                path: "tile/entries/002".into(),
                position: 255,
                index: 767
            })
        );
        assert!(matches!(r.read_entries(), Err(TileError::BundleEntryMismatch { index: 767, .. })));
        let bad = damaged("tile/entries/002", &|b| b.truncate(b.len() - 1));
        assert!(matches!(reader(&bad, head).entry(600), Err(TileError::MalformedBundle { .. })));

        // The right tiles, a wrong checkpoint: no tile to blame.
        let other = TreeHead { size: n, root: [7; 32] };
        let err = reader(&files, other).read_tree();
        assert!(
            matches!(&err, Err(TileError::RootMismatch { tiles, .. }) if tiles == &["tile/0/273.p/112"]),
            "{err:?}"
        );
        let (t2, e2) = log(65_536);
        let f2 = served(&t2, &e2, 65_536);
        let err = reader(&f2, TreeHead { size: 65_536, root: [7; 32] }).read_tree();
        assert!(
            matches!(&err, Err(TileError::RootMismatch { tiles, .. }) if tiles.is_empty()),
            "{err:?}"
        );
        // A checkpoint of absurd size fails at its first missing tile.
        let huge = TreeHead { size: u64::MAX, root: [0; 32] };
        assert!(matches!(reader(&files, huge).read_tree(), Err(TileError::Missing { .. })));
        assert!(matches!(reader(&files, huge).root(), Err(TileError::Missing { .. })));
    }

    #[test]
    fn empty_and_tiny_logs() {
        let empty = HashMap::new();
        let r = reader(&empty, TreeHead { size: 0, root: EMPTY_ROOT });
        assert_eq!(r.root(), Ok(EMPTY_ROOT));
        assert_eq!(r.read_tree(), Ok(MerkleTree::new()));
        assert_eq!(r.read_entries(), Ok(Vec::new()));
        let r = reader(&empty, TreeHead { size: 0, root: [1; 32] });
        assert!(matches!(r.root(), Err(TileError::RootMismatch { .. })));
        for n in [1, 2, 3, 255, 256, 257] {
            let (tree, entries) = log(n);
            let files = served(&tree, &entries, n);
            let r = reader(&files, tree.head());
            assert_eq!(r.read_tree().unwrap(), tree);
            assert_eq!(r.read_entries().unwrap(), entries);
            for size in 1..=n {
                assert_eq!(r.root_at(size).unwrap(), tree.head_at(size).unwrap().root);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Tiles of a random tree: the tile set is the one `tiles_for_size` lists, reading
        /// them back gives the tree, and every proof from tiles is the tree's proof.
        #[test]
        fn tiles_agree_with_the_tree(
            n in 1u64..3000,
            picks in proptest::collection::vec(any::<u64>(), 6),
        ) {
            let (tree, entries) = log(n);
            let files = served(&tree, &entries, n);
            let mut listed: Vec<String> = tiles_for_size(n).iter().map(Tile::path).collect();
            listed.sort();
            let mut paths: Vec<String> = files.keys().cloned().collect();
            paths.sort();
            prop_assert_eq!(listed, paths);
            let r = reader(&files, tree.head());
            prop_assert_eq!(r.root().unwrap(), tree.root());
            for p in picks.chunks(2) {
                let size = 1 + p[0] % n;
                let index = p[1] % size;
                let other = 1 + p[1] % size;
                prop_assert_eq!(r.root_at(size).unwrap(), tree.head_at(size).unwrap().root);
                prop_assert_eq!(
                    r.inclusion_proof(index, size).unwrap(),
                    tree.inclusion_proof(index, size).unwrap()
                );
                prop_assert_eq!(
                    r.consistency_proof(other, size).unwrap(),
                    tree.consistency_proof(other, size).unwrap()
                );
                prop_assert_eq!(r.entry(index).unwrap(), entries[index as usize].clone());
            }
            prop_assert_eq!(r.read_tree().unwrap(), tree);
        }

        /// Growing a log writes exactly the added tiles; the old tiles plus those serve the
        /// new tree.
        #[test]
        fn growth_writes_only_added_tiles(a in 0u64..1500, b in 0u64..1500) {
            let (old, new) = (a.min(b), a.max(b));
            let (tree, entries) = log(new);
            let mut files = served(&tree, &entries, old);
            let added = crate::tiles::tile_files_added(&tree, &entries, old, new).unwrap();
            for f in &added {
                prop_assert!(!files.contains_key(&f.path), "{} rewritten", f.path);
            }
            files.extend(added.into_iter().map(|f| (f.path, f.bytes)));
            let r = reader(&files, tree.head());
            prop_assert_eq!(r.read_tree().unwrap(), tree);
            prop_assert_eq!(r.read_entries().unwrap(), entries);
        }
    }
}
