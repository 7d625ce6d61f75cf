// The packed package under the other server runtimes: the README's usage
// examples (the blocks marked `<!-- example: node -->`, which use only
// `node:assert` and the package) run from the `npm pack` tarball, installed
// into a scratch project, under Bun (npm package `bun`) and Deno (npm package
// `@deno/linux-x64-glibc`, `deno run -A`, which resolves node_modules).
// A runtime whose binary is not installed is skipped with the reason.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const RUNTIMES = {
  bun: { bin: join(root, "node_modules", "bun", "bin", "bun.exe"), args: (file) => [file] },
  deno: { bin: join(root, "node_modules", "@deno", "linux-x64-glibc", "deno"), args: (file) => ["run", "-A", file] },
};
let app;
let scratch;

function readmeExamples(kind) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const re = new RegExp(`<!-- example: ${kind} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``, "g");
  return [...readme.matchAll(re)].map((m) => m[1]);
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "pleo-oauth-runtimes-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8" });
  const info = JSON.parse(out.slice(out.search(/^\[\s*\{/m)))[0];
  app = join(scratch, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", join(scratch, info.filename)], { cwd: app, stdio: "pipe" });
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the README's examples from the packed tarball", () => {
  for (const [name, runtime] of Object.entries(RUNTIMES)) {
    test(`run under ${name}`, { skip: existsSync(runtime.bin) ? false : `${runtime.bin} is not installed (npm install)` }, () => {
      const version = spawnSync(runtime.bin, ["--version"], { encoding: "utf8" });
      assert.equal(version.status, 0, `${name} --version: ${version.stderr}`);
      const examples = readmeExamples("node");
      assert.ok(examples.length >= 2, "README lost its examples");
      examples.forEach((code, i) => {
        const file = join(app, `readme-example-${name}-${i}.mjs`);
        // A marker line proves the example ran to its end in that runtime.
        writeFileSync(file, `${code}\nconsole.log("EXAMPLE_DONE");\n`);
        const r = spawnSync(runtime.bin, runtime.args(file), { cwd: app, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 });
        assert.equal(r.status, 0, `README example ${i} failed under ${name} ${version.stdout.trim()}:\n${r.stderr}`);
        assert.match(r.stdout, /EXAMPLE_DONE/);
      });
    });
  }
});
