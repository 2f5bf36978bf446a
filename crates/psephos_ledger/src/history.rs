//! Checks of a log's published checkpoint history: the checkpoints a log published (in
//! publication order, their signatures already verified) must all be views of one append-only
//! tree.
//!
//! Findings, each with the positions (in the sequence given) of the checkpoints involved:
//!
//! * [`HistoryFinding::OriginMismatch`]: a checkpoint of another log (left out of every other
//!   check);
//! * [`HistoryFinding::BeyondLog`]: a checkpoint larger than the log (nothing can prove it);
//! * [`HistoryFinding::Rollback`]: a size below one published earlier;
//! * [`HistoryFinding::Fork`]: two checkpoints of one size with different roots (every later
//!   checkpoint of a size is compared with the first published of that size);
//! * [`HistoryFinding::Inconsistent`]: two consecutive checkpoints of different sizes whose
//!   consistency proof (from the smaller to the larger) does not verify;
//! * [`HistoryFinding::DivergesFromLog`]: a checkpoint that is not a view of the log (its root
//!   is not the log's at its size, or the proof to the log's head fails);
//! * [`HistoryFinding::ProofUnavailable`]: a proof the log view could not give (a missing or
//!   corrupt tile, a proof not supplied).
//!
//! The log is seen through a [`LogView`]: the full tree ([`MerkleTree`]), a tiled log
//! ([`TileReader`], roots and proofs from authenticated tiles) or a [`ProofSet`] (the log's
//! head and the consistency proofs shipped with the history). Consecutive pairs in which a
//! checkpoint diverges from the log or lies beyond it are not checked against each other: a
//! proof from the log says nothing about two views that are not the log's.

use std::collections::BTreeMap;

use crate::ProofError;
use crate::checkpoint::Checkpoint;
use crate::hash::{EMPTY_ROOT, Hash, hex};
use crate::tile_reader::{TileReader, TileSource};
use crate::tree::{MerkleTree, TreeHead};
use crate::verify::verify_consistency;

/// What a history check needs of the log.
pub trait LogView {
    /// The log's head: its size bounds the checkpoints, its root is the current view.
    fn head(&self) -> TreeHead;

    /// The root of the log's first `size <= head().size` leaves, if this view computes roots
    /// (`None`: it only has proofs; `Some(Err)`: it could not).
    fn root_at(&self, size: u64) -> Option<Result<Hash, String>>;

    /// The consistency proof from size `size1` to size `size2` (`0 < size1 < size2 <=
    /// head().size`), or why it is not available.
    fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, String>;
}

impl LogView for MerkleTree {
    fn head(&self) -> TreeHead {
        MerkleTree::head(self)
    }

    fn root_at(&self, size: u64) -> Option<Result<Hash, String>> {
        Some(self.head_at(size).map(|h| h.root).map_err(|e| e.to_string()))
    }

    fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, String> {
        MerkleTree::consistency_proof(self, size1, size2).map_err(|e| e.to_string())
    }
}

impl<S: TileSource> LogView for TileReader<S> {
    fn head(&self) -> TreeHead {
        TileReader::head(self)
    }

    fn root_at(&self, size: u64) -> Option<Result<Hash, String>> {
        Some(TileReader::root_at(self, size).map_err(|e| e.to_string()))
    }

    fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, String> {
        TileReader::consistency_proof(self, size1, size2).map_err(|e| e.to_string())
    }
}

/// The log's head and consistency proofs between sizes, as shipped beside a checkpoint
/// history (no tree at hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofSet {
    /// The log's head (its current verified checkpoint).
    pub head: TreeHead,
    /// Consistency proofs by (size1, size2).
    pub proofs: BTreeMap<(u64, u64), Vec<Hash>>,
}

impl ProofSet {
    /// A proof set for the log of `head`, with no proof yet.
    pub fn new(head: TreeHead) -> Self {
        Self { head, proofs: BTreeMap::new() }
    }

    /// Adds the consistency proof from `size1` to `size2`.
    pub fn insert(&mut self, size1: u64, size2: u64, proof: Vec<Hash>) {
        self.proofs.insert((size1, size2), proof);
    }
}

impl LogView for ProofSet {
    fn head(&self) -> TreeHead {
        self.head
    }

    fn root_at(&self, size: u64) -> Option<Result<Hash, String>> {
        (size == self.head.size).then_some(Ok(self.head.root))
    }

    fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, String> {
        self.proofs
            .get(&(size1, size2))
            .cloned()
            .ok_or_else(|| format!("no consistency proof from size {size1} to {size2} supplied"))
    }
}

/// Something wrong in a checkpoint history. Positions are indices in the sequence checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryFinding {
    /// A checkpoint of another log.
    OriginMismatch {
        /// Its position.
        position: usize,
        /// Its origin.
        origin: String,
        /// The log's origin.
        expected: String,
    },
    /// A checkpoint larger than the log.
    BeyondLog {
        /// Its position.
        position: usize,
        /// Its size.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// A checkpoint smaller than one published before it.
    Rollback {
        /// The position of the largest earlier checkpoint (the first of that size).
        earlier: usize,
        /// The position of the smaller, later one.
        later: usize,
        /// The earlier size.
        earlier_size: u64,
        /// The later size.
        later_size: u64,
    },
    /// Two checkpoints of the same size with different roots.
    Fork {
        /// The first checkpoint published with this size.
        earlier: usize,
        /// The later one with another root.
        later: usize,
        /// The size.
        size: u64,
    },
    /// Consecutive checkpoints of different sizes that the log's consistency proof does not
    /// link.
    Inconsistent {
        /// The position of the first of the pair.
        earlier: usize,
        /// The position of the second.
        later: usize,
        /// Why the proof fails.
        error: ProofError,
    },
    /// A checkpoint that is not a view of the log.
    DivergesFromLog {
        /// Its position.
        position: usize,
        /// Its size.
        size: u64,
        /// How it differs.
        detail: String,
    },
    /// A proof or root the log view could not give, so a check could not be made.
    ProofUnavailable {
        /// The position of the (first) checkpoint concerned.
        earlier: usize,
        /// The second checkpoint of the pair; `None` for the check against the log's head.
        later: Option<usize>,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for HistoryFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OriginMismatch { position, origin, expected } => {
                write!(f, "checkpoint {position} is for log {origin:?}, not {expected:?}")
            }
            Self::BeyondLog { position, size, log_size } => {
                write!(f, "checkpoint {position} has size {size}, the log only {log_size}")
            }
            Self::Rollback { earlier, later, earlier_size, later_size } => write!(
                f,
                "rollback: checkpoint {later} has size {later_size}, below size {earlier_size} \
                 of checkpoint {earlier}"
            ),
            Self::Fork { earlier, later, size } => write!(
                f,
                "fork: checkpoints {earlier} and {later} have size {size} and different roots"
            ),
            Self::Inconsistent { earlier, later, error } => {
                write!(f, "checkpoints {earlier} and {later} are inconsistent: {error}")
            }
            Self::DivergesFromLog { position, size, detail } => {
                write!(f, "checkpoint {position} (size {size}) is not a view of the log: {detail}")
            }
            Self::ProofUnavailable { earlier, later: Some(later), reason } => {
                write!(f, "checkpoints {earlier} and {later} could not be checked: {reason}")
            }
            Self::ProofUnavailable { earlier, later: None, reason } => {
                write!(f, "checkpoint {earlier} could not be checked against the log: {reason}")
            }
        }
    }
}

/// The result of a history check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryReport {
    /// Every finding, grouped by kind in the order of [`check_history`]'s steps, each group
    /// by position.
    pub findings: Vec<HistoryFinding>,
    /// Consecutive pairs whose consistency proof was verified.
    pub pairs_checked: usize,
    /// Checkpoints checked against the log.
    pub checked_against_log: usize,
}

impl HistoryReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks `checkpoints` (as published, in order) of the log `origin` against each other and
/// against `log`: origins, sizes beyond the log, each checkpoint against the log, rollbacks,
/// forks (equal sizes, different roots) and the consistency of every consecutive pair (see
/// [`HistoryFinding`]; pairs with a checkpoint that is not the log's are not checked against
/// each other).
pub fn check_history(origin: &str, checkpoints: &[Checkpoint], log: &dyn LogView) -> HistoryReport {
    let head = log.head();
    let mut report = HistoryReport::default();
    let mut findings = Vec::new();

    // Origins.
    let mut ours: Vec<usize> = Vec::with_capacity(checkpoints.len());
    for (position, cp) in checkpoints.iter().enumerate() {
        if cp.origin == origin {
            ours.push(position);
        } else {
            findings.push(HistoryFinding::OriginMismatch {
                position,
                origin: cp.origin.clone(),
                expected: origin.to_owned(),
            });
        }
    }

    // Against the log: beyond it, or not a view of it.
    let mut in_log = vec![false; checkpoints.len()];
    for &position in &ours {
        let h = checkpoints[position].head;
        if h.size > head.size {
            findings.push(HistoryFinding::BeyondLog {
                position,
                size: h.size,
                log_size: head.size,
            });
            continue;
        }
        match against_log(log, head, h) {
            Ok(()) => in_log[position] = true,
            Err(Check::Fails(detail)) => {
                findings.push(HistoryFinding::DivergesFromLog { position, size: h.size, detail });
            }
            Err(Check::Unavailable(reason)) => {
                // Unknown, not condemned: still checked against its neighbours.
                in_log[position] = true;
                findings.push(HistoryFinding::ProofUnavailable {
                    earlier: position,
                    later: None,
                    reason,
                });
            }
        }
        report.checked_against_log += 1;
    }

    // Rollbacks: below the largest size published before.
    let mut max: Option<usize> = None;
    for &position in &ours {
        let size = checkpoints[position].head.size;
        match max {
            Some(m) if size < checkpoints[m].head.size => findings.push(HistoryFinding::Rollback {
                earlier: m,
                later: position,
                earlier_size: checkpoints[m].head.size,
                later_size: size,
            }),
            Some(m) if size == checkpoints[m].head.size => {}
            _ => max = Some(position),
        }
    }

    // Forks: against the first checkpoint published with the same size.
    let mut first_of_size: BTreeMap<u64, usize> = BTreeMap::new();
    for &position in &ours {
        let h = checkpoints[position].head;
        let first = *first_of_size.entry(h.size).or_insert(position);
        if checkpoints[first].head.root != h.root {
            findings.push(HistoryFinding::Fork { earlier: first, later: position, size: h.size });
        }
    }

    // Consecutive pairs of different sizes: the consistency proof between them.
    for pair in ours.windows(2) {
        let (i, j) = (pair[0], pair[1]);
        if !in_log[i] || !in_log[j] {
            continue;
        }
        let (a, b) = (checkpoints[i].head, checkpoints[j].head);
        let (small, large) = if a.size <= b.size { (a, b) } else { (b, a) };
        if small.size == large.size || small.size == 0 {
            // Equal sizes are forks or nothing; size 0 is checked against the empty root.
            continue;
        }
        match log.consistency_proof(small.size, large.size) {
            Ok(proof) => {
                report.pairs_checked += 1;
                if let Err(error) =
                    verify_consistency(small.size, large.size, &proof, &small.root, &large.root)
                {
                    findings.push(HistoryFinding::Inconsistent { earlier: i, later: j, error });
                }
            }
            Err(reason) => {
                findings.push(HistoryFinding::ProofUnavailable {
                    earlier: i,
                    later: Some(j),
                    reason,
                });
            }
        }
    }

    report.findings = findings;
    report
}

enum Check {
    Fails(String),
    Unavailable(String),
}

/// Whether the tree head `h` (`h.size <= head.size`) is a view of the log.
fn against_log(log: &dyn LogView, head: TreeHead, h: TreeHead) -> Result<(), Check> {
    let differs = |want: &Hash| {
        Check::Fails(format!(
            "its root is {}, the log's at that size is {}",
            hex(&h.root),
            hex(want)
        ))
    };
    if h.size == 0 {
        return if h.root == EMPTY_ROOT { Ok(()) } else { Err(differs(&EMPTY_ROOT)) };
    }
    match log.root_at(h.size) {
        Some(Ok(root)) => return if root == h.root { Ok(()) } else { Err(differs(&root)) },
        Some(Err(reason)) => return Err(Check::Unavailable(reason)),
        None => {}
    }
    if h.size == head.size {
        return if h.root == head.root { Ok(()) } else { Err(differs(&head.root)) };
    }
    let proof = log.consistency_proof(h.size, head.size).map_err(Check::Unavailable)?;
    verify_consistency(h.size, head.size, &proof, &h.root, &head.root)
        .map_err(|e| Check::Fails(format!("the consistency proof to the log's head fails: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "example.org/psephos-test-log";

    fn tree(n: u64) -> MerkleTree {
        MerkleTree::from_leaf_hashes((0..n).map(|i| crate::leaf_hash(&i.to_be_bytes())))
    }

    fn cp(t: &MerkleTree, size: u64) -> Checkpoint {
        Checkpoint::new(ORIGIN, t.head_at(size).unwrap())
    }

    #[test]
    fn a_clean_history_is_clean_with_every_view() {
        let t = tree(100);
        let history: Vec<Checkpoint> =
            [0, 1, 5, 5, 17, 64, 64, 99, 100].iter().map(|&s| cp(&t, s)).collect();
        let report = check_history(ORIGIN, &history, &t);
        assert!(report.is_clean(), "{:?}", report.findings);
        assert_eq!(report.pairs_checked, 5);
        assert_eq!(report.checked_against_log, 9);

        // The same with proofs only.
        let mut proofs = ProofSet::new(t.head());
        for w in history.windows(2) {
            let (a, b) = (w[0].head.size, w[1].head.size);
            if a > 0 && a < b {
                proofs.insert(a, b, t.consistency_proof(a, b).unwrap());
            }
        }
        for c in &history {
            if c.head.size > 0 && c.head.size < 100 {
                proofs.insert(c.head.size, 100, t.consistency_proof(c.head.size, 100).unwrap());
            }
        }
        let report = check_history(ORIGIN, &history, &proofs);
        assert!(report.is_clean(), "{:?}", report.findings);
        assert_eq!(report.pairs_checked, 5);

        // With tiles.
        let entries: Vec<Vec<u8>> = (0..100u64).map(|i| i.to_be_bytes().to_vec()).collect();
        let files: std::collections::HashMap<String, Vec<u8>> =
            crate::tile_files(&t, &entries, 100)
                .unwrap()
                .into_iter()
                .map(|f| (f.path, f.bytes))
                .collect();
        let reader = TileReader::new(|p: &str| files.get(p).cloned(), t.head());
        assert!(check_history(ORIGIN, &history, &reader).is_clean());
        // A missing proof is reported, not taken for a fork.
        let mut partial = proofs.clone();
        partial.proofs.remove(&(17, 64));
        let report = check_history(ORIGIN, &history, &partial);
        assert_eq!(
            report.findings,
            [HistoryFinding::ProofUnavailable {
                earlier: 4,
                later: Some(5),
                reason: "no consistency proof from size 17 to 64 supplied".into()
            }]
        );
    }

    #[test]
    fn every_kind_of_misbehaviour_is_found_with_its_positions() {
        let t = tree(100);
        // A fork of the log: the first 40 leaves, then others.
        let mut fork = MerkleTree::from_leaf_hashes(t.leaves()[..40].to_vec());
        for i in 0..30u64 {
            fork.push(&(5000 + i).to_be_bytes());
        }
        let mut other_log = cp(&t, 30);
        other_log.origin = "example.org/other".into();
        let history = vec![
            cp(&t, 10),                                                     // 0
            cp(&t, 50),                                                     // 1
            cp(&t, 30),                                                     // 2: rollback below 50
            cp(&fork, 50), // 3: fork of 1, diverges from the log
            other_log,     // 4: another origin
            cp(&t, 60),    // 5
            Checkpoint::new(ORIGIN, TreeHead { size: 120, root: [3; 32] }), // 6: beyond
            cp(&t, 90),    // 7
            Checkpoint::new(ORIGIN, TreeHead { size: 0, root: [4; 32] }), // 8: bad empty root + rollback
        ];
        let report = check_history(ORIGIN, &history, &t);
        let f = &report.findings;
        assert!(f.contains(&HistoryFinding::OriginMismatch {
            position: 4,
            origin: "example.org/other".into(),
            expected: ORIGIN.into()
        }));
        assert!(f.contains(&HistoryFinding::BeyondLog { position: 6, size: 120, log_size: 100 }));
        assert!(f.contains(&HistoryFinding::Rollback {
            earlier: 1,
            later: 2,
            earlier_size: 50,
            later_size: 30
        }));
        assert!(f.contains(&HistoryFinding::Rollback {
            earlier: 6,
            later: 7,
            earlier_size: 120,
            later_size: 90
        }));
        assert!(f.contains(&HistoryFinding::Rollback {
            earlier: 6,
            later: 8,
            earlier_size: 120,
            later_size: 0
        }));
        assert!(f.contains(&HistoryFinding::Fork { earlier: 1, later: 3, size: 50 }));
        assert!(f.iter().any(|x| matches!(x, HistoryFinding::DivergesFromLog { position: 3, .. })));
        assert!(f.iter().any(|x| matches!(x, HistoryFinding::DivergesFromLog { position: 8, .. })));
        assert_eq!(f.len(), 8, "{f:#?}");
        // Pairs: (0,1), (1,2) checked; (2,3), (3,5) skipped (3 is not the log's); (5,6), (6,7)
        // skipped (6 beyond the log); (7,8) skipped (8 is not the log's).
        assert_eq!(report.pairs_checked, 2);
        for finding in f {
            assert!(!finding.to_string().is_empty());
        }

        // With proofs only (none to the log's head, which is the fork grown to 80): two
        // consecutive checkpoints that the shipped proof does not link.
        let history = vec![cp(&t, 10), cp(&fork, 70)];
        let mut grown = fork.clone();
        for i in 0..10u64 {
            grown.push(&(9000 + i).to_be_bytes());
        }
        let mut proofs = ProofSet::new(grown.head());
        proofs.insert(10, 70, t.consistency_proof(10, 70).unwrap());
        let report = check_history(ORIGIN, &history, &proofs);
        assert!(
            matches!(
                report.findings.as_slice(),
                [
                    HistoryFinding::ProofUnavailable { earlier: 0, later: None, .. },
                    HistoryFinding::ProofUnavailable { earlier: 1, later: None, .. },
                    HistoryFinding::Inconsistent { earlier: 0, later: 1, .. }
                ]
            ),
            "{:#?}",
            report.findings
        );
        // The fork's own proof links them (the fork shares the first 40 leaves), and its
        // proofs to the head show both are views of the grown fork, but 0 is not.
        proofs.insert(10, 70, fork.consistency_proof(10, 70).unwrap());
        proofs.insert(10, 80, t.consistency_proof(10, 80).unwrap());
        proofs.insert(70, 80, grown.consistency_proof(70, 80).unwrap());
        let report = check_history(ORIGIN, &history, &proofs);
        assert_eq!(report.pairs_checked, 0);
        assert!(
            matches!(
                report.findings.as_slice(),
                [HistoryFinding::DivergesFromLog { position: 0, size: 10, .. }]
            ),
            "{:#?}",
            report.findings
        );
        proofs.insert(10, 80, grown.consistency_proof(10, 80).unwrap());
        let report = check_history(ORIGIN, &history, &proofs);
        assert!(report.is_clean(), "{:#?}", report.findings);
        assert_eq!(report.pairs_checked, 1);
        assert!(check_history(ORIGIN, &[], &t).is_clean());
    }
}
