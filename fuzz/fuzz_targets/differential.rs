//! Differential target: the hand-written encodings against well-kept
//! implementations of the same standards, on arbitrary input. The first
//! byte picks the pair; the rest is the text. Agreement rules (and the
//! documented exceptions) are those of tests/differential.rs:
//! - JSON vs serde_json: whatever we accept, serde_json accepts with the
//!   same value (numbers within a few ulps); whatever serde_json rejects,
//!   we reject. We may also reject duplicates and nesting deeper than 32.
//! - form decoding vs form_urlencoded: same pairs whenever we accept; we
//!   refuse only broken `%` escapes and bytes that are not UTF-8.
//! - form encoding vs form_urlencoded::byte_serialize: identical.
//! - URL checks vs the url crate: every URL we accept parses there with the
//!   same scheme, the same query parameters, no userinfo and no fragment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pleo_oauth::encoding::json::{self, Value};
use pleo_oauth::encoding::{form, url};
use pleo_oauth::ErrorCode;

fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (ours, theirs) {
        (Value::Null, V::Null) => true,
        (Value::Bool(a), V::Bool(b)) => a == b,
        (Value::Number(a), V::Number(b)) => {
            let b = b.as_f64().unwrap_or(f64::NAN);
            *a == b || (a - b).abs() <= 8.0 * f64::EPSILON * b.abs()
        }
        (Value::String(a), V::String(b)) => a == b,
        (Value::Array(a), V::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        // serde_json keeps one member per name; ours has no duplicates.
        (Value::Object(a), V::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

fn broken_percent(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match mode % 4 {
        0 => {
            let ours = json::parse(text);
            let theirs = serde_json::from_str::<serde_json::Value>(text);
            match (&ours, &theirs) {
                (Some(o), Ok(t)) => assert!(same(o, t), "different values for {text:?}"),
                (Some(_), Err(e)) => panic!("we accept what serde_json rejects ({e}): {text:?}"),
                _ => {}
            }
        }
        1 => {
            let theirs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
                .into_owned()
                .collect();
            match form::parse(text) {
                Some(ours) => {
                    let ours: Vec<(String, String)> = ours
                        .into_iter()
                        .map(|(n, v)| (n.into_owned(), v.into_owned()))
                        .collect();
                    assert_eq!(ours, theirs, "{text:?}")
                }
                None => {
                    // Refused: a broken escape, or WHATWG had to substitute U+FFFD.
                    let substituted = theirs
                        .iter()
                        .any(|(n, v)| n.contains('\u{fffd}') || v.contains('\u{fffd}'));
                    assert!(
                        broken_percent(text) || substituted,
                        "refused without reason: {text:?}"
                    );
                }
            }
        }
        2 => {
            let theirs: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            assert_eq!(form::encode(text), theirs);
        }
        _ => {
            if let Ok(ours) = url::check_url(text, "url", ErrorCode::InvalidConfig) {
                let theirs = ::url::Url::parse(text).unwrap_or_else(|e| {
                    panic!("we accept what the url crate rejects ({e}): {text:?}")
                });
                assert_eq!(theirs.scheme(), if ours.https { "https" } else { "http" });
                assert_eq!(theirs.username(), "");
                assert!(theirs.password().is_none());
                assert!(theirs.fragment().is_none());
                // WHATWG percent-encodes a few query bytes (`'` in special
                // schemes): compare what the queries decode to.
                let pairs = |q: Option<&str>| {
                    q.map(|q| {
                        form_urlencoded::parse(q.as_bytes())
                            .into_owned()
                            .collect::<Vec<_>>()
                    })
                };
                assert_eq!(pairs(theirs.query()), pairs(ours.query), "{text:?}");
            }
        }
    }
});
