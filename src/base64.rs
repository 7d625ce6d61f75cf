//! Base64 encoding (RFC 4648): the url-safe alphabet without padding for
//! PKCE and `state` (RFC 7636 Appendix A), the standard alphabet with padding
//! for HTTP Basic credentials. Encoding only, in a few lines: the general
//! purpose crate weighs several KB in the wasm for the same job.

use alloc::string::String;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    let symbol = |n: u32| char::from(alphabet.get((n & 63) as usize).copied().unwrap_or(b'='));
    for chunk in input.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0) << 16 | b(1) << 8 | b(2);
        out.push(symbol(n >> 18));
        out.push(symbol(n >> 12));
        if chunk.len() > 1 {
            out.push(symbol(n >> 6));
        } else if pad {
            out.push('=');
        }
        if chunk.len() > 2 {
            out.push(symbol(n));
        } else if pad {
            out.push('=');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_10_test_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(standard(input.as_bytes()), expected);
            assert_eq!(
                url_safe_no_pad(input.as_bytes()),
                expected.trim_end_matches('=')
            );
        }
    }

    #[test]
    fn url_safe_alphabet_is_used() {
        assert_eq!(url_safe_no_pad(&[0xfb, 0xff]), "-_8");
        assert_eq!(standard(&[0xfb, 0xff]), "+/8=");
    }
}
