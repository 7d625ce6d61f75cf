// The periodic poll (EXPORT_POLL_MINUTES, here 3 s) without any webhook:
// it finds a pending job, and it recovers an `in_progress` job that some
// earlier run claimed and left (the worker has no state for it: the core
// scans the job's items first and skips those already final).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jobFinished, standinApi, standinToken, startExportStack, waitFor } from "./helpers/export-stack.mjs";

describe("export poll (workerd + stand-in, no webhooks)", { timeout: 180_000 }, () => {
  let stack;
  let subject;
  let token;

  before(async () => {
    // No webhooks: PUBLIC_URL names a port nobody listens on, so Pleo's
    // deliveries fail and only the poll can find work.
    stack = await startExportStack({ env: { EXPORT_POLL_MINUTES: "0.05", PUBLIC_URL: "http://127.0.0.1:9" } });
    ({ subject } = await stack.connectedClient(3));
    token = await standinToken(stack, subject);
    const { data } = await standinApi(stack, token, "/v1/subscriptions?limit=100");
    assert.deepEqual(
      data.map((s) => s.endpointUrl),
      [`http://127.0.0.1:9/webhooks/pleo/${encodeURIComponent(subject)}`],
      "PUBLIC_URL names the webhook endpoint",
    );
  });
  after(() => stack?.close());

  test("the poll finds a pending job and runs it", async () => {
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 40 });
    const view = await waitFor(() => jobFinished(stack, jobId), { timeoutMs: 60_000, what: "the poll to run the job" });
    assert.equal(view.job.status, "completed_with_errors");
    for (const item of view.items) assert.equal(item.reports, 1);
  });

  test("the poll recovers an in_progress job another run left half done, without reporting its final items again", async () => {
    // The worker is down while "our previous life" claims the job and reports
    // its first 10 items (so no poll can take the job first).
    await stack.stopWorker();
    const { jobId, accountingEntryIds } = stack.standin.createExportJob({ company: subject, entries: 30 });
    await standinApi(stack, token, "/v3/export-job-events", { method: "POST", body: JSON.stringify({ event: "started", jobId }) });
    const first = accountingEntryIds
      .slice(0, 10)
      .map((accountingEntryId) => ({ accountingEntryId, status: "successful", externalId: `EARLIER-${accountingEntryId.slice(0, 6)}` }));
    await standinApi(stack, token, `/v3/export-jobs/${jobId}/items`, { method: "PUT", body: JSON.stringify(first) });
    await stack.startWorker();
    const view = await waitFor(() => jobFinished(stack, jobId), { timeoutMs: 60_000, what: "the poll to recover the job" });
    const byId = new Map(view.items.map((i) => [i.accountingEntryId, i]));
    for (const { accountingEntryId, externalId } of first) {
      assert.equal(byId.get(accountingEntryId).reports, 1, "a final item is not reported again");
      assert.equal(byId.get(accountingEntryId).externalId, externalId);
    }
    for (const id of accountingEntryIds.slice(10)) assert.equal(byId.get(id).reports, 1);
    const booked = await stack.ledger("SELECT count(*) AS n FROM ledger_entries WHERE job_id = ?1", jobId);
    assert.equal(
      booked[0].n,
      view.items.filter((i) => i.status === "successful" && !i.externalId.startsWith("EARLIER-")).length,
      "skipped entries were not booked",
    );
  });

  test("every request sent to the stand-in and every answer matched Pleo's published documents", () => {
    assert.deepEqual(stack.standin.contractViolations(), []);
  });
});
