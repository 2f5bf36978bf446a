//! The tamper-evident results ledger.
//!
//! Every accepted record becomes a leaf of an append-only Merkle log hashed exactly as RFC 9162
//! §2.1 (RFC 6962) prescribes: `leaf = SHA-256(0x00 || data)`, `node = SHA-256(0x01 || left ||
//! right)`, the tree split at the largest power of two smaller than its size. A tree head (size
//! and root) commits to every leaf; an inclusion proof shows that a leaf is in a tree head, a
//! consistency proof that a later tree head only appended to an earlier one. Verification
//! follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, with the edge rules of the
//! transparency-dev reference (`../shared/docs/research/transparency.md` §4): every malformed
//! input is a [`ProofError`], never a panic.
//!
//! Tree heads are published as C2SP `tlog-checkpoint`s in Ed25519-signed C2SP `signed-note`s
//! ([`checkpoint`]): signing from 32-byte seeds, parsing with [`NoteError`]s, verification
//! against a set of known keys (unknown signatures ignored). No I/O.

mod base64;
pub mod checkpoint;
mod error;
mod hash;
mod tree;
mod verify;

pub use checkpoint::{
    Checkpoint, NoteError, NoteSignature, NoteSigner, NoteVerifier, SignedNote, key_hash,
    open_checkpoint, open_note, sign_note,
};
pub use error::ProofError;
pub use hash::{EMPTY_ROOT, HASH_LEN, Hash, hash_from_slice, leaf_hash, node_hash};
pub use tree::{MerkleTree, TreeHead};
pub use verify::{
    consistency_proof_len, inclusion_proof_len, root_from_inclusion_proof, verify_consistency,
    verify_inclusion,
};

#[cfg(test)]
mod tests;
