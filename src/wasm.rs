//! The wasm skin: `#[wasm_bindgen]` exports that move strings and numbers
//! across the boundary and hand them to the core (through `js_api`, which
//! converts the JSON shapes). Errors cross as the JSON of `js_api::error_json`;
//! the package's JS wrapper (js/api.js) turns them into `OAuthError`s.

use crate::error::Error;
use crate::js_api;
use crate::pkce;
use crate::provider::Client;
use crate::random;
use alloc::string::String;
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

fn to_js(e: Error) -> JsValue {
    JsValue::from_str(&js_api::error_json(&e))
}

fn now_or(now: Option<f64>) -> f64 {
    now.unwrap_or_else(js_sys::Date::now)
}

#[wasm_bindgen(js_name = generateCodeVerifier)]
pub fn generate_code_verifier() -> JsResult<String> {
    pkce::generate_verifier()
        .map(|v| String::from(v.expose_secret()))
        .map_err(to_js)
}

#[wasm_bindgen(js_name = codeChallengeS256)]
pub fn code_challenge_s256(verifier: &str) -> JsResult<String> {
    js_api::code_challenge_s256(verifier).map_err(to_js)
}

#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> JsResult<String> {
    random::random_token().map_err(to_js)
}

#[wasm_bindgen(js_name = pleoProvider)]
pub fn pleo_provider(env: &str) -> JsResult<String> {
    js_api::pleo_provider_json(env).map_err(to_js)
}

#[wasm_bindgen(js_name = needsRefresh)]
pub fn needs_refresh(token_set: &str, now: Option<f64>, skew_ms: Option<f64>) -> JsResult<bool> {
    js_api::needs_refresh(token_set, now_or(now), skew_ms).map_err(to_js)
}

#[wasm_bindgen(js_name = parseTokenResponse)]
pub fn parse_token_response(
    status: f64,
    body: &str,
    now: Option<f64>,
    previous: Option<String>,
) -> JsResult<String> {
    js_api::parse_token_response_json(status, body, now_or(now), previous.as_deref()).map_err(to_js)
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
        js_api::client_from_json(config)
            .map(|client| WasmClient { client })
            .map_err(to_js)
    }

    pub fn provider(&self) -> String {
        js_api::provider_json(self.client.provider())
    }

    #[wasm_bindgen(js_name = startAuthorization)]
    pub fn start_authorization(&self, opts: &str, now: Option<f64>) -> JsResult<String> {
        js_api::start_authorization(&self.client, opts, now_or(now)).map_err(to_js)
    }

    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, url: &str, pending: &str) -> JsResult<String> {
        js_api::handle_callback(&self.client, url, pending).map_err(to_js)
    }

    #[wasm_bindgen(js_name = tokenRequest)]
    pub fn token_request(&self, code: &str, pending: &str) -> JsResult<String> {
        js_api::token_request(&self.client, code, pending).map_err(to_js)
    }

    #[wasm_bindgen(js_name = refreshRequest)]
    pub fn refresh_request(&self, refresh_token: &str) -> JsResult<String> {
        js_api::refresh_request(&self.client, refresh_token).map_err(to_js)
    }

    #[wasm_bindgen(js_name = introspectionRequest)]
    pub fn introspection_request(&self, token: &str, hint: Option<String>) -> JsResult<String> {
        js_api::introspection_request(&self.client, token, hint.as_deref()).map_err(to_js)
    }

    #[wasm_bindgen(js_name = revocationRequest)]
    pub fn revocation_request(&self, token: &str, hint: Option<String>) -> JsResult<String> {
        js_api::revocation_request(&self.client, token, hint.as_deref()).map_err(to_js)
    }
}
