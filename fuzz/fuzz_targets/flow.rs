//! A whole flow, structure-aware: a sequence of operations on one client
//! (start_authorization with arbitrary options, callbacks built from mutated
//! pieces of the real state/code/iss, token and refresh requests, token
//! responses with the previous set, tampered pending records) with the
//! library's invariants asserted after every step.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;
use pleo_oauth::authorization::{PLEO_SUBJECT_PARAM, RESERVED_PARAMS};
use pleo_oauth::pkce::challenge_s256;
use pleo_oauth::secret::{CodeVerifier, State};
use pleo_oauth::{
    parse_token_response, AuthorizationOptions, AuthorizationStart, CallbackResult, Client,
    ClientAuth, Error, ErrorCode, HttpRequest, HttpResponse, PendingAuthorization, TokenSet,
    TokenTypeHint,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Auth {
    Default,
    Basic,
    Post,
    PublicClient,
}

#[derive(Arbitrary, Debug)]
struct Flow {
    iss_required: bool,
    auth: Auth,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Start {
        scopes: Option<Vec<String>>,
        subject: Option<String>,
        extra: Vec<(ParamName, String)>,
        now: u64,
    },
    Callback {
        pending: u8,
        base: Base,
        pieces: Vec<Piece>,
        fragment: Vec<Piece>,
    },
    TokenRequest {
        pending: u8,
        code: Value,
    },
    TokenResponse {
        status: Status,
        body: Body,
        now: u64,
        use_previous: bool,
    },
    Refresh {
        token: TokenChoice,
    },
    Introspect {
        token: TokenChoice,
        hint: Option<bool>,
        revoke: bool,
    },
    Tamper {
        pending: u8,
        field: Tamper,
    },
}

#[derive(Arbitrary, Debug)]
enum ParamName {
    Reserved(u8),
    Subject,
    Similar(u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Base {
    Redirect,
    RedirectWithQuery,
    Relative,
    Any(String),
}

/// A mutation of a real value.
#[derive(Arbitrary, Debug, Clone)]
enum Value {
    Exact,
    Empty,
    Truncate(u8),
    Append(String),
    Prepend(String),
    FlipCase(u8),
    PercentEncodeAll { lower_hex: bool },
    PercentEncodeOne(u8),
    DoubleEncode,
    TrailingSlash,
    Replace(String),
}

#[derive(Arbitrary, Debug)]
enum Piece {
    State(Value),
    Code(Value),
    Iss(Value),
    Error(String),
    ErrorDescription(String),
    ErrorUri(String),
    Forbidden(u8, String),
    Raw(String),
    NameOnly(u8),
    Separator,
}

#[derive(Arbitrary, Debug)]
enum Status {
    Ok,
    BadRequest,
    Unauthorized,
    ServerError,
    Any(u16),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Success {
        access: TokenValue,
        token_type: TokenType,
        expires_in: Option<Expires>,
        refresh: Option<TokenValue>,
        scope: Option<String>,
        extra: Vec<(String, String)>,
    },
    Error {
        error: Option<String>,
        description: Option<String>,
        uri: Option<String>,
        with_tokens: bool,
    },
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum TokenValue {
    Fresh,
    Empty,
    Null,
    Number,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum TokenType {
    Bearer,
    LowerBearer,
    Missing,
    Mac,
    DPoP,
    Number,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Expires {
    Int(u32),
    Float(f64),
    Str(u32),
    TenYears(i8),
    Text(String),
    Negative,
    Huge,
    Null,
}

#[derive(Arbitrary, Debug)]
enum TokenChoice {
    Current,
    Empty,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    State(Value),
    Verifier(Value),
    RedirectUri(String),
    Issuer(String),
    CreatedAt(u64),
    Scopes(Vec<String>),
}

/// A distinctive marker in every code and token the "server" issues, so a
/// leak into an error is unmistakable.
const MARK: &str = "FUZZTOKEN.";

struct World {
    client: Client,
    iss_required: bool,
    auth: ClientAuth,
    pendings: Vec<PendingAuthorization>,
    current: Option<TokenSet>,
    counter: u32,
}

impl World {
    fn fresh(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("{MARK}{kind}-{}", self.counter)
    }
}

fn percent_all(s: &str, lower: bool) -> String {
    s.bytes()
        .map(|b| {
            if lower {
                format!("%{b:02x}")
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Applies a mutation; returns the URL-encoded text and the decoded value
/// the server-side parser should see (`None` when it would not decode).
fn mutate(real: &str, v: &Value) -> (String, Option<String>) {
    let plain = |s: String| (form_encode(&s), Some(s));
    match v {
        Value::Exact => plain(real.to_owned()),
        Value::Empty => plain(String::new()),
        Value::Truncate(n) => {
            let keep = usize::from(*n) % (real.len() + 1);
            plain(real.get(..keep).unwrap_or(real).to_owned())
        }
        Value::Append(s) => plain([real, s].concat()),
        Value::Prepend(s) => plain([s, real].concat()),
        Value::FlipCase(i) => {
            let mut chars: Vec<char> = real.chars().collect();
            if !chars.is_empty() {
                let i = usize::from(*i) % chars.len();
                let c = chars[i];
                chars[i] = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
            }
            plain(chars.into_iter().collect())
        }
        Value::PercentEncodeAll { lower_hex } => {
            (percent_all(real, *lower_hex), Some(real.to_owned()))
        }
        Value::PercentEncodeOne(i) => {
            let enc = form_encode(real);
            let bytes = real.as_bytes();
            if bytes.is_empty() {
                return (enc, Some(real.to_owned()));
            }
            let i = usize::from(*i) % bytes.len();
            // Only safe for ASCII values (all of ours are).
            if !real.is_ascii() {
                return (enc, Some(real.to_owned()));
            }
            let mut out = form_encode(&real[..i]);
            out.push_str(&format!("%{:02X}", bytes[i]));
            out.push_str(&form_encode(&real[i + 1..]));
            (out, Some(real.to_owned()))
        }
        // %25xx decodes once to "%xx", not to the value.
        Value::DoubleEncode => (
            form_encode(&percent_all(real, false)),
            Some(percent_all(real, false)),
        ),
        Value::TrailingSlash => plain([real, "/"].concat()),
        Value::Replace(s) => plain(s.clone()),
    }
}

fn reserved(i: u8) -> &'static str {
    RESERVED_PARAMS[usize::from(i) % RESERVED_PARAMS.len()]
}

const FORBIDDEN: [&str; 5] = [
    "access_token",
    "id_token",
    "token_type",
    "refresh_token",
    "response",
];
const SIMILAR: [&str; 8] = [
    "State",
    "STATE",
    "state ",
    "iss ",
    "code[]",
    "scope%00",
    "redirect_uri.",
    "client-id",
];

fn check_request(w: &World, r: &HttpRequest, secrets: &[&str]) {
    assert_eq!(r.method, "POST");
    let debug = format!("{r:?}");
    let template = format!("HttpRequest {{ method: \"POST\", url: {:?}, headers: \"[redacted]\", body: \"[redacted]\" }}", r.url);
    for s in secrets.iter().chain([SECRET].iter()) {
        if s.len() >= 8 && !template.contains(s) {
            assert!(!debug.contains(s), "HttpRequest Debug leaks a secret");
        }
    }
    assert!(!debug.contains(&form_encode(SECRET)));
    let pairs = strict_pairs(&r.body).expect("request body does not decode");
    let count = |n: &str| pairs.iter().filter(|(k, _)| k == n).count();
    let auth_header = r
        .headers
        .iter()
        .filter(|(n, _)| *n == "authorization")
        .count();
    // RFC 6749 §2.3: exactly one client authentication method.
    match w.auth {
        ClientAuth::ClientSecretBasic => {
            assert_eq!(auth_header, 1);
            assert_eq!(count("client_secret"), 0);
            assert_eq!(count("client_id"), 0);
        }
        ClientAuth::ClientSecretPost => {
            assert_eq!(auth_header, 0);
            assert_eq!(count("client_secret"), 1);
            assert_eq!(count("client_id"), 1);
        }
        ClientAuth::None => {
            assert_eq!(auth_header, 0);
            assert_eq!(count("client_secret"), 0);
            assert_eq!(count("client_id"), 1);
        }
    }
    for (n, _) in &pairs {
        assert_eq!(count(n), 1, "request body repeats {n}");
    }
    assert!(!r.url.contains(SECRET));
}

fn options_valid(
    scopes: &Option<Vec<String>>,
    subject: &Option<String>,
    extra: &[(String, String)],
) -> bool {
    let scope_ok = |s: &String| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    if scopes.as_ref().is_some_and(|s| !s.iter().all(scope_ok)) {
        return false;
    }
    if subject
        .as_ref()
        .is_some_and(|s| s.is_empty() || s.chars().any(char::is_control))
    {
        return false;
    }
    for (i, (n, v)) in extra.iter().enumerate() {
        if n.is_empty() || n.len() > 256 || !n.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return false;
        }
        if RESERVED_PARAMS.contains(&n.as_str()) {
            return false;
        }
        if n == PLEO_SUBJECT_PARAM && subject.is_some() {
            return false;
        }
        if extra[..i].iter().any(|(e, _)| e == n) || v.chars().any(char::is_control) {
            return false;
        }
    }
    true
}

fn pending_valid(p: &PendingAuthorization) -> bool {
    let s = p.state.expose_secret();
    let v = p.code_verifier.expose_secret();
    !s.is_empty()
        && s.len() <= 512
        && s.bytes().all(|b| (0x21..0x7f).contains(&b))
        && (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        && p.redirect_uri == REDIRECT_URI
        && p.issuer == ISSUER
        && p.created_at < (1 << 53)
        && p.scopes.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        })
}

/// One operation of the sequence; each step of the flow is its own function.
fn step(w: &mut World, op: Op) {
    match op {
        Op::Start {
            scopes,
            subject,
            extra,
            now,
        } => start_step(w, scopes, subject, extra, now),
        Op::Callback {
            pending,
            base,
            pieces,
            fragment,
        } => callback_step(w, pending, base, pieces, fragment),
        Op::TokenRequest { pending, code } => token_request_step(w, pending, code),
        Op::TokenResponse {
            status,
            body,
            now,
            use_previous,
        } => token_response_step(w, status, body, now, use_previous),
        Op::Refresh { token } => refresh_step(w, token),
        Op::Introspect {
            token,
            hint,
            revoke,
        } => introspect_step(w, token, hint, revoke),
        Op::Tamper { pending, field } => tamper_step(w, pending, field),
    }
}

/// `start_authorization` with generated options, checked against an independent model of the option rules.
fn start_step(
    w: &mut World,
    scopes: Option<Vec<String>>,
    subject: Option<String>,
    extra: Vec<(ParamName, String)>,
    now: u64,
) {
    let now = now % (1 << 54); // around MAX_SAFE_INTEGER both ways
    let extra = name_extras(extra);
    let valid = options_valid(&scopes, &subject, &extra) && now < (1 << 53);
    let opts = AuthorizationOptions {
        scopes: scopes.clone(),
        subject: subject.clone(),
        extra_params: extra.clone(),
    };
    // Names are echoed in messages and URLs: leak checks only when none is the secret.
    let options_carry_secret = format!("{scopes:?}{subject:?}{extra:?}").contains("FUZZSECRET");
    match w.client.start_authorization(opts, now) {
        Ok(start) => {
            assert!(valid, "start_authorization accepted invalid options");
            let scopes =
                scopes.unwrap_or_else(|| vec!["users:read".into(), "companies:read".into()]);
            let asked = AskedOptions {
                scopes: &scopes,
                subject: &subject,
                extra: &extra,
                now,
                options_carry_secret,
            };
            check_authorization_start(&start, &asked);
            if w.pendings.len() < 8 {
                w.pendings.push(start.pending);
            }
        }
        Err(e) => {
            assert!(!valid, "start_authorization rejected valid options: {e}");
            assert_code_in(&e, &[ErrorCode::InvalidInput], "start_authorization");
            if !options_carry_secret {
                assert_no_leak(&e, SECRET, "client secret");
            }
        }
    }
}

/// Turns the generated parameter names (reserved, look-alike, any) into strings.
fn name_extras(extra: Vec<(ParamName, String)>) -> Vec<(String, String)> {
    extra
        .into_iter()
        .map(|(n, v)| {
            let n = match n {
                ParamName::Reserved(i) => reserved(i).to_owned(),
                ParamName::Subject => PLEO_SUBJECT_PARAM.to_owned(),
                ParamName::Similar(i) => SIMILAR[usize::from(i) % SIMILAR.len()].to_owned(),
                ParamName::Any(s) => s,
            };
            (n, v)
        })
        .collect()
}

/// The options `start_authorization` was given (scopes with the default filled in).
struct AskedOptions<'a> {
    scopes: &'a [String],
    subject: &'a Option<String>,
    extra: &'a [(String, String)],
    now: u64,
    options_carry_secret: bool,
}

/// An accepted start: the URL's parameters, then the pending record.
fn check_authorization_start(start: &AuthorizationStart, asked: &AskedOptions) {
    let url = &start.url;
    assert!(url.starts_with("http://127.0.0.1:4010/oauth/authorize?"));
    let q = query_of(url).expect("authorize URL without a query");
    assert!(!url.contains('#'));
    let pairs = strict_pairs(q).expect("authorize URL does not decode");
    check_reserved_params(&pairs, start, asked, url);
    check_requested_params(&pairs, asked);
    check_pending_record(start, asked);
}

/// Exactly one of each reserved parameter, whatever the extras, with the
/// values the protocol fixes (RFC 6749 §4.1.1, RFC 7636 §4.3).
fn check_reserved_params(
    pairs: &[(String, String)],
    start: &AuthorizationStart,
    asked: &AskedOptions,
    url: &str,
) {
    let count = |n: &str| pairs.iter().filter(|(k, _)| k == n).count();
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    for name in fuzz_support::ALWAYS_IN_AUTHORIZE_URL {
        assert_eq!(count(name), 1, "{name} in {url}");
    }
    assert_eq!(count("scope"), usize::from(!asked.scopes.is_empty()));
    assert_eq!(count("client_secret") + count("code_verifier"), 0);
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("state"), Some(start.pending.state.expose_secret()));
    assert_eq!(
        get("code_challenge"),
        Some(challenge_s256(&start.pending.code_verifier).as_str())
    );
    assert!(!url.contains(start.pending.code_verifier.expose_secret()));
    if !asked.options_carry_secret {
        assert!(
            !url.contains("FUZZSECRET"),
            "authorize URL carries the client secret"
        );
    }
}

/// Scope, subject and extras appear once each with their values, and nothing else does.
fn check_requested_params(pairs: &[(String, String)], asked: &AskedOptions) {
    let count = |n: &str| pairs.iter().filter(|(k, _)| k == n).count();
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if !asked.scopes.is_empty() {
        assert_eq!(get("scope"), Some(asked.scopes.join(" ").as_str()));
    }
    if let Some(s) = asked.subject {
        assert_eq!(get(PLEO_SUBJECT_PARAM), Some(s.as_str()));
    }
    for (n, v) in asked.extra {
        assert_eq!(count(n), 1);
        assert_eq!(get(n), Some(v.as_str()));
    }
    assert_eq!(
        pairs.len(),
        6 + usize::from(!asked.scopes.is_empty())
            + usize::from(asked.subject.is_some())
            + asked.extra.len()
    );
}

/// The pending record keeps what was asked, a state of at least 128 bits,
/// and hides its secrets from `Debug`.
fn check_pending_record(start: &AuthorizationStart, asked: &AskedOptions) {
    assert_eq!(start.pending.scopes, asked.scopes);
    assert_eq!(start.pending.created_at, asked.now);
    assert!(
        start.pending.state.expose_secret().len() >= 22,
        "state under 128 bits"
    );
    let dbg = format!("{:?}", start.pending);
    assert!(!dbg.contains(start.pending.state.expose_secret()));
    assert!(!dbg.contains(start.pending.code_verifier.expose_secret()));
}

/// `handle_callback` on a URL built from mutated pieces of a pending authorization's state, code and iss.
fn callback_step(w: &mut World, pending: u8, base: Base, pieces: Vec<Piece>, fragment: Vec<Piece>) {
    let Some(p) = pick(&w.pendings, pending).map(copy_pending) else {
        return;
    };
    let real_state = p.state.expose_secret().to_owned();
    let real_code = w.fresh("code");
    let cb = build_callback(real_state, real_code, &base, &pieces, &fragment);
    match &w.client.handle_callback(&cb.url, &p) {
        Ok(r) => check_accepted_callback(&cb, r, w.iss_required),
        Err(e) => check_rejected_callback(&cb, e, &p, w.iss_required),
    }
}

/// A callback URL and what the oracle knows about how it was built.
struct CallbackUrl {
    url: String,
    real_state: String,
    real_code: String,
    /// Decoded values of each `state`/`iss`/`code` in the query (`None`: would not decode).
    state_values: Vec<Option<String>>,
    iss_values: Vec<Option<String>>,
    code_values: Vec<Option<String>>,
    /// Names of the pieces whose repetition the library must refuse.
    names: Vec<&'static str>,
    has_error: bool,
    has_forbidden: bool,
    /// Fuzz-chosen raw text: the URL's meaning is unknown to the oracle.
    has_raw: bool,
    has_fragment: bool,
    /// The base is the redirect URI itself (or its path), with no query of its own.
    plain_base: bool,
    /// Everything the "server" wrote: a secret found here may legitimately be echoed.
    server_text: String,
}

impl CallbackUrl {
    /// Exactly one `state`, equal to the pending one.
    fn state_ok(&self) -> bool {
        self.state_values.len() == 1
            && self.state_values[0].as_deref() == Some(self.real_state.as_str())
    }

    /// RFC 9207 §2.4: at most one `iss`, equal to the issuer; absent only when not required.
    fn iss_ok(&self, iss_required: bool) -> bool {
        match self.iss_values.as_slice() {
            [] => !iss_required,
            [v] => v.as_deref() == Some(ISSUER),
            _ => false,
        }
    }

    /// No parameter name appears twice among the named pieces.
    fn no_duplicate_names(&self) -> bool {
        let names = &self.names;
        names
            .iter()
            .enumerate()
            .all(|(i, n)| n.is_empty() || !names[..i].contains(n))
    }

    /// Exactly one non-empty code.
    fn one_code(&self) -> bool {
        self.code_values.len() == 1
            && self.code_values[0]
                .as_deref()
                .is_some_and(|c| !c.is_empty())
    }
}

/// Query, then fragment, then base: `server_text` keeps that order.
fn build_callback(
    real_state: String,
    real_code: String,
    base: &Base,
    pieces: &[Piece],
    fragment: &[Piece],
) -> CallbackUrl {
    let mut cb = CallbackUrl {
        url: String::new(),
        real_state,
        real_code,
        state_values: vec![],
        iss_values: vec![],
        code_values: vec![],
        names: vec![],
        has_error: false,
        has_forbidden: false,
        has_raw: false,
        has_fragment: !fragment.is_empty(),
        plain_base: matches!(base, Base::Redirect | Base::Relative),
        server_text: String::new(),
    };
    let query: Vec<String> = pieces.iter().map(|p| add_query_piece(&mut cb, p)).collect();
    let frag: Vec<String> = fragment
        .iter()
        .filter_map(|p| fragment_piece(&mut cb, p))
        .collect();
    let base_url = callback_base(&mut cb, base);
    let sep = if base_url.contains('?') { "&" } else { "?" };
    let mut url = [base_url.as_str(), sep, &query.join("&")].concat();
    if cb.has_fragment {
        url.push('#');
        url.push_str(&frag.join("&"));
    }
    cb.url = url;
    cb
}

/// One query piece: records what it means and returns its text.
fn add_query_piece(cb: &mut CallbackUrl, piece: &Piece) -> String {
    cb.names.push(match piece {
        Piece::ErrorDescription(_) => "error_description",
        Piece::ErrorUri(_) => "error_uri",
        Piece::Forbidden(i, _) => FORBIDDEN[usize::from(*i) % FORBIDDEN.len()],
        _ => "",
    });
    match piece {
        Piece::State(v) => {
            let (enc, dec) = mutate(&cb.real_state, v);
            cb.state_values.push(dec);
            format!("state={enc}")
        }
        Piece::Code(v) => {
            let (enc, dec) = mutate(&cb.real_code, v);
            cb.code_values.push(dec);
            format!("code={enc}")
        }
        Piece::Iss(v) => {
            let (enc, dec) = mutate(ISSUER, v);
            cb.iss_values.push(dec);
            format!("iss={enc}")
        }
        Piece::Error(s) => {
            cb.has_error = true;
            error_param(cb, "error", s)
        }
        Piece::ErrorDescription(s) => error_param(cb, "error_description", s),
        Piece::ErrorUri(s) => error_param(cb, "error_uri", s),
        Piece::Forbidden(i, s) => {
            cb.has_forbidden = true;
            let n = FORBIDDEN[usize::from(*i) % FORBIDDEN.len()];
            format!("{n}={}", form_encode(s))
        }
        Piece::Raw(s) => {
            cb.has_raw = true;
            cb.server_text.push_str(s);
            s.clone()
        }
        Piece::NameOnly(i) => name_only_piece(cb, *i),
        Piece::Separator => String::new(),
    }
}

/// An RFC 6749 §4.1.2.1 error response parameter (only `error` makes it an
/// error response); its value is server text.
fn error_param(cb: &mut CallbackUrl, name: &str, s: &str) -> String {
    cb.server_text.push_str(s);
    format!("{name}={}", form_encode(s))
}

/// A name without `=`: WHATWG form parsing reads it as an empty value.
fn name_only_piece(cb: &mut CallbackUrl, i: u8) -> String {
    let n = ["state", "code", "iss", "error"][usize::from(i) % 4];
    match n {
        "state" => cb.state_values.push(Some(String::new())),
        "code" => cb.code_values.push(Some(String::new())),
        "iss" => cb.iss_values.push(Some(String::new())),
        _ => cb.has_error = true,
    }
    n.to_owned()
}

/// A fragment piece (RFC 6749 §3.1.2: the response arrives in the query, never the fragment).
fn fragment_piece(cb: &mut CallbackUrl, piece: &Piece) -> Option<String> {
    match piece {
        Piece::State(v) => Some(format!("state={}", mutate(&cb.real_state, v).0)),
        Piece::Code(v) => Some(format!("code={}", mutate(&cb.real_code, v).0)),
        Piece::Raw(s) => {
            cb.server_text.push_str(s);
            Some(s.clone())
        }
        _ => None,
    }
}

fn callback_base(cb: &mut CallbackUrl, base: &Base) -> String {
    match base {
        Base::Redirect => REDIRECT_URI.to_owned(),
        Base::RedirectWithQuery => format!("{REDIRECT_URI}?tenant=a"),
        Base::Relative => "/auth/callback".to_owned(),
        Base::Any(s) => {
            cb.has_raw = true;
            cb.server_text.push_str(s);
            s.clone()
        }
    }
}

/// An `Ok` always carries the pending state and the issuer (or none, when
/// allowed); unless raw text was mixed in, it came from an untouched state
/// and iss, no error or token parameters, and one code equal to the decoded one.
fn check_accepted_callback(cb: &CallbackUrl, r: &CallbackResult, iss_required: bool) {
    let url = &cb.url;
    assert_eq!(r.state, cb.real_state, "Ok callback with a foreign state");
    assert!(!r.code.is_empty());
    if !cb.has_raw {
        assert!(cb.state_ok(), "Ok callback with mutated state: {url}");
        assert!(
            cb.iss_ok(iss_required),
            "Ok callback with mutated/missing iss: {url}"
        );
        assert!(
            !cb.has_error && !cb.has_forbidden,
            "Ok callback with error/token params: {url}"
        );
        assert_eq!(cb.code_values.len(), 1);
        assert_eq!(cb.code_values[0].as_deref(), Some(r.code.as_str()));
    }
    match &r.iss {
        Some(i) => assert_eq!(i, ISSUER),
        None => assert!(!iss_required),
    }
}

fn check_rejected_callback(
    cb: &CallbackUrl,
    e: &Error,
    p: &PendingAuthorization,
    iss_required: bool,
) {
    assert_code_in(
        e,
        &[
            ErrorCode::InvalidCallback,
            ErrorCode::StateMismatch,
            ErrorCode::IssuerMismatch,
            ErrorCode::AuthorizationDenied,
        ],
        "handle_callback",
    );
    if !cb.has_raw {
        check_rejection_order(cb, e, iss_required);
        check_clean_callback_not_rejected(cb, e, iss_required);
    }
    check_callback_error_leaks(cb, e, p);
}

/// State first, then iss, then error= (RFC 9700 §4.7, RFC 9207 §2.4).
fn check_rejection_order(cb: &CallbackUrl, e: &Error, iss_required: bool) {
    let state_ok = cb.state_ok();
    if !state_ok {
        assert!(
            !matches!(
                e.code(),
                ErrorCode::AuthorizationDenied | ErrorCode::IssuerMismatch
            ),
            "{:?} surfaced despite a bad state: {}",
            e.code(),
            cb.url
        );
    }
    if e.code() == ErrorCode::AuthorizationDenied {
        assert!(state_ok && cb.iss_ok(iss_required) && cb.has_error);
    }
}

/// The right state and iss, one code, no error/token parameters, no
/// fragment, no repeated names, a plain base and ≤ 16 KiB: must be accepted.
fn check_clean_callback_not_rejected(cb: &CallbackUrl, e: &Error, iss_required: bool) {
    if cb.state_ok()
        && cb.iss_ok(iss_required)
        && !cb.has_forbidden
        && !cb.has_error
        && !cb.has_fragment
        && cb.one_code()
        && cb.plain_base
        && cb.url.len() <= 16 * 1024
        && cb.no_duplicate_names()
    {
        panic!("a clean callback was rejected: {e} — {}", cb.url);
    }
}

/// No error shows the expected state, the code, the verifier or the client
/// secret, unless the "server" wrote that text itself.
fn check_callback_error_leaks(cb: &CallbackUrl, e: &Error, p: &PendingAuthorization) {
    if !cb.server_text.contains(&cb.real_state) {
        assert_no_leak(e, &cb.real_state, "expected state");
    }
    if !cb.server_text.contains(MARK) {
        assert_no_leak(e, &cb.real_code, "code");
    }
    assert_no_leak(e, p.code_verifier.expose_secret(), "verifier");
    assert_no_leak(e, SECRET, "client secret");
}

/// `token_request` for a pending authorization.
fn token_request_step(w: &mut World, pending: u8, code: Value) {
    let Some(p) = pick(&w.pendings, pending).map(copy_pending) else {
        return;
    };
    let p = &p;
    let real = w.fresh("code");
    let (_, code) = mutate(&real, &code);
    let code = code.unwrap_or_default();
    let verifier = p.code_verifier.expose_secret().to_owned();
    match w.client.token_request(&code, p) {
        Ok(r) => {
            assert!(!code.is_empty());
            assert_eq!(r.url, "http://127.0.0.1:4010/oauth/token");
            check_request(w, &r, &[&verifier, &code]);
            let pairs = strict_pairs(&r.body).expect("body");
            let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
            assert_eq!(get("grant_type"), Some("authorization_code"));
            assert_eq!(get("code"), Some(code.as_str()));
            assert_eq!(get("redirect_uri"), Some(p.redirect_uri.as_str()));
            assert_eq!(get("code_verifier"), Some(verifier.as_str()));
        }
        Err(e) => {
            assert_code_in(&e, &[ErrorCode::InvalidInput], "token_request");
            assert_no_leak(&e, &verifier, "verifier");
            if code.contains(MARK) {
                assert_no_leak(&e, &code, "code");
            }
        }
    }
}

/// `parse_token_response` with a generated body, the current token set as `previous`.
fn token_response_step(w: &mut World, status: Status, body: Body, now: u64, use_previous: bool) {
    let status = status_code(status);
    let now = now % (1 << 54);
    let generated = generate_token_body(w, &body);
    let expect_ok = status == 200 && now < (1 << 53) && generated.valid;
    let previous = if use_previous {
        w.current.clone()
    } else {
        None
    };
    let previous = previous.as_ref();
    let result = parse_token_response(
        &HttpResponse {
            status,
            body: &generated.text,
        },
        now,
        previous,
    );
    match result {
        Ok(set) => {
            check_accepted_token_set(&body, &generated, &set, previous, now);
            w.current = Some(set);
        }
        Err(e) => {
            if matches!(body, Body::Success { .. }) && expect_ok {
                panic!(
                    "a valid token response was rejected: {e} — {}",
                    generated.text
                );
            }
            assert_code_in(
                &e,
                &fuzz_support::TOKEN_RESPONSE_CODES,
                "parse_token_response",
            );
            check_token_error_body(&body, &e, status, now);
            check_token_response_leaks(&generated, &e, previous);
        }
    }
}

fn status_code(status: Status) -> u16 {
    match status {
        Status::Ok => 200,
        Status::BadRequest => 400,
        Status::Unauthorized => 401,
        Status::ServerError => 500,
        Status::Any(s) => s,
    }
}

/// A generated token response body and what the oracle knows about it.
struct GeneratedBody {
    text: String,
    /// Tokens the world issued into this body (all carry `MARK`).
    issued: Vec<String>,
    /// Everything the "server" wrote freely: a token found here may legitimately be echoed.
    server_text: String,
    /// The body alone is a valid RFC 6749 §5.1 success response.
    valid: bool,
    /// The `refresh_token` member: `None` absent, `Some(None)` not a string.
    new_refresh: Option<Option<String>>,
}

fn generate_token_body(w: &mut World, body: &Body) -> GeneratedBody {
    let mut g = GeneratedBody {
        text: String::new(),
        issued: vec![],
        server_text: String::new(),
        valid: true,
        new_refresh: None,
    };
    g.text = match body {
        Body::Success {
            access,
            token_type,
            expires_in,
            refresh,
            scope,
            extra,
        } => {
            let mut members: Vec<(String, serde_json::Value)> = vec![];
            let a = token_value(w, access, "at", &mut g);
            members.push(("access_token".into(), a));
            let tt = token_type_value(token_type);
            g.valid &= is_bearer(&tt);
            if let Some(tt) = tt {
                members.push(("token_type".into(), tt));
            }
            if let Some(e) = expires_in {
                let (v, ok) = expires_in_value(e);
                g.valid &= ok;
                members.push(("expires_in".into(), v));
            }
            if let Some(r) = refresh {
                let v = token_value(w, r, "rt", &mut g);
                g.new_refresh = Some(v.as_str().map(str::to_owned));
                members.push(("refresh_token".into(), v));
            }
            if let Some(s) = scope {
                members.push(("scope".into(), serde_json::json!(s)));
            }
            add_extra_members(&mut members, extra, &mut g);
            let map: serde_json::Map<String, serde_json::Value> = members.into_iter().collect();
            serde_json::Value::Object(map).to_string()
        }
        Body::Error {
            error,
            description,
            uri,
            with_tokens,
        } => error_body(w, &mut g, [error, description, uri], *with_tokens),
        Body::Raw(s) => {
            g.server_text.push_str(s);
            g.valid = false;
            s.clone()
        }
    };
    g
}

/// A token member: a fresh marked token, or a value the response must be refused for.
fn token_value(
    w: &mut World,
    t: &TokenValue,
    kind: &str,
    g: &mut GeneratedBody,
) -> serde_json::Value {
    match t {
        TokenValue::Fresh => {
            let s = w.fresh(kind);
            g.issued.push(s.clone());
            serde_json::Value::String(s)
        }
        TokenValue::Empty => {
            g.valid = false;
            serde_json::Value::String(String::new())
        }
        TokenValue::Null => {
            g.valid = false;
            serde_json::Value::Null
        }
        TokenValue::Number => {
            g.valid = false;
            serde_json::json!(42)
        }
        TokenValue::Any(s) => {
            if s.is_empty() {
                g.valid = false;
            }
            serde_json::Value::String(s.clone())
        }
    }
}

fn token_type_value(t: &TokenType) -> Option<serde_json::Value> {
    match t {
        TokenType::Bearer => Some(serde_json::json!("Bearer")),
        TokenType::LowerBearer => Some(serde_json::json!("bEaReR")),
        TokenType::Missing => None,
        TokenType::Mac => Some(serde_json::json!("mac")),
        TokenType::DPoP => Some(serde_json::json!("DPoP")),
        TokenType::Number => Some(serde_json::json!(1)),
        TokenType::Any(s) => Some(serde_json::json!(s)),
    }
}

/// RFC 6749 §5.1 / RFC 6750 §4: `token_type` is required, compared case-insensitively.
fn is_bearer(tt: &Option<serde_json::Value>) -> bool {
    tt.as_ref()
        .and_then(|v| v.as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
}

/// An `expires_in` form and whether the library must accept it (a
/// non-negative integer, or its decimal string, up to ten years).
fn expires_in_value(e: &Expires) -> (serde_json::Value, bool) {
    const TEN_YEARS: i64 = 315_360_000;
    match e {
        Expires::Int(n) => (serde_json::json!(n), i64::from(*n) <= TEN_YEARS),
        Expires::Float(f) => match serde_json::Number::from_f64(*f) {
            // (1 s of slack: the library's float parser is not correctly rounded)
            Some(n) => (
                serde_json::Value::Number(n),
                *f >= 0.0 && *f <= (TEN_YEARS - 1) as f64,
            ),
            None => (serde_json::Value::Null, false),
        },
        Expires::Str(n) => (serde_json::json!(n.to_string()), i64::from(*n) <= TEN_YEARS),
        Expires::TenYears(d) => {
            let n = TEN_YEARS + i64::from(*d);
            (serde_json::json!(n), n <= TEN_YEARS)
        }
        Expires::Text(s) => (
            serde_json::json!(s),
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && s.len() <= 9
                && s.parse::<i64>().is_ok_and(|n| n <= TEN_YEARS)
                && !(s.len() > 1 && s.starts_with('0')),
        ),
        Expires::Negative => (serde_json::json!(-1), false),
        Expires::Huge => (serde_json::json!(1e300), false),
        Expires::Null => (serde_json::Value::Null, false),
    }
}

/// Extra members the library must ignore (RFC 6749 §5.1); known names and
/// repeats are skipped so the body stays one JSON object with unique keys.
fn add_extra_members(
    members: &mut Vec<(String, serde_json::Value)>,
    extra: &[(String, String)],
    g: &mut GeneratedBody,
) {
    const KNOWN: [&str; 8] = [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "error",
        "error_description",
        "error_uri",
    ];
    for (k, v) in extra {
        if members.iter().any(|(m, _)| m == k) || KNOWN.contains(&k.as_str()) {
            continue;
        }
        g.server_text.push_str(v);
        members.push((k.clone(), serde_json::json!(v)));
    }
}

/// An RFC 6749 §5.2 error body (`error`, `error_description`, `error_uri`),
/// sometimes with tokens beside it, which must not make it a success.
fn error_body(
    w: &mut World,
    g: &mut GeneratedBody,
    [error, description, uri]: [&Option<String>; 3],
    with_tokens: bool,
) -> String {
    g.valid = false;
    let mut map = serde_json::Map::new();
    for (name, value) in [
        ("error", error),
        ("error_description", description),
        ("error_uri", uri),
    ] {
        if let Some(v) = value {
            g.server_text.push_str(v);
            map.insert(name.into(), serde_json::json!(v));
        }
    }
    if with_tokens {
        let at = w.fresh("at");
        g.issued.push(at.clone());
        map.insert("access_token".into(), serde_json::json!(at));
        map.insert("token_type".into(), serde_json::json!("Bearer"));
    }
    serde_json::Value::Object(map).to_string()
}

/// An accepted response: never an error body, a non-empty access token, the
/// refresh token rotated or kept, and an expiry in range.
fn check_accepted_token_set(
    body: &Body,
    g: &GeneratedBody,
    set: &TokenSet,
    previous: Option<&TokenSet>,
    now: u64,
) {
    if let Body::Error { error: Some(_), .. } = body {
        panic!("accepted an RFC 6749 §5.2 error body: {}", g.text);
    }
    assert!(!set.access_token.expose_secret().is_empty());
    check_refresh_rotation(body, g, set, previous);
    if let Some(at) = set.expires_at {
        assert!(at >= now && at < (1 << 53));
    }
}

/// RFC 6749 §6: a new refresh token replaces the old one; without one, the
/// previous one is carried over.
fn check_refresh_rotation(
    body: &Body,
    g: &GeneratedBody,
    set: &TokenSet,
    previous: Option<&TokenSet>,
) {
    match &g.new_refresh {
        Some(Some(rt)) => assert_eq!(
            set.refresh_token.as_ref().map(|t| t.expose_secret()),
            Some(rt.as_str())
        ),
        Some(None) => panic!("accepted a non-string refresh_token"),
        None if matches!(body, Body::Success { .. }) => assert_eq!(
            set.refresh_token.as_ref().map(|t| t.expose_secret()),
            previous
                .and_then(|p| p.refresh_token.as_ref())
                .map(|t| t.expose_secret()),
            "refresh token not carried over (RFC 6749 §6)"
        ),
        None => {}
    }
}

/// RFC 6749 §5.2: an error body with a non-empty `error` is `token_error`
/// carrying the HTTP status.
fn check_token_error_body(body: &Body, e: &Error, status: u16, now: u64) {
    if let Body::Error {
        error: Some(err), ..
    } = body
    {
        if !err.is_empty() && now < (1 << 53) {
            assert_eq!(
                e.code(),
                ErrorCode::TokenError,
                "§5.2 error body as {:?}",
                e.code()
            );
            assert_eq!(e.server_error().map(|s| s.status), Some(Some(status)));
        }
    }
}

/// No error shows a token the world issued, unless the "server" wrote marked text itself.
fn check_token_response_leaks(g: &GeneratedBody, e: &Error, previous: Option<&TokenSet>) {
    if g.server_text.contains(MARK) {
        return;
    }
    for t in &g.issued {
        assert_no_leak(e, t, "token");
    }
    // Only refresh tokens the world issued (marked): a fuzz-chosen
    // one can be any substring of a message.
    if let Some(rt) = previous
        .and_then(|p| p.refresh_token.as_ref())
        .filter(|t| t.expose_secret().contains(MARK))
    {
        assert_no_leak(e, rt.expose_secret(), "previous refresh token");
    }
}

/// `refresh_request` with the current or a generated refresh token.
fn refresh_step(w: &mut World, token: TokenChoice) {
    let t = match token {
        TokenChoice::Current => match w.current.as_ref().and_then(|c| c.refresh_token.as_ref()) {
            Some(t) => t.expose_secret().to_owned(),
            None => return,
        },
        TokenChoice::Empty => String::new(),
        TokenChoice::Any(s) => s,
    };
    match w.client.refresh_request(&t) {
        Ok(r) => {
            assert!(!t.is_empty());
            check_request(w, &r, &[&t]);
            let pairs = strict_pairs(&r.body).expect("body");
            assert_eq!(pairs[0], ("grant_type".into(), "refresh_token".into()));
            assert_eq!(pairs[1], ("refresh_token".into(), t.clone()));
        }
        Err(e) => {
            assert_code_in(&e, &[ErrorCode::InvalidInput], "refresh_request");
            if t.contains(MARK) {
                assert_no_leak(&e, &t, "refresh token");
            }
        }
    }
}

/// Introspection and revocation requests.
fn introspect_step(w: &mut World, token: TokenChoice, hint: Option<bool>, revoke: bool) {
    let t = match token {
        TokenChoice::Current => match &w.current {
            Some(c) => c.access_token.expose_secret().to_owned(),
            None => return,
        },
        TokenChoice::Empty => String::new(),
        TokenChoice::Any(s) => s,
    };
    let hint = hint.map(|h| {
        if h {
            TokenTypeHint::AccessToken
        } else {
            TokenTypeHint::RefreshToken
        }
    });
    let r = if revoke {
        w.client.revocation_request(&t, hint)
    } else {
        w.client.introspection_request(&t, hint)
    };
    match r {
        Ok(r) => {
            assert!(!t.is_empty());
            check_request(w, &r, &[&t]);
        }
        Err(e) => {
            assert_code_in(&e, &[ErrorCode::InvalidInput], "token management request");
            if t.contains(MARK) {
                assert_no_leak(&e, &t, "token");
            }
        }
    }
}

/// A tampered pending record: `invalid_input` for both `handle_callback` and `token_request`.
fn tamper_step(w: &mut World, pending: u8, field: Tamper) {
    let Some(p) = pick(&w.pendings, pending) else {
        return;
    };
    let mut t = copy_pending(p);
    match field {
        Tamper::State(v) => {
            t.state = State::new(mutate(p.state.expose_secret(), &v).1.unwrap_or_default())
        }
        Tamper::Verifier(v) => {
            t.code_verifier = CodeVerifier::new(
                mutate(p.code_verifier.expose_secret(), &v)
                    .1
                    .unwrap_or_default(),
            )
        }
        Tamper::RedirectUri(s) => t.redirect_uri = s,
        Tamper::Issuer(s) => t.issuer = s,
        Tamper::CreatedAt(n) => t.created_at = n,
        Tamper::Scopes(s) => t.scopes = s,
    }
    let valid = pending_valid(&t);
    let url = format!(
        "{REDIRECT_URI}?code=c&state={}",
        form_encode(t.state.expose_secret())
    );
    let cb = w.client.handle_callback(&url, &t);
    let tr = w.client.token_request("c", &t);
    if valid {
        assert!(tr.is_ok(), "valid pending rejected by token_request");
        if let Err(e) = &cb {
            assert_ne!(
                e.code(),
                ErrorCode::InvalidInput,
                "valid pending rejected: {e}"
            );
        }
    } else {
        for e in [cb.err(), tr.err()] {
            let e = e.expect("tampered pending accepted");
            assert_eq!(e.code(), ErrorCode::InvalidInput);
            // The original random secrets (a fuzz-chosen replacement could
            // be learnt from the message through libFuzzer's hooks).
            assert_no_leak(&e, p.code_verifier.expose_secret(), "verifier");
            assert_no_leak(&e, p.state.expose_secret(), "state");
        }
    }
}

fn pick(v: &[PendingAuthorization], i: u8) -> Option<&PendingAuthorization> {
    if v.is_empty() {
        None
    } else {
        v.get(usize::from(i) % v.len())
    }
}

fuzz_target!(|flow: Flow| {
    let (auth, secret) = match flow.auth {
        Auth::Default => (None, true),
        Auth::Basic => (Some(ClientAuth::ClientSecretBasic), true),
        Auth::Post => (Some(ClientAuth::ClientSecretPost), true),
        Auth::PublicClient => (None, false),
    };
    let client = fixed_client(flow.iss_required, auth, secret);
    let mut world = World {
        auth: client.client_auth(),
        client,
        iss_required: flow.iss_required,
        pendings: vec![],
        current: None,
        counter: 0,
    };
    for op in flow.ops.into_iter().take(32) {
        step(&mut world, op);
    }
});
