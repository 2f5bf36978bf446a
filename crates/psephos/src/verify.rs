//! `psephos verify BUNDLE`: checks a published bundle from its files alone, and says in plain
//! words what does not hold (`docs/ledger.md`, "What verify checks").

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use psephos_ledger::{
    AuditReport, Checkpoint, CosignatureVerifier, KeyRegistry, Ledger, NoteVerifier, Role,
    SignedNote, TreeHead, WitnessPolicy, leaf_hash,
    tiles::{self, TileKind},
};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::Exit;
use crate::cli::Format;
use crate::ledger::{KEYS_FILE, VerifyArgs, results_from_log};
use crate::output::{hex, sha256_hex, thousands, write_output};

/// One thing that does not hold.
struct Finding {
    /// altered, missing, extra, duplicated, unsigned, wrongly signed, inconsistent, figure,
    /// unreadable.
    kind: &'static str,
    /// The bundle file concerned, if one.
    file: Option<String>,
    message: String,
}

#[derive(Default)]
struct Verdict {
    /// What was checked and held, one line each.
    held: Vec<String>,
    findings: Vec<Finding>,
}

impl Verdict {
    fn find(&mut self, kind: &'static str, file: Option<&str>, message: String) {
        self.findings.push(Finding { kind, file: file.map(str::to_owned), message });
    }
}

fn text_of<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Option<&'a str> {
    files.get(path).and_then(|b| std::str::from_utf8(b).ok())
}

pub(crate) fn verify_command(a: &VerifyArgs, _quiet: bool) -> Exit {
    let files = match crate::ledger::files_under(&a.bundle, &|_| false) {
        Ok(f) => f,
        Err((_, e)) => {
            crate::eprint_lines(&format!(
                "error: cannot read bundle {}: {e}\n",
                a.bundle.display()
            ));
            return Exit::InputErrors;
        }
    };
    let trust = match &a.trust {
        Some(p) => match std::fs::read(p) {
            Ok(b) => Some((p.display().to_string(), b)),
            Err(e) => {
                crate::eprint_lines(&format!("error: {}: {e}\n", p.display()));
                return Exit::InputErrors;
            }
        },
        None => None,
    };
    let verdict = verify_bundle(&a.bundle, &files, trust.as_ref());
    // As for the forms (verify_bundle): the bundle's bytes are not freed piece by piece.
    std::mem::forget(files);
    let ok = verdict.findings.is_empty();
    let text = match a.format {
        Format::Json => {
            let findings: Vec<Value> = verdict
                .findings
                .iter()
                .map(|f| json!({"kind": f.kind, "file": f.file, "message": f.message}))
                .collect();
            json!({"ok": ok, "held": verdict.held, "findings": findings}).to_string() + "\n"
        }
        Format::Csv => {
            let mut s = String::from("kind,file,message\n");
            for f in &verdict.findings {
                s.push_str(&format!(
                    "{},{},\"{}\"\n",
                    f.kind,
                    f.file.as_deref().unwrap_or(""),
                    f.message.replace('"', "\"\"")
                ));
            }
            s
        }
        Format::Table => {
            let mut s = String::new();
            for h in &verdict.held {
                s.push_str(&format!("ok    {h}\n"));
            }
            for f in &verdict.findings {
                match &f.file {
                    Some(file) => s.push_str(&format!("FAIL  {file}: {}: {}\n", f.kind, f.message)),
                    None => s.push_str(&format!("FAIL  {}: {}\n", f.kind, f.message)),
                }
            }
            if ok {
                s.push_str(&format!(
                    "The bundle {} holds: every signature, record, checkpoint and published figure checks out.\n",
                    a.bundle.display()
                ));
            } else {
                s.push_str(&format!(
                    "The bundle {} does NOT hold: {} problem(s) above.\n",
                    a.bundle.display(),
                    verdict.findings.len()
                ));
            }
            s
        }
    };
    if write_output(None, &text).is_err() {
        return Exit::Io;
    }
    if ok { Exit::Ok } else { Exit::InputErrors }
}

/// The manifest: its signed text, the log line and the file digests.
struct Manifest {
    note: SignedNote,
    origin: String,
    head: Option<TreeHead>,
    digests: BTreeMap<String, String>,
}

fn parse_manifest(text: &str) -> Result<Manifest, String> {
    let note = SignedNote::parse(text).map_err(|e| e.to_string())?;
    let mut lines = note.text.lines();
    if lines.next() != Some("psephos-bundle/v1") {
        return Err("its first line is not psephos-bundle/v1".to_owned());
    }
    let log = lines.next().ok_or("it has no log line")?;
    let parts: Vec<&str> = log.split(' ').collect();
    let (origin, head) = match parts.as_slice() {
        ["log", origin, size, root] => {
            let size = size.parse::<u64>().ok();
            let root = decode_hex32(root);
            (origin.to_string(), size.zip(root).map(|(size, root)| TreeHead { size, root }))
        }
        _ => return Err(format!("its log line {log:?} is not `log <origin> <size> <root>`")),
    };
    let mut digests = BTreeMap::new();
    for (i, line) in lines.enumerate() {
        let (digest, path) = line
            .split_once(' ')
            .ok_or_else(|| format!("line {} {line:?} is not `<sha256> <path>`", i + 3))?;
        if digests.insert(path.to_owned(), digest.to_owned()).is_some() {
            return Err(format!("{path} is listed twice"));
        }
    }
    Ok(Manifest { note, origin, head, digests })
}

fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn verify_bundle(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    trust: Option<&(String, Vec<u8>)>,
) -> Verdict {
    let mut v = Verdict::default();
    let timer = crate::pipeline::Timer::start();

    // 1. The key registry: trusted from outside, or the bundle's own.
    let (registry_file, registry_bytes) = match trust {
        Some((name, bytes)) => (name.clone(), Some(bytes.as_slice())),
        None => {
            let p = format!("package/{KEYS_FILE}");
            (p.clone(), files.get(&p).map(Vec::as_slice))
        }
    };
    let Some(registry_bytes) = registry_bytes else {
        v.find(
            "missing",
            Some(&registry_file),
            "the key registry is missing; nothing can be checked without it".to_owned(),
        );
        return v;
    };
    let (registry, diags) =
        KeyRegistry::parse(&registry_file, &String::from_utf8_lossy(registry_bytes));
    for d in diags.iter().filter(|d| d.is_error()) {
        v.find("unreadable", Some(&registry_file), d.to_string());
    }
    if trust.is_none() {
        v.held.push(format!(
            "key registry read from the bundle ({} keys); pass --trust KEYS.csv to anchor the check in keys obtained independently",
            registry.keys().len()
        ));
    }
    let log_keys = role_verifiers(&registry, Role::Log);
    let commissioners = role_verifiers(&registry, Role::Commissioner);

    timer.lap("registry");
    // 2. The manifest: signatures, then every file's digest.
    let manifest = match text_of(files, "MANIFEST").map(parse_manifest) {
        None => {
            v.find(
                "missing",
                Some("MANIFEST"),
                "the signed manifest is missing or not UTF-8".to_owned(),
            );
            None
        }
        Some(Err(m)) => {
            v.find("unreadable", Some("MANIFEST"), format!("the manifest cannot be read: {m}"));
            None
        }
        Some(Ok(m)) => Some(m),
    };
    if let Some(m) = &manifest {
        check_manifest_files(&mut v, m, files);
    }

    timer.lap("manifest digests");
    // 3. The log's latest checkpoint.
    let Some(checkpoint_text) = text_of(files, "log/checkpoint") else {
        v.find("missing", Some("log/checkpoint"), "the log's checkpoint is missing".to_owned());
        return v;
    };
    let (head, origin) = match SignedNote::parse(checkpoint_text)
        .map_err(|e| e.to_string())
        .and_then(|n| Checkpoint::parse(&n.text).map(|c| (n, c)).map_err(|e| e.to_string()))
    {
        Ok((note, cp)) => {
            match note.verify(&log_keys) {
                Ok(_) => v.held.push(format!(
                    "log checkpoint signed by the log key: origin {}, {} entries, root {}",
                    cp.origin,
                    thousands(cp.head.size),
                    hex(&cp.head.root)
                )),
                Err(e) => v.find(
                    "wrongly signed",
                    Some("log/checkpoint"),
                    format!(
                        "the checkpoint is not validly signed by a log key of the registry: {e}"
                    ),
                ),
            }
            (cp.head, cp.origin)
        }
        Err(e) => {
            v.find(
                "unreadable",
                Some("log/checkpoint"),
                format!("the checkpoint cannot be read: {e}"),
            );
            return v;
        }
    };
    if let Some(m) = &manifest
        && (m.origin != origin || m.head != Some(head))
    {
        v.find(
            "inconsistent",
            Some("MANIFEST"),
            format!(
                "the manifest describes log {} of {} entries, the checkpoint {} of {} entries with another root",
                m.origin,
                m.head.map_or(0, |h| h.size),
                origin,
                head.size
            ),
        );
    }

    // 4. The entries, checked record by record against the registry.
    let entries = match crate::ledger::entry_slices(head.size, &|p| {
        files.get(&format!("log/{p}")).map(Vec::as_slice)
    }) {
        Ok(e) => e,
        Err((file, m)) => {
            v.find("altered", Some(&format!("log/{file}")), m);
            return v;
        }
    };
    let report = match Ledger::audit(&registry, &origin, &entries) {
        Ok(r) => r,
        Err(e) => {
            v.find("unreadable", Some(&registry_file), format!("the registry cannot be used: {e}"));
            return v;
        }
    };
    for p in &report.problems {
        let kind = match &p.issue {
            psephos_ledger::Issue::Duplicate { .. } => "duplicated",
            psephos_ledger::Issue::Rejected(r) => rejection_kind(r),
        };
        v.find(kind, Some("log/tile/entries"), p.to_string());
    }
    if report.problems.is_empty() {
        v.held.push(format!(
            "{} log entries: every record canonical, signed by a key valid for it when it was appended, none duplicated or conflicting",
            thousands(entries.len() as u64)
        ));
    }

    timer.lap("audit of the entries");
    // 5. The Merkle root of the entries against the checkpoint, and the served tiles.
    check_tree(&mut v, files, &entries, &report, head);

    timer.lap("tree and tiles");
    // 6. Every checkpoint published: signatures, witnesses, consistency with the log.
    check_history(&mut v, files, &report, &origin, &log_keys, &registry, checkpoint_text);

    timer.lap("checkpoint history");
    // 7. The manifest's signatures (k of the commissioners) and the package against genesis.
    let quorum = report.genesis.as_ref().map_or(1, |(_, g)| g.corrections_quorum.max(1)) as usize;
    if let Some(m) = &manifest {
        check_manifest_signatures(&mut v, m, &commissioners, quorum);
    }
    match &report.genesis {
        Some((_, g)) => check_package(&mut v, files, &g.package),
        None => v.find(
            "missing",
            Some("log/tile/entries"),
            "the log has no genesis record, so nothing ties it to an election package".to_owned(),
        ),
    }

    timer.lap("package");
    // 8. Every published figure recomputed from the log's accepted forms.
    check_results(&mut v, dir, files, &report);
    timer.lap("results recomputed");
    // The process ends with the verdict: freeing tens of thousands of forms one by one would
    // cost a tenth of the run for nothing.
    std::mem::forget(report);
    v
}

fn role_verifiers(registry: &KeyRegistry, role: Role) -> Vec<NoteVerifier> {
    registry
        .keys()
        .iter()
        .filter(|k| k.role == role)
        .filter_map(|k| NoteVerifier::new(&k.name, &k.public_key).ok())
        .collect()
}

fn rejection_kind(r: &psephos_ledger::Rejection) -> &'static str {
    use psephos_ledger::Rejection as R;
    match r {
        R::Unsigned | R::NoQuorum { .. } => "unsigned",
        R::BadSignature { .. }
        | R::UnknownKey { .. }
        | R::KeyRevoked { .. }
        | R::KeyNotYetValid { .. }
        | R::WrongRole { .. }
        | R::OutOfScope { .. }
        | R::RepeatedSigner { .. } => "wrongly signed",
        R::Conflict { .. } => "duplicated",
        _ => "altered",
    }
}

fn check_manifest_files(v: &mut Verdict, m: &Manifest, files: &BTreeMap<String, Vec<u8>>) {
    let mut bad = 0;
    // Every byte of the bundle is hashed here: on all cores.
    let actual: Vec<Option<String>> =
        m.digests.par_iter().map(|(path, _)| files.get(path).map(|b| sha256_hex(b))).collect();
    for ((path, digest), actual) in m.digests.iter().zip(actual) {
        match actual {
            None => {
                bad += 1;
                v.find(
                    "missing",
                    Some(path),
                    "listed in the manifest but not in the bundle".to_owned(),
                );
            }
            Some(actual) if actual != *digest => {
                bad += 1;
                v.find(
                    "altered",
                    Some(path),
                    format!("its SHA-256 is {actual}, the manifest says {digest}"),
                );
            }
            Some(_) => {}
        }
    }
    for path in files.keys().filter(|p| *p != "MANIFEST" && !m.digests.contains_key(*p)) {
        bad += 1;
        v.find("extra", Some(path), "in the bundle but not in the manifest".to_owned());
    }
    if bad == 0 {
        v.held.push(format!("all {} files match the manifest's SHA-256 digests", m.digests.len()));
    }
}

fn check_manifest_signatures(
    v: &mut Verdict,
    m: &Manifest,
    commissioners: &[NoteVerifier],
    quorum: usize,
) {
    let mut valid = BTreeSet::new();
    for sig in &m.note.signatures {
        let Some(key) =
            commissioners.iter().find(|k| k.name() == sig.name && k.key_hash() == sig.key_hash)
        else {
            continue;
        };
        if key.verify(m.note.text.as_bytes(), &sig.signature) {
            valid.insert(sig.name.clone());
        } else {
            v.find(
                "wrongly signed",
                Some("MANIFEST"),
                format!("the signature of commissioner {} does not verify: the manifest was altered after signing", sig.name),
            );
        }
    }
    if valid.len() >= quorum {
        v.held.push(format!(
            "manifest signed by {} commissioner(s) ({}), {quorum} required",
            valid.len(),
            valid.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    } else {
        v.find(
            "unsigned",
            Some("MANIFEST"),
            format!(
                "the manifest carries {} valid commissioner signature(s); {quorum} are required",
                valid.len()
            ),
        );
    }
}

fn check_tree(
    v: &mut Verdict,
    files: &BTreeMap<String, Vec<u8>>,
    entries: &[&[u8]],
    report: &AuditReport,
    head: TreeHead,
) {
    if report.tree.root() == head.root {
        v.held.push(format!(
            "the entries hash to the checkpoint's Merkle root {} (RFC 9162)",
            hex(&head.root)
        ));
    } else {
        // Which entries differ: compare with the leaf hashes the hash tiles serve, if those
        // still give the checkpoint's root.
        let source = |p: &str| files.get(&format!("log/{p}")).cloned();
        let reader = psephos_ledger::TileReader::new(source, head);
        match reader.read_tree() {
            Ok(published) => {
                let by_hash: BTreeMap<[u8; 32], u64> =
                    published.leaves().iter().enumerate().map(|(i, h)| (*h, i as u64)).collect();
                let mut named = 0;
                for (i, e) in entries.iter().enumerate() {
                    let h = leaf_hash(e);
                    if published.leaf(i as u64) == Some(&h) {
                        continue;
                    }
                    named += 1;
                    let message = match by_hash.get(&h) {
                        Some(j) => format!("entry {i} is the record the checkpoint has at leaf {j}: the entries were reordered"),
                        None => format!("entry {i} is not the record the checkpoint committed to: it was altered or replaced"),
                    };
                    v.find("altered", Some("log/tile/entries"), message);
                }
                if named == 0 {
                    v.find("altered", Some("log/tile/entries"), "the entries do not give the checkpoint's root".to_owned());
                }
            }
            Err(e) => v.find(
                "altered",
                None,
                format!("the entries do not hash to the checkpoint's root, and the hash tiles do not give it either: {e}"),
            ),
        }
    }
    // The hash tiles served must be those of the entries (the entry bundles are what the
    // entries were read from).
    let hash_tiles = tiles::tiles_for_size(report.tree.len())
        .into_iter()
        .filter(|t| t.kind() != TileKind::Entries);
    for tile in hash_tiles {
        let Ok(expected) = tiles::tile_bytes(&report.tree, tile) else { continue };
        let path = format!("log/{}", tile.path());
        match files.get(&path) {
            None => {
                v.find("missing", Some(&path), "this hash tile of the log is missing".to_owned())
            }
            Some(b) if *b != expected => v.find(
                "altered",
                Some(&path),
                "this hash tile does not hold the hashes of the log's entries".to_owned(),
            ),
            Some(_) => {}
        }
    }
}

fn check_history(
    v: &mut Verdict,
    files: &BTreeMap<String, Vec<u8>>,
    report: &AuditReport,
    origin: &str,
    log_keys: &[NoteVerifier],
    registry: &KeyRegistry,
    latest: &str,
) {
    let witnesses: Vec<CosignatureVerifier> = registry
        .keys()
        .iter()
        .filter(|k| k.role == Role::Witness)
        .filter_map(|k| CosignatureVerifier::new(&k.name, &k.public_key).ok())
        .collect();
    let quorum = report.genesis.as_ref().map_or(0, |(_, g)| g.witness_quorum as usize);
    let policy = match WitnessPolicy::new(origin, log_keys.to_vec(), witnesses, quorum) {
        Ok(p) => p,
        Err(e) => {
            v.find("unsigned", None, format!("the witness policy cannot be met: {e}"));
            return;
        }
    };
    let history: Vec<(&String, &Vec<u8>)> =
        files.iter().filter(|(p, _)| p.starts_with("checkpoints/")).collect();
    if history.is_empty() {
        v.find("missing", Some("checkpoints"), "no checkpoint history is published".to_owned());
        return;
    }
    let mut parsed = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut all_quorate = true;
    for (path, bytes) in &history {
        let text = String::from_utf8_lossy(bytes);
        match policy.check(&text) {
            Ok(q) => {
                for bad in &q.invalid {
                    v.find(
                        "wrongly signed",
                        Some(path),
                        format!(
                            "the cosignature of witness {} does not verify: {}",
                            bad.witness, bad.error
                        ),
                    );
                }
                if !q.satisfied {
                    all_quorate = false;
                    v.find(
                        "unsigned",
                        Some(path),
                        format!(
                            "{} valid witness cosignature(s), {} required (missing: {})",
                            q.cosigned.len(),
                            q.quorum,
                            q.missing.join(", ")
                        ),
                    );
                }
                parsed.push(q.checkpoint);
                names.push(path.as_str());
            }
            Err(e) => {
                all_quorate = false;
                v.find(
                    "wrongly signed",
                    Some(path),
                    format!("not a checkpoint validly signed by the log: {e}"),
                );
            }
        }
    }
    let h = psephos_ledger::check_history(origin, &parsed, &report.tree);
    // Positions are among the checkpoints read, which follow the file order.
    let name = |i: usize| names.get(i).copied().unwrap_or("?");
    for f in &h.findings {
        use psephos_ledger::HistoryFinding as H;
        let (file, message) = match f {
            H::OriginMismatch { position, origin, expected } => {
                (name(*position), format!("a checkpoint of log {origin:?}, not of {expected:?}"))
            }
            H::BeyondLog { position, size, log_size } => (
                name(*position),
                format!(
                    "commits to {size} entries; the bundle's log holds {log_size}: entries were dropped or never published"
                ),
            ),
            H::Rollback { earlier, later, earlier_size, later_size } => (
                name(*later),
                format!(
                    "rollback: size {later_size}, below the {earlier_size} entries of the earlier {}: checkpoints reordered or swapped",
                    name(*earlier)
                ),
            ),
            H::Fork { earlier, later, size } => (
                name(*later),
                format!(
                    "fork: size {size} with another root than {}: two histories were published",
                    name(*earlier)
                ),
            ),
            H::Inconsistent { earlier, later, error } => {
                (name(*later), format!("not consistent with {}: {error}", name(*earlier)))
            }
            H::DivergesFromLog { position, size, detail } => (
                name(*position),
                format!("size {size} is not a view of the bundle's log: {detail}"),
            ),
            H::ProofUnavailable { earlier, reason, .. } => {
                (name(*earlier), format!("could not be checked: {reason}"))
            }
        };
        v.find("inconsistent", Some(file), message);
    }
    if history.last().map(|(_, b)| b.as_slice()) != Some(latest.as_bytes()) {
        v.find(
            "inconsistent",
            Some("log/checkpoint"),
            "the log's checkpoint is not the last checkpoint of the published history".to_owned(),
        );
    }
    if h.is_clean() && all_quorate {
        v.held.push(format!(
            "{} checkpoint(s) published, each signed by the log and cosigned by at least {quorum} witness(es), each consistent with the log and with the one before",
            history.len()
        ));
    }
}

fn check_package(
    v: &mut Verdict,
    files: &BTreeMap<String, Vec<u8>>,
    committed: &BTreeMap<String, String>,
) {
    let mut bad = 0;
    for (path, digest) in committed {
        let p = format!("package/{path}");
        match files.get(&p) {
            None => {
                bad += 1;
                v.find(
                    "missing",
                    Some(&p),
                    "the genesis record commits to this package file; it is missing".to_owned(),
                );
            }
            Some(b) if sha256_hex(b) != *digest => {
                bad += 1;
                v.find(
                    "altered",
                    Some(&p),
                    "this package file differs from the one the genesis record committed to"
                        .to_owned(),
                );
            }
            Some(_) => {}
        }
    }
    for p in files.keys().filter(|p| p.starts_with("package/")) {
        if !committed.contains_key(&p["package/".len()..]) {
            bad += 1;
            v.find(
                "extra",
                Some(p),
                "this package file was not committed to by the genesis record".to_owned(),
            );
        }
    }
    if bad == 0 {
        v.held.push(format!(
            "the election package is the one the genesis record committed to ({} files)",
            committed.len()
        ));
    }
}

fn check_results(
    v: &mut Verdict,
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    report: &AuditReport,
) {
    let recomputed = match results_from_log(&dir.join("package"), &report.forms) {
        Ok(r) => r,
        Err(m) => {
            v.find("figure", None, format!("the results cannot be recomputed from the log: {m}"));
            return;
        }
    };
    let mut bad = 0;
    for (path, bytes) in &recomputed {
        match files.get(path) {
            None => {
                bad += 1;
                v.find("missing", Some(path), "this published result file is missing".to_owned());
            }
            Some(published) if published != bytes => {
                bad += 1;
                let mut diffs = Vec::new();
                match (
                    serde_json::from_slice::<Value>(published),
                    serde_json::from_slice::<Value>(bytes),
                ) {
                    (Ok(p), Ok(r)) => json_diff("", &p, &r, &mut diffs),
                    _ => diffs.push("the file is not the JSON the log gives".to_owned()),
                }
                if diffs.is_empty() {
                    diffs.push("the same figures, written differently".to_owned());
                }
                let shown = diffs.len().min(10);
                for d in &diffs[..shown] {
                    v.find("figure", Some(path), d.clone());
                }
                if diffs.len() > shown {
                    v.find(
                        "figure",
                        Some(path),
                        format!("and {} more difference(s)", diffs.len() - shown),
                    );
                }
            }
            Some(_) => {}
        }
    }
    // Each result record must name the files that counting the forms before it gives; the
    // last one, if no form follows it, the files the bundle publishes.
    let digests = |files: &[(String, Vec<u8>)]| -> BTreeMap<String, String> {
        files.iter().map(|(p, b)| (p.clone(), sha256_hex(b))).collect()
    };
    let all = digests(&recomputed);
    let last_form = report.forms.last().map_or(0, |f| f.index + 1);
    for (index, r) in &report.results {
        let expected = if r.covers >= last_form {
            all.clone()
        } else {
            let before: Vec<psephos_ledger::AcceptedForm> =
                report.forms.iter().filter(|f| f.index < r.covers).cloned().collect();
            match results_from_log(&dir.join("package"), &before) {
                Ok(files) => digests(&files),
                Err(m) => {
                    bad += 1;
                    v.find(
                        "figure",
                        None,
                        format!("the result record at leaf {index} cannot be recomputed: {m}"),
                    );
                    continue;
                }
            }
        };
        if r.files != expected {
            bad += 1;
            let paths: Vec<&str> = r
                .files
                .iter()
                .filter(|(p, d)| expected.get(*p) != Some(*d))
                .map(|(p, _)| p.as_str())
                .collect();
            v.find(
                "figure",
                Some("log/tile/entries"),
                format!(
                    "the result record at leaf {index} published {} that does not follow from the {} entries before it",
                    if paths.is_empty() { "a set of files".to_owned() } else { paths.join(", ") },
                    r.covers
                ),
            );
        }
    }
    if let Some((index, r)) = report.results.last()
        && r.covers >= last_form
        && r.files == all
    {
        v.held.push(format!(
            "the result record at leaf {index} commits the log to the published result files"
        ));
    }
    if bad == 0 {
        v.held.push(format!(
            "every published total and seat follows from the {} accepted forms of the log ({})",
            thousands(report.forms.len() as u64),
            recomputed.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// Plain-words differences between a published JSON value and the recomputed one.
fn json_diff(path: &str, published: &Value, recomputed: &Value, out: &mut Vec<String>) {
    match (published, recomputed) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}/{k}");
                match b.get(k) {
                    Some(vb) => json_diff(&p, va, vb, out),
                    None => out.push(format!("{p} is published but does not follow from the log")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}/{k} follows from the log but is not published"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                json_diff(&format!("{path}/{i}"), va, vb, out);
            }
            if a.len() != b.len() {
                out.push(format!("{path} lists {} items; the log gives {}", a.len(), b.len()));
            }
        }
        (a, b) if a != b => out.push(format!("{path} is published as {a}; the log gives {b}")),
        _ => {}
    }
}
