//! PKCE verifier validation (RFC 7636 §4.1) and the S256 challenge (§4.2).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pleo_oauth::pkce::{challenge_s256, is_valid_verifier, parse_verifier};
use pleo_oauth::ErrorCode;
use std::sync::OnceLock;

static MESSAGE: OnceLock<String> = OnceLock::new();

/// The ABNF of RFC 7636 §4.1, written independently of the library.
fn rfc7636_verifier(v: &str) -> bool {
    let n = v.chars().count();
    (43..=128).contains(&n)
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = std::str::from_utf8(data) else {
        return;
    };
    let expected = rfc7636_verifier(v);
    assert_eq!(is_valid_verifier(v), expected, "is_valid_verifier({v:?})");
    match parse_verifier(v) {
        Ok(verifier) => {
            assert!(expected, "accepted {v:?}");
            assert_eq!(verifier.expose_secret(), v);
            assert!(
                !format!("{verifier:?}").contains(v),
                "Debug shows the verifier"
            );
            let c = challenge_s256(&verifier);
            assert_eq!(c.len(), 43, "S256 challenge length");
            assert!(c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            // A challenge is itself a valid verifier-shaped string.
            assert!(is_valid_verifier(&c));
        }
        Err(e) => {
            assert!(!expected, "rejected {v:?}");
            assert_eq!(e.code(), ErrorCode::InvalidVerifier);
            // The message is one fixed text: nothing of the input is echoed.
            // (Checking `contains(v)` instead would teach libFuzzer the
            // message through its memcmp hooks.)
            let first = MESSAGE.get_or_init(|| e.message().to_owned());
            assert_eq!(e.message(), first.as_str(), "message depends on the input");
        }
    }
});
