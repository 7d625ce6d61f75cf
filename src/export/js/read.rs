//! The export shapes crossing in as records (docs/BOUNDARY.md), declared
//! once: each shape is the list of its fields, name and JS type, in the
//! order js/edge.js writes them. [`Obj`] finds a field by its name in that
//! list, so each request kind checks the fields it uses (and only those),
//! and reads it with `record::Fields`, the reader of the OAuth shapes too;
//! in debug builds it also checks that the field is read as the type
//! declared here. tests/js/boundary-shapes.test.mjs compares these
//! lists with js/edge.js's encoders and docs/BOUNDARY.md; tests/export.rs
//! writes its records from them.

use super::super::request::{self, ApiBase, ApiRequest, ItemReport, Page};
use super::super::run::{LedgerResult, RunOptions};
use super::super::{ItemStatus, JobEvent, JobStatus};
use super::{invalid, RequestKind};
use crate::error::{ErrorCode, Result};
use crate::json::{self, Value};
use crate::wasm::record::{self, Field, Fields};
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

/// One object read from its record, fields by name in `shape`'s order:
/// each field found by its name and read by [`Fields`], the crate's one
/// record reader (the OAuth shapes read it by position).
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
    /// The field `name` (absent past the end of the record: an older
    /// writer), to be read as `ty`. Debug builds check that `ty` is the type
    /// the shape declares (every read runs in the native tests), so a field
    /// read as another type than its declaration fails there.
    fn get(&self, name: &str, ty: Ty) -> Fields<'a, 'f> {
        let i = self.shape.iter().position(|(n, _)| *n == name);
        debug_assert_eq!(
            i.and_then(|i| self.shape.get(i)).map(|(_, t)| *t),
            Some(ty),
            "{name}"
        );
        let field = i.and_then(|i| self.items.get(i)).unwrap_or(&Field::Absent);
        Fields::one(field, ErrorCode::InvalidInput)
    }
    fn str(&self, name: &str, message: &'static str) -> Result<Option<String>> {
        Ok(self.get(name, Ty::Str).opt_str(message)?.map(String::from))
    }
    fn req_str(&self, name: &str, message: &'static str) -> Result<String> {
        self.get(name, Ty::Str).str(message).map(String::from)
    }
    /// A JS number as `String(n)` wrote it: for a finite number that is a
    /// JSON number, read with the crate's JSON number parser (`str::parse`
    /// would pull core's float tables into the wasm, +16 KB gzipped);
    /// `NaN` and `Infinity` are `message`.
    fn number(&self, name: &str, message: &'static str) -> Result<Option<f64>> {
        match self.get(name, Ty::Num).opt_str(message)? {
            None => Ok(None),
            Some(s) => match json::parse(s) {
                Some(Value::Number(n)) => Ok(Some(n)),
                _ => Err(invalid(message)),
            },
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
    fn str_list(&self, name: &str, message: &'static str) -> Result<Option<Vec<String>>> {
        self.get(name, Ty::StrList).opt_str_list(message)
    }
    /// A list of records of `shape`, each read by the caller.
    fn records(
        &self,
        name: &str,
        shape: Shape,
        message: &'static str,
    ) -> Result<Option<&'f [Field<'a>]>> {
        self.get(name, Ty::Records(shape)).opt_items(message)
    }
}

fn object<'a>(text: &'a str, message: &'static str) -> Result<Field<'a>> {
    record::decode(text).ok_or_else(|| invalid(message))
}

const BAD_ITEM_REPORT: &str = "items must be [{accountingEntryId, status, exportedAt?, externalId?, externalUrl?, failureReason?, failureReasonType?}]";

/// An ItemReport record, `m` for any bad field. A LedgerResult is the same
/// shape and is read by this too ([`ledger_result`]).
fn item_report(v: &Field<'_>, m: &'static str) -> Result<ItemReport> {
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
                .str_list("statuses", m)?
                .unwrap_or_default()
                .iter()
                .map(|s| JobStatus::parse(s))
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
                .records("items", ITEM_REPORT, m)?
                .ok_or_else(|| invalid(m))?
                .iter()
                .map(|v| item_report(v, BAD_ITEM_REPORT))
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
    let r = item_report(v, m)?;
    match r.status {
        ItemStatus::Successful | ItemStatus::Failed => Ok(r),
        _ => Err(invalid(m)),
    }
}

/// `exportRunDelivered(state, results, now)`: a list of LedgerResult records.
pub fn ledger_results(results: &str) -> Result<Vec<LedgerResult>> {
    match record::decode(results) {
        Some(Field::List(items)) => items.iter().map(ledger_result).collect(),
        _ => Err(invalid("results must be an array")),
    }
}
