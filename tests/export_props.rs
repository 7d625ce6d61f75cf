#![cfg(all(not(target_arch = "wasm32"), feature = "edge"))]
//! Property test of the export run against a simulated Pleo (the v3 export
//! API of docs/PLEO-API.md, in memory) and an idempotent ledger, under
//! any interleaving of failures: 429 (with and without Retry-After), 503,
//! network failures before and after the server acted, host crashes after
//! an action took effect (the host resumes from the state it persisted
//! before the action), partial ledger answers and slow ledgers.
//! Properties: the job ends finished with every item reported; no entry is
//! delivered after its result was reported; the job is never left without a
//! write for an hour while the run is active; the final status follows the
//! item results.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pleo_oauth::export::run::{Action, ExportRun, LedgerResult, Purpose, RunOptions};
use pleo_oauth::export::{ApiRequest, ApiResponse, ItemStatus};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const BASE: &str = "https://pleo.test";
const JOB: &str = "job-1";
const HOUR: u64 = 3_600_000;

#[derive(Clone, Debug)]
struct Item {
    id: String,
    raw: String,
    status: &'static str,
    reports: u32,
}

struct FakePleo {
    status: &'static str,
    last_update: u64,
    items: Vec<Item>,
    /// Longest time the job went without a write while in progress.
    longest_quiet: u64,
}

fn status_of(s: &str) -> &'static str {
    match s {
        "pending" => "pending",
        "in_progress" => "in_progress",
        "failed" => "failed",
        "successful" => "successful",
        "abandoned" => "abandoned",
        "completed" => "completed",
        "completed_with_errors" => "completed_with_errors",
        _ => panic!("unknown status {s}"),
    }
}

fn query(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn err(status: u16, kind: &str) -> (u16, String) {
    (
        status,
        json!({"type": kind, "message": "simulated"}).to_string(),
    )
}

impl FakePleo {
    fn new(n: usize) -> Self {
        let items = (0..n)
            .map(|i| Item {
                id: format!("e{i:03}"),
                // A text that must arrive unchanged (1.10, 1.0e2, unicode).
                raw: format!(
                    r#"{{"accountingEntryId":"e{i:03}","amount":{{"inSupplierCurrency":{{"currency":"SEK","value":{}}}}},"rate":1.10,"x":1.0e2,"note":"Café {i}"}}"#,
                    1000 + i
                ),
                status: "pending",
                reports: 0,
            })
            .collect();
        FakePleo {
            status: "pending",
            last_update: 0,
            items,
            longest_quiet: 0,
        }
    }

    fn touch(&mut self, now: u64) {
        if self.status == "in_progress" {
            self.longest_quiet = self.longest_quiet.max(now.saturating_sub(self.last_update));
        }
        self.last_update = now;
    }

    fn page<T>(
        &self,
        list: &[T],
        q: &HashMap<String, String>,
    ) -> (usize, usize, bool, Option<String>) {
        let limit: usize = q.get("limit").map_or(25, |l| l.parse().unwrap());
        assert!((1..=100).contains(&limit));
        let start = q.get("after").map_or(0, |c| {
            c.trim_start_matches('o').parse::<usize>().unwrap() + 1
        });
        let end = (start + limit).min(list.len());
        let has_next = end < list.len();
        let cursor = (end > start).then(|| format!("o{}", end - 1));
        (start.min(end), end, has_next, cursor)
    }

    fn handle(&mut self, req: &ApiRequest, now: u64) -> (u16, String) {
        let path = req.url.strip_prefix(BASE).unwrap();
        let path_only = path.split('?').next().unwrap();
        let q = query(path);
        let open = matches!(self.status, "pending" | "in_progress");
        match (req.method, path_only) {
            ("GET", p) if p == format!("/v3/export-jobs/{JOB}") => {
                let left = (HOUR.saturating_sub(now.saturating_sub(self.last_update))) / 1000;
                (200, json!({"data": {"id": JOB, "status": self.status, "expiresIn": left, "numberOfItems": self.items.len()}}).to_string())
            }
            ("POST", "/v3/export-job-events") => {
                let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
                assert_eq!(body["jobId"], JOB);
                let event = body["event"].as_str().unwrap();
                match (event, self.status) {
                    ("started", "pending") => {
                        self.status = "in_progress";
                        self.last_update = now;
                    }
                    ("completed" | "completed_with_errors" | "failed", "in_progress") => {
                        self.touch(now);
                        self.status = status_of(event);
                    }
                    _ => return err(422, "INVALID_EXPORT_JOB_STATUS_CHANGE"),
                }
                (202, String::new())
            }
            ("GET", p) if p == format!("/v3/export-jobs/{JOB}/items") => {
                let (s, e, next, cursor) = self.page(&self.items, &q);
                let data: Vec<Value> = self.items[s..e]
                    .iter()
                    .map(|i| json!({"accountingEntryId": i.id, "status": i.status}))
                    .collect();
                (200, json!({"data": data, "pagination": {"hasNextPage": next, "endCursor": cursor, "total": self.items.len()}}).to_string())
            }
            ("GET", "/v3/export-items") => {
                assert_eq!(q.get("job_id").map(String::as_str), Some(JOB));
                if !open {
                    return err(422, "EXPORT_JOB_STATUS_UNPROCESSABLE");
                }
                let (s, e, next, cursor) = self.page(&self.items, &q);
                let raws: Vec<&str> = self.items[s..e].iter().map(|i| i.raw.as_str()).collect();
                let body = format!(
                    r#"{{"data":[{}],"pagination":{{"hasNextPage":{},"endCursor":{},"total":{}}}}}"#,
                    raws.join(","),
                    next,
                    cursor.map_or("null".to_string(), |c| format!("\"{c}\"")),
                    self.items.len()
                );
                (200, body)
            }
            ("PUT", p) if p == format!("/v3/export-jobs/{JOB}/items") => {
                if self.status != "in_progress" {
                    return err(422, "EXPORT_JOB_STATUS_UNPROCESSABLE");
                }
                let body: Vec<Value> = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
                if body.len() > 100 {
                    return err(413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT");
                }
                self.touch(now);
                for update in &body {
                    let id = update["accountingEntryId"].as_str().unwrap();
                    let status = status_of(update["status"].as_str().unwrap());
                    let item = self.items.iter_mut().find(|i| i.id == id).unwrap();
                    // A final item stays final (Pleo would refuse the change).
                    if !matches!(item.status, "successful" | "failed") {
                        item.status = status;
                    }
                    if matches!(status, "successful" | "failed") {
                        item.reports += 1;
                    }
                }
                (200, json!({"data": body, "errors": []}).to_string())
            }
            other => panic!("unexpected request {other:?}"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    RateLimited,
    RateLimitedNoHeader,
    Unavailable,
    NetworkBefore,
    LostAfter,
    CrashAfter,
}

fn fault(b: u8) -> Fault {
    match b % 16 {
        0 => Fault::RateLimited,
        1 => Fault::RateLimitedNoHeader,
        2 | 3 => Fault::Unavailable,
        4 => Fault::NetworkBefore,
        5 => Fault::LostAfter,
        6 => Fault::CrashAfter,
        _ => Fault::None,
    }
}

/// The ledger: idempotent on accountingEntryId, fails every 7th entry.
#[derive(Default)]
struct Ledger {
    booked: HashMap<String, u32>,
}

impl Ledger {
    fn book(&mut self, id: &str, raw: &str, expected_raw: &str) -> LedgerResult {
        assert_eq!(raw, expected_raw, "{id}: the entry text changed on its way");
        *self.booked.entry(id.to_string()).or_default() += 1;
        let n: usize = id.trim_start_matches('e').parse().unwrap();
        let failed = n % 7 == 3;
        LedgerResult {
            accounting_entry_id: id.to_string(),
            status: if failed {
                ItemStatus::Failed
            } else {
                ItemStatus::Successful
            },
            external_id: (!failed).then(|| format!("L-{id}")),
            external_url: None,
            failure_reason: failed.then(|| "no supplier".to_string()),
            failure_reason_type: failed.then(|| "vendor_unknown".to_string()),
            exported_at: None,
        }
    }
}

struct Outcome {
    final_status: String,
    runs: usize,
}

fn simulate(
    n: usize,
    page_size: u32,
    faults: &[u8],
    delays: &[u8],
    seed: u32,
) -> (FakePleo, Ledger, Outcome) {
    let mut pleo = FakePleo::new(n);
    let mut ledger = Ledger::default();
    let mut now: u64 = 1_796_056_800_000;
    pleo.last_update = now;
    let mut fi = 0usize;
    let mut di = 0usize;
    let mut next_fault = || {
        // The failures happen once each, in order; then the network heals.
        let f = faults.get(fi).map_or(Fault::None, |&b| fault(b));
        fi += 1;
        f
    };
    let mut next_delay = || {
        let d = if delays.is_empty() {
            0
        } else {
            delays[di % delays.len()]
        };
        di += 1;
        d
    };
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 40, "the job never finished");
        // A new run knows nothing (what a periodic poll does after gave_up).
        let mut options = RunOptions::new(BASE, JOB, seed.wrapping_add(runs as u32));
        options.page_size = page_size;
        let mut persisted = ExportRun::start(options, now).unwrap().to_json();
        let mut steps = 0;
        let status = loop {
            steps += 1;
            assert!(steps < 20_000, "the run does not end");
            let mut run = ExportRun::from_json(&persisted).unwrap();
            let action = run.next(now).unwrap();
            persisted = run.to_json();
            assert_eq!(
                ExportRun::from_json(&persisted).unwrap(),
                run,
                "state round trip"
            );
            match action {
                Action::Done { outcome, .. } => break outcome.status,
                Action::Wait { until, .. } => {
                    assert!(until > now);
                    now = until;
                }
                Action::Request { purpose, request } => {
                    now += u64::from(next_delay()) * 10;
                    let (status, body, retry_after) = match next_fault() {
                        Fault::None => {
                            let (s, b) = pleo.handle(&request, now);
                            (s, b, None)
                        }
                        Fault::RateLimited => (429, String::new(), Some("1")),
                        Fault::RateLimitedNoHeader => (429, String::new(), None),
                        Fault::Unavailable => (503, "<html>".into(), None),
                        Fault::NetworkBefore => (0, String::new(), None),
                        Fault::LostAfter => {
                            pleo.handle(&request, now);
                            (0, String::new(), None)
                        }
                        Fault::CrashAfter => {
                            pleo.handle(&request, now);
                            continue; // resume from the state persisted before the action
                        }
                    };
                    if purpose == Purpose::KeepAlive {
                        assert!(request.body.as_deref().unwrap().contains("\"in_progress\""));
                    }
                    run.feed(
                        &ApiResponse {
                            status,
                            body: &body,
                            retry_after,
                        },
                        now,
                    )
                    .unwrap();
                    persisted = run.to_json();
                }
                Action::Deliver { entries } => {
                    assert!(!entries.is_empty() && entries.len() <= page_size as usize);
                    let mut results = Vec::new();
                    for e in &entries {
                        let item = pleo
                            .items
                            .iter()
                            .find(|i| i.id == e.accounting_entry_id)
                            .unwrap();
                        assert!(
                            item.reports == 0,
                            "{} delivered again after its result was reported",
                            item.id
                        );
                        results.push(ledger.book(
                            &e.accounting_entry_id,
                            &e.json,
                            &item.raw.clone(),
                        ));
                    }
                    // A slow ledger: up to ~25 minutes for a batch.
                    now += u64::from(next_delay()) * 6_000;
                    match next_fault() {
                        Fault::CrashAfter => continue,
                        Fault::LostAfter if results.len() > 1 => {
                            results.truncate(results.len() / 2);
                        }
                        _ => {}
                    }
                    run.delivered(results, now).unwrap();
                    persisted = run.to_json();
                }
            }
        };
        if status != "gave_up" {
            return (
                pleo,
                ledger,
                Outcome {
                    final_status: status,
                    runs,
                },
            );
        }
    }
}

fn check(n: usize, page_size: u32, faults: &[u8], delays: &[u8], seed: u32) {
    let (pleo, ledger, outcome) = simulate(n, page_size, faults, delays, seed);
    assert!(
        matches!(
            pleo.status,
            "completed" | "completed_with_errors" | "failed"
        ),
        "job left {}",
        pleo.status
    );
    assert_eq!(
        outcome.final_status, pleo.status,
        "after {} runs",
        outcome.runs
    );
    for item in &pleo.items {
        assert!(item.reports >= 1, "{} never reported", item.id);
        assert!(
            matches!(item.status, "successful" | "failed"),
            "{} is {}",
            item.id,
            item.status
        );
        assert!(
            ledger.booked.contains_key(&item.id),
            "{} never booked",
            item.id
        );
    }
    let failed = pleo.items.iter().filter(|i| i.status == "failed").count();
    let expected = if failed == 0 {
        "completed"
    } else if failed == n {
        "failed"
    } else {
        "completed_with_errors"
    };
    assert_eq!(pleo.status, expected);
    assert!(
        pleo.longest_quiet < HOUR,
        "the job went {} ms without a write",
        pleo.longest_quiet
    );
}

#[test]
fn a_clean_250_entry_job_reports_every_item_once_in_few_requests() {
    let (pleo, ledger, outcome) = simulate(250, 100, &[], &[], 1);
    assert_eq!(outcome.final_status, "completed_with_errors");
    assert_eq!(outcome.runs, 1);
    assert!(pleo.items.iter().all(|i| i.reports == 1));
    assert!(ledger.booked.values().all(|&n| n == 1));
}

#[test]
fn batching_stays_at_or_under_100_per_update() {
    // 250 entries with 100-entry pages: 3 pages, 3 updates, never more than 100.
    let (pleo, _, _) = simulate(250, 100, &[], &[], 3);
    assert!(pleo.items.iter().all(|i| i.reports == 1));
}

#[test]
fn slow_ledgers_keep_the_job_alive() {
    // Every delivery takes 25 minutes: keep-alive writes must bridge them.
    let (pleo, _, _) = simulate(40, 10, &[], &[250], 9);
    assert!(pleo.longest_quiet < HOUR);
    assert!(matches!(pleo.status, "completed_with_errors"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn any_interleaving_of_failures_ends_with_every_item_reported_and_none_redelivered(
        n in 0usize..180,
        page_size in prop::sample::select(vec![1u32, 7, 50, 100]),
        faults in prop::collection::vec(any::<u8>(), 0..64),
        delays in prop::collection::vec(any::<u8>(), 0..16),
        seed in any::<u32>(),
    ) {
        check(n, page_size, &faults, &delays, seed);
    }
}
