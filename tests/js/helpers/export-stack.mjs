// Test stack for the export runner and webhooks: the real stand-in (export
// API, subscriptions, signed webhook delivery) and the real worker on workerd
// (miniflare: SQLite Durable Objects, D1 ledger, alarms), with the worker's
// state on disk so it can be killed and started again on the same port.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { obtainTokens, startStandin } from "../../../dev/standin/index.mjs";
import { localWorkerEnv } from "../../../worker/local/env.mjs";
import { startWorkerd } from "../../../worker/local/workerd.mjs";
import { buildWorker } from "../../../worker/local/build.mjs";
import { WorkerClient, freePort, sleep } from "./worker-harness.mjs";

export { WorkerClient, sleep };

let built = null;
/** Builds the worker bundle once per test process. */
export function buildOnce() {
  built ??= buildWorker();
  return built;
}

/**
 * @param {object} [o]
 * @param {Record<string,string>} [o.env]  extra worker settings (EXPORT_*, WEBHOOK_*)
 * @param {object} [o.standin]             extra startStandin options (webhookRetryMs, exportJobTtl, …)
 */
export async function startExportStack({ env: extra = {}, standin: standinOptions = {} } = {}) {
  await buildOnce();
  const persistDir = await mkdtemp(path.join(os.tmpdir(), "pleo-export-"));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const redirectUri = `${base}/auth/callback`;
  const standin = await startStandin({
    port: 0,
    apiPort: 0,
    redirectUris: [redirectUri],
    quiet: true,
    webhookRetryMs: 200,
    ...standinOptions,
  });
  const env = localWorkerEnv(standin.info, {
    redirectUri,
    timeoutMs: 5000,
    extra: { EXPORT_POLL_MINUTES: "60", EXPORT_SLICE_MS: "3000", ...extra },
  });
  const start = () => startWorkerd({ env, port, persistDir, build: false });
  let worker = await start();
  const stack = {
    base,
    env,
    standin,
    info: standin.info,
    persistDir,
    get worker() {
      return worker;
    },
    /** Ends workerd (the process goes, in-flight requests die) and starts it again on the same storage. */
    async restart({ downMs = 0 } = {}) {
      await worker.close();
      if (downMs) await sleep(downMs);
      worker = await start();
    },
    async stopWorker() {
      await worker.close();
    },
    async startWorker() {
      worker = await start();
    },
    /** The D1 ledger, read directly. */
    async ledger(sql, ...params) {
      const db = await worker.miniflare.getD1Database("LEDGER_DB");
      return (
        await db
          .prepare(sql)
          .bind(...params)
          .all()
      ).results;
    },
    /** A browser that has connected `company` (index or URN). */
    async connectedClient(company = 0) {
      const client = new WorkerClient(base);
      const { location, response } = await client.connect({ company });
      if (response.status !== 302 || location?.includes("auth_error")) throw new Error(`connect failed: ${response.status} ${location}`);
      const session = await client.json("/auth/session");
      const subject = session.body.connections[0].subject;
      return { client, subject };
    },
    async close() {
      await worker.close().catch(() => {});
      await standin.close().catch(() => {});
      await rm(persistDir, { recursive: true, force: true }).catch(() => {});
    },
  };
  return stack;
}

/** Waits until `fn()` returns a truthy value (polling), or throws with `what`. */
export async function waitFor(fn, { timeoutMs = 60_000, intervalMs = 200, what = "condition" } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}

/** The stand-in's admin view of a job, once it is final. */
export function jobFinished(stack, jobId) {
  const view = stack.standin.exportJob(jobId);
  return ["completed", "completed_with_errors", "failed"].includes(view.job.status) ? view : null;
}

/**
 * A token for `company` straight from the stand-in (a second grant, as a
 * partner's back office would have), for checking Pleo's side, e.g. the
 * subscriptions list, which the worker's API proxy does not forward.
 */
export async function standinToken(stack, company) {
  return (await obtainTokens(stack.info, { company })).access_token;
}

/** GET on the stand-in's API with a token → parsed JSON (throws on non-2xx). */
export async function standinApi(stack, token, path, init = {}) {
  const response = await fetch(`${stack.info.apiBaseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
