// worker/README.md's settings table is the one list of what the worker reads
// from `env`: a setting added to the code without a row, or a row left for a
// setting nothing reads any more, fails here.
//
// What the worker reads is found two ways:
// - at run time: loadConfig (worker/config/settings.js) and exportSettings
//   (worker/export/settings.js) are called with an `env` Proxy that records
//   every name asked for;
// - in the source: every `env.NAME`, `env?.NAME`, `env["NAME"]`,
//   `env[CONSTANT]` (the constant's string resolved), `required(env, "NAME")`
//   / `optional(env, "NAME")` and `integer("NAME")` in worker/ (outside
//   local/, the development hosts, and client/, the browser entry), so
//   settings read elsewhere (webhooks, ACCESS_CACHE_MS, bindings) count too.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const WORKER = path.join(ROOT, "worker");
const SKIP_DIRS = new Set(["local", "client", "build", "node_modules"]);
const NAME = "[A-Z][A-Z0-9_]*";

// Documented ahead of the code that reads them: the operator console
// (OPS_TOKEN) and the events queue (EVENTS) are being added on other
// branches; their rows are written now so the merged README stays whole.
// Once the code reads them the source scan finds them and this list is moot.
const DOCUMENTED_AHEAD = new Set([]);

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return SKIP_DIRS.has(name) ? [] : sourceFiles(file);
    return /\.(m?js)$/.test(name) ? [file] : [];
  });
}

/** The env names the worker's source reads, each with the files that read it. */
function namesInSource() {
  const found = new Map();
  const files = sourceFiles(WORKER);
  const texts = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
  // String constants anywhere in worker/ (`export const LEDGER_BINDING = "LEDGER_DB"`).
  const constants = new Map();
  for (const text of texts.values()) {
    for (const m of text.matchAll(new RegExp(`\\bconst (${NAME}) = "(${NAME})"`, "g"))) constants.set(m[1], m[2]);
  }
  const add = (name, file) => {
    if (!found.has(name)) found.set(name, new Set());
    found.get(name).add(path.relative(ROOT, file));
  };
  for (const [file, raw] of texts) {
    // Comments name settings too; only code counts.
    const text = raw.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    for (const m of text.matchAll(new RegExp(`\\benv\\??\\.(${NAME})\\b`, "g"))) add(m[1], file);
    for (const m of text.matchAll(new RegExp(`\\benv\\??\\.?\\[\\s*"(${NAME})"\\s*\\]`, "g"))) add(m[1], file);
    for (const m of text.matchAll(new RegExp(`\\benv\\??\\.?\\[\\s*(${NAME})\\s*\\]`, "g"))) {
      assert.ok(constants.has(m[1]), `${path.relative(ROOT, file)} reads env[${m[1]}], a constant this test cannot resolve`);
      add(constants.get(m[1]), file);
    }
    for (const m of text.matchAll(new RegExp(`\\b(?:required|optional)\\(\\s*env\\s*,\\s*"(${NAME})"`, "g"))) add(m[1], file);
    for (const m of text.matchAll(new RegExp(`\\binteger\\(\\s*"(${NAME})"`, "g"))) add(m[1], file);
  }
  return found;
}

/** The names in the first column of worker/README.md's "## Settings" table. */
function namesInReadme() {
  const readme = readFileSync(path.join(WORKER, "README.md"), "utf8");
  const start = readme.indexOf("\n## Settings\n");
  assert.ok(start >= 0, 'worker/README.md has a "## Settings" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const names = new Set();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const firstCell = line.split("|")[1];
    for (const m of firstCell.matchAll(new RegExp(`\`(${NAME})\``, "g"))) names.add(m[1]);
  }
  assert.ok(names.size > 10, "the settings table has rows");
  return names;
}

/** The names a function asks `env` for, recorded through a Proxy. */
function recordReads(fn, values) {
  const seen = new Set();
  const env = new Proxy(values, {
    get(target, key) {
      if (typeof key === "string") seen.add(key);
      return target[key];
    },
  });
  fn(env);
  return seen;
}

test("every setting loadConfig and exportSettings read is in worker/README.md's settings table", async () => {
  const { loadConfig } = await import("../../worker/config/settings.js");
  const { exportSettings } = await import("../../worker/export/settings.js");
  const documented = namesInReadme();
  const base = {
    PLEO_CLIENT_ID: "client",
    PLEO_CLIENT_SECRET: "secret",
    PLEO_REDIRECT_URI: "https://partner.example/auth/callback",
    SESSION_SECRET: "x".repeat(40),
  };
  const local = {
    ...base,
    PLEO_ENV: "local",
    PLEO_ISSUER: "http://127.0.0.1:4010",
    PLEO_AUTHORIZATION_ENDPOINT: "http://127.0.0.1:4010/oauth/authorize",
    PLEO_TOKEN_ENDPOINT: "http://127.0.0.1:4010/oauth/token",
    PLEO_API_BASE_URL: "http://127.0.0.1:4011",
  };
  const read = new Set([
    ...recordReads(loadConfig, { ...base, PLEO_ENV: "staging" }),
    ...recordReads(loadConfig, local),
    ...recordReads(exportSettings, {}),
  ]);
  assert.ok(read.has("PLEO_CLIENT_ID") && read.has("EXPORT_POLL_MINUTES"), `the Proxy saw the reads: ${[...read]}`);
  const missing = [...read].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name) && !documented.has(name));
  assert.deepEqual(missing, [], `read by loadConfig/exportSettings but not in worker/README.md "## Settings": ${missing.join(", ")}`);
});

test("worker/README.md's settings table and the names the worker's source reads from env are the same", () => {
  const documented = namesInReadme();
  const read = namesInSource();
  const undocumented = [...read.keys()]
    .filter((name) => !documented.has(name))
    .map((name) => `${name} (${[...read.get(name)].join(", ")})`);
  assert.deepEqual(undocumented, [], `read from env but not in worker/README.md "## Settings": ${undocumented.join("; ")}`);
  const unread = [...documented].filter((name) => !read.has(name) && !DOCUMENTED_AHEAD.has(name));
  assert.deepEqual(unread, [], `in worker/README.md "## Settings" but read nowhere in worker/: ${unread.join(", ")}`);
});
