//! The lot that settles ties.
//!
//! Every candidate's ticket is the SHA-256 of `seed|contest|candidate` (UTF-8, no trailing
//! newline); among tied candidates the lowest ticket ranks first. Anyone can replay a draw with
//! `printf '%s' 'seed|contest|candidate' | sha256sum`.

use sha2::{Digest, Sha256};

/// The ticket of one candidate in one contest's lot.
pub fn lot_ticket(seed: &str, contest: &str, candidate: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(b"|");
    h.update(contest.as_bytes());
    h.update(b"|");
    h.update(candidate.as_bytes());
    h.finalize().into()
}

/// The ticket as lowercase hexadecimal, as `sha256sum` prints it.
pub fn lot_ticket_hex(seed: &str, contest: &str, candidate: &str) -> String {
    lot_ticket(seed, contest, candidate).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_is_sha256_of_the_documented_string() {
        // printf '%s' 'abc' | sha256sum
        let h: [u8; 32] = Sha256::digest(b"abc").into();
        assert_eq!(
            h.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // printf '%s' 's|C|X' | sha256sum
        assert_eq!(lot_ticket("s", "C", "X"), <[u8; 32]>::from(Sha256::digest(b"s|C|X")));
        assert_eq!(lot_ticket_hex("s", "C", "X").len(), 64);
    }
}
