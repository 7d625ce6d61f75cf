//! Step 4: the authorization response at the redirect URI
//! (RFC 6749 §4.1.2, RFC 9207, RFC 9700 §4.7 and §4.4).

use crate::authorization::PendingAuthorization;
use crate::error::{echoable_error, Error, ErrorCode, Result, ServerError};
use crate::form;
use crate::provider::Client;
use crate::secret::constant_time_eq;
use crate::url::split_callback;
use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use alloc::vec::Vec;

pub use crate::limits::MAX_CALLBACK_BYTES;

/// Parameters that must never arrive at a code-flow redirect URI: tokens
/// belong to the token endpoint (RFC 9700 §2.1.2: no implicit grant), and
/// `response` is JARM, which this client does not negotiate.
const FORBIDDEN_PARAMS: [&str; 5] = [
    "access_token",
    "id_token",
    "token_type",
    "refresh_token",
    "response",
];

/// Names that show an authorization response sits in the fragment.
const RESPONSE_PARAMS: [&str; 6] = ["code", "state", "error", "access_token", "id_token", "iss"];

/// A successful, validated callback.
#[derive(PartialEq, Eq)]
pub struct CallbackResult {
    pub code: String,
    pub state: String,
    pub iss: Option<String>,
}

// The code and state are secrets of the flow in progress.
impl core::fmt::Debug for CallbackResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CallbackResult")
            .field("code", &"[redacted]")
            .field("state", &"[redacted]")
            .field("iss", &self.iss)
            .finish()
    }
}

fn callback_error(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidCallback, message)
}

/// What [`Client::callback_parts`] found: the code, borrowed from the URL
/// when it was not percent-encoded, and whether `iss` was present. The
/// `state` and `iss` values need not be returned: they were checked equal
/// to the expected ones.
pub(crate) struct CallbackParts<'a> {
    pub code: Cow<'a, str>,
    pub iss: bool,
    /// The URL's query, as it stands.
    pub query: &'a str,
}

struct Params<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Params<'a> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The value itself, moved out (borrowed from the URL when unescaped).
    fn take(&mut self, name: &str) -> Option<Cow<'a, str>> {
        // (`swap_remove` would bring its panic message into the wasm.)
        let (_, v) = self.0.iter_mut().find(|(n, _)| n == name)?;
        Some(core::mem::take(v))
    }
}

fn parse_params(query: &str) -> Result<Params<'_>> {
    let pairs = form::parse(query)
        .ok_or_else(|| callback_error("callback query is not valid form encoding or UTF-8"))?;
    // RFC 6749 §3.1: "Request and response parameters MUST NOT be included
    // more than once."
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs.iter().take(i).any(|(n, _)| n == name) {
            return Err(Error::with_parts(
                ErrorCode::InvalidCallback,
                &[
                    "callback parameter ",
                    safe_name(name),
                    " appears more than once",
                ],
            ));
        }
    }
    Ok(Params(pairs))
}

/// Space or a control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F),
/// tested on bytes: C0 and DEL are single bytes, C1 is `0xC2 0x80..=0x9F`
/// in UTF-8 (a per-`char` loop is several times slower in the wasm).
fn has_space_or_control(s: &str) -> bool {
    // The common case, printable ASCII only: one pass without a carried
    // byte, which the compiler can do many bytes at a time.
    if s.bytes().fold(true, |ok, b| ok & (b > b' ') & (b < 0x7f)) {
        return false;
    }
    // In valid UTF-8 a byte after `0xC2` is that character's continuation.
    let mut prev = 0u8;
    for &b in s.as_bytes() {
        if b <= b' ' || b == 0x7f || (prev == 0xc2 && (b & 0xe0) == 0x80) {
            return true;
        }
        prev = b;
    }
    false
}

/// Parameter names are echoed in messages only when they are short and plain.
fn safe_name(name: &str) -> &str {
    if name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name
    } else {
        "(unprintable name)"
    }
}

impl Client {
    /// Validates the redirect back from the authorization server, in this
    /// order: size and syntax, forbidden and duplicate parameters, `state`
    /// (constant time), `iss` (RFC 9207 §2.4), and only then an `error=`
    /// response, so an attacker cannot inject errors into someone's flow.
    pub fn handle_callback(
        &self,
        callback_url: &str,
        pending: &PendingAuthorization,
    ) -> Result<CallbackResult> {
        pending.check_belongs_to(self)?;
        let state = pending.state.expose_secret();
        let parts = self.callback_parts(callback_url, state, &pending.issuer)?;
        Ok(CallbackResult {
            code: parts.code.into_owned(),
            state: state.to_owned(),
            iss: parts.iss.then(|| pending.issuer.clone()),
        })
    }

    /// [`Client::handle_callback`] after the pending record was checked:
    /// the step needs only its `state` and `issuer`.
    pub(crate) fn callback_parts<'u>(
        &self,
        callback_url: &'u str,
        expected_state: &str,
        expected_issuer: &str,
    ) -> Result<CallbackParts<'u>> {
        if callback_url.len() > MAX_CALLBACK_BYTES {
            return Err(callback_error("callback URL is longer than 16 KiB"));
        }
        if has_space_or_control(callback_url) {
            return Err(callback_error(
                "callback URL contains whitespace or control characters",
            ));
        }
        let (query, fragment) = split_callback(callback_url);
        if let Some(fragment) = fragment {
            // A response in the fragment is the implicit or hybrid flow, which
            // this client never requests (RFC 9700 §2.1.2).
            // A fragment that does not decode cannot be shown to be free of
            // response parameters, so it is rejected too.
            let pairs = form::parse(fragment).ok_or_else(|| {
                callback_error("callback URL fragment is not valid form encoding or UTF-8")
            })?;
            if pairs
                .iter()
                .any(|(n, _)| RESPONSE_PARAMS.contains(&n.as_ref()))
            {
                return Err(callback_error(
                    "callback carries response parameters in the URL fragment",
                ));
            }
        }
        let query = query.unwrap_or("");
        let mut params = parse_params(query)?;
        if let Some(name) = FORBIDDEN_PARAMS.iter().find(|n| params.get(n).is_some()) {
            return Err(Error::with_parts(
                ErrorCode::InvalidCallback,
                &[
                    "callback must not carry ",
                    name,
                    " (tokens come only from the token endpoint)",
                ],
            ));
        }

        // RFC 6749 §10.12 / RFC 9700 §4.7: state binds the response to this
        // browser's request.
        let state = match params.get("state") {
            None | Some("") => {
                return Err(Error::new(
                    ErrorCode::StateMismatch,
                    "callback has no state parameter",
                ))
            }
            Some(s) => s,
        };
        if !constant_time_eq(expected_state.as_bytes(), state.as_bytes()) {
            return Err(Error::new(
                ErrorCode::StateMismatch,
                "callback state does not match the pending authorization",
            ));
        }

        // RFC 9207 §2.4: simple string comparison, no normalisation.
        let iss = params.get("iss");
        let iss_present = iss.is_some();
        match iss {
            Some(iss) if iss != expected_issuer => {
                return Err(Error::new(
                    ErrorCode::IssuerMismatch,
                    "callback iss does not match the provider's issuer",
                ))
            }
            None if self.provider.iss_parameter_supported => {
                return Err(Error::new(
                    ErrorCode::IssuerMismatch,
                    "callback has no iss parameter, but the provider is configured to send it",
                ))
            }
            _ => {}
        }

        let code = params.get("code");
        if let Some(error) = params.get("error") {
            if code.is_some() {
                return Err(callback_error("callback carries both code and error"));
            }
            // RFC 6749 §4.1.2.1 / Appendix A.7: error is 1*NQSCHAR.
            if error.is_empty() {
                return Err(callback_error("callback error is empty"));
            }
            let server = ServerError {
                error: error.to_owned(),
                error_description: params.get("error_description").map(str::to_owned),
                error_uri: params.get("error_uri").map(str::to_owned),
                status: None,
            };
            let message = [
                "authorization server returned error=",
                echoable_error(error),
            ]
            .concat();
            return Err(Error::server(
                ErrorCode::AuthorizationDenied,
                message,
                server,
            ));
        }
        match params.take("code") {
            None => Err(callback_error("callback carries neither code nor error")),
            Some(code) if code.is_empty() => Err(callback_error("callback code is empty")),
            Some(code) => Ok(CallbackParts {
                code,
                iss: iss_present,
                query,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::AuthorizationOptions;
    use crate::provider::{ClientConfig, Provider};

    fn setup(iss_required: bool) -> (Client, PendingAuthorization) {
        let provider = Provider {
            issuer: "http://127.0.0.1:4010".into(),
            authorization_endpoint: "http://127.0.0.1:4010/oauth/authorize".into(),
            token_endpoint: "http://127.0.0.1:4010/oauth/token".into(),
            introspection_endpoint: None,
            revocation_endpoint: None,
            api_base_url: None,
            iss_parameter_supported: iss_required,
        };
        let client = Client::new(ClientConfig {
            provider,
            client_id: "c".into(),
            redirect_uri: "http://localhost:8787/auth/callback".into(),
            scopes: vec![],
            client_secret: None,
            client_auth: None,
        })
        .unwrap();
        let pending = client
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap()
            .pending;
        (client, pending)
    }

    fn cb(query: &str) -> String {
        ["http://localhost:8787/auth/callback?", query].concat()
    }

    fn code_of(r: Result<CallbackResult>) -> ErrorCode {
        r.unwrap_err().code()
    }

    #[test]
    fn a_valid_callback_returns_code_state_and_iss() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        let r = c
            .handle_callback(
                &cb(&["code=abc&state=", &s, "&iss=http%3A%2F%2F127.0.0.1%3A4010"].concat()),
                &p,
            )
            .unwrap();
        assert_eq!(r.code, "abc");
        assert_eq!(r.state, s);
        assert_eq!(r.iss.as_deref(), Some("http://127.0.0.1:4010"));
        let r = c
            .handle_callback(&cb(&["code=abc&state=", &s].concat()), &p)
            .unwrap();
        assert_eq!(r.iss, None);
    }

    #[test]
    fn rfc6749_10_12_state_missing_empty_or_wrong_is_state_mismatch() {
        let (c, p) = setup(false);
        assert_eq!(
            code_of(c.handle_callback(&cb("code=a"), &p)),
            ErrorCode::StateMismatch
        );
        assert_eq!(
            code_of(c.handle_callback(&cb("code=a&state="), &p)),
            ErrorCode::StateMismatch
        );
        assert_eq!(
            code_of(c.handle_callback(&cb("code=a&state=nope"), &p)),
            ErrorCode::StateMismatch
        );
    }

    #[test]
    fn state_is_checked_before_an_error_response_is_surfaced() {
        let (c, p) = setup(false);
        assert_eq!(
            code_of(c.handle_callback(&cb("error=access_denied&state=forged"), &p)),
            ErrorCode::StateMismatch
        );
        let s = p.state.expose_secret().to_owned();
        let err = c
            .handle_callback(
                &cb(&[
                    "error=access_denied&error_description=User+said+no&state=",
                    &s,
                ]
                .concat()),
                &p,
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthorizationDenied);
        let server = err.server_error().unwrap();
        assert_eq!(server.error, "access_denied");
        assert_eq!(server.error_description.as_deref(), Some("User said no"));
    }

    #[test]
    fn rfc9207_iss_is_compared_exactly_and_required_when_configured() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        for bad in [
            "http://127.0.0.1:4010/",
            "HTTP://127.0.0.1:4010",
            "http://evil.test",
        ] {
            let q = ["code=a&state=", &s, "&iss=", &form::encode(bad)].concat();
            assert_eq!(
                code_of(c.handle_callback(&cb(&q), &p)),
                ErrorCode::IssuerMismatch,
                "{bad}"
            );
        }
        // iss is checked before an error response too.
        let q = ["error=x&state=", &s, "&iss=http%3A%2F%2Fevil.test"].concat();
        assert_eq!(
            code_of(c.handle_callback(&cb(&q), &p)),
            ErrorCode::IssuerMismatch
        );
        let (c, p) = setup(true);
        let s = p.state.expose_secret().to_owned();
        assert_eq!(
            code_of(c.handle_callback(&cb(&["code=a&state=", &s].concat()), &p)),
            ErrorCode::IssuerMismatch
        );
    }

    #[test]
    fn duplicates_tokens_fragments_and_oversize_are_invalid_callback() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        let cases = [
            cb(&["code=a&code=b&state=", &s].concat()),
            cb(&["code=a&state=", &s, "&state=", &s].concat()),
            cb(&["code=a&state=", &s, "&access_token=t"].concat()),
            cb(&["code=a&state=", &s, "&id_token=t"].concat()),
            cb(&["code=a&state=", &s, "&response=jwt"].concat()),
            ["http://localhost:8787/auth/callback#code=a&state=", &s].concat(),
            cb(&["state=", &s].concat()),
            cb(&["code=&state=", &s].concat()),
            cb(&["code=a&error=x&state=", &s].concat()),
            cb(&["code=%ZZ&state=", &s].concat()),
            cb(&[
                "code=a&state=",
                &s,
                "&pad=",
                &"x".repeat(MAX_CALLBACK_BYTES),
            ]
            .concat()),
            cb(&["code=a b&state=", &s].concat()),
            // An unparseable fragment hides whatever it carries.
            cb(&["code=C&state=", &s, "#access_token=T&%zz"].concat()),
            cb(&["code=C&state=", &s, "#%FF"].concat()),
        ];
        for (i, url) in cases.iter().enumerate() {
            assert_eq!(
                code_of(c.handle_callback(url, &p)),
                ErrorCode::InvalidCallback,
                "case {i}"
            );
        }
    }

    #[test]
    fn rfc6749_4_1_2_1_an_empty_error_is_invalid_callback() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        for q in [
            ["error=&state=", &s].concat(),
            ["error&state=", &s].concat(),
        ] {
            assert_eq!(
                code_of(c.handle_callback(&cb(&q), &p)),
                ErrorCode::InvalidCallback
            );
        }
    }

    #[test]
    fn server_error_text_reaches_the_message_only_in_rfc6749_syntax() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        let err = c
            .handle_callback(
                &cb(&["error=inv%00alid%3Cscript%3E&state=", &s].concat()),
                &p,
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::AuthorizationDenied);
        assert!(!err.message().contains('\0') && !err.message().contains('<'));
        assert_eq!(err.server_error().unwrap().error, "inv\0alid<script>");
        let err = c
            .handle_callback(&cb(&["error=access_denied&state=", &s].concat()), &p)
            .unwrap_err();
        assert!(err.message().ends_with("error=access_denied"));
    }

    #[test]
    fn the_byte_scan_finds_exactly_unicode_controls_and_space() {
        for c in ['\0', '\n', ' ', '\u{7f}', '\u{80}', '\u{9f}'] {
            assert!(
                has_space_or_control(&["a", &c.to_string(), "b"].concat()),
                "{c:?}"
            );
        }
        for ok in ["abc", "\u{a0}", "é", "\u{c29f}", "😀", "\u{2028}"] {
            assert_eq!(
                has_space_or_control(ok),
                ok.chars().any(|c| c.is_control() || c == ' '),
                "{ok:?}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_code_and_state() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        let r = c
            .handle_callback(&cb(&["code=SECRETCODE&state=", &s].concat()), &p)
            .unwrap();
        let d = format!("{r:?}");
        assert!(!d.contains("SECRETCODE") && !d.contains(&s), "{d}");
    }

    #[test]
    fn a_pending_authorization_for_another_client_is_invalid_input() {
        let (c, mut p) = setup(false);
        p.redirect_uri = "http://localhost:9999/cb".into();
        assert_eq!(
            code_of(c.handle_callback(&cb("code=a&state=x"), &p)),
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn messages_never_contain_the_code_or_expected_state() {
        let (c, p) = setup(false);
        let s = p.state.expose_secret().to_owned();
        let err = c
            .handle_callback(
                &cb(&["code=SECRETCODE&state=", &s, "&iss=http%3A%2F%2Fevil.test"].concat()),
                &p,
            )
            .unwrap_err();
        assert!(!err.message().contains("SECRETCODE"));
        assert!(!err.message().contains(&s));
        let err = c
            .handle_callback(&cb("code=SECRETCODE&state=wrong"), &p)
            .unwrap_err();
        assert!(!err.message().contains(&s) && !err.message().contains("SECRETCODE"));
    }
}
