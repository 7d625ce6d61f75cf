// The demo's Export tab in headless Chromium (issue #10, "Chromium e2e"):
// connect through the stand-in's pages, create an export in "Pleo" (the
// stand-in), watch the worker run it live on the page, open the entries and
// download the CSV. Screenshots go to test-artifacts/e2e/.
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startExportStack } from "./helpers/export-stack.mjs";
import { passStandin } from "./helpers/standin-pages.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "e2e");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

describe("Export tab in Chromium", { timeout: 180_000 }, () => {
  let stack;
  let browser;
  const problems = [];
  const bodies = [];

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Slow API answers so the page sees the run going, not only its end.
    stack = await startExportStack({ env: { EXPORT_PAGE_SIZE: "20", EXPORT_REPORT_BATCH: "20" } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test("connect, create an export, watch it finish, download the CSV", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(30_000);
    context.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    context.on("weberror", (e) => problems.push(`page error: ${e.error().message}`));
    context.on("response", async (r) =>
      bodies.push(
        await r
          .body()
          .then((b) => b.toString("latin1"))
          .catch(() => ""),
      ),
    );
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);

    await page.getByRole("link", { name: "Connect to Pleo" }).click();
    await passStandin(page, { base: stack.base, company: 3 });
    await page.getByRole("button", { name: "Disconnect" }).first().waitFor();

    await page.getByRole("tab", { name: "Export" }).click();
    await page.getByRole("button", { name: "Create an export in Pleo" }).waitFor();
    // ~3 s of run (22 requests × 150 ms) against the page's 1 s refresh: it sees the run under way.
    stack.standin.setFaults({ apiDelayMs: 150 });
    await page.fill("#export-size", "200");
    await page.getByRole("button", { name: "Create an export in Pleo" }).click();

    // Live: the job appears and its counts move before it ends.
    const job = page.locator("article.export-job").first();
    await job.waitFor();
    const jobId = await job.getAttribute("data-job-id");
    assert.match(jobId, /^[0-9a-f-]{36}$/);
    const seen = new Set();
    const deadline = Date.now() + 90_000;
    let status;
    while (Date.now() < deadline) {
      status = await job.getAttribute("data-status");
      seen.add(await job.locator(".export-count-booked").textContent());
      if (["completed", "completed_with_errors", "failed"].includes(status)) break;
      await page.waitForTimeout(150);
    }
    stack.standin.setFaults(null);
    await page.screenshot({ path: path.join(ARTIFACTS, "export-finished.png"), fullPage: true });
    assert.equal(status, "completed_with_errors");
    const atPleo = stack.standin.exportJob(jobId);
    const booked = atPleo.items.filter((i) => i.status === "successful").length;
    const counts = [...seen].map((text) => Number.parseInt(text, 10));
    assert.ok(
      counts.some((n) => n < booked),
      `the page showed the run under way: ${[...seen].join(" | ")}`,
    );
    assert.equal(await job.locator(".export-count-booked").textContent(), `${booked} booked`);
    assert.equal(await job.getAttribute("data-status"), atPleo.job.status);

    // Entries: one row per entry, then one per line (account, tax, net, gross);
    // amounts formatted from minor units with the currency's own decimals.
    await job.getByRole("button", { name: "Entries" }).click();
    const rows = page.locator("#export-entries tbody tr.export-entry");
    await page.waitForFunction(() => document.querySelectorAll("#export-entries tbody tr.export-entry").length === 200);
    assert.equal(await rows.count(), 200);
    assert.ok((await page.locator("#export-entries tbody tr.export-line").count()) >= 200, "every entry shows its lines");
    const failedRow = page.locator('#export-entries tbody tr.export-entry[data-status="failed"]').first();
    assert.match(await failedRow.textContent(), /(account|tax_code|vendor)_unknown/);
    const amounts = await page.locator("#export-entries tbody tr.export-entry td.num").allTextContents();
    assert.ok(
      amounts.every((a) => /\d/.test(a)),
      "every entry shows its amount",
    );
    assert.ok(
      amounts.some((a) => /\d[.,]\d{2}/.test(a)),
      "two-decimal currencies show two decimals",
    );
    // Receipts (issue #18): booked entries link their PDF receipts from the demo ledger's R2 bucket.
    const receiptLinks = page.locator('#export-entries tbody tr.export-entry[data-status="successful"] a.receipt-link');
    assert.ok((await receiptLinks.count()) > 0, "booked entries show their receipts");
    const receipt = await page.request.get(new URL(await receiptLinks.first().getAttribute("href"), stack.base).href);
    assert.equal(receipt.status(), 200);
    assert.equal(receipt.headers()["content-type"], "application/pdf");
    assert.ok((await receipt.body()).subarray(0, 5).toString("latin1") === "%PDF-", "the receipt is the PDF the stand-in served");

    // CSV download.
    const [download] = await Promise.all([page.waitForEvent("download"), job.getByRole("link", { name: "Download CSV" }).click()]);
    const csv = await readFile(await download.path(), "utf8");
    const lines = csv.trimEnd().split("\r\n");
    assert.equal(lines.length, 1 + (await page.locator("#export-entries tbody tr.export-line").count()), "one CSV row per entry line");
    assert.match(lines[0], /^accountingEntryId,date,type,supplier,currency,amount,/);
    await page.screenshot({ path: path.join(ARTIFACTS, "export-entries.png"), fullPage: true });

    assert.deepEqual(problems, [], "no CSP violation or page error");
    assert.deepEqual(stack.standin.contractViolations(), [], "the worker sent and the stand-in answered only what Pleo's documents allow");
    const everything = bodies.join("\n");
    assert.ok(!everything.includes(stack.info.clientSecret), "the client secret never reaches the browser");
    assert.ok(!everything.includes("whsec_"), "no webhook secret reaches the browser");
    assert.ok(!everything.includes(stack.info.adminUrl), "the stand-in's admin URL stays in the worker");
    await context.close();
  });
});
