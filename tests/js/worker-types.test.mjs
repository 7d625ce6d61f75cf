// Issue #16 item 14: the partner's TypeScript view of pleo-oauth/worker and
// pleo-oauth/client, checked from the packed package as a partner installs it:
// the READMEs' partner workers (as written, JS with checkJs) and a TS worker
// against the runtime types `wrangler types` generates (the Durable Object
// classes must fit DurableObjectNamespace<…> and the exported-handler check),
// an `Env` generic, `ExportItem`, and the client under exactOptionalPropertyTypes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin");
let dir;

/** The first ```js block after `heading` in a README. */
async function snippet(file, heading) {
  const text = await readFile(path.join(ROOT, file), "utf8");
  const start = text.indexOf(heading);
  assert.ok(start >= 0, `${file} has "${heading}"`);
  const m = /```js\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(m, `${file} has a js block under "${heading}"`);
  return m[1];
}

async function tsc(project) {
  try {
    await run(path.join(BIN, "tsc"), ["-p", project], { cwd: dir, timeout: 180_000 });
  } catch (err) {
    assert.fail(`tsc failed:\n${err.stdout}\n${err.stderr}`);
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pleo-types-"));
  // The packed package, installed as a partner gets it.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT, timeout: 120_000 });
  const tarball = path.join(dir, stdout.trim().split("\n").pop());
  await mkdir(path.join(dir, "node_modules", "pleo-oauth"), { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", path.join(dir, "node_modules", "pleo-oauth"), "--strip-components=1"]);
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  await mkdir(path.join(dir, "src"));
});
after(() => rm(dir, { recursive: true, force: true }));

test("the READMEs' partner workers type-check as written (tsc --strict, checkJs)", async () => {
  await writeFile(path.join(dir, "src", "readme.js"), await snippet("README.md", "Use it in your own worker"));
  await writeFile(path.join(dir, "src", "worker-readme.js"), await snippet("worker/README.md", "## Using it in your own worker"));
  await writeFile(
    path.join(dir, "tsconfig.readme.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        allowJs: true,
        checkJs: true,
        noEmit: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022", "dom"],
        types: [],
      },
      files: ["src/readme.js", "src/worker-readme.js"],
    }),
  );
  await tsc("tsconfig.readme.json");
});

test("a TypeScript worker type-checks against `wrangler types` (Durable Object classes, Env generic, ExportItem)", async () => {
  await writeFile(
    path.join(dir, "wrangler.toml"),
    `name = "partner"\nmain = "src/worker.ts"\ncompatibility_date = "2026-04-01"\n[[durable_objects.bindings]]\nname = "CONNECTIONS"\nclass_name = "ConnectionObject"\n[[durable_objects.bindings]]\nname = "DIRECTORY"\nclass_name = "DirectoryObject"\n[vars]\nPLEO_ENV = "staging"\n`,
  );
  await writeFile(
    path.join(dir, "src", "worker.ts"),
    `import { createWorker, type ExportItem, type Ledger } from "pleo-oauth/worker";
const ledger: Ledger = {
  async book(entries) {
    return entries.map((e) => {
      const item: ExportItem = JSON.parse(e.json);
      return { accountingEntryId: item.accountingEntryId, status: "successful" as const, externalId: \`J-\${item.date}\` };
    });
  },
};
const app = createWorker<Env>({ ledger });
export class ConnectionObject extends app.ConnectionObject {}
export class DirectoryObject extends app.DirectoryObject {}
export default app;
// Env flows through: fetch and connections take the Env of \`wrangler types\`.
const listCompanies = (env: Env) => app.connections(env).list();
void listCompanies;
`,
  );
  await run(path.join(BIN, "wrangler"), ["types"], { cwd: dir, timeout: 120_000, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  await writeFile(
    path.join(dir, "tsconfig.wrangler.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: "esnext",
        moduleResolution: "bundler",
        target: "es2022",
        lib: ["es2022"],
        types: [],
      },
      files: ["src/worker.ts", "worker-configuration.d.ts"],
    }),
  );
  await tsc("tsconfig.wrangler.json");
});

test("pleo-oauth/client type-checks under exactOptionalPropertyTypes", async () => {
  await writeFile(
    path.join(dir, "src", "spa.ts"),
    `import { createClient, WorkerRequestError, type SessionInfo } from "pleo-oauth/client";
const pleo = createClient();
export async function main(company?: string): Promise<string> {
  const s: SessionInfo = await pleo.session();
  const missing: string[] = s.connections[0]?.missingScopes ?? [];
  // company is string | undefined: optional options take undefined as "not given".
  location.href = pleo.connectUrl({ returnTo: "/", company });
  try { await pleo.api<{ data: unknown }>("/v1/introspect", { company, body: undefined }); } catch (e) { if (e instanceof WorkerRequestError) return e.code; }
  await pleo.refresh({ company });
  const jobs = await pleo.exportJobs({ company });
  return String(jobs.jobs.length + missing.length);
}
`,
  );
  await writeFile(
    path.join(dir, "tsconfig.client.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2022", "dom"],
        types: [],
      },
      files: ["src/spa.ts"],
    }),
  );
  await tsc("tsconfig.client.json");
});
