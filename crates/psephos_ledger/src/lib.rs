//! The tamper-evident results ledger.
//!
//! Every accepted record becomes a leaf of an append-only Merkle log hashed exactly as RFC 9162
//! §2.1 (RFC 6962) prescribes: `leaf = SHA-256(0x00 || data)`, `node = SHA-256(0x01 || left ||
//! right)`, the tree split at the largest power of two smaller than its size. A tree head (size
//! and root) commits to every leaf; an inclusion proof shows that a leaf is in a tree head, a
//! consistency proof that a later tree head only appended to an earlier one. Verification
//! follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, with the edge rules of the
//! transparency-dev reference (`../shared/docs/research/transparency.md` §4): every malformed
//! input is a [`ProofError`], never a panic. Hashes received as bytes go through the wire-level
//! verifiers ([`verify_inclusion_bytes`], [`verify_consistency_bytes`]), which answer every
//! upstream transparency-dev/merkle probe as upstream does; the typed verifiers are their
//! `[u8; 32]` forms.
//!
//! Tree heads are published as C2SP `tlog-checkpoint`s in Ed25519-signed C2SP `signed-note`s
//! ([`checkpoint`]): signing from 32-byte seeds, parsing with [`NoteError`]s, verification
//! against a set of known keys (unknown signatures ignored).
//!
//! The log is served as C2SP `tlog-tiles` ([`tiles`]): the tile and entry-bundle files of a
//! tree, and those that change as it grows, as (path, bytes) pairs; [`TileReader`] reads them
//! back through any `Fn(&str) -> Option<Vec<u8>>`, authenticating every tile against the
//! checkpoint root, and rebuilds the tree, the entries and any proof, naming the tile at fault
//! when one is missing, mis-sized or wrong ([`TileError`]). Witnesses cosign checkpoints as C2SP
//! `tlog-cosignature` v1 ([`cosignature`]): a [`Witness`] cosigns only a checkpoint signed by
//! the log and consistent with the one it cosigned last ([`WitnessError`] on a fork or a
//! rollback), and a [`WitnessPolicy`] reports which witnesses cosigned and whether a k-of-n
//! quorum holds. [`check_history`] checks a published checkpoint sequence against itself and the
//! log (forks, rollbacks, inconsistent pairs, checkpoints beyond the log, foreign origins).
//! Pure functions throughout: no I/O, no clock, no randomness.

mod base64;
pub mod canonical;
pub mod checkpoint;
pub mod cosignature;
mod error;
mod form_entry;
mod hash;
pub mod history;
mod ledger;
mod record;
mod registry;
pub mod signature;
pub mod tile_reader;
pub mod tiles;
mod tree;
mod verify;
mod votes;

pub use canonical::{JsonError, canonicalize, canonicalize_bytes, check_canonical};
pub use checkpoint::{
    Checkpoint, NoteError, NoteSignature, NoteSigner, NoteVerifier, SignedNote, key_hash,
    open_checkpoint, open_note, sign_note,
};
pub use cosignature::{
    CosignatureError, CosignatureSigner, CosignatureVerifier, InvalidCosignature, PolicyError,
    QuorumReport, Witness, WitnessCosignature, WitnessError, WitnessPolicy, append_signatures,
    cosignature_key_id, cosigned_message,
};
pub use error::ProofError;
pub use hash::{EMPTY_ROOT, HASH_LEN, Hash, hash_from_slice, leaf_hash, node_hash};
pub use history::{HistoryFinding, HistoryReport, LogView, ProofSet, check_history};
pub use ledger::{
    AcceptedForm, Appended, AuditReport, Issue, KeyStatus, Ledger, LedgerError, Problem, Rejection,
};
pub use record::{
    Correction, FormRecord, Genesis, Image, KeyEvent, MAX_ENTRY_LEN, RECORD_SCHEMA, Record,
    RecordError, RecordKind, RecordSigner, ResultRecord, SIGNING_PREFIX, Supersedes, hash_hex,
    sign_entry, signing_message,
};
pub use registry::{
    KEYS_HEADER, KeyRegistry, RegistryError, RegistryKey, Role, Scope, encode_public_key,
};
pub use tile_reader::{TileReader, TileSource};
pub use tiles::{
    Tile, TileError, TileFile, TileKind, tile_files, tile_files_added, tiles_added, tiles_for_size,
};
pub use tree::{MerkleTree, TreeHead};
pub use verify::{
    consistency_proof_len, inclusion_proof_len, root_from_inclusion_proof,
    root_from_inclusion_proof_bytes, verify_consistency, verify_consistency_bytes,
    verify_inclusion, verify_inclusion_bytes,
};
pub use votes::{Votes, VotesIter};

#[cfg(test)]
mod tests;
