//! Secret values as types: their `Debug` prints `[redacted]`, they have no
//! `Display`, and they are compared in constant time.

/// Compares two byte strings in time that depends only on their lengths,
/// so a `state` or secret cannot be guessed byte by byte from timing.
use alloc::string::String;
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the loop into an early exit.
    core::hint::black_box(diff) == 0
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        // No PartialEq: `==` would compare in variable time. Use ct_eq.
        pub struct $name(String);

        impl $name {
            /// Wraps a value without validating it.
            pub fn new(value: String) -> Self {
                $name(value)
            }

            /// The secret itself. Every call site is a place where it leaves
            /// the type's protection: keep them few.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            /// Constant-time comparison.
            pub fn ct_eq(&self, other: &str) -> bool {
                constant_time_eq(self.0.as_bytes(), other.as_bytes())
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A PKCE code verifier (RFC 7636 §4.1). Not `Clone`: one flow, one verifier.
    CodeVerifier
);
secret_type!(
    /// The client secret issued by the provider (RFC 6749 §2.3.1).
    ClientSecret
);
secret_type!(
    /// An opaque access token. Never parsed.
    AccessToken
);
secret_type!(
    /// A refresh token. Pleo rotates them: the newest one replaces the old.
    RefreshToken
);
secret_type!(
    /// The `state` of one authorization request.
    State
);

// A token set is kept and copied by hosts between refreshes; the verifier
// and state are single use and stay non-Clone.
impl Clone for AccessToken {
    fn clone(&self) -> Self {
        AccessToken(self.0.clone())
    }
}
impl Clone for RefreshToken {
    fn clone(&self) -> Self {
        RefreshToken(self.0.clone())
    }
}
impl Clone for ClientSecret {
    fn clone(&self) -> Self {
        ClientSecret(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let s = ClientSecret::new("hunter2".into());
        assert_eq!(format!("{v:?}"), "CodeVerifier([redacted])");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert!(!format!("{:?}", AccessToken::new("tok".into())).contains("tok"));
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
        assert!(State::new("xyz".into()).ct_eq("xyz"));
        assert!(!State::new("xyz".into()).ct_eq("xyZ"));
    }
}
