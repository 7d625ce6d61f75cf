// The wasm exports (the boundary under js/api.js), shared by
// tests/wasm_node.rs and tests/wasm_browser.rs: wasm-bindgen-test runs a test
// binary either in Node or in a browser, so each has a file including this.
// The OAuthError objects built by js/api.js are tested through the package
// (tests/js/vectors.test.mjs in Node, tests/js/package.test.mjs in Chromium).

use pleo_oauth::wasm::{code_challenge_s256, generate_code_verifier, generate_state, needs_refresh, parse_token_response, pleo_provider, WasmClient};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

const APPENDIX_B_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const APPENDIX_B_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CONFIG: &str = r#"{"provider":{"issuer":"http://127.0.0.1:4010","authorizationEndpoint":"http://127.0.0.1:4010/oauth/authorize","tokenEndpoint":"http://127.0.0.1:4010/oauth/token"},
    "clientId":"pleo-demo-client","clientSecret":"s3cr:t","redirectUri":"http://localhost:8787/auth/callback","scopes":["users:read"]}"#;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The error that crossed the boundary: a string of `{ code, message, ... }`.
fn error_of(e: JsValue) -> Value {
    json(&e.as_string().expect("errors cross as JSON strings"))
}

fn assert_code<T>(r: Result<T, JsValue>, code: &str) -> Value {
    let e = match r {
        Ok(_) => panic!("must be rejected with {code}"),
        Err(e) => error_of(e),
    };
    assert_eq!(e["code"], code, "{e}");
    assert!(!e["message"].as_str().unwrap().is_empty());
    e
}

fn instance_still_works() {
    assert_eq!(code_challenge_s256(APPENDIX_B_VERIFIER).unwrap(), APPENDIX_B_CHALLENGE);
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
    assert_code(WasmClient::new("null"), "invalid_config");
    assert_code(WasmClient::new(r#"{"provider":"staging","clientId":"c","redirectUri":"http://evil.test/cb"}"#), "invalid_config");
    assert_code(pleo_provider("sandbox"), "invalid_config");
    assert_eq!(json(&pleo_provider("staging").unwrap())["issuer"], "https://auth.staging.pleo.io");
}

#[wasm_bindgen_test]
fn token_errors_carry_the_server_fields() {
    let body = r#"{"error":"invalid_grant","error_description":"gone","error_uri":"https://e.test"}"#;
    let e = assert_code(parse_token_response(400.0, body, None, None), "token_error");
    assert_eq!(e["error"], "invalid_grant");
    assert_eq!(e["errorDescription"], "gone");
    assert_eq!(e["errorUri"], "https://e.test");
    assert_eq!(e["status"], 400);
}

#[wasm_bindgen_test]
fn a_whole_flow_through_wasm() {
    let c = WasmClient::new(CONFIG).unwrap();
    let start = json(&c.start_authorization(r#"{"now":1700000000000}"#, None).unwrap());
    assert!(start["url"].as_str().unwrap().starts_with("http://127.0.0.1:4010/oauth/authorize?response_type=code&"));
    assert_eq!(start["pending"]["createdAt"], 1_700_000_000_000u64);
    let pending = start["pending"].to_string();
    let state = start["pending"]["state"].as_str().unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=c1&state=", state, "&iss=http%3A%2F%2F127.0.0.1%3A4010"].concat();
    let r = c.handle_callback(&cb, &pending).unwrap();
    assert_eq!(r, [state, "\nhttp://127.0.0.1:4010\nc1"].concat());
    let req = c.token_request("c1", &pending).unwrap();
    assert!(req.starts_with("http://127.0.0.1:4010/oauth/token\n"));
    assert!(req.contains("\nauthorization\nBasic "));
    assert!(req.ends_with(&["&code_verifier=", start["pending"]["codeVerifier"].as_str().unwrap()].concat()));
    let body = r#"{"access_token":"at","token_type":"Bearer","expires_in":900,"refresh_token":"rt"}"#;
    let t = parse_token_response(200.0, body, Some(1000.0), None).unwrap();
    assert_eq!(json(&t)["expiresAt"], 901_000);
    assert!(needs_refresh(&t, Some(900_000.0), None).unwrap());
    assert!(!needs_refresh(&t, Some(1000.0), None).unwrap());
    // Without `now` the clock is read inside the call.
    assert!(json(&c.start_authorization("null", None).unwrap())["pending"]["createdAt"].as_u64().unwrap() > 1_700_000_000_000);
}

#[wasm_bindgen_test]
fn the_instance_survives_every_rejected_input() {
    let c = WasmClient::new(CONFIG).unwrap();
    let start = json(&c.start_authorization("null", None).unwrap());
    let pending = start["pending"].to_string();
    let deep = "[".repeat(100_000);
    let percent = "%".repeat(20_000);
    let bad_strings = [
        "",
        "null",
        "[]",
        "{",
        "\u{0}\u{ffff}\u{1F600}",
        deep.as_str(),
        percent.as_str(),
        r#"{"status":"200","body":5}"#,
        r#"{"extraParams":{"state":"x"}}"#,
        r#"{"now":-1}"#,
        r#"{"accessToken":"a","expiresAt":1e400}"#,
    ];
    for bad in bad_strings {
        let _ = WasmClient::new(bad);
        instance_still_works();
        let _ = c.start_authorization(bad, None);
        let _ = c.start_authorization("null", Some(f64::NAN));
        instance_still_works();
        let _ = c.handle_callback(bad, &pending);
        let _ = c.handle_callback("http://localhost:8787/auth/callback?code=1&state=1", bad);
        instance_still_works();
        let _ = c.token_request(bad, bad);
        let _ = c.refresh_request(bad);
        let _ = c.introspection_request(bad, Some(bad.into()));
        let _ = c.revocation_request(bad, None);
        instance_still_works();
        let _ = parse_token_response(f64::NAN, bad, Some(-1.0), Some(bad.into()));
        let _ = parse_token_response(200.0, bad, None, None);
        let _ = needs_refresh(bad, Some(f64::INFINITY), Some(-5.0));
        let _ = code_challenge_s256(bad);
        let _ = pleo_provider(bad);
        instance_still_works();
    }
    // And the client itself still completes a flow afterwards.
    let state = start["pending"]["state"].as_str().unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=ok&state=", state].concat();
    assert!(c.handle_callback(&cb, &pending).is_ok());
}

/// The shared vectors for the functions that need no client set-up, read
/// from the same files as the native and JavaScript harnesses.
#[wasm_bindgen_test]
fn shared_pkce_and_token_response_vectors() {
    let mut ran = 0;
    for text in [include_str!("../vectors/pkce.json"), include_str!("../vectors/token_response.json")] {
        let file = json(text);
        for case in file["cases"].as_array().unwrap() {
            if case.get("js_only") == Some(&Value::Bool(true)) || case["response"].get("body_parts").is_some() {
                continue;
            }
            let name = case["name"].as_str().unwrap();
            let result = match case["op"].as_str().unwrap() {
                "code_challenge" => code_challenge_s256(case["verifier"].as_str().unwrap()).map(Value::String),
                _ => parse_token_response(
                    case["response"]["status"].as_f64().unwrap(),
                    case["response"]["body"].as_str().unwrap(),
                    case["now"].as_f64(),
                    case.get("previous").map(Value::to_string),
                )
                .map(|t| json(&t)),
            };
            let expect = &case["expect"];
            match (expect.get("ok"), result) {
                (Some(ok), Ok(got)) => {
                    if ok != "*" {
                        assert_eq!(&got, ok, "{name}");
                    }
                }
                (None, Err(e)) => assert_eq!(error_of(e)["code"], expect["error"], "{name}"),
                _ => panic!("{name}: unexpected outcome"),
            }
            instance_still_works();
            ran += 1;
        }
    }
    assert!(ran > 60, "{ran}");
}
