//! Webhook verification: Standard Webhooks (standardwebhooks.com), the scheme
//! Pleo signs its deliveries with (`v1.export-job.created`).
//!
//! A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`, a space-separated list of `<version>,<base64>`
//! entries. A `v1` signature is base64(HMAC-SHA256(key, id "." timestamp "."
//! body)) over the **raw** body bytes, keyed with the base64-decoded part of
//! the secret after `whsec_`. Verification happens before the body is parsed
//! (SECURITY.md: no JSON parsing of unauthenticated input), the clock comes
//! from the caller (sans-IO), and the signature is compared in constant time.
//!
//! Order of the checks, each with its code: headers and secret
//! (`invalid_webhook`), timestamp (`webhook_timestamp_out_of_range`),
//! signature (`webhook_signature_mismatch`), then the body must be JSON
//! (`invalid_webhook`). Messages never contain the secret or a signature.

use crate::encoding::base64::decode_standard;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::secret::constant_time_eq;
use alloc::string::String;
use alloc::vec::Vec;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Default tolerance between the delivery's timestamp and the clock, both
/// directions (Standard Webhooks recommends five minutes).
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;

/// Header values longer than this are refused before any work is done.
const MAX_HEADER_LEN: usize = 8 * 1024;

/// The three headers of a delivery, as the host read them (`None` when absent).
#[derive(Clone, Copy, Debug, Default)]
pub struct WebhookHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// The signing key of a subscription, decoded once. `Debug` is redacted.
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl core::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

impl WebhookSecret {
    /// `whsec_<base64>`; the prefix may be absent (Standard Webhooks §
    /// "Signature scheme": the secret is base64 after the optional prefix).
    pub fn parse(secret: &str) -> Result<Self> {
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        match decode_standard(encoded.as_bytes()) {
            Some(key) if !key.is_empty() => Ok(WebhookSecret { key }),
            _ => Err(Error::new(
                ErrorCode::InvalidWebhook,
                "the webhook secret must be \"whsec_\" followed by non-empty base64",
            )),
        }
    }

    /// The `v1` signature of a message: HMAC-SHA256 over `id.timestamp.body`.
    pub fn sign_v1(&self, id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length (RFC 2104 §2), so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => return [0u8; 32],
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// A verified delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedWebhook<'a> {
    pub id: &'a str,
    /// Unix seconds, as signed.
    pub timestamp: u64,
    /// The payload's `eventType` member when it is a string (e.g.
    /// `v1.export-job.created`): Pleo delivers `{data, eventId, eventType}`.
    pub event_type: Option<String>,
    /// The body, checked to be UTF-8 JSON.
    pub body: &'a str,
    pub payload: Value,
}

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidWebhook, message)
}

fn header<'a>(value: Option<&'a str>, missing: &'static str) -> Result<&'a str> {
    match value {
        Some(v) if !v.is_empty() && v.len() <= MAX_HEADER_LEN => Ok(v),
        Some(v) if !v.is_empty() => Err(invalid("a webhook header is too long")),
        _ => Err(invalid(missing)),
    }
}

/// Unix seconds: ASCII digits only, no sign, at most 12 of them (year 33658).
fn parse_timestamp(text: &str) -> Result<u64> {
    let message = "webhook-timestamp must be Unix seconds (digits only)";
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(message));
    }
    text.bytes()
        .try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or_else(|| invalid(message))
}

/// Verifies one delivery against the caller's clock (`now_ms`, milliseconds
/// since the epoch) and tolerance, then parses the body as JSON.
pub fn verify_webhook<'a>(
    secret: &WebhookSecret,
    headers: WebhookHeaders<'a>,
    body: &'a [u8],
    now_ms: u64,
    tolerance_seconds: u64,
) -> Result<VerifiedWebhook<'a>> {
    let id = header(headers.id, "the webhook-id header is missing")?;
    // The id is echoed back to the host and used as a replay key: an HTTP
    // field value (RFC 9110 §5.5) holds no control characters.
    if id.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(invalid("webhook-id contains a control character"));
    }
    let timestamp_text = header(headers.timestamp, "the webhook-timestamp header is missing")?;
    let timestamp = parse_timestamp(timestamp_text)?;
    let signatures = header(headers.signature, "the webhook-signature header is missing")?;
    // Every entry must be `<version>,<value>`; unknown versions are ignored.
    let entries: Vec<(&str, &str)> = signatures
        .split(' ')
        .filter(|e| !e.is_empty())
        .map(|e| e.split_once(','))
        .collect::<Option<_>>()
        .ok_or_else(|| invalid("webhook-signature must be a list of \"v1,<base64>\""))?;
    if entries.is_empty() {
        return Err(invalid(
            "webhook-signature must be a list of \"v1,<base64>\"",
        ));
    }

    // Same rule as the reference implementation: too old when
    // now - ts > tolerance, too new when ts > now + tolerance.
    let now = now_ms / 1000;
    if now.saturating_sub(timestamp) > tolerance_seconds
        || timestamp.saturating_sub(now) > tolerance_seconds
    {
        return Err(Error::new(
            ErrorCode::WebhookTimestampOutOfRange,
            "webhook-timestamp is outside the allowed tolerance",
        ));
    }

    let expected = secret.sign_v1(id, timestamp_text, body);
    // Check every v1 entry (no early exit), each in constant time.
    let mut matched = false;
    for (version, value) in entries {
        if version == "v1" {
            if let Some(given) = decode_standard(value.as_bytes()) {
                matched |= constant_time_eq(&given, &expected);
            }
        }
    }
    if !matched {
        return Err(Error::new(
            ErrorCode::WebhookSignatureMismatch,
            "no v1 webhook signature matches",
        ));
    }

    // Only now is the body looked at.
    let text =
        core::str::from_utf8(body).map_err(|_| invalid("the webhook body is not UTF-8 JSON"))?;
    let payload = json::parse(text).ok_or_else(|| invalid("the webhook body is not JSON"))?;
    let event_type = match payload.get("eventType") {
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    };
    Ok(VerifiedWebhook {
        id,
        timestamp,
        event_type,
        body: text,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published by the Standard Webhooks project (libraries/javascript tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: &str = "1614265330";
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(sig: &'a str) -> WebhookHeaders<'a> {
        WebhookHeaders {
            id: Some(ID),
            timestamp: Some(TS),
            signature: Some(sig),
        }
    }

    fn code(r: Result<VerifiedWebhook<'_>>) -> &'static str {
        r.unwrap_err().code().as_str()
    }

    #[test]
    fn published_vector_verifies_with_and_without_prefix() {
        for secret in [SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
            let s = WebhookSecret::parse(secret).unwrap();
            let v =
                verify_webhook(&s, headers(SIG), BODY.as_bytes(), 1_614_265_330_000, 300).unwrap();
            assert_eq!(v.id, ID);
            assert_eq!(v.timestamp, 1_614_265_330);
            assert_eq!(v.event_type, None);
        }
    }

    #[test]
    fn the_event_type_is_read_from_event_type() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        let body = r#"{"data":{"id":"b4c4d068-ebbe-45b7-b562-2f16f0deb8b9"},"eventId":"a257a31e-e8a6-4c36-a98d-451250e5b5c4","eventType":"v1.export-job.created"}"#;
        let sig = crate::encoding::base64::standard(&s.sign_v1(ID, TS, body.as_bytes()));
        let sig = ["v1,", &sig].concat();
        let v = verify_webhook(&s, headers(&sig), body.as_bytes(), 1_614_265_330_000, 300).unwrap();
        assert_eq!(v.event_type.as_deref(), Some("v1.export-job.created"));
    }

    #[test]
    fn tolerance_is_inclusive_in_both_directions() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        let ts = 1_614_265_330_000u64;
        for now in [ts - 300_000, ts + 300_999] {
            assert!(verify_webhook(&s, headers(SIG), BODY.as_bytes(), now, 300).is_ok());
        }
        for now in [ts - 301_000, ts + 301_000] {
            assert_eq!(
                code(verify_webhook(&s, headers(SIG), BODY.as_bytes(), now, 300)),
                "webhook_timestamp_out_of_range"
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(format!("{s:?}"), "WebhookSecret([redacted])");
    }
}
