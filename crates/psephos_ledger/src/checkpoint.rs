//! Checkpoints: C2SP `tlog-checkpoint` bodies carried in C2SP `signed-note`s, signed with Ed25519.
//!
//! A signed note is its text (non-empty, ending in a newline), a blank line, and one or more
//! signature lines `— <key name> <base64(key hash (4 bytes, big-endian) || signature)>` (U+2014
//! em dash). For Ed25519 the key hash is the first 4 bytes of `SHA-256(name || 0x0A || 0x01 ||
//! public key)` and the signature is over the note text exactly. A verifier key is written
//! `<name>+<key hash, 8 hex>+<base64(0x01 || public key)>` (the Go `sumdb/note` form), a signer
//! key `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>`.
//!
//! A checkpoint body is `<origin>\n<tree size, decimal>\n<base64 root hash>\n` followed by
//! optional non-empty extension lines. Verification follows the spec (and the Go reference):
//! signatures by keys the verifier does not know are ignored, a signature by a known key that
//! does not verify makes the whole note invalid, and a note with no verified signature is
//! refused. Every malformed input is a [`NoteError`], never a panic. No I/O.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::base64;
use crate::hash::{HASH_LEN, Hash};
use crate::tree::TreeHead;

/// The signature type byte of Ed25519 note keys.
pub const ED25519_ALG: u8 = 0x01;

/// The prefix of every signature line: an em dash (U+2014) and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The most signature lines a note may carry (as the Go reference, against resource abuse).
pub const MAX_SIGNATURES: usize = 100;

/// Why a note, a key or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name that is empty, holds whitespace or a `+`.
    #[error("key name {0:?} is invalid: it must be non-empty, without whitespace or '+'")]
    InvalidName(String),
    /// A key string that does not have the expected shape.
    #[error("malformed key: {0}")]
    MalformedKey(String),
    /// A key whose stated key hash is not the hash of its name and public key.
    #[error("key {name}: stated key hash {stated:08x}, but name and key hash to {computed:08x}")]
    KeyHashMismatch {
        /// The key name.
        name: String,
        /// The key hash written in the key.
        stated: u32,
        /// The key hash of the name and key.
        computed: u32,
    },
    /// Note text that cannot be signed or a note that cannot be parsed.
    #[error("malformed note: {0}")]
    MalformedNote(String),
    /// A signature by a known key that does not verify.
    #[error("the signature by {name} (key {key_hash:08x}) does not verify")]
    InvalidSignature {
        /// The key name.
        name: String,
        /// The key hash.
        key_hash: u32,
    },
    /// No signature on the note is by a known key.
    #[error("the note has no signature by a known key (signed by: {0})")]
    NoKnownSignature(String),
    /// A checkpoint body that does not follow C2SP tlog-checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// A checkpoint for another log than the one expected.
    #[error("checkpoint origin is {got:?}, expected {want:?}")]
    WrongOrigin {
        /// The origin in the checkpoint.
        got: String,
        /// The origin expected.
        want: String,
    },
}

/// Whether `name` can name a note key: non-empty, no whitespace, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) { Ok(()) } else { Err(NoteError::InvalidName(name.to_owned())) }
}

/// The key hash of an Ed25519 note key: the first 4 bytes (big-endian) of
/// `SHA-256(name || 0x0A || 0x01 || public key)`.
pub fn key_hash(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519_ALG]);
    h.update(public_key);
    let d: [u8; 32] = h.finalize().into();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Splits `<name>+<8 hex>+<base64>` into its parts, checking the name and the hash syntax.
fn split_key(s: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey("expected <name>+<key hash>+<base64 key>".to_owned()));
    };
    check_name(name)?;
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::MalformedKey(format!("key hash {hash:?} is not 8 hex digits")));
    }
    let hash = u32::from_str_radix(hash, 16)
        .map_err(|e| NoteError::MalformedKey(format!("key hash {hash:?}: {e}")))?;
    let bytes = base64::decode(b64)
        .ok_or_else(|| NoteError::MalformedKey(format!("{b64:?} is not base64")))?;
    match bytes.split_first() {
        Some((&ED25519_ALG, rest)) if rest.len() == 32 => Ok((name, hash, rest.to_vec())),
        Some((&ED25519_ALG, rest)) => Err(NoteError::MalformedKey(format!(
            "an Ed25519 key is 32 bytes, this one {}",
            rest.len()
        ))),
        Some((alg, _)) => {
            Err(NoteError::MalformedKey(format!("key type {alg:#04x} is not Ed25519 (0x01)")))
        }
        None => Err(NoteError::MalformedKey("empty key".to_owned())),
    }
}

fn to_32(bytes: &[u8]) -> [u8; 32] {
    let mut a = [0u8; 32];
    a.copy_from_slice(bytes);
    a
}

/// An Ed25519 note verifier key: a name, its key hash and a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_hash: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// The verifier for `name` and an Ed25519 public key.
    pub fn new(name: &str, public_key: &[u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| {
            NoteError::MalformedKey("the public key is not an Ed25519 point".to_owned())
        })?;
        Ok(Self { name: name.to_owned(), key_hash: key_hash(name, public_key), key })
    }

    /// Parses `<name>+<key hash>+<base64(0x01 || public key)>`; the key hash must match.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let (name, stated, key) = split_key(s)?;
        let v = Self::new(name, &to_32(&key))?;
        if v.key_hash != stated {
            return Err(NoteError::KeyHashMismatch {
                name: name.to_owned(),
                stated,
                computed: v.key_hash,
            });
        }
        Ok(v)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether `signature` is a valid (strict RFC 8032) signature of `msg` by this key.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok()
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut k = vec![ED25519_ALG];
        k.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_hash, base64::encode(&k))
    }
}

/// An Ed25519 note signer: a name and a signing key (from a 32-byte seed; no RNG here).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key_hash: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_hash", &format_args!("{:08x}", self.key_hash))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// The signer for `name` with the Ed25519 key of a 32-byte seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        Ok(Self {
            name: name.to_owned(),
            key_hash: key_hash(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`; the key hash must match.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let rest = s.strip_prefix("PRIVATE+KEY+").ok_or_else(|| {
            NoteError::MalformedKey("a signer key starts with PRIVATE+KEY+".to_owned())
        })?;
        let (name, stated, seed) = split_key(rest)?;
        let signer = Self::from_seed(name, &to_32(&seed))?;
        if signer.key_hash != stated {
            return Err(NoteError::KeyHashMismatch {
                name: name.to_owned(),
                stated,
                computed: signer.key_hash,
            });
        }
        Ok(signer)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// The 32-byte seed (RFC 8032 private key) this signer was made from.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key in the signer-key text form that [`NoteSigner::parse`] reads:
    /// `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`.
    pub fn to_key_string(&self) -> String {
        let mut k = Vec::with_capacity(33);
        k.push(ED25519_ALG);
        k.extend_from_slice(&self.key.to_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.key_hash, base64::encode(&k))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_hash: self.key_hash,
            key: self.key.verifying_key(),
        }
    }

    /// The signature line (with its newline) of this key over note `text`.
    pub fn signature_line(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes()).to_bytes();
        let mut raw = Vec::with_capacity(4 + sig.len());
        raw.extend_from_slice(&self.key_hash.to_be_bytes());
        raw.extend_from_slice(&sig);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, base64::encode(&raw))
    }
}

/// Checks that `text` may be a note's text: non-empty, ending in a newline, and no control
/// characters other than newline (UTF-8 is given by `&str`).
fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::MalformedNote("the note text is empty".to_owned()));
    }
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedNote("the note text does not end in a newline".to_owned()));
    }
    check_no_controls(text)
}

fn check_no_controls(s: &str) -> Result<(), NoteError> {
    match s.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
        Some((i, c)) => Err(NoteError::MalformedNote(format!(
            "control character {:#04x} at byte {i}",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// Signs note `text` with every signer: the text, a blank line, one signature line per signer.
pub fn sign_note(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::MalformedNote("no signer given".to_owned()));
    }
    let mut out = String::with_capacity(text.len() + 1 + signers.len() * 110);
    out.push_str(text);
    out.push('\n');
    for s in signers {
        out.push_str(&s.signature_line(text));
    }
    Ok(out)
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key hash.
    pub key_hash: u32,
    /// The signature bytes (after the key hash).
    pub signature: Vec<u8>,
}

/// A signed note split into text and signatures (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The note text, ending in a newline.
    pub text: String,
    /// The signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// Splits a signed note at its last blank line and parses its signature lines.
    pub fn parse(msg: &str) -> Result<Self, NoteError> {
        check_no_controls(msg)?;
        let split = msg.rfind("\n\n").ok_or_else(|| {
            NoteError::MalformedNote("no blank line before the signatures".to_owned())
        })?;
        let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
        if sigs.is_empty() {
            return Err(NoteError::MalformedNote("no signature lines".to_owned()));
        }
        if !sigs.ends_with('\n') {
            return Err(NoteError::MalformedNote(
                "the last signature line does not end in a newline".to_owned(),
            ));
        }
        let mut signatures = Vec::new();
        for (i, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
            let n = i + 1;
            if n > MAX_SIGNATURES {
                return Err(NoteError::MalformedNote(format!(
                    "more than {MAX_SIGNATURES} signature lines"
                )));
            }
            let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
                NoteError::MalformedNote(format!("signature line {n} does not start with \"— \""))
            })?;
            let (name, b64) = rest.split_once(' ').ok_or_else(|| {
                NoteError::MalformedNote(format!("signature line {n} has no space after the name"))
            })?;
            check_name(name)?;
            let raw = base64::decode(b64).ok_or_else(|| {
                NoteError::MalformedNote(format!("signature line {n}: {b64:?} is not base64"))
            })?;
            if raw.len() < 5 {
                return Err(NoteError::MalformedNote(format!(
                    "signature line {n} holds {} bytes, at least 5 expected",
                    raw.len()
                )));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hash: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
                signature: raw[4..].to_vec(),
            });
        }
        Ok(Self { text: text.to_owned(), signatures })
    }

    /// Verifies the note against `known` keys. Signatures by unknown keys (name and key hash)
    /// are ignored; one by a known key that does not verify is an error; at least one must be
    /// by a known key. Returns the verifiers whose signatures hold, in note order, each once.
    pub fn verify<'k>(
        &self,
        known: &'k [NoteVerifier],
    ) -> Result<Vec<&'k NoteVerifier>, NoteError> {
        let mut verified: Vec<&NoteVerifier> = Vec::new();
        for sig in &self.signatures {
            let Some(v) = known.iter().find(|v| v.name == sig.name && v.key_hash == sig.key_hash)
            else {
                continue;
            };
            if !v.verify(self.text.as_bytes(), &sig.signature) {
                return Err(NoteError::InvalidSignature {
                    name: sig.name.clone(),
                    key_hash: sig.key_hash,
                });
            }
            if !verified.iter().any(|w| std::ptr::eq(*w, v)) {
                verified.push(v);
            }
        }
        if verified.is_empty() {
            let names: Vec<String> =
                self.signatures.iter().map(|s| format!("{}+{:08x}", s.name, s.key_hash)).collect();
            return Err(NoteError::NoKnownSignature(names.join(", ")));
        }
        Ok(verified)
    }
}

/// Parses and verifies a signed note (see [`SignedNote::verify`]); returns it and the keys that
/// signed it.
pub fn open_note<'k>(
    msg: &str,
    known: &'k [NoteVerifier],
) -> Result<(SignedNote, Vec<&'k NoteVerifier>), NoteError> {
    let note = SignedNote::parse(msg)?;
    let by = note.verify(known)?;
    Ok((note, by))
}

/// A C2SP tlog-checkpoint: the log's origin, a tree head and optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (its URL without scheme, by convention).
    pub origin: String,
    /// The tree head.
    pub head: TreeHead,
    /// Extension lines (without newlines), NOT RECOMMENDED by the spec but allowed.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, head: TreeHead) -> Self {
        Self { origin: origin.to_owned(), head, extensions: Vec::new() }
    }

    /// The note text: origin, size, base64 root, extension lines, each ending in a newline.
    pub fn body(&self) -> Result<String, NoteError> {
        check_line("origin", &self.origin)?;
        for e in &self.extensions {
            check_line("extension line", e)?;
        }
        let mut s =
            format!("{}\n{}\n{}\n", self.origin, self.head.size, base64::encode(&self.head.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        Ok(s)
    }

    /// Parses a checkpoint body (a note's text).
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |m: String| NoteError::MalformedCheckpoint(m);
        check_no_controls(text)?;
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("the body does not end in a newline".to_owned()))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad("the origin line is empty".to_owned()));
        }
        let size = lines.next().ok_or_else(|| bad("no tree size line".to_owned()))?;
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = size.parse::<u64>().ok().filter(|_| size_ok).ok_or_else(|| {
            bad(format!("tree size {size:?} is not a decimal number without leading zeros"))
        })?;
        let root = lines.next().ok_or_else(|| bad("no root hash line".to_owned()))?;
        let root_bytes =
            base64::decode(root).ok_or_else(|| bad(format!("root hash {root:?} is not base64")))?;
        let root: Hash = root_bytes.as_slice().try_into().map_err(|_| {
            bad(format!("the root hash is {} bytes, {HASH_LEN} expected", root_bytes.len()))
        })?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("an extension line is empty".to_owned()));
        }
        Ok(Self { origin: origin.to_owned(), head: TreeHead { size, root }, extensions })
    }

    /// The signed checkpoint: the body signed by every signer (the log key first).
    pub fn sign(&self, signers: &[&NoteSigner]) -> Result<String, NoteError> {
        sign_note(&self.body()?, signers)
    }
}

fn check_line(what: &str, s: &str) -> Result<(), NoteError> {
    if s.is_empty() || s.contains(|c: char| c < ' ') {
        return Err(NoteError::MalformedCheckpoint(format!(
            "{what} {s:?} is empty or holds a control character"
        )));
    }
    Ok(())
}

/// Parses and verifies a signed checkpoint for the log `origin` against `known` keys (see
/// [`SignedNote::verify`]); returns the checkpoint and the keys that signed it.
pub fn open_checkpoint<'k>(
    msg: &str,
    origin: &str,
    known: &'k [NoteVerifier],
) -> Result<(Checkpoint, Vec<&'k NoteVerifier>), NoteError> {
    let (note, by) = open_note(msg, known)?;
    let cp = Checkpoint::parse(&note.text)?;
    if cp.origin != origin {
        return Err(NoteError::WrongOrigin { got: cp.origin, want: origin.to_owned() });
    }
    Ok((cp, by))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MerkleTree;

    const ORIGIN: &str = "example.org/psephos-test-log";

    fn signer(name: &str, seed: u8) -> NoteSigner {
        NoteSigner::from_seed(name, &[seed; 32]).expect("valid name")
    }

    fn checkpoint(size: u64) -> Checkpoint {
        let mut tree = MerkleTree::new();
        for i in 0..size {
            tree.push(&i.to_be_bytes());
        }
        Checkpoint::new(ORIGIN, tree.head())
    }

    #[test]
    fn sign_parse_verify_round_trip() {
        let log = signer(ORIGIN, 7);
        let witness = signer("witness.example", 9);
        let mut cp = checkpoint(13);
        cp.extensions = vec!["ext one".to_owned()];
        let signed = cp.sign(&[&log, &witness]).expect("signs");
        let known = [log.verifier(), witness.verifier()];
        let (opened, by) = open_checkpoint(&signed, ORIGIN, &known).expect("verifies");
        assert_eq!(opened, cp);
        assert_eq!(by.len(), 2);
        // Verifier keys print and parse back; signer keys parse.
        let vk = log.verifier().to_string();
        assert_eq!(NoteVerifier::parse(&vk).expect("parses"), log.verifier());
        assert!(vk.starts_with(&format!("{ORIGIN}+{:08x}+", log.key_hash())));
        // Only the log key known: the witness signature is ignored.
        let (_, by) = open_checkpoint(&signed, ORIGIN, &known[..1]).expect("verifies");
        assert_eq!(by[0].name(), ORIGIN);
    }

    #[test]
    fn unknown_signatures_are_ignored_but_one_known_is_required() {
        let log = signer(ORIGIN, 7);
        let other = signer("other.example", 3);
        let signed = checkpoint(4).sign(&[&other, &log]).expect("signs");
        assert!(open_checkpoint(&signed, ORIGIN, &[log.verifier()]).is_ok());
        let third = [signer("third", 1).verifier()];
        let err = open_checkpoint(&signed, ORIGIN, &third);
        assert!(matches!(err, Err(NoteError::NoKnownSignature(_))), "{err:?}");
    }

    #[test]
    fn any_flipped_byte_in_body_or_signature_fails() {
        let log = signer(ORIGIN, 7);
        let known = [log.verifier()];
        let signed = checkpoint(21).sign(&[&log]).expect("signs");
        let bytes = signed.as_bytes();
        let mut caught = 0;
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x20] {
                let mut b = bytes.to_vec();
                b[i] ^= bit;
                // Flips that break UTF-8 are refused before parsing even starts.
                let Ok(s) = String::from_utf8(b) else { continue };
                assert!(open_checkpoint(&s, ORIGIN, &known).is_err(), "byte {i} bit {bit:#x}");
                caught += 1;
            }
        }
        assert!(caught > bytes.len());
    }

    #[test]
    fn flipped_signature_bit_is_an_invalid_signature() {
        let log = signer(ORIGIN, 7);
        let text = checkpoint(5).body().expect("body");
        let note = SignedNote::parse(&sign_note(&text, &[&log]).expect("signs")).expect("parses");
        let mut bad = note.clone();
        bad.signatures[0].signature[10] ^= 1;
        let known = [log.verifier()];
        assert!(matches!(bad.verify(&known), Err(NoteError::InvalidSignature { .. })));
        let mut bad = note;
        bad.text = bad.text.replacen('5', "6", 1);
        assert!(matches!(bad.verify(&known), Err(NoteError::InvalidSignature { .. })));
    }

    #[test]
    fn wrong_key_name_fails() {
        let key = signer(ORIGIN, 7);
        let signed = checkpoint(3).sign(&[&key]).expect("signs");
        // Same public key under another name: another key hash, so not the signer.
        let renamed = NoteVerifier::new("example.org/other-log", &key.verifier().public_key())
            .expect("valid");
        let renamed = [renamed];
        let err = open_checkpoint(&signed, ORIGIN, &renamed);
        assert!(matches!(err, Err(NoteError::NoKnownSignature(_))), "{err:?}");
        // The signature line renamed to the other name fails too.
        let forged =
            signed.replace(&format!("\u{2014} {ORIGIN} "), "\u{2014} example.org/other-log ");
        let renamed = NoteVerifier::new("example.org/other-log", &key.verifier().public_key())
            .expect("valid");
        assert!(open_checkpoint(&forged, ORIGIN, &[renamed]).is_err());
        // Right key, wrong expected origin.
        let right = [key.verifier()];
        let err = open_checkpoint(&signed, "example.org/other-log", &right);
        assert!(matches!(err, Err(NoteError::WrongOrigin { .. })), "{err:?}");
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let known = [signer(ORIGIN, 7).verifier()];
        for bad in [
            "",
            "no blank line\n",
            "text\n\n",
            "text\n\n\u{2014} name AAAA\n",
            "text\n\n- name AAAAAAAAAA==\n",
            "text\n\n\u{2014} name AAAAAAAAAA==",
            "text\n\n\u{2014} nameAAAAAAAAAA==\n",
            "text\n\n\u{2014} na+me AAAAAAAAAA==\n",
            "text\n\n\u{2014} name !!!!\n",
            "te\rxt\n\n\u{2014} name AAAAAAAAAA==\n",
        ] {
            assert!(
                matches!(
                    open_note(bad, &known),
                    Err(NoteError::MalformedNote(_) | NoteError::InvalidName(_))
                ),
                "{bad:?}"
            );
        }
        let root = crate::base64::encode(&[0u8; 32]);
        for bad in [
            String::new(),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n1\n{}\n", crate::base64::encode(&[0u8; 31])),
            "o\n1\n".to_owned(),
            format!("o\n1\n{root}\n\n"),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\next\n")).is_ok());
        for bad in ["a+b", "", "a b", "name+zz+AAAA", "name+00000000+AQ=="] {
            assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
        }
        assert!(NoteSigner::from_seed("bad name", &[0; 32]).is_err());
        assert!(sign_note("no newline", &[&signer(ORIGIN, 1)]).is_err());
        assert!(sign_note("text\n", &[]).is_err());
        let mut cp = checkpoint(1);
        cp.extensions.push(String::new());
        assert!(cp.body().is_err());
    }

    #[test]
    fn key_hash_mismatch_is_refused() {
        let v = signer("k", 2).verifier();
        let s = v.to_string();
        let wrong = format!("k+{:08x}+{}", v.key_hash() ^ 1, s.splitn(3, '+').nth(2).unwrap_or(""));
        assert!(matches!(NoteVerifier::parse(&wrong), Err(NoteError::KeyHashMismatch { .. })));
    }
}
