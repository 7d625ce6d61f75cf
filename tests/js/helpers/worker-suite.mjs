// The edge worker's behaviour, run once per runtime (worker.test.mjs on
// workerd via miniflare, worker-node.test.mjs on the Node adapter) against
// the Pleo stand-in over real HTTP.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WorkerClient, leakedSecrets, sleep, startStack } from "./worker-harness.mjs";

const ACCESS_TTL_SECONDS = 2;
const TIMEOUT_MS = 1000;

function assertJsonError(result, status, code) {
  assert.equal(result.status, status, `expected ${status} ${code}, got ${result.status} ${result.text}`);
  assert.equal(typeof result.body, "object", `error body is JSON: ${result.text}`);
  assert.equal(result.body.error, code, result.text);
  assert.equal(typeof result.body.message, "string");
  assert.match(result.headers.get("content-type"), /^application\/json/);
}

function assertNoCors(headers) {
  assert.equal(headers.get("access-control-allow-origin"), null);
  assert.equal(headers.get("access-control-allow-credentials"), null);
}

export function defineWorkerSuite(runtime) {
  describe(`edge worker on ${runtime}`, () => {
    let stack;
    before(async () => {
      stack = await startStack({ runtime, accessTtl: ACCESS_TTL_SECONDS, timeoutMs: TIMEOUT_MS });
    });
    after(async () => {
      await stack?.close();
    });

    test("full flow: login → consent → callback → session → API → logout", async () => {
      const browser = new WorkerClient(stack.base);

      // GET /auth/login: 302 to Pleo's authorize URL with S256 PKCE and a sealed login cookie.
      const authorizeUrl = await browser.startLogin("/after-login?tab=1");
      const authorize = new URL(authorizeUrl);
      assert.equal(`${authorize.origin}${authorize.pathname}`, stack.info.authorizationEndpoint);
      assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
      assert.equal(authorize.searchParams.get("redirect_uri"), stack.redirectUri);
      assert.ok(authorize.searchParams.get("state").length >= 22);
      const login = browser.cookies.get("__Host-pleo_login");
      assert.ok(login, "login-transaction cookie set");
      for (const attr of ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"])
        assert.ok(login.attributes.includes(attr), `${attr} on ${login.raw}`);
      assert.ok(!/domain=/i.test(login.raw));
      assert.ok(!login.value.includes(authorize.searchParams.get("state")), "the cookie is encrypted, not plain JSON");

      const { completeAuthorization } = await import("../../../dev/standin/index.mjs");
      const callbackUrl = await completeAuthorization(authorizeUrl, { company: 0 });
      const callback = await browser.fetch(callbackUrl);
      assert.equal(callback.status, 302);
      assert.equal(callback.headers.get("location"), "/after-login?tab=1");
      assert.equal(callback.headers.get("referrer-policy"), "no-referrer");
      assert.equal(callback.headers.get("cache-control"), "no-store");
      assert.equal(browser.cookies.has("__Host-pleo_login"), false, "login cookie is single use and cleared");
      const session = browser.cookies.get("__Host-pleo_session");
      assert.ok(session, "session cookie set");
      for (const attr of ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"])
        assert.ok(session.attributes.includes(attr), `${attr} on ${session.raw}`);
      assert.ok(!/domain=/i.test(session.raw));

      const info = await browser.json("/auth/session");
      assert.equal(info.status, 200);
      assert.equal(info.headers.get("cache-control"), "no-store");
      assert.equal(info.body.connected, true);
      assert.equal(info.body.connections.length, 1);
      const [connection] = info.body.connections;
      assert.equal(connection.subject, stack.info.companies[0].subject);
      assert.equal(connection.name, stack.info.companies[0].name);
      assert.ok(connection.scopes.includes("users:read"));
      assert.ok(connection.expiresAt > Date.now());
      assert.deepEqual(leakedSecrets(info.text, stack), [], "no token or secret in /auth/session");
      assert.ok(stack.tokens.size >= 2, "the recorder saw the tokens");

      const companyId = connection.subject.split(":").pop();
      for (const path of ["/v1/introspect", "/v2/employees", "/v1/companies", `/v3/export-jobs?company_id=${companyId}`]) {
        const result = await browser.api(path);
        assert.equal(result.status, 200, `${path}: ${result.text}`);
        assert.equal(result.headers.get("cache-control"), "no-store");
        assertNoCors(result.headers);
        assert.deepEqual(leakedSecrets(result.text, stack), []);
        assert.ok(result.body.data, path);
      }

      // Logout ends this browser's session only: the company stays connected
      // (for other browsers and background work), so nothing is revoked.
      const before = stack.standin.stats().revocationRequests;
      const sealedSession = browser.cookies.get("__Host-pleo_session").value;
      const logout = await browser.post("/auth/logout");
      assert.equal(logout.status, 200);
      assert.equal(logout.body.connected, false);
      assert.equal(browser.cookies.has("__Host-pleo_session"), false, "session cookie cleared");
      assert.equal(stack.standin.stats().revocationRequests, before, "logout revokes nothing");
      assertJsonError(await browser.api("/v1/introspect"), 401, "no_session");
      assert.equal((await browser.json("/auth/session")).body.connected, false);
      // A copy of the old cookie no longer works: the company forgot this session.
      const replay = await browser.api("/v1/introspect", { headers: { cookie: `__Host-pleo_session=${sealedSession}` } });
      assertJsonError(replay, 401, "no_session");
    });

    test("one session connects several companies; X-Pleo-Company or ?company= picks one", async () => {
      const browser = new WorkerClient(stack.base);
      await browser.connect({ company: 0 });
      await browser.connect({ company: 2 });
      const info = await browser.json("/auth/session");
      const subjects = info.body.connections.map((c) => c.subject);
      assert.deepEqual(subjects, [stack.info.companies[2].subject, stack.info.companies[0].subject], "newest first");
      assert.equal(info.body.connections[0].default, true);

      const byDefault = await browser.api("/v1/introspect");
      assert.equal(byDefault.body.data.subjectURN, stack.info.companies[2].subject);
      const byHeader = await browser.api("/v1/introspect", { headers: { "X-Pleo-Company": stack.info.companies[0].subject } });
      assert.equal(byHeader.body.data.subjectURN, stack.info.companies[0].subject);
      const byQuery = await browser.api(`/v1/introspect?company=${encodeURIComponent(stack.info.companies[0].subject)}`);
      assert.equal(byQuery.body.data.subjectURN, stack.info.companies[0].subject);
      // SECURITY.md: a company this session did not connect is 403, whatever names it.
      assertJsonError(
        await browser.api("/v1/introspect", { headers: { "X-Pleo-Company": stack.info.companies[1].subject } }),
        403,
        "company_not_allowed",
      );
      assertJsonError(
        await browser.api(`/v1/introspect?company=${encodeURIComponent(stack.info.companies[1].subject)}`),
        403,
        "company_not_allowed",
      );

      // Reconnecting a company replaces its connection instead of adding a second one.
      await browser.connect({ company: 0 });
      const again = await browser.json("/auth/session");
      assert.deepEqual(
        again.body.connections.map((c) => c.subject),
        [stack.info.companies[0].subject, stack.info.companies[2].subject],
      );

      // Disconnecting one company keeps the other.
      const one = await browser.post(`/auth/disconnect?company=${encodeURIComponent(stack.info.companies[0].subject)}`);
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.connected, true);
      const left = await browser.json("/auth/session");
      assert.deepEqual(
        left.body.connections.map((c) => c.subject),
        [stack.info.companies[2].subject],
      );
      assert.equal((await browser.api("/v1/introspect")).body.data.subjectURN, stack.info.companies[2].subject);
      const all = await browser.post("/auth/logout");
      assert.equal(all.body.connected, false);
    });

    test("50 concurrent API calls across 2-second token lifetimes: all succeed, one refresh at a time, no grant revoked", async () => {
      const browser = new WorkerClient(stack.base);
      await browser.connect({ company: 1 });
      stack.standin.resetStats();
      const refreshesBefore = stack.standin.stats().refreshes;
      const waves = 3;
      for (let wave = 0; wave < waves; wave++) {
        // Start each wave just inside the refresh window of the current token.
        const { body } = await browser.json("/auth/session");
        const expiresAt = body.connections[0].expiresAt;
        await sleep(Math.max(0, expiresAt - Date.now() - 300));
        const results = await Promise.all(Array.from({ length: 50 }, () => browser.api("/v1/introspect")));
        const failures = results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`);
        assert.deepEqual(failures, [], `wave ${wave}: every call succeeds`);
      }
      const stats = stack.standin.stats();
      assert.equal(stats.grantsRevoked, 0, "no refresh token was ever reused");
      assert.equal(stats.maxTokenInFlight, 1, "never two token requests at once");
      assert.ok(stats.refreshes - refreshesBefore >= waves, `refreshed once per wave (${stats.refreshes - refreshesBefore})`);
      assert.ok(stats.refreshes - refreshesBefore <= waves + 2, `not once per call (${stats.refreshes - refreshesBefore})`);
      assert.equal(stats.tokenErrors, 0);
      await browser.post("/auth/logout");
    });

    test("invalid_grant ends the connection cleanly and is never retried with the old refresh token", async () => {
      const browser = new WorkerClient(stack.base);
      const tokensBefore = new Set(stack.tokens);
      await browser.connect({ company: 3 });
      const issued = [...stack.tokens].filter((t) => !tokensBefore.has(t));
      // Revoke the authorisation behind the worker's back (as a Pleo admin would).
      const { info } = stack;
      const basic = Buffer.from(`${encodeURIComponent(info.clientId)}:${encodeURIComponent(info.clientSecret)}`).toString("base64");
      for (const token of issued) {
        await fetch(info.revocationEndpoint, {
          method: "POST",
          headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token }),
        });
      }
      const before = stack.standin.stats();
      const refresh = await browser.post("/auth/refresh");
      assertJsonError(refresh, 401, "connection_expired");
      const afterStats = stack.standin.stats();
      assert.equal(afterStats.tokenRequests - before.tokenRequests, 1, "exactly one refresh attempt, no retry");
      const session = await browser.json("/auth/session");
      assert.equal(session.body.connected, false, "no active connection left");
      assert.equal(session.body.connections[0].status, "needs_reconnect", "the record is kept, marked needs_reconnect");
      assert.equal(session.body.connections[0].refreshable, false, "its tokens were dropped");
      assertJsonError(await browser.api("/v1/introspect"), 401, "connection_expired");
      assert.equal(stack.standin.stats().tokenRequests, afterStats.tokenRequests, "an API call does not retry the dead refresh token");

      // An invalid_grant delivered with status 200 is judged the same way (pleo-oauth: token_error).
      await browser.connect({ company: 3 });
      assert.equal((await browser.json("/auth/session")).body.connections[0].status, "active", "Reconnect restores it");
      stack.standin.setFaults({ tokenError200: "invalid_grant" });
      try {
        assertJsonError(await browser.post("/auth/refresh"), 401, "connection_expired");
      } finally {
        stack.standin.setFaults(null);
      }
      assert.equal((await browser.json("/auth/session")).body.connected, false);
      await browser.post("/auth/disconnect");
    });

    test("stand-in faults give clean JSON errors and keep the session", async () => {
      const browser = new WorkerClient(stack.base);
      await browser.connect({ company: 0 });
      const faults = [
        [{ tokenStatus: 503 }, "pleo_unavailable"],
        [{ tokenStatus: 500 }, "pleo_unavailable"],
        [{ tokenHtmlError: true }, "pleo_unavailable"],
        [{ tokenHtmlError: 400 }, "pleo_error"],
        [{ tokenError200: true }, "pleo_error"],
        // Slower than the worker waits: the refresh still completes in the
        // background and its rotated token is kept (no reuse of the old one).
        [{ tokenDelayMs: TIMEOUT_MS + 500 }, "pleo_unavailable"],
        [{ tokenStallRate: 1, tokenStallMs: TIMEOUT_MS + 300 }, "pleo_unavailable"],
      ];
      for (const [fault, code] of faults) {
        let result;
        stack.standin.setFaults(fault);
        try {
          result = await browser.post("/auth/refresh");
        } finally {
          stack.standin.setFaults(null);
        }
        assertJsonError(result, 502, code);
        assert.deepEqual(leakedSecrets(result.text, stack), []);
        const session = await browser.json("/auth/session");
        assert.equal(session.body.connected, true, `still connected after ${JSON.stringify(fault)}`);
        // Pleo is back: within a few attempts (a slow refresh may still be in
        // flight) refreshing works again with the kept refresh token.
        let recovered;
        for (let attempt = 0; attempt < 4; attempt++) {
          recovered = await browser.post("/auth/refresh");
          if (recovered.status === 200) break;
          assertJsonError(recovered, 502, "pleo_unavailable");
        }
        assert.equal(recovered.status, 200, `recovers after ${JSON.stringify(fault)}: ${recovered.text}`);
      }
      for (const [fault, code] of [
        [{ apiStatus: 503 }, "pleo_unavailable"],
        [{ apiDelayMs: TIMEOUT_MS + 500 }, "pleo_unavailable"],
      ]) {
        stack.standin.setFaults(fault);
        try {
          assertJsonError(await browser.api("/v2/employees"), 502, code);
        } finally {
          stack.standin.setFaults(null);
        }
      }
      // Once Pleo is back, the kept refresh token still works: nothing was lost.
      const refresh = await browser.post("/auth/refresh");
      assert.equal(refresh.status, 200, refresh.text);
      assert.equal((await browser.api("/v2/employees")).status, 200);
      assert.equal(stack.standin.stats().grantsRevoked, 0);
      await browser.post("/auth/logout");
    });

    test("CSRF: /api/* and POST /auth/logout need X-Requested-With and a same-origin Origin", async () => {
      const browser = new WorkerClient(stack.base);
      await browser.connect({ company: 0 });
      assertJsonError(await browser.json("/api/v1/introspect"), 403, "csrf_rejected");
      assertJsonError(await browser.json("/auth/logout", { method: "POST" }), 403, "csrf_rejected");
      assertJsonError(await browser.api("/v1/introspect", { headers: { Origin: "https://evil.example" } }), 403, "csrf_rejected");
      assertJsonError(await browser.post("/auth/logout", { headers: { Origin: "null" } }), 403, "csrf_rejected");
      assertJsonError(await browser.api("/v1/introspect", { headers: { "Sec-Fetch-Site": "cross-site" } }), 403, "csrf_rejected");
      const ok = await browser.api("/v1/introspect", { headers: { Origin: stack.base } });
      assert.equal(ok.status, 200);
      assertNoCors(ok.headers);
      assert.equal((await browser.json("/auth/session")).body.connected, true, "the rejected logouts did nothing");
      assert.equal((await browser.json("/auth/logout")).status, 405, "logout is POST only");
      await browser.post("/auth/logout");
    });

    test("the API proxy only reaches allow-listed paths on the API host", async () => {
      const browser = new WorkerClient(stack.base);
      await browser.connect({ company: 0 });
      const before = stack.standin.stats().apiRequests;
      const attempts = [
        "/api/v1/users",
        "/api/oauth/token",
        "/api/v1/introspect/../../oauth/token",
        "/api/v2/employees/%2e%2e/%2e%2e/oauth/token",
        "/api/v2/employees/..%2f..%2foauth",
        "/api/v2/employees%5c..%5coauth",
        "/api//evil.example/v1/introspect",
        "/api/http://evil.example/v1/introspect",
        "/api/v2/employees/x%00y",
        "/api/__standin/stats",
      ];
      for (const path of attempts) {
        const result = await browser.json(path, { headers: { "X-Requested-With": "test" } });
        assert.ok([403, 404].includes(result.status), `${path} → ${result.status} ${result.text}`);
        assert.notEqual(result.status, 200);
      }
      // A raw backslash and a DELETE on a read-only path.
      const backslash = await fetch(`${stack.base}/api/v2/employees\\..\\..\\oauth`, {
        headers: { "X-Requested-With": "test", cookie: browser.cookieHeader() },
      });
      assert.ok([403, 404].includes(backslash.status), `backslash → ${backslash.status}`);
      assert.equal((await browser.api("/v2/employees", { method: "DELETE" })).status, 405);
      assert.equal(stack.standin.stats().apiRequests, before, "nothing reached the API");

      // Cookies of the browser never go upstream; the response carries no Set-Cookie from Pleo.
      const ok = await browser.api("/v1/introspect");
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("set-cookie"), null);
      await browser.post("/auth/logout");
    });

    test("return_to accepts only same-origin relative paths", async () => {
      const cases = [
        ["//evil.example/", "/"],
        ["/\\evil.example/", "/"],
        ["/%2F%2Fevil.example", "/"],
        ["/%5Cevil.example", "/"],
        ["https://evil.example/", "/"],
        ["javascript:alert(1)", "/"],
        ["/\tevil", "/"],
        ["/ok/path?x=1", "/ok/path?x=1"],
      ];
      for (const [returnTo, expected] of cases) {
        const browser = new WorkerClient(stack.base);
        const { location } = await browser.connect({ returnTo });
        assert.equal(location, expected, `return_to=${JSON.stringify(returnTo)}`);
        await browser.post("/auth/logout");
      }
    });

    test("callbacks: denied consent, another browser, a replay and a tampered state all fail cleanly", async () => {
      // Consent denied → back to the page with a code the page explains.
      const denied = await new WorkerClient(stack.base).connect({ deny: true });
      assert.equal(denied.location, "/?auth_error=access_denied");

      // A flow started in browser A cannot be finished in browser B (no transaction cookie).
      const a = new WorkerClient(stack.base);
      const b = new WorkerClient(stack.base);
      const { completeAuthorization } = await import("../../../dev/standin/index.mjs");
      const callbackUrl = await completeAuthorization(await a.startLogin("/"), { company: 0 });
      const inB = await b.fetch(callbackUrl);
      assert.equal(inB.headers.get("location"), "/?auth_error=login_invalid");
      assert.equal(b.cookies.has("__Host-pleo_session"), false);

      // A's own callback works once; replaying it fails.
      const inA = await a.fetch(callbackUrl);
      assert.equal(inA.headers.get("location"), "/");
      const replay = await a.fetch(callbackUrl);
      assert.equal(replay.headers.get("location"), "/?auth_error=login_invalid");
      assert.equal((await a.json("/auth/session")).body.connected, true, "a replay does not end the session");

      // Replaying a captured login cookie together with its callback: consumed server-side.
      const attacker = new WorkerClient(stack.base);
      const authUrl = await attacker.startLogin("/");
      const captured = attacker.cookieHeader();
      const cb = await completeAuthorization(authUrl, { company: 1 });
      assert.equal((await attacker.fetch(cb)).headers.get("location"), "/");
      const replayed = await fetch(cb, { headers: { cookie: captured }, redirect: "manual" });
      assert.equal(replayed.headers.get("location"), "/?auth_error=login_replayed");

      // A callback whose state does not belong to this browser's own transaction.
      const c = new WorkerClient(stack.base);
      await c.startLogin("/");
      const tampered = new URL(callbackUrl);
      tampered.searchParams.set("state", "x".repeat(43));
      const mismatch = await c.fetch(`${tampered.pathname}${tampered.search}`);
      assert.equal(mismatch.headers.get("location"), "/?auth_error=state_mismatch");
      assert.equal(c.cookies.has("__Host-pleo_login"), false, "the failed transaction is gone too");

      // A tampered session cookie is simply no session.
      const forged = new WorkerClient(stack.base);
      const value = a.cookies.get("__Host-pleo_session").value;
      forged.cookies.set("__Host-pleo_session", { value: `${value.slice(0, -4)}AAAA` });
      assert.equal((await forged.json("/auth/session")).body.connected, false);
      await a.post("/auth/logout");
    });

    test("/auth/login on another host name first moves to the redirect URI's origin (so the login cookie comes back)", async () => {
      const other = stack.base.replace("localhost", "127.0.0.1");
      const response = await fetch(`${other}/auth/login?return_to=%2Fx`, { redirect: "manual" });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get("location"), `${stack.base}/auth/login?return_to=%2Fx`);
      assert.deepEqual(response.headers.getSetCookie(), []);
    });

    test("static page is served with a strict CSP and no CORS", async () => {
      const response = await fetch(`${stack.base}/`);
      assert.equal(response.status, 200);
      const csp = response.headers.get("content-security-policy");
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
      assert.match(csp, /default-src 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assertNoCors(response.headers);
      const html = await response.text();
      assert.match(html, /Connect to Pleo/);
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline scripts");
      const wasm = await fetch(`${stack.base}/pkg/pleo_oauth_bg.wasm`);
      assert.equal(wasm.headers.get("content-type"), "application/wasm");
      assert.equal((await fetch(`${stack.base}/pkg/node.js`)).status, 404, "only the browser build is served");
    });
  });
}
