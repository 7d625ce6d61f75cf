// Features with seams (worker/README.md "Features"): each built-in feature
// owns its routes and its part of the company's connection object, features
// talk through the connection's methods (`conn.call`, `conn.offers`), each
// part has its own per-object `memory`, and `createWorker({ builtins })`
// with any combination of the built-ins either works or fails at start-up.
// The ConnectionObject runs here on a Map, its directory answered by a stub.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import { BUILTIN_FEATURES, createWorker } from "../../worker/create-worker.js";
import { LOOKUP_KEY } from "../../worker/export/job-store.js";
import { SUBSCRIPTION_KEY } from "../../worker/webhooks/subscriptions.js";
import { MapStorage } from "./helpers/map-storage.mjs";

const SUBJECT = "urn:pleo:company:5b1f3a52-0c4e-4d0e-9a53-3f1c2f6a9e10";
const KEY = randomBytes(24);
const SECRET = `whsec_${KEY.toString("base64")}`;

/** A connected company's object in a worker made with `options`, its subscription secret on record. */
async function companyObject(options) {
  const app = createWorker({ demoLedger: true, ...options });
  const storage = new MapStorage();
  await storage.put({
    record: { subject: SUBJECT, name: "Acme", status: "active", tokens: null, scopes: [], connectedAt: Date.now(), history: [] },
    [SUBSCRIPTION_KEY]: { id: "sub-1", endpointUrl: "https://partner.example/webhooks/pleo/x", secret: SECRET },
  });
  const directory = { fetch: async () => Response.json({ value: null }) };
  const env = { PLEO_ENV: "local", DIRECTORY: { idFromName: (n) => n, get: () => directory } };
  const object = new app.ConnectionObject({ id: { name: SUBJECT }, storage }, env);
  const call = async (method, ...args) => {
    const response = await object.fetch(
      new Request("https://object.internal/call", { method: "POST", body: JSON.stringify({ method, args }) }),
    );
    return response.json();
  };
  return { app, object, storage, call };
}

/** A Standard Webhooks delivery signed with SECRET, as the route hands it to the object. */
function signedDelivery(
  body = JSON.stringify({ type: "v1.export-job.created", data: {} }),
  { id = `msg_${randomBytes(6).toString("hex")}`, key = KEY } = {},
) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    headers: { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` },
    body: Buffer.from(body).toString("base64"),
  };
}

const quietly = async (fn) => {
  const { log, error } = console;
  console.log = console.error = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
    console.error = error;
  }
};

test("every combination of the built-in features starts, and each feature's methods are there exactly when it is", async () => {
  const byName = (name) => BUILTIN_FEATURES.find((f) => f.name === name);
  assert.deepEqual(
    BUILTIN_FEATURES.map((f) => f.name),
    ["auth", "api", "export", "webhooks", "ops"],
  );
  for (let mask = 0; mask < 2 ** BUILTIN_FEATURES.length; mask++) {
    const builtins = BUILTIN_FEATURES.filter((_, i) => mask & (1 << i));
    const names = builtins.map((f) => f.name);
    const { object } = await companyObject({ builtins });
    const offers = (method) => object.context.offers(method);
    assert.equal(offers("requestExportLookup"), names.includes("export"), names.join(","));
    assert.equal(offers("receiveWebhook"), names.includes("webhooks"), names.join(","));
    assert.equal(offers("checkWebhookSubscription"), names.includes("webhooks"), names.join(","));
  }
  assert.ok(byName("export").connection && byName("webhooks").connection, "export and webhooks each own a connection part");
});

test("webhooks with export: a verified delivery asks the export feature for a look-up through the connection", async () => {
  const { storage, call } = await companyObject({});
  const { value } = await quietly(() => call("receiveWebhook", signedDelivery()));
  assert.equal(value.outcome, "accepted");
  assert.equal(value.exportLookup, true);
  assert.equal((await storage.get(LOOKUP_KEY))?.reason, "webhook");
  assert.ok((await storage.get("timers"))?.export <= Date.now(), "the export timer is set to now");
});

test("webhooks without export: a delivery is still verified and recorded; the look-up is skipped cleanly", async () => {
  const builtins = BUILTIN_FEATURES.filter((f) => f.name !== "export");
  const { storage, call } = await companyObject({ builtins });
  const delivery = signedDelivery();
  const { value, error } = await quietly(() => call("receiveWebhook", delivery));
  assert.equal(error, undefined);
  assert.deepEqual({ outcome: value.outcome, exportLookup: value.exportLookup }, { outcome: "accepted", exportLookup: false });
  assert.equal(typeof (await storage.get(`webhooks:seen:${delivery.headers["webhook-id"]}`)), "number", "the webhook-id is remembered");
  assert.equal(await storage.get(LOOKUP_KEY), undefined, "no export look-up was asked for");
  assert.equal((await call("receiveWebhook", delivery)).value.outcome, "duplicate");
  // A forged signature is refused as before.
  assert.equal(
    (await quietly(() => call("receiveWebhook", signedDelivery(undefined, { key: randomBytes(24) })))).value.outcome,
    "webhook_signature_mismatch",
  );
});

test("export without webhooks: the export feature's methods work and no webhook method exists", async () => {
  const builtins = BUILTIN_FEATURES.filter((f) => f.name !== "webhooks");
  const { storage, call } = await companyObject({ builtins });
  assert.deepEqual((await call("requestExportLookup", { reason: "test" })).value, { requested: true });
  assert.equal((await storage.get(LOOKUP_KEY))?.reason, "test");
  const refused = await quietly(() => call("receiveWebhook", signedDelivery()));
  assert.equal(refused.error?.code, "internal_error");
});

test("each feature part has its own per-object memory; another object has another", async () => {
  const part = (name) => ({
    name,
    connection: {
      methods: {
        [`${name}Count`]: (conn) => (conn.memory.count = (conn.memory.count ?? 0) + 1),
      },
    },
  });
  const features = [part("one"), part("two")];
  const first = await companyObject({ features });
  assert.equal((await first.call("oneCount")).value, 1);
  assert.equal((await first.call("oneCount")).value, 2);
  assert.equal((await first.call("twoCount")).value, 1, "another feature's memory is its own");
  const second = await companyObject({ features });
  assert.equal((await second.call("oneCount")).value, 1, "another company's object starts afresh");
  // The webhooks feature's rejection counter lives in its slot (no module-level map).
  const webhooks = BUILTIN_FEATURES.find((f) => f.name === "webhooks");
  for (let i = 0; i < 3; i++) await quietly(() => first.call("receiveWebhook", signedDelivery(undefined, { key: randomBytes(24) })));
  assert.equal(first.object.context.slot(webhooks).unreported, 2, "the first rejection was reported, two wait for the next event");
});

test("a feature that needs another names it at start-up; names are unique", () => {
  const needsExport = { name: "bookkeeping-sync", requires: ["export"] };
  assert.doesNotThrow(() => createWorker({ demoLedger: true, features: [needsExport] }));
  const noExport = BUILTIN_FEATURES.filter((f) => f.name !== "export");
  assert.throws(() => createWorker({ features: [needsExport], builtins: noExport }), {
    name: "TypeError",
    message: /feature "bookkeeping-sync" requires the feature "export"/,
  });
  assert.throws(() => createWorker({ demoLedger: true, features: [{ name: "export" }] }), /two features are named "export"/);
  assert.throws(() => createWorker({ features: [{ prefix: "/x/" }] }), /every feature needs a `name`/);
});

test("the webhooks feature's own timer checks the subscription hourly, and stops once the company is gone", async () => {
  const HOUR = 60 * 60_000;
  const { object, storage } = await companyObject({});
  await storage.put("timers", { webhooks: Date.now() - 1 });
  const logs = [];
  const { error } = console;
  console.error = (...a) => logs.push(a.join(" "));
  try {
    await object.alarm(); // no tokens on record here: the check fails, is logged, and is tried again in an hour
  } finally {
    console.error = error;
  }
  assert.ok(
    logs.some((l) => /webhooks: subscription check failed/.test(l)),
    logs.join("\n"),
  );
  const next = (await storage.get("timers"))?.webhooks;
  assert.ok(next > Date.now() + HOUR - 5_000 && next <= Date.now() + HOUR, `next check at +${next - Date.now()} ms`);

  const gone = await companyObject({});
  await gone.storage.delete("record");
  await gone.storage.put("timers", { webhooks: Date.now() - 1 });
  await gone.object.alarm();
  assert.equal((await gone.storage.get("timers"))?.webhooks, undefined, "no new check for a company that is not connected");
});
