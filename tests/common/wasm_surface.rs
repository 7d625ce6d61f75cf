// The wasm exports (the boundary under js/api.js), shared by
// tests/wasm_node.rs and tests/wasm_browser.rs: wasm-bindgen-test runs a test
// binary either in Node or in a browser, so each has a file including this.
// Objects cross as records (docs/BOUNDARY.md); these tests write and read
// them as js/api.js does. The OAuthError objects built by js/api.js are
// tested through the package (tests/js/vectors.test.mjs in Node,
// tests/js/package.test.mjs in Chromium).

use pleo_oauth::wasm::record::{decode, Field};
use pleo_oauth::wasm::{code_challenge_s256, generate_code_verifier, generate_state, needs_refresh, pleo_provider, WasmClient};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

const APPENDIX_B_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const APPENDIX_B_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ISSUER: &str = "http://127.0.0.1:4010";

/// A string field as api.js writes it: UTF-16 length, colon, text.
fn s(v: &str) -> String {
    [v.encode_utf16().count().to_string().as_str(), ":", v].concat()
}

fn list(items: &[&str]) -> String {
    ["[", &items.iter().map(|i| s(i)).collect::<String>(), "]"].concat()
}

fn config() -> String {
    let provider = ["[", &s(ISSUER), &s("http://127.0.0.1:4010/oauth/authorize"), &s("http://127.0.0.1:4010/oauth/token"), "---", "]"].concat();
    ["[", &provider, &s("pleo-demo-client"), &s("http://localhost:8787/auth/callback"), &list(&["users:read"]), &s("s3cr:t"), "-]"].concat()
}

include!("record_json.rs");

/// A JSON array of strings/nulls/arrays back into a record.
fn from_json(v: &Value) -> String {
    match v {
        Value::String(t) => s(t),
        Value::Array(items) => ["[", &items.iter().map(from_json).collect::<String>(), "]"].concat(),
        Value::Number(n) => s(&n.to_string()),
        _ => "-".to_owned(),
    }
}

/// The error that crossed the boundary: `[code, message, error, errorDescription, errorUri, status]`.
fn error_of(e: JsValue) -> Value {
    record_json(&e.as_string().expect("errors cross as record strings"))
}

fn assert_code<T>(r: Result<T, JsValue>, code: &str) -> Value {
    let e = match r {
        Ok(_) => panic!("must be rejected with {code}"),
        Err(e) => error_of(e),
    };
    assert_eq!(e[0], code, "{e}");
    assert!(!e[1].as_str().unwrap().is_empty());
    e
}

fn instance_still_works() {
    assert_eq!(code_challenge_s256(APPENDIX_B_VERIFIER).unwrap(), APPENDIX_B_CHALLENGE);
}

/// A TokenSet record as the JS object api.js builds from it.
fn token_set_object(t: &Value) -> Value {
    let mut o = Map::new();
    for (i, name) in ["accessToken", "tokenType", "expiresAt", "refreshToken", "scope", "obtainedAt"].iter().enumerate() {
        let v = &t[i];
        match (name, v) {
            (_, Value::Null) => {}
            (&"expiresAt" | &"obtainedAt", Value::String(n)) => {
                o.insert((*name).into(), json!(n.parse::<u64>().unwrap()));
            }
            _ => {
                o.insert((*name).into(), v.clone());
            }
        }
    }
    Value::Object(o)
}

/// A JS TokenSet object as the record api.js writes.
fn token_set_record(t: &Value) -> String {
    let fields = ["accessToken", "tokenType", "expiresAt", "refreshToken", "scope", "obtainedAt"];
    ["[", &fields.iter().map(|f| from_json(&t[f])).collect::<String>(), "]"].concat()
}

#[wasm_bindgen_test]
fn rfc7636_appendix_b_and_csprng_values_through_wasm() {
    instance_still_works();
    let v = generate_code_verifier().unwrap();
    assert_eq!(v.len(), 43);
    assert_ne!(v, generate_code_verifier().unwrap());
    assert_eq!(generate_state().unwrap().len(), 43);
}

#[wasm_bindgen_test]
fn rejections_cross_as_stable_codes() {
    assert_code(code_challenge_s256("short"), "invalid_verifier");
    assert_code(WasmClient::new("-"), "invalid_config");
    let evil = ["[", &s("staging"), &s("c"), &s("http://evil.test/cb"), "]"].concat();
    assert_code(WasmClient::new(&evil), "invalid_config");
    assert_code(pleo_provider("sandbox"), "invalid_config");
    assert_eq!(record_json(&pleo_provider("staging").unwrap())[0], "https://auth.staging.pleo.io");
}

#[wasm_bindgen_test]
fn token_errors_carry_the_server_fields() {
    let c = WasmClient::new(&config()).unwrap();
    let body = r#"{"error":"invalid_grant","error_description":"gone","error_uri":"https://e.test"}"#;
    let e = assert_code(c.parse_token_response(400.0, body, None, None, None), "token_error");
    assert_eq!(e[2], "invalid_grant");
    assert_eq!(e[3], "gone");
    assert_eq!(e[4], "https://e.test");
    assert_eq!(e[5], "400");
}

#[wasm_bindgen_test]
fn a_whole_flow_through_wasm() {
    let c = WasmClient::new(&config()).unwrap();
    let start = record_json(&c.start_authorization(&["[---", &s("1700000000000"), "]"].concat(), None).unwrap());
    assert!(start[0].as_str().unwrap().starts_with("http://127.0.0.1:4010/oauth/authorize?response_type=code&"));
    assert_eq!(start[1][4], "1700000000000");
    let pending = from_json(&start[1]);
    let state = start[1][0].as_str().unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=c1&state=", state, "&iss=http%3A%2F%2F127.0.0.1%3A4010"].concat();
    // The answer is where the code stands in the URL, with the iss bit
    // (docs/BOUNDARY.md, "The callback").
    let at = c.handle_callback(&cb, &pending).unwrap() as u64;
    let (from, to) = ((at & 0x7fff) as usize, (at >> 15 & 0x7fff) as usize);
    assert_eq!(&cb[from..to], "c1");
    assert_eq!(at >> 30, 1, "iss came, the code is not encoded");
    let req = record_json(&c.token_request("c1", &pending).unwrap());
    // The method comes from the core, not from the JS wrapper.
    assert_eq!(req[0], "POST");
    assert_eq!(req[1], "http://127.0.0.1:4010/oauth/token");
    assert_eq!(req[2][4], "authorization");
    assert!(req[2][5].as_str().unwrap().starts_with("Basic "));
    assert!(req[3].as_str().unwrap().ends_with(&["&code_verifier=", start[1][1].as_str().unwrap()].concat()));
    let body = r#"{"access_token":"at","token_type":"Bearer","expires_in":900,"refresh_token":"rt"}"#;
    let t = c.parse_token_response(200.0, body, Some(1000.0), None, Some(pending.clone())).unwrap();
    let obj = token_set_object(&record_json(&t));
    assert_eq!(obj["expiresAt"], 901_000);
    assert_eq!(obj["obtainedAt"], 1000);
    // No scope in the response: the scopes the authorization requested.
    assert_eq!(obj["scope"], json!(["users:read"]));
    // 900 s lifetime: the policy refreshes 60 s ahead.
    assert!(needs_refresh(&t, Some(841_000.0), None).unwrap());
    assert!(!needs_refresh(&t, Some(840_999.0), None).unwrap());
    assert!(!needs_refresh(&t, Some(841_000.0), Some(0.0)).unwrap());
    // Without `now` the clock is read inside the call.
    let now_start = record_json(&c.start_authorization("-", None).unwrap());
    assert!(now_start[1][4].as_str().unwrap().parse::<u64>().unwrap() > 1_700_000_000_000);
}

#[wasm_bindgen_test]
fn the_instance_survives_every_rejected_input() {
    let c = WasmClient::new(&config()).unwrap();
    let start = record_json(&c.start_authorization("-", None).unwrap());
    let pending = from_json(&start[1]);
    let deep = "[".repeat(100_000);
    let percent = "%".repeat(20_000);
    let bad_strings = [
        "",
        "-",
        "[]",
        "[",
        "!",
        "?",
        "99999999999999999999:",
        "5:ab",
        "\u{0}\u{ffff}\u{1F600}",
        deep.as_str(),
        percent.as_str(),
        "[---2:-1]",
        "[1:a6:Bearer5:1e400]",
    ];
    for bad in bad_strings {
        let _ = WasmClient::new(bad);
        instance_still_works();
        let _ = c.start_authorization(bad, None);
        let _ = c.start_authorization("-", Some(f64::NAN));
        instance_still_works();
        let _ = c.handle_callback(bad, &pending);
        let _ = c.handle_callback("http://localhost:8787/auth/callback?code=1&state=1", bad);
        instance_still_works();
        let _ = c.token_request(bad, bad);
        let _ = c.refresh_request(bad);
        let _ = c.introspection_request(bad, Some(bad.into()));
        let _ = c.revocation_request(bad, None);
        instance_still_works();
        let _ = c.parse_token_response(f64::NAN, bad, Some(-1.0), Some(bad.into()), Some(bad.into()));
        let _ = c.parse_token_response(200.0, bad, None, None, None);
        let _ = needs_refresh(bad, Some(f64::INFINITY), Some(-5.0));
        let _ = code_challenge_s256(bad);
        let _ = pleo_provider(bad);
        instance_still_works();
    }
    // And the client itself still completes a flow afterwards.
    let state = start[1][0].as_str().unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=ok&state=", state].concat();
    assert!(c.handle_callback(&cb, &pending).is_ok());
}

/// The shared vectors for the functions that need no client set-up beyond
/// the file's config, read from the same files as the native and JavaScript
/// harnesses.
#[wasm_bindgen_test]
fn shared_pkce_and_token_response_vectors() {
    let mut ran = 0;
    for text in [include_str!("../vectors/pkce.json"), include_str!("../vectors/token_response.json")] {
        let file: Value = serde_json::from_str(text).unwrap();
        let client = file.get("config").map(|cfg| {
            let p = &cfg["provider"];
            let provider = ["[", &from_json(&p["issuer"]), &from_json(&p["authorizationEndpoint"]), &from_json(&p["tokenEndpoint"]),
                &from_json(&p["introspectionEndpoint"]), &from_json(&p["revocationEndpoint"]), &from_json(&p["apiBaseUrl"]), "-]"].concat();
            let config = ["[", &provider, &from_json(&cfg["clientId"]), &from_json(&cfg["redirectUri"]), &from_json(&cfg["scopes"]),
                &from_json(&cfg["clientSecret"]), "-]"].concat();
            WasmClient::new(&config).unwrap()
        });
        for case in file["cases"].as_array().unwrap() {
            if case.get("js_only") == Some(&Value::Bool(true)) || case["response"].get("body_parts").is_some() {
                continue;
            }
            let name = case["name"].as_str().unwrap();
            let result = match case["op"].as_str().unwrap() {
                "code_challenge" => code_challenge_s256(case["verifier"].as_str().unwrap()).map(Value::String),
                _ => client
                    .as_ref()
                    .unwrap()
                    .parse_token_response(
                        case["response"]["status"].as_f64().unwrap(),
                        case["response"]["body"].as_str().unwrap(),
                        case["now"].as_f64(),
                        case.get("previous").map(token_set_record),
                        None,
                    )
                    .map(|t| token_set_object(&record_json(&t))),
            };
            let expect = &case["expect"];
            match (expect.get("ok"), result) {
                (Some(ok), Ok(got)) => {
                    if ok != "*" {
                        assert_eq!(&got, ok, "{name}");
                    }
                }
                (None, Err(e)) => assert_eq!(error_of(e)[0], expect["error"], "{name}"),
                _ => panic!("{name}: unexpected outcome"),
            }
            instance_still_works();
            ran += 1;
        }
    }
    assert!(ran > 60, "{ran}");
}
