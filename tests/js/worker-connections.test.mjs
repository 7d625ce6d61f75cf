// Connections that belong to a company, not to a browser (issue #9): one
// token set per company shared by every browser session and background job,
// logout vs disconnect, 403 for a company not held, needs_reconnect and
// Reconnect in place, the keep-alive alarm, 429 passed on, the per-isolate
// cache's staleness bound, the background API and the Node adapter's body
// limit. Real parts: the stand-in over HTTP, workerd through miniflare (and
// the Node adapter where two "isolates" share one store).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { WorkerClient, freePort, sleep, startStack } from "./helpers/worker-harness.mjs";

const ACCESS_TTL_SECONDS = 2;

function assertError(result, status, code) {
  assert.equal(result.status, status, `expected ${status} ${code}, got ${result.status} ${result.text}`);
  assert.equal(result.body?.error, code, result.text);
}

async function sessionOf(browser) {
  return (await browser.json("/auth/session")).body;
}

/** An API-side proxy in front of the stand-in's API that can answer 429 with Retry-After. */
async function startRateLimitingProxy(info) {
  const state = { limit: false };
  const server = http.createServer(async (req, res) => {
    if (state.limit) {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
      res.end('{"type":"TOO_MANY_REQUESTS","message":"slow down"}');
      return;
    }
    // The harness routes the token and revocation endpoints through here too.
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const origin = req.url.startsWith("/oauth/") ? info.issuer : info.apiBaseUrl;
    const headers = {};
    for (const name of ["authorization", "content-type", "accept"]) if (req.headers[name]) headers[name] = req.headers[name];
    const upstream = await fetch(new URL(req.url, origin), {
      method: req.method,
      headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : Buffer.concat(chunks),
      redirect: "manual",
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    proxiesApi: true,
    tokens: new Set(),
    state,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("company connections on workerd", () => {
  let stack;
  before(async () => {
    stack = await startStack({
      runtime: "workerd",
      accessTtl: ACCESS_TTL_SECONDS,
      timeoutMs: 1500,
      startRecorder: startRateLimitingProxy,
    });
  });
  after(async () => {
    await stack?.close();
  });

  test("two browsers connecting one company share one token set: 50 concurrent calls on 2-second tokens all succeed, grantsRevoked 0, refreshes ≈ expiries", async () => {
    const a = new WorkerClient(stack.base);
    const b = new WorkerClient(stack.base);
    await a.connect({ company: 0 });
    await b.connect({ company: 0 });
    const [sa, sb] = [await sessionOf(a), await sessionOf(b)];
    assert.equal(sa.connections.length, 1);
    assert.equal(sa.connections[0].subject, sb.connections[0].subject);
    assert.equal(sa.connections[0].expiresAt, sb.connections[0].expiresAt, "both sessions see the same token set");
    assert.equal(sa.connections[0].connectedAt, sb.connections[0].connectedAt, "B's connect replaced the tokens in place");
    assert.ok(sb.connections[0].reconnectedAt >= sa.connections[0].connectedAt);

    stack.standin.resetStats();
    const started = Date.now();
    const waves = 3;
    for (let wave = 0; wave < waves; wave++) {
      const { connections } = await sessionOf(a);
      await sleep(Math.max(0, connections[0].expiresAt - Date.now() - 300));
      const calls = Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).api("/v1/introspect"));
      const results = await Promise.all(calls);
      const failures = results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`);
      assert.deepEqual(failures, [], `wave ${wave}: every call from both browsers succeeds`);
    }
    const elapsed = Date.now() - started;
    const stats = stack.standin.stats();
    assert.equal(stats.grantsRevoked, 0, "no refresh token was ever reused");
    assert.equal(stats.maxTokenInFlight, 1, "never two token requests at once");
    const expiries = Math.ceil(elapsed / (ACCESS_TTL_SECONDS * 1000));
    assert.ok(stats.refreshes >= waves, `refreshed at least once per wave (${stats.refreshes})`);
    assert.ok(stats.refreshes <= expiries + 2, `refreshes (${stats.refreshes}) ≈ expiries (${expiries}), not one per browser`);
    await a.post("/auth/logout");
    await b.post("/auth/logout");
  });

  test("logout in one browser leaves the other working; disconnect in one ends the company for both; a company not connected by this session is 403", async () => {
    const a = new WorkerClient(stack.base);
    const b = new WorkerClient(stack.base);
    const c = new WorkerClient(stack.base);
    await a.connect({ company: 1 });
    await b.connect({ company: 1 });
    await c.connect({ company: 2 });
    const company1 = stack.info.companies[1].subject;
    const company2 = stack.info.companies[2].subject;

    // C holds company 2 only: asking for company 1 by header or query is 403.
    for (const init of [{ headers: { "X-Pleo-Company": company1 } }, {}]) {
      const path = init.headers ? "/v1/introspect" : `/v1/introspect?company=${encodeURIComponent(company1)}`;
      assertError(await c.api(path, init), 403, "company_not_allowed");
    }
    assertError(await c.post("/auth/refresh", { headers: { "X-Pleo-Company": company1 } }), 403, "company_not_allowed");
    assertError(await c.post("/auth/disconnect", { headers: { "X-Pleo-Company": company1 } }), 403, "company_not_allowed");
    assert.equal((await a.api("/v1/introspect")).status, 200, "C's attempts changed nothing for A");

    const logout = await a.post("/auth/logout");
    assert.equal(logout.status, 200);
    assertError(await a.api("/v1/introspect"), 401, "no_session");
    const stillB = await b.api("/v1/introspect");
    assert.equal(stillB.status, 200, "B is unaffected by A's logout");
    assert.equal(stillB.body.data.subjectURN, company1);

    // A connects again, then B disconnects the company: both lose it at once.
    await a.connect({ company: 1 });
    assert.equal((await a.api("/v1/introspect")).status, 200);
    const revocationsBefore = stack.standin.stats().revocationRequests;
    const disconnect = await b.post("/auth/disconnect");
    assert.equal(disconnect.status, 200, disconnect.text);
    assert.equal(disconnect.body.disconnected, company1);
    assert.ok(stack.standin.stats().revocationRequests > revocationsBefore, "revoked where the provider has an endpoint");
    assertError(await a.api("/v1/introspect"), 401, "no_connection");
    assert.equal((await sessionOf(a)).connections.length, 0, "A's session no longer lists it");
    assert.equal((await sessionOf(b)).connected, false);
    assert.equal((await c.api("/v1/introspect")).body.data.subjectURN, company2, "other companies are untouched");
    await c.post("/auth/disconnect");
  });

  test("invalid_grant → needs_reconnect for every browser (record kept, tokens dropped); Reconnect from one browser restores it in place for both", async () => {
    const a = new WorkerClient(stack.base);
    const b = new WorkerClient(stack.base);
    await a.connect({ company: 3 });
    await b.connect({ company: 3 });
    const before = (await sessionOf(a)).connections[0];
    stack.standin.setFaults({ tokenError200: "invalid_grant" });
    try {
      assertError(await a.post("/auth/refresh"), 401, "connection_expired");
    } finally {
      stack.standin.setFaults(null);
    }
    for (const browser of [a, b]) {
      const session = await sessionOf(browser);
      assert.equal(session.connected, false);
      assert.equal(session.connections[0].status, "needs_reconnect");
      assert.equal(session.connections[0].name, before.name, "name kept");
      assert.equal(session.connections[0].connectedAt, before.connectedAt, "history kept");
      assertError(await browser.api("/v1/introspect"), 401, "connection_expired");
    }
    // Reconnect: /auth/login with the company as subject hint.
    const subject = stack.info.companies[3].subject;
    const { completeAuthorization } = await import("../../dev/standin/index.mjs");
    const hinted = await b.fetch(`/auth/login?return_to=%2F&company=${encodeURIComponent(subject)}`);
    const hintedUrl = new URL(hinted.headers.get("location"));
    assert.equal(hintedUrl.searchParams.get("urn_pleo_params_oauth_subject"), subject);
    const callback = await b.fetch(await completeAuthorization(hintedUrl.href, { company: 3 }));
    assert.equal(callback.status, 302);
    for (const browser of [a, b]) {
      const session = await sessionOf(browser);
      assert.equal(session.connections[0].status, "active", "restored for both browsers");
      assert.equal(session.connections[0].connectedAt, before.connectedAt, "same connection, replaced in place");
      assert.ok(session.connections[0].history.some((h) => h.event === "reconnected"));
      assert.equal((await browser.api("/v1/introspect")).status, 200);
    }
    await a.post("/auth/disconnect");
  });

  test("a 429 from Pleo is passed on with its Retry-After", async () => {
    const a = new WorkerClient(stack.base);
    await a.connect({ company: 0 });
    stack.recorder.state.limit = true;
    let result;
    try {
      result = await a.api("/v2/employees");
    } finally {
      stack.recorder.state.limit = false;
    }
    assertError(result, 429, "pleo_rate_limited");
    assert.equal(result.headers.get("retry-after"), "7");
    assert.equal((await a.api("/v2/employees")).status, 200);
    await a.post("/auth/logout");
  });

  test("connecting a second company keeps the first: the login transaction carries the session even when the callback arrives without the session cookie", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 0 });
    const firstCookie = browser.cookies.get("__Host-pleo_session").value;
    const { completeAuthorization } = await import("../../dev/standin/index.mjs");
    const authorizeUrl = await browser.startLogin("/");
    const callbackUrl = new URL(await completeAuthorization(authorizeUrl, { company: 2 }));
    // A cross-site redirect from Pleo: SameSite=Strict keeps the session cookie home.
    const login = browser.cookies.get("__Host-pleo_login").value;
    const callback = await browser.fetch(`${callbackUrl.pathname}${callbackUrl.search}`, {
      headers: { cookie: `__Host-pleo_login=${login}` },
    });
    assert.equal(callback.status, 302);
    const session = await sessionOf(browser);
    assert.deepEqual(
      session.connections.map((c) => c.subject),
      [stack.info.companies[2].subject, stack.info.companies[0].subject],
    );
    // The earlier session id was rotated away: its cookie does not linger with access.
    const stale = await browser.api("/v1/introspect", { headers: { cookie: `__Host-pleo_session=${firstCookie}` } });
    assertError(stale, 401, "no_session");
    await browser.post("/auth/logout");
  });
});

describe("keep-alive alarm on workerd", () => {
  let stack;
  before(async () => {
    stack = await startStack({ runtime: "workerd", accessTtl: 3600, timeoutMs: 1500, extraEnv: { KEEPALIVE_SECONDS: "2" } });
  });
  after(async () => {
    await stack?.close();
  });

  test("an idle connection's refresh token is refreshed by the alarm after KEEPALIVE (seconds in tests), with no browser involved", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 1 });
    const before = stack.standin.stats().refreshes;
    const connectedAt = Date.now();
    let refreshed = 0;
    while (Date.now() - connectedAt < 12_000) {
      await sleep(500);
      refreshed = stack.standin.stats().refreshes - before;
      if (refreshed >= 2) break;
    }
    assert.ok(refreshed >= 2, `the alarm refreshed the idle connection repeatedly (${refreshed} refreshes)`);
    const session = await sessionOf(browser);
    assert.equal(session.connections[0].status, "active");
    assert.ok(
      session.connections[0].history.some((h) => h.event === "keep-alive refresh"),
      JSON.stringify(session.connections[0].history),
    );
    assert.equal(stack.standin.stats().grantsRevoked, 0);
    assert.equal((await browser.api("/v1/introspect")).status, 200);
    await browser.post("/auth/disconnect");
    const afterDisconnect = stack.standin.stats().refreshes;
    await sleep(3000);
    assert.equal(stack.standin.stats().refreshes, afterDisconnect, "a disconnected company's alarm is gone");
  });
});

describe("Node adapter: two worker instances on one store, background API, body limit", () => {
  let stack;
  let second;
  before(async () => {
    const { createMemoryStore } = await import("../../worker/store/memory.js");
    const store = createMemoryStore();
    stack = await startStack({ runtime: "node", accessTtl: 60, timeoutMs: 1500, extraEnv: { ACCESS_CACHE_MS: "1500" }, store });
    // A second "isolate": its own createWorker() instance (own cache) on the same objects.
    const { createWorker } = await import("../../worker/create-worker.js");
    const { startNodeWorker } = await import("../../worker/local/node.mjs");
    second = await startNodeWorker({ env: stack.env, port: await freePort(), app: createWorker(), store });
  });
  after(async () => {
    await second?.close();
    await stack?.close();
  });

  test("logout and disconnect take effect in another isolate within ACCESS_CACHE_MS, and at once in the isolate that saw them", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 0 });
    const elsewhere = new WorkerClient(second.url);
    elsewhere.cookies = browser.cookies; // the same browser cookie reaching another isolate
    assert.equal((await elsewhere.api("/v1/introspect")).status, 200, "warms the other isolate's cache");
    const cookie = browser.cookieHeader();
    await browser.post("/auth/logout");
    assertError(await browser.api("/v1/introspect", { headers: { cookie } }), 401, "no_session");
    const loggedOutAt = Date.now();
    let lastStatus = 200;
    // The bound is ACCESS_CACHE_MS (1500 ms here); the slack is for one slow request on a loaded machine.
    while (Date.now() - loggedOutAt < 1500 + 3000) {
      lastStatus = (await elsewhere.api("/v1/introspect", { headers: { cookie } })).status;
      if (lastStatus === 401) break;
      await sleep(100);
    }
    assert.equal(lastStatus, 401, "the other isolate refuses the logged-out session within the bound");
    assert.ok(Date.now() - loggedOutAt <= 1500 + 1000, `within ACCESS_CACHE_MS (${Date.now() - loggedOutAt} ms)`);

    // Disconnect: the same bound for a session that still names the company.
    const b = new WorkerClient(stack.base);
    await b.connect({ company: 0 });
    const bElsewhere = new WorkerClient(second.url);
    bElsewhere.cookies = b.cookies;
    const bCookie = b.cookieHeader();
    assert.equal((await bElsewhere.api("/v1/introspect")).status, 200);
    await b.post("/auth/disconnect");
    const disconnectedAt = Date.now();
    let status = 200;
    while (Date.now() - disconnectedAt < 1500 + 3000) {
      status = (await bElsewhere.api("/v1/introspect", { headers: { cookie: bCookie } })).status;
      if (status === 401) break;
      await sleep(100);
    }
    assert.equal(status, 401);
    assert.ok(Date.now() - disconnectedAt <= 1500 + 1000, `within ACCESS_CACHE_MS (${Date.now() - disconnectedAt} ms)`);
  });

  test("background access: connections.use() and list() work without any browser and share the company's token set", async () => {
    const { createConnections } = await import("../../worker/store/connections.js");
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 2 });
    const subject = stack.info.companies[2].subject;
    const connections = createConnections(stack.worker.env);
    const listed = await connections.list();
    assert.ok(
      listed.some((c) => c.subject === subject && c.status === "active"),
      JSON.stringify(listed),
    );
    await browser.post("/auth/logout"); // the browser leaves; the connection stays
    const body = await connections.use(subject, async ({ api }) => (await api("/v1/introspect")).json());
    assert.equal(body.data.subjectURN, subject);
    const described = await connections.describe(subject);
    assert.equal(described.status, "active");
    assert.ok(!JSON.stringify(described).includes("Token"), "no tokens in describe()");
    await assert.rejects(
      connections.use(stack.info.companies[4]?.subject ?? "urn:pleo:company:none", async () => {}),
      (err) => err.code === "no_connection",
    );
    await connections.disconnect(subject);
    assert.ok(!(await connections.list()).some((c) => c.subject === subject));
  });

  test("the Node adapter answers 413 (not 500) for a body over 2 MiB", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 0 });
    const big = "x".repeat(2 * 1024 * 1024 + 10);
    const result = await browser.api("/v3/export-jobs", { method: "POST", body: big, headers: { "Content-Type": "application/json" } });
    assertError(result, 413, "body_too_large");
    await browser.post("/auth/logout");
  });
});
