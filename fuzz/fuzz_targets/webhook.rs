//! Webhook verification: `verify_webhook` with arbitrary secrets, headers,
//! bodies and clocks. Half the inputs carry a correct signature (computed
//! here), so the fuzzer reaches the timestamp and JSON checks behind it.
//! Invariants: no panic; only the three webhook codes; a correctly signed,
//! in-range, well-formed delivery with a JSON body verifies; an accepted
//! delivery is in range and its body parses with serde_json too; messages
//! never show the secret or a signature.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pleo_oauth::webhook::{verify_webhook, WebhookHeaders, WebhookSecret};
use pleo_oauth::ErrorCode;

#[derive(Arbitrary, Debug)]
struct Input {
    sign_correctly: bool,
    with_prefix: bool,
    key: Vec<u8>,
    /// Seconds between the clock and the timestamp (either direction).
    skew: i16,
    tolerance: u16,
    id: Option<String>,
    timestamp_override: Option<String>,
    extra_signatures: Vec<String>,
    raw_secret: Option<String>,
    body: Vec<u8>,
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fuzz_target!(|input: Input| {
    let now_s: u64 = 1_796_056_834;
    let ts_s = (now_s as i64 + i64::from(input.skew)) as u64;
    let timestamp = input
        .timestamp_override
        .clone()
        .unwrap_or_else(|| ts_s.to_string());
    let secret_text = match &input.raw_secret {
        Some(s) => s.clone(),
        None => {
            let encoded = b64(&input.key);
            if input.with_prefix {
                format!("whsec_{encoded}")
            } else {
                encoded
            }
        }
    };
    let id = input.id.clone();
    let mut signature = input.extra_signatures.join(" ");
    let parsed_secret = WebhookSecret::parse(&secret_text);
    if input.sign_correctly {
        if let (Ok(s), Some(id)) = (&parsed_secret, &id) {
            let mac = s.sign_v1(id, &timestamp, &input.body);
            signature = format!("{signature} v1,{}", b64(&mac));
        }
    }
    let headers = WebhookHeaders {
        id: id.as_deref(),
        timestamp: Some(&timestamp),
        signature: Some(&signature),
    };
    let tolerance = u64::from(input.tolerance);
    let result = parsed_secret
        .and_then(|s| verify_webhook(&s, headers, &input.body, now_s * 1000 + 500, tolerance));
    match result {
        Ok(v) => {
            assert!(
                v.timestamp.abs_diff(now_s) <= tolerance,
                "out of range accepted"
            );
            assert!(
                serde_json::from_slice::<serde_json::Value>(&input.body).is_ok(),
                "non-JSON accepted"
            );
            assert_eq!(Some(v.id), id.as_deref());
        }
        Err(e) => {
            assert!(
                matches!(
                    e.code(),
                    ErrorCode::InvalidWebhook
                        | ErrorCode::WebhookTimestampOutOfRange
                        | ErrorCode::WebhookSignatureMismatch
                ),
                "unexpected code {:?}",
                e.code()
            );
            let shown = format!("{} {:?}", e, e);
            let key = secret_text.trim_start_matches("whsec_");
            if input.raw_secret.is_none() {
                assert!(
                    key.len() < 8 || !shown.contains(key),
                    "message shows the secret"
                );
            }
            // Signature values (base64 of 32 bytes); other fuzzed text may
            // coincide with words of a message.
            for part in signature
                .split(' ')
                .filter_map(|p| p.split_once(','))
                .map(|(_, s)| s)
            {
                if part.len() == 44 && part.ends_with('=') {
                    assert!(!shown.contains(part), "message shows a signature");
                }
            }
            // A correct signature on a well-formed, in-range delivery never mismatches.
            let well_formed = input.sign_correctly
                && input.timestamp_override.is_none()
                && input.raw_secret.is_none()
                && !input.key.is_empty()
                && id.as_deref().is_some_and(|i| {
                    !i.is_empty() && i.len() <= 8192 && !i.bytes().any(|b| b < 0x20 || b == 0x7f)
                })
                && input
                    .extra_signatures
                    .iter()
                    .all(|s| s.split(' ').all(|e| e.is_empty() || e.contains(',')))
                && signature.len() <= 8192;
            if well_formed && u64::from(input.skew.unsigned_abs()) <= tolerance && input.skew >= -1
            {
                assert_ne!(
                    e.code(),
                    ErrorCode::WebhookSignatureMismatch,
                    "a correct signature was refused"
                );
                assert_ne!(
                    e.code(),
                    ErrorCode::WebhookTimestampOutOfRange,
                    "an in-range timestamp was refused"
                );
            }
        }
    }
});
