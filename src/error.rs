//! The one error type of the library and its stable codes.
//!
//! Every rejection of input is an [`Error`] carrying an [`ErrorCode`]. The
//! codes are part of the public API (the npm package exposes them as the
//! `code` property of an `OAuthError`); messages are for humans, name the
//! offending parameter, and never contain a secret, token, code, verifier or
//! the expected `state`.

/// Stable error codes, spelled in `snake_case` on the JS side.
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Bad client or provider configuration.
    InvalidConfig,
    /// A wrongly typed or malformed argument from the host program.
    InvalidInput,
    /// A PKCE verifier outside RFC 7636 §4.1's syntax.
    InvalidVerifier,
    /// A malformed, duplicated or unsupported callback.
    InvalidCallback,
    /// Missing, empty or different `state`.
    StateMismatch,
    /// Wrong `iss`, or missing where the provider requires it (RFC 9207).
    IssuerMismatch,
    /// The authorization server answered the callback with `error=`.
    AuthorizationDenied,
    /// The token endpoint answered with an RFC 6749 §5.2 error body.
    TokenError,
    /// The token endpoint's answer is not a valid token response.
    InvalidTokenResponse,
    /// A `token_type` other than Bearer.
    UnsupportedTokenType,
    /// The provider cannot do what was asked (e.g. no revocation endpoint).
    UnsupportedOperation,
    // Webhooks and exports (the `edge` feature): absent from the browser build.
    /// A webhook header is missing or malformed, the secret is bad, or the body is not JSON.
    #[cfg(feature = "edge")]
    InvalidWebhook,
    /// A webhook timestamp further from the clock than the tolerance.
    #[cfg(feature = "edge")]
    WebhookTimestampOutOfRange,
    /// No `v1` webhook signature matches (compared in constant time).
    #[cfg(feature = "edge")]
    WebhookSignatureMismatch,
    /// 409 `EXPORT_ALREADY_IN_PROGRESS`: the company has an unfinished job.
    #[cfg(feature = "edge")]
    ExportAlreadyInProgress,
    /// 422 `INVALID_EXPORT_JOB_STATUS_CHANGE`: an illegal job transition.
    #[cfg(feature = "edge")]
    InvalidStatusChange,
    /// 422 `EXPORT_JOB_STATUS_UNPROCESSABLE`: the job is no longer open.
    #[cfg(feature = "edge")]
    JobFinished,
    /// 413 `EXPORT_JOB_ITEMS_UPDATE_LIMIT`, or more than 100 items in one update.
    #[cfg(feature = "edge")]
    TooManyItems,
    /// 400 `MISSING_CONTRA_ACCOUNTS`: the customer has not configured them.
    #[cfg(feature = "edge")]
    MissingContraAccounts,
    /// 404 from the API.
    #[cfg(feature = "edge")]
    NotFound,
    /// 429 from the API (with the retry delay when `Retry-After` was sent).
    #[cfg(feature = "edge")]
    RateLimited,
    /// 401 from the API: the access token was refused.
    #[cfg(feature = "edge")]
    Unauthorized,
    /// 403 from the API.
    #[cfg(feature = "edge")]
    AccessDenied,
    /// A 5xx from the API.
    #[cfg(feature = "edge")]
    ApiUnavailable,
    /// Any other non-2xx answer of the API.
    #[cfg(feature = "edge")]
    ApiError,
    /// A 2xx API answer that is not the documented shape.
    #[cfg(feature = "edge")]
    InvalidApiResponse,
}

impl ErrorCode {
    /// The stable string form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidVerifier => "invalid_verifier",
            ErrorCode::InvalidCallback => "invalid_callback",
            ErrorCode::StateMismatch => "state_mismatch",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::AuthorizationDenied => "authorization_denied",
            ErrorCode::TokenError => "token_error",
            ErrorCode::InvalidTokenResponse => "invalid_token_response",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::UnsupportedOperation => "unsupported_operation",
            #[cfg(feature = "edge")]
            ErrorCode::InvalidWebhook => "invalid_webhook",
            #[cfg(feature = "edge")]
            ErrorCode::WebhookTimestampOutOfRange => "webhook_timestamp_out_of_range",
            #[cfg(feature = "edge")]
            ErrorCode::WebhookSignatureMismatch => "webhook_signature_mismatch",
            #[cfg(feature = "edge")]
            ErrorCode::ExportAlreadyInProgress => "export_already_in_progress",
            #[cfg(feature = "edge")]
            ErrorCode::InvalidStatusChange => "invalid_status_change",
            #[cfg(feature = "edge")]
            ErrorCode::JobFinished => "job_finished",
            #[cfg(feature = "edge")]
            ErrorCode::TooManyItems => "too_many_items",
            #[cfg(feature = "edge")]
            ErrorCode::MissingContraAccounts => "missing_contra_accounts",
            #[cfg(feature = "edge")]
            ErrorCode::NotFound => "not_found",
            #[cfg(feature = "edge")]
            ErrorCode::RateLimited => "rate_limited",
            #[cfg(feature = "edge")]
            ErrorCode::Unauthorized => "unauthorized",
            #[cfg(feature = "edge")]
            ErrorCode::AccessDenied => "access_denied",
            #[cfg(feature = "edge")]
            ErrorCode::ApiUnavailable => "api_unavailable",
            #[cfg(feature = "edge")]
            ErrorCode::ApiError => "api_error",
            #[cfg(feature = "edge")]
            ErrorCode::InvalidApiResponse => "invalid_api_response",
        }
    }

    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidVerifier,
        ErrorCode::InvalidCallback,
        ErrorCode::StateMismatch,
        ErrorCode::IssuerMismatch,
        ErrorCode::AuthorizationDenied,
        ErrorCode::TokenError,
        ErrorCode::InvalidTokenResponse,
        ErrorCode::UnsupportedTokenType,
        ErrorCode::UnsupportedOperation,
    ];

    /// The codes of webhook verification and the export core.
    #[cfg(feature = "edge")]
    pub const EDGE: [ErrorCode; 15] = [
        ErrorCode::InvalidWebhook,
        ErrorCode::WebhookTimestampOutOfRange,
        ErrorCode::WebhookSignatureMismatch,
        ErrorCode::ExportAlreadyInProgress,
        ErrorCode::InvalidStatusChange,
        ErrorCode::JobFinished,
        ErrorCode::TooManyItems,
        ErrorCode::MissingContraAccounts,
        ErrorCode::NotFound,
        ErrorCode::RateLimited,
        ErrorCode::Unauthorized,
        ErrorCode::AccessDenied,
        ErrorCode::ApiUnavailable,
        ErrorCode::ApiError,
        ErrorCode::InvalidApiResponse,
    ];
}

/// The details an authorization server sent with an error
/// (RFC 6749 §4.1.2.1 for callbacks, §5.2 for token responses).
/// This is untrusted text: render it as text, never as HTML.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerError {
    pub error: String,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
    /// HTTP status of a token-endpoint response.
    pub status: Option<u16>,
}

/// The library's one error type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: Cow<'static, str>,
    server: Option<Box<ServerError>>,
}

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    pub(crate) fn new(code: ErrorCode, message: &'static str) -> Self {
        Error {
            code,
            message: Cow::Borrowed(message),
            server: None,
        }
    }

    /// A message built from parts, without `core::fmt` (it is heavy in wasm).
    pub(crate) fn with_parts(code: ErrorCode, parts: &[&str]) -> Self {
        Error {
            code,
            message: Cow::Owned(parts.concat()),
            server: None,
        }
    }

    pub(crate) fn server(code: ErrorCode, message: String, server: ServerError) -> Self {
        Error {
            code,
            message: Cow::Owned(message),
            server: Some(Box::new(server)),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the server said, for `authorization_denied` and `token_error`.
    pub fn server_error(&self) -> Option<&ServerError> {
        self.server.as_deref()
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code.as_str())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl core::error::Error for Error {}

/// Longest server `error` value echoed into a message.
pub const MAX_ECHOED_ERROR_LEN: usize = 64;

/// The server's `error` value as it may appear in a message: only when it is
/// RFC 6749's `error` syntax (§4.1.2.1, §5.2: `%x20-21 / %x23-5B / %x5D-7E`,
/// so no quotes, backslashes, controls or non-ASCII) and short. Anything
/// else is untrusted text that could forge a log line or markup; it stays
/// available, raw, only in [`ServerError::error`].
pub(crate) fn echoable_error(error: &str) -> &str {
    let allowed = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e);
    if !error.is_empty() && error.len() <= MAX_ECHOED_ERROR_LEN && error.bytes().all(allowed) {
        error
    } else {
        "(not shown: outside RFC 6749's error syntax)"
    }
}

/// Decimal digits of an integer, without `core::fmt`.
pub(crate) fn decimal(n: u64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, n);
    out
}

/// Appends the decimal digits of `n` to `out` (no allocation of its own).
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    for &d in digits.get(start..).unwrap_or_default() {
        out.push(d as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case_strings() {
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            all,
            [
                "invalid_config",
                "invalid_input",
                "invalid_verifier",
                "invalid_callback",
                "state_mismatch",
                "issuer_mismatch",
                "authorization_denied",
                "token_error",
                "invalid_token_response",
                "unsupported_token_type",
                "unsupported_operation"
            ]
        );
    }

    #[test]
    fn decimal_formats_without_fmt() {
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(401), "401");
        assert_eq!(decimal(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn rfc6749_error_text_is_echoed_only_when_in_its_syntax_and_short() {
        assert_eq!(echoable_error("invalid_grant"), "invalid_grant");
        assert_eq!(echoable_error("a !#[]~"), "a !#[]~");
        for bad in ["inv\0alid<script>", "a\"b", "a\\b", "caf\u{e9}", "x\ny", ""] {
            assert!(echoable_error(bad).starts_with("(not shown"), "{bad:?}");
        }
        assert!(echoable_error(&"a".repeat(65)).starts_with("(not shown"));
        assert_eq!(echoable_error(&"a".repeat(64)).len(), 64);
    }

    #[test]
    fn display_is_code_and_message() {
        let e = Error::new(ErrorCode::StateMismatch, "state does not match");
        assert_eq!(e.to_string(), "state_mismatch: state does not match");
    }
}
