// Regenerates tests/vectors/export.json: node tests/vectors/gen-export.mjs tests/vectors/export.json
// The expectations are written by hand below (from Pleo's OpenAPI documents,
// docs/PLEO-API.md); this script only spares escaping JSON bodies inside JSON
// by hand. Ids, cursors and bodies are shaped as Pleo's documents say (UUIDs,
// base32 cursors, ExportItemV3 entries): tests/js/contract.test.mjs checks every
// request and 2xx answer here against them, except vectors marked
// `offContract` (with the reason).
import { writeFileSync } from "node:fs";

const BASE = "https://external.pleo.io";
const JOB = "0b9a1d2e-3f40-4c5d-8e6f-7a8b9c0d1e2f";
const CO = "c0a8e3f2-1b4d-4e5f-8a9b-0c1d2e3f4a5b";
const T0 = 1_796_056_800_000; // 2026-11-30T16:40:00.000Z
const iso = (ms) => new Date(ms).toISOString();

// Entry ids (UUIDs, as in Pleo); written e1… below for readability.
const ID = {
  e1: "5d1c0f7a-8b2e-4c3d-9e4f-a1b2c3d4e5f6",
  e2: "6e2d1a8b-9c3f-4d4e-8f5a-b2c3d4e5f6a7",
  e3: "7f3e2b9c-ad4a-4e5f-9a6b-c3d4e5f6a7b8",
  e9: "9a5a4dbe-cf6c-4a7b-8c8d-e5f6a7b8c9d0",
};
// Base32 cursors, as Pleo's `before`/`after` pattern ^[A-Z2-7=~]+$ says.
const C = { start: "GEZDGNBV", end: "GEZDGNBW", next: "GEZDGNBX", far: "GEZDGNBY" };
const lineId = (id) => id.slice(0, 24) + "0000000000a1";
const money = (currency, value) => `{"currency":"${currency}","value":${value}}`;
const both = (currency, value) => `{"inSupplierCurrency":${money(currency, value)},"inWalletCurrency":${money("SEK", value)}}`;

// Realistic export items (ExportItemV3): money in minor units, one line with
// inclusive 25 % tax, one entry with numbers whose text must survive (1.10
// and 1.0e2 would change if re-serialised).
const entry = (id, value, currency = "SEK", extra = "") => {
  const tax = Math.round(value / 5);
  return `{"accountingEntryId":"${id}","companyId":"${CO}","type":"card_purchase","date":"2026-11-02T09:14:00Z",` +
    `"amount":${both(currency, value)},` +
    `"accountingEntryLines":[{"accountingEntryLineId":"${lineId(id)}","lineAmount":${both(currency, value)},"netAmount":${both(currency, value - tax)},` +
    `"account":{"id":"1a2b3c4d-0000-4000-8000-000000006540","name":"Software and subscriptions","code":"6540","identifier":null},` +
    `"tax":{"id":"2b3c4d5e-0000-4000-8000-000000000025","code":"I25","type":"inclusive","rate":0.25,"amount":${both(currency, tax)}},"tags":[]}],` +
    `"additionalInformation":{"reconciliationId":"V-${id.slice(0, 8)}","note":"Café ✓"},"bookkeeping":{"method":"journal"},` +
    `"_links":{"web":{"href":"https://app.pleo.io/export/${id}"}}${extra}}`;
};
const E1 = entry(ID.e1, 89696);
const E2 = entry(ID.e2, 1250, "EUR", ',"supplier":{"name":"Kaffe & Co","code":null},"exchangeRate":1.10,"x":1.0e2');
const E3 = entry(ID.e3, 0);
const requestInfo = '{"parameters":{},"limit":100}';
const page = (entries, { next = null, total = entries.length } = {}) =>
  `{"data":[${entries.join(",")}],"pagination":{"currentRequestPagination":${requestInfo},"hasNextPage":${next !== null},"hasPreviousPage":false` +
  (entries.length ? `,"startCursor":"${C.start}","endCursor":${JSON.stringify(next ?? C.end)}` : "") + `,"total":${total}}}`;
const job = (status, extra = {}) => JSON.stringify({ data: { id: JOB, companyId: CO, status, createdAt: iso(T0 - 60000), lastUpdatedAt: iso(T0 - 60000), expiresIn: 3540, numberOfItems: 3, isInteractive: false, vendorBasedBookkeeping: false, ...extra } });
const err = (type, message = "m") => JSON.stringify({ type, message });
const items = (list, next = null) =>
  JSON.stringify({ data: list.map(([id, status]) => ({ accountingEntryId: id, exportJobId: JOB, status })), pagination: { currentRequestPagination: JSON.parse(requestInfo), hasNextPage: next !== null, hasPreviousPage: false, ...(next ? { endCursor: next } : {}), total: list.length } });
const report = (list) => JSON.stringify(list.map(([id, status, ext]) => ({ accountingEntryId: id, status, exportedAt: iso(T0), ...ext })));
// PUT …/items answers the updated job items, and refusals in `errors`.
const okUpdate = (n, errors = []) => JSON.stringify({ data: [ID.e1, ID.e2, ID.e3].slice(0, n).map((id) => ({ accountingEntryId: id, exportJobId: JOB, status: "successful" })), errors });

const requests = [
  { name: "list pending and in_progress jobs of a company (statuses repeated)", kind: "listJobs", opts: { apiBaseUrl: BASE + "/", companyId: CO, statuses: ["pending", "in_progress"], limit: 100 }, expect: { method: "GET", url: `${BASE}/v3/export-jobs?company_id=${CO}&statuses=pending&statuses=in_progress&limit=100` } },
  { name: "list jobs from a cursor", kind: "listJobs", opts: { apiBaseUrl: BASE, after: "MFRGG===" }, expect: { method: "GET", url: `${BASE}/v3/export-jobs?after=MFRGG%3D%3D%3D` } },
  { name: "get a job", kind: "getJob", opts: { apiBaseUrl: BASE, jobId: JOB }, expect: { method: "GET", url: `${BASE}/v3/export-jobs/${JOB}` } },
  { name: "a job id cannot add a path segment", offContract: "a hostile job id, not a UUID, on purpose", kind: "getJob", opts: { apiBaseUrl: BASE, jobId: "../../v1/x?y" }, expect: { method: "GET", url: `${BASE}/v3/export-jobs/..%2F..%2Fv1%2Fx%3Fy` } },
  { name: "claim: event started", kind: "jobEvent", opts: { apiBaseUrl: BASE, jobId: JOB, event: "started" }, expect: { method: "POST", url: `${BASE}/v3/export-job-events`, body: `{"event":"started","jobId":"${JOB}"}` } },
  { name: "fail with reason and type", kind: "jobEvent", opts: { apiBaseUrl: BASE, jobId: JOB, event: "failed", failureReason: "ledger down", failureReasonType: "accounting_system_unreachable" }, expect: { method: "POST", url: `${BASE}/v3/export-job-events`, body: `{"event":"failed","jobId":"${JOB}","failureReason":"ledger down","failureReasonType":"accounting_system_unreachable"}` } },
  { name: "job items with a status filter", kind: "jobItems", opts: { apiBaseUrl: BASE, jobId: JOB, status: "pending", limit: 50 }, expect: { method: "GET", url: `${BASE}/v3/export-jobs/${JOB}/items?status=pending&limit=50` } },
  { name: "export items of a job (no company_id: the operation does not declare it)", kind: "exportItems", opts: { apiBaseUrl: BASE, jobId: JOB, companyId: CO, after: C.far, limit: 100 }, expect: { method: "GET", url: `${BASE}/v3/export-items?job_id=${JOB}&after=${C.far}&limit=100` } },
  { name: "update items", kind: "updateItems", opts: { apiBaseUrl: BASE, jobId: JOB, now: T0, items: [{ accountingEntryId: ID.e1, status: "successful", externalId: "L-1", externalUrl: "https://ledger.example/L-1" }, { accountingEntryId: ID.e2, status: "failed", failureReason: "no supplier", failureReasonType: "vendor_unknown", exportedAt: "2026-01-01T00:00:00.000Z" }] }, expect: { method: "PUT", url: `${BASE}/v3/export-jobs/${JOB}/items`, body: report([[ID.e1, "successful", { externalId: "L-1", externalUrl: "https://ledger.example/L-1" }]]).slice(0, -1) + `,{"accountingEntryId":"${ID.e2}","status":"failed","exportedAt":"2026-01-01T00:00:00.000Z","failureReason":"no supplier","failureReasonType":"vendor_unknown"}]` } },
  { name: "more than 100 items in one update", kind: "updateItems", opts: { apiBaseUrl: BASE, jobId: JOB, items: Array.from({ length: 101 }, (_, i) => ({ accountingEntryId: `e${i}`, status: "successful" })) }, error: "too_many_items" },
  { name: "limit above 100", kind: "exportItems", opts: { apiBaseUrl: BASE, jobId: JOB, limit: 101 }, error: "invalid_input" },
  { name: "an unknown job status", kind: "listJobs", opts: { apiBaseUrl: BASE, statuses: ["done"] }, error: "invalid_input" },
  { name: "plain http to a remote host", kind: "getJob", opts: { apiBaseUrl: "http://external.pleo.io", jobId: JOB }, error: "invalid_input" },
  { name: "http on loopback (the stand-in)", offContract: "job id \"j\" is not a UUID; the test is about the base URL", kind: "getJob", opts: { apiBaseUrl: "http://127.0.0.1:4011", jobId: "j" }, expect: { method: "GET", url: "http://127.0.0.1:4011/v3/export-jobs/j" } },
];

const responses = [
  { name: "export items keep their exact text", kind: "exportItems", res: { status: 200, body: page([E1, E2], { next: C.next, total: 3 }) }, expect: { entries: [{ accountingEntryId: ID.e1, json: E1 }, { accountingEntryId: ID.e2, json: E2 }], pagination: { hasNextPage: true, hasPreviousPage: false, startCursor: C.start, endCursor: C.next, total: 3 } } },
  { name: "a job, wrapped in data", kind: "getJob", res: { status: 200, body: job("pending") }, expect: JSON.parse(job("pending")).data },
  { name: "a job with a status added after this version is read, not refused", kind: "getJob", res: { status: 200, body: job("archived") }, expect: JSON.parse(job("archived")).data },
  { name: "job items", kind: "jobItems", res: { status: 200, body: items([[ID.e1, "successful"], [ID.e2, "pending"]]) }, expect: { items: JSON.parse(items([[ID.e1, "successful"], [ID.e2, "pending"]])).data, pagination: { hasNextPage: false, hasPreviousPage: false, total: 2 } } },
  { name: "update with one refused item inside a 200", kind: "updateItems", res: { status: 200, body: okUpdate(1, [{ accountingEntryId: ID.e9, message: "no such entry", type: "ACCOUNTING_ENTRY_DOES_NOT_EXIST" }]) }, expect: { updated: 1, errors: [{ accountingEntryId: ID.e9, message: "no such entry", type: "ACCOUNTING_ENTRY_DOES_NOT_EXIST" }] } },
  { name: "event accepted (202)", kind: "jobEvent", res: { status: 202, body: "" }, expect: null },
  { name: "409 EXPORT_ALREADY_IN_PROGRESS", kind: "jobEvent", res: { status: 409, body: err("EXPORT_ALREADY_IN_PROGRESS") }, error: "export_already_in_progress", status: 409, pleoType: "EXPORT_ALREADY_IN_PROGRESS" },
  { name: "422 INVALID_EXPORT_JOB_STATUS_CHANGE", kind: "jobEvent", res: { status: 422, body: err("INVALID_EXPORT_JOB_STATUS_CHANGE") }, error: "invalid_status_change", status: 422, pleoType: "INVALID_EXPORT_JOB_STATUS_CHANGE" },
  { name: "422 EXPORT_JOB_STATUS_UNPROCESSABLE", kind: "exportItems", res: { status: 422, body: err("EXPORT_JOB_STATUS_UNPROCESSABLE") }, error: "job_finished", status: 422, pleoType: "EXPORT_JOB_STATUS_UNPROCESSABLE" },
  { name: "413 EXPORT_JOB_ITEMS_UPDATE_LIMIT", kind: "updateItems", res: { status: 413, body: err("EXPORT_JOB_ITEMS_UPDATE_LIMIT") }, error: "too_many_items", status: 413 },
  { name: "400 MISSING_CONTRA_ACCOUNTS", kind: "exportItems", res: { status: 400, body: err("MISSING_CONTRA_ACCOUNTS") }, error: "missing_contra_accounts", status: 400 },
  { name: "404 EXPORT_NOT_FOUND", kind: "getJob", res: { status: 404, body: err("EXPORT_NOT_FOUND") }, error: "not_found", status: 404 },
  { name: "429 with Retry-After", kind: "exportItems", res: { status: 429, headers: { "Retry-After": "3" }, body: "" }, error: "rate_limited", status: 429, retryAfterMs: 3000 },
  { name: "429 without Retry-After", kind: "exportItems", res: { status: 429, body: "" }, error: "rate_limited", status: 429 },
  { name: "503 with an HTML body", kind: "listJobs", res: { status: 503, body: "<html>busy</html>" }, error: "api_unavailable", status: 503 },
  { name: "401 JWT is expired", kind: "listJobs", res: { status: 401, body: err("UNAUTHORIZED", "JWT is expired") }, error: "unauthorized", status: 401 },
  { name: "403 Access_Denied", kind: "listJobs", res: { status: 403, body: err("Access_Denied") }, error: "access_denied", status: 403 },
  { name: "another 400", kind: "listJobs", res: { status: 400, body: err("BAD_REQUEST") }, error: "api_error", status: 400 },
  { name: "a 200 that is not JSON", kind: "listJobs", res: { status: 200, body: "<html>" }, error: "invalid_api_response" },
  { name: "a next page without an endCursor", kind: "exportItems", res: { status: 200, body: '{"data":[],"pagination":{"hasNextPage":true,"endCursor":null}}' }, error: "invalid_api_response" },
  { name: "one entry twice in a page", kind: "exportItems", res: { status: 200, body: page([E1, E1]) }, error: "invalid_api_response" },
];

// Run transcripts: `next` checks the listed fields of the action; `feed`
// and `delivered` feed it. `now` (ms) carries over between steps.
const req = (purpose, extra = {}) => ({ next: { type: "request", purpose, ...extra } });
const ok = (status, body = "", headers) => ({ feed: { status, body, ...(headers ? { headers } : {}) } });
const ITEMS_URL = (after) => `${BASE}/v3/export-items?job_id=${JOB}${after ? `&after=${after}` : ""}&limit=100`;
const START = { apiBaseUrl: BASE, jobId: JOB, companyId: CO, seed: 7, now: T0 };
const runs = [
  {
    name: "a pending job from a listing: claim, one page, deliver, report, completed",
    start: { ...START, jobStatus: "pending" },
    steps: [
      { now: T0 },
      req("claim", { method: "POST", url: `${BASE}/v3/export-job-events`, body: `{"event":"started","jobId":"${JOB}"}` }),
      ok(202),
      req("export_items", { method: "GET", url: ITEMS_URL() }),
      ok(200, page([E1, E2])),
      { state: { phase: "deliver", total: 2 } },
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e1, json: E1 }, { accountingEntryId: ID.e2, json: E2 }] } },
      { delivered: [{ accountingEntryId: ID.e1, status: "successful", externalId: "L-1" }, { accountingEntryId: ID.e2, status: "successful", externalId: "L-2", exportedAt: "2026-11-30T16:00:00.000Z" }] },
      req("report", { method: "PUT", url: `${BASE}/v3/export-jobs/${JOB}/items`, body: `[{"accountingEntryId":"${ID.e1}","status":"successful","exportedAt":"${iso(T0)}","externalId":"L-1"},{"accountingEntryId":"${ID.e2}","status":"successful","exportedAt":"2026-11-30T16:00:00.000Z","externalId":"L-2"}]` }),
      ok(200, okUpdate(2)),
      req("finish", { body: `{"event":"completed","jobId":"${JOB}"}` }),
      ok(202),
      { next: { type: "done", status: "completed", counts: { successful: 2, failed: 0, reportErrors: 0, skipped: 0 } } },
      { next: { type: "done", status: "completed" } },
    ],
  },
  {
    name: "cursors are followed; some failed items end completed_with_errors",
    start: { ...START, jobStatus: "pending", pageSize: 2 },
    steps: [
      req("claim"), ok(202),
      req("export_items", { url: `${BASE}/v3/export-items?job_id=${JOB}&limit=2` }),
      ok(200, page([E1, E2], { next: C.next, total: 3 })),
      { next: { type: "deliver" } },
      { delivered: [{ accountingEntryId: ID.e1, status: "successful" }, { accountingEntryId: ID.e2, status: "failed", failureReason: "no supplier", failureReasonType: "vendor_unknown" }] },
      req("report"), ok(200, okUpdate(2)),
      req("export_items", { url: `${BASE}/v3/export-items?job_id=${JOB}&after=${C.next}&limit=2` }),
      ok(200, page([E3])),
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e3, json: E3 }] } },
      { delivered: [{ accountingEntryId: ID.e3, status: "successful" }] },
      req("report"), ok(200, okUpdate(1)),
      req("finish", { body: `{"event":"completed_with_errors","jobId":"${JOB}"}` }), ok(202),
      { next: { type: "done", status: "completed_with_errors", counts: { successful: 2, failed: 1, reportErrors: 0, skipped: 0 } } },
    ],
  },
  {
    name: "every item failed: the job is failed with a reason",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(200, page([E1])),
      { next: { type: "deliver" } },
      { delivered: [{ accountingEntryId: ID.e1, status: "failed", failureReason: "account 6540 unknown", failureReasonType: "account_unknown" }] },
      req("report"), ok(200, okUpdate(1)),
      req("finish", { body: `{"event":"failed","jobId":"${JOB}","failureReason":"every item of the job failed to export","failureReasonType":"validation_failure"}` }), ok(202),
      { next: { type: "done", status: "failed" } },
    ],
  },
  {
    name: "an empty job completes",
    start: { ...START, jobStatus: "pending" },
    steps: [req("claim"), ok(202), req("export_items"), ok(200, page([])), req("finish", { body: `{"event":"completed","jobId":"${JOB}"}` }), ok(202), { next: { type: "done", status: "completed" } }],
  },
  {
    name: "unknown status: read the job first; pending → claim",
    start: START,
    steps: [req("get_job", { method: "GET", url: `${BASE}/v3/export-jobs/${JOB}` }), ok(200, job("pending")), { state: { total: 3 } }, req("claim")],
  },
  {
    name: "a finished job ends the run with its status",
    start: START,
    steps: [req("get_job"), ok(200, job("completed")), { next: { type: "done", status: "completed" } }],
  },
  {
    name: "a job status added after this version ends the run unknown_status, untouched",
    offContract: "\"archived\" is not (yet) in ExportJobStatus: forward compatibility",
    start: START,
    steps: [req("get_job"), ok(200, job("archived")), { next: { type: "done", status: "unknown_status", error: { code: "invalid_api_response" } } }],
  },
  {
    name: "an unknown job ends not_found",
    start: START,
    steps: [req("get_job"), ok(404, err("EXPORT_NOT_FOUND")), { next: { type: "done", status: "not_found", error: { code: "not_found" } } }],
  },
  {
    name: "claim refused (already claimed): re-read, recover by scanning, skip final items",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(422, err("INVALID_EXPORT_JOB_STATUS_CHANGE")),
      req("get_job"), ok(200, job("in_progress")),
      req("list_job_items", { url: `${BASE}/v3/export-jobs/${JOB}/items?limit=100` }),
      ok(200, items([[ID.e1, "successful"], [ID.e2, "pending"]], C.next)),
      req("list_job_items", { url: `${BASE}/v3/export-jobs/${JOB}/items?after=${C.next}&limit=100` }),
      ok(200, items([[ID.e3, "abandoned"]])),
      req("export_items"), ok(200, page([E1, E2, E3])),
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e2, json: E2 }] } },
      { delivered: [{ accountingEntryId: ID.e2, status: "successful" }] },
      req("report"), ok(200, okUpdate(1)),
      req("finish", { body: `{"event":"completed","jobId":"${JOB}"}` }), ok(202),
      { next: { type: "done", status: "completed", counts: { successful: 2, failed: 0, reportErrors: 0, skipped: 2 } } },
    ],
  },
  {
    name: "a job item with status null (older versions: no attempt made yet) is not yet processed",
    offContract: "the v3 schema has no null status; the v0–v2 ones say null until an attempt was made",
    start: START,
    steps: [
      req("get_job"), ok(200, job("in_progress")),
      req("list_job_items"), ok(200, items([[ID.e1, "successful"], [ID.e2, null]])),
      req("export_items"), ok(200, page([E1, E2])),
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e2, json: E2 }] } },
    ],
  },
  {
    name: "429 with Retry-After waits exactly that long, then the same request",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"),
      ok(429, "", { "Retry-After": "2" }),
      { next: { type: "wait", until: T0 + 2000, reason: "rate_limited" } },
      { now: T0 + 1999 }, { next: { type: "wait", until: T0 + 2000 } },
      { now: T0 + 2000 }, req("export_items", { url: ITEMS_URL() }),
    ],
  },
  {
    name: "429 without Retry-After and 503 back off with jitter, growing",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"),
      ok(429, ""), { next: { type: "wait", reason: "rate_limited", untilMin: T0 + 250, untilMax: T0 + 500 } },
      { now: T0 + 10_000 }, req("export_items"),
      ok(503, "<html>"), { next: { type: "wait", reason: "backoff", untilMin: T0 + 10_500, untilMax: T0 + 11_000 } },
      { now: T0 + 20_000 }, req("export_items"),
      ok(0, ""), { next: { type: "wait", reason: "backoff", untilMin: T0 + 21_000, untilMax: T0 + 22_000 } },
      { now: T0 + 30_000 }, req("export_items"), ok(200, page([])), req("finish"),
    ],
  },
  {
    name: "a 401 is retried at once (the host refreshes its token)",
    start: { ...START, jobStatus: "pending" },
    steps: [req("claim"), ok(401, err("UNAUTHORIZED", "JWT is expired")), req("claim"), ok(202), req("export_items")],
  },
  {
    name: "too many failures in a row: gave_up, the job stays for a later run",
    start: { ...START, jobStatus: "pending", maxAttempts: 2 },
    steps: [req("claim"), ok(503), { now: T0 + 60_000 }, req("claim"), ok(503), { next: { type: "done", status: "gave_up", error: { code: "api_unavailable" } } }],
  },
  {
    name: "400 MISSING_CONTRA_ACCOUNTS fails the job with the reason",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(400, err("MISSING_CONTRA_ACCOUNTS")),
      req("finish", { body: `{"event":"failed","jobId":"${JOB}","failureReason":"the company has not configured its contra accounts (MISSING_CONTRA_ACCOUNTS)","failureReasonType":"missing_configuration"}` }),
      ok(202), { next: { type: "done", status: "failed" } },
    ],
  },
  {
    name: "422 EXPORT_JOB_STATUS_UNPROCESSABLE: the job ended (expired); re-read and stop with its status",
    start: { ...START, jobStatus: "pending" },
    steps: [req("claim"), ok(202), req("export_items"), ok(422, err("EXPORT_JOB_STATUS_UNPROCESSABLE")), req("get_job"), ok(200, job("failed", { failureReasonType: "job_expired" })), { next: { type: "done", status: "failed" } }],
  },
  {
    name: "413 on an update halves the batch",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(200, page([E1, E2])), { next: { type: "deliver" } },
      { delivered: [{ accountingEntryId: ID.e1, status: "successful" }, { accountingEntryId: ID.e2, status: "successful" }] },
      req("report"), ok(413, err("EXPORT_JOB_ITEMS_UPDATE_LIMIT")),
      req("report", { body: `[{"accountingEntryId":"${ID.e1}","status":"successful","exportedAt":"${iso(T0)}"}]` }), ok(200, okUpdate(1)),
      req("report", { body: `[{"accountingEntryId":"${ID.e2}","status":"successful","exportedAt":"${iso(T0)}"}]` }), ok(200, okUpdate(1)),
      req("finish"),
    ],
  },
  {
    name: "items refused inside a 200 are counted and end completed_with_errors",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(200, page([E1, E2])), { next: { type: "deliver" } },
      { delivered: [{ accountingEntryId: ID.e1, status: "successful" }, { accountingEntryId: ID.e2, status: "successful" }] },
      req("report"), ok(200, okUpdate(1, [{ accountingEntryId: ID.e2, message: "gone", type: "ACCOUNTING_ENTRY_DOES_NOT_EXIST" }])),
      req("finish", { body: `{"event":"completed_with_errors","jobId":"${JOB}"}` }), ok(202),
      { next: { type: "done", status: "completed_with_errors", counts: { successful: 1, failed: 0, reportErrors: 1, skipped: 0 } } },
    ],
  },
  {
    name: "partial ledger results: the rest is delivered again, then one report",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(200, page([E1, E2])),
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e1, json: E1 }, { accountingEntryId: ID.e2, json: E2 }] } },
      { delivered: [{ accountingEntryId: ID.e2, status: "successful" }] },
      { next: { type: "deliver", entries: [{ accountingEntryId: ID.e1, json: E1 }] } },
      { delivered: [{ accountingEntryId: ID.e1, status: "successful" }] },
      req("report", { body: `[{"accountingEntryId":"${ID.e2}","status":"successful","exportedAt":"${iso(T0)}"},{"accountingEntryId":"${ID.e1}","status":"successful","exportedAt":"${iso(T0)}"}]` }),
    ],
  },
  {
    name: "keep-alive: a delivery after 20 quiet minutes first marks its entries in_progress",
    start: { ...START, jobStatus: "pending" },
    steps: [
      req("claim"), ok(202), req("export_items"), ok(200, page([E1, E2])),
      { now: T0 + 20 * 60_000 - 1 }, { next: { type: "deliver" } },
      { now: T0 + 20 * 60_000 },
      req("keep_alive", { method: "PUT", body: `[{"accountingEntryId":"${ID.e1}","status":"in_progress"},{"accountingEntryId":"${ID.e2}","status":"in_progress"}]` }),
      ok(200, okUpdate(2)),
      { next: { type: "deliver" } },
    ],
  },
  {
    name: "keep-alive of a recovered job derives the last update from expiresIn",
    start: START,
    steps: [
      req("get_job"), ok(200, job("in_progress", { expiresIn: 2400 })),
      req("list_job_items"), ok(200, items([])),
      req("export_items"), ok(200, page([E1])),
      req("keep_alive", { body: `[{"accountingEntryId":"${ID.e1}","status":"in_progress"}]` }),
    ],
  },
  {
    name: "a refused finish re-reads the job and ends with its status",
    start: { ...START, jobStatus: "pending" },
    steps: [req("claim"), ok(202), req("export_items"), ok(200, page([])), req("finish"), ok(422, err("INVALID_EXPORT_JOB_STATUS_CHANGE")), req("get_job"), ok(200, job("completed")), { next: { type: "done", status: "completed" } }],
  },
  {
    name: "feeding without a request in flight is invalid_input",
    start: { ...START, jobStatus: "pending" },
    steps: [{ feed: { status: 202, body: "" }, error: "invalid_input" }, req("claim"), { delivered: [], error: "invalid_input" }],
  },
  {
    name: "a ledger result for an entry that was not delivered is invalid_input",
    start: { ...START, jobStatus: "pending" },
    steps: [req("claim"), ok(202), req("export_items"), ok(200, page([E1])), { next: { type: "deliver" } }, { delivered: [{ accountingEntryId: ID.e9, status: "successful" }], error: "invalid_input" }, { delivered: [{ accountingEntryId: ID.e1, status: "pending" }], error: "invalid_input" }, { delivered: [{ accountingEntryId: ID.e1, status: "successful" }] }, req("report")],
  },
];

writeFileSync(
  process.argv[2],
  JSON.stringify(
    {
      description:
        "Export core (src/export/, exportRequests/exportResponses/exportRun*). `requests`: builder options → {method, url, body?} or an error code. `responses`: an answer → the validated value or an error code (+ status, Pleo type, retryAfterMs). `runs`: transcripts of the run state machine; a `next` step checks the listed fields of the action (`untilMin`/`untilMax` bound a jittered wait), `state` checks fields of the state, `feed`/`delivered` feed it (optionally expecting `error`), `now` sets the clock (ms).",
      requests,
      responses,
      runs,
    },
    null,
    2,
  ) + "\n",
);
console.log(requests.length, "requests,", responses.length, "responses,", runs.length, "runs");
