// The export runner: lives in each company's connection object (one Durable
// Object per company, README "Extending") and drives pleo-oauth's export run
// state machine (docs/EXPORT-CORE.md) with real I/O: Pleo's API with the
// company's token, the partner's ledger, Durable Object storage.
//
// - One run at a time per company: the run is one storage key (RUN_KEY);
//   starting one is serialised in memory (the object is a single instance).
// - The state is persisted after every step, and the run is driven by the
//   object's alarm ("export" timer), so it survives restarts and deploys: a
//   new instance loads the state and continues (an in-flight request is sent
//   again, an in-flight delivery delivered again — the ledger is idempotent).
// - Started by a webhook (look-up flag + timer now; the webhooks feature
//   calls the public requestExportLookup method), by POST /export/run
//   (look-up at once, answers with the job id), and by a periodic poll every
//   EXPORT_POLL_MINUTES that also recovers `in_progress` jobs.
import { exportRequests, exportResponses, exportRunDelivered, exportRunFeed, exportRunNext, exportRunStart } from "pleo-oauth";
import { WorkerError } from "../http/responses.js";
import { normaliseLedgerResults } from "./ledger.js";
import { LEDGER_BINDING, d1Ledger } from "./ledger-d1.js";
import { memoryLedger } from "./ledger-memory.js";
import { summariseEntry } from "./entry-summary.js";
import { storeBatchReceipts } from "./receipt-run.js";
import { ledgerResultProblem } from "./ledger-check.js";
import { safeExportErrorMessage } from "../pleo/upstream-code.js";
import { NO_LEDGER_MESSAGE, ledgerKind } from "../config/options.js";
import { MISSING_SCOPE_KEY, isAccessDenied, missingExportScopes, missingScopeMessage } from "./missing-scope.js";
import { exportSettings } from "./settings.js";
import { GAVE_UP_KEY, LAST_LOOKUP_KEY, LOOKUP_KEY, RUN_KEY, getMany, itemKey, jobKey, jobSummary, rememberJob } from "./job-store.js";

export const EXPORT_TIMER = "export";
const LEDGER_RETRIES = 8;
const WATCHDOG_MS = 3_000;

// Per object instance, in the export feature's own slot (`conn.memory`,
// store/connection-parts.js): the run being driven and the look-up in
// progress, so two triggers at once start one run.
function memory(conn) {
  const m = conn.memory;
  if (!("driving" in m)) Object.assign(m, { driving: null, again: false, lookup: null, lookupFailures: 0, ledgerFailures: 0 });
  return m;
}

/** The company id Pleo's export API takes, from the subject URN. */
export function companyIdOf(subject) {
  return typeof subject === "string" ? subject.slice(subject.lastIndexOf(":") + 1) : undefined;
}

/**
 * The partner's ledger; the D1 demo ledger only when chosen (demoLedger: true)
 * or on the local stand-in (in memory there without D1, e.g. the Node
 * adapter). No ledger is an error, never a silent demo booking (issue #16).
 */
function ledgerOf(conn) {
  const kind = ledgerKind(conn.options, conn.env);
  if (kind === "partner") return conn.options.ledger;
  if (kind === null) throw new WorkerError(500, "server_misconfigured", NO_LEDGER_MESSAGE);
  if (!conn.env?.[LEDGER_BINDING] && conn.env?.PLEO_ENV === "local") return localLedger; // the demo's, in memory
  return defaultLedger;
}
const defaultLedger = d1Ledger();
const localLedger = memoryLedger();

/**
 * How long to wait after the n-th failed look-up (or ledger call) in a row:
 * the backoff schedule, longer when Pleo's Retry-After asks for more, never
 * less than a second. A `Retry-After: 0` taken as given made the look-up spin
 * (issue #16). The core's own backoff lives inside a run's state machine
 * (src/export/run.rs) and is not exported; the look-up comes before a run
 * exists, so the worker keeps this one.
 */
export function lookupRetryDelay(failures, retryAfterMs) {
  const backoff = Math.min(60_000, 1000 * 2 ** Math.max(1, failures));
  return Math.max(1000, backoff, Number.isFinite(retryAfterMs) ? retryAfterMs : 0);
}

/** A 403 on the look-up: remembered (shown by /auth/session) and not retried until the next poll. */
async function rememberMissingScope(conn) {
  const granted = (await conn.describe())?.scopes;
  const missing = missingExportScopes(granted);
  const record = { scopes: missing.length ? missing : null, since: Date.now() };
  await conn.storage.put({ [MISSING_SCOPE_KEY]: record, [LAST_LOOKUP_KEY]: Date.now() });
  await conn.storage.delete(LOOKUP_KEY);
  console.error(`export: ${missingScopeMessage(missing)} company=${conn.subject}`);
  return missing;
}

const connectionGone = (err) => err instanceof WorkerError && (err.code === "no_connection" || err.code === "connection_expired");

/**
 * Sends a request built by pleo-oauth with the company's token (refreshed
 * once on a 401 by conn.use's api()). Returns `{status, headers, body}` for
 * the core; status 0 when Pleo could not be reached. Throws only when the
 * company has no usable connection (then the run pauses).
 */
export async function sendToPleo(conn, request, timeoutMs) {
  const base = new URL(conn.config.apiBaseUrl);
  const target = new URL(request.url);
  const basePath = base.pathname.replace(/\/+$/, "");
  if (target.origin !== base.origin || !target.pathname.startsWith(basePath)) {
    throw new WorkerError(500, "internal_error", "An export request left the Pleo API base.");
  }
  const path = `${target.pathname.slice(basePath.length)}${target.search}`;
  try {
    return await conn.use(async ({ api }) => {
      const response = await api(path, { method: request.method, headers: request.headers, body: request.body, timeoutMs });
      const body = await response.text();
      const headers = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body };
    });
  } catch (err) {
    if (connectionGone(err)) throw err;
    return { status: 0, headers: {}, body: "" };
  }
}

// ------------------------------------------------------------ triggers

/** A webhook or the poll asks for a look-up: remembered, then done by the alarm. */
export async function requestLookup(conn, reason) {
  await conn.storage.put(LOOKUP_KEY, { reason, at: Date.now() });
  const m = memory(conn);
  if (m.driving)
    m.again = true; // the alarm running now looks again before it re-arms
  else await conn.schedule(EXPORT_TIMER, Date.now());
}

/**
 * POST /export/run: looks for pending jobs now and starts the oldest.
 * → { started, jobId } (`started` false with the running job's id when a
 * run was already going, or with null when Pleo has no job waiting).
 */
export async function runNow(conn) {
  const existing = await conn.storage.get(RUN_KEY);
  if (existing) return { started: false, jobId: existing.jobId };
  let outcome;
  try {
    outcome = await lookupOnce(conn, "run");
  } catch (err) {
    if (connectionGone(err)) throw err;
    if (isAccessDenied(err)) {
      const missing = await rememberMissingScope(conn);
      throw new WorkerError(403, "missing_scope", missingScopeMessage(missing));
    }
    // Pleo failed the look-up: the alarm keeps trying in the background.
    await requestLookup(conn, "run");
    if (err?.code === "rate_limited") return { started: false, jobId: null, retryAfterMs: err.retryAfterMs ?? 1000 };
    throw new WorkerError(502, "pleo_unavailable", "Pleo did not answer the look-up for export jobs; the worker keeps trying.");
  }
  const { run, started } = outcome;
  if (run) await conn.schedule(EXPORT_TIMER, Date.now());
  return { started, jobId: run?.jobId ?? null };
}

/** Serialised look-up: concurrent callers share one; a run already there wins. */
function lookupOnce(conn, trigger) {
  const m = memory(conn);
  if (!m.lookup) {
    m.lookup = lookup(conn, trigger).finally(() => {
      m.lookup = null;
    });
    return m.lookup;
  }
  // Someone is looking already: their result is ours, but we did not start it.
  return m.lookup.then(({ run }) => ({ run, started: false }));
}

async function lookup(conn, trigger) {
  const { storage } = conn;
  const current = await storage.get(RUN_KEY);
  if (current) return { run: current, started: false };
  const settings = exportSettings(conn.env);
  const apiBaseUrl = conn.config.apiBaseUrl;
  const companyId = companyIdOf(conn.subject);
  // Oldest first; in_progress too, to recover a run a crash or a give-up left behind.
  const request = exportRequests.listJobs({ apiBaseUrl, companyId, statuses: ["pending", "in_progress"], limit: 100 });
  const response = await sendToPleo(conn, request, settings.timeoutMs);
  const { jobs } = exportResponses.listJobs(response); // throws OAuthError (rate_limited, api_unavailable, access_denied, …)
  await storage.delete(MISSING_SCOPE_KEY); // the token has the scopes (again)
  const now = Date.now();
  const open = jobs.filter((j) => j.status === "pending" || j.status === "in_progress");
  open.sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? ""));
  const job = open[0];
  if (!job) {
    await storage.delete(LOOKUP_KEY);
    await storage.put(LAST_LOOKUP_KEY, now);
    return { run: null, started: false };
  }
  const state = exportRunStart({ apiBaseUrl, jobId: job.id, companyId, jobStatus: job.status, ...settings.runOptions, now });
  const run = { jobId: job.id, state, trigger, startedAt: now };
  const previous = await storage.get(jobKey(job.id));
  const summary = {
    ...jobSummary(job, previous),
    status: "in_progress",
    startedAt: previous?.startedAt ?? new Date(now).toISOString(),
    error: null,
  };
  // export.job.started in the same write as the run (worker/store/outbox.js).
  await conn.emit(
    [{ type: "export.job.started", jobId: job.id, trigger, items: summary.numberOfItems ?? null }],
    { [RUN_KEY]: run, [jobKey(job.id)]: summary, [LAST_LOOKUP_KEY]: now },
    { deleteKeys: [LOOKUP_KEY] },
  );
  await rememberJob(storage, job.id, settings.jobsKept);
  await conn.announce?.(); // the operator console's row: export.running, lastJobId
  console.log(`export: run started company=${conn.subject} job=${job.id} trigger=${trigger} items=${summary.numberOfItems ?? "?"}`);
  return { run, started: true };
}

// ------------------------------------------------------------- the alarm

/** The "export" timer's handler: drives the run (single-flight per object). */
export function onExportAlarm(conn) {
  const m = memory(conn);
  if (m.driving) {
    m.again = true;
    return m.driving;
  }
  m.driving = (async () => {
    do {
      m.again = false;
      await drive(conn);
    } while (m.again);
  })().finally(() => {
    m.driving = null;
  });
  return m.driving;
}

async function drive(conn) {
  const { storage } = conn;
  const settings = exportSettings(conn.env);
  const m = memory(conn);
  // A watchdog first: if this instance dies mid-slice, the alarm on disk
  // brings the next instance back to the run within a few seconds. (While
  // this instance lives, a watchdog alarm only joins the drive in progress.)
  await conn.schedule(EXPORT_TIMER, Date.now() + WATCHDOG_MS);
  let wake;
  try {
    if (!(await conn.describe())) return stopForGood(conn); // disconnected meanwhile
    let run = await storage.get(RUN_KEY);
    if (!run) {
      const [asked, last] = await Promise.all([storage.get(LOOKUP_KEY), storage.get(LAST_LOOKUP_KEY)]);
      if (asked || (settings.automatic && Date.now() >= (last ?? 0) + settings.pollMs)) {
        try {
          run = (await lookupOnce(conn, asked?.reason ?? "poll")).run;
          m.lookupFailures = 0;
        } catch (err) {
          if (connectionGone(err)) throw err;
          m.lookupFailures += 1;
          if (isAccessDenied(err)) {
            // 403: a scope is missing; backing off cannot help. The next poll (or a reconnect) tries again.
            await rememberMissingScope(conn);
          } else {
            // 429/5xx/no answer: try again with backoff; the flag stays set.
            await storage.put(LOOKUP_KEY, asked ?? { reason: "poll", at: Date.now() });
            const delay = lookupRetryDelay(m.lookupFailures, err?.retryAfterMs);
            console.log(`export: look-up failed company=${conn.subject} code=${err?.code ?? err?.name}; again in ${delay} ms`);
            wake = Date.now() + delay;
          }
        }
      }
    }
    if (run && wake === undefined) wake = await advance(conn, run, settings);
  } catch (err) {
    if (!connectionGone(err)) throw err;
    if (!(await conn.describe())) return stopForGood(conn);
    // Needs reconnect: keep the run on disk; the next poll or a reconnect resumes it.
    wake = undefined;
  }
  if (wake === undefined || wake === null) {
    const [asked, running, last] = await Promise.all([storage.get(LOOKUP_KEY), storage.get(RUN_KEY), storage.get(LAST_LOOKUP_KEY)]);
    if (asked && !running)
      wake = Date.now(); // asked while the last run was going: look now
    else if (running)
      wake = Date.now() + settings.pollMs; // paused: no usable connection
    else if (settings.automatic) wake = (last ?? Date.now()) + settings.pollMs;
    else return conn.cancel(EXPORT_TIMER); // EXPORT_AUTOMATIC=off: nothing until POST /export/run
  }
  await conn.schedule(EXPORT_TIMER, Math.max(wake, Date.now()));
}

/** The company was disconnected (its storage wiped): nothing of ours may linger or wake again. */
async function stopForGood(conn) {
  await conn.storage.delete([RUN_KEY, LOOKUP_KEY, LAST_LOOKUP_KEY]);
  await conn.cancel(EXPORT_TIMER);
}

/**
 * Steps the run until it waits, ends, or the slice is used up.
 * @returns the time to wake up again (ms), or null when the run ended.
 */
async function advance(conn, run, settings) {
  const { storage } = conn;
  const m = memory(conn);
  const sliceEnd = Date.now() + settings.sliceMs;
  let state = run.state;
  const save = (extra = {}) => storage.put({ [RUN_KEY]: { ...run, state }, ...extra });
  for (;;) {
    if (Date.now() >= sliceEnd) return Date.now();
    const step = exportRunNext(state, Date.now());
    state = step.state;
    const action = step.action;
    if (action.type === "done") {
      await finish(conn, run, action);
      return null;
    }
    await save(); // records the action in flight
    if (action.type === "wait") return action.until;
    if (action.type === "deliver") {
      let results;
      try {
        const raw = await ledgerOf(conn).book(action.entries, { company: conn.subject, jobId: run.jobId, env: conn.env });
        const problem = ledgerResultProblem(action.entries, raw);
        if (problem) console.error(`export: the ledger answered a wrong shape company=${conn.subject} job=${run.jobId}: ${problem}`);
        results = normaliseLedgerResults(action.entries, raw);
        if (m.ledgerFailures > 0) await markLedgerDown(storage, run.jobId, null);
        m.ledgerFailures = 0;
      } catch (err) {
        // The ledger is unavailable: nothing of the batch is reported; try
        // again later. After LEDGER_RETRIES in a row the batch is failed
        // honestly instead of keeping the job open forever.
        m.ledgerFailures += 1;
        console.error(`export: ledger failed company=${conn.subject} job=${run.jobId}:`, err?.name, err?.message);
        if (m.ledgerFailures === 1) await markLedgerDown(storage, run.jobId, Date.now());
        if (m.ledgerFailures < LEDGER_RETRIES) return Date.now() + lookupRetryDelay(m.ledgerFailures);
        m.ledgerFailures = 0;
        await markLedgerDown(storage, run.jobId, null);
        results = action.entries.map(({ accountingEntryId }) => ({
          accountingEntryId,
          status: "failed",
          failureReason: "The ledger was unavailable.",
          failureReasonType: "unexpected_failure",
        }));
      }
      // Receipts before reporting: an item is `successful` only once its files are stored (receipts.js).
      results = await storeBatchReceipts({
        conn,
        jobId: run.jobId,
        companyId: companyIdOf(conn.subject),
        entries: action.entries,
        results,
        ledger: ledgerOf(conn),
        send: sendToPleo,
        timeoutMs: settings.timeoutMs,
      });
      const records = await itemRecords(storage, run.jobId, action.entries, results);
      state = exportRunDelivered(state, results, Date.now());
      await save(records);
    } else {
      const response = await sendToPleo(conn, action.request, settings.timeoutMs);
      state = exportRunFeed(state, response, Date.now());
      await save();
    }
  }
}

/**
 * While the ledger throws, the job says so ("ledger unavailable since …")
 * instead of `in_progress, error: null`; cleared when a batch is booked.
 */
async function markLedgerDown(storage, jobId, since) {
  const job = await storage.get(jobKey(jobId));
  if (!job) return;
  const error =
    since === null
      ? null
      : {
          code: "ledger_unavailable",
          message: `The ledger has been unavailable since ${new Date(since).toISOString()}; the worker keeps trying.`,
          since: new Date(since).toISOString(),
        };
  if (since === null && job.error?.code !== "ledger_unavailable") return;
  await storage.put(jobKey(jobId), { ...job, error });
}

/** Item records for a delivered batch, and the job's running counts. */
async function itemRecords(storage, jobId, entries, results) {
  const keys = entries.map((e) => itemKey(jobId, e.accountingEntryId));
  const previous = await getMany(storage, [...keys, jobKey(jobId)]);
  const job = previous.get(jobKey(jobId));
  const now = new Date().toISOString();
  const out = {};
  entries.forEach((entry, i) => {
    const result = results[i];
    const before = previous.get(keys[i]);
    if (job) {
      if (before?.status === "successful") job.exported -= 1;
      if (before?.status === "failed") job.failed -= 1;
      if (result.status === "successful") job.exported += 1;
      else job.failed += 1;
    }
    out[keys[i]] = {
      accountingEntryId: entry.accountingEntryId,
      ...summariseEntry(entry.json),
      status: result.status,
      externalId: result.externalId ?? null,
      externalUrl: result.externalUrl ?? null,
      failureReason: result.failureReason ?? null,
      failureReasonType: result.failureReasonType ?? null,
      bookedAt: before?.bookedAt ?? now,
    };
  });
  if (job) out[jobKey(jobId)] = job;
  return out;
}

async function finish(conn, run, action) {
  const { storage } = conn;
  const job = (await storage.get(jobKey(run.jobId))) ?? jobSummary({ id: run.jobId, status: "in_progress" });
  const ended = ["completed", "completed_with_errors", "failed"].includes(action.status);
  const summary = {
    ...job,
    // gave_up leaves the job in_progress at Pleo: the next poll recovers it.
    status: ended ? action.status : action.status === "not_found" ? "not_found" : "in_progress",
    exported: action.counts?.successful ?? job.exported,
    failed: action.counts?.failed ?? job.failed,
    completedAt: ended ? new Date().toISOString() : job.completedAt,
    // Pleo's error type is untrusted text: only a code-shaped one is kept.
    error: action.error ? { code: action.error.code, message: safeExportErrorMessage(action.error.message) } : null,
  };
  // The job's outcome and its event in one write, the run removed with them (worker/store/outbox.js).
  const changes = { [jobKey(run.jobId)]: summary };
  if (action.status === "gave_up") changes[GAVE_UP_KEY] = ((await storage.get(GAVE_UP_KEY)) ?? 0) + 1;
  await conn.emit([finishEvent(run, action, summary)], changes, { deleteKeys: [RUN_KEY] });
  await conn.announce?.(); // the operator console's row (exportSummary)
  console.log(
    `export: run ended company=${conn.subject} job=${run.jobId} status=${action.status} exported=${summary.exported} failed=${summary.failed}` +
      (action.error ? ` error=${action.error.code}` : ""),
  );
}

/**
 * The event a run's end is: export.job.finished with the job's status and
 * counts, or export.run.gave_up (the job stays in_progress at Pleo; a later
 * poll picks it up again).
 */
function finishEvent(run, action, summary) {
  const counts = { exported: summary.exported ?? 0, failed: summary.failed ?? 0, items: summary.numberOfItems ?? null };
  if (action.status === "gave_up" || action.status === "unknown_status") {
    return { type: "export.run.gave_up", jobId: run.jobId, reason: action.status, error: action.error?.code ?? null, counts };
  }
  return { type: "export.job.finished", jobId: run.jobId, status: action.status, counts, error: action.error?.code ?? null };
}
