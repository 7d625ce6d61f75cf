// The packed package under the other server runtimes: the documentation's usage
// examples (the blocks marked `<!-- example: node -->` in README.md, docs/*.md
// and worker/README.md, which use only
// `node:assert` and the package) run from the `npm pack` tarball, installed
// into a scratch project, under Bun (npm package `bun`) and Deno (npm package
// `@deno/linux-x64-glibc`, `deno run -A`, which resolves node_modules).
// A runtime whose binary is not installed is skipped with the reason.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packAndInstall, readmeExamples, root } from "./helpers/packed-package.mjs";

const RUNTIMES = {
  bun: { bin: join(root, "node_modules", "bun", "bin", "bun.exe"), args: (file) => [file] },
  deno: { bin: join(root, "node_modules", "@deno", "linux-x64-glibc", "deno"), args: (file) => ["run", "-A", file] },
};
let app;
let scratch;

before(() => {
  ({ scratch, app } = packAndInstall("pleo-oauth-runtimes-"));
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
        const r = spawnSync(runtime.bin, runtime.args(file), {
          cwd: app,
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1" },
          timeout: 60_000,
        });
        assert.equal(r.status, 0, `README example ${i} failed under ${name} ${version.stdout.trim()}:\n${r.stderr}`);
        assert.match(r.stdout, /EXAMPLE_DONE/);
      });
    });
  }
});
