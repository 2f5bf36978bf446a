//! The append-only Merkle tree: leaf hashes in a `Vec`, and every complete aligned subtree's
//! root kept as it completes, so that any tree head and any proof costs O(log n) hashes.

use crate::ProofError;
use crate::hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};

/// A tree head: a tree size and the root of the first `size` leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeHead {
    /// Leaves in the tree.
    pub size: u64,
    /// `MTH(D[0:size])`.
    pub root: Hash,
}

/// An append-only RFC 9162 Merkle tree over leaf hashes.
///
/// `levels[0]` holds the leaf hashes; `levels[l][i]` is the root of the complete subtree of
/// leaves `i * 2^l .. (i + 1) * 2^l`, added when its last leaf is appended (amortised one
/// node hash per leaf, twice the leaf hashes' memory in all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of these leaf hashes, in order.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push_leaf_hash(leaf);
        }
        tree
    }

    /// Appends a leaf holding `data`; returns its index.
    pub fn push(&mut self, data: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf by its hash; returns its index.
    pub fn push_leaf_hash(&mut self, hash: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(hash);
        let index = self.levels[0].len() - 1;
        // Complete every subtree this leaf closes.
        let mut level = 0;
        let mut node = hash;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            node = node_hash(&self.levels[level][n - 2], &node);
            level += 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(node);
        }
        index as u64
    }

    /// Leaves in the tree.
    pub fn len(&self) -> u64 {
        self.leaves().len() as u64
    }

    /// Whether the tree has no leaf.
    pub fn is_empty(&self) -> bool {
        self.leaves().is_empty()
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The hash of leaf `index`, if the tree has it.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        usize::try_from(index).ok().and_then(|i| self.leaves().get(i))
    }

    /// The root of the complete subtree of `2^level` leaves that starts at leaf
    /// `index * 2^level`, if the tree holds all its leaves (the tiles' hashes are these nodes).
    pub(crate) fn node(&self, level: u32, index: u64) -> Option<&Hash> {
        let level = usize::try_from(level).ok()?;
        let index = usize::try_from(index).ok()?;
        self.levels.get(level)?.get(index)
    }

    /// The tree head of the whole tree.
    pub fn head(&self) -> TreeHead {
        let size = self.len();
        TreeHead { size, root: self.subtree_root(0, self.leaves().len()) }
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.head().root
    }

    /// The tree head of the first `size` leaves (any size up to [`MerkleTree::len`]).
    pub fn head_at(&self, size: u64) -> Result<TreeHead, ProofError> {
        let n = self.checked_size(size)?;
        Ok(TreeHead { size, root: self.subtree_root(0, n) })
    }

    /// `size` as an index bound, or [`ProofError::SizeBeyondLog`].
    fn checked_size(&self, size: u64) -> Result<usize, ProofError> {
        match usize::try_from(size) {
            Ok(n) if n <= self.leaves().len() => Ok(n),
            _ => Err(ProofError::SizeBeyondLog { size, len: self.len() }),
        }
    }

    /// `MTH(D[start:end])`, `end <= len`. A complete aligned subtree is looked up; any other
    /// range is split as RFC 9162 splits it, which reaches complete aligned subtrees after at
    /// most one split per level for every range the RFC's recursions produce.
    fn subtree_root(&self, start: usize, end: usize) -> Hash {
        let n = end - start;
        if n == 0 {
            return EMPTY_ROOT;
        }
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][start >> level];
        }
        let k = split(n);
        node_hash(&self.subtree_root(start, start + k), &self.subtree_root(start + k, end))
    }

    /// The inclusion proof (RFC 9162 §2.1.3.1, `PATH(m, D[n])`) of leaf `index` in the tree of
    /// the first `size` leaves, from the leaf up.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        let n = self.checked_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        // index < size <= len fits in usize.
        let mut m = index as usize;
        // Walk down from the root, recording the sibling at each split; reverse at the end.
        let (mut start, mut end) = (0, n);
        let mut proof = Vec::with_capacity(64);
        while end - start > 1 {
            let k = split(end - start);
            if m < k {
                proof.push(self.subtree_root(start + k, end));
                end = start + k;
            } else {
                proof.push(self.subtree_root(start, start + k));
                start += k;
                m -= k;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// The consistency proof (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`) that the tree of the first
    /// `size2` leaves extends the tree of the first `size1`. Equal sizes give the empty proof; a
    /// proof from the empty tree is refused, as its verification is.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, ProofError> {
        let n = self.checked_size(size2)?;
        if size1 > size2 {
            return Err(ProofError::SizesReversed { size1, size2 });
        }
        if size1 == 0 {
            return Err(ProofError::FromEmptyTree);
        }
        let mut m = size1 as usize;
        // SUBPROOF(m, D[start:end], b), unrolled: the recursion is a single path.
        let (mut start, mut end) = (0, n);
        let mut complete = true;
        let mut proof = Vec::with_capacity(64);
        while m != end - start {
            let k = split(end - start);
            if m <= k {
                proof.push(self.subtree_root(start + k, end));
                end = start + k;
            } else {
                proof.push(self.subtree_root(start, start + k));
                start += k;
                m -= k;
                complete = false;
            }
        }
        if !complete {
            proof.push(self.subtree_root(start, end));
        }
        proof.reverse();
        Ok(proof)
    }
}
