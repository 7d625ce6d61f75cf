// End to end in headless Chromium: the demo page served by the worker on
// workerd (miniflare), the Pleo stand-in's login and consent pages, and the
// library playground running pleo-oauth in the browser. Screenshots of the
// main states go to test-artifacts/e2e/.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { leakedSecrets, startStack } from "./helpers/worker-harness.mjs";
import { passStandin as passStandinAt } from "./helpers/standin-pages.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "e2e");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const TIMEOUT = 15_000;

describe("demo page in Chromium", () => {
  let stack;
  let browser;
  const responses = []; // everything any page of any context received
  const pendingBodies = [];
  const cspViolations = [];

  async function newContext() {
    const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    context.setDefaultTimeout(TIMEOUT);
    context.on("response", (response) => {
      pendingBodies.push(
        (async () => {
          const headers = await response.allHeaders().catch(() => ({}));
          const body = await response.body().catch(() => Buffer.alloc(0));
          responses.push({ url: response.url(), status: response.status(), headers, body: body.toString("latin1") });
        })(),
      );
    });
    context.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    context.on("weberror", (error) => cspViolations.push(`page error: ${error.error().message}`));
    return context;
  }

  const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  const passStandin = (page, options = {}) => passStandinAt(page, { ...options, base: stack.base });

  async function connect(page, options = {}) {
    await page.getByRole("link", { name: "Connect to Pleo" }).click();
    await passStandin(page, options);
  }

  async function revokeEverything() {
    const { info } = stack;
    const basic = Buffer.from(`${encodeURIComponent(info.clientId)}:${encodeURIComponent(info.clientSecret)}`).toString("base64");
    for (const token of stack.tokens) {
      await fetch(info.revocationEndpoint, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }),
      });
    }
  }

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await startStack({ runtime: "workerd", accessTtl: 900, timeoutMs: 2000 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test("connect, call every API button, refresh, disconnect", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await page.getByRole("link", { name: "Connect to Pleo" }).waitFor();
    await shot(page, "01-disconnected");

    await page.getByRole("link", { name: "Connect to Pleo" }).click();
    await page.waitForSelector("form#login");
    // While the flow is open, only the login-transaction cookie exists.
    const during = (await context.cookies(stack.base)).filter((c) => c.domain === "localhost");
    assert.deepEqual(
      during.map((c) => c.name),
      ["__Host-pleo_login"],
    );
    assert.equal(during[0].sameSite, "Lax");
    await passStandin(page);

    await page.getByRole("heading", { name: "Connected companies" }).waitFor();
    const url = new URL(page.url());
    assert.equal(url.searchParams.has("code"), false, "no code in the address bar");
    assert.equal(url.searchParams.has("state"), false, "no state in the address bar");
    await page
      .locator(".countdown", { hasText: /expires in \d\d:\d\d/ })
      .first()
      .waitFor();
    await page.getByText(stack.info.companies[0].name).first().waitFor();

    const cookies = (await context.cookies(stack.base)).filter((c) => c.domain === "localhost");
    assert.ok(cookies.length >= 1);
    for (const cookie of cookies) {
      assert.match(cookie.name, /^__Host-/, cookie.name);
      assert.equal(cookie.httpOnly, true, `${cookie.name} HttpOnly`);
      assert.equal(cookie.secure, true, `${cookie.name} Secure`);
      assert.equal(cookie.path, "/");
    }
    assert.equal(cookies.find((c) => c.name === "__Host-pleo_session")?.sameSite, "Strict");
    assert.equal(await page.evaluate(() => document.cookie), "", "no cookie is readable from JS");
    await shot(page, "02-connected");

    for (const api of ["/v1/introspect", "/v2/employees", "/v1/companies", "/v3/export-jobs"]) {
      await page.getByRole("button", { name: `GET ${api}` }).click();
      await page.locator("#result .status-line", { hasText: api }).waitFor();
      const status = await page.locator("#result .status-line .pill").first().textContent();
      assert.match(status, /^200/, `${api}: ${status}`);
      assert.ok(await page.locator("#result table").count(), `${api} renders a table`);
      if (api === "/v2/employees") await shot(page, "03-api-employees");
    }

    await page.getByRole("button", { name: "Refresh now" }).click();
    await page.locator("#notice", { hasText: "Token refreshed" }).waitFor();
    await shot(page, "04-refreshed");

    await page.getByRole("button", { name: "Disconnect" }).click();
    await page.locator("#notice", { hasText: "Disconnected" }).waitFor();
    await shot(page, "04b-disconnected");
    await page.getByRole("link", { name: "Connect to Pleo" }).waitFor();
    assert.equal((await context.cookies(stack.base)).filter((c) => c.domain === "localhost").length, 0, "no cookie left");
    await context.close();
  });

  test("clear messages: consent denied, Pleo unreachable, connection expired", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await connect(page, { deny: true });
    await page.locator("#notice", { hasText: "Connection declined" }).waitFor();
    assert.equal(new URL(page.url()).search, "", "auth_error removed from the address bar");
    await shot(page, "05-consent-denied");

    await connect(page);
    await page.getByRole("heading", { name: "Connected companies" }).waitFor();
    stack.standin.setFaults({ apiStatus: 503 });
    try {
      await page.getByRole("button", { name: "GET /v2/employees" }).click();
      await page.locator("#notice", { hasText: "Pleo is unreachable" }).waitFor();
    } finally {
      stack.standin.setFaults(null);
    }
    await page.getByRole("heading", { name: "Connected companies" }).waitFor();
    await shot(page, "06-pleo-unreachable");

    // Pleo rejects the refresh token: the company stays listed as
    // "needs reconnect" with a Reconnect button, which restores it in place.
    await revokeEverything();
    await page.getByRole("button", { name: "Refresh now" }).click();
    await page.locator("#notice", { hasText: "Connection expired" }).waitFor();
    await page.locator(".pill.status-needs_reconnect", { hasText: "needs reconnect" }).waitFor();
    await shot(page, "07-connection-expired");
    await page.getByRole("link", { name: /^Reconnect/ }).click();
    await passStandin(page);
    await page.locator(".pill.status-active").first().waitFor();
    assert.equal(await page.locator(".pill.status-needs_reconnect").count(), 0, "reconnected in place");
    await page.getByRole("button", { name: "GET /v1/introspect" }).click();
    await page.locator("#result .status-line .pill", { hasText: /^200/ }).waitFor();
    await shot(page, "07b-reconnected");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.locator("#notice", { hasText: "Logged out" }).waitFor();
    await context.close();
  });

  test("a second company connected in the same browser joins its session (the login transaction carries it across Pleo's cross-site redirect); logout ends both", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await connect(page, { company: 0 });
    await page.getByRole("heading", { name: "Connected companies" }).waitFor();
    const sessionCookie = async () => (await context.cookies(stack.base)).find((c) => c.name === "__Host-pleo_session")?.value;
    const first = await sessionCookie();
    assert.ok(first);

    // The redirect back from the stand-in (127.0.0.1) to localhost is cross-site: Chromium
    // does not send the SameSite=Strict session cookie with the callback.
    await page.getByRole("link", { name: "Connect another company" }).click();
    await passStandin(page, { company: 2 });
    await page.getByText(stack.info.companies[2].name).first().waitFor();
    await page.getByText(stack.info.companies[0].name).first().waitFor();
    assert.equal(await page.locator("#companies > li").count(), 2, "both companies in one session");
    const second = await sessionCookie();
    assert.notEqual(second, first, "the session id was rotated");
    const stale = await fetch(`${stack.base}/auth/session`, { headers: { cookie: `__Host-pleo_session=${first}` } }).then((r) => r.json());
    assert.equal(stale.connected, false, "the previous session id has no access left (not stranded for 7 days)");
    await shot(page, "07c-two-companies");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.locator("#notice", { hasText: "Logged out" }).waitFor();
    await page.getByRole("link", { name: "Connect to Pleo" }).waitFor();
    const after = await fetch(`${stack.base}/auth/session`, { headers: { cookie: `__Host-pleo_session=${second}` } }).then((r) => r.json());
    assert.equal(after.connected, false, "logout ended the session for both companies");
    await context.close();
  });

  test("a flow started in one browser cannot be finished in another; a replayed callback fails", async () => {
    const contextA = await newContext();
    const pageA = await contextA.newPage();
    await pageA.goto(`${stack.base}/`);
    // A starts the flow (and so holds the login-transaction cookie); the
    // stand-in's pages are then completed over HTTP to obtain the callback URL
    // without letting A's browser follow it.
    const [loginResponse] = await Promise.all([
      pageA.waitForResponse((r) => r.url().startsWith(`${stack.base}/auth/login`)),
      pageA.getByRole("link", { name: "Connect to Pleo" }).click(),
    ]);
    const authorizeUrl = loginResponse.headers().location;
    assert.ok(authorizeUrl?.startsWith(stack.info.authorizationEndpoint));
    await pageA.waitForSelector("form#login, form#consent");
    const { completeAuthorization } = await import("../../dev/standin/index.mjs");
    const callbackUrl = await completeAuthorization(authorizeUrl, { company: 1 });
    assert.ok(callbackUrl.startsWith(`${stack.base}/auth/callback?`));

    // Browser B (another user) opens A's callback: no transaction cookie → refused.
    const contextB = await newContext();
    const pageB = await contextB.newPage();
    await pageB.goto(callbackUrl);
    await pageB.locator("#notice", { hasText: "Sign-in could not be completed" }).waitFor();
    await pageB.getByRole("link", { name: "Connect to Pleo" }).waitFor();
    assert.equal(new URL(pageB.url()).searchParams.has("code"), false);
    await shot(pageB, "08-other-browser-refused");

    // A itself can still finish its own flow, exactly once.
    await pageA.goto(callbackUrl);
    await pageA.getByRole("heading", { name: "Connected companies" }).waitFor();
    await pageA.goto(callbackUrl);
    await pageA.locator("#notice", { hasText: "Sign-in could not be completed" }).waitFor();
    await pageA.getByRole("heading", { name: "Connected companies" }).waitFor();
    await contextA.close();
    await contextB.close();
  });

  test("return_to open-redirect attempts stay on the demo", async () => {
    const context = await newContext();
    const page = await context.newPage();
    for (const returnTo of ["//evil.example/", "/\\evil.example/", "https://evil.example/", "/%2F%2Fevil.example/", "/\t/evil.example"]) {
      await page.goto(`${stack.base}/auth/login?return_to=${encodeURIComponent(returnTo)}`);
      await passStandin(page);
      assert.equal(page.url(), `${stack.base}/`, `return_to=${JSON.stringify(returnTo)}`);
    }
    await page.getByRole("heading", { name: "Connected companies" }).waitFor();
    await context.close();
  });

  test("library playground runs pleo-oauth in the browser", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await page.getByRole("tab", { name: "Library playground" }).click();
    await page.locator("#wasm-status", { hasText: "ready" }).waitFor();

    await page.getByRole("button", { name: "Check RFC 7636 vector" }).click();
    await page.getByText("✓ matches the RFC").waitFor();
    await page.getByRole("button", { name: "Generate PKCE pair" }).click();
    const verifier = await page.locator("#pg-pkce dd").first().textContent();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);

    await page.getByRole("button", { name: "Build authorize URL" }).click();
    await page.locator("#pg-url-out .url-box").waitFor();
    const authorizeUrl = new URL(await page.locator("#pg-url-out .url-box").textContent());
    assert.equal(authorizeUrl.href.startsWith(stack.info.authorizationEndpoint), true);
    assert.equal(authorizeUrl.searchParams.get("code_challenge_method"), "S256");

    await page.getByRole("button", { name: "Example: success" }).click();
    await page.getByRole("button", { name: "Validate callback" }).click();
    await page.locator("#pg-callback-out .verdict.ok").waitFor();

    await page.getByRole("button", { name: "Example: wrong state" }).click();
    await page.getByRole("button", { name: "Validate callback" }).click();
    await page.locator("#pg-callback-out .verdict.error", { hasText: "state_mismatch" }).waitFor();
    await page.getByRole("button", { name: "Example: duplicate code" }).click();
    await page.getByRole("button", { name: "Validate callback" }).click();
    await page.locator("#pg-callback-out .verdict.error", { hasText: "invalid_callback" }).waitFor();
    await page.getByRole("button", { name: "Example: access_denied" }).click();
    await page.getByRole("button", { name: "Validate callback" }).click();
    await page.locator("#pg-callback-out .verdict.error", { hasText: "authorization_denied" }).waitFor();
    await shot(page, "09-playground");
    await context.close();
  });

  test("no response the browser received carries the client secret or a token; no CSP violation", async () => {
    await Promise.all(pendingBodies);
    assert.ok(stack.tokens.size >= 4, `the recorder saw tokens (${stack.tokens.size})`);
    assert.ok(responses.length > 20, `responses recorded (${responses.length})`);
    for (const response of responses) {
      const text = `${response.url}\n${JSON.stringify(response.headers)}\n${response.body}`;
      assert.deepEqual(leakedSecrets(text, stack), [], `${response.status} ${response.url}`);
    }
    for (const response of responses.filter((r) => r.url.startsWith(stack.base))) {
      assert.equal(response.headers["access-control-allow-origin"], undefined, response.url);
    }
    assert.deepEqual(cspViolations, []);
  });
});
