//! The publication flow end to end, through the public API only, over an in-memory "bundle"
//! (path → bytes): the log as C2SP tiles under `log/` with `log/checkpoint`, and the history of
//! checkpoints under `checkpoints/`, each cosigned by witnesses. Then the verifier's side:
//! checkpoint and witness quorum, the whole tree and every entry from the tiles, the history
//! against the log. Finally a tampered bundle, a forked history and a rollback.

use std::collections::BTreeMap;

use psephos_ledger::{
    Checkpoint, CosignatureVerifier, HistoryFinding, MerkleTree, NoteSigner, TileError, TileReader,
    Witness, WitnessError, WitnessPolicy, append_signatures, check_history, tile_files_added,
};

const ORIGIN: &str = "results.example.org/2026-general";

type Bundle = BTreeMap<String, Vec<u8>>;

struct Publisher {
    log_key: NoteSigner,
    witnesses: Vec<Witness>,
    tree: MerkleTree,
    entries: Vec<Vec<u8>>,
    published: u64,
    bundle: Bundle,
    history: usize,
}

impl Publisher {
    fn new() -> Self {
        let log_key = NoteSigner::from_seed(ORIGIN, &[1; 32]).unwrap();
        let witnesses = (0..3u8)
            .map(|i| {
                let name = format!("witness{i}.example");
                Witness::new(&name, &[10 + i; 32], ORIGIN, vec![log_key.verifier()], None).unwrap()
            })
            .collect();
        Self {
            log_key,
            witnesses,
            tree: MerkleTree::new(),
            entries: Vec::new(),
            published: 0,
            bundle: Bundle::new(),
            history: 0,
        }
    }

    fn append(&mut self, n: usize) {
        for _ in 0..n {
            let e = format!("{{\"form\":{}}}", self.entries.len()).into_bytes();
            self.tree.push(&e);
            self.entries.push(e);
        }
    }

    /// Writes the new tiles, signs a checkpoint, has it cosigned and publishes it.
    fn publish(&mut self, time: u64) {
        let size = self.tree.len();
        for f in tile_files_added(&self.tree, &self.entries, self.published, size).unwrap() {
            let path = format!("log/{}", f.path);
            assert!(!self.bundle.contains_key(&path), "{path} rewritten");
            self.bundle.insert(path, f.bytes);
        }
        self.published = size;
        let signed = Checkpoint::new(ORIGIN, self.tree.head()).sign(&[&self.log_key]).unwrap();
        let lines: Vec<String> = self
            .witnesses
            .iter_mut()
            .map(|w| w.add_checkpoint_from_tree(&self.tree, &signed, time).unwrap())
            .collect();
        let cosigned = append_signatures(&signed, &lines).unwrap();
        self.bundle.insert("log/checkpoint".into(), cosigned.clone().into_bytes());
        self.bundle.insert(format!("checkpoints/{:04}", self.history), cosigned.into_bytes());
        self.history += 1;
    }

    fn policy(&self, quorum: usize) -> WitnessPolicy {
        let ws: Vec<CosignatureVerifier> = self.witnesses.iter().map(Witness::verifier).collect();
        WitnessPolicy::new(ORIGIN, vec![self.log_key.verifier()], ws, quorum).unwrap()
    }
}

/// The verifier's side; returns the history findings.
fn verify(bundle: &Bundle, policy: &WitnessPolicy) -> Result<Vec<HistoryFinding>, String> {
    let text = |p: &str| String::from_utf8(bundle.get(p).cloned().unwrap_or_default()).unwrap();
    let current = policy.check(&text("log/checkpoint")).map_err(|e| e.to_string())?;
    if !current.satisfied {
        return Err(format!("quorum not met: missing {:?}", current.missing));
    }
    let reader = TileReader::new(
        |p: &str| bundle.get(&format!("log/{p}")).cloned(),
        current.checkpoint.head,
    );
    let tree = reader.read_tree().map_err(|e| e.to_string())?;
    let entries = reader.read_entries().map_err(|e| e.to_string())?;
    assert_eq!(entries.len() as u64, tree.len());
    let mut history = Vec::new();
    for (path, bytes) in bundle.range("checkpoints/".to_owned()..) {
        if !path.starts_with("checkpoints/") {
            break;
        }
        let report =
            policy.check(std::str::from_utf8(bytes).unwrap()).map_err(|e| e.to_string())?;
        if !report.satisfied {
            return Err(format!("{path}: quorum not met: missing {:?}", report.missing));
        }
        history.push(report.checkpoint);
    }
    let by_tree = check_history(ORIGIN, &history, &tree);
    let by_tiles = check_history(ORIGIN, &history, &reader);
    assert_eq!(by_tree.findings, by_tiles.findings);
    Ok(by_tree.findings)
}

#[test]
fn publish_then_verify() {
    let mut p = Publisher::new();
    for (i, n) in [1usize, 200, 56, 1000, 3].into_iter().enumerate() {
        p.append(n);
        p.publish(1_700_000_000 + i as u64);
    }
    assert_eq!(p.tree.len(), 1260);
    assert!(p.bundle.contains_key("log/tile/0/004.p/236"));
    assert!(p.bundle.contains_key("log/tile/1/000.p/4"));
    assert!(p.bundle.contains_key("log/tile/entries/004.p/236"));
    assert_eq!(verify(&p.bundle, &p.policy(3)), Ok(Vec::new()));

    // A flipped byte in a served tile is caught and named.
    let mut bad = p.bundle.clone();
    bad.get_mut("log/tile/0/002").unwrap()[100] ^= 1;
    let err = verify(&bad, &p.policy(2)).unwrap_err();
    assert!(err.starts_with("tile/0/002 disagrees with the checkpoint root"), "{err}");
    // A missing bundle too.
    let mut bad = p.bundle.clone();
    bad.remove("log/tile/entries/001");
    assert_eq!(
        verify(&bad, &p.policy(2)),
        Err(TileError::Missing { path: "tile/entries/001".into() }.to_string())
    );

    // A history entry replaced by a forked checkpoint of the same size, signed by the log key.
    let mut forked = MerkleTree::from_leaf_hashes(p.tree.leaves()[..100].to_vec());
    for i in 0..101u32 {
        forked.push(&i.to_be_bytes());
    }
    assert_eq!(forked.len(), 201);
    let fork_cp = Checkpoint::new(ORIGIN, forked.head()).sign(&[&p.log_key]).unwrap();
    let mut bad = p.bundle.clone();
    bad.insert("checkpoints/0001".into(), fork_cp.clone().into_bytes());
    let findings = verify(&bad, &p.policy(0)).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, HistoryFinding::DivergesFromLog { position: 1, size: 201, .. })),
        "{findings:?}"
    );
    // Without cosignatures it fails a quorum; and no witness would cosign it.
    assert!(verify(&bad, &p.policy(1)).is_err());
    let mut w = p.witnesses[0].clone();
    assert!(matches!(
        w.add_checkpoint(1260, &[], &fork_cp, 1_800_000_000),
        Err(WitnessError::Rollback { latest: 1260, size: 201 })
    ));

    // A rollback: an old checkpoint republished last.
    let mut bad = p.bundle.clone();
    let old = bad["checkpoints/0001"].clone();
    bad.insert("checkpoints/0005".into(), old);
    let findings = verify(&bad, &p.policy(3)).unwrap();
    assert_eq!(
        findings,
        [HistoryFinding::Rollback { earlier: 4, later: 5, earlier_size: 1260, later_size: 201 }]
    );
}
