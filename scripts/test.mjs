#!/usr/bin/env node
// npm test: every test layer, in order, with a summary.
//   1. native Rust (unit, shared vectors, property tests)
//   2. wasm-bindgen-test in Node and in headless Chromium
//   3. Node tests (node:test): the package in Node, packed tarball, Vite,
//      workerd, Chromium, the stand-in, the worker and the demo end to end
// Options: --only=<stage,...> (native, wasm-node, wasm-browser, js),
//          --js=<file,...> to pick test files in tests/js.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CHROMEDRIVER, ensureBuild, ensureChromium, ensureNodeModules, root } from "./setup.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k, v ?? true];
  }),
);
const only = args.only ? new Set(String(args.only).split(",")) : null;
const wanted = (stage) => !only || only.has(stage);

ensureNodeModules();
ensureChromium();
ensureBuild();

const totals = { passed: 0, failed: 0 };
const stages = [];

/** Runs a command, echoing its output, and counts the tests it reports. */
function stage(name, cmd, cmdArgs, env = {}) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${cmd} ${cmdArgs.join(" ")}`);
    const started = Date.now();
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const echo = (stream) => (chunk) => {
      out += chunk;
      stream.write(chunk);
    };
    child.stdout.on("data", echo(process.stdout));
    child.stderr.on("data", echo(process.stderr));
    child.on("close", (code) => {
      let passed = 0;
      let failed = 0;
      for (const m of out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
        passed += Number(m[1]);
        failed += Number(m[2]);
      }
      for (const m of out.matchAll(/^# pass (\d+)$/gm)) passed += Number(m[1]);
      for (const m of out.matchAll(/^# fail (\d+)$/gm)) failed += Number(m[1]);
      const ok = code === 0 && failed === 0;
      if (code !== 0 && failed === 0) failed = 1; // a crash counts as a failure
      totals.passed += passed;
      totals.failed += failed;
      stages.push({ name, ok, passed, failed, seconds: ((Date.now() - started) / 1000).toFixed(1) });
      resolve(ok);
    });
  });
}

if (wanted("native")) {
  await stage("native Rust tests", "cargo", ["test"]);
}
if (wanted("wasm-node")) {
  await stage("wasm-bindgen-test in Node", "cargo", ["test", "--target", "wasm32-unknown-unknown", "--test", "wasm_node"]);
}
if (wanted("wasm-browser")) {
  await stage("wasm-bindgen-test in headless Chromium", "cargo", ["test", "--target", "wasm32-unknown-unknown", "--test", "wasm_browser"], {
    CHROMEDRIVER,
  });
}
if (wanted("js")) {
  const dir = join(root, "tests", "js");
  const pick = args.js ? new Set(String(args.js).split(",")) : null;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".test.mjs") && (!pick || pick.has(f) || pick.has(f.replace(".test.mjs", ""))))
    .sort()
    .map((f) => join("tests", "js", f));
  await stage("Node tests (node:test)", process.execPath, ["--test", "--test-reporter=tap", ...files]);
}

console.log("\n=== summary");
for (const s of stages) {
  console.log(
    `${s.ok ? "ok  " : "FAIL"} ${s.name.padEnd(42)} ${String(s.passed).padStart(4)} passed ${String(s.failed).padStart(3)} failed  ${s.seconds} s`,
  );
}
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(stages.every((s) => s.ok) ? 0 : 1);
