// Issue #16 "Safe by default, loud when misused": the worker's parts in Node,
// each against the misuse or attack the review found. The export runner runs
// here on a fake connection (storage in a Map, Pleo's export API answered by
// a function), so a spin or a silent failure shows as numbers, not as a
// slow end-to-end run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOOKUP_KEY, RUN_KEY, jobKey } from "../../worker/export/job-store.js";
import { lookupRetryDelay, onExportAlarm, runNow } from "../../worker/export/runner.js";
import { MISSING_SCOPE_KEY } from "../../worker/export/missing-scope.js";
import { ledgerResultProblem } from "../../worker/export/ledger-check.js";
import { renderEntriesCsv } from "../../worker/export/csv.js";
import { MapStorage } from "./helpers/map-storage.mjs";

const SUBJECT = "urn:pleo:company:5b1f3a52-0c4e-4d0e-9a53-3f1c2f6a9e10";
const COMPANY_ID = SUBJECT.slice(SUBJECT.lastIndexOf(":") + 1);

/** A company's connection as the runner sees it; `pleo(method, path, body)` → {status, headers?, body}. */
function fakeConnection({ pleo, ledger, scopes = ["export-jobs:read", "export-jobs:write", "export-items:read"], env = {} }) {
  const calls = [];
  const timers = {};
  const conn = {
    subject: SUBJECT,
    env: { PLEO_ENV: "local", ...env },
    options: ledger ? { ledger } : {},
    storage: new MapStorage(),
    memory: {}, // the export feature's per-object slot (worker/store/connection-parts.js)
    config: { apiBaseUrl: "https://api.pleo.test" },
    describe: async () => ({ subject: SUBJECT, scopes }),
    // The object's emit (worker/store/outbox.js): the changes and the events in one write.
    emit: async (events, changes = {}, { deleteKeys = [] } = {}) => {
      if (deleteKeys.length) await conn.storage.delete(deleteKeys);
      await conn.storage.put(changes);
      conn.events.push(...events);
    },
    events: [],
    schedule: async (name, at) => {
      timers[name] = at;
    },
    cancel: async (name) => {
      delete timers[name];
    },
    use: async (fn) =>
      fn({
        api: async (path, init) => {
          calls.push(`${init.method} ${path}`);
          const { status, headers = {}, body = "" } = pleo(init.method, path, init.body);
          return new Response(status === 204 ? null : typeof body === "string" ? body : JSON.stringify(body), { status, headers });
        },
      }),
  };
  return { conn, calls, timers };
}

const page = (data) => ({ data, pagination: { hasNextPage: false, hasPreviousPage: false, endCursor: null } });

/** Pleo with one pending job of `entries` entries that accepts every report. */
function pleoWithOneJob(entries, reports = []) {
  const job = { id: "job-1", companyId: COMPANY_ID, status: "pending", numberOfItems: entries, createdAt: "2026-12-01T10:00:00Z" };
  const ids = Array.from({ length: entries }, (_, i) => `entry-${i}`);
  return (method, path, body) => {
    const p = path.split("?")[0];
    if (method === "GET" && p === "/v3/export-jobs") return { status: 200, body: page([job]) };
    if (method === "POST" && p === "/v3/export-job-events") {
      const { event } = JSON.parse(body);
      job.status = event === "started" ? "in_progress" : event === "completed" ? "completed" : "failed";
      return { status: 202, body: {} };
    }
    if (method === "GET" && p === "/v3/export-jobs/job-1") return { status: 200, body: { data: job } };
    if (method === "GET" && p === "/v3/export-jobs/job-1/items") return { status: 200, body: page([]) };
    if (method === "GET" && p === "/v3/export-items") {
      return {
        status: 200,
        body: page(ids.map((accountingEntryId) => ({ accountingEntryId, date: "2026-11-30", type: "card", lines: [] }))),
      };
    }
    if (method === "PUT" && p === "/v3/export-jobs/job-1/items") {
      reports.push(...JSON.parse(body));
      return { status: 200, body: { data: JSON.parse(body), errors: [] } };
    }
    return { status: 404, body: { type: "NOT_FOUND", message: `${method} ${p}` } };
  };
}

/** Captures console.error/log lines while fn runs. */
async function captureLogs(fn) {
  const lines = [];
  const { error, log } = console;
  console.error = (...a) => lines.push(a.join(" "));
  console.log = (...a) => lines.push(a.join(" "));
  try {
    await fn();
  } finally {
    console.error = error;
    console.log = log;
  }
  return lines;
}

// ------------------------------------------------------------ item 1

test("#16.1 a Retry-After: 0 on the look-up waits at least the backoff, never under a second, and keeps counting", async () => {
  for (const [status, retryAfter] of [
    [429, "0"],
    [503, "0"],
    [429, "1"],
  ]) {
    const { conn, calls, timers } = fakeConnection({ pleo: () => ({ status, headers: { "Retry-After": retryAfter }, body: "" }) });
    await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
    const waits = [];
    await captureLogs(async () => {
      for (let i = 0; i < 4; i++) {
        const before = Date.now();
        await onExportAlarm(conn);
        waits.push(timers.export - before);
      }
    });
    assert.equal(calls.length, 4, "one look-up per alarm");
    for (const w of waits) assert.ok(w >= 1000, `${status}: waited ${w} ms`);
    assert.ok(waits[3] > waits[0], `${status}: the backoff grows: ${waits}`);
    assert.ok(await conn.storage.get(LOOKUP_KEY), "the look-up stays asked for");
  }
  assert.equal(lookupRetryDelay(1, 0), 2000);
  assert.equal(lookupRetryDelay(1, 30_000), 30_000, "a longer Retry-After is honoured");
  assert.equal(lookupRetryDelay(20, undefined), 60_000);
});

// ------------------------------------------------------------ item 11

test("#16.11 a 403 on the look-up is missing_scope naming the scope, not pleo_unavailable, and is not retried with backoff", async () => {
  const forbidden = () => ({ status: 403, body: { type: "FORBIDDEN", message: "insufficient scope" } });
  const { conn, calls, timers } = fakeConnection({ pleo: forbidden, scopes: ["users:read"] });
  let thrown;
  await captureLogs(async () => {
    thrown = await runNow(conn).catch((e) => e);
  });
  assert.equal(thrown?.status, 403);
  assert.equal(thrown?.code, "missing_scope");
  assert.match(thrown.message, /export-jobs:read/);
  assert.deepEqual((await conn.storage.get(MISSING_SCOPE_KEY)).scopes, ["export-jobs:read", "export-jobs:write", "export-items:read"]);
  assert.equal(await conn.storage.get(LOOKUP_KEY), undefined, "no background retry loop");

  // The alarm: after a 403 it sleeps until the next poll, not a backoff of seconds.
  await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
  const logs = await captureLogs(() => onExportAlarm(conn));
  assert.ok(timers.export - Date.now() > 10 * 60_000, `next try at the poll (${timers.export - Date.now()} ms)`);
  assert.ok(
    logs.some((l) => /export-jobs:read/.test(l)),
    "the log names the scope",
  );
  assert.equal(calls.length, 2);
});

// ------------------------------------------------------------ item 13

test("#16.13 a ledger answering a wrong shape is logged naming the bad field", async () => {
  assert.equal(
    ledgerResultProblem([{ accountingEntryId: "a" }], [{ accountingEntryId: "a", status: "successful", externalId: "V-1" }]),
    null,
  );
  assert.match(ledgerResultProblem([{ accountingEntryId: "a" }], { results: [] }), /array/);
  assert.match(
    ledgerResultProblem([{ accountingEntryId: "a" }], [{ accountingEntryId: "a", status: "ok", externalId: "V" }]),
    /results\[0\]\.status/,
  );
  assert.match(ledgerResultProblem([{ accountingEntryId: "a" }], [{ id: "a", status: "successful" }]), /results\[0\]\.accountingEntryId/);
  assert.match(
    ledgerResultProblem([{ accountingEntryId: "a" }], [{ accountingEntryId: "a", status: "successful", voucher: "V" }]),
    /results\[0\]\.externalId/,
  );

  const ledger = {
    book: async (entries) => entries.map((e) => ({ accountingEntryId: e.accountingEntryId, status: "successful", voucher: "V-1" })),
  };
  const { conn } = fakeConnection({ pleo: pleoWithOneJob(2), ledger });
  await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
  const logs = await captureLogs(() => onExportAlarm(conn));
  assert.ok(
    logs.some((l) => /wrong shape/.test(l) && /externalId/.test(l)),
    `a clear error: ${logs.join("\n")}`,
  );
});

test("#16.13 while the ledger throws, the job shows 'ledger unavailable since …'; it clears when the ledger books again", async () => {
  let down = true;
  const ledger = {
    book: async (entries) => {
      if (down) throw new Error("connection refused");
      return entries.map((e) => ({ accountingEntryId: e.accountingEntryId, status: "successful", externalId: `V-${e.accountingEntryId}` }));
    },
  };
  const reports = [];
  const { conn } = fakeConnection({ pleo: pleoWithOneJob(2, reports), ledger });
  await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
  await captureLogs(() => onExportAlarm(conn));
  const job = await conn.storage.get(jobKey("job-1"));
  assert.equal(job.status, "in_progress");
  assert.equal(job.error?.code, "ledger_unavailable");
  assert.match(job.error.message, /unavailable since \d{4}-\d\d-\d\dT/);
  assert.equal(reports.length, 0);

  down = false;
  await captureLogs(() => onExportAlarm(conn));
  const after = await conn.storage.get(jobKey("job-1"));
  assert.equal(after.error, null, "cleared once the ledger booked");
  assert.equal(reports.length, 2);
  assert.equal(await conn.storage.get(RUN_KEY), undefined, "the run ended");
});

// ------------------------------------------------------------ item 2

test("#16.2 every CSV text cell is quoted, so ; and tab cannot split a cell; formula starts are guarded, also full-width and after invisible characters", () => {
  const row = (supplier) => renderEntriesCsv([{ accountingEntryId: "e1", supplier, status: "successful" }]).split("\r\n")[1];
  assert.ok(
    row("Acme;=cmd|' /C calc'!A0").startsWith(`"e1",,,"Acme;=cmd|' /C calc'!A0",,,,,"successful",`),
    row("Acme;=cmd|' /C calc'!A0"),
  );
  assert.match(row("a\tb"), /,"a\tb",/);
  assert.match(row("=1+1"), /,"'=1\+1",/);
  assert.match(row("＝1+1"), /,"'＝1\+1",/, "full-width equals sign");
  assert.match(row("\u200b=1+1"), /,"'\u200b=1\+1",/, "zero-width space first");
  assert.match(row(" =1+1"), /,"' =1\+1",/, "a space first");
  assert.match(row('say "hi"'), /,"say ""hi""",/);
  assert.match(row("-12"), /,"'-12",/);
  const amounts = renderEntriesCsv([{ accountingEntryId: "e1", amount: { currency: "EUR", value: -1250 } }]).split("\r\n")[1];
  assert.match(amounts, /,EUR,-12\.50,/, "numbers made by us stay unquoted numbers");
});

// ------------------------------------------------------------ items 3, 4

/** A body of `total` bytes in 64 KiB chunks, without Content-Length; counts what the reader pulled. */
function chunkedBody(total) {
  const counter = { pulled: 0 };
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const stream = new ReadableStream({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, counter };
}

/** An env whose DIRECTORY is a real DirectoryObject on a Map, and a connections spy. */
async function webhookStack(connected = []) {
  const { DirectoryObject } = await import("../../worker/store/directory-object.js");
  const directory = new DirectoryObject({ storage: new MapStorage() }, {});
  for (const subject of connected) await directory.remember({ subject, name: null, status: "active" });
  const env = { DIRECTORY: { idFromName: (n) => n, get: () => ({ fetch: (url, init) => directory.fetch(new Request(url, init)) }) } };
  const addressed = [];
  const app = { connections: { call: async (subject, method) => (addressed.push(`${subject} ${method}`), { outcome: "not_connected" }) } };
  return { env, app, addressed };
}

test("#16.3 a chunked webhook body is cancelled at 256 KiB, not read whole before the 413", async () => {
  const { webhooksFeature: webhookRoutes } = await import("../../worker/webhooks/index.js");
  const { env, app } = await webhookStack([SUBJECT]);
  const { stream, counter } = chunkedBody(50 * 1024 * 1024);
  const url = new URL(`https://worker.test/webhooks/pleo/${encodeURIComponent(SUBJECT)}`);
  const request = new Request(url, { method: "POST", body: stream, duplex: "half" });
  assert.equal(request.headers.get("content-length"), null);
  const response = await captureLogs(async () => {}).then(() => webhookRoutes.handle({ request, url, env, app }));
  assert.equal(response.status, 413);
  assert.ok(counter.pulled <= 512 * 1024, `read ${counter.pulled} bytes of a 50 MiB body`);
});

test("#16.3 the worker's routes read bodies only through the byte-counting reader", async () => {
  const { readFile, readdir } = await import("node:fs/promises");
  const dir = new URL("../../worker/routes/", import.meta.url);
  const featureRoutes = ["export/routes.js", "export/ledger-chart-route.js", "export/receipts-route.js", "webhooks/routes.js"];
  const routeFiles = [
    ...(await readdir(dir)).map((name) => new URL(name, dir)),
    ...featureRoutes.map((name) => new URL(`../../worker/${name}`, import.meta.url)),
  ];
  for (const file of routeFiles) {
    const name = file.pathname.split("/").pop();
    const source = await readFile(file, "utf8");
    assert.doesNotMatch(source, /request\.(arrayBuffer|json|text|formData|blob)\(/, `${name} reads a request body unbounded`);
  }
  const { readRequestBody } = await import("../../worker/http/read-body.js");
  const { stream, counter } = chunkedBody(10 * 1024 * 1024);
  const err = await readRequestBody(new Request("https://w.test/", { method: "POST", body: stream, duplex: "half" }), 1024 * 1024).catch(
    (e) => e,
  );
  assert.equal(err?.status, 413);
  assert.equal(err?.code, "body_too_large");
  assert.ok(counter.pulled <= 1024 * 1024 + 128 * 1024, `read ${counter.pulled} bytes`);
  const ok = await readRequestBody(new Request("https://w.test/", { method: "POST", body: "hello" }), 5);
  assert.equal(new TextDecoder().decode(ok), "hello");
});

test("#16.4 an unsigned webhook for a company nobody connected addresses no company object", async () => {
  const { webhooksFeature: webhookRoutes } = await import("../../worker/webhooks/index.js");
  const { env, app, addressed } = await webhookStack([SUBJECT]);
  for (let i = 0; i < 20; i++) {
    const subject = `urn:pleo:company:${crypto.randomUUID()}`;
    const url = new URL(`https://worker.test/webhooks/pleo/${encodeURIComponent(subject)}`);
    const request = new Request(url, { method: "POST", body: "{}" });
    const response = await captureLogs(async () => {}).then(() => webhookRoutes.handle({ request, url, env, app }));
    assert.equal(response.status, 410);
  }
  assert.deepEqual(addressed, [], "no Durable Object addressed");
  // A connected company's deliveries still reach its object.
  const url = new URL(`https://worker.test/webhooks/pleo/${encodeURIComponent(SUBJECT)}`);
  await captureLogs(() => webhookRoutes.handle({ request: new Request(url, { method: "POST", body: "{}" }), url, env, app }));
  assert.deepEqual(addressed, [`${SUBJECT} receiveWebhook`]);
});

// ------------------------------------------------------------ item 5

test("#16.5 a login callback reads a bounded number of transactions, however many are open; expired ones are swept", async () => {
  const { DirectoryObject } = await import("../../worker/store/directory-object.js");
  const storage = new MapStorage();
  let listed = 0;
  const list = storage.list.bind(storage);
  storage.list = async (opts) => {
    const out = await list(opts);
    listed += out.size;
    return out;
  };
  const directory = new DirectoryObject({ storage }, {});
  const now = Date.now();
  for (let i = 0; i < 3000; i++) await directory.consumeTransaction({ txid: `open-${i}`, expiresAt: now + 600_000 });
  listed = 0;
  assert.equal(await directory.consumeTransaction({ txid: "real-user", expiresAt: now + 600_000 }), true);
  assert.ok(listed <= 64, `one callback read ${listed} transaction keys`);
  assert.equal(await directory.consumeTransaction({ txid: "real-user", expiresAt: now + 600_000 }), false, "still single use");

  // Expired transactions go, oldest first, a batch per callback.
  const old = new DirectoryObject({ storage: new MapStorage() }, {});
  for (let i = 0; i < 100; i++) await old.consumeTransaction({ txid: `old-${i}`, expiresAt: now - 1000 + i });
  await old.consumeTransaction({ txid: "next", expiresAt: now + 600_000 });
  await old.consumeTransaction({ txid: "next-2", expiresAt: now + 600_000 });
  assert.ok(old.storage.data.size < 40, `${old.storage.data.size} keys left of 102 transactions`);
});

// ------------------------------------------------------------ item 8

test("#16.8 the API proxy allows the export API for GET only: a browser cannot create jobs or report item results", async () => {
  const { upstreamUrl } = await import("../../worker/pleo/api-allow-list.js");
  const base = "https://api.pleo.test";
  for (const [method, path] of [
    ["PUT", "/v3/export-jobs/j1/items"],
    ["POST", "/v3/export-jobs"],
    ["PATCH", "/v3/export-jobs/j1"],
    ["POST", "/v3/export-items"],
  ]) {
    assert.throws(
      () => upstreamUrl(base, path, method, ""),
      (e) => e.status === 405,
      `${method} ${path}`,
    );
  }
  assert.equal(upstreamUrl(base, "/v3/export-jobs/j1/items", "GET", "").href, `${base}/v3/export-jobs/j1/items`);
  // A partner's own list (createWorker({ apiAllowList })) replaces it.
  const custom = [{ path: "/v1/receipts", methods: ["GET"] }];
  assert.equal(upstreamUrl(base, "/v1/receipts/1", "GET", "", custom).pathname, "/v1/receipts/1");
  assert.throws(
    () => upstreamUrl(base, "/v2/employees", "GET", "", custom),
    (e) => e.status === 403,
  );
});

// ------------------------------------------------------------ item 7

test("#16.7 the token endpoint's error reaches /auth/refresh only when it is a code", async () => {
  const { tokenResponseError } = await import("../../worker/pleo/pleo-http.js");
  const oauth = (error) => Object.assign(new Error("x"), { name: "OAuthError", code: "token_error", error });
  assert.match(tokenResponseError(oauth("invalid_scope"), 400).message, /\(invalid_scope\)/);
  assert.match(tokenResponseError(oauth("RATE_LIMIT_EXCEEDED"), 400).message, /\(RATE_LIMIT_EXCEEDED\)/);
  for (const raw of ["<html><body>Bad gateway</body></html>", "a\r\nX-Injected: 1", "x".repeat(65), "Invalid grant!"]) {
    const message = tokenResponseError(oauth(raw), 400).message;
    assert.ok(!message.includes(raw), message);
    assert.match(message, /\(unrecognised\)/);
  }
});

test("#16.7 an export job's error keeps Pleo's type only when it is a code (no 3 KB of HTML)", async () => {
  for (const [type, expected] of [
    [`<html>${"<p>Service Unavailable</p>".repeat(120)}</html>`, "the export API answered 400 unrecognised"],
    ["EXPORT_JOB_IS_BROKEN", "the export API answered 400 EXPORT_JOB_IS_BROKEN"],
  ]) {
    const pleo = pleoWithOneJob(1);
    const failingClaim = (method, path, body) =>
      method === "POST" && path.startsWith("/v3/export-job-events") && JSON.parse(body).event === "started"
        ? { status: 400, body: { type, message: "nope" } }
        : pleo(method, path, body);
    const { conn } = fakeConnection({ pleo: failingClaim });
    await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
    await captureLogs(() => onExportAlarm(conn));
    const job = await conn.storage.get(jobKey("job-1"));
    assert.ok(job.error, JSON.stringify(job));
    assert.equal(job.error.message, expected);
  }
});

// ------------------------------------------------------------ item 10

const STAGING_ENV = {
  PLEO_ENV: "staging",
  PLEO_CLIENT_ID: "partner-client",
  PLEO_CLIENT_SECRET: "partner-secret",
  PLEO_REDIRECT_URI: "https://partner.example/auth/callback",
  SESSION_SECRET: "s".repeat(40),
};

test("#16.10 a misspelled or unknown createWorker option is refused, naming the likely one", async () => {
  const { createWorker } = await import("../../worker/create-worker.js");
  const ledger = { book: async () => [] };
  assert.throws(
    () => createWorker({ leger: ledger }),
    (e) => e instanceof TypeError && /unknown option "leger" \(did you mean "ledger"\?\)/.test(e.message),
  );
  assert.throws(
    () => createWorker({ ledger: "my-ledger" }),
    (e) => e instanceof TypeError && /book/.test(e.message),
  );
  assert.throws(() => createWorker({ ledger, demoLedger: true }), TypeError);
  assert.throws(() => createWorker({ apiAllowList: ["/v1/companies"] }), TypeError);
  assert.doesNotThrow(() => createWorker({ ledger, features: [] }));
});

test("#16.10 an export-enabled worker without a ledger refuses to serve outside PLEO_ENV=local; the ledger in use is logged once", async () => {
  const { createWorker, BUILTIN_FEATURES } = await import("../../worker/create-worker.js");
  const session = () => new Request("https://partner.example/auth/session");
  let response;
  const logs = await captureLogs(async () => {
    response = await createWorker().fetch(session(), STAGING_ENV);
  });
  assert.equal(response.status, 500);
  assert.equal((await response.json()).error, "server_misconfigured");
  assert.ok(
    logs.some((l) => /no ledger is configured/.test(l)),
    logs.join("\n"),
  );

  // With a ledger: served, and one log line names it, however many requests.
  const app = createWorker({ ledger: { book: async () => [] } });
  const served = await captureLogs(async () => {
    for (let i = 0; i < 3; i++) assert.equal((await app.fetch(session(), STAGING_ENV)).status, 200);
  });
  assert.deepEqual(
    served.filter((l) => /export ledger=/.test(l)),
    ["worker: export ledger=partner (createWorker({ ledger }))"],
  );
  // The demo ledger on purpose, or no export at all: no ledger needed.
  await captureLogs(async () => {
    assert.equal((await createWorker({ demoLedger: true }).fetch(session(), STAGING_ENV)).status, 200);
    const noExport = BUILTIN_FEATURES.filter((f) => f.name !== "export");
    assert.equal((await createWorker({ builtins: noExport }).fetch(session(), STAGING_ENV)).status, 200);
  });
});

test("#16.10 the runner never books into the demo ledger by default", async () => {
  const { conn } = fakeConnection({ pleo: pleoWithOneJob(1), env: { PLEO_ENV: "staging" } });
  await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
  const logs = await captureLogs(() => onExportAlarm(conn));
  assert.ok(
    logs.some((l) => /no ledger is configured/.test(l)),
    `the log says why: ${logs.join("\n")}`,
  );
  const job = await conn.storage.get(jobKey("job-1"));
  assert.equal(job.status, "in_progress", "nothing reported as exported");
  assert.equal(job.error?.code, "ledger_unavailable");
});

// ------------------------------------------------------------ item 16

test("#16.16 npm run build without node_modules says to run npm ci, not a bare ENOENT", async () => {
  const { mkdtemp, mkdir, copyFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { spawnSync } = await import("node:child_process");
  const dir = await mkdtemp(`${tmpdir()}/pleo-fresh-clone-`);
  try {
    await mkdir(`${dir}/scripts`);
    await copyFile(new URL("../../scripts/build.mjs", import.meta.url), `${dir}/scripts/build.mjs`);
    const r = spawnSync(process.execPath, [`${dir}/scripts/build.mjs`], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /wasm-opt and esbuild not found in node_modules\/\.bin: run `npm ci`/);
    assert.doesNotMatch(r.stderr, /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------ item 12

test("#16.12 requireCompanyAccess asks the company's object: an old cookie after a disconnect or logout elsewhere reads nothing", async () => {
  const { requireCompanyAccess, requireSession, selectCompany } = await import("../../worker/create-worker.js");
  const { sessionCookie } = await import("../../worker/session/sessions.js");
  const config = { sessionSecret: "s".repeat(40), appOrigin: "https://partner.example" };
  const setCookie = await sessionCookie(config, { sid: "sid-1", companies: [SUBJECT], expiresAt: Date.now() + 60_000 });
  const cookie = setCookie.split(";")[0];
  let state = { connected: true, held: true };
  const asked = [];
  const env = {
    CONNECTIONS: {
      idFromName: (n) => n,
      get: (name) => ({
        fetch: async (url, init) => {
          asked.push(`${name} ${new URL(url).pathname} ${init.body}`);
          const value = state.connected ? { connection: { subject: SUBJECT }, held: state.held } : null;
          return Response.json({ value });
        },
      }),
    },
  };
  const ctx = () => ({ request: new Request("https://partner.example/my/route", { headers: { Cookie: cookie } }), env, config });

  const ok = await requireCompanyAccess(ctx());
  assert.equal(ok.subject, SUBJECT);
  assert.equal(ok.session.sid, "sid-1");
  assert.deepEqual(asked, [`${SUBJECT} /describe {"sid":"sid-1"}`], "the company's object is asked, with this session");

  state = { connected: false };
  // The cookie alone still "works" (why partners need the helper) …
  const c = ctx();
  assert.equal(selectCompany(c.request, await requireSession(c.request, config)), SUBJECT);
  // … the helper does not.
  await assert.rejects(requireCompanyAccess(ctx()), (e) => e.status === 401 && e.code === "no_connection");
  state = { connected: true, held: false };
  await assert.rejects(requireCompanyAccess(ctx()), (e) => e.status === 401 && e.code === "no_session");
  const post = { ...ctx(), request: new Request("https://partner.example/my/route", { method: "POST", headers: { Cookie: cookie } }) };
  await assert.rejects(requireCompanyAccess(post, { csrf: true }), (e) => e.status === 403 && e.code === "csrf_rejected");
});

test("#16.12 the built-in company routes go through requireCompanyAccess", async () => {
  const { readFile } = await import("node:fs/promises");
  for (const name of ["export/routes.js", "routes/auth.js", "export/ledger-chart-route.js"]) {
    const source = await readFile(new URL(`../../worker/${name}`, import.meta.url), "utf8");
    assert.match(source, /requireCompanyAccess\(ctx/, name);
    assert.doesNotMatch(source, /selectCompany\(/, `${name} selects a company from the cookie alone`);
  }
});

test("#16.11 /auth/session shows per company the scopes its token lacks for exports", async () => {
  const { authRoutes } = await import("../../worker/routes/auth.js");
  const { BUILTIN_FEATURES } = await import("../../worker/create-worker.js");
  const { sessionCookie } = await import("../../worker/session/sessions.js");
  const config = {
    sessionSecret: "s".repeat(40),
    appOrigin: "https://partner.example",
    callbackPath: "/auth/callback",
    provider: {},
    scopes: [],
  };
  const cookie = (await sessionCookie(config, { sid: "sid-1", companies: [SUBJECT], expiresAt: Date.now() + 60_000 })).split(";")[0];
  const env = {
    CONNECTIONS: {
      idFromName: (n) => n,
      get: () => ({
        fetch: async () =>
          Response.json({
            value: {
              held: true,
              connection: { subject: SUBJECT, status: "active", scopes: ["users:read", "export-jobs:read"], history: [] },
            },
          }),
      }),
    },
  };
  const ask = async (options) => {
    const request = new Request("https://partner.example/auth/session", { headers: { Cookie: cookie } });
    const names = new Set((options.builtins ?? BUILTIN_FEATURES).map((f) => f.name));
    const app = { options, hasFeature: (name) => names.has(name) };
    const response = await authRoutes.handle({ request, url: new URL(request.url), env, config, app });
    return (await response.json()).connections[0].missingScopes;
  };
  assert.deepEqual(await ask({}), ["export-jobs:write", "export-items:read"]);
  assert.deepEqual(await ask({ builtins: [authRoutes] }), [], "no export, no export scopes needed");
});

// ------------------------------------------------------------ item 9

test("#16.9 the Node adapter closes slow-header and idle sockets and caps connections", async () => {
  const net = await import("node:net");
  const { startNodeWorker } = await import("../../worker/local/node.mjs");
  const worker = await startNodeWorker({
    env: {},
    port: 0,
    limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 400, maxConnections: 2 },
  });
  const open = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect(worker.port, "127.0.0.1", () => resolve(socket));
      socket.resume(); // read (and drop) what the server sends, so its close is seen
      socket.on("error", reject);
    });
  const closedWithin = (socket, ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  try {
    // Slowloris: headers begun, never finished.
    const slow = await open();
    slow.on("error", () => {});
    slow.write("GET / HTTP/1.1\r\nHost: x\r\n");
    assert.ok(await closedWithin(slow, 3000), "a request whose headers never end is closed");
    // Idle: connected, nothing sent.
    const idle = await open();
    idle.on("error", () => {});
    assert.ok(await closedWithin(idle, 3000), "an idle socket is closed");
    // A cap: the third concurrent connection is refused.
    const a = await open();
    const b = await open();
    a.on("error", () => {});
    b.on("error", () => {});
    const c = await open().catch(() => null);
    c?.on("error", () => {});
    assert.ok(c === null || (await closedWithin(c, 1000)), "over maxConnections is closed at once");
    a.destroy();
    b.destroy();
  } finally {
    await worker.close();
  }
});

test("#16.16 every relative link in the package's Markdown files points at a file the package ships", async () => {
  const { spawnSync } = await import("node:child_process");
  const { readFile } = await import("node:fs/promises");
  const path = await import("node:path");
  const root = new URL("../../", import.meta.url).pathname;
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const shipped = new Set(JSON.parse(r.stdout)[0].files.map((f) => f.path));
  const broken = [];
  for (const md of [...shipped].filter((f) => f.endsWith(".md"))) {
    const text = await readFile(path.join(root, md), "utf8");
    for (const [, link] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(md), link)).replace(/\/$/, "");
      if (!shipped.has(target) && ![...shipped].some((f) => f.startsWith(`${target}/`))) broken.push(`${md} → ${link}`);
    }
    assert.doesNotMatch(text, /\.\.\/shared/, `${md} points outside the repository`);
  }
  assert.deepEqual(broken, []);
});

test("#16.16 `npm run standin` honours PORT, and a wrong redirect_uri page names STANDIN_REDIRECT_URIS", async () => {
  const { spawn } = await import("node:child_process");
  const { freePort } = await import("../../dev/standin/index.mjs");
  const port = await freePort();
  const cli = new URL("../../dev/standin/cli.mjs", import.meta.url).pathname;
  const env = { ...process.env, PORT: String(port), STANDIN_API_PORT: "0" };
  delete env.STANDIN_PORT;
  const child = spawn(process.execPath, [cli], { env, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const info = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const m = /^STANDIN_READY (.*)$/m.exec(out);
        if (m) resolve(JSON.parse(m[1]));
      });
      child.on("exit", (code) => reject(new Error(`stand-in exited ${code}`)));
      setTimeout(() => reject(new Error("no STANDIN_READY")), 20_000);
    });
    assert.equal(new URL(info.issuer).port, String(port), "the issuer listens on PORT");
    const authorize = new URL(info.authorizationEndpoint);
    authorize.search = new URLSearchParams({
      client_id: info.clientId,
      response_type: "code",
      redirect_uri: "http://localhost:9/not-registered",
      scope: "users:read",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      state: "s",
    }).toString();
    const page = await (await fetch(authorize, { redirect: "manual" })).text();
    assert.match(page, /invalid_redirect_uri/);
    assert.match(page, /STANDIN_REDIRECT_URIS/);
  } finally {
    child.kill();
  }
});

test("#16.16 a rewritten return_to is logged, not silent", async () => {
  const { authRoutes } = await import("../../worker/routes/auth.js");
  const config = {
    sessionSecret: "s".repeat(40),
    appOrigin: "https://partner.example",
    callbackPath: "/auth/callback",
    client: { startAuthorization: () => ({ url: "https://pleo.test/authorize?x=1", pending: { state: "s" } }) },
  };
  const login = async (returnTo) => {
    const url = new URL(`https://partner.example/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    let response;
    const logs = await captureLogs(async () => {
      const warn = console.warn;
      console.warn = console.error;
      try {
        response = await authRoutes.handle({ request: new Request(url), url, env: {}, config, app: {} });
      } finally {
        console.warn = warn;
      }
    });
    assert.equal(response.status, 302);
    return logs;
  };
  const logs = await login("https://evil.example/steal");
  assert.equal(logs.length, 1);
  assert.match(logs[0], /return_to rewritten to \//);
  assert.ok(!logs[0].includes("evil.example"), "the client's text is not logged");
  assert.deepEqual(await login("/dashboard?tab=2"), [], "a good return_to is taken quietly");
});

test("#16.16 worker/local/dev-vars.mjs turns the stand-in's READY line into a .dev.vars for wrangler dev", async () => {
  const { devVarsText } = await import("../../worker/local/dev-vars.mjs");
  const info = {
    clientId: "standin-client",
    clientSecret: "standin-secret",
    scopes: ["users:read", "export-jobs:read"],
    issuer: "http://127.0.0.1:4010",
    authorizationEndpoint: "http://127.0.0.1:4010/auth",
    tokenEndpoint: "http://127.0.0.1:4010/token",
    introspectionEndpoint: "http://127.0.0.1:4010/token/introspection",
    revocationEndpoint: "http://127.0.0.1:4010/token/revocation",
    apiBaseUrl: "http://127.0.0.1:4011",
  };
  const text = devVarsText(info, { redirectUri: "http://localhost:8787/auth/callback" });
  const vars = Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), JSON.parse(line.slice(line.indexOf("=") + 1))]),
  );
  assert.equal(vars.PLEO_ENV, "local");
  assert.equal(vars.PLEO_CLIENT_SECRET, "standin-secret");
  assert.equal(vars.PLEO_REDIRECT_URI, "http://localhost:8787/auth/callback");
  assert.equal(vars.PLEO_API_BASE_URL, "http://127.0.0.1:4011");
  assert.ok(vars.SESSION_SECRET.length >= 32);
  assert.throws(() => devVarsText(info, {}), /redirect-uri/);
});

// ------------------------------------------------------------ item 15

test("#16.15 a route may set its own Content-Security-Policy; every other response keeps the strict default", async () => {
  const { createWorker } = await import("../../worker/create-worker.js");
  const { CONTENT_SECURITY_POLICY } = await import("../../worker/http/responses.js");
  const page = {
    name: "page",
    prefix: "/partner/",
    handle: () =>
      new Response("<p>hi</p>", {
        headers: { "Content-Type": "text/html", "Content-Security-Policy": "default-src 'self'; img-src https://cdn.example" },
      }),
  };
  const app = createWorker({ features: [page], ledger: { book: async () => [] } });
  await captureLogs(async () => {
    const own = await app.fetch(new Request("https://partner.example/partner/x"), STAGING_ENV);
    assert.equal(own.headers.get("Content-Security-Policy"), "default-src 'self'; img-src https://cdn.example");
    assert.equal(own.headers.get("X-Frame-Options"), "DENY", "the other headers stay");
    const builtin = await app.fetch(new Request("https://partner.example/auth/session"), STAGING_ENV);
    assert.equal(builtin.headers.get("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
  });
});

test("#16.15 pleo-oauth/client refuses baseUrl (a cross-origin page cannot hold the worker's session) instead of failing in the browser", async () => {
  const { createClient } = await import("../../worker/client/index.js");
  assert.throws(
    () => createClient({ baseUrl: "https://worker.example" }),
    (e) => e instanceof TypeError && /same-origin only/.test(e.message),
  );
  assert.equal(typeof createClient({ fetch: async () => new Response("{}") }).session, "function");
});

test("#16.10 the demo worker (demoLedger: true) on the Node adapter without D1 books into the in-memory demo ledger", async () => {
  const reports = [];
  const { conn } = fakeConnection({ pleo: pleoWithOneJob(2, reports), env: { PLEO_ENV: "local" } });
  conn.options = { demoLedger: true };
  await conn.storage.put(LOOKUP_KEY, { reason: "webhook", at: Date.now() });
  await captureLogs(() => onExportAlarm(conn));
  assert.equal(reports.length, 2, "both entries reported");
  assert.ok(reports.every((r) => r.status === "successful" || r.status === "failed"));
  assert.equal((await conn.storage.get(jobKey("job-1"))).error?.code ?? null, null, "no ledger outage");
});
