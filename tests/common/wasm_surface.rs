// The JavaScript surface of the wasm build, shared by tests/wasm_node.rs and
// tests/wasm_browser.rs (wasm-bindgen-test runs a test binary either in Node
// or in a browser, so each environment has its own file including this one).

use js_sys::{Array, Object, Reflect, JSON};
use pleo_oauth::wasm::{code_challenge_s256, generate_code_verifier, generate_state, pleo_provider, OAuthClient};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

const APPENDIX_B_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const APPENDIX_B_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn get(v: &JsValue, k: &str) -> JsValue {
    if !v.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

fn local_client() -> OAuthClient {
    OAuthClient::new(json(
        r#"{"provider":{"issuer":"http://127.0.0.1:4010","authorizationEndpoint":"http://127.0.0.1:4010/oauth/authorize","tokenEndpoint":"http://127.0.0.1:4010/oauth/token"},
            "clientId":"pleo-demo-client","clientSecret":"s3cr:t","redirectUri":"http://localhost:8787/auth/callback","scopes":["users:read"]}"#,
    ))
    .unwrap()
}

/// Asserts `err` is an `Error` named OAuthError with the given code.
fn assert_oauth_error(err: &JsValue, code: &str) {
    let e: &js_sys::Error = err.dyn_ref().expect("an Error object");
    assert_eq!(e.name(), "OAuthError");
    assert_eq!(get(err, "code").as_string().as_deref(), Some(code));
    assert!(e.message().length() > 0);
}

fn instance_still_works() {
    assert_eq!(code_challenge_s256(JsValue::from_str(APPENDIX_B_VERIFIER)).unwrap(), APPENDIX_B_CHALLENGE);
}

#[wasm_bindgen_test]
fn rfc7636_appendix_b_through_the_js_surface() {
    instance_still_works();
    let v = generate_code_verifier().unwrap();
    assert_eq!(v.len(), 43);
    assert_ne!(v, generate_code_verifier().unwrap());
    assert_eq!(generate_state().unwrap().len(), 43);
}

#[wasm_bindgen_test]
fn errors_are_oauth_error_objects_with_stable_codes() {
    let err = code_challenge_s256(JsValue::from_str("short")).err().unwrap();
    assert_oauth_error(&err, "invalid_verifier");
    let err = code_challenge_s256(JsValue::from_f64(1.0)).err().unwrap();
    assert_oauth_error(&err, "invalid_input");
    let err = OAuthClient::new(JsValue::NULL).err().unwrap();
    assert_oauth_error(&err, "invalid_config");
    let err = pleo_provider(JsValue::from_str("sandbox")).err().unwrap();
    assert_oauth_error(&err, "invalid_config");
}

#[wasm_bindgen_test]
fn token_errors_carry_the_server_fields() {
    let c = local_client();
    let res = json(r#"{"status":400,"body":"{\"error\":\"invalid_grant\",\"error_description\":\"gone\",\"error_uri\":\"https://e.test\"}"}"#);
    let err = c.parse_token_response(res, JsValue::UNDEFINED).err().unwrap();
    assert_oauth_error(&err, "token_error");
    assert_eq!(get(&err, "error").as_string().as_deref(), Some("invalid_grant"));
    assert_eq!(get(&err, "errorDescription").as_string().as_deref(), Some("gone"));
    assert_eq!(get(&err, "errorUri").as_string().as_deref(), Some("https://e.test"));
    assert_eq!(get(&err, "status").as_f64(), Some(400.0));
}

#[wasm_bindgen_test]
fn a_whole_flow_through_the_js_surface() {
    let c = local_client();
    let start = c.start_authorization(json(r#"{"now":1700000000000}"#)).unwrap();
    let url = get(&start, "url").as_string().unwrap();
    let pending = get(&start, "pending");
    assert!(url.starts_with("http://127.0.0.1:4010/oauth/authorize?response_type=code&"));
    assert_eq!(get(&pending, "createdAt").as_f64(), Some(1_700_000_000_000.0));
    let state = get(&pending, "state").as_string().unwrap();
    // The pending record survives a JSON round trip (it is stored by hosts).
    let pending = JSON::parse(&String::from(JSON::stringify(&pending).unwrap())).unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=c1&state=", &state, "&iss=http%3A%2F%2F127.0.0.1%3A4010"].concat();
    let r = c.handle_callback(JsValue::from_str(&cb), pending.clone()).unwrap();
    assert_eq!(get(&r, "code").as_string().as_deref(), Some("c1"));
    assert_eq!(get(&r, "iss").as_string().as_deref(), Some("http://127.0.0.1:4010"));
    let req = c.token_request(JsValue::from_str("c1"), pending).unwrap();
    assert_eq!(get(&req, "method").as_string().as_deref(), Some("POST"));
    let headers = get(&req, "headers");
    assert!(get(&headers, "authorization").as_string().unwrap().starts_with("Basic "));
    let res = json(r#"{"status":200,"body":"{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":900,\"refresh_token\":\"rt\"}"}"#);
    let t = c.parse_token_response(res, json(r#"{"now":1000}"#)).unwrap();
    assert_eq!(get(&t, "expiresAt").as_f64(), Some(901_000.0));
    assert_eq!(get(&t, "tokenType").as_string().as_deref(), Some("Bearer"));
}

#[wasm_bindgen_test]
fn the_instance_survives_every_rejected_input() {
    let c = local_client();
    let start = c.start_authorization(JsValue::UNDEFINED).unwrap();
    let pending = get(&start, "pending");
    let bad_values = [
        JsValue::NULL,
        JsValue::UNDEFINED,
        JsValue::from_f64(f64::NAN),
        JsValue::from_str(""),
        JsValue::from_str(&"%".repeat(20_000)),
        JsValue::from_str("\u{0}\u{ffff}\u{1F600}"),
        Array::new().into(),
        Object::new().into(),
        json(r#"{"status":"200","body":5}"#),
        json(r#"{"extraParams":{"state":"x"}}"#),
        json(r#"{"provider":"staging","clientId":"c","redirectUri":"http://evil.test/cb"}"#),
    ];
    for bad in bad_values.iter() {
        let _ = OAuthClient::new(bad.clone());
        instance_still_works();
        let _ = c.start_authorization(bad.clone());
        instance_still_works();
        let _ = c.handle_callback(bad.clone(), pending.clone());
        let _ = c.handle_callback(JsValue::from_str("http://localhost:8787/auth/callback?code=1&state=1"), bad.clone());
        instance_still_works();
        let _ = c.token_request(bad.clone(), bad.clone());
        let _ = c.refresh_request(bad.clone());
        let _ = c.introspection_request(bad.clone(), bad.clone());
        let _ = c.revocation_request(bad.clone(), bad.clone());
        instance_still_works();
        let _ = c.parse_token_response(bad.clone(), bad.clone());
        let _ = code_challenge_s256(bad.clone());
        let _ = pleo_provider(bad.clone());
        instance_still_works();
    }
    // And the client itself still completes a flow afterwards.
    let state = get(&pending, "state").as_string().unwrap();
    let cb = ["http://localhost:8787/auth/callback?code=ok&state=", &state].concat();
    assert!(c.handle_callback(JsValue::from_str(&cb), pending).is_ok());
}

/// The shared vectors for the two functions that need no client set-up,
/// read from the same files as the native and Node harnesses.
#[wasm_bindgen_test]
fn shared_pkce_and_token_response_vectors() {
    let c = local_client();
    let mut ran = 0;
    for text in [include_str!("../vectors/pkce.json"), include_str!("../vectors/token_response.json")] {
        let file = json(text);
        for case in Array::from(&get(&file, "cases")).iter() {
            if get(&case, "js_only").as_bool() == Some(true) || !get(&get(&case, "response"), "body_parts").is_undefined() {
                continue;
            }
            let name = get(&case, "name").as_string().unwrap();
            let expect = get(&case, "expect");
            let result = match get(&case, "op").as_string().unwrap().as_str() {
                "code_challenge" => code_challenge_s256(get(&case, "verifier")).map(JsValue::from),
                _ => {
                    let opts = Object::new();
                    Reflect::set(&opts, &"now".into(), &get(&case, "now")).unwrap();
                    Reflect::set(&opts, &"previous".into(), &get(&case, "previous")).unwrap();
                    c.parse_token_response(get(&case, "response"), opts.into())
                }
            };
            let ok = get(&expect, "ok");
            match result {
                Ok(v) if !ok.is_undefined() => {
                    if ok.as_string().as_deref() != Some("*") {
                        let got = String::from(JSON::stringify(&v).unwrap());
                        let want = String::from(JSON::stringify(&ok).unwrap());
                        // Key order is the same in both: the harness writes it so.
                        assert_eq!(sorted(&got), sorted(&want), "{name}");
                    }
                }
                Err(e) if ok.is_undefined() => {
                    assert_eq!(get(&e, "code").as_string(), get(&expect, "error").as_string(), "{name}");
                }
                _ => panic!("{name}: unexpected outcome"),
            }
            instance_still_works();
            ran += 1;
        }
    }
    assert!(ran > 60, "{ran}");
}

fn sorted(json_text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json_text).unwrap();
    serde_json::to_string(&v).unwrap()
}
