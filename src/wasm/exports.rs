//! The `#[wasm_bindgen]` exports. Strings and numbers cross as themselves,
//! every JS object or array as one record string (see `record`); errors are
//! thrown as the record of `shapes::error_record`, which js/api.js turns
//! into an `OAuthError`. No protocol logic here: each export converts its
//! arguments and calls one `shapes` function.

use super::shapes;
use crate::error::Error;
use crate::pkce;
use crate::provider::Client;
use crate::random;
use alloc::string::String;
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

fn to_js(e: Error) -> JsValue {
    JsValue::from_str(&shapes::error_record(&e))
}

#[wasm_bindgen]
extern "C" {
    /// `Date.now()`. Bound here rather than through `js-sys`, whose runtime
    /// (futures, JSPI task polling) left code and panic strings in the wasm
    /// for this one function: 122 B gzipped (bench/RESULTS.md, "Size").
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

/// The host's clock when the caller passed no `now` (the core never reads one).
pub(crate) fn now_or(now: Option<f64>) -> f64 {
    now.unwrap_or_else(date_now)
}

#[wasm_bindgen(js_name = generateCodeVerifier)]
pub fn generate_code_verifier() -> JsResult<String> {
    pkce::generate_verifier()
        .map(|v| String::from(v.expose_secret()))
        .map_err(to_js)
}

#[wasm_bindgen(js_name = codeChallengeS256)]
pub fn code_challenge_s256(verifier: &str) -> JsResult<String> {
    shapes::code_challenge_s256(verifier).map_err(to_js)
}

#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> JsResult<String> {
    random::random_token().map_err(to_js)
}

#[wasm_bindgen(js_name = pleoProvider)]
pub fn pleo_provider(env: &str) -> JsResult<String> {
    shapes::pleo_provider(env).map_err(to_js)
}

#[wasm_bindgen(js_name = needsRefresh)]
pub fn needs_refresh(token_set: &str, now: Option<f64>, skew_ms: Option<f64>) -> JsResult<bool> {
    shapes::needs_refresh(token_set, now_or(now), skew_ms).map_err(to_js)
}

/// A validated client, held in wasm memory.
#[wasm_bindgen]
pub struct WasmClient {
    client: Client,
}

#[wasm_bindgen]
impl WasmClient {
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> JsResult<WasmClient> {
        shapes::client_from_record(config)
            .map(|client| WasmClient { client })
            .map_err(to_js)
    }

    pub fn provider(&self) -> String {
        shapes::provider_record(self.client.provider())
    }

    #[wasm_bindgen(js_name = startAuthorization)]
    pub fn start_authorization(&self, opts: &str, now: Option<f64>) -> JsResult<String> {
        shapes::start_authorization(&self.client, opts, now_or(now)).map_err(to_js)
    }

    /// The answer is a number (shapes::handle_callback).
    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, url: &str, pending: &str) -> JsResult<f64> {
        shapes::handle_callback(&self.client, url, pending).map_err(to_js)
    }

    #[wasm_bindgen(js_name = tokenRequest)]
    pub fn token_request(&self, code: &str, pending: &str) -> JsResult<String> {
        shapes::token_request(&self.client, code, pending).map_err(to_js)
    }

    #[wasm_bindgen(js_name = refreshRequest)]
    pub fn refresh_request(&self, refresh_token: &str) -> JsResult<String> {
        shapes::refresh_request(&self.client, refresh_token).map_err(to_js)
    }

    #[wasm_bindgen(js_name = introspectionRequest)]
    pub fn introspection_request(&self, token: &str, hint: Option<String>) -> JsResult<String> {
        shapes::introspection_request(&self.client, token, hint.as_deref()).map_err(to_js)
    }

    #[wasm_bindgen(js_name = revocationRequest)]
    pub fn revocation_request(&self, token: &str, hint: Option<String>) -> JsResult<String> {
        shapes::revocation_request(&self.client, token, hint.as_deref()).map_err(to_js)
    }

    #[wasm_bindgen(js_name = parseTokenResponse)]
    pub fn parse_token_response(
        &self,
        status: f64,
        body: &str,
        now: Option<f64>,
        previous: Option<String>,
        pending: Option<String>,
    ) -> JsResult<String> {
        shapes::parse_token_response(
            &self.client,
            status,
            body,
            now_or(now),
            previous.as_deref(),
            pending.as_deref(),
        )
        .map_err(to_js)
    }
}

/// The edge's buffers in the wasm memory, over which js/api.js keeps typed
/// arrays (made again when the memory grows): `input` is where JS writes a
/// call's text (`encodeInto`, no allocation, no copy by the glue: a token
/// response's ASCII body, or a pending record followed by a callback URL),
/// `at` where the core writes the TokenSet offsets
/// (`shapes::token_set_at`).
#[cfg(feature = "edge")]
struct Io {
    input: core::cell::UnsafeCell<[u8; INPUT_LEN]>,
    at: core::cell::UnsafeCell<[f64; shapes::TOKEN_AT_LEN]>,
}

/// Texts up to this size take the buffer; larger ones the plain crossing.
#[cfg(feature = "edge")]
const INPUT_LEN: usize = 20 * 1024;

// SAFETY: wasm32-unknown-unknown without the atomics feature runs one thread.
#[cfg(feature = "edge")]
unsafe impl Sync for Io {}

#[cfg(feature = "edge")]
static IO: Io = Io {
    input: core::cell::UnsafeCell::new([0; INPUT_LEN]),
    at: core::cell::UnsafeCell::new([0.0; shapes::TOKEN_AT_LEN]),
};

/// The `len` bytes JS wrote to `input()`, as text (`None`: not UTF-8, which
/// `encodeInto` never writes).
#[cfg(feature = "edge")]
fn input(len: usize) -> Option<&'static str> {
    // SAFETY: one thread, and the only reference to the buffer while it
    // lives (JS writes between calls).
    let input = unsafe { &*IO.input.get() };
    input.get(..len).and_then(|b| core::str::from_utf8(b).ok())
}

/// An error as `parseTokenResponseIn` and `handleCallbackIn` answer it: `!`
/// and the error record.
/// Kept out of the export (inlined, it made the usual success ~30 ns slower).
#[cfg(feature = "edge")]
#[inline(never)]
fn marked_error(e: &Error) -> JsValue {
    JsValue::from_str(&["!", &shapes::error_record(e)].concat())
}

#[cfg(feature = "edge")]
#[wasm_bindgen]
impl WasmClient {
    /// `parseTokenResponse` of the `len`-byte body JS wrote to `input()`:
    /// `undefined` when its token set is in `tokenAt()` as offsets into the
    /// body, else the TokenSet record, or for an error `!` and the error
    /// record (`null`: not an ASCII body). One value back, a single
    /// `externref`: a `Result` would come back as a multi-value array on
    /// every call (+110 ns measured).
    #[wasm_bindgen(js_name = parseTokenResponseIn)]
    pub fn parse_token_response_in(
        &self,
        status: f64,
        len: usize,
        now: f64,
        previous: Option<String>,
        pending: Option<String>,
    ) -> JsValue {
        let Some(body) = input(len) else {
            return JsValue::NULL;
        };
        // SAFETY: one thread, and the only reference to the offsets while
        // it lives (JS reads them between calls).
        let out = unsafe { &mut *IO.at.get() };
        match shapes::token_set_at(
            &self.client,
            status,
            body,
            now,
            previous.as_deref(),
            pending.as_deref(),
            out,
        ) {
            Ok(None) => JsValue::UNDEFINED,
            Ok(Some(record)) => JsValue::from_str(&record),
            Err(e) => marked_error(&e),
        }
    }

    /// `handleCallback` of the pending record followed by the callback URL,
    /// the `len` bytes JS wrote to `input()`: the answer number of
    /// `shapes::handle_callback`, or `!` and the error record (`null`: not
    /// UTF-8). One value back, like `parseTokenResponseIn`.
    #[wasm_bindgen(js_name = handleCallbackIn)]
    pub fn handle_callback_in(&self, len: usize) -> JsValue {
        match input(len).map(|text| shapes::handle_callback_in(&self.client, text)) {
            None => JsValue::NULL,
            Some(Ok(at)) => JsValue::from_f64(at),
            Some(Err(e)) => marked_error(&e),
        }
    }

    /// The address of the input buffer in the wasm memory...
    #[wasm_bindgen(js_name = input)]
    pub fn input(&self) -> *const u8 {
        IO.input.get().cast_const().cast()
    }

    /// ...and its length in bytes.
    #[wasm_bindgen(js_name = inputLen)]
    pub fn input_len(&self) -> usize {
        INPUT_LEN
    }

    /// The address of the TokenSet offsets in the wasm memory...
    #[wasm_bindgen(js_name = tokenAt)]
    pub fn token_at(&self) -> *const f64 {
        IO.at.get().cast_const().cast()
    }

    /// ...and their number.
    #[wasm_bindgen(js_name = tokenAtLen)]
    pub fn token_at_len(&self) -> usize {
        shapes::TOKEN_AT_LEN
    }

    /// The wasm memory (`WebAssembly.Memory`), for the views over the buffers.
    #[wasm_bindgen(js_name = memory)]
    pub fn memory(&self) -> JsValue {
        wasm_bindgen::memory()
    }
}
