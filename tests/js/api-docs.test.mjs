// docs/api/ is generated from the shipped .d.ts files (scripts/api-docs.mjs,
// `npm run docs`) and checked in; this fails when the two differ, so the API
// reference cannot drift from the types. Runs in well under a second.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PAGES, generateApiDocs, topLevelStatements } from "../../scripts/api-docs.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const API = path.join(ROOT, "docs", "api");

test("docs/api/ is what `npm run docs` generates from the .d.ts files", () => {
  const pages = generateApiDocs();
  const checkedIn = readdirSync(API)
    .filter((f) => f.endsWith(".md"))
    .sort();
  assert.deepEqual(checkedIn, [...pages.keys()].sort(), "docs/api/ has exactly the generated pages: run `npm run docs`");
  for (const [file, text] of pages) {
    assert.ok(readFileSync(path.join(API, file), "utf8") === text, `docs/api/${file} is out of date: run \`npm run docs\` and commit it`);
  }
});

test("every exported declaration of every .d.ts has its section in the reference", () => {
  const pages = generateApiDocs();
  for (const page of PAGES) {
    const source = readFileSync(path.join(ROOT, page.source), "utf8");
    const names = [
      ...source.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:function|class|interface|type|const|let|var|enum)\s+(\w+)/gm),
    ].map((m) => m[1]);
    assert.ok(names.length > 3, `${page.source} has exports`);
    for (const name of new Set(names)) {
      assert.match(pages.get(page.file), new RegExp(`^## ${name}$`, "m"), `${page.file} documents ${name} from ${page.source}`);
    }
  }
});

test("the scanner splits declarations at their end, whatever their shape", () => {
  const statements = topLevelStatements(`// header
/** Doc of a. */
export function a(x: { y: string; z: () => void }): void;
// ---- part two ----
export interface B { c: "}"; d(e: number): string }
/* not a doc */
export type C =
  | { kind: "x" }
  | { kind: "y;" };
export declare class D extends Error {
  code: string;
}
`);
  assert.deepEqual(
    statements.map((s) => s.text.split(/\s+/).slice(0, 3).join(" ")),
    ["export function a(x:", "export interface B", "export type C", "export declare class"],
  );
  assert.equal(statements[0].doc, "/** Doc of a. */");
  assert.equal(statements[1].section, "part two");
  assert.equal(statements[2].doc, null);
});
