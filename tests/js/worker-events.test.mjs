// Events (docs/EVENTS.md, issue #17 item 3) on the real worker (workerd
// through miniflare, SQLite-backed Durable Objects) and the real stand-in:
// each event is written to the company's outbox with the change it reports,
// logged as one JSON line, and delivered at least once to the `onEvent`
// option (tests/js/fixtures/events-worker.js POSTs it to a sink here) and to
// a Cloudflare Queue consumer when the EVENTS binding exists. A SIGKILL of
// workerd between the change and the delivery still ends in a delivery.
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildWorker } from "../../worker/local/build.mjs";
import { startWorkerd } from "../../worker/local/workerd.mjs";
import { chromium } from "playwright-core";
import { WorkerClient, leakedSecrets, sleep, startStack } from "./helpers/worker-harness.mjs";
import { passStandin } from "./helpers/standin-pages.mjs";
import { workerdBelow } from "../../dev/processes.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(HERE, "fixtures", "events-worker.js");

let buildDir;
before(async () => {
  buildDir = await mkdtemp(path.join(os.tmpdir(), "pleo-events-build-"));
  await buildWorker({ entry: ENTRY, outdir: buildDir });
});
after(async () => {
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

/**
 * The test's event sink: records every POST; `mode` "ok" answers 204,
 * "fail" 500, "hang" never answers (the request stays open).
 */
async function startSink() {
  const sink = { received: [], mode: "ok", hanging: [] };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      // recorded as raw text below
    }
    sink.received.push({ mode: sink.mode, text, via: body?.via, event: body?.event });
    if (sink.mode === "hang") {
      sink.hanging.push(res);
      return;
    }
    res.writeHead(sink.mode === "ok" ? 204 : 500);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${server.address().port}/events`;
  /** Events accepted (answered 2xx), optionally only those of `via`. */
  sink.accepted = (via) => sink.received.filter((r) => r.mode === "ok" && r.event && (!via || r.via === via)).map((r) => r.event);
  sink.close = () =>
    new Promise((resolve) => {
      for (const res of sink.hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/** workerd's stdout/stderr, line by line. */
function captureLogs() {
  const lines = [];
  const take = (stream) => {
    let rest = "";
    stream.on("data", (chunk) => {
      rest += chunk.toString("utf8");
      const parts = rest.split("\n");
      rest = parts.pop();
      lines.push(...parts);
    });
  };
  return { lines, handleRuntimeStdio: (stdout, stderr) => (take(stdout), take(stderr)) };
}

/** The events in the log lines: `{"event":{…}}`, one per line. */
function loggedEvents(lines) {
  const out = [];
  for (const line of lines) {
    const start = line.indexOf('{"event":');
    if (start < 0) continue;
    out.push(JSON.parse(line.slice(start)).event);
  }
  return out;
}

async function waitFor(fn, { timeoutMs = 30_000, what = "condition" } = {}) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await fn();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ofType = (events, type, company) => events.filter((e) => e.type === type && (!company || e.company === company));

/** The workerd processes below this test process. */
const workerdChildren = () => workerdBelow().map(({ pid }) => pid);

describe("events through onEvent, logged as JSON lines", { timeout: 240_000 }, () => {
  let stack;
  let sink;
  let logs;
  let exportBrowser;
  before(async () => {
    sink = await startSink();
    logs = captureLogs();
    stack = await startStack({
      runtime: "workerd",
      accessTtl: 3600,
      timeoutMs: 1500,
      extraEnv: { EVENT_SINK_URL: sink.url },
      workerd: { build: false, buildDir, handleRuntimeStdio: logs.handleRuntimeStdio },
    });
  });
  after(async () => {
    await stack?.close();
    await sink?.close();
  });

  test("revoke → refresh.failed + connection.needs_reconnect delivered and logged → Reconnect (Chromium, the stand-in's pages) → connection.reconnected follows", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const context = await browser.newContext();
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const base = stack.base;
      const call = (route, method = "GET") =>
        page.evaluate(
          async ({ route, method }) => {
            const r = await fetch(route, { method, headers: { "X-Requested-With": "fetch" } });
            return { status: r.status, json: await r.json().catch(() => null) };
          },
          { route, method },
        );

      await page.goto(`${base}/auth/login?return_to=%2F`);
      await passStandin(page, { base, company: 2 });
      const subject = stack.info.companies[2].subject;
      const [connected] = await waitFor(
        () =>
          ofType(sink.accepted("onEvent"), "connection.connected", subject).length &&
          ofType(sink.accepted(), "connection.connected", subject),
        { what: "connection.connected" },
      );
      assert.match(connected.id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(connected.at)));

      const revoked = await fetch(`${stack.info.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });
      assert.equal(revoked.status, 200);
      const refresh = await call("/auth/refresh", "POST");
      assert.equal(refresh.status, 401, JSON.stringify(refresh.json));
      assert.equal(refresh.json?.error, "connection_expired");

      const needs = await waitFor(() => ofType(sink.accepted("onEvent"), "connection.needs_reconnect", subject)[0], {
        what: "connection.needs_reconnect",
      });
      const failed = ofType(sink.accepted("onEvent"), "refresh.failed", subject);
      assert.equal(failed.length, 1, "one refresh.failed");
      assert.equal(failed[0].final, true);
      assert.equal(failed[0].code, "connection_expired");
      assert.equal(failed[0].during, "refresh");
      assert.equal(needs.reason, "invalid_grant");
      // Logged: exactly one JSON line per event, the same event that was delivered.
      await waitFor(() => loggedEvents(logs.lines).some((e) => e.id === needs.id), { what: "the needs_reconnect log line" });
      for (const event of [connected, failed[0], needs]) {
        assert.deepEqual(
          loggedEvents(logs.lines).filter((e) => e.id === event.id),
          [event],
          `${event.type} logged once, as delivered`,
        );
      }

      // The demo page shows Reconnect; pressing it goes through the stand-in's login and consent pages.
      await page.goto(`${base}/`);
      await page.click("a:has-text('Reconnect')");
      await passStandin(page, { base, company: 2 });
      const reconnected = await waitFor(() => ofType(sink.accepted("onEvent"), "connection.reconnected", subject)[0], {
        what: "connection.reconnected",
      });
      assert.equal(reconnected.previousStatus, "needs_reconnect");
      assert.equal((await call("/auth/session")).json.connections[0].status, "active");
    } finally {
      await browser.close();
    }
    const subject = stack.info.companies[2].subject;

    // In the company's order, each once here (nothing failed, nothing was killed).
    const order = sink
      .accepted("onEvent")
      .filter((e) => e.company === subject)
      .map((e) => e.type);
    assert.deepEqual(order, ["connection.connected", "refresh.failed", "connection.needs_reconnect", "connection.reconnected"]);
    const ids = sink.accepted("onEvent").map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, "every event has its own id");
  });

  test("export.job.started and export.job.finished (status and counts)", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 1 });
    const subject = stack.info.companies[1].subject;
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 3 });
    const run = await browser.post("/export/run");
    assert.equal(run.status, 202, run.text);
    const finished = await waitFor(() => ofType(sink.accepted("onEvent"), "export.job.finished", subject)[0], {
      what: "export.job.finished",
    });
    const [started] = ofType(sink.accepted("onEvent"), "export.job.started", subject);
    assert.equal(started.jobId, jobId);
    assert.equal(finished.jobId, jobId);
    assert.ok(["completed", "completed_with_errors"].includes(finished.status), finished.status);
    assert.equal(finished.counts.exported + finished.counts.failed, 3);
    const types = sink
      .accepted("onEvent")
      .filter((e) => e.company === subject)
      .map((e) => e.type);
    assert.ok(types.indexOf("export.job.started") < types.indexOf("export.job.finished"));
    exportBrowser = browser;
  });

  test("export.run.gave_up: Pleo answers 409 in the middle of a run", async () => {
    const subject = stack.info.companies[1].subject;
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 40 });
    stack.standin.setFaults({ apiDelayMs: 150 });
    try {
      const run = await exportBrowser.post("/export/run");
      assert.equal(run.status, 202, run.text);
      await waitFor(() => ofType(sink.accepted("onEvent"), "export.job.started", subject).some((e) => e.jobId === jobId), {
        what: "the run to start",
      });
      stack.standin.setFaults({ apiDelayMs: 0, apiStatus: 409 });
      const gaveUp = await waitFor(() => ofType(sink.accepted("onEvent"), "export.run.gave_up", subject)[0], {
        what: "export.run.gave_up",
      });
      assert.equal(gaveUp.jobId, jobId);
      assert.equal(gaveUp.reason, "gave_up");
      assert.equal(typeof gaveUp.counts.exported, "number");
      assert.ok(!ofType(sink.accepted("onEvent"), "export.job.finished", subject).some((e) => e.jobId === jobId), "the job did not finish");
    } finally {
      stack.standin.setFaults({ apiDelayMs: 0, apiStatus: 0 });
    }
  });

  test("webhook.rejected: a refused delivery for a connected company, at most one event a minute per company", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 0 });
    const subject = stack.info.companies[0].subject;
    const url = `${stack.base}/webhooks/pleo/${encodeURIComponent(subject)}`;
    const forged = (i) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": `msg_forged_${i}`,
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": "v1,AAAA",
        },
        body: JSON.stringify({ type: "v1.export-job.created" }),
      });
    for (let i = 0; i < 5; i++) assert.equal((await forged(i)).status, 401);
    const [rejected] = await waitFor(
      () =>
        ofType(sink.accepted("onEvent"), "webhook.rejected", subject).length &&
        ofType(sink.accepted("onEvent"), "webhook.rejected", subject),
      { what: "webhook.rejected" },
    );
    assert.equal(rejected.webhookId, "msg_forged_0");
    assert.equal(rejected.rejections, 1);
    await sleep(1500);
    assert.equal(
      ofType(sink.accepted("onEvent"), "webhook.rejected", subject).length,
      1,
      "four more refusals in the same minute: no new event",
    );
  });

  test("connection.disconnected", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 3 });
    const subject = stack.info.companies[3].subject;
    assert.equal((await browser.post("/auth/disconnect")).status, 200);
    const gone = await waitFor(() => ofType(sink.accepted("onEvent"), "connection.disconnected", subject)[0], {
      what: "connection.disconnected",
    });
    assert.equal(typeof gone.revoked, "boolean");
  });

  test("no token and no client secret in any event or log line", () => {
    assert.ok(stack.tokens.size >= 4, "the recorder saw the tokens to look for");
    const events = sink.received.map((r) => r.text).join("\n");
    const lines = logs.lines.join("\n");
    assert.ok(loggedEvents(logs.lines).length >= 8, "there were events to scan");
    assert.deepEqual(leakedSecrets(events, stack), [], "events");
    assert.deepEqual(leakedSecrets(lines, stack), [], "log lines");
    for (const event of loggedEvents(logs.lines)) {
      for (const key of Object.keys(event)) assert.ok(!/token|secret/i.test(key) || key === "tokens_never", `member ${key}`);
    }
  });
});

describe("events from the keep-alive alarm, with no browser request", { timeout: 240_000 }, () => {
  let stack;
  let sink;
  before(async () => {
    sink = await startSink();
    stack = await startStack({
      runtime: "workerd",
      accessTtl: 3600,
      timeoutMs: 1500,
      extraEnv: { EVENT_SINK_URL: sink.url, KEEPALIVE_SECONDS: "2" },
      workerd: { build: false, buildDir },
    });
  });
  after(async () => {
    await stack?.close();
    await sink?.close();
  });

  test("keepalive.refreshed, then after a revoke: refresh.failed and connection.needs_reconnect during the keep-alive", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 1 });
    const subject = stack.info.companies[1].subject;
    const refreshed = await waitFor(() => ofType(sink.accepted("onEvent"), "keepalive.refreshed", subject)[0], {
      what: "keepalive.refreshed",
    });
    assert.ok(Date.parse(refreshed.nextKeepAliveAt) > Date.parse(refreshed.at));
    const revoked = await fetch(`${stack.info.adminUrl}/companies/${encodeURIComponent(subject)}/revoke`, { method: "POST" });
    assert.equal(revoked.status, 200);
    const needs = await waitFor(() => ofType(sink.accepted("onEvent"), "connection.needs_reconnect", subject)[0], {
      what: "connection.needs_reconnect",
    });
    assert.equal(needs.during, "keepalive");
    const failed = ofType(sink.accepted("onEvent"), "refresh.failed", subject);
    assert.deepEqual(
      failed.map((e) => [e.during, e.final]),
      [["keepalive", true]],
    );
    assert.deepEqual(leakedSecrets(sink.received.map((r) => r.text).join("\n"), stack), []);
  });
});

describe("the outbox survives a kill of workerd", { timeout: 240_000 }, () => {
  let stack;
  let sink;
  let persistDir;
  let worker;
  before(async () => {
    sink = await startSink();
    persistDir = await mkdtemp(path.join(os.tmpdir(), "pleo-events-kill-"));
  });
  after(async () => {
    await worker?.close().catch(() => {});
    await stack?.close();
    await sink?.close();
    await rm(persistDir, { recursive: true, force: true });
  });

  test("SIGKILL while the event's delivery hangs; restarted on the same state, the event arrives (once or more, never zero)", async () => {
    const logs = captureLogs();
    const before = new Set(workerdChildren());
    stack = await startStack({
      runtime: "workerd",
      accessTtl: 3600,
      timeoutMs: 1500,
      extraEnv: { EVENT_SINK_URL: sink.url },
      workerd: { build: false, buildDir, persistDir, handleRuntimeStdio: logs.handleRuntimeStdio },
    });
    const ours = workerdChildren().filter((pid) => !before.has(pid));
    assert.equal(ours.length, 1, "one workerd process of ours");

    sink.mode = "hang"; // the delivery starts and never finishes
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 1 });
    const subject = stack.info.companies[1].subject;
    const attempt = await waitFor(() => sink.received.find((r) => r.event?.type === "connection.connected"), {
      what: "a delivery attempt",
    });
    const [logged] = loggedEvents(logs.lines).filter((e) => e.type === "connection.connected");
    assert.equal(logged.id, attempt.event.id);
    assert.equal(sink.accepted().length, 0, "nothing accepted before the kill");

    process.kill(ours[0], "SIGKILL");
    await waitFor(() => !workerdChildren().includes(ours[0]), { what: "workerd to be gone" });
    await stack.worker.close().catch(() => {});

    sink.mode = "ok";
    worker = await startWorkerd({
      env: stack.env,
      port: stack.port,
      build: false,
      buildDir,
      persistDir,
      handleRuntimeStdio: captureLogs().handleRuntimeStdio,
    });
    // No request: the outbox alarm on disk delivers it.
    const delivered = await waitFor(() => sink.accepted().filter((e) => e.id === logged.id).length, {
      timeoutMs: 60_000,
      what: "the event after the restart",
    });
    assert.ok(delivered >= 1);
    assert.equal(attempt.event.company, subject);
    // And the restarted worker still has the connection.
    const session = await browser.json("/auth/session");
    assert.equal(session.body.connections[0].status, "active");
  });
});

describe("the EVENTS queue binding: a queue consumer receives the events", { timeout: 240_000 }, () => {
  let stack;
  let sink;
  before(async () => {
    sink = await startSink();
    const consumer = `export default {
      async queue(batch, env) {
        for (const message of batch.messages) {
          const response = await fetch(env.SINK_URL, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ via: "queue", event: message.body }) });
          await response.arrayBuffer();
          if (response.ok) message.ack(); else message.retry();
        }
      },
    };`;
    stack = await startStack({
      runtime: "workerd",
      accessTtl: 3600,
      timeoutMs: 1500,
      extraEnv: { EVENT_SINK_URL: sink.url },
      workerd: {
        build: false,
        buildDir,
        eventsQueue: { name: "pleo-events", consumer: { script: consumer, bindings: { SINK_URL: sink.url } } },
      },
    });
  });
  after(async () => {
    await stack?.close();
    await sink?.close();
  });

  test("connection.connected reaches both onEvent and the queue consumer, with the same id", async () => {
    const browser = new WorkerClient(stack.base);
    await browser.connect({ company: 0 });
    const subject = stack.info.companies[0].subject;
    const viaQueue = await waitFor(() => ofType(sink.accepted("queue"), "connection.connected", subject)[0], {
      what: "the queue consumer's event",
    });
    const viaOption = await waitFor(() => ofType(sink.accepted("onEvent"), "connection.connected", subject)[0], {
      what: "onEvent's event",
    });
    assert.equal(viaQueue.id, viaOption.id);
    assert.deepEqual(viaQueue, viaOption);
    assert.deepEqual(leakedSecrets(sink.received.map((r) => r.text).join("\n"), stack), []);
  });
});
