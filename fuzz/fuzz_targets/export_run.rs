//! The export run state machine under arbitrary API answers, ledger results,
//! clocks and states: `next`, `feed`, `delivered` and `from_json` never
//! panic; every state survives its own JSON round trip; only documented
//! codes come out; and an entry whose final result was accepted by a 2xx
//! answer to a report is never delivered again.
//!
//! The fake API behaves like a cursor-paged list: an entry lives on one page
//! (one request URL). Asked for the same page again (a retry, or after a
//! crash) it may answer with that page's entries again; a different page
//! never repeats an entry served on another one. (The run does not promise
//! to recognise an entry that Pleo serves again on a later page: it keeps
//! the results of the current page only, and the ledger's idempotency on
//! `accountingEntryId` covers that case.)
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pleo_oauth::export::run::{Action, ExportRun, LedgerResult, Purpose, RunOptions};
use pleo_oauth::export::{ApiResponse, ItemStatus, JobStatus};
use pleo_oauth::ErrorCode;
use std::collections::{HashMap, HashSet};

#[derive(Arbitrary, Debug)]
enum Step {
    /// Answer the in-flight request.
    Answer {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// A page of export items with these ids.
    Page { ids: Vec<u8>, has_next: bool },
    /// A plain 2xx with an update body.
    Accepted,
    /// Ledger results for some delivered entries.
    Results { pick: Vec<u8>, failed: bool },
    /// Crash: reload the previous persisted state.
    Crash,
    /// Time passes.
    Advance(u32),
}

#[derive(Arbitrary, Debug)]
struct Input {
    pending: bool,
    page_size: u8,
    report_batch: u8,
    seed: u32,
    steps: Vec<Step>,
    garbage_state: String,
}

/// Items whose report Pleo answered (the scan is off here: not pending).
fn reported_count(run: &ExportRun) -> u64 {
    let c = run.counts();
    c.successful + c.failed + c.report_errors
}

fuzz_target!(|input: Input| {
    // Arbitrary text as a state: refused or read, never a panic.
    if let Ok(run) = ExportRun::from_json(&input.garbage_state) {
        let again = ExportRun::from_json(&run.to_json()).expect("round trip");
        assert_eq!(again, run);
    }

    let mut options = RunOptions::new("http://127.0.0.1:4011", "job-1", input.seed);
    options.page_size = u32::from(input.page_size % 100) + 1;
    options.report_batch = u32::from(input.report_batch % 100) + 1;
    options.job_status = input.pending.then_some(JobStatus::Pending);
    let mut now: u64 = 1_796_056_800_000;
    let mut run = ExportRun::start(options, now).expect("valid options");
    let mut persisted: String;
    let mut reported: HashSet<String> = HashSet::new();
    // Which page (request URL) served each entry id first.
    let mut served_on: HashMap<String, String> = HashMap::new();

    for step in input.steps.into_iter().take(200) {
        let action = run.next(now).expect("next never fails on a valid state");
        persisted = run.to_json();
        assert_eq!(ExportRun::from_json(&persisted).expect("round trip"), run);
        if let Action::Deliver { entries } = &action {
            for e in entries {
                assert!(
                    !reported.contains(&e.accounting_entry_id),
                    "{} delivered after its report",
                    e.accounting_entry_id
                );
            }
        }
        let report_ids: Vec<String> = match &action {
            Action::Request {
                purpose: Purpose::Report,
                request,
            } => {
                let body: serde_json::Value =
                    serde_json::from_str(request.body.as_deref().unwrap_or("[]")).unwrap();
                body.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["accountingEntryId"].as_str().unwrap().to_string())
                    .collect()
            }
            _ => Vec::new(),
        };
        match step {
            Step::Answer {
                status,
                body,
                retry_after,
            } => {
                let before = reported_count(&run);
                let r = run.feed(
                    &ApiResponse {
                        status: status % 600,
                        body: &body,
                        retry_after: retry_after.as_deref(),
                    },
                    now,
                );
                match r {
                    Err(e) => assert_eq!(e.code(), ErrorCode::InvalidInput),
                    // The core counts a batch only when Pleo accepted it.
                    Ok(()) if reported_count(&run) > before => reported.extend(report_ids),
                    Ok(()) => {}
                }
            }
            Step::Page { ids, has_next } => {
                let page_key = match &action {
                    Action::Request { request, .. } => request.url.clone(),
                    _ => String::new(),
                };
                let data: Vec<String> = ids
                    .iter()
                    .take(120)
                    .filter(|i| {
                        let id = format!("e{i}");
                        served_on.entry(id).or_insert_with(|| page_key.clone()) == &page_key
                    })
                    .map(|i| format!(r#"{{"accountingEntryId":"e{i}","amount":{{"value":{i}}}}}"#))
                    .collect();
                let body = format!(
                    r#"{{"data":[{}],"pagination":{{"hasNextPage":{has_next},"endCursor":"c{}"}}}}"#,
                    data.join(","),
                    now
                );
                let _ = run.feed(
                    &ApiResponse {
                        status: 200,
                        body: &body,
                        retry_after: None,
                    },
                    now,
                );
            }
            Step::Accepted => {
                let before = reported_count(&run);
                let r = run.feed(
                    &ApiResponse {
                        status: 200,
                        body: r#"{"data":[],"errors":[]}"#,
                        retry_after: None,
                    },
                    now,
                );
                if r.is_ok() && reported_count(&run) > before {
                    reported.extend(report_ids);
                }
            }
            Step::Results { pick, failed } => {
                if let Action::Deliver { entries } = &action {
                    let mut seen = HashSet::new();
                    let results: Vec<LedgerResult> = pick
                        .iter()
                        .filter_map(|p| entries.get(*p as usize % entries.len().max(1)))
                        .filter(|e| seen.insert(e.accounting_entry_id.clone()))
                        .map(|e| LedgerResult {
                            accounting_entry_id: e.accounting_entry_id.clone(),
                            status: if failed {
                                ItemStatus::Failed
                            } else {
                                ItemStatus::Successful
                            },
                            external_id: None,
                            external_url: None,
                            failure_reason: None,
                            failure_reason_type: None,
                            exported_at: None,
                        })
                        .collect();
                    run.delivered(results, now).expect("valid results");
                } else {
                    assert!(run.delivered(Vec::new(), now).is_err());
                }
            }
            Step::Crash => run = ExportRun::from_json(&persisted).expect("persisted state"),
            Step::Advance(ms) => now += u64::from(ms),
        }
    }
});
