//! The wasm skin: converts JS values to core types and core errors to JS
//! `OAuthError`s. It holds no protocol logic: every decision is made in the
//! core modules.

use crate::authorization::{AuthorizationOptions, PendingAuthorization, MAX_TIME_MS};
use crate::error::{Error, ErrorCode};
use crate::pkce;
use crate::provider::{Client, ClientAuth, ClientConfig, PleoEnvironment, Provider};
use crate::random;
use crate::secret::{AccessToken, ClientSecret, CodeVerifier, RefreshToken, State};
use crate::token_request::{HttpRequest, TokenTypeHint};
use crate::token_response::{parse_token_response, HttpResponse};
use crate::token_set::TokenSet;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

type JsResult<T> = Result<T, JsValue>;

/// A core error as a thrown JS `Error` with `name === "OAuthError"`, a
/// stable `code`, and the server's `error`, `errorDescription`, `errorUri`
/// and `status` where they apply.
fn to_js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(e.message());
    err.set_name("OAuthError");
    set(&err, "code", &JsValue::from_str(e.code().as_str()));
    if let Some(server) = e.server_error() {
        set(&err, "error", &JsValue::from_str(&server.error));
        if let Some(d) = &server.error_description {
            set(&err, "errorDescription", &JsValue::from_str(d));
        }
        if let Some(u) = &server.error_uri {
            set(&err, "errorUri", &JsValue::from_str(u));
        }
        if let Some(s) = server.status {
            set(&err, "status", &JsValue::from(s));
        }
    }
    err.into()
}

fn js_err(code: ErrorCode, message: &'static str) -> JsValue {
    to_js_error(Error::new(code, message))
}

fn set(target: &JsValue, name: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

fn set_str(target: &JsValue, name: &str, value: &str) {
    set(target, name, &JsValue::from_str(value));
}

fn get(obj: &JsValue, name: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    // A throwing getter or proxy reads as absent; validation then reports it.
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Reads an optional string member; `null` and `undefined` are absent
/// when `null_is_absent`.
fn opt_string(
    obj: &JsValue,
    name: &str,
    code: ErrorCode,
    message: &'static str,
    null_is_absent: bool,
) -> JsResult<Option<String>> {
    let v = get(obj, name);
    if v.is_undefined() || (null_is_absent && v.is_null()) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| js_err(code, message))
}

fn req_string(
    obj: &JsValue,
    name: &str,
    code: ErrorCode,
    message: &'static str,
) -> JsResult<String> {
    opt_string(obj, name, code, message, false)?.ok_or_else(|| js_err(code, message))
}

fn string_arg(v: &JsValue, message: &'static str) -> JsResult<String> {
    v.as_string()
        .ok_or_else(|| js_err(ErrorCode::InvalidInput, message))
}

fn string_array(v: &JsValue, code: ErrorCode, message: &'static str) -> JsResult<Vec<String>> {
    if !Array::is_array(v) {
        return Err(js_err(code, message));
    }
    Array::from(v)
        .iter()
        .map(|item| item.as_string().ok_or_else(|| js_err(code, message)))
        .collect()
}

fn to_string_array(items: &[String]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

/// A time in milliseconds: `undefined` means now.
fn time_ms(v: &JsValue, message: &'static str) -> JsResult<u64> {
    if v.is_undefined() {
        return Ok(js_sys::Date::now() as u64);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 && n <= MAX_TIME_MS as f64 => Ok(n as u64),
        _ => Err(js_err(ErrorCode::InvalidInput, message)),
    }
}

// ---- providers ----

fn provider_to_js(p: &Provider) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "issuer", &p.issuer);
    set_str(&o, "authorizationEndpoint", &p.authorization_endpoint);
    set_str(&o, "tokenEndpoint", &p.token_endpoint);
    for (name, value) in [
        ("introspectionEndpoint", &p.introspection_endpoint),
        ("revocationEndpoint", &p.revocation_endpoint),
        ("apiBaseUrl", &p.api_base_url),
    ] {
        if let Some(v) = value {
            set_str(&o, name, v);
        }
    }
    set(
        &o,
        "issParameterSupported",
        &JsValue::from_bool(p.iss_parameter_supported),
    );
    o
}

fn provider_from_js(v: &JsValue) -> JsResult<Provider> {
    if let Some(name) = v.as_string() {
        return PleoEnvironment::parse(&name)
            .map(Provider::pleo)
            .map_err(to_js_error);
    }
    if !v.is_object() {
        return Err(js_err(
            ErrorCode::InvalidConfig,
            "provider must be \"staging\", \"production\" or a provider object",
        ));
    }
    let c = ErrorCode::InvalidConfig;
    let iss = get(v, "issParameterSupported");
    let iss_parameter_supported = if iss.is_undefined() || iss.is_null() {
        false
    } else {
        iss.as_bool()
            .ok_or_else(|| js_err(c, "provider.issParameterSupported must be a boolean"))?
    };
    Ok(Provider {
        issuer: req_string(v, "issuer", c, "provider.issuer must be a string")?,
        authorization_endpoint: req_string(
            v,
            "authorizationEndpoint",
            c,
            "provider.authorizationEndpoint must be a string",
        )?,
        token_endpoint: req_string(
            v,
            "tokenEndpoint",
            c,
            "provider.tokenEndpoint must be a string",
        )?,
        introspection_endpoint: opt_string(
            v,
            "introspectionEndpoint",
            c,
            "provider.introspectionEndpoint must be a string",
            true,
        )?,
        revocation_endpoint: opt_string(
            v,
            "revocationEndpoint",
            c,
            "provider.revocationEndpoint must be a string",
            true,
        )?,
        api_base_url: opt_string(
            v,
            "apiBaseUrl",
            c,
            "provider.apiBaseUrl must be a string",
            true,
        )?,
        iss_parameter_supported,
    })
}

// ---- pending authorizations and token sets ----

fn pending_to_js(p: &PendingAuthorization) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "state", p.state.expose_secret());
    set_str(&o, "codeVerifier", p.code_verifier.expose_secret());
    set_str(&o, "redirectUri", &p.redirect_uri);
    set_str(&o, "issuer", &p.issuer);
    set(&o, "createdAt", &JsValue::from_f64(p.created_at as f64));
    set(&o, "scopes", &to_string_array(&p.scopes));
    o
}

fn pending_from_js(v: &JsValue) -> JsResult<PendingAuthorization> {
    let c = ErrorCode::InvalidInput;
    if !v.is_object() {
        return Err(js_err(
            c,
            "pending must be the object returned by startAuthorization",
        ));
    }
    let created = get(v, "createdAt");
    let created_at = match created.as_f64() {
        Some(n)
            if n.is_finite() && n >= 0.0 && n <= MAX_TIME_MS as f64 && n == (n as u64) as f64 =>
        {
            n as u64
        }
        _ => {
            return Err(js_err(
                c,
                "pending.createdAt must be a time in milliseconds",
            ))
        }
    };
    let scopes = get(v, "scopes");
    let scopes = if scopes.is_undefined() {
        Vec::new()
    } else {
        string_array(&scopes, c, "pending.scopes must be an array of strings")?
    };
    Ok(PendingAuthorization {
        state: State::new(req_string(v, "state", c, "pending.state must be a string")?),
        code_verifier: CodeVerifier::new(req_string(
            v,
            "codeVerifier",
            c,
            "pending.codeVerifier must be a string",
        )?),
        redirect_uri: req_string(v, "redirectUri", c, "pending.redirectUri must be a string")?,
        issuer: req_string(v, "issuer", c, "pending.issuer must be a string")?,
        created_at,
        scopes,
    })
}

fn token_set_to_js(t: &TokenSet) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "accessToken", t.access_token.expose_secret());
    set_str(&o, "tokenType", "Bearer");
    if let Some(at) = t.expires_at {
        set(&o, "expiresAt", &JsValue::from_f64(at as f64));
    }
    if let Some(rt) = &t.refresh_token {
        set_str(&o, "refreshToken", rt.expose_secret());
    }
    if let Some(scope) = &t.scope {
        set(&o, "scope", &to_string_array(scope));
    }
    o
}

fn token_set_from_js(v: &JsValue, what: &'static str) -> JsResult<TokenSet> {
    let c = ErrorCode::InvalidInput;
    if !v.is_object() {
        return Err(js_err(c, what));
    }
    let access_token = req_string(v, "accessToken", c, what)?;
    let expires = get(v, "expiresAt");
    let expires_at = if expires.is_undefined() || expires.is_null() {
        None
    } else {
        match expires.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n <= MAX_TIME_MS as f64 => Some(n as u64),
            _ => return Err(js_err(c, what)),
        }
    };
    let scope = get(v, "scope");
    let scope = if scope.is_undefined() || scope.is_null() {
        None
    } else {
        Some(string_array(&scope, c, what)?)
    };
    Ok(TokenSet {
        access_token: AccessToken::new(access_token),
        expires_at,
        refresh_token: opt_string(v, "refreshToken", c, what, true)?.map(RefreshToken::new),
        scope,
    })
}

fn http_request_to_js(r: HttpRequest) -> JsValue {
    let o: JsValue = Object::new().into();
    set_str(&o, "method", r.method);
    set_str(&o, "url", &r.url);
    let headers: JsValue = Object::new().into();
    for (name, value) in &r.headers {
        set_str(&headers, name, value);
    }
    set(&o, "headers", &headers);
    set_str(&o, "body", &r.body);
    o
}

fn hint_from_js(v: &JsValue) -> JsResult<Option<TokenTypeHint>> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let s = string_arg(v, "hint must be \"access_token\" or \"refresh_token\"")?;
    TokenTypeHint::parse(&s).map(Some).map_err(to_js_error)
}

// ---- exported functions ----

/// A fresh PKCE code verifier: 32 CSPRNG bytes, base64url (43 characters).
#[wasm_bindgen(js_name = generateCodeVerifier)]
pub fn generate_code_verifier() -> JsResult<String> {
    pkce::generate_verifier()
        .map(|v| v.expose_secret().to_owned())
        .map_err(to_js_error)
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
#[wasm_bindgen(js_name = codeChallengeS256)]
pub fn code_challenge_s256(verifier: JsValue) -> JsResult<String> {
    let v = string_arg(&verifier, "verifier must be a string")?;
    let v = pkce::parse_verifier(&v).map_err(to_js_error)?;
    Ok(pkce::challenge_s256(&v))
}

/// A fresh `state`: 256 bits from the CSPRNG, base64url.
#[wasm_bindgen(js_name = generateState)]
pub fn generate_state() -> JsResult<String> {
    random::random_token().map_err(to_js_error)
}

/// Pleo's provider preset for `"staging"` or `"production"`.
#[wasm_bindgen(js_name = pleoProvider)]
pub fn pleo_provider(env: JsValue) -> JsResult<JsValue> {
    let name = env.as_string().ok_or_else(|| {
        js_err(
            ErrorCode::InvalidConfig,
            "env must be \"staging\" or \"production\"",
        )
    })?;
    let env = PleoEnvironment::parse(&name).map_err(to_js_error)?;
    Ok(provider_to_js(&Provider::pleo(env)))
}

/// True when the token set's access token expires within `skewMs`
/// (default 30 000) of `now` (default `Date.now()`).
#[wasm_bindgen(js_name = needsRefresh)]
pub fn needs_refresh(token_set: JsValue, opts: JsValue) -> JsResult<bool> {
    let t = token_set_from_js(&token_set, "tokenSet must be a TokenSet")?;
    let now = time_ms(
        &get(&opts, "now"),
        "opts.now must be a time in milliseconds",
    )?;
    let skew = get(&opts, "skewMs");
    let skew = if skew.is_undefined() {
        30_000
    } else {
        time_ms(
            &skew,
            "opts.skewMs must be a non-negative number of milliseconds",
        )?
    };
    Ok(t.needs_refresh(now, skew))
}

/// An OAuth 2.0 client for one provider and one redirect URI.
#[wasm_bindgen(js_name = OAuthClient)]
pub struct OAuthClient {
    client: Client,
}

#[wasm_bindgen(js_class = OAuthClient)]
impl OAuthClient {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> JsResult<OAuthClient> {
        let c = ErrorCode::InvalidConfig;
        if !config.is_object() {
            return Err(js_err(c, "config must be an object"));
        }
        let scopes = get(&config, "scopes");
        let scopes = if scopes.is_undefined() || scopes.is_null() {
            Vec::new()
        } else {
            string_array(&scopes, c, "scopes must be an array of strings")?
        };
        let client_auth = opt_string(
            &config,
            "clientAuth",
            c,
            "clientAuth must be a string",
            true,
        )?
        .map(|s| ClientAuth::parse(&s))
        .transpose()
        .map_err(to_js_error)?;
        let config = ClientConfig {
            provider: provider_from_js(&get(&config, "provider"))?,
            client_id: req_string(&config, "clientId", c, "clientId must be a string")?,
            redirect_uri: req_string(&config, "redirectUri", c, "redirectUri must be a string")?,
            scopes,
            client_secret: opt_string(
                &config,
                "clientSecret",
                c,
                "clientSecret must be a string",
                true,
            )?
            .map(ClientSecret::new),
            client_auth,
        };
        Client::new(config)
            .map(|client| OAuthClient { client })
            .map_err(to_js_error)
    }

    /// The validated provider this client talks to.
    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> JsValue {
        provider_to_js(self.client.provider())
    }

    /// Starts a flow: `{ url, pending }`.
    #[wasm_bindgen(js_name = startAuthorization)]
    pub fn start_authorization(&self, opts: JsValue) -> JsResult<JsValue> {
        let c = ErrorCode::InvalidInput;
        if !(opts.is_undefined() || opts.is_null() || opts.is_object()) {
            return Err(js_err(c, "opts must be an object"));
        }
        let scopes = get(&opts, "scopes");
        let scopes = if scopes.is_undefined() || scopes.is_null() {
            None
        } else {
            Some(string_array(
                &scopes,
                c,
                "opts.scopes must be an array of strings",
            )?)
        };
        let extra = get(&opts, "extraParams");
        let mut extra_params = Vec::new();
        if !(extra.is_undefined() || extra.is_null()) {
            if !extra.is_object() || Array::is_array(&extra) {
                return Err(js_err(c, "opts.extraParams must be an object of strings"));
            }
            for entry in Object::entries(&Object::from(extra)).iter() {
                let pair = Array::from(&entry);
                let name = pair.get(0).as_string();
                let value = pair.get(1).as_string();
                match (name, value) {
                    (Some(n), Some(v)) => extra_params.push((n, v)),
                    _ => return Err(js_err(c, "opts.extraParams values must be strings")),
                }
            }
        }
        let options = AuthorizationOptions {
            scopes,
            subject: opt_string(&opts, "subject", c, "opts.subject must be a string", true)?,
            extra_params,
        };
        let now = time_ms(
            &get(&opts, "now"),
            "opts.now must be a time in milliseconds",
        )?;
        let start = self
            .client
            .start_authorization(options, now)
            .map_err(to_js_error)?;
        let o: JsValue = Object::new().into();
        set_str(&o, "url", &start.url);
        set(&o, "pending", &pending_to_js(&start.pending));
        Ok(o)
    }

    /// Validates the callback URL against the pending authorization:
    /// `{ code, state, iss? }`.
    #[wasm_bindgen(js_name = handleCallback)]
    pub fn handle_callback(&self, callback_url: JsValue, pending: JsValue) -> JsResult<JsValue> {
        let url = string_arg(&callback_url, "callbackUrl must be a string")?;
        let pending = pending_from_js(&pending)?;
        let r = self
            .client
            .handle_callback(&url, &pending)
            .map_err(to_js_error)?;
        let o: JsValue = Object::new().into();
        set_str(&o, "code", &r.code);
        set_str(&o, "state", &r.state);
        if let Some(iss) = &r.iss {
            set_str(&o, "iss", iss);
        }
        Ok(o)
    }

    /// The code-exchange request.
    #[wasm_bindgen(js_name = tokenRequest)]
    pub fn token_request(&self, code: JsValue, pending: JsValue) -> JsResult<JsValue> {
        let code = string_arg(&code, "code must be a string")?;
        let pending = pending_from_js(&pending)?;
        self.client
            .token_request(&code, &pending)
            .map(http_request_to_js)
            .map_err(to_js_error)
    }

    /// The refresh request.
    #[wasm_bindgen(js_name = refreshRequest)]
    pub fn refresh_request(&self, refresh_token: JsValue) -> JsResult<JsValue> {
        let token = string_arg(&refresh_token, "refreshToken must be a string")?;
        self.client
            .refresh_request(&token)
            .map(http_request_to_js)
            .map_err(to_js_error)
    }

    /// An RFC 7662 introspection request.
    #[wasm_bindgen(js_name = introspectionRequest)]
    pub fn introspection_request(&self, token: JsValue, hint: JsValue) -> JsResult<JsValue> {
        let token = string_arg(&token, "token must be a string")?;
        let hint = hint_from_js(&hint)?;
        self.client
            .introspection_request(&token, hint)
            .map(http_request_to_js)
            .map_err(to_js_error)
    }

    /// An RFC 7009 revocation request (throws unsupported_operation when the
    /// provider has no revocation endpoint).
    #[wasm_bindgen(js_name = revocationRequest)]
    pub fn revocation_request(&self, token: JsValue, hint: JsValue) -> JsResult<JsValue> {
        let token = string_arg(&token, "token must be a string")?;
        let hint = hint_from_js(&hint)?;
        self.client
            .revocation_request(&token, hint)
            .map(http_request_to_js)
            .map_err(to_js_error)
    }

    /// Turns a token-endpoint response into a TokenSet, or throws.
    #[wasm_bindgen(js_name = parseTokenResponse)]
    pub fn parse_token_response(&self, res: JsValue, opts: JsValue) -> JsResult<JsValue> {
        let c = ErrorCode::InvalidInput;
        if !res.is_object() {
            return Err(js_err(c, "res must be { status, headers?, body }"));
        }
        let status = match get(&res, "status").as_f64() {
            Some(s) if (100.0..=599.0).contains(&s) && s == (s as u16) as f64 => s as u16,
            _ => return Err(js_err(c, "res.status must be an HTTP status number")),
        };
        let body = req_string(&res, "body", c, "res.body must be a string")?;
        let now = time_ms(
            &get(&opts, "now"),
            "opts.now must be a time in milliseconds",
        )?;
        let previous = get(&opts, "previous");
        let previous = if previous.is_undefined() || previous.is_null() {
            None
        } else {
            Some(token_set_from_js(
                &previous,
                "opts.previous must be a TokenSet",
            )?)
        };
        parse_token_response(
            &HttpResponse {
                status,
                body: &body,
            },
            now,
            previous.as_ref(),
        )
        .map(|t| token_set_to_js(&t))
        .map_err(to_js_error)
    }
}
