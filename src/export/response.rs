//! Validation of the export API's answers: statuses, the pagination object,
//! and Pleo's `{type, message}` errors mapped to stable codes.

use super::raw_json::{array_element_spans, member_span};
use super::{ExportError, ItemStatus, JobStatus};
use crate::error::{decimal, Error, ErrorCode, ServerError};
use crate::json::{self, Value};
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

/// An answer of the API as the host received it. `status` 0 means the request
/// did not complete (network failure, timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiResponse<'a> {
    pub status: u16,
    pub body: &'a str,
    /// The `Retry-After` header, when present.
    pub retry_after: Option<&'a str>,
}

/// Bodies larger than this are refused (a page of 100 entries is far smaller).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

type Result<T> = core::result::Result<T, ExportError>;

fn bad_shape(message: &'static str) -> ExportError {
    Error::new(ErrorCode::InvalidApiResponse, message).into()
}

/// `Retry-After` as delta-seconds (RFC 9110 §10.2.3), capped at one hour.
/// An HTTP-date is not interpreted (no clock of our own): `None`.
/// `0` is no hint either: taken as given it makes a caller retry at once, in
/// a loop (issue #16); the caller's own backoff applies instead.
pub fn retry_after_ms(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = v
        .bytes()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
        .min(3600);
    if secs == 0 {
        return None;
    }
    Some(secs * 1000)
}

/// The error for a non-2xx answer.
pub fn api_error(res: &ApiResponse<'_>) -> ExportError {
    let status = res.status;
    if status == 0 {
        return Error::new(
            ErrorCode::ApiUnavailable,
            "the request to the export API did not complete",
        )
        .into();
    }
    // Pleo's error body: {"type": CODE, "message": text}. Untrusted text.
    let (kind, message) = match json::parse(res.body) {
        Some(v) => (
            match v.get("type") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
            match v.get("message") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
        ),
        None => (None, None),
    };
    let code = match (status, kind.as_deref()) {
        (_, Some("EXPORT_ALREADY_IN_PROGRESS")) | (409, None) => ErrorCode::ExportAlreadyInProgress,
        (_, Some("INVALID_EXPORT_JOB_STATUS_CHANGE")) => ErrorCode::InvalidStatusChange,
        (_, Some("EXPORT_JOB_STATUS_UNPROCESSABLE")) => ErrorCode::JobFinished,
        (_, Some("EXPORT_JOB_ITEMS_UPDATE_LIMIT")) | (413, _) => ErrorCode::TooManyItems,
        (_, Some("MISSING_CONTRA_ACCOUNTS")) => ErrorCode::MissingContraAccounts,
        (429, _) => ErrorCode::RateLimited,
        (401, _) => ErrorCode::Unauthorized,
        (403, _) => ErrorCode::AccessDenied,
        (404, _) => ErrorCode::NotFound,
        (500..=599, _) => ErrorCode::ApiUnavailable,
        _ => ErrorCode::ApiError,
    };
    let status_text = decimal(u64::from(status));
    let mut msg = ["the export API answered ", &status_text].concat();
    if let Some(k) = kind.as_deref() {
        msg.push(' ');
        msg.push_str(k);
    }
    let retry_after_ms = match code {
        ErrorCode::RateLimited | ErrorCode::ApiUnavailable => {
            res.retry_after.and_then(retry_after_ms)
        }
        _ => None,
    };
    ExportError {
        error: Error::server(
            code,
            msg,
            ServerError {
                error: kind.unwrap_or_default(),
                error_description: message,
                error_uri: None,
                status: Some(status),
            },
        ),
        retry_after_ms,
    }
}

/// A 2xx with a body that is JSON; anything else is an error.
fn success_json(res: &ApiResponse<'_>) -> Result<Value> {
    if !(200..300).contains(&res.status) {
        return Err(api_error(res));
    }
    if res.body.len() > MAX_BODY_BYTES {
        return Err(bad_shape("the export API's answer is too large"));
    }
    json::parse(res.body).ok_or_else(|| bad_shape("the export API's answer is not JSON"))
}

/// `pagination` of a list answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pagination {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
    pub total: Option<u64>,
}

fn opt_str(v: &Value, name: &str) -> core::result::Result<Option<String>, ()> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

fn opt_count(v: &Value, name: &str) -> core::result::Result<Option<u64>, ()> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => super::whole_number(*n, super::MAX_SAFE_INTEGER)
            .map(Some)
            .ok_or(()),
        Some(_) => Err(()),
    }
}

fn pagination(v: &Value) -> Result<Pagination> {
    let message = "pagination is not {hasNextPage, endCursor, …}";
    let p = match v.get("pagination") {
        Some(p @ Value::Object(_)) => p,
        _ => return Err(bad_shape(message)),
    };
    let flag = |name| match p.get(name) {
        Some(Value::Bool(b)) => Ok(*b),
        None | Some(Value::Null) => Ok(false),
        Some(_) => Err(bad_shape(message)),
    };
    let out = Pagination {
        has_next_page: flag("hasNextPage")?,
        has_previous_page: flag("hasPreviousPage")?,
        start_cursor: opt_str(p, "startCursor").map_err(|_| bad_shape(message))?,
        end_cursor: opt_str(p, "endCursor").map_err(|_| bad_shape(message))?,
        total: opt_count(p, "total").map_err(|_| bad_shape(message))?,
    };
    // A next page must be reachable, or a run would loop on the same page.
    if out.has_next_page && out.end_cursor.as_deref().is_none_or(str::is_empty) {
        return Err(bad_shape("pagination has a next page but no endCursor"));
    }
    Ok(out)
}

/// The raw text of each element of `data`, beside its parsed value.
fn data_elements<'a, 'v>(res: &ApiResponse<'a>, v: &'v Value) -> Result<Vec<(&'a str, &'v Value)>> {
    let message = "the answer has no data array";
    let items = match v.get("data") {
        Some(Value::Array(items)) => items,
        _ => return Err(bad_shape(message)),
    };
    let spans: Vec<Range<usize>> = member_span(res.body, "data")
        .and_then(|s| array_element_spans(res.body, s))
        .ok_or_else(|| bad_shape(message))?;
    if spans.len() != items.len() {
        return Err(bad_shape(message));
    }
    spans
        .into_iter()
        .zip(items.iter())
        .map(|(span, item)| {
            res.body
                .get(span)
                .map(|raw| (raw, item))
                .ok_or_else(|| bad_shape(message))
        })
        .collect()
}

/// An export job (the fields the core decides on; `raw` is all of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job<'a> {
    pub id: String,
    /// `None` for a status this version does not know (Pleo adds enum
    /// values over time); `status_text` has it.
    pub status: Option<JobStatus>,
    pub status_text: String,
    /// Seconds until the job expires, counted from its last update.
    pub expires_in: Option<u64>,
    pub number_of_items: Option<u64>,
    pub raw: &'a str,
}

fn job<'a>(raw: &'a str, v: &Value) -> Result<Job<'a>> {
    let message = "an export job needs an id and a status";
    let id = match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad_shape(message)),
    };
    let status_text = match v.get("status") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad_shape(message)),
    };
    Ok(Job {
        id,
        status: JobStatus::parse(&status_text),
        status_text,
        expires_in: opt_count(v, "expiresIn").map_err(|_| bad_shape(message))?,
        number_of_items: opt_count(v, "numberOfItems").map_err(|_| bad_shape(message))?,
        raw,
    })
}

/// `GET /v3/export-jobs/{id}`: the job, bare or as `{data: job}`.
pub fn parse_job<'a>(res: &ApiResponse<'a>) -> Result<Job<'a>> {
    let v = success_json(res)?;
    match v.get("data") {
        Some(data @ Value::Object(_)) => {
            let span = member_span(res.body, "data")
                .and_then(|s| res.body.get(s))
                .ok_or_else(|| bad_shape("the answer has no job"))?;
            job(span, data)
        }
        _ => job(res.body.trim(), &v),
    }
}

/// `GET /v3/export-jobs`.
pub fn parse_jobs<'a>(res: &ApiResponse<'a>) -> Result<(Vec<Job<'a>>, Pagination)> {
    let v = success_json(res)?;
    let jobs = data_elements(res, &v)?
        .into_iter()
        .map(|(raw, item)| job(raw, item))
        .collect::<Result<Vec<_>>>()?;
    Ok((jobs, pagination(&v)?))
}

/// One item of `GET /v3/export-jobs/{id}/items`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobItem<'a> {
    pub accounting_entry_id: String,
    pub status: ItemStatus,
    pub raw: &'a str,
}

fn entry_id(v: &Value, message: &'static str) -> Result<String> {
    match v.get("accountingEntryId") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad_shape(message)),
    }
}

pub fn parse_job_items<'a>(res: &ApiResponse<'a>) -> Result<(Vec<JobItem<'a>>, Pagination)> {
    let v = success_json(res)?;
    let message = "a job item needs an accountingEntryId and a known status";
    let items = data_elements(res, &v)?
        .into_iter()
        .map(|(raw, item)| {
            let status = match item.get("status") {
                Some(Value::String(s)) => ItemStatus::parse(s).ok_or_else(|| bad_shape(message))?,
                // Older job items carry `status: null` until an attempt has
                // been made: not yet processed.
                Some(Value::Null) => ItemStatus::Pending,
                _ => return Err(bad_shape(message)),
            };
            Ok(JobItem {
                accounting_entry_id: entry_id(item, message)?,
                status,
                raw,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((items, pagination(&v)?))
}

/// One accounting entry of `GET /v3/export-items`: its id and its exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub accounting_entry_id: String,
    pub raw: &'a str,
}

pub fn parse_export_items<'a>(res: &ApiResponse<'a>) -> Result<(Vec<Entry<'a>>, Pagination)> {
    let v = success_json(res)?;
    let message = "an export item needs an accountingEntryId";
    let entries = data_elements(res, &v)?
        .into_iter()
        .map(|(raw, item)| {
            Ok(Entry {
                accounting_entry_id: entry_id(item, message)?,
                raw,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // One entry twice in a page would be booked twice by a careless ledger.
    for (i, e) in entries.iter().enumerate() {
        if entries
            .iter()
            .skip(i + 1)
            .any(|o| o.accounting_entry_id == e.accounting_entry_id)
        {
            return Err(bad_shape("an accountingEntryId appears twice in one page"));
        }
    }
    Ok((entries, pagination(&v)?))
}

/// An item Pleo refused inside a 200 (e.g. `ACCOUNTING_ENTRY_DOES_NOT_EXIST`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemError {
    pub accounting_entry_id: String,
    pub message: String,
    pub kind: String,
}

/// `PUT /v3/export-jobs/{id}/items` → `{data:[…], errors:[…]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateOutcome {
    pub updated: usize,
    pub errors: Vec<ItemError>,
}

pub fn parse_update_items(res: &ApiResponse<'_>) -> Result<UpdateOutcome> {
    let v = success_json(res)?;
    let message = "an update answer is {data:[…], errors:[{accountingEntryId, message, type}]}";
    let updated = match v.get("data") {
        Some(Value::Array(items)) => items.len(),
        None | Some(Value::Null) => 0,
        _ => return Err(bad_shape(message)),
    };
    let errors = match v.get("errors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|e| {
                Ok(ItemError {
                    accounting_entry_id: entry_id(e, message)?,
                    message: opt_str(e, "message")
                        .map_err(|_| bad_shape(message))?
                        .unwrap_or_default(),
                    kind: opt_str(e, "type")
                        .map_err(|_| bad_shape(message))?
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?,
        Some(_) => return Err(bad_shape(message)),
    };
    Ok(UpdateOutcome { updated, errors })
}

/// `POST /v3/export-job-events` → 202 (any 2xx; the body is not read).
pub fn parse_event(res: &ApiResponse<'_>) -> Result<()> {
    if (200..300).contains(&res.status) {
        Ok(())
    } else {
        Err(api_error(res))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(status: u16, body: &str) -> ApiResponse<'_> {
        ApiResponse {
            status,
            body,
            retry_after: None,
        }
    }

    fn code(e: ExportError) -> &'static str {
        e.error.code().as_str()
    }

    #[test]
    fn pleo_errors_map_to_stable_codes() {
        for (status, body, expected) in [
            (
                409,
                r#"{"type":"EXPORT_ALREADY_IN_PROGRESS","message":"m"}"#,
                "export_already_in_progress",
            ),
            (
                422,
                r#"{"type":"INVALID_EXPORT_JOB_STATUS_CHANGE","message":"m"}"#,
                "invalid_status_change",
            ),
            (
                422,
                r#"{"type":"EXPORT_JOB_STATUS_UNPROCESSABLE","message":"m"}"#,
                "job_finished",
            ),
            (
                413,
                r#"{"type":"EXPORT_JOB_ITEMS_UPDATE_LIMIT","message":"m"}"#,
                "too_many_items",
            ),
            (
                400,
                r#"{"type":"MISSING_CONTRA_ACCOUNTS","message":"m"}"#,
                "missing_contra_accounts",
            ),
            (
                404,
                r#"{"type":"EXPORT_NOT_FOUND","message":"m"}"#,
                "not_found",
            ),
            (429, "", "rate_limited"),
            (
                401,
                r#"{"type":"UNAUTHORIZED","message":"JWT is expired"}"#,
                "unauthorized",
            ),
            (403, r#"{"type":"Access_Denied"}"#, "access_denied"),
            (503, "<html>", "api_unavailable"),
            (0, "", "api_unavailable"),
            (400, r#"{"type":"BAD_REQUEST"}"#, "api_error"),
        ] {
            assert_eq!(
                code(api_error(&res(status, body))),
                expected,
                "{status} {body}"
            );
        }
        let e = api_error(&res(
            422,
            r#"{"type":"EXPORT_JOB_STATUS_UNPROCESSABLE","message":"job is <b>done</b>"}"#,
        ));
        assert_eq!(
            e.error.message(),
            "the export API answered 422 EXPORT_JOB_STATUS_UNPROCESSABLE"
        );
        let s = e.error.server_error().unwrap();
        assert_eq!(s.error_description.as_deref(), Some("job is <b>done</b>"));
        assert_eq!(s.status, Some(422));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let r = ApiResponse {
            status: 429,
            body: "",
            retry_after: Some("2"),
        };
        assert_eq!(api_error(&r).retry_after_ms, Some(2000));
        let r = ApiResponse {
            status: 429,
            body: "",
            retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        };
        assert_eq!(api_error(&r).retry_after_ms, None);
        assert_eq!(retry_after_ms("999999"), Some(3_600_000));
    }

    #[test]
    fn retry_after_zero_is_no_hint() {
        for zero in ["0", "00", " 0 "] {
            let r = ApiResponse {
                status: 503,
                body: "",
                retry_after: Some(zero),
            };
            assert_eq!(api_error(&r).retry_after_ms, None, "{zero:?}");
        }
    }

    #[test]
    fn export_items_keep_their_raw_text() {
        let body = r#"{"data":[{"accountingEntryId":"e1","amount":{"inSupplierCurrency":{"currency":"SEK","value":89696}},"note":"1.10"} , {"accountingEntryId":"e2","x":1.0e2}],"pagination":{"hasNextPage":true,"hasPreviousPage":false,"endCursor":"b28xMQ","total":3}}"#;
        let (entries, p) = parse_export_items(&res(200, body)).unwrap();
        assert_eq!(
            entries[0].raw,
            r#"{"accountingEntryId":"e1","amount":{"inSupplierCurrency":{"currency":"SEK","value":89696}},"note":"1.10"}"#
        );
        assert_eq!(entries[1].raw, r#"{"accountingEntryId":"e2","x":1.0e2}"#);
        assert_eq!(p.end_cursor.as_deref(), Some("b28xMQ"));
        assert_eq!(p.total, Some(3));
    }

    #[test]
    fn malformed_answers_are_invalid_api_response() {
        for body in [
            "",
            "{}",
            r#"{"data":{}}"#,
            r#"{"data":[{"id":1}],"pagination":{}}"#,
            r#"{"data":[],"pagination":{"hasNextPage":true}}"#,
            r#"{"data":[{"accountingEntryId":"a"},{"accountingEntryId":"a"}],"pagination":{}}"#,
        ] {
            assert_eq!(
                code(parse_export_items(&res(200, body)).unwrap_err()),
                "invalid_api_response",
                "{body}"
            );
        }
        assert_eq!(
            code(parse_job(&res(200, r#"{"data":{"id":"j","status":7}}"#)).unwrap_err()),
            "invalid_api_response"
        );
    }

    #[test]
    fn a_null_item_status_is_not_yet_processed() {
        let body = r#"{"data":[{"accountingEntryId":"e","status":null}],"pagination":{"hasNextPage":false}}"#;
        let (items, _) = parse_job_items(&res(200, body)).unwrap();
        assert_eq!(items[0].status, ItemStatus::Pending);
    }

    #[test]
    fn an_unknown_item_failure_type_is_kept_as_text() {
        let body = r#"{"data":[{"accountingEntryId":"e","status":"failed","failureReasonType":"added_in_2030"}],"pagination":{"hasNextPage":false}}"#;
        let (items, _) = parse_job_items(&res(200, body)).unwrap();
        assert_eq!(items[0].status, ItemStatus::Failed);
        assert!(items[0]
            .raw
            .contains(r#""failureReasonType":"added_in_2030""#));
    }

    #[test]
    fn jobs_parse_bare_or_wrapped() {
        let j = parse_job(&res(
            200,
            r#"{"data":{"id":"j","status":"in_progress","expiresIn":120}}"#,
        ))
        .unwrap();
        assert_eq!(
            (j.status, j.expires_in),
            (Some(JobStatus::InProgress), Some(120))
        );
        assert_eq!(
            j.raw,
            r#"{"id":"j","status":"in_progress","expiresIn":120}"#
        );
        let j = parse_job(&res(200, r#"{"data":{"id":"j","status":"archived"}}"#)).unwrap();
        assert_eq!((j.status, j.status_text.as_str()), (None, "archived"));
        let j = parse_job(&res(200, r#" {"id":"j","status":"pending"} "#)).unwrap();
        assert_eq!(j.raw, r#"{"id":"j","status":"pending"}"#);
        let u = parse_update_items(&res(200, r#"{"data":[{}],"errors":[{"accountingEntryId":"x","message":"m","type":"ACCOUNTING_ENTRY_DOES_NOT_EXIST"}]}"#)).unwrap();
        assert_eq!(u.updated, 1);
        assert_eq!(u.errors[0].kind, "ACCOUNTING_ENTRY_DOES_NOT_EXIST");
    }
}
