#!/usr/bin/env node
// `npm run fuzz -- [--seconds N] [--target NAME]... [--jobs N] [--keep-corpus]`
//
// Runs the cargo-fuzz targets in fuzz/ (see fuzz/README.md): installs
// cargo-fuzz if it is missing, builds every target, runs each for N seconds
// (default 60) with a scratch corpus seeded from fuzz/corpus/<target>/seed-*,
// and prints a table of execs and crashes per target. Exits non-zero on any
// crash (the crashing input's path is printed) or build failure.
//
// libFuzzer writes new inputs to the FIRST corpus directory, so the scratch
// directory goes first and the committed seeds second: a run never adds
// files to the repository tree. Crashes land in fuzz/artifacts/ (ignored).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, createWriteStream, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fuzzDir = join(root, "fuzz");

// Per-target libFuzzer flags: the callback parser rejects URLs over 16 KiB,
// so let inputs grow past that limit.
const TARGET_FLAGS = { callback: ["-max_len=17000"] };

function usage(message) {
  if (message) console.error(`fuzz: ${message}`);
  console.error("usage: npm run fuzz -- [--seconds N] [--target NAME]... [--jobs N] [--keep-corpus]");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { seconds: 60, targets: [], jobs: 1, keepCorpus: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${name} needs a value`);
    switch (name) {
      case "--seconds": {
        opts.seconds = Number(value());
        if (!Number.isInteger(opts.seconds) || opts.seconds < 1) usage("--seconds must be a positive integer");
        break;
      }
      case "--target":
        opts.targets.push(...value().split(",").filter(Boolean));
        break;
      case "--jobs": {
        opts.jobs = Number(value());
        if (!Number.isInteger(opts.jobs) || opts.jobs < 1) usage("--jobs must be a positive integer");
        break;
      }
      case "--keep-corpus":
        opts.keepCorpus = true;
        break;
      case "-h":
      case "--help":
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return opts;
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { cwd: root, encoding: "utf8", ...options });
}

// cargo-fuzz needs a nightly compiler (-Z sanitizer flags).
function cargoPrefix() {
  const list = run("rustup", ["toolchain", "list"]);
  if (list.status === 0 && /^nightly/m.test(list.stdout)) return ["+nightly"];
  return [];
}

function ensureCargoFuzz() {
  if (run("cargo", ["fuzz", "--version"]).status === 0) return;
  console.log("fuzz: cargo-fuzz not found, installing it (cargo install cargo-fuzz)");
  for (const extra of [["--locked"], []]) {
    const r = run("cargo", ["install", "cargo-fuzz", ...extra], { stdio: "inherit" });
    if (r.status === 0) return;
    if (extra.length) console.log("fuzz: --locked install failed, retrying without --locked");
  }
  console.error("fuzz: could not install cargo-fuzz");
  process.exit(1);
}

// Figures from libFuzzer's output: the final "#N DONE" / "Done N runs" lines,
// the -print_final_stats "stat::" lines, and the last status line when a
// crash cut the run short.
export function parseLibFuzzerLog(text) {
  const num = (re) => {
    const all = [...text.matchAll(re)];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const status = [...text.matchAll(/^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)(?:.*?exec\/s: (\d+))?/gm)];
  const last = status.at(-1);
  const artifacts = [...text.matchAll(/Test unit written to (\S+)/g)].map((m) => m[1]);
  return {
    execs:
      num(/^stat::number_of_executed_units:\s*(\d+)/gm) ??
      num(/^Done (\d+) runs in/gm) ??
      num(/^#(\d+)\s+DONE/gm) ??
      (last ? Number(last[1]) : undefined),
    execPerSec: num(/^stat::average_exec_per_sec:\s*(\d+)/gm) ?? (last?.[6] ? Number(last[6]) : undefined),
    seconds: num(/^Done \d+ runs in (\d+) second/gm),
    cov: last ? Number(last[2]) : undefined,
    features: last ? Number(last[3]) : undefined,
    corpus: last ? `${last[4]} (${last[5]})` : undefined,
    peakRssMb: num(/^stat::peak_rss_mb:\s*(\d+)/gm),
    crashes: artifacts.length,
    artifacts,
  };
}

function fuzzOne(prefix, target, seconds, keepCorpus) {
  const scratch = mkdtempSync(join(tmpdir(), `pleo-fuzz-${target}-`));
  const corpus = join(scratch, "corpus");
  const logPath = join(scratch, "libfuzzer.log");
  const seeds = join(fuzzDir, "corpus", target);
  const args = [
    ...prefix,
    "fuzz",
    "run",
    "-O",
    target,
    corpus,
    ...(existsSync(seeds) ? [seeds] : []),
    "--",
    `-max_total_time=${seconds}`,
    "-timeout=10",
    "-print_final_stats=1",
    ...(TARGET_FLAGS[target] ?? []),
  ];
  const started = Date.now();
  console.log(`fuzz: ${target}: ${seconds} s (log ${logPath})`);
  return new Promise((resolve) => {
    run("mkdir", ["-p", corpus]);
    const log = createWriteStream(logPath);
    const child = spawn("cargo", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on("close", (code) => {
      log.end(() => {
        const text = readFileSync(logPath, "utf8");
        const stats = parseLibFuzzerLog(text);
        const crashed = code !== 0;
        if (crashed) {
          // Show the panic and libFuzzer's summary, not the whole log.
          const lines = text.split("\n");
          const at = lines.findIndex((l) => /panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer/.test(l));
          console.log(lines.slice(Math.max(0, at), at + 12).join("\n"));
          console.log(lines.filter((l) => /Test unit written|Failing input|cargo fuzz run/.test(l)).join("\n"));
          if (stats.crashes === 0) stats.crashes = 1; // e.g. a build or runtime failure without an artifact
        }
        const elapsed = Math.round((Date.now() - started) / 1000);
        if (!keepCorpus && !crashed) rmSync(scratch, { recursive: true, force: true });
        resolve({ target, code, elapsed, logPath, scratch, ...stats });
      });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureCargoFuzz();
  const prefix = cargoPrefix();
  const listed = run("cargo", [...prefix, "fuzz", "list"]);
  if (listed.status !== 0) {
    console.error(listed.stderr);
    process.exit(1);
  }
  const all = listed.stdout
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const targets = opts.targets.length ? opts.targets : all;
  for (const t of targets) if (!all.includes(t)) usage(`unknown target ${t} (have: ${all.join(", ")})`);

  console.log(`fuzz: building ${targets.join(", ")}`);
  const buildStarted = Date.now();
  const build = run("cargo", [...prefix, "fuzz", "build", "-O", ...(targets.length === 1 ? targets : [])], {
    stdio: "inherit",
  });
  if (build.status !== 0) {
    console.error("fuzz: build failed");
    process.exit(1);
  }
  console.log(`fuzz: built in ${Math.round((Date.now() - buildStarted) / 1000)} s`);

  const results = [];
  const queue = [...targets];
  const workers = Array.from({ length: Math.min(opts.jobs, queue.length) }, async () => {
    while (queue.length) {
      const t = queue.shift();
      results.push(await fuzzOne(prefix, t, opts.seconds, opts.keepCorpus));
    }
  });
  await Promise.all(workers);
  results.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));

  const rows = [["target", "seconds", "execs", "exec/s", "cov", "corpus", "crashes"]];
  for (const r of results) {
    rows.push([
      r.target,
      String(r.seconds ?? r.elapsed),
      String(r.execs ?? "?"),
      String(r.execPerSec ?? "?"),
      String(r.cov ?? "?"),
      r.corpus ?? "?",
      String(r.crashes),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log("");
  for (const [i, row] of rows.entries()) {
    console.log(row.map((c, j) => c.padEnd(widths[j])).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  const crashed = results.filter((r) => r.crashes > 0);
  for (const r of crashed) {
    const where = r.artifacts.length ? r.artifacts.map((a) => relative(root, resolve(fuzzDir, a))).join(", ") : `see ${r.logPath}`;
    console.log(`CRASH ${r.target}: ${where}`);
    console.log(`  reproduce: cargo +nightly fuzz run -O ${r.target} ${r.artifacts[0] ?? "<input>"}  (in ${root})`);
  }
  if (opts.keepCorpus) for (const r of results) console.log(`fuzz: ${r.target} corpus kept in ${r.scratch}`);
  process.exit(crashed.length ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
