//! Base64url without padding (RFC 4648 §5), the only encoding a compact JWS uses (RFC 7515 §2).

/// The bytes of `text`, or `None` if it is not canonical unpadded base64url: padding, other
/// alphabets, whitespace and non-zero trailing bits are all refused, so one token has one
/// encoding.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut word = 0u32;
        for &c in chunk {
            word = word << 6 | sextet(c)?;
        }
        let bits = chunk.len() * 6;
        let whole = bits / 8;
        // The bits past the last whole byte must be zero.
        if word & ((1 << (bits - whole * 8)) - 1) != 0 {
            return None;
        }
        let word = word >> (bits - whole * 8);
        for i in (0..whole).rev() {
            out.push((word >> (i * 8)) as u8);
        }
    }
    Some(out)
}

/// Unpadded base64url of `bytes`: tests build tokens and keys with it (the worker only decodes).
#[cfg(test)]
pub fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().fold(0u32, |w, &b| w << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn encodes_what_it_decodes() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"\xfb\xff", &[0u8; 7]] {
            assert_eq!(decode(&encode(bytes)).as_deref(), Some(bytes));
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn decodes_rfc_4648_vectors_unpadded() {
        let cases = [("", ""), ("Zg", "f"), ("Zm8", "fo"), ("Zm9v", "foo"), ("Zm9vYg", "foob"), ("Zm9vYmE", "fooba"), ("Zm9vYmFy", "foobar")];
        for (encoded, plain) in cases {
            assert_eq!(decode(encoded).as_deref(), Some(plain.as_bytes()), "{encoded}");
        }
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
    }

    #[test]
    fn refuses_anything_not_canonical() {
        for bad in ["Zg==", "Zm9v=", "+/8", "Zm 9v", "Z", "Zh", "Zm9", "é"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
