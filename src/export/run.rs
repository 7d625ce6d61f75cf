//! The export run: a state machine that drives one export job from claim to
//! finish (docs/PLEO-API.md), sans-IO.
//!
//! The host calls [`ExportRun::next`] for the next [`Action`], performs it,
//! and feeds the outcome back ([`ExportRun::feed`] for an API answer,
//! [`ExportRun::delivered`] for the ledger's results), persisting
//! [`ExportRun::to_json`] after every call. Invariants:
//! - an entry whose result was reported to Pleo is never delivered again:
//!   results are kept in the state from the moment they arrive until their
//!   `PUT` succeeded, and the export-items cursor only moves past a page once
//!   all its results are reported (an entry Pleo serves again on a later
//!   page is not recognised: the ledger's idempotency covers it);
//! - every delivered entry is reported before the job is finished;
//! - the job is written to (reported, or its next entries marked
//!   `in_progress`) at least every `keep_alive_ms`, well inside Pleo's
//!   one-hour expiry after the last update;
//! - 429, 5xx, 401, a network failure or a malformed answer are retried with
//!   `Retry-After` or jittered exponential backoff, at most `max_attempts`
//!   times in a row.

use super::request::{self, ApiBase, ApiRequest, ItemReport, Page};
use super::response::{self, ApiResponse};
use super::{iso8601, ExportError, ItemStatus, JobEvent, JobStatus, MAX_ITEMS_PER_UPDATE};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, ObjectWriter, Value};
use alloc::string::String;
use alloc::vec::Vec;

/// Default: write to the job when 20 minutes passed without a write.
pub const DEFAULT_KEEP_ALIVE_MS: u64 = 20 * 60 * 1000;
/// A job expires one hour after its last update.
pub const JOB_LIFETIME_MS: u64 = 60 * 60 * 1000;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;
const BACKOFF_BASE_MS: u64 = 500;
const BACKOFF_CAP_MS: u64 = 60_000;
/// Job items are scanned a full page at a time.
const SCAN_PAGE: u32 = 100;
/// `failureReasonType` of `POST /v3/export-job-events` takes the *job* enum
/// (`ExportJobFailureReasonType`), not the item enum: a job whose every item
/// the ledger refused failed validation…
const ALL_ITEMS_FAILED_REASON_TYPE: &str = "validation_failure";
/// …and a company without contra accounts is missing configuration.
const MISSING_CONTRA_REASON_TYPE: &str = "missing_configuration";

/// How a run is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub api_base_url: String,
    pub job_id: String,
    pub company_id: Option<String>,
    /// Known from a job listing: `Pending` claims at once; otherwise the
    /// job is read first.
    pub job_status: Option<JobStatus>,
    /// Export items per page, 1..=100.
    pub page_size: u32,
    /// Items per update, 1..=100.
    pub report_batch: u32,
    pub keep_alive_ms: u64,
    pub max_attempts: u32,
    /// Seeds the backoff jitter.
    pub seed: u32,
}

impl RunOptions {
    pub fn new(api_base_url: &str, job_id: &str, seed: u32) -> Self {
        RunOptions {
            api_base_url: api_base_url.into(),
            job_id: job_id.into(),
            company_id: None,
            job_status: None,
            page_size: 100,
            report_batch: 100,
            keep_alive_ms: DEFAULT_KEEP_ALIVE_MS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            seed,
        }
    }
}

string_enum!(
    /// Where the run stands (persisted as `phase`).
    Phase {
        GetJob = "get_job",
        Claim = "claim",
        Scan = "scan",
        Fetch = "fetch",
        Deliver = "deliver",
        Report = "report",
        Finish = "finish",
        Done = "done",
    }
);

string_enum!(
    /// Why a request is made.
    Purpose {
        GetJob = "get_job",
        Claim = "claim",
        ListJobItems = "list_job_items",
        ExportItems = "export_items",
        Report = "report",
        KeepAlive = "keep_alive",
        Finish = "finish",
    }
);

string_enum!(
    /// Why the run waits (persisted as `waitReason`).
    WaitReason {
        RateLimited = "rate_limited",
        Backoff = "backoff",
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InFlight {
    Request(Purpose),
    Deliver,
}

/// Item results so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reported `successful` (including items a scan found so).
    pub successful: u64,
    /// Reported `failed` (including items a scan found so).
    pub failed: u64,
    /// Items Pleo refused inside a 200 answer to an update.
    pub report_errors: u64,
    /// Entries not delivered because a scan found them final.
    pub skipped: u64,
}

/// An accounting entry waiting for the ledger: its id and exact JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    pub accounting_entry_id: String,
    pub json: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CurrentPage {
    /// Not yet delivered (delivered ones move to `results`).
    entries: Vec<PendingEntry>,
    end_cursor: Option<String>,
    has_next: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FinishPlan {
    event: JobEvent,
    failure_reason: Option<String>,
    failure_reason_type: Option<String>,
}

/// How a run ended: a job status, `not_found` or `gave_up`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: String,
    /// `(code, message)` of the error that ended it, if one did.
    pub error: Option<(String, String)>,
}

/// What the host does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this (add the bearer token), then [`ExportRun::feed`] the answer.
    Request {
        purpose: Purpose,
        request: ApiRequest,
    },
    /// Book these in the ledger, then [`ExportRun::delivered`] the results.
    Deliver { entries: Vec<PendingEntry> },
    /// Call `next` again at or after `until` (ms).
    Wait { until: u64, reason: WaitReason },
    /// Nothing more to do.
    Done { outcome: Outcome, counts: Counts },
}

/// What the ledger made of one delivered entry: the item report to send
/// for it (one shape, docs/BOUNDARY.md), with status `Successful` or
/// `Failed`; `exported_at` absent means the time of [`ExportRun::delivered`].
pub type LedgerResult = ItemReport;

/// One export run. Persist [`ExportRun::to_json`] after every call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRun {
    base: ApiBase,
    job_id: String,
    company_id: Option<String>,
    page_size: u32,
    report_batch: u32,
    keep_alive_ms: u64,
    max_attempts: u32,
    rng: u32,
    phase: Phase,
    total: Option<u64>,
    counts: Counts,
    /// When the job was last written to, by our clock.
    touched_at: u64,
    attempt: u32,
    wait: Option<(u64, WaitReason)>,
    in_flight: Option<InFlight>,
    /// Items the in-flight update covers (the first of `results`, or of the page).
    in_flight_count: usize,
    scan_cursor: Option<String>,
    /// Entries a scan found final (a Vec: a B-tree costs ~7 KB of wasm, and
    /// a job has at most a few thousand items).
    skip: Vec<String>,
    /// The export-items cursor of the page being worked on (`None`: first page).
    cursor: Option<String>,
    page: Option<CurrentPage>,
    /// Delivered, not yet reported.
    results: Vec<ItemReport>,
    finish: Option<FinishPlan>,
    outcome: Option<Outcome>,
}

fn invalid_input(message: &'static str) -> Error {
    Error::new(ErrorCode::InvalidInput, message)
}

impl ExportRun {
    pub fn start(o: RunOptions, now: u64) -> Result<Self> {
        let base = ApiBase::parse(&o.api_base_url)?;
        // Validates the id the way every request will.
        request::get_job(&base, &o.job_id)?;
        if !(1..=super::MAX_PAGE_SIZE).contains(&o.page_size) {
            return Err(invalid_input("pageSize must be an integer from 1 to 100"));
        }
        if !(1..=MAX_ITEMS_PER_UPDATE as u32).contains(&o.report_batch) {
            return Err(invalid_input(
                "reportBatch must be an integer from 1 to 100",
            ));
        }
        if o.keep_alive_ms == 0 || o.keep_alive_ms >= JOB_LIFETIME_MS {
            return Err(invalid_input(
                "keepAliveMs must be between 1 ms and one hour",
            ));
        }
        if o.max_attempts == 0 {
            return Err(invalid_input("maxAttempts must be at least 1"));
        }
        let phase = match o.job_status {
            None => Phase::GetJob,
            Some(JobStatus::Pending) => Phase::Claim,
            // A recovered job is read first anyway: its `expiresIn` tells
            // how soon it needs a write (keep-alive).
            Some(JobStatus::InProgress) => Phase::GetJob,
            Some(_) => {
                return Err(invalid_input(
                    "jobStatus must be \"pending\" or \"in_progress\"",
                ))
            }
        };
        Ok(ExportRun {
            base,
            job_id: o.job_id,
            company_id: o.company_id,
            page_size: o.page_size,
            report_batch: o.report_batch,
            keep_alive_ms: o.keep_alive_ms,
            max_attempts: o.max_attempts,
            rng: o.seed,
            phase,
            total: None,
            counts: Counts::default(),
            touched_at: now,
            attempt: 0,
            wait: None,
            in_flight: None,
            in_flight_count: 0,
            scan_cursor: None,
            skip: Vec::new(),
            cursor: None,
            page: None,
            results: Vec::new(),
            finish: None,
            outcome: None,
        })
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }
    pub fn counts(&self) -> Counts {
        self.counts
    }
    pub fn total(&self) -> Option<u64> {
        self.total
    }
    pub fn job_id(&self) -> &str {
        &self.job_id
    }
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The next thing to do. Calling it again without feeding anything gives
    /// the same action again (what a host restarted after a crash does).
    pub fn next(&mut self, now: u64) -> Result<Action> {
        if self.phase == Phase::Done {
            self.in_flight = None;
            return Ok(self.done_action());
        }
        if let Some((until, reason)) = self.wait {
            if now < until {
                self.in_flight = None;
                return Ok(Action::Wait { until, reason });
            }
            self.wait = None;
        }
        // Keep-alive: the job has not been written to for a while and the
        // next step (a delivery) does not write to it either.
        if self.phase == Phase::Deliver && now >= self.touched_at.saturating_add(self.keep_alive_ms)
        {
            if !self.results.is_empty() {
                self.phase = Phase::Report;
            } else if let Some(page) = &self.page {
                let items: Vec<ItemReport> = page
                    .entries
                    .iter()
                    .take(MAX_ITEMS_PER_UPDATE)
                    .map(|e| ItemReport {
                        accounting_entry_id: e.accounting_entry_id.clone(),
                        status: ItemStatus::InProgress,
                        exported_at: None,
                        external_id: None,
                        external_url: None,
                        failure_reason: None,
                        failure_reason_type: None,
                    })
                    .collect();
                if !items.is_empty() {
                    let request = request::update_items(&self.base, &self.job_id, &items)?;
                    self.in_flight_count = items.len();
                    return Ok(self.request(Purpose::KeepAlive, request));
                }
            }
        }
        match self.phase {
            Phase::GetJob => {
                let r = request::get_job(&self.base, &self.job_id)?;
                Ok(self.request(Purpose::GetJob, r))
            }
            Phase::Claim => {
                let r =
                    request::job_event(&self.base, &self.job_id, JobEvent::Started, None, None)?;
                Ok(self.request(Purpose::Claim, r))
            }
            Phase::Scan => {
                let page = Page {
                    after: self.scan_cursor.as_deref(),
                    before: None,
                    limit: Some(SCAN_PAGE),
                };
                let r = request::job_items(&self.base, &self.job_id, None, &page)?;
                Ok(self.request(Purpose::ListJobItems, r))
            }
            Phase::Fetch => {
                let page = Page {
                    after: self.cursor.as_deref(),
                    before: None,
                    limit: Some(self.page_size),
                };
                let r = request::export_items(&self.base, &self.job_id, &page)?;
                Ok(self.request(Purpose::ExportItems, r))
            }
            Phase::Deliver => match &self.page {
                Some(page) if !page.entries.is_empty() => {
                    let entries = page.entries.clone();
                    self.in_flight = Some(InFlight::Deliver);
                    Ok(Action::Deliver { entries })
                }
                _ => {
                    self.after_results();
                    self.next(now)
                }
            },
            Phase::Report => {
                let n = self.results.len().min(self.report_batch as usize);
                let batch = self.results.get(..n).unwrap_or_default();
                if batch.is_empty() {
                    self.after_results();
                    return self.next(now);
                }
                let r = request::update_items(&self.base, &self.job_id, batch)?;
                self.in_flight_count = n;
                Ok(self.request(Purpose::Report, r))
            }
            Phase::Finish => {
                if self.finish.is_none() {
                    self.finish = Some(self.finish_from_counts());
                }
                let plan = self
                    .finish
                    .as_ref()
                    .ok_or_else(|| invalid_input("no finish"))?;
                let r = request::job_event(
                    &self.base,
                    &self.job_id,
                    plan.event,
                    plan.failure_reason.as_deref(),
                    plan.failure_reason_type.as_deref(),
                )?;
                Ok(self.request(Purpose::Finish, r))
            }
            Phase::Done => Ok(self.done_action()),
        }
    }

    fn request(&mut self, purpose: Purpose, request: ApiRequest) -> Action {
        self.in_flight = Some(InFlight::Request(purpose));
        Action::Request { purpose, request }
    }

    fn done_action(&self) -> Action {
        Action::Done {
            outcome: self.outcome.clone().unwrap_or(Outcome {
                status: String::from("gave_up"),
                error: None,
            }),
            counts: self.counts,
        }
    }

    fn done(&mut self, status: &str, error: Option<&Error>) {
        self.phase = Phase::Done;
        self.outcome = Some(Outcome {
            status: status.into(),
            error: error.map(|e| (String::from(e.code().as_str()), String::from(e.message()))),
        });
        self.in_flight = None;
        self.wait = None;
        self.page = None;
        self.results.clear();
        self.skip.clear();
    }

    /// mulberry32: a small generator whose state (a u32) survives a JSON
    /// round trip exactly. Jitter only, not security.
    fn random_unit(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x6D2B_79F5);
        let mut t = self.rng;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        u64::from(t ^ (t >> 14))
    }

    /// Exponential backoff, jittered to 50–100 % ("equal jitter").
    fn backoff_ms(&mut self) -> u64 {
        let exp = self.attempt.saturating_sub(1).min(16);
        let full = BACKOFF_BASE_MS.saturating_mul(1 << exp).min(BACKOFF_CAP_MS);
        let half = full / 2;
        half + ((self.random_unit() * (full - half + 1)) >> 32)
    }

    /// A retryable failure: wait, then the same request again.
    fn retry(&mut self, e: &ExportError, now: u64) {
        self.attempt = self.attempt.saturating_add(1);
        if self.attempt >= self.max_attempts {
            self.done("gave_up", Some(&e.error));
            return;
        }
        let (delay, reason) = match e.error.code() {
            ErrorCode::RateLimited => (
                e.retry_after_ms.unwrap_or_else(|| self.backoff_ms()),
                WaitReason::RateLimited,
            ),
            // The host refreshes its token on a 401; try again at once.
            ErrorCode::Unauthorized => (0, WaitReason::Backoff),
            ErrorCode::ApiUnavailable => (
                e.retry_after_ms.unwrap_or_else(|| self.backoff_ms()),
                WaitReason::Backoff,
            ),
            _ => (self.backoff_ms(), WaitReason::Backoff),
        };
        if delay > 0 {
            self.wait = Some((now.saturating_add(delay), reason));
        }
    }

    /// An error with no specific meaning for the step.
    fn fail(&mut self, e: &ExportError, now: u64) {
        match e.error.code() {
            ErrorCode::RateLimited
            | ErrorCode::ApiUnavailable
            | ErrorCode::Unauthorized
            | ErrorCode::InvalidApiResponse => self.retry(e, now),
            ErrorCode::NotFound => self.done("not_found", Some(&e.error)),
            // The job ended under us (expired): read its final status.
            ErrorCode::JobFinished => self.reread_job(e),
            _ => self.done("gave_up", Some(&e.error)),
        }
    }

    /// A step that must go back to reading the job counts as an attempt, so
    /// a server that keeps contradicting itself cannot loop the run forever.
    fn reread_job(&mut self, e: &ExportError) {
        self.attempt = self.attempt.saturating_add(1);
        if self.attempt >= self.max_attempts {
            self.done("gave_up", Some(&e.error));
        } else {
            self.phase = Phase::GetJob;
        }
    }

    fn has_progress(&self) -> bool {
        self.cursor.is_some()
            || self.page.is_some()
            || !self.results.is_empty()
            || self.counts != Counts::default()
    }

    /// Where to go once results changed: report, deliver more, or move on.
    fn after_results(&mut self) {
        let page_left = self.page.as_ref().map_or(0, |p| p.entries.len());
        if self.results.len() >= self.report_batch as usize
            || (page_left == 0 && !self.results.is_empty())
        {
            self.phase = Phase::Report;
        } else if page_left > 0 {
            self.phase = Phase::Deliver;
        } else {
            self.page_done();
        }
    }

    fn page_done(&mut self) {
        let (end_cursor, has_next) = match self.page.take() {
            Some(p) => (p.end_cursor, p.has_next),
            None => (None, false),
        };
        if end_cursor.is_some() {
            self.cursor = end_cursor;
        }
        if has_next {
            self.phase = Phase::Fetch;
        } else {
            self.phase = Phase::Finish;
        }
    }

    fn finish_from_counts(&self) -> FinishPlan {
        let failed = self.counts.failed + self.counts.report_errors;
        if failed == 0 {
            FinishPlan {
                event: JobEvent::Completed,
                failure_reason: None,
                failure_reason_type: None,
            }
        } else if self.counts.successful == 0 {
            FinishPlan {
                event: JobEvent::Failed,
                failure_reason: Some("every item of the job failed to export".into()),
                failure_reason_type: Some(ALL_ITEMS_FAILED_REASON_TYPE.into()),
            }
        } else {
            FinishPlan {
                event: JobEvent::CompletedWithErrors,
                failure_reason: None,
                failure_reason_type: None,
            }
        }
    }

    /// Feeds the answer to the request of the last [`Action::Request`].
    pub fn feed(&mut self, res: &ApiResponse<'_>, now: u64) -> Result<()> {
        let purpose = match self.in_flight {
            Some(InFlight::Request(p)) => p,
            _ => return Err(invalid_input("no request of this run is in flight")),
        };
        self.in_flight = None;
        match purpose {
            Purpose::GetJob => self.on_job(res, now),
            Purpose::Claim => self.on_claimed(res, now),
            Purpose::ListJobItems => self.on_job_items(res, now),
            Purpose::ExportItems => self.on_export_items(res, now),
            Purpose::Report | Purpose::KeepAlive => self.on_items_updated(purpose, res, now),
            Purpose::Finish => self.on_finished(res, now),
        }
        Ok(())
    }

    /// `GetJob` answered: the job's status decides where the run goes on.
    fn on_job(&mut self, res: &ApiResponse<'_>, now: u64) {
        match response::parse_job(res) {
            Ok(job) => {
                self.attempt = 0;
                self.total = self.total.or(job.number_of_items);
                let Some(status) = job.status else {
                    // A status added after this version: neither claim nor
                    // finish a job whose state we cannot read; stop cleanly.
                    let shown = if job.status_text.len() <= 64 {
                        job.status_text.as_str()
                    } else {
                        "(too long to show)"
                    };
                    let e = Error::with_parts(
                        ErrorCode::InvalidApiResponse,
                        &[
                            "the job has status \"",
                            shown,
                            "\", which this version does not know",
                        ],
                    );
                    self.done("unknown_status", Some(&e));
                    return;
                };
                match status {
                    JobStatus::Pending => self.phase = Phase::Claim,
                    JobStatus::InProgress => {
                        if let Some(left) = job.expires_in {
                            let left_ms = left.saturating_mul(1000).min(JOB_LIFETIME_MS);
                            let updated = now.saturating_sub(JOB_LIFETIME_MS - left_ms);
                            self.touched_at = self.touched_at.min(updated);
                        }
                        if self.finish.is_some() {
                            self.phase = Phase::Finish;
                        } else if self.has_progress() {
                            if self.page.is_some() || !self.results.is_empty() {
                                self.after_results();
                            } else {
                                self.phase = Phase::Fetch;
                            }
                        } else {
                            self.phase = Phase::Scan;
                            self.scan_cursor = None;
                        }
                    }
                    finished => self.done(finished.as_str(), None),
                }
            }
            Err(e) => self.fail(&e, now),
        }
    }

    /// `Claim` answered: the job is ours; fetch entries.
    fn on_claimed(&mut self, res: &ApiResponse<'_>, now: u64) {
        match response::parse_event(res) {
            Ok(()) => {
                self.attempt = 0;
                self.touched_at = now;
                self.phase = Phase::Fetch;
            }
            Err(e) if e.error.code() == ErrorCode::InvalidStatusChange => self.reread_job(&e),
            Err(e) => self.fail(&e, now),
        }
    }

    /// `ListJobItems` answered: items already final are skipped (a resumed run).
    fn on_job_items(&mut self, res: &ApiResponse<'_>, now: u64) {
        match response::parse_job_items(res) {
            Ok((items, pagination)) => {
                self.attempt = 0;
                for item in items {
                    if !item.status.is_final() || self.skip.contains(&item.accounting_entry_id) {
                        continue;
                    }
                    match item.status {
                        ItemStatus::Successful => self.counts.successful += 1,
                        ItemStatus::Failed => self.counts.failed += 1,
                        _ => {}
                    }
                    self.skip.push(item.accounting_entry_id);
                }
                if pagination.has_next_page {
                    self.scan_cursor = pagination.end_cursor;
                } else {
                    self.scan_cursor = None;
                    self.phase = Phase::Fetch;
                }
            }
            Err(e) => self.fail(&e, now),
        }
    }

    /// `ExportItems` answered: a page of entries to deliver.
    fn on_export_items(&mut self, res: &ApiResponse<'_>, now: u64) {
        match response::parse_export_items(res) {
            Ok((entries, pagination)) => {
                self.attempt = 0;
                if self.total.is_none() {
                    self.total = pagination.total;
                }
                let mut pending = Vec::with_capacity(entries.len());
                for e in entries {
                    if self.skip.contains(&e.accounting_entry_id) {
                        self.counts.skipped += 1;
                    } else {
                        pending.push(PendingEntry {
                            accounting_entry_id: e.accounting_entry_id,
                            json: e.raw.into(),
                        });
                    }
                }
                self.page = Some(CurrentPage {
                    entries: pending,
                    end_cursor: pagination.end_cursor,
                    has_next: pagination.has_next_page,
                });
                self.after_results();
            }
            Err(e) if e.error.code() == ErrorCode::MissingContraAccounts => {
                self.attempt = 0;
                self.finish = Some(FinishPlan {
                    event: JobEvent::Failed,
                    failure_reason: Some(
                        "the company has not configured its contra accounts (MISSING_CONTRA_ACCOUNTS)"
                            .into(),
                    ),
                    failure_reason_type: Some(MISSING_CONTRA_REASON_TYPE.into()),
                });
                self.phase = Phase::Finish;
            }
            Err(e) => self.fail(&e, now),
        }
    }

    /// `Report` or `KeepAlive` answered: reported results are counted.
    fn on_items_updated(&mut self, purpose: Purpose, res: &ApiResponse<'_>, now: u64) {
        match response::parse_update_items(res) {
            Ok(outcome) => {
                self.attempt = 0;
                self.touched_at = now;
                if purpose == Purpose::Report {
                    let n = self.in_flight_count.min(self.results.len());
                    for item in self.results.drain(..n) {
                        if outcome
                            .errors
                            .iter()
                            .any(|e| e.accounting_entry_id == item.accounting_entry_id)
                        {
                            self.counts.report_errors += 1;
                        } else if item.status == ItemStatus::Successful {
                            self.counts.successful += 1;
                        } else {
                            self.counts.failed += 1;
                        }
                    }
                    self.after_results();
                }
            }
            Err(e) if e.error.code() == ErrorCode::TooManyItems => {
                // The server takes fewer than we thought: halve the batch.
                self.report_batch = (self.in_flight_count as u32 / 2).max(1);
                self.attempt = self.attempt.saturating_add(1);
                if self.attempt >= self.max_attempts {
                    self.done("gave_up", Some(&e.error));
                }
            }
            Err(e) => self.fail(&e, now),
        }
    }

    /// `Finish` answered: the run is done.
    fn on_finished(&mut self, res: &ApiResponse<'_>, now: u64) {
        match response::parse_event(res) {
            Ok(()) => {
                let status = self
                    .finish
                    .as_ref()
                    .map_or("completed", |p| p.event.as_str());
                self.done(status, None);
            }
            Err(e) if e.error.code() == ErrorCode::InvalidStatusChange => self.reread_job(&e),
            Err(e) => self.fail(&e, now),
        }
    }

    /// Feeds the ledger's results for the last [`Action::Deliver`]. Results
    /// may cover only some entries; the others are delivered again.
    pub fn delivered(&mut self, results: Vec<LedgerResult>, now: u64) -> Result<()> {
        if self.in_flight != Some(InFlight::Deliver) {
            return Err(invalid_input("no delivery of this run is in flight"));
        }
        let page = self
            .page
            .as_mut()
            .ok_or_else(|| invalid_input("no delivery of this run is in flight"))?;
        // Check everything before changing anything.
        for (i, r) in results.iter().enumerate() {
            if !matches!(r.status, ItemStatus::Successful | ItemStatus::Failed) {
                return Err(invalid_input(
                    "a ledger result's status must be \"successful\" or \"failed\"",
                ));
            }
            if !page
                .entries
                .iter()
                .any(|e| e.accounting_entry_id == r.accounting_entry_id)
            {
                return Err(invalid_input(
                    "a ledger result names an entry that was not delivered",
                ));
            }
            if results
                .iter()
                .skip(i + 1)
                .any(|o| o.accounting_entry_id == r.accounting_entry_id)
            {
                return Err(invalid_input("a ledger result is given twice"));
            }
        }
        self.in_flight = None;
        let exported_at = iso8601(now);
        for mut r in results {
            page.entries
                .retain(|e| e.accounting_entry_id != r.accounting_entry_id);
            r.exported_at.get_or_insert_with(|| exported_at.clone());
            self.results.push(r);
        }
        self.after_results();
        Ok(())
    }
}

// ---- persistence: the state as JSON ----

/// `[{accountingEntryId, json}]` from `(id, json text)` pairs: a page's
/// entries as stored in the state, handed to the host in a `deliver` action
/// and returned by `parseExportResponse("exportItems")`.
pub(crate) fn entries_json<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut list = String::from("[");
    for (i, (id, json)) in entries.enumerate() {
        if i > 0 {
            list.push(',');
        }
        let mut ew = ObjectWriter::new();
        ew.str("accountingEntryId", id).str("json", json);
        list.push_str(&ew.finish());
    }
    list.push(']');
    list
}

/// [`entries_json`] of entries waiting for the ledger.
pub(crate) fn pending_entries_json(entries: &[PendingEntry]) -> String {
    entries_json(
        entries
            .iter()
            .map(|e| (e.accounting_entry_id.as_str(), e.json.as_str())),
    )
}

impl ExportRun {
    /// The state as JSON text; [`ExportRun::from_json`] reads it back.
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::new();
        w.int("v", 1)
            .str("jobId", &self.job_id)
            .opt_str("companyId", self.company_id.as_deref())
            .str("phase", self.phase.as_str());
        if let Some(t) = self.total {
            w.int("total", t);
        }
        let mut counts = ObjectWriter::new();
        counts
            .int("successful", self.counts.successful)
            .int("failed", self.counts.failed)
            .int("reportErrors", self.counts.report_errors)
            .int("skipped", self.counts.skipped);
        w.raw("counts", &counts.finish());
        if let Some(o) = &self.outcome {
            w.raw("outcome", &outcome_json(o));
        }
        w.str("apiBaseUrl", self.base.as_str())
            .int("pageSize", u64::from(self.page_size))
            .int("reportBatch", u64::from(self.report_batch))
            .int("keepAliveMs", self.keep_alive_ms)
            .int("maxAttempts", u64::from(self.max_attempts))
            .int("rng", u64::from(self.rng))
            .int("touchedAt", self.touched_at)
            .int("attempt", u64::from(self.attempt));
        if let Some((until, reason)) = self.wait {
            w.int("waitUntil", until).str("waitReason", reason.as_str());
        }
        match self.in_flight {
            Some(InFlight::Request(p)) => {
                w.str("inFlight", p.as_str());
            }
            Some(InFlight::Deliver) => {
                w.str("inFlight", "deliver");
            }
            None => {}
        }
        w.int("inFlightCount", self.in_flight_count as u64);
        w.opt_str("scanCursor", self.scan_cursor.as_deref());
        w.str_array("skip", &self.skip);
        w.opt_str("cursor", self.cursor.as_deref());
        if let Some(page) = &self.page {
            let mut pw = ObjectWriter::new();
            pw.raw("entries", &pending_entries_json(&page.entries))
                .opt_str("endCursor", page.end_cursor.as_deref())
                .bool("hasNext", page.has_next);
            w.raw("page", &pw.finish());
        }
        let mut results = String::from("[");
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                results.push(',');
            }
            r.write_json(&mut results);
        }
        results.push(']');
        w.raw("results", &results);
        if let Some(f) = &self.finish {
            let mut fw = ObjectWriter::new();
            fw.str("event", f.event.as_str())
                .opt_str("failureReason", f.failure_reason.as_deref())
                .opt_str("failureReasonType", f.failure_reason_type.as_deref());
            w.raw("finish", &fw.finish());
        }
        w.finish()
    }

    /// Reads a state written by [`ExportRun::to_json`]; anything else
    /// (including a hand-edited state) is `invalid_input`.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = StateFields::bad;
        let v = json::parse(text).ok_or_else(bad)?;
        let f = StateFields(&v);
        if f.int("v")? != Some(1) {
            return Err(bad());
        }
        let small = |name| u32::try_from(f.req_int(name)?).map_err(|_| bad());
        let page_size = small("pageSize")?;
        let report_batch = small("reportBatch")?;
        let keep_alive_ms = f.req_int("keepAliveMs")?;
        let max_attempts = small("maxAttempts")?;
        let mut run = ExportRun::start(
            RunOptions {
                api_base_url: f.req_str("apiBaseUrl")?,
                job_id: f.req_str("jobId")?,
                company_id: f.str("companyId")?,
                job_status: None,
                page_size,
                report_batch,
                keep_alive_ms,
                max_attempts,
                seed: small("rng")?,
            },
            f.req_int("touchedAt")?,
        )?;
        run.phase = Phase::parse(&f.req_str("phase")?).ok_or_else(bad)?;
        run.total = f.int("total")?;
        let counts = StateFields(v.get("counts").ok_or_else(bad)?);
        run.counts = Counts {
            successful: counts.req_int("successful")?,
            failed: counts.req_int("failed")?,
            report_errors: counts.req_int("reportErrors")?,
            skipped: counts.req_int("skipped")?,
        };
        run.attempt = u32::try_from(f.req_int("attempt")?).map_err(|_| bad())?;
        run.wait = match (f.int("waitUntil")?, f.str("waitReason")?.as_deref()) {
            (None, None) => None,
            (Some(t), Some(reason)) => Some((t, WaitReason::parse(reason).ok_or_else(bad)?)),
            _ => return Err(bad()),
        };
        run.in_flight = match f.str("inFlight")?.as_deref() {
            None => None,
            Some("deliver") => Some(InFlight::Deliver),
            Some(p) => Some(InFlight::Request(Purpose::parse(p).ok_or_else(bad)?)),
        };
        run.in_flight_count = f.int("inFlightCount")?.unwrap_or(0) as usize;
        run.scan_cursor = f.str("scanCursor")?;
        run.skip = f.list("skip", |i| match i {
            Value::String(s) => Ok(s.clone()),
            _ => Err(bad()),
        })?;
        run.cursor = f.str("cursor")?;
        run.page = f.object("page", read_page)?;
        run.results = f.list("results", read_report)?;
        run.finish = f.object("finish", read_finish)?;
        run.outcome = f.object("outcome", read_outcome)?;
        if (run.phase == Phase::Done) != run.outcome.is_some() {
            return Err(bad());
        }
        Ok(run)
    }
}

/// The page being delivered.
fn read_page(p: &Value) -> Result<CurrentPage> {
    let pf = StateFields(p);
    let entries = match p.get("entries") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|e| {
                let ef = StateFields(e);
                Ok(PendingEntry {
                    accounting_entry_id: ef.req_str("accountingEntryId")?,
                    json: ef.req_str("json")?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(StateFields::bad()),
    };
    let has_next = match p.get("hasNext") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(StateFields::bad()),
    };
    Ok(CurrentPage {
        entries,
        end_cursor: pf.str("endCursor")?,
        has_next,
    })
}

/// One ledger result not yet reported.
fn read_report(r: &Value) -> Result<ItemReport> {
    let rf = StateFields(r);
    Ok(ItemReport {
        accounting_entry_id: rf.req_str("accountingEntryId")?,
        status: ItemStatus::parse(&rf.req_str("status")?).ok_or_else(StateFields::bad)?,
        exported_at: rf.str("exportedAt")?,
        external_id: rf.str("externalId")?,
        external_url: rf.str("externalUrl")?,
        failure_reason: rf.str("failureReason")?,
        failure_reason_type: rf.str("failureReasonType")?,
    })
}

/// How the job is to be finished.
fn read_finish(fv: &Value) -> Result<FinishPlan> {
    let ff = StateFields(fv);
    Ok(FinishPlan {
        event: JobEvent::parse(&ff.req_str("event")?).ok_or_else(StateFields::bad)?,
        failure_reason: ff.str("failureReason")?,
        failure_reason_type: ff.str("failureReasonType")?,
    })
}

/// The outcome of a finished run.
fn read_outcome(ov: &Value) -> Result<Outcome> {
    let of = StateFields(ov);
    Ok(Outcome {
        status: of.req_str("status")?,
        error: of.object("error", |ev| {
            let ef = StateFields(ev);
            Ok((ef.req_str("code")?, ef.req_str("message")?))
        })?,
    })
}

pub fn outcome_json(o: &Outcome) -> String {
    let mut w = ObjectWriter::new();
    w.str("status", &o.status);
    if let Some((code, message)) = &o.error {
        let mut ew = ObjectWriter::new();
        ew.str("code", code).str("message", message);
        w.raw("error", &ew.finish());
    }
    w.finish()
}

/// Typed reads of a state object's members.
struct StateFields<'v>(&'v Value);

impl StateFields<'_> {
    fn bad() -> Error {
        invalid_input("state must be an export run state as returned by the run functions")
    }
    fn str(&self, name: &str) -> Result<Option<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::bad()),
        }
    }
    fn req_str(&self, name: &str) -> Result<String> {
        self.str(name)?.ok_or_else(Self::bad)
    }
    fn int(&self, name: &str) -> Result<Option<u64>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => super::whole_number(*n, super::MAX_SAFE_INTEGER)
                .map(Some)
                .ok_or_else(Self::bad),
            Some(_) => Err(Self::bad()),
        }
    }
    fn req_int(&self, name: &str) -> Result<u64> {
        self.int(name)?.ok_or_else(Self::bad)
    }
    /// An array member, absent meaning empty; each element read by `read`.
    fn list<T>(&self, name: &str, read: impl Fn(&Value) -> Result<T>) -> Result<Vec<T>> {
        match self.0.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(read).collect(),
            Some(_) => Err(Self::bad()),
        }
    }
    /// An object member, absent or null meaning none, read by `read`.
    fn object<T>(&self, name: &str, read: impl FnOnce(&Value) -> Result<T>) -> Result<Option<T>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(o) => read(o).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> ExportRun {
        let mut o = RunOptions::new("https://external.pleo.io", "j", 1);
        o.job_status = Some(JobStatus::Pending);
        ExportRun::start(o, 1_000).unwrap()
    }

    #[test]
    fn extreme_but_well_typed_states_do_not_panic() {
        let json = started()
            .to_json()
            .replace("\"attempt\":0", "\"attempt\":4294967295")
            .replace("\"inFlightCount\":0", "\"inFlightCount\":9007199254740991");
        let mut run = ExportRun::from_json(&json).unwrap();
        assert!(matches!(
            run.next(u64::MAX >> 12).unwrap(),
            Action::Request { .. }
        ));
        let res = ApiResponse {
            status: 503,
            body: "",
            retry_after: None,
        };
        run.feed(&res, u64::MAX >> 12).unwrap();
        assert_eq!(run.outcome().unwrap().status, "gave_up");
    }

    #[test]
    fn backoff_grows_and_is_capped_with_jitter() {
        let mut run = started();
        for attempt in 1..=30 {
            run.attempt = attempt;
            let full = (BACKOFF_BASE_MS << (attempt - 1).min(16)).min(BACKOFF_CAP_MS);
            let d = run.backoff_ms();
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
        }
    }

    #[test]
    fn state_json_round_trips() {
        let mut run = started();
        run.next(1_000).unwrap();
        assert_eq!(ExportRun::from_json(&run.to_json()).unwrap(), run);
        assert!(ExportRun::from_json("{}").is_err());
        assert!(ExportRun::from_json(&run.to_json().replace("\"v\":1", "\"v\":2")).is_err());
    }
}
