// Each entry's types match its exports, from the packed package as a user
// installs it. package.json's `exports` gives every condition its own types:
// the browser entry (`browser` and `default` → dist/web.js) is OAuth-only and
// declares dist/web.d.ts; the server entries (`node`, `workerd`) and
// `pleo-oauth/edge` add webhooks and the export core and declare
// dist/index.d.ts (= web.d.ts + edge.d.ts). TypeScript reads the `types`
// condition first in every environment, so one top-level `types` would give
// a browser build names its entry does not export (verifyWebhook did).
//
// Checked here: tsc (the repository's, against the installed tarball) with
// `moduleResolution: bundler` and `customConditions: ["browser"]` (and none,
// which picks `default`) refuses the server-only names from "pleo-oauth" and
// accepts them from "pleo-oauth/edge"; with `["workerd"]`, node16 and nodenext
// every name resolves; and each entry file's export list (esbuild's metafile,
// without running it) equals the names its .d.ts declares as values.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packAndInstall, root } from "./helpers/packed-package.mjs";

const TSC = join(root, "node_modules", ".bin", "tsc");
let scratch;
let app;
let dist;

before(() => {
  ({ scratch, app } = packAndInstall("pleo-oauth-entry-types-"));
  dist = join(app, "node_modules", "pleo-oauth", "dist");
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * The names a shipped .d.ts declares, following `export * from "./x.js"`.
 * @returns {{ values: string[], all: string[] }} values: what exists at run time (functions, classes, consts)
 */
function declared(file) {
  const text = readFileSync(join(dist, file), "utf8");
  const values = [...text.matchAll(/^export (?:declare )?(?:function|class|const|let|var|enum) (\w+)/gm)].map((m) => m[1]);
  const types = [...text.matchAll(/^export (?:declare )?(?:interface|type) (\w+)/gm)].map((m) => m[1]);
  for (const m of text.matchAll(/^export \* from "\.\/([\w.-]+)\.js";/gm)) {
    const inner = declared(`${m[1]}.d.ts`);
    values.push(...inner.values);
    types.push(...inner.all.filter((n) => !inner.values.includes(n)));
  }
  const unique = (list) => [...new Set(list)].sort();
  return { values: unique(values), all: unique([...values, ...types]) };
}

/** An entry file's export names, read by esbuild from the bundle's metafile (nothing runs). */
async function runtimeExports(file) {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(dist, file)],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    outdir: join(scratch, "metafile-out"),
    external: ["node:*"],
    loader: { ".wasm": "binary" },
    logLevel: "silent",
  });
  const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint);
  return [...output.exports].sort();
}

/** Runs tsc on `files` (written into the app) with these module settings; returns { status, out }. */
function tsc(name, compilerOptions, files) {
  for (const [file, text] of Object.entries(files)) writeFileSync(join(app, file), text);
  const config = join(app, `tsconfig.${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2022", lib: ["es2022", "dom"], types: [], ...compilerOptions },
      files: Object.keys(files),
    }),
  );
  const r = spawnSync(TSC, ["-p", config], { cwd: app, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// Unused imports are not errors here (no noUnusedLocals), so type and value names import alike.
const importAll = (names, from) => `import { ${names.join(", ")} } from "${from}";\n`;

describe("types per entry (packed package)", () => {
  test("each entry's run-time exports equal the values its types declare", async () => {
    const web = declared("web.d.ts");
    const server = declared("index.d.ts");
    assert.ok(web.values.includes("OAuthClient") && !web.values.includes("verifyWebhook"), `web.d.ts: ${web.values}`);
    assert.ok(server.values.includes("verifyWebhook") && server.values.includes("exportRunStart"), `index.d.ts: ${server.values}`);
    assert.deepEqual(await runtimeExports("web.js"), web.values, "dist/web.js (browser/default) against web.d.ts");
    for (const file of ["node.js", "workerd.js", "edge_web.js"]) {
      assert.deepEqual(await runtimeExports(file), server.values, `dist/${file} against index.d.ts`);
    }
  });

  test("package.json gives every condition of `.` and `./edge` the types of the file it picks", () => {
    const pkg = JSON.parse(readFileSync(join(app, "node_modules", "pleo-oauth", "package.json"), "utf8"));
    const typesOf = {
      "./dist/web.js": "./dist/web.d.ts",
      "./dist/edge_web.js": "./dist/index.d.ts",
      "./dist/node.js": "./dist/index.d.ts",
      "./dist/workerd.js": "./dist/index.d.ts",
    };
    for (const [entry, conditions] of Object.entries({ ".": pkg.exports["."], "./edge": pkg.exports["./edge"] })) {
      for (const [condition, target] of Object.entries(conditions)) {
        if (condition === "types") continue;
        // A nested { types, default } or, when the entry has one `types` for all (./edge), a path.
        const types = typeof target === "string" ? conditions.types : target.types;
        const file = typeof target === "string" ? target : target.default;
        assert.equal(types, typesOf[file], `${entry} "${condition}" → ${file} is typed by ${types}`);
      }
    }
  });

  test("browser resolution (bundler, customConditions browser, or none): server-only names are type errors from pleo-oauth, fine from pleo-oauth/edge", () => {
    const web = declared("web.d.ts").all;
    const serverOnly = declared("index.d.ts").all.filter((n) => !web.includes(n));
    assert.ok(serverOnly.includes("verifyWebhook") && serverOnly.includes("VerifyWebhookInput"), `server-only: ${serverOnly}`);
    const expectMissing = serverOnly
      .map((n) => `// @ts-expect-error ${n} is not exported by the browser entry\nimport { ${n} as missing_${n} } from "pleo-oauth";\n`)
      .join("");
    const files = {
      "browser.ts": importAll(web, "pleo-oauth") + expectMissing,
      "browser-edge.ts": importAll(
        declared("index.d.ts").all.map((n) => `${n} as edge_${n}`),
        "pleo-oauth/edge",
      ),
    };
    for (const [name, conditions] of [
      ["browser", ["browser"]],
      ["bundler-default", []],
    ]) {
      const r = tsc(name, { module: "esnext", moduleResolution: "bundler", customConditions: conditions }, files);
      assert.equal(r.status, 0, `tsc (${name}) failed:\n${r.out}`);
    }
    // The plain error a browser build meets, without the @ts-expect-error.
    const bad = tsc(
      "browser-bad",
      { module: "esnext", moduleResolution: "bundler", customConditions: ["browser"] },
      {
        "browser-bad.ts": 'import { verifyWebhook } from "pleo-oauth";\nvoid verifyWebhook;\n',
      },
    );
    assert.notEqual(bad.status, 0, "importing verifyWebhook from the browser entry must not type-check");
    assert.match(bad.out, /has no exported member (named )?'verifyWebhook'/);
  });

  test("server resolution (bundler + workerd, node16, nodenext): every name, webhooks and exports included, from pleo-oauth and pleo-oauth/edge", () => {
    const all = declared("index.d.ts").all;
    const files = {
      "server.ts":
        importAll(all, "pleo-oauth") +
        importAll(
          all.map((n) => `${n} as edge_${n}`),
          "pleo-oauth/edge",
        ),
      "server-use.ts": `import { verifyWebhook, exportRunStart, OAuthClient, type VerifiedWebhook } from "pleo-oauth";
const event: VerifiedWebhook = verifyWebhook({ headers: {}, body: "{}", secret: "whsec_x" });
const client = new OAuthClient({ provider: "staging", clientId: "c", redirectUri: "https://p.test/cb" });
void [event, client, exportRunStart];
`,
    };
    for (const [name, options] of [
      ["workerd", { module: "esnext", moduleResolution: "bundler", customConditions: ["workerd"] }],
      ["node16", { module: "node16", moduleResolution: "node16" }],
      ["nodenext", { module: "nodenext", moduleResolution: "nodenext" }],
    ]) {
      const r = tsc(name, options, files);
      assert.equal(r.status, 0, `tsc (${name}) failed:\n${r.out}`);
    }
  });
});
