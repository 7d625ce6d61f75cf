// The stand-in's webhook subscriptions API and its signed, retried delivery
// of v1.export-job.created (Standard Webhooks), checked with the reference
// implementation (the standardwebhooks npm package).
// Run: node --test tests/js/standin-webhooks.test.mjs

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { Webhook } from "standardwebhooks";

import { obtainTokens, startStandin } from "../../dev/standin/index.mjs";
import { standinApiAs } from "./helpers/standin-api.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, what, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// A receiver that records deliveries and answers from a script of statuses.
async function startReceiver() {
  const received = [];
  const script = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    received.push({
      path: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      at: Date.now(),
    });
    res.writeHead(script.length ? script.shift() : 204).end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: (path) => `http://127.0.0.1:${server.address().port}${path}`,
    received,
    script,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

let standin;
let info;
let receiver;
let a;
let b;

const apiAs = (token) => standinApiAs(info.apiBaseUrl, token);

const adminPost = async (path, body) =>
  (
    await fetch(`${info.adminUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
  ).json();

before(async () => {
  standin = await startStandin({ webhookRetryMs: 100, webhookAttempts: 3 });
  ({ info } = standin);
  receiver = await startReceiver();
  const [ta, tb] = await Promise.all([obtainTokens(info, { company: 0 }), obtainTokens(info, { company: 1, scopes: ["users:read"] })]);
  a = apiAs(ta.access_token);
  b = apiAs(tb.access_token);
});
after(async () => {
  await standin?.close();
  await receiver?.close();
});

describe("subscriptions API", () => {
  test("create, list, get, update, secret, delete; per company", async () => {
    const bad = await a("POST", "/v1/subscriptions", { endpointUrl: "ftp://x", eventTypes: ["v1.export-job.created"] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.type, "BAD_REQUEST");
    assert.equal((await a("POST", "/v1/subscriptions", { endpointUrl: receiver.url("/x"), eventTypes: ["v1.nope"] })).status, 400);
    const created = await a("POST", "/v1/subscriptions", {
      endpointUrl: receiver.url("/temp"),
      eventTypes: ["v1.export-job.created"],
      customHeaders: { "x-partner": "demo" },
    });
    assert.equal(created.status, 200, created.text);
    const sub = created.body.data;
    assert.deepEqual(Object.keys(sub).sort(), [
      "companyId",
      "createdAt",
      "customHeaders",
      "endpointAuth",
      "endpointUrl",
      "eventTypes",
      "id",
      "status",
      "updatedAt",
    ]);
    assert.deepEqual(sub.endpointAuth, { type: "NONE" });
    assert.equal(sub.status, "ACTIVE");
    assert.equal(sub.companyId, info.companies[0].subject.split(":").pop());
    const list = await a("GET", "/v1/subscriptions");
    assert.deepEqual(
      list.body.data.map((s) => s.id),
      [sub.id],
    );
    assert.equal(list.body.pagination.total, 1);
    assert.deepEqual((await a("GET", `/v1/subscriptions/${sub.id}`)).body.data, sub);
    const secret = await a("GET", `/v1/subscriptions/${sub.id}/secret`);
    assert.match(secret.body.data.secretKey, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.deepEqual(Object.keys(secret.body), ["data"]);
    // another company sees nothing (any token of the company may use the API, scopes aside)
    assert.equal((await b("GET", `/v1/subscriptions/${sub.id}`)).status, 404);
    assert.equal((await b("GET", `/v1/subscriptions/${sub.id}/secret`)).body.type, "SUBSCRIPTION_NOT_FOUND");
    assert.equal((await b("DELETE", `/v1/subscriptions/${sub.id}`)).status, 404);
    assert.deepEqual((await b("GET", "/v1/subscriptions")).body.data, []);
    // PUT takes the whole SubscriptionRequest and replaces the subscription.
    assert.equal(
      (await a("PUT", `/v1/subscriptions/${sub.id}`, { status: "INACTIVE" })).status,
      400,
      "endpointUrl and eventTypes are required",
    );
    const updated = await a("PUT", `/v1/subscriptions/${sub.id}`, {
      endpointUrl: sub.endpointUrl,
      eventTypes: sub.eventTypes,
      status: "INACTIVE",
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.data.status, "INACTIVE");
    assert.equal(updated.body.data.endpointUrl, sub.endpointUrl);
    assert.deepEqual(updated.body.data.customHeaders, {}, "a full replace: headers not sent are gone");
    assert.equal(
      (await a("PUT", `/v1/subscriptions/${sub.id}`, { endpointUrl: sub.endpointUrl, eventTypes: sub.eventTypes, status: "PAUSED" }))
        .status,
      400,
    );
    // the status and event_types filters; the activity log
    assert.deepEqual((await a("GET", "/v1/subscriptions?status=ACTIVE")).body.data, []);
    assert.deepEqual(
      (await a("GET", "/v1/subscriptions?status=INACTIVE&event_types=v1.export-job.created")).body.data.map((s) => s.id),
      [sub.id],
    );
    const activities = await a("GET", `/v1/subscriptions/${sub.id}/activities`);
    assert.equal(activities.status, 200);
    assert.deepEqual(
      activities.body.data.map((x) => x.operationType),
      ["CREATE", "UPDATE"],
    );
    assert.deepEqual((await a("GET", `/v1/subscriptions/${sub.id}/activities?operation_types=UPDATE`)).body.data.length, 1);
    // basic auth on the endpoint: accepted, the password never shown
    const withAuth = await a("PUT", `/v1/subscriptions/${sub.id}`, {
      endpointUrl: sub.endpointUrl,
      eventTypes: sub.eventTypes,
      status: "INACTIVE",
      endpointAuth: { type: "BASIC", credentials: { username: "u", password: "p4ss" } },
    });
    assert.deepEqual(withAuth.body.data.endpointAuth, { type: "BASIC" });
    assert.ok(!withAuth.text.includes("p4ss"));
    assert.equal((await a("DELETE", `/v1/subscriptions/${sub.id}`)).status, 204);
    assert.equal((await a("GET", `/v1/subscriptions/${sub.id}`)).status, 404);
  });
});

describe("delivery of v1.export-job.created", () => {
  test("signed per Standard Webhooks, to active subscriptions only, for jobs made by the admin route and the API", async () => {
    const active = (
      await a("POST", "/v1/subscriptions", {
        endpointUrl: receiver.url("/hook/active"),
        eventTypes: ["v1.export-job.created"],
        customHeaders: { "x-partner": "demo" },
      })
    ).body.data;
    await a("POST", "/v1/subscriptions", {
      endpointUrl: receiver.url("/hook/inactive"),
      eventTypes: ["v1.export-job.created"],
      status: "INACTIVE",
    });
    const secret = (await a("GET", `/v1/subscriptions/${active.id}/secret`)).body.data.secretKey;

    const made = await adminPost("/export-jobs", { company: info.companies[0].subject, entries: 4 });
    const msg = await until(() => receiver.received.find((r) => r.path === "/hook/active"), "the delivery");
    const payload = new Webhook(secret).verify(msg.body, msg.headers); // throws unless the signature is right
    // Pleo's delivery body: {data, eventId, eventType}
    assert.deepEqual(Object.keys(payload).sort(), ["data", "eventId", "eventType"]);
    assert.equal(payload.eventType, "v1.export-job.created");
    assert.match(payload.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(payload.data.id, made.jobId);
    assert.equal(payload.data.status, "pending");
    assert.equal(payload.data.numberOfItems, 4);
    assert.match(msg.headers["webhook-id"], /^msg_/);
    assert.ok(Math.abs(Number(msg.headers["webhook-timestamp"]) - Date.now() / 1000) < 30);
    assert.equal(msg.headers["x-partner"], "demo");
    assert.match(msg.headers["content-type"], /^application\/json/);
    // the signature by hand, as the facts file describes it
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const mac = createHmac("sha256", key)
      .update(`${msg.headers["webhook-id"]}.${msg.headers["webhook-timestamp"]}.${msg.body}`)
      .digest("base64");
    assert.equal(msg.headers["webhook-signature"], `v1,${mac}`);
    // tampering is detected by the reference implementation
    assert.throws(() => new Webhook(secret).verify(msg.body.replace("pending", "completed"), msg.headers));

    // The API's own POST /v3/export-jobs fires it too (after the admin job is done).
    await a("POST", "/v3/export-job-events", { event: "failed", jobId: made.jobId });
    const viaApi = await a("POST", "/v3/export-jobs", {
      companyId: info.companies[0].subject.split(":").pop(),
      accountingEntryIds: made.accountingEntryIds,
    });
    assert.equal(viaApi.status, 201, viaApi.text);
    const second = await until(
      () => receiver.received.find((r) => r.path === "/hook/active" && r.body.includes(viaApi.body.data.id)),
      "the second delivery",
    );
    assert.equal(new Webhook(secret).verify(second.body, second.headers).data.id, viaApi.body.data.id);
    await a("POST", "/v3/export-job-events", { event: "failed", jobId: viaApi.body.data.id });
    await sleep(100);
    assert.equal(receiver.received.filter((r) => r.path === "/hook/inactive").length, 0, "inactive subscriptions get nothing");
    for (const s of (await a("GET", "/v1/subscriptions")).body.data) await a("DELETE", `/v1/subscriptions/${s.id}`);
  });

  test("non-2xx answers are retried with growing delays, same webhook-id; the log is in stats", async () => {
    const sub = (await a("POST", "/v1/subscriptions", { endpointUrl: receiver.url("/hook/flaky"), eventTypes: ["v1.export-job.created"] }))
      .body.data;
    receiver.script.push(500, 503);
    standin.resetStats();
    const made = await adminPost("/export-jobs", { company: info.companies[0].subject, entries: 1 });
    const tries = await until(() => {
      const got = receiver.received.filter((r) => r.path === "/hook/flaky");
      return got.length >= 3 && got;
    }, "three attempts");
    assert.equal(new Set(tries.map((t) => t.headers["webhook-id"])).size, 1, "the same message id on every attempt");
    const gaps = [tries[1].at - tries[0].at, tries[2].at - tries[1].at];
    assert.ok(gaps[0] >= 90, `first retry after ~100 ms, got ${gaps[0]}`);
    assert.ok(gaps[1] >= 350 && gaps[1] > gaps[0], `second retry after ~400 ms, got ${gaps[1]}`);
    const stats = await until(() => {
      const s = standin.stats();
      return s.webhooksDelivered === 1 && s;
    }, "the delivery counters");
    assert.deepEqual(
      stats.webhookDeliveries.map((d) => [d.attempt, d.status]),
      [
        [1, 500],
        [2, 503],
        [3, 204],
      ],
    );
    for (const d of stats.webhookDeliveries) assert.deepEqual(Object.keys(d).sort(), ["at", "attempt", "error", "id", "status", "url"]);
    assert.equal(stats.webhooksSent, 3);
    assert.equal(stats.webhooksPending, 0);
    const overHttp = await (await fetch(`${info.adminUrl}/stats`)).json();
    assert.equal(overHttp.webhookDeliveries.length, 3);

    // An endpoint that never answers 2xx is given up after webhookAttempts.
    await a("POST", "/v3/export-job-events", { event: "failed", jobId: made.jobId });
    await a("PUT", `/v1/subscriptions/${sub.id}`, { endpointUrl: "http://127.0.0.1:1/closed", eventTypes: ["v1.export-job.created"] });
    await adminPost("/export-jobs", { company: info.companies[0].subject, entries: 1 });
    const gaveUp = await until(() => standin.stats().webhooksFailed === 1 && standin.stats(), "giving up");
    const failedTries = gaveUp.webhookDeliveries.filter((d) => d.url.endsWith("/closed"));
    assert.equal(failedTries.length, 3);
    assert.ok(failedTries.every((d) => d.status === 0 && d.error));
  });
});
