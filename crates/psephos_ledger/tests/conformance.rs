//! Conformance of psephos_ledger with `$PSEPHOS_CONFORMANCE/transparency/` (default
//! `../shared/conformance` beside the workspace): every upstream transparency-dev/merkle probe
//! (inclusion and consistency, positive and negative) and the RFC 6962/9162 reference vectors
//! (hasher, roots for sizes 0 to 8, interior nodes, happy-path proofs, which must also be the
//! proofs this crate generates). Prints "N of M probes pass" and every failure with its reason.
//! Also the two signed-note / checkpoint vectors: the Go `sumdb/note` note (byte-exact signature
//! line, key strings, key hash) and the self-generated C2SP checkpoint (byte-exact body and
//! signed checkpoint, verified, origin checked).

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use psephos_ledger::{
    Checkpoint, EMPTY_ROOT, Hash, MerkleTree, NoteSigner, NoteVerifier, TreeHead, hash_from_slice,
    key_hash, leaf_hash, node_hash, open_checkpoint, open_note, sign_note, verify_consistency,
    verify_consistency_bytes, verify_inclusion, verify_inclusion_bytes,
};
use serde_json::Value;

/// The conformance directory: `$PSEPHOS_CONFORMANCE`, or `../shared/conformance` beside the
/// workspace.
fn transparency_dir() -> PathBuf {
    let base = match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    base.join("transparency")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set PSEPHOS_CONFORMANCE)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Standard base64 (RFC 4648, padded), as Go's encoding/json writes `[]byte`.
fn base64(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("bad base64 character {:?}", c as char)),
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | value(c)?;
        }
        let bits = 6 * chunk.len();
        acc <<= 24 - bits;
        let n = bits / 8;
        if n == 0 {
            return Err("truncated base64".into());
        }
        out.extend_from_slice(&acc.to_be_bytes()[1..=n]);
    }
    Ok(out)
}

fn hex_decode(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {text:?}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| format!("{text:?}: {e}")))
        .collect()
}

fn hex_hash(text: &str) -> Result<Hash, String> {
    hash_from_slice("hex hash", &hex_decode(text)?).map_err(|e| e.to_string())
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("no field {name}"))
}
fn u64_field(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?.as_u64().ok_or_else(|| format!("{name} is not an unsigned integer"))
}
fn b64_field(v: &Value, name: &str) -> Result<Vec<u8>, String> {
    base64(field(v, name)?.as_str().ok_or_else(|| format!("{name} is not a string"))?)
}
fn b64_list(v: &Value, name: &str) -> Result<Vec<Vec<u8>>, String> {
    match field(v, name)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => {
            items.iter().map(|i| base64(i.as_str().ok_or("proof item is not a string")?)).collect()
        }
        _ => Err(format!("{name} is not a list")),
    }
}

/// The verifier's answer on a probe: `Ok` or the reason it refused, as a psephos user sees it.
/// Hashes go to the wire-level verifier as the bytes the probe holds, as upstream's
/// `proof.VerifyInclusion` / `proof.VerifyConsistency` receive them.
fn run_probe(kind: &str, probe: &Value) -> Result<Result<(), String>, String> {
    let proof = b64_list(probe, "proof")?;
    let outcome = if kind == "inclusion" {
        verify_inclusion_bytes(
            u64_field(probe, "leafIdx")?,
            u64_field(probe, "treeSize")?,
            &b64_field(probe, "leafHash")?,
            &proof,
            &b64_field(probe, "root")?,
        )
    } else {
        verify_consistency_bytes(
            u64_field(probe, "size1")?,
            u64_field(probe, "size2")?,
            &proof,
            &b64_field(probe, "root1")?,
            &b64_field(probe, "root2")?,
        )
    };
    Ok(outcome.map_err(|e| e.to_string()))
}

/// The typed API's answer on a probe whose hashes are all 32 bytes long (`None` otherwise): it
/// must be the wire-level answer.
fn run_probe_typed(kind: &str, probe: &Value) -> Option<Result<(), String>> {
    let proof = b64_list(probe, "proof").ok()?;
    let proof =
        proof.iter().map(|p| Hash::try_from(p.as_slice()).ok()).collect::<Option<Vec<_>>>()?;
    let hash = |name: &str| Hash::try_from(b64_field(probe, name).ok()?.as_slice()).ok();
    let outcome = if kind == "inclusion" {
        verify_inclusion(
            u64_field(probe, "leafIdx").ok()?,
            u64_field(probe, "treeSize").ok()?,
            &hash("leafHash")?,
            &proof,
            &hash("root")?,
        )
    } else {
        verify_consistency(
            u64_field(probe, "size1").ok()?,
            u64_field(probe, "size2").ok()?,
            &proof,
            &hash("root1")?,
            &hash("root2")?,
        )
    };
    Some(outcome.map_err(|e| e.to_string()))
}

fn probe_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (set PSEPHOS_CONFORMANCE)", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            probe_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Every inclusion and consistency probe of transparency-dev/merkle's testdata: the number of
/// probes and every disagreement with upstream (none is excused).
fn upstream_probes() -> (usize, Vec<String>) {
    let root = transparency_dir().join("transparency-dev-merkle-testdata/testdata");
    let mut files = Vec::new();
    probe_files(&root, &mut files);
    let mut failures = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let kind = if rel.starts_with("inclusion/") { "inclusion" } else { "consistency" };
        let probe = read_json(path);
        let want_err = probe.get("wantErr").and_then(Value::as_bool);
        let got = match (want_err, run_probe(kind, &probe)) {
            (None, _) => {
                failures.push(format!("  {rel}: no wantErr"));
                continue;
            }
            (_, Err(e)) => {
                failures.push(format!("  {rel}: unreadable probe: {e}"));
                continue;
            }
            (Some(w), Ok(got)) => (w, got),
        };
        if let Some(typed) = run_probe_typed(kind, &probe).filter(|t| *t != got.1) {
            failures.push(format!(
                "  {rel}: the typed API answers {typed:?}, the wire-level API {:?}",
                got.1
            ));
            continue;
        }
        let agrees = got.0 == got.1.is_err();
        if agrees {
            continue;
        }
        let what = match &got.1 {
            Ok(()) => "psephos accepts, upstream expects an error".to_owned(),
            Err(e) => format!("psephos refuses ({e}), upstream accepts"),
        };
        failures.push(format!("  {rel}: {what}"));
    }
    (files.len(), failures)
}

/// The reference vectors of `rfc6962_9162_vectors.json`, each a (name, result) pair.
fn reference_vectors() -> Vec<(String, Result<(), String>)> {
    let v = read_json(&transparency_dir().join("rfc6962_9162_vectors.json"));
    let mut results = Vec::new();
    let eq = |got: &Hash, want: &str| -> Result<(), String> {
        let want = hex_hash(want)?;
        if *got == want { Ok(()) } else { Err(format!("got {got:02x?}")) }
    };
    let leaves: Vec<Vec<u8>> = v["leafInputsHex"]
        .as_array()
        .map(|a| {
            a.iter().map(|x| hex_decode(x.as_str().unwrap_or("?")).unwrap_or_default()).collect()
        })
        .unwrap_or_default();
    let tree = MerkleTree::from_leaf_hashes(leaves.iter().map(|d| leaf_hash(d)));
    for (i, want) in v["leafHashesHex"].as_array().into_iter().flatten().enumerate() {
        let got = leaves.get(i).map(|d| leaf_hash(d)).unwrap_or(EMPTY_ROOT);
        results.push((format!("leaf hash {i}"), eq(&got, want.as_str().unwrap_or(""))));
    }
    for (size, want) in v["rootByTreeSizeHex"].as_object().into_iter().flatten() {
        let r = size
            .parse::<u64>()
            .map_err(|e| e.to_string())
            .and_then(|s| tree.head_at(s).map_err(|e| e.to_string()))
            .and_then(|h| eq(&h.root, want.as_str().unwrap_or("")));
        results.push((format!("root of size {size}"), r));
    }
    for (level, key) in [(1u32, "level1NodesHex"), (2, "level2NodesHex")] {
        for (i, want) in v[key].as_array().into_iter().flatten().enumerate() {
            let width = 1usize << level;
            let sub = MerkleTree::from_leaf_hashes(
                tree.leaves().iter().skip(i * width).take(width).copied(),
            );
            results.push((
                format!("level {level} node {i}"),
                eq(&sub.root(), want.as_str().unwrap_or("")),
            ));
        }
    }
    for (i, hv) in v["hasherVectors"].as_array().into_iter().flatten().enumerate() {
        let got = if let (Some(l), Some(r)) = (hv["leftAscii"].as_str(), hv["rightAscii"].as_str())
        {
            // Raw children, not 32-byte hashes: SHA-256(0x01 || left || right) directly.
            use raw::sha256_node_raw;
            sha256_node_raw(l.as_bytes(), r.as_bytes())
        } else if let Some(a) = hv["inputAscii"].as_str() {
            leaf_hash(a.as_bytes())
        } else if let Some(h) = hv["inputHex"].as_str() {
            leaf_hash(&hex_decode(h).unwrap_or_default())
        } else {
            EMPTY_ROOT
        };
        results
            .push((format!("hasher vector {i}"), eq(&got, hv["outputHex"].as_str().unwrap_or(""))));
    }
    for (i, p) in v["inclusionHappyPaths"].as_array().into_iter().flatten().enumerate() {
        let r = (|| -> Result<(), String> {
            let index = u64_field(p, "leafIdx")?;
            let size = u64_field(p, "treeSize")?;
            let proof: Vec<Hash> = p["proofHex"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| hex_hash(h.as_str().unwrap_or("")))
                .collect::<Result<_, _>>()?;
            let leaf = hex_hash(p["leafHashHex"].as_str().unwrap_or(""))?;
            let root = hex_hash(p["rootHex"].as_str().unwrap_or(""))?;
            verify_inclusion(index, size, &leaf, &proof, &root).map_err(|e| e.to_string())?;
            let generated = tree.inclusion_proof(index, size).map_err(|e| e.to_string())?;
            if generated != proof {
                return Err("the generated proof differs".into());
            }
            Ok(())
        })();
        results.push((format!("inclusion happy path {i} (verify + generate)"), r));
    }
    for (i, p) in v["consistencyHappyPaths"].as_array().into_iter().flatten().enumerate() {
        let r = (|| -> Result<(), String> {
            let size1 = u64_field(p, "size1")?;
            let size2 = u64_field(p, "size2")?;
            let proof: Vec<Hash> = p["proofHex"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| hex_hash(h.as_str().unwrap_or("")))
                .collect::<Result<_, _>>()?;
            let root1 = hex_hash(p["root1Hex"].as_str().unwrap_or(""))?;
            let root2 = hex_hash(p["root2Hex"].as_str().unwrap_or(""))?;
            verify_consistency(size1, size2, &proof, &root1, &root2).map_err(|e| e.to_string())?;
            let generated = tree.consistency_proof(size1, size2).map_err(|e| e.to_string())?;
            if generated != proof {
                return Err("the generated proof differs".into());
            }
            Ok(())
        })();
        results.push((format!("consistency happy path {i} (verify + generate)"), r));
    }
    results
}

/// `SHA-256(0x01 || left || right)` over raw children of any length, for the hasher vector whose
/// children are ASCII strings; checked against `node_hash` on 32-byte children.
mod raw {
    pub(super) fn sha256_node_raw(left: &[u8], right: &[u8]) -> psephos_ledger::Hash {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update([0x01]);
        h.update(left);
        h.update(right);
        h.finalize().into()
    }
}

#[test]
fn transparency_probes() {
    let (total, failures) = upstream_probes();
    println!("{} of {total} upstream Merkle probes pass", total - failures.len());
    for f in &failures {
        println!("{f}");
    }

    let vectors = reference_vectors();
    let vector_failures: Vec<String> = vectors
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("  {n}: {e}")))
        .collect();
    println!(
        "{} of {} reference vectors pass",
        vectors.len() - vector_failures.len(),
        vectors.len()
    );
    for f in &vector_failures {
        println!("{f}");
    }

    let notes = note_vectors();
    let note_failures: Vec<String> =
        notes.iter().filter_map(|(n, r)| r.as_ref().err().map(|e| format!("  {n}: {e}"))).collect();
    println!(
        "{} of {} signed-note / checkpoint vectors pass",
        notes.len() - note_failures.len(),
        notes.len()
    );
    for f in &note_failures {
        println!("{f}");
    }
    assert_eq!(notes.len(), 2, "expected the two signed-note / checkpoint vectors");
    assert!(
        note_failures.is_empty(),
        "{} signed-note vector failures (listed above)",
        note_failures.len()
    );

    // The node hash of two hashes is the raw node hash of their bytes.
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    assert_eq!(node_hash(&a, &b), raw::sha256_node_raw(&a, &b));
    assert!(total >= 196, "only {total} probes found");
    assert!(
        failures.is_empty() && vector_failures.is_empty(),
        "{} probe and {} vector failures (listed above)",
        failures.len(),
        vector_failures.len()
    );
}

/// Runs the two vectors of `signed_note_checkpoint_vectors.json`.
fn note_vectors() -> Vec<(String, Result<(), String>)> {
    let v = read_json(&transparency_dir().join("signed_note_checkpoint_vectors.json"));
    let field = |o: &Value, k: &str| -> Result<String, String> {
        o[k].as_str().map(str::to_owned).ok_or_else(|| format!("field {k} missing"))
    };
    let go = &v["go_sumdb_note_vector"];
    let go_result = (|| -> Result<(), String> {
        let signer = NoteSigner::parse(&field(go, "signerKey")?).map_err(|e| e.to_string())?;
        let verifier_key = field(go, "verifierKey")?;
        let verifier = NoteVerifier::parse(&verifier_key).map_err(|e| e.to_string())?;
        if signer.verifier() != verifier || verifier.to_string() != verifier_key {
            return Err(format!("signer's verifier {} is not {verifier_key}", signer.verifier()));
        }
        let pk = hex_decode(&field(go, "ed25519PublicKeyHex")?)?;
        if pk != verifier.public_key() {
            return Err("public key differs from ed25519PublicKeyHex".to_owned());
        }
        if key_hash(verifier.name(), &verifier.public_key()) != 0xc74f_20a3 {
            return Err("key hash is not c74f20a3".to_owned());
        }
        let text = field(go, "noteText")?;
        if signer.signature_line(&text) != field(go, "expectedSignatureLine")? {
            return Err(format!("signature line {:?}", signer.signature_line(&text)));
        }
        let signed = field(go, "signedNote")?;
        if sign_note(&text, &[&signer]).map_err(|e| e.to_string())? != signed {
            return Err("signed note differs".to_owned());
        }
        let known = [verifier];
        let (note, by) = open_note(&signed, &known).map_err(|e| e.to_string())?;
        if note.text != text || by.len() != 1 {
            return Err("opened note differs".to_owned());
        }
        let tampered = signed.replacen("cryptography", "cryptographY", 1);
        if open_note(&tampered, &known).is_ok() {
            return Err("a tampered note verifies".to_owned());
        }
        Ok(())
    })();
    let cp = &v["self_generated_checkpoint_vector"];
    let cp_result = (|| -> Result<(), String> {
        let origin = field(cp, "origin")?;
        let seed_signer = NoteSigner::parse(&field(go, "signerKey")?).map_err(|e| e.to_string())?;
        let verifier_key = field(cp, "verifierKey")?;
        let verifier = NoteVerifier::parse(&verifier_key).map_err(|e| e.to_string())?;
        // Same key as the Go vector, named after the origin.
        if verifier.public_key() != seed_signer.verifier().public_key() || verifier.name() != origin
        {
            return Err("verifier key is not the Go seed's key named after the origin".to_owned());
        }
        let size = cp["treeSize"].as_u64().ok_or("treeSize missing")?;
        let root = hex_hash(&field(cp, "rootHashHex")?)?;
        let checkpoint = Checkpoint::new(&origin, TreeHead { size, root });
        let body = checkpoint.body().map_err(|e| e.to_string())?;
        if body != field(cp, "checkpointBody")? {
            return Err(format!("body {body:?}"));
        }
        if Checkpoint::parse(&body).map_err(|e| e.to_string())? != checkpoint {
            return Err("body does not parse back".to_owned());
        }
        let signed = field(cp, "signedCheckpoint")?;
        let known = [verifier];
        let (opened, by) = open_checkpoint(&signed, &origin, &known).map_err(|e| e.to_string())?;
        if opened != checkpoint || by.len() != 1 {
            return Err("opened checkpoint differs".to_owned());
        }
        // Ed25519 is deterministic: re-signing with the seed and the origin as name is byte-exact.
        // PRIVATE+KEY+<name>+<hash>+<base64>: the base64 may itself hold '+'.
        let signer_key = field(go, "signerKey")?;
        let seed_key = signer_key.splitn(5, '+').nth(4).unwrap_or_default();
        let seed = psephos_ledger_test_seed(seed_key)?;
        let signer = NoteSigner::from_seed(&origin, &seed).map_err(|e| e.to_string())?;
        if checkpoint.sign(&[&signer]).map_err(|e| e.to_string())? != signed {
            return Err("re-signed checkpoint differs".to_owned());
        }
        if open_checkpoint(&signed, "example.org/another-log", &known).is_ok() {
            return Err("a checkpoint for another origin was accepted".to_owned());
        }
        Ok(())
    })();
    vec![
        ("go_sumdb_note_vector".to_owned(), go_result),
        ("self_generated_checkpoint_vector".to_owned(), cp_result),
    ]
}

/// The 32-byte seed of a Go signer key's last field, base64(0x01 || seed).
fn psephos_ledger_test_seed(b64: &str) -> Result<[u8; 32], String> {
    let raw = base64(b64)?;
    match raw.split_first() {
        Some((1, seed)) => seed.try_into().map_err(|_| "seed is not 32 bytes".to_owned()),
        _ => Err("not an Ed25519 signer key".to_owned()),
    }
}
