#![cfg(all(not(target_arch = "wasm32"), feature = "edge"))]
//! Runs tests/vectors/webhook.json against the native core; the npm package
//! runs the same file (tests/js/webhook.test.mjs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64_crate::Engine;
use pleo_oauth::webhook::{
    verify_webhook, WebhookHeaders, WebhookSecret, DEFAULT_TOLERANCE_SECONDS,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/webhook.json")).unwrap()
}

fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str().unwrap())
}

#[test]
fn published_standard_webhooks_signatures_are_reproduced() {
    let v = vectors();
    let published = v["published"].as_array().unwrap();
    assert!(published.len() >= 2);
    for p in published {
        let secret = WebhookSecret::parse(p["secret"].as_str().unwrap()).unwrap();
        let ts = p["timestamp"].as_u64().unwrap().to_string();
        let mac = secret.sign_v1(
            p["id"].as_str().unwrap(),
            &ts,
            p["body"].as_str().unwrap().as_bytes(),
        );
        let sig = format!(
            "v1,{}",
            base64_crate::engine::general_purpose::STANDARD.encode(mac)
        );
        assert_eq!(sig, p["signature"].as_str().unwrap(), "{}", p["name"]);
    }
}

#[test]
fn every_webhook_vector_gives_its_result_or_code() {
    let v = vectors();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let body: Vec<u8> = match (c.get("body"), c.get("bodyBase64")) {
            (Some(b), _) => b.as_str().unwrap().as_bytes().to_vec(),
            (None, Some(b)) => base64_crate::engine::general_purpose::STANDARD
                .decode(b.as_str().unwrap())
                .unwrap(),
            _ => panic!("{name}: no body"),
        };
        let headers = WebhookHeaders {
            id: header(&c["headers"], "webhook-id"),
            timestamp: header(&c["headers"], "webhook-timestamp"),
            signature: header(&c["headers"], "webhook-signature"),
        };
        let tolerance = c
            .get("toleranceSeconds")
            .map_or(DEFAULT_TOLERANCE_SECONDS, |t| t.as_u64().unwrap());
        let now = c["now"].as_u64().unwrap();
        let result = WebhookSecret::parse(c["secret"].as_str().unwrap()).and_then(|s| {
            verify_webhook(&s, headers, &body, now, tolerance)
                .map(|v| (v.id.to_string(), v.timestamp, v.event_type.clone()))
        });
        match (c.get("expect"), c.get("error")) {
            (Some(expect), None) => {
                let (id, ts, ty) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(id, expect["id"].as_str().unwrap(), "{name}");
                assert_eq!(ts, expect["timestamp"].as_u64().unwrap(), "{name}");
                assert_eq!(
                    ty.as_deref(),
                    expect.get("type").map(|t| t.as_str().unwrap()),
                    "{name}"
                );
            }
            (None, Some(code)) => {
                let e = result.err().unwrap_or_else(|| panic!("{name}: verified"));
                assert_eq!(e.code().as_str(), code.as_str().unwrap(), "{name}");
                // Messages never carry the secret or a signature.
                let sig = header(&c["headers"], "webhook-signature").unwrap_or("-");
                for part in sig
                    .split(' ')
                    .filter_map(|e| e.split_once(','))
                    .map(|(_, s)| s)
                {
                    assert!(part.len() < 8 || !e.message().contains(part), "{name}");
                }
                let secret = c["secret"].as_str().unwrap().trim_start_matches("whsec_");
                assert!(secret.len() < 8 || !e.message().contains(secret), "{name}");
            }
            _ => panic!("{name}: needs expect or error"),
        }
    }
}

#[test]
fn a_failed_verification_leaves_nothing_behind() {
    // Verification is a pure function: a valid delivery still verifies after
    // every kind of failure (the wasm instance test is in the JS suite).
    let v = vectors();
    let cases = v["cases"].as_array().unwrap();
    let good = cases
        .iter()
        .find(|c| c.get("expect").is_some() && c["headers"].get("webhook-id").is_some())
        .unwrap();
    let secret = WebhookSecret::parse(good["secret"].as_str().unwrap()).unwrap();
    let headers = WebhookHeaders {
        id: header(&good["headers"], "webhook-id"),
        timestamp: header(&good["headers"], "webhook-timestamp"),
        signature: header(&good["headers"], "webhook-signature"),
    };
    let body = good["body"].as_str().unwrap().as_bytes();
    let now = good["now"].as_u64().unwrap();
    for _ in 0..3 {
        assert!(verify_webhook(&secret, WebhookHeaders::default(), body, now, 300).is_err());
        assert!(verify_webhook(&secret, headers, b"{}", now, 300).is_err());
        assert!(verify_webhook(&secret, headers, body, now, 300).is_ok());
    }
}
