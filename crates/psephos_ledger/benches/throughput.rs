//! Ledger throughput against the machine's raw limits, measured in the same run
//! (`bash bench/ledger.sh`, or `cargo bench -p psephos_ledger --bench throughput -- [RECORDS]`).
//!
//! 1. RECORDS signed form records (default 1,000,000; 12 candidates each, signed by 1,000
//!    device keys of 1,000 stations each) are prepared; signing is not timed.
//! 2. Raw limits: SHA-256 of every entry (the RFC 9162 leaf hash) and Ed25519 verification of
//!    every entry's signature over its prepared message: `verify_strict` one by one on one
//!    thread and on all threads, and the record rule's batches (`psephos_ledger::signature`)
//!    on all threads. The raw limit per record takes the faster.
//! 3. The ledger: `Ledger::append_batch` on every entry (parse, canonical check, schema,
//!    registry and scope, signature, idempotency, leaf hash, tree), then a checkpoint signed
//!    by the log and cosigned by two witnesses.
//! 4. Proofs: inclusion and consistency proofs made and verified at seeded random points.
//!
//! Prints a table and, last, one JSON line with every figure.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use ed25519_dalek::{Signature, VerifyingKey};
use psephos_ledger::signature::SignatureCheck;
use psephos_ledger::{
    Checkpoint, CosignatureSigner, Genesis, KeyRegistry, Ledger, NoteSigner, Record, RecordSigner,
    Role, Scope, Witness, append_signatures, leaf_hash, sign_entry, signing_message,
    verify_consistency, verify_inclusion,
};
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use rayon::prelude::*;
use serde_json::{Value, json};

const STATIONS_PER_DEVICE: usize = 1000;

fn seed(label: &str, i: usize) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(label.as_bytes());
    h.update((i as u64).to_le_bytes());
    h.finalize().into()
}

fn station(i: usize) -> String {
    format!("S{:03}-{:07}", i % 18, i)
}

/// The record of a form, as `psephos` appends it.
fn form(i: usize, rng: &mut ChaCha8Rng) -> Value {
    let votes: serde_json::Map<String, Value> = (0..12)
        .map(|c| (format!("C{:05}", 100 + c), Value::from(rng.random_range(0..60u32))))
        .collect();
    let total: u64 = votes.values().filter_map(Value::as_u64).sum();
    let (blank, invalid) = (rng.random_range(0..8u32), rng.random_range(0..12u32));
    json!({
        "schema": "psephos-record/v1", "kind": "form",
        "station": station(i), "contest": format!("D{:03}", i % 83),
        "phase": "electronic", "version": 1,
        "ballots_found": total + u64::from(blank) + u64::from(invalid),
        "blank": blank, "invalid": invalid, "votes": votes,
    })
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let threads = rayon::current_num_threads();
    eprintln!("preparing {n} signed records on {threads} threads ...");

    // Keys: 5 commissioners (k = 3), a log, 2 witnesses, one device per 1,000 stations.
    let commissioners: Vec<RecordSigner> = (0..5)
        .map(|i| RecordSigner::from_seed(&format!("commissioner-{i}"), &seed("c", i)).expect("key"))
        .collect();
    let devices_n = n.div_ceil(STATIONS_PER_DEVICE).max(1);
    let devices: Vec<RecordSigner> = (0..devices_n)
        .into_par_iter()
        .map(|d| RecordSigner::from_seed(&format!("device-{d}"), &seed("d", d)).expect("key"))
        .collect();
    let mut csv = String::from(psephos_ledger::KEYS_HEADER);
    csv.push('\n');
    for c in &commissioners {
        let k = c.registry_key(Role::Commissioner, Scope::none());
        csv.push_str(&format!(
            "{},commissioner,{},\n",
            k.name,
            psephos_ledger::encode_public_key(&k.public_key)
        ));
    }
    for (d, key) in devices.iter().enumerate() {
        let ids: Vec<String> = (d * STATIONS_PER_DEVICE..((d + 1) * STATIONS_PER_DEVICE).min(n))
            .map(station)
            .collect();
        csv.push_str(&format!(
            "{},device,{},{}\n",
            key.name(),
            psephos_ledger::encode_public_key(&key.public_key()),
            ids.join(" ")
        ));
    }
    let (registry, diags) = KeyRegistry::parse("bench-keys.csv", &csv);
    assert!(diags.is_empty(), "{diags:?}");

    let origin = "bench.psephos.org/ledger";
    let genesis = Record::Genesis(Genesis {
        origin: origin.to_owned(),
        election: "bench".to_owned(),
        package: [("election.toml".to_owned(), "0".repeat(64))].into_iter().collect(),
        corrections_quorum: 3,
        witness_quorum: 2,
    })
    .to_value();
    let quorum: Vec<&RecordSigner> = commissioners.iter().take(3).collect();
    let mut entries = vec![sign_entry(&genesis, &quorum).expect("genesis")];
    let forms: Vec<Vec<u8>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(i as u64);
            sign_entry(&form(i, &mut rng), &[&devices[i / STATIONS_PER_DEVICE]]).expect("sign")
        })
        .collect();
    entries.extend(forms);
    let bytes: usize = entries.iter().map(Vec::len).sum();
    println!(
        "records: {} ({} MB, mean {:.0} bytes per entry)",
        entries.len(),
        bytes / 1_000_000,
        bytes as f64 / entries.len() as f64
    );

    // The raw limits: what every record needs at the least, one leaf hash and one verification.
    // Messages and keys are prepared outside the timing.
    let prepared: Vec<(VerifyingKey, Vec<u8>, Signature)> = entries[1..]
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let v: Value = serde_json::from_slice(e).expect("entry");
            let jcs = psephos_ledger::canonicalize(&v["record"]);
            let sig = psephos_ledger::canonical::parse(e)
                .ok()
                .and_then(|v| v["signatures"][0]["sig"].as_str().map(str::to_owned))
                .expect("sig");
            let raw = b64(&sig);
            let key = VerifyingKey::from_bytes(&devices[i / STATIONS_PER_DEVICE].public_key())
                .expect("key");
            (key, signing_message(&jcs), Signature::from_bytes(&raw))
        })
        .collect();
    let t = Instant::now();
    let mut acc = 0u8;
    for e in &entries {
        acc ^= leaf_hash(e)[0];
    }
    let sha_1 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let acc2 = entries.par_iter().map(|e| leaf_hash(e)[0]).reduce(|| 0, |a, b| a ^ b);
    let sha_n = t.elapsed().as_secs_f64();
    assert_eq!(acc, acc2);
    let t = Instant::now();
    let ok =
        prepared.iter().take(100_000).filter(|(k, m, s)| k.verify_strict(m, s).is_ok()).count();
    let ed_1 = t.elapsed().as_secs_f64() * prepared.len() as f64 / ok.max(1) as f64;
    let t = Instant::now();
    let ok_n = prepared.par_iter().filter(|(k, m, s)| k.verify_strict(m, s).is_ok()).count();
    let ed_n = t.elapsed().as_secs_f64();
    assert_eq!(ok_n, prepared.len(), "every signature verifies");
    // The record rule (psephos_ledger::signature): cofactored, in batches.
    let sig_bytes: Vec<[u8; 64]> = prepared.iter().map(|(_, _, s)| s.to_bytes()).collect();
    let checks: Vec<SignatureCheck<'_>> = prepared
        .iter()
        .zip(&sig_bytes)
        .map(|((k, m, _), s)| SignatureCheck { key: k, prefix: b"", message: m, signature: s })
        .collect();
    let t = Instant::now();
    let ok_b = psephos_ledger::signature::verify_all(&checks).iter().filter(|&&ok| ok).count();
    let ed_b = t.elapsed().as_secs_f64();
    assert_eq!(ok_b, prepared.len(), "every signature verifies in batches");
    let raw_n = entries.len() as f64 / (ed_n.min(ed_b) + sha_n);
    println!(
        "raw SHA-256 (leaf hash of every entry): 1 thread {:.0} MB/s = {:.0} entries/s; {threads} threads {:.0} entries/s",
        bytes as f64 / sha_1 / 1e6,
        rate(entries.len(), sha_1),
        rate(entries.len(), sha_n)
    );
    println!(
        "raw Ed25519 verify_strict: 1 thread {:.0}/s; {threads} threads {:.0}/s",
        rate(prepared.len(), ed_1),
        rate(prepared.len(), ed_n)
    );
    println!(
        "raw Ed25519 batches of {}, cofactored (the record rule), {threads} threads: {:.0}/s",
        psephos_ledger::signature::BATCH,
        rate(prepared.len(), ed_b)
    );
    println!(
        "raw limit per record (one verification + one leaf hash, {threads} threads): {raw_n:.0} records/s"
    );

    // The ledger.
    let t = Instant::now();
    let mut ledger = Ledger::new(&registry, origin).expect("ledger");
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut added = 0usize;
    for chunk in entries.chunks(65_536) {
        added += ledger.append_batch(chunk).iter().filter(|r| r.is_ok()).count();
    }
    let append = t.elapsed().as_secs_f64();
    assert_eq!(added, entries.len(), "every record is accepted");
    let log = NoteSigner::from_seed(origin, &seed("log", 0)).expect("log key");
    let witnesses: Vec<CosignatureSigner> = (0..2)
        .map(|i| {
            CosignatureSigner::from_seed(&format!("witness-{i}"), &seed("w", i)).expect("witness")
        })
        .collect();
    let t = Instant::now();
    let mut note = Checkpoint::new(origin, ledger.head()).sign(&[&log]).expect("checkpoint");
    for (i, w) in witnesses.iter().enumerate() {
        let mut witness = Witness::new(w.name(), &seed("w", i), origin, vec![log.verifier()], None)
            .expect("witness");
        let line =
            witness.add_checkpoint_from_tree(ledger.tree(), &note, 1_700_000_000).expect("cosign");
        note = append_signatures(&note, &[line]).expect("append");
    }
    let checkpoint = t.elapsed().as_secs_f64();
    let records_per_s = rate(entries.len(), append);
    println!(
        "ledger append_batch: {} records in {append:.2} s = {records_per_s:.0} records/s ({:.2} of the raw limit, {:.2} of raw Ed25519 alone); registry of {} keys loaded in {:.3} s",
        entries.len(),
        records_per_s / raw_n,
        records_per_s / rate(prepared.len(), ed_n.min(ed_b)),
        registry.keys().len(),
        setup
    );
    println!("checkpoint signed and cosigned by 2 witnesses: {:.1} ms", checkpoint * 1e3);

    // Proofs.
    let tree = ledger.tree();
    let size = tree.len();
    let head = ledger.head();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let points: Vec<u64> = (0..10_000).map(|_| rng.random_range(0..size)).collect();
    let t = Instant::now();
    let proofs: Vec<Vec<[u8; 32]>> =
        points.iter().map(|&i| tree.inclusion_proof(i, size).expect("proof")).collect();
    let incl_make = t.elapsed().as_secs_f64() / points.len() as f64;
    let t = Instant::now();
    for (&i, p) in points.iter().zip(&proofs) {
        verify_inclusion(i, size, tree.leaf(i).expect("leaf"), p, &head.root).expect("verifies");
    }
    let incl_check = t.elapsed().as_secs_f64() / points.len() as f64;
    let olds: Vec<u64> = points.iter().map(|&i| i.max(1)).collect();
    let t = Instant::now();
    let cproofs: Vec<Vec<[u8; 32]>> =
        olds.iter().map(|&m| tree.consistency_proof(m, size).expect("proof")).collect();
    let cons_make = t.elapsed().as_secs_f64() / olds.len() as f64;
    let roots: Vec<[u8; 32]> = olds.iter().map(|&m| tree.head_at(m).expect("head").root).collect();
    let t = Instant::now();
    for ((&m, p), r) in olds.iter().zip(&cproofs).zip(&roots) {
        verify_consistency(m, size, p, r, &head.root).expect("consistent");
    }
    let cons_check = t.elapsed().as_secs_f64() / olds.len() as f64;
    println!(
        "proofs at {} random points of a {size}-leaf tree: inclusion made {:.2} µs, verified {:.2} µs; consistency made {:.2} µs, verified {:.2} µs",
        points.len(),
        incl_make * 1e6,
        incl_check * 1e6,
        cons_make * 1e6,
        cons_check * 1e6
    );
    println!(
        "{}",
        json!({
            "records": entries.len(), "threads": threads, "bytes": bytes,
            "raw_sha256_entries_per_s_1": rate(entries.len(), sha_1),
            "raw_sha256_entries_per_s_all": rate(entries.len(), sha_n),
            "raw_ed25519_per_s_1": rate(prepared.len(), ed_1),
            "raw_ed25519_per_s_all": rate(prepared.len(), ed_n),
            "raw_ed25519_batch_per_s_all": rate(prepared.len(), ed_b),
            "raw_limit_records_per_s": raw_n,
            "ledger_records_per_s": records_per_s,
            "ratio_to_raw_limit": records_per_s / raw_n,
            "checkpoint_ms": checkpoint * 1e3,
            "inclusion_make_us": incl_make * 1e6, "inclusion_verify_us": incl_check * 1e6,
            "consistency_make_us": cons_make * 1e6, "consistency_verify_us": cons_check * 1e6,
        })
    );
}

/// Standard base64 decoding of a 64-byte signature (the bench's own: the crate keeps its
/// codec private).
fn b64(s: &str) -> [u8; 64] {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::with_capacity(64);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = A.iter().position(|&a| a == c).expect("base64") as u32;
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out.try_into().expect("64 bytes")
}
