//! RFC 9162 §2.1.1 hashing with SHA-256 and its 0x00 / 0x01 domain separation.

use sha2::{Digest, Sha256};

use crate::ProofError;

/// Bytes in a hash.
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash: a leaf hash, an interior node or a tree root.
pub type Hash = [u8; HASH_LEN];

/// The root of the empty tree, `SHA-256("")`.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_LEN];
    buf[0] = 0x01;
    buf[1..=HASH_LEN].copy_from_slice(left);
    buf[1 + HASH_LEN..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// A hash received as bytes (from a file, a proof bundle, a checkpoint): exactly 32 bytes, or
/// [`ProofError::HashLength`] naming `what`.
pub fn hash_from_slice(what: &str, bytes: &[u8]) -> Result<Hash, ProofError> {
    Hash::try_from(bytes)
        .map_err(|_| ProofError::HashLength { what: what.to_owned(), len: bytes.len() })
}

/// Lower-case hex of a hash (or of any bytes received as one), for messages.
pub(crate) fn hex(hash: &[u8]) -> String {
    use std::fmt::Write;
    hash.iter().fold(String::with_capacity(2 * hash.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
