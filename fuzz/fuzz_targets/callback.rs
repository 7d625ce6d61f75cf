//! The callback parser: `Client::handle_callback` with a fixed client and
//! pending authorization, and an arbitrary callback URL.
//!
//! Input: one flag byte (bit 0: the provider requires RFC 9207 `iss`), then
//! the URL (invalid UTF-8 is replaced, as a host's URL decoding would).
#![no_main]

use fuzz_support::*;
use libfuzzer_sys::fuzz_target;
use pleo_oauth::ErrorCode;
use std::sync::OnceLock;

struct Fixtures {
    lenient: pleo_oauth::Client,
    strict: pleo_oauth::Client,
    pending: pleo_oauth::PendingAuthorization,
}

static FIXTURES: OnceLock<Fixtures> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let f = FIXTURES.get_or_init(|| Fixtures {
        lenient: fixed_client(false, None, true),
        strict: fixed_client(true, None, true),
        pending: fixed_pending(),
    });
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let iss_required = flags & 1 == 1;
    let client = if iss_required { &f.strict } else { &f.lenient };
    let url = String::from_utf8_lossy(rest);

    match client.handle_callback(&url, &f.pending) {
        Ok(r) => {
            // An accepted callback is bound to this browser's request.
            assert_eq!(r.state, STATE, "Ok callback with a foreign state");
            assert!(!r.code.is_empty(), "Ok callback with an empty code");
            match &r.iss {
                Some(iss) => assert_eq!(iss, ISSUER, "Ok callback with a foreign iss"),
                None => assert!(!iss_required, "Ok callback without required iss"),
            }
            assert!(url.len() <= 16 * 1024);
            // Differential: a WHATWG form parser reads the same values.
            let query = query_of(&url).unwrap_or("");
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            let get = |name: &str| {
                let mut it = pairs.iter().filter(|(n, _)| n == name);
                let first = it.next().map(|(_, v)| v.clone());
                assert!(it.next().is_none(), "Ok callback with duplicate {name}");
                first
            };
            assert_eq!(get("state").as_deref(), Some(STATE));
            assert_eq!(get("code").as_deref(), Some(r.code.as_str()));
            assert_eq!(get("iss"), r.iss);
            for forbidden in [
                "error",
                "access_token",
                "id_token",
                "token_type",
                "refresh_token",
                "response",
            ] {
                assert_eq!(get(forbidden), None, "Ok callback carrying {forbidden}");
            }
            // The strict decoder agrees too.
            assert!(strict_pairs(query).is_some());
        }
        Err(e) => {
            assert_code_in(
                &e,
                &[
                    ErrorCode::InvalidCallback,
                    ErrorCode::StateMismatch,
                    ErrorCode::IssuerMismatch,
                    ErrorCode::AuthorizationDenied,
                ],
                "handle_callback",
            );
            if e.code() == ErrorCode::AuthorizationDenied {
                // RFC 9700 §4.7 / RFC 9207: an error response surfaces only
                // after state and iss have been checked.
                let query = query_of(&url).unwrap_or("");
                let pairs = strict_pairs(query).expect("denied callback must decode");
                let state = pairs
                    .iter()
                    .find(|(n, _)| n == "state")
                    .map(|(_, v)| v.as_str());
                assert_eq!(
                    state,
                    Some(STATE),
                    "error= surfaced without the right state"
                );
                let iss = pairs
                    .iter()
                    .find(|(n, _)| n == "iss")
                    .map(|(_, v)| v.as_str());
                assert!(iss == Some(ISSUER) || (iss.is_none() && !iss_required));
            }
            assert_no_leak(&e, STATE, "expected state");
            assert_no_leak(&e, VERIFIER, "verifier");
            assert_no_leak(&e, SECRET, "client secret");
        }
    }
});
