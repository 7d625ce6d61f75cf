//! Step 7: the token set a connection lives on, and when to refresh it.
//!
//! The whole lifecycle policy lives here, so no host computes it: when the
//! tokens were obtained ([`TokenSet::obtained_at`], set by
//! [`crate::parse_token_response`] from its `now`), when they need a refresh
//! ([`TokenSet::needs_refresh`]), and which scope they carry (the fallback is
//! applied while parsing the response, see [`crate::token_response`]).

use crate::secret::{AccessToken, RefreshToken};
use alloc::string::String;
use alloc::vec::Vec;

/// Refresh ahead of expiry by this fraction of the token's lifetime...
pub const REFRESH_SKEW_DIVISOR: u64 = 4;
/// ...but never more than this far ahead (milliseconds). A 15-minute Pleo
/// token is refreshed 60 s early; a 2-minute one 30 s early.
pub const MAX_REFRESH_SKEW_MS: u64 = 60_000;

/// Tokens from one token response. `token_type` is always Bearer (others are
/// rejected while parsing), so it is not stored.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: AccessToken,
    /// Milliseconds since the epoch; `None` when the server sent no `expires_in`.
    pub expires_at: Option<u64>,
    pub refresh_token: Option<RefreshToken>,
    /// The granted scope: the response's `scope`, or when it has none the
    /// previous token set's (refresh) or the requested scopes (RFC 6749 §5.1).
    pub scope: Option<Vec<String>>,
    /// When the token response was received (milliseconds since the epoch).
    /// `None` only for token sets stored before this field existed.
    pub obtained_at: Option<u64>,
}

impl TokenSet {
    /// How long before `expires_at` a refresh is due: a quarter of the
    /// token's lifetime (`expires_at - obtained_at`), capped at 60 s. Without
    /// `obtained_at` the lifetime is unknown and the cap applies.
    pub fn refresh_skew_ms(&self) -> u64 {
        let Some(expires_at) = self.expires_at else {
            return 0;
        };
        match self.obtained_at {
            Some(obtained) => (expires_at.saturating_sub(obtained) / REFRESH_SKEW_DIVISOR)
                .min(MAX_REFRESH_SKEW_MS),
            None => MAX_REFRESH_SKEW_MS,
        }
    }

    /// True when the access token expires within [`Self::refresh_skew_ms`]
    /// of `now` (milliseconds). A token without an expiry never needs a
    /// proactive refresh; the API's 401 tells instead.
    pub fn needs_refresh(&self, now: u64) -> bool {
        self.needs_refresh_with_skew(now, self.refresh_skew_ms())
    }

    /// [`Self::needs_refresh`] with an explicit skew instead of the policy's.
    pub fn needs_refresh_with_skew(&self, now: u64, skew_ms: u64) -> bool {
        self.expires_at
            .is_some_and(|at| now.saturating_add(skew_ms) >= at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(obtained_at: Option<u64>, expires_at: Option<u64>) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("a".into()),
            expires_at,
            refresh_token: None,
            scope: None,
            obtained_at,
        }
    }

    #[test]
    fn the_skew_is_a_quarter_of_the_lifetime_capped_at_60_s() {
        // 15 minutes: capped at 60 s.
        assert_eq!(set(Some(0), Some(900_000)).refresh_skew_ms(), 60_000);
        // 2 minutes: 30 s.
        assert_eq!(set(Some(0), Some(120_000)).refresh_skew_ms(), 30_000);
        // Unknown lifetime: the cap. No expiry: no skew.
        assert_eq!(set(None, Some(120_000)).refresh_skew_ms(), 60_000);
        assert_eq!(set(Some(0), None).refresh_skew_ms(), 0);
        // A clock that went backwards gives no skew rather than wrapping.
        assert_eq!(set(Some(200), Some(100)).refresh_skew_ms(), 0);
    }

    #[test]
    fn needs_refresh_within_the_policy_skew() {
        let t = set(Some(0), Some(120_000));
        assert!(!t.needs_refresh(89_999));
        assert!(t.needs_refresh(90_000));
        assert!(t.needs_refresh(200_000));
        assert!(!set(Some(0), None).needs_refresh(u64::MAX));
    }

    #[test]
    fn needs_refresh_with_an_explicit_skew() {
        assert!(!set(None, Some(100_000)).needs_refresh_with_skew(0, 30_000));
        assert!(set(None, Some(100_000)).needs_refresh_with_skew(70_000, 30_000));
        assert!(set(None, Some(100_000)).needs_refresh_with_skew(200_000, 0));
        assert!(!set(None, None).needs_refresh_with_skew(u64::MAX, u64::MAX));
        assert!(set(None, Some(5)).needs_refresh_with_skew(u64::MAX, u64::MAX));
    }
}
