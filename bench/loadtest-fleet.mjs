// The fleet load test (issue #17 item 5): N companies connected to one worker
// on workerd (miniflare, SQLite Durable Objects), then the operator console's
// listing timed over the whole directory.
//
//   npm run loadtest -- --fleet [--companies N] [--concurrency C] [--json]
//
// (1) The stand-in (own process) learns N extra companies and connects them
//     through its fleet fast path (dev/standin/oauth/fleet.mjs): per company the
//     worker's real GET /auth/login (PKCE, state, sealed login cookie), the
//     stand-in's POST {adminUrl}/fleet/authorize (a real grant and
//     authorization code, no sign-in or consent pages), then the worker's real
//     GET /auth/callback (code exchange at the token endpoint with the PKCE
//     verifier, introspect, company name, the company's Durable Object, the
//     directory's summary row, the keep-alive alarm).
// (2) GET /ops/api/companies?limit=100 is timed: every page of the listing,
//     first to last, several times, and the needs_reconnect page; the cost of
//     a page must not grow with N (docs/OPERATIONS.md "what a page costs").
//
// The last stdout line (with --json) is
// {companies, connect_per_s, ops_list_p50_ms, ops_list_p99_ms, ops_page_size,
//  directory_rows, keepalive_alarms, worker_rss_mb}.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startStandinProcess } from "../dev/standin/index.mjs";
import { CookieBrowser, forEachPooled } from "./loadtest-browser.mjs";
import { workerdBelow } from "../dev/processes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PAGE_SIZE = 100;
const MIN_SAMPLES = 200;

const progress = (line) => process.stderr.write(`[fleet] ${line}\n`);

export function parseFleetArgs(argv) {
  const opts = { companies: 1000, concurrency: 8, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=");
    if (flag === "--fleet") continue;
    if (flag === "--json") opts.json = true;
    else if (flag === "--companies" || flag === "--concurrency") {
      const raw = inline ?? argv[++i];
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1 || value > 20_000)
        throw new Error(`${flag} needs an integer 1..20000, got ${JSON.stringify(raw)}`);
      opts[flag.slice(2)] = value;
    } else throw new Error(`unknown option ${argv[i]} for --fleet (options: --companies N, --concurrency C, --json)`);
  }
  return opts;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** RSS (MB) of the workerd processes below this process. */
const workerdRssMb = () => round(workerdBelow().reduce((sum, { rssKb }) => sum + rssKb, 0) / 1024, 0);

async function adminPost(adminUrl, route, body) {
  const response = await fetch(`${adminUrl}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`${route} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** One company connected through the worker's real login and callback, with the stand-in's fast path between. */
async function connectOne(base, adminUrl, subject) {
  const browser = new CookieBrowser(base);
  const login = await browser.fetch("/auth/login?return_to=%2F");
  await login.arrayBuffer();
  if (login.status !== 302) throw new Error(`/auth/login → ${login.status}`);
  const { callbackUrl } = await adminPost(adminUrl, "/fleet/authorize", { authorizeUrl: login.headers.get("location"), company: subject });
  const callback = new URL(callbackUrl);
  const done = await browser.fetch(`${callback.pathname}${callback.search}`);
  await done.arrayBuffer();
  const location = done.headers.get("location") ?? "";
  if (done.status !== 302 || location.includes("auth_error")) throw new Error(`callback → ${done.status} ${location}`);
}

export async function runFleet(opts) {
  const { startWorkerd } = await import(path.join(ROOT, "worker/local/workerd.mjs"));
  const { localWorkerEnv } = await import(path.join(ROOT, "worker/local/env.mjs"));
  const closers = [];
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const redirectUri = `${base}/auth/callback`;
    progress("starting the stand-in (own process)");
    const standin = await startStandinProcess({ redirectUri, accessTtl: 3600 });
    closers.push(standin.close);
    const { adminUrl } = standin.info;
    const opsToken = randomBytes(24).toString("base64url");
    progress("building and starting the edge worker on workerd (miniflare)");
    // No background exports: this measures connections and the directory.
    const env = localWorkerEnv(standin.info, { redirectUri, timeoutMs: 10_000, extra: { EXPORT_AUTOMATIC: "off", OPS_TOKEN: opsToken } });
    const worker = await startWorkerd({ env, port });
    closers.push(worker.close);

    const { companies } = await adminPost(adminUrl, "/fleet/companies", { count: opts.companies });
    progress(`phase 1: connecting ${companies.length} companies (${opts.concurrency} at a time)`);
    const errors = [];
    let connected = 0;
    const t0 = performance.now();
    await forEachPooled(companies, opts.concurrency, async ({ subject }) => {
      try {
        await connectOne(base, adminUrl, subject);
        connected += 1;
        if (connected % 500 === 0) progress(`  ${connected} connected (${round(connected / ((performance.now() - t0) / 1000))}/s)`);
      } catch (err) {
        if (errors.length < 5) progress(`  connect failed: ${err.message}`);
        errors.push(err.message);
      }
    });
    const connectSeconds = (performance.now() - t0) / 1000;
    progress(`phase 1 done in ${round(connectSeconds)} s: ${connected} connected, ${errors.length} failed`);

    progress("phase 2: timing GET /ops/api/companies?limit=100 over every page");
    const auth = { Authorization: `Bearer ${opsToken}` };
    const samples = [];
    const byPosition = { first: [], last: [] };
    let rows = 0;
    let keepalive = 0;
    let walks = 0;
    while (samples.length < MIN_SAMPLES || walks < 2) {
      let cursor = null;
      let page = 0;
      const seen = new Set();
      do {
        const started = performance.now();
        const response = await fetch(
          `${base}/ops/api/companies?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          { headers: auth },
        );
        const body = await response.json();
        const ms = performance.now() - started;
        if (response.status !== 200) throw new Error(`/ops/api/companies → ${response.status} ${JSON.stringify(body)}`);
        samples.push(ms);
        if (page === 0) byPosition.first.push(ms);
        if (!body.nextCursor) byPosition.last.push(ms);
        for (const row of body.companies) {
          seen.add(row.subject);
          if (walks === 0 && row.keepAliveAt !== null) keepalive += 1;
        }
        cursor = body.nextCursor;
        page += 1;
      } while (cursor);
      if (walks === 0) rows = seen.size;
      walks += 1;
    }
    const attention = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const response = await fetch(`${base}/ops/api/companies?status=needs_reconnect&limit=${PAGE_SIZE}`, { headers: auth });
      await response.arrayBuffer();
      attention.push(performance.now() - started);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const med = (list) =>
      round(
        percentile(
          [...list].sort((a, b) => a - b),
          50,
        ),
      );
    progress(
      `listing: ${samples.length} pages over ${walks} walks; p50 first page ${med(byPosition.first)} ms, last page ${med(byPosition.last)} ms, ` +
        `needs_reconnect page ${med(attention)} ms; connect errors ${errors.length}`,
    );
    return {
      companies: connected,
      connect_per_s: round(connected / connectSeconds),
      ops_list_p50_ms: round(percentile(sorted, 50)),
      ops_list_p99_ms: round(percentile(sorted, 99)),
      ops_page_size: PAGE_SIZE,
      directory_rows: rows,
      keepalive_alarms: keepalive,
      worker_rss_mb: workerdRssMb(),
    };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  }
}

export async function main(argv) {
  let opts;
  try {
    opts = parseFleetArgs(argv);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const result = await runFleet(opts);
  const ok = result.companies === opts.companies && result.directory_rows === opts.companies;
  if (!opts.json) {
    for (const [k, v] of Object.entries(result)) process.stdout.write(`  ${k.padEnd(18)} ${v}\n`);
    process.stdout.write(ok ? "  OK: every company connected and listed\n" : "  FAIL: not every company connected and listed\n");
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return ok ? 0 : 1;
}
