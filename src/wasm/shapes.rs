//! The JavaScript API's shapes, each read from or written to one record
//! (see [`super::record`]): the fields of every JS object in the order
//! js/api.js writes and reads them. Plain data conversion, no protocol
//! logic; compiled natively too, so it is tested with the core.
//!
//! The table is the declaration of the OAuth shapes: each field is
//! `name`, `name?` when the core accepts it absent, and `: type` when it is
//! not a string (`number`, `bool`, `string[]`, `pairs` for an object of
//! strings written as names and values alternating, or another shape).
//! tests/js/boundary-shapes.test.mjs checks it against the readers and
//! writers below, js/api.js's encoders and decoders and docs/BOUNDARY.md.
//!
//! | shape | fields, in order |
//! | --- | --- |
//! | Provider | issuer, authorizationEndpoint, tokenEndpoint, introspectionEndpoint?, revocationEndpoint?, apiBaseUrl?, issParameterSupported?: bool |
//! | ClientConfig | provider: Provider (or a name string), clientId, redirectUri, scopes?: string[], clientSecret?, clientAuth? |
//! | start options | scopes?: string[], subject?, extraParams?: pairs, now?: number |
//! | start result | url, pending: PendingAuthorization |
//! | PendingAuthorization | state, codeVerifier, redirectUri, issuer, createdAt: number, scopes?: string[] |
//! | HttpRequest | method, url, headers: pairs, body? |
//! | TokenSet | accessToken, tokenType? (always "Bearer" out, ignored in), expiresAt?: number, refreshToken?, scope?: string[], obtainedAt?: number |
//! | error | code, message, error?, errorDescription?, errorUri?, status?: number, retryAfterMs?: number (edge) |
//! | TokenSet offsets (edge) | accessToken: span, expiresAt?: number, refreshToken?: span, obtainedAt: number, scope?: span[] |
//!
//! TokenSet offsets are not a record: the edge build's `parseTokenResponse`
//! writes a successful token set whose strings are all plain slices of the
//! (ASCII) body as numbers into a Float64Array shared with JS
//! ([`token_set_at`]); a `span` is a string's start and end in the body.

use super::record::{self, Field, Fields, Writer};
use crate::authorization::{AuthorizationOptions, PendingAuthorization, PendingRef};
use crate::error::{Error, ErrorCode, Result};
use crate::form;
use crate::provider::{Client, ClientAuth, ClientConfig, PleoEnvironment, Provider};
use crate::secret::{AccessToken, ClientSecret, RefreshToken};
use crate::token_request::{HttpRequest, TokenTypeHint};
use crate::token_response::HttpResponse;
use crate::token_set::TokenSet;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

fn decode<'a>(text: &'a str, code: ErrorCode, message: &'static str) -> Result<Field<'a>> {
    record::decode(text).ok_or_else(|| Error::new(code, message))
}

// ---- providers and clients ----

pub fn write_provider(w: &mut Writer, p: &Provider) {
    w.begin()
        .str(&p.issuer)
        .str(&p.authorization_endpoint)
        .str(&p.token_endpoint)
        .opt_str(p.introspection_endpoint.as_deref())
        .opt_str(p.revocation_endpoint.as_deref())
        .opt_str(p.api_base_url.as_deref())
        .bool(p.iss_parameter_supported)
        .end();
}

pub fn provider_record(p: &Provider) -> String {
    let mut w = Writer::with_capacity(256);
    write_provider(&mut w, p);
    w.finish()
}

pub fn pleo_provider(env: &str) -> Result<String> {
    Ok(provider_record(&Provider::pleo(PleoEnvironment::parse(
        env,
    )?)))
}

const PROVIDER_SHAPE: &str = "provider must be \"staging\", \"production\" or a provider object";

fn read_provider(field: Option<&Field<'_>>) -> Result<Provider> {
    let c = ErrorCode::InvalidConfig;
    let v = match field {
        Some(Field::Str(name)) => return PleoEnvironment::parse(name).map(Provider::pleo),
        Some(v @ Field::List(_)) => v,
        _ => return Err(Error::new(c, PROVIDER_SHAPE)),
    };
    let mut f = Fields::of(v, c, PROVIDER_SHAPE)?;
    let s = String::from;
    Ok(Provider {
        issuer: s(f.str("provider.issuer must be a string")?),
        authorization_endpoint: s(f.str("provider.authorizationEndpoint must be a string")?),
        token_endpoint: s(f.str("provider.tokenEndpoint must be a string")?),
        introspection_endpoint: f
            .opt_str("provider.introspectionEndpoint must be a string")?
            .map(s),
        revocation_endpoint: f
            .opt_str("provider.revocationEndpoint must be a string")?
            .map(s),
        api_base_url: f.opt_str("provider.apiBaseUrl must be a string")?.map(s),
        iss_parameter_supported: f
            .opt_bool("provider.issParameterSupported must be a boolean")?
            .unwrap_or(false),
    })
}

/// `new OAuthClient(config)`.
pub fn client_from_record(config: &str) -> Result<Client> {
    let c = ErrorCode::InvalidConfig;
    let v = decode(config, c, "config must be an object")?;
    let mut f = Fields::of(&v, c, "config must be an object")?;
    let provider = read_provider(f.opt_list())?;
    let client_id = f.str("clientId must be a string")?.into();
    let redirect_uri = f.str("redirectUri must be a string")?.into();
    let scopes = f
        .opt_str_list("scopes must be an array of strings")?
        .unwrap_or_default();
    let client_secret = f
        .opt_str("clientSecret must be a string")?
        .map(|s| ClientSecret::new(s.into()));
    let client_auth = f
        .opt_str("clientAuth must be a string")?
        .map(ClientAuth::parse)
        .transpose()?;
    Client::new(ClientConfig {
        provider,
        client_id,
        redirect_uri,
        scopes,
        client_secret,
        client_auth,
    })
}

// ---- authorization ----

fn write_pending(w: &mut Writer, p: &PendingAuthorization) {
    w.begin()
        .str(p.state.expose_secret())
        .str(p.code_verifier.expose_secret())
        .str(&p.redirect_uri)
        .str(&p.issuer)
        .int(p.created_at)
        .str_list(&p.scopes)
        .end();
}

const PENDING_SHAPE: &str = "pending must be the object returned by startAuthorization";

/// A pending record read in place: its strings borrow from the record text,
/// its scopes are collected into `scopes`.
fn read_pending<'a, 's>(text: &'a str, scopes: &'s mut Vec<String>) -> Result<PendingRef<'s>>
where
    'a: 's,
{
    let v = decode(text, ErrorCode::InvalidInput, PENDING_SHAPE)?;
    pending_of(&v, scopes)
}

fn pending_of<'a, 's>(v: &Field<'a>, scopes: &'s mut Vec<String>) -> Result<PendingRef<'s>>
where
    'a: 's,
{
    let c = ErrorCode::InvalidInput;
    let mut f = Fields::of(v, c, PENDING_SHAPE)?;
    let state = f.str("pending.state must be a string")?;
    let code_verifier = f.str("pending.codeVerifier must be a string")?;
    let redirect_uri = f.str("pending.redirectUri must be a string")?;
    let issuer = f.str("pending.issuer must be a string")?;
    // Like every time the API takes: milliseconds, fractions floored.
    let created_at = f
        .opt_time("pending.createdAt must be a time in milliseconds")?
        .ok_or_else(|| Error::new(c, "pending.createdAt must be a time in milliseconds"))?;
    *scopes = f
        .opt_str_list("pending.scopes must be an array of strings")?
        .unwrap_or_default();
    Ok(PendingRef {
        state,
        code_verifier,
        redirect_uri,
        issuer,
        created_at,
        scopes,
    })
}

/// `client.startAuthorization(opts)` → `[url, pending]`.
pub fn start_authorization(client: &Client, opts: &str, now: f64) -> Result<String> {
    let c = ErrorCode::InvalidInput;
    let v = decode(opts, c, "opts must be an object")?;
    let options = match v {
        Field::Absent => (AuthorizationOptions::default(), None),
        ref v => {
            let mut f = Fields::of(v, c, "opts must be an object")?;
            let scopes = f.opt_str_list("opts.scopes must be an array of strings")?;
            let subject = f
                .opt_str("opts.subject must be a string")?
                .map(String::from);
            let extra_params = f
                .opt_pairs("opts.extraParams must be an object of strings")?
                .unwrap_or_default();
            let now = f.opt_time("opts.now must be a time in milliseconds")?;
            (
                AuthorizationOptions {
                    scopes,
                    subject,
                    extra_params,
                },
                now,
            )
        }
    };
    let now = match options.1 {
        Some(t) => t,
        None => record::time_from_number(now, "the clock is out of range")?,
    };
    let start = client.start_authorization(options.0, now)?;
    let mut w = Writer::with_capacity(start.url.len() + 256);
    w.begin().str(&start.url);
    write_pending(&mut w, &start.pending);
    w.end();
    Ok(w.finish())
}

/// `client.handleCallback(url, pending)` → `[code, state, iss]`. The
/// pending record is checked in place (no copies of its strings) and the
/// step gets only its `state` and `issuer`.
/// `client.handleCallback(url, pending)`. One string crosses: the pending
/// record, then the URL. The whole record is checked as before (a tampered
/// record is `invalid_input`). The answer carries only what JS does not
/// have, in one number: where the code sits in the URL, as it stands there,
/// and two flags,
///
/// `start | end << 15 | iss << 30 | decode << 31`
///
/// (UTF-16 offsets; a callback URL is at most 16 KiB, so each fits in 15
/// bits). `decode`: the code is form-encoded in the URL (`%XX`, `+`), and
/// the core checked that it decodes to UTF-8. The state and `iss`, when
/// accepted, are byte for byte the pending record's `state` and `issuer`,
/// which JS holds already (docs/BOUNDARY.md, "The callback").
pub fn handle_callback(client: &Client, url: &str, pending: &str) -> Result<f64> {
    let mut scopes = Vec::new();
    let p = read_pending(pending, &mut scopes)?;
    callback_answer(client, url, p)
}

/// [`handle_callback`] of one text, the pending record followed by the URL
/// (the edge's `handleCallbackIn`, which JS writes into the wasm memory).
#[cfg(feature = "edge")]
pub fn handle_callback_in(client: &Client, input: &str) -> Result<f64> {
    let (v, url) = record::decode_first(input)
        .ok_or_else(|| Error::new(ErrorCode::InvalidInput, PENDING_SHAPE))?;
    let mut scopes = Vec::new();
    let p = pending_of(&v, &mut scopes)?;
    callback_answer(client, url, p)
}

fn callback_answer(client: &Client, url: &str, p: PendingRef<'_>) -> Result<f64> {
    p.check_belongs_to(client)?;
    let r = client.callback_parts(url, p.state, p.issuer)?;
    let (raw, decode) = match r.code {
        Cow::Borrowed(code) => (code, 0),
        // Decoded: the code as it stands in the query (unique: a repeated
        // parameter was refused).
        Cow::Owned(_) => (form::raw_value(r.query, "code").unwrap_or_default(), 1),
    };
    let start = (raw.as_ptr() as usize).wrapping_sub(url.as_ptr() as usize);
    let parts =
        (start.checked_add(raw.len())).and_then(|end| url.get(..start).zip(url.get(start..end)));
    let Some((before, code)) = parts else {
        return Err(Error::new(
            ErrorCode::InvalidCallback,
            "callback code not found",
        ));
    };
    let start = record::utf16_len(before) as u64;
    let end = start + record::utf16_len(code) as u64;
    Ok((start | end << 15 | u64::from(r.iss) << 30 | decode << 31) as f64)
}

// ---- token requests ----

pub fn http_request_record(r: &HttpRequest) -> String {
    let mut w = Writer::with_capacity(r.url.len() + r.body.len() + 160);
    w.begin().str(r.method).str(&r.url).begin();
    for (name, value) in &r.headers {
        w.str(name).str(value);
    }
    w.end().str(&r.body).end();
    w.finish()
}

pub fn token_request(client: &Client, code: &str, pending: &str) -> Result<String> {
    let mut scopes = Vec::new();
    let p = read_pending(pending, &mut scopes)?;
    Ok(http_request_record(&client.token_request_for(code, p)?))
}

pub fn refresh_request(client: &Client, refresh_token: &str) -> Result<String> {
    Ok(http_request_record(&client.refresh_request(refresh_token)?))
}

fn hint(hint: Option<&str>) -> Result<Option<TokenTypeHint>> {
    hint.map(TokenTypeHint::parse).transpose()
}

pub fn introspection_request(client: &Client, token: &str, h: Option<&str>) -> Result<String> {
    Ok(http_request_record(
        &client.introspection_request(token, hint(h)?)?,
    ))
}

pub fn revocation_request(client: &Client, token: &str, h: Option<&str>) -> Result<String> {
    Ok(http_request_record(
        &client.revocation_request(token, hint(h)?)?,
    ))
}

// ---- token sets ----

pub fn token_set_record(t: &TokenSet) -> String {
    let mut w = Writer::with_capacity(t.access_token.expose_secret().len() + 256);
    w.begin().str(t.access_token.expose_secret()).str("Bearer");
    match t.expires_at {
        Some(at) => w.int(at),
        None => w.absent(),
    };
    w.opt_str(t.refresh_token.as_ref().map(|r| r.expose_secret()));
    match &t.scope {
        Some(scope) => w.str_list(scope),
        None => w.absent(),
    };
    match t.obtained_at {
        Some(at) => w.int(at),
        None => w.absent(),
    };
    w.end();
    w.finish()
}

pub fn token_set_from_record(text: &str, what: &'static str) -> Result<TokenSet> {
    let c = ErrorCode::InvalidInput;
    let v = decode(text, c, what)?;
    let mut f = Fields::of(&v, c, what)?;
    let access_token = f.str(what)?;
    if access_token.is_empty() {
        return Err(Error::new(c, what));
    }
    // tokenType: always "Bearer" on the way out, ignored on the way in.
    f.field();
    Ok(TokenSet {
        access_token: AccessToken::new(access_token.into()),
        expires_at: f.opt_time(what)?,
        refresh_token: f.opt_str(what)?.map(|r| RefreshToken::new(r.into())),
        scope: f.opt_str_list(what)?,
        obtained_at: f.opt_time(what)?,
    })
}

/// `client.parseTokenResponse({ status, body }, { now, previous, pending })`.
pub fn parse_token_response(
    client: &Client,
    status: f64,
    body: &str,
    now: f64,
    previous: Option<&str>,
    pending: Option<&str>,
) -> Result<String> {
    with_token_response(
        status,
        body,
        now,
        previous,
        pending,
        |res, now, previous, pending| {
            let t = client.parse_token_response_for(res, now, previous, pending)?;
            Ok(token_set_record(&t))
        },
    )
}

/// `then` with the arguments of `parseTokenResponse`, checked and read.
fn with_token_response<T>(
    status: f64,
    body: &str,
    now: f64,
    previous: Option<&str>,
    pending: Option<&str>,
    then: impl FnOnce(&HttpResponse<'_>, u64, Option<&TokenSet>, Option<PendingRef<'_>>) -> Result<T>,
) -> Result<T> {
    let c = ErrorCode::InvalidInput;
    if !(100.0..=599.0).contains(&status) || status != (status as u16) as f64 {
        return Err(Error::new(c, "res.status must be an HTTP status number"));
    }
    let now = record::time_from_number(now, "opts.now must be a time in milliseconds")?;
    let previous = previous
        .map(|p| token_set_from_record(p, "opts.previous must be a TokenSet"))
        .transpose()?;
    let mut scopes = Vec::new();
    let pending = match pending {
        Some(p) => Some(read_pending(p, &mut scopes)?),
        None => None,
    };
    then(
        &HttpResponse {
            status: status as u16,
            body,
        },
        now,
        previous.as_ref(),
        pending,
    )
}

/// The length of the edge's TokenSet offsets (f64s): the fields before
/// the scope take 6, its count 1, and `TOKEN_AT_SCOPES` items 2 each.
#[cfg(feature = "edge")]
pub const TOKEN_AT_LEN: usize = 7 + 2 * TOKEN_AT_SCOPES;
#[cfg(feature = "edge")]
const TOKEN_AT_SCOPES: usize = 28;

/// `client.parseTokenResponse` in the edge build: `None` when the token
/// set is written to `out` as the TokenSet offsets into `body` (a success
/// whose strings are all plain slices of an ASCII body, the usual answer),
/// else the TokenSet record as [`parse_token_response`] writes it, or its
/// error. The offsets cross as numbers and JS cuts the strings from the
/// body it already holds: no string is copied into a record and decoded.
#[cfg(feature = "edge")]
pub fn token_set_at(
    client: &Client,
    status: f64,
    body: &str,
    now: f64,
    previous: Option<&str>,
    pending: Option<&str>,
    out: &mut [f64; TOKEN_AT_LEN],
) -> Result<Option<String>> {
    with_token_response(
        status,
        body,
        now,
        previous,
        pending,
        |res, now, previous, pending| {
            if let Some(t) = client.token_spans_for(res, now, previous, pending) {
                if write_token_at(out, body, &t) {
                    return Ok(None);
                }
            }
            let t = client.parse_token_response_for(res, now, previous, pending)?;
            Ok(Some(token_set_record(&t)))
        },
    )
}

/// The TokenSet offsets, field by field as the table's `TokenSet offsets`
/// row declares them. False when the scope has more than
/// `TOKEN_AT_SCOPES` items.
#[cfg(feature = "edge")]
fn write_token_at(
    out: &mut [f64; TOKEN_AT_LEN],
    body: &str,
    t: &crate::token_response::TokenSpans,
) -> bool {
    let mut w = Slots(out.iter_mut());
    w.span(Some(t.access_token))
        .and_then(|w| w.num(t.expires_at))
        .and_then(|w| w.span(t.refresh_token))
        .and_then(|w| w.num(Some(t.obtained_at)))
        .and_then(|w| w.spans(body, t.scope))
        .is_some()
}

/// Writes TokenSet offsets in order: a `span` (a string of the body) is two
/// slots, its start and end; a `number` one; a `span[]` a count, then two
/// slots an item. An absent value is -1 in its first slot.
#[cfg(feature = "edge")]
struct Slots<'o>(core::slice::IterMut<'o, f64>);

#[cfg(feature = "edge")]
impl Slots<'_> {
    fn put(&mut self, v: f64) -> Option<&mut Self> {
        *self.0.next()? = v;
        Some(self)
    }

    fn span(&mut self, span: Option<(usize, usize)>) -> Option<&mut Self> {
        let (start, end) = span.map_or((-1.0, -1.0), |(s, e)| (s as f64, e as f64));
        self.put(start)?.put(end)
    }

    fn num(&mut self, n: Option<u64>) -> Option<&mut Self> {
        self.put(n.map_or(-1.0, |n| n as f64))
    }

    /// The items of `body[start..end].split(' ')` that are not empty (the
    /// core's scope), as spans.
    fn spans(&mut self, body: &str, span: Option<(usize, usize)>) -> Option<&mut Self> {
        let count = self.0.next()?;
        *count = -1.0;
        let Some((start, end)) = span else {
            return Some(self);
        };
        let mut n: u32 = 0;
        let mut item = start;
        let bytes = body.as_bytes().get(start..end)?;
        for (i, &b) in bytes.iter().chain(core::iter::once(&b' ')).enumerate() {
            if b == b' ' {
                let at = start + i;
                if at > item {
                    self.span(Some((item, at)))?;
                    n += 1;
                }
                item = at + 1;
            }
        }
        *count = f64::from(n);
        Some(self)
    }
}

/// `needsRefresh(tokenSet, { now, skewMs })`: the policy of
/// [`TokenSet::needs_refresh`] unless the caller overrides the skew.
pub fn needs_refresh(token_set: &str, now: f64, skew_ms: Option<f64>) -> Result<bool> {
    let t = token_set_from_record(token_set, "tokenSet must be a TokenSet")?;
    let now = record::time_from_number(now, "opts.now must be a time in milliseconds")?;
    Ok(match skew_ms {
        Some(s) => t.needs_refresh_with_skew(
            now,
            record::time_from_number(
                s,
                "opts.skewMs must be a non-negative number of milliseconds",
            )?,
        ),
        None => t.needs_refresh(now),
    })
}

pub fn code_challenge_s256(verifier: &str) -> Result<String> {
    Ok(crate::pkce::challenge_s256(&crate::pkce::parse_verifier(
        verifier,
    )?))
}

/// An error as `[code, message, error, errorDescription, errorUri, status]`,
/// from which js/api.js builds an `OAuthError`.
pub fn error_record(e: &Error) -> String {
    error_record_with_retry(e, None)
}

/// [`error_record`] grown at its end by `retryAfterMs` (the edge build's
/// `rate_limited` / `api_unavailable` answers, when Pleo sent `Retry-After`).
/// The fields before it are written as absent when the error has none, so
/// it keeps its position; without it the record is the OAuth one, byte for
/// byte. An empty server `error` (Pleo's `type` missing) is absent too.
pub fn error_record_with_retry(e: &Error, retry_after_ms: Option<u64>) -> String {
    let mut w = Writer::with_capacity(e.message().len() + 64);
    w.begin().str(e.code().as_str()).str(e.message());
    let padded = retry_after_ms.is_some();
    match e.server_error() {
        Some(s) => {
            w.opt_str(Some(s.error.as_str()).filter(|e| !e.is_empty()))
                .opt_str(s.error_description.as_deref())
                .opt_str(s.error_uri.as_deref());
            match s.status {
                Some(status) => {
                    w.int(u64::from(status));
                }
                None if padded => {
                    w.absent();
                }
                None => {}
            }
        }
        None if padded => {
            w.absent().absent().absent().absent();
        }
        None => {}
    }
    if let Some(ms) = retry_after_ms {
        w.int(ms);
    }
    w.end();
    w.finish()
}

#[cfg(test)]
mod tests;
