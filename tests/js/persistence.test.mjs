// `npm start` keeps state in its data directory across restarts (issue #9):
// connect, stop everything (SIGTERM, then separately SIGKILL of the whole
// process group, workerd included), start again: the same browser cookie
// works and the company's connection is still `active`. A kill during a
// refresh ends either with a working token or an honest `needs_reconnect`,
// never a silent loss. Runs the real scripts/start.mjs (workerd with
// SQLite-backed Durable Objects, the stand-in in-process) on free ports with
// PLEO_DATA_DIR in a temporary directory.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { WorkerClient, freePort, sleep } from "./helpers/worker-harness.mjs";
import { workerdBelow } from "../../dev/processes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const START_TIMEOUT_MS = 90_000;
// The stand-in keeps its grants in STANDIN_DATA_DIR since helper C's change;
// without it a restarted stand-in has forgotten every refresh token.
const STANDIN_PERSISTS = readFileSync(path.join(ROOT, "dev", "standin", "README.md"), "utf8").includes("STANDIN_DATA_DIR");
const SKIP = STANDIN_PERSISTS ? false : "this stand-in does not persist (no STANDIN_DATA_DIR yet)";

/** scripts/start.mjs in its own process group (so a SIGKILL can take workerd with it). */
async function startDemo({ dataDir, ports, reset = false }) {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs"), ...(reset ? ["--reset"] : [])], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(ports.web),
      STANDIN_PORT: String(ports.standin),
      STANDIN_API_PORT: String(ports.api),
      PLEO_DATA_DIR: dataDir,
      STANDIN_ACCESS_TTL: "3600",
      SESSION_SECRET: "",
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    let stdout = "";
    let info = null;
    let ops = null;
    const timer = setTimeout(() => reject(new Error(`npm start not ready in time:\n${stderr.slice(-2000)}`)), START_TIMEOUT_MS);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      for (const line of stdout.split("\n")) {
        if (line.startsWith("STANDIN_READY ")) info = JSON.parse(line.slice("STANDIN_READY ".length));
        if (line.startsWith("OPS_READY ")) ops = JSON.parse(line.slice("OPS_READY ".length));
        if (line.startsWith("DEMO_READY ")) {
          clearTimeout(timer);
          resolve({ info, ops, url: line.slice("DEMO_READY ".length).trim() });
        }
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before DEMO_READY:\n${stderr.slice(-2000)}`));
    });
  });
  return {
    ...ready,
    child,
    exited,
    stderr: () => stderr,
    /** Ctrl-C-like: SIGTERM to start.mjs, which closes workerd and the stand-in. */
    async terminate() {
      child.kill("SIGTERM");
      const result = await Promise.race([exited, sleep(30_000).then(() => null)]);
      if (!result) {
        process.kill(-child.pid, "SIGKILL");
        throw new Error("npm start did not stop on SIGTERM");
      }
      return result;
    },
    /** A hard kill of the whole process group: start.mjs, the stand-in and workerd. */
    async kill() {
      process.kill(-child.pid, "SIGKILL");
      await exited;
      await sleep(300); // let the OS release the ports
    },
  };
}

async function admin(info, route, init) {
  const response = await fetch(`${info.adminUrl}${route}`, init);
  return response.json();
}

describe("npm start keeps connections across restarts", { timeout: 600_000, skip: SKIP }, () => {
  let dataDir;
  let ports;
  let demo;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "pleo-data-"));
    ports = { web: await freePort(), standin: await freePort(), api: await freePort() };
  });
  after(async () => {
    if (demo && demo.child.exitCode === null) await demo.kill().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });

  async function assertStillConnected(browser, label) {
    const session = (await browser.json("/auth/session")).body;
    assert.equal(session.connected, true, `${label}: the same cookie still names a connected company`);
    assert.equal(session.connections[0].status, "active", `${label}: the connection is active`);
    const api = await browser.api("/v1/introspect");
    assert.equal(api.status, 200, `${label}: API call: ${api.text}`);
    const refresh = await browser.post("/auth/refresh");
    assert.equal(refresh.status, 200, `${label}: a refresh with the persisted refresh token works: ${refresh.text}`);
    assert.equal(session.connections[0].subject, api.body.data.subjectURN);
  }

  test("connect; SIGTERM and restart; SIGKILL (whole group) and restart: same cookie, connection active, refresh works; --reset starts empty", async () => {
    demo = await startDemo({ dataDir, ports, reset: true });
    const browser = new WorkerClient(demo.url);
    const { location } = await browser.connect({ company: 1 });
    assert.equal(location, "/");
    assert.equal((await browser.api("/v1/introspect")).status, 200);
    // OPS_READY {"url", "token"}: the operator console with a working token (docs/OPERATIONS.md).
    assert.equal(demo.ops?.url, new URL("/ops/", demo.url).href, "npm start prints OPS_READY before DEMO_READY");
    assert.ok(typeof demo.ops.token === "string" && demo.ops.token.length >= 16);
    const opsList = await fetch(new URL("/ops/api/companies", demo.url), { headers: { Authorization: `Bearer ${demo.ops.token}` } });
    assert.equal(opsList.status, 200);
    assert.ok(
      (await opsList.json()).companies.some((c) => c.status === "active"),
      "the connected company is listed",
    );
    const opsWrong = await fetch(new URL("/ops/api/companies", demo.url), { headers: { Authorization: `Bearer ${demo.ops.token}x` } });
    assert.equal(opsWrong.status, 401);
    assert.equal((await fetch(demo.ops.url)).status, 200, "the operator page");
    assert.ok(existsSync(path.join(dataDir, "worker")), "the worker's Durable Objects persist under the data dir");
    assert.ok(
      (await readdir(path.join(dataDir, "standin")).catch(() => [])).length > 0,
      "the stand-in persists under the data dir (STANDIN_DATA_DIR)",
    );

    const stopped = await demo.terminate();
    // 0 from our own handler, or 143 (128 + SIGTERM) from miniflare's exit hook.
    assert.ok([0, 143].includes(stopped.code), `exit on SIGTERM (${stopped.code}): ${demo.stderr().slice(-500)}`);
    demo = await startDemo({ dataDir, ports });
    await assertStillConnected(browser, "after SIGTERM");

    await demo.kill();
    demo = await startDemo({ dataDir, ports });
    await assertStillConnected(browser, "after SIGKILL");
    assert.equal((await admin(demo.info, "/stats")).grantsRevoked, 0);

    await demo.terminate();
    demo = await startDemo({ dataDir, ports, reset: true });
    const fresh = (await browser.json("/auth/session")).body;
    assert.equal(fresh.connected, false, "--reset starts empty");
  });

  test("a kill during a refresh ends with the new token stored or an honest needs_reconnect, never a silent loss", async (t) => {
    if (!demo || demo.child.exitCode !== null || demo.child.signalCode !== null) demo = await startDemo({ dataDir, ports });
    const browser = new WorkerClient(demo.url);
    await browser.connect({ company: 2 });
    for (let round = 0; round < 2; round++) {
      // The token endpoint answers slowly: the refresh is in flight when everything dies.
      await admin(demo.info, "/faults", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tokenDelayMs: 1500 }),
      });
      const inFlight = browser.post("/auth/refresh").catch(() => null);
      await sleep(round === 0 ? 300 : 1200);
      await demo.kill();
      await inFlight;
      demo = await startDemo({ dataDir, ports });
      await admin(demo.info, "/faults", { method: "DELETE" }).catch(() => {});

      const refresh = await browser.post("/auth/refresh");
      const session = (await browser.json("/auth/session")).body;
      const connection = session.connections[0];
      assert.ok(connection, "the connection record survived the kill");
      t.diagnostic(
        `round ${round}: after the kill, refresh → ${refresh.status}, status ${connection.status}; history: ${connection.history.map((h) => h.event).join(" · ")}`,
      );
      if (refresh.status === 200) {
        assert.equal(connection.status, "active");
        assert.equal((await browser.api("/v1/introspect")).status, 200, "the stored token works");
      } else {
        assert.equal(refresh.status, 401, refresh.text);
        assert.equal(refresh.body.error, "connection_expired");
        assert.equal(connection.status, "needs_reconnect", "honestly shown as needing a reconnect");
        await browser.connect({ company: 2 }); // Reconnect, for the next round
      }
      assert.ok(connection.history.some((h) => /interrupted/.test(h.event)) || refresh.status === 200, JSON.stringify(connection.history));
    }
    await demo.terminate();
  });
});

/** The workerd processes this test process started (children of miniflare, found by parent pid). */
const workerdChildren = async () => workerdBelow().map(({ pid }) => pid);

describe("a kill of the worker alone while Pleo rotates the refresh token", { timeout: 300_000 }, () => {
  test("the worker dies after Pleo rotated but before the answer was stored: after the restart the connection is honestly needs_reconnect (history says why), and Reconnect restores it", async (t) => {
    const { startStandin } = await import("../../dev/standin/index.mjs");
    const { startWorkerd } = await import("../../worker/local/workerd.mjs");
    const { localWorkerEnv } = await import("../../worker/local/env.mjs");
    const persistDir = await mkdtemp(path.join(tmpdir(), "pleo-worker-kill-"));
    const port = await freePort();
    const base = `http://localhost:${port}`;
    const standin = await startStandin({ port: 0, apiPort: 0, redirectUris: [`${base}/auth/callback`], accessTtl: 3600, quiet: true });
    // In front of the token endpoint: passes every request on at once (so the
    // stand-in rotates the refresh token), but can hold the answer back —
    // Pleo has rotated, the worker has not heard yet.
    const hold = { ms: 0 };
    const http = await import("node:http");
    const proxy = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const headers = {};
      for (const name of ["authorization", "content-type", "accept"]) if (req.headers[name]) headers[name] = req.headers[name];
      const upstream = await fetch(new URL(req.url, standin.info.issuer), {
        method: req.method,
        headers,
        body: Buffer.concat(chunks),
        redirect: "manual",
      });
      const body = await upstream.text();
      if (hold.ms) await sleep(hold.ms);
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      res.end(body);
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const info = {
      ...standin.info,
      tokenEndpoint: `http://127.0.0.1:${proxy.address().port}${new URL(standin.info.tokenEndpoint).pathname}`,
    };
    const env = localWorkerEnv(info, { redirectUri: `${base}/auth/callback`, timeoutMs: 5000 });
    let worker = await startWorkerd({ env, port, persistDir });
    try {
      const browser = new WorkerClient(base);
      await browser.connect({ company: 0 });
      assert.equal((await browser.api("/v1/introspect")).status, 200);

      hold.ms = 1500;
      const inFlight = browser.post("/auth/refresh").catch(() => null);
      await sleep(400);
      const killed = await workerdChildren();
      assert.ok(killed.length > 0, "found the workerd process");
      for (const pid of killed) process.kill(pid, "SIGKILL");
      await inFlight;
      await worker.close().catch(() => {});
      hold.ms = 0;
      const refreshesDone = standin.stats().refreshes;
      t.diagnostic(`stand-in stats after the kill: ${JSON.stringify(standin.stats())}`);
      assert.ok(refreshesDone >= 1, "Pleo (the stand-in) did rotate the refresh token");

      worker = await startWorkerd({ env, port, persistDir, build: false });
      const before = (await browser.json("/auth/session")).body.connections[0];
      assert.equal(before.status, "active", "the record survived");
      assert.ok(
        before.history.some((h) => /interrupted/.test(h.event)),
        `the interrupted refresh is on record: ${JSON.stringify(before.history)}`,
      );
      const refresh = await browser.post("/auth/refresh");
      const after = (await browser.json("/auth/session")).body.connections[0];
      t.diagnostic(
        `after the restart: refresh → ${refresh.status} ${refresh.body?.error ?? ""}; status ${after.status}; grantsRevoked ${standin.stats().grantsRevoked}`,
      );
      assert.equal(refresh.status, 401, refresh.text);
      assert.equal(refresh.body.error, "connection_expired");
      assert.equal(after.status, "needs_reconnect", "not a silent loss: the page shows Reconnect");
      assertErrorFree(after);

      await browser.connect({ company: 0 });
      const restored = (await browser.json("/auth/session")).body.connections[0];
      assert.equal(restored.status, "active");
      assert.equal((await browser.api("/v1/introspect")).status, 200);
    } finally {
      await worker.close().catch(() => {});
      proxy.closeAllConnections();
      proxy.close();
      await standin.close();
      await rm(persistDir, { recursive: true, force: true });
    }
  });
});

function assertErrorFree(connection) {
  assert.equal(connection.refreshable, false, "the dead tokens were dropped");
}
