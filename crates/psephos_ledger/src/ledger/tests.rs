//! The ledger's rules, one rejection at a time; key timelines; correction quorums; the batch
//! path against one-by-one appends; the audit of a published log.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::canonical::{self, JsonError};
use crate::record::{FormRecord, Genesis, MAX_ENTRY_LEN, RecordError, RecordSigner, sign_entry};
use crate::registry::{KeyRegistry, Role, Scope};
use crate::{Hash, hash_hex};

const ORIGIN: &str = "results.example.org/2025";

fn signer(name: &str) -> RecordSigner {
    let seed: [u8; 32] = Sha256::digest(name.as_bytes()).into();
    RecordSigner::from_seed(name, &seed).unwrap()
}

fn registry() -> KeyRegistry {
    let mut r = KeyRegistry::new();
    for (name, role, stations) in [
        ("log", Role::Log, Scope::none()),
        ("com-1", Role::Commissioner, Scope::none()),
        ("com-2", Role::Commissioner, Scope::none()),
        ("com-3", Role::Commissioner, Scope::none()),
        ("dev-1", Role::Device, Scope::Stations(vec!["S-1".into()])),
        ("dev-2", Role::Device, Scope::Stations(vec!["S-2".into()])),
        ("op-1", Role::Operator, Scope::All),
        ("wit-1", Role::Witness, Scope::none()),
    ] {
        r.add(signer(name).registry_key(role, stations)).unwrap();
    }
    r
}

fn sign(record: &Value, names: &[&str]) -> Vec<u8> {
    let signers: Vec<RecordSigner> = names.iter().map(|n| signer(n)).collect();
    let refs: Vec<&RecordSigner> = signers.iter().collect();
    sign_entry(record, &refs).unwrap()
}

/// Signs a record without checking it against the schema (to make entries the ledger refuses).
fn sign_raw(record: &Value, names: &[&str]) -> Vec<u8> {
    let jcs = canonical::canonicalize(record);
    let sigs: Vec<(&str, [u8; 64])> = names.iter().map(|n| (*n, signer(n).sign(&jcs))).collect();
    crate::record::assemble_entry(&jcs, &sigs)
}

fn genesis_record(k: u32) -> Value {
    let mut package = BTreeMap::new();
    package.insert("election.toml".to_owned(), hash_hex(&[7; 32]));
    package.insert("keys.csv".to_owned(), hash_hex(&[8; 32]));
    Record::Genesis(Genesis {
        origin: ORIGIN.to_owned(),
        election: "test-2025".to_owned(),
        package,
        corrections_quorum: k,
        witness_quorum: 1,
    })
    .to_value()
}

fn form(station: &str, version: u32, a: u32) -> Value {
    json!({
        "schema": "psephos-record/v1", "kind": "form",
        "station": station, "contest": "C-1", "phase": "electronic", "version": version,
        "ballots_found": 100, "blank": 1, "invalid": 2, "votes": {"A": a, "B": 97 - a},
    })
}

fn correction(station: &str, version: u32, a: u32, index: u64, leaf: &Hash) -> Value {
    let mut v = form(station, version, a);
    v["kind"] = json!("correction");
    v["phase"] = json!("correction");
    v["reason"] = json!("transcription error found on review");
    v["supersedes"] = json!({"index": index, "leaf_hash": hash_hex(leaf)});
    v
}

fn key_record(action: &str, name: &str, role: Role, stations: &[&str]) -> Value {
    let mut v =
        json!({"schema": "psephos-record/v1", "kind": "key", "action": action, "name": name});
    if action != "revoke" {
        v["role"] = json!(role.as_str());
        v["public_key"] = json!(crate::encode_public_key(&signer(name).public_key()));
        v["stations"] = json!(stations);
    }
    v
}

/// Rewrites an entry (keeping its signatures) and returns its canonical bytes.
fn tamper(entry: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = canonical::parse(entry).unwrap();
    f(&mut v);
    canonical::canonicalize(&v)
}

/// A ledger with its genesis (k = 2) at leaf 0.
fn ledger() -> Ledger {
    let mut l = Ledger::new(&registry(), ORIGIN).unwrap();
    let g = l.append(&sign(&genesis_record(2), &["com-1", "com-2"])).unwrap();
    assert!(matches!(g, Appended::Added { index: 0, .. }));
    l
}

fn added(r: Result<Appended, Rejection>) -> (u64, Hash) {
    match r {
        Ok(Appended::Added { index, leaf_hash }) => (index, leaf_hash),
        other => panic!("not added: {other:?}"),
    }
}

fn refused(l: &mut Ledger, entry: &[u8]) -> Rejection {
    let before = l.head();
    let keys = l.keys();
    let r = l.append(entry).expect_err("accepted");
    assert_eq!(l.head(), before, "a rejected entry changed the tree");
    assert_eq!(l.keys(), keys, "a rejected entry changed the keys");
    r
}

#[test]
fn a_day_of_the_ledger() {
    let mut l = ledger();
    let f1 = sign(&form("S-1", 1, 50), &["dev-1"]);
    let (i1, h1) = added(l.append(&f1));
    assert_eq!(i1, 1);
    assert_eq!(h1, crate::leaf_hash(&f1));
    // The same form again, even signed by another key: a duplicate, not appended.
    assert_eq!(l.append(&f1), Ok(Appended::Duplicate { existing: 1 }));
    assert_eq!(
        l.append(&sign(&form("S-1", 1, 50), &["op-1"])),
        Ok(Appended::Duplicate { existing: 1 })
    );
    assert_eq!(l.len(), 2);
    // A device and an operator together.
    added(l.append(&sign(&form("S-2", 1, 40), &["dev-2", "op-1"])));
    // A new version is a new form.
    added(l.append(&sign(&form("S-1", 2, 51), &["dev-1"])));
    // A correction approved by 2 of 3 commissioners.
    let c = sign(&correction("S-1", 1, 49, i1, &h1), &["com-2", "com-3"]);
    let (ic, _) = added(l.append(&c));
    assert_eq!(ic, 4);
    // Results covering everything so far.
    let result = json!({"schema": "psephos-record/v1", "kind": "result", "covers": 5,
        "files": {"totals.json": hash_hex(&[1; 32])}});
    added(l.append(&sign(&result, &["com-1"])));
    assert_eq!(l.len(), 6);
    assert_eq!(l.genesis().unwrap().1.corrections_quorum, 2);
    // The tree is the RFC 9162 tree of the accepted entries.
    let published = [
        sign(&genesis_record(2), &["com-1", "com-2"]),
        f1.clone(),
        sign(&form("S-2", 1, 40), &["dev-2", "op-1"]),
        sign(&form("S-1", 2, 51), &["dev-1"]),
        c,
        sign(&result, &["com-1"]),
    ];
    let audit = Ledger::audit(&registry(), ORIGIN, &published).unwrap();
    assert!(audit.is_clean(), "{:?}", audit.problems);
    assert_eq!(audit.tree.head(), l.head());
    assert_eq!(audit.accepted, 6);
    assert_eq!(audit.results.len(), 1);
    let phases: Vec<String> =
        audit.forms.iter().map(|f| f.form()["phase"].as_str().unwrap().to_owned()).collect();
    assert_eq!(phases, ["electronic", "electronic", "electronic", "correction"]);
    assert_eq!(audit.forms[3].index, 4);
    assert_eq!(audit.forms[3].form()["votes"], json!({"A": 49, "B": 48}));
    assert_eq!(audit.form_values().len(), 4);
}

#[test]
fn size_json_and_schema_rejections() {
    let mut l = ledger();
    let big = vec![b' '; MAX_ENTRY_LEN + 1];
    assert_eq!(refused(&mut l, &big), Rejection::TooLarge { len: MAX_ENTRY_LEN + 1 });

    let entry = sign(&form("S-1", 1, 50), &["dev-1"]);
    let pretty = serde_json::to_vec_pretty(&canonical::parse(&entry).unwrap()).unwrap();
    assert!(matches!(
        refused(&mut l, &pretty),
        Rejection::Json(JsonError::NotCanonical { offset: 1, .. })
    ));
    let text = String::from_utf8(entry.clone()).unwrap();
    let dup = text.replacen("\"blank\":1,", "\"blank\":1,\"blank\":1,", 1);
    assert!(matches!(
        refused(&mut l, dup.as_bytes()),
        Rejection::Json(JsonError::DuplicateKey { .. })
    ));

    type Edit = Box<dyn Fn(&mut Value)>;
    let schema_cases: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["record"]["schema"] = json!("psephos-record/v2")), "schema"),
        (Box::new(|v| v["record"]["kind"] = json!("tally")), "kind"),
        (Box::new(|v| v["record"]["colour"] = json!("red")), "colour"),
        (Box::new(|v| v["extra"] = json!(1)), "extra"),
        (
            Box::new(|v| {
                v["record"].as_object_mut().unwrap().remove("blank");
            }),
            "blank",
        ),
        (Box::new(|v| v["record"]["phase"] = json!("correction")), "phase"),
        (Box::new(|v| v["record"]["phase"] = json!("exit-poll")), "phase"),
        (Box::new(|v| v["record"]["version"] = json!(0)), "version"),
        (Box::new(|v| v["record"]["version"] = json!("1")), "version"),
        (Box::new(|v| v["record"]["blank"] = json!(1.5)), "blank"),
        (Box::new(|v| v["record"]["blank"] = json!(-1)), "blank"),
        (Box::new(|v| v["record"]["blank"] = json!(4_294_967_296u64)), "blank"),
        (Box::new(|v| v["record"]["votes"]["A"] = json!(null)), "votes.A"),
        (Box::new(|v| v["record"]["votes"] = json!([1, 2])), "votes"),
        (Box::new(|v| v["record"]["station"] = json!("")), "station"),
        (Box::new(|v| v["record"]["images"] = json!([])), "images"),
        (
            Box::new(|v| {
                v["record"]["images"] = json!([{"sha256": "00", "media_type": "image/png"}])
            }),
            "images[0]",
        ),
        (Box::new(|v| v["signatures"][0]["sig"] = json!("AAAA")), "signatures[0]"),
        (Box::new(|v| v["signatures"][0]["key"] = json!("dev 1")), "signatures[0]"),
        (Box::new(|v| v["signatures"] = json!({})), "signatures"),
    ];
    for (f, field) in schema_cases {
        let bad = tamper(&entry, f);
        match refused(&mut l, &bad) {
            Rejection::Schema { field: got, .. } => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    // Images, when well-formed, are part of the record.
    let mut with_images = form("S-1", 1, 50);
    with_images["images"] = json!([{"sha256": hash_hex(&[3; 32]), "media_type": "image/jpeg"}]);
    added(l.append(&sign(&with_images, &["dev-1"])));

    let unsigned = tamper(&entry, |v| v["signatures"] = json!([]));
    assert_eq!(refused(&mut l, &unsigned), Rejection::Unsigned);
}

#[test]
fn genesis_rules() {
    let mut l = Ledger::new(&registry(), ORIGIN).unwrap();
    let f = sign(&form("S-1", 1, 50), &["dev-1"]);
    assert_eq!(refused(&mut l, &f), Rejection::NoGenesis);
    let mut other = genesis_record(2);
    other["origin"] = json!("elsewhere.example/log");
    assert_eq!(
        refused(&mut l, &sign(&other, &["com-1", "com-2"])),
        Rejection::WrongOrigin { got: "elsewhere.example/log".into(), want: ORIGIN.into() }
    );
    // The genesis needs its own k commissioners.
    assert_eq!(
        refused(&mut l, &sign(&genesis_record(2), &["com-1"])),
        Rejection::NoQuorum { kind: RecordKind::Genesis, have: 1, need: 2 }
    );
    assert!(matches!(
        refused(&mut l, &sign(&genesis_record(1), &["dev-1"])),
        Rejection::WrongRole { role: Role::Device, kind: RecordKind::Genesis, .. }
    ));
    added(l.append(&sign(&genesis_record(2), &["com-1", "com-2"])));
    assert_eq!(
        refused(&mut l, &sign(&genesis_record(2), &["com-1", "com-3"])),
        Rejection::SecondGenesis { existing: 0 }
    );
    // Even the identical genesis is refused, not a duplicate.
    assert_eq!(
        refused(&mut l, &sign(&genesis_record(2), &["com-1", "com-2"])),
        Rejection::SecondGenesis { existing: 0 }
    );
    assert!(matches!(Ledger::new(&registry(), "bad\norigin"), Err(LedgerError::InvalidOrigin(_))));
}

#[test]
fn signature_rejections() {
    let mut l = ledger();
    let f = form("S-1", 1, 50);
    assert_eq!(
        refused(
            &mut l,
            &tamper(&sign(&f, &["dev-1"]), |v| {
                let s = v["signatures"][0].clone();
                v["signatures"] = json!([s.clone(), s]);
            })
        ),
        Rejection::RepeatedSigner { key: "dev-1".into() }
    );
    assert_eq!(
        refused(&mut l, &sign(&f, &["stranger"])),
        Rejection::UnknownKey { key: "stranger".into() }
    );
    // A changed count under the original signature.
    let changed = tamper(&sign(&f, &["dev-1"]), |v| v["record"]["votes"]["A"] = json!(60));
    assert_eq!(refused(&mut l, &changed), Rejection::BadSignature { key: "dev-1".into() });
    // Another key's signature under dev-1's name.
    let swapped = tamper(&sign(&f, &["dev-2"]), |v| v["signatures"][0]["key"] = json!("dev-1"));
    assert_eq!(refused(&mut l, &swapped), Rejection::BadSignature { key: "dev-1".into() });
    // Roles.
    assert!(matches!(
        refused(&mut l, &sign(&f, &["com-1"])),
        Rejection::WrongRole { role: Role::Commissioner, kind: RecordKind::Form, .. }
    ));
    assert!(matches!(
        refused(&mut l, &sign(&f, &["dev-1", "wit-1"])),
        Rejection::WrongRole { role: Role::Witness, .. }
    ));
    // Scope.
    assert_eq!(
        refused(&mut l, &sign(&form("S-2", 1, 50), &["dev-1"])),
        Rejection::OutOfScope { key: "dev-1".into(), station: "S-2".into() }
    );
    assert_eq!(
        refused(&mut l, &sign(&form("S-2", 1, 50), &["op-1", "dev-1"])),
        Rejection::OutOfScope { key: "dev-1".into(), station: "S-2".into() }
    );
    // Nothing of the above counts: the form is still new.
    added(l.append(&sign(&f, &["dev-1"])));
}

#[test]
fn idempotency_and_conflicts() {
    let mut l = ledger();
    // A refused form does not claim its identity.
    let bad = tamper(&sign(&form("S-1", 1, 50), &["dev-1"]), |v| {
        v["record"]["votes"]["A"] = json!(10);
    });
    refused(&mut l, &bad);
    added(l.append(&sign(&form("S-1", 1, 50), &["dev-1"])));
    assert_eq!(
        refused(&mut l, &sign(&form("S-1", 1, 51), &["dev-1"])),
        Rejection::Conflict {
            existing: 1,
            station: "S-1".into(),
            contest: "C-1".into(),
            phase: Phase::Electronic,
            version: 1,
        }
    );
    // Same numbers, another phase or contest: other forms.
    let mut manual = form("S-1", 1, 50);
    manual["phase"] = json!("manual");
    added(l.append(&sign(&manual, &["op-1"])));
    let mut other_contest = form("S-1", 1, 50);
    other_contest["contest"] = json!("C-2");
    added(l.append(&sign(&other_contest, &["op-1"])));
    assert_eq!(l.append(&sign(&manual, &["op-1"])), Ok(Appended::Duplicate { existing: 2 }));
}

#[test]
fn corrections_need_a_target_and_a_quorum() {
    let mut l = ledger();
    let (i1, h1) = added(l.append(&sign(&form("S-1", 1, 50), &["dev-1"])));
    let (i2, h2) = added(l.append(&sign(&form("S-2", 1, 50), &["dev-2"])));
    let c = |target: u64, leaf: &Hash| correction("S-1", 1, 49, target, leaf);
    let bad = |r: Rejection| match r {
        Rejection::BadSupersedes { message, .. } => message,
        other => panic!("{other:?}"),
    };
    assert!(
        bad(refused(&mut l, &sign(&c(0, &h1), &["com-1", "com-2"])))
            .contains("not an accepted form")
    );
    assert!(
        bad(refused(&mut l, &sign(&c(i2, &h2), &["com-1", "com-2"]))).contains("another station")
    );
    assert!(bad(refused(&mut l, &sign(&c(i1, &h2), &["com-1", "com-2"]))).contains("leaf hash"));
    assert!(
        bad(refused(&mut l, &sign(&c(9, &h1), &["com-1", "com-2"]))).contains("does not precede")
    );
    assert!(matches!(
        refused(&mut l, &sign(&c(i1, &h1), &["dev-1"])),
        Rejection::WrongRole { kind: RecordKind::Correction, .. }
    ));
    let mut missing_reason = c(i1, &h1);
    missing_reason.as_object_mut().unwrap().remove("reason");
    assert!(matches!(
        refused(&mut l, &sign_raw(&missing_reason, &["com-1", "com-2"])),
        Rejection::Schema { field, .. } if field == "reason"
    ));
    let mut electronic = c(i1, &h1);
    electronic["phase"] = json!("electronic");
    assert!(matches!(
        refused(&mut l, &sign_raw(&electronic, &["com-1", "com-2"])),
        Rejection::Schema { field, .. } if field == "phase"
    ));
    let (ic, hc) = added(l.append(&sign(&c(i1, &h1), &["com-1", "com-2"])));
    // A correction of the correction.
    added(l.append(&sign(&correction("S-1", 2, 48, ic, &hc), &["com-1", "com-3"])));
}

#[test]
fn correction_quorum_is_k_of_n() {
    for k in 1..=3u32 {
        let mut l = Ledger::new(&registry(), ORIGIN).unwrap();
        let all = ["com-1", "com-2", "com-3"];
        added(l.append(&sign(&genesis_record(k), &all[..k as usize])));
        let (i1, h1) = added(l.append(&sign(&form("S-1", 1, 50), &["dev-1"])));
        let c = correction("S-1", 1, 49, i1, &h1);
        let few = &all[..k as usize - 1];
        if !few.is_empty() {
            assert_eq!(
                refused(&mut l, &sign(&c, few)),
                Rejection::NoQuorum { kind: RecordKind::Correction, have: k - 1, need: k }
            );
            // The same key twice counts once: refused outright.
            let twice = tamper(&sign(&c, few), |v| {
                let s = v["signatures"][0].clone();
                v["signatures"].as_array_mut().unwrap().push(s);
            });
            assert!(matches!(refused(&mut l, &twice), Rejection::RepeatedSigner { .. }));
        }
        // A device's signature does not help a quorum: it is refused.
        let mut with_device = few.to_vec();
        with_device.push("dev-1");
        assert!(matches!(
            refused(&mut l, &sign(&c, &with_device)),
            Rejection::WrongRole { role: Role::Device, .. }
        ));
        added(l.append(&sign(&c, &all[..k as usize])));
        // More than k is fine too.
        let c2 = correction("S-1", 2, 48, i1, &h1);
        added(l.append(&sign(&c2, &all)));
    }
}

#[test]
fn key_rotation_and_revocation_timeline() {
    let mut l = ledger();
    // Leaf 1: dev-3 added for S-3, by two commissioners.
    let add = key_record("add", "dev-3", Role::Device, &["S-3"]);
    assert_eq!(
        refused(&mut l, &sign(&add, &["com-1"])),
        Rejection::NoQuorum { kind: RecordKind::Key, have: 1, need: 2 }
    );
    // The new key cannot sign its own addition: it is not known yet.
    assert_eq!(
        refused(&mut l, &sign(&add, &["com-1", "com-2", "dev-3"])),
        Rejection::UnknownKey { key: "dev-3".into() }
    );
    assert_eq!(added(l.append(&sign(&add, &["com-1", "com-2"]))).0, 1);
    // Leaf 2: dev-3 signs a form of S-3.
    added(l.append(&sign(&form("S-3", 1, 50), &["dev-3"])));
    // Leaf 3: dev-3 rotated to dev-4 (the old key may sign nothing of commissioners).
    let rotate = {
        let mut v = key_record("rotate", "dev-4", Role::Device, &["S-3"]);
        v["replaces"] = json!("dev-3");
        v
    };
    assert_eq!(added(l.append(&sign(&rotate, &["com-2", "com-3"]))).0, 3);
    assert_eq!(
        refused(&mut l, &sign(&form("S-3", 2, 50), &["dev-3"])),
        Rejection::KeyRevoked { key: "dev-3".into(), revoked_at: 3 }
    );
    added(l.append(&sign(&form("S-3", 2, 50), &["dev-4"])));
    // Key changes that cannot be applied.
    let change = |r: Rejection| match r {
        Rejection::KeyChange(m) => m,
        other => panic!("{other:?}"),
    };
    let k = |v: &Value| sign(v, &["com-1", "com-2"]);
    assert!(change(refused(&mut l, &k(&add))).contains("already used"));
    let mut same_pk = key_record("add", "dev-9", Role::Device, &["S-9"]);
    same_pk["public_key"] = json!(crate::encode_public_key(&signer("dev-1").public_key()));
    assert!(change(refused(&mut l, &k(&same_pk))).contains("already registered as dev-1"));
    assert!(
        change(refused(&mut l, &k(&key_record("revoke", "nobody", Role::Log, &[]))))
            .contains("not registered")
    );
    assert!(
        change(refused(&mut l, &k(&key_record("revoke", "dev-3", Role::Log, &[]))))
            .contains("already revoked")
    );
    let mut wrong_role = key_record("rotate", "com-9", Role::Commissioner, &[]);
    wrong_role["replaces"] = json!("dev-4");
    assert!(change(refused(&mut l, &k(&wrong_role))).contains("device key"));
    // Scope rules hold in key records as in keys.csv.
    assert!(matches!(
        refused(&mut l, &sign_raw(&key_record("add", "dev-8", Role::Device, &[]), &["com-1", "com-2"])),
        Rejection::Schema { field, .. } if field == "stations"
    ));
    // A fourth commissioner, then com-3 revokes itself: valid at its own revocation...
    added(l.append(&k(&key_record("add", "com-4", Role::Commissioner, &[]))));
    let revoke_com3 = key_record("revoke", "com-3", Role::Commissioner, &[]);
    let (at, _) = added(l.append(&sign(&revoke_com3, &["com-3", "com-4"])));
    // ...and signs nothing after it.
    let result = json!({"schema": "psephos-record/v1", "kind": "result", "covers": 1,
        "files": {"totals.json": hash_hex(&[1; 32])}});
    assert_eq!(
        refused(&mut l, &sign(&result, &["com-3"])),
        Rejection::KeyRevoked { key: "com-3".into(), revoked_at: at }
    );
    added(l.append(&sign(&result, &["com-4"])));
    // Three commissioners are left and k = 2: one more may go, not two.
    added(l.append(&k(&key_record("revoke", "com-4", Role::Commissioner, &[]))));
    assert!(
        change(refused(&mut l, &k(&key_record("revoke", "com-2", Role::Commissioner, &[]))))
            .contains("fewer commissioners")
    );
    // Result records cover at most the log before them.
    let too_far = json!({"schema": "psephos-record/v1", "kind": "result", "covers": 99,
        "files": {"totals.json": hash_hex(&[1; 32])}});
    assert_eq!(
        refused(&mut l, &sign(&too_far, &["com-1"])),
        Rejection::BadCovers { covers: 99, size: l.len() }
    );
    let status = l.keys();
    let dev3 = status.iter().find(|s| s.key.name == "dev-3").unwrap();
    assert_eq!((dev3.added_at, dev3.revoked_at), (Some(1), Some(3)));
    let dev4 = status.iter().find(|s| s.key.name == "dev-4").unwrap();
    assert_eq!((dev4.added_at, dev4.revoked_at), (Some(3), None));
}

#[test]
fn audit_lists_every_problem_and_hashes_every_entry() {
    let g = sign(&genesis_record(2), &["com-1", "com-2"]);
    let f1 = sign(&form("S-1", 1, 50), &["dev-1"]);
    let h1 = crate::leaf_hash(&f1);
    let entries: Vec<Vec<u8>> = vec![
        g,                                                                                  // 0 ok
        f1.clone(),                                                                         // 1 ok
        serde_json::to_vec_pretty(&canonical::parse(&f1).unwrap()).unwrap(), // 2 not canonical
        tamper(&f1, |v| v["signatures"] = json!([])),                        // 3 unsigned
        tamper(&sign(&form("S-2", 1, 5), &["dev-2"]), |v| v["record"]["blank"] = json!(2)), // 4 bad sig
        sign(&form("S-1", 3, 50), &["dev-5"]), // 5 not yet valid
        sign(&key_record("add", "dev-5", Role::Device, &["S-1"]), &["com-1", "com-2"]), // 6 ok
        sign(&form("S-1", 4, 50), &["dev-5"]), // 7 ok
        sign(&form("S-2", 1, 50), &["dev-1"]), // 8 out of scope
        f1.clone(),                            // 9 duplicate
        sign(&form("S-1", 1, 51), &["dev-1"]), // 10 conflict
        sign(&correction("S-1", 1, 49, 1, &h1), &["com-1"]), // 11 no quorum
        sign(&key_record("revoke", "dev-1", Role::Log, &[]), &["com-1", "com-2"]), // 12 ok
        sign(&form("S-1", 2, 50), &["dev-1"]), // 13 revoked
        sign(&form("S-1", 5, 50), &["nobody"]), // 14 unknown key
        sign(&correction("S-1", 1, 49, 1, &h1), &["com-1", "com-3"]), // 15 ok
    ];
    let report = Ledger::audit(&registry(), ORIGIN, &entries).unwrap();
    let got: Vec<(u64, String)> = report
        .problems
        .iter()
        .map(|p| {
            let what = match &p.issue {
                Issue::Duplicate { existing } => format!("duplicate of {existing}"),
                Issue::Rejected(Rejection::Json(JsonError::NotCanonical { .. })) => "json".into(),
                Issue::Rejected(Rejection::Unsigned) => "unsigned".into(),
                Issue::Rejected(Rejection::BadSignature { key }) => format!("bad sig {key}"),
                Issue::Rejected(Rejection::KeyNotYetValid { key, added_at }) => {
                    format!("{key} not yet valid, added at {added_at}")
                }
                Issue::Rejected(Rejection::OutOfScope { key, .. }) => format!("scope {key}"),
                Issue::Rejected(Rejection::Conflict { existing, .. }) => {
                    format!("conflict with {existing}")
                }
                Issue::Rejected(Rejection::NoQuorum { have, need, .. }) => {
                    format!("quorum {have}/{need}")
                }
                Issue::Rejected(Rejection::KeyRevoked { key, revoked_at }) => {
                    format!("{key} revoked at {revoked_at}")
                }
                Issue::Rejected(Rejection::UnknownKey { key }) => format!("unknown {key}"),
                other => format!("{other:?}"),
            };
            (p.index, what)
        })
        .collect();
    let want: Vec<(u64, String)> = [
        (2, "json"),
        (3, "unsigned"),
        (4, "bad sig dev-2"),
        (5, "dev-5 not yet valid, added at 6"),
        (8, "scope dev-1"),
        (9, "duplicate of 1"),
        (10, "conflict with 1"),
        (11, "quorum 1/2"),
        (13, "dev-1 revoked at 12"),
        (14, "unknown nobody"),
    ]
    .into_iter()
    .map(|(i, s)| (i, s.to_owned()))
    .collect();
    assert_eq!(got, want);
    // Stations and contests where known, and a plain message.
    let p4 = &report.problems[2];
    assert_eq!((p4.station.as_deref(), p4.contest.as_deref()), (Some("S-2"), Some("C-1")));
    assert_eq!(
        p4.to_string(),
        "leaf 4 station=S-2 contest=C-1: the signature by key dev-2 does not verify: the record \
         was changed or signed by another key"
    );
    assert_eq!(report.problems[0].station, None);
    assert_eq!(report.accepted, 6);
    // The tree is over every entry as published.
    let all = MerkleTree::from_leaf_hashes(entries.iter().map(|e| crate::leaf_hash(e)));
    assert_eq!(report.tree.head(), all.head());
    let form_leaves: Vec<u64> = report.forms.iter().map(|f| f.index).collect();
    assert_eq!(form_leaves, [1, 7, 15]);
    assert_eq!(report.key_events.len(), 2);
}

#[test]
fn sign_entry_checks_its_input() {
    let a = signer("com-1");
    let b = signer("com-2");
    let g = genesis_record(2);
    assert_eq!(sign_entry(&g, &[]), Err(RecordError::NoSigner));
    assert_eq!(sign_entry(&g, &[&a, &a]), Err(RecordError::RepeatedSigner("com-1".into())));
    assert!(matches!(
        sign_entry(&json!({"schema": "psephos-record/v1", "kind": "form"}), &[&a]),
        Err(RecordError::Invalid(Rejection::Schema { .. }))
    ));
    assert!(matches!(RecordSigner::from_seed("a+b", &[0; 32]), Err(RecordError::InvalidName(_))));
    let mut huge = form("S-1", 1, 50);
    let votes: serde_json::Map<String, Value> =
        (0..5000).map(|i| (format!("candidate-{i:05}"), json!(0))).collect();
    huge["votes"] = Value::Object(votes);
    assert!(matches!(sign_entry(&huge, &[&a]), Err(RecordError::TooLarge { .. })));
    // The entry is canonical, and each signature is Ed25519 over the prefix and the record's
    // canonical bytes (checked with ed25519-dalek directly).
    let entry = sign_entry(&g, &[&a, &b]).unwrap();
    assert_eq!(canonical::check_canonical(&entry), Ok(()));
    let v = canonical::parse(&entry).unwrap();
    let record_jcs = canonical::canonicalize(&v["record"]);
    let mut msg = b"psephos-record/v1\n".to_vec();
    msg.extend_from_slice(&record_jcs);
    for (i, s) in [&a, &b].into_iter().enumerate() {
        assert_eq!(v["signatures"][i]["key"], json!(s.name()));
        let sig = crate::base64::decode(v["signatures"][i]["sig"].as_str().unwrap()).unwrap();
        let key = ed25519_dalek::VerifyingKey::from_bytes(&s.public_key()).unwrap();
        let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
        assert!(key.verify_strict(&msg, &sig).is_ok());
    }
    assert!(entry.starts_with(b"{\"record\":{\"corrections_quorum\":2,\"election\":"));
}

#[test]
fn records_round_trip_through_json() {
    let records = [
        genesis_record(3),
        form("S-1", 7, 30),
        correction("S-1", 1, 1, 4, &[9; 32]),
        key_record("add", "dev-7", Role::Device, &["S-1", "S-2"]),
        key_record("add", "op-7", Role::Operator, &["*"]),
        key_record("revoke", "dev-7", Role::Device, &[]),
        {
            let mut v = key_record("rotate", "dev-8", Role::Device, &["S-1"]);
            v["replaces"] = json!("dev-7");
            v
        },
        json!({"schema": "psephos-record/v1", "kind": "result", "covers": 12,
            "files": {"a.json": hash_hex(&[1; 32]), "b.csv": hash_hex(&[2; 32])}}),
    ];
    for v in records {
        let r = Record::from_value(&v).unwrap();
        assert_eq!(r.to_value(), v);
        assert_eq!(Record::from_value(&r.to_value()).unwrap(), r);
    }
    // A JSON form object of docs/results.md becomes a form record, and back.
    let doc = json!({"station": "N2-0001-01", "contest": "NORTH-2", "phase": "manual",
        "version": 1, "ballots_found": 200, "blank": 4, "invalid": 6,
        "votes": {"B1": 60, "B2": 56, "B3": 54, "M1": 12, "M2": 8}});
    let f = FormRecord::from_form_value(&doc).unwrap();
    assert_eq!(f.form_value(), doc);
    let mut corr = doc.clone();
    corr["phase"] = json!("correction");
    assert!(FormRecord::from_form_value(&corr).is_err());
}

/// Builds entries for the batch property: an operation code per entry.
fn entries_from_ops(ops: &[(u8, u8)]) -> Vec<Vec<u8>> {
    let mut out = vec![sign(&genesis_record(2), &["com-1", "com-2"])];
    let mut leaves: Vec<Hash> = vec![crate::leaf_hash(&out[0])];
    for &(op, x) in ops {
        let station = if x % 2 == 0 { "S-1" } else { "S-2" };
        let dev = if x % 2 == 0 { "dev-1" } else { "dev-2" };
        let v = u32::from(x % 3) + 1;
        let e = match op % 12 {
            0 | 1 => sign(&form(station, v, u32::from(x % 4)), &[dev]),
            2 => sign(&form(station, v, u32::from(x % 4)), &["op-1"]),
            3 => sign(&form(station, v, 40), &["dev-1"]),
            4 => tamper(&sign(&form(station, v, 1), &[dev]), |e| e["record"]["blank"] = json!(9)),
            5 => sign(
                &key_record("add", &format!("dev-x{}", x % 4), Role::Device, &["S-1"]),
                &["com-1", "com-2"],
            ),
            6 => sign(&form("S-1", v + 3, 7), &[&format!("dev-x{}", x % 4)]),
            7 => sign(
                &key_record("revoke", &format!("dev-x{}", x % 4), Role::Device, &[]),
                &["com-2", "com-3"],
            ),
            8 => sign(&key_record("revoke", dev, Role::Device, &[]), &["com-1", "com-3"]),
            9 | 10 => {
                let target = usize::from(x) % leaves.len();
                let approvers: &[&str] =
                    if op % 12 == 9 { &["com-1", "com-3"] } else { &["com-2"] };
                sign(&correction(station, v, 3, target as u64, &leaves[target]), approvers)
            }
            _ => out[usize::from(x) % out.len()].clone(),
        };
        leaves.push(crate::leaf_hash(&e));
        out.push(e);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn append_batch_is_sequential_append(
        ops in prop::collection::vec((any::<u8>(), any::<u8>()), 1..40),
        chunk in 1usize..8,
    ) {
        let entries = entries_from_ops(&ops);
        let mut one = Ledger::new(&registry(), ORIGIN).unwrap();
        let sequential: Vec<_> = entries.iter().map(|e| one.append(e)).collect();
        let mut batch = Ledger::new(&registry(), ORIGIN).unwrap();
        let batched = batch.append_chunked(&entries, chunk);
        prop_assert_eq!(&sequential, &batched);
        let mut whole = Ledger::new(&registry(), ORIGIN).unwrap();
        prop_assert_eq!(&sequential, &whole.append_batch(&entries));
        prop_assert_eq!(one.head(), batch.head());
        prop_assert_eq!(one.keys(), batch.keys());
        // The audit hashes every entry and lists every one it does not accept.
        let report = Ledger::audit(&registry(), ORIGIN, &entries).unwrap();
        prop_assert_eq!(report.tree.len(), entries.len() as u64);
        prop_assert_eq!(report.problems.len() as u64 + report.accepted, entries.len() as u64);
    }
}
