// Runs the bundled worker on workerd through miniflare (a local host, not
// deployed), in the deployment shape: SQLite-backed Durable Objects for the
// connections and the directory, static files through the ASSETS binding
// (served from disk here, uploaded assets on Cloudflare).
//
// `persistDir` keeps the Durable Objects' storage on disk across restarts
// (`npm start` uses .data/worker); without it storage is in memory.
//
//   import { startWorkerd } from "./worker/local/workerd.mjs";
//   const w = await startWorkerd({ env: { PLEO_ENV: "local", ... }, port: 8787 });
//   w.url; await w.close();
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { BUILD_DIR, ROOT, buildWorker } from "./build.mjs";
import { createAssets } from "./static-files.mjs";

export async function compatibilityDate(root = ROOT) {
  const toml = await readFile(path.join(root, "wrangler.toml"), "utf8");
  const match = toml.match(/^compatibility_date\s*=\s*"([0-9-]+)"/m);
  if (!match) throw new Error("wrangler.toml has no compatibility_date");
  return match[1];
}

/**
 * Starts workerd. `env` holds the worker's string settings. Builds the bundle
 * first unless `build: false` (then worker/build/, or `buildDir`, must exist).
 * `eventsQueue`: a local Cloudflare Queue bound as EVENTS (docs/EVENTS.md),
 * `{ name, consumer?: { script, bindings } }` — the consumer a second worker.
 * `handleRuntimeStdio(stdout, stderr)`: workerd's output (default: this process's).
 */
export async function startWorkerd({
  env,
  port = 8787,
  host = "127.0.0.1",
  build = true,
  buildDir = BUILD_DIR,
  assets,
  persistDir,
  eventsQueue,
  handleRuntimeStdio,
  logLevel = LogLevel.WARN,
} = {}) {
  if (build) await buildWorker({ outdir: buildDir });
  const bindings = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") bindings[name] = value;
  const staticFiles = assets ?? createAssets();
  const main = {
    modules: true,
    scriptPath: path.join(buildDir, "worker.js"),
    modulesRoot: buildDir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: await compatibilityDate(),
    bindings,
    durableObjects: {
      CONNECTIONS: { className: "ConnectionObject", useSQLite: true },
      DIRECTORY: { className: "DirectoryObject", useSQLite: true },
    },
    // The demo ledger of the export runner (worker/export/ledger-d1.js).
    d1Databases: { LEDGER_DB: "pleo-oauth-ledger" },
    // Its receipts (worker/export/ledger-receipts.js): local R2, persisted under defaultPersistRoot.
    r2Buckets: { RECEIPTS: "pleo-oauth-receipts" },
    serviceBindings: { ASSETS: (request) => staticFiles.fetch(request) },
    ...(eventsQueue ? { queueProducers: { EVENTS: { queueName: eventsQueue.name } } } : {}),
  };
  const consumer = eventsQueue?.consumer
    ? [
        {
          name: "events-consumer",
          modules: true,
          script: eventsQueue.consumer.script,
          bindings: eventsQueue.consumer.bindings ?? {},
          queueConsumers: { [eventsQueue.name]: { maxBatchTimeout: 1 } },
        },
      ]
    : [];
  const shared = {
    port,
    host,
    log: new Log(logLevel),
    cf: false, // offline: no request.cf download from Cloudflare
    ...(persistDir ? { defaultPersistRoot: persistDir, durableObjectsPersist: path.join(persistDir, "durable-objects") } : {}),
    ...(handleRuntimeStdio ? { handleRuntimeStdio } : {}),
  };
  const mf = new Miniflare(
    consumer.length ? { ...shared, workers: [{ name: "pleo-oauth", ...main }, ...consumer] } : { ...shared, ...main },
  );
  const url = await mf.ready;
  return {
    url: url.href,
    port: Number(url.port),
    miniflare: mf,
    close: () => mf.dispose(),
  };
}
