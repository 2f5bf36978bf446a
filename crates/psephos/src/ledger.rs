//! `psephos ledger init|append|checkpoint|prove|export` and `psephos verify BUNDLE`: the
//! file side of the tamper-evident ledger (`docs/ledger.md`). The rules live in
//! `psephos_ledger`; this module reads and writes files and prints.
//!
//! A ledger directory is a C2SP tlog-tiles log: `tile/<L>/<N>` hash tiles, `tile/entries/<N>`
//! entry bundles, `checkpoint` (the latest signed checkpoint), plus `checkpoints/NNNNNN` (every
//! checkpoint ever signed, in order) and `size` (entries appended, checkpointed or not).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use psephos_ledger::{
    Checkpoint, KeyRegistry, Ledger, MerkleTree, NoteSigner, RecordSigner, Role, TreeHead,
    tiles::{self, TileKind},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Exit;
use crate::cli::Format;
use crate::eprint_lines;
use crate::output::{hex, sha256_hex, thousands, write_output};

/// The registry file of an election package.
pub(crate) const KEYS_FILE: &str = "keys.csv";
/// The bundle manifest's first line.
const MANIFEST_HEADER: &str = "psephos-bundle/v1";

#[derive(Subcommand)]
pub(crate) enum LedgerCommand {
    /// Start a ledger: its first record (genesis) commits to every file of the election
    /// package, signed by the commissioners.
    Init(InitArgs),
    /// Sign and append forms, or append records already signed at the source; everything is
    /// checked first and nothing is appended if anything is refused.
    Append(AppendArgs),
    /// Sign a checkpoint of the ledger's current size, cosigned by witnesses.
    Checkpoint(CheckpointArgs),
    /// An inclusion proof for one entry, or a consistency proof between two sizes.
    Prove(ProveArgs),
    /// Write a bundle: package, log, checkpoints, the results computed from the log, and a
    /// signed manifest of every file. `psephos verify BUNDLE` checks it.
    Export(ExportArgs),
}

#[derive(Args)]
pub(crate) struct InitArgs {
    /// The ledger directory to create.
    pub(crate) ledger: PathBuf,
    /// The election package (its keys.csv is the key registry).
    #[arg(long, value_name = "DIR")]
    pub(crate) package: PathBuf,
    /// The log's origin, e.g. results.example.org/iraq-2021 (default: the election id).
    #[arg(long)]
    pub(crate) origin: Option<String>,
    /// Commissioner signatures a correction, a key change or the manifest needs (k of n).
    #[arg(long, default_value_t = 2)]
    pub(crate) corrections_quorum: u32,
    /// Witness cosignatures a checkpoint needs.
    #[arg(long, default_value_t = 2)]
    pub(crate) witness_quorum: u32,
    /// A commissioner's signer key file (PRIVATE+KEY+...); repeat for k of them.
    #[arg(long = "key", value_name = "FILE", required = true)]
    pub(crate) keys: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct AppendArgs {
    /// The ledger directory.
    pub(crate) ledger: PathBuf,
    /// The election package.
    #[arg(long, value_name = "DIR")]
    pub(crate) package: PathBuf,
    /// Result files or directories (CSV or JSON forms): each form is signed with --key.
    #[arg(long = "forms", value_name = "PATH")]
    pub(crate) forms: Vec<PathBuf>,
    /// JSON Lines of entries already signed (one canonical signed entry per line).
    #[arg(long = "entries", value_name = "FILE")]
    pub(crate) entries: Vec<PathBuf>,
    /// A record (JSON object: correction, key change, result) to sign with every --key.
    #[arg(long = "record", value_name = "FILE")]
    pub(crate) records: Vec<PathBuf>,
    /// Count the forms of the ledger as it stands and append a `result` record holding the
    /// SHA-256 of every result file (signed by a commissioner's --key): the log then commits to
    /// the figures a bundle will publish.
    #[arg(long)]
    pub(crate) results: bool,
    /// A signer key file (PRIVATE+KEY+...); repeat for k-of-n records.
    #[arg(long = "key", value_name = "FILE")]
    pub(crate) keys: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct CheckpointArgs {
    /// The ledger directory.
    pub(crate) ledger: PathBuf,
    /// The election package (to check the witnesses' keys).
    #[arg(long, value_name = "DIR")]
    pub(crate) package: PathBuf,
    /// The log's signer key file.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// A witness's signer key file: it cosigns after checking consistency with the last
    /// checkpoint. Repeat for each witness.
    #[arg(long = "witness", value_name = "FILE")]
    pub(crate) witnesses: Vec<PathBuf>,
    /// The cosignature time (Unix seconds); default: now.
    #[arg(long)]
    pub(crate) time: Option<u64>,
}

#[derive(Args)]
pub(crate) struct ProveArgs {
    /// The ledger directory.
    pub(crate) ledger: PathBuf,
    /// Prove that this entry (leaf index) is in the tree.
    #[arg(long, conflicts_with = "from")]
    pub(crate) index: Option<u64>,
    /// Prove that the tree of this size is a prefix of the later one.
    #[arg(long)]
    pub(crate) from: Option<u64>,
    /// The tree size to prove against (default: the latest checkpoint's).
    #[arg(long)]
    pub(crate) size: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The ledger directory.
    pub(crate) ledger: PathBuf,
    /// The election package.
    #[arg(long, value_name = "DIR")]
    pub(crate) package: PathBuf,
    /// The bundle directory to write (replaced if it is a bundle).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// A commissioner's signer key file for the manifest; repeat for k of them.
    #[arg(long = "key", value_name = "FILE", required = true)]
    pub(crate) keys: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The bundle directory (as `psephos ledger export` or `psephos demo` writes it).
    pub(crate) bundle: PathBuf,
    /// Trust these keys (a keys.csv obtained independently) instead of the bundle's own.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

pub(crate) fn ledger(command: &LedgerCommand, quiet: bool) -> Exit {
    let result = match command {
        LedgerCommand::Init(a) => init(a),
        LedgerCommand::Append(a) => append(a),
        LedgerCommand::Checkpoint(a) => checkpoint(a),
        LedgerCommand::Prove(a) => prove(a),
        LedgerCommand::Export(a) => export(a, quiet),
    };
    match result {
        Ok(text) => {
            eprint_lines(&text);
            Exit::Ok
        }
        Err(failure) => failure.report(),
    }
}

/// Why a ledger command stopped: refused input (exit 1), a usage error (2) or I/O (3).
pub(crate) enum Failure {
    Input(String),
    Usage(String),
    Io(String),
}

impl Failure {
    pub(crate) fn report(self) -> Exit {
        match self {
            Failure::Input(m) => {
                eprint_lines(&format!("{m}\n"));
                Exit::InputErrors
            }
            Failure::Usage(m) => {
                eprint_lines(&format!("error: {m}\n"));
                Exit::Usage
            }
            Failure::Io(m) => {
                eprint_lines(&format!("error: {m}\n"));
                Exit::Io
            }
        }
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Failure {
    Failure::Io(format!("{}: {e}", path.display()))
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Input(format!("error: {}: {e}", path.display())))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    }
    // Write then rename, so a reader never sees half a file.
    let tmp = path.with_extension("tmp-psephos");
    std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, &e))
}

// ---------------------------------------------------------------------------------------
// Keys

/// A signer key file: `PRIVATE+KEY+<name>+<hash>+<base64>`, as `psephos demo` writes them.
pub(crate) struct SignerKey {
    pub(crate) note: NoteSigner,
    pub(crate) record: RecordSigner,
}

pub(crate) fn signer_from_seed(name: &str, seed: &[u8; 32]) -> Result<SignerKey, String> {
    let note = NoteSigner::from_seed(name, seed).map_err(|e| e.to_string())?;
    let record = RecordSigner::from_seed(name, seed).map_err(|e| e.to_string())?;
    Ok(SignerKey { note, record })
}

fn read_signer(path: &Path) -> Result<SignerKey, Failure> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|_| Failure::Input(format!("error: {}: not UTF-8", path.display())))?;
    let note = NoteSigner::parse(text.trim()).map_err(|e| {
        Failure::Input(format!(
            "error: {}: not a signer key (PRIVATE+KEY+<name>+<hash>+<key>): {e}",
            path.display()
        ))
    })?;
    let record = RecordSigner::from_seed(note.name(), &note.seed())
        .map_err(|e| Failure::Input(format!("error: {}: {e}", path.display())))?;
    Ok(SignerKey { note, record })
}

fn read_signers(paths: &[PathBuf]) -> Result<Vec<SignerKey>, Failure> {
    let mut out: Vec<SignerKey> = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match read_signer(p) {
            Ok(k) if out.iter().any(|o| o.note.name() == k.note.name()) => problems.push(format!(
                "error: {}: key {} is given twice; each signer counts once",
                p.display(),
                k.note.name()
            )),
            Ok(k) => out.push(k),
            Err(Failure::Input(m)) => problems.push(m),
            Err(f) => return Err(f),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(Failure::Input(problems.join("\n"))) }
}

/// The key registry of a package (`keys.csv`), every problem reported.
pub(crate) fn read_registry(path: &Path) -> Result<KeyRegistry, Failure> {
    let bytes = read_file(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Input(format!("error: {}: not UTF-8", path.display())))?;
    let (registry, diags) = KeyRegistry::parse(&path.display().to_string(), &text);
    if diags.iter().any(|d| d.is_error()) {
        return Err(Failure::Input(crate::output::diagnostics_text(&diags)));
    }
    Ok(registry)
}

// ---------------------------------------------------------------------------------------
// The package's files

/// Every file of the election definition (results excluded): relative path with `/` → bytes.
pub(crate) fn package_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
    let package = psephos_io::load_package(dir)
        .map_err(|e| Failure::Input(crate::output::diagnostics_text(&e.diagnostics)))?;
    files_under(dir, &|path: &Path| {
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        hidden || package.results.iter().any(|r| path.starts_with(r))
    })
    .map_err(|(path, e)| io_error(&path, &e))
}

/// Every file under `dir` that `skip` keeps (a skipped directory is not entered): relative
/// path with `/` → bytes, in path order.
pub(crate) fn files_under(
    dir: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<BTreeMap<String, Vec<u8>>, (PathBuf, std::io::Error)> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let read = std::fs::read_dir(&d).map_err(|e| (d.clone(), e))?;
        for entry in read {
            let path = entry.map_err(|e| (d.clone(), e))?.path();
            if skip(&path) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                paths.push((rel, path));
            }
        }
    }
    // Hundreds of tiles: read on all cores.
    use rayon::prelude::*;
    paths
        .into_par_iter()
        .map(|(rel, path)| match std::fs::read(&path) {
            Ok(bytes) => Ok((rel, bytes)),
            Err(e) => Err((path, e)),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The ledger directory

fn size_path(dir: &Path) -> PathBuf {
    dir.join("size")
}

fn read_size(dir: &Path) -> Result<u64, Failure> {
    let text = std::fs::read_to_string(size_path(dir)).map_err(|e| {
        Failure::Input(format!(
            "error: {} is not a ledger (no readable `size` file: {e}); start one with `psephos ledger init`",
            dir.display()
        ))
    })?;
    text.trim().parse().map_err(|_| {
        Failure::Input(format!(
            "error: {}: `size` holds {:?}, not a number",
            dir.display(),
            text.trim()
        ))
    })
}

/// Every entry of a tiled log of `size` leaves, from its entry bundles as `read` serves them
/// (by tile path), as slices of the bundles. An error names the bundle's path and what is
/// wrong with it.
pub(crate) fn entry_slices<'a>(
    size: u64,
    read: &dyn Fn(&str) -> Option<&'a [u8]>,
) -> Result<Vec<&'a [u8]>, (String, String)> {
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for tile in tiles::tiles_for_size(size).into_iter().filter(|t| t.kind() == TileKind::Entries) {
        let path = tile.path();
        let bytes = read(&path).ok_or_else(|| {
            (
                path.clone(),
                format!(
                    "the entry bundle for entries {}.. of the log's {size} is missing or unreadable",
                    tile.index() * 256
                ),
            )
        })?;
        let entries = tiles::entry_bundle_slices(tile, bytes)
            .map_err(|e| (path.clone(), format!("{e}: entries were dropped, added or cut")))?;
        out.extend(entries);
    }
    Ok(out)
}

/// [`entry_slices`], copied, from bundles that `read` returns owned.
pub(crate) fn read_entries(
    size: u64,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Vec<Vec<u8>>, (String, String)> {
    let bundles: BTreeMap<String, Option<Vec<u8>>> = tiles::tiles_for_size(size)
        .into_iter()
        .filter(|t| t.kind() == TileKind::Entries)
        .map(|t| {
            let path = t.path();
            let bytes = read(&path);
            (path, bytes)
        })
        .collect();
    let slices = entry_slices(size, &|p| bundles.get(p).and_then(|b| b.as_deref()))?;
    Ok(slices.into_iter().map(<[u8]>::to_vec).collect())
}

/// [`read_entries`] from a ledger directory.
fn read_ledger_entries(dir: &Path, size: u64) -> Result<Vec<Vec<u8>>, Failure> {
    read_entries(size, &|p| std::fs::read(dir.join(p)).ok())
        .map_err(|(path, m)| Failure::Input(format!("error: {}: {m}", dir.join(path).display())))
}

/// Writes the tiles that growing from `old` to the tree's size adds, then the new size.
fn write_tiles(
    dir: &Path,
    tree: &MerkleTree,
    entries: &[Vec<u8>],
    old: u64,
) -> Result<(), Failure> {
    let files = tiles::tile_files_added(tree, entries, old, tree.len())
        .map_err(|e| Failure::Input(format!("error: {e}")))?;
    for f in files {
        write_file(&dir.join(&f.path), &f.bytes)?;
    }
    write_file(&size_path(dir), format!("{}\n", tree.len()).as_bytes())
}

/// The ledger of a directory, every entry re-checked against the registry.
fn open_ledger(dir: &Path, registry: &KeyRegistry) -> Result<(Ledger, Vec<Vec<u8>>), Failure> {
    let size = read_size(dir)?;
    let entries = read_ledger_entries(dir, size)?;
    let origin = origin_of(&entries)?;
    let mut ledger =
        Ledger::new(registry, &origin).map_err(|e| Failure::Input(format!("error: {e}")))?;
    for (i, r) in ledger.append_batch(&entries).into_iter().enumerate() {
        if let Err(e) = r {
            return Err(Failure::Input(format!(
                "error: {}: entry {i} of the ledger is refused ({e}); the ledger directory was altered",
                dir.display()
            )));
        }
    }
    Ok((ledger, entries))
}

/// The origin named by a log's genesis (its first entry).
fn origin_of(entries: &[Vec<u8>]) -> Result<String, Failure> {
    let first = entries
        .first()
        .ok_or_else(|| Failure::Input("error: the ledger is empty (no genesis)".to_owned()))?;
    serde_json::from_slice::<Value>(first)
        .ok()
        .and_then(|v| v.pointer("/record/origin").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| {
            Failure::Input("error: the ledger's first entry is not a genesis record".to_owned())
        })
}

// ---------------------------------------------------------------------------------------
// init

/// The genesis record of a package.
pub(crate) fn genesis_record(
    origin: &str,
    election: &str,
    files: &BTreeMap<String, Vec<u8>>,
    corrections_quorum: u32,
    witness_quorum: u32,
) -> Value {
    let package: serde_json::Map<String, Value> =
        files.iter().map(|(p, b)| (p.clone(), Value::String(sha256_hex(b)))).collect();
    json!({
        "schema": psephos_ledger::RECORD_SCHEMA,
        "kind": "genesis",
        "origin": origin,
        "election": election,
        "package": package,
        "corrections_quorum": corrections_quorum,
        "witness_quorum": witness_quorum,
    })
}

fn init(a: &InitArgs) -> Result<String, Failure> {
    if size_path(&a.ledger).exists() {
        return Err(Failure::Input(format!(
            "error: {} is already a ledger; a ledger is never restarted",
            a.ledger.display()
        )));
    }
    let registry = read_registry(&a.package.join(KEYS_FILE))?;
    let package = psephos_io::load_package(&a.package)
        .map_err(|e| Failure::Input(crate::output::diagnostics_text(&e.diagnostics)))?;
    let files = package_files(&a.package)?;
    let origin = a.origin.clone().unwrap_or_else(|| package.election.meta.id.clone());
    let signers = read_signers(&a.keys)?;
    let record = genesis_record(
        &origin,
        &package.election.meta.id,
        &files,
        a.corrections_quorum,
        a.witness_quorum,
    );
    let refs: Vec<&RecordSigner> = signers.iter().map(|s| &s.record).collect();
    let entry = psephos_ledger::sign_entry(&record, &refs)
        .map_err(|e| Failure::Input(format!("error: the genesis record: {e}")))?;
    let mut ledger =
        Ledger::new(&registry, &origin).map_err(|e| Failure::Input(format!("error: {e}")))?;
    ledger.append(&entry).map_err(|e| Failure::Input(format!("error: genesis refused: {e}")))?;
    let entries = vec![entry];
    write_tiles(&a.ledger, ledger.tree(), &entries, 0)?;
    Ok(format!(
        "Started ledger {} (origin {origin}): genesis commits to {} package file(s); corrections need {} commissioner signature(s), checkpoints {} witness cosignature(s).\n",
        a.ledger.display(),
        files.len(),
        a.corrections_quorum,
        a.witness_quorum
    ))
}

// ---------------------------------------------------------------------------------------
// append

/// The JSON form object (`docs/results.md`) of a form read by psephos.
pub(crate) fn form_value(
    election: &psephos_model::Election,
    forms: &psephos_model::FormSet,
    form: &psephos_model::Form,
) -> Value {
    let votes: serde_json::Map<String, Value> = forms
        .layout(form)
        .iter()
        .zip(forms.votes(form))
        .map(|(c, v)| (election.candidate(*c).id.to_string(), Value::from(v)))
        .collect();
    json!({
        "schema": psephos_ledger::RECORD_SCHEMA,
        "kind": if form.key.phase == psephos_model::Phase::Correction { "correction" } else { "form" },
        "station": election.station_ids.get(form.key.station.index()),
        "contest": election.contest(form.key.contest).id.to_string(),
        "phase": form.key.phase.as_str(),
        "version": form.key.version,
        "ballots_found": form.ballots_found,
        "blank": form.blank,
        "invalid": form.invalid,
        "votes": votes,
    })
}

fn append(a: &AppendArgs) -> Result<String, Failure> {
    let registry = read_registry(&a.package.join(KEYS_FILE))?;
    let (mut ledger, mut entries) = open_ledger(&a.ledger, &registry)?;
    let signers = read_signers(&a.keys)?;
    let refs: Vec<&RecordSigner> = signers.iter().map(|s| &s.record).collect();
    let mut new: Vec<(String, Vec<u8>)> = Vec::new();
    let mut problems = Vec::new();

    if !a.forms.is_empty() {
        if refs.is_empty() {
            return Err(Failure::Usage("--forms needs a --key to sign the forms with".to_owned()));
        }
        let package = psephos_io::load_package(&a.package)
            .map_err(|e| Failure::Input(crate::output::diagnostics_text(&e.diagnostics)))?;
        let (files, mut diags) = psephos_io::discover_results(&a.forms);
        let read = psephos_io::read_results(&package.election, &files, &|_| {});
        diags.extend(read.diagnostics);
        if diags.iter().any(|d| d.is_error()) {
            return Err(Failure::Input(format!(
                "{}error: the forms have errors; nothing was appended",
                crate::output::diagnostics_text(&diags)
            )));
        }
        let e = &package.election;
        for f in &read.forms.forms {
            let value = form_value(e, &read.forms, f);
            let at = format!(
                "{}:{}",
                read.forms.files.get(f.source.file as usize).map_or("?", String::as_str),
                f.source.line
            );
            match psephos_ledger::sign_entry(&value, &refs) {
                Ok(entry) => new.push((at, entry)),
                Err(err) => problems.push(format!("{at}: {err}")),
            }
        }
    }
    for path in &a.entries {
        let bytes = read_file(path)?;
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            new.push((format!("{}:{}", path.display(), i + 1), line.to_vec()));
        }
    }
    for path in &a.records {
        if refs.is_empty() {
            return Err(Failure::Usage("--record needs --key to sign it with".to_owned()));
        }
        let value: Value = serde_json::from_slice(&read_file(path)?)
            .map_err(|e| Failure::Input(format!("error: {}: not JSON: {e}", path.display())))?;
        match psephos_ledger::sign_entry(&value, &refs) {
            Ok(entry) => new.push((path.display().to_string(), entry)),
            Err(err) => problems.push(format!("{}: {err}", path.display())),
        }
    }
    if a.results {
        if refs.is_empty() {
            return Err(Failure::Usage("--results needs a commissioner's --key".to_owned()));
        }
        let record = result_record(&a.package, &registry, &entries)?;
        match psephos_ledger::sign_entry(&record, &refs) {
            Ok(entry) => new.push(("--results".to_owned(), entry)),
            Err(err) => problems.push(format!("--results: {err}")),
        }
    }
    if new.is_empty() && problems.is_empty() {
        return Err(Failure::Usage(
            "nothing to append: give --forms, --entries, --record or --results".to_owned(),
        ));
    }
    let old = ledger.len();
    let batch: Vec<&[u8]> = new.iter().map(|(_, e)| e.as_slice()).collect();
    let mut duplicates = 0u64;
    let mut added = Vec::new();
    for ((at, entry), r) in new.iter().zip(ledger.append_batch(&batch)) {
        match r {
            Ok(psephos_ledger::Appended::Added { .. }) => added.push(entry.clone()),
            Ok(psephos_ledger::Appended::Duplicate { .. }) => duplicates += 1,
            Err(e) => problems.push(format!("{at}: refused: {e}")),
        }
    }
    if !problems.is_empty() {
        // Nothing is written: the ledger directory is as it was.
        return Err(Failure::Input(format!(
            "{}\nerror: {} record(s) refused; nothing was appended",
            problems.join("\n"),
            problems.len()
        )));
    }
    entries.extend(added);
    write_tiles(&a.ledger, ledger.tree(), &entries, old)?;
    Ok(format!(
        "Appended {} record(s) to {} (now {} entries); {} already in the ledger (not appended again). Run `psephos ledger checkpoint` to publish.\n",
        thousands(ledger.len() - old),
        a.ledger.display(),
        thousands(ledger.len()),
        thousands(duplicates)
    ))
}

// ---------------------------------------------------------------------------------------
// checkpoint

fn checkpoints_dir(dir: &Path) -> PathBuf {
    dir.join("checkpoints")
}

/// The checkpoints ever signed, in order: (file name, text).
pub(crate) fn read_checkpoint_history(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let d = checkpoints_dir(dir);
    let mut names = Vec::new();
    match std::fs::read_dir(&d) {
        Ok(read) => {
            for entry in read.flatten() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", d.display())),
    }
    names.sort();
    names
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            let p = d.join(&n);
            std::fs::read_to_string(&p).map(|t| (n, t)).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

fn checkpoint(a: &CheckpointArgs) -> Result<String, Failure> {
    let registry = read_registry(&a.package.join(KEYS_FILE))?;
    let (ledger, _) = open_ledger(&a.ledger, &registry)?;
    let log_key = read_signer(&a.key)?;
    if registry.get(log_key.note.name()).is_none_or(|k| k.role != Role::Log) {
        return Err(Failure::Input(format!(
            "error: {}: key {} is not a log key of the package's registry",
            a.key.display(),
            log_key.note.name()
        )));
    }
    let head = ledger.head();
    let history =
        read_checkpoint_history(&a.ledger).map_err(|m| Failure::Input(format!("error: {m}")))?;
    let time = a.time.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let witnesses = a.witnesses.iter().map(|p| read_signer(p)).collect::<Result<Vec<_>, _>>()?;
    let previous = history.last().map(|(_, t)| t.as_str());
    let note = witnessed_checkpoint(&ledger, &log_key, &witnesses, previous, time)?;
    let name = format!("{:06}", history.len() + 1);
    write_file(&checkpoints_dir(&a.ledger).join(&name), note.as_bytes())?;
    write_file(&a.ledger.join("checkpoint"), note.as_bytes())?;
    Ok(format!(
        "Checkpoint {name} of {}: size {}, root {}; {} witness cosignature(s).\n{note}",
        a.ledger.display(),
        thousands(head.size),
        hex(&head.root),
        a.witnesses.len()
    ))
}

/// A checkpoint of the ledger's current size signed by the log, then cosigned by each witness
/// after it checks the log's signature and the consistency proof (from the tree) from the
/// previous checkpoint, the last one it saw.
pub(crate) fn witnessed_checkpoint(
    ledger: &Ledger,
    log: &SignerKey,
    witnesses: &[SignerKey],
    previous: Option<&str>,
    time: u64,
) -> Result<String, Failure> {
    let fail = |m: String| Failure::Input(format!("error: {m}"));
    let mut note = Checkpoint::new(ledger.origin(), ledger.head())
        .sign(&[&log.note])
        .map_err(|e| fail(e.to_string()))?;
    let latest = previous
        .map(|p| {
            let n = psephos_ledger::SignedNote::parse(p).map_err(|e| e.to_string())?;
            Checkpoint::parse(&n.text).map_err(|e| e.to_string())
        })
        .transpose()
        .map_err(|m| fail(format!("the previous checkpoint: {m}")))?;
    for w in witnesses {
        let name = w.note.name();
        let mut witness = psephos_ledger::Witness::new(
            name,
            &w.note.seed(),
            ledger.origin(),
            vec![log.note.verifier()],
            latest.clone(),
        )
        .map_err(|e| fail(format!("witness {name}: {e}")))?;
        let line = witness
            .add_checkpoint_from_tree(ledger.tree(), &note, time)
            .map_err(|e| fail(format!("witness {name}: {e}")))?;
        note = psephos_ledger::append_signatures(&note, &[line])
            .map_err(|e| fail(format!("witness {name}: {e}")))?;
    }
    Ok(note)
}

// ---------------------------------------------------------------------------------------
// prove

fn latest_checkpoint(dir: &Path) -> Result<Checkpoint, Failure> {
    let path = dir.join("checkpoint");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Input(format!(
            "error: {}: {e}; sign one with `psephos ledger checkpoint`",
            path.display()
        ))
    })?;
    let body = text.split("\n\n").next().unwrap_or_default().to_owned() + "\n";
    Checkpoint::parse(&body).map_err(|e| Failure::Input(format!("error: {}: {e}", path.display())))
}

fn prove(a: &ProveArgs) -> Result<String, Failure> {
    let size_all = read_size(&a.ledger)?;
    let entries = read_ledger_entries(&a.ledger, size_all)?;
    let tree = MerkleTree::from_leaf_hashes(entries.iter().map(|e| psephos_ledger::leaf_hash(e)));
    let size = match a.size {
        Some(s) => s,
        None => latest_checkpoint(&a.ledger)?.head.size,
    };
    let head: TreeHead = tree.head_at(size).map_err(|e| Failure::Input(format!("error: {e}")))?;
    let (kind, proof, detail) = match (a.index, a.from) {
        (Some(index), None) => {
            let proof = tree
                .inclusion_proof(index, size)
                .map_err(|e| Failure::Input(format!("error: {e}")))?;
            let leaf = tree.leaf(index).copied().unwrap_or_default();
            ("inclusion", proof, json!({"index": index, "leaf_hash": hex(&leaf)}))
        }
        (None, Some(from)) => {
            let proof = tree
                .consistency_proof(from, size)
                .map_err(|e| Failure::Input(format!("error: {e}")))?;
            let old = tree.head_at(from).map_err(|e| Failure::Input(format!("error: {e}")))?;
            ("consistency", proof, json!({"from": from, "from_root": hex(&old.root)}))
        }
        _ => return Err(Failure::Usage("give --index N or --from M".to_owned())),
    };
    let hashes: Vec<String> = proof.iter().map(|h| hex(h)).collect();
    let text = match a.format {
        Format::Json => {
            let mut v =
                json!({"kind": kind, "size": size, "root": hex(&head.root), "proof": hashes});
            if let (Some(m), Some(d)) = (v.as_object_mut(), detail.as_object()) {
                m.extend(d.clone());
            }
            v.to_string() + "\n"
        }
        Format::Csv => {
            let mut s = String::from("step,hash\n");
            for (i, h) in hashes.iter().enumerate() {
                s.push_str(&format!("{i},{h}\n"));
            }
            s
        }
        Format::Table => {
            let mut s =
                format!("{kind} proof, tree size {size}, root {}\n{detail}\n", hex(&head.root));
            for h in &hashes {
                s.push_str(h);
                s.push('\n');
            }
            s
        }
    };
    write_output(None, &text).map_err(|e| Failure::Io(e.to_string()))?;
    Ok(String::new())
}

// ---------------------------------------------------------------------------------------
// export

/// Marks a directory written by `psephos ledger export`, which a later export may replace.
const MANIFEST_FILE: &str = "MANIFEST";

/// A record's votes as the results reader visits them.
struct RecordVotes<'r, 'a>(&'r psephos_ledger::Votes<'a>);

impl psephos_io::VoteList for RecordVotes<'_, '_> {
    fn count(&self) -> usize {
        self.0.len()
    }

    fn each(&self, visit: &mut dyn FnMut(&str, u32)) {
        for (id, n) in self.0.iter() {
            visit(&id, n);
        }
    }
}

/// Counts the accepted forms of a log with the package's law, as `allocate` would: the
/// published result files (path in the bundle → bytes), or the diagnostics that stop the count.
pub(crate) fn results_from_log(
    package_dir: &Path,
    forms: &[psephos_ledger::AcceptedForm],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let timer = crate::pipeline::Timer::start();
    let package = psephos_io::load_package(package_dir)
        .map_err(|e| crate::output::diagnostics_text(&e.diagnostics))?;
    timer.lap("results: load package");
    let votes: Vec<RecordVotes<'_, '_>> =
        forms.iter().map(|f| RecordVotes(&f.form.votes)).collect();
    // Diagnostics name the log's entries, at line = leaf index + 1.
    let fields: Vec<psephos_io::FormFields<'_>> = forms
        .iter()
        .zip(&votes)
        .map(|(f, votes)| psephos_io::FormFields {
            line: f.index + 1,
            station: &f.form.station,
            contest: &f.form.contest,
            phase: f.form.phase.as_str(),
            version: f.form.version,
            counts: [f.form.ballots_found, f.form.blank, f.form.invalid],
            votes,
        })
        .collect();
    let read = psephos_io::read_form_fields(&package.election, "log/tile/entries", &fields);
    drop(fields);
    timer.lap("results: forms read");
    let checked =
        crate::pipeline::check_read(package, read, 1, None, &timer).map_err(|s| match s {
            crate::pipeline::Stop::Package(d) => crate::output::diagnostics_text(&d),
            crate::pipeline::Stop::Usage(m) => m,
        })?;
    let e = &checked.package.election;
    let (t, a) = crate::commands::counted(&checked);
    timer.lap("results: counted");
    let totals = crate::views::tabulation_json(e, &t, &checked.selection);
    let seats = crate::views::allocation_json(e, &t, &a, &checked.selection);
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default().into_bytes();
    let mut totals_bytes = pretty(&totals);
    totals_bytes.push(b'\n');
    let mut seats_bytes = pretty(&seats);
    seats_bytes.push(b'\n');
    Ok(vec![
        ("results/seats.json".to_owned(), seats_bytes),
        ("results/totals.json".to_owned(), totals_bytes),
    ])
}

/// The `result` record of a log's current entries: the SHA-256 of every result file that
/// counting its accepted forms gives.
pub(crate) fn result_record(
    package_dir: &Path,
    registry: &KeyRegistry,
    entries: &[Vec<u8>],
) -> Result<Value, Failure> {
    let origin = origin_of(entries)?;
    let report = Ledger::audit(registry, &origin, entries)
        .map_err(|e| Failure::Input(format!("error: {e}")))?;
    let files: serde_json::Map<String, Value> = results_from_log(package_dir, &report.forms)
        .map_err(|m| Failure::Input(format!("error: the log's forms cannot be counted: {m}")))?
        .into_iter()
        .map(|(p, b)| (p, Value::String(sha256_hex(&b))))
        .collect();
    Ok(json!({
        "schema": psephos_ledger::RECORD_SCHEMA,
        "kind": "result",
        "covers": entries.len(),
        "files": files,
    }))
}

/// Every file of a bundle, path (with `/`) → bytes, before the manifest.
pub(crate) struct BundleFiles {
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    pub(crate) head: TreeHead,
    pub(crate) origin: String,
}

/// Assembles a bundle from a ledger's entries (the first `head.size` are published), its
/// checkpoints and the package's files.
pub(crate) fn assemble_bundle(
    package: &BTreeMap<String, Vec<u8>>,
    package_dir: &Path,
    entries: &[Vec<u8>],
    registry: &KeyRegistry,
    checkpoint: &str,
    history: &[(String, String)],
    head: TreeHead,
) -> Result<BundleFiles, String> {
    let size = usize::try_from(head.size).map_err(|_| "the log is too large".to_owned())?;
    let published = entries.get(..size).ok_or_else(|| {
        format!(
            "the checkpoint commits to {} entries, the ledger holds {}",
            head.size,
            entries.len()
        )
    })?;
    let mut files = BTreeMap::new();
    for (p, b) in package {
        files.insert(format!("package/{p}"), b.clone());
    }
    let origin = origin_of(entries).map_err(|f| match f {
        Failure::Input(m) | Failure::Usage(m) | Failure::Io(m) => m,
    })?;
    let report = Ledger::audit(registry, &origin, published).map_err(|e| e.to_string())?;
    if !report.is_clean() {
        let lines: Vec<String> = report.problems.iter().take(20).map(|p| p.to_string()).collect();
        return Err(format!("the ledger has entries it would refuse:\n{}", lines.join("\n")));
    }
    if report.tree.root() != head.root {
        return Err("the ledger's entries do not give the checkpoint's root".to_owned());
    }
    for f in tiles::tile_files(&report.tree, published, head.size).map_err(|e| e.to_string())? {
        files.insert(format!("log/{}", f.path), f.bytes);
    }
    files.insert("log/checkpoint".to_owned(), checkpoint.as_bytes().to_vec());
    for (name, text) in history {
        files.insert(format!("checkpoints/{name}"), text.as_bytes().to_vec());
    }
    for (p, b) in results_from_log(package_dir, &report.forms)? {
        files.insert(p, b);
    }
    Ok(BundleFiles { files, head, origin })
}

/// The manifest's text: header, the log it covers, then `<sha256> <path>` per file.
fn manifest_text(bundle: &BundleFiles) -> String {
    let mut s = format!(
        "{MANIFEST_HEADER}\nlog {} {} {}\n",
        bundle.origin,
        bundle.head.size,
        hex(&bundle.head.root)
    );
    for (path, bytes) in &bundle.files {
        s.push_str(&format!("{} {path}\n", sha256_hex(bytes)));
    }
    s
}

/// Writes a bundle directory (replacing an earlier bundle there) with its signed manifest.
pub(crate) fn write_bundle(
    out: &Path,
    bundle: &BundleFiles,
    signers: &[&NoteSigner],
) -> Result<(), Failure> {
    if out.exists() {
        if !out.join(MANIFEST_FILE).exists() {
            return Err(Failure::Io(format!(
                "{} exists and is not a bundle; choose another --out",
                out.display()
            )));
        }
        std::fs::remove_dir_all(out).map_err(|e| io_error(out, &e))?;
    }
    let manifest = psephos_ledger::sign_note(&manifest_text(bundle), signers)
        .map_err(|e| Failure::Input(format!("error: the manifest: {e}")))?;
    for (path, bytes) in &bundle.files {
        let p = out.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| io_error(&p, &e))?;
    }
    write_file(&out.join(MANIFEST_FILE), manifest.as_bytes())
}

fn export(a: &ExportArgs, _quiet: bool) -> Result<String, Failure> {
    let registry = read_registry(&a.package.join(KEYS_FILE))?;
    // The published entries are checked once, by the audit that assembling the bundle runs.
    let entries = read_ledger_entries(&a.ledger, read_size(&a.ledger)?)?;
    let checkpoint_text = std::fs::read_to_string(a.ledger.join("checkpoint")).map_err(|e| {
        Failure::Input(format!(
            "error: {}: {e}; sign a checkpoint first (`psephos ledger checkpoint`)",
            a.ledger.join("checkpoint").display()
        ))
    })?;
    let head = latest_checkpoint(&a.ledger)?.head;
    let history =
        read_checkpoint_history(&a.ledger).map_err(|m| Failure::Input(format!("error: {m}")))?;
    let package = package_files(&a.package)?;
    let bundle = assemble_bundle(
        &package,
        &a.package,
        &entries,
        &registry,
        &checkpoint_text,
        &history,
        head,
    )
    .map_err(|m| Failure::Input(format!("error: {m}")))?;
    let signers = read_signers(&a.keys)?;
    let notes: Vec<&NoteSigner> = signers.iter().map(|s| &s.note).collect();
    write_bundle(&a.out, &bundle, &notes)?;
    Ok(format!(
        "Wrote bundle {}: {} files, log of {} entries (root {}). Check it with `psephos verify {}`.\n",
        a.out.display(),
        bundle.files.len() + 1,
        thousands(head.size),
        hex(&head.root),
        a.out.display()
    ))
}

// ---------------------------------------------------------------------------------------
// The demo's ledger and bundle

/// A demo key's 32-byte seed: SHA-256 of a fixed label, the demo seed and the key name, so
/// anyone can re-derive every demo key (they protect nothing; they show the mechanics).
fn demo_seed(seed: u64, name: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"psephos demo key\0");
    h.update(seed.to_le_bytes());
    h.update(name.as_bytes());
    h.finalize().into()
}

/// Commissioners, of whom [`DEMO_CORRECTIONS_QUORUM`] sign genesis, key changes and the manifest.
const DEMO_COMMISSIONERS: usize = 5;
const DEMO_CORRECTIONS_QUORUM: u32 = 3;
const DEMO_WITNESSES: [&str; 3] = ["witness-observers", "witness-judiciary", "witness-parties"];
const DEMO_WITNESS_QUORUM: u32 = 2;
const DEMO_OPERATOR: &str = "operator-national-centre";

/// What the demo's ledger step wrote, for its summary.
pub(crate) struct DemoLedger {
    pub(crate) entries: u64,
    pub(crate) checkpoints: usize,
    pub(crate) root: String,
    pub(crate) keys: usize,
}

/// Builds the demo's ledger: a key registry in the package (`keys.csv`: one device key per
/// station, an operator at the national centre, commissioners, witnesses, the log), a
/// genesis record, every form signed (electronic forms by the station's device, hand counts
/// by the operator) and appended phase by phase with a witnessed checkpoint after each; then
/// the bundle at `out/bundle` and the public demo keys under `out/keys`.
pub(crate) fn demo_ledger(
    out: &Path,
    package_dir: &Path,
    checked: &crate::pipeline::Checked,
    seed: u64,
) -> Result<DemoLedger, Failure> {
    use rayon::prelude::*;
    let e = &checked.package.election;
    let origin = format!("demo.psephos.org/{}", e.meta.id);
    let signer = |name: &str| {
        signer_from_seed(name, &demo_seed(seed, name))
            .map_err(|m| Failure::Input(format!("error: key {name}: {m}")))
    };
    let log = signer(&origin)?;
    let commissioners: Vec<SignerKey> = (1..=DEMO_COMMISSIONERS)
        .map(|i| signer(&format!("commissioner-{i}")))
        .collect::<Result<_, _>>()?;
    let witnesses: Vec<SignerKey> =
        DEMO_WITNESSES.iter().map(|n| signer(n)).collect::<Result<_, _>>()?;
    let operator = signer(DEMO_OPERATOR)?;
    let devices: Vec<SignerKey> = (0..e.stations.len())
        .into_par_iter()
        .map(|s| {
            let name = format!("device-{}", e.station_ids.get(s));
            signer_from_seed(&name, &demo_seed(seed, &name))
        })
        .collect::<Result<_, _>>()
        .map_err(|m| Failure::Input(format!("error: a device key: {m}")))?;

    // The registry, written as keys.csv text (read back through the registry's own parser).
    let mut csv = String::from(psephos_ledger::KEYS_HEADER);
    csv.push('\n');
    let mut line = |k: &SignerKey, role: &str, stations: &str| {
        csv.push_str(&format!(
            "{},{role},{},{stations}\n",
            k.note.name(),
            psephos_ledger::encode_public_key(&k.record.public_key())
        ));
    };
    line(&log, "log", "");
    for c in &commissioners {
        line(c, "commissioner", "");
    }
    for w in &witnesses {
        line(w, "witness", "");
    }
    line(&operator, "operator", "*");
    for (s, d) in devices.iter().enumerate() {
        line(d, "device", e.station_ids.get(s));
    }
    write_file(&package_dir.join(KEYS_FILE), csv.as_bytes())?;
    let registry = read_registry(&package_dir.join(KEYS_FILE))?;

    // Genesis, then the forms phase by phase.
    let files = package_files(package_dir)?;
    let quorum: Vec<&RecordSigner> =
        commissioners.iter().take(DEMO_CORRECTIONS_QUORUM as usize).map(|c| &c.record).collect();
    let genesis =
        genesis_record(&origin, &e.meta.id, &files, DEMO_CORRECTIONS_QUORUM, DEMO_WITNESS_QUORUM);
    let mut entries = vec![
        psephos_ledger::sign_entry(&genesis, &quorum)
            .map_err(|m| Failure::Input(format!("error: genesis: {m}")))?,
    ];
    let mut ledger =
        Ledger::new(&registry, &origin).map_err(|m| Failure::Input(format!("error: {m}")))?;
    ledger
        .append(&entries[0])
        .map_err(|m| Failure::Input(format!("error: genesis refused: {m}")))?;

    let forms = &checked.forms;
    let mut order: Vec<usize> = (0..forms.forms.len()).collect();
    order.sort_by_key(|&i| {
        let k = forms.forms[i].key;
        (k.phase, k.station, k.contest, k.version)
    });
    let ledger_dir = out.join("ledger");
    if ledger_dir.exists() {
        std::fs::remove_dir_all(&ledger_dir).map_err(|err| io_error(&ledger_dir, &err))?;
    }
    // A fixed clock (the election day's noon and an hour per checkpoint): reruns are identical.
    let mut time = election_noon(&e.meta.date);
    let mut history: Vec<(String, String)> = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let phase = forms.forms[order[start]].key.phase;
        let end = order[start..]
            .iter()
            .position(|&i| forms.forms[i].key.phase != phase)
            .map_or(order.len(), |n| start + n);
        let batch: Vec<Vec<u8>> = order[start..end]
            .par_iter()
            .map(|&i| {
                let f = &forms.forms[i];
                let value = form_value(e, forms, f);
                let key = if phase == psephos_model::Phase::Electronic {
                    &devices[f.key.station.index()].record
                } else {
                    &operator.record
                };
                psephos_ledger::sign_entry(&value, &[key]).map_err(|m| m.to_string())
            })
            .collect::<Result<_, _>>()
            .map_err(|m| {
                Failure::Input(format!("error: signing a {} form: {m}", phase.as_str()))
            })?;
        for r in ledger.append_batch(&batch) {
            if let Err(m) = r {
                return Err(Failure::Input(format!("error: a demo form was refused: {m}")));
            }
        }
        entries.extend(batch);
        // A checkpoint after each phase, cosigned by every witness.
        time += 3600;
        let previous = history.last().map(|(_, t)| t.as_str());
        let note = witnessed_checkpoint(&ledger, &log, &witnesses, previous, time)?;
        history.push((format!("{:06}", history.len() + 1), note));
        start = end;
    }

    // The published results, as a record of the log, and a last witnessed checkpoint.
    let record = result_record(package_dir, &registry, &entries)?;
    let entry = psephos_ledger::sign_entry(&record, &[&commissioners[0].record])
        .map_err(|m| Failure::Input(format!("error: the result record: {m}")))?;
    ledger
        .append(&entry)
        .map_err(|m| Failure::Input(format!("error: the result record was refused: {m}")))?;
    entries.push(entry);
    time += 3600;
    let previous = history.last().map(|(_, t)| t.as_str());
    let note = witnessed_checkpoint(&ledger, &log, &witnesses, previous, time)?;
    history.push((format!("{:06}", history.len() + 1), note));

    // The ledger directory, as `psephos ledger` keeps it.
    write_tiles(&ledger_dir, ledger.tree(), &entries, 0)?;
    for (name, text) in &history {
        write_file(&checkpoints_dir(&ledger_dir).join(name), text.as_bytes())?;
    }
    let latest = history.last().map(|(_, t)| t.clone()).unwrap_or_default();
    write_file(&ledger_dir.join("checkpoint"), latest.as_bytes())?;

    // The keys anyone may use to try the ledger commands (device keys are derived, not written).
    let keys_dir = out.join("keys");
    let mut written = 0;
    for k in std::iter::once(&log)
        .chain(&commissioners)
        .chain(&witnesses)
        .chain(std::iter::once(&operator))
    {
        let file = keys_dir.join(format!("{}.key", k.note.name().replace('/', "_")));
        write_file(&file, format!("{}\n", k.note.to_key_string()).as_bytes())?;
        written += 1;
    }

    let bundle =
        assemble_bundle(&files, package_dir, &entries, &registry, &latest, &history, ledger.head())
            .map_err(|m| Failure::Input(format!("error: the demo bundle: {m}")))?;
    let notes: Vec<&NoteSigner> =
        commissioners.iter().take(DEMO_CORRECTIONS_QUORUM as usize).map(|c| &c.note).collect();
    write_bundle(&out.join("bundle"), &bundle, &notes)?;
    Ok(DemoLedger {
        entries: ledger.len(),
        checkpoints: history.len(),
        root: hex(&ledger.head().root),
        keys: written,
    })
}

/// Noon UTC of an ISO date (`YYYY-MM-DD`), in Unix seconds; 0 if the date is not one.
fn election_noon(date: &str) -> u64 {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return 0;
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + 12 * 3600).unwrap_or(0)
}
