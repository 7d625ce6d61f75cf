//! Step 6: the token endpoint's answer (RFC 6749 §5.1 success, §5.2 error),
//! turned into a [`TokenSet`] or a typed error.

use crate::authorization::{PendingAuthorization, PendingRef};
use crate::error::{decimal, echoable_error, Error, ErrorCode, Result, ServerError};
use crate::json::{self, Value};
use crate::limits::MAX_TIME_MS;
use crate::provider::Client;
use crate::secret::{AccessToken, RefreshToken};
use crate::token_set::TokenSet;
use alloc::borrow::ToOwned;
use alloc::string::String;

pub use crate::limits::{MAX_BODY_BYTES, MAX_EXPIRES_IN_SECONDS};

/// A response as the host's HTTP client received it.
#[derive(Clone, Debug)]
pub struct HttpResponse<'a> {
    pub status: u16,
    pub body: &'a str,
}

fn malformed(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidTokenResponse, message)
}

fn optional_string<'v>(v: &'v Value, name: &'static str) -> Result<Option<&'v str>> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        // A JSON null for an optional member is malformed: "absent" is spelled
        // by leaving the member out.
        Some(_) => Err(Error::with_parts(
            ErrorCode::InvalidTokenResponse,
            &["token response member ", name, " must be a string"],
        )),
    }
}

/// `expires_in` as a JSON number or a numeric string ("900"): finite,
/// non-negative and at most [`MAX_EXPIRES_IN_SECONDS`].
fn expires_in(v: &Value) -> Result<Option<f64>> {
    let seconds = match v.get("expires_in") {
        None => return Ok(None),
        Some(Value::Number(n)) => *n,
        Some(Value::String(s)) => decimal_seconds(s)
            .ok_or_else(|| malformed("token response expires_in is not a number"))?,
        Some(_) => return Err(malformed("token response expires_in is not a number")),
    };
    plausible_seconds(seconds).map(Some)
}

/// A numeric string's seconds: plain decimals are valid JSON numbers, so
/// the JSON number parser reads them.
fn decimal_seconds(s: &str) -> Option<f64> {
    match is_decimal(s).then(|| json::parse(s))? {
        Some(Value::Number(n)) => Some(n),
        _ => None,
    }
}

fn plausible_seconds(seconds: f64) -> Result<f64> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(malformed(
            "token response expires_in is negative or not finite",
        ));
    }
    if seconds > MAX_EXPIRES_IN_SECONDS {
        return Err(malformed("token response expires_in is implausibly large"));
    }
    Ok(seconds)
}

/// `now + seconds`: non-negative and bounded above, so the cast truncates
/// (floors) without wrapping; the sum saturates at JS's MAX_SAFE_INTEGER.
fn expiry(now: u64, seconds: f64) -> u64 {
    let ms = (seconds * 1000.0) as u64;
    now.saturating_add(ms).min(MAX_TIME_MS)
}

/// Plain decimal digits with an optional fraction: no sign, exponent,
/// whitespace or hex.
fn is_decimal(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    !int.is_empty()
        && int.len() <= 12
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac
            .is_none_or(|f| !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()))
}

/// RFC 6749 §5.2: an error body, whatever the status (even 200).
fn server_error(v: &Value, status: u16) -> Result<Option<Error>> {
    let error = match v.get("error") {
        None => return Ok(None),
        Some(Value::String(e)) if !e.is_empty() => e,
        Some(_) => {
            return Err(malformed(
                "token response error member is not a non-empty string",
            ))
        }
    };
    let server = ServerError {
        error: error.clone(),
        error_description: optional_string(v, "error_description")?.map(str::to_owned),
        error_uri: optional_string(v, "error_uri")?.map(str::to_owned),
        status: Some(status),
    };
    let message = [
        "token endpoint returned error=",
        echoable_error(error),
        " (HTTP ",
        &decimal(u64::from(status)),
        ")",
    ]
    .concat();
    Ok(Some(Error::server(ErrorCode::TokenError, message, server)))
}

/// Parses a token-endpoint response. `now` is milliseconds since the epoch
/// (the expiry is `now + expires_in × 1000`, no margin folded in; it is also
/// the token set's `obtained_at`); `previous` is the token set being
/// refreshed: its refresh token and scope carry over when the response omits
/// them (RFC 6749 §6). Without a `scope` member and without a previous scope
/// the scope stays unknown (`None`); [`Client::parse_token_response`] knows
/// the requested scopes and falls back on them.
pub fn parse_token_response(
    response: &HttpResponse<'_>,
    now: u64,
    previous: Option<&TokenSet>,
) -> Result<TokenSet> {
    parse_with_requested_scopes(response, now, previous, &[])
}

impl Client {
    /// [`parse_token_response`] for this client: when the response omits
    /// `scope`, the scope is the previous token set's (a refresh keeps the
    /// grant, RFC 6749 §6) or else the scopes that were requested
    /// (RFC 6749 §5.1: `scope` is omitted when "identical to the scope
    /// requested by the client"): `pending.scopes` for a code exchange, the
    /// client's configured scopes otherwise.
    pub fn parse_token_response(
        &self,
        response: &HttpResponse<'_>,
        now: u64,
        previous: Option<&TokenSet>,
        pending: Option<&PendingAuthorization>,
    ) -> Result<TokenSet> {
        self.parse_token_response_for(response, now, previous, pending.map(|p| p.as_ref()))
    }

    /// [`Client::parse_token_response`] with the pending record borrowed.
    pub fn parse_token_response_for(
        &self,
        response: &HttpResponse<'_>,
        now: u64,
        previous: Option<&TokenSet>,
        pending: Option<PendingRef<'_>>,
    ) -> Result<TokenSet> {
        let requested = self.requested_scopes(pending)?;
        parse_with_requested_scopes(response, now, previous, requested)
    }

    /// The scopes an omitted `scope` stands for: the pending authorization's
    /// (checked to be this client's) or the client's configured ones.
    fn requested_scopes<'s>(&'s self, pending: Option<PendingRef<'s>>) -> Result<&'s [String]> {
        match pending {
            Some(p) => {
                p.check_belongs_to(self)?;
                Ok(p.scopes)
            }
            None => Ok(&self.scopes),
        }
    }

    /// [`Client::parse_token_response_for`] without copying a string, when
    /// it can: the token set's strings as byte ranges of the body. `None`
    /// when any of them is not a plain slice of it (an escape, a non-ASCII
    /// body, a value carried over from `previous` or the requested scopes)
    /// or when the response is anything but a well-formed success: then
    /// [`Client::parse_token_response_for`] answers, with its errors.
    #[cfg(feature = "edge")]
    pub fn token_spans_for(
        &self,
        response: &HttpResponse<'_>,
        now: u64,
        previous: Option<&TokenSet>,
        pending: Option<PendingRef<'_>>,
    ) -> Option<TokenSpans> {
        let requested = self.requested_scopes(pending).ok()?;
        token_spans(response, now, previous, requested)
    }
}

/// A [`TokenSet`] whose strings are byte ranges `(start, end)` of the
/// response body, which is ASCII (so they are UTF-16 ranges too); `scope`
/// is the range of the whole `scope` member, split by the caller.
#[cfg(feature = "edge")]
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSpans {
    pub access_token: (usize, usize),
    pub expires_at: Option<u64>,
    pub refresh_token: Option<(usize, usize)>,
    pub scope: Option<(usize, usize)>,
    pub obtained_at: u64,
}

/// [`parse_with_requested_scopes`]'s success, read in place; `None` for
/// anything it would answer otherwise or with a string not in the body.
#[cfg(feature = "edge")]
fn token_spans(
    response: &HttpResponse<'_>,
    now: u64,
    previous: Option<&TokenSet>,
    requested_scopes: &[String],
) -> Option<TokenSpans> {
    use json::Raw;
    let body = response.body;
    if response.status != 200
        || now > MAX_TIME_MS
        || body.len() > MAX_BODY_BYTES
        || !body.is_ascii()
    {
        return None;
    }
    let mut members = [("", Raw::Other); 16];
    let n = json::members(body, &mut members)?;
    // The members that matter, found in one pass.
    let [mut access, mut token_type, mut expires, mut refresh, mut scope] = [None; 5];
    for (name, raw) in members.get(..n)? {
        let slot = match *name {
            "access_token" => &mut access,
            "token_type" => &mut token_type,
            "expires_in" => &mut expires,
            "refresh_token" => &mut refresh,
            "scope" => &mut scope,
            "error" => return None,
            _ => continue,
        };
        *slot = Some(*raw);
    }
    let access_token = match access? {
        Raw::Str(s, e) if e > s => (s, e),
        _ => return None,
    };
    match token_type? {
        Raw::Str(s, e) if body.get(s..e)?.eq_ignore_ascii_case("bearer") => {}
        _ => return None,
    }
    let seconds = match expires {
        None => None,
        Some(Raw::Number(n)) => Some(n),
        Some(Raw::Str(s, e)) => Some(decimal_seconds(body.get(s..e)?)?),
        Some(Raw::Other) => return None,
    };
    let expires_at = match seconds {
        Some(seconds) => Some(expiry(now, plausible_seconds(seconds).ok()?)),
        None => None,
    };
    let refresh_token = match refresh {
        Some(Raw::Str(s, e)) if e > s => Some((s, e)),
        None if previous.is_none_or(|p| p.refresh_token.is_none()) => None,
        _ => return None,
    };
    let scope = match scope {
        Some(Raw::Str(s, e)) => Some((s, e)),
        None if previous.is_none_or(|p| p.scope.is_none()) && requested_scopes.is_empty() => None,
        _ => return None,
    };
    Some(TokenSpans {
        access_token,
        expires_at,
        refresh_token,
        scope,
        obtained_at: now,
    })
}

fn parse_with_requested_scopes(
    response: &HttpResponse<'_>,
    now: u64,
    previous: Option<&TokenSet>,
    requested_scopes: &[String],
) -> Result<TokenSet> {
    if now > MAX_TIME_MS {
        return Err(Error::new(ErrorCode::InvalidInput, "now is out of range"));
    }
    if response.body.len() > MAX_BODY_BYTES {
        return Err(malformed("token response body is larger than 1 MiB"));
    }
    let value = json::parse(response.body);
    if let Some(v) = &value {
        if let Some(err) = server_error(v, response.status)? {
            return Err(err);
        }
    }
    if response.status != 200 {
        return Err(Error::with_parts(
            ErrorCode::InvalidTokenResponse,
            &[
                "token endpoint answered HTTP ",
                &decimal(u64::from(response.status)),
                " without an OAuth error body",
            ],
        ));
    }
    let v = match value {
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(malformed("token response is not a JSON object")),
        None => return Err(malformed("token response is not valid JSON")),
    };

    let access_token = match v.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(_) => {
            return Err(malformed(
                "token response access_token must be a non-empty string",
            ))
        }
        None => return Err(malformed("token response has no access_token")),
    };
    // RFC 6749 §7.1 / RFC 6750: only Bearer, compared case-insensitively.
    match v.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(_)) => {
            return Err(Error::new(
                ErrorCode::UnsupportedTokenType,
                "token_type is not Bearer",
            ))
        }
        Some(_) => return Err(malformed("token response token_type must be a string")),
        None => return Err(malformed("token response has no token_type")),
    }
    let expires_at = expires_in(&v)?.map(|seconds| expiry(now, seconds));
    let refresh_token = match optional_string(&v, "refresh_token")? {
        Some("") => return Err(malformed("token response refresh_token is empty")),
        // A new refresh token replaces the old one (rotation)...
        Some(t) => Some(RefreshToken::new(t.to_owned())),
        // ...and a response without one keeps the previous one.
        None => previous.and_then(|p| p.refresh_token.clone()),
    };
    let scope = match optional_string(&v, "scope")? {
        Some(s) => Some(
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        // RFC 6749 §5.1/§3.3: no scope means the scope did not change.
        None => previous
            .and_then(|p| p.scope.clone())
            .or_else(|| (!requested_scopes.is_empty()).then(|| requested_scopes.to_vec())),
    };
    Ok(TokenSet {
        access_token: AccessToken::new(access_token.clone()),
        expires_at,
        refresh_token,
        scope,
        obtained_at: Some(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> Result<TokenSet> {
        parse_token_response(&HttpResponse { status, body }, 1_000, None)
    }

    fn code(status: u16, body: &str) -> ErrorCode {
        parse(status, body).unwrap_err().code()
    }

    #[test]
    fn a_success_response_becomes_a_token_set() {
        let t = parse(
            200,
            r#"{"access_token":"at","token_type":"bearer","expires_in":900,"refresh_token":"rt","scope":"users:read export-jobs:read","unknown":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose_secret(), "at");
        assert_eq!(t.expires_at, Some(901_000));
        assert_eq!(t.refresh_token.as_ref().unwrap().expose_secret(), "rt");
        assert_eq!(
            t.scope,
            Some(vec!["users:read".into(), "export-jobs:read".into()])
        );
    }

    #[test]
    fn expires_in_may_be_a_numeric_string() {
        let t = parse(
            200,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"900"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(901_000));
        for bad in [
            r#""-1""#,
            r#""abc""#,
            r#""1e3""#,
            r#"" 900""#,
            "-1",
            "1e300",
            "null",
            "true",
            r#""""#,
        ] {
            let body = [
                r#"{"access_token":"a","token_type":"Bearer","expires_in":"#,
                bad,
                "}",
            ]
            .concat();
            assert_eq!(code(200, &body), ErrorCode::InvalidTokenResponse, "{bad}");
        }
    }

    #[test]
    fn rfc6749_5_2_error_bodies_are_token_errors_whatever_the_status() {
        for status in [200, 400, 401, 500] {
            let err = parse(
                status,
                r#"{"error":"invalid_grant","error_description":"grant revoked"}"#,
            )
            .unwrap_err();
            assert_eq!(err.code(), ErrorCode::TokenError);
            let s = err.server_error().unwrap();
            assert_eq!(s.error, "invalid_grant");
            assert_eq!(s.error_description.as_deref(), Some("grant revoked"));
            assert_eq!(s.status, Some(status));
        }
    }

    #[test]
    fn malformed_responses_are_rejected() {
        let cases: &[(u16, &str, ErrorCode)] = &[
            (
                500,
                "<html>Bad gateway</html>",
                ErrorCode::InvalidTokenResponse,
            ),
            (200, "<html></html>", ErrorCode::InvalidTokenResponse),
            (200, "null", ErrorCode::InvalidTokenResponse),
            (200, "[]", ErrorCode::InvalidTokenResponse),
            (200, "\"at\"", ErrorCode::InvalidTokenResponse),
            (
                200,
                r#"{"token_type":"Bearer"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":1,"token_type":"Bearer"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"","token_type":"Bearer"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"a"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"a","token_type":"MAC"}"#,
                ErrorCode::UnsupportedTokenType,
            ),
            (
                200,
                r#"{"access_token":"a","token_type":"DPoP"}"#,
                ErrorCode::UnsupportedTokenType,
            ),
            (
                200,
                r#"{"access_token":"a","token_type":"Bearer","refresh_token":null}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"a","token_type":"Bearer","scope":null}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"a","token_type":"Bearer","refresh_token":""}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                201,
                r#"{"access_token":"a","token_type":"Bearer"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (200, r#"{"error":null}"#, ErrorCode::InvalidTokenResponse),
            (
                400,
                r#"{"error":"x","error_description":5}"#,
                ErrorCode::InvalidTokenResponse,
            ),
            (
                200,
                r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#,
                ErrorCode::InvalidTokenResponse,
            ),
        ];
        for (status, body, expected) in cases {
            assert_eq!(code(*status, body), *expected, "{status} {body}");
        }
        let huge = [
            r#"{"access_token":"a","token_type":"Bearer","pad":""#,
            &"x".repeat(MAX_BODY_BYTES),
            "\"}",
        ]
        .concat();
        assert_eq!(code(200, &huge), ErrorCode::InvalidTokenResponse);
    }

    #[test]
    fn obtained_at_is_the_parse_time() {
        let t = parse(
            200,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#,
        )
        .unwrap();
        assert_eq!(t.obtained_at, Some(1_000));
        assert_eq!(t.expires_at, Some(61_000));
    }

    #[test]
    fn rfc6749_5_1_a_missing_scope_falls_back_on_previous_then_requested() {
        use crate::provider::{ClientConfig, PleoEnvironment, Provider};
        let client = Client::new(ClientConfig {
            provider: Provider::pleo(PleoEnvironment::Staging),
            client_id: "c".into(),
            redirect_uri: "https://p.test/cb".into(),
            scopes: vec!["users:read".into()],
            client_secret: None,
            client_auth: None,
        })
        .unwrap();
        let res = |body| HttpResponse { status: 200, body };
        let bare = r#"{"access_token":"a","token_type":"Bearer"}"#;
        // No previous, no pending: the client's configured scopes.
        let t = client
            .parse_token_response(&res(bare), 0, None, None)
            .unwrap();
        assert_eq!(t.scope, Some(vec!["users:read".into()]));
        // A code exchange: the scopes of that authorization request.
        let opts = crate::AuthorizationOptions {
            scopes: Some(vec!["export-jobs:read".into()]),
            ..Default::default()
        };
        let pending = client.start_authorization(opts, 0).unwrap().pending;
        let t = client
            .parse_token_response(&res(bare), 0, None, Some(&pending))
            .unwrap();
        assert_eq!(t.scope, Some(vec!["export-jobs:read".into()]));
        // A refresh: the previous grant's scope wins over the requested one.
        let granted = client
            .parse_token_response(
                &res(r#"{"access_token":"a","token_type":"Bearer","scope":"a b"}"#),
                0,
                None,
                None,
            )
            .unwrap();
        let t = client
            .parse_token_response(&res(bare), 0, Some(&granted), None)
            .unwrap();
        assert_eq!(t.scope, Some(vec!["a".into(), "b".into()]));
        // The free function knows no requested scopes.
        assert_eq!(parse(200, bare).unwrap().scope, None);
    }

    #[test]
    fn rfc6749_5_2_error_text_is_kept_raw_but_echoed_only_when_plain() {
        let err = parse(400, r#"{"error":"inv\u0000alid<script>"}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TokenError);
        assert!(!err.message().contains('<') && !err.message().contains('\0'));
        assert_eq!(err.server_error().unwrap().error, "inv\0alid<script>");
    }

    #[test]
    fn rotation_a_new_refresh_token_replaces_the_old_and_absence_keeps_it() {
        let first = parse(200, r#"{"access_token":"a1","token_type":"Bearer","refresh_token":"r1","scope":"users:read"}"#).unwrap();
        let rotated = parse_token_response(
            &HttpResponse {
                status: 200,
                body: r#"{"access_token":"a2","token_type":"Bearer","refresh_token":"r2"}"#,
            },
            0,
            Some(&first),
        )
        .unwrap();
        assert_eq!(
            rotated.refresh_token.as_ref().unwrap().expose_secret(),
            "r2"
        );
        assert_eq!(rotated.scope, first.scope);
        let kept = parse_token_response(
            &HttpResponse {
                status: 200,
                body: r#"{"access_token":"a3","token_type":"Bearer"}"#,
            },
            0,
            Some(&rotated),
        )
        .unwrap();
        assert_eq!(kept.refresh_token.as_ref().unwrap().expose_secret(), "r2");
    }

    #[test]
    fn error_messages_never_contain_tokens() {
        let err = parse(200, r#"{"access_token":"SECRET-AT","token_type":"MAC"}"#).unwrap_err();
        assert!(!err.message().contains("SECRET-AT"));
    }
}
