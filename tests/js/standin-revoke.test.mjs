// The stand-in's revoke admin route: POST {adminUrl}/companies/<subject>/revoke
// revokes every grant of that company (as a Pleo admin removing the
// integration would), so the next refresh gets invalid_grant, while other
// companies' grants keep working.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import * as pleo from "pleo-oauth";

import { completeAuthorization, CookieJar, startStandin } from "../../dev/standin/index.mjs";

const { OAuthClient } = pleo;
if (typeof pleo.init === "function") await pleo.init();

let standin;
let info;
let client;
before(async () => {
  standin = await startStandin();
  ({ info } = standin);
  client = new OAuthClient(clientOptionsOf(info));
});
after(() => standin.close());

function clientOptionsOf(at) {
  return {
    provider: {
      issuer: at.issuer,
      authorizationEndpoint: at.authorizationEndpoint,
      tokenEndpoint: at.tokenEndpoint,
      introspectionEndpoint: at.introspectionEndpoint,
      revocationEndpoint: at.revocationEndpoint,
      apiBaseUrl: at.apiBaseUrl,
      issParameterSupported: true,
    },
    clientId: at.clientId,
    clientSecret: at.clientSecret,
    redirectUri: at.redirectUris[0],
    scopes: ["users:read", "companies:read"],
  };
}

async function send(req) {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: "manual",
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

async function connect(company, oauth = client) {
  const c = oauth;
  const { url, pending } = c.startAuthorization();
  const callback = await completeAuthorization(url, { company, jar: new CookieJar() });
  const { code } = c.handleCallback(callback, pending);
  return c.parseTokenResponse(await send(c.tokenRequest(code, pending)));
}

const revoke = (subject, at = info) => fetch(`${at.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });

test("revoke: every grant of the company goes, the next refresh gets invalid_grant, other companies keep theirs", async () => {
  const target = info.companies[0].subject;
  const other = info.companies[1].subject;
  const first = await connect(target);
  const second = await connect(target);
  const bystander = await connect(other);

  const res = await revoke(target);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { revoked: 2 });

  for (const tokens of [first, second]) {
    const answer = await send(client.refreshRequest(tokens.refreshToken));
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.body).error, "invalid_grant");
  }
  const kept = await send(client.refreshRequest(bystander.refreshToken));
  assert.equal(kept.status, 200);

  // Nothing left to revoke: 200 with 0, not an error.
  assert.deepEqual(await (await revoke(target)).json(), { revoked: 0 });
});

test("revoke: a subject that is not valid percent-encoding is a 400, not a crash", async () => {
  const res = await fetch(`${info.adminUrl}/companies/urn%ZZ/revoke`, { method: "POST" });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, "invalid_request");
});

test("revoke: the revocation is journalled, so a restarted stand-in still refuses the refresh", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "standin-revoke-"));
  let durable = await startStandin({ dataDir });
  try {
    const oauth = new OAuthClient(clientOptionsOf(durable.info));
    const subject = durable.info.companies[0].subject;
    const tokens = await connect(subject, oauth);
    assert.deepEqual(await (await revoke(subject, durable.info)).json(), { revoked: 1 });
    const ports = { port: Number(new URL(durable.info.issuer).port), apiPort: Number(new URL(durable.info.apiBaseUrl).port) };
    await durable.close();
    await new Promise((r) => setTimeout(r, 200));
    durable = await startStandin({ dataDir, ...ports });
    const answer = await send(oauth.refreshRequest(tokens.refreshToken));
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.body).error, "invalid_grant");
  } finally {
    await durable.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
