//! Property tests: no parser panics on arbitrary input, and form encoding
//! round-trips. (A panic in the wasm build kills the instance for every
//! later call, so "never panics" is a correctness property here.)
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pleo_oauth::encoding::{form, json, url};
use pleo_oauth::{
    parse_token_response, AuthorizationOptions, Client, ClientConfig, ErrorCode, HttpResponse,
    Provider,
};
use proptest::prelude::*;

fn client() -> Client {
    Client::new(config()).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig {
        provider: Provider {
            issuer: "http://127.0.0.1:4010".into(),
            authorization_endpoint: "http://127.0.0.1:4010/oauth/authorize".into(),
            token_endpoint: "http://127.0.0.1:4010/oauth/token".into(),
            introspection_endpoint: None,
            revocation_endpoint: None,
            api_base_url: None,
            iss_parameter_supported: false,
        },
        client_id: "c".into(),
        redirect_uri: "http://localhost:8787/auth/callback".into(),
        scopes: vec![],
        client_secret: None,
        client_auth: None,
    }
}

include!("common/token_at.rs");

const NAMES: [&str; 10] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "error",
    "error_description",
    "x",
    "acc\\u0065ss_token",
    "scope",
];
const VALUES: [&str; 24] = [
    r#""at""#,
    r#""""#,
    r#""Bearer""#,
    r#""bEaReR""#,
    r#""MAC""#,
    "900",
    r#""900""#,
    "-1",
    "1e300",
    r#""9.5""#,
    "null",
    "true",
    r#"{"a":[1,2,{"b":null}]}"#,
    r#""a b  c""#,
    r#"" ""#,
    r#""t\u00e9""#,
    r#""é""#,
    "[]",
    "1.5",
    r#""x\"y""#,
    r#""users:read export-jobs:read""#,
    "0",
    r#"{"a":1,"a":2}"#,
    "01",
];

/// Token-endpoint answers made of the members that matter, in any order,
/// duplicated, escaped or of the wrong type.
fn token_body() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((0..NAMES.len(), 0..VALUES.len(), 0..3usize), 0..8),
        0..6usize,
        0..3usize,
    )
        .prop_map(|(mut members, tail, base)| {
            // Mostly a success to start from, with one member in the middle.
            if base > 0 {
                members.insert(0, (0, 0, 0));
                members.insert(members.len().min(2), (1, 2 + base % 2, 1));
            }
            let ws = [" ", "", "\n "];
            let mut body = String::from("{");
            for (i, (n, v, w)) in members.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(ws[*w]);
                body.push_str(&["\"", NAMES[*n], "\":", VALUES[*v]].concat());
            }
            body.push('}');
            body.push_str(["", " ", "x", "}", "\t", ""][tail]);
            body
        })
}

/// `json::members` (the edge's token fast path) against `json::parse`: when
/// it answers, the text is an object of those members, a plain string's
/// range holding its value; it declines an object only for an escaped
/// name or more members than it has room for.
fn check_members(text: &str) -> Result<(), TestCaseError> {
    use json::{Raw, Value};
    let mut out = [("", Raw::Other); 16];
    let parsed = json::parse(text);
    match (json::members(text, &mut out), &parsed) {
        (Some(n), Some(Value::Object(members))) => {
            prop_assert_eq!(n, members.len());
            for ((name, raw), (pname, pvalue)) in out.iter().zip(members) {
                prop_assert_eq!(*name, pname.as_str());
                match (*raw, pvalue) {
                    (Raw::Str(s, e), Value::String(v)) => prop_assert_eq!(&text[s..e], v.as_str()),
                    (Raw::Number(a), Value::Number(b)) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                    (Raw::Other, Value::String(_)) => prop_assert!(text.contains('\\')),
                    (Raw::Other, Value::Number(_)) => {
                        prop_assert!(false, "a number as Other: {}", text)
                    }
                    (Raw::Other, _) => {}
                    (raw, v) => prop_assert!(false, "{:?} for {:?} in {}", raw, v, text),
                }
            }
        }
        (Some(_), _) => prop_assert!(false, "members of what parse refuses: {}", text),
        (None, Some(Value::Object(members))) => prop_assert!(
            members.len() > 16 || text.contains('\\'),
            "declined a plain object: {}",
            text
        ),
        (None, _) => {}
    }
    Ok(())
}

/// Strings biased towards the characters parsers care about.
fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("%".to_string()),
            Just("&".to_string()),
            Just("=".to_string()),
            Just("?".to_string()),
            Just("#".to_string()),
            Just("+".to_string()),
            Just("code".to_string()),
            Just("state".to_string()),
            Just("error".to_string()),
            Just("iss".to_string()),
            Just("\"".to_string()),
            Just("\\u".to_string()),
            Just("{".to_string()),
            Just("[".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
            "[a-zA-Z0-9]{0,4}",
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn callback_parser_never_panics(url in tricky_string()) {
        let c = client();
        let pending = c.start_authorization(AuthorizationOptions::default(), 0).unwrap().pending;
        let _ = c.handle_callback(&url, &pending);
        let with_prefix = ["http://localhost:8787/auth/callback?", &url].concat();
        let _ = c.handle_callback(&with_prefix, &pending);
    }

    #[test]
    fn callback_with_the_right_state_and_any_code_is_accepted_or_typed(code in tricky_string()) {
        let c = client();
        let pending = c.start_authorization(AuthorizationOptions::default(), 0).unwrap().pending;
        let url = ["http://localhost:8787/auth/callback?code=", &form::encode(&code), "&state=", pending.state.expose_secret()].concat();
        match c.handle_callback(&url, &pending) {
            Ok(r) => prop_assert_eq!(r.code, code),
            Err(e) => prop_assert_eq!(e.code(), ErrorCode::InvalidCallback),
        }
    }

    #[test]
    fn token_set_offsets_answer_as_the_record_does(
        body in token_body(),
        status in prop_oneof![4 => Just(200.0), 1 => Just(400.0), 1 => Just(201.0)],
        previous in 0..3usize,
        scoped in any::<bool>(),
    ) {
        let mut c = client();
        if scoped {
            c = Client::new(ClientConfig { scopes: vec!["users:read".into()], ..config() }).unwrap();
        }
        let previous = [None, Some("[2:at6:Bearer-2:rt[1:a]-]"), Some("[2:at6:Bearer---1:0]")][previous];
        offsets_agree(&c, status, &body, 1000.0, previous, None);
    }

    #[test]
    fn json_members_agree_with_the_parser(text in prop_oneof![token_body(), tricky_string()]) {
        check_members(&text)?;
    }

    #[test]
    fn token_response_parser_never_panics(body in tricky_string(), status in 100u16..600, now in any::<u64>()) {
        let _ = parse_token_response(&HttpResponse { status, body: &body }, now, None);
    }

    #[test]
    fn json_parser_never_panics_and_agrees_with_serde_json_on_validity(text in tricky_string()) {
        let ours = json::parse(&text).is_some();
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        // We are stricter in one documented way: duplicate member names.
        if ours {
            prop_assert!(theirs.is_ok(), "we accepted what serde_json rejects: {:?}", text);
        }
    }

    #[test]
    fn url_checker_never_panics(u in tricky_string()) {
        let _ = url::check_url(&u, "u", ErrorCode::InvalidConfig);
        let _ = url::check_url(&["https://", &u].concat(), "u", ErrorCode::InvalidConfig);
        let _ = url::check_url(&["http://[", &u].concat(), "u", ErrorCode::InvalidConfig);
    }

    #[test]
    fn form_encoding_round_trips(s in any::<String>()) {
        let encoded = form::encode(&s);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)));
        prop_assert_eq!(form::decode(&encoded).map(|d| d.into_owned()), Some(s));
    }

    #[test]
    fn form_pairs_round_trip(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..6)) {
        let mut b = form::FormBuilder::default();
        for (k, v) in &pairs {
            b.pair(k, v);
        }
        let parsed: Vec<(String, String)> = form::parse(&b.finish())
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        // Pairs whose name and value are both empty encode to "=" and come back.
        prop_assert_eq!(parsed, pairs);
    }

    #[test]
    fn form_decode_never_panics(s in tricky_string()) {
        let _ = form::decode(&s);
        let _ = form::parse(&s);
    }

    #[test]
    fn extra_params_never_break_the_url(name in "[a-z_]{1,12}", value in any::<String>()) {
        let c = client();
        let opts = AuthorizationOptions { extra_params: vec![(name.clone(), value.clone())], ..Default::default() };
        if let Ok(start) = c.start_authorization(opts, 0) {
            let query = start.url.split_once('?').unwrap().1;
            let pairs = form::parse(query).unwrap();
            prop_assert_eq!(pairs.iter().filter(|(n, _)| n == "state").count(), 1);
            prop_assert!(pairs.contains(&(name.into(), value.into())));
        }
    }
}
