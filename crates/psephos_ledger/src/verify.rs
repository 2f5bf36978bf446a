//! Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), with the
//! edge rules of the transparency-dev reference verifier: index below size, proof length equal
//! to what the index and sizes call for, no consistency proof from the empty tree, equal sizes
//! only with an empty proof and equal roots. Hashes received as bytes are checked by the
//! wire-level functions ([`verify_inclusion_bytes`], [`verify_consistency_bytes`]) exactly as
//! the transparency-dev reference checks them; the typed functions are their `[u8; 32]` forms.
//!
//! # Wire level
//!
//! Hashes as they arrive (from JSON, a proof bundle, a tile), as byte
//! strings of any length, with the semantics of the transparency-dev reference verifier
//! (`github.com/transparency-dev/merkle` `proof/verify.go`, whose probes are the conformance
//! suite of this crate):
//!
//! * inclusion: `index >= size` is an error; the leaf hash must be 32 bytes; the proof must have
//!   exactly `inner + border` hashes for (index, size); the computed root is compared with the
//!   claimed root as bytes (a claimed root of another length simply does not match);
//! * consistency: `size2 < size1` is an error; `size1 == 0` is an error whatever `size2` ("a
//!   consistency proof from the empty tree is meaningless", the probes' rule even for 0 → 0);
//!   `size1 == size2` needs an empty proof and the two roots equal *as bytes*, whatever their
//!   length (nothing is hashed, so upstream compares placeholders such as the 12-byte
//!   `"don't care 2"` and accepts); otherwise an empty proof is an error, the proof must have
//!   its exact length, and the computed first and second roots are compared as bytes.
//!
//! Every value that is hashed must be 32 bytes: the leaf hash, each proof hash and, when the
//! first tree is a complete subtree of the second (`size1` a power of two), the first root,
//! which seeds the computation. Upstream feeds such values to SHA-256 whatever their length;
//! a value of another length can never lead to the root of a real tree (the preimage of every
//! node hash is exactly 65 bytes), so refusing it early changes no answer about a real tree,
//! short of a SHA-256 collision, and names the culprit.

use crate::ProofError;
use crate::hash::{Hash, hash_from_slice, hex, node_hash};

/// Bits needed to write `x` (0 for 0).
fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// The number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose(index, size);
    Ok((inner + border) as usize)
}

/// The inclusion proof of `index` in a tree of `size` leaves split in the hashes below the
/// node where the paths to `index` and to the last leaf part (`inner`), and those on the right
/// border above it (`border`). `index < size`.
fn decompose(index: u64, size: u64) -> (u32, u32) {
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

fn check_len(got: usize, want: usize) -> Result<(), ProofError> {
    if got == want { Ok(()) } else { Err(ProofError::ProofLength { got, want }) }
}

/// The number of hashes in the consistency proof from a tree of `size1` leaves to one of
/// `size2`: 0 for equal sizes; an error for `size1 == 0` or `size1 > size2`.
pub fn consistency_proof_len(size1: u64, size2: u64) -> Result<usize, ProofError> {
    if size2 < size1 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::FromEmptyTree);
    }
    if size1 == size2 {
        return Ok(0);
    }
    let (inner, border) = decompose(size1 - 1, size2);
    let shift = size1.trailing_zeros();
    Ok(usize::from(!size1.is_power_of_two())
        + inner.saturating_sub(shift) as usize
        + border as usize)
}

/// The root that the inclusion proof of `leaf` at `index` in a tree of `size` leaves leads
/// to (RFC 9162 §2.1.3.2 steps 1 to 4, after the proof length is checked).
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    let want = inclusion_proof_len(index, size)?;
    check_len(proof.len(), want)?;
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::ProofLength { got: proof.len(), want });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::ProofLength { got: proof.len(), want });
    }
    Ok(r)
}

/// Checks that `proof` shows `leaf` at `index` in the tree of `size` leaves with this `root`
/// (RFC 9162 §2.1.3.2). The typed form of [`verify_inclusion_bytes`], with the same answers.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    verify_inclusion_bytes(index, size, leaf, proof, root)
}

/// Checks that `proof` shows that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1` (RFC 9162 §2.1.4.2). Equal sizes need an empty
/// proof and equal roots; a proof from the empty tree is refused. The typed form of
/// [`verify_consistency_bytes`], with the same answers.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    verify_consistency_bytes(size1, size2, proof, root1, root2)
}

/// Each proof hash as a [`Hash`], or [`ProofError::HashLength`] naming `proof[i]`.
fn proof_hashes<P: AsRef<[u8]>>(proof: &[P]) -> Result<Vec<Hash>, ProofError> {
    proof
        .iter()
        .enumerate()
        .map(|(i, p)| hash_from_slice(&format!("proof[{i}]"), p.as_ref()))
        .collect()
}

fn check_root_bytes(
    which: &'static str,
    computed: &Hash,
    claimed: &[u8],
) -> Result<(), ProofError> {
    if computed.as_slice() == claimed {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { which, computed: hex(computed), claimed: hex(claimed) })
    }
}

/// The root that an inclusion proof received as bytes leads to: `index < size`, a 32-byte
/// leaf hash, exactly [`inclusion_proof_len`] proof hashes of 32 bytes each.
pub fn root_from_inclusion_proof_bytes<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let leaf = hash_from_slice("leaf hash", leaf_hash)?;
    check_len(proof.len(), inclusion_proof_len(index, size)?)?;
    root_from_inclusion_proof(index, size, &leaf, &proof_hashes(proof)?)
}

/// Checks an inclusion proof received as bytes, as the transparency-dev reference
/// (`proof.VerifyInclusion`) does: `index < size`; the leaf hash 32 bytes; exactly
/// [`inclusion_proof_len`] proof hashes, each 32 bytes (every hashed value is; a value of
/// another length can never lead to a real tree's root); the computed root compared with `root`
/// as bytes, so a `root` of another length is a [`ProofError::RootMismatch`].
pub fn verify_inclusion_bytes<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof_bytes(index, size, leaf_hash, proof)?;
    check_root_bytes("root", &computed, root)
}

/// Checks a consistency proof received as bytes, as the transparency-dev reference
/// (`proof.VerifyConsistency`, and the probes of its testdata) does: `size1 <= size2`;
/// `size1 > 0`, even for `0 -> 0`; equal sizes need an empty proof and the roots equal *as
/// bytes*, whatever their length (nothing is hashed: two equal 12-byte placeholders pass);
/// otherwise a non-empty proof of exactly [`consistency_proof_len`] hashes of 32 bytes each, a
/// 32-byte `root1` when it seeds the computation (`size1` a power of two), and the computed
/// first and second roots equal to `root1` and `root2` as bytes.
pub fn verify_consistency_bytes<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size2 < size1 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::FromEmptyTree);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::EqualSizesNonEmptyProof { size: size1 });
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::EqualSizesDifferentRoots) };
    }
    if proof.is_empty() {
        return Err(ProofError::EmptyProof);
    }
    let want = consistency_proof_len(size1, size2)?;
    check_len(proof.len(), want)?;
    let proof = proof_hashes(proof)?;
    // Step 2: a first tree of 2^k leaves is itself a node of the second; it is not sent, and
    // its root seeds the computation.
    let seed_root;
    let (seed, rest) = if size1.is_power_of_two() {
        seed_root = hash_from_slice("first root", root1)?;
        (&seed_root, proof.as_slice())
    } else {
        (&proof[0], &proof[1..])
    };
    let (fr, sr) = consistency_roots(size1, size2, seed, rest, want)?;
    check_root_bytes("first root", &fr, root1)?;
    check_root_bytes("second root", &sr, root2)
}

/// RFC 9162 §2.1.4.2 steps 3 to 7 for `0 < size1 < size2`: the first and second roots that
/// the proof (after its seed) leads to. `want` is the full proof length, for messages.
fn consistency_roots(
    size1: u64,
    size2: u64,
    seed: &Hash,
    rest: &[Hash],
    want: usize,
) -> Result<(Hash, Hash), ProofError> {
    let got = rest.len() + usize::from(!size1.is_power_of_two());
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::ProofLength { got, want });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::ProofLength { got, want });
    }
    Ok((fr, sr))
}
