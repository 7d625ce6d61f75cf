//! Base64 (RFC 4648) through the `base64` crate: the url-safe alphabet
//! without padding for PKCE and `state` (RFC 7636 Appendix A), the standard
//! alphabet with padding for HTTP Basic credentials (RFC 7617 §2), and
//! decoding for the webhook work. The crate replaced a hand-written encoder:
//! a well-kept implementation costs a few hundred bytes gzipped in the wasm
//! (measured in bench/RESULTS.md) and brings a decoder that rejects
//! non-canonical input.

use ::base64::alphabet;
use ::base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD as STANDARD_ENGINE, URL_SAFE_NO_PAD,
};
use ::base64::engine::DecodePaddingMode;
use ::base64::Engine;
use alloc::string::String;
use alloc::vec::Vec;

/// Encodes into an exactly sized buffer. `Engine::encode` would do the same
/// but `expect`s on the UTF-8 conversion, which drags `core::fmt` into the
/// wasm (about +1.3 KB gz); here a failure (impossible: base64 is ASCII)
/// gives an empty string instead.
fn encode_with(engine: &impl Engine, input: &[u8], padding: bool) -> String {
    let Some(len) = ::base64::encoded_len(input.len(), padding) else {
        return String::new();
    };
    let mut out = alloc::vec![0u8; len];
    let written = engine.encode_slice(input, &mut out).unwrap_or(0);
    out.truncate(written);
    String::from_utf8(out).unwrap_or_default()
}

/// base64url without padding (RFC 4648 §5).
pub fn url_safe_no_pad(input: &[u8]) -> String {
    encode_with(&URL_SAFE_NO_PAD, input, false)
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn standard(input: &[u8]) -> String {
    encode_with(&STANDARD_ENGINE, input, true)
}

/// Standard base64 where padding may be omitted (Standard Webhooks secrets
/// and signatures are sent both ways); a short run of `=` is tolerated too.
/// Non-canonical trailing bits and other alphabets are refused.
const STANDARD_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes standard base64, padding optional; `None` on anything else
/// (other alphabets, wrong padding, non-canonical trailing bits). For the
/// webhook secret and signatures (Standard Webhooks).
#[cfg_attr(not(any(feature = "internals", feature = "edge")), allow(dead_code))]
pub fn decode_standard(input: &[u8]) -> Option<Vec<u8>> {
    STANDARD_PADDING_OPTIONAL.decode(input).ok()
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
        for bad in ["Zh==", "Zh", "Z", "Z===", "Zm=9", "-_8=", "Zm9v\n"] {
            assert_eq!(decode_standard(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn padding_is_optional_when_decoding() {
        assert_eq!(decode_standard(b"Zg").unwrap(), b"f");
        assert_eq!(decode_standard(b"Zg==").unwrap(), b"f");
    }
}
