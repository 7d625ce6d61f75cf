// `npm run loadtest -- --export` is a script, not a timed test; this smoke
// (3 companies × 60 entries in pages of 10, faults on, worker restarts) keeps it working,
// holds its hard rules (duplicates 0, lost 0) and the JSON shape docs/LOADTEST.md documents
// "Machine-readable figures".
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("export loadtest smoke with faults and two restarts: duplicates 0, lost 0, the documented figures", { timeout: 240_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["bench/loadtest.mjs", "--export", "--quick", "--faults", "--json"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const r = JSON.parse(stdout.trim().split("\n").at(-1));
  for (const key of [
    "companies",
    "jobs",
    "items",
    "exported",
    "failed_items",
    "duplicates",
    "lost",
    "requests_per_1000_items",
    "worker_restarts",
    "p50_job_ms",
  ]) {
    assert.equal(typeof r[key], "number", `${key} is a number`);
  }
  assert.deepEqual([r.companies, r.jobs, r.items], [3, 3, 180]);
  assert.equal(r.duplicates, 0);
  assert.equal(r.lost, 0);
  assert.equal(r.exported + r.failed_items, r.items);
  // Two are planned; a tiny job may finish before the second one is due.
  assert.ok(r.worker_restarts >= 1, `the worker was restarted mid-run (${r.worker_restarts})`);
  // Pages and reports of 10 in --quick: the floor is 2 × 6 + 2 requests per 60-entry job.
  assert.ok(r.requests_per_1000_items >= 230, `at least the floor of requests (${r.requests_per_1000_items})`);
});
