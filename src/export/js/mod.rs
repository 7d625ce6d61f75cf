//! The export core's JavaScript shapes, on the wasm boundary's record
//! encoding (docs/BOUNDARY.md; `crate::wasm::record`): options and ledger
//! results in as records ([`read`], where each shape is declared once),
//! requests and run steps out as records ([`write`]). JSON only where the
//! value is a JSON document by contract: the run state (persisted by the
//! host), each entry's raw text (a string field), and the validated answers
//! of `exportResponses`, which are Pleo's own JSON passed through. Plain
//! data conversion (no workflow decisions), compiled natively too so it is
//! tested with the core; `wasm_edge` only passes the strings across, one
//! function here per export. The shared vectors' JSON forms of requests and
//! actions are the tests' own (tests/export.rs decodes the records).

pub mod read;
pub mod write;

use super::response::ApiResponse;
use super::run::ExportRun;
use super::ExportError;
use crate::error::{Error, ErrorCode, Result};
use alloc::string::String;

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidInput, message)
}

string_enum!(
    /// The six export calls, by their JavaScript names: `exportRequests.<kind>`
    /// and `exportResponses.<kind>` (js/edge.js's `REQUEST_KINDS`, which
    /// tests/js/boundary-shapes.test.mjs checks against this list).
    RequestKind {
        ListJobs = "listJobs",
        GetJob = "getJob",
        JobEvent = "jobEvent",
        JobItems = "jobItems",
        ExportItems = "exportItems",
        UpdateItems = "updateItems",
    }
);

/// A time in milliseconds since the epoch, as JavaScript numbers carry it.
pub fn time_ms(n: f64, message: &'static str) -> Result<u64> {
    // Fractions are floored, like the OAuth API's times.
    if n.is_finite() && (0.0..=super::MAX_SAFE_INTEGER as f64).contains(&n) {
        Ok(n as u64)
    } else {
        Err(invalid(message))
    }
}

/// The HTTP status the JS API received: 0 (no answer) or 100..=599.
pub fn status(n: f64) -> Result<u16> {
    if n == 0.0 || ((100.0..=599.0).contains(&n) && super::whole_number(n, 599).is_some()) {
        Ok(n as u16)
    } else {
        Err(invalid(
            "res.status must be an HTTP status number (0 for no answer)",
        ))
    }
}

/// `exportRequests.<kind>(opts)` → the HttpRequest record
/// ([`write::api_request_record`]).
pub fn build_request_record(kind: &str, opts: &str, now: u64) -> Result<String> {
    let kind = RequestKind::parse(kind).ok_or_else(|| invalid("unknown export request"))?;
    Ok(write::api_request_record(&read::api_request(
        kind, opts, now,
    )?))
}

/// `exportResponses.<kind>(res)` → the validated value as JSON.
pub fn parse_response(
    kind: &str,
    res: &ApiResponse<'_>,
) -> core::result::Result<String, ExportError> {
    let kind = RequestKind::parse(kind).ok_or_else(|| invalid("unknown export response"))?;
    write::response_json(kind, res)
}

/// `exportRunStart(opts)` → the first state.
pub fn run_start(opts: &str, now: u64, random_seed: u32) -> Result<String> {
    Ok(ExportRun::start(read::run_options(opts, random_seed)?, now)?.to_json())
}

/// `exportRunNext(state, now)` → the record `[state, action]`, the state
/// as its JSON text (a document by contract: the host persists it).
pub fn run_next_record(state_json: &str, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    let action = run.next(now)?;
    Ok(write::run_step_record(&run.to_json(), &action))
}

/// `exportRunFeed(state, res, now)` → the new state.
pub fn run_feed(state_json: &str, res: &ApiResponse<'_>, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    run.feed(res, now)?;
    Ok(run.to_json())
}

/// `exportRunDelivered(state, results, now)` → the new state.
/// `results` is a record: a list of LedgerResult records.
pub fn run_delivered(state_json: &str, results: &str, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    run.delivered(read::ledger_results(results)?, now)?;
    Ok(run.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::record::{decode, Field};

    const BASE: &str = "24:https://external.pleo.io";

    fn code<T: core::fmt::Debug>(r: Result<T>) -> (&'static str, String) {
        let e = r.unwrap_err();
        (e.code().as_str(), String::from(e.message()))
    }

    #[test]
    fn a_request_is_an_http_request_record_with_no_body_for_get() {
        let r = build_request_record("getJob", &["[", BASE, "----3:j-1]"].concat(), 0).unwrap();
        assert_eq!(
            r,
            "[3:GET43:https://external.pleo.io/v3/export-jobs/j-1[6:accept16:application/json]-]"
        );
    }

    #[test]
    fn fields_of_other_kinds_are_not_checked_and_numbers_must_be_finite() {
        // statuses is listJobs' field: getJob ignores a wrong one.
        let opts = ["[", BASE, "----3:j-1!]"].concat();
        assert!(build_request_record("getJob", &opts, 0).is_ok());
        assert_eq!(
            code(build_request_record("listJobs", &opts, 0)),
            ("invalid_input", "opts.statuses must be job statuses".into())
        );
        for bad in ["3:NaN", "8:Infinity", "3:1.5", "1:!"] {
            let opts = ["[", BASE, "--", bad, "]"].concat();
            assert_eq!(
                code(build_request_record("listJobs", &opts, 0)).0,
                "invalid_input",
                "{bad}"
            );
        }
        assert!(build_request_record("listJobs", &["[", BASE, "--2:50]"].concat(), 0).is_ok());
        assert_eq!(
            code(run_start(
                "[24:https://external.pleo.io3:j-1------5:1e+21]",
                0,
                1
            )),
            ("invalid_input", "opts.seed must be an integer".into())
        );
        assert_eq!(
            code(build_request_record("getJob", "-", 0)).1,
            "opts must be an object"
        );
    }

    #[test]
    fn a_lone_surrogate_is_named_in_the_message() {
        let opts = ["[", BASE, "?]"].concat();
        assert_eq!(
            code(build_request_record("listJobs", &opts, 0)).1,
            "opts.after must be a string (it contains a lone UTF-16 surrogate)"
        );
    }

    #[test]
    fn the_run_step_record_carries_the_json_state_and_the_action() {
        let state = run_start("[24:https://external.pleo.io3:j-1]", 1_000, 7).unwrap();
        let step = run_next_record(&state, 1_000).unwrap();
        let Some(Field::List(parts)) = decode(&step) else {
            panic!("{step}")
        };
        let [Field::Str(next_state), Field::List(action)] = parts.as_slice() else {
            panic!("{step}")
        };
        // The state as its JSON text, which reads back as a run.
        assert!(ExportRun::from_json(next_state).is_ok(), "{next_state}");
        let [Field::Str("request"), Field::Str("get_job"), Field::List(request)] =
            action.as_slice()
        else {
            panic!("{step}")
        };
        assert_eq!(request.first(), Some(&Field::Str("GET")));
        assert_eq!(request.get(3), Some(&Field::Absent));
        assert_eq!(
            code(run_delivered(&state, "-", 1_000)).1,
            "results must be an array"
        );
    }
}
