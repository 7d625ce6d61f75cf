//! The export shapes crossing in as records (docs/BOUNDARY.md), declared
//! once: each shape is the list of its fields, name and JS type, in the
//! order js/edge.js writes them. The reader ([`Obj`]) finds a field by its
//! name in that list, so each request kind checks the fields it uses (and
//! only those); in debug builds it also checks that the field is read as
//! the type declared here. tests/js/boundary-shapes.test.mjs compares these
//! lists with js/edge.js's encoders and docs/BOUNDARY.md; tests/export.rs
//! writes its records from them.

use super::super::request::{self, ApiBase, ApiRequest, ItemReport, Page};
use super::super::run::{LedgerResult, RunOptions};
use super::super::{ItemStatus, JobEvent, JobStatus};
use super::{invalid, RequestKind};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::wasm::record::{self, Field};
use alloc::string::String;
use alloc::vec::Vec;

/// What a field is in JavaScript, i.e. which `put*` of js/edge.js writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A string (`putStr`).
    Str,
    /// A number, as `String(n)` (`putNum`).
    Num,
    /// An array of strings (`putList`).
    StrList,
    /// An array of objects of the given shape (`putObjects`).
    Records(Shape),
}

/// A shape: its fields' names and types, in record order.
pub type Shape = &'static [(&'static str, Ty)];

/// One of `opts.items` (updateItems).
pub const ITEM_REPORT: Shape = &[
    ("accountingEntryId", Ty::Str),
    ("status", Ty::Str),
    ("exportedAt", Ty::Str),
    ("externalId", Ty::Str),
    ("externalUrl", Ty::Str),
    ("failureReason", Ty::Str),
    ("failureReasonType", Ty::Str),
];
/// `exportRequests.<kind>(opts)`, all kinds in one shape.
pub const REQUEST_OPTIONS: Shape = &[
    ("apiBaseUrl", Ty::Str),
    ("after", Ty::Str),
    ("before", Ty::Str),
    ("limit", Ty::Num),
    ("companyId", Ty::Str),
    ("jobId", Ty::Str),
    ("statuses", Ty::StrList),
    ("event", Ty::Str),
    ("failureReason", Ty::Str),
    ("failureReasonType", Ty::Str),
    ("status", Ty::Str),
    ("items", Ty::Records(ITEM_REPORT)),
];
/// `exportRunStart(opts)`.
pub const RUN_OPTIONS: Shape = &[
    ("apiBaseUrl", Ty::Str),
    ("jobId", Ty::Str),
    ("companyId", Ty::Str),
    ("jobStatus", Ty::Str),
    ("pageSize", Ty::Num),
    ("reportBatch", Ty::Num),
    ("keepAliveMs", Ty::Num),
    ("maxAttempts", Ty::Num),
    ("seed", Ty::Num),
];
/// One of `exportRunDelivered`'s results: an ItemReport's fields in its
/// order (one shape, one encoder in js/edge.js).
pub const LEDGER_RESULT: Shape = ITEM_REPORT;

/// One object read from its record, fields by name in `shape`'s order.
struct Obj<'f, 'a> {
    items: &'f [Field<'a>],
    shape: Shape,
}

impl<'f, 'a> Obj<'f, 'a> {
    /// The fields of `v` (an object, written as a list); `message` otherwise.
    fn of(v: &'f Field<'a>, shape: Shape, message: &'static str) -> Result<Self> {
        match v {
            Field::List(items) => Ok(Obj { items, shape }),
            _ => Err(invalid(message)),
        }
    }
    /// A field, absent past the end of the record (an older writer).
    fn get(&self, name: &str) -> &'f Field<'a> {
        self.shape
            .iter()
            .position(|(n, _)| *n == name)
            .and_then(|i| self.items.get(i))
            .unwrap_or(&Field::Absent)
    }
    /// The type `name` is declared with; the accessors check it in debug
    /// builds (every accessor runs in the native tests), so a field read as
    /// another type than its declaration fails there.
    fn declared(&self, name: &str) -> Option<Ty> {
        self.shape.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }
    fn str(&self, name: &str, message: &'static str) -> Result<Option<String>> {
        debug_assert_eq!(self.declared(name), Some(Ty::Str), "{name}");
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
        debug_assert_eq!(self.declared(name), Some(Ty::Num), "{name}");
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
            Some(n) => super::super::whole_number(n, max)
                .map(Some)
                .ok_or_else(|| invalid(message)),
        }
    }
    /// A list field: `None` when absent, `message` when not a list.
    fn list(&self, name: &str, message: &'static str) -> Result<Option<&'f [Field<'a>]>> {
        debug_assert!(
            matches!(self.declared(name), Some(Ty::StrList | Ty::Records(_))),
            "{name}"
        );
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

/// `exportRequests.<kind>(opts)`: the options record read as `kind` needs
/// it, and the request built from them.
pub fn api_request(kind: RequestKind, opts: &str, now: u64) -> Result<ApiRequest> {
    let v = object(opts, "opts must be an object")?;
    let o = Obj::of(&v, REQUEST_OPTIONS, "opts must be an object")?;
    let base = ApiBase::parse(&o.req_str("apiBaseUrl", "opts.apiBaseUrl must be a string")?)?;
    let job_id = || o.req_str("jobId", "opts.jobId must be a string");
    let after = o.str("after", "opts.after must be a string")?;
    let before = o.str("before", "opts.before must be a string")?;
    let page = Page {
        after: after.as_deref(),
        before: before.as_deref(),
        limit: o
            .int("limit", 100, "limit must be an integer from 1 to 100")?
            .map(|n| n as u32),
    };
    let company = o.str("companyId", "opts.companyId must be a string")?;
    let r = match kind {
        RequestKind::ListJobs => {
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
        RequestKind::GetJob => request::get_job(&base, &job_id()?)?,
        RequestKind::JobEvent => {
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
        RequestKind::JobItems => {
            let status = match o.str("status", "opts.status must be an item status")? {
                None => None,
                Some(s) => Some(
                    ItemStatus::parse(&s)
                        .ok_or_else(|| invalid("opts.status must be an item status"))?,
                ),
            };
            request::job_items(&base, &job_id()?, status, &page)?
        }
        RequestKind::ExportItems => request::export_items(&base, &job_id()?, &page)?,
        RequestKind::UpdateItems => {
            let m = "opts.items must be an array of item reports";
            let mut items = o
                .list("items", m)?
                .ok_or_else(|| invalid(m))?
                .iter()
                .map(item_report)
                .collect::<Result<Vec<_>>>()?;
            let stamp = super::super::iso8601(now);
            for item in &mut items {
                if item.exported_at.is_none() {
                    item.exported_at = Some(stamp.clone());
                }
            }
            request::update_items(&base, &job_id()?, &items)?
        }
    };
    Ok(r)
}

/// `exportRunStart(opts)`: the run options record.
pub fn run_options(opts: &str, random_seed: u32) -> Result<RunOptions> {
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
    Ok(options)
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

/// `exportRunDelivered(state, results, now)`: a list of LedgerResult records.
pub fn ledger_results(results: &str) -> Result<Vec<LedgerResult>> {
    match record::decode(results) {
        Some(Field::List(items)) => items.iter().map(ledger_result).collect(),
        _ => Err(invalid("results must be an array")),
    }
}
