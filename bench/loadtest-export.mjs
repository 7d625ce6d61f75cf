#!/usr/bin/env node
// Export load test (issue #10, "Figures"): many companies export at once
// through the worker on workerd (miniflare: SQLite Durable Objects, alarms,
// the D1 ledger) against the Pleo stand-in in its own process; optionally
// under API faults, always with worker restarts in the middle of the runs.
//
//   npm run loadtest -- --export [--faults] [--json]     20 companies × 500 entries, 2 restarts
//   node bench/loadtest-export.mjs --quick               smoke: 3 companies × 60 entries, pages of 10
//   options: --companies N --entries N --restarts N --timeout-s N --json --faults --quick
//   npm run loadtest -- --export --receipts [--receipt-size BYTES] [--receipt-count N] --json
//                                                        receipts (issue #18): 4 companies × 30 entries × 2
//                                                        receipts of 1 MB by default; adds the receipt figures
//
// Phases: (1) connect every company over HTTP (the stand-in's sign-in and
// consent, then the worker's callback), faults off; (2) faults on with
// --faults (20 % 503, 10 % 429 with Retry-After: 1 on every API route);
// create one job per company through the stand-in's admin route — what a
// Pleo user's "Export" button does, webhook included; the worker's
// subscription webhook starts each run; (3) restart the worker (workerd
// ended, started again on the same storage and port) `--restarts` times,
// spread over the run; (4) wait until every job is final; read Pleo's side
// (the stand-in's admin view) and the ledger (D1).
//
// Figures (last stdout line with --json; docs/LOADTEST.md):
//   companies, jobs, items, exported, failed_items,
//   duplicates   entries booked twice: ledger rows beyond one per entry, plus
//                booked entries whose externalId at Pleo is not their ledger
//                voucher (what a second booking would leave);
//   lost         items not final at Pleo when the run ends;
//   requests_per_1000_items   API requests the worker made (faulted ones
//                included) per 1000 items, from the stand-in's counter;
//   worker_restarts, p50_job_ms (job created → completed, Pleo's clock);
// plus: redelivered (entries handed to the ledger again after a restart and
// absorbed by its idempotency), api_requests, faults_injected, wall_ms.
// Exit 1 when duplicates or lost are not 0.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { completeAuthorization, freePort, startStandinProcess } from "../dev/standin/index.mjs";
import { localWorkerEnv } from "../worker/local/env.mjs";
import { CookieBrowser } from "./loadtest-browser.mjs";
import { receiptFigures, watchPeakRss } from "./loadtest-receipts.mjs";

const FAULTS = { apiFailureRate: 0.2, apiRateLimitRate: 0.1 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function parseExportArgs(argv) {
  const opts = { companies: 20, entries: 500, restarts: 2, timeoutS: 900, faults: false, json: false };
  const numeric = { "--companies": "companies", "--entries": "entries", "--restarts": "restarts", "--timeout-s": "timeoutS" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=");
    if (flag === "--export") continue;
    if (flag === "--receipts") {
      // Fewer entries, each with receipts: the bytes are the load here.
      Object.assign(opts, { companies: 4, entries: 30, receipts: { count: 2, size: 1024 * 1024, ...opts.receipts } });
      continue;
    }
    if (flag === "--receipt-size" || flag === "--receipt-count") {
      const value = Number(inline ?? argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} takes a whole number`);
      opts.receipts = { count: 2, size: 1024 * 1024, ...opts.receipts, [flag === "--receipt-size" ? "size" : "count"]: value };
      continue;
    }
    if (flag === "--faults") opts.faults = true;
    else if (flag === "--json") opts.json = true;
    // Smoke: small jobs in pages of 10 so the restarts still land mid-run.
    else if (flag === "--quick") Object.assign(opts, { companies: 3, entries: 60, pageSize: 10 });
    else if (numeric[flag]) {
      const value = Number(inline ?? argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} takes a whole number`);
      opts[numeric[flag]] = value;
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  if (opts.companies < 1 || opts.entries < 1) throw new Error("--companies and --entries must be at least 1");
  return opts;
}

/** A browser for one company: a cookie jar for the worker's origin. */
class Browser extends CookieBrowser {
  async connect(company) {
    const login = await this.fetch("/auth/login?return_to=%2F");
    await login.arrayBuffer();
    const callback = await completeAuthorization(login.headers.get("location"), { company });
    const done = await this.fetch(callback);
    await done.arrayBuffer();
    if (done.status !== 302 || (done.headers.get("location") ?? "").includes("auth_error")) {
      throw new Error(`connecting company ${company} failed: ${done.status} ${done.headers.get("location")}`);
    }
  }
}

async function admin(info, method, route, body) {
  const response = await fetch(`${info.adminUrl}${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const percentile = (values, p) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

export async function runExportLoadtest(opts, log = (line) => process.stderr.write(`${line}\n`)) {
  const { startWorkerd } = await import("../worker/local/workerd.mjs");
  const { buildWorker } = await import("../worker/local/build.mjs");
  const started = Date.now();
  const persistDir = await mkdtemp(path.join(os.tmpdir(), "pleo-export-load-"));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const redirectUri = `${base}/auth/callback`;
  log(
    `export load test: ${opts.companies} companies × ${opts.entries} entries, ${opts.restarts} worker restarts${opts.faults ? `, faults ${JSON.stringify(FAULTS)}` : ""}`,
  );
  await buildWorker();
  const standin = await startStandinProcess({
    redirectUri,
    env: { STANDIN_COMPANIES: String(Math.max(4, opts.companies)), STANDIN_WEBHOOK_RETRY_MS: "500", STANDIN_WEBHOOK_ATTEMPTS: "8" },
  });
  const { info } = standin;
  const pages = opts.pageSize ? { EXPORT_PAGE_SIZE: String(opts.pageSize), EXPORT_REPORT_BATCH: String(opts.pageSize) } : {};
  const env = localWorkerEnv(info, { redirectUri, timeoutMs: 10_000, extra: { EXPORT_POLL_MINUTES: "60", ...pages } });
  const start = () => startWorkerd({ env, port, persistDir, build: false });
  let worker = await start();
  const rss = opts.receipts ? watchPeakRss() : null; // the workerd process's peak resident memory
  try {
    // (1) connect
    const companies = info.companies.slice(0, opts.companies);
    for (let i = 0; i < companies.length; i += 5) {
      await Promise.all(companies.slice(i, i + 5).map((c) => new Browser(base).connect(c.subject)));
    }
    log(`connected ${companies.length} companies (${Date.now() - started} ms)`);
    await sleep(500); // the connect-time look-ups find nothing; let them finish
    const before = await admin(info, "GET", "/stats");

    // (2) faults, jobs
    if (opts.faults) await admin(info, "POST", "/faults", FAULTS);
    const jobs = [];
    for (const c of companies) {
      const { jobId } = await admin(info, "POST", "/export-jobs", { company: c.subject, entries: opts.entries, receipts: opts.receipts });
      jobs.push(jobId);
    }
    const items = jobs.length * opts.entries;
    log(`created ${jobs.length} jobs, ${items} items`);

    // (3) restarts spread over the run, (4) wait for every job to be final
    const restartAt = Array.from({ length: opts.restarts }, (_, k) => Math.floor(((k + 1) * items) / (opts.restarts + 1)));
    let restarts = 0;
    const deadline = Date.now() + opts.timeoutS * 1000;
    let views = [];
    for (;;) {
      views = await Promise.all(jobs.map((id) => admin(info, "GET", `/export-jobs/${id}`)));
      const reported = views.reduce((n, v) => n + v.items.filter((i) => i.status === "successful" || i.status === "failed").length, 0);
      const finished = views.filter((v) => ["completed", "completed_with_errors", "failed"].includes(v.job.status)).length;
      if (restarts < restartAt.length && reported >= restartAt[restarts] && finished < jobs.length) {
        log(`restart ${restarts + 1}: ${reported}/${items} items reported, ${finished}/${jobs.length} jobs done`);
        await worker.close();
        worker = await start();
        restarts++;
      }
      if (finished === jobs.length || Date.now() > deadline) {
        log(`${finished}/${jobs.length} jobs final, ${reported}/${items} items reported (${Date.now() - started} ms)`);
        break;
      }
      await sleep(200);
    }
    if (opts.faults) await admin(info, "DELETE", "/faults");
    const after = await admin(info, "GET", "/stats");

    // Pleo's side and the ledger's.
    const db = await worker.miniflare.getD1Database("LEDGER_DB");
    // The externalId is the voucher number: Pleo's reconciliationId (kept on the line rows), else PLEO-000123.
    const rows = (
      await db
        .prepare(
          `SELECT e.accounting_entry_id AS id, e.voucher, e.deliveries,
         (SELECT voucher_number FROM ledger_lines l WHERE l.accounting_entry_id = e.accounting_entry_id AND l.line_no = 1) AS number
       FROM ledger_entries e`,
        )
        .all()
    ).results;
    const voucher = new Map();
    let ledgerDuplicates = 0;
    for (const r of rows) {
      if (voucher.has(r.id)) ledgerDuplicates++;
      voucher.set(r.id, r.number ?? `PLEO-${String(r.voucher).padStart(6, "0")}`);
    }
    let exported = 0;
    let failedItems = 0;
    let lost = 0;
    let mismatched = 0;
    const jobMs = [];
    for (const v of views) {
      if (v.job.completedAt && v.job.createdAt) jobMs.push(Date.parse(v.job.completedAt) - Date.parse(v.job.createdAt));
      for (const item of v.items) {
        if (item.status === "successful") {
          exported++;
          if (item.externalId !== voucher.get(item.accountingEntryId)) mismatched++;
        } else if (item.status === "failed") failedItems++;
        else lost++;
      }
    }
    const apiRequests = after.apiRequests - before.apiRequests;
    const receipts = opts.receipts ? await receiptFigures({ db, views, plan: opts.receipts, peakRssMb: rss.stop() }) : {};
    return {
      ...receipts,
      companies: companies.length,
      jobs: jobs.length,
      items,
      exported,
      failed_items: failedItems,
      // With --receipts: receipts stored twice, or missing / not byte-equal, count too.
      duplicates: ledgerDuplicates + mismatched + (receipts.duplicates ?? 0),
      lost: lost + (receipts.lost ?? 0),
      requests_per_1000_items: Math.round((apiRequests / items) * 1000 * 10) / 10,
      worker_restarts: restarts,
      p50_job_ms: percentile(jobMs, 50),
      p99_job_ms: percentile(jobMs, 99),
      redelivered: rows.filter((r) => r.deliveries > 1).length,
      api_requests: apiRequests,
      faults_injected:
        (after.apiFailuresInjected ?? 0) - (before.apiFailuresInjected ?? 0) + (after.apiRateLimited ?? 0) - (before.apiRateLimited ?? 0),
      faults: opts.faults,
      wall_ms: Date.now() - started,
    };
  } finally {
    rss?.stop();
    await worker.close().catch(() => {});
    standin.close();
    await rm(persistDir, { recursive: true, force: true }).catch(() => {});
  }
}

export function printExportFigures(figures, json) {
  const rows = Object.entries(figures).map(([k, v]) => `${k.padEnd(24)} ${v}`);
  process.stdout.write(`${rows.join("\n")}\n`);
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

export async function main(argv) {
  let opts;
  try {
    opts = parseExportArgs(argv);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const figures = await runExportLoadtest(opts);
  printExportFigures(figures, opts.json);
  return figures.duplicates === 0 && figures.lost === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(await main(process.argv.slice(2)));
}
