//! The one place randomness comes from: the operating system's CSPRNG
//! (`crypto.getRandomValues` in browsers, workerd and Node).
//!
//! Called only inside API calls: workerd aborts an isolate that touches its
//! RNG while the module is being loaded.

use crate::error::{Error, ErrorCode, Result};
use alloc::string::String;

/// `N` bytes from the CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| {
        Error::new(
            ErrorCode::UnsupportedOperation,
            "no secure random number generator is available in this runtime",
        )
    })?;
    Ok(buf)
}

/// 32 CSPRNG bytes (256 bits), base64url without padding: 43 characters.
/// Used for PKCE verifiers (RFC 7636 §4.1) and `state` (RFC 6749 §10.10,
/// RFC 9700 §4.7: at least 128 bits).
pub fn random_token() -> Result<String> {
    Ok(crate::base64::url_safe_no_pad(&random_bytes::<32>()?))
}

/// Two independent tokens like [`random_token`] from one CSPRNG draw (one
/// call into `crypto.getRandomValues` instead of two): the verifier and the
/// `state` of an authorization request.
pub fn random_token_pair() -> Result<(String, String)> {
    let bytes = random_bytes::<64>()?;
    let (a, b) = bytes.split_at(32);
    Ok((
        crate::base64::url_safe_no_pad(a),
        crate::base64::url_safe_no_pad(b),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_43_base64url_chars_and_differ() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
        let (c, d) = random_token_pair().unwrap();
        assert_eq!((c.len(), d.len()), (43, 43));
        assert_ne!(c, d);
    }
}
