#![cfg(all(not(target_arch = "wasm32"), feature = "edge"))]
//! Runs tests/vectors/export.json against the native core, through the same
//! shapes the npm package uses: options and results written as records the
//! way js/edge.js writes them (`record` below), the run state as JSON
//! (tests/js/export-core.test.mjs replays the file through the wasm build).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pleo_oauth::export::js::read::{Shape, Ty, LEDGER_RESULT, REQUEST_OPTIONS, RUN_OPTIONS};
use pleo_oauth::export::js::{
    build_request_record, parse_response, run_delivered, run_feed, run_next_record, run_start,
};
use pleo_oauth::export::ApiResponse;
use pleo_oauth::wasm::record::{decode, Field};
use serde_json::{json, Map, Value};

// The shapes are the crate's own declarations (src/export/js/read.rs): the
// records below are written from them as js/edge.js writes them, and the
// types say where js/edge.js would write `!`.

fn str_record(s: &str) -> String {
    format!("{}:{s}", s.encode_utf16().count())
}

/// A JSON value as js/edge.js writes a field of type `k` (docs/BOUNDARY.md).
fn field_record(v: Option<&Value>, k: Ty) -> String {
    match (v, k) {
        (None | Some(Value::Null), _) => "-".into(),
        (Some(Value::String(s)), Ty::Str) => str_record(s),
        (Some(Value::Number(n)), Ty::Num) => str_record(&n.to_string()),
        (Some(Value::Array(items)), Ty::StrList) => {
            let inner: String = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => str_record(s),
                    Value::Null => "-".into(),
                    _ => "!".into(),
                })
                .collect();
            format!("[{inner}]")
        }
        (Some(Value::Array(items)), Ty::Records(shape)) => {
            let inner: String = items.iter().map(|i| record(i, shape)).collect();
            format!("[{inner}]")
        }
        _ => "!".into(),
    }
}

/// An object as its record in `shape`'s field order; `!` for a non-object.
fn record(v: &Value, shape: Shape) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Object(o) => {
            let inner: String = shape
                .iter()
                .map(|(name, k)| field_record(o.get(*name), *k))
                .collect();
            format!("[{inner}]")
        }
        _ => "!".into(),
    }
}

include!("common/record_json.rs");

/// An HttpRequest record as the object js/api.js's `takeRequest` builds:
/// `{method, url, headers, body?}`.
fn request_object(r: &Value) -> Value {
    let mut headers = Map::new();
    for pair in r[2].as_array().unwrap().chunks(2) {
        headers.insert(pair[0].as_str().unwrap().to_owned(), pair[1].clone());
    }
    let mut o = json!({ "method": r[0], "url": r[1], "headers": headers });
    if !r[3].is_null() {
        o["body"] = r[3].clone();
    }
    o
}

fn number(v: &Value) -> Value {
    json!(v.as_str().unwrap().parse::<u64>().unwrap())
}

/// An action record as the object js/edge.js's `takeAction` builds.
fn action_object(a: &Value) -> Value {
    match a[0].as_str().unwrap() {
        "request" => {
            json!({ "type": "request", "purpose": a[1], "request": request_object(&a[2]) })
        }
        "deliver" => {
            let entries: Vec<Value> = a[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| json!({ "accountingEntryId": e[0], "json": e[1] }))
                .collect();
            json!({ "type": "deliver", "entries": entries })
        }
        "wait" => json!({ "type": "wait", "until": number(&a[1]), "reason": a[2] }),
        _ => {
            let c = &a[2];
            let mut done = json!({
                "type": "done",
                "status": a[1],
                "counts": {
                    "successful": number(&c[0]),
                    "failed": number(&c[1]),
                    "reportErrors": number(&c[2]),
                    "skipped": number(&c[3]),
                },
            });
            if !a[3].is_null() {
                done["error"] = json!({ "code": a[3][0], "message": a[3][1] });
            }
            done
        }
    }
}

/// `exportRequests.<kind>(opts)` as js/edge.js returns it.
fn build_request(kind: &str, opts: &str, now: u64) -> pleo_oauth::Result<Value> {
    build_request_record(kind, opts, now).map(|r| request_object(&record_json(&r)))
}

/// `exportRunNext(state, now)` as js/edge.js returns it: `{state, action}`
/// (the state kept as its JSON text, as the host hands it back).
fn run_next(state: &str, now: u64) -> (String, Value) {
    let step = record_json(&run_next_record(state, now).unwrap());
    (
        step[0].as_str().unwrap().to_owned(),
        action_object(&step[1]),
    )
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/export.json")).unwrap()
}

fn retry_after(res: &Value) -> Option<String> {
    res.get("headers")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| v.as_str().unwrap().to_string())
}

/// Every member of `expected` is in `actual` with the same value (recursively
/// for objects; arrays and scalars compare whole).
fn assert_subset(actual: &Value, expected: &Value, ctx: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{ctx}: no {k} in {actual}"));
                assert_subset(av, ev, &format!("{ctx}.{k}"));
            }
        }
        _ => assert_eq!(actual, expected, "{ctx}"),
    }
}

#[test]
fn request_builders_match_the_vectors() {
    let v = vectors();
    for c in v["requests"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let now = c["opts"].get("now").and_then(Value::as_u64).unwrap_or(0);
        let r = build_request(
            c["kind"].as_str().unwrap(),
            &record(&c["opts"], REQUEST_OPTIONS),
            now,
        );
        match (c.get("expect"), c.get("error")) {
            (Some(e), None) => {
                let got = r.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_subset(&got, e, name);
                assert_eq!(
                    got.get("body").is_some(),
                    e.get("body").is_some(),
                    "{name}: body"
                );
                assert_eq!(got["headers"]["accept"], "application/json", "{name}");
                assert!(
                    got["headers"].get("authorization").is_none(),
                    "{name}: no bearer"
                );
            }
            (None, Some(code)) => assert_eq!(r.unwrap_err().code().as_str(), code, "{name}"),
            _ => panic!("{name}"),
        }
    }
}

#[test]
fn response_validation_matches_the_vectors() {
    let v = vectors();
    for c in v["responses"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let ra = retry_after(&c["res"]);
        let res = ApiResponse {
            status: c["res"]["status"].as_u64().unwrap() as u16,
            body: c["res"]["body"].as_str().unwrap(),
            retry_after: ra.as_deref(),
        };
        let r = parse_response(c["kind"].as_str().unwrap(), &res);
        match (c.get("expect"), c.get("error")) {
            (Some(e), None) => {
                let got: Value =
                    serde_json::from_str(&r.unwrap_or_else(|e| panic!("{name}: {e:?}"))).unwrap();
                assert_eq!(&got, e, "{name}");
            }
            (None, Some(code)) => {
                let e = r.unwrap_err();
                assert_eq!(e.error.code().as_str(), code, "{name}");
                if let Some(s) = c.get("status") {
                    assert_eq!(
                        u64::from(e.error.server_error().unwrap().status.unwrap()),
                        s.as_u64().unwrap(),
                        "{name}"
                    );
                }
                if let Some(t) = c.get("pleoType") {
                    assert_eq!(
                        e.error.server_error().unwrap().error,
                        t.as_str().unwrap(),
                        "{name}"
                    );
                }
                assert_eq!(
                    e.retry_after_ms,
                    c.get("retryAfterMs").and_then(Value::as_u64),
                    "{name}"
                );
            }
            _ => panic!("{name}"),
        }
    }
}

/// Replays one transcript; returns the number of steps checked.
fn replay(run: &Value) -> usize {
    let name = run["name"].as_str().unwrap();
    let mut now = run["start"]["now"].as_u64().unwrap();
    let mut state = run_start(&record(&run["start"], RUN_OPTIONS), now, 1).unwrap();
    for (i, step) in run["steps"].as_array().unwrap().iter().enumerate() {
        let ctx = format!("{name} [step {i}]");
        if let Some(t) = step.get("now") {
            now = t.as_u64().unwrap();
        }
        if let Some(expected) = step.get("next") {
            let (next, action) = run_next(&state, now);
            state = next;
            let action = &action;
            let mut exact = expected.clone();
            let obj = exact.as_object_mut().unwrap();
            let min = obj.remove("untilMin");
            let max = obj.remove("untilMax");
            let request_fields: Vec<&str> = ["method", "url", "body"]
                .into_iter()
                .filter(|k| obj.contains_key(*k))
                .collect();
            for k in request_fields {
                let want = obj.remove(k).unwrap();
                assert_eq!(action["request"][k], want, "{ctx}: request.{k}");
            }
            assert_subset(action, &exact, &ctx);
            if let (Some(min), Some(max)) = (min, max) {
                let until = action["until"].as_u64().unwrap();
                assert!(
                    until >= min.as_u64().unwrap() && until <= max.as_u64().unwrap(),
                    "{ctx}: until {until}"
                );
            }
        }
        if let Some(res) = step.get("feed") {
            let ra = retry_after(res);
            let r = ApiResponse {
                status: res["status"].as_u64().unwrap() as u16,
                body: res["body"].as_str().unwrap(),
                retry_after: ra.as_deref(),
            };
            match (run_feed(&state, &r, now), step.get("error")) {
                (Ok(s), None) => state = s,
                (Err(e), Some(code)) => assert_eq!(e.code().as_str(), code, "{ctx}"),
                (r, _) => panic!("{ctx}: {r:?}"),
            }
        }
        if let Some(results) = step.get("delivered") {
            match (
                run_delivered(
                    &state,
                    &field_record(Some(results), Ty::Records(LEDGER_RESULT)),
                    now,
                ),
                step.get("error"),
            ) {
                (Ok(s), None) => state = s,
                (Err(e), Some(code)) => assert_eq!(e.code().as_str(), code, "{ctx}"),
                (r, _) => panic!("{ctx}: {r:?}"),
            }
        }
        if let Some(expected) = step.get("state") {
            let s: Value = serde_json::from_str(&state).unwrap();
            assert_subset(&s, expected, &ctx);
        }
    }
    run["steps"].as_array().unwrap().len()
}

#[test]
fn run_transcripts_match_the_vectors() {
    let v = vectors();
    let runs = v["runs"].as_array().unwrap();
    assert!(runs.len() >= 20);
    for run in runs {
        replay(run);
    }
}

#[test]
fn every_persisted_state_of_a_transcript_resumes_to_the_same_action() {
    // Resume from each persisted state: a state read back from JSON gives
    // the same next action as the live one (what a restarted host sees).
    let v = vectors();
    for run in v["runs"].as_array().unwrap() {
        let now = run["start"]["now"].as_u64().unwrap();
        let state = run_start(&record(&run["start"], RUN_OPTIONS), now, 1).unwrap();
        let a = run_next_record(&state, now).unwrap();
        let b = run_next_record(&state, now).unwrap();
        assert_eq!(a, b, "{}", run["name"]);
    }
}
