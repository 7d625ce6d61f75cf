// The demo's entries view with receipts in headless Chromium (issue #18): a
// job's receipts stored by the export run in the demo ledger (local R2 + D1)
// show as a thumbnail for an image, which must load and decode, and as a
// link for a PDF, which must point at the receipt's href and give the
// stand-in's bytes.
//
// The stand-in's generated receipts are PDFs, so the image is one more
// receipt of a booked entry written into the demo ledger's storage the way
// ledger-receipts.js writes it (R2 object, then the ledger_receipts row);
// the listing route, the download route and the page are the real ones.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { jobFinished, startExportStack, waitFor } from "./helpers/export-stack.mjs";
import { passStandin } from "./helpers/standin-pages.mjs";
import { receiptKey } from "../../worker/export/ledger-receipts.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** A valid RGB PNG of `width` × `height` pixels (a gradient). */
function png(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 128], y * (1 + width * 3) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("receipts in the demo's entries view (Chromium)", { timeout: 240_000 }, () => {
  let stack;
  let browser;
  before(async () => {
    stack = await startExportStack();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test("an image receipt shows as a thumbnail that loads; a PDF receipt's link is its href and gives the stand-in's bytes", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 900 } });
    context.setDefaultTimeout(30_000);
    const problems = [];
    context.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    context.on("weberror", (e) => problems.push(`page error: ${e.error().message}`));
    const page = await context.newPage();
    await page.goto(`${stack.base}/`);
    await page.getByRole("link", { name: "Connect to Pleo" }).click();
    await passStandin(page, { base: stack.base, company: 0 });
    await page.getByRole("button", { name: "Disconnect" }).first().waitFor();
    const session = await (await page.request.get(`${stack.base}/auth/session`)).json();
    const subject = session.connections[0].subject;

    // A job with one 200 kB PDF per entry, run by the worker into R2.
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 3, receipts: { count: 1, size: 200_000 } });
    const view = await waitFor(() => jobFinished(stack, jobId), { what: "the job to finish", timeoutMs: 120_000 });
    const booked = view.items.find((i) => i.status === "successful");
    assert.ok(booked, "an entry was booked");

    // The booked entry's second receipt: a PNG, stored as the demo ledger stores one.
    const image = png(40, 30);
    const imageSha = createHash("sha256").update(image).digest("hex");
    const bucket = await stack.worker.miniflare.getR2Bucket("RECEIPTS");
    const imageBytes = image.buffer.slice(image.byteOffset, image.byteOffset + image.length); // a Buffer does not cross miniflare's proxy
    await bucket.put(receiptKey(booked.accountingEntryId, 1), imageBytes, { httpMetadata: { contentType: "image/png" } });
    await stack.ledger(
      "INSERT INTO ledger_receipts (accounting_entry_id, idx, company, job_id, type, size, sha256, stored_at) VALUES (?1, 1, ?2, ?3, 'image/png', ?4, ?5, ?6)",
      booked.accountingEntryId,
      subject,
      jobId,
      image.length,
      imageSha,
      new Date().toISOString(),
    );
    const listing = await (
      await page.request.get(`${stack.base}/export/jobs/${jobId}/receipts`, { headers: { "X-Pleo-Company": subject } })
    ).json();
    const pdf = listing.receipts.find((r) => r.accountingEntryId === booked.accountingEntryId && r.index === 0);
    assert.ok(pdf, "the run stored the entry's PDF");
    assert.equal(pdf.sha256, booked.files[0].sha256);

    await page.getByRole("tab", { name: "Export" }).click();
    const job = page.locator(`article.export-job[data-job-id="${jobId}"]`);
    await job.getByRole("button", { name: "Entries" }).click();
    const row = page.locator(`#export-entries tbody tr.export-entry:has(a[href*="/receipts/${booked.accountingEntryId}/"])`);
    await row.waitFor();

    // The thumbnail: an <img> of the receipt's href that the browser loaded and decoded.
    const thumb = row.locator("img.receipt-thumb");
    assert.equal(await thumb.count(), 1, "one thumbnail: the image receipt");
    await thumb.scrollIntoViewIfNeeded(); // loading="lazy"
    await page.waitForFunction((img) => img.complete, await thumb.elementHandle());
    const natural = await thumb.evaluate((img) => ({ width: img.naturalWidth, height: img.naturalHeight, src: img.getAttribute("src") }));
    assert.deepEqual([natural.width, natural.height], [40, 30], "the thumbnail loaded and decoded (naturalWidth > 0)");
    const company = `?company=${encodeURIComponent(subject)}`;
    const imageHref = listing.receipts.find((r) => r.accountingEntryId === booked.accountingEntryId && r.index === 1).href;
    assert.equal(natural.src, imageHref + company);

    // The PDF link: the receipt's href (with ?company=, as an <img> or a new tab sends no header),
    // and what the browser gets from it is the stand-in's file, byte for byte.
    const links = row.locator("a.receipt-link");
    assert.equal(await links.count(), 1, "one link: the PDF receipt");
    assert.equal(await links.first().getAttribute("href"), pdf.href + company);
    const got = await links.first().evaluate(async (a) => {
      const response = await fetch(a.href, { credentials: "same-origin" });
      const bytes = await response.arrayBuffer();
      const digest = await crypto.subtle.digest("SHA-256", bytes);
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        disposition: response.headers.get("content-disposition"),
        size: bytes.byteLength,
        sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
      };
    });
    assert.deepEqual(got, { status: 200, type: "application/pdf", disposition: "inline", size: 200_000, sha256: booked.files[0].sha256 });

    assert.deepEqual(problems, [], "no CSP violation or page error");
    await context.close();
  });
});
