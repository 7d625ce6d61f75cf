#!/usr/bin/env node
// `npm start`: the whole demo on one origin, from a fresh clone.
//   1. builds pleo-oauth (`npm run build`) when dist/ is missing or older than its sources;
//   2. bundles the edge worker (worker/local/build.mjs);
//   3. starts the local Pleo stand-in, unless PLEO_ENV, PLEO_CLIENT_ID,
//      PLEO_CLIENT_SECRET and PLEO_REDIRECT_URI are all set (then: real Pleo);
//   4. runs the worker on workerd (miniflare) at http://localhost:$PORT/ (default 8787),
//      serving the demo page and the worker routes on the same origin.
// State persists in .data/ (git-ignored) across restarts: the worker's
// Durable Objects (SQLite, .data/worker/), the stand-in's grants, tokens and
// jobs (.data/standin/) and the session-cookie key (.data/session-secret, so
// cookies survive a restart). `npm start -- --reset` starts empty.
// stdout carries the machine-readable lines `STANDIN_READY {…}`,
// `OPS_READY {"url", "token"}` (the operator console, docs/OPERATIONS.md:
// OPS_TOKEN from the environment, else a random one per start) and
// `DEMO_READY <url>`; progress goes to stderr. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATA_DIR = process.env.PLEO_DATA_DIR ? path.resolve(process.env.PLEO_DATA_DIR) : path.join(ROOT, ".data");
const RESET = process.argv.slice(2).includes("--reset");
const progress = (line) => process.stderr.write(`[start] ${line}\n`);

const DIST_FILES = ["dist/web.js", "dist/node.js", "dist/workerd.js", "dist/index.d.ts", "dist/pleo_oauth_bg.wasm"];
const LIBRARY_SOURCES = ["src", "js", "Cargo.toml", "Cargo.lock", "scripts/build.mjs"];

async function newestMtime(target) {
  let info;
  try {
    info = await stat(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

async function libraryIsStale() {
  let oldestOutput = Infinity;
  for (const file of DIST_FILES) {
    const full = path.join(ROOT, file);
    if (!existsSync(full)) return `${file} is missing`;
    oldestOutput = Math.min(oldestOutput, (await stat(full)).mtimeMs);
  }
  for (const source of LIBRARY_SOURCES) {
    if ((await newestMtime(path.join(ROOT, source))) > oldestOutput) return `${source} changed since the last build`;
  }
  return null;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    // The child's stdout goes to our stderr: stdout is reserved for the READY lines.
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: process.env });
    child.stdout.pipe(process.stderr);
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

function realPleoConfigured() {
  return ["PLEO_ENV", "PLEO_CLIENT_ID", "PLEO_CLIENT_SECRET", "PLEO_REDIRECT_URI"].every((name) => process.env[name]);
}

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The key sealing session cookies: SESSION_SECRET when set, else one kept in
 * .data/session-secret (created once, owner-only) so cookies outlive a restart.
 */
async function sessionSecret() {
  if (process.env.SESSION_SECRET) return process.env.SESSION_SECRET;
  const file = path.join(DATA_DIR, "session-secret");
  try {
    const saved = (await readFile(file, "utf8")).trim();
    if (saved.length >= 32) return saved;
  } catch {
    // first start: create it below
  }
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const cleanups = [];
let stopping = false;
async function stop(code) {
  if (stopping) process.exit(1); // second Ctrl-C: don't wait
  stopping = true;
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

try {
  // A fresh clone: npm packages first (the build needs binaryen's wasm-opt).
  const { ensureNodeModules } = await import("./setup.mjs");
  ensureNodeModules();
  const port = intFromEnv("PORT", 8787);
  if (RESET) {
    progress(`--reset: removing ${path.relative(ROOT, DATA_DIR) || DATA_DIR}/`);
    await rm(DATA_DIR, { recursive: true, force: true });
  }
  await mkdir(DATA_DIR, { recursive: true, mode: 0o700 });
  const demoUrl = `http://localhost:${port}/`;

  const stale = await libraryIsStale();
  if (stale) {
    progress(`building pleo-oauth (${stale}); the first build compiles Rust to WebAssembly and can take a few minutes…`);
    const started = Date.now();
    await run(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"]);
    progress(`pleo-oauth built in ${Math.round((Date.now() - started) / 1000)} s`);
  } else {
    progress("pleo-oauth is up to date (dist/)");
  }

  progress("bundling the edge worker…");
  const { buildWorker } = await import("../worker/local/build.mjs");
  await buildWorker({ log: progress });

  let env;
  if (realPleoConfigured()) {
    progress(`using real Pleo (${process.env.PLEO_ENV}); no stand-in`);
    env = {};
    for (const [name, value] of Object.entries(process.env)) if (name.startsWith("PLEO_")) env[name] = value;
    env.SESSION_SECRET = await sessionSecret();
  } else {
    progress("starting the local Pleo stand-in…");
    const { startStandin } = await import("../dev/standin/index.mjs");
    const { localWorkerEnv } = await import("../worker/local/env.mjs");
    const redirectUri = `http://localhost:${port}/auth/callback`;
    const accessTtl = process.env.STANDIN_ACCESS_TTL ? Number(process.env.STANDIN_ACCESS_TTL) : 900;
    const standin = await startStandin({
      port: intFromEnv("STANDIN_PORT", 4010),
      apiPort: intFromEnv("STANDIN_API_PORT", 4011),
      redirectUris: [redirectUri],
      accessTtl,
      // The stand-in's grants, tokens and jobs (STANDIN_DATA_DIR, dev/standin/README.md).
      dataDir: process.env.STANDIN_DATA_DIR || path.join(DATA_DIR, "standin"),
      quiet: !["1", "true", "yes"].includes((process.env.STANDIN_VERBOSE ?? "").toLowerCase()),
    });
    cleanups.push(() => standin.close());
    process.stdout.write(`STANDIN_READY ${JSON.stringify(standin.info)}\n`);
    env = localWorkerEnv(standin.info, { redirectUri, sessionSecret: await sessionSecret() });
  }

  for (const name of ["KEEPALIVE_DAYS", "KEEPALIVE_SECONDS", "ACCESS_CACHE_MS", "SESSION_TTL_SECONDS"]) {
    if (process.env[name]) env[name] = process.env[name];
  }
  // The operator console's credential: the environment's, or a fresh random one (printed on OPS_READY).
  env.OPS_TOKEN = process.env.OPS_TOKEN || randomBytes(24).toString("base64url");
  const runtime = process.env.WORKER_RUNTIME === "node" ? "node" : "workerd";
  progress(`starting the worker on ${runtime === "node" ? "Node (adapter)" : "workerd (miniflare)"}…`);
  let worker;
  if (runtime === "node") {
    progress("WORKER_RUNTIME=node keeps connections in memory (for tests): they end when this process stops");
    const { startNodeWorker } = await import("../worker/local/node.mjs");
    worker = await startNodeWorker({ env, port });
  } else {
    const { startWorkerd } = await import("../worker/local/workerd.mjs");
    const persistDir = path.join(DATA_DIR, "worker");
    worker = await startWorkerd({ env, port, build: false, persistDir });
    progress(`connections persist in ${path.relative(ROOT, persistDir)}/ (npm start -- --reset starts empty)`);
  }
  cleanups.push(() => worker.close());

  process.stdout.write(`OPS_READY ${JSON.stringify({ url: new URL("/ops/", demoUrl).href, token: env.OPS_TOKEN })}\n`);
  process.stdout.write(`DEMO_READY ${demoUrl}\n`);
  progress(`open ${demoUrl} · Ctrl-C stops everything`);
} catch (err) {
  process.stderr.write(`[start] failed: ${err?.message ?? err}\n`);
  if (err?.code === "EADDRINUSE")
    process.stderr.write("[start] a port is in use: set PORT (and STANDIN_PORT / STANDIN_API_PORT) to free ones\n");
  await stop(1);
}
