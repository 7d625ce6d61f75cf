// A Pleo admin removes the integration (the stand-in's revoke admin route):
// the worker's next refresh gets invalid_grant, the connection goes
// needs_reconnect for every browser, and Reconnect restores it in place.
// Real parts: the stand-in over HTTP, the worker on workerd through miniflare.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WorkerClient, sleep, startStack } from "./helpers/worker-harness.mjs";
import { completeAuthorization } from "../../dev/standin/index.mjs";

let stack;
before(async () => {
  stack = await startStack({ runtime: "workerd", accessTtl: 3600, timeoutMs: 1500 });
});
after(async () => {
  await stack?.close();
});

const sessionOf = async (browser) => (await browser.json("/auth/session")).body;

test("revoke at the stand-in → needs_reconnect on the next refresh → Reconnect restores it (history: reconnected)", async () => {
  const a = new WorkerClient(stack.base);
  const b = new WorkerClient(stack.base);
  await a.connect({ company: 2 });
  await b.connect({ company: 2 });
  const subject = stack.info.companies[2].subject;

  const revoked = await fetch(`${stack.info.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });
  assert.equal(revoked.status, 200);
  assert.ok((await revoked.json()).revoked >= 1);

  const refresh = await a.post("/auth/refresh");
  assert.equal(refresh.status, 401, refresh.text);
  assert.equal(refresh.body?.error, "connection_expired");
  for (const browser of [a, b]) {
    const session = await sessionOf(browser);
    assert.equal(session.connections[0].status, "needs_reconnect");
  }

  const hinted = await b.fetch(`/auth/login?return_to=%2F&company=${encodeURIComponent(subject)}`);
  const callback = await b.fetch(await completeAuthorization(hinted.headers.get("location"), { company: 2 }));
  assert.equal(callback.status, 302);
  for (const browser of [a, b]) {
    const session = await sessionOf(browser);
    assert.equal(session.connections[0].status, "active");
    assert.ok(session.connections[0].history.some((h) => h.event === "reconnected"));
    assert.equal((await browser.api("/v1/introspect")).status, 200);
  }
  await a.post("/auth/disconnect");
});

describe("revoke seen by the keep-alive alarm", () => {
  let alarmed;
  before(async () => {
    alarmed = await startStack({ runtime: "workerd", accessTtl: 3600, timeoutMs: 1500, extraEnv: { KEEPALIVE_SECONDS: "2" } });
  });
  after(async () => {
    await alarmed?.close();
  });

  test("an idle connection whose grant was revoked goes needs_reconnect at its next keep-alive, with no browser request", async () => {
    const browser = new WorkerClient(alarmed.base);
    await browser.connect({ company: 1 });
    const subject = alarmed.info.companies[1].subject;
    const revoked = await fetch(`${alarmed.info.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });
    assert.equal(revoked.status, 200);
    let status = "active";
    const t0 = Date.now();
    while (status !== "needs_reconnect" && Date.now() - t0 < 12_000) {
      await sleep(500);
      status = (await sessionOf(browser)).connections[0].status;
    }
    assert.equal(status, "needs_reconnect", "the alarm's refresh met invalid_grant");
  });
});
