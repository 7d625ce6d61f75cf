#!/usr/bin/env node
// node bench/cold-worker.mjs [--runs=N] [--json]
//
// Cold start of a workerd isolate that loads the edge entry (dist/workerd.js:
// the edge wasm, compiled and instantiated at module load) against the same
// worker without it. Each sample is one fresh Miniflare (one workerd
// process): from `new Miniflare()` to the first response of a request that
// uses the library (`generateState()`), or the bare worker's constant
// answer. Samples alternate between the two workers; medians are reported.
// The workerd process start-up is in both, so the ratio understates the
// isolate's own cost; the difference of the medians is the module's share.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const RUNS = Number(args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 11);
const JSON_OUT = args.includes("--json");

const WITH_EDGE = `import { generateState } from "./dist/workerd.js";
export default { fetch() { return new Response(generateState()); } };`;
const WITHOUT = `export default { fetch() { return new Response("x".repeat(43)); } };`;

const { Miniflare, Log, LogLevel } = await import("miniflare");

async function once(script) {
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: true,
    script,
    scriptPath: path.join(ROOT, "cold-worker-entry.mjs"),
    modulesRoot: ROOT,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    cf: false,
    compatibilityDate: "2025-01-01",
    log: new Log(LogLevel.WARN),
  });
  const res = await mf.dispatchFetch("http://cold.test/");
  const text = await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  if (res.status !== 200 || text.length !== 43) throw new Error(`unexpected answer ${res.status}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

await once(WITHOUT); // file-system cache, workerd binary
await once(WITH_EDGE);
const withEdge = [];
const without = [];
for (let i = 0; i < RUNS; i++) {
  if (i % 2) {
    without.push(await once(WITHOUT));
    withEdge.push(await once(WITH_EDGE));
  } else {
    withEdge.push(await once(WITH_EDGE));
    without.push(await once(WITHOUT));
  }
}
const edgeFiles = ["edge_pleo_oauth_bg.wasm", "edge_pleo_oauth.js", "edge_api.js", "edge_public.js", "edge.js", "workerd.js"];
const edge_gz = edgeFiles.reduce((n, f) => n + gzipSync(readFileSync(path.join(ROOT, "dist", f)), { level: 9 }).length, 0);
const result = {
  runs: RUNS,
  with_edge_ms: Number(median(withEdge).toFixed(1)),
  without_ms: Number(median(without).toFixed(1)),
  ratio: Number((median(withEdge) / median(without)).toFixed(2)),
  edge_entry_gz: edge_gz,
};
if (JSON_OUT) console.log(JSON.stringify(result));
else
  console.log(
    `workerd cold start (new Miniflare → first response, median of ${RUNS}): with the edge entry ${result.with_edge_ms} ms, without ${result.without_ms} ms, ratio ${result.ratio}× (module share ${(result.with_edge_ms - result.without_ms).toFixed(1)} ms); edge entry ${edge_gz} B gz`,
  );
