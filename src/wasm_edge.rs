//! The wasm skin of the `edge` feature (webhooks and exports), kept apart
//! from `wasm/` so the browser build has none of it. Like `wasm/exports.rs`
//! it only moves values and hands them to the core, in the same encoding
//! (docs/BOUNDARY.md): strings, bytes and numbers as themselves, objects as
//! records, errors as the error record of `wasm::shapes` grown by
//! `retryAfterMs`, which js/edge.js turns into an `OAuthError` through
//! js/api.js. JSON crosses only where the value is a JSON document by
//! contract: the export run's state (the host persists it), each entry's
//! raw text, Pleo's answers and the validated values made of them.

use crate::error::{Error, ErrorCode};
use crate::export::js as export_js;
use crate::wasm::record::Writer;
use crate::wasm::shapes;
use crate::webhook::{self, WebhookHeaders, WebhookSecret};
use alloc::string::String;
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

fn to_js(e: Error) -> JsValue {
    export_err(e.into())
}

fn export_err(e: crate::export::ExportError) -> JsValue {
    JsValue::from_str(&shapes::error_record_with_retry(&e.error, e.retry_after_ms))
}

use crate::wasm::now_or;

/// The two `verifyWebhook` exports, one per body type, from one declaration:
/// their arguments and checks are written once (in [`verify`]); only the
/// body's conversion to bytes differs. Two exports rather than one taking
/// `Option<String>` and `Option<Vec<u8>>`: that one was 191 B gzipped larger
/// in the edge wasm.
macro_rules! verify_webhook_export {
    ($(#[$doc:meta])* $js:ident, $name:ident, $body:ty, $bytes:expr) => {
        $(#[$doc])*
        #[wasm_bindgen(js_name = $js)]
        #[allow(clippy::too_many_arguments)]
        pub fn $name(
            secret: &str,
            id: Option<String>,
            timestamp: Option<String>,
            signature: Option<String>,
            body: $body,
            now: Option<f64>,
            tolerance_seconds: Option<f64>,
        ) -> JsResult<String> {
            let headers = WebhookHeaders {
                id: id.as_deref(),
                timestamp: timestamp.as_deref(),
                signature: signature.as_deref(),
            };
            verify(secret, headers, $bytes(body), now, tolerance_seconds).map_err(to_js)
        }
    };
}

verify_webhook_export!(
    /// `verifyWebhook` with a string body (signed over its UTF-8 bytes).
    verifyWebhookText,
    verify_webhook_text,
    &str,
    str::as_bytes
);
verify_webhook_export!(
    /// `verifyWebhook` with a byte body (signed exactly as given).
    verifyWebhookBytes,
    verify_webhook_bytes,
    &[u8],
    core::convert::identity
);

fn verify(
    secret: &str,
    headers: WebhookHeaders<'_>,
    body: &[u8],
    now: Option<f64>,
    tolerance_seconds: Option<f64>,
) -> Result<String, Error> {
    let now = time(now)?;
    let tolerance = match tolerance_seconds {
        None => webhook::DEFAULT_TOLERANCE_SECONDS,
        Some(t) if t.is_finite() && (0.0..=1e9).contains(&t) => t as u64,
        Some(_) => {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                "toleranceSeconds must be a non-negative number",
            ))
        }
    };
    let secret = WebhookSecret::parse(secret)?;
    let v = webhook::verify_webhook(&secret, headers, body, now, tolerance)?;
    Ok(webhook_result_record(v.timestamp, v.event_type.as_deref()))
}

/// The verified webhook as `[timestamp, type]` (type absent when the
/// payload has none; the payload itself is the body, parsed in JS).
fn webhook_result_record(timestamp: u64, event_type: Option<&str>) -> String {
    let mut w = Writer::with_capacity(event_type.map_or(0, str::len) + 24);
    w.begin().int(timestamp).opt_str(event_type).end();
    w.finish()
}

// ---- exports ----

fn time(now: Option<f64>) -> Result<u64, Error> {
    export_js::time_ms(now_or(now), "now must be a time in milliseconds")
}

/// `exportRequests.<kind>(opts)`.
#[wasm_bindgen(js_name = exportRequest)]
pub fn export_request(kind: &str, opts: &str, now: Option<f64>) -> JsResult<String> {
    time(now)
        .and_then(|now| export_js::build_request_record(kind, opts, now))
        .map_err(to_js)
}

/// `exportResponses.<kind>(res)`.
#[wasm_bindgen(js_name = exportResponse)]
pub fn export_response(
    kind: &str,
    status: f64,
    retry_after: Option<String>,
    body: &str,
) -> JsResult<String> {
    let res = crate::export::ApiResponse {
        status: export_js::status(status).map_err(to_js)?,
        body,
        retry_after: retry_after.as_deref(),
    };
    export_js::parse_response(kind, &res).map_err(export_err)
}

#[wasm_bindgen(js_name = exportRunStart)]
pub fn export_run_start(opts: &str, now: Option<f64>) -> JsResult<String> {
    let now = time(now).map_err(to_js)?;
    // Jitter seed when the host gives none; drawn inside the call (workerd).
    let seed = crate::random::random_bytes::<4>()
        .map(u32::from_le_bytes)
        .map_err(to_js)?;
    export_js::run_start(opts, now, seed).map_err(to_js)
}

#[wasm_bindgen(js_name = exportRunNext)]
pub fn export_run_next(state: &str, now: Option<f64>) -> JsResult<String> {
    let now = time(now).map_err(to_js)?;
    export_js::run_next_record(state, now).map_err(to_js)
}

#[wasm_bindgen(js_name = exportRunFeed)]
pub fn export_run_feed(
    state: &str,
    status: f64,
    retry_after: Option<String>,
    body: &str,
    now: Option<f64>,
) -> JsResult<String> {
    let now = time(now).map_err(to_js)?;
    let res = crate::export::ApiResponse {
        status: export_js::status(status).map_err(to_js)?,
        body,
        retry_after: retry_after.as_deref(),
    };
    export_js::run_feed(state, &res, now).map_err(to_js)
}

#[wasm_bindgen(js_name = exportRunDelivered)]
pub fn export_run_delivered(state: &str, results: &str, now: Option<f64>) -> JsResult<String> {
    let now = time(now).map_err(to_js)?;
    export_js::run_delivered(state, results, now).map_err(to_js)
}
