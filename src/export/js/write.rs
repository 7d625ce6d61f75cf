//! What the export functions hand back to JavaScript: requests and run
//! steps as records (docs/BOUNDARY.md), and the validated answers of
//! `exportResponses` as JSON, since they are made of Pleo's own JSON
//! documents passed through.

use super::super::request::ApiRequest;
use super::super::response::{self, ApiResponse, Pagination};
use super::super::run::{entries_json, Action};
use super::super::ExportError;
use super::RequestKind;
use crate::json::ObjectWriter;
use crate::wasm::record::Writer;
use alloc::string::String;

/// An export request in the OAuth requests' record shape (HttpRequest):
/// `[method, url, headers (names and values alternating), body]`, body
/// absent for GET.
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

/// A run step, `[state, action]`: the state as its JSON text.
pub fn run_step_record(state: &str, action: &Action) -> String {
    let mut w = Writer::with_capacity(state.len() + 256);
    w.begin().str(state);
    write_action(&mut w, action);
    w.end();
    w.finish()
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

/// One page of a list answer: `{<key>: list, pagination}`.
fn page_json(key: &str, list: &str, p: &Pagination) -> String {
    let mut w = ObjectWriter::new();
    w.raw(key, list).raw("pagination", &pagination_json(p));
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
pub fn response_json(
    kind: RequestKind,
    res: &ApiResponse<'_>,
) -> core::result::Result<String, ExportError> {
    Ok(match kind {
        RequestKind::ListJobs => {
            let (jobs, p) = response::parse_jobs(res)?;
            page_json("jobs", &raw_array(jobs.iter().map(|j| j.raw)), &p)
        }
        RequestKind::GetJob => String::from(response::parse_job(res)?.raw),
        RequestKind::JobEvent => {
            response::parse_event(res)?;
            String::from("null")
        }
        RequestKind::JobItems => {
            let (items, p) = response::parse_job_items(res)?;
            page_json("items", &raw_array(items.iter().map(|i| i.raw)), &p)
        }
        RequestKind::ExportItems => {
            let (entries, p) = response::parse_export_items(res)?;
            let list = entries_json(
                entries
                    .iter()
                    .map(|e| (e.accounting_entry_id.as_str(), e.raw)),
            );
            page_json("entries", &list, &p)
        }
        RequestKind::UpdateItems => {
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
    })
}
