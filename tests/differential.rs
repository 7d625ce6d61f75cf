//! Differential tests: each hand-written encoding against a well-kept
//! implementation of the same standard. They must agree except where our
//! rules are documented as stricter:
//! - JSON (RFC 8259) vs serde_json: we reject duplicate member names and
//!   nesting deeper than 32; numbers agree exactly up to 2^53 and 10^±22.
//! - form decoding (WHATWG URL §5.1) vs the `form_urlencoded` crate: we
//!   reject a `%` not followed by two hex digits and bytes that are not
//!   UTF-8, where WHATWG keeps the `%` and substitutes U+FFFD.
//! - form encoding vs `form_urlencoded::byte_serialize`: identical.
//! - URL checks vs the `url` crate: every URL we accept parses there with
//!   the same scheme, host, port and query, no userinfo and no fragment.
//! - base64 (RFC 4648) vs the `base64` crate: encodings identical; the
//!   decoder accepts and rejects exactly what the crate's standard alphabet
//!   with `DecodePaddingMode::Indifferent` does, with the same bytes.
//!
//! The JavaScript side (the package's callback parsing vs WHATWG
//! URLSearchParams) is tests/js/vectors-differential.test.mjs.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pleo_oauth::encoding::json::{self, Value};
use pleo_oauth::encoding::{base64, form, url};
use pleo_oauth::ErrorCode;
use proptest::prelude::*;

// ---------------------------------------------------------------- JSON

/// Our numbers are correctly rounded on the fast path (digits < 2^53,
/// |exponent| ≤ 22) and within a few ulps beyond it, where serde_json is
/// exact: compare them that way.
fn same_numbers(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 8.0 * f64::EPSILON * y.abs()
        }
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_numbers(a, b))
        }
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_numbers(v, w)))
        }
        _ => a == b,
    }
}

fn to_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => {
            serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, Into::into)
        }
        Value::String(s) => s.clone().into(),
        Value::Array(items) => items.iter().map(to_serde).collect(),
        Value::Object(members) => members
            .iter()
            .map(|(k, v)| (k.clone(), to_serde(v)))
            .collect(),
    }
}

/// serde_json's value with every number as f64 (ours has no integer type).
fn as_f64_numbers(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => serde_json::Number::from_f64(n.as_f64().unwrap())
            .unwrap()
            .into(),
        serde_json::Value::Array(items) => items.iter().map(as_f64_numbers).collect(),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), as_f64_numbers(v)))
            .collect(),
        other => other.clone(),
    }
}

fn depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Compares one document; `dup_free` says the text has no duplicate names.
fn check_json(text: &str, dup_free: bool) -> Result<(), TestCaseError> {
    let ours = json::parse(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Some(o), Ok(t)) => {
            prop_assert!(same_numbers(&to_serde(o), &as_f64_numbers(t)), "{}", text)
        }
        (None, Err(_)) => {}
        (Some(_), Err(e)) => {
            prop_assert!(false, "we accept what serde_json rejects ({}): {}", e, text)
        }
        (None, Ok(t)) => prop_assert!(
            !dup_free || depth(t) > 32 || depth(t) >= 128,
            "we reject a document serde_json accepts, without duplicates or depth: {}",
            text
        ),
    }
    Ok(())
}

/// JSON texts, written by hand so whitespace, escapes and number spellings
/// vary, with or without duplicate member names.
fn json_text(allow_dups: bool) -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..1 << 53).prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..1000, -22i32..22).prop_map(|(i, f, e)| format!("{i}.{f:03}e{e}")),
        (-1e6f64..1e6).prop_map(|f| f.to_string()),
        Just("-0".to_owned()),
        Just("1E+2".to_owned()),
        Just("0.1".to_owned()),
        Just("0.3".to_owned()),
    ];
    let string = prop_oneof![
        "[a-z]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#""\u00e9\ud83d\ude00\/\b\f\n\r\t""#.to_owned()),
    ];
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        number,
        string.clone(),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        let key = prop_oneof!["[a-c]{1,2}", "[a-z_]{1,8}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key, inner), 0..5).prop_filter_map(
                "duplicate names",
                move |members| {
                    let mut seen = std::collections::HashSet::new();
                    let dup = !members.iter().all(|(k, _)| seen.insert(k.clone()));
                    (allow_dups || !dup).then(|| {
                        let body: Vec<String> = members
                            .iter()
                            .map(|(k, v)| format!("\"{k}\" : {v}"))
                            .collect();
                        format!("{{ {} }}", body.join(" ,\n"))
                    })
                }
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn json_generated_documents_agree_with_serde_json(text in json_text(false)) {
        check_json(&text, true)?;
    }

    #[test]
    fn json_documents_with_duplicates_are_the_one_documented_difference(text in json_text(true)) {
        let ours = json::parse(&text);
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        prop_assert!(theirs.is_ok());
        if let Some(o) = ours {
            prop_assert!(same_numbers(&to_serde(&o), &as_f64_numbers(&theirs.unwrap())));
        }
    }

    #[test]
    fn json_mutated_documents_are_never_accepted_where_serde_json_rejects(
        text in json_text(false),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
            vec!["", "\"", "\\", ",", ":", "{", "}", "[", "]", "0", "-", ".", "e", "\u{0}", "\u{7f}", " ", "\\u", "\u{e9}"]
        )), 1..4),
    ) {
        let mut t = text.clone();
        for (at, with) in edits {
            let mut i = at.index(t.len() + 1);
            while !t.is_char_boundary(i) { i -= 1; }
            let mut end = i;
            if with.is_empty() || end < t.len() {
                end = (i + 1..=t.len()).find(|&j| t.is_char_boundary(j)).unwrap_or(t.len());
            }
            t.replace_range(i..end, with);
        }
        // Mutations may create duplicate names: only soundness is checked
        // (ours ⇒ serde_json, with the same value) and serde_json's rejections.
        let ours = json::parse(&t);
        let theirs = serde_json::from_str::<serde_json::Value>(&t);
        if let Some(o) = &ours {
            prop_assert!(theirs.is_ok(), "we accept what serde_json rejects: {:?}", t);
            prop_assert!(same_numbers(&to_serde(o), &as_f64_numbers(theirs.as_ref().unwrap())));
        }
    }
}

#[test]
fn json_the_fuzz_corpus_seeds_agree_with_serde_json() {
    let mut n = 0;
    for entry in std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/corpus/token_response"
    ))
    .unwrap()
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        // The seeds are bodies behind a few bytes of fuzzer input: try each
        // UTF-8 suffix (most are not JSON; both sides must reject those).
        for start in 0..bytes.len().min(16) {
            if let Ok(text) = std::str::from_utf8(&bytes[start..]) {
                let documented = name.contains("duplicate") || name.contains("deep");
                check_json(text, !documented).unwrap();
                n += 1;
            }
        }
    }
    assert!(n > 10, "{n}");
}

#[test]
fn json_numbers_are_exact_within_the_fast_path() {
    for text in [
        "0.1",
        "0.3",
        "1.1",
        "2.675",
        "123456.789",
        "1e22",
        "1e-22",
        "9007199254740991",
        "3.14159",
        "-0.000123",
    ] {
        let ours = match json::parse(text) {
            Some(Value::Number(n)) => n,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(ours, text.parse::<f64>().unwrap(), "{text}");
    }
}

// ---------------------------------------------------------------- form

/// Why WHATWG decoding succeeds where ours refuses: a broken `%` or bytes
/// that are not UTF-8.
fn strictly_refused(query: &str) -> bool {
    let b = query.as_bytes();
    let broken_percent = b.iter().enumerate().any(|(i, &c)| {
        c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    let not_utf8 = query.split('&').any(|seg| {
        seg.split('=').any(|part| {
            let bytes: Vec<u8> = percent_decode(part.as_bytes());
            std::str::from_utf8(&bytes).is_err()
        })
    });
    broken_percent || not_utf8
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let hex = |j: usize| s.get(j).and_then(|c| (*c as char).to_digit(16));
        match (s[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn form_parse_agrees_with_form_urlencoded(query in "([a-z=&+%._~ ]|%[0-9a-fA-F]{2}|%[0-9a-fA-F]|%[e-f][0-9a-f]%[89ab][0-9a-f]|é|😀|\u{0}){0,24}") {
        let theirs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        match form::parse(&query) {
            Some(ours) => {
                let ours: Vec<(String, String)> = ours.into_iter().map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
                prop_assert_eq!(ours, theirs, "{:?}", query)
            }
            None => prop_assert!(strictly_refused(&query), "refused without a documented reason: {:?}", query),
        }
    }

    #[test]
    fn form_encode_is_whatwg_byte_serialize(value in any::<String>()) {
        let theirs: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        prop_assert_eq!(form::encode(&value), theirs);
    }
}

// ---------------------------------------------------------------- URLs

fn url_text() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https",
        "http",
        "HTTPS",
        "ftp",
        "https:",
        "javascript",
    ]);
    let userinfo = prop::sample::select(vec!["", "", "", "u@", "u:p@", "@"]);
    let host = prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z0-9-]{1,6}){0,3}",
        prop::sample::select(vec![
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1",
            "127.0.0.256",
            "1.2.3.256",
            "10.0.0.1",
            "[::1]",
            "[::1:]",
            "[1:2:3:4:5:6:7:8:9]",
            "[::ffff:127.0.0.1]",
            "[abc",
            "a..b",
            "-a",
            "a_b",
            "0x7f.1",
            "1.2.3.4.5",
            "999",
            "xn--nxasmq6b",
            "a.b.",
            "",
        ])
        .prop_map(str::to_owned),
    ];
    let port = prop::sample::select(vec![
        "", "", ":443", ":8080", ":0", ":65535", ":65536", ":", ":x", ":00080",
    ]);
    let path = prop::sample::select(vec!["", "/", "/cb", "/a/../b", "/a%20b", "/\\x", "/é"]);
    let query = prop::sample::select(vec!["", "?", "?a=1", "?a=1&b", "?%zz", "?a=b#f", "#"]);
    (scheme, userinfo, host, port, path, query)
        .prop_map(|(s, u, h, p, pa, q)| format!("{s}://{u}{h}{p}{pa}{q}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_url_we_accept_parses_the_same_in_the_url_crate(text in url_text()) {
        if let Ok(ours) = url::check_url(&text, "url", ErrorCode::InvalidConfig) {
            let theirs = ::url::Url::parse(&text);
            prop_assert!(theirs.is_ok(), "we accept what the url crate rejects: {}", text);
            let theirs = theirs.unwrap();
            prop_assert_eq!(theirs.scheme(), if ours.https { "https" } else { "http" });
            prop_assert_eq!(theirs.username(), "");
            prop_assert!(theirs.password().is_none());
            prop_assert!(theirs.fragment().is_none());
            prop_assert_eq!(theirs.query(), ours.query, "{}", text);
            match (theirs.host().unwrap(), ours.host.strip_prefix('[').and_then(|h| h.strip_suffix(']'))) {
                // IPv6 text has many spellings: compare the addresses.
                (::url::Host::Ipv6(a), Some(inner)) => {
                    prop_assert_eq!(Some(a), inner.parse::<std::net::Ipv6Addr>().ok(), "{}", text)
                }
                (_, Some(_)) => prop_assert!(false, "not IPv6 in the url crate: {}", text),
                _ => prop_assert_eq!(theirs.host_str().unwrap(), ours.host.to_ascii_lowercase(), "{}", text),
            }
            if !ours.https {
                // Plain http only for loopback hosts, in the url crate's reading too.
                let loopback = match theirs.host().unwrap() {
                    ::url::Host::Domain(d) => d == "localhost",
                    ::url::Host::Ipv4(a) => a.is_loopback(),
                    ::url::Host::Ipv6(a) => a.is_loopback(),
                };
                prop_assert!(loopback, "{}", text);
            }
        }
    }
}

// ---------------------------------------------------------------- base64

/// The crate's reading of what our decoder accepts: standard alphabet,
/// padding optional (or shortened), canonical trailing bits.
fn crate_decode(text: &[u8]) -> Option<Vec<u8>> {
    use ::base64::engine::{general_purpose, DecodePaddingMode, Engine};
    let config = general_purpose::GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    general_purpose::GeneralPurpose::new(&::base64::alphabet::STANDARD, config)
        .decode(text)
        .ok()
}

/// Near-valid base64 text: symbols of both alphabets, runs of `=`, a few
/// bytes that are never base64, so every rule of the decoder is exercised.
fn base64_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "A", "Q", "g", "w", "Z", "m", "9", "v", "+", "/", "-", "_", "=", "==", " ", "\n", "é",
        ]),
        0..14,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn base64_encodings_match_the_base64_crate(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        use ::base64::engine::{general_purpose, Engine};
        prop_assert_eq!(base64::standard(&bytes), general_purpose::STANDARD.encode(&bytes));
        prop_assert_eq!(base64::url_safe_no_pad(&bytes), general_purpose::URL_SAFE_NO_PAD.encode(&bytes));
        // And the decoder reads back what the encoder wrote, padded or not.
        let padded = base64::standard(&bytes);
        prop_assert_eq!(base64::decode_standard(padded.as_bytes()), Some(bytes.clone()));
        prop_assert_eq!(base64::decode_standard(padded.trim_end_matches('=').as_bytes()), Some(bytes));
    }

    #[test]
    fn base64_decoder_agrees_with_the_base64_crate(text in base64_text()) {
        prop_assert_eq!(base64::decode_standard(text.as_bytes()), crate_decode(text.as_bytes()), "{:?}", text);
    }

    #[test]
    fn base64_decoder_agrees_on_mutated_encodings(
        bytes in prop::collection::vec(any::<u8>(), 0..12),
        at in any::<prop::sample::Index>(),
        with in prop::sample::select(vec![b'=', b'A', b'B', b'/', b'-', b'\n']),
        cut in 0usize..3,
    ) {
        let mut text = base64::standard(&bytes).into_bytes();
        if !text.is_empty() {
            let i = at.index(text.len());
            text[i] = with;
        }
        text.truncate(text.len().saturating_sub(cut));
        prop_assert_eq!(base64::decode_standard(&text), crate_decode(&text), "{:?}", String::from_utf8_lossy(&text));
    }
}
