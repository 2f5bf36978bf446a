//! Witness cosignatures: C2SP `tlog-cosignature` v1 with Ed25519, a witness that cosigns a
//! checkpoint only once it is consistent with the last one it cosigned (C2SP `tlog-witness`),
//! and a quorum policy over a set of witnesses.
//!
//! From <https://c2sp.org/tlog-cosignature> (C2SP/C2SP `tlog-cosignature.md`):
//!
//! * a cosignature is a note signature line `— <name> base64(key ID || timestamped_signature)`
//!   on the checkpoint, beside the log's own signature;
//! * the Ed25519 key ID is `SHA-256(<name> || "\n" || 0x04 || 32-byte public key)[:4]` (type
//!   byte 0x04, where the log's note key uses 0x01), and the verifier key may be written as a
//!   vkey `<name>+<key ID hex>+base64(0x04 || public key)`;
//! * `timestamped_signature` is a big-endian `u64` POSIX timestamp (at most `2^63 - 1`) followed
//!   by the 64-byte Ed25519 signature, so a line's payload is 4 + 8 + 64 bytes;
//! * the signed message is `cosignature/v1\ntime <timestamp, decimal, no leading zeros>\n`
//!   followed by the whole checkpoint note body (extension lines included);
//! * it states that, as of that time, this is the largest consistent tree head the cosigner has
//!   observed for the log; clients ignore signature lines that do not match a configured
//!   (name, key ID).
//!
//! From <https://c2sp.org/tlog-witness> (`add-checkpoint`): the witness verifies the log's
//! signature (unknown keys ignored), requires the old size to be at most the new size and equal
//! to the size it last cosigned (0 if none), an empty proof from size 0, identical roots for
//! equal sizes, and otherwise a valid RFC 6962 consistency proof; only then it cosigns and
//! records the new checkpoint. The timestamp is the caller's (this crate reads no clock).

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::base64;
use crate::checkpoint::{
    Checkpoint, NoteError, NoteSignature, NoteVerifier, SIGNATURE_PREFIX, SignedNote,
    is_valid_key_name,
};
use crate::hash::{Hash, hex};
use crate::verify::verify_consistency;
use crate::{MerkleTree, ProofError};

/// The signature type byte of Ed25519 cosignature (`cosignature/v1`) keys.
pub const COSIGNATURE_ALG: u8 = 0x04;

/// The header line of the cosigned message.
pub const COSIGNATURE_HEADER: &str = "cosignature/v1\n";

/// The largest timestamp a cosignature may carry (`2^63 - 1`).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Bytes of a cosignature line's payload after the key ID: timestamp and Ed25519 signature.
const TIMESTAMPED_SIGNATURE_LEN: usize = 8 + 64;

/// Why a cosignature by a known witness does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// A payload that is not a timestamp and an Ed25519 signature (72 bytes after the key ID).
    #[error("the cosignature by {name} holds {len} bytes after its key ID, 72 expected")]
    Length {
        /// The witness name.
        name: String,
        /// The bytes after the key ID.
        len: usize,
    },
    /// A timestamp above `2^63 - 1`.
    #[error("the cosignature by {name} has timestamp {timestamp}, above 2^63 - 1")]
    Timestamp {
        /// The witness name.
        name: String,
        /// The timestamp.
        timestamp: u64,
    },
    /// A signature that does not verify over the checkpoint body and its timestamp.
    #[error("the cosignature by {name} at time {timestamp} does not verify")]
    Invalid {
        /// The witness name.
        name: String,
        /// The timestamp it claims.
        timestamp: u64,
    },
}

/// The key ID of an Ed25519 cosigner: `SHA-256(name || 0x0A || 0x04 || public key)[:4]`,
/// big-endian.
pub fn cosignature_key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_ALG]);
    h.update(public_key);
    let d: [u8; 32] = h.finalize().into();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The message a `cosignature/v1` signs: the header, the timestamp line and the checkpoint
/// note body (`body`, ending in a newline, without signature lines).
pub fn cosigned_message(body: &str, timestamp: u64) -> String {
    format!("{COSIGNATURE_HEADER}time {timestamp}\n{body}")
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) { Ok(()) } else { Err(NoteError::InvalidName(name.to_owned())) }
}

/// A witness's cosignature verifier key: its name, key ID and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// The verifier for witness `name` with this Ed25519 public key.
    pub fn new(name: &str, public_key: &[u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| {
            NoteError::MalformedKey("the public key is not an Ed25519 point".to_owned())
        })?;
        Ok(Self { name: name.to_owned(), key_id: cosignature_key_id(name, public_key), key })
    }

    /// Parses a vkey `<name>+<key ID, 8 hex>+<base64(0x04 || public key)>`; the key ID must be
    /// the one the name and key give.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey(
                "expected <name>+<key ID>+<base64 key>".to_owned(),
            ));
        };
        check_name(name)?;
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NoteError::MalformedKey(format!("key ID {id:?} is not 8 hex digits")));
        }
        let stated = u32::from_str_radix(id, 16)
            .map_err(|e| NoteError::MalformedKey(format!("key ID {id:?}: {e}")))?;
        let bytes = base64::decode(b64)
            .ok_or_else(|| NoteError::MalformedKey(format!("{b64:?} is not base64")))?;
        let key: [u8; 32] = match bytes.split_first() {
            Some((&COSIGNATURE_ALG, rest)) => rest.try_into().map_err(|_| {
                NoteError::MalformedKey(format!(
                    "an Ed25519 key is 32 bytes, this one {}",
                    rest.len()
                ))
            })?,
            Some((alg, _)) => {
                return Err(NoteError::MalformedKey(format!(
                    "key type {alg:#04x} is not an Ed25519 cosignature key (0x04)"
                )));
            }
            None => return Err(NoteError::MalformedKey("empty key".to_owned())),
        };
        let v = Self::new(name, &key)?;
        if v.key_id != stated {
            return Err(NoteError::KeyHashMismatch {
                name: name.to_owned(),
                stated,
                computed: v.key_id,
            });
        }
        Ok(v)
    }

    /// The cosignature verifier of the same name and Ed25519 key as a note (type 0x01)
    /// verifier key, as witnesses sometimes publish theirs (transparency-dev/formats
    /// `VKeyToCosignatureV1`); its key ID is the cosignature one.
    pub fn from_note_verifier(v: &NoteVerifier) -> Result<Self, NoteError> {
        Self::new(v.name(), &v.public_key())
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether a signature line is by this witness's key (name and key ID match).
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_hash == self.key_id
    }

    /// Verifies the cosignature `sig` (a signature line of this witness, see
    /// [`CosignatureVerifier::matches`]) over checkpoint note body `body`; returns its timestamp.
    pub fn verify(&self, body: &str, sig: &NoteSignature) -> Result<u64, CosignatureError> {
        let payload = &sig.signature;
        if payload.len() != TIMESTAMPED_SIGNATURE_LEN {
            return Err(CosignatureError::Length { name: self.name.clone(), len: payload.len() });
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&payload[..8]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp { name: self.name.clone(), timestamp });
        }
        let mut s = [0u8; 64];
        s.copy_from_slice(&payload[8..]);
        let msg = cosigned_message(body, timestamp);
        self.key
            .verify_strict(msg.as_bytes(), &ed25519_dalek::Signature::from_bytes(&s))
            .map_err(|_| CosignatureError::Invalid { name: self.name.clone(), timestamp })?;
        Ok(timestamp)
    }
}

impl std::fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut k = vec![COSIGNATURE_ALG];
        k.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, base64::encode(&k))
    }
}

/// A witness's cosigning key: a name and an Ed25519 key from a 32-byte seed (no RNG here).
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for CosignatureSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl CosignatureSigner {
    /// The cosigner `name` with the Ed25519 key of a 32-byte seed. One key must serve one
    /// witness name only: the v1 message does not commit to the name.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(seed);
        Ok(Self {
            name: name.to_owned(),
            key_id: cosignature_key_id(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line (with its newline) over checkpoint note body `body` at
    /// `timestamp` (POSIX seconds, at most `2^63 - 1`). Signs whatever body it is given: a
    /// [`Witness`] checks the checkpoint first.
    pub fn cosign(&self, body: &str, timestamp: u64) -> Result<String, CosignatureError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp { name: self.name.clone(), timestamp });
        }
        let sig = self.key.sign(cosigned_message(body, timestamp).as_bytes()).to_bytes();
        let mut raw = Vec::with_capacity(4 + TIMESTAMPED_SIGNATURE_LEN);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig);
        Ok(format!("{SIGNATURE_PREFIX}{} {}\n", self.name, base64::encode(&raw)))
    }
}

/// Appends signature lines (cosignatures returned by witnesses) to a signed note; the result
/// must parse as a signed note.
pub fn append_signatures(signed_note: &str, lines: &[String]) -> Result<String, NoteError> {
    let mut out = signed_note.to_owned();
    for line in lines {
        out.push_str(line);
    }
    SignedNote::parse(&out)?;
    Ok(out)
}

/// Why a witness refused to cosign (with the `tlog-witness` HTTP status it maps to).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// A malformed witness configuration, note or checkpoint (HTTP 400).
    #[error("{0}")]
    Note(NoteError),
    /// A checkpoint of another log than the witness's (HTTP 404).
    #[error("the witness follows log {expected:?}, not {got:?}")]
    UnknownOrigin {
        /// The checkpoint's origin.
        got: String,
        /// The witness's log.
        expected: String,
    },
    /// No valid signature by the log's keys, or an invalid one (HTTP 403).
    #[error("the log's signature does not verify: {0}")]
    LogSignature(NoteError),
    /// A checkpoint smaller than the one the witness last cosigned: a rollback (HTTP 409).
    #[error("rollback: the witness cosigned size {latest}, the checkpoint has size {size}")]
    Rollback {
        /// The size the witness last cosigned.
        latest: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// An old size above the checkpoint's size (HTTP 400).
    #[error("the old size {old_size} is above the checkpoint size {size}")]
    OldSizeAhead {
        /// The old size of the request.
        old_size: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// An old size other than the size the witness last cosigned (HTTP 409).
    #[error("the request starts from size {old_size}, the witness last cosigned size {latest}")]
    Conflict {
        /// The old size of the request.
        old_size: u64,
        /// The size the witness last cosigned (0 if none).
        latest: u64,
    },
    /// The size the witness last cosigned, with another root: a fork (HTTP 409).
    #[error("fork: size {size} was cosigned with root {cosigned}, the checkpoint has {root}")]
    Fork {
        /// The size.
        size: u64,
        /// The root the witness cosigned (hex).
        cosigned: String,
        /// The checkpoint's root (hex).
        root: String,
    },
    /// A non-empty proof from size 0 (HTTP 400).
    #[error("a consistency proof from size 0 must be empty, this one has {0} hashes")]
    ProofFromEmptyTree(usize),
    /// A consistency proof that does not verify: the log forked (HTTP 422).
    #[error("the consistency proof does not verify: {0}")]
    Inconsistent(ProofError),
    /// A timestamp above `2^63 - 1`.
    #[error("timestamp {0} is above 2^63 - 1")]
    Timestamp(u64),
}

/// A witness of one log: its cosigning key, the log's origin and keys, and the checkpoint it
/// last cosigned (its only state; persist it after every cosignature, atomically with the
/// check, as `tlog-witness` requires).
#[derive(Debug, Clone)]
pub struct Witness {
    signer: CosignatureSigner,
    origin: String,
    log_keys: Vec<NoteVerifier>,
    latest: Option<Checkpoint>,
}

impl Witness {
    /// A witness `name` (key from `seed`) of the log `origin` signed by `log_keys`, resuming
    /// from the checkpoint it last cosigned (`None` for a new witness, which trusts the first
    /// checkpoint it sees).
    pub fn new(
        name: &str,
        seed: &[u8; 32],
        origin: &str,
        log_keys: Vec<NoteVerifier>,
        latest: Option<Checkpoint>,
    ) -> Result<Self, WitnessError> {
        let signer = CosignatureSigner::from_seed(name, seed).map_err(WitnessError::Note)?;
        if log_keys.is_empty() {
            return Err(WitnessError::Note(NoteError::MalformedKey("no log key given".to_owned())));
        }
        if let Some(cp) = latest.as_ref().filter(|cp| cp.origin != origin) {
            return Err(WitnessError::UnknownOrigin {
                got: cp.origin.clone(),
                expected: origin.to_owned(),
            });
        }
        Ok(Self { signer, origin: origin.to_owned(), log_keys, latest })
    }

    /// The witness's verifier key.
    pub fn verifier(&self) -> CosignatureVerifier {
        self.signer.verifier()
    }

    /// The log the witness follows.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The checkpoint the witness last cosigned.
    pub fn latest(&self) -> Option<&Checkpoint> {
        self.latest.as_ref()
    }

    /// `tlog-witness` `add-checkpoint`: checks `signed_checkpoint` (the log's signature, the
    /// origin), that `old_size` is the size last cosigned and at most the new size, and the
    /// consistency `proof` from the checkpoint last cosigned; then cosigns it at `timestamp`,
    /// records it and returns the cosignature line. Refusals leave the state unchanged.
    pub fn add_checkpoint(
        &mut self,
        old_size: u64,
        proof: &[Hash],
        signed_checkpoint: &str,
        timestamp: u64,
    ) -> Result<String, WitnessError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(WitnessError::Timestamp(timestamp));
        }
        let note = SignedNote::parse(signed_checkpoint).map_err(WitnessError::Note)?;
        let cp = Checkpoint::parse(&note.text).map_err(WitnessError::Note)?;
        if cp.origin != self.origin {
            return Err(WitnessError::UnknownOrigin {
                got: cp.origin,
                expected: self.origin.clone(),
            });
        }
        note.verify(&self.log_keys).map_err(WitnessError::LogSignature)?;
        let latest_size = self.latest.as_ref().map_or(0, |l| l.head.size);
        if cp.head.size < latest_size {
            return Err(WitnessError::Rollback { latest: latest_size, size: cp.head.size });
        }
        if old_size > cp.head.size {
            return Err(WitnessError::OldSizeAhead { old_size, size: cp.head.size });
        }
        if old_size != latest_size {
            return Err(WitnessError::Conflict { old_size, latest: latest_size });
        }
        match &self.latest {
            Some(latest) if latest.head.size == cp.head.size => {
                if latest.head.root != cp.head.root {
                    return Err(WitnessError::Fork {
                        size: cp.head.size,
                        cosigned: hex(&latest.head.root),
                        root: hex(&cp.head.root),
                    });
                }
                if !proof.is_empty() {
                    return Err(WitnessError::Inconsistent(ProofError::EqualSizesNonEmptyProof {
                        size: cp.head.size,
                    }));
                }
            }
            Some(latest) if latest.head.size > 0 => {
                verify_consistency(
                    latest.head.size,
                    cp.head.size,
                    proof,
                    &latest.head.root,
                    &cp.head.root,
                )
                .map_err(WitnessError::Inconsistent)?;
            }
            // Nothing cosigned yet (or only the empty tree): the proof from 0 is empty.
            _ => {
                if !proof.is_empty() {
                    return Err(WitnessError::ProofFromEmptyTree(proof.len()));
                }
            }
        }
        let line = self.signer.cosign(&note.text, timestamp).map_err(|e| match e {
            CosignatureError::Timestamp { timestamp, .. } => WitnessError::Timestamp(timestamp),
            other => WitnessError::Note(NoteError::MalformedNote(other.to_string())),
        })?;
        self.latest = Some(cp);
        Ok(line)
    }

    /// [`Witness::add_checkpoint`] with the consistency proof taken from the log's `tree`,
    /// from the size last cosigned (a convenience for a log that runs its own witnesses).
    pub fn add_checkpoint_from_tree(
        &mut self,
        tree: &MerkleTree,
        signed_checkpoint: &str,
        timestamp: u64,
    ) -> Result<String, WitnessError> {
        let old = self.latest.as_ref().map_or(0, |l| l.head.size);
        let note = SignedNote::parse(signed_checkpoint).map_err(WitnessError::Note)?;
        let size = Checkpoint::parse(&note.text).map_err(WitnessError::Note)?.head.size;
        let proof = if old == 0 || old >= size {
            Vec::new()
        } else {
            tree.consistency_proof(old, size).map_err(WitnessError::Inconsistent)?
        };
        self.add_checkpoint(old, &proof, signed_checkpoint, timestamp)
    }
}

/// A valid cosignature: the witness and the time it states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessCosignature {
    /// The witness name.
    pub witness: String,
    /// The key ID.
    pub key_id: u32,
    /// The POSIX timestamp of the cosignature.
    pub timestamp: u64,
}

/// A signature line by a known witness key that does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCosignature {
    /// The witness name.
    pub witness: String,
    /// The key ID.
    pub key_id: u32,
    /// The signature line's position among the note's signature lines (from 0).
    pub line: usize,
    /// Why it does not count.
    pub error: CosignatureError,
}

/// A quorum policy's verdict on a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumReport {
    /// The checkpoint (its log signature verified).
    pub checkpoint: Checkpoint,
    /// The log keys that signed it.
    pub log_signers: Vec<String>,
    /// The witnesses with a valid cosignature, in policy order (the first valid line of each).
    pub cosigned: Vec<WitnessCosignature>,
    /// Lines by known witness keys that do not verify, in note order. They never disqualify a
    /// valid cosignature by the same witness (anyone can append lines to a note).
    pub invalid: Vec<InvalidCosignature>,
    /// Policy witnesses without a valid cosignature, in policy order.
    pub missing: Vec<String>,
    /// The number of witnesses required.
    pub quorum: usize,
    /// Whether at least `quorum` distinct witnesses cosigned validly.
    pub satisfied: bool,
}

/// Why a quorum policy cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No log key.
    #[error("the policy names no log key")]
    NoLogKey,
    /// A quorum larger than the witnesses.
    #[error("a quorum of {quorum} among {witnesses} witnesses can never be met")]
    QuorumTooLarge {
        /// The quorum.
        quorum: usize,
        /// The witnesses.
        witnesses: usize,
    },
    /// The same witness (name and key ID) twice.
    #[error("witness {0} is listed twice")]
    DuplicateWitness(String),
}

/// A witness policy: the log's origin and keys, the witnesses trusted, and how many of them
/// must cosign (`k` of `n`).
#[derive(Debug, Clone)]
pub struct WitnessPolicy {
    origin: String,
    log_keys: Vec<NoteVerifier>,
    witnesses: Vec<CosignatureVerifier>,
    quorum: usize,
}

impl WitnessPolicy {
    /// A policy requiring `quorum` of `witnesses` (`quorum == 0`: the log's signature alone).
    pub fn new(
        origin: &str,
        log_keys: Vec<NoteVerifier>,
        witnesses: Vec<CosignatureVerifier>,
        quorum: usize,
    ) -> Result<Self, PolicyError> {
        if log_keys.is_empty() {
            return Err(PolicyError::NoLogKey);
        }
        if quorum > witnesses.len() {
            return Err(PolicyError::QuorumTooLarge { quorum, witnesses: witnesses.len() });
        }
        for (i, w) in witnesses.iter().enumerate() {
            if witnesses[..i].iter().any(|v| v.name == w.name && v.key_id == w.key_id) {
                return Err(PolicyError::DuplicateWitness(w.to_string()));
            }
        }
        Ok(Self { origin: origin.to_owned(), log_keys, witnesses, quorum })
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The witnesses.
    pub fn witnesses(&self) -> &[CosignatureVerifier] {
        &self.witnesses
    }

    /// Checks a signed checkpoint: the log's signature must verify (else the [`NoteError`] of
    /// [`crate::open_checkpoint`]); every line by a policy witness is verified and reported;
    /// other lines are ignored.
    pub fn check(&self, signed_checkpoint: &str) -> Result<QuorumReport, NoteError> {
        let note = SignedNote::parse(signed_checkpoint)?;
        let by = note.verify(&self.log_keys)?;
        let checkpoint = Checkpoint::parse(&note.text)?;
        if checkpoint.origin != self.origin {
            return Err(NoteError::WrongOrigin {
                got: checkpoint.origin,
                want: self.origin.clone(),
            });
        }
        let mut first_valid: Vec<Option<u64>> = vec![None; self.witnesses.len()];
        let mut invalid = Vec::new();
        for (line, sig) in note.signatures.iter().enumerate() {
            let Some(wi) = self.witnesses.iter().position(|w| w.matches(sig)) else { continue };
            match self.witnesses[wi].verify(&note.text, sig) {
                Ok(ts) => {
                    first_valid[wi].get_or_insert(ts);
                }
                Err(error) => invalid.push(InvalidCosignature {
                    witness: sig.name.clone(),
                    key_id: sig.key_hash,
                    line,
                    error,
                }),
            }
        }
        let mut cosigned = Vec::new();
        let mut missing = Vec::new();
        for (w, ts) in self.witnesses.iter().zip(&first_valid) {
            match ts {
                Some(timestamp) => cosigned.push(WitnessCosignature {
                    witness: w.name.clone(),
                    key_id: w.key_id,
                    timestamp: *timestamp,
                }),
                None => missing.push(w.name.clone()),
            }
        }
        Ok(QuorumReport {
            log_signers: by.iter().map(|v| v.name().to_owned()).collect(),
            satisfied: cosigned.len() >= self.quorum,
            checkpoint,
            cosigned,
            invalid,
            missing,
            quorum: self.quorum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NoteSigner, TreeHead};

    const ORIGIN: &str = "example.org/psephos-test-log";

    fn tree(n: u64) -> MerkleTree {
        MerkleTree::from_leaf_hashes((0..n).map(|i| crate::leaf_hash(&i.to_be_bytes())))
    }

    fn log_key() -> NoteSigner {
        NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap()
    }

    fn signed(head: TreeHead) -> String {
        Checkpoint::new(ORIGIN, head).sign(&[&log_key()]).unwrap()
    }

    fn witness(name: &str, seed: u8) -> Witness {
        Witness::new(name, &[seed; 32], ORIGIN, vec![log_key().verifier()], None).unwrap()
    }

    #[test]
    fn key_id_and_message_follow_the_spec() {
        let s = CosignatureSigner::from_seed("witness.example/w1", &[9; 32]).unwrap();
        let v = s.verifier();
        let pk = v.public_key();
        // SHA-256(name || 0x0A || 0x04 || pk)[:4], computed independently.
        let mut pre = b"witness.example/w1\n\x04".to_vec();
        pre.extend_from_slice(&pk);
        let d: [u8; 32] = Sha256::digest(&pre).into();
        assert_eq!(v.key_id().to_be_bytes(), d[..4]);
        // Not the note key hash of the same key (type 0x01).
        assert_ne!(v.key_id(), crate::key_hash("witness.example/w1", &pk));
        assert_eq!(
            cosigned_message("o\n1\nAAAA\n", 1_679_315_147),
            "cosignature/v1\ntime 1679315147\no\n1\nAAAA\n"
        );
        // The vkey prints and parses back; the wrong type byte or key ID is refused.
        let vkey = v.to_string();
        assert_eq!(CosignatureVerifier::parse(&vkey).unwrap(), v);
        let note_vkey = NoteVerifier::new("witness.example/w1", &pk).unwrap().to_string();
        assert!(CosignatureVerifier::parse(&note_vkey).is_err());
        let wrong_id = format!("witness.example/w1+{:08x}+{}", v.key_id() ^ 1, &vkey[28..]);
        assert!(matches!(
            CosignatureVerifier::parse(&wrong_id),
            Err(NoteError::KeyHashMismatch { .. })
        ));
        for bad in ["", "a+b", "a+0000000g+AA==", "a b+00000000+BA=="] {
            assert!(CosignatureVerifier::parse(bad).is_err(), "{bad:?}");
        }

        // The line: key ID || timestamp || signature, and it verifies by its timestamp.
        let body = Checkpoint::new(ORIGIN, tree(5).head()).body().unwrap();
        let line = s.cosign(&body, 1_679_315_147).unwrap();
        let note = SignedNote::parse(&format!("{body}\n{line}")).unwrap();
        let sig = &note.signatures[0];
        assert!(v.matches(sig));
        assert_eq!(sig.signature.len(), 72);
        assert_eq!(sig.signature[..8], 1_679_315_147u64.to_be_bytes());
        assert_eq!(v.verify(&body, sig), Ok(1_679_315_147));
        // Another timestamp, another body: invalid.
        let mut later = sig.clone();
        later.signature[7] ^= 1;
        assert!(matches!(v.verify(&body, &later), Err(CosignatureError::Invalid { .. })));
        let other = Checkpoint::new(ORIGIN, tree(6).head()).body().unwrap();
        assert!(matches!(v.verify(&other, sig), Err(CosignatureError::Invalid { .. })));
        let mut short = sig.clone();
        short.signature.pop();
        assert!(matches!(v.verify(&body, &short), Err(CosignatureError::Length { len: 71, .. })));
        let mut future = sig.clone();
        future.signature[0] = 0x80;
        assert!(matches!(v.verify(&body, &future), Err(CosignatureError::Timestamp { .. })));
        assert!(s.cosign(&body, 1 << 63).is_err());
        // The signature is Ed25519 over the v1 message, checked with the plain key.
        let plain = NoteVerifier::new("x", &pk).unwrap();
        assert!(
            plain.verify(cosigned_message(&body, 1_679_315_147).as_bytes(), &sig.signature[8..])
        );
    }

    /// Upstream vectors: a published native cosignature vkey (transparency-dev/formats
    /// `note/note_cosigv1_test.go`), whose key ID only the 0x04 rule gives, and the payload
    /// layout of the spec's example line (c2sp.org/tlog-cosignature) and of upstream's
    /// timestamp test.
    #[test]
    fn upstream_vectors() {
        let vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
        let v = CosignatureVerifier::parse(vkey).unwrap();
        assert_eq!(v.key_id(), 0xda77_ade7);
        assert_eq!(v.to_string(), vkey);
        assert_eq!(cosignature_key_id("remora.n621.de", &v.public_key()), 0xda77_ade7);
        let as_note = NoteVerifier::new("remora.n621.de", &v.public_key()).unwrap();
        assert_eq!(CosignatureVerifier::from_note_verifier(&as_note).unwrap(), v);
        // "example.com/behind-the-sofa ... — witness.example.com/w1 jWbPPw...": key ID, then
        // the timestamp of the example's "time 1679315147" line, then 64 signature bytes.
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        for (line, key_id, time) in [
            (
                "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n",
                0x8d66_cf3f,
                1_679_315_147,
            ),
            (
                "\u{2014} w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==\n",
                0x6468_46b9,
                1_727_964_367,
            ),
        ] {
            let note = SignedNote::parse(&format!("{body}\n{line}")).unwrap();
            let sig = &note.signatures[0];
            assert_eq!(sig.key_hash, key_id);
            assert_eq!(sig.signature.len(), 72);
            assert_eq!(sig.signature[..8], u64::to_be_bytes(time));
            // Under a key of the same name and ID it would be checked, and fail: not ours.
            let w = CosignatureVerifier { name: sig.name.clone(), key_id, key: v.key };
            assert_eq!(
                w.verify(&note.text, sig),
                Err(CosignatureError::Invalid { name: sig.name.clone(), timestamp: time })
            );
        }
    }

    #[test]
    fn a_witness_follows_the_log_and_refuses_forks_and_rollbacks() {
        let t = tree(40);
        let mut w = witness("witness.example/w1", 1);
        let v = w.verifier();
        let line = w.add_checkpoint(0, &[], &signed(t.head_at(10).unwrap()), 100).unwrap();
        let cp10 = signed(t.head_at(10).unwrap());
        let cosigned = append_signatures(&cp10, &[line]).unwrap();
        let note = SignedNote::parse(&cosigned).unwrap();
        assert_eq!(v.verify(&note.text, &note.signatures[1]), Ok(100));
        assert_eq!(w.latest().map(|c| c.head.size), Some(10));

        // 10 -> 25 with the right proof.
        let proof = t.consistency_proof(10, 25).unwrap();
        w.add_checkpoint(10, &proof, &signed(t.head_at(25).unwrap()), 101).unwrap();
        // The same checkpoint again: fine.
        w.add_checkpoint(25, &[], &signed(t.head_at(25).unwrap()), 102).unwrap();

        let before = w.latest().cloned();
        // A fork at the same size.
        let forked = TreeHead { size: 25, root: [1; 32] };
        assert!(matches!(
            w.add_checkpoint(25, &[], &signed(forked), 103),
            Err(WitnessError::Fork { size: 25, .. })
        ));
        // A fork at a larger size: the proof from the real tree does not lead to it.
        let other = tree(30);
        let mut other_tree = MerkleTree::from_leaf_hashes(t.leaves()[..25].to_vec());
        for i in 0..5u64 {
            other_tree.push(&(1000 + i).to_be_bytes());
        }
        assert_ne!(other_tree.root(), other.root());
        let bad_proof = t.consistency_proof(25, 30).unwrap();
        assert!(matches!(
            w.add_checkpoint(25, &bad_proof, &signed(other_tree.head()), 104),
            Err(WitnessError::Inconsistent(_))
        ));
        // Its own proof verifies: an append-only extension of 25 is fine.
        let good = other_tree.consistency_proof(25, 30).unwrap();
        // A rollback.
        assert_eq!(
            w.add_checkpoint(10, &[], &signed(t.head_at(10).unwrap()), 105),
            Err(WitnessError::Rollback { latest: 25, size: 10 })
        );
        // A stale or future old size.
        assert_eq!(
            w.add_checkpoint(10, &proof, &signed(t.head_at(30).unwrap()), 106),
            Err(WitnessError::Conflict { old_size: 10, latest: 25 })
        );
        assert_eq!(
            w.add_checkpoint(31, &[], &signed(t.head_at(30).unwrap()), 106),
            Err(WitnessError::OldSizeAhead { old_size: 31, size: 30 })
        );
        // Not the log's key; another origin.
        let impostor = NoteSigner::from_seed(ORIGIN, &[8; 32]).unwrap();
        let forged = Checkpoint::new(ORIGIN, t.head_at(30).unwrap()).sign(&[&impostor]).unwrap();
        assert!(matches!(
            w.add_checkpoint(25, &bad_proof, &forged, 107),
            Err(WitnessError::LogSignature(NoteError::NoKnownSignature(_)))
        ));
        let elsewhere = Checkpoint::new("example.org/other", t.head_at(30).unwrap())
            .sign(&[&log_key()])
            .unwrap();
        assert!(matches!(
            w.add_checkpoint(25, &bad_proof, &elsewhere, 107),
            Err(WitnessError::UnknownOrigin { .. })
        ));
        assert_eq!(
            w.add_checkpoint(25, &bad_proof, &signed(t.head_at(30).unwrap()), 1 << 63),
            Err(WitnessError::Timestamp(1 << 63))
        );
        assert_eq!(w.latest().cloned(), before, "refusals leave the state unchanged");

        // The forked log's extension is consistent with 25, so a witness cosigns it: a witness
        // proves append-only growth from what it saw, nothing more.
        assert!(w.add_checkpoint(25, &good, &signed(other_tree.head()), 108).is_ok());

        // From a tree, starting fresh, with a non-empty proof from 0 refused.
        let mut fresh = witness("witness.example/w2", 2);
        assert_eq!(
            fresh.add_checkpoint(0, &proof, &signed(t.head_at(10).unwrap()), 1),
            Err(WitnessError::ProofFromEmptyTree(proof.len()))
        );
        for size in [1, 2, 9, 40] {
            fresh.add_checkpoint_from_tree(&t, &signed(t.head_at(size).unwrap()), size).unwrap();
        }
        // Resumed from a stored checkpoint of another log: refused.
        let stored = Checkpoint::new("example.org/other", t.head());
        assert!(
            Witness::new("w", &[3; 32], ORIGIN, vec![log_key().verifier()], Some(stored)).is_err()
        );
        assert!(Witness::new("w", &[3; 32], ORIGIN, vec![], None).is_err());
        assert!(
            Witness::new("bad name", &[3; 32], ORIGIN, vec![log_key().verifier()], None).is_err()
        );
    }

    #[test]
    fn quorum_policy_reports_each_witness() {
        let t = tree(12);
        let head = t.head();
        let mut ws: Vec<Witness> =
            (0..4).map(|i| witness(&format!("w{i}.example"), 10 + i)).collect();
        let verifiers: Vec<CosignatureVerifier> = ws.iter().map(Witness::verifier).collect();
        let cp = signed(head);
        let mut lines = Vec::new();
        for (i, w) in ws.iter_mut().enumerate().take(3) {
            lines.push(w.add_checkpoint(0, &[], &cp, 1000 + i as u64).unwrap());
        }
        // An unknown witness and a non-witness signer: ignored.
        let stranger = CosignatureSigner::from_seed("stranger.example", &[99; 32]).unwrap();
        let body = Checkpoint::new(ORIGIN, head).body().unwrap();
        lines.push(stranger.cosign(&body, 5).unwrap());
        lines
            .push(NoteSigner::from_seed("other.example", &[98; 32]).unwrap().signature_line(&body));
        // A forged line under w3's name and key ID (w3 never cosigned).
        let forger = CosignatureSigner::from_seed("w3.example", &[97; 32]).unwrap();
        let forged = forger.cosign(&body, 6).unwrap();
        let w3_id = verifiers[3].key_id();
        let forged_line = {
            let note = SignedNote::parse(&format!("{body}\n{forged}")).unwrap();
            let mut raw = w3_id.to_be_bytes().to_vec();
            raw.extend_from_slice(&note.signatures[0].signature);
            format!("\u{2014} w3.example {}\n", base64::encode(&raw))
        };
        lines.push(forged_line.clone());
        // A bad duplicate of w0's line: reported, w0 still counts.
        let w0_bad = {
            let note = SignedNote::parse(&format!("{body}\n{}", lines[0])).unwrap();
            let mut raw = verifiers[0].key_id().to_be_bytes().to_vec();
            let mut payload = note.signatures[0].signature.clone();
            payload[20] ^= 1;
            raw.extend_from_slice(&payload);
            format!("\u{2014} w0.example {}\n", base64::encode(&raw))
        };
        lines.push(w0_bad);
        let full = append_signatures(&cp, &lines).unwrap();

        let policy =
            WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], verifiers.clone(), 3).unwrap();
        let report = policy.check(&full).unwrap();
        assert_eq!(report.checkpoint.head, head);
        assert_eq!(report.log_signers, [ORIGIN]);
        let names: Vec<&str> = report.cosigned.iter().map(|c| c.witness.as_str()).collect();
        assert_eq!(names, ["w0.example", "w1.example", "w2.example"]);
        assert_eq!(report.cosigned[1].timestamp, 1001);
        assert_eq!(report.missing, ["w3.example"]);
        assert_eq!(report.invalid.len(), 2);
        assert_eq!(report.invalid[0].witness, "w3.example");
        assert_eq!(report.invalid[0].line, 6);
        assert!(matches!(report.invalid[0].error, CosignatureError::Invalid { .. }));
        assert_eq!(report.invalid[1].witness, "w0.example");
        assert!(report.satisfied);

        let four = WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], verifiers.clone(), 4);
        assert!(!four.unwrap().check(&full).unwrap().satisfied);
        // Without cosignatures, only quorum 0 holds.
        let zero = WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], verifiers.clone(), 0);
        let report = zero.unwrap().check(&cp).unwrap();
        assert!(report.satisfied && report.cosigned.is_empty() && report.missing.len() == 4);
        // The log's signature is required.
        let policy =
            WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], verifiers.clone(), 1).unwrap();
        let unsigned_by_log = format!("{body}\n{}", lines[0]);
        assert!(matches!(policy.check(&unsigned_by_log), Err(NoteError::NoKnownSignature(_))));
        let other_origin =
            WitnessPolicy::new("example.org/x", vec![log_key().verifier()], vec![], 0);
        assert!(matches!(other_origin.unwrap().check(&cp), Err(NoteError::WrongOrigin { .. })));
        // Policy errors.
        assert_eq!(
            WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], verifiers.clone(), 5).err(),
            Some(PolicyError::QuorumTooLarge { quorum: 5, witnesses: 4 })
        );
        assert_eq!(
            WitnessPolicy::new(ORIGIN, vec![], vec![], 0).err(),
            Some(PolicyError::NoLogKey)
        );
        let twice = vec![verifiers[0].clone(), verifiers[0].clone()];
        assert!(matches!(
            WitnessPolicy::new(ORIGIN, vec![log_key().verifier()], twice, 1),
            Err(PolicyError::DuplicateWitness(_))
        ));
    }
}
