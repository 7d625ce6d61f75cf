//! The JavaScript API's shapes, as JSON: parses the option objects the npm
//! package receives (serialised by its JS wrapper) into core types, and
//! writes core results as the JSON the wrapper hands back to callers.
//!
//! Everything crosses the wasm boundary as one string each way: far fewer
//! crossings (and far less glue) than reading and writing JS objects
//! property by property. No protocol logic lives here; it is plain data
//! conversion, compiled natively too so it is tested with the core.

use crate::authorization::{AuthorizationOptions, PendingAuthorization, MAX_TIME_MS};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, ObjectWriter, Value};
use crate::pkce;
use crate::provider::{Client, ClientAuth, ClientConfig, PleoEnvironment, Provider};
use crate::secret::{AccessToken, ClientSecret, CodeVerifier, RefreshToken, State};
use crate::token_request::{HttpRequest, TokenTypeHint};
use crate::token_response::{parse_token_response, HttpResponse};
use crate::token_set::TokenSet;
use alloc::string::String;
use alloc::vec::Vec;

/// Default for `needsRefresh`: refresh when 30 s or less are left.
pub const DEFAULT_REFRESH_SKEW_MS: u64 = 30_000;

fn parse_json(text: &str, code: ErrorCode, message: &'static str) -> Result<Value> {
    json::parse(text).ok_or_else(|| Error::new(code, message))
}

/// A member that is absent, `null`, or `undefined` (dropped by JSON.stringify).
fn member<'v>(obj: &'v Value, name: &str) -> Option<&'v Value> {
    match obj.get(name) {
        None | Some(Value::Null) => None,
        v => v,
    }
}

fn opt_string(
    obj: &Value,
    name: &str,
    code: ErrorCode,
    message: &'static str,
) -> Result<Option<String>> {
    match member(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::new(code, message)),
    }
}

fn req_string(obj: &Value, name: &str, code: ErrorCode, message: &'static str) -> Result<String> {
    opt_string(obj, name, code, message)?.ok_or_else(|| Error::new(code, message))
}

fn opt_string_array(
    obj: &Value,
    name: &str,
    code: ErrorCode,
    message: &'static str,
) -> Result<Option<Vec<String>>> {
    match member(obj, name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(Error::new(code, message)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(Error::new(code, message)),
    }
}

/// A time in milliseconds since the epoch, as JavaScript numbers carry it.
pub fn time_ms(n: f64, message: &'static str) -> Result<u64> {
    if n.is_finite() && (0.0..=MAX_TIME_MS as f64).contains(&n) {
        Ok(n as u64)
    } else {
        Err(Error::new(ErrorCode::InvalidInput, message))
    }
}

fn json_time(v: Option<&Value>, message: &'static str) -> Result<Option<u64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => time_ms(*n, message).map(Some),
        Some(_) => Err(Error::new(ErrorCode::InvalidInput, message)),
    }
}

// ---- providers and clients ----

pub fn provider_json(p: &Provider) -> String {
    let mut w = ObjectWriter::new();
    w.str("issuer", &p.issuer)
        .str("authorizationEndpoint", &p.authorization_endpoint)
        .str("tokenEndpoint", &p.token_endpoint)
        .opt_str("introspectionEndpoint", p.introspection_endpoint.as_deref())
        .opt_str("revocationEndpoint", p.revocation_endpoint.as_deref())
        .opt_str("apiBaseUrl", p.api_base_url.as_deref())
        .bool("issParameterSupported", p.iss_parameter_supported);
    w.finish()
}

pub fn pleo_provider_json(env: &str) -> Result<String> {
    Ok(provider_json(&Provider::pleo(PleoEnvironment::parse(env)?)))
}

fn provider_from(v: Option<&Value>) -> Result<Provider> {
    let c = ErrorCode::InvalidConfig;
    let v = match v {
        Some(Value::String(name)) => return PleoEnvironment::parse(name).map(Provider::pleo),
        Some(v @ Value::Object(_)) => v,
        _ => {
            return Err(Error::new(
                c,
                "provider must be \"staging\", \"production\" or a provider object",
            ))
        }
    };
    let iss_parameter_supported = match member(v, "issParameterSupported") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Error::new(
                c,
                "provider.issParameterSupported must be a boolean",
            ))
        }
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
        )?,
        revocation_endpoint: opt_string(
            v,
            "revocationEndpoint",
            c,
            "provider.revocationEndpoint must be a string",
        )?,
        api_base_url: opt_string(v, "apiBaseUrl", c, "provider.apiBaseUrl must be a string")?,
        iss_parameter_supported,
    })
}

/// `new OAuthClient(config)`.
pub fn client_from_json(config_json: &str) -> Result<Client> {
    let c = ErrorCode::InvalidConfig;
    // JSON.stringify writes a lone UTF-16 surrogate as an escape that no
    // UTF-8 string can hold, so such a value fails to parse here.
    let v = parse_json(
        config_json,
        c,
        "config must be a plain object whose strings have no lone UTF-16 surrogates",
    )?;
    if !matches!(v, Value::Object(_)) {
        return Err(Error::new(c, "config must be an object"));
    }
    let client_auth = opt_string(&v, "clientAuth", c, "clientAuth must be a string")?
        .map(|s| ClientAuth::parse(&s))
        .transpose()?;
    Client::new(ClientConfig {
        provider: provider_from(member(&v, "provider"))?,
        client_id: req_string(&v, "clientId", c, "clientId must be a string")?,
        redirect_uri: req_string(&v, "redirectUri", c, "redirectUri must be a string")?,
        scopes: opt_string_array(&v, "scopes", c, "scopes must be an array of strings")?
            .unwrap_or_default(),
        client_secret: opt_string(&v, "clientSecret", c, "clientSecret must be a string")?
            .map(ClientSecret::new),
        client_auth,
    })
}

// ---- authorization ----

fn pending_json(p: &PendingAuthorization) -> String {
    let mut w = ObjectWriter::new();
    w.str("state", p.state.expose_secret())
        .str("codeVerifier", p.code_verifier.expose_secret())
        .str("redirectUri", &p.redirect_uri)
        .str("issuer", &p.issuer)
        .int("createdAt", p.created_at)
        .str_array("scopes", &p.scopes);
    w.finish()
}

fn pending_from_json(pending_json: &str) -> Result<PendingAuthorization> {
    let c = ErrorCode::InvalidInput;
    let shape = "pending must be the object returned by startAuthorization";
    let v = parse_json(pending_json, c, shape)?;
    if !matches!(v, Value::Object(_)) {
        return Err(Error::new(c, shape));
    }
    // Like every time the API takes: milliseconds, fractions floored.
    let created_at = json_time(
        member(&v, "createdAt"),
        "pending.createdAt must be a time in milliseconds",
    )?
    .ok_or_else(|| Error::new(c, "pending.createdAt must be a time in milliseconds"))?;
    Ok(PendingAuthorization {
        state: State::new(req_string(
            &v,
            "state",
            c,
            "pending.state must be a string",
        )?),
        code_verifier: CodeVerifier::new(req_string(
            &v,
            "codeVerifier",
            c,
            "pending.codeVerifier must be a string",
        )?),
        redirect_uri: req_string(&v, "redirectUri", c, "pending.redirectUri must be a string")?,
        issuer: req_string(&v, "issuer", c, "pending.issuer must be a string")?,
        created_at,
        scopes: opt_string_array(
            &v,
            "scopes",
            c,
            "pending.scopes must be an array of strings",
        )?
        .unwrap_or_default(),
    })
}

/// `client.startAuthorization(opts)` → `{ url, pending }`.
pub fn start_authorization(client: &Client, opts_json: &str, now: f64) -> Result<String> {
    let c = ErrorCode::InvalidInput;
    let v = parse_json(
        opts_json,
        c,
        "opts must be a plain object whose strings have no lone UTF-16 surrogates",
    )?;
    let v = match v {
        Value::Null => Value::Object(Vec::new()),
        v @ Value::Object(_) => v,
        _ => return Err(Error::new(c, "opts must be an object")),
    };
    let mut extra_params = Vec::new();
    match member(&v, "extraParams") {
        None => {}
        Some(Value::Object(members)) => {
            for (name, value) in members {
                match value {
                    Value::String(s) => extra_params.push((name.clone(), s.clone())),
                    _ => return Err(Error::new(c, "opts.extraParams values must be strings")),
                }
            }
        }
        Some(_) => {
            return Err(Error::new(
                c,
                "opts.extraParams must be an object of strings",
            ))
        }
    }
    let options = AuthorizationOptions {
        scopes: opt_string_array(&v, "scopes", c, "opts.scopes must be an array of strings")?,
        subject: opt_string(&v, "subject", c, "opts.subject must be a string")?,
        extra_params,
    };
    let now = match json_time(member(&v, "now"), "opts.now must be a time in milliseconds")? {
        Some(t) => t,
        None => time_ms(now, "the clock is out of range")?,
    };
    let start = client.start_authorization(options, now)?;
    let mut w = ObjectWriter::new();
    w.str("url", &start.url)
        .raw("pending", &pending_json(&start.pending));
    Ok(w.finish())
}

/// `client.handleCallback(url, pending)` → `{ code, state, iss? }`.
///
/// The result is three lines: state, iss (empty when absent), then the code.
/// State and iss have just been compared with values that cannot contain a
/// line break; the code, which can, comes last and takes the rest.
pub fn handle_callback(client: &Client, url: &str, pending_json: &str) -> Result<String> {
    let pending = pending_from_json(pending_json)?;
    let r = client.handle_callback(url, &pending)?;
    Ok([
        r.state.as_str(),
        "\n",
        r.iss.as_deref().unwrap_or(""),
        "\n",
        &r.code,
    ]
    .concat())
}

// ---- token requests ----

/// An HTTP request as lines: the URL, then header name and value lines, an
/// empty line, and the body. Cheaper to cross the boundary and split than
/// JSON; unambiguous because none of the parts can contain a line break
/// (endpoints are validated, header values are ASCII tokens or base64, and
/// the body is form-encoded).
pub fn http_request_lines(r: &HttpRequest) -> String {
    let mut out = String::with_capacity(r.url.len() + r.body.len() + 128);
    out.push_str(&r.url);
    for (name, value) in &r.headers {
        out.push('\n');
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
    }
    out.push_str("\n\n");
    out.push_str(&r.body);
    out
}

pub fn token_request(client: &Client, code: &str, pending_json: &str) -> Result<String> {
    let pending = pending_from_json(pending_json)?;
    Ok(http_request_lines(&client.token_request(code, &pending)?))
}

pub fn refresh_request(client: &Client, refresh_token: &str) -> Result<String> {
    Ok(http_request_lines(&client.refresh_request(refresh_token)?))
}

fn hint(hint: Option<&str>) -> Result<Option<TokenTypeHint>> {
    hint.map(TokenTypeHint::parse).transpose()
}

pub fn introspection_request(client: &Client, token: &str, h: Option<&str>) -> Result<String> {
    Ok(http_request_lines(
        &client.introspection_request(token, hint(h)?)?,
    ))
}

pub fn revocation_request(client: &Client, token: &str, h: Option<&str>) -> Result<String> {
    Ok(http_request_lines(
        &client.revocation_request(token, hint(h)?)?,
    ))
}

// ---- token sets ----

pub fn token_set_json(t: &TokenSet) -> String {
    let mut w = ObjectWriter::new();
    w.str("accessToken", t.access_token.expose_secret())
        .str("tokenType", "Bearer");
    if let Some(at) = t.expires_at {
        w.int("expiresAt", at);
    }
    w.opt_str(
        "refreshToken",
        t.refresh_token.as_ref().map(|r| r.expose_secret()),
    );
    if let Some(scope) = &t.scope {
        w.str_array("scope", scope);
    }
    w.finish()
}

fn token_set_from_json(text: &str, what: &'static str) -> Result<TokenSet> {
    let c = ErrorCode::InvalidInput;
    let v = parse_json(text, c, what)?;
    if !matches!(v, Value::Object(_)) {
        return Err(Error::new(c, what));
    }
    let access_token = req_string(&v, "accessToken", c, what)?;
    if access_token.is_empty() {
        return Err(Error::new(c, what));
    }
    Ok(TokenSet {
        access_token: AccessToken::new(access_token),
        expires_at: json_time(member(&v, "expiresAt"), what)?,
        refresh_token: opt_string(&v, "refreshToken", c, what)?.map(RefreshToken::new),
        scope: opt_string_array(&v, "scope", c, what)?,
    })
}

/// `client.parseTokenResponse({ status, body }, { now, previous })`.
pub fn parse_token_response_json(
    status: f64,
    body: &str,
    now: f64,
    previous_json: Option<&str>,
) -> Result<String> {
    let c = ErrorCode::InvalidInput;
    if !(100.0..=599.0).contains(&status) || status != (status as u16) as f64 {
        return Err(Error::new(c, "res.status must be an HTTP status number"));
    }
    let now = time_ms(now, "opts.now must be a time in milliseconds")?;
    let previous = previous_json
        .map(|p| token_set_from_json(p, "opts.previous must be a TokenSet"))
        .transpose()?;
    let t = parse_token_response(
        &HttpResponse {
            status: status as u16,
            body,
        },
        now,
        previous.as_ref(),
    )?;
    Ok(token_set_json(&t))
}

/// `needsRefresh(tokenSet, { now, skewMs })`.
pub fn needs_refresh(token_set_json: &str, now: f64, skew_ms: Option<f64>) -> Result<bool> {
    let t = token_set_from_json(token_set_json, "tokenSet must be a TokenSet")?;
    let now = time_ms(now, "opts.now must be a time in milliseconds")?;
    let skew = match skew_ms {
        Some(s) => time_ms(
            s,
            "opts.skewMs must be a non-negative number of milliseconds",
        )?,
        None => DEFAULT_REFRESH_SKEW_MS,
    };
    Ok(t.needs_refresh(now, skew))
}

pub fn code_challenge_s256(verifier: &str) -> Result<String> {
    Ok(pkce::challenge_s256(&pkce::parse_verifier(verifier)?))
}

/// An error as `{ code, message, error?, errorDescription?, errorUri?, status? }`,
/// from which the JS wrapper builds an `OAuthError`.
pub fn error_json(e: &Error) -> String {
    let mut w = ObjectWriter::new();
    w.str("code", e.code().as_str()).str("message", e.message());
    if let Some(s) = e.server_error() {
        w.str("error", &s.error)
            .opt_str("errorDescription", s.error_description.as_deref())
            .opt_str("errorUri", s.error_uri.as_deref());
        if let Some(status) = s.status {
            w.int("status", u64::from(status));
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"provider":"staging","clientId":"c","clientSecret":"s","redirectUri":"https://p.test/cb","scopes":["users:read"]}"#;

    fn code(r: Result<impl core::fmt::Debug>) -> &'static str {
        r.unwrap_err().code().as_str()
    }

    #[test]
    fn a_flow_through_the_json_shapes() {
        let client = client_from_json(CONFIG).unwrap();
        let start = start_authorization(&client, "null", 1_700_000_000_000.0).unwrap();
        let v: serde_json::Value = serde_json::from_str(&start).unwrap();
        let pending = v["pending"].to_string();
        assert_eq!(v["pending"]["createdAt"], 1_700_000_000_000u64);
        let state = v["pending"]["state"].as_str().unwrap();
        let cb = handle_callback(
            &client,
            &["https://p.test/cb?code=x&state=", state].concat(),
            &pending,
        )
        .unwrap();
        assert_eq!(cb, [state, "\n\nx"].concat());
        let req = token_request(&client, "x", &pending).unwrap();
        assert!(req.starts_with("https://auth.staging.pleo.io/oauth/token\n"));
        assert!(req.contains("\nauthorization\nBasic Yzpz\n\n"));
        let t = parse_token_response_json(
            200.0,
            r#"{"access_token":"a","token_type":"bearer","expires_in":60,"refresh_token":"r"}"#,
            0.0,
            None,
        )
        .unwrap();
        assert_eq!(
            t,
            r#"{"accessToken":"a","tokenType":"Bearer","expiresAt":60000,"refreshToken":"r"}"#
        );
        assert!(needs_refresh(&t, 40_000.0, None).unwrap());
        assert!(!needs_refresh(&t, 20_000.0, Some(0.0)).unwrap());
    }

    #[test]
    fn http_request_lines_split_back_into_their_parts() {
        let client = client_from_json(CONFIG).unwrap();
        let packed = refresh_request(&client, "r t\n%").unwrap();
        let lines: Vec<&str> = packed.split('\n').collect();
        assert_eq!(lines[0], "https://auth.staging.pleo.io/oauth/token");
        assert_eq!(
            &lines[1..7],
            [
                "content-type",
                "application/x-www-form-urlencoded",
                "accept",
                "application/json",
                "authorization",
                "Basic Yzpz"
            ]
        );
        assert_eq!(lines[7], "");
        assert_eq!(lines[8], "grant_type=refresh_token&refresh_token=r+t%0A%25");
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn js_types_are_checked() {
        assert_eq!(code(client_from_json("42")), "invalid_config");
        assert_eq!(
            code(client_from_json(
                r#"{"provider":"staging","clientId":1,"redirectUri":"https://p.test/cb"}"#
            )),
            "invalid_config"
        );
        assert_eq!(
            code(client_from_json(
                r#"{"provider":1,"clientId":"c","redirectUri":"https://p.test/cb"}"#
            )),
            "invalid_config"
        );
        let client = client_from_json(CONFIG).unwrap();
        assert_eq!(
            code(start_authorization(
                &client,
                r#"{"extraParams":{"a":1}}"#,
                0.0
            )),
            "invalid_input"
        );
        assert_eq!(
            code(start_authorization(&client, r#"{"now":-1}"#, 0.0)),
            "invalid_input"
        );
        assert_eq!(
            code(start_authorization(&client, "[]", 0.0)),
            "invalid_input"
        );
        assert_eq!(
            code(handle_callback(
                &client,
                "https://p.test/cb?code=1&state=1",
                "{}"
            )),
            "invalid_input"
        );
        assert_eq!(
            code(handle_callback(
                &client,
                "https://p.test/cb?code=1&state=1",
                "not json"
            )),
            "invalid_input"
        );
        assert_eq!(
            code(parse_token_response_json(99.0, "{}", 0.0, None)),
            "invalid_input"
        );
        assert_eq!(
            code(parse_token_response_json(200.5, "{}", 0.0, None)),
            "invalid_input"
        );
        assert_eq!(
            code(parse_token_response_json(200.0, "{}", f64::NAN, None)),
            "invalid_input"
        );
        assert_eq!(
            code(parse_token_response_json(
                200.0,
                "{}",
                0.0,
                Some(r#"{"accessToken":7}"#)
            )),
            "invalid_input"
        );
        assert_eq!(code(needs_refresh("{}", 0.0, None)), "invalid_input");
    }

    #[test]
    fn error_json_carries_server_fields() {
        let e = parse_token_response_json(
            400.0,
            r#"{"error":"invalid_grant","error_description":"x\"y"}"#,
            0.0,
            None,
        )
        .unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&error_json(&e)).unwrap();
        assert_eq!(v["code"], "token_error");
        assert_eq!(v["error"], "invalid_grant");
        assert_eq!(v["errorDescription"], "x\"y");
        assert_eq!(v["status"], 400);
    }

    #[test]
    fn provider_json_round_trips_through_client_config() {
        let p = pleo_provider_json("production").unwrap();
        let config = [
            r#"{"provider":"#,
            &p,
            r#","clientId":"c","redirectUri":"https://p.test/cb"}"#,
        ]
        .concat();
        let client = client_from_json(&config).unwrap();
        assert_eq!(
            client.provider(),
            &Provider::pleo(PleoEnvironment::Production)
        );
        assert_eq!(code(pleo_provider_json("dev")), "invalid_config");
    }
}
