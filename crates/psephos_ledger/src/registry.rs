//! The key registry of an election package: `keys.csv`, the keys the ledger knows from its start.
//!
//! ```text
//! name,role,public_key,stations
//! ihec-log,log,<base64 of the 32-byte Ed25519 public key>,
//! commissioner-1,commissioner,<base64>,
//! device-0101,device,<base64>,0101-01 0101-02
//! operator-north,operator,<base64>,*
//! ```
//!
//! `role` is one of `log` (signs checkpoints), `commissioner` (signs the genesis, key changes,
//! corrections and results), `witness` (cosigns checkpoints), `device` and `operator` (sign
//! station forms). `stations` is the scope of a form signer: station ids separated by spaces, or
//! `*` for every station; it is empty for the roles that sign no forms. Key names follow the
//! signed-note rules (non-empty, no whitespace, no `+`). Names and public keys are unique.
//!
//! Reading reports every problem in one pass, as `keys.csv:LINE: E80x field=...: message`; a
//! line with a problem is left out of the registry. No I/O: the caller reads the file.

use ed25519_dalek::VerifyingKey;
use psephos_model::{Code, Diagnostic};
use rayon::prelude::*;
use std::borrow::Cow;

use crate::base64;
use crate::checkpoint::is_valid_key_name;

/// What a key may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The log's own key: signs checkpoints.
    Log,
    /// A member of the commission: signs the genesis, key changes, corrections and results.
    Commissioner,
    /// An independent witness: cosigns checkpoints.
    Witness,
    /// A counting device (a scanner) at a station: signs its forms.
    Device,
    /// A data-entry operator: signs forms of the stations in scope.
    Operator,
}

impl Role {
    /// Every role, in the order of this enum.
    pub const ALL: [Role; 5] =
        [Role::Log, Role::Commissioner, Role::Witness, Role::Device, Role::Operator];

    /// The role as written in `keys.csv` and in key records.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Log => "log",
            Role::Commissioner => "commissioner",
            Role::Witness => "witness",
            Role::Device => "device",
            Role::Operator => "operator",
        }
    }

    /// The role written `s`, if any.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether keys of this role sign station forms (and so have a station scope).
    pub fn signs_forms(self) -> bool {
        matches!(self, Role::Device | Role::Operator)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stations whose forms a key may sign.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every station (`*`).
    All,
    /// These stations (none for keys that sign no forms), in the order given.
    Stations(Vec<String>),
}

impl Scope {
    /// No station.
    pub fn none() -> Scope {
        Scope::Stations(Vec::new())
    }

    /// Whether the scope names no station.
    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Stations(s) if s.is_empty())
    }

    /// Whether `station` is in scope.
    pub fn contains(&self, station: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Stations(s) => s.iter().any(|x| x == station),
        }
    }

    /// Reads the `stations` cell of `keys.csv`: space-separated ids, `*`, or empty.
    pub fn parse_cell(cell: &str) -> Result<Scope, RegistryError> {
        let ids: Vec<&str> = cell.split(' ').filter(|s| !s.is_empty()).collect();
        if ids == ["*"] {
            return Ok(Scope::All);
        }
        Scope::from_ids(ids.into_iter().map(str::to_owned).collect())
    }

    /// A scope of these station ids (`["*"]` is every station); ids must be non-empty, hold no
    /// whitespace and appear once; `*` may only stand alone.
    pub fn from_ids(ids: Vec<String>) -> Result<Scope, RegistryError> {
        if ids.len() == 1 && ids[0] == "*" {
            return Ok(Scope::All);
        }
        // A hash set only for long scopes: most keys hold one station.
        let mut seen: Option<hashbrown::HashSet<&str>> =
            (ids.len() > 8).then(|| hashbrown::HashSet::with_capacity(ids.len()));
        for (i, id) in ids.iter().enumerate() {
            if id == "*" {
                return Err(RegistryError::BadScope(
                    "'*' (every station) cannot be combined with station ids".to_owned(),
                ));
            }
            if id.is_empty() || id.contains(char::is_whitespace) || id.contains(char::is_control) {
                return Err(RegistryError::BadScope(format!(
                    "station id {id:?} is empty or holds whitespace or a control character"
                )));
            }
            let repeated = match &mut seen {
                Some(set) => !set.insert(id.as_str()),
                None => ids[..i].contains(id),
            };
            if repeated {
                return Err(RegistryError::BadScope(format!("station {id} is listed twice")));
            }
        }
        drop(seen);
        Ok(Scope::Stations(ids))
    }

    /// The `stations` cell of `keys.csv`.
    pub fn to_cell(&self) -> String {
        match self {
            Scope::All => "*".to_owned(),
            Scope::Stations(s) => s.join(" "),
        }
    }

    /// The station ids as in a key record (`["*"]` for every station).
    pub fn ids(&self) -> Vec<String> {
        match self {
            Scope::All => vec!["*".to_owned()],
            Scope::Stations(s) => s.clone(),
        }
    }
}

/// Why a key cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A key name that is empty, holds whitespace or a `+`.
    #[error("key name {0:?} is invalid: it must be non-empty, without whitespace or '+'")]
    InvalidName(String),
    /// A role that is not one of the five.
    #[error("role {0:?} is unknown (log, commissioner, witness, device or operator)")]
    UnknownRole(String),
    /// A public key that is not canonical base64.
    #[error("public key {0:?} is not base64")]
    BadBase64(String),
    /// A public key of the wrong length.
    #[error("an Ed25519 public key is 32 bytes, this one {0}")]
    KeyLength(usize),
    /// 32 bytes that are not a usable Ed25519 public key.
    #[error("the public key is not an Ed25519 point, or is a weak (small-order) one")]
    NotAPoint,
    /// A station scope that is malformed.
    #[error("{0}")]
    BadScope(String),
    /// A scope that does not fit the role.
    #[error("a {role} key {problem}")]
    ScopeForRole {
        /// The role of the key.
        role: Role,
        /// What is wrong.
        problem: &'static str,
    },
    /// A key name already registered.
    #[error("key name {0} is already registered")]
    DuplicateName(String),
    /// A public key already registered under another name.
    #[error("the public key of {name} is already registered as {other}")]
    DuplicatePublicKey {
        /// The key being registered.
        name: String,
        /// The key that has the same public key.
        other: String,
    },
}

/// Checks that `scope` fits `role`: form signers need stations, others none.
pub(crate) fn check_scope(role: Role, scope: &Scope) -> Result<(), RegistryError> {
    match (role.signs_forms(), scope.is_empty()) {
        (true, true) => Err(RegistryError::ScopeForRole {
            role,
            problem: "signs forms and needs stations (ids, or * for all)",
        }),
        (false, false) => Err(RegistryError::ScopeForRole {
            role,
            problem: "signs no forms: its stations must be empty",
        }),
        _ => Ok(()),
    }
}

/// The Ed25519 key of 32 bytes, refusing non-points and weak keys.
pub(crate) fn verifying_key(public_key: &[u8; 32]) -> Result<VerifyingKey, RegistryError> {
    if crate::signature::non_canonical_y(public_key) {
        return Err(RegistryError::NotAPoint);
    }
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| RegistryError::NotAPoint)?;
    if key.is_weak() {
        return Err(RegistryError::NotAPoint);
    }
    Ok(key)
}

/// Decodes a base64 public key of 32 bytes.
pub(crate) fn decode_public_key(text: &str) -> Result<[u8; 32], RegistryError> {
    if let Some(key) = base64::decode_array::<32>(text) {
        return Ok(key);
    }
    let bytes = base64::decode(text).ok_or_else(|| RegistryError::BadBase64(text.to_owned()))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| RegistryError::KeyLength(bytes.len()))
}

/// Standard padded base64 of a public key (as `keys.csv` and key records write it).
pub fn encode_public_key(public_key: &[u8; 32]) -> String {
    base64::encode(public_key)
}

/// One key of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryKey {
    /// The key name.
    pub name: String,
    /// What it may sign.
    pub role: Role,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
    /// The stations whose forms it may sign.
    pub stations: Scope,
}

impl RegistryKey {
    /// Checks the name, the public key and the scope for the role.
    pub fn check(&self) -> Result<(), RegistryError> {
        self.checked_key().map(|_| ())
    }

    /// [`RegistryKey::check`], returning the decompressed public key, so that a caller who
    /// needs it decompresses it once.
    pub(crate) fn checked_key(&self) -> Result<ed25519_dalek::VerifyingKey, RegistryError> {
        if !is_valid_key_name(&self.name) {
            return Err(RegistryError::InvalidName(self.name.clone()));
        }
        let key = verifying_key(&self.public_key)?;
        if let Scope::Stations(ids) = &self.stations {
            Scope::from_ids(ids.clone())?;
        }
        check_scope(self.role, &self.stations)?;
        Ok(key)
    }
}

/// The keys of `keys.csv`, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRegistry {
    keys: Vec<RegistryKey>,
    /// The decompressed public key of each key, in the same order: decompressing is the cost
    /// of reading a registry of tens of thousands of keys, so it is done once.
    verifiers: Vec<VerifyingKey>,
}

/// The header of `keys.csv`.
pub const KEYS_HEADER: &str = "name,role,public_key,stations";

impl KeyRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key after checking it and that neither its name nor its public key is taken.
    pub fn add(&mut self, key: RegistryKey) -> Result<(), RegistryError> {
        key.check()?;
        if self.get(&key.name).is_some() {
            return Err(RegistryError::DuplicateName(key.name));
        }
        if let Some(other) = self.keys.iter().find(|k| k.public_key == key.public_key) {
            return Err(RegistryError::DuplicatePublicKey {
                name: key.name,
                other: other.name.clone(),
            });
        }
        let verifier = key.checked_key()?;
        self.keys.push(key);
        self.verifiers.push(verifier);
        Ok(())
    }

    /// The keys in order.
    pub fn keys(&self) -> &[RegistryKey] {
        &self.keys
    }

    /// The decompressed public key of each key, in order.
    pub(crate) fn verifiers(&self) -> &[VerifyingKey] {
        &self.verifiers
    }

    /// The key named `name`.
    pub fn get(&self, name: &str) -> Option<&RegistryKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Reads `keys.csv` text (`file` names it in diagnostics). Every problem is reported; a line
    /// with a problem is left out. An empty or blank line is skipped.
    pub fn parse(file: &str, text: &str) -> (KeyRegistry, Vec<Diagnostic>) {
        let mut registry = KeyRegistry::new();
        let mut diags = Vec::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.split('\n').enumerate().map(|(i, l)| (i as u64 + 1, l));
        let header = lines.next().map(|(_, l)| l.strip_suffix('\r').unwrap_or(l));
        if header != Some(KEYS_HEADER) {
            diags.push(
                Diagnostic::new(
                    Code::KeyRegistrySyntax,
                    format!(
                        "the header is {:?}, it must be {KEYS_HEADER}",
                        header.unwrap_or_default()
                    ),
                )
                .at(file, 1),
            );
            return (registry, diags);
        }
        // Lines are split and public keys decompressed on all cores; the checks that depend on
        // earlier lines follow in order.
        let lines: Vec<(u64, &str)> = lines
            .map(|(n, raw)| (n, raw.strip_suffix('\r').unwrap_or(raw)))
            .filter(|(_, line)| !line.trim().is_empty())
            .collect();
        type Key = Result<([u8; 32], VerifyingKey), RegistryError>;
        type Read<'t> = Result<(Vec<Cow<'t, str>>, Key, Result<Scope, RegistryError>), String>;
        // Names are borrowed from the lines read (kept to the end); keys and scopes are taken.
        let mut read: Vec<Read<'_>> = lines
            .par_iter()
            .map(|(_, line)| {
                split_csv_line(line).map(|fields| {
                    let (key, scope) = match (fields.get(2), fields.get(3)) {
                        (Some(key), Some(stations)) if fields.len() == 4 => (
                            decode_public_key(key).and_then(|k| verifying_key(&k).map(|v| (k, v))),
                            Scope::parse_cell(stations),
                        ),
                        _ => (Err(RegistryError::KeyLength(0)), Ok(Scope::All)),
                    };
                    (fields, key, scope)
                })
            })
            .collect();
        registry.keys.reserve(lines.len());
        registry.verifiers.reserve(lines.len());
        // Names and public keys of every line whose cell could be read, for duplicates.
        let mut names: hashbrown::HashMap<&str, u64> =
            hashbrown::HashMap::with_capacity(lines.len());
        let mut publics: hashbrown::HashMap<[u8; 32], (&str, u64)> =
            hashbrown::HashMap::with_capacity(lines.len());
        for ((line_no, _), item) in lines.into_iter().zip(read.iter_mut()) {
            let (fields, key, scope) = match item {
                Ok((fields, key, scope)) => {
                    let fields: &Vec<Cow<'_, str>> = fields;
                    (fields, key, scope)
                }
                Err(message) => {
                    diags.push(
                        Diagnostic::new(Code::KeyRegistrySyntax, message.clone()).at(file, line_no),
                    );
                    continue;
                }
            };
            if fields.len() != 4 {
                diags.push(
                    Diagnostic::new(
                        Code::KeyRegistrySyntax,
                        format!("the line has {} fields, the header 4", fields.len()),
                    )
                    .at(file, line_no),
                );
                continue;
            }
            let [name, role]: [&str; 2] = [&fields[0], &fields[1]];
            let value = |field: &str, e: &RegistryError| {
                Diagnostic::new(Code::KeyRegistryValue, e.to_string())
                    .at(file, line_no)
                    .field(field)
            };
            let before = diags.len();
            if !is_valid_key_name(name) {
                diags.push(value("name", &RegistryError::InvalidName(name.to_owned())));
            } else if let Some(first) = names.get(name) {
                diags.push(
                    Diagnostic::new(
                        Code::KeyRegistryDuplicate,
                        format!("key name {name} is already used on line {first}"),
                    )
                    .at(file, line_no)
                    .field("name"),
                );
            } else {
                names.insert(name, line_no);
            }
            let role = Role::parse(role).ok_or_else(|| RegistryError::UnknownRole(role.to_owned()));
            if let Err(e) = &role {
                diags.push(value("role", e));
            }
            match &*key {
                Err(e) => diags.push(value("public_key", e)),
                Ok((k, _)) => {
                    if let Some((other, first)) = publics.get(k) {
                        diags.push(
                            Diagnostic::new(
                                Code::KeyRegistryDuplicate,
                                format!(
                                    "this public key is already registered as {other} on line {first}"
                                ),
                            )
                            .at(file, line_no)
                            .field("public_key"),
                        );
                    } else {
                        publics.insert(*k, (name, line_no));
                    }
                }
            }
            match (&*scope, &role) {
                (Err(e), _) => diags.push(value("stations", e)),
                (Ok(s), Ok(r)) => {
                    if let Err(e) = check_scope(*r, s) {
                        diags.push(value("stations", &e));
                    }
                }
                (Ok(_), Err(_)) => {}
            }
            if diags.len() == before
                && let (Ok(role), Ok((public_key, verifier)), Ok(stations)) = (
                    role,
                    std::mem::replace(key, Err(RegistryError::NotAPoint)),
                    std::mem::replace(scope, Ok(Scope::All)),
                )
            {
                registry.keys.push(RegistryKey {
                    name: name.to_owned(),
                    role,
                    public_key,
                    stations,
                });
                registry.verifiers.push(verifier);
            }
        }
        (registry, diags)
    }

    /// The `keys.csv` text of this registry: the header, then one line per key in order.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(64 + self.keys.len() * 96);
        out.push_str(KEYS_HEADER);
        out.push('\n');
        for k in &self.keys {
            let cells = [
                k.name.clone(),
                k.role.as_str().to_owned(),
                encode_public_key(&k.public_key),
                k.stations.to_cell(),
            ];
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_csv_cell(&mut out, cell);
            }
            out.push('\n');
        }
        out
    }
}

fn push_csv_cell(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes).
fn split_csv_line(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut fields = Vec::with_capacity(4);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut cell = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed".to_owned()),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            cell.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => cell.push(c),
                }
            };
            fields.push(Cow::Owned(cell));
            match after.strip_prefix(',') {
                Some(r) => rest = r,
                None if after.is_empty() => return Ok(fields),
                None => return Err("text after a closing quote".to_owned()),
            }
        } else {
            let (cell, next) = match rest.find(',') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            if cell.contains('"') {
                return Err("a quote inside an unquoted field".to_owned());
            }
            fields.push(Cow::Borrowed(cell));
            match next {
                Some(r) => rest = r,
                None => return Ok(fields),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn pk(seed: u8) -> [u8; 32] {
        SigningKey::from_bytes(&[seed; 32]).verifying_key().to_bytes()
    }

    /// A point written with y + p instead of y (y < 19) decompresses in ed25519-dalek; the
    /// registry refuses it, as the signature rule does for R.
    #[test]
    fn non_canonical_public_keys_are_refused() {
        let mut found = 0;
        for y in 0u8..19 {
            for sign in [0u8, 0x80] {
                // y + p = y + 2^255 − 19, little-endian.
                let mut bytes = [0xffu8; 32];
                bytes[0] = 0xed + y;
                bytes[31] = 0x7f | sign;
                let Ok(key) = VerifyingKey::from_bytes(&bytes) else { continue };
                if key.is_weak() {
                    continue;
                }
                found += 1;
                assert!(crate::signature::non_canonical_y(&bytes));
                assert_eq!(verifying_key(&bytes), Err(RegistryError::NotAPoint), "y = {y}");
                let mut canonical = [0u8; 32];
                canonical[0] = y;
                canonical[31] = sign;
                assert!(verifying_key(&canonical).is_ok(), "y = {y} written canonically");
            }
        }
        assert!(found > 0, "some y below 19 is on the curve and not of small order");
    }

    fn sample() -> KeyRegistry {
        let mut r = KeyRegistry::new();
        r.add(RegistryKey {
            name: "log".into(),
            role: Role::Log,
            public_key: pk(1),
            stations: Scope::none(),
        })
        .unwrap();
        r.add(RegistryKey {
            name: "com-1".into(),
            role: Role::Commissioner,
            public_key: pk(2),
            stations: Scope::none(),
        })
        .unwrap();
        r.add(RegistryKey {
            name: "dev-1".into(),
            role: Role::Device,
            public_key: pk(3),
            stations: Scope::Stations(vec!["S-1".into(), "S,2".into()]),
        })
        .unwrap();
        r.add(RegistryKey {
            name: "op".into(),
            role: Role::Operator,
            public_key: pk(4),
            stations: Scope::All,
        })
        .unwrap();
        r
    }

    #[test]
    fn writes_and_reads_back() {
        let r = sample();
        let text = r.to_csv();
        assert!(text.starts_with("name,role,public_key,stations\nlog,log,"));
        assert!(text.contains(",\"S-1 S,2\"\n"), "{text}");
        let (back, diags) = KeyRegistry::parse("keys.csv", &text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(back, r);
        // CRLF, a BOM and blank lines read the same.
        let crlf = format!("\u{feff}{}\r\n", text.replace('\n', "\r\n"));
        let (back, diags) = KeyRegistry::parse("keys.csv", &crlf);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(back, r);
    }

    #[test]
    fn a_station_listed_twice_is_refused_in_short_and_long_scopes() {
        for n in [2usize, 8, 9, 40] {
            let ids: Vec<String> = (0..n).map(|i| format!("S-{i}")).collect();
            assert!(Scope::from_ids(ids.clone()).is_ok(), "{n} distinct ids");
            let mut repeated = ids;
            repeated.push(format!("S-{}", n / 2));
            assert_eq!(
                Scope::from_ids(repeated),
                Err(RegistryError::BadScope(format!("station S-{} is listed twice", n / 2))),
                "{n} ids and one again"
            );
        }
    }

    #[test]
    fn reports_every_problem_in_one_pass() {
        let good = encode_public_key(&pk(2));
        let short = base64::encode(&[7u8; 31]);
        let text = format!(
            "name,role,public_key,stations\n\
             com-1,commissioner,{good},\n\
             com-1,commissioner,{},\n\
             bad name,commissioner,{},\n\
             x,mayor,{},\n\
             y,device,{short},S-1\n\
             z,device,not*base64,S-1\n\
             w,device,{},\n\
             v,witness,{},S-1\n\
             u,operator,{},* S-1\n\
             t,operator,{good},S-1\n\
             \"q,1\n\
             only,three,fields\n",
            encode_public_key(&pk(3)),
            encode_public_key(&pk(4)),
            encode_public_key(&pk(5)),
            encode_public_key(&pk(6)),
            encode_public_key(&pk(7)),
            encode_public_key(&pk(8)),
        );
        let (reg, diags) = KeyRegistry::parse("keys.csv", &text);
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        let expect = [
            "keys.csv:3: E803 field=name: key name com-1 is already used on line 2",
            "keys.csv:4: E802 field=name: key name \"bad name\" is invalid: it must be non-empty, without whitespace or '+'",
            "keys.csv:5: E802 field=role: role \"mayor\" is unknown (log, commissioner, witness, device or operator)",
            "keys.csv:6: E802 field=public_key: an Ed25519 public key is 32 bytes, this one 31",
            "keys.csv:7: E802 field=public_key: public key \"not*base64\" is not base64",
            "keys.csv:8: E802 field=stations: a device key signs forms and needs stations (ids, or * for all)",
            "keys.csv:9: E802 field=stations: a witness key signs no forms: its stations must be empty",
            "keys.csv:10: E802 field=stations: '*' (every station) cannot be combined with station ids",
            "keys.csv:11: E803 field=public_key: this public key is already registered as com-1 on line 2",
            "keys.csv:12: E801: a quoted field is not closed",
            "keys.csv:13: E801: the line has 3 fields, the header 4",
        ];
        assert_eq!(shown, expect);
        assert_eq!(reg.keys().len(), 1);
        assert_eq!(reg.keys()[0].name, "com-1");
    }

    #[test]
    fn bad_header_and_non_points() {
        let (reg, diags) = KeyRegistry::parse("k.csv", "name,role,key,stations\n");
        assert!(reg.keys().is_empty());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::KeyRegistrySyntax);
        assert_eq!(diags[0].line, Some(1));
        // The identity point (small order) is refused, as is a y with no x.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(verifying_key(&identity).unwrap_err(), RegistryError::NotAPoint);
        let mut r = KeyRegistry::new();
        let e = r.add(RegistryKey {
            name: "a".into(),
            role: Role::Log,
            public_key: identity,
            stations: Scope::none(),
        });
        assert_eq!(e, Err(RegistryError::NotAPoint));
    }
}
