#![cfg(not(target_arch = "wasm32"))]
//! Runs tests/vectors/*.json against the native Rust core. The wasm build
//! reads the same files (tests/wasm.rs) with the same expectations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pleo_oauth::secret::{AccessToken, ClientSecret, CodeVerifier, RefreshToken, State};
use pleo_oauth::{
    AuthorizationOptions, Client, ClientAuth, ClientConfig, Error, HttpResponse,
    PendingAuthorization, PleoEnvironment, Provider, TokenSet, TokenTypeHint,
};
use serde_json::{json, Map, Value};

include!("common/token_at.rs");

const FILES: [(&str, &str); 6] = [
    ("pkce.json", include_str!("vectors/pkce.json")),
    ("config.json", include_str!("vectors/config.json")),
    ("authorize.json", include_str!("vectors/authorize.json")),
    ("callback.json", include_str!("vectors/callback.json")),
    (
        "token_request.json",
        include_str!("vectors/token_request.json"),
    ),
    (
        "token_response.json",
        include_str!("vectors/token_response.json"),
    ),
];

fn config_of(file: &Value, case: &Value) -> Value {
    let mut config = case.get("config").unwrap_or(&file["config"]).clone();
    if let Some(Value::Object(patch)) = case.get("config_patch") {
        let obj = config.as_object_mut().unwrap();
        for (k, v) in patch {
            obj.insert(k.clone(), v.clone());
        }
    }
    config
}

fn opt_str(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn provider(v: &Value) -> Result<Provider, Error> {
    if let Some(name) = v.as_str() {
        return PleoEnvironment::parse(name).map(Provider::pleo);
    }
    Ok(Provider {
        issuer: opt_str(v, "issuer").unwrap(),
        authorization_endpoint: opt_str(v, "authorizationEndpoint").unwrap(),
        token_endpoint: opt_str(v, "tokenEndpoint").unwrap(),
        introspection_endpoint: opt_str(v, "introspectionEndpoint"),
        revocation_endpoint: opt_str(v, "revocationEndpoint"),
        api_base_url: opt_str(v, "apiBaseUrl"),
        iss_parameter_supported: v
            .get("issParameterSupported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

fn client(config: &Value) -> Result<Client, Error> {
    let client_auth = match opt_str(config, "clientAuth") {
        Some(s) => Some(ClientAuth::parse(&s)?),
        None => None,
    };
    Client::new(ClientConfig {
        provider: provider(&config["provider"])?,
        client_id: opt_str(config, "clientId").unwrap(),
        redirect_uri: opt_str(config, "redirectUri").unwrap(),
        scopes: config
            .get("scopes")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
        client_secret: opt_str(config, "clientSecret").map(ClientSecret::new),
        client_auth,
    })
}

fn pending_json(p: &PendingAuthorization) -> Value {
    json!({
        "state": p.state.expose_secret(),
        "codeVerifier": p.code_verifier.expose_secret(),
        "redirectUri": p.redirect_uri,
        "issuer": p.issuer,
        "createdAt": p.created_at,
        "scopes": p.scopes,
    })
}

fn pending_from_json(v: &Value) -> PendingAuthorization {
    PendingAuthorization {
        state: State::new(opt_str(v, "state").unwrap()),
        code_verifier: CodeVerifier::new(opt_str(v, "codeVerifier").unwrap()),
        redirect_uri: opt_str(v, "redirectUri").unwrap(),
        issuer: opt_str(v, "issuer").unwrap(),
        created_at: v["createdAt"].as_u64().unwrap(),
        scopes: v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect(),
    }
}

/// A fresh pending authorization with the case's `pending_patch` applied.
fn pending_for(client: &Client, case: &Value) -> (PendingAuthorization, Value) {
    let start = client
        .start_authorization(AuthorizationOptions::default(), 1_700_000_000_000)
        .unwrap();
    let mut p = pending_json(&start.pending);
    if let Some(Value::Object(patch)) = case.get("pending_patch") {
        for (k, v) in patch {
            p.as_object_mut().unwrap().insert(k.clone(), v.clone());
        }
    }
    (pending_from_json(&p), p)
}

fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn token_set_json(t: &TokenSet) -> Value {
    let mut o = Map::new();
    o.insert("accessToken".into(), json!(t.access_token.expose_secret()));
    o.insert("tokenType".into(), json!("Bearer"));
    if let Some(at) = t.expires_at {
        o.insert("expiresAt".into(), json!(at));
    }
    if let Some(rt) = &t.refresh_token {
        o.insert("refreshToken".into(), json!(rt.expose_secret()));
    }
    if let Some(s) = &t.scope {
        o.insert("scope".into(), json!(s));
    }
    if let Some(at) = t.obtained_at {
        o.insert("obtainedAt".into(), json!(at));
    }
    Value::Object(o)
}

fn token_set_from_json(v: &Value) -> TokenSet {
    TokenSet {
        access_token: AccessToken::new(opt_str(v, "accessToken").unwrap()),
        expires_at: v.get("expiresAt").and_then(Value::as_u64),
        refresh_token: opt_str(v, "refreshToken").map(RefreshToken::new),
        scope: v
            .get("scope")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect()),
        obtained_at: v.get("obtainedAt").and_then(Value::as_u64),
    }
}

/// Expands `body_parts` (strings and `[text, count]` repeats).
fn response_body(response: &Value) -> String {
    if let Some(body) = response.get("body").and_then(Value::as_str) {
        return body.to_owned();
    }
    let mut out = String::new();
    for part in response["body_parts"].as_array().unwrap() {
        match part {
            Value::String(s) => out.push_str(s),
            Value::Array(r) => out.push_str(
                &r[0]
                    .as_str()
                    .unwrap()
                    .repeat(r[1].as_u64().unwrap() as usize),
            ),
            _ => panic!("bad body part"),
        }
    }
    out
}

fn server_json(e: &Error) -> Value {
    let mut o = Map::new();
    if let Some(s) = e.server_error() {
        o.insert("error".into(), json!(s.error));
        if let Some(d) = &s.error_description {
            o.insert("errorDescription".into(), json!(d));
        }
        if let Some(u) = &s.error_uri {
            o.insert("errorUri".into(), json!(u));
        }
        if let Some(st) = s.status {
            o.insert("status".into(), json!(st));
        }
    }
    Value::Object(o)
}

/// Runs one case; returns Ok(json result) or Err(error).
fn run(file: &Value, case: &Value) -> Result<Value, Error> {
    let op = case["op"].as_str().unwrap();
    if op == "code_challenge" {
        let v = pleo_oauth::pkce::parse_verifier(case["verifier"].as_str().unwrap())?;
        return Ok(json!(pleo_oauth::pkce::challenge_s256(&v)));
    }
    let client = client(&config_of(file, case))?;
    match op {
        "client" => Ok(json!({ "clientAuth": client.client_auth().as_str() })),
        "authorize" => {
            let o = &case["options"];
            let options = AuthorizationOptions {
                scopes: o
                    .get("scopes")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect()),
                subject: opt_str(o, "subject"),
                extra_params: o
                    .get("extraParams")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let start = client.start_authorization(options, 0)?;
            Ok(json!({ "url": start.url }))
        }
        "callback" => {
            let (pending, pj) = pending_for(&client, case);
            let state = pj["state"].as_str().unwrap_or("").to_owned();
            let url = case["callback"]
                .as_str()
                .unwrap()
                .replace("{state}", &state)
                .replace("{STATE}", &swap_case(&state))
                .replace(
                    "{iss}",
                    &pleo_oauth::encoding::form::encode(&client.provider().issuer),
                );
            let r = client.handle_callback(&url, &pending)?;
            let mut o = json!({ "code": r.code });
            assert_eq!(r.state, state);
            if let Some(iss) = r.iss {
                o["iss"] = json!(iss);
            }
            Ok(o)
        }
        "token_request" => {
            let token = case["token"].as_str().unwrap();
            let hint = opt_str(case, "hint")
                .map(|h| TokenTypeHint::parse(&h))
                .transpose()?;
            let (req, verifier) = match case["kind"].as_str().unwrap() {
                "code" => {
                    let (pending, pj) = pending_for(&client, case);
                    (
                        client.token_request(token, &pending)?,
                        opt_str(&pj, "codeVerifier"),
                    )
                }
                "refresh" => (client.refresh_request(token)?, None),
                "introspect" => (client.introspection_request(token, hint)?, None),
                "revoke" => (client.revocation_request(token, hint)?, None),
                k => panic!("unknown kind {k}"),
            };
            assert_eq!(req.method, "POST");
            let headers: Map<String, Value> = req
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let body = match verifier {
                Some(v) => req.body.replace(&v, "{verifier}"),
                None => req.body,
            };
            Ok(json!({ "url": req.url, "headers": headers, "body": body }))
        }
        "token_response" => {
            let body = response_body(&case["response"]);
            let status = case["response"]["status"].as_u64().unwrap() as u16;
            let previous = case.get("previous").map(token_set_from_json);
            let now = case["now"].as_u64().unwrap();
            // Through the client, as the package calls it: an omitted scope
            // falls back on the previous one, then the configured scopes.
            let t = client.parse_token_response(
                &HttpResponse {
                    status,
                    body: &body,
                },
                now,
                previous.as_ref(),
                None,
            );
            // The edge's offsets answer exactly as the record path does.
            let prev = previous
                .as_ref()
                .map(pleo_oauth::wasm::shapes::token_set_record);
            offsets_agree(
                &client,
                f64::from(status),
                &body,
                now as f64,
                prev.as_deref(),
                None,
            );
            Ok(token_set_json(&t?))
        }
        other => panic!("unknown op {other}"),
    }
}

fn check(name: &str, case: &Value, result: Result<Value, Error>) {
    let expect = &case["expect"];
    match (expect.get("ok"), result) {
        (Some(ok), Ok(got)) => match case["op"].as_str().unwrap() {
            "authorize" => check_authorize(name, ok, got["url"].as_str().unwrap()),
            _ if ok == "*" => {}
            _ => assert_eq!(&got, ok, "{name}"),
        },
        (Some(_), Err(e)) => panic!("{name}: expected success, got {e}"),
        (None, Ok(got)) => panic!("{name}: expected {expect}, got success {got}"),
        (None, Err(e)) => {
            assert_eq!(
                e.code().as_str(),
                expect["error"].as_str().unwrap(),
                "{name}: {e}"
            );
            if let Some(server) = expect.get("server") {
                assert_eq!(&server_json(&e), server, "{name}");
            }
        }
    }
}

fn check_authorize(name: &str, ok: &Value, url: &str) {
    assert!(
        url.starts_with(ok["prefix"].as_str().unwrap()),
        "{name}: {url}"
    );
    let query = url.split_once('?').unwrap().1;
    let pairs = pleo_oauth::encoding::form::parse(query).unwrap();
    let expected = ok["params"].as_object().unwrap();
    for (k, v) in expected {
        let got = pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_ref());
        match v.as_str().unwrap() {
            "*" => assert!(got.is_some_and(|g| !g.is_empty()), "{name}: {k} missing"),
            exact => assert_eq!(got, Some(exact), "{name}: {k}"),
        }
    }
    // Nothing beyond the expected parameters and the endpoint's own query.
    for (n, _) in &pairs {
        assert!(
            expected.contains_key(n.as_ref()) || n == "tenant",
            "{name}: unexpected {n}"
        );
    }
}

#[test]
fn every_vector_file_passes_natively() {
    let mut ran = 0;
    let mut js_only = 0;
    for (file_name, text) in FILES {
        let file: Value = serde_json::from_str(text).unwrap();
        for case in file["cases"].as_array().unwrap() {
            let name = format!("{file_name}: {}", case["name"].as_str().unwrap());
            if case.get("js_only") == Some(&Value::Bool(true)) {
                js_only += 1;
                continue;
            }
            check(&name, case, run(&file, case));
            ran += 1;
        }
    }
    println!(
        "{ran} vectors passed natively ({js_only} JavaScript-only cases left to the wasm harness)"
    );
    assert!(ran >= 150, "the corpus shrank: {ran}");
}

/// The offsets answer the usual success (else the edge's fast path would
/// silently never run) and leave escapes and carried-over values to the record.
#[test]
fn the_usual_success_crosses_as_offsets() {
    let client = Client::new(ClientConfig {
        provider: Provider::pleo(PleoEnvironment::Staging),
        client_id: "c".into(),
        redirect_uri: "https://p.test/cb".into(),
        scopes: vec!["users:read".into()],
        client_secret: None,
        client_auth: None,
    })
    .unwrap();
    let ok = |body: &str, previous: Option<&str>| {
        offsets_agree(&client, 200.0, body, 1e12, previous, None)
    };
    assert!(ok(
        r#"{"access_token":"eyJ.a-b","token_type":"Bearer","expires_in":3600,"refresh_token":"r","scope":"users:read  export-jobs:read "}"#,
        None
    ));
    assert!(ok(
        r#" { "access_token" : "a" , "token_type" : "bearer" , "expires_in" : "900.5" , "scope" : "" , "id_token" : {"x":[null]} } "#,
        None
    ));
    assert!(!ok(
        r#"{"access_token":"a\/b","token_type":"Bearer","scope":"s"}"#,
        None
    ));
    assert!(!ok(
        r#"{"access_token":"é","token_type":"Bearer","scope":"s"}"#,
        None
    ));
    // No scope: the configured one, which is not in the body.
    assert!(!ok(r#"{"access_token":"a","token_type":"Bearer"}"#, None));
    // No refresh token: the previous one.
    assert!(!ok(
        r#"{"access_token":"a","token_type":"Bearer","scope":"s"}"#,
        Some("[1:a6:Bearer-2:rt-]")
    ));
    let many = [
        "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":\"",
        &"s ".repeat(29),
        "\"}",
    ]
    .concat();
    assert!(!ok(&many, None));
}
