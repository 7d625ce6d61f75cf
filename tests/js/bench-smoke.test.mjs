// Benchmarks are scripts, not timed tests: this smoke only keeps
// `npm run bench` working and its JSON shape stable (numbers are noise here).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("npm run bench -- --quick --json prints the documented JSON on its last line", () => {
  const out = execFileSync(process.execPath, ["bench/run.mjs", "--quick", "--json"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const result = JSON.parse(out.trim().split("\n").at(-1));
  const names = result.operations.map((o) => o.name);
  assert.deepEqual(names, ["pkce", "authorize_url", "callback", "token_response", "refresh_request", "verify_webhook"]);
  assert.equal(result.operations.at(-1).peer, "standardwebhooks", "verify_webhook is measured against the reference implementation");
  for (const o of result.operations) {
    assert.ok(o.ours_ops > 0 && o.peer_ops > 0 && o.ratio > 0, JSON.stringify(o));
  }
  for (const k of ["ours_ms", "peer_ms", "ratio"]) assert.ok(result.cold_start[k] > 0, k);
  for (const k of ["ours_gz", "peer_gz", "ratio"]) assert.ok(result.size[k] > 0, k);
  // The boundary tax (wasm time / native core time) from bench/native.json.
  for (const o of result.operations.slice(0, 5)) assert.ok(o.boundary_tax > 0, `${o.name} has no boundary_tax`);
});
