//! Shared fixtures and invariant checks for the fuzz targets.
//!
//! Every target asserts, besides "never panics", that an error never
//! carries a secret (client secret, PKCE verifier, expected state, code,
//! token) in `message()`, `Display` or `Debug`.

use pleo_oauth::secret::{ClientSecret, CodeVerifier, State};
use pleo_oauth::{
    Client, ClientAuth, ClientConfig, Error, ErrorCode, PendingAuthorization, Provider,
};

/// A fixed 43-character state: the seeds carry it so the fuzzer gets past
/// the state check without having to guess 256 bits.
pub const STATE: &str = "st4te-FUZZ_0123456789abcdefghijklmnopqrstuv";
/// A fixed verifier (RFC 7636 Appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The client secret, with the characters RFC 6749 §2.3.1 makes awkward.
pub const SECRET: &str = "s3cr:t+/%-FUZZSECRET";
pub const ISSUER: &str = "http://127.0.0.1:4010";
pub const REDIRECT_URI: &str = "http://localhost:8787/auth/callback";

pub fn loopback_provider(iss_required: bool) -> Provider {
    Provider {
        issuer: ISSUER.into(),
        authorization_endpoint: "http://127.0.0.1:4010/oauth/authorize".into(),
        token_endpoint: "http://127.0.0.1:4010/oauth/token".into(),
        introspection_endpoint: Some("http://127.0.0.1:4010/oauth/token/introspect".into()),
        revocation_endpoint: Some("http://127.0.0.1:4010/oauth/token/revoke".into()),
        api_base_url: Some("http://127.0.0.1:4011".into()),
        iss_parameter_supported: iss_required,
    }
}

pub fn fixed_client(iss_required: bool, auth: Option<ClientAuth>, secret: bool) -> Client {
    let config = ClientConfig {
        provider: loopback_provider(iss_required),
        client_id: "pleo-demo-client".into(),
        redirect_uri: REDIRECT_URI.into(),
        scopes: vec!["users:read".into(), "companies:read".into()],
        client_secret: secret.then(|| ClientSecret::new(SECRET.into())),
        client_auth: auth,
    };
    match Client::new(config) {
        Ok(c) => c,
        Err(e) => panic!("fixture client is invalid: {e}"),
    }
}

pub fn fixed_pending() -> PendingAuthorization {
    PendingAuthorization {
        state: State::new(STATE.into()),
        code_verifier: CodeVerifier::new(VERIFIER.into()),
        redirect_uri: REDIRECT_URI.into(),
        issuer: ISSUER.into(),
        created_at: 1_700_000_000_000,
        scopes: vec!["users:read".into()],
    }
}

/// A copy of a pending authorization (the type is deliberately not Clone).
pub fn copy_pending(p: &PendingAuthorization) -> PendingAuthorization {
    PendingAuthorization {
        state: State::new(p.state.expose_secret().into()),
        code_verifier: CodeVerifier::new(p.code_verifier.expose_secret().into()),
        redirect_uri: p.redirect_uri.clone(),
        issuer: p.issuer.clone(),
        created_at: p.created_at,
        scopes: p.scopes.clone(),
    }
}

/// Text the server (or attacker) put into the error itself: an echo of
/// their own input is not a leak.
fn echoed_text(err: &Error) -> Vec<&str> {
    match err.server_error() {
        Some(s) => {
            let mut v = vec![s.error.as_str()];
            v.extend(s.error_description.as_deref());
            v.extend(s.error_uri.as_deref());
            v
        }
        None => vec![],
    }
}

/// Panics when `err` shows `secret` in its message, Display or Debug,
/// unless the server itself echoed it in its error fields.
pub fn assert_no_leak(err: &Error, secret: &str, what: &str) {
    if secret.is_empty() || echoed_text(err).iter().any(|t| t.contains(secret)) {
        return;
    }
    let shown = [
        err.message().to_owned(),
        err.to_string(),
        format!("{err:?}"),
    ];
    for s in shown {
        assert!(
            !s.contains(secret),
            "error {:?} leaks the {what}: {s:?}",
            err.code()
        );
    }
}

/// The codes `parse_token_response` may raise.
pub const TOKEN_RESPONSE_CODES: [ErrorCode; 4] = [
    ErrorCode::InvalidInput,
    ErrorCode::TokenError,
    ErrorCode::InvalidTokenResponse,
    ErrorCode::UnsupportedTokenType,
];

/// The codes each operation may raise.
pub fn assert_code_in(err: &Error, allowed: &[ErrorCode], op: &str) {
    assert!(
        allowed.contains(&err.code()),
        "{op} raised unexpected code {:?}: {}",
        err.code(),
        err.message()
    );
}

/// An independent, strict application/x-www-form-urlencoded decoder (no
/// shared code with the library): `None` on a broken `%` escape or bad UTF-8.
pub fn strict_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Pairs of a query string, decoded strictly; `None` if any part is broken.
pub fn strict_pairs(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            let (n, v) = seg.split_once('=').unwrap_or((seg, ""));
            Some((strict_decode(n)?, strict_decode(v)?))
        })
        .collect()
}

/// The query of a URL as a browser splits it: after the first `?` that
/// precedes the first `#`.
pub fn query_of(url: &str) -> Option<&str> {
    let before_fragment = url.split('#').next().unwrap_or("");
    before_fragment.split_once('?').map(|(_, q)| q)
}

/// Parameters every authorization URL carries exactly once, stated here
/// independently of the library (an oracle should not reuse the code it checks).
pub const ALWAYS_IN_AUTHORIZE_URL: [&str; 6] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
];
