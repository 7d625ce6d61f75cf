//! The token-response parser: `parse_token_response` with an arbitrary
//! status, body, `now` and previous token set, checked against serde_json.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::assert_code_in;
use libfuzzer_sys::fuzz_target;
use pleo_oauth::authorization::MAX_TIME_MS;
use pleo_oauth::secret::{AccessToken, RefreshToken};
use pleo_oauth::token_response::MAX_EXPIRES_IN_SECONDS;
use pleo_oauth::{parse_token_response, ErrorCode, HttpResponse, TokenSet};

#[derive(Arbitrary, Debug)]
struct Previous {
    refresh_token: Option<String>,
    scope: Option<Vec<String>>,
    expires_at: Option<u64>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    now: u64,
    /// Small `now` values most of the time, any u64 sometimes.
    wild_now: bool,
    previous: Option<Previous>,
    body: String,
}

const PREVIOUS_AT: &str = "prev-AT-FUZZSECRET";
/// Tokens carrying this marker are checked for leaks.
const MARK: &str = "FUZZ";

fuzz_target!(|input: Input| {
    let now = if input.wild_now {
        input.now
    } else {
        input.now % (MAX_TIME_MS + 1)
    };
    let previous = input.previous.as_ref().map(|p| TokenSet {
        access_token: AccessToken::new(PREVIOUS_AT.into()),
        expires_at: p.expires_at,
        refresh_token: p.refresh_token.clone().map(RefreshToken::new),
        scope: p.scope.clone(),
        obtained_at: None,
    });
    let response = HttpResponse {
        status: input.status,
        body: &input.body,
    };
    let result = parse_token_response(&response, now, previous.as_ref());
    let json: Option<serde_json::Value> = serde_json::from_str(&input.body).ok();
    match result {
        Ok(set) => {
            assert!(now <= MAX_TIME_MS, "accepted now > MAX_SAFE_INTEGER");
            assert_eq!(input.status, 200, "token set from HTTP {}", input.status);
            assert!(input.body.len() <= 1024 * 1024);
            // Differential: serde_json reads the same members.
            let obj = json
                .as_ref()
                .and_then(|v| v.as_object())
                .unwrap_or_else(|| panic!("accepted a body serde_json rejects: {:?}", input.body));
            assert!(obj.get("error").is_none(), "accepted a body with error");
            assert_eq!(
                obj.get("access_token").and_then(|v| v.as_str()),
                Some(set.access_token.expose_secret())
            );
            assert!(!set.access_token.expose_secret().is_empty());
            let tt = obj.get("token_type").and_then(|v| v.as_str()).unwrap_or("");
            assert!(
                tt.eq_ignore_ascii_case("bearer"),
                "accepted token_type {tt:?}"
            );
            match obj.get("refresh_token") {
                Some(v) => assert_eq!(
                    v.as_str(),
                    set.refresh_token.as_ref().map(|t| t.expose_secret())
                ),
                // RFC 6749 §6: without a new refresh token the old one stays.
                None => assert_eq!(
                    set.refresh_token.as_ref().map(|t| t.expose_secret()),
                    input
                        .previous
                        .as_ref()
                        .and_then(|p| p.refresh_token.as_deref())
                ),
            }
            match obj.get("scope") {
                Some(v) => {
                    let words: Vec<&str> = v
                        .as_str()
                        .unwrap_or("")
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .collect();
                    let got: Vec<&str> = set
                        .scope
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .map(String::as_str)
                        .collect();
                    assert_eq!(got, words);
                }
                None => assert_eq!(
                    set.scope,
                    input.previous.as_ref().and_then(|p| p.scope.clone())
                ),
            }
            match obj.get("expires_in") {
                None => assert_eq!(set.expires_at, None),
                Some(v) => {
                    let secs = match v {
                        serde_json::Value::Number(n) => n.as_f64(),
                        serde_json::Value::String(s) => s.parse::<f64>().ok(),
                        _ => None,
                    }
                    .unwrap_or_else(|| panic!("accepted expires_in {v}"));
                    assert!(
                        (0.0..=MAX_EXPIRES_IN_SECONDS + 1e-6).contains(&secs),
                        "expires_in {secs}"
                    );
                    let at = set.expires_at.expect("expires_in without expires_at");
                    assert!(at >= now && at <= MAX_TIME_MS);
                    // now + floor(expires_in × 1000), saturating, ±1 ms for
                    // the library's shorter float parser.
                    let want = now.saturating_add((secs * 1000.0) as u64).min(MAX_TIME_MS);
                    assert!(at.abs_diff(want) <= 1, "expires_at {at}, expected {want}");
                }
            }
        }
        Err(e) => {
            assert_code_in(
                &e,
                &fuzz_support::TOKEN_RESPONSE_CODES,
                "parse_token_response",
            );
            if e.code() == ErrorCode::InvalidInput {
                assert!(now > MAX_TIME_MS);
            }
            if e.code() == ErrorCode::TokenError {
                let s = e
                    .server_error()
                    .expect("token_error without server details");
                assert_eq!(s.status, Some(input.status));
                assert!(!s.error.is_empty());
                let obj = json.as_ref().and_then(|v| v.as_object());
                assert_eq!(
                    obj.and_then(|o| o.get("error")).and_then(|v| v.as_str()),
                    Some(s.error.as_str()),
                    "token_error for a body whose error member differs"
                );
            }
            // Tokens never show up in errors, unless echoed by the server
            // (a marked echo could combine with the message's own text).
            let echoed_mark = e.server_error().is_some_and(|s| {
                s.error.contains(MARK)
                    || s.error_description
                        .as_deref()
                        .is_some_and(|d| d.contains(MARK))
                    || s.error_uri.as_deref().is_some_and(|u| u.contains(MARK))
            });
            if let Some(obj) = json
                .as_ref()
                .and_then(|v| v.as_object())
                .filter(|_| !echoed_mark)
            {
                for member in ["access_token", "refresh_token"] {
                    if let Some(t) = obj.get(member).and_then(|v| v.as_str()) {
                        // Only marked tokens: a leak check on any text would let
                        // libFuzzer learn the messages and match them.
                        if t.contains(MARK) {
                            fuzz_support::assert_no_leak(&e, t, member);
                        }
                    }
                }
            }
            fuzz_support::assert_no_leak(&e, PREVIOUS_AT, "previous access token");
            if let Some(rt) = input
                .previous
                .as_ref()
                .and_then(|p| p.refresh_token.as_deref())
            {
                if rt.contains(MARK) && !echoed_mark && !input.body.contains(rt) {
                    fuzz_support::assert_no_leak(&e, rt, "previous refresh token");
                }
            }
        }
    }
});
