// EXPORT_AUTOMATIC=off: no webhook subscription, no look-up on connect, no
// poll — a job waits until POST /export/run starts it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jobFinished, sleep, standinApi, standinToken, startExportStack, waitFor } from "./helpers/export-stack.mjs";

describe("exports on demand only (EXPORT_AUTOMATIC=off)", { timeout: 120_000 }, () => {
  let stack;
  before(async () => {
    stack = await startExportStack({ env: { EXPORT_AUTOMATIC: "off", EXPORT_POLL_MINUTES: "0.02" } });
  });
  after(() => stack?.close());

  test("nothing runs by itself; POST /export/run does", async () => {
    const { client, subject } = await stack.connectedClient(0);
    const token = await standinToken(stack, subject);
    assert.deepEqual((await standinApi(stack, token, "/v1/subscriptions?limit=100")).data, [], "no subscription");
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 10 });
    await sleep(2500); // well past the (short) poll interval
    assert.equal(stack.standin.exportJob(jobId).job.status, "pending");
    const run = await client.post("/export/run");
    assert.equal(run.status, 202);
    assert.deepEqual(run.body, { started: true, jobId });
    const view = await waitFor(() => jobFinished(stack, jobId), { what: "the job started on demand" });
    for (const item of view.items) assert.equal(item.reports, 1);
    const none = await client.post("/export/run");
    assert.deepEqual(none.body, { started: false, jobId: null }, "no job waiting");
  });

  test("every request sent to the stand-in and every answer matched Pleo's published documents", () => {
    assert.deepEqual(stack.standin.contractViolations(), []);
  });
});
