// Idempotent set-up shared by `npm test`, `npm start` and `.ci/run`:
// npm packages, Debian's Chromium + ChromeDriver (browser tests), and the
// package build (which itself installs the wasm target and the pinned
// wasm-bindgen-cli). Each step is skipped when already done.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Progress goes to stderr: `npm start` keeps stdout for its READY lines.
const say = (msg) => console.error(`[setup] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", 2, 2], ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

export function ensureNodeModules() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // npm ci installs exactly package-lock.json and fails on a lock that has
  // drifted from package.json, rather than quietly rewriting it.
  say("installing npm packages (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMEDRIVER = "/usr/bin/chromedriver";

export function ensureChromium() {
  if (existsSync(CHROMIUM) && existsSync(CHROMEDRIVER)) return;
  if (process.getuid?.() !== 0) {
    throw new Error("headless Chromium is needed for the browser tests: run `sudo apt-get install -y chromium chromium-driver`");
  }
  say("installing Debian's chromium and chromium-driver (apt-get, about 20 s)");
  run("apt-get", ["update", "-q"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run("apt-get", ["install", "-y", "-q", "chromium", "chromium-driver"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every input. */
export function ensureBuild({ force = false } = {}) {
  const built = join(root, "dist", "pleo_oauth_bg.wasm");
  if (!force && existsSync(built)) {
    const inputs = Math.max(newestMtime(join(root, "src")), newestMtime(join(root, "js")), statSync(join(root, "Cargo.toml")).mtimeMs);
    if (statSync(built).mtimeMs > inputs) return;
  }
  say("building the package (npm run build)");
  run(process.execPath, [join(root, "scripts", "build.mjs")]);
}

export function packageVersion() {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNodeModules();
  ensureChromium();
  ensureBuild();
  say("ready");
}
