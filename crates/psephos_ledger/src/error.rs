//! Why a proof, a hash or a request for one was refused.

/// Why a proof does not verify, a hash is malformed, or a proof cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A hash that is not 32 bytes long.
    #[error("{what} is {len} bytes long, a SHA-256 hash is 32")]
    HashLength {
        /// Which hash (`"leaf hash"`, `"root"`, `"proof[2]"`, ...).
        what: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A leaf index not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size larger than the log holds.
    #[error("tree size {size} is larger than the log ({len} leaves)")]
    SizeBeyondLog {
        /// The size asked for.
        size: u64,
        /// The leaves the log holds.
        len: u64,
    },
    /// A proof with the wrong number of hashes for its index and sizes.
    #[error("the proof has {got} hashes, {want} expected")]
    ProofLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes the index and sizes call for.
        want: usize,
    },
    /// A consistency proof whose second tree is smaller than its first.
    #[error("the second tree size {size2} is smaller than the first {size1}")]
    SizesReversed {
        /// The first (older) tree size.
        size1: u64,
        /// The second (newer) tree size.
        size2: u64,
    },
    /// A consistency proof from the empty tree (every tree extends it; the proof says nothing).
    #[error("a consistency proof from the empty tree is meaningless")]
    FromEmptyTree,
    /// A consistency proof between equal sizes that is not empty.
    #[error("the tree sizes are equal ({size}) but the proof is not empty")]
    EqualSizesNonEmptyProof {
        /// The tree size.
        size: u64,
    },
    /// A consistency proof between different sizes that is empty.
    #[error("the tree sizes differ but the proof is empty")]
    EmptyProof,
    /// The proof leads to another root than the one claimed.
    #[error("the proof yields {which} {computed}, not the claimed {claimed}")]
    RootMismatch {
        /// Which root: `"root"`, `"first root"` or `"second root"`.
        which: &'static str,
        /// The root the proof yields (hex).
        computed: String,
        /// The root claimed (hex).
        claimed: String,
    },
    /// Equal tree sizes with different roots.
    #[error("the tree sizes are equal but the roots differ")]
    EqualSizesDifferentRoots,
}
