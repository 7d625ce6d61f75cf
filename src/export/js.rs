//! The export core's JavaScript shapes, on the wasm boundary's record
//! encoding (docs/BOUNDARY.md; `crate::wasm::record`): options and ledger
//! results in as records, requests and run actions out as records. JSON
//! only where the value is a JSON document by contract: the run state
//! (persisted by the host), each entry's raw text (a string field), and the
//! validated answers of `exportResponses`, which are Pleo's own JSON passed
//! through. Plain data conversion (no workflow decisions), compiled natively
//! too so it is tested with the core; `wasm_edge` only passes the strings
//! across. `build_request` and `run_next` also write JSON, the shared
//! vectors' form, for the native tests.

use super::request::{self, ApiBase, ApiRequest, ItemReport, Page};
use super::response::{self, ApiResponse, Pagination};
use super::run::{
    entries_json, outcome_json, pending_entries_json, Action, Counts, ExportRun, LedgerResult,
    RunOptions,
};
use super::{ExportError, ItemStatus, JobEvent, JobStatus};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, ObjectWriter, Value};
use crate::wasm::record::{self, Field, Writer};
use alloc::string::String;
use alloc::vec::Vec;

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidInput, message)
}

/// A time in milliseconds since the epoch, as JavaScript numbers carry it.
pub fn time_ms(n: f64, message: &'static str) -> Result<u64> {
    // Fractions are floored, like the OAuth API's times.
    if n.is_finite() && (0.0..=super::MAX_SAFE_INTEGER as f64).contains(&n) {
        Ok(n as u64)
    } else {
        Err(invalid(message))
    }
}

// The options crossing in as records (docs/BOUNDARY.md): each shape is the
// list of its fields in this order, read by name through `Obj` so that every
// field is checked when (and only when) the request it belongs to needs it.

/// `exportRequests.<kind>(opts)`, all kinds in one shape.
const REQUEST_OPTIONS: &[&str] = &[
    "apiBaseUrl",
    "after",
    "before",
    "limit",
    "companyId",
    "jobId",
    "statuses",
    "event",
    "failureReason",
    "failureReasonType",
    "status",
    "items",
];
/// One of `opts.items` (updateItems).
const ITEM_REPORT: &[&str] = &[
    "accountingEntryId",
    "status",
    "exportedAt",
    "externalId",
    "externalUrl",
    "failureReason",
    "failureReasonType",
];
/// `exportRunStart(opts)`.
const RUN_OPTIONS: &[&str] = &[
    "apiBaseUrl",
    "jobId",
    "companyId",
    "jobStatus",
    "pageSize",
    "reportBatch",
    "keepAliveMs",
    "maxAttempts",
    "seed",
];
/// One of `exportRunDelivered`'s results: the same fields as an ItemReport,
/// in the same order (one shape, one encoder in js/edge.js).
const LEDGER_RESULT: &[&str] = ITEM_REPORT;

/// One object read from its record, fields by name in `shape`'s order.
struct Obj<'f, 'a> {
    items: &'f [Field<'a>],
    shape: &'static [&'static str],
}

impl<'f, 'a> Obj<'f, 'a> {
    /// The fields of `v` (an object, written as a list); `message` otherwise.
    fn of(v: &'f Field<'a>, shape: &'static [&'static str], message: &'static str) -> Result<Self> {
        match v {
            Field::List(items) => Ok(Obj { items, shape }),
            _ => Err(invalid(message)),
        }
    }
    /// A field, absent past the end of the record (an older writer).
    fn get(&self, name: &str) -> &'f Field<'a> {
        self.shape
            .iter()
            .position(|n| *n == name)
            .and_then(|i| self.items.get(i))
            .unwrap_or(&Field::Absent)
    }
    fn str(&self, name: &str, message: &'static str) -> Result<Option<String>> {
        match self.get(name) {
            Field::Absent => Ok(None),
            Field::Str(s) => Ok(Some(String::from(*s))),
            Field::LoneSurrogate => Err(Error::with_parts(
                ErrorCode::InvalidInput,
                &[message, " (it contains a lone UTF-16 surrogate)"],
            )),
            _ => Err(invalid(message)),
        }
    }
    fn req_str(&self, name: &str, message: &'static str) -> Result<String> {
        self.str(name, message)?.ok_or_else(|| invalid(message))
    }
    /// A JS number as `String(n)` wrote it: for a finite number that is a
    /// JSON number, read with the crate's JSON number parser (`str::parse`
    /// would pull core's float tables into the wasm, +16 KB gzipped);
    /// `NaN` and `Infinity` are `message`.
    fn number(&self, name: &str, message: &'static str) -> Result<Option<f64>> {
        match self.get(name) {
            Field::Absent => Ok(None),
            Field::Str(s) => match json::parse(s) {
                Some(Value::Number(n)) => Ok(Some(n)),
                _ => Err(invalid(message)),
            },
            _ => Err(invalid(message)),
        }
    }
    fn int(&self, name: &str, max: u64, message: &'static str) -> Result<Option<u64>> {
        match self.number(name, message)? {
            None => Ok(None),
            Some(n) => super::whole_number(n, max)
                .map(Some)
                .ok_or_else(|| invalid(message)),
        }
    }
    /// A list field: `None` when absent, `message` when not a list.
    fn list(&self, name: &str, message: &'static str) -> Result<Option<&'f [Field<'a>]>> {
        match self.get(name) {
            Field::Absent => Ok(None),
            Field::List(items) => Ok(Some(items)),
            _ => Err(invalid(message)),
        }
    }
}

fn object<'a>(text: &'a str, message: &'static str) -> Result<Field<'a>> {
    record::decode(text).ok_or_else(|| invalid(message))
}

fn limit(o: &Obj<'_, '_>) -> Result<Option<u32>> {
    Ok(
        o.int("limit", 100, "limit must be an integer from 1 to 100")?
            .map(|n| n as u32),
    )
}

fn item_report(v: &Field<'_>) -> Result<ItemReport> {
    let m = "items must be [{accountingEntryId, status, exportedAt?, externalId?, externalUrl?, failureReason?, failureReasonType?}]";
    let o = Obj::of(v, ITEM_REPORT, m)?;
    Ok(ItemReport {
        accounting_entry_id: o.req_str("accountingEntryId", m)?,
        status: ItemStatus::parse(&o.req_str("status", m)?).ok_or_else(|| invalid(m))?,
        exported_at: o.str("exportedAt", m)?,
        external_id: o.str("externalId", m)?,
        external_url: o.str("externalUrl", m)?,
        failure_reason: o.str("failureReason", m)?,
        failure_reason_type: o.str("failureReasonType", m)?,
    })
}

/// `exportRequests.<kind>(opts)` as JSON `{method, url, headers, body?}`
/// (the shared vectors' form; the wasm export writes [`build_request_record`]).
pub fn build_request(kind: &str, opts: &str, now: u64) -> Result<String> {
    Ok(request::request_json(&api_request(kind, opts, now)?))
}

/// `exportRequests.<kind>(opts)` → the HttpRequest record
/// `[method, url, headers (names and values alternating), body]`, body
/// absent for GET.
pub fn build_request_record(kind: &str, opts: &str, now: u64) -> Result<String> {
    Ok(api_request_record(&api_request(kind, opts, now)?))
}

/// An export request in the OAuth requests' record shape (HttpRequest).
pub fn api_request_record(r: &ApiRequest) -> String {
    let mut w = Writer::with_capacity(r.url.len() + r.body.as_deref().map_or(0, str::len) + 96);
    write_api_request(&mut w, r);
    w.finish()
}

fn write_api_request(w: &mut Writer, r: &ApiRequest) {
    w.begin().str(r.method).str(&r.url).begin();
    for (name, value) in &r.headers {
        w.str(name).str(value);
    }
    w.end().opt_str(r.body.as_deref()).end();
}

fn api_request(kind: &str, opts: &str, now: u64) -> Result<ApiRequest> {
    let v = object(opts, "opts must be an object")?;
    let o = Obj::of(&v, REQUEST_OPTIONS, "opts must be an object")?;
    let base = ApiBase::parse(&o.req_str("apiBaseUrl", "opts.apiBaseUrl must be a string")?)?;
    let job_id = || o.req_str("jobId", "opts.jobId must be a string");
    let after = o.str("after", "opts.after must be a string")?;
    let before = o.str("before", "opts.before must be a string")?;
    let page = Page {
        after: after.as_deref(),
        before: before.as_deref(),
        limit: limit(&o)?,
    };
    let company = o.str("companyId", "opts.companyId must be a string")?;
    let r = match kind {
        "listJobs" => {
            let m = "opts.statuses must be job statuses";
            let statuses = o
                .list("statuses", m)?
                .unwrap_or_default()
                .iter()
                .map(|s| match s {
                    Field::Str(s) => JobStatus::parse(s),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid(m))?;
            request::list_jobs(&base, company.as_deref(), &statuses, &page)?
        }
        "getJob" => request::get_job(&base, &job_id()?)?,
        "jobEvent" => {
            let event = o
                .str("event", "opts.event must be a job event")?
                .and_then(|e| JobEvent::parse(&e))
                .ok_or_else(|| {
                    invalid(
                        "opts.event must be started, completed, completed_with_errors or failed",
                    )
                })?;
            request::job_event(
                &base,
                &job_id()?,
                event,
                o.str("failureReason", "opts.failureReason must be a string")?
                    .as_deref(),
                o.str(
                    "failureReasonType",
                    "opts.failureReasonType must be a string",
                )?
                .as_deref(),
            )?
        }
        "jobItems" => {
            let status = match o.str("status", "opts.status must be an item status")? {
                None => None,
                Some(s) => Some(
                    ItemStatus::parse(&s)
                        .ok_or_else(|| invalid("opts.status must be an item status"))?,
                ),
            };
            request::job_items(&base, &job_id()?, status, &page)?
        }
        "exportItems" => request::export_items(&base, &job_id()?, &page)?,
        "updateItems" => {
            let m = "opts.items must be an array of item reports";
            let mut items = o
                .list("items", m)?
                .ok_or_else(|| invalid(m))?
                .iter()
                .map(item_report)
                .collect::<Result<Vec<_>>>()?;
            let stamp = super::iso8601(now);
            for item in &mut items {
                if item.exported_at.is_none() {
                    item.exported_at = Some(stamp.clone());
                }
            }
            request::update_items(&base, &job_id()?, &items)?
        }
        _ => return Err(invalid("unknown export request")),
    };
    Ok(r)
}

fn pagination_json(p: &Pagination) -> String {
    let mut w = ObjectWriter::new();
    w.bool("hasNextPage", p.has_next_page)
        .bool("hasPreviousPage", p.has_previous_page)
        .opt_str("startCursor", p.start_cursor.as_deref())
        .opt_str("endCursor", p.end_cursor.as_deref());
    if let Some(t) = p.total {
        w.int("total", t);
    }
    w.finish()
}

fn raw_array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, raw) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(raw);
    }
    out.push(']');
    out
}

/// `exportResponses.<kind>(res)` → the validated value as JSON.
pub fn parse_response(
    kind: &str,
    res: &ApiResponse<'_>,
) -> core::result::Result<String, ExportError> {
    Ok(match kind {
        "listJobs" => {
            let (jobs, p) = response::parse_jobs(res)?;
            let mut w = ObjectWriter::new();
            w.raw("jobs", &raw_array(jobs.iter().map(|j| j.raw)))
                .raw("pagination", &pagination_json(&p));
            w.finish()
        }
        "getJob" => String::from(response::parse_job(res)?.raw),
        "jobEvent" => {
            response::parse_event(res)?;
            String::from("null")
        }
        "jobItems" => {
            let (items, p) = response::parse_job_items(res)?;
            let mut w = ObjectWriter::new();
            w.raw("items", &raw_array(items.iter().map(|i| i.raw)))
                .raw("pagination", &pagination_json(&p));
            w.finish()
        }
        "exportItems" => {
            let (entries, p) = response::parse_export_items(res)?;
            let list = entries_json(
                entries
                    .iter()
                    .map(|e| (e.accounting_entry_id.as_str(), e.raw)),
            );
            let mut w = ObjectWriter::new();
            w.raw("entries", &list)
                .raw("pagination", &pagination_json(&p));
            w.finish()
        }
        "updateItems" => {
            let u = response::parse_update_items(res)?;
            let mut errors = String::from("[");
            for (i, e) in u.errors.iter().enumerate() {
                if i > 0 {
                    errors.push(',');
                }
                let mut ew = ObjectWriter::new();
                ew.str("accountingEntryId", &e.accounting_entry_id)
                    .str("message", &e.message)
                    .str("type", &e.kind);
                errors.push_str(&ew.finish());
            }
            errors.push(']');
            let mut w = ObjectWriter::new();
            w.int("updated", u.updated as u64).raw("errors", &errors);
            w.finish()
        }
        _ => return Err(invalid("unknown export response").into()),
    })
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

/// `exportRunStart(opts)` → the first state.
pub fn run_start(opts: &str, now: u64, random_seed: u32) -> Result<String> {
    let v = object(opts, "opts must be an object")?;
    let o = Obj::of(&v, RUN_OPTIONS, "opts must be an object")?;
    let mut options = RunOptions::new(
        &o.req_str("apiBaseUrl", "opts.apiBaseUrl must be a string")?,
        &o.req_str("jobId", "opts.jobId must be a string")?,
        random_seed,
    );
    options.company_id = o.str("companyId", "opts.companyId must be a string")?;
    options.job_status = match o.str("jobStatus", "opts.jobStatus must be a string")? {
        None => None,
        Some(s) => Some(
            JobStatus::parse(&s)
                .ok_or_else(|| invalid("opts.jobStatus must be \"pending\" or \"in_progress\""))?,
        ),
    };
    let small = |name, message| -> Result<Option<u32>> {
        Ok(o.int(name, u64::from(u32::MAX), message)?.map(|n| n as u32))
    };
    if let Some(n) = small("pageSize", "opts.pageSize must be an integer from 1 to 100")? {
        options.page_size = n;
    }
    if let Some(n) = small(
        "reportBatch",
        "opts.reportBatch must be an integer from 1 to 100",
    )? {
        options.report_batch = n;
    }
    if let Some(n) = o.int(
        "keepAliveMs",
        u64::MAX >> 11,
        "opts.keepAliveMs must be a number of milliseconds",
    )? {
        options.keep_alive_ms = n;
    }
    if let Some(n) = small("maxAttempts", "opts.maxAttempts must be a positive integer")? {
        options.max_attempts = n;
    }
    // Any integer seeds the jitter; reduced to the generator's 32 bits.
    match o.number("seed", "opts.seed must be an integer")? {
        None => {}
        Some(n) if n.is_finite() && (n as i64) as f64 == n => {
            options.seed = (n as i64) as u32;
        }
        Some(_) => return Err(invalid("opts.seed must be an integer")),
    }
    Ok(ExportRun::start(options, now)?.to_json())
}

fn counts_json(c: &Counts) -> String {
    let mut w = ObjectWriter::new();
    w.int("successful", c.successful)
        .int("failed", c.failed)
        .int("reportErrors", c.report_errors)
        .int("skipped", c.skipped);
    w.finish()
}

pub fn action_json(a: &Action) -> String {
    let mut w = ObjectWriter::new();
    match a {
        Action::Request { purpose, request } => {
            w.str("type", "request")
                .str("purpose", purpose.as_str())
                .raw("request", &request::request_json(request));
        }
        Action::Deliver { entries } => {
            w.str("type", "deliver")
                .raw("entries", &pending_entries_json(entries));
        }
        Action::Wait { until, reason } => {
            w.str("type", "wait")
                .int("until", *until)
                .str("reason", reason.as_str());
        }
        Action::Done { outcome, counts } => {
            w.str("type", "done").str("status", &outcome.status);
            w.raw("counts", &counts_json(counts));
            if let Some((code, message)) = &outcome.error {
                let mut ew = ObjectWriter::new();
                ew.str("code", code).str("message", message);
                w.raw("error", &ew.finish());
            }
        }
    }
    w.finish()
}

/// `exportRunNext(state, now)` → `{state, action}`.
pub fn run_next(state_json: &str, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    let action = run.next(now)?;
    let mut w = ObjectWriter::new();
    w.raw("state", &run.to_json())
        .raw("action", &action_json(&action));
    Ok(w.finish())
}

/// An action as a record: `[type, …]` with, by type,
/// `request`: purpose, HttpRequest (see [`api_request_record`]);
/// `deliver`: `[[accountingEntryId, json]…]` (json the entry's raw text);
/// `wait`: until, reason;
/// `done`: status, `[successful, failed, reportErrors, skipped]`, error `[code, message]` or absent.
pub fn write_action(w: &mut Writer, a: &Action) {
    w.begin();
    match a {
        Action::Request { purpose, request } => {
            w.str("request").str(purpose.as_str());
            write_api_request(w, request);
        }
        Action::Deliver { entries } => {
            w.str("deliver").begin();
            for e in entries {
                w.begin().str(&e.accounting_entry_id).str(&e.json).end();
            }
            w.end();
        }
        Action::Wait { until, reason } => {
            w.str("wait").int(*until).str(reason.as_str());
        }
        Action::Done { outcome, counts } => {
            w.str("done").str(&outcome.status);
            w.begin()
                .int(counts.successful)
                .int(counts.failed)
                .int(counts.report_errors)
                .int(counts.skipped)
                .end();
            match &outcome.error {
                Some((code, message)) => w.begin().str(code).str(message).end(),
                None => w.absent(),
            };
        }
    }
    w.end();
}

/// `exportRunNext(state, now)` → the record `[state, action]`, the state
/// as its JSON text (a document by contract: the host persists it).
pub fn run_next_record(state_json: &str, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    let action = run.next(now)?;
    let state = run.to_json();
    let mut w = Writer::with_capacity(state.len() + 256);
    w.begin().str(&state);
    write_action(&mut w, &action);
    w.end();
    Ok(w.finish())
}

/// `exportRunFeed(state, res, now)` → the new state.
pub fn run_feed(state_json: &str, res: &ApiResponse<'_>, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    run.feed(res, now)?;
    Ok(run.to_json())
}

fn ledger_result(v: &Field<'_>) -> Result<LedgerResult> {
    let m = "results must be [{accountingEntryId, status: \"successful\"|\"failed\", externalId?, externalUrl?, failureReason?, failureReasonType?, exportedAt?}]";
    let o = Obj::of(v, LEDGER_RESULT, m)?;
    let status = match o.req_str("status", m)?.as_str() {
        "successful" => ItemStatus::Successful,
        "failed" => ItemStatus::Failed,
        _ => return Err(invalid(m)),
    };
    Ok(LedgerResult {
        accounting_entry_id: o.req_str("accountingEntryId", m)?,
        status,
        external_id: o.str("externalId", m)?,
        external_url: o.str("externalUrl", m)?,
        failure_reason: o.str("failureReason", m)?,
        failure_reason_type: o.str("failureReasonType", m)?,
        exported_at: o.str("exportedAt", m)?,
    })
}

/// `exportRunDelivered(state, results, now)` → the new state.
/// `results` is a record: a list of LedgerResult records.
pub fn run_delivered(state_json: &str, results: &str, now: u64) -> Result<String> {
    let mut run = ExportRun::from_json(state_json)?;
    let results = match record::decode(results) {
        Some(Field::List(items)) => items
            .iter()
            .map(ledger_result)
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(invalid("results must be an array")),
    };
    run.delivered(results, now)?;
    Ok(run.to_json())
}

/// The outcome of a finished state, for hosts that only kept the state.
pub fn outcome_of(run: &ExportRun) -> Option<String> {
    run.outcome().map(outcome_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::record::decode;

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
        let json_step = run_next(&state, 1_000).unwrap();
        let Some(Field::List(parts)) = decode(&step) else {
            panic!("{step}")
        };
        let [Field::Str(next_state), Field::List(action)] = parts.as_slice() else {
            panic!("{step}")
        };
        // The same state the JSON form carries, as its JSON text.
        assert!(json_step.contains(next_state), "{json_step}");
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
