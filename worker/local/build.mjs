// Builds the worker for workerd / Cloudflare Workers:
//   worker/build/worker.js            the bundled module worker (esbuild, ESM)
//   worker/build/pleo_oauth_bg.wasm   pleo-oauth's wasm, imported as a WebAssembly.Module
//   worker/build/public/              static assets: www/, the browser package under /pkg/, pleo-oauth/client under /client/,
//                                     the operator page (worker/ops-page/) under /ops/
// `npm run build` (the library) must have produced dist/ first.
//
//   node worker/local/build.mjs     or          import { buildWorker } from "./worker/local/build.mjs"
import { build } from "esbuild";
import { copyFile, cp, mkdir, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isBrowserPackageFile } from "./static-files.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD_DIR = path.join(ROOT, "worker", "build");

async function packageFiles(dir, base = dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await packageFiles(full, base)));
    else out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out;
}

/** Resolves `pleo-oauth` through the package's own exports map, workerd condition first. */
function pleoOauthPackage(root) {
  return {
    name: "pleo-oauth-self-reference",
    setup(b) {
      b.onResolve({ filter: /^pleo-oauth$/ }, async () => {
        const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
        const entry = pkg.exports["."];
        const target = entry.workerd ?? entry.worker ?? entry.browser;
        // A condition is a path or, with its own types, { types, default }.
        return { path: path.join(root, typeof target === "string" ? target : target.default) };
      });
      // The wasm stays a separate module: workerd compiles it at deploy time
      // (a WebAssembly.Module import; workers may not compile wasm at runtime).
      b.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: `./${path.basename(args.path)}`, external: true }));
    },
  };
}

/** `entry`: the worker module to bundle (default worker/index.js; tests bundle their own createWorker options). */
export async function buildWorker({ root = ROOT, outdir = BUILD_DIR, entry = path.join(root, "worker", "index.js"), log = () => {} } = {}) {
  const dist = path.join(root, "dist");
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: path.join(outdir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    plugins: [pleoOauthPackage(root)],
    legalComments: "none",
    logLevel: "silent",
    metafile: true,
  });
  const wasmImports = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) if (imp.external && imp.path.endsWith(".wasm")) wasmImports.add(path.basename(imp.path));
  }
  for (const wasm of wasmImports) await copyFile(path.join(dist, wasm), path.join(outdir, wasm));

  const publicDir = path.join(outdir, "public");
  await cp(path.join(root, "www"), publicDir, { recursive: true });
  // The browser entry pleo-oauth/client (no wasm), for the demo page.
  await cp(path.join(root, "worker", "client"), path.join(publicDir, "client"), { recursive: true, filter: (f) => !f.endsWith(".d.ts") });
  // The operator console's page (the worker's /ops/ route serves it only with OPS_TOKEN).
  await cp(path.join(root, "worker", "ops-page"), path.join(publicDir, "ops"), { recursive: true });
  for (const file of await packageFiles(dist)) {
    if (!isBrowserPackageFile(file)) continue;
    await mkdir(path.dirname(path.join(publicDir, "pkg", file)), { recursive: true });
    await copyFile(path.join(dist, file), path.join(publicDir, "pkg", file));
  }
  log(`worker bundle: ${path.relative(root, path.join(outdir, "worker.js"))} (+ ${[...wasmImports].join(", ") || "no wasm"})`);
  return { outdir, script: path.join(outdir, "worker.js"), wasm: [...wasmImports], publicDir };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWorker({ log: console.log });
}
