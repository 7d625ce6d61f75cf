// End-to-end tests of the local Pleo stand-in (dev/standin), driven with the
// pleo-oauth package for every protocol step, over real HTTP on free ports.
// Run: node --test tests/js/standin.test.mjs   (needs `npm run build` first)

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as pleo from "pleo-oauth";

import { completeAuthorization, CookieJar, startStandin } from "../../dev/standin/index.mjs";

const { OAuthClient } = pleo;
if (typeof pleo.init === "function") await pleo.init();

const CLI = fileURLToPath(new URL("../../dev/standin/cli.mjs", import.meta.url));

function providerOf(info, overrides = {}) {
  return {
    issuer: info.issuer,
    authorizationEndpoint: info.authorizationEndpoint,
    tokenEndpoint: info.tokenEndpoint,
    introspectionEndpoint: info.introspectionEndpoint,
    revocationEndpoint: info.revocationEndpoint,
    apiBaseUrl: info.apiBaseUrl,
    issParameterSupported: true,
    ...overrides,
  };
}

function clientFor(info, { provider, scopes = ["users:read", "companies:read"], ...rest } = {}) {
  return new OAuthClient({
    provider: provider ?? providerOf(info),
    clientId: info.clientId,
    clientSecret: info.clientSecret,
    redirectUri: info.redirectUris[0],
    scopes,
    ...rest,
  });
}

// Sends an HttpRequest built by pleo-oauth; never follows redirects.
async function send(req, { signal } = {}) {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: "manual",
    signal,
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

function throwsOAuth(fn, code, fields = {}) {
  let caught;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected an OAuthError ${code}`);
  assert.equal(caught.name, "OAuthError");
  assert.equal(caught.code, code, caught.message);
  for (const [k, v] of Object.entries(fields)) assert.equal(caught[k], v, `err.${k}`);
  return caught;
}

async function api(info, path, accessToken) {
  const res = await fetch(new URL(path, info.apiBaseUrl), {
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
  return { status: res.status, body: await res.json() };
}

// authorize → sign-in/consent → callback → code exchange; returns the token set.
async function connect(info, client, driveOpts = {}) {
  const { url, pending } = client.startAuthorization();
  const callback = await completeAuthorization(url, driveOpts);
  const { code } = client.handleCallback(callback, pending);
  return client.parseTokenResponse(await send(client.tokenRequest(code, pending)));
}

describe("stand-in with pleo-oauth: full flow", () => {
  let standin;
  let info;
  before(async () => {
    standin = await startStandin();
    ({ info } = standin);
  });
  after(() => standin.close());

  test("ready info has the contract keys in order", () => {
    assert.deepEqual(Object.keys(info).slice(0, 9), [
      "issuer",
      "authorizationEndpoint",
      "tokenEndpoint",
      "introspectionEndpoint",
      "apiBaseUrl",
      "clientId",
      "clientSecret",
      "redirectUris",
      "scopes",
    ]);
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.tokenEndpoint, `${info.issuer}/oauth/token`);
    assert.equal(info.introspectionEndpoint, `${info.issuer}/oauth/token/introspect`);
    assert.ok(info.redirectUris.includes("http://localhost:8787/auth/callback"));
    for (const s of ["users:read", "companies:read", "export-jobs:read", "export-jobs:write", "export-items:read", "accounts:read"]) {
      assert.ok(info.scopes.includes(s), s);
    }
  });

  test("authorize, exchange, call the API, rotate, detect reuse, introspect, revoke", async () => {
    const client = clientFor(info, { scopes: ["users:read", "companies:read", "export-jobs:read", "export-items:read"] });
    const company = info.companies[1];
    const { url, pending } = client.startAuthorization();
    assert.doesNotMatch(new URL(url).searchParams.get("scope"), /openid/);

    const callback = await completeAuthorization(url, { company: 1 });
    const cb = client.handleCallback(callback, pending);
    assert.equal(cb.iss, info.issuer, "RFC 9207 iss is sent by default");

    const t0 = Date.now();
    const tokens = client.parseTokenResponse(await send(client.tokenRequest(cb.code, pending)), { now: t0 });
    assert.equal(tokens.tokenType, "Bearer");
    assert.equal(tokens.expiresAt, t0 + 900_000);
    assert.ok(tokens.refreshToken, "refresh token without offline_access");
    assert.deepEqual([...tokens.scope].sort(), ["companies:read", "export-items:read", "export-jobs:read", "users:read"]);

    // API: the chosen company is the connection's subject.
    const me = await api(info, "/v1/introspect", tokens.accessToken);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.data, {
      authMethod: "OAUTH",
      clientId: info.clientId,
      scope: me.body.data.scope,
      applicationName: me.body.data.applicationName,
      subjectURN: company.subject,
    });
    const employees = await api(info, "/v2/employees?limit=2", tokens.accessToken);
    assert.equal(employees.status, 200);
    assert.equal(employees.body.data.length, 2);
    assert.equal(employees.body.pagination.hasNextPage, true);
    const companies = await api(info, "/v1/companies", tokens.accessToken);
    assert.equal(companies.body.data[0].id, company.subject.split(":").pop());
    const companyId = companies.body.data[0].id;
    const jobs = await api(info, `/v3/export-jobs?company_id=${companyId}`, tokens.accessToken);
    assert.equal(jobs.status, 200);
    assert.ok(jobs.body.data.length >= 3);
    // The seeded jobs are finished: their data layer is gone (422), their control layer stays.
    const finished = await api(info, `/v3/export-items?job_id=${jobs.body.data[0].id}`, tokens.accessToken);
    assert.equal(finished.status, 422);
    assert.equal(finished.body.type, "EXPORT_JOB_STATUS_UNPROCESSABLE");
    const jobItems = await api(info, `/v3/export-jobs/${jobs.body.data[0].id}/items`, tokens.accessToken);
    assert.equal(jobItems.status, 200);
    assert.ok(jobItems.body.data.every((i) => i.exportJobId === jobs.body.data[0].id));
    const other = await api(info, `/v3/export-jobs?company_id=${info.companies[0].subject.split(":").pop()}`, tokens.accessToken);
    assert.equal(other.status, 403);

    // Refresh rotates the refresh token.
    const rotated = client.parseTokenResponse(await send(client.refreshRequest(tokens.refreshToken)), { previous: tokens });
    assert.notEqual(rotated.refreshToken, tokens.refreshToken);
    assert.notEqual(rotated.accessToken, tokens.accessToken);
    assert.equal((await api(info, "/v1/introspect", rotated.accessToken)).status, 200);

    // Introspection of the live access token.
    const live = JSON.parse((await send(client.introspectionRequest(rotated.accessToken, "access_token"))).body);
    assert.equal(live.active, true);
    assert.equal(live.sub, company.subject);
    assert.equal(live.client_id, info.clientId);

    // Reusing the old refresh token: invalid_grant, and the whole grant dies.
    const before = standin.stats().grantsRevoked;
    const reuse = await send(client.refreshRequest(tokens.refreshToken));
    throwsOAuth(() => client.parseTokenResponse(reuse), "token_error", { error: "invalid_grant", status: 400 });
    assert.equal(standin.stats().grantsRevoked, before + 1);
    const newest = await send(client.refreshRequest(rotated.refreshToken));
    throwsOAuth(() => client.parseTokenResponse(newest), "token_error", { error: "invalid_grant" });
    const dead = await api(info, "/v1/introspect", rotated.accessToken);
    assert.equal(dead.status, 401);
    assert.equal(dead.body.type, "UNAUTHORIZED");
    const gone = JSON.parse((await send(client.introspectionRequest(rotated.accessToken))).body);
    assert.deepEqual(gone, { active: false });
  });

  test("introspection turns inactive after revocation", async () => {
    const client = clientFor(info);
    const tokens = await connect(info, client);
    const active = JSON.parse((await send(client.introspectionRequest(tokens.refreshToken, "refresh_token"))).body);
    assert.equal(active.active, true);
    const revoked = await send(client.revocationRequest(tokens.refreshToken, "refresh_token"));
    assert.equal(revoked.status, 200);
    for (const token of [tokens.refreshToken, tokens.accessToken]) {
      const res = JSON.parse((await send(client.introspectionRequest(token))).body);
      assert.equal(res.active, false);
    }
    assert.equal((await api(info, "/v1/introspect", tokens.accessToken)).status, 401);
  });

  test("a second connect in the same browser can choose another company", async () => {
    const client = clientFor(info);
    const jar = new CookieJar();
    const first = await connect(info, client, { jar, company: 0 });
    const second = await connect(info, client, { jar, company: info.companies[2].subject });
    assert.equal((await api(info, "/v1/introspect", first.accessToken)).body.data.subjectURN, info.companies[0].subject);
    assert.equal((await api(info, "/v1/introspect", second.accessToken)).body.data.subjectURN, info.companies[2].subject);
    // Both connections stay alive: tokens don't die with the browser session.
    assert.equal((await api(info, "/v1/introspect", first.accessToken)).status, 200);
    client.parseTokenResponse(await send(client.refreshRequest(first.refreshToken)));
  });

  test("deny surfaces as authorization_denied / access_denied", async () => {
    const client = clientFor(info);
    const { url, pending } = client.startAuthorization();
    const callback = await completeAuthorization(url, { deny: true });
    throwsOAuth(() => client.handleCallback(callback, pending), "authorization_denied", { error: "access_denied" });
  });

  test("a scope that was not granted gives 403 Access_Denied", async () => {
    const tokens = await connect(info, clientFor(info, { scopes: ["users:read"] }));
    assert.equal((await api(info, "/v2/employees", tokens.accessToken)).status, 200);
    const res = await api(info, "/v1/companies", tokens.accessToken);
    assert.equal(res.status, 403);
    assert.equal(res.body.type, "Access_Denied");
  });

  test("API: missing or unknown token is 401, unknown path is 404 JSON", async () => {
    assert.equal((await api(info, "/v1/introspect")).status, 401);
    const bogus = await api(info, "/v1/introspect", "not-a-token");
    assert.equal(bogus.status, 401);
    assert.equal(bogus.body.type, "UNAUTHORIZED");
    const missing = await api(info, "/v9/nothing", "x");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.type, "NOT_FOUND");
  });

  test("PKCE is required (RFC 7636 §4.4.1): no challenge → invalid_request", async () => {
    const client = clientFor(info);
    const { url, pending } = client.startAuthorization();
    const u = new URL(url);
    u.searchParams.delete("code_challenge");
    u.searchParams.delete("code_challenge_method");
    const callback = await completeAuthorization(u.href);
    throwsOAuth(() => client.handleCallback(callback, pending), "authorization_denied", { error: "invalid_request" });
  });

  test("PKCE plain is refused (S256 only)", async () => {
    const client = clientFor(info);
    const { url, pending } = client.startAuthorization();
    const u = new URL(url);
    u.searchParams.set("code_challenge", pending.codeVerifier);
    u.searchParams.set("code_challenge_method", "plain");
    const callback = await completeAuthorization(u.href);
    throwsOAuth(() => client.handleCallback(callback, pending), "authorization_denied", { error: "invalid_request" });
  });

  test("wrong code_verifier → invalid_grant", async () => {
    const client = clientFor(info);
    const { url, pending } = client.startAuthorization();
    const { code } = client.handleCallback(await completeAuthorization(url), pending);
    const req = client.tokenRequest(code, pending);
    const body = new URLSearchParams(req.body);
    body.set("code_verifier", pleo.generateCodeVerifier());
    const res = await send({ ...req, body: body.toString() });
    throwsOAuth(() => client.parseTokenResponse(res), "token_error", { error: "invalid_grant" });
  });

  test("client_secret_post is refused with invalid_client (Basic only)", async () => {
    const basic = clientFor(info);
    const post = clientFor(info, { clientAuth: "client_secret_post" });
    const { url, pending } = basic.startAuthorization();
    const { code } = basic.handleCallback(await completeAuthorization(url), pending);
    const res = await send(post.tokenRequest(code, pending));
    throwsOAuth(() => post.parseTokenResponse(res), "token_error", { error: "invalid_client", status: 401 });
  });

  test("wrong client secret → invalid_client", async () => {
    const client = clientFor(info, { clientSecret: "not-the-secret" });
    const { url, pending } = client.startAuthorization();
    const { code } = client.handleCallback(await completeAuthorization(url), pending);
    const res = await send(client.tokenRequest(code, pending));
    throwsOAuth(() => client.parseTokenResponse(res), "token_error", { error: "invalid_client", status: 401 });
  });

  test("a reused authorization code is refused and revokes its tokens", async () => {
    const client = clientFor(info);
    const { url, pending } = client.startAuthorization();
    const { code } = client.handleCallback(await completeAuthorization(url), pending);
    const tokens = client.parseTokenResponse(await send(client.tokenRequest(code, pending)));
    const again = await send(client.tokenRequest(code, pending));
    throwsOAuth(() => client.parseTokenResponse(again), "token_error", { error: "invalid_grant" });
    assert.equal((await api(info, "/v1/introspect", tokens.accessToken)).status, 401);
    assert.ok(standin.stats().codeReuseRevocations >= 1);
  });

  test("urn_pleo_params_oauth_subject pre-selects the company", async () => {
    const client = clientFor(info);
    const target = info.companies[3].subject;
    const { url, pending } = client.startAuthorization({ subject: target });
    // No company given: the driver submits the consent page as pre-filled.
    const { code } = client.handleCallback(await completeAuthorization(url), pending);
    const tokens = client.parseTokenResponse(await send(client.tokenRequest(code, pending)));
    assert.equal((await api(info, "/v1/introspect", tokens.accessToken)).body.data.subjectURN, target);
  });
});

describe("stand-in: lifetimes, faults, counters", () => {
  test("an expired access token gets 401 from the API", async () => {
    // 3 s, not 1: on a loaded machine the flow itself can take a second.
    const standin = await startStandin({ accessTtl: 3 });
    try {
      const { info } = standin;
      const t0 = Date.now();
      const tokens = await connect(info, clientFor(info));
      assert.ok(tokens.expiresAt - t0 <= 3000 + (Date.now() - t0));
      assert.equal((await api(info, "/v1/introspect", tokens.accessToken)).status, 200);
      await new Promise((r) => setTimeout(r, Math.max(0, tokens.expiresAt - Date.now()) + 1100));
      const res = await api(info, "/v1/introspect", tokens.accessToken);
      assert.equal(res.status, 401);
      assert.equal(res.body.type, "UNAUTHORIZED");
    } finally {
      await standin.close();
    }
  });

  test("a secret with reserved characters works over Basic (RFC 6749 §2.3.1)", async () => {
    const standin = await startStandin({ clientSecret: "dummy:secret+/%~ &=" });
    try {
      const tokens = await connect(standin.info, clientFor(standin.info));
      assert.ok(tokens.accessToken);
    } finally {
      await standin.close();
    }
  });

  describe("faults", () => {
    let standin;
    let info;
    let client;
    let refreshToken;
    before(async () => {
      standin = await startStandin();
      ({ info } = standin);
      client = clientFor(info);
      ({ refreshToken } = await connect(info, client));
    });
    after(() => standin.close());

    const refresh = () => send(client.refreshRequest(refreshToken));

    test("iss can be switched off (callbacks then look like Pleo docs describe)", async () => {
      standin.setFaults({ issInCallback: false });
      try {
        const lenient = clientFor(info, { provider: providerOf(info, { issParameterSupported: false }) });
        const a = lenient.startAuthorization();
        const cb = lenient.handleCallback(await completeAuthorization(a.url), a.pending);
        assert.equal(cb.iss, undefined);
        const strict = clientFor(info);
        const b = strict.startAuthorization();
        const callback = await completeAuthorization(b.url);
        assert.equal(new URL(callback).searchParams.has("iss"), false);
        throwsOAuth(() => strict.handleCallback(callback, b.pending), "issuer_mismatch");
      } finally {
        standin.setFaults(null);
      }
    });

    test("HTML error page → invalid_token_response", async () => {
      standin.setFaults({ tokenHtmlError: true });
      const res = await refresh();
      standin.setFaults(null);
      assert.equal(res.status, 502);
      assert.match(res.headers["content-type"], /text\/html/);
      throwsOAuth(() => client.parseTokenResponse(res), "invalid_token_response");
    });

    test("200 with an RFC 6749 error body → token_error", async () => {
      standin.setFaults({ tokenError200: "invalid_grant" });
      const res = await refresh();
      standin.setFaults(null);
      throwsOAuth(() => client.parseTokenResponse(res), "token_error", { error: "invalid_grant", status: 200 });
    });

    test("5xx status and failure rate", async () => {
      standin.setFaults({ tokenStatus: 500 });
      const res = await refresh();
      assert.equal(res.status, 500);
      throwsOAuth(() => client.parseTokenResponse(res), "token_error", { error: "server_error", status: 500 });
      standin.setFaults({ tokenStatus: 0, tokenFailureRate: 1 });
      const flaky = await refresh();
      standin.setFaults(null);
      throwsOAuth(() => client.parseTokenResponse(flaky), "token_error", { error: "temporarily_unavailable", status: 503 });
    });

    test("delay and stall", async () => {
      standin.setFaults({ tokenDelayMs: 300 });
      const t0 = Date.now();
      const res = await refresh();
      assert.ok(Date.now() - t0 >= 290, "delayed");
      ({ refreshToken } = client.parseTokenResponse(res)); // a delayed request still succeeds
      standin.setFaults({ tokenDelayMs: 0, tokenStallRate: 1 });
      await assert.rejects(send(client.refreshRequest(refreshToken), { signal: AbortSignal.timeout(300) }));
      standin.setFaults({ tokenStallMs: 100 });
      await assert.rejects(refresh()); // connection dropped after 100 ms
      standin.setFaults(null);
      // The stalled requests never reached oidc-provider: the token still works.
      ({ refreshToken } = client.parseTokenResponse(await refresh()));
    });

    test("admin routes: faults and stats over HTTP, bad input refused", async () => {
      const post = (body) =>
        fetch(`${info.issuer}/__standin/faults`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
      const ok = await post(JSON.stringify({ tokenHtmlError: 503 }));
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).tokenHtmlError, 503);
      assert.equal((await refresh()).status, 503);
      assert.equal((await post('{"tokenDelay":5}')).status, 400);
      assert.equal((await post('{"tokenFailureRate":2}')).status, 400);
      assert.equal((await post("null")).status, 200); // null clears
      const stats = await (await fetch(`${info.issuer}/__standin/stats`)).json();
      assert.deepEqual(stats, standin.stats());
      assert.ok(stats.tokenRequests >= 8);
      assert.ok(stats.faultsInjected >= 7);
      assert.ok(stats.refreshes >= 2);
      assert.equal(stats.codeExchanges, 1);
    });
  });
});

describe("npm run standin (cli.mjs)", () => {
  test("prints one STANDIN_READY line on stdout and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [CLI], {
      env: {
        ...process.env,
        STANDIN_PORT: "0",
        STANDIN_API_PORT: "0",
        STANDIN_ACCESS_TTL: "120",
        STANDIN_REDIRECT_URIS: "http://localhost:3000/cb, http://127.0.0.1:5173/auth/callback",
        STANDIN_FAULTS: '{"tokenDelayMs":1}',
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = [];
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (l) => lines.push(l));
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = once(child, "exit");
    try {
      await new Promise((resolve, reject) => {
        rl.once("line", resolve);
        child.once("exit", () => reject(new Error(`cli exited early: ${stderr}`)));
      });
      assert.match(lines[0], /^STANDIN_READY \{/);
      const info = JSON.parse(lines[0].slice("STANDIN_READY ".length));
      assert.ok(info.redirectUris.includes("http://localhost:3000/cb"));
      assert.ok(info.redirectUris.includes("http://127.0.0.1:5173/auth/callback"));
      const faults = await (await fetch(`${info.issuer}/__standin/faults`)).json();
      assert.equal(faults.tokenDelayMs, 1);
      const client = new OAuthClient({
        provider: providerOf(info),
        clientId: info.clientId,
        clientSecret: info.clientSecret,
        redirectUri: "http://localhost:3000/cb",
        scopes: ["users:read"],
      });
      const t0 = Date.now();
      const tokens = await connect(info, client);
      assert.ok(tokens.expiresAt - t0 <= 120_000 + (Date.now() - t0) && tokens.expiresAt - t0 > 110_000);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(lines.length, 1, `stdout: ${lines.join("\n")}`);
  });
});
