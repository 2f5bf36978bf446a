//! Signed records (schema `psephos-record/v1`): what the ledger's leaves hold.
//!
//! A record is a JSON object `{"schema": "psephos-record/v1", "kind": ..., ...}` of one of five
//! kinds, each with exactly its fields (an unknown field is refused, so that one meaning has one
//! body):
//!
//! | kind | fields | signed by |
//! |---|---|---|
//! | `genesis` | `origin`, `election`, `package` (path → SHA-256 hex), `corrections_quorum` k ≥ 1, `witness_quorum` w ≥ 0 | ≥ k commissioners |
//! | `form` | `station`, `contest`, `phase` (electronic, manual, recount), `version` ≥ 1, `ballots_found`, `blank`, `invalid`, `votes` (candidate → count), optional non-empty `images` (`[{"media_type", "sha256"}]`) | device or operator keys whose scope holds the station |
//! | `correction` | the form fields with phase `correction`, non-empty `reason`, `supersedes` `{"index", "leaf_hash"}` | ≥ k distinct commissioners |
//! | `key` | `action` `add` (`name`, `role`, `public_key`, `stations`), `revoke` (`name`), `rotate` (`name`, `role`, `public_key`, `stations`, `replaces`) | ≥ k commissioners |
//! | `result` | `covers` (the log size the results were computed from, ≥ 1), `files` (path → SHA-256 hex, non-empty) | ≥ 1 commissioner |
//!
//! Counts are whole numbers from 0 to 4,294,967,295; versions from 1; hashes 64 lowercase hex
//! digits; `stations` an array of station ids, `["*"]` for every station, `[]` for roles that
//! sign no forms; `public_key` standard base64 of 32 bytes.
//!
//! A signed entry — the bytes of a leaf — is the canonical JSON (RFC 8785) of
//! `{"record": R, "signatures": [{"key": name, "sig": base64(Ed25519 signature)}, ...]}`, each
//! signature over `b"psephos-record/v1\n" || JCS(R)`, at most [`MAX_ENTRY_LEN`] bytes (tiles
//! carry 16-bit lengths).

use std::borrow::Cow;
use std::collections::BTreeMap;

use ed25519_dalek::{Signer, SigningKey};
use psephos_model::Phase;
use serde_json::{Map, Value, json};

use crate::base64;
use crate::canonical::{self, Member, Node};
use crate::checkpoint::is_valid_key_name;
use crate::form_entry;
use crate::hash::Hash;
use crate::ledger::Rejection;
use crate::registry::{RegistryKey, Role, Scope, check_scope, decode_public_key, verifying_key};
use crate::votes::Votes;

/// The schema of every record.
pub const RECORD_SCHEMA: &str = "psephos-record/v1";

/// What every record signature signs before the record's canonical bytes.
pub const SIGNING_PREFIX: &[u8] = b"psephos-record/v1\n";

/// The largest entry, in bytes.
pub const MAX_ENTRY_LEN: usize = 65_535;

/// The kind of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// The first record: the election package and the quorums.
    Genesis,
    /// A station's form.
    Form,
    /// A correction of a form, approved by k commissioners.
    Correction,
    /// A key added, revoked or rotated.
    Key,
    /// Published results and the log size they were computed from.
    Result,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Genesis,
        RecordKind::Form,
        RecordKind::Correction,
        RecordKind::Key,
        RecordKind::Result,
    ];

    /// The kind as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Genesis => "genesis",
            RecordKind::Form => "form",
            RecordKind::Correction => "correction",
            RecordKind::Key => "key",
            RecordKind::Result => "result",
        }
    }

    /// The kind written `s`.
    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The role whose keys sign records of this kind.
    pub fn signer_roles(self) -> &'static [Role] {
        match self {
            RecordKind::Form => &[Role::Device, Role::Operator],
            _ => &[Role::Commissioner],
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first record of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The log's origin (its checkpoint origin line).
    pub origin: String,
    /// The election's id.
    pub election: String,
    /// Every file of the election package: path → SHA-256 (lowercase hex).
    pub package: BTreeMap<String, String>,
    /// Commissioner signatures a correction or key change needs (k of n).
    pub corrections_quorum: u32,
    /// Witness cosignatures a checkpoint needs.
    pub witness_quorum: u32,
}

/// The hash and media type of a scanned form image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// SHA-256 of the image file (lowercase hex).
    pub sha256: String,
    /// Its media type, e.g. `image/jpeg`.
    pub media_type: String,
}

/// A station's form, as in psephos's JSON forms (`docs/results.md`), plus image hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRecord<'a> {
    /// The station id.
    pub station: Cow<'a, str>,
    /// The contest id.
    pub contest: Cow<'a, str>,
    /// The phase (`correction` only in a correction record).
    pub phase: Phase,
    /// The version, 1 or more.
    pub version: u32,
    /// Ballots found in the box.
    pub ballots_found: u32,
    /// Blank ballots.
    pub blank: u32,
    /// Invalid ballots.
    pub invalid: u32,
    /// Votes per candidate id, in the record's order.
    pub votes: Votes<'a>,
    /// Image hashes (possibly none).
    pub images: Vec<Image>,
}

/// What a correction corrects: an earlier leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supersedes {
    /// The leaf index of the corrected form or correction.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
}

/// A correction: a form of phase `correction`, why, and what it corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction<'a> {
    /// The corrected form (phase `correction`).
    pub form: FormRecord<'a>,
    /// Why the form is corrected.
    pub reason: String,
    /// The record corrected.
    pub supersedes: Supersedes,
}

/// A change to the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEvent {
    /// A new key, valid for the records after this one.
    Add(RegistryKey),
    /// A key revoked: invalid for the records after this one.
    Revoke {
        /// The key revoked.
        name: String,
    },
    /// A new key replacing an old one (of the same role), which is revoked.
    Rotate {
        /// The new key.
        key: RegistryKey,
        /// The name of the key it replaces.
        replaces: String,
    },
}

impl KeyEvent {
    /// `add`, `revoke` or `rotate`.
    pub fn action(&self) -> &'static str {
        match self {
            KeyEvent::Add(_) => "add",
            KeyEvent::Revoke { .. } => "revoke",
            KeyEvent::Rotate { .. } => "rotate",
        }
    }
}

/// Published results and the log they were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRecord {
    /// The log size (leaves `0..covers`) the results were computed from.
    pub covers: u64,
    /// Every published result file: path → SHA-256 (lowercase hex).
    pub files: BTreeMap<String, String>,
}

/// A record of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    /// See [`Genesis`].
    Genesis(Genesis),
    /// See [`FormRecord`].
    Form(FormRecord<'a>),
    /// See [`Correction`].
    Correction(Correction<'a>),
    /// See [`KeyEvent`].
    Key(KeyEvent),
    /// See [`ResultRecord`].
    Result(ResultRecord),
}

/// A hash as lowercase hex.
pub fn hash_hex(hash: &Hash) -> String {
    crate::hash::hex(hash)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn parse_hash_hex(s: &str) -> Option<Hash> {
    if !is_sha256_hex(s) {
        return None;
    }
    let mut h = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let d = |c: u8| if c <= b'9' { c - b'0' } else { c - b'a' + 10 };
        h[i] = (d(pair[0]) << 4) | d(pair[1]);
    }
    Some(h)
}

impl FormRecord<'_> {
    /// The JSON form object of `docs/results.md` (what psephos's JSON forms reader reads).
    pub fn form_value(&self) -> Value {
        let votes: Map<String, Value> =
            self.votes.iter().map(|(c, n)| (c.to_string(), Value::from(n))).collect();
        json!({
            "station": self.station,
            "contest": self.contest,
            "phase": self.phase.as_str(),
            "version": self.version,
            "ballots_found": self.ballots_found,
            "blank": self.blank,
            "invalid": self.invalid,
            "votes": votes,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> FormRecord<'static> {
        FormRecord {
            station: Cow::Owned(self.station.into_owned()),
            contest: Cow::Owned(self.contest.into_owned()),
            phase: self.phase,
            version: self.version,
            ballots_found: self.ballots_found,
            blank: self.blank,
            invalid: self.invalid,
            votes: self.votes.into_owned(),
            images: self.images,
        }
    }

    fn insert_fields(&self, map: &mut Map<String, Value>) {
        if let Value::Object(form) = self.form_value() {
            map.extend(form);
        }
        if !self.images.is_empty() {
            let images: Vec<Value> = self
                .images
                .iter()
                .map(|i| json!({"sha256": i.sha256, "media_type": i.media_type}))
                .collect();
            map.insert("images".to_owned(), Value::Array(images));
        }
    }

    /// The form record of a JSON form object (`docs/results.md`; other keys than the form's and
    /// `images` are refused), checked as the ledger checks it.
    pub fn from_form_value(form: &Value) -> Result<FormRecord<'static>, Rejection> {
        let mut record = match form {
            Value::Object(m) => m.clone(),
            _ => return Err(schema("record", "a form is a JSON object")),
        };
        record.insert("schema".to_owned(), Value::from(RECORD_SCHEMA));
        record.insert("kind".to_owned(), Value::from("form"));
        match Record::from_value(&Value::Object(record))? {
            Record::Form(f) => Ok(f),
            _ => Err(schema("kind", "not a form")),
        }
    }
}

fn key_fields(map: &mut Map<String, Value>, key: &RegistryKey) {
    map.insert("name".to_owned(), Value::from(key.name.as_str()));
    map.insert("role".to_owned(), Value::from(key.role.as_str()));
    map.insert("public_key".to_owned(), Value::from(base64::encode(&key.public_key)));
    map.insert("stations".to_owned(), Value::from(key.stations.ids()));
}

impl Record<'_> {
    /// The kind of this record.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Genesis(_) => RecordKind::Genesis,
            Record::Form(_) => RecordKind::Form,
            Record::Correction(_) => RecordKind::Correction,
            Record::Key(_) => RecordKind::Key,
            Record::Result(_) => RecordKind::Result,
        }
    }

    /// The station and contest of a form or correction.
    pub fn station_contest(&self) -> Option<(&str, &str)> {
        match self {
            Record::Form(f) | Record::Correction(Correction { form: f, .. }) => {
                Some((&f.station, &f.contest))
            }
            _ => None,
        }
    }

    /// The record as a JSON object (sign it with [`sign_entry`]).
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("schema".to_owned(), Value::from(RECORD_SCHEMA));
        map.insert("kind".to_owned(), Value::from(self.kind().as_str()));
        match self {
            Record::Genesis(g) => {
                map.insert("origin".to_owned(), Value::from(g.origin.as_str()));
                map.insert("election".to_owned(), Value::from(g.election.as_str()));
                let package: Map<String, Value> =
                    g.package.iter().map(|(p, h)| (p.clone(), Value::from(h.as_str()))).collect();
                map.insert("package".to_owned(), Value::Object(package));
                map.insert("corrections_quorum".to_owned(), Value::from(g.corrections_quorum));
                map.insert("witness_quorum".to_owned(), Value::from(g.witness_quorum));
            }
            Record::Form(f) => f.insert_fields(&mut map),
            Record::Correction(c) => {
                c.form.insert_fields(&mut map);
                map.insert("reason".to_owned(), Value::from(c.reason.as_str()));
                map.insert(
                    "supersedes".to_owned(),
                    json!({"index": c.supersedes.index, "leaf_hash": hash_hex(&c.supersedes.leaf_hash)}),
                );
            }
            Record::Key(k) => {
                map.insert("action".to_owned(), Value::from(k.action()));
                match k {
                    KeyEvent::Add(key) => key_fields(&mut map, key),
                    KeyEvent::Revoke { name } => {
                        map.insert("name".to_owned(), Value::from(name.as_str()));
                    }
                    KeyEvent::Rotate { key, replaces } => {
                        key_fields(&mut map, key);
                        map.insert("replaces".to_owned(), Value::from(replaces.as_str()));
                    }
                }
            }
            Record::Result(r) => {
                map.insert("covers".to_owned(), Value::from(r.covers));
                let files: Map<String, Value> =
                    r.files.iter().map(|(p, h)| (p.clone(), Value::from(h.as_str()))).collect();
                map.insert("files".to_owned(), Value::Object(files));
            }
        }
        Value::Object(map)
    }

    /// Reads and checks a record from a JSON value.
    pub fn from_value(value: &Value) -> Result<Record<'static>, Rejection> {
        let bytes = canonical::canonicalize(value);
        let node = canonical::parse_canonical(&bytes).map_err(Rejection::Json)?;
        record_from_node(&node, utf8(&bytes)?).map(Record::into_owned)
    }

    /// An owned copy.
    pub fn into_owned(self) -> Record<'static> {
        match self {
            Record::Genesis(g) => Record::Genesis(g),
            Record::Form(f) => Record::Form(f.into_owned()),
            Record::Correction(c) => Record::Correction(Correction {
                form: c.form.into_owned(),
                reason: c.reason,
                supersedes: c.supersedes,
            }),
            Record::Key(k) => Record::Key(k),
            Record::Result(r) => Record::Result(r),
        }
    }
}

pub(crate) fn schema(field: &str, message: impl Into<String>) -> Rejection {
    Rejection::Schema { field: field.to_owned(), message: message.into() }
}

/// The members of an object node, or a schema error naming `field`.
fn object<'n, 'a>(node: &'n Node<'a>, field: &str) -> Result<&'n [Member<'a>], Rejection> {
    match node {
        Node::Object(m) => Ok(m),
        _ => Err(schema(field, "must be a JSON object")),
    }
}

fn get<'n, 'a>(members: &'n [Member<'a>], key: &str) -> Option<&'n Node<'a>> {
    members.iter().find(|m| m.key == key).map(|m| &m.value)
}

fn require<'n, 'a>(members: &'n [Member<'a>], key: &str) -> Result<&'n Node<'a>, Rejection> {
    get(members, key).ok_or_else(|| schema(key, "is missing"))
}

fn only(members: &[Member<'_>], allowed: &[&str], what: &str) -> Result<(), Rejection> {
    match members.iter().find(|m| !allowed.contains(&m.key.as_ref())) {
        Some(m) => Err(schema(&m.key, format!("is not a field of {what}"))),
        None => Ok(()),
    }
}

fn string<'a>(node: &Node<'a>, field: &str) -> Result<Cow<'a, str>, Rejection> {
    match node {
        Node::String(s) if !s.is_empty() => Ok(s.clone()),
        Node::String(_) => Err(schema(field, "must not be empty")),
        _ => Err(schema(field, "must be a string")),
    }
}

fn integer(node: &Node<'_>, field: &str, min: f64, max: f64) -> Result<f64, Rejection> {
    match node {
        Node::Number(x) if x.fract() == 0.0 && *x >= min && *x <= max => Ok(*x),
        Node::Number(_) => {
            Err(schema(field, format!("must be a whole number from {min} to {max}")))
        }
        _ => Err(schema(field, "must be a number")),
    }
}

fn count(node: &Node<'_>, field: &str) -> Result<u32, Rejection> {
    integer(node, field, 0.0, f64::from(u32::MAX)).map(|x| x as u32)
}

/// Largest integer every double below represents exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn hash_map(node: &Node<'_>, field: &str) -> Result<BTreeMap<String, String>, Rejection> {
    let members = object(node, field)?;
    if members.is_empty() {
        return Err(schema(field, "must name at least one file"));
    }
    let mut out = BTreeMap::new();
    for m in members {
        let f = format!("{field}.{}", m.key);
        if m.key.is_empty() {
            return Err(schema(&f, "a file path must not be empty"));
        }
        match &m.value {
            Node::String(h) if is_sha256_hex(h) => {
                out.insert(m.key.to_string(), h.to_string());
            }
            _ => return Err(schema(&f, "must be a SHA-256 hash: 64 lowercase hex digits")),
        }
    }
    Ok(out)
}

/// The form of a form or correction record's members, parsed from `text`.
fn form_from_members<'a>(
    members: &[Member<'a>],
    text: &'a str,
    correction: bool,
) -> Result<FormRecord<'a>, Rejection> {
    let station = string(require(members, "station")?, "station")?;
    let contest = string(require(members, "contest")?, "contest")?;
    let phase_text = string(require(members, "phase")?, "phase")?;
    let phase = Phase::parse(&phase_text).ok_or_else(|| {
        schema("phase", format!("{phase_text:?} is not electronic, manual, recount or correction"))
    })?;
    match (phase == Phase::Correction, correction) {
        (true, false) => {
            return Err(schema(
                "phase",
                "a form record cannot have phase correction: corrections are correction records",
            ));
        }
        (false, true) => return Err(schema("phase", "a correction record has phase correction")),
        _ => {}
    }
    let version =
        integer(require(members, "version")?, "version", 1.0, f64::from(u32::MAX))? as u32;
    let ballots_found = count(require(members, "ballots_found")?, "ballots_found")?;
    let blank = count(require(members, "blank")?, "blank")?;
    let invalid = count(require(members, "invalid")?, "invalid")?;
    let votes_member =
        members.iter().find(|m| m.key == "votes").ok_or_else(|| schema("votes", "is missing"))?;
    let vote_members = object(&votes_member.value, "votes")?;
    for m in vote_members {
        if m.key.is_empty() {
            return Err(schema("votes", "a candidate id must not be empty"));
        }
        count(&m.value, "votes").map_err(|_| {
            schema(&format!("votes.{}", m.key), "must be a whole number from 0 to 4294967295")
        })?;
    }
    // Checked above: the canonical text of the object is all a form keeps of its votes.
    let votes_text = text
        .get(votes_member.start..votes_member.end)
        .ok_or_else(|| schema("votes", "is not where the record was read"))?;
    let votes = Votes::from_checked(Cow::Borrowed(votes_text), vote_members.len());
    let mut images = Vec::new();
    if let Some(node) = get(members, "images") {
        let Node::Array(items) = node else {
            return Err(schema("images", "must be an array"));
        };
        if items.is_empty() {
            return Err(schema("images", "must not be empty when present (leave it out instead)"));
        }
        for (i, item) in items.iter().enumerate() {
            let f = format!("images[{i}]");
            let im = object(item, &f)?;
            only(im, &["media_type", "sha256"], "an image")?;
            let sha = string(require(im, "sha256")?, &f)?;
            if !is_sha256_hex(&sha) {
                return Err(schema(&f, "sha256 must be 64 lowercase hex digits"));
            }
            let media_type = string(require(im, "media_type")?, &f)?;
            images.push(Image { sha256: sha.into_owned(), media_type: media_type.into_owned() });
        }
    }
    Ok(FormRecord {
        station,
        contest,
        phase,
        version,
        ballots_found,
        blank,
        invalid,
        votes,
        images,
    })
}

fn registry_key(members: &[Member<'_>]) -> Result<RegistryKey, Rejection> {
    let name = string(require(members, "name")?, "name")?;
    if !is_valid_key_name(&name) {
        return Err(schema("name", format!("key name {name:?} is invalid")));
    }
    let role_text = string(require(members, "role")?, "role")?;
    let role = Role::parse(&role_text)
        .ok_or_else(|| schema("role", format!("role {role_text:?} is unknown")))?;
    let pk_text = string(require(members, "public_key")?, "public_key")?;
    let public_key =
        decode_public_key(&pk_text).map_err(|e| schema("public_key", e.to_string()))?;
    verifying_key(&public_key).map_err(|e| schema("public_key", e.to_string()))?;
    let Node::Array(items) = require(members, "stations")? else {
        return Err(schema("stations", "must be an array of station ids"));
    };
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::String(s) => ids.push(s.to_string()),
            _ => return Err(schema("stations", "must be an array of station ids")),
        }
    }
    let stations = Scope::from_ids(ids).map_err(|e| schema("stations", e.to_string()))?;
    check_scope(role, &stations).map_err(|e| schema("stations", e.to_string()))?;
    Ok(RegistryKey { name: name.into_owned(), role, public_key, stations })
}

/// Reads and checks a record from its (canonical) node, parsed from `text`.
pub(crate) fn record_from_node<'a>(
    node: &Node<'a>,
    text: &'a str,
) -> Result<Record<'a>, Rejection> {
    let members = object(node, "record")?;
    match require(members, "schema")? {
        Node::String(s) if s == RECORD_SCHEMA => {}
        _ => return Err(schema("schema", format!("must be {RECORD_SCHEMA:?}"))),
    }
    let kind_text = string(require(members, "kind")?, "kind")?;
    let kind = RecordKind::parse(&kind_text).ok_or_else(|| {
        schema("kind", format!("{kind_text:?} is not genesis, form, correction, key or result"))
    })?;
    const FORM: [&str; 10] = [
        "schema",
        "kind",
        "station",
        "contest",
        "phase",
        "version",
        "ballots_found",
        "blank",
        "invalid",
        "votes",
    ];
    match kind {
        RecordKind::Genesis => {
            only(
                members,
                &[
                    "schema",
                    "kind",
                    "origin",
                    "election",
                    "package",
                    "corrections_quorum",
                    "witness_quorum",
                ],
                "a genesis record",
            )?;
            let origin = string(require(members, "origin")?, "origin")?;
            if origin.contains(|c: char| c.is_control()) {
                return Err(schema("origin", "must not hold control characters"));
            }
            Ok(Record::Genesis(Genesis {
                origin: origin.into_owned(),
                election: string(require(members, "election")?, "election")?.into_owned(),
                package: hash_map(require(members, "package")?, "package")?,
                corrections_quorum: integer(
                    require(members, "corrections_quorum")?,
                    "corrections_quorum",
                    1.0,
                    f64::from(u32::MAX),
                )? as u32,
                witness_quorum: count(require(members, "witness_quorum")?, "witness_quorum")?,
            }))
        }
        RecordKind::Form => {
            let mut allowed = FORM.to_vec();
            allowed.push("images");
            only(members, &allowed, "a form record")?;
            Ok(Record::Form(form_from_members(members, text, false)?))
        }
        RecordKind::Correction => {
            let mut allowed = FORM.to_vec();
            allowed.extend(["images", "reason", "supersedes"]);
            only(members, &allowed, "a correction record")?;
            let form = form_from_members(members, text, true)?;
            let reason = string(require(members, "reason")?, "reason")?.into_owned();
            let sup = object(require(members, "supersedes")?, "supersedes")?;
            only(sup, &["index", "leaf_hash"], "supersedes")?;
            let index = integer(require(sup, "index")?, "supersedes.index", 0.0, MAX_SAFE)? as u64;
            let leaf_hash = match require(sup, "leaf_hash")? {
                Node::String(h) => parse_hash_hex(h),
                _ => None,
            }
            .ok_or_else(|| schema("supersedes.leaf_hash", "must be 64 lowercase hex digits"))?;
            Ok(Record::Correction(Correction {
                form,
                reason,
                supersedes: Supersedes { index, leaf_hash },
            }))
        }
        RecordKind::Key => {
            let action = string(require(members, "action")?, "action")?;
            let event = match action.as_ref() {
                "add" => {
                    only(
                        members,
                        &["schema", "kind", "action", "name", "role", "public_key", "stations"],
                        "an add key record",
                    )?;
                    KeyEvent::Add(registry_key(members)?)
                }
                "revoke" => {
                    only(members, &["schema", "kind", "action", "name"], "a revoke key record")?;
                    let name = string(require(members, "name")?, "name")?;
                    if !is_valid_key_name(&name) {
                        return Err(schema("name", format!("key name {name:?} is invalid")));
                    }
                    KeyEvent::Revoke { name: name.into_owned() }
                }
                "rotate" => {
                    only(
                        members,
                        &[
                            "schema",
                            "kind",
                            "action",
                            "name",
                            "role",
                            "public_key",
                            "stations",
                            "replaces",
                        ],
                        "a rotate key record",
                    )?;
                    let key = registry_key(members)?;
                    let replaces = string(require(members, "replaces")?, "replaces")?;
                    KeyEvent::Rotate { key, replaces: replaces.into_owned() }
                }
                other => {
                    return Err(schema(
                        "action",
                        format!("{other:?} is not add, revoke or rotate"),
                    ));
                }
            };
            Ok(Record::Key(event))
        }
        RecordKind::Result => {
            only(members, &["schema", "kind", "covers", "files"], "a result record")?;
            let covers = integer(require(members, "covers")?, "covers", 1.0, MAX_SAFE)? as u64;
            Ok(Record::Result(ResultRecord {
                covers,
                files: hash_map(require(members, "files")?, "files")?,
            }))
        }
    }
}

/// One signature of an entry, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntrySignature<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) sig: [u8; 64],
}

/// An entry read and checked for form (not yet for signatures or state).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedEntry<'a> {
    /// The canonical bytes of the record (what the signatures sign after the prefix).
    pub(crate) record_bytes: &'a [u8],
    pub(crate) record: Record<'a>,
    pub(crate) signatures: Vec<EntrySignature<'a>>,
}

/// Why an entry could not be read, with the station and contest when they could be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EntryFailure {
    pub(crate) rejection: Rejection,
    pub(crate) station: Option<String>,
    pub(crate) contest: Option<String>,
}

impl From<Rejection> for Box<EntryFailure> {
    fn from(rejection: Rejection) -> Self {
        Box::new(EntryFailure { rejection, station: None, contest: None })
    }
}

/// `bytes` as text (the canonical parser has checked them already, with this error).
fn utf8(bytes: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(bytes)
        .map_err(|e| Rejection::Json(canonical::JsonError::InvalidUtf8 { offset: e.valid_up_to() }))
}

/// Reads an entry: size, canonical JSON, shape, record schema, signature encoding. A form
/// entry of the usual shape is read by [`form_entry::parse`], which gives the same answer;
/// anything else by the canonical parser and the schema checks.
pub(crate) fn parse_entry(bytes: &[u8]) -> Result<ParsedEntry<'_>, Box<EntryFailure>> {
    match form_entry::parse(bytes) {
        Some(entry) => Ok(entry),
        None => parse_entry_generic(bytes),
    }
}

/// [`parse_entry`] by the canonical parser and the schema checks, for every entry.
pub(crate) fn parse_entry_generic(bytes: &[u8]) -> Result<ParsedEntry<'_>, Box<EntryFailure>> {
    if bytes.len() > MAX_ENTRY_LEN {
        return Err(Rejection::TooLarge { len: bytes.len() }.into());
    }
    let node = canonical::parse_canonical(bytes).map_err(Rejection::Json)?;
    let text = utf8(bytes)?;
    let members = object(&node, "entry")?;
    only(members, &["record", "signatures"], "an entry")?;
    let record_member =
        members.iter().find(|m| m.key == "record").ok_or_else(|| schema("record", "is missing"))?;
    let record = record_from_node(&record_member.value, text).map_err(|rejection| {
        let text = |k: &str| match &record_member.value {
            Node::Object(m) => match get(m, k) {
                Some(Node::String(s)) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        };
        Box::new(EntryFailure { rejection, station: text("station"), contest: text("contest") })
    })?;
    let located = |rejection: Rejection| {
        let (station, contest) = match record.station_contest() {
            Some((s, c)) => (Some(s.to_owned()), Some(c.to_owned())),
            None => (None, None),
        };
        Box::new(EntryFailure { rejection, station, contest })
    };
    let Node::Array(items) = require(members, "signatures").map_err(located)? else {
        return Err(located(schema("signatures", "must be an array")));
    };
    if items.is_empty() {
        return Err(located(Rejection::Unsigned));
    }
    let mut signatures = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("signatures[{i}]");
        let sig = object(item, &field).map_err(located)?;
        only(sig, &["key", "sig"], "a signature").map_err(located)?;
        let key = string(require(sig, "key").map_err(located)?, &field).map_err(located)?;
        if !is_valid_key_name(&key) {
            return Err(located(schema(&field, format!("key name {key:?} is invalid"))));
        }
        let sig = match require(sig, "sig").map_err(located)? {
            Node::String(s) => base64::decode_array::<64>(s),
            _ => None,
        };
        let sig = sig.ok_or_else(|| {
            located(schema(&field, "sig must be the base64 of a 64-byte Ed25519 signature"))
        })?;
        signatures.push(EntrySignature { key, sig });
    }
    Ok(ParsedEntry {
        record_bytes: &bytes[record_member.start..record_member.end],
        record,
        signatures,
    })
}

/// The message a record signature signs: [`SIGNING_PREFIX`] then the record's canonical bytes.
pub fn signing_message(record_jcs: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_PREFIX.len() + record_jcs.len());
    msg.extend_from_slice(SIGNING_PREFIX);
    msg.extend_from_slice(record_jcs);
    msg
}

/// Why an entry could not be signed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// A key name that is empty, holds whitespace or a `+`.
    #[error("key name {0:?} is invalid: it must be non-empty, without whitespace or '+'")]
    InvalidName(String),
    /// No signer given.
    #[error("an entry needs at least one signature")]
    NoSigner,
    /// One key given twice.
    #[error("key {0} is given twice: a key signs an entry once")]
    RepeatedSigner(String),
    /// The record does not follow the schema.
    #[error("the record is invalid: {0}")]
    Invalid(Rejection),
    /// The signed entry would exceed [`MAX_ENTRY_LEN`].
    #[error("the signed entry would be {len} bytes, more than {MAX_ENTRY_LEN}")]
    TooLarge {
        /// Its length.
        len: usize,
    },
}

/// An Ed25519 record signer: a key name and a signing key from a 32-byte seed (no RNG here).
#[derive(Clone)]
pub struct RecordSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for RecordSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordSigner").field("name", &self.name).finish_non_exhaustive()
    }
}

impl RecordSigner {
    /// The signer `name` (checkpoint key-name rules) with the Ed25519 key of `seed`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, RecordError> {
        if !is_valid_key_name(name) {
            return Err(RecordError::InvalidName(name.to_owned()));
        }
        Ok(Self { name: name.to_owned(), key: SigningKey::from_bytes(seed) })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// This key as a registry entry with `role` and `stations`.
    pub fn registry_key(&self, role: Role, stations: Scope) -> RegistryKey {
        RegistryKey { name: self.name.clone(), role, public_key: self.public_key(), stations }
    }

    /// The signature over [`SIGNING_PREFIX`] `||` `record_jcs` (the record's canonical bytes).
    pub fn sign(&self, record_jcs: &[u8]) -> [u8; 64] {
        self.key.sign(&signing_message(record_jcs)).to_bytes()
    }
}

/// Builds the canonical entry bytes of a record's canonical bytes and signatures.
pub(crate) fn assemble_entry(record_jcs: &[u8], signatures: &[(&str, [u8; 64])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(record_jcs.len() + 40 + signatures.len() * 120);
    out.extend_from_slice(b"{\"record\":");
    out.extend_from_slice(record_jcs);
    out.extend_from_slice(b",\"signatures\":[");
    for (i, (name, sig)) in signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        canonical::write_string(&mut out, name);
        out.extend_from_slice(b",\"sig\":\"");
        out.extend_from_slice(base64::encode(sig).as_bytes());
        out.extend_from_slice(b"\"}");
    }
    out.extend_from_slice(b"]}");
    out
}

/// Signs `record` with every signer, in order, and returns the entry bytes (canonical JSON).
/// The record is checked against the schema first; the signers must be distinct.
pub fn sign_entry(record: &Value, signers: &[&RecordSigner]) -> Result<Vec<u8>, RecordError> {
    if signers.is_empty() {
        return Err(RecordError::NoSigner);
    }
    for (i, s) in signers.iter().enumerate() {
        if signers[..i].iter().any(|t| t.name == s.name) {
            return Err(RecordError::RepeatedSigner(s.name.clone()));
        }
    }
    let jcs = canonical::canonicalize(record);
    let node =
        canonical::parse_canonical(&jcs).map_err(|e| RecordError::Invalid(Rejection::Json(e)))?;
    let text = utf8(&jcs).map_err(RecordError::Invalid)?;
    record_from_node(&node, text).map_err(RecordError::Invalid)?;
    let sigs: Vec<(&str, [u8; 64])> = signers.iter().map(|s| (s.name(), s.sign(&jcs))).collect();
    let entry = assemble_entry(&jcs, &sigs);
    if entry.len() > MAX_ENTRY_LEN {
        return Err(RecordError::TooLarge { len: entry.len() });
    }
    Ok(entry)
}
