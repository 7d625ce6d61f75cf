//! Base64 (RFC 4648), hand-written: the url-safe alphabet without padding
//! for PKCE and `state` (RFC 7636 Appendix A), the standard alphabet with
//! padding for HTTP Basic credentials (RFC 7617 §2), and a strict decoder
//! for the webhook secret and signatures (Standard Webhooks).
//!
//! Why not the `base64` crate (issue #12 asked for it "unless a measured
//! reason says otherwise"): in the browser wasm it cost +1 600 B gzipped
//! (bench/RESULTS.md, "Size"), half of what the OAuth download grew by,
//! for a job these few lines do. The crate stays as a dev-dependency: the
//! differential test in tests/differential.rs checks both directions against
//! it (encodings byte for byte, the decoder's accept/reject and values).

use alloc::string::String;
use alloc::vec::Vec;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    let symbol = |n: u32| char::from(alphabet.get((n & 63) as usize).copied().unwrap_or(b'='));
    for chunk in input.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = byte(0) << 16 | byte(1) << 8 | byte(2);
        // A chunk of k bytes gives k + 1 symbols (RFC 4648 §4), then `=`
        // up to four when padding.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(symbol(n >> (18 - 6 * i)));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// base64url without padding (RFC 4648 §5).
pub fn url_safe_no_pad(input: &[u8]) -> String {
    encode(input, URL_SAFE, false)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn standard(input: &[u8]) -> String {
    encode(input, STANDARD, true)
}

/// The value of one standard-alphabet symbol (RFC 4648 §4, Table 1).
#[cfg_attr(not(any(feature = "internals", feature = "edge")), allow(dead_code))]
fn standard_value(symbol: u8) -> Option<u32> {
    let v = match symbol {
        b'A'..=b'Z' => symbol - b'A',
        b'a'..=b'z' => symbol - b'a' + 26,
        b'0'..=b'9' => symbol - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes standard base64 where padding may be omitted (Standard Webhooks
/// secrets and signatures are sent both ways) or shortened; `None` on
/// anything else. The rules, those of the `base64` crate's
/// `DecodePaddingMode::Indifferent` with the standard alphabet:
/// - only symbols of the standard alphabet, then optionally `=` at the end;
/// - the last group has 2, 3 or 4 symbols (one symbol holds no whole byte),
///   and `=` only completes a group of 2 or 3 to at most 4;
/// - the bits a last short group does not use are zero (RFC 4648 §3.5:
///   canonical encoding), so each byte string has one accepted spelling
///   apart from the padding.
#[cfg_attr(not(any(feature = "internals", feature = "edge")), allow(dead_code))]
pub fn decode_standard(input: &[u8]) -> Option<Vec<u8>> {
    let symbols_len = input.len() - input.iter().rev().take_while(|&&b| b == b'=').count();
    let symbols = input.get(..symbols_len)?;
    let last_group = symbols_len % 4;
    let padding = input.len() - symbols_len;
    if last_group == 1 || (padding > 0 && (last_group == 0 || last_group + padding > 4)) {
        return None;
    }
    let mut out = Vec::with_capacity(symbols_len / 4 * 3 + 2);
    for group in symbols.chunks(4) {
        let mut n = 0u32;
        for &symbol in group {
            n = n << 6 | standard_value(symbol)?;
        }
        // A short group of k symbols holds k - 1 bytes; the 6k - 8(k - 1)
        // bits left over must be zero.
        let bytes = group.len() - 1;
        let unused = 6 * group.len() - 8 * bytes;
        if n & ((1 << unused) - 1) != 0 {
            return None;
        }
        n >>= unused;
        for i in (0..bytes).rev() {
            out.push((n >> (8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_section_10_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(standard(input.as_bytes()), expected);
            assert_eq!(
                decode_standard(expected.as_bytes()).unwrap(),
                input.as_bytes()
            );
            assert_eq!(
                url_safe_no_pad(input.as_bytes()),
                expected.trim_end_matches('=')
            );
        }
    }

    #[test]
    fn url_safe_uses_dash_and_underscore() {
        assert_eq!(url_safe_no_pad(&[0xfb, 0xff]), "-_8");
        assert_eq!(standard(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn malformed_base64_does_not_decode() {
        for bad in [
            "Zh==",
            "Zh",
            "Z",
            "Z===",
            "Zm=9",
            "-_8=",
            "Zm9v\n",
            "=",
            "Zm9v=",
            "Zg===",
            "Zm9=v",
            "Zm9vY",
            "Zm9vYmFy====",
        ] {
            assert_eq!(decode_standard(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn padding_is_optional_when_decoding() {
        assert_eq!(decode_standard(b"Zg").unwrap(), b"f");
        assert_eq!(decode_standard(b"Zg=").unwrap(), b"f");
        assert_eq!(decode_standard(b"Zg==").unwrap(), b"f");
        assert_eq!(decode_standard(b"Zm8").unwrap(), b"fo");
    }
}
