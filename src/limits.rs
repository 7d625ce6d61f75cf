//! The limits every step shares, in one place: sizes and ranges past which
//! input is rejected before any work is done on it.

/// The largest time accepted (`now`, `createdAt`, `expiresAt`, in
/// milliseconds since the epoch): JavaScript's `Number.MAX_SAFE_INTEGER`, so
/// every time the package hands back is exact in JS.
pub const MAX_TIME_MS: u64 = (1 << 53) - 1;

/// Callback URLs longer than this are rejected before parsing.
pub const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// Token-endpoint bodies larger than this are rejected before parsing.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `expires_in` above ten years is not a lifetime anyone means.
pub const MAX_EXPIRES_IN_SECONDS: f64 = 10.0 * 365.0 * 24.0 * 3600.0;

/// JSON nesting deeper than this is rejected (no stack exhaustion).
pub const MAX_JSON_DEPTH: usize = 32;

/// Values the host passes in (codes, tokens) longer than this are rejected.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
