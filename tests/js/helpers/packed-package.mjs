// The npm package as users get it, shared by package.test.mjs and
// runtimes.test.mjs: the documentation's runnable examples, and the `npm pack`
// tarball installed into a scratch project.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * The documentation's files that hold runnable examples: README.md (the
 * front door), then docs/*.md and worker/README.md, where the longer
 * examples live.
 */
export function exampleFiles() {
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join("docs", f));
  return ["README.md", ...docs, join("worker", "README.md")];
}

/** The code blocks marked `<!-- example: kind -->` in the documentation (exampleFiles), in that order. */
export function readmeExamples(kind) {
  const re = new RegExp(`<!-- example: ${kind} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``, "g");
  return exampleFiles().flatMap((file) => [...readFileSync(join(root, file), "utf8").matchAll(re)].map((m) => m[1]));
}

/**
 * `npm pack` into a fresh scratch directory (name starts with `prefix`) and
 * install the tarball into `scratch/app`, a minimal ESM project.
 * @returns {{ scratch: string, tarball: string, app: string }}
 */
export function packAndInstall(prefix) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8" });
  // prepack may print build progress first; the JSON array comes last.
  const info = JSON.parse(out.slice(out.search(/^\[\s*\{/m)))[0];
  const tarball = join(scratch, info.filename);
  const app = join(scratch, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball], { cwd: app, stdio: "pipe" });
  return { scratch, tarball, app };
}
