// Issue #17 item 2, the operator console (docs/OPERATIONS.md): /ops/api/*
// behind OPS_TOKEN (constant-time bearer; a customer's session cookie is not
// enough), the directory's summary rows paged with an opaque cursor, status
// filter and search, company detail, the actions (export run, refresh,
// disconnect), a revoke showing up as needs_reconnect, no token or secret in
// any /ops answer, and the /ops/ page in headless Chromium.
// Real parts: the stand-in over HTTP, the worker on workerd through miniflare.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { WorkerClient, leakedSecrets, sleep, startStack } from "./helpers/worker-harness.mjs";
import { createWorker } from "../../worker/create-worker.js";
import http from "node:http";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { startExportStack, waitFor } from "./helpers/export-stack.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const OPS_TOKEN = "ops-test-token-0123456789abcdef";
const ROW_FIELDS = [
  "subject",
  "name",
  "status",
  "scopes",
  "connectedAt",
  "refreshedAt",
  "expiresAt",
  "keepAliveAt",
  "lastWebhookAt",
  "export",
];

let stack;
let customer; // a browser that connected every company (its session cookie must not open /ops)
const answers = []; // every /ops answer's text, scanned for tokens and the client secret at the end

async function ops(path, { method = "GET", token = OPS_TOKEN, headers = {} } = {}) {
  const response = await fetch(new URL(path, stack.base), {
    method,
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...headers },
  });
  const text = await response.text();
  answers.push(text);
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, text, headers: response.headers };
}

const subjectOf = (i) => stack.info.companies[i].subject;

/** Every row of a listing, following nextCursor; asserts pages never repeat a row. */
async function allPages(query) {
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await ops(`/ops/api/companies?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(r.status, 200, r.text);
    seen.push(...r.body.companies.map((c) => c.subject));
    cursor = r.body.nextCursor;
    pages += 1;
  } while (cursor && pages < 50);
  assert.equal(new Set(seen).size, seen.length, "no row on two pages");
  return { subjects: seen, pages };
}

before(async () => {
  stack = await startStack({ runtime: "workerd", accessTtl: 3600, timeoutMs: 3000, extraEnv: { OPS_TOKEN } });
  customer = new WorkerClient(stack.base);
  for (let i = 0; i < stack.info.companies.length; i++) {
    const { location } = await customer.connect({ company: i });
    assert.ok(!location.includes("auth_error"), location);
  }
});
after(async () => {
  await stack?.close();
});

describe("operator API (workerd)", { timeout: 180_000 }, () => {
  test("401 ops_unauthorized without a token, with a wrong one, another scheme, or only a customer's session cookie", async () => {
    const cases = [
      ["no Authorization", { token: null }],
      ["a wrong token of the same length", { token: OPS_TOKEN.replace(/.$/, "X") }],
      ["a prefix of the token", { token: OPS_TOKEN.slice(0, 10) }],
      ["the token with more after it", { token: `${OPS_TOKEN}x` }],
      ["Basic instead of Bearer", { token: null, headers: { Authorization: `Basic ${btoa(`ops:${OPS_TOKEN}`)}` } }],
    ];
    for (const [what, init] of cases) {
      for (const path of ["/ops/api/companies", `/ops/api/companies/${encodeURIComponent(subjectOf(0))}`]) {
        const r = await ops(path, init);
        assert.equal(r.status, 401, `${what}: ${path}`);
        assert.equal(r.body?.error, "ops_unauthorized", what);
        assert.equal(typeof r.body?.message, "string");
      }
    }
    // The customer's browser: session cookie and CSRF header, but no operator token.
    const asCustomer = await customer.json("/ops/api/companies", { headers: { "X-Requested-With": "test" } });
    assert.equal(asCustomer.status, 401);
    assert.equal(asCustomer.body.error, "ops_unauthorized");
    const actAsCustomer = await customer.post(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}/disconnect`);
    assert.equal(actAsCustomer.status, 401);
    assert.equal((await customer.json("/auth/session")).body.connections.length, stack.info.companies.length, "nothing was disconnected");
  });

  test("lists every company's summary row (no bookkeeping, no tokens), pages ≤ 100 with an opaque cursor", async () => {
    const r = await ops("/ops/api/companies");
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get("cache-control") ?? "", /no-store/);
    assert.equal(r.body.nextCursor, null);
    assert.deepEqual(r.body.companies.map((c) => c.subject).sort(), stack.info.companies.map((c) => c.subject).sort());
    for (const row of r.body.companies) {
      for (const field of ROW_FIELDS) assert.ok(field in row, `${field} in ${JSON.stringify(row)}`);
      assert.equal(row.status, "active");
      assert.ok(row.scopes.length > 0);
      assert.ok(row.expiresAt > Date.now(), "the token's expiry");
      assert.ok(row.keepAliveAt > Date.now(), "the next keep-alive");
      assert.deepEqual(Object.keys(row.export).sort(), ["failedItems", "gaveUp", "lastJobId", "lastStatus", "running"]);
      assert.equal(row.name, stack.info.companies.find((c) => c.subject === row.subject).name);
      assert.ok(!("updatedAt" in row) && !("tokens" in row));
    }
    assert.equal(r.body.counts.total, stack.info.companies.length);

    // Pages of 1 and 3 cover every company exactly once; the last page's cursor is null.
    for (const limit of [1, 3]) {
      const { subjects, pages } = await allPages(`limit=${limit}`);
      assert.deepEqual([...subjects].sort(), stack.info.companies.map((c) => c.subject).sort());
      assert.equal(pages, Math.ceil(stack.info.companies.length / limit));
    }
    // limit is clamped to 1..100; garbage is a 400.
    assert.equal((await ops("/ops/api/companies?limit=0")).body.companies.length, 1);
    assert.equal((await ops("/ops/api/companies?limit=100000")).status, 200);
    for (const bad of [
      "limit=abc",
      "limit=-1",
      "limit=1.5",
      "status=sleeping",
      "cursor=%%%",
      "cursor=bm90LWpzb24",
      `q=${"x".repeat(201)}`,
    ]) {
      const res = await ops(`/ops/api/companies?${bad}`);
      assert.equal(res.status, 400, bad);
      assert.match(res.body.error, /^invalid_/, bad);
    }
    // A cursor of one listing is refused by another (status index vs. all rows).
    const first = await ops("/ops/api/companies?limit=1");
    const mixed = await ops(`/ops/api/companies?status=active&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body.error, "invalid_cursor");
  });

  test("q matches name or subject, case-insensitively", async () => {
    const target = stack.info.companies[1];
    const byName = await ops(`/ops/api/companies?q=${encodeURIComponent(target.name.slice(2, 9).toUpperCase())}`);
    assert.deepEqual(
      byName.body.companies.map((c) => c.subject),
      [target.subject],
    );
    const id = target.subject.split(":").pop();
    const bySubject = await ops(`/ops/api/companies?q=${encodeURIComponent(id.slice(0, 8))}`);
    assert.deepEqual(
      bySubject.body.companies.map((c) => c.subject),
      [target.subject],
    );
    const none = await ops("/ops/api/companies?q=no-such-company-anywhere");
    assert.deepEqual(none.body.companies, []);
    assert.equal(none.body.nextCursor, null);
  });

  test("detail: the row, history newest first, export jobs; unknown subject 404, malformed 400", async () => {
    const r = await ops(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.subject, subjectOf(0));
    assert.ok(Array.isArray(r.body.history) && r.body.history.length >= 1);
    const times = r.body.history.map((h) => h.at);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      "newest first",
    );
    assert.deepEqual(r.body.exports, { jobs: [], running: null });
    // Not percent-encoded works too (':' is allowed in a path).
    assert.equal((await ops(`/ops/api/companies/${subjectOf(0)}`)).status, 200);
    const unknown = await ops(`/ops/api/companies/${encodeURIComponent("urn:pleo:company:00000000-no-such")}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, "not_found");
    for (const action of ["refresh", "export-run", "disconnect"]) {
      const res = await ops(`/ops/api/companies/${encodeURIComponent("urn:pleo:company:00000000-no-such")}/${action}`, { method: "POST" });
      assert.equal(res.status, 404, action);
    }
    const malformed = await ops("/ops/api/companies/not-a-subject");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, "invalid_company");
    assert.equal((await ops(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}/refresh`)).status, 405, "actions are POST");
  });

  test("refresh now: a new token through the company's object, refreshedAt and the history move", async () => {
    const before = (await ops(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}`)).body;
    const refreshes = stack.tokens.size;
    const r = await ops(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}/refresh`, { method: "POST" });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.refreshed, true);
    assert.ok(stack.tokens.size > refreshes, "the stand-in issued new tokens");
    const afterwards = (await ops(`/ops/api/companies/${encodeURIComponent(subjectOf(0))}`)).body;
    assert.ok(afterwards.refreshedAt > (before.refreshedAt ?? 0));
    assert.equal(afterwards.history[0].event, "refreshed by an operator");
    const row = (await ops(`/ops/api/companies?q=${encodeURIComponent(subjectOf(0))}`)).body.companies[0];
    assert.equal(row.refreshedAt, afterwards.refreshedAt, "the listing's row was updated in the same step");
    // The customer's browser still works with the refreshed connection.
    assert.equal((await customer.api("/v1/introspect", { headers: { "X-Pleo-Company": subjectOf(0) } })).status, 200);
  });

  test("export run now: 202 {started, jobId}; the row and the detail show the job when it ends", async () => {
    const subject = subjectOf(0);
    const created = await fetch(`${stack.info.adminUrl}/export-jobs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ company: subject, entries: 3 }),
    });
    assert.equal(created.status, 201);
    const { jobId } = await created.json();
    const r = await ops(`/ops/api/companies/${encodeURIComponent(subject)}/export-run`, { method: "POST" });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.body, { started: true, jobId });
    let row;
    const t0 = Date.now();
    do {
      await sleep(300);
      row = (await ops(`/ops/api/companies?q=${encodeURIComponent(subject)}`)).body.companies[0];
    } while ((row.export.running || row.export.lastStatus !== "completed") && Date.now() - t0 < 30_000);
    assert.equal(row.export.lastJobId, jobId);
    assert.equal(row.export.lastStatus, "completed");
    assert.equal(row.export.running, false);
    assert.equal(row.export.failedItems, 0);
    const detail = (await ops(`/ops/api/companies/${encodeURIComponent(subject)}`)).body;
    assert.equal(detail.exports.jobs[0].id, jobId);
    assert.equal(detail.exports.jobs[0].exported, 3);
    // As GET /export/jobs shows them to the company's own browser.
    const own = await customer.json("/export/jobs", { headers: { "X-Pleo-Company": subject } });
    assert.deepEqual(detail.exports, own.body);
  });

  test("a revoke at the stand-in, then a refresh: 409 connection_expired, the row shows needs_reconnect and the filter finds it", async () => {
    const subject = subjectOf(2);
    const revoked = await fetch(`${stack.info.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });
    assert.equal(revoked.status, 200);
    const r = await ops(`/ops/api/companies/${encodeURIComponent(subject)}/refresh`, { method: "POST" });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error, "connection_expired");
    const attention = await ops("/ops/api/companies?status=needs_reconnect");
    assert.deepEqual(
      attention.body.companies.map((c) => c.subject),
      [subject],
    );
    assert.equal(attention.body.companies[0].expiresAt, null, "no token left");
    assert.equal(attention.body.companies[0].keepAliveAt, null, "no keep-alive for a dead grant");
    assert.equal(attention.body.counts.needs_reconnect, 1);
    const active = await allPages("status=active&limit=1");
    assert.ok(!active.subjects.includes(subject));
    assert.equal(active.subjects.length, stack.info.companies.length - 1);
    const searched = await ops(
      `/ops/api/companies?status=needs_reconnect&q=${encodeURIComponent(stack.info.companies[2].name.toLowerCase())}`,
    );
    assert.deepEqual(
      searched.body.companies.map((c) => c.subject),
      [subject],
    );
  });

  test("disconnect: as /auth/disconnect, for any company; the row goes, the customer loses it", async () => {
    const subject = subjectOf(3);
    const r = await ops(`/ops/api/companies/${encodeURIComponent(subject)}/disconnect`, { method: "POST" });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.disconnected, subject);
    assert.equal(r.body.ended, true);
    const listed = await ops("/ops/api/companies");
    assert.ok(!listed.body.companies.some((c) => c.subject === subject));
    assert.equal(listed.body.counts.total, stack.info.companies.length - 1);
    assert.equal((await ops(`/ops/api/companies/${encodeURIComponent(subject)}`)).status, 404);
    const session = await customer.json("/auth/session");
    assert.ok(!session.body.connections.some((c) => c.subject === subject));
  });

  test("the /ops/ page in headless Chromium: token once, a company row, the detail drawer", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(`${stack.base}/ops/`);
      await page.fill("#token-input", "wrong-token-wrong-token");
      await page.click("#token-form button[type=submit]");
      await page.waitForSelector("#token-error:not([hidden])");
      assert.match(await page.textContent("#token-error"), /refused/);
      errors.length = 0; // the browser logs the refused request's 401; nothing else may fail from here
      await page.fill("#token-input", OPS_TOKEN);
      await page.click("#token-form button[type=submit]");
      const row = page.locator(`#rows tr[data-subject="${subjectOf(1)}"]`);
      await row.waitFor();
      assert.match(await row.textContent(), new RegExp(stack.info.companies[1].name.replace(/[.*+?^${}()|[\]\\&]/g, "\\$&")));
      // needs_reconnect first on the page, with its chip.
      const first = page.locator("#rows tr").first();
      assert.equal(await first.getAttribute("data-subject"), subjectOf(2));
      assert.match(await first.textContent(), /Needs reconnect/);
      // The needs-attention filter.
      await page.click('.chip-filter[data-status="needs_reconnect"]');
      await page.waitForFunction(() => document.querySelectorAll("#rows tr").length === 1);
      await page.click('.chip-filter[data-status=""]');
      await row.waitFor();
      await row.click();
      await page.waitForSelector("#detail:not([hidden])");
      await page.waitForFunction((name) => document.getElementById("detail-name").textContent === name, stack.info.companies[1].name);
      assert.ok((await page.locator("#detail-history li").count()) >= 1);
      // The token stays in this tab (sessionStorage), never in a URL or a cookie.
      assert.equal(await page.evaluate(() => sessionStorage.getItem("pleo-oauth.ops-token")), OPS_TOKEN);
      assert.ok(!page.url().includes(OPS_TOKEN));
      assert.ok(!(await context.cookies()).some((c) => c.value.includes(OPS_TOKEN)));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test("no access or refresh token and no client secret in any /ops answer", async () => {
    assert.ok(stack.tokens.size > 0, "the recorder saw tokens");
    assert.ok(answers.length > 30);
    for (const text of answers) assert.deepEqual(leakedSecrets(text, stack), [], text.slice(0, 200));
  });
});

test("without OPS_TOKEN, /ops/* is 404 (the page and the API)", async () => {
  const app = createWorker();
  const { OPS_TOKEN: _drop, ...env } = stack.env;
  for (const path of ["/ops", "/ops/", "/ops/ops.js", "/ops/api/companies"]) {
    const response = await app.fetch(
      new Request(new URL(path, stack.base), { headers: { Authorization: `Bearer ${OPS_TOKEN}` } }),
      env,
      {},
    );
    assert.equal(response.status, 404, path);
    assert.equal((await response.json()).error, "not_found");
  }
  // With the token set, "/ops" leads to the page.
  const bare = await app.fetch(new Request(new URL("/ops", stack.base)), stack.env, {});
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get("Location"), "/ops/");
  // Too short a token is a configuration error, not a weak lock.
  const short = await app.fetch(
    new Request(new URL("/ops/api/companies", stack.base), { headers: { Authorization: "Bearer short" } }),
    { ...env, OPS_TOKEN: "short" },
    {},
  );
  assert.equal(short.status, 500);
  assert.equal((await short.json()).error, "server_misconfigured");
});

test("docs/OPERATIONS.md: the Cloudflare Access guard (jose) in front of /ops refuses a missing, foreign or wrongly signed assertion", async () => {
  const docs = readFileSync(path.join(root, "docs", "OPERATIONS.md"), "utf8");
  const [, code] = /<!-- example: ops-access -->\s*```js\n([\s\S]*?)```/.exec(docs) ?? [];
  assert.ok(code, "the example block is in docs/OPERATIONS.md");
  // Access's signing keys, served where Access serves them (/cdn-cgi/access/certs).
  const access = await generateKeyPair("RS256");
  const stranger = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(access.publicKey)), kid: "access-1", alg: "RS256", use: "sig" };
  const certs = http.createServer((req, res) => {
    res.writeHead(req.url === "/cdn-cgi/access/certs" ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => certs.listen(0, "127.0.0.1", resolve));
  const team = `http://127.0.0.1:${certs.address().port}`;
  const dir = await mkdtemp(path.join(tmpdir(), "ops-access-"));
  try {
    const file = path.join(dir, "access-worker.mjs");
    await writeFile(
      file,
      code
        .replace('"pleo-oauth/worker"', JSON.stringify(pathToFileURL(path.join(root, "worker", "create-worker.js")).href))
        .replace('"jose"', JSON.stringify(import.meta.resolve("jose"))),
    );
    const app = (await import(pathToFileURL(file).href)).default;
    const env = { ...stack.env, ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: "aud-ops" };
    const assertion = (key, { aud = "aud-ops", iss = team } = {}) =>
      new SignJWT({ email: "support@partner.example" })
        .setProtectedHeader({ alg: "RS256", kid: "access-1" })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(key);
    const call = async (headers, query = "") => {
      const response = await app.fetch(new Request(`${stack.base}/ops/api/companies${query}`, { headers }), env, {});
      return { status: response.status, body: await response.json() };
    };
    const bearer = { Authorization: `Bearer ${OPS_TOKEN}` };
    assert.equal((await call(bearer)).status, 403, "no assertion");
    assert.equal(
      (await call({ ...bearer, "Cf-Access-Jwt-Assertion": await assertion(access.privateKey, { aud: "another-app" }) })).status,
      403,
      "another application's audience",
    );
    assert.equal(
      (await call({ ...bearer, "Cf-Access-Jwt-Assertion": await assertion(stranger.privateKey) })).status,
      403,
      "not signed by Access",
    );
    const refused = await call({
      ...bearer,
      "Cf-Access-Jwt-Assertion": await assertion(access.privateKey, { iss: "https://other.cloudflareaccess.com" }),
    });
    assert.deepEqual([refused.status, refused.body.error], [403, "access_required"], "another team");
    // A valid assertion reaches the console's own checks: the operator token, then the query.
    const signedIn = await assertion(access.privateKey);
    assert.equal(
      (await call({ Authorization: "Bearer wrong-token-wrong-token", "Cf-Access-Jwt-Assertion": signedIn })).body.error,
      "ops_unauthorized",
    );
    assert.equal((await call({ ...bearer, "Cf-Access-Jwt-Assertion": signedIn }, "?limit=abc")).body.error, "invalid_request");
  } finally {
    certs.close();
    certs.closeAllConnections();
    await rm(dir, { recursive: true, force: true });
  }
});

describe("the summary row follows background work (webhooks, automatic exports)", { timeout: 180_000 }, () => {
  let exportStack;
  before(async () => {
    exportStack = await startExportStack({ env: { OPS_TOKEN } });
  });
  after(() => exportStack?.close());

  test("a Pleo export job: the signed webhook is accepted (lastWebhookAt) and the run it starts shows as running, then completed", async () => {
    const { subject } = await exportStack.connectedClient(1);
    const row = async () => {
      const response = await fetch(`${exportStack.base}/ops/api/companies?q=${encodeURIComponent(subject)}`, {
        headers: { Authorization: `Bearer ${OPS_TOKEN}` },
      });
      return (await response.json()).companies[0];
    };
    const before = await row();
    assert.equal(before.lastWebhookAt, null);
    const { jobId } = exportStack.standin.createExportJob({ company: subject, entries: 4 });
    const done = await waitFor(
      async () => {
        const r = await row();
        return r.lastWebhookAt !== null && r.export.lastJobId === jobId && r.export.lastStatus === "completed" && !r.export.running
          ? r
          : null;
      },
      { what: "the row after the webhook and the run", timeoutMs: 60_000 },
    );
    assert.ok(done.lastWebhookAt >= before.connectedAt);
    assert.equal(done.export.failedItems, 0);
    assert.equal(done.export.gaveUp, 0);
  });
});

test("the Node adapter (in-memory store) pages the same listing: startAfter, status index, search", async () => {
  const nodeStack = await startStack({ runtime: "node", accessTtl: 3600, extraEnv: { OPS_TOKEN } });
  try {
    const browser = new WorkerClient(nodeStack.base);
    for (let i = 0; i < 3; i++) await browser.connect({ company: i });
    const get = async (query) =>
      (await fetch(`${nodeStack.base}/ops/api/companies?${query}`, { headers: { Authorization: `Bearer ${OPS_TOKEN}` } })).json();
    const seen = [];
    let cursor = null;
    do {
      const page = await get(`limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      assert.ok(page.companies.length <= 1);
      seen.push(...page.companies.map((c) => c.subject));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen.sort(),
      nodeStack.info.companies
        .slice(0, 3)
        .map((c) => c.subject)
        .sort(),
    );
    assert.equal((await get("status=active")).companies.length, 3);
    assert.deepEqual(
      (await get(`q=${encodeURIComponent(nodeStack.info.companies[0].name)}`)).companies.map((c) => c.subject),
      [nodeStack.info.companies[0].subject],
    );
  } finally {
    await nodeStack.close();
  }
});

test("summaryOf: the connection's own fields, the export feature's part (failed items, runs that gave up), the account, never a token", async () => {
  const { NO_EXPORT, noteSummaryFacts, summaryOf } = await import("../../worker/store/directory-summary.js");
  const { exportConnection } = await import("../../worker/export/connection.js");
  const data = new Map();
  const storage = {
    get: async (k) => (Array.isArray(k) ? new Map(k.filter((x) => data.has(x)).map((x) => [x, data.get(x)])) : data.get(k)),
    put: async (k, v) => data.set(k, v),
  };
  const tokens = { accessToken: "at-secret", refreshToken: "rt-secret", expiresAt: 123 };
  const conn = {
    record: { subject: "urn:pleo:company:x", name: "X", status: "active", scopes: ["a"], connectedAt: 1, refreshedAt: 2, tokens },
    accounts: { "acct-1": 5 },
    storage,
    scheduler: { next: async (name) => (name === "keepalive" ? 999 : null) },
  };
  const exportPart = [() => exportConnection.summary({ storage })];
  data.set("export:jobs", ["j2", "j1"]);
  data.set("export:job:j2", { id: "j2", status: "completed_with_errors", failed: 3 });
  data.set("export:job:j1", { id: "j1", status: "completed", failed: 0 });
  data.set("export:gaveUp", 2); // written by the runner with each run that gave up
  await noteSummaryFacts(conn, { webhookAt: 77 });
  const row = await summaryOf(conn, exportPart);
  assert.deepEqual(row, {
    subject: "urn:pleo:company:x",
    name: "X",
    status: "active",
    account: "acct-1",
    scopes: ["a"],
    connectedAt: 1,
    refreshedAt: 2,
    expiresAt: 123,
    keepAliveAt: 999,
    lastWebhookAt: 77,
    export: { lastJobId: "j2", lastStatus: "completed_with_errors", running: false, failedItems: 3, gaveUp: 2 },
  });
  assert.ok(!JSON.stringify(row).includes("secret"));
  // Without the export feature the row keeps its shape, with nothing to report.
  assert.deepEqual((await summaryOf(conn)).export, NO_EXPORT);
  data.set("export:run", { jobId: "j3" });
  conn.record = { ...conn.record, status: "needs_reconnect", tokens: null };
  const stale = await summaryOf(conn, exportPart);
  assert.equal(stale.export.running, true);
  assert.equal(stale.keepAliveAt, null, "no keep-alive without a usable grant");
  assert.equal(stale.expiresAt, null);
});

test("the directory keeps a feature's own fields of the row (summary hooks), as the company's object built it", async () => {
  const { DirectoryObject } = await import("../../worker/store/directory-object.js");
  const { MapStorage } = await import("./helpers/map-storage.mjs");
  const directory = new DirectoryObject({ storage: new MapStorage() }, {});
  const row = (n, extra = {}) => ({
    subject: `urn:pleo:company:${n}`,
    name: `Company ${n}`,
    status: "active",
    scopes: [],
    lastWebhookAt: null,
    export: { lastJobId: null, lastStatus: null, running: false, failedItems: 0, gaveUp: 0 },
    ...extra,
  });
  await directory.remember(row(1, { invoices: { unsent: 3 } }));
  await directory.remember(row(2));
  const stored = await directory.row({ subject: "urn:pleo:company:1" });
  assert.deepEqual(stored.invoices, { unsent: 3 });
  assert.equal(typeof stored.updatedAt, "number");
  const { rows } = await directory.page({ limit: 10 });
  assert.deepEqual(
    rows.map((r) => [r.subject, r.invoices ?? null]),
    [
      ["urn:pleo:company:1", { unsent: 3 }],
      ["urn:pleo:company:2", null],
    ],
  );
});
