// Every record shape crossing the wasm boundary is declared once in Rust
// (the table in src/wasm/shapes.rs for the OAuth shapes, the `Shape`
// constants of src/export/js/read.rs for the edge's export shapes) and
// written again wherever it is encoded or decoded: the Rust readers and
// writers, the JS encoders and decoders (js/api.js, js/edge.js) and the
// table in docs/BOUNDARY.md. A field added, renamed, moved or retyped in one
// place and not the others is a silent bug (a value read as the next field,
// a number sent as a string): this test fails on any difference of name,
// order or type between the declaration and those places.
//
// Types: `string` (the default), `number`, `bool`, `string[]`, `pairs`, a
// shape, `Shape[]`; `?` marks a field the core accepts absent (OAuth shapes).
// Checked against
//   - docs/BOUNDARY.md: everything (names, order, types, `?`);
//   - the JS encoders (`put*` per field): names, order, types;
//   - the JS decoders (`take*`): names and order; a field read with
//     `Number(…)` is a number, one compared with "true" a bool, one compared
//     with undefined may be absent (and the declaration must say so);
//   - the Rust readers of the OAuth shapes (`Fields` calls in order): types
//     and `?` (an `opt_*` read followed by `ok_or…` is required); the Rust
//     writers of Provider and PendingAuthorization: types;
//   - the export shapes' Rust reader: by the debug build itself (`Obj` checks
//     each field is read as its `Shape` declares; tests/export.rs runs it);
//   - the edge's TokenSet offsets (numbers, not a record): the Rust writer's
//     `Slots` calls (types, `?`) and the slots js/api.js's takeTokenSetAt
//     reads for each field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./helpers/packed-package.mjs";

const read = (file) => readFileSync(join(root, file), "utf8");
const apiJs = read("js/api.js");
const edgeJs = read("js/edge.js");
const shapesRs = read("src/wasm/shapes.rs");
const exportReadRs = read("src/export/js/read.rs");
const exportModRs = read("src/export/js/mod.rs");
const boundaryMd = read("docs/BOUNDARY.md");

// ---- the declarations' notation: "a, b?: number (a note, with commas), c: string[]"

/** One field of a table cell → { name, type, optional }. */
function parseField(text) {
  const m = text.match(/^(\w+)(\?)?(?::\s*(\S+))?$/);
  assert.ok(m, `not a field: "${text}"`);
  return { name: m[1], optional: m[2] === "?", type: m[3] ?? "string" };
}

/** A table cell → its fields (parenthesised notes dropped). */
function fieldList(cell) {
  let depth = 0;
  let plain = "";
  for (const ch of cell) {
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0) plain += ch;
  }
  return plain
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (/^\w+\??(:\s*\S+)?$/.test(s) ? parseField(s) : { name: s, type: "?", optional: false }));
}

/** A markdown table's rows as shape → fields; `prefix` is the line start ("| " or "//! | "). */
function table(text, prefix) {
  const rows = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const cells = line
      .slice(prefix.length - 2)
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length !== 2 || cells[0] === "shape" || cells[0].startsWith("---")) continue;
    rows.set(cells[0].replace(/ \(edge\)$/, ""), fieldList(cells[1]));
  }
  return rows;
}

const names = (fields) => fields.map((f) => f.name);
const types = (fields) => fields.map((f) => `${f.name}: ${f.type}`);
const full = (fields) => fields.map((f) => `${f.name}${f.optional ? "?" : ""}: ${f.type}`);

// ---- the JS side

/** What each `put*` writes. */
const PUT_TYPES = {
  putStr: "string",
  putNum: "number",
  putBool: "bool",
  putList: "string[]",
  putPairs: "pairs",
  putProvider: "Provider",
};

/** The fields a JS encoder writes, in order: `const putX = (p) => … putT(p.a) … putObjects(p.b, putY) …;`. */
function encoderFields(source, name) {
  const alias = source.match(new RegExp(`const ${name} = (put\\w+);`));
  if (alias) return encoderFields(source, alias[1]);
  const start = source.indexOf(`const ${name} = (`);
  assert.ok(start >= 0, `${name} not found`);
  const param = source.slice(start).match(/= \((\w)\) =>/)[1];
  const body = source.slice(start, source.indexOf(";\n", start));
  return [...body.matchAll(new RegExp(`(put\\w+)\\(${param}\\.(\\w+)(?:,\\s*(put\\w+))?\\)`, "g"))].map(([, put, field, inner]) => {
    const type = put === "putObjects" ? `${inner.replace(/^put/, "")}[]` : PUT_TYPES[put];
    assert.ok(type, `${name}: ${put}(${param}.${field}) is not a known encoder`);
    return { name: field, type };
  });
}

/** The fields a JS decoder destructures, `function takeX([a, b])` or `const takeX = ([a, b]) =>`, with what its body says of each. */
function decoderFields(source, name) {
  const m = source.match(new RegExp(`${name}(?: = |)\\(\\[([^\\]]*)\\]\\)`));
  assert.ok(m, `${name} not found`);
  const body = source.slice(m.index, source.indexOf("\n}", m.index));
  return m[1].split(",").map((s) => {
    const field = s.trim();
    return {
      name: field,
      number: new RegExp(`Number\\(${field}\\)`).test(body),
      bool: new RegExp(`\\b${field} === "true"`).test(body),
      optional: new RegExp(`\\b${field} [!=]== undefined`).test(body),
    };
  });
}

/** A decoder against the declaration: names and order; numbers, booleans and absence as its body reads them. */
function assertDecoder(decoded, declared, what) {
  assert.deepEqual(names(decoded), names(declared), `${what}: names`);
  decoded.forEach((d, i) => {
    const f = declared[i];
    assert.equal(d.number, f.type === "number", `${what}: ${f.name} is ${f.type}, read ${d.number ? "as" : "not as"} a number`);
    assert.equal(d.bool, f.type === "bool", `${what}: ${f.name} is ${f.type}, read ${d.bool ? "as" : "not as"} a bool`);
    if (d.optional) assert.ok(f.optional, `${what}: ${f.name} is checked for undefined but declared required`);
  });
}

// ---- the Rust side

/** A Rust function's body: from `fn name(` to the first line that is just `}`. */
function rustFn(source, name) {
  const start = source.search(new RegExp(`\\bfn ${name}\\b`));
  assert.ok(start >= 0, `fn ${name} not found`);
  return source.slice(start, source.indexOf("\n}\n", start));
}

/** The index just past the parenthesis closing the one at `open`. */
function closing(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i + 1;
  }
  throw new Error("unbalanced parentheses");
}

const READ_TYPES = {
  str: "string",
  opt_str: "string",
  opt_str_list: "string[]",
  opt_pairs: "pairs",
  opt_bool: "bool",
  opt_time: "number",
  field: "any", // read and ignored (tokenType)
  opt_list: "any", // a nested value, read by its own reader (the provider)
};

/** The `record::Fields` reads of a reader, in order: `f.str(…)`, `f.opt_time(…)?.ok_or_else(…)`, …. */
function readerFields(source, name) {
  const body = rustFn(source, name);
  return [...body.matchAll(/\bf\s*\.\s*(\w+)\(/g)]
    .filter((m) => m[1] in READ_TYPES)
    .map((m) => {
      const after = body.slice(closing(body, m.index + m[0].length - 1)).replace(/^\s*\?\s*/, "");
      const required = m[1] === "str" || (m[1].startsWith("opt_") && /^\.\s*ok_or/.test(after));
      // A value read raw (`field`, `opt_list`) is checked by what reads it next.
      return { type: READ_TYPES[m[1]], optional: READ_TYPES[m[1]] === "any" ? null : !required };
    });
}

const WRITE_TYPES = { str: "string", opt_str: "string", int: "number", bool: "bool", str_list: "string[]" };

/** The `record::Writer` calls of a writer between its outer `begin()` and `end()`, in order. */
function writerTypes(source, name) {
  const body = rustFn(source, name);
  return [...body.matchAll(/\.\s*(\w+)\(/g)].filter((m) => m[1] in WRITE_TYPES).map((m) => WRITE_TYPES[m[1]]);
}

/** A `const NAME: Shape = &[("a", Ty::Str), ("b", Ty::Records(OTHER)), …];`, or `= OTHER;` (the same list). */
function rustShape(source, name) {
  const alias = source.match(new RegExp(`const ${name}: Shape = ([A-Z_]+);`));
  if (alias) return rustShape(source, alias[1]);
  const m = source.match(new RegExp(`const ${name}: Shape = &\\[([\\s\\S]*?)\\];`));
  assert.ok(m, `${name} not found`);
  const ty = { Str: "string", Num: "number", StrList: "string[]" };
  return [...m[1].matchAll(/\("(\w+)",\s*Ty::(\w+)(?:\((\w+)\))?\)/g)].map(([, field, t, inner]) => ({
    name: field,
    type: t === "Records" ? `${SHAPE_NAMES[inner]}[]` : ty[t],
  }));
}

const SHAPE_NAMES = {
  ITEM_REPORT: "ItemReport",
  LEDGER_RESULT: "LedgerResult",
  REQUEST_OPTIONS: "export request options",
  RUN_OPTIONS: "export run options",
};

const rustOAuth = table(shapesRs, "//! | ");
const docs = table(boundaryMd, "| ");

// ---- the OAuth shapes

const OAUTH_ENCODERS = {
  Provider: "putProvider",
  ClientConfig: "putConfig",
  "start options": "putStartOptions",
  PendingAuthorization: "putPending",
  TokenSet: "putTokenSet",
};
const OAUTH_DECODERS = { PendingAuthorization: "takePending", TokenSet: "takeTokenSet", error: "takeError" };
const OAUTH_READERS = {
  Provider: "read_provider",
  ClientConfig: "client_from_record",
  "start options": "start_authorization",
  PendingAuthorization: "pending_of",
  TokenSet: "token_set_from_record",
};
const OAUTH_WRITERS = { Provider: "write_provider", PendingAuthorization: "write_pending" };

test("the OAuth shapes: src/wasm/shapes.rs's table = docs/BOUNDARY.md, with types and absence", () => {
  assert.ok(rustOAuth.size >= 8, "the table in src/wasm/shapes.rs was not found");
  for (const [shape, fields] of rustOAuth) {
    assert.ok(docs.has(shape), `${shape}: not in docs/BOUNDARY.md`);
    assert.deepEqual(full(docs.get(shape)), full(fields), `${shape}: docs/BOUNDARY.md`);
  }
});

test("the OAuth shapes: js/api.js's encoders write the declared names, order and types", () => {
  for (const [shape, fn] of Object.entries(OAUTH_ENCODERS)) {
    assert.deepEqual(types(encoderFields(apiJs, fn)), types(rustOAuth.get(shape)), `${shape}: js/api.js ${fn}`);
  }
});

test("the OAuth shapes: js/api.js's decoders read the declared names and order, numbers as numbers, absent only where declared", () => {
  for (const [shape, fn] of Object.entries(OAUTH_DECODERS)) {
    assertDecoder(decoderFields(apiJs, fn), rustOAuth.get(shape), `${shape}: js/api.js ${fn}`);
  }
  // The callback's answer is one number, laid out in src/wasm/shapes.rs
  // (`start | end << 15 | iss << 30 | decode << 31`): js/api.js must read
  // the same bits.
  const layout = shapesRs.match(/`start \| end << (\d+) \| iss << (\d+) \| decode << (\d+)`/);
  assert.ok(layout, "the callback answer's layout in src/wasm/shapes.rs");
  const [endShift, issBit, decodeBit] = layout.slice(1).map(Number);
  const mask = String(2 ** endShift - 1);
  const js = apiJs.slice(apiJs.indexOf("handleCallback(callbackUrl"), apiJs.indexOf("tokenRequest(code"));
  assert.ok(js.includes(`url.slice(at & ${mask}, (at >> ${endShift}) & ${mask})`), "js/api.js: the code's start and end");
  assert.ok(js.includes(`at & (1 << ${issBit})`), "js/api.js: the iss bit");
  assert.ok(js.includes(`at < 2 ** ${decodeBit}`), "js/api.js: the decode bit");
  const start = apiJs.match(/const \[([^\]]*)\] = decode\(call\(\(\) => this\.#wasm\.startAuthorization/);
  assert.deepEqual(names(fieldList(start[1])), names(rustOAuth.get("start result")), "start result: js/api.js startAuthorization");
});

test("the OAuth shapes: the Rust readers and writers in src/wasm/shapes.rs read and write the declared types", () => {
  for (const [shape, fn] of Object.entries(OAUTH_READERS)) {
    const declared = rustOAuth.get(shape);
    const reads = readerFields(shapesRs, fn);
    assert.equal(reads.length, declared.length, `${shape}: ${fn} reads ${reads.length} fields, the table declares ${declared.length}`);
    reads.forEach((r, i) => {
      const f = declared[i];
      if (r.type !== "any") assert.equal(r.type, f.type, `${shape}: ${fn} reads ${f.name} as ${r.type}`);
      if (r.optional !== null)
        assert.equal(r.optional, f.optional, `${shape}: ${fn} reads ${f.name} as ${r.optional ? "optional" : "required"}`);
    });
  }
  for (const [shape, fn] of Object.entries(OAUTH_WRITERS)) {
    assert.deepEqual(
      writerTypes(shapesRs, fn),
      rustOAuth.get(shape).map((f) => f.type),
      `${shape}: ${fn}`,
    );
  }
});

// ---- the edge's TokenSet offsets: not a record, numbers in a Float64Array
// (src/wasm/shapes.rs write_token_at → js/api.js takeTokenSetAt)

const SLOT_WRITES = { span: "span", num: "number", spans: "span[]" };

/** The `Slots` calls of write_token_at in order, with whether each writes `Some(…)` (required). */
function slotWrites(source) {
  const body = rustFn(source, "write_token_at");
  return [...body.matchAll(/\.\s*(span|num|spans)\(/g)].map((m) => {
    const open = m.index + m[0].length - 1;
    const args = body.slice(open + 1, closing(body, open) - 1);
    return { type: SLOT_WRITES[m[1]], optional: !/^(body,\s*)?Some\(/.test(args) };
  });
}

/** What is wrong in takeTokenSetAt's reading of the declared offsets (empty when nothing). */
function offsetReadErrors(source, declared) {
  const start = source.indexOf("function takeTokenSetAt(");
  assert.ok(start >= 0, "takeTokenSetAt not found in js/api.js");
  const body = source.slice(start, source.indexOf("\n}\n", start));
  const errors = [];
  const expect = (text, what) => body.includes(text) || errors.push(`${what}: no \`${text}\``);
  const used = new Set();
  let k = 0;
  declared.forEach((f, i) => {
    const at = (n) => (used.add(n), `at[${n}]`);
    if (f.optional) expect(`if (${at(k)} >= 0)`, f.name);
    if (f.type === "span") {
      const slice = `body.slice(${at(k)}, ${at(k + 1)})`;
      expect(f.optional ? `t.${f.name} = ${slice}` : `${f.name}: ${slice}`, f.name);
      k += 2;
    } else if (f.type === "number") {
      const read = at(k);
      if (!body.includes(`t.${f.name} = ${read}`)) expect(`${f.name}: ${read}`, f.name);
      k += 1;
    } else if (f.type === "span[]") {
      if (i !== declared.length - 1) errors.push(`${f.name}: a span[] must be the last field`);
      expect(`for (let i = ${k + 1}; i < ${k + 1} + 2 * ${at(k)}; i += 2)`, f.name);
      expect(".push(body.slice(at[i], at[i + 1]))", f.name);
      expect(`t.${f.name} = `, f.name);
    } else {
      errors.push(`${f.name}: ${f.type} is not an offsets type`);
    }
  });
  for (const [, n] of body.matchAll(/at\[(\d+)\]/g)) {
    if (!used.has(Number(n))) errors.push(`at[${n}] is read but declared for no field`);
  }
  return errors;
}

test("the edge's TokenSet offsets: src/wasm/shapes.rs's write_token_at and js/api.js's takeTokenSetAt follow the declaration", () => {
  const declared = rustOAuth.get("TokenSet offsets");
  assert.ok(declared, "the table in src/wasm/shapes.rs has no TokenSet offsets row");
  assert.deepEqual(
    slotWrites(shapesRs),
    declared.map((f) => ({ type: f.type, optional: f.optional })),
    "write_token_at",
  );
  assert.deepEqual(offsetReadErrors(apiJs, declared), []);
  // Every field of a TokenSet but tokenType ("Bearer", not written), in the TokenSet's order.
  assert.deepEqual(
    names(declared).sort(),
    names(rustOAuth.get("TokenSet"))
      .filter((n) => n !== "tokenType")
      .sort(),
  );
});

// ---- the edge's export shapes

const EXPORT_SHAPES = [
  ["REQUEST_OPTIONS", "putRequestOptions"],
  ["ITEM_REPORT", "putItemReport"],
  ["RUN_OPTIONS", "putRunOptions"],
  ["LEDGER_RESULT", "putLedgerResult"],
];

test("the edge's export shapes: src/export/js/read.rs's Shape constants = js/edge.js's encoders = docs/BOUNDARY.md, with types", () => {
  for (const [constant, fn] of EXPORT_SHAPES) {
    const rust = rustShape(exportReadRs, constant);
    assert.ok(rust.length > 0, constant);
    assert.deepEqual(types(encoderFields(edgeJs, fn)), types(rust), `${constant}: js/edge.js ${fn}`);
    const row = SHAPE_NAMES[constant];
    assert.ok(docs.has(row), `docs/BOUNDARY.md has no row "${row}"`);
    assert.deepEqual(full(docs.get(row)), full(rust.map((f) => ({ ...f, optional: false }))), `${constant}: docs/BOUNDARY.md "${row}"`);
  }
});

test("a LedgerResult is an ItemReport's fields in its order (one shape, one encoder)", () => {
  assert.match(exportReadRs, /const LEDGER_RESULT: Shape = ITEM_REPORT;/);
  assert.match(edgeJs, /const putLedgerResult = putItemReport;/);
});

test("the six request kinds: src/export/js/mod.rs's RequestKind = js/edge.js's REQUEST_KINDS", () => {
  const block = exportModRs.match(/RequestKind \{([^}]*)\}/);
  assert.ok(block, "RequestKind not found");
  const rust = [...block[1].matchAll(/\w+ = "(\w+)"/g)].map((m) => m[1]);
  assert.equal(rust.length, 6);
  const js = edgeJs.match(/const REQUEST_KINDS = \[([^\]]*)\]/);
  assert.ok(js, "REQUEST_KINDS not found in js/edge.js");
  assert.deepEqual(
    [...js[1].matchAll(/"(\w+)"/g)].map((m) => m[1]),
    rust,
  );
});

test("the checker itself sees a moved or retyped field (it can fail)", () => {
  const swap = (text, from, to) => {
    const changed = text.replace(from, to);
    assert.notEqual(changed, text, `the fixture "${from}" is there`);
    return changed;
  };
  // Moved, in JS.
  const moved = swap(apiJs, "putStr(p.state) + putStr(p.codeVerifier)", "putStr(p.codeVerifier) + putStr(p.state)");
  assert.notDeepEqual(types(encoderFields(moved, "putPending")), types(rustOAuth.get("PendingAuthorization")));
  // Retyped, in JS: a number written as a string, a number decoded as a string.
  const retyped = swap(apiJs, "putNum(p.createdAt)", "putStr(p.createdAt)");
  assert.notDeepEqual(types(encoderFields(retyped, "putPending")), types(rustOAuth.get("PendingAuthorization")));
  const undecoded = swap(apiJs, "createdAt: Number(createdAt)", "createdAt");
  assert.throws(() => assertDecoder(decoderFields(undecoded, "takePending"), rustOAuth.get("PendingAuthorization"), "x"));
  // Retyped, in the Rust reader; made optional in the Rust reader.
  const rustRetyped = swap(shapesRs, 'f.str("pending.issuer must be a string")', 'f.opt_time("pending.issuer must be a string")');
  assert.notDeepEqual(readerFields(rustRetyped, "pending_of"), readerFields(shapesRs, "pending_of"));
  const rustOptional = swap(shapesRs, 'f.str("pending.issuer must be a string")', 'f.opt_str("pending.issuer must be a string")');
  assert.equal(readerFields(rustOptional, "pending_of")[3].optional, true);
  // Dropped and retyped, in the export declaration.
  const dropped = swap(exportReadRs, '    ("seed", Ty::Num),\n', "");
  assert.notDeepEqual(types(encoderFields(edgeJs, "putRunOptions")), types(rustShape(dropped, "RUN_OPTIONS")));
  const exportRetyped = swap(exportReadRs, '("limit", Ty::Num)', '("limit", Ty::Str)');
  assert.notDeepEqual(types(encoderFields(edgeJs, "putRequestOptions")), types(rustShape(exportRetyped, "REQUEST_OPTIONS")));
  // The TokenSet offsets: a slot moved in JS, in Rust, made optional in Rust.
  const offsets = rustOAuth.get("TokenSet offsets");
  assert.notDeepEqual(offsetReadErrors(swap(apiJs, "t.expiresAt = at[2]", "t.expiresAt = at[5]"), offsets), []);
  assert.notDeepEqual(offsetReadErrors(swap(apiJs, "(let i = 7; i < 7 +", "(let i = 8; i < 8 +"), offsets), []);
  const rustMoved = swap(shapesRs, ".and_then(|w| w.num(t.expires_at))", ".and_then(|w| w.span(t.refresh_token))");
  assert.notDeepEqual(slotWrites(rustMoved), slotWrites(shapesRs));
  const rustOpt = swap(shapesRs, "w.num(Some(t.obtained_at))", "w.num(t.obtained_at)");
  assert.notDeepEqual(slotWrites(rustOpt), slotWrites(shapesRs));
  // Retyped, in the docs.
  const docsRetyped = table(swap(boundaryMd, "createdAt: number, scopes?: string[] |", "createdAt, scopes?: string[] |"), "| ");
  assert.notDeepEqual(full(docsRetyped.get("PendingAuthorization")), full(rustOAuth.get("PendingAuthorization")));
});
