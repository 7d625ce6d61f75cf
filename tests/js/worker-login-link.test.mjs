// Issue #16 item 6, in headless Chromium: a login started from a link on
// another site (another origin: 127.0.0.1 vs localhost) keeps the browser's
// other companies. Without the same-origin bounce (worker/session/login-bounce.js)
// the SameSite=Strict session cookie is not sent with that navigation, and
// the callback starts a new session holding only the new company.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { startStack } from "./helpers/worker-harness.mjs";
import { passStandin } from "./helpers/standin-pages.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

describe("login from a link on another site (Chromium)", { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let otherSite;
  let otherOrigin;

  before(async () => {
    stack = await startStack({ runtime: "node" });
    // "Another site": a page on 127.0.0.1 (a different site from localhost) with a plain link.
    otherSite = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><a id="connect" href="${stack.base}/auth/login?return_to=%2Fafter">Connect another company</a>`);
    });
    await new Promise((resolve) => otherSite.listen(0, "127.0.0.1", resolve));
    otherOrigin = `http://127.0.0.1:${otherSite.address().port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (otherSite ? otherSite.close(resolve) : resolve()));
    await stack?.close();
  });

  const consent = (page, company) => passStandin(page, { base: stack.base, company });

  const sessionCompanies = async (page) =>
    page.evaluate(async () => (await (await fetch("/auth/session")).json()).connections.map((c) => c.subject).sort());

  test("the browser keeps its first company after connecting a second one from a link on another origin", async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const [first, second] = stack.info.companies.map((c) => c.subject);

    await page.goto(`${stack.base}/auth/login?return_to=%2F`);
    await consent(page, 0);
    assert.deepEqual(await sessionCompanies(page), [first]);

    await page.goto(`${otherOrigin}/`);
    await page.click("#connect");
    await consent(page, 1);
    assert.equal(new URL(page.url()).pathname, "/after", "return_to survives the bounce");
    assert.deepEqual(await sessionCompanies(page), [first, second].sort(), "both companies in this browser's session");
    await context.close();
  });
});
