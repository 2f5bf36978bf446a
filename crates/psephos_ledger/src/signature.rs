//! The signature rule of psephos records, one rule for single and batch verification.
//!
//! A record signature `(R, s)` by public key `A` on message `M` is valid when
//!
//! 1. `s` is canonical (`s < ℓ`);
//! 2. `R` and `A` are canonical encodings (`y < p`) of curve points, neither of small order
//!    (`A` is checked once, when the registry is read: [`crate::registry`]);
//! 3. the **cofactored** equation holds: `[8]([s]B − R − [k]A) = 0` with
//!    `k = SHA-512(R ‖ A ‖ M) mod ℓ` (RFC 8032 §5.1.7 allows the cofactored check).
//!
//! Why cofactored: only with the cofactored equation does a batch of signatures pass exactly
//! when each of them passes on its own (Chalkias, Garillot and Nikolaenko, "Taming the many
//! EdDSAs", 2020; Zcash ZIP 215). So `ledger append` (which verifies in batches), `verify`
//! and anyone re-checking one signature reach the same verdict. Every signature made by an
//! RFC 8032 signer is valid under both equations; they differ only on signatures crafted with
//! small-order components, which rule 2 already refuses for `R` and `A` themselves.
//!
//! Batches: `[8](−(Σ zᵢsᵢ)B + Σ zᵢRᵢ + Σ (zᵢkᵢ)Aᵢ) = 0` with 128-bit `zᵢ` derived from a
//! SHA-512 of every `k` and `s` of the batch (deterministic: the same inputs always give the
//! same verdicts; a forger must fix the signatures before learning the `zᵢ`). A batch that
//! fails is checked signature by signature, so a verdict is always per signature.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::VerifyingKey;
use rayon::prelude::*;
use sha2::{Digest, Sha512};

/// Signatures per batch. 2·256 + 1 points take curve25519-dalek's Pippenger path, about 10 %
/// cheaper per signature than batches of 64 on the bench machine; larger batches gain little,
/// and a failed batch costs its size in single checks.
pub const BATCH: usize = 256;

/// One signature to check.
#[derive(Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The public key (decompressed once, when the registry is read).
    pub key: &'a VerifyingKey,
    /// The signed message is `prefix ‖ message` (for a record, [`crate::SIGNING_PREFIX`]
    /// and the record's canonical bytes: [`crate::signing_message`] without the copy).
    pub prefix: &'a [u8],
    /// The rest of the signed message.
    pub message: &'a [u8],
    /// The 64-byte signature `R ‖ s`.
    pub signature: &'a [u8; 64],
}

/// Whether a 32-byte point encoding has `y ≥ p` (`p = 2²⁵⁵ − 19`): a non-canonical encoding.
pub fn non_canonical_y(bytes: &[u8; 32]) -> bool {
    bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed
}

/// A signature read for the equation: `R`, `s`, `k`, or `None` if rule 1 or 2 fails.
#[derive(Clone, Copy)]
struct Parsed {
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
    a: EdwardsPoint,
}

fn parse(c: &SignatureCheck<'_>) -> Option<Parsed> {
    let r_bytes: [u8; 32] = c.signature[..32].try_into().ok()?;
    let s_bytes: [u8; 32] = c.signature[32..].try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    if non_canonical_y(&r_bytes) {
        return None;
    }
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    if r.is_small_order() {
        return None;
    }
    let a = c.key.to_edwards();
    if a.is_small_order() {
        return None;
    }
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(c.key.as_bytes());
    h.update(c.prefix);
    h.update(c.message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    Some(Parsed { r, s, k, a })
}

fn holds(p: &Parsed) -> bool {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &-p.a, &p.s);
    (sb_minus_ka - p.r).mul_by_cofactor().is_identity()
}

/// Checks one signature under the rule.
pub fn verify(check: &SignatureCheck<'_>) -> bool {
    parse(check).is_some_and(|p| holds(&p))
}

/// The batch equation over signatures that passed rules 1 and 2.
fn batch_holds(batch: &[Parsed]) -> bool {
    // The zᵢ: counter-mode SHA-512 over a digest of every kᵢ and sᵢ, 4 per block.
    let mut seed = Sha512::new();
    seed.update(b"psephos-record/v1 batch verification\n");
    for p in batch {
        seed.update(p.k.as_bytes());
        seed.update(p.s.as_bytes());
    }
    let seed = seed.finalize();
    let mut zs = Vec::with_capacity(batch.len());
    for block in 0..batch.len().div_ceil(4) as u64 {
        let out = Sha512::new().chain_update(seed).chain_update(block.to_le_bytes()).finalize();
        for z in out.chunks_exact(16).take(batch.len() - zs.len()) {
            let z: [u8; 16] = z.try_into().unwrap_or([1; 16]);
            zs.push(Scalar::from(u128::from_le_bytes(z)));
        }
    }
    let b_coefficient: Scalar = batch.iter().zip(&zs).map(|(p, z)| z * p.s).sum();
    let scalars = std::iter::once(-b_coefficient)
        .chain(zs.iter().copied())
        .chain(batch.iter().zip(&zs).map(|(p, z)| z * p.k));
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(batch.iter().map(|p| p.r))
        .chain(batch.iter().map(|p| p.a));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).mul_by_cofactor().is_identity()
}

/// Checks signatures as one batch (best with about [`BATCH`] of them), falling back to one by
/// one if the batch fails: the verdicts are those of [`verify`] on each signature.
pub fn verify_batch(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    let parsed: Vec<Option<Parsed>> = checks.iter().map(parse).collect();
    let good: Vec<Parsed> = parsed.iter().flatten().copied().collect();
    if good.len() > 1 && batch_holds(&good) {
        return parsed.iter().map(Option::is_some).collect();
    }
    parsed.iter().map(|p| p.as_ref().is_some_and(holds)).collect()
}

/// Checks every signature, in batches on all cores: the verdicts are those of [`verify`] on
/// each signature.
pub fn verify_all(checks: &[SignatureCheck<'_>]) -> Vec<bool> {
    checks.par_chunks(BATCH).flat_map_iter(verify_batch).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};
    use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

    fn scalar(rng: &mut ChaCha8Rng) -> Scalar {
        let mut wide = [0u8; 64];
        rng.fill(&mut wide[..]);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    /// A signature made by hand with secret scalar `a`, nonce `r`, and `torsion` added to R:
    /// valid under the cofactored equation, not under the cofactorless one unless `torsion`
    /// is the identity.
    fn crafted(
        a: &Scalar,
        r: &Scalar,
        torsion: &EdwardsPoint,
        msg: &[u8],
    ) -> (VerifyingKey, [u8; 64]) {
        let key = VerifyingKey::from_bytes(&EdwardsPoint::mul_base(a).compress().to_bytes())
            .expect("a point");
        let big_r = (EdwardsPoint::mul_base(r) + torsion).compress().to_bytes();
        let mut h = Sha512::new();
        h.update(big_r);
        h.update(key.as_bytes());
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        (key, sig)
    }

    #[test]
    fn rfc8032_signatures_hold_alone_and_in_batches() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let keys: Vec<SigningKey> =
            (0..150).map(|_| SigningKey::from_bytes(&rng.random())).collect();
        let verifying: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        let messages: Vec<Vec<u8>> = (0..150).map(|i| format!("form {i}").into_bytes()).collect();
        let mut sigs: Vec<[u8; 64]> =
            keys.iter().zip(&messages).map(|(k, m)| k.sign(m).to_bytes()).collect();
        let checks = |sigs: &[[u8; 64]]| -> Vec<bool> {
            let c: Vec<SignatureCheck<'_>> = (0..sigs.len())
                .map(|i| SignatureCheck {
                    key: &verifying[i],
                    prefix: b"",
                    message: &messages[i],
                    signature: &sigs[i],
                })
                .collect();
            verify_all(&c)
        };
        assert!(checks(&sigs).iter().all(|&ok| ok));
        // One flipped bit in a message's signature, one signature under another key, one
        // non-canonical s: each is refused, alone, and no other verdict changes.
        sigs[3][5] ^= 1;
        sigs[70] = keys[71].sign(&messages[70]).to_bytes();
        let s = Scalar::from_canonical_bytes(sigs[140][32..].try_into().unwrap()).unwrap();
        let mut unreduced = s.to_bytes();
        // s + ℓ: the same scalar mod ℓ, not canonical.
        // ℓ = 2²⁵² + 27742317777372353535851937790883648493, little-endian.
        let mut ell = [0u8; 32];
        ell[..16].copy_from_slice(&0x14def9dea2f79cd65812631a5cf5d3ed_u128.to_le_bytes());
        ell[31] = 0x10;
        let mut carry = 0u16;
        for (u, l) in unreduced.iter_mut().zip(ell) {
            let sum = u16::from(*u) + u16::from(l) + carry;
            *u = sum as u8;
            carry = sum >> 8;
        }
        // s < ℓ < 2²⁵³, so s + ℓ < 2²⁵⁴: 32 bytes hold it.
        assert_eq!(carry, 0);
        sigs[140][32..].copy_from_slice(&unreduced);
        let verdicts = checks(&sigs);
        for (i, ok) in verdicts.iter().enumerate() {
            let expected = !(i == 3 || i == 70 || i == 140);
            assert_eq!(*ok, expected, "signature {i}");
            let single = verify(&SignatureCheck {
                key: &verifying[i],
                prefix: b"",
                message: &messages[i],
                signature: &sigs[i],
            });
            assert_eq!(single, expected, "signature {i} alone");
        }
    }

    #[test]
    fn small_order_and_non_canonical_r_are_refused() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (a, r) = (scalar(&mut rng), scalar(&mut rng));
        let (key, mut sig) = crafted(&a, &r, &EIGHT_TORSION[0], b"m");
        assert!(verify(&SignatureCheck { key: &key, prefix: b"", message: b"m", signature: &sig }));
        // R of small order (the point of order 2, y = −1): refused before any equation.
        sig[..32].copy_from_slice(&EIGHT_TORSION[4].compress().to_bytes());
        assert!(!verify(&SignatureCheck {
            key: &key,
            prefix: b"",
            message: b"m",
            signature: &sig
        }));
        // y = p + 1 encodes the identity non-canonically.
        let mut y = [0xffu8; 32];
        y[0] = 0xee;
        y[31] = 0x7f;
        assert!(non_canonical_y(&y));
        assert!(!non_canonical_y(&EIGHT_TORSION[1].compress().to_bytes()));
        sig[..32].copy_from_slice(&y);
        assert!(!verify(&SignatureCheck {
            key: &key,
            prefix: b"",
            message: b"m",
            signature: &sig
        }));
    }

    /// The reason for the cofactored rule: signatures with a torsion component in R get the same
    /// verdict alone and in any batch (the cofactorless batch equation accepts two such
    /// signatures whose torsion cancels, which the cofactorless single check refuses).
    #[test]
    fn batch_and_single_verdicts_agree_on_crafted_torsion() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for round in 0..20 {
            let n = 2 + round % 9;
            let mut keys = Vec::new();
            let mut sigs = Vec::new();
            let messages: Vec<Vec<u8>> =
                (0..n).map(|i| format!("m{round}-{i}").into_bytes()).collect();
            for m in &messages {
                let (a, r) = (scalar(&mut rng), scalar(&mut rng));
                let torsion = EIGHT_TORSION[rng.random_range(0..8)];
                let (key, mut sig) = crafted(&a, &r, &torsion, m);
                if rng.random_range(0..4) == 0 {
                    sig[40] ^= 4;
                }
                keys.push(key);
                sigs.push(sig);
            }
            let checks: Vec<SignatureCheck<'_>> = (0..n)
                .map(|i| SignatureCheck {
                    key: &keys[i],
                    prefix: b"",
                    message: &messages[i],
                    signature: &sigs[i],
                })
                .collect();
            let single: Vec<bool> = checks.iter().map(verify).collect();
            assert_eq!(verify_batch(&checks), single, "round {round}");
            for (c, ok) in checks.iter().zip(&single) {
                // A torsion component of order 2 makes R small order only if r = 0: never here.
                let strict = c
                    .key
                    .verify_strict(c.message, &ed25519_dalek::Signature::from_bytes(c.signature))
                    .is_ok();
                // Whatever the cofactorless check says, the cofactored one accepts at least it.
                assert!(!strict || *ok);
            }
        }
    }
}
