//! Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), with the
//! edge rules of the transparency-dev reference verifier: index below size, proof length equal
//! to what the index and sizes call for, no consistency proof from the empty tree, equal sizes
//! only with an empty proof and equal roots.

use crate::ProofError;
use crate::hash::{Hash, hex, node_hash};

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

fn check_root(which: &'static str, computed: &Hash, claimed: &Hash) -> Result<(), ProofError> {
    if computed == claimed {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { which, computed: hex(computed), claimed: hex(claimed) })
    }
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
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    check_root("root", &computed, root)
}

/// Checks that `proof` shows that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1` (RFC 9162 §2.1.4.2). Equal sizes need an empty
/// proof and equal roots; a proof from the empty tree is refused.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
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
    // Step 2: a first tree of 2^k leaves is itself a node of the second; it is not sent.
    let seeded = size1.is_power_of_two();
    let (seed, rest) = if seeded { (root1, proof) } else { (&proof[0], &proof[1..]) };
    // Steps 3 to 6.
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::ProofLength { got: proof.len(), want });
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
        return Err(ProofError::ProofLength { got: proof.len(), want });
    }
    check_root("first root", &fr, root1)?;
    check_root("second root", &sr, root2)
}
