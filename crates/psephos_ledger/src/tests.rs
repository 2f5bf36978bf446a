//! Small hand-checked trees (sizes 1 to 8), every proof of them, and properties of larger ones.

use proptest::prelude::*;

use crate::{
    EMPTY_ROOT, Hash, MerkleTree, ProofError, leaf_hash, node_hash, verify_consistency,
    verify_inclusion,
};

/// The RFC 9162 definition, literally: `MTH` by recursion over the leaf hashes.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn tree(n: usize) -> MerkleTree {
    MerkleTree::from_leaf_hashes((0..n).map(|i| leaf_hash(format!("leaf {i}").as_bytes())))
}

#[test]
fn hashes_are_domain_separated() {
    assert_eq!(EMPTY_ROOT, sha2_256(b""));
    let l = leaf_hash(b"");
    // SHA-256(0x00).
    assert_eq!(l[..4], [0x6e, 0x34, 0x0b, 0x9c]);
    assert_ne!(leaf_hash(&[l, l].concat()), node_hash(&l, &l));
}

fn sha2_256(data: &[u8]) -> Hash {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

#[test]
fn roots_of_trees_of_one_to_eight_leaves_by_hand() {
    let t = tree(8);
    let l: Vec<Hash> = t.leaves().to_vec();
    let n = |a: &Hash, b: &Hash| node_hash(a, b);
    let n01 = n(&l[0], &l[1]);
    let n23 = n(&l[2], &l[3]);
    let n45 = n(&l[4], &l[5]);
    let n67 = n(&l[6], &l[7]);
    let n0123 = n(&n01, &n23);
    let by_hand = [
        EMPTY_ROOT,
        l[0],
        n01,
        n(&n01, &l[2]),
        n0123,
        n(&n0123, &l[4]),
        n(&n0123, &n45),
        n(&n0123, &n(&n45, &l[6])),
        n(&n0123, &n(&n45, &n67)),
    ];
    for (size, want) in by_hand.iter().enumerate() {
        assert_eq!(t.head_at(size as u64).unwrap().root, *want, "size {size}");
        assert_eq!(tree(size).root(), *want, "tree of {size}");
        assert_eq!(mth(&l[..size]), *want, "mth {size}");
    }
    // Proofs by hand: leaf 2 of 7 and 6 -> 8 (RFC 9162 §2.1.5's example tree shapes).
    assert_eq!(t.inclusion_proof(2, 7).unwrap(), vec![l[3], n01, n(&n45, &l[6])]);
    assert_eq!(t.inclusion_proof(6, 7).unwrap(), vec![n45, n0123]);
    assert_eq!(t.inclusion_proof(0, 1).unwrap(), Vec::<Hash>::new());
    assert_eq!(t.consistency_proof(3, 7).unwrap(), vec![l[2], l[3], n01, n(&n45, &l[6])]);
    assert_eq!(t.consistency_proof(4, 7).unwrap(), vec![n(&n45, &l[6])]);
    assert_eq!(t.consistency_proof(6, 7).unwrap(), vec![n45, l[6], n0123]);
    assert_eq!(t.consistency_proof(7, 7).unwrap(), Vec::<Hash>::new());
}

#[test]
fn every_proof_of_small_trees_verifies_and_wrong_claims_fail() {
    let t = tree(8);
    for size in 1..=8u64 {
        let root = t.head_at(size).unwrap().root;
        for index in 0..size {
            let leaf = *t.leaf(index).unwrap();
            let proof = t.inclusion_proof(index, size).unwrap();
            verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
            for other in 0..size {
                if other != index {
                    assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
                    assert!(
                        verify_inclusion(index, size, t.leaf(other).unwrap(), &proof, &root)
                            .is_err()
                    );
                }
            }
            // RFC 9162 proofs bind the size only through the path's shape: leaf 0's proof in
            // the tree of 4 also verifies as a proof in a tree of 3 (of root the size-4 root).
            // A size whose proof has another length must fail.
            for wrong_size in [size + 1, size * 2, size - 1] {
                if crate::inclusion_proof_len(index, wrong_size) != Ok(proof.len()) {
                    assert!(verify_inclusion(index, wrong_size, &leaf, &proof, &root).is_err());
                }
            }
        }
        assert!(matches!(
            verify_inclusion(size, size, &root, &[], &root),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        for size1 in 1..=size {
            let root1 = t.head_at(size1).unwrap().root;
            let proof = t.consistency_proof(size1, size).unwrap();
            verify_consistency(size1, size, &proof, &root1, &root).unwrap();
            assert!(
                verify_consistency(size1, size, &proof, &root, &root1).is_err() || size1 == size
            );
            if size1 < size {
                // As for inclusion: only sizes with another proof length are bound to fail.
                for (s1, s2) in [(size1 + 1, size), (size1, size + 1), (size1 - 1, size)] {
                    if crate::consistency_proof_len(s1, s2) != Ok(proof.len()) {
                        assert!(verify_consistency(s1, s2, &proof, &root1, &root).is_err());
                    }
                }
                assert!(verify_consistency(size, size1, &proof, &root, &root1).is_err());
            }
        }
        assert_eq!(
            verify_consistency(0, size, &[], &EMPTY_ROOT, &root),
            Err(ProofError::FromEmptyTree)
        );
    }
}

/// Every bit of every hash of every proof of the trees of 1 to 8 leaves matters.
#[test]
fn every_flipped_bit_of_small_proofs_breaks_them() {
    let t = tree(8);
    let flipped = |proof: &[Hash]| {
        let mut out = Vec::new();
        for i in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.to_vec();
                bad[i][bit / 8] ^= 1 << (bit % 8);
                out.push(bad);
            }
        }
        out
    };
    for size in 1..=8u64 {
        let root = t.head_at(size).unwrap().root;
        for index in 0..size {
            let proof = t.inclusion_proof(index, size).unwrap();
            for bad in flipped(&proof) {
                assert!(
                    verify_inclusion(index, size, t.leaf(index).unwrap(), &bad, &root).is_err()
                );
            }
        }
        for size1 in 1..size {
            let root1 = t.head_at(size1).unwrap().root;
            let proof = t.consistency_proof(size1, size).unwrap();
            for bad in flipped(&proof) {
                assert!(verify_consistency(size1, size, &bad, &root1, &root).is_err());
            }
        }
    }
}

#[test]
fn requests_beyond_the_log_are_errors() {
    let t = tree(5);
    assert!(matches!(t.head_at(6), Err(ProofError::SizeBeyondLog { .. })));
    assert!(matches!(t.inclusion_proof(0, 6), Err(ProofError::SizeBeyondLog { .. })));
    assert!(matches!(t.inclusion_proof(5, 5), Err(ProofError::IndexOutOfRange { .. })));
    assert!(matches!(t.consistency_proof(3, 2), Err(ProofError::SizesReversed { .. })));
    assert!(matches!(t.consistency_proof(0, 2), Err(ProofError::FromEmptyTree)));
    assert!(matches!(t.inclusion_proof(u64::MAX, u64::MAX), Err(ProofError::SizeBeyondLog { .. })));
    let h = t.root();
    assert!(verify_inclusion(u64::MAX - 1, u64::MAX, &h, &[h; 64], &h).is_err());
    assert!(verify_consistency(u64::MAX - 1, u64::MAX, &[h; 70], &h, &h).is_err());
    assert_eq!(MerkleTree::new().root(), EMPTY_ROOT);
}

#[test]
fn a_million_leaves() {
    let t = MerkleTree::from_leaf_hashes((0u32..1_000_000).map(|i| leaf_hash(&i.to_be_bytes())));
    let root = t.root();
    let size = t.len();
    for index in [0, 1, 499_999, 524_288, 999_999] {
        let proof = t.inclusion_proof(index, size).unwrap();
        verify_inclusion(index, size, t.leaf(index).unwrap(), &proof, &root).unwrap();
    }
    for size1 in [1, 3, 524_288, 999_999] {
        let proof = t.consistency_proof(size1, size).unwrap();
        verify_consistency(size1, size, &proof, &t.head_at(size1).unwrap().root, &root).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every generated proof verifies, matches the RFC recursion's root, and breaks when any
    /// byte of the proof, the leaf or either root is flipped.
    #[test]
    fn proofs_verify_and_any_flipped_byte_breaks_them(
        n in 1usize..300,
        index_seed in any::<u64>(),
        size1_seed in any::<u64>(),
        pick in any::<usize>(),
        byte in 0usize..32,
        bit in 0u8..8,
    ) {
        let t = tree(n);
        let size = n as u64;
        let root = t.root();
        prop_assert_eq!(root, mth(t.leaves()));
        let flip = |h: &Hash| { let mut h = *h; h[byte] ^= 1 << bit; h };

        let index = index_seed % size;
        let leaf = *t.leaf(index).unwrap();
        let proof = t.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
        prop_assert!(verify_inclusion(index, size, &flip(&leaf), &proof, &root).is_err());
        prop_assert!(verify_inclusion(index, size, &leaf, &proof, &flip(&root)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = pick % bad.len();
            bad[i] = flip(&bad[i]);
            prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
            prop_assert!(verify_inclusion(index, size, &leaf, &proof[1..], &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(index, size, &leaf, &longer, &root).is_err());

        let size1 = 1 + size1_seed % size;
        let root1 = t.head_at(size1).unwrap().root;
        prop_assert_eq!(root1, mth(&t.leaves()[..size1 as usize]));
        let proof = t.consistency_proof(size1, size).unwrap();
        prop_assert!(verify_consistency(size1, size, &proof, &root1, &root).is_ok());
        prop_assert!(verify_consistency(size1, size, &proof, &flip(&root1), &root).is_err());
        prop_assert!(verify_consistency(size1, size, &proof, &root1, &flip(&root)).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let i = pick % bad.len();
            bad[i] = flip(&bad[i]);
            prop_assert!(verify_consistency(size1, size, &bad, &root1, &root).is_err());
        }
    }

    /// Arbitrary proofs never panic.
    #[test]
    fn arbitrary_input_never_panics(
        a in any::<u64>(), b in any::<u64>(), len in 0usize..80, fill in any::<u8>(),
    ) {
        let proof = vec![[fill; 32]; len];
        let h = [fill; 32];
        let _ = verify_inclusion(a, b, &h, &proof, &h);
        let _ = verify_consistency(a, b, &proof, &h, &h);
        let _ = verify_consistency(a % 1024, b % 1024, &proof, &h, &h);
        let _ = verify_inclusion(a % 1024, b % 1024, &h, &proof, &h);
    }
}

/// The wire-level verifier's edge rules (transparency-dev `proof/verify.go` and its probes).
#[test]
fn wire_level_edge_rules() {
    use crate::{verify_consistency_bytes as vc, verify_inclusion_bytes as vi};
    let t = tree(8);
    let none: &[&[u8]] = &[];
    // Equal sizes: the roots are compared as bytes, whatever their length; nothing is hashed.
    assert_eq!(vc(1, 1, none, b"don't care 2", b"don't care 2"), Ok(()));
    assert_eq!(
        vc(1, 1, none, b"don't care 1", b"don't care 2"),
        Err(ProofError::EqualSizesDifferentRoots)
    );
    assert_eq!(
        vc(3, 3, &[&[0u8; 32][..]], b"", b""),
        Err(ProofError::EqualSizesNonEmptyProof { size: 3 })
    );
    // Size 0 is refused before anything else but reversed sizes, even 0 -> 0.
    assert_eq!(vc(0, 0, none, b"x", b"x"), Err(ProofError::FromEmptyTree));
    assert_eq!(vc(0, 5, none, &EMPTY_ROOT, &t.root()), Err(ProofError::FromEmptyTree));
    assert_eq!(vc(2, 1, none, b"", b""), Err(ProofError::SizesReversed { size1: 2, size2: 1 }));
    assert_eq!(vc(2, 5, none, b"", b""), Err(ProofError::EmptyProof));

    // Every hashed value is 32 bytes: proof hashes, the leaf, a first root that seeds.
    let root6 = t.head_at(6).unwrap().root;
    let root4 = t.head_at(4).unwrap().root;
    let p68 = t.consistency_proof(6, 8).unwrap();
    let p48 = t.consistency_proof(4, 8).unwrap();
    let mut short: Vec<Vec<u8>> = p68.iter().map(|h| h.to_vec()).collect();
    short[1].pop();
    assert_eq!(
        vc(6, 8, &short, &root6, &t.root()),
        Err(ProofError::HashLength { what: "proof[1]".into(), len: 31 })
    );
    assert_eq!(
        vc(4, 8, &p48, &root4[..31], &t.root()),
        Err(ProofError::HashLength { what: "first root".into(), len: 31 })
    );
    // A first root that is only compared (size1 not a power of two) simply does not match.
    assert!(matches!(
        vc(6, 8, &p68, &root6[..31], &t.root()),
        Err(ProofError::RootMismatch { which: "first root", .. })
    ));
    assert!(matches!(
        vc(6, 8, &p68, &root6, &t.root()[..31]),
        Err(ProofError::RootMismatch { which: "second root", .. })
    ));
    assert_eq!(vc(6, 8, &p68, &root6, &t.root()), Ok(()));

    let leaf = *t.leaf(5).unwrap();
    let p = t.inclusion_proof(5, 8).unwrap();
    assert_eq!(vi(5, 8, &leaf, &p, &t.root()), Ok(()));
    assert_eq!(
        vi(5, 8, b"WrongLeaf", &p, &t.root()),
        Err(ProofError::HashLength { what: "leaf hash".into(), len: 9 })
    );
    assert_eq!(
        vi(8, 8, b"", &p, &t.root()),
        Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
    );
    assert!(matches!(
        vi(5, 8, &leaf, &p, b""),
        Err(ProofError::RootMismatch { which: "root", .. })
    ));
    let mut bad: Vec<Vec<u8>> = p.iter().map(|h| h.to_vec()).collect();
    bad[0].push(0);
    assert_eq!(
        vi(5, 8, &leaf, &bad, &t.root()),
        Err(ProofError::HashLength { what: "proof[0]".into(), len: 33 })
    );
    bad.push(Vec::new());
    assert_eq!(vi(5, 8, &leaf, &bad, &t.root()), Err(ProofError::ProofLength { got: 4, want: 3 }));
    assert_eq!(crate::root_from_inclusion_proof_bytes(5, 8, &leaf, &p), Ok(t.root()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// On 32-byte inputs the typed and wire-level verifiers give the same answer; on inputs of
    /// any length the wire level never panics.
    #[test]
    fn typed_and_wire_level_agree(
        n in 1u64..40,
        a in 0u64..45,
        b in 0u64..45,
        corrupt in any::<Option<(usize, u8)>>(),
        lens in proptest::collection::vec(0usize..40, 0..8),
    ) {
        let t = tree(n as usize);
        let (a, b) = (a % (n + 2), b % (n + 2));
        let mut proof = t.consistency_proof(a.clamp(1, n), n).unwrap_or_default();
        if let Some((i, x)) = corrupt.filter(|_| !proof.is_empty()) {
            let k = i % proof.len();
            proof[k][i % 32] ^= x | 1;
        }
        let r1 = t.head_at(a.min(n)).unwrap().root;
        let r2 = t.head_at(b.min(n)).unwrap().root;
        prop_assert_eq!(
            verify_consistency(a, b, &proof, &r1, &r2),
            crate::verify_consistency_bytes(a, b, &proof, &r1, &r2)
        );
        let leaf = *t.leaf(a.min(n - 1)).unwrap();
        prop_assert_eq!(
            verify_inclusion(a, b, &leaf, &proof, &r2),
            crate::verify_inclusion_bytes(a, b, &leaf, &proof, &r2)
        );
        let ragged: Vec<Vec<u8>> = lens.iter().map(|&l| vec![7u8; l]).collect();
        let _ = crate::verify_consistency_bytes(a, b, &ragged, &ragged.concat(), &r2);
        let _ = crate::verify_inclusion_bytes(a, b, &ragged.concat(), &ragged, &r2);
    }
}
