//! Standard base64 (RFC 4648 §4, with padding), strict: decoding refuses anything that another
//! encoder could not have produced (missing padding, stray characters, non-zero spare bits), so a
//! signature or key has exactly one textual form.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in standard padded base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The bytes of canonical standard padded base64 `text`, or `None` if it is not that.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    decode_with(text, |bytes| out.extend_from_slice(bytes))?;
    Some(out)
}

/// The `N` bytes of canonical standard padded base64 `text`, or `None` if it is not that or
/// encodes another number of bytes (a signature or key, without an allocation).
pub(crate) fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N.div_ceil(3) * 4 {
        return None;
    }
    let mut out = [0u8; N];
    let mut len = 0;
    decode_with(text, |bytes| {
        if let Some(slot) = out.get_mut(len..len + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
        len += bytes.len();
    })?;
    (len == N).then_some(out)
}

/// Decodes canonical standard padded base64 `text`, giving each group's bytes to `push`;
/// `None` if it is not that.
fn decode_with(text: &str, mut push: impl FnMut(&[u8])) -> Option<()> {
    let t = text.as_bytes();
    if !t.len().is_multiple_of(4) {
        return None;
    }
    let quads = t.len() / 4;
    for (q, quad) in t.chunks(4).enumerate() {
        let last = q + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Spare bits of a padded group must be zero (canonical form).
        let keep = 3 - pad;
        if bytes[keep..].iter().any(|&b| b != 0) {
            return None;
        }
        push(&bytes[..keep]);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_array, encode};

    #[test]
    fn rfc4648_vectors_round_trip() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(raw.as_bytes()), enc);
            assert_eq!(decode(enc).as_deref(), Some(raw.as_bytes()));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Some(all.clone()));
        for n in [62, 63, 64, 65, 66] {
            let want: Option<[u8; 64]> = all[..n].try_into().ok();
            assert_eq!(decode_array::<64>(&encode(&all[..n])), want, "{n} bytes");
        }
        assert_eq!(decode_array::<2>("Zm8="), Some(*b"fo"));
        assert_eq!(decode_array::<2>("Zm9="), None);
    }

    #[test]
    fn non_canonical_is_refused() {
        for bad in ["Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm9v\n", "Zm-v", "===="] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
