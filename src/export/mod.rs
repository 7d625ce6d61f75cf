//! Pleo's v3 export-job workflow as a sans-IO core (issue #10; facts in
//! docs/PLEO-API.md), in the order data travels:
//! [`request`] builds the API calls, [`response`] validates what comes back,
//! [`run`] is the state machine that drives one job from claim to finish.
//! [`raw_json`] finds the raw text of each accounting entry so it reaches the
//! ledger unchanged; [`js`] holds the shapes of the JavaScript API (records in and out).

/// A fieldless enum with its wire names: `parse` and `as_str`. Defined
/// before the submodules so `run` can use it too.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

pub mod js;
pub mod raw_json;
pub mod request;
pub mod response;
pub mod run;

use crate::error::Error;
use alloc::string::String;

pub use request::ApiRequest;
pub use response::ApiResponse;
pub use run::{Action, ExportRun, LedgerResult, RunOptions};

/// Most items one `PUT /v3/export-jobs/{id}/items` may carry (413 beyond).
pub const MAX_ITEMS_PER_UPDATE: usize = 100;
/// Largest page the list endpoints serve.
pub const MAX_PAGE_SIZE: u32 = 100;

/// An error of the export core: the library's [`Error`] plus, for
/// `rate_limited` and `api_unavailable`, the delay the server asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportError {
    pub error: Error,
    pub retry_after_ms: Option<u64>,
}

impl From<Error> for ExportError {
    fn from(error: Error) -> Self {
        ExportError {
            error,
            retry_after_ms: None,
        }
    }
}

/// `n` as an integer when it is a whole number in `0..=max` (JSON numbers
/// arrive as f64; `f64::fract` is not in `core`).
pub(crate) fn whole_number(n: f64, max: u64) -> Option<u64> {
    (n >= 0.0 && n <= max as f64 && (n as u64) as f64 == n).then_some(n as u64)
}

/// The largest integer a JavaScript number holds exactly (2^53 − 1).
pub(crate) const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

string_enum!(
    /// `status` of an export job.
    JobStatus {
        Pending = "pending",
        InProgress = "in_progress",
        Failed = "failed",
        Completed = "completed",
        CompletedWithErrors = "completed_with_errors",
    }
);

impl JobStatus {
    /// No further transition is possible.
    pub fn is_finished(self) -> bool {
        !matches!(self, JobStatus::Pending | JobStatus::InProgress)
    }
}

string_enum!(
    /// `status` of an export job's item.
    ItemStatus {
        Pending = "pending",
        InProgress = "in_progress",
        Failed = "failed",
        Successful = "successful",
        Abandoned = "abandoned",
    }
);

impl ItemStatus {
    /// Reported for good: the entry must not be delivered again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemStatus::Failed | ItemStatus::Successful | ItemStatus::Abandoned
        )
    }
}

string_enum!(
    /// `event` of `POST /v3/export-job-events`.
    JobEvent {
        Started = "started",
        Completed = "completed",
        CompletedWithErrors = "completed_with_errors",
        Failed = "failed",
    }
);

/// An ISO 8601 UTC timestamp with milliseconds (`2026-11-30T14:20:34.000Z`)
/// from milliseconds since the epoch, without a date library
/// (days-to-civil conversion of Howard Hinnant's `chrono`-compatible algorithm).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = String::with_capacity(24);
    let parts: [(u64, usize, &str); 7] = [
        (year.max(0) as u64, 4, "-"),
        (month as u64, 2, "-"),
        (day as u64, 2, "T"),
        (rem / 3600, 2, ":"),
        (rem % 3600 / 60, 2, ":"),
        (rem % 60, 2, "."),
        (ms % 1000, 3, ""),
    ];
    for (n, width, separator) in parts {
        let digits = crate::error::decimal(n);
        for _ in digits.len()..width {
            out.push('0');
        }
        out.push_str(&digits);
        out.push_str(separator);
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_796_056_834_123), "2026-11-30T16:40:34.123Z");
        assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "pending",
            "in_progress",
            "failed",
            "completed",
            "completed_with_errors",
        ] {
            assert_eq!(JobStatus::parse(s).unwrap().as_str(), s);
        }
        assert!(JobStatus::Failed.is_finished() && !JobStatus::InProgress.is_finished());
        assert!(ItemStatus::Abandoned.is_final() && !ItemStatus::InProgress.is_final());
        assert_eq!(ItemStatus::parse("done"), None);
    }
}
