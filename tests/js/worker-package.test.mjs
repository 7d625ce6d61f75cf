// The package's other entries (issue #9): the partner worker printed in
// worker/README.md ("Using it in your own worker") is deployed offline with
// `wrangler deploy --dry-run` against pleo-oauth installed as a package
// (node_modules/pleo-oauth → this repository), and pleo-oauth/client is
// type-checked and exercised against a fetch stub.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

/** The first fenced block of `lang` after `heading` in worker/README.md. */
async function readmeBlock(heading, lang) {
  const readme = await readFile(path.join(ROOT, "worker", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf(heading));
  const match = section.match(new RegExp("```" + lang + "\\n([\\s\\S]*?)```"));
  assert.ok(match, `worker/README.md has a ${lang} block under ${heading}`);
  return match[1];
}

test("worker/README.md's partner worker deploys with `wrangler deploy --dry-run` (pleo-oauth/worker as an installed package)", async () => {
  const project = await mkdtemp(path.join(tmpdir(), "pleo-partner-"));
  try {
    await mkdir(path.join(project, "src"), { recursive: true });
    await mkdir(path.join(project, "node_modules"), { recursive: true });
    await symlink(ROOT, path.join(project, "node_modules", "pleo-oauth"), "dir");
    await writeFile(path.join(project, "src", "worker.js"), await readmeBlock("## Using it in your own worker", "js"));
    await writeFile(path.join(project, "wrangler.toml"), await readmeBlock("## Using it in your own worker", "toml"));
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "partner", private: true, type: "module" }));
    const outdir = path.join(project, "out");
    const { stdout, stderr } = await run(
      process.execPath,
      [path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
      {
        cwd: project,
        timeout: 90_000,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1", WRANGLER_LOG_PATH: outdir },
      },
    );
    const output = `${stdout}\n${stderr}`;
    assert.match(output, /env\.CONNECTIONS \(ConnectionObject\)\s+Durable Object/);
    assert.match(output, /env\.DIRECTORY \(DirectoryObject\)\s+Durable Object/);
    assert.match(output, /--dry-run: exiting now/);
    const bundle = await readFile(path.join(outdir, "worker.js"), "utf8");
    assert.ok(/export\s*\{[^}]*\bConnectionObject\b[^}]*\}/.test(bundle), "the Durable Object classes are exported");
    assert.ok(bundle.includes("hello from the partner"), "the partner's own route is in the bundle");
    assert.ok(/import \w+ from "\.\/[\w-]*pleo_oauth_bg\.wasm"/.test(bundle), "pleo-oauth's workerd build (wasm as a module) was picked");
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});

test("pleo-oauth/client: connect URL, CSRF header on API and POST calls, company header, typed errors with Retry-After", async () => {
  const { createClient, WorkerRequestError } = await import("pleo-oauth/client");
  const seen = [];
  const fake = async (url, init) => {
    seen.push({ url, init });
    if (url.endsWith("/api/v2/employees")) {
      return new Response('{"error":"pleo_rate_limited","message":"slow"}', { status: 429, headers: { "Retry-After": "3" } });
    }
    return new Response('{"ok":true}', { status: 200 });
  };
  const pleo = createClient({ fetch: fake });
  assert.equal(
    pleo.connectUrl({ returnTo: "/x", company: "urn:pleo:company:1" }),
    "/auth/login?return_to=%2Fx&company=urn%3Apleo%3Acompany%3A1",
  );
  assert.deepEqual(await pleo.session(), { ok: true });
  assert.equal(seen[0].init.headers["X-Requested-With"], undefined, "a plain GET of the session needs no CSRF header");
  await pleo.api("/v1/introspect", { company: "urn:pleo:company:1" });
  assert.equal(seen[1].url, "/api/v1/introspect");
  assert.ok(seen[1].init.headers["X-Requested-With"]);
  assert.equal(seen[1].init.headers["X-Pleo-Company"], "urn:pleo:company:1");
  await pleo.logout();
  assert.equal(seen[2].init.method, "POST");
  assert.ok(seen[2].init.headers["X-Requested-With"]);
  await assert.rejects(
    pleo.api("/v2/employees"),
    (err) => err instanceof WorkerRequestError && err.status === 429 && err.code === "pleo_rate_limited" && err.retryAfter === 3,
  );
});

test("pleo-oauth/client and pleo-oauth/worker type-check (tsc --strict on a program using them)", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "pleo-client-ts-"));
  try {
    await mkdir(path.join(dir, "node_modules"), { recursive: true });
    await symlink(ROOT, path.join(dir, "node_modules", "pleo-oauth"), "dir");
    await writeFile(
      path.join(dir, "use.ts"),
      `import { createClient, WorkerRequestError, type SessionInfo } from "pleo-oauth/client";
import { createWorker, createConnections, type Feature, type Ledger } from "pleo-oauth/worker";
const pleo = createClient();
async function main(): Promise<string> {
  const s: SessionInfo = await pleo.session();
  const first = s.connections[0];
  if (first && first.status === "needs_reconnect") location.href = pleo.connectUrl({ company: first.subject });
  try { await pleo.api<{ data: unknown }>("/v1/introspect"); } catch (e) { if (e instanceof WorkerRequestError) return e.code; }
  return "ok";
}
const feature: Feature<{ greeting: string }> = {
  name: "x", prefix: "/x/", handle: (ctx) => new Response(ctx.app.options.greeting),
  connection: { methods: { async ping(conn) { return conn.subject; } }, alarms: { tick: async (conn) => { await conn.schedule("tick", Date.now() + 1000); } } },
};
const ledger: Ledger = { book: async (entries) => entries.map((e) => ({ accountingEntryId: e.accountingEntryId, status: "successful" as const, externalId: "V-1" })) };
const app = createWorker({ ledger, features: [feature] });
// @ts-expect-error a misspelled option is a type error (issue #16)
createWorker({ leger: ledger });
export const { ConnectionObject } = app;
export default { fetch: app.fetch, main, list: (env: Record<string, unknown>) => createConnections(env).list() };
`,
    );
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2022", "dom"],
          skipLibCheck: false,
          types: [],
        },
        files: ["use.ts"],
      }),
    );
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
    try {
      await run(tsc, ["-p", dir], { cwd: dir, timeout: 120_000 });
    } catch (err) {
      assert.fail(`tsc failed:\n${err.stdout}\n${err.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
