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

    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, url: &str, pending: &str) -> JsResult<String> {
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

/// Where the edge's `parseTokenResponseAt` writes the TokenSet offsets
/// (`shapes::write_token_at`); js/api.js reads them through a Float64Array
/// over the wasm memory, made once (again after the memory grows).
#[cfg(feature = "edge")]
static TOKEN_AT: TokenAt = TokenAt(core::cell::UnsafeCell::new([0.0; shapes::TOKEN_AT_LEN]));

#[cfg(feature = "edge")]
struct TokenAt(core::cell::UnsafeCell<[f64; shapes::TOKEN_AT_LEN]>);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs one thread.
#[cfg(feature = "edge")]
unsafe impl Sync for TokenAt {}

#[cfg(feature = "edge")]
#[wasm_bindgen]
impl WasmClient {
    /// `parseTokenResponse` with the success as TokenSet offsets into the
    /// body: `undefined` when they are in `tokenAt()`, else the record.
    #[wasm_bindgen(js_name = parseTokenResponseAt)]
    pub fn parse_token_response_at(
        &self,
        status: f64,
        body: &str,
        now: Option<f64>,
        previous: Option<String>,
        pending: Option<String>,
    ) -> JsResult<Option<String>> {
        // SAFETY: one thread, and this is the one reference to TOKEN_AT
        // while it lives (JS reads the memory between calls).
        let out = unsafe { &mut *TOKEN_AT.0.get() };
        shapes::parse_token_response_at(
            &self.client,
            status,
            body,
            now_or(now),
            previous.as_deref(),
            pending.as_deref(),
            out,
        )
        .map_err(to_js)
    }

    /// The address of the TokenSet offsets in the wasm memory.
    #[wasm_bindgen(js_name = tokenAt)]
    pub fn token_at(&self) -> *const f64 {
        TOKEN_AT.0.get().cast_const().cast()
    }

    /// The wasm memory (`WebAssembly.Memory`), for the view over the offsets.
    #[wasm_bindgen(js_name = tokenAtMemory)]
    pub fn token_at_memory(&self) -> JsValue {
        wasm_bindgen::memory()
    }
}
