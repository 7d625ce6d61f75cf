// The export runner on real workerd (miniflare: SQLite Durable Objects,
// alarms, the D1 ledger) against the real stand-in's v3 export API
// (issue #10, "Worker + stand-in"). Each test checks Pleo's side through the
// stand-in's admin view (`reports` counts every accepted update of an item)
// and the ledger's side by reading D1 directly.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WorkerClient, jobFinished, startExportStack, waitFor } from "./helpers/export-stack.mjs";

const FINAL = new Set(["successful", "failed"]);

function countBy(items, key) {
  const out = {};
  for (const item of items) out[item[key]] = (out[item[key]] ?? 0) + 1;
  return out;
}

/** Every item final at Pleo and reported exactly once; ledger rows match the successful ones. */
async function assertExactlyOnce(stack, view) {
  for (const item of view.items) {
    assert.ok(FINAL.has(item.status), `item ${item.accountingEntryId} ended ${item.status}`);
    assert.equal(item.reports, 1, `item ${item.accountingEntryId} was reported ${item.reports} times`);
  }
  // The voucher number is Pleo's reconciliationId, kept on the entry's line rows.
  const rows = await stack.ledger(
    `SELECT e.accounting_entry_id AS id, (SELECT voucher_number FROM ledger_lines l WHERE l.accounting_entry_id = e.accounting_entry_id AND l.line_no = 1) AS voucher,
       (SELECT COUNT(*) FROM ledger_lines l WHERE l.accounting_entry_id = e.accounting_entry_id) AS lines
     FROM ledger_entries e WHERE e.job_id = ?1`,
    view.job.id,
  );
  const successful = view.items.filter((i) => i.status === "successful");
  assert.equal(rows.length, successful.length, "one ledger row per successful item");
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, "no entry booked twice");
  for (const r of rows) assert.ok(r.lines >= 1, "each booked entry has its line rows");
  const voucherOf = new Map(rows.map((r) => [r.id, r.voucher]));
  for (const item of successful) assert.equal(item.externalId, voucherOf.get(item.accountingEntryId), "Pleo shows the ledger's voucher");
}

describe("export runner (workerd + stand-in)", { timeout: 240_000 }, () => {
  let stack;
  let client;
  let subject;

  before(async () => {
    // Pages and reports of 50: more requests per job, so the fault test meets faults.
    stack = await startExportStack({ env: { EXPORT_PAGE_SIZE: "50", EXPORT_REPORT_BATCH: "50" } });
    ({ client, subject } = await stack.connectedClient(0));
  });
  after(() => stack?.close());

  test("a 250-entry job completes with every item reported exactly once; the demo ledger refuses some as Pleo's item failure types", async () => {
    const { jobId, accountingEntryIds } = stack.standin.createExportJob({ company: subject, entries: 250 });
    assert.equal(accountingEntryIds.length, 250);
    // The stand-in's webhook starts the run: no other trigger here.
    const view = await waitFor(() => jobFinished(stack, jobId), { what: "the job to finish" });
    await assertExactlyOnce(stack, view);
    const statuses = countBy(view.items, "status");
    assert.ok(statuses.failed > 0 && statuses.successful > 0, `both outcomes: ${JSON.stringify(statuses)}`);
    assert.equal(view.job.status, "completed_with_errors");
    const LEDGER_FAILURES = ["account_unknown", "tax_code_unknown", "vendor_unknown"];

    // The worker's own view: the job, its counts and every entry.
    const listed = await client.json("/export/jobs");
    assert.equal(listed.status, 200);
    const job = listed.body.jobs.find((j) => j.id === jobId);
    assert.deepEqual(
      { status: job.status, numberOfItems: job.numberOfItems, exported: job.exported, failed: job.failed },
      { status: "completed_with_errors", numberOfItems: 250, exported: statuses.successful, failed: statuses.failed },
    );
    const detail = await client.json(`/export/jobs/${jobId}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.id, jobId);
    assert.equal(detail.body.status, "completed_with_errors");
    assert.equal(detail.body.items.length, 250);
    const pleoById = new Map(view.items.map((i) => [i.accountingEntryId, i]));
    for (const item of detail.body.items) {
      const atPleo = pleoById.get(item.accountingEntryId);
      assert.equal(item.status, atPleo.status);
      if (item.status === "failed") assert.ok(LEDGER_FAILURES.includes(item.failureReasonType), item.failureReasonType);
      else {
        assert.equal(item.externalId, atPleo.externalId);
        assert.equal(item.externalId, item.voucher, "the voucher number is Pleo's reconciliationId");
      }
      assert.ok(item.lines.length >= 1, "the entry's lines are kept");
      assert.ok(Number.isSafeInteger(item.amount.value), "amounts stay integer minor units");
    }

    // CSV: header + one row per entry, amounts as decimal strings from minor units.
    const csv = await client.fetch(`/export/jobs/${jobId}/entries.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type"), /^text\/csv/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    assert.equal(
      lines[0],
      "accountingEntryId,date,type,supplier,currency,amount,walletCurrency,walletAmount,status,externalId,externalUrl,failureReasonType,failureReason,voucher,bookkeeping,vendor,line,account,taxCode,taxType,taxRate,taxAmount,net,gross",
    );
    assert.equal(lines.length, 1 + detail.body.items.reduce((n, i) => n + i.lines.length, 0), "one row per entry line");
    const byId = new Map(detail.body.items.map((i) => [i.accountingEntryId, i]));
    for (const line of lines.slice(1, 40)) {
      const id = line.slice(1, line.indexOf('",')); // text cells are quoted
      const item = byId.get(id);
      const v = item.amount.value;
      const sign = v < 0 ? "-" : "";
      const expected = ["JPY", "ISK"].includes(item.amount.currency)
        ? String(v)
        : `${sign}${Math.trunc(Math.abs(v) / 100)}.${String(Math.abs(v) % 100).padStart(2, "0")}`;
      assert.ok(line.includes(`,${item.amount.currency},${expected},`), `${line} carries ${expected}`);
    }
  });

  test("the export routes need a session holding the company", async () => {
    const stranger = new WorkerClient(stack.base);
    assert.equal((await stranger.json("/export/jobs")).status, 401);
    assert.equal(
      (await client.json("/export/jobs", { headers: { "X-Pleo-Company": "urn:pleo:company:c41f9e03-5d7a-4b8e-8c2d-1a6f4e0b9d33" } }))
        .status,
      403,
    );
    assert.equal((await client.json("/export/run", { method: "POST" })).status, 403, "POST without the CSRF header");
    assert.equal((await client.json("/export/jobs/not-a-job")).status, 404);
  });

  test("two triggers at once (and the webhook) start one run", async () => {
    const before = stack.standin.stats();
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 60 });
    const [a, b] = await Promise.all([client.post("/export/run"), client.post("/export/run")]);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(a.body.jobId, jobId);
    assert.equal(b.body.jobId, jobId);
    assert.ok(!(a.body.started && b.body.started), "at most one of them started it");
    const view = await waitFor(() => jobFinished(stack, jobId), { what: "the job to finish" });
    await assertExactlyOnce(stack, view);
    const afterStats = stack.standin.stats();
    assert.equal(afterStats.exportEvents - before.exportEvents, 2, "one started, one finish event");
    assert.equal(afterStats.exportEventsRejected - before.exportEventsRejected, 0, "no second claim");
  });

  test("a run under 20 % 503 and 10 % 429 completes, every item reported once", async () => {
    const before = stack.standin.stats();
    stack.standin.setFaults({ apiFailureRate: 0.2, apiRateLimitRate: 0.1 });
    try {
      // A 300-entry run makes about ten requests, so it meets no fault at all
      // about 3 % of the time (0.7^10): run another job then (at most three),
      // each of which must complete with every item reported once.
      let faults = 0;
      for (let run = 0; run < 3 && faults === 0; run++) {
        const { jobId } = stack.standin.createExportJob({ company: subject, entries: 300 });
        const view = await waitFor(() => jobFinished(stack, jobId), { timeoutMs: 150_000, what: "the job to finish under faults" });
        await assertExactlyOnce(stack, view);
        assert.equal(view.job.status, "completed_with_errors");
        const afterStats = stack.standin.stats();
        faults = afterStats.apiFailuresInjected - before.apiFailuresInjected + afterStats.apiRateLimited - before.apiRateLimited;
      }
      assert.ok(faults > 0, "the runs met faults");
    } finally {
      stack.standin.setFaults(null);
    }
  });

  test("the demo ledger's chart is read and edited at /export/ledger/chart (session + CSRF), and books against it", async () => {
    const read = await client.json("/export/ledger/chart");
    assert.equal(read.status, 200, read.text);
    assert.ok(read.body.accounts.some((a) => a.code === "7140"));
    assert.ok(!read.body.accounts.some((a) => a.code === "7330"), "the defaults lack the mileage account");
    assert.ok(read.body.taxCodes.includes("I25"));
    const put = (body, headers = { "X-Requested-With": "test" }) =>
      client.json("/export/ledger/chart", {
        method: "PUT",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    assert.equal((await put(read.body, {})).status, 403, "PUT needs the CSRF header");
    assert.equal((await put({ accounts: [{ code: "bad code" }], taxCodes: [] })).status, 400);
    assert.equal((await new WorkerClient(stack.base).json("/export/ledger/chart")).status, 401);
    // Without the lodging account, a job's lodging lines fail as account_unknown.
    const edited = { accounts: read.body.accounts.filter((a) => a.code !== "7145"), taxCodes: read.body.taxCodes };
    const saved = await put(edited);
    assert.equal(saved.status, 200, saved.text);
    const codes = (chart) => [chart.accounts.map((x) => `${x.code} ${x.name}`).sort(), [...chart.taxCodes].sort()];
    assert.deepEqual(codes(saved.body), codes(edited));
    try {
      const { jobId } = stack.standin.createExportJob({ company: subject, entries: 40 });
      await waitFor(() => jobFinished(stack, jobId), { what: "the job booked against the edited chart" });
      const detail = await client.json(`/export/jobs/${jobId}`);
      const lodging = detail.body.items.filter((i) => i.lines.some((l) => l.account === "7145"));
      assert.ok(lodging.length > 0, "the seed has lodging lines");
      for (const item of lodging) assert.deepEqual([item.status, item.failureReasonType], ["failed", "account_unknown"]);
    } finally {
      assert.equal((await put(read.body)).status, 200);
    }
  });

  test("every request the worker sent and every answer it got matched Pleo's published documents", () => {
    assert.deepEqual(stack.standin.contractViolations(), []);
  });
});
