#!/usr/bin/env node
// Where a receipt's memory goes in workerd (issue #18's open question): one
// workerd isolate fetches a body of 1 MB and of 26 MB from a local server and
// reads it to its end, three times each, while the workerd process's resident
// memory is sampled; printed per read mode as growth over the idle process.
//   default  the default reader (what every stream consumer gets): a fresh
//            buffer per chunk, freed only when V8 collects garbage
//   hash     the same plus the export run's SHA-256 (worker/export/sha256.js)
//   byob     a BYOB reader filling one reused 64 KiB buffer
//   digest   piped natively into workerd's crypto.DigestStream
//   r2       piped natively into a (local) R2 bucket through a FixedLengthStream
// Usage: node bench/stream-memory.mjs [--json]
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { watchPeakRss } from "./loadtest-receipts.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MB = 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 7);

const server = http
  .createServer((req, res) => {
    const size = Number(new URL(req.url, "http://x").searchParams.get("size"));
    res.writeHead(200, { "content-length": size, "content-type": "application/pdf" });
    let left = size;
    const write = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(chunk.subarray(0, n))) return void res.once("drain", write);
      }
      res.end();
    };
    write();
  })
  .listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const idleMb = async (ms = 300) => {
  const w = watchPeakRss(20);
  await new Promise((r) => setTimeout(r, ms));
  return w.stop();
};

const rows = [];
for (const mode of ["default", "hash", "byob", "digest", "r2"]) {
  for (const sizeMb of [1, 26]) {
    const mf = new Miniflare({
      modules: true,
      modulesRoot: root,
      scriptPath: join(root, "bench", "stream-memory-worker.js"),
      modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
      compatibilityDate: "2025-01-01",
      bindings: { ORIGIN: origin },
      r2Buckets: ["RECEIPTS"],
    });
    await mf.ready;
    await (await mf.dispatchFetch(`http://bench/?mode=${mode}&size=1000`)).text(); // warm
    const idle = await idleMb();
    const watch = watchPeakRss(5);
    for (let i = 0; i < 3; i++) {
      const got = Number(await (await mf.dispatchFetch(`http://bench/?mode=${mode}&size=${sizeMb * MB}`)).text());
      if (got !== sizeMb * MB) throw new Error(`${mode}: read ${got} of ${sizeMb * MB} bytes`);
    }
    const peak = watch.stop();
    rows.push({ mode, size_mb: sizeMb, idle_rss_mb: idle, peak_rss_mb: peak, growth_mb: peak - idle });
    await mf.dispose();
    console.error(
      `[stream-memory] ${mode.padEnd(8)} ${String(sizeMb).padStart(2)} MB body: idle ${idle} MB, peak ${peak} MB, growth ${peak - idle} MB`,
    );
  }
}
server.close();
if (process.argv.includes("--json")) console.log(JSON.stringify({ rows }));
