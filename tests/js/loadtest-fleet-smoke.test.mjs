// `npm run loadtest -- --fleet` (issue #17 item 5) is a script; this smoke
// keeps it working at a small N: every company connected through the
// worker's real login and callback, listed once in the operator listing,
// each with its keep-alive alarm; and the stand-in's fast path refuses what
// its authorize endpoint would refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startStandin } from "../../dev/standin/index.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("loadtest --fleet: N companies connected, N directory rows, N keep-alive alarms, pages of 100", () => {
  const out = execFileSync(process.execPath, ["bench/loadtest.mjs", "--fleet", "--companies", "30", "--json"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 300_000,
  });
  const r = JSON.parse(out.trim().split("\n").at(-1));
  assert.deepEqual(Object.keys(r), [
    "companies",
    "connect_per_s",
    "ops_list_p50_ms",
    "ops_list_p99_ms",
    "ops_page_size",
    "directory_rows",
    "keepalive_alarms",
    "worker_rss_mb",
  ]);
  assert.equal(r.companies, 30);
  assert.equal(r.directory_rows, 30);
  assert.equal(r.keepalive_alarms, 30);
  assert.equal(r.ops_page_size, 100);
  assert.ok(
    r.connect_per_s > 0 && r.ops_list_p50_ms > 0 && r.ops_list_p99_ms >= r.ops_list_p50_ms && r.worker_rss_mb > 0,
    JSON.stringify(r),
  );
});

test("the stand-in's fleet fast path checks the request as its authorize endpoint would", async () => {
  const redirectUri = "http://127.0.0.1:9/auth/callback";
  const standin = await startStandin({ port: 0, apiPort: 0, redirectUris: [redirectUri], quiet: true });
  try {
    const post = async (route, body) => {
      const response = await fetch(`${standin.info.adminUrl}${route}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const { body: added } = await post("/fleet/companies", { count: 2 });
    assert.equal(added.companies.length, 2);
    const company = added.companies[0].subject;
    const authorizeUrl = (over = {}) => {
      const url = new URL(standin.info.authorizationEndpoint);
      const params = {
        client_id: standin.info.clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
        state: "s1",
        scope: "companies:read",
        ...over,
      };
      for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
      return url.href;
    };
    const ok = await post("/fleet/authorize", { authorizeUrl: authorizeUrl(), company });
    assert.equal(ok.status, 200);
    const callback = new URL(ok.body.callbackUrl);
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
    assert.equal(callback.searchParams.get("state"), "s1");
    assert.equal(callback.searchParams.get("iss"), standin.info.issuer);
    // The code is oidc-provider's: redeemed at the real token endpoint with the RFC 7636 Appendix B verifier.
    const token = await fetch(standin.info.tokenEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `Basic ${btoa(`${standin.info.clientId}:${standin.info.clientSecret}`)}`,
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: callback.searchParams.get("code"),
        redirect_uri: redirectUri,
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
      }),
    });
    const tokens = await token.json();
    assert.equal(token.status, 200, JSON.stringify(tokens));
    assert.ok(tokens.access_token && tokens.refresh_token);
    for (const [what, url, subject, status] of [
      ["unregistered redirect_uri", authorizeUrl({ redirect_uri: "http://127.0.0.1:9/other" }), company, 400],
      ["plain PKCE", authorizeUrl({ code_challenge_method: "plain" }), company, 400],
      ["no challenge", authorizeUrl({ code_challenge: null }), company, 400],
      ["unknown client", authorizeUrl({ client_id: "someone-else" }), company, 400],
      ["unknown company", authorizeUrl(), "urn:pleo:company:nobody", 404],
    ]) {
      assert.equal((await post("/fleet/authorize", { authorizeUrl: url, company: subject })).status, status, what);
    }
    assert.equal((await post("/fleet/companies", { count: 0 })).status, 400);
  } finally {
    await standin.close();
  }
});
