#!/usr/bin/env node
// npm run build: Rust → wasm32 → wasm-bindgen (web target) → wasm-opt -Oz →
// dist/ with the per-runtime entry files. Installs the wasm target and the
// wasm-bindgen-cli pinned to Cargo.lock when they are missing.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const staging = join(root, "build", "wasm-bindgen");
const step = (msg) => console.log(`[build] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

function output(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  return r.status === 0 ? r.stdout : "";
}

function lockedVersion(name) {
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  const m = lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`));
  if (!m) throw new Error(`${name} is not in Cargo.lock`);
  return m[1];
}

// 1. The wasm target.
if (!output("rustup", ["target", "list", "--installed"]).includes("wasm32-unknown-unknown")) {
  step("installing the wasm32-unknown-unknown target (rustup)");
  run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
}

// 2. Compile (this also writes Cargo.lock on a fresh clone).
step("cargo build --target wasm32-unknown-unknown --release --no-default-features (no_std)");
run("cargo", ["build", "--target", "wasm32-unknown-unknown", "--release", "--lib", "--no-default-features"]);

// 3. wasm-bindgen-cli, pinned to the wasm-bindgen in Cargo.lock.
const wbVersion = lockedVersion("wasm-bindgen");
if (!output("wasm-bindgen", ["--version"]).includes(wbVersion)) {
  step(`installing wasm-bindgen-cli ${wbVersion} (cargo install, about 2 minutes on 2 cores)`);
  const locked = spawnSync("cargo", ["install", "wasm-bindgen-cli", "--version", wbVersion, "--locked"], {
    stdio: "inherit",
  });
  if (locked.status !== 0) {
    step("--locked failed (a pinned dependency is missing from the registry mirror); retrying without it");
    run("cargo", ["install", "wasm-bindgen-cli", "--version", wbVersion]);
  }
}

// 4. Bindings for the `web` target; the entries in js/ adapt it per runtime.
step("wasm-bindgen --target web");
rmSync(staging, { recursive: true, force: true });
run("wasm-bindgen", [
  "--target", "web",
  "--no-typescript",
  "--out-dir", staging,
  join(root, "target", "wasm32-unknown-unknown", "release", "pleo_oauth.wasm"),
]);

// 5. Shrink.
step("wasm-opt -Oz (binaryen from npm)");
const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
run(wasmOpt, ["-Oz", "--strip-debug", "--strip-producers", join(staging, "pleo_oauth_bg.wasm"), "-o", join(dist, "pleo_oauth_bg.wasm")]);

// 6. Glue and entries, minified (ES modules kept as they are: imports,
// exports and import.meta.url stay). The readable sources are js/ and src/.
step("minifying the JS glue and entries (esbuild)");
const { transformSync } = await import("esbuild");
const minify = (from, to) => {
  const { code } = transformSync(readFileSync(from, "utf8"), { minify: true, format: "esm", target: "es2022", logLevel: "warning" });
  writeFileSync(to, code);
};
minify(join(staging, "pleo_oauth.js"), join(dist, "pleo_oauth.js"));
for (const f of ["api.js", "web.js", "node.js", "workerd.js"]) minify(join(root, "js", f), join(dist, f));
copyFileSync(join(root, "js", "index.d.ts"), join(dist, "index.d.ts"));
writeFileSync(join(dist, "BUILD_INFO.json"), JSON.stringify({ wasmBindgen: wbVersion }, null, 2) + "\n");

// 7. What ships, gzipped.
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const files = ["pleo_oauth_bg.wasm", "pleo_oauth.js", "api.js", "web.js"];
let total = 0;
for (const f of files) {
  const size = gz(f);
  total += size;
  step(`${f.padEnd(22)} ${String(statSync(join(dist, f)).size).padStart(7)} B raw  ${String(size).padStart(6)} B gzipped`);
}
step(`shipped to a browser (wasm + glue + API + entry), gzipped: ${total} B (${(total / 1024).toFixed(1)} KiB)`);
