//! Step 7: the token set a connection lives on, and when to refresh it.

use crate::secret::{AccessToken, RefreshToken};
use alloc::string::String;
use alloc::vec::Vec;

/// Tokens from one token response. `token_type` is always Bearer (others are
/// rejected while parsing), so it is not stored.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: AccessToken,
    /// Milliseconds since the epoch; `None` when the server sent no `expires_in`.
    pub expires_at: Option<u64>,
    pub refresh_token: Option<RefreshToken>,
    pub scope: Option<Vec<String>>,
}

impl TokenSet {
    /// True when the access token expires within `skew_ms` of `now`
    /// (both milliseconds). A token without an expiry never needs a
    /// proactive refresh; the API's 401 tells instead.
    pub fn needs_refresh(&self, now: u64, skew_ms: u64) -> bool {
        self.expires_at
            .is_some_and(|at| now.saturating_add(skew_ms) >= at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(expires_at: Option<u64>) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("a".into()),
            expires_at,
            refresh_token: None,
            scope: None,
        }
    }

    #[test]
    fn needs_refresh_within_the_skew() {
        assert!(!set(Some(100_000)).needs_refresh(0, 30_000));
        assert!(set(Some(100_000)).needs_refresh(70_000, 30_000));
        assert!(set(Some(100_000)).needs_refresh(200_000, 0));
        assert!(!set(None).needs_refresh(u64::MAX, u64::MAX));
        assert!(set(Some(5)).needs_refresh(u64::MAX, u64::MAX));
    }
}
