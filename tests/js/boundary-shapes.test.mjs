// Every record shape crossing the wasm boundary is written in several
// places: the Rust declaration (the table in src/wasm/shapes.rs for the
// OAuth shapes, the field-name constants of src/export/js.rs for the edge's
// export shapes, which the by-name reader uses), the JS encoders and
// decoders (js/api.js, js/edge.js) and the table in docs/BOUNDARY.md. A field
// added, renamed or moved in one place and not the others is a silent bug
// (a value read as the next field): this test fails on any difference of
// name or order between the Rust declaration and the JS code and docs.
//
// Checked: field names and their order. Not checked: field types (a
// putStr where the core reads a number shows up as an `invalid_input` in
// the shape's own tests, not here).
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./helpers/packed-package.mjs";

const read = (file) => readFileSync(join(root, file), "utf8");
const apiJs = read("js/api.js");
const edgeJs = read("js/edge.js");
const shapesRs = read("src/wasm/shapes.rs");
const exportJsRs = read("src/export/js/read.rs");
const boundaryMd = read("docs/BOUNDARY.md");

/** "a, b (note, with commas), c" → ["a", "b", "c"]. */
function fieldList(cell) {
  let depth = 0;
  let plain = "";
  for (const ch of cell) {
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0) plain += ch;
  }
  return plain.split(",").map((s) => s.trim()).filter(Boolean);
}

/** A markdown table's rows as shape → field names; `prefix` is the line start ("| " or "//! | "). */
function table(text, prefix) {
  const rows = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const cells = line.slice(prefix.length - 2).split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 2 || cells[0] === "shape" || cells[0].startsWith("---")) continue;
    rows.set(cells[0].replace(/ \(edge\)$/, ""), fieldList(cells[1]));
  }
  return rows;
}

/** The property names a JS encoder reads, in order: `const putX = (p) => … p.a … p.b …;`. */
function encoderFields(source, name) {
  const alias = source.match(new RegExp(`const ${name} = (put\\w+);`));
  if (alias) return encoderFields(source, alias[1]);
  const start = source.indexOf(`const ${name} = (`);
  assert.ok(start >= 0, `${name} not found`);
  const param = source.slice(start).match(/= \((\w)\) =>/)[1];
  const end = source.indexOf(";\n", start);
  const body = source.slice(start, end);
  return [...body.matchAll(new RegExp(`\\b${param}\\.(\\w+)`, "g"))].map((m) => m[1]);
}

/** The names a JS decoder destructures: `function takeX([a, b, c])` or `const takeX = ([a, b]) =>`. */
function decoderFields(source, name) {
  const m = source.match(new RegExp(`${name}(?: = |)\\(\\[([^\\]]*)\\]\\)`));
  assert.ok(m, `${name} not found`);
  return m[1].split(",").map((s) => s.trim());
}

/** A `const NAME: Shape = &[("a", Ty::Str), …];` in Rust, or `= OTHER;` (the same list). */
function rustNames(source, name) {
  const alias = source.match(new RegExp(`const ${name}: Shape = ([A-Z_]+);`));
  if (alias) return rustNames(source, alias[1]);
  const m = source.match(new RegExp(`const ${name}: Shape = &\\[([\\s\\S]*?)\\];`));
  assert.ok(m, `${name} not found`);
  return [...m[1].matchAll(/\("([^"]+)"/g)].map((x) => x[1]);
}

const rustOAuth = table(shapesRs, "//! | ");
const docs = table(boundaryMd, "| ");

test("the OAuth shapes: src/wasm/shapes.rs's table = js/api.js's encoders and decoders = docs/BOUNDARY.md", () => {
  const encoders = {
    Provider: "putProvider",
    ClientConfig: "putConfig",
    "start options": "putStartOptions",
    PendingAuthorization: "putPending",
    TokenSet: "putTokenSet",
  };
  const decoders = { PendingAuthorization: "takePending", TokenSet: "takeTokenSet", error: "takeError" };
  assert.ok(rustOAuth.size >= 9, "the table in src/wasm/shapes.rs was not found");
  for (const [shape, fn] of Object.entries(encoders)) {
    assert.deepEqual(encoderFields(apiJs, fn), rustOAuth.get(shape), `${shape}: js/api.js ${fn}`);
  }
  for (const [shape, fn] of Object.entries(decoders)) {
    assert.deepEqual(decoderFields(apiJs, fn), rustOAuth.get(shape), `${shape}: js/api.js ${fn}`);
  }
  const callback = apiJs.match(/const \[([^\]]*)\] = decode\(call\(\(\) => this\.#wasm\.handleCallback/);
  assert.deepEqual(fieldList(callback[1]), rustOAuth.get("callback result"), "callback result: js/api.js handleCallback");
  for (const [shape, fields] of rustOAuth) {
    assert.deepEqual(docs.get(shape), fields, `${shape}: docs/BOUNDARY.md`);
  }
});

test("the edge's export shapes: src/export/js.rs's constants = js/edge.js's encoders = docs/BOUNDARY.md", () => {
  const shapes = [
    ["REQUEST_OPTIONS", "putRequestOptions", "export request options"],
    ["ITEM_REPORT", "putItemReport", "ItemReport"],
    ["RUN_OPTIONS", "putRunOptions", "export run options"],
    ["LEDGER_RESULT", "putLedgerResult", "LedgerResult"],
  ];
  for (const [constant, fn, row] of shapes) {
    const rust = rustNames(exportJsRs, constant);
    assert.ok(rust.length > 0, constant);
    assert.deepEqual(encoderFields(edgeJs, fn), rust, `${constant}: js/edge.js ${fn}`);
    assert.deepEqual(docs.get(row), rust, `${constant}: docs/BOUNDARY.md "${row}"`);
  }
});

test("a LedgerResult is an ItemReport's fields in its order (one shape, one encoder)", () => {
  assert.deepEqual(rustNames(exportJsRs, "LEDGER_RESULT"), rustNames(exportJsRs, "ITEM_REPORT"));
  assert.match(edgeJs, /const putLedgerResult = putItemReport;/);
});

test("the checker itself sees a moved field (it can fail)", () => {
  const moved = apiJs.replace("putStr(p.state) + putStr(p.codeVerifier)", "putStr(p.codeVerifier) + putStr(p.state)");
  assert.notEqual(moved, apiJs, "the fixture line is in js/api.js");
  assert.notDeepEqual(encoderFields(moved, "putPending"), rustOAuth.get("PendingAuthorization"));
  const dropped = exportJsRs.replace('    ("seed", Ty::Num),\n', "");
  assert.notDeepEqual(encoderFields(edgeJs, "putRunOptions"), rustNames(dropped, "RUN_OPTIONS"));
});
