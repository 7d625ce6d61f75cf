// Issue #17 item 1, partner accounts (worker/README.md "Partner accounts"), in headless
// Chromium on the demo worker (worker/index.js), whose `identify` is the
// demo's own sign-in (POST /demo/sign-in): a connection belongs to the
// account that connected it; every user of that account, in any browser,
// uses it without a second consent; another account gets 403; a user
// removed from the account loses access on the next request; without a
// sign-in (and without identify) anonymous sessions are as before.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { startStack } from "./helpers/worker-harness.mjs";
import { passStandin } from "./helpers/standin-pages.mjs";
import { createWorker } from "../../worker/create-worker.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SignJWT } from "jose";
import { readmeExamples, root } from "./helpers/packed-package.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

/** fetch from the page, same-origin, with the CSRF header. */
const call = (page, path, { method = "GET", body, company } = {}) =>
  page.evaluate(
    async ({ path, method, body, company }) => {
      const headers = { "X-Requested-With": "fetch" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (company) headers["X-Pleo-Company"] = company;
      const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: r.status, json };
    },
    { path, method, body, company },
  );

const signIn = (page, user, account) => call(page, "/demo/sign-in", { method: "POST", body: { user, account } });

async function consentAt(base, page, company) {
  await page.goto(`${base}/auth/login?return_to=%2F`);
  await passStandin(page, { base, company });
}

for (const runtime of ["node", "workerd"]) {
  describe(`partner accounts (${runtime}, Chromium)`, { timeout: 180_000 }, () => {
    let stack;
    let browser;

    before(async () => {
      stack = await startStack({ runtime });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    });
    after(async () => {
      await browser?.close();
      await stack?.close();
    });

    async function newPage() {
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${stack.base}/auth/session`);
      return page;
    }

    const consent = (page, company) => consentAt(stack.base, page, company);

    test("two users of one account, two browsers: one consent, both use the company; another account gets 403; a removed user loses access", async () => {
      const subject = stack.info.companies[0].subject;
      const alice = await newPage();
      const bob = await newPage();
      const carol = await newPage();
      assert.equal((await signIn(alice, "alice", "acme")).status, 200);
      assert.equal((await signIn(bob, "bob", "acme")).status, 200);
      assert.equal((await signIn(carol, "carol", "globex")).status, 200);

      await consent(alice, 0);
      const consentsBefore = stack.tokens.size;

      for (const page of [alice, bob]) {
        const session = await call(page, "/auth/session");
        assert.equal(session.status, 200);
        assert.equal(session.json.account, "acme");
        assert.deepEqual(
          session.json.connections.map((c) => c.subject),
          [subject],
        );
        const api = await call(page, "/api/v1/companies");
        assert.equal(api.status, 200, JSON.stringify(api.json));
        const named = await call(page, "/api/v1/companies", { company: subject });
        assert.equal(named.status, 200);
      }
      assert.equal((await call(bob, "/auth/session")).json.user, "bob");
      assert.equal((await call(bob, "/export/jobs", { company: subject })).status, 200, "export routes accept the account too");
      assert.equal(stack.tokens.size, consentsBefore, "bob needed no consent (no new token)");

      // Another account: nothing listed, 403 for the company by name.
      const other = await call(carol, "/auth/session");
      assert.equal(other.json.account, "globex");
      assert.deepEqual(other.json.connections, []);
      for (const path of ["/api/v1/companies", "/export/jobs"]) {
        const denied = await call(carol, path, { company: subject });
        assert.equal(denied.status, 403, path);
        assert.equal(denied.json.error, "company_not_allowed");
      }
      const unknown = await call(carol, "/api/v1/companies", { company: "urn:pleo:company:not-connected-here" });
      assert.equal(unknown.status, 403, "a company connected nowhere looks the same as another account's");
      assert.equal(unknown.json.error, "company_not_allowed");
      const refresh = await call(carol, "/auth/refresh", { method: "POST", company: subject });
      assert.equal(refresh.status, 403);
      assert.equal(refresh.json.error, "company_not_allowed");

      // Bob is moved to another account in the partner's system: the next request is refused.
      await signIn(bob, "bob", "globex");
      const moved = await call(bob, "/api/v1/companies", { company: subject });
      assert.equal(moved.status, 403);
      assert.equal(moved.json.error, "company_not_allowed");
      // Bob signed out (identify returns null): his anonymous session never held the company.
      assert.equal((await call(bob, "/demo/sign-out", { method: "POST" })).status, 200);
      const anonymous = await call(bob, "/api/v1/companies", { company: subject });
      assert.ok([401, 403].includes(anonymous.status), `signed out: ${anonymous.status}`);
      assert.deepEqual((await call(bob, "/auth/session")).json.connections, []);
      // Alice still has it; when she disconnects it, it is gone for the account.
      assert.equal((await call(alice, "/api/v1/companies")).status, 200);
      const ended = await call(alice, "/auth/disconnect", { method: "POST", company: subject });
      assert.equal(ended.status, 200);
      assert.equal(ended.json.connected, false);
      assert.deepEqual((await call(alice, "/auth/session")).json.connections, []);

      for (const page of [alice, bob, carol]) await page.context().close();
    });

    test("without a sign-in, anonymous browser sessions are as before", async () => {
      const page = await newPage();
      await consent(page, 1);
      const session = await call(page, "/auth/session");
      assert.equal(session.json.account, undefined);
      assert.deepEqual(
        session.json.connections.map((c) => c.subject),
        [stack.info.companies[1].subject],
      );
      assert.equal((await call(page, "/api/v1/companies")).status, 200);
      await page.context().close();
    });
  });
}

describe("identify option", () => {
  test("must be a function", () => {
    assert.throws(() => createWorker({ demoLedger: true, identify: "yes" }), /identify/);
    assert.doesNotThrow(() => createWorker({ demoLedger: true, identify: () => null }));
  });
});

// worker/README.md "Partner accounts": the partner worker whose identify
// verifies the partner's own JWT cookie with jose (the block marked
// `<!-- example: identify -->`), run as written on the Node adapter.
describe("worker/README.md: identify from a partner's JWT cookie (jose, Chromium)", { timeout: 120_000 }, () => {
  const SECRET = "partner-jwt-secret-for-tests-0123456789";
  let dir;
  let example;
  let stack;
  let browser;

  const jwt = ({ sub, account, secret = SECRET, audience = "pleo-oauth", expires = "10m" }) =>
    new SignJWT({ account })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setIssuer("https://app.partner.example")
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(new TextEncoder().encode(secret));

  before(async () => {
    const [code] = readmeExamples("identify");
    assert.ok(code, "worker/README.md has the identify example");
    dir = await mkdtemp(path.join(tmpdir(), "pleo-identify-"));
    const file = path.join(dir, "worker.mjs");
    // The package's own paths for the names a partner imports.
    const rewritten = code
      .replace('"pleo-oauth/worker"', JSON.stringify(pathToFileURL(path.join(root, "worker", "create-worker.js")).href))
      .replace('"jose"', JSON.stringify(import.meta.resolve("jose")));
    await writeFile(file, rewritten);
    example = await import(pathToFileURL(file).href);
    stack = await startStack({ runtime: "node", app: example.default, extraEnv: { APP_JWT_SECRET: SECRET } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("identify accepts only a valid, unexpired JWT for its audience", async () => {
    const env = { APP_JWT_SECRET: SECRET };
    const req = (token) =>
      new Request("https://w.example/auth/session", { headers: token ? { Cookie: `other=1; app_session=${token}` } : {} });
    assert.deepEqual(await example.identify(req(await jwt({ sub: "u1", account: "acme" })), env), { user: "u1", account: "acme" });
    assert.equal(await example.identify(req(null), env), null);
    assert.equal(
      await example.identify(req(await jwt({ sub: "u1", account: "acme", secret: "another-secret-another-secret-0000" })), env),
      null,
    );
    assert.equal(await example.identify(req(await jwt({ sub: "u1", account: "acme", audience: "someone-else" })), env), null);
    assert.equal(
      await example.identify(req(await jwt({ sub: "u1", account: "acme", expires: Math.floor(Date.now() / 1000) - 60 })), env),
      null,
    );
  });

  test("two users of one account share a company in two browsers; another account gets 403", async () => {
    const subject = stack.info.companies[0].subject;
    const pageWith = async (token) => {
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      await context.addCookies([{ name: "app_session", value: token, url: stack.base }]);
      const page = await context.newPage();
      await page.goto(`${stack.base}/auth/session`);
      return page;
    };
    const ann = await pageWith(await jwt({ sub: "ann", account: "acme" }));
    const ben = await pageWith(await jwt({ sub: "ben", account: "acme" }));
    const eve = await pageWith(await jwt({ sub: "eve", account: "globex" }));
    await consentAt(stack.base, ann, 0);
    const session = await call(ben, "/auth/session");
    assert.equal(session.json.user, "ben");
    assert.deepEqual(
      session.json.connections.map((c) => c.subject),
      [subject],
    );
    assert.equal((await call(ben, "/api/v1/companies")).status, 200);
    const denied = await call(eve, "/api/v1/companies", { company: subject });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.error, "company_not_allowed");
    for (const page of [ann, ben, eve]) await page.context().close();
  });
});
