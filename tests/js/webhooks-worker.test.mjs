// Pleo webhooks at the worker (issue #11, "Worker"): the subscription is
// made on connect and removed on disconnect (checked at the stand-in with a
// token of its own); forged, tampered, stale and replayed deliveries change
// nothing and start no run; a valid one delivered three times at once starts
// exactly one run. On real workerd against the real stand-in.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sign } from "../../dev/standin/webhooks/index.mjs";
import { jobFinished, sleep, standinApi, standinToken, startExportStack, waitFor } from "./helpers/export-stack.mjs";

describe("webhooks at the worker (workerd + stand-in)", { timeout: 180_000 }, () => {
  let stack;
  let client;
  let subject;
  let token; // the stand-in's own token for the company (not the worker's)
  let endpointUrl;

  const subscriptions = async () =>
    (await standinApi(stack, token, "/v1/subscriptions?limit=100")).data.filter((s) => s.endpointUrl === endpointUrl);

  before(async () => {
    stack = await startExportStack();
    ({ client, subject } = await stack.connectedClient(2));
    token = await standinToken(stack, subject);
    endpointUrl = `${stack.base}/webhooks/pleo/${encodeURIComponent(subject)}`;
  });
  after(() => stack?.close());

  /** POSTs a delivery to the worker's webhook route. */
  function deliver({ id = `msg_${randomUUID()}`, timestamp = Math.floor(Date.now() / 1000), body, secret, signature, to = endpointUrl }) {
    const headers = { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp) };
    headers["webhook-signature"] = signature ?? sign(secret, id, timestamp, body);
    return fetch(to, { method: "POST", headers, body });
  }

  // Pleo's delivery shape: {data, eventId, eventType} (docs/PLEO-API.md).
  const eventBody = (jobId) =>
    JSON.stringify({ data: { id: jobId, status: "pending" }, eventId: randomUUID(), eventType: "v1.export-job.created" });

  test("connecting made one ACTIVE subscription to the worker's URL for the company", async () => {
    const ours = await subscriptions();
    assert.equal(ours.length, 1);
    assert.equal(ours[0].status, "ACTIVE");
    assert.deepEqual(ours[0].eventTypes, ["v1.export-job.created"]);
  });

  test("forged, tampered, stale and replayed deliveries change nothing and start no run; a valid one three times at once starts one run", async () => {
    // Silence the stand-in's own delivery so only our hand-made ones arrive.
    const [sub] = await subscriptions();
    await standinApi(stack, token, `/v1/subscriptions/${sub.id}`, {
      method: "PUT",
      body: JSON.stringify({ endpointUrl: sub.endpointUrl, eventTypes: sub.eventTypes, status: "INACTIVE" }),
    });
    const secret = (await standinApi(stack, token, `/v1/subscriptions/${sub.id}/secret`)).data.secretKey;
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 30 });
    const body = eventBody(jobId);
    const wrongSecret = `whsec_${Buffer.from(randomUUID()).toString("base64")}`;
    const before = stack.standin.stats();

    const forged = await deliver({ body, secret: wrongSecret });
    assert.equal(forged.status, 401, "signed with another secret");
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const tampered = await deliver({
      id,
      timestamp: ts,
      body: body.replace("pending", "completed"),
      signature: sign(secret, id, ts, body),
    });
    assert.equal(tampered.status, 401, "body changed after signing");
    const stale = await deliver({ body, secret, timestamp: Math.floor(Date.now() / 1000) - 600 });
    assert.equal(stale.status, 401, "timestamp 10 minutes old");
    const future = await deliver({ body, secret, timestamp: Math.floor(Date.now() / 1000) + 600 });
    assert.equal(future.status, 401, "timestamp 10 minutes ahead");
    const noSignature = await fetch(endpointUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(noSignature.status, 401, "no Standard Webhooks headers");
    const unknown = await deliver({
      body,
      secret,
      to: `${stack.base}/webhooks/pleo/${encodeURIComponent("urn:pleo:company:00000000-0000-4000-8000-000000000000")}`,
    });
    assert.equal(unknown.status, 410, "a company that is not connected");

    await sleep(1500);
    assert.equal(stack.standin.exportJob(jobId).job.status, "pending", "no run started");
    assert.equal(stack.standin.stats().exportEvents, before.exportEvents);
    assert.deepEqual((await client.json("/export/jobs")).body.jobs, [], "the worker knows no job");

    // A valid delivery, three times at once (same webhook-id, as a sender's retries would be).
    const validId = `msg_${randomUUID()}`;
    const validTs = Math.floor(Date.now() / 1000);
    const signature = sign(secret, validId, validTs, body);
    const answers = await Promise.all([1, 2, 3].map(() => deliver({ id: validId, timestamp: validTs, body, signature })));
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200],
    );
    const kinds = await Promise.all(answers.map((r) => r.json()));
    assert.equal(kinds.filter((k) => k.duplicate).length, 2, "two of them were recognised as repeats");

    const view = await waitFor(() => jobFinished(stack, jobId), { what: "the run the webhook started" });
    for (const item of view.items) assert.equal(item.reports, 1);
    const afterRun = stack.standin.stats();
    assert.equal(afterRun.exportEvents - before.exportEvents, 2, "one started, one finish event");
    assert.equal(afterRun.exportEventsRejected, before.exportEventsRejected);

    // The same delivery replayed later: 2xx, nothing done — even with a new job waiting.
    const next = stack.standin.createExportJob({ company: subject, entries: 5 });
    const replay = await deliver({ id: validId, timestamp: validTs, body, signature });
    assert.equal(replay.status, 200);
    assert.equal((await replay.json()).duplicate, true);
    await sleep(1500);
    assert.equal(stack.standin.exportJob(next.jobId).job.status, "pending", "a replay starts no run");

    // Clean up for the next test: run the waiting job.
    assert.equal((await client.post("/export/run")).status, 202);
    await waitFor(() => jobFinished(stack, next.jobId), { what: "the second job" });
  });

  test("an INACTIVE subscription of ours is reactivated in place with the whole SubscriptionRequest", async () => {
    const [sub] = await subscriptions();
    assert.equal(sub.status, "INACTIVE", "left so by the test before");
    const { response } = await client.connect({ company: subject });
    assert.equal(response.status, 302);
    const now = await subscriptions();
    assert.equal(now.length, 1);
    assert.equal(now[0].id, sub.id, "the same subscription, not a new one");
    assert.equal(now[0].status, "ACTIVE");
    assert.deepEqual(now[0].eventTypes, ["v1.export-job.created"]);
  });

  test("a subscription Pleo lost is made again (here on reconnect; the webhooks feature's hourly timer runs the same check)", async () => {
    const [lost] = await subscriptions();
    await standinApi(stack, token, `/v1/subscriptions/${lost.id}`, { method: "DELETE" });
    assert.deepEqual(await subscriptions(), []);
    const { response } = await client.connect({ company: subject });
    assert.equal(response.status, 302);
    const again = await subscriptions();
    assert.equal(again.length, 1);
    assert.notEqual(again[0].id, lost.id);
    assert.equal(again[0].status, "ACTIVE");
  });

  test("disconnecting removes the subscription; later deliveries get 410", async () => {
    const [sub] = await subscriptions();
    const secret = (await standinApi(stack, token, `/v1/subscriptions/${sub.id}/secret`)).data.secretKey;
    const done = await client.post("/auth/disconnect");
    assert.equal(done.status, 200);
    assert.deepEqual(await subscriptions(), [], "the subscription is gone at Pleo");
    const late = await deliver({ body: eventBody(randomUUID()), secret });
    assert.equal(late.status, 410);
  });

  test("every request the worker sent and every answer it got matched Pleo's published documents", () => {
    assert.deepEqual(stack.standin.contractViolations(), []);
  });
});
