// `npm run loadtest` is a script, not a timed test; this smoke keeps it
// working and holds its two hard rules in both modes: no grant revoked (Pleo
// revokes the whole authorisation when a rotated refresh token is reused)
// and no unclean failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function loadtest(...args) {
  const out = execFileSync(process.execPath, ["bench/loadtest.mjs", "--sessions", "5", "--calls", "4", "--json", ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return JSON.parse(out.trim().split("\n").at(-1));
}

test("loadtest without faults: every call succeeds, no grant revoked", () => {
  const r = loadtest();
  assert.equal(r.calls, 20);
  assert.equal(r.succeeded, 20);
  assert.equal(r.failed_unclean, 0);
  assert.equal(r.grants_revoked, 0);
  // Connections belong to companies (issue #9): the 5 sessions share the
  // stand-in's 4 companies' token sets, and each of those refreshes.
  assert.ok(r.refreshes >= 4, `every company's token set refreshes at least once (${r.refreshes})`);
  assert.ok(r.refreshes <= 4 * 3, `refreshes per company, not per call (${r.refreshes})`);
});

test("loadtest with token-endpoint faults: failures are clean, no grant revoked", () => {
  const r = loadtest("--faults");
  assert.equal(r.succeeded + r.failed_clean, r.calls);
  assert.equal(r.failed_unclean, 0);
  assert.equal(r.grants_revoked, 0);
});
