// The alarm scheduler of the connection object (worker/store/scheduler.js):
// named timers in storage, the one Durable Object alarm always at the
// earliest, handlers that reschedule themselves, a failing handler retried a
// minute later without blocking the others. Keep-alive and the export runner
// share the alarm through it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AlarmScheduler } from "../../worker/store/scheduler.js";

/** The slice of Durable Object storage the scheduler uses, in memory. */
function fakeStorage() {
  const data = new Map();
  return {
    data,
    alarm: null,
    async get(key) {
      return structuredClone(data.get(key));
    },
    async put(key, value) {
      data.set(key, structuredClone(value));
    },
    async delete(key) {
      data.delete(key);
    },
    async setAlarm(at) {
      this.alarm = at;
    },
    async deleteAlarm() {
      this.alarm = null;
    },
  };
}

test("the alarm is set to the earliest named timer; timers survive a new scheduler on the same storage", async () => {
  const storage = fakeStorage();
  const scheduler = new AlarmScheduler(storage, { keepalive() {}, export() {} });
  await scheduler.schedule("keepalive", 5000);
  assert.equal(storage.alarm, 5000);
  await scheduler.schedule("export", 2000);
  assert.equal(storage.alarm, 2000);
  await scheduler.schedule("export", 9000); // moved
  assert.equal(storage.alarm, 5000);
  const again = new AlarmScheduler(storage, { keepalive() {}, export() {} });
  assert.equal(await again.next("export"), 9000, "timers are in storage, not only in memory");
  await again.cancel("keepalive");
  assert.equal(storage.alarm, 9000);
  await again.cancel("export");
  assert.equal(storage.alarm, null, "no timer, no alarm");
  assert.equal(storage.data.has("timers"), false);
  await assert.rejects(again.schedule("unknown", 1), /no alarm handler/);
});

test("fire() runs only due timers, in time order; a handler may reschedule itself; a throwing one is retried in a minute", async () => {
  const storage = fakeStorage();
  const ran = [];
  const scheduler = new AlarmScheduler(storage, {
    a: async () => {
      ran.push("a");
      await scheduler.schedule("a", 10_000); // periodic
    },
    b: async () => {
      ran.push("b");
      throw new Error("b failed");
    },
    c: async () => ran.push("c"),
  });
  await scheduler.schedule("b", 200);
  await scheduler.schedule("a", 100);
  await scheduler.schedule("c", 5000);
  const quiet = console.error;
  console.error = () => {};
  try {
    await scheduler.fire(1000);
  } finally {
    console.error = quiet;
  }
  assert.deepEqual(ran, ["a", "b"], "due timers only, earliest first; c is not due");
  assert.equal(await scheduler.next("a"), 10_000, "a rescheduled itself");
  assert.equal(await scheduler.next("b"), 1000 + 60_000, "b is retried a minute later");
  assert.equal(await scheduler.next("c"), 5000);
  assert.equal(storage.alarm, 5000, "the alarm moved to the earliest remaining timer");
});
