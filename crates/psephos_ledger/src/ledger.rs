//! The ledger state machine: which signed entries a log accepts, and an independent audit of a
//! published log.
//!
//! [`Ledger::append`] checks an entry completely before it changes anything: its size, canonical
//! JSON, the record schema, every signature (key registered, valid at this leaf index, of a role
//! that signs this kind, the station in its scope, the Ed25519 signature correct, no key twice),
//! the genesis first and once, the quorums (a correction or key change needs k distinct
//! commissioners, k from the genesis), a correction's target, and idempotency: a form or
//! correction is identified by (station, contest, phase, version); the same record body again
//! is a [`Appended::Duplicate`] and is not appended, another body under the same identity is a
//! [`Rejection::Conflict`]. An accepted entry becomes the next leaf.
//!
//! Time is the leaf index: keys of the package registry are valid from the start; a key added by
//! the record at index i signs records after i; a key revoked (or rotated away) at index j signs
//! no record after j. Key names and public keys are never reused.
//!
//! [`Ledger::append_batch`] reads a batch on all cores, verifies its Ed25519 signatures in
//! batches ([`crate::signature`]: one rule, the same verdicts as one by one) and then applies
//! the entries in order, with exactly the results of appending them one by one.
//! [`Ledger::audit`] replays a published log entry by entry, never stopping: it lists every
//! entry the ledger would not have accepted, returns the accepted forms (typed, borrowing the
//! entries' text) and the Merkle tree of every entry as published.

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use ed25519_dalek::VerifyingKey;
use psephos_model::Phase;
use serde_json::Value;

use crate::canonical::JsonError;
use crate::hash::{Hash, leaf_hash};
use crate::record::{
    Correction, EntryFailure, FormRecord, Genesis, KeyEvent, ParsedEntry, Record, RecordKind,
    ResultRecord, SIGNING_PREFIX, parse_entry,
};
use crate::registry::{KeyRegistry, RegistryError, RegistryKey, Role, Scope};
use crate::signature::{self, SignatureCheck};
use crate::tree::{MerkleTree, TreeHead};

/// Why an entry was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The entry is longer than [`crate::MAX_ENTRY_LEN`].
    #[error("the entry is {len} bytes long, more than the 65535 an entry may have")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// Not JSON, or not canonical JSON.
    #[error("the entry is not canonical JSON: {0}")]
    Json(JsonError),
    /// The entry or record does not follow the schema.
    #[error("field {field} {message}")]
    Schema {
        /// The field (`record`, `votes.B1`, `signatures[1]`, ...).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No signature at all.
    #[error("the entry has no signature")]
    Unsigned,
    /// A record before the genesis.
    #[error("the log has no genesis record yet: its first record must be the genesis")]
    NoGenesis,
    /// A second genesis.
    #[error("the log already has its genesis record, at leaf {existing}")]
    SecondGenesis {
        /// The leaf index of the genesis.
        existing: u64,
    },
    /// A genesis for another log.
    #[error("the genesis names the origin {got:?}, but this log is {want:?}")]
    WrongOrigin {
        /// The origin in the genesis.
        got: String,
        /// The log's origin.
        want: String,
    },
    /// One key signs twice.
    #[error("key {key} signs the entry twice (a key signs once, and counts once)")]
    RepeatedSigner {
        /// The key name.
        key: String,
    },
    /// A signature by a key the ledger does not know.
    #[error("key {key} is not registered")]
    UnknownKey {
        /// The key name.
        key: String,
    },
    /// A signature that does not verify.
    #[error(
        "the signature by key {key} does not verify: the record was changed or signed by another key"
    )]
    BadSignature {
        /// The key name.
        key: String,
    },
    /// A key used at or before the record that added it. A live ledger cannot know a key
    /// before it is added (it reports [`Rejection::UnknownKey`]); [`Ledger::audit`], which
    /// sees the whole log, reports this instead.
    #[error("key {key} was added at leaf {added_at} and only signs records after it")]
    KeyNotYetValid {
        /// The key name.
        key: String,
        /// The leaf index of the record that added it.
        added_at: u64,
    },
    /// A key used after its revocation.
    #[error("key {key} was revoked at leaf {revoked_at} and signs no record after it")]
    KeyRevoked {
        /// The key name.
        key: String,
        /// The leaf index of the record that revoked it.
        revoked_at: u64,
    },
    /// A key of a role that does not sign this kind.
    #[error("key {key} is a {role} key; {kind} records are signed by {}", role_list(*kind))]
    WrongRole {
        /// The key name.
        key: String,
        /// Its role.
        role: Role,
        /// The kind of the record.
        kind: RecordKind,
    },
    /// A form signer whose scope does not hold the station.
    #[error("key {key} may not sign forms of station {station}")]
    OutOfScope {
        /// The key name.
        key: String,
        /// The station of the form.
        station: String,
    },
    /// Too few commissioner signatures.
    #[error("a {kind} record needs {need} distinct commissioner signatures, it has {have}")]
    NoQuorum {
        /// The kind of the record.
        kind: RecordKind,
        /// Valid commissioner signatures.
        have: u32,
        /// Signatures needed.
        need: u32,
    },
    /// Another body under the identity of an accepted form.
    #[error(
        "conflict: leaf {existing} already holds a different {} form version {version} of \
         station {station}, contest {contest}; a changed form needs a new version or a correction",
        phase.as_str()
    )]
    Conflict {
        /// The leaf index of the accepted form.
        existing: u64,
        /// The station.
        station: String,
        /// The contest.
        contest: String,
        /// The phase.
        phase: Phase,
        /// The version.
        version: u32,
    },
    /// A correction whose target is not an accepted form of its station and contest.
    #[error("the correction supersedes leaf {index}, but {message}")]
    BadSupersedes {
        /// The leaf index named.
        index: u64,
        /// What is wrong.
        message: String,
    },
    /// A key change that cannot be applied.
    #[error("key change refused: {0}")]
    KeyChange(String),
    /// A result record covering more of the log than exists before it.
    #[error("the results cover {covers} leaves, but only {size} precede this record")]
    BadCovers {
        /// The size covered.
        covers: u64,
        /// Leaves before the record.
        size: u64,
    },
}

fn role_list(kind: RecordKind) -> String {
    let roles: Vec<&str> = kind.signer_roles().iter().map(|r| r.as_str()).collect();
    format!("{} keys", roles.join(" or "))
}

/// What [`Ledger::append`] did with an accepted entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Appended as a new leaf.
    Added {
        /// Its leaf index.
        index: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
    },
    /// The same record is already in the log: nothing appended.
    Duplicate {
        /// The leaf index of the record already in the log.
        existing: u64,
    },
}

/// Why a ledger cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// An origin that is empty or holds control characters.
    #[error("the log origin {0:?} is invalid: it must be non-empty, without control characters")]
    InvalidOrigin(String),
    /// A name or public key registered twice.
    #[error("key {0} is registered twice (by name or public key)")]
    Duplicate(String),
}

/// A key as the ledger knows it at its current size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    /// The key.
    pub key: RegistryKey,
    /// The leaf index of the record that added it (`None`: from the package registry).
    pub added_at: Option<u64>,
    /// The leaf index of the record that revoked it, if any.
    pub revoked_at: Option<u64>,
}

struct Slot {
    key: RegistryKey,
    verifier: VerifyingKey,
    /// Station lookup for scopes of many stations.
    stations: Option<hashbrown::HashSet<Box<str>>>,
    added_at: Option<u64>,
    revoked_at: Option<u64>,
}

impl Slot {
    fn new(key: RegistryKey, added_at: Option<u64>) -> Result<Slot, RegistryError> {
        let verifier = key.checked_key()?;
        Ok(Slot::with_verifier(key, verifier, added_at))
    }

    /// A slot for a key already checked (the registry's keys).
    fn with_verifier(key: RegistryKey, verifier: VerifyingKey, added_at: Option<u64>) -> Slot {
        let stations = match &key.stations {
            Scope::Stations(ids) if ids.len() > 8 => {
                Some(ids.iter().map(|s| Box::from(s.as_str())).collect())
            }
            _ => None,
        };
        Slot { key, verifier, stations, added_at, revoked_at: None }
    }

    fn in_scope(&self, station: &str) -> bool {
        match &self.stations {
            Some(set) => set.contains(station),
            None => self.key.stations.contains(station),
        }
    }

    fn verify(&self, record_bytes: &[u8], signature: &[u8; 64]) -> bool {
        signature::verify(&SignatureCheck {
            key: &self.verifier,
            prefix: SIGNING_PREFIX,
            message: record_bytes,
            signature,
        })
    }
}

/// The identity of a form: interned (station, contest), phase, version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FormId {
    pair: u32,
    phase: Phase,
    version: u32,
}

#[derive(Debug, Clone, Copy)]
struct FormSlot {
    index: u64,
    body: Hash,
}

/// Everything the ledger's decisions depend on.
struct State {
    origin: String,
    slots: Vec<Slot>,
    by_name: hashbrown::HashMap<Box<str>, u32>,
    by_public: hashbrown::HashMap<[u8; 32], u32>,
    genesis: Option<(u64, Genesis)>,
    /// station → (contest, pair id).
    pairs: hashbrown::HashMap<Box<str>, Vec<(Box<str>, u32)>>,
    pair_count: u32,
    forms: hashbrown::HashMap<FormId, FormSlot>,
    /// Leaf index of every accepted form or correction → its pair.
    form_at: hashbrown::HashMap<u64, u32>,
}

/// An entry read, its body hash and the signatures verified against the keys known when it was
/// read (a cache: the state decides).
struct Checked<'a> {
    parsed: ParsedEntry<'a>,
    body: Hash,
    verified: Vec<Option<(u32, bool)>>,
}

struct Prepared<'a> {
    leaf: Hash,
    entry: Result<Checked<'a>, Box<EntryFailure>>,
}

enum Outcome {
    Added,
    Duplicate(u64),
}

impl State {
    fn new(registry: &KeyRegistry, origin: &str) -> Result<State, LedgerError> {
        if origin.is_empty() || origin.contains(char::is_control) {
            return Err(LedgerError::InvalidOrigin(origin.to_owned()));
        }
        let n = registry.keys().len();
        let mut state = State {
            origin: origin.to_owned(),
            slots: Vec::with_capacity(n),
            by_name: hashbrown::HashMap::with_capacity(n),
            by_public: hashbrown::HashMap::with_capacity(n),
            genesis: None,
            pairs: hashbrown::HashMap::new(),
            pair_count: 0,
            forms: hashbrown::HashMap::new(),
            form_at: hashbrown::HashMap::new(),
        };
        // The registry checked and decompressed every key when it was read; the slots (copies
        // of tens of thousands of keys) are made on all cores.
        let slots: Vec<Slot> = registry
            .keys()
            .par_iter()
            .zip(registry.verifiers())
            .map(|(key, verifier)| Slot::with_verifier(key.clone(), *verifier, None))
            .collect();
        for slot in slots {
            if state.by_name.contains_key(slot.key.name.as_str())
                || state.by_public.contains_key(&slot.key.public_key)
            {
                return Err(LedgerError::Duplicate(slot.key.name.clone()));
            }
            state.add_slot(slot);
        }
        Ok(state)
    }

    fn add_slot(&mut self, slot: Slot) {
        let id = self.slots.len() as u32;
        self.by_name.insert(Box::from(slot.key.name.as_str()), id);
        self.by_public.insert(slot.key.public_key, id);
        self.slots.push(slot);
    }

    fn pair(&self, station: &str, contest: &str) -> Option<u32> {
        self.pairs.get(station)?.iter().find(|(c, _)| c.as_ref() == contest).map(|&(_, id)| id)
    }

    fn intern_pair(&mut self, station: &str, contest: &str) -> u32 {
        if let Some(id) = self.pair(station, contest) {
            return id;
        }
        let id = self.pair_count;
        self.pair_count += 1;
        match self.pairs.get_mut(station) {
            Some(list) => list.push((Box::from(contest), id)),
            None => {
                self.pairs.insert(Box::from(station), vec![(Box::from(contest), id)]);
            }
        }
        id
    }

    fn corrections_quorum(&self) -> u32 {
        self.genesis.as_ref().map_or(u32::MAX, |(_, g)| g.corrections_quorum)
    }

    /// Decides an entry at leaf `index` (`tree` holds the leaves before it) and, if it is
    /// accepted, applies it. A rejected entry changes nothing.
    fn apply(
        &mut self,
        index: u64,
        c: &Checked<'_>,
        tree: &MerkleTree,
    ) -> Result<Outcome, Rejection> {
        let record = &c.parsed.record;
        let kind = record.kind();
        match (&self.genesis, kind) {
            (None, RecordKind::Genesis) => {}
            (None, _) => return Err(Rejection::NoGenesis),
            (Some((at, _)), RecordKind::Genesis) => {
                return Err(Rejection::SecondGenesis { existing: *at });
            }
            _ => {}
        }
        let station = record.station_contest().map(|(s, _)| s);
        let sigs = &c.parsed.signatures;
        let mut commissioners = 0u32;
        for (i, s) in sigs.iter().enumerate() {
            let key = s.key.as_ref();
            if sigs[..i].iter().any(|t| t.key == s.key) {
                return Err(Rejection::RepeatedSigner { key: key.to_owned() });
            }
            let Some(&id) = self.by_name.get(key) else {
                return Err(Rejection::UnknownKey { key: key.to_owned() });
            };
            let slot = &self.slots[id as usize];
            let ok = match c.verified[i] {
                Some((cached, ok)) if cached == id => ok,
                _ => slot.verify(c.parsed.record_bytes, &s.sig),
            };
            if !ok {
                return Err(Rejection::BadSignature { key: key.to_owned() });
            }
            if let Some(added_at) = slot.added_at
                && index <= added_at
            {
                return Err(Rejection::KeyNotYetValid { key: key.to_owned(), added_at });
            }
            if let Some(revoked_at) = slot.revoked_at
                && index > revoked_at
            {
                return Err(Rejection::KeyRevoked { key: key.to_owned(), revoked_at });
            }
            if !kind.signer_roles().contains(&slot.key.role) {
                return Err(Rejection::WrongRole {
                    key: key.to_owned(),
                    role: slot.key.role,
                    kind,
                });
            }
            if let (RecordKind::Form, Some(station)) = (kind, station)
                && !slot.in_scope(station)
            {
                return Err(Rejection::OutOfScope {
                    key: key.to_owned(),
                    station: station.to_owned(),
                });
            }
            if slot.key.role == Role::Commissioner {
                commissioners += 1;
            }
        }
        let need = match record {
            Record::Genesis(g) => g.corrections_quorum,
            Record::Correction(_) | Record::Key(_) => self.corrections_quorum(),
            Record::Result(_) => 1,
            Record::Form(_) => 0,
        };
        if commissioners < need {
            return Err(Rejection::NoQuorum { kind, have: commissioners, need });
        }
        match record {
            Record::Genesis(g) => {
                if g.origin != self.origin {
                    return Err(Rejection::WrongOrigin {
                        got: g.origin.clone(),
                        want: self.origin.clone(),
                    });
                }
                self.genesis = Some((index, g.clone()));
                Ok(Outcome::Added)
            }
            Record::Form(_) | Record::Correction(_) => self.apply_form(index, c, tree),
            Record::Key(event) => {
                self.apply_key(index, event)?;
                Ok(Outcome::Added)
            }
            Record::Result(r) => {
                if r.covers > index {
                    return Err(Rejection::BadCovers { covers: r.covers, size: index });
                }
                Ok(Outcome::Added)
            }
        }
    }

    fn apply_form(
        &mut self,
        index: u64,
        c: &Checked<'_>,
        tree: &MerkleTree,
    ) -> Result<Outcome, Rejection> {
        let (form, correction) = match &c.parsed.record {
            Record::Form(f) => (f, None),
            Record::Correction(cr) => (&cr.form, Some(cr)),
            _ => return Ok(Outcome::Added),
        };
        let pair = self.pair(&form.station, &form.contest);
        if let Some(pair) = pair {
            let id = FormId { pair, phase: form.phase, version: form.version };
            if let Some(existing) = self.forms.get(&id) {
                if existing.body == c.body {
                    return Ok(Outcome::Duplicate(existing.index));
                }
                return Err(Rejection::Conflict {
                    existing: existing.index,
                    station: form.station.to_string(),
                    contest: form.contest.to_string(),
                    phase: form.phase,
                    version: form.version,
                });
            }
        }
        if let Some(Correction { supersedes, .. }) = correction {
            let target = supersedes.index;
            let bad = |message: String| Rejection::BadSupersedes { index: target, message };
            if target >= index {
                return Err(bad(format!("that leaf does not precede this one (leaf {index})")));
            }
            let Some(&target_pair) = self.form_at.get(&target) else {
                return Err(bad("that leaf is not an accepted form or correction".to_owned()));
            };
            if Some(target_pair) != pair {
                return Err(bad(format!(
                    "that leaf is a form of another station or contest than station {}, contest {}",
                    form.station, form.contest
                )));
            }
            if tree.leaf(target) != Some(&supersedes.leaf_hash) {
                return Err(bad("its leaf hash is not the one given".to_owned()));
            }
        }
        let pair = self.intern_pair(&form.station, &form.contest);
        self.forms.insert(
            FormId { pair, phase: form.phase, version: form.version },
            FormSlot { index, body: c.body },
        );
        self.form_at.insert(index, pair);
        Ok(Outcome::Added)
    }

    fn active_commissioners(&self) -> u32 {
        self.slots
            .iter()
            .filter(|s| s.key.role == Role::Commissioner && s.revoked_at.is_none())
            .count() as u32
    }

    fn new_slot(&self, key: &RegistryKey, index: u64) -> Result<Slot, Rejection> {
        if self.by_name.contains_key(key.name.as_str()) {
            return Err(Rejection::KeyChange(format!(
                "key name {} is already used (names are never reused)",
                key.name
            )));
        }
        if let Some(&other) = self.by_public.get(&key.public_key) {
            return Err(Rejection::KeyChange(format!(
                "the public key of {} is already registered as {}",
                key.name, self.slots[other as usize].key.name
            )));
        }
        Slot::new(key.clone(), Some(index)).map_err(|e| Rejection::KeyChange(e.to_string()))
    }

    fn active_slot(&self, name: &str) -> Result<u32, Rejection> {
        let &id = self
            .by_name
            .get(name)
            .ok_or_else(|| Rejection::KeyChange(format!("key {name} is not registered")))?;
        if let Some(at) = self.slots[id as usize].revoked_at {
            return Err(Rejection::KeyChange(format!(
                "key {name} was already revoked at leaf {at}"
            )));
        }
        Ok(id)
    }

    fn apply_key(&mut self, index: u64, event: &KeyEvent) -> Result<(), Rejection> {
        match event {
            KeyEvent::Add(key) => {
                let slot = self.new_slot(key, index)?;
                self.add_slot(slot);
            }
            KeyEvent::Revoke { name } => {
                let id = self.active_slot(name)?;
                let k = self.corrections_quorum();
                if self.slots[id as usize].key.role == Role::Commissioner
                    && self.active_commissioners() <= k
                {
                    return Err(Rejection::KeyChange(format!(
                        "revoking {name} would leave fewer commissioners than the quorum of {k}"
                    )));
                }
                self.slots[id as usize].revoked_at = Some(index);
            }
            KeyEvent::Rotate { key, replaces } => {
                let id = self.active_slot(replaces)?;
                let old_role = self.slots[id as usize].key.role;
                if old_role != key.role {
                    return Err(Rejection::KeyChange(format!(
                        "{} is a {} key and cannot be replaced by a {} key",
                        replaces, old_role, key.role
                    )));
                }
                let slot = self.new_slot(key, index)?;
                self.slots[id as usize].revoked_at = Some(index);
                self.add_slot(slot);
            }
        }
        Ok(())
    }
}

/// Entries read and verified in parallel per chunk, then applied in order.
const CHUNK: usize = 4096;

/// Reads an entry; its signatures are verified by [`KeyView::prepare_chunk`] or, failing
/// that, when the entry is applied.
fn prepare(bytes: &[u8]) -> Prepared<'_> {
    let leaf = leaf_hash(bytes);
    let entry = parse_entry(bytes).map(|parsed| {
        let body = match parsed.record {
            Record::Form(_) | Record::Correction(_) => Sha256::digest(parsed.record_bytes).into(),
            _ => [0; 32],
        };
        let verified = vec![None; parsed.signatures.len()];
        Checked { parsed, body, verified }
    });
    Prepared { leaf, entry }
}

/// The keys as the parallel reading of a chunk sees them: names and decompressed public keys.
/// Slots are only ever added, so a view stays right for the keys it has; it is renewed between
/// chunks when keys were added. A signature by a key the view lacks is verified when its entry
/// is applied.
struct KeyView {
    by_name: hashbrown::HashMap<Box<str>, u32>,
    verifiers: Vec<VerifyingKey>,
}

impl KeyView {
    fn of(state: &State) -> KeyView {
        KeyView {
            by_name: state.by_name.clone(),
            verifiers: state.slots.iter().map(|s| s.verifier).collect(),
        }
    }

    /// Reads entries on all cores and verifies their signatures in batches (the verdicts are
    /// those of one-by-one checks: [`crate::signature`]), a batch per run of entries so that
    /// each entry is read and verified while its bytes are in cache.
    fn prepare_chunk<'a, E: AsRef<[u8]> + Sync>(&self, chunk: &'a [E]) -> Vec<Prepared<'a>> {
        chunk
            .par_chunks(signature::BATCH)
            .flat_map_iter(|run| {
                let mut prepared: Vec<Prepared<'a>> =
                    run.iter().map(|e| prepare(e.as_ref())).collect();
                self.verify(&mut prepared);
                prepared
            })
            .collect()
    }

    /// Verifies the signatures of prepared entries whose keys the view has, as one batch.
    fn verify(&self, prepared: &mut [Prepared<'_>]) {
        let mut at = Vec::new();
        let mut checks = Vec::new();
        for (i, p) in prepared.iter().enumerate() {
            let Ok(c) = &p.entry else { continue };
            for (j, s) in c.parsed.signatures.iter().enumerate() {
                if let Some(&slot) = self.by_name.get(s.key.as_ref()) {
                    at.push((i, j, slot));
                    checks.push(SignatureCheck {
                        key: &self.verifiers[slot as usize],
                        prefix: SIGNING_PREFIX,
                        message: c.parsed.record_bytes,
                        signature: &s.sig,
                    });
                }
            }
        }
        let verdicts = signature::verify_batch(&checks);
        drop(checks);
        for ((i, j, slot), ok) in at.into_iter().zip(verdicts) {
            if let Ok(c) = &mut prepared[i].entry {
                c.verified[j] = Some((slot, ok));
            }
        }
    }
}

/// Feeds `entries` to `apply` in order, chunk by chunk, while the next chunk is read and
/// verified on the other cores: the sequential decisions overlap the parallel reading.
fn pipeline<'a, E, S, F>(
    entries: &'a [E],
    chunk_len: usize,
    ctx: &mut S,
    state: fn(&S) -> &State,
    mut apply: F,
) where
    E: AsRef<[u8]> + Sync,
    S: Send,
    F: FnMut(&mut S, Prepared<'a>) + Send,
{
    let mut view = KeyView::of(state(ctx));
    let mut chunks = entries.chunks(chunk_len.max(1));
    let mut current = chunks.next().map(|c| view.prepare_chunk(c));
    while let Some(prepared) = current {
        let next = chunks.next();
        let v = &view;
        let apply = &mut apply;
        let ctx_ref = &mut *ctx;
        let (next_prepared, ()) = rayon::join(
            || next.map(|c| v.prepare_chunk(c)),
            move || {
                for p in prepared {
                    apply(ctx_ref, p);
                }
            },
        );
        if state(ctx).slots.len() != view.verifiers.len() {
            view = KeyView::of(state(ctx));
        }
        current = next_prepared;
    }
}

/// A ledger: the accepted entries' Merkle tree and the state that decides what comes next.
pub struct Ledger {
    state: State,
    tree: MerkleTree,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("origin", &self.state.origin)
            .field("size", &self.tree.len())
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// An empty ledger for `origin`, knowing the keys of the package registry.
    pub fn new(registry: &KeyRegistry, origin: &str) -> Result<Ledger, LedgerError> {
        Ok(Ledger { state: State::new(registry, origin)?, tree: MerkleTree::new() })
    }

    /// Checks an entry and appends it if it is accepted. A rejected entry or a duplicate
    /// changes nothing.
    pub fn append(&mut self, entry: &[u8]) -> Result<Appended, Rejection> {
        self.apply(prepare(entry))
    }

    fn apply(&mut self, prepared: Prepared<'_>) -> Result<Appended, Rejection> {
        let checked = prepared.entry.map_err(|f| f.rejection)?;
        let index = self.tree.len();
        match self.state.apply(index, &checked, &self.tree)? {
            Outcome::Added => {
                self.tree.push_leaf_hash(prepared.leaf);
                Ok(Appended::Added { index, leaf_hash: prepared.leaf })
            }
            Outcome::Duplicate(existing) => Ok(Appended::Duplicate { existing }),
        }
    }

    /// Appends entries in order, verifying signatures in parallel: the results are exactly
    /// those of calling [`Ledger::append`] on each in turn.
    pub fn append_batch<E: AsRef<[u8]> + Sync>(
        &mut self,
        entries: &[E],
    ) -> Vec<Result<Appended, Rejection>> {
        self.append_chunked(entries, CHUNK)
    }

    fn append_chunked<E: AsRef<[u8]> + Sync>(
        &mut self,
        entries: &[E],
        chunk_len: usize,
    ) -> Vec<Result<Appended, Rejection>> {
        let mut ctx = (self, Vec::with_capacity(entries.len()));
        pipeline(
            entries,
            chunk_len,
            &mut ctx,
            |(ledger, _)| &ledger.state,
            |(ledger, out), p| out.push(ledger.apply(p)),
        );
        ctx.1
    }

    /// The log origin.
    pub fn origin(&self) -> &str {
        &self.state.origin
    }

    /// The Merkle tree of the accepted entries.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The current tree head.
    pub fn head(&self) -> TreeHead {
        self.tree.head()
    }

    /// Entries in the log.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The genesis record and its leaf index, once accepted.
    pub fn genesis(&self) -> Option<(u64, &Genesis)> {
        self.state.genesis.as_ref().map(|(i, g)| (*i, g))
    }

    /// Every key known, in the order registered (package registry first).
    pub fn keys(&self) -> Vec<KeyStatus> {
        self.state
            .slots
            .iter()
            .map(|s| KeyStatus {
                key: s.key.clone(),
                added_at: s.added_at,
                revoked_at: s.revoked_at,
            })
            .collect()
    }

    /// Replays a published log and reports every entry the ledger would not accept, without
    /// stopping. Only a registry or origin that cannot be used is an error.
    pub fn audit<'a, E: AsRef<[u8]> + Sync>(
        registry: &KeyRegistry,
        origin: &str,
        entries: &'a [E],
    ) -> Result<AuditReport<'a>, LedgerError> {
        let state = State::new(registry, origin)?;
        let report = AuditReport {
            tree: MerkleTree::new(),
            accepted: 0,
            problems: Vec::new(),
            forms: Vec::new(),
            genesis: None,
            results: Vec::new(),
            key_events: Vec::new(),
        };
        let mut ctx = (state, MerkleTree::new(), report);
        pipeline(
            entries,
            CHUNK,
            &mut ctx,
            |(state, _, _)| state,
            |(state, tree, report), p| {
                let index = tree.len();
                let problem = match p.entry {
                    Err(f) => Some(Problem {
                        index,
                        station: f.station,
                        contest: f.contest,
                        issue: Issue::Rejected(f.rejection),
                    }),
                    Ok(checked) => {
                        let outcome = state.apply(index, &checked, tree);
                        let problem = |issue| {
                            let (station, contest) =
                                checked.parsed.record.station_contest().unzip();
                            Some(Problem {
                                index,
                                station: station.map(str::to_owned),
                                contest: contest.map(str::to_owned),
                                issue,
                            })
                        };
                        match outcome {
                            Ok(Outcome::Added) => {
                                report.accepted += 1;
                                match checked.parsed.record {
                                    Record::Form(form) => {
                                        report.forms.push(AcceptedForm { index, form })
                                    }
                                    Record::Correction(c) => {
                                        report.forms.push(AcceptedForm { index, form: c.form })
                                    }
                                    Record::Genesis(g) => report.genesis = Some((index, g)),
                                    Record::Result(r) => report.results.push((index, r)),
                                    Record::Key(k) => report.key_events.push((index, k)),
                                }
                                None
                            }
                            Ok(Outcome::Duplicate(existing)) => {
                                problem(Issue::Duplicate { existing })
                            }
                            Err(rejection) => problem(Issue::Rejected(rejection)),
                        }
                    }
                };
                report.problems.extend(problem);
                tree.push_leaf_hash(p.leaf);
            },
        );
        let (_, tree, mut report) = ctx;
        report.tree = tree;
        // A key used before the record that adds it was unknown when it was used; say so.
        let added: hashbrown::HashMap<&str, u64> = report
            .key_events
            .iter()
            .filter_map(|(i, e)| match e {
                KeyEvent::Add(k) | KeyEvent::Rotate { key: k, .. } => Some((k.name.as_str(), *i)),
                KeyEvent::Revoke { .. } => None,
            })
            .collect();
        let mut problems = std::mem::take(&mut report.problems);
        for p in &mut problems {
            if let Issue::Rejected(Rejection::UnknownKey { key }) = &p.issue
                && let Some(&added_at) = added.get(key.as_str())
            {
                p.issue = Issue::Rejected(Rejection::KeyNotYetValid { key: key.clone(), added_at });
            }
        }
        drop(added);
        report.problems = problems;
        Ok(report)
    }
}

#[cfg(test)]
mod tests;

/// An accepted form or correction of an audited log.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedForm<'a> {
    /// Its leaf index.
    pub index: u64,
    /// The form as read from the record (phase `correction` for a correction), borrowing the
    /// entry's text: a national log has tens of thousands of forms, and a reader that recounts
    /// them should neither parse nor copy them a second time.
    pub form: FormRecord<'a>,
}

impl AcceptedForm<'_> {
    /// The form as a JSON form object (`docs/results.md`).
    pub fn form(&self) -> Value {
        self.form.form_value()
    }
}

/// What is wrong with one entry of an audited log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issue {
    /// The ledger would have refused it.
    Rejected(Rejection),
    /// The same record is already at an earlier leaf (the ledger would not have appended it).
    Duplicate {
        /// The leaf index of the earlier record.
        existing: u64,
    },
}

/// One entry of an audited log that the ledger would not have accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its leaf index.
    pub index: u64,
    /// Its station, if it could be read.
    pub station: Option<String>,
    /// Its contest, if it could be read.
    pub contest: Option<String>,
    /// What is wrong.
    pub issue: Issue,
}

impl Problem {
    /// What is wrong, in plain English.
    pub fn message(&self) -> String {
        match &self.issue {
            Issue::Rejected(r) => r.to_string(),
            Issue::Duplicate { existing } => format!(
                "the same record is already at leaf {existing}; a log never holds a record twice"
            ),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "leaf {}", self.index)?;
        if let Some(s) = &self.station {
            write!(f, " station={s}")?;
        }
        if let Some(c) = &self.contest {
            write!(f, " contest={c}")?;
        }
        write!(f, ": {}", self.message())
    }
}

/// The outcome of [`Ledger::audit`], borrowing the audited entries.
#[derive(Debug, Clone)]
pub struct AuditReport<'a> {
    /// The Merkle tree of every entry as published, good or bad.
    pub tree: MerkleTree,
    /// Entries the ledger accepts.
    pub accepted: u64,
    /// Every entry it does not, in log order.
    pub problems: Vec<Problem>,
    /// The accepted forms and corrections, in log order.
    pub forms: Vec<AcceptedForm<'a>>,
    /// The accepted genesis and its leaf index.
    pub genesis: Option<(u64, Genesis)>,
    /// The accepted result records and their leaf indices.
    pub results: Vec<(u64, ResultRecord)>,
    /// The accepted key changes and their leaf indices.
    pub key_events: Vec<(u64, KeyEvent)>,
}

impl AuditReport<'_> {
    /// Whether every entry is accepted.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The accepted forms as JSON form objects, in log order.
    pub fn form_values(&self) -> Vec<Value> {
        self.forms.iter().map(AcceptedForm::form).collect()
    }
}
