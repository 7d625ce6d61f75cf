// The edge worker on workerd (miniflare, a Durable Object per company
// connection plus the directory) against the Pleo stand-in over HTTP, plus
// the Cloudflare deployment config check.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defineWorkerSuite } from "./helpers/worker-suite.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

defineWorkerSuite("workerd");

test("wrangler.toml: `wrangler deploy --dry-run` bundles the worker with its Durable Objects (migration v2) and assets (offline)", async () => {
  const outdir = await mkdtemp(path.join(tmpdir(), "pleo-wrangler-"));
  const wranglerScratch = path.join(ROOT, ".wrangler");
  const hadScratch = existsSync(wranglerScratch);
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1", WRANGLER_LOG_PATH: outdir },
      },
    );
    const output = `${stdout}\n${stderr}`;
    assert.match(output, /env\.CONNECTIONS \(ConnectionObject\)\s+Durable Object/);
    assert.match(output, /env\.DIRECTORY \(DirectoryObject\)\s+Durable Object/);
    assert.match(output, /env\.ASSETS\s+Assets/);
    assert.match(output, /--dry-run: exiting now/);
    const bundle = await readFile(path.join(outdir, "index.js"), "utf8");
    assert.ok(/export\s*\{[^}]*\bConnectionObject\b[^}]*\}/.test(bundle), "the Durable Object classes are exported");
    assert.ok(/export\s*\{[^}]*\bDirectoryObject\b[^}]*\}/.test(bundle));
    assert.ok(/import \w+ from "\.\/[\w-]*pleo_oauth_bg\.wasm"/.test(bundle), "the wasm module is imported, not compiled at runtime");
    assert.ok(!/PLEO_CLIENT_SECRET\s*[:=]\s*"/.test(bundle), "no secret baked into the bundle");
  } finally {
    await rm(outdir, { recursive: true, force: true });
    // wrangler bundles through .wrangler/tmp in the project: leave no trace.
    if (!hadScratch) await rm(wranglerScratch, { recursive: true, force: true });
  }
});
