//! Requests of the export API as plain values, **without** the bearer token
//! (the host adds `authorization`), one builder per call of
//! docs/PLEO-API.md: list jobs, get a job, post a job event, list a job's
//! items, read the export items (the accounting data), update items.

use super::{ItemStatus, JobEvent, JobStatus, MAX_ITEMS_PER_UPDATE, MAX_PAGE_SIZE};
use crate::error::{Error, ErrorCode, Result};
use crate::form;
use crate::json::ObjectWriter;
use crate::url::check_url;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A request for the host's HTTP client. `body` is JSON, absent for GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Option<String>,
}

const ACCEPT: (&str, &str) = ("accept", "application/json");
const CONTENT_TYPE: (&str, &str) = ("content-type", "application/json");

/// Where the API lives, checked once: absolute https (http on loopback),
/// no query or fragment; a trailing `/` is dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiBase(String);

impl ApiBase {
    pub fn parse(url: &str) -> Result<Self> {
        let checked = check_url(url, "apiBaseUrl", ErrorCode::InvalidInput)?;
        if checked.query.is_some() {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                "apiBaseUrl must not have a query",
            ));
        }
        Ok(ApiBase(String::from(url.trim_end_matches('/'))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn url(&self, path: &[&str]) -> String {
        let mut out = String::with_capacity(self.0.len() + 64);
        out.push_str(&self.0);
        for p in path {
            out.push_str(p);
        }
        out
    }
}

/// An id inside a path: unreserved characters (RFC 3986 §2.3) stay, every
/// other byte is percent-encoded, so an id can never add a path segment.
fn path_segment(id: &str, name: &'static str) -> Result<String> {
    if id.is_empty() || id.len() > 256 {
        return Err(Error::with_parts(
            ErrorCode::InvalidInput,
            &[name, " must be a non-empty id"],
        ));
    }
    let mut out = String::with_capacity(id.len());
    for &b in id.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            for d in [b >> 4, b & 15] {
                out.push(char::from(if d < 10 { b'0' + d } else { b'A' + d - 10 }));
            }
        }
    }
    Ok(out)
}

fn get(url: String) -> ApiRequest {
    ApiRequest {
        method: "GET",
        url,
        headers: vec![ACCEPT],
        body: None,
    }
}

fn with_body(method: &'static str, url: String, body: String) -> ApiRequest {
    ApiRequest {
        method,
        url,
        headers: vec![ACCEPT, CONTENT_TYPE],
        body: Some(body),
    }
}

/// Query parameters, appended in order.
struct Query(String);

impl Query {
    fn new(url: String) -> Self {
        Query(url)
    }
    fn pair(&mut self, name: &str, value: &str) -> &mut Self {
        self.0.push(if self.0.contains('?') { '&' } else { '?' });
        form::encode_into(&mut self.0, name);
        self.0.push('=');
        form::encode_into(&mut self.0, value);
        self
    }
    fn opt(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.pair(name, v);
        }
        self
    }
    fn limit(&mut self, limit: Option<u32>) -> Result<&mut Self> {
        match limit {
            None => Ok(self),
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => {
                Ok(self.pair("limit", &crate::error::decimal(u64::from(n))))
            }
            Some(_) => Err(Error::new(
                ErrorCode::InvalidInput,
                "limit must be an integer from 1 to 100",
            )),
        }
    }
}

/// A page position: `after` / `before` are the opaque cursors of a previous
/// page's `pagination` (follow `endCursor` while `hasNextPage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page<'a> {
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    pub limit: Option<u32>,
}

/// `GET /v3/export-jobs?company_id=…&statuses=…` (statuses repeated, the
/// OpenAPI form/explode style), oldest first as Pleo lists them.
pub fn list_jobs(
    base: &ApiBase,
    company_id: Option<&str>,
    statuses: &[JobStatus],
    page: &Page<'_>,
) -> Result<ApiRequest> {
    let mut q = Query::new(base.url(&["/v3/export-jobs"]));
    q.opt("company_id", company_id);
    for s in statuses {
        q.pair("statuses", s.as_str());
    }
    q.opt("after", page.after)
        .opt("before", page.before)
        .limit(page.limit)?;
    Ok(get(q.0))
}

/// `GET /v3/export-jobs/{jobId}`.
pub fn get_job(base: &ApiBase, job_id: &str) -> Result<ApiRequest> {
    Ok(get(base.url(&[
        "/v3/export-jobs/",
        &path_segment(job_id, "jobId")?,
    ])))
}

/// `POST /v3/export-job-events` `{event, jobId, failureReason?, failureReasonType?}`.
pub fn job_event(
    base: &ApiBase,
    job_id: &str,
    event: JobEvent,
    failure_reason: Option<&str>,
    failure_reason_type: Option<&str>,
) -> Result<ApiRequest> {
    path_segment(job_id, "jobId")?;
    let mut w = ObjectWriter::new();
    w.str("event", event.as_str())
        .str("jobId", job_id)
        .opt_str("failureReason", failure_reason)
        .opt_str("failureReasonType", failure_reason_type);
    Ok(with_body(
        "POST",
        base.url(&["/v3/export-job-events"]),
        w.finish(),
    ))
}

/// `GET /v3/export-jobs/{jobId}/items?status=…` (the control layer).
pub fn job_items(
    base: &ApiBase,
    job_id: &str,
    status: Option<ItemStatus>,
    page: &Page<'_>,
) -> Result<ApiRequest> {
    let mut q = Query::new(base.url(&[
        "/v3/export-jobs/",
        &path_segment(job_id, "jobId")?,
        "/items",
    ]));
    q.opt("status", status.map(ItemStatus::as_str))
        .opt("after", page.after)
        .opt("before", page.before)
        .limit(page.limit)?;
    Ok(get(q.0))
}

/// `GET /v3/export-items?job_id=…` (the accounting data). The operation
/// declares no `company_id`: the job id already names the company.
pub fn export_items(base: &ApiBase, job_id: &str, page: &Page<'_>) -> Result<ApiRequest> {
    path_segment(job_id, "jobId")?;
    let mut q = Query::new(base.url(&["/v3/export-items"]));
    q.pair("job_id", job_id)
        .opt("after", page.after)
        .opt("before", page.before)
        .limit(page.limit)?;
    Ok(get(q.0))
}

/// One item of an update: what became of an accounting entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemReport {
    pub accounting_entry_id: String,
    pub status: ItemStatus,
    /// ISO 8601.
    pub exported_at: Option<String>,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub failure_reason: Option<String>,
    pub failure_reason_type: Option<String>,
}

impl ItemReport {
    pub fn write_json(&self, out: &mut String) {
        let mut w = ObjectWriter::new();
        w.str("accountingEntryId", &self.accounting_entry_id)
            .str("status", self.status.as_str())
            .opt_str("exportedAt", self.exported_at.as_deref())
            .opt_str("externalId", self.external_id.as_deref())
            .opt_str("externalUrl", self.external_url.as_deref())
            .opt_str("failureReason", self.failure_reason.as_deref())
            .opt_str("failureReasonType", self.failure_reason_type.as_deref());
        out.push_str(&w.finish());
    }
}

/// `PUT /v3/export-jobs/{jobId}/items` with at most 100 items.
pub fn update_items(base: &ApiBase, job_id: &str, items: &[ItemReport]) -> Result<ApiRequest> {
    if items.len() > MAX_ITEMS_PER_UPDATE {
        return Err(Error::new(
            ErrorCode::TooManyItems,
            "an update carries at most 100 items",
        ));
    }
    if items.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            "an update needs at least one item",
        ));
    }
    for item in items {
        path_segment(&item.accounting_entry_id, "accountingEntryId")?;
    }
    let mut body = String::with_capacity(items.len() * 160);
    body.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        item.write_json(&mut body);
    }
    body.push(']');
    Ok(with_body(
        "PUT",
        base.url(&[
            "/v3/export-jobs/",
            &path_segment(job_id, "jobId")?,
            "/items",
        ]),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ApiBase {
        ApiBase::parse("https://external.pleo.io/").unwrap()
    }

    #[test]
    fn urls_are_built_and_encoded() {
        let b = base();
        let r = list_jobs(
            &b,
            Some("c 1"),
            &[JobStatus::Pending, JobStatus::InProgress],
            &Page {
                after: Some("AB=="),
                before: None,
                limit: Some(100),
            },
        )
        .unwrap();
        assert_eq!(r.url, "https://external.pleo.io/v3/export-jobs?company_id=c+1&statuses=pending&statuses=in_progress&after=AB%3D%3D&limit=100");
        assert_eq!(r.body, None);
        let r = get_job(&b, "../x").unwrap();
        assert_eq!(r.url, "https://external.pleo.io/v3/export-jobs/..%2Fx");
        let r = export_items(&b, "j1", &Page::default()).unwrap();
        assert_eq!(r.url, "https://external.pleo.io/v3/export-items?job_id=j1");
        let r = job_items(&b, "j1", Some(ItemStatus::Pending), &Page::default()).unwrap();
        assert_eq!(
            r.url,
            "https://external.pleo.io/v3/export-jobs/j1/items?status=pending"
        );
    }

    #[test]
    fn events_and_updates_have_json_bodies() {
        let b = base();
        let r = job_event(&b, "j1", JobEvent::Failed, Some("no \"contra\""), None).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"event":"failed","jobId":"j1","failureReason":"no \"contra\""}"#)
        );
        let item = ItemReport {
            accounting_entry_id: "e1".into(),
            status: ItemStatus::Successful,
            exported_at: Some("2026-01-01T00:00:00.000Z".into()),
            external_id: Some("L-1".into()),
            external_url: None,
            failure_reason: None,
            failure_reason_type: None,
        };
        let r = update_items(&b, "j1", core::slice::from_ref(&item)).unwrap();
        assert_eq!(r.method, "PUT");
        assert_eq!(r.url, "https://external.pleo.io/v3/export-jobs/j1/items");
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"[{"accountingEntryId":"e1","status":"successful","exportedAt":"2026-01-01T00:00:00.000Z","externalId":"L-1"}]"#
            )
        );
        let many = vec![item; 101];
        assert_eq!(
            update_items(&b, "j1", &many).unwrap_err().code(),
            ErrorCode::TooManyItems
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(ApiBase::parse("ftp://x").is_err());
        assert!(ApiBase::parse("https://x/?a=1").is_err());
        assert!(ApiBase::parse("http://api.pleo.io").is_err());
        assert!(ApiBase::parse("http://127.0.0.1:4011").is_ok());
        assert!(get_job(&base(), "").is_err());
        let p = Page {
            limit: Some(101),
            ..Page::default()
        };
        assert!(export_items(&base(), "j", &p).is_err());
    }
}
