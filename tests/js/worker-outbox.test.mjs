// The events outbox of the connection object (worker/store/outbox.js), with
// in-memory storage: an event is written in the same put as its change and
// with its delivery alarm; every sink gets the company's events in order; a
// sink that refuses holds back only its own later events; an entry goes only
// when every sink accepted; a new instance on the same storage delivers what
// was left. (tests/js/worker-events.test.mjs runs the real thing on workerd.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { OUTBOX_TIMER, Outbox, outboxRetryDelay } from "../../worker/store/outbox.js";
import { AlarmScheduler } from "../../worker/store/scheduler.js";
import { newFailureWindow } from "../../worker/store/connection/refresh.js";

const SUBJECT = "urn:pleo:company:5b1f3a52-0c4e-4d0e-9a53-3f1c2f6a9e10";

/** Durable Object storage in memory; `puts` records each put's keys (one put = one write). */
function memoryStorage() {
  const data = new Map();
  return {
    data,
    puts: [],
    alarm: null,
    async get(key) {
      return structuredClone(data.get(key));
    },
    async put(key, value) {
      if (typeof key === "string") data.set(key, structuredClone(value));
      else for (const [k, v] of Object.entries(key)) data.set(k, structuredClone(v));
      this.puts.push(typeof key === "string" ? [key] : Object.keys(key));
    },
    async delete(keys) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
    },
    async deleteAll() {
      data.clear();
    },
    async list({ prefix = "", limit = Infinity } = {}) {
      const keys = [...data.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .slice(0, limit);
      return new Map(keys.map((k) => [k, structuredClone(data.get(k))]));
    },
    async setAlarm(at) {
      this.alarm = at;
    },
    async deleteAlarm() {
      this.alarm = null;
    },
  };
}

/** A connection object's parts the outbox uses, with sinks that record and can refuse. */
function objectOn(storage, { queue = true } = {}) {
  const seen = { onEvent: [], queue: [] };
  const refuse = { onEvent: false, queue: false };
  const conn = { storage, record: { subject: SUBJECT, name: "Acme ApS" }, env: {} };
  if (queue) {
    conn.env.EVENTS = {
      async send(event) {
        if (refuse.queue) throw new Error("queue down");
        seen.queue.push(event);
      },
    };
  }
  const options = {
    async onEvent(event) {
      if (refuse.onEvent) throw new Error("sink down");
      seen.onEvent.push(event);
    },
  };
  conn.outbox = new Outbox(conn, options);
  conn.scheduler = new AlarmScheduler(storage, { [OUTBOX_TIMER]: () => conn.outbox.deliver() });
  return { conn, seen, refuse };
}

const outboxKeys = (storage) => [...storage.data.keys()].filter((k) => k.startsWith("outbox:"));
const settle = async (conn) => {
  await new Promise((r) => setImmediate(r));
  while (conn.outbox.delivering) await conn.outbox.delivering;
};

test("the event is in the same put as its change, with its alarm; delivered to both sinks, then removed", async () => {
  const storage = memoryStorage();
  const { conn, seen } = objectOn(storage);
  const [event] = await conn.outbox.commit({ record: { status: "active" } }, [{ type: "connection.connected", scopes: ["a"] }]);
  const [firstPut] = storage.puts;
  assert.ok(
    firstPut.includes("record") && firstPut.some((k) => k.startsWith("outbox:")) && firstPut.includes("timers"),
    firstPut.join(","),
  );
  assert.ok(storage.alarm !== null);
  assert.equal(event.company, SUBJECT);
  assert.equal(event.name, "Acme ApS");
  assert.match(event.id, /^[0-9a-f-]{36}$/);
  await settle(conn);
  assert.deepEqual(seen.onEvent, [event]);
  assert.deepEqual(seen.queue, [event]);
  assert.deepEqual(outboxKeys(storage), []);
});

test("a refusing sink holds back only its own later events; the entry stays until it accepted; order kept", async () => {
  const storage = memoryStorage();
  const { conn, seen, refuse } = objectOn(storage);
  refuse.onEvent = true;
  const first = await conn.outbox.commit({}, [{ type: "refresh.failed" }, { type: "connection.needs_reconnect" }]);
  await settle(conn);
  assert.deepEqual(
    seen.queue.map((e) => e.type),
    ["refresh.failed", "connection.needs_reconnect"],
    "the queue got both",
  );
  assert.deepEqual(seen.onEvent, []);
  assert.equal(outboxKeys(storage).length, 2, "kept for onEvent");
  assert.ok((await conn.scheduler.next(OUTBOX_TIMER)) > Date.now(), "retry scheduled");

  refuse.onEvent = false;
  const later = await conn.outbox.commit({}, [{ type: "connection.reconnected" }]);
  await settle(conn);
  assert.deepEqual(
    seen.onEvent.map((e) => e.id),
    [...first, ...later].map((e) => e.id),
    "onEvent: in write order",
  );
  assert.equal(seen.queue.length, 3, "the queue was not given the first two again");
  assert.deepEqual(outboxKeys(storage), []);
});

test("a new instance on the same storage (after a kill) delivers what was left, from its alarm", async () => {
  const storage = memoryStorage();
  const a = objectOn(storage, { queue: false });
  a.refuse.onEvent = true;
  const [event] = await a.conn.outbox.commit({ record: {} }, [{ type: "connection.connected" }]);
  await settle(a.conn);
  assert.equal(outboxKeys(storage).length, 1);

  const left = outboxKeys(storage);
  const b = objectOn(storage, { queue: false }); // the restarted object: nothing in memory
  b.refuse.onEvent = true;
  await b.conn.outbox.commit({}, [{ type: "connection.disconnected" }]);
  await settle(b.conn);
  const keys = outboxKeys(storage);
  assert.equal(keys.length, 2);
  assert.equal(keys[0], left[0], "the new event is numbered after the one left");
  b.refuse.onEvent = false;
  await b.conn.scheduler.fire(Date.now() + 10 * 60_000);
  assert.deepEqual(
    b.seen.onEvent.map((e) => e.type),
    ["connection.connected", "connection.disconnected"],
  );
  assert.equal(b.seen.onEvent[0].id, event.id);
  assert.deepEqual(outboxKeys(storage), []);
});

test("unlessHolding: an event an outsider can cause is dropped while the outbox is that full; the change is still written", async () => {
  const storage = memoryStorage();
  const { conn, refuse } = objectOn(storage, { queue: false });
  refuse.onEvent = true;
  await conn.outbox.commit({}, [{ type: "a" }, { type: "b" }]);
  const written = await conn.outbox.commit({ mark: 1 }, [{ type: "webhook.rejected" }], { unlessHolding: 2 });
  assert.deepEqual(written, []);
  assert.equal(storage.data.get("mark"), 1);
  assert.equal(outboxKeys(storage).length, 2);
});

test("retry backoff: 1 s, doubling, at most 5 minutes", () => {
  assert.deepEqual([1, 2, 3, 4].map(outboxRetryDelay), [1000, 2000, 4000, 8000]);
  assert.equal(outboxRetryDelay(40), 300_000);
});

test("without onEvent and without EVENTS nothing is written to the outbox (the event is only logged)", async () => {
  const storage = memoryStorage();
  const conn = { storage, record: { subject: SUBJECT }, env: {} };
  conn.outbox = new Outbox(conn, {});
  conn.scheduler = new AlarmScheduler(storage, { [OUTBOX_TIMER]: () => {} });
  const [event] = await conn.outbox.commit({ record: { status: "active" } }, [{ type: "connection.connected" }]);
  assert.equal(event.type, "connection.connected");
  assert.deepEqual([...storage.data.keys()], ["record"]);
});

test("refresh.failed (not final): one event a minute per company, counting the failures held back", () => {
  const window = newFailureWindow(60_000);
  assert.equal(window.note(1_000), 0, "the first failure is an event");
  assert.equal(window.note(2_000), null);
  assert.equal(window.note(30_000), null);
  assert.equal(window.note(60_999), null);
  assert.equal(window.note(61_000), 3, "a minute later: an event, with the three held back");
  assert.equal(window.note(61_500), null);
  assert.equal(window.note(500), 1, "a clock that went back does not hold events back");
});
