//! Step 2: Proof Key for Code Exchange (RFC 7636), S256 only.

use crate::error::{Error, ErrorCode, Result};
use crate::random::random_token;
use crate::secret::CodeVerifier;
use alloc::borrow::ToOwned;
use alloc::string::String;
use sha2::{Digest, Sha256};

/// RFC 7636 §4.1: code-verifier = 43*128unreserved,
/// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
pub fn is_valid_verifier(v: &str) -> bool {
    // Every byte checked without an early exit: the compiler can then test
    // many bytes at a time (the edge build has SIMD).
    v.len() >= 43
        && v.len() <= 128
        && v.bytes().fold(true, |ok, b| {
            ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'.') | (b == b'_') | (b == b'~'))
        })
}

/// A caller-supplied verifier is validated, never trusted.
pub fn parse_verifier(v: &str) -> Result<CodeVerifier> {
    if is_valid_verifier(v) {
        Ok(CodeVerifier::new(v.to_owned()))
    } else {
        Err(Error::new(
            ErrorCode::InvalidVerifier,
            "code verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ))
    }
}

/// A fresh verifier: 32 CSPRNG bytes, base64url without padding (43 chars),
/// as RFC 7636 §4.1 recommends.
pub fn generate_verifier() -> Result<CodeVerifier> {
    Ok(CodeVerifier::new(random_token()?))
}

/// RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
/// There is deliberately no `plain` method.
pub fn challenge_s256(verifier: &CodeVerifier) -> String {
    crate::base64::url_safe_no_pad(&Sha256::digest(verifier.expose_secret().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let v = parse_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            challenge_s256(&v),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn rfc7636_4_1_verifier_syntax_is_enforced() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~._-".repeat(32)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&("a".repeat(42) + "+")));
        assert!(!is_valid_verifier(&("a".repeat(42) + "é")));
        assert_eq!(
            parse_verifier("short").unwrap_err().code(),
            ErrorCode::InvalidVerifier
        );
    }

    #[test]
    fn generated_verifiers_are_valid_and_43_chars() {
        let v = generate_verifier().unwrap();
        assert_eq!(v.expose_secret().len(), 43);
        assert!(is_valid_verifier(v.expose_secret()));
        assert_eq!(challenge_s256(&v).len(), 43);
    }
}
