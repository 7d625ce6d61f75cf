#!/usr/bin/env node
// Load and fault test of the edge worker (a script, not a timed test):
// many browser-like sessions make API calls through the worker on workerd
// (miniflare, Durable Objects) against the Pleo stand-in, whose access tokens
// live 2 seconds, so sessions keep refreshing while calls run concurrently.
//
//   npm run loadtest                         200 sessions × 20 API calls, no faults
//   npm run loadtest -- --faults             token endpoint: 20 % fail (503), some stall 2 s
//   npm run loadtest -- --quick              smoke: 5 sessions × 4 calls (< 30 s)
//   npm run loadtest -- --fleet [--companies N]   N companies and the operator listing (loadtest-fleet.mjs)
//   options: --sessions N --calls N --concurrency N --burst N --think-ms N
//            --access-ttl S --timeout-ms N --json
//
// Phases: (1) log every session in over HTTP (GET /auth/login → the stand-in's
// sign-in and consent via completeAuthorization (dev/standin/index.mjs) → GET /auth/callback), faults
// off; (2) switch the faults on (--faults) and run every session's calls —
// `--concurrency` sessions at a time, each issuing its calls in bursts of
// `--burst` concurrent requests with a random think time between bursts;
// (3) faults off, wait out stalled refreshes, and check every session still
// works with one more call.
//
// Each call is one of: succeeded (200 with data); failed_clean (a JSON
// `{error, message}` the page can show AND the session still holds its
// connection, checked right after); failed_unclean (anything else: no JSON,
// a network error, a lost connection or session). The run fails (exit 1)
// when grants_revoked > 0, failed_unclean > 0, a session did not recover,
// or — without faults — any call or login failed.
//
// The stand-in runs in its own process (dev/standin/cli.mjs) so it does not
// share an event loop with the load generator. Progress goes to stderr; the
// table to stdout; with --json the last stdout line is one JSON object.
import { freePort, startStandinProcess } from "../dev/standin/index.mjs";
import { CookieBrowser, forEachPooled } from "./loadtest-browser.mjs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FAULTS = { tokenFailureRate: 0.2, tokenStallRate: 0.05, tokenStallMs: 2000 };
const COMPANIES = 4; // the stand-in's dummy companies

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const opts = {
    sessions: 200,
    calls: 20,
    concurrency: 20,
    burst: 2,
    thinkMs: 100,
    accessTtl: 2,
    timeoutMs: 3000,
    faults: false,
    json: false,
  };
  const numeric = {
    "--sessions": "sessions",
    "--calls": "calls",
    "--concurrency": "concurrency",
    "--burst": "burst",
    "--think-ms": "thinkMs",
    "--access-ttl": "accessTtl",
    "--timeout-ms": "timeoutMs",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=");
    if (flag === "--faults") opts.faults = true;
    else if (flag === "--json") opts.json = true;
    else if (flag === "--quick") Object.assign(opts, { sessions: 5, calls: 4, quick: true });
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${readHelp()}\n`);
      process.exit(0);
    } else if (numeric[flag]) {
      const raw = inline ?? argv[++i];
      const value = Number(raw);
      if (!Number.isInteger(value) || value < (flag === "--think-ms" ? 0 : 1))
        throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(raw)}`);
      opts[numeric[flag]] = value;
    } else {
      throw new Error(`unknown option ${argv[i]} (try --help)`);
    }
  }
  return opts;
}

function readHelp() {
  return [
    "npm run loadtest [-- options]",
    "  --sessions N      browser sessions (default 200)",
    "  --calls N         API calls per session (default 20)",
    "  --concurrency N   sessions running at once (default 20)",
    "  --burst N         concurrent calls per session burst (default 2)",
    "  --think-ms N      mean think time between bursts (default 100)",
    "  --access-ttl S    stand-in access-token lifetime in seconds (default 2)",
    "  --timeout-ms N    the worker's PLEO_TIMEOUT_MS (default 3000)",
    `  --faults          token endpoint faults ${JSON.stringify(FAULTS)}`,
    "  --quick           smoke: --sessions 5 --calls 4",
    "  --json            last stdout line: one JSON object",
  ].join("\n");
}

// ------------------------------------------------------------------ helpers

const progress = (message) => process.stderr.write(`[loadtest] ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return 0;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}
const r1 = (x) => Math.round(x * 10) / 10;

/** The stand-in's loopback admin API: faults and counters. */
function standinAdmin(issuer) {
  const url = (p) => new URL(p, issuer).href;
  return {
    async stats() {
      return (await fetch(url("/__standin/stats"))).json();
    },
    async setFaults(faults) {
      const response = await fetch(
        url("/__standin/faults"),
        faults ? { method: "POST", body: JSON.stringify(faults), headers: { "content-type": "application/json" } } : { method: "DELETE" },
      );
      if (!response.ok) throw new Error(`setting faults failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    },
  };
}

/** One browser session of the load test: login, API calls, session look-up. */
class Browser extends CookieBrowser {
  /** GET /auth/login → stand-in sign-in + consent → GET /auth/callback. */
  async login(company, completeAuthorization) {
    const login = await this.fetch("/auth/login?return_to=%2F");
    await login.arrayBuffer();
    if (login.status !== 302) throw new Error(`/auth/login answered ${login.status}`);
    const callbackUrl = await completeAuthorization(login.headers.get("location"), { company });
    const callback = await this.fetch(callbackUrl);
    await callback.arrayBuffer();
    const location = callback.headers.get("location");
    if (callback.status !== 302 || location !== "/" || !this.cookies.has("__Host-pleo_session")) {
      throw new Error(`/auth/callback answered ${callback.status} → ${location}`);
    }
  }

  /** What the page does for an API button: JSON in, JSON out. */
  async api(p) {
    const started = performance.now();
    try {
      const response = await this.fetch(`/api${p}`, { headers: { "X-Requested-With": "loadtest", Accept: "application/json" } });
      const text = await response.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return {
        ms: performance.now() - started,
        status: response.status,
        body,
        text,
        contentType: response.headers.get("content-type") ?? "",
      };
    } catch (err) {
      return { ms: performance.now() - started, status: 0, error: err?.cause?.code ?? err?.message ?? String(err) };
    }
  }

  async session() {
    try {
      const response = await this.fetch("/auth/session");
      return response.status === 200 ? await response.json() : null;
    } catch {
      return null;
    }
  }
}

// --------------------------------------------------------------------- run

/** The stand-in (own process, faults off) and the worker on workerd; their closers go into `closers`. */
async function startStack(opts, closers) {
  const { startWorkerd } = await import(path.join(ROOT, "worker/local/workerd.mjs"));
  const { localWorkerEnv } = await import(path.join(ROOT, "worker/local/env.mjs"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redirectUri = `${base}/auth/callback`;
  progress(`starting the stand-in (own process, ${opts.accessTtl}-second access tokens)`);
  const standin = await startStandinProcess({ redirectUri, accessTtl: opts.accessTtl });
  closers.push(standin.close);
  const admin = standinAdmin(standin.info.issuer);
  await admin.setFaults(null);
  progress("building and starting the edge worker on workerd (miniflare)");
  const worker = await startWorkerd({ env: localWorkerEnv(standin.info, { redirectUri, timeoutMs: opts.timeoutMs }), port });
  closers.push(worker.close);
  const companies = standin.info.companies.map((c) => ({ subject: c.subject, id: c.subject.split(":").pop() }));
  return { base, admin, companies };
}

/** Phase 1: log every session in (faults off). */
async function loginPhase(opts, base, companies) {
  const { completeAuthorization } = await import(path.join(ROOT, "dev/standin/index.mjs"));
  progress(`phase 1: logging in ${opts.sessions} sessions (${opts.concurrency} at a time)`);
  const started = performance.now();
  const sessions = Array.from({ length: opts.sessions }, (_, i) => ({
    i,
    browser: new Browser(base),
    company: companies[i % COMPANIES],
    ok: false,
  }));
  const errors = [];
  await forEachPooled(sessions, opts.concurrency, async (s) => {
    try {
      await s.browser.login(s.i % COMPANIES, completeAuthorization);
      s.ok = true;
    } catch (err) {
      errors.push(err.message);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const live = sessions.filter((s) => s.ok);
  progress(`phase 1 done in ${seconds.toFixed(1)} s: ${live.length} sessions, ${errors.length} failed logins`);
  return { live, errors, started, seconds };
}

/** The tally of phase 2's calls. */
function newTally() {
  return {
    latencies: [],
    counts: { calls: 0, succeeded: 0, failed_clean: 0, failed_unclean: 0 },
    failureKinds: new Map(),
    uncleanSamples: [],
  };
}

/** Counts one call: succeeded, failed_clean (JSON error and the session still holds its company) or failed_unclean. */
async function judgeCall(tally, s, result) {
  const { counts, failureKinds, uncleanSamples } = tally;
  const note = (kind) => failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
  counts.calls++;
  tally.latencies.push(result.ms);
  if (result.status === 200 && result.body && typeof result.body === "object" && "data" in result.body) {
    counts.succeeded++;
    return;
  }
  const jsonError =
    result.body &&
    typeof result.body.error === "string" &&
    typeof result.body.message === "string" &&
    /^application\/json/.test(result.contentType);
  let kept = false;
  if (jsonError) {
    const info = await s.browser.session();
    kept = Boolean(info?.connected && info.connections.some((c) => c.subject === s.company.subject));
  }
  const kind = result.status ? `${result.status} ${result.body?.error ?? "(not JSON)"}` : `network ${result.error}`;
  if (jsonError && kept) {
    counts.failed_clean++;
    note(`clean: ${kind}`);
  } else {
    counts.failed_unclean++;
    note(`unclean: ${kind}${jsonError ? " (connection lost)" : ""}`);
    if (uncleanSamples.length < 5) uncleanSamples.push(`${kind}: ${String(result.text ?? result.error).slice(0, 200)}`);
  }
}

/** Phase 2: every session's calls, in bursts with think time between them. */
async function callPhase(opts, live) {
  progress(
    `phase 2: ${opts.calls} calls per session, bursts of ${opts.burst}, ${opts.concurrency} sessions at a time${opts.faults ? `, faults ${JSON.stringify(FAULTS)}` : ""}`,
  );
  const tally = newTally();
  const paths = (company) => ["/v1/introspect", "/v2/employees", "/v1/companies", `/v3/export-jobs?company_id=${company.id}`];
  const started = performance.now();
  await forEachPooled(live, opts.concurrency, async (s) => {
    const list = paths(s.company);
    for (let done = 0; done < opts.calls;) {
      const n = Math.min(opts.burst, opts.calls - done);
      const burst = Array.from({ length: n }, (_, k) => list[(done + k + s.i) % list.length]);
      done += n;
      const results = await Promise.all(burst.map((p) => s.browser.api(p)));
      for (const result of results) await judgeCall(tally, s, result);
      if (opts.thinkMs && done < opts.calls) await sleep(Math.random() * 2 * opts.thinkMs);
    }
  });
  return { ...tally, seconds: (performance.now() - started) / 1000 };
}

/** Phase 3: Pleo is healthy again; every session must still work. */
async function recoveryPhase(opts, live) {
  progress("phase 3: one more call per session, faults off");
  let recovered = 0;
  const notRecovered = [];
  await forEachPooled(live, opts.concurrency, async (s) => {
    const result = await s.browser.api("/v1/introspect");
    if (result.status === 200 && result.body?.data?.subjectURN === s.company.subject) recovered++;
    else notRecovered.push(`${result.status} ${String(result.text ?? result.error).slice(0, 120)}`);
  });
  return { recovered, notRecovered };
}

/** The run's figures: the contract's fields first, then extras. */
function summarize({ opts, logins, calls, recovery, before, during, after, startedAt }) {
  const { latencies, counts } = calls;
  return {
    sessions: logins.live.length,
    calls: counts.calls,
    succeeded: counts.succeeded,
    failed_clean: counts.failed_clean,
    failed_unclean: counts.failed_unclean,
    refreshes: during.refreshes - before.refreshes,
    grants_revoked: after.grantsRevoked,
    p50_ms: r1(quantile(latencies, 0.5)),
    p99_ms: r1(quantile(latencies, 0.99)),
    // extras (not part of the contract above)
    mode: opts.faults ? "faults" : "no-faults",
    logins_failed: logins.errors.length,
    sessions_recovered: recovery.recovered,
    p90_ms: r1(quantile(latencies, 0.9)),
    max_ms: r1(Math.max(0, ...latencies)),
    calls_per_s: r1(counts.calls / calls.seconds),
    token_requests: during.tokenRequests - before.tokenRequests,
    faults_injected: during.faultsInjected - before.faultsInjected,
    max_token_in_flight: after.maxTokenInFlight,
    login_s: r1(logins.seconds),
    calls_s: r1(calls.seconds),
    total_s: r1((performance.now() - startedAt) / 1000),
  };
}

/** Why the run fails (empty: it passed). */
function verdict(opts, result, logins, recovery) {
  const { live, errors: loginErrors } = logins;
  const { recovered, notRecovered } = recovery;
  const failures = [];
  if (result.grants_revoked !== 0) failures.push(`grants_revoked = ${result.grants_revoked} (a rotated refresh token was reused)`);
  if (result.failed_unclean !== 0) failures.push(`failed_unclean = ${result.failed_unclean}`);
  if (recovered !== live.length)
    failures.push(`${live.length - recovered} sessions did not recover: ${notRecovered.slice(0, 3).join(" | ")}`);
  if (!opts.faults && result.failed_clean !== 0)
    failures.push(`without faults every call must succeed (failed_clean = ${result.failed_clean})`);
  if (!opts.faults && loginErrors.length) failures.push(`logins failed: ${loginErrors.slice(0, 3).join(" | ")}`);
  if (live.length === 0) failures.push("no session logged in");
  return failures;
}

export async function runLoadtest(opts) {
  const closers = [];
  const startedAt = performance.now();
  try {
    const { base, admin, companies } = await startStack(opts, closers);
    const logins = await loginPhase(opts, base, companies);

    // Every session starts phase 2 with an expired access token, so each
    // one refreshes at least once (even in --quick mode).
    const sinceLastLogin = performance.now() - logins.started - logins.seconds * 1000;
    await sleep(Math.max(0, opts.accessTtl * 1000 + 100 - sinceLastLogin));

    const before = await admin.stats();
    if (opts.faults) await admin.setFaults(FAULTS);
    const calls = await callPhase(opts, logins.live);
    if (opts.faults) await admin.setFaults(null);
    const during = await admin.stats();

    if (opts.faults) await sleep(FAULTS.tokenStallMs + 500); // stalled refreshes finish (and fail) first
    const recovery = await recoveryPhase(opts, logins.live);
    const after = await admin.stats();

    const result = summarize({ opts, logins, calls, recovery, before, during, after, startedAt });
    const failures = verdict(opts, result, logins, recovery);
    return { result, failureKinds: calls.failureKinds, uncleanSamples: calls.uncleanSamples, failures, opts };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  }
}

export function machineDescription() {
  const cpus = os.cpus();
  return `${os.availableParallelism?.() ?? cpus.length} CPUs (nproc), ${cpus[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

function table({ result, failureKinds, uncleanSamples, failures, opts }) {
  const lines = [];
  lines.push(`edge worker load test — workerd (miniflare) + stand-in (own process), ${result.mode}`);
  lines.push(
    `  ${opts.sessions} sessions × ${opts.calls} calls, ${opts.concurrency} sessions at a time, bursts of ${opts.burst}, think ~${opts.thinkMs} ms, ${opts.accessTtl}-s access tokens, worker timeout ${opts.timeoutMs} ms`,
  );
  if (opts.faults) lines.push(`  token-endpoint faults: ${JSON.stringify(FAULTS)}`);
  lines.push(`  machine: ${machineDescription()}`);
  const rows = [
    ["sessions (logged in)", result.sessions],
    ["logins failed", result.logins_failed],
    ["calls", result.calls],
    ["succeeded", result.succeeded],
    ["failed_clean", result.failed_clean],
    ["failed_unclean", result.failed_unclean],
    ["refreshes (successful)", result.refreshes],
    ["token requests", result.token_requests],
    ["faults injected", result.faults_injected],
    ["grants_revoked", result.grants_revoked],
    ["max token requests in flight (all connections)", result.max_token_in_flight],
    ["sessions recovered after", `${result.sessions_recovered}/${result.sessions}`],
    ["latency p50 / p90 / p99 / max", `${result.p50_ms} / ${result.p90_ms} / ${result.p99_ms} / ${result.max_ms} ms`],
    ["throughput", `${result.calls_per_s} calls/s`],
    ["time: logins / calls / total", `${result.login_s} / ${result.calls_s} / ${result.total_s} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  lines.push(`  ${"-".repeat(width + 24)}`);
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(width)}  ${String(v)}`);
  lines.push(`  ${"-".repeat(width + 24)}`);
  if (failureKinds.size) {
    lines.push("  failures by kind:");
    for (const [kind, n] of [...failureKinds].sort((a, b) => b[1] - a[1])) lines.push(`    ${String(n).padStart(6)}  ${kind}`);
  }
  for (const sample of uncleanSamples) lines.push(`  unclean sample: ${sample}`);
  lines.push(failures.length ? `  FAIL: ${failures.join("; ")}` : "  OK: grants_revoked 0, failed_unclean 0, every session recovered");
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes("--fleet")) {
  // npm run loadtest -- --fleet [--companies N] [--json]: many companies and the operator listing (bench/loadtest-fleet.mjs).
  process.exit(await (await import("./loadtest-fleet.mjs")).main(process.argv.slice(2)));
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes("--export")) {
  // npm run loadtest -- --export [--faults] [--json]: the export runner's load test (bench/loadtest-export.mjs).
  process.exit(await (await import("./loadtest-export.mjs")).main(process.argv.slice(2)));
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const outcome = await runLoadtest(opts);
  for (const line of table(outcome)) process.stdout.write(`${line}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(outcome.result)}\n`);
  process.exit(outcome.failures.length ? 1 : 0);
}
