#!/usr/bin/env node
// npm run bench [-- --json] [--quick] [--native] [--worker] [--only=a,b] [--skip-cold] [--skip-size]
//
// One Node process runs pleo-oauth ("ours") and oauth4webapi ("theirs") on
// the same work, interleaved: for each operation a warm-up of both sides,
// then several rounds; each round times one time-based batch of each side
// (the order alternates every round, ABBA) and the median ops/s over the
// rounds is reported. Then cold start (fresh processes, interleaved, median)
// and shipped size (gzip -9). --native adds `cargo bench --bench core` (the
// Rust core without the JS boundary); --worker runs bench/worker.mjs.
//
// With --json the LAST line of stdout is one JSON object:
// {"operations":[{"name","ours_ops","peer_ops","ratio"}…],
//  "cold_start":{"ours_ms","peer_ms","ratio"},"size":{"ours_gz","peer_gz","ratio"}, …}
// Progress goes to stderr.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const JSON_OUT = flag("json");
const QUICK = flag("quick");
const NATIVE = flag("native");
const WORKER = flag("worker");
const ONLY = option("only")?.split(",");

const CFG = QUICK ? { warmupMs: 15, batchMs: 15, rounds: 3, coldRuns: 3 } : { warmupMs: 400, batchMs: 250, rounds: 9, coldRuns: 21 };

const progress = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 0) => Number(x.toFixed(d));
let sink; // results land here so no call can be optimised away

// ---------------------------------------------------------------- timing

/** Runs fn `n` times (awaiting each call when async) and returns elapsed ns. */
async function runBatch(fn, isAsync, n) {
  const t0 = process.hrtime.bigint();
  if (isAsync) for (let i = 0; i < n; i++) sink = await fn();
  else for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0);
}

/** Iterations that take about `ms`, found by doubling. */
async function calibrate(fn, isAsync, ms) {
  let n = 1;
  for (;;) {
    const ns = await runBatch(fn, isAsync, n);
    if (ns >= ms * 1e6 * 0.25 || n >= 1 << 24) return Math.max(1, Math.round((n * ms * 1e6) / Math.max(ns, 1)));
    n *= 2;
  }
}

async function measure(op) {
  const sides = [
    { key: "ours", fn: op.ours, async: !!op.oursAsync },
    { key: "peer", fn: op.peer, async: !!op.peerAsync },
  ];
  // Warm-up (JIT tiers, wasm tier-up) and batch sizes, interleaved.
  for (const s of sides) await runBatch(s.fn, s.async, 50);
  for (const s of sides) s.n = await calibrate(s.fn, s.async, CFG.warmupMs);
  for (const s of sides) await runBatch(s.fn, s.async, s.n);
  for (const s of sides) s.n = Math.max(1, Math.round((s.n * CFG.batchMs) / CFG.warmupMs));
  const rates = { ours: [], peer: [] };
  for (let r = 0; r < CFG.rounds; r++) {
    const order = r % 2 ? [sides[1], sides[0]] : sides;
    for (const s of order) {
      const ns = await runBatch(s.fn, s.async, s.n);
      rates[s.key].push((s.n * 1e9) / ns);
    }
  }
  const ours = median(rates.ours);
  const peer = median(rates.peer);
  const spread = (xs) => (Math.max(...xs) - Math.min(...xs)) / median(xs);
  return {
    name: op.name,
    ours_ops: round(ours),
    peer_ops: round(peer),
    ratio: round(ours / peer, 2),
    ours_ns: round(1e9 / ours),
    peer_ns: round(1e9 / peer),
    spread: { ours: round(spread(rates.ours), 3), peer: round(spread(rates.peer), 3) },
  };
}

// ---------------------------------------------------------------- cold start

function coldOnce(script) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(HERE, script)], { cwd: HERE, encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  return { ...out, wall_ms: wall };
}

function coldStart() {
  const ours = [];
  const peer = [];
  // One throw-away run each (file-system cache), then interleaved runs.
  coldOnce("cold-ours.mjs");
  coldOnce("cold-peer.mjs");
  for (let i = 0; i < CFG.coldRuns; i++) {
    if (i % 2) {
      peer.push(coldOnce("cold-peer.mjs"));
      ours.push(coldOnce("cold-ours.mjs"));
    } else {
      ours.push(coldOnce("cold-ours.mjs"));
      peer.push(coldOnce("cold-peer.mjs"));
    }
    if (!QUICK && i % 5 === 4) progress(`cold start: ${i + 1}/${CFG.coldRuns} process pairs`);
  }
  const m = (xs, k) => round(median(xs.map((x) => x[k])), 2);
  const result = {
    ours_ms: m(ours, "ms"),
    peer_ms: m(peer, "ms"),
    ratio: 0,
    runs: CFG.coldRuns,
    // The whole process (spawn → exit), Node's own start-up included.
    ours_process_ms: m(ours, "wall_ms"),
    peer_process_ms: m(peer, "wall_ms"),
  };
  result.ratio = round(result.ours_ms / result.peer_ms, 2);
  result.process_ratio = round(result.ours_process_ms / result.peer_process_ms, 2);
  return result;
}

// ---------------------------------------------------------------- size

const gz = (buf) => gzipSync(buf, { level: 9 }).length;

/** dist/web.js and every module it imports (relative static imports), plus the wasm. */
function shippedFiles() {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(path.join(ROOT, "dist", file), "utf8");
    // Minified entries write `export*from"./api.js"`: no space is required.
    for (const m of text.matchAll(/(?:import|export)\b[^;]*?from\s*["']\.\/([^"']+)["']|import\s*["']\.\/([^"']+)["']/g)) {
      visit(m[1] ?? m[2]);
    }
  };
  visit("web.js");
  return ["pleo_oauth_bg.wasm", ...[...seen].sort()];
}

async function sizes() {
  const files = shippedFiles();
  const ours = {};
  for (const f of files) ours[f] = gz(readFileSync(path.join(ROOT, "dist", f)));
  const ours_gz = Object.values(ours).reduce((a, b) => a + b, 0);

  const { build } = await import("esbuild");
  const bundle = async (names) => {
    const r = await build({
      stdin: { contents: `export { ${names.join(", ")} } from "oauth4webapi";`, resolveDir: ROOT, loader: "js" },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      legalComments: "none",
      logLevel: "silent",
    });
    return gz(Buffer.from(r.outputFiles[0].contents));
  };
  // Exactly what the same flow uses: PKCE + state, callback validation, code
  // exchange, token response, refresh and its response, Basic client auth.
  const flow = [
    "generateRandomCodeVerifier",
    "calculatePKCECodeChallenge",
    "generateRandomState",
    "validateAuthResponse",
    "authorizationCodeGrantRequest",
    "processAuthorizationCodeResponse",
    "refreshTokenGrantRequest",
    "processRefreshTokenResponse",
    "ClientSecretBasic",
    "customFetch",
  ];
  const peer_gz = await bundle(flow);
  // For reference: what ours also ships (introspection, revocation).
  const peer_full_gz = await bundle([
    ...flow,
    "introspectionRequest",
    "processIntrospectionResponse",
    "revocationRequest",
    "processRevocationResponse",
  ]);
  return {
    ours_gz,
    peer_gz,
    ratio: round(ours_gz / peer_gz, 2),
    ours_files_gz: ours,
    peer_functions: flow,
    peer_with_introspection_revocation_gz: peer_full_gz,
  };
}

// ---------------------------------------------------------------- native

// The native floor is built with the `edge` profile (opt-level 3), the one
// the wasm measured here (the server/edge build, what Node loads) is built
// with, so the boundary tax compares like with like.
function nativeBench() {
  progress("cargo bench --bench core --profile edge (compiles the first time; slow)");
  const r = spawnSync("cargo", ["bench", "--bench", "core", "--profile", "edge"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    progress(`cargo bench failed:\n${r.stderr.slice(-2000)}`);
    return null;
  }
  // divan's table: "├─ name   fastest │ slowest │ median │ mean │ samples │ iters"
  const unit = { ns: 1, µs: 1e3, us: 1e3, ms: 1e6, s: 1e9 };
  const out = {};
  for (const line of r.stdout.split("\n")) {
    const m = line.match(/[├╰]─ (\S+)\s+\S+ \S+\s+│\s+\S+ \S+\s+│\s+([\d.]+) (\S+)/);
    if (m && unit[m[3]]) out[m[1]] = Number(m[2]) * unit[m[3]];
  }
  return out;
}

// The last native figures, kept so every run can show the boundary tax
// (wasm time / native time per operation) without recompiling: `--native`
// refreshes the file.
const NATIVE_FILE = path.join(HERE, "native.json");

function lastNative() {
  try {
    return JSON.parse(readFileSync(NATIVE_FILE, "utf8"));
  } catch {
    return null;
  }
}

// Which native benchmark is the floor of which wasm operation.
const NATIVE_FOR = {
  pkce: "pkce_verifier_and_challenge",
  authorize_url: "authorize_url",
  callback: "callback",
  token_response: "token_response",
  token_response_from_text: "token_response",
  refresh_request: "refresh_request",
  token_request: "token_request",
};

// ---------------------------------------------------------------- main

function machine() {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpu;
  } catch {}
  const o4wVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/oauth4webapi/package.json"), "utf8")).version;
  return { nproc: os.availableParallelism?.() ?? os.cpus().length, cpu, node: process.version, oauth4webapi: o4wVersion };
}

const fmtOps = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtNs = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const TARGETS = { pkce: 3, authorize_url: 1.5, callback: 1.5, token_response: 1.5, refresh_request: 1.5 };

async function main() {
  const started = Date.now();
  const info = machine();
  progress(`${info.cpu}, ${info.nproc} CPUs, Node ${info.node}, oauth4webapi ${info.oauth4webapi}${QUICK ? " (quick)" : ""}`);
  const { setup } = await import("./ops.mjs");
  const { ops, extras } = await setup();
  const selected = (list) => list.filter((op) => !ONLY || ONLY.includes(op.name));

  const operations = [];
  for (const op of selected(ops)) {
    progress(`measuring ${op.name}`);
    operations.push(await measure(op));
  }
  const extra_operations = [];
  if (!QUICK) {
    for (const op of selected(extras)) {
      progress(`measuring ${op.name} (extra)`);
      extra_operations.push(await measure(op));
    }
  }
  // Webhook verification has no oauth4webapi counterpart: its peer is the
  // Standard Webhooks reference implementation (bench/webhook.mjs).
  if (!ONLY || ONLY.includes("verify_webhook")) {
    progress("measuring verify_webhook (peer: standardwebhooks)");
    const { benchWebhook } = await import("./webhook.mjs");
    const r = benchWebhook({ quick: QUICK });
    operations.push({ ...r, peer: "standardwebhooks", ours_ns: 1e9 / r.ours_ops, peer_ns: 1e9 / r.peer_ops });
  }

  let cold_start = null;
  if (!flag("skip-cold")) {
    progress(`cold start: ${CFG.coldRuns} fresh processes each, interleaved`);
    cold_start = coldStart();
  }
  let size = null;
  if (!flag("skip-size")) {
    progress("size: gzip -9 of dist/ vs an esbuild bundle of the oauth4webapi functions used");
    size = await sizes();
  }
  const native = NATIVE ? nativeBench() : null;
  if (native && Object.keys(native).length) {
    writeFileSync(NATIVE_FILE, JSON.stringify({ measured: new Date().toISOString(), machine: info, ns: native }, null, 2) + "\n");
  }
  // Boundary tax: what one call costs through the package (wasm + JS glue)
  // over what the same work costs in the native core.
  const nativeFloor = native ?? lastNative()?.ns ?? null;
  for (const r of [...operations, ...extra_operations]) {
    const n = nativeFloor?.[NATIVE_FOR[r.name]];
    if (n) r.boundary_tax = round(r.ours_ns / n, 1);
  }
  let worker = null;
  if (WORKER) {
    const { runWorkerBench } = await import("./worker.mjs");
    worker = await runWorkerBench({ quick: QUICK, progress });
  }

  // ---- human-readable report
  const log = JSON_OUT ? (s) => process.stderr.write(s + "\n") : (s) => process.stdout.write(s + "\n");
  log("");
  log(`pleo-oauth vs oauth4webapi ${info.oauth4webapi} — ${info.cpu}, ${info.nproc} CPUs, Node ${info.node}`);
  log(`median of ${CFG.rounds} interleaved rounds of ~${CFG.batchMs} ms batches per side${QUICK ? " (QUICK: numbers are noise)" : ""}`);
  log("");
  const header = ["operation", "ours ops/s", "theirs ops/s", "ours/theirs", "target", "ours/op", "theirs/op"];
  if (nativeFloor) header.push("native core/op", "boundary tax");
  const rows = [...operations, ...extra_operations].map((r) => {
    const row = [
      r.name,
      fmtOps(r.ours_ops),
      fmtOps(r.peer_ops),
      `${r.ratio.toFixed(2)}×`,
      TARGETS[r.name] ? `≥ ${TARGETS[r.name]}× ${r.ratio >= TARGETS[r.name] ? "ok" : "MISS"}` : r.peer ? `(vs ${r.peer})` : "(extra)",
      fmtNs(r.ours_ns),
      fmtNs(r.peer_ns),
    ];
    if (nativeFloor) {
      const n = nativeFloor[NATIVE_FOR[r.name]];
      row.push(n ? fmtNs(n) : "-", r.boundary_tax ? `${r.boundary_tax}×` : "-");
    }
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  log(line(header));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) log(line(r));
  if (cold_start) {
    log("");
    log(
      `cold start (import + init + authorize→callback→token response, median of ${cold_start.runs} processes): ` +
        `ours ${cold_start.ours_ms} ms, theirs ${cold_start.peer_ms} ms, ratio ${cold_start.ratio}× (target ≤ 1.5× ${cold_start.ratio <= 1.5 ? "ok" : "MISS"})`,
    );
    log(
      `  whole process incl. Node start-up: ours ${cold_start.ours_process_ms} ms, theirs ${cold_start.peer_process_ms} ms (${cold_start.process_ratio}×)`,
    );
  }
  if (size) {
    log("");
    log(
      `size (gzip -9): ours ${size.ours_gz} B (${Object.entries(size.ours_files_gz)
        .map(([f, n]) => `${f} ${n}`)
        .join(" + ")}), ` +
        `theirs ${size.peer_gz} B (esbuild --minify of ${size.peer_functions.length} exports), ratio ${size.ratio}× (target ≤ 2× ${size.ratio <= 2 ? "ok" : "MISS"})`,
    );
    log(`  theirs with introspection + revocation too: ${size.peer_with_introspection_revocation_gz} B`);
  }
  if (nativeFloor) {
    log("");
    log(
      `boundary tax = ours/op ÷ native core/op (target ≤ 3×); native figures ${native ? "from this run" : `from bench/native.json (${lastNative()?.measured}; refresh with --native)`}.` +
        " token_response's includes undici's Response + text() (~10 µs); token_response_from_text is the call alone.",
    );
  }
  if (native) {
    log("");
    log("native core (cargo bench --bench core, divan median, bench profile = release opt-level z):");
    for (const [k, v] of Object.entries(native)) log(`  ${k.padEnd(30)} ${fmtNs(v)}`);
  }
  if (worker) {
    log("");
    for (const l of worker.lines) log(l);
  }
  log("");
  log("what each side does per iteration:");
  for (const op of selected([...ops, ...(QUICK ? [] : extras)])) {
    log(`  ${op.name}`);
    log(`    ours:   ${op.describe.ours}`);
    log(`    theirs: ${op.describe.peer}`);
  }
  log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);

  if (JSON_OUT) {
    const out = {
      operations: operations.map(({ name, ours_ops, peer_ops, ratio, boundary_tax, peer }) => ({
        name,
        ours_ops,
        peer_ops,
        ratio,
        boundary_tax,
        peer,
      })),
      cold_start: cold_start && { ours_ms: cold_start.ours_ms, peer_ms: cold_start.peer_ms, ratio: cold_start.ratio },
      size: size && { ours_gz: size.ours_gz, peer_gz: size.peer_gz, ratio: size.ratio },
      details: { machine: info, quick: QUICK, config: CFG, operations, extra_operations, cold_start, size },
    };
    if (native) out.native_ns = native;
    if (worker) out.worker = worker.result;
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
