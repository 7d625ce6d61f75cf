//! Base64 (RFC 4648) through the `base64` crate: the url-safe alphabet
//! without padding for PKCE and `state` (RFC 7636 Appendix A), the standard
//! alphabet with padding for HTTP Basic credentials (RFC 7617 §2), and
//! decoding for the webhook work. The crate replaced a hand-written encoder:
//! a well-kept implementation costs a few hundred bytes gzipped in the wasm
//! (measured in bench/RESULTS.md) and brings a decoder that rejects
//! non-canonical input.

use ::base64::engine::general_purpose::{STANDARD as STANDARD_ENGINE, URL_SAFE_NO_PAD};
use ::base64::Engine;
use alloc::string::String;
use alloc::vec::Vec;

/// base64url without padding (RFC 4648 §5).
pub fn url_safe_no_pad(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn standard(input: &[u8]) -> String {
    STANDARD_ENGINE.encode(input)
}

/// Decodes standard base64 with padding; `None` on anything else
/// (other alphabets, missing padding, trailing bits set). For the webhook
/// secret and signatures (Standard Webhooks).
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn decode_standard(input: &str) -> Option<Vec<u8>> {
    STANDARD_ENGINE.decode(input).ok()
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
            assert_eq!(decode_standard(expected).unwrap(), input.as_bytes());
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
        for bad in ["Zg", "Zh==", "Z===", "-_8=", "Zm9v\n"] {
            assert_eq!(decode_standard(bad), None, "{bad:?}");
        }
    }
}
