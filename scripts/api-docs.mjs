#!/usr/bin/env node
// The API reference in docs/api/, generated from the shipped .d.ts files and
// their doc comments: one page per entry of the package.
//
//   npm run docs                       rewrite docs/api/
//   node scripts/api-docs.mjs --out D  write the pages into D instead
//
// tests/js/api-docs.test.mjs generates the pages in memory and fails when
// docs/api/ differs, so the reference cannot drift from the types.
//
// Why not TypeDoc: it drives the TypeScript compiler's JavaScript API, and
// this repository's TypeScript is the native port (typescript 7), which has
// none; TypeDoc would need a second TypeScript (5.x) installed beside it and
// kept in step. The declarations are hand-written and flat (top-level
// exports with `/** … */` comments), so a small scanner over them is enough:
// each exported declaration becomes a section with its doc comment and its
// declaration text exactly as written (members keep their own comments).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The pages: an entry of package.json's `exports`, the .d.ts that declares it, and who gets it. */
export const PAGES = [
  {
    file: "pleo-oauth.md",
    title: "`pleo-oauth`: the OAuth steps (every runtime)",
    source: "js/web.d.ts",
    intro:
      "Exported by every entry of `pleo-oauth`: the browser entry (`browser` and `default` conditions, dist/web.js) has exactly these; the server entries and `pleo-oauth/edge` add [webhooks and exports](pleo-oauth-edge.md). Guide: [docs/OAUTH.md](../OAUTH.md).",
  },
  {
    file: "pleo-oauth-edge.md",
    title: "`pleo-oauth` on servers, and `pleo-oauth/edge`: webhooks and exports",
    source: "js/edge.d.ts",
    intro:
      "Exported, with [the OAuth steps](pleo-oauth.md), by the `node` and `workerd` entries of `pleo-oauth` (Node, Bun, Deno, Cloudflare Workers) and by `pleo-oauth/edge` in every runtime (in a browser, `await init()` from it first); not by the browser entry. Guides: [docs/WEBHOOKS.md](../WEBHOOKS.md), [docs/EXPORT-CORE.md](../EXPORT-CORE.md).",
  },
  {
    file: "worker.md",
    title: "`pleo-oauth/worker`: the edge worker as a factory",
    source: "worker/create-worker.d.ts",
    intro: "No wasm of its own. Guide: [worker/README.md](../../worker/README.md).",
  },
  {
    file: "client.md",
    title: "`pleo-oauth/client`: the browser client of the edge worker",
    source: "worker/client/index.d.ts",
    intro: "No wasm; for pages served by the edge worker (same origin). Guide: [worker/README.md](../../worker/README.md).",
  },
];

/**
 * Splits a .d.ts into top-level statements, each with the doc comment right
 * before it and the `// ---- section ----` line it falls under.
 * @returns {{ text: string, doc: string | null, section: string | null }[]}
 */
export function topLevelStatements(source) {
  const out = [];
  let i = 0;
  let depth = 0; // (), [], {} together
  let start = -1;
  let doc = null;
  let section = null;
  let blockKind = false; // the statement ends at the `}` that closes its body (interface, class, enum, namespace)
  const n = source.length;
  const finish = (end) => {
    out.push({ text: source.slice(start, end).trim(), doc, section });
    start = -1;
    doc = null;
    blockKind = false;
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i) < 0 ? n : source.indexOf("\n", i);
      if (start < 0 && depth === 0) {
        const m = /^\/\/\s*-{2,}\s*(.*?)\s*-{2,}\s*$/.exec(source.slice(i, end));
        if (m) section = m[1];
      }
      i = end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new Error("an unterminated comment");
      if (start < 0 && depth === 0) doc = source[i + 2] === "*" ? source.slice(i, end + 2) : doc;
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      if (start < 0) start = i;
      let j = i + 1;
      while (j < n && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (start < 0) {
      start = i;
      blockKind = /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:interface|class|enum|namespace|module|global)\b/.test(
        source.slice(i, i + 80),
      );
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0 && c === "}" && blockKind) {
        finish(i + 1);
        i++;
        continue;
      }
    } else if (c === ";" && depth === 0) {
      finish(i + 1);
      i++;
      continue;
    }
    i++;
  }
  if (start >= 0) finish(n);
  return out;
}

/** A `/** … *\/` comment as Markdown: its text, then its tags as a list. */
export function docToMarkdown(doc) {
  if (!doc) return "";
  const lines = doc
    .replace(/^\/\*\*\s?/, "")
    .replace(/\s*\*\/$/, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""));
  const text = [];
  const tags = [];
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line);
    if (tag) tags.push({ name: tag[1], text: tag[2] });
    else if (tags.length && line.trim() !== "") tags[tags.length - 1].text += ` ${line.trim()}`;
    else text.push(line);
  }
  const parts = [];
  const body = text.join("\n").trim();
  if (body) parts.push(body);
  if (tags.length) {
    parts.push(
      tags
        .map(({ name, text: t }) => {
          if (name === "param") {
            const m = /^(?:\{[^}]*\}\s*)?(\[?[\w.]+\]?)\s*(?:-\s*)?(.*)$/.exec(t);
            return `- **parameter** \`${m[1]}\`${m[2] ? `: ${m[2]}` : ""}`;
          }
          if (name === "throws") {
            const m = /^(?:\{([^}]*)\}\s*)?(.*)$/.exec(t);
            return `- **throws**${m[1] ? ` \`${m[1]}\`` : ""}${m[2] ? `: ${m[2]}` : ""}`;
          }
          if (name === "returns" || name === "return") return `- **returns** ${t.replace(/^\{[^}]*\}\s*/, "")}`;
          return `- **${name}** ${t}`;
        })
        .join("\n"),
    );
  }
  return parts.join("\n\n");
}

const DECLARATION = /^export\s+(?:declare\s+)?(?:abstract\s+)?(function|class|interface|type|const|let|var|enum|namespace)\s+(\w+)/;

/** One page of the reference, from one .d.ts. */
export function renderPage(page, source) {
  const sections = [];
  const byName = new Map();
  for (const statement of topLevelStatements(source)) {
    const m = DECLARATION.exec(statement.text);
    if (!m) continue; // imports, `export * from`, private helpers
    const [, kind, name] = m;
    const known = byName.get(name);
    if (known) {
      // Overloads and a value with a type of the same name: one section.
      known.code.push(statement.text);
      if (statement.doc) known.docs.push(statement.doc);
      continue;
    }
    const entry = { name, kind, section: statement.section, code: [statement.text], docs: statement.doc ? [statement.doc] : [] };
    byName.set(name, entry);
    sections.push(entry);
  }
  const lines = [
    `# ${page.title}`,
    "",
    `<!-- Generated by scripts/api-docs.mjs from ${page.source}; edit the .d.ts and run \`npm run docs\`. -->`,
    "",
    page.intro,
    "",
  ];
  // Contents, grouped under the .d.ts's `// ---- section ----` lines.
  let group;
  for (const s of sections) {
    if (s.section !== group) {
      group = s.section;
      if (group) lines.push("", `**${group}**`, "");
    }
    lines.push(`- [\`${s.name}\`](#${s.name.toLowerCase()}) (${s.kind})`);
  }
  lines.push("");
  for (const s of sections) {
    lines.push(`## ${s.name}`, "");
    for (const d of s.docs) {
      const md = docToMarkdown(d);
      if (md) lines.push(md, "");
    }
    lines.push("```ts", ...s.code.map((c) => `${c}`), "```", "");
  }
  return `${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

function renderIndex() {
  const lines = [
    "# API reference",
    "",
    "<!-- Generated by scripts/api-docs.mjs; run `npm run docs` after changing a .d.ts. -->",
    "",
    "Generated from the TypeScript declarations the package ships and their doc comments. Which file an import resolves to depends on the runtime (package.json `exports`):",
    "",
    "| import | runtime | declarations | page |",
    "| --- | --- | --- | --- |",
    "| `pleo-oauth` | browsers, bundlers (`browser`, `default`) | dist/web.d.ts | [OAuth steps](pleo-oauth.md) |",
    "| `pleo-oauth` | Node, Bun, Deno (`node`), Cloudflare Workers (`workerd`) | dist/index.d.ts | [OAuth steps](pleo-oauth.md) + [webhooks and exports](pleo-oauth-edge.md) |",
    "| `pleo-oauth/edge` | every runtime | dist/index.d.ts | [OAuth steps](pleo-oauth.md) + [webhooks and exports](pleo-oauth-edge.md) |",
    "| `pleo-oauth/worker` | Cloudflare Workers, Node | worker/create-worker.d.ts | [the edge worker](worker.md) |",
    "| `pleo-oauth/client` | browsers | worker/client/index.d.ts | [the worker's browser client](client.md) |",
    "",
    "Every function throws `OAuthError` (stable `code`) on bad input; the codes are listed in [SECURITY.md](../../SECURITY.md#error-codes) (OAuth and webhooks) and [docs/EXPORT-CORE.md](../EXPORT-CORE.md) (exports).",
    "",
  ];
  return lines.join("\n");
}

/** Every page of docs/api/, by file name. */
export function generateApiDocs() {
  const pages = new Map([["README.md", renderIndex()]]);
  for (const page of PAGES) pages.set(page.file, renderPage(page, readFileSync(join(root, page.source), "utf8")));
  return pages;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf("--out");
  const out = at > 0 ? process.argv[at + 1] : join(root, "docs", "api");
  mkdirSync(out, { recursive: true });
  const pages = generateApiDocs();
  // Pages no longer generated go, so a removed entry leaves nothing behind.
  for (const file of readdirSync(out)) if (file.endsWith(".md") && !pages.has(file)) rmSync(join(out, file));
  for (const [file, text] of pages) writeFileSync(join(out, file), text);
  console.log(`api-docs: ${pages.size} pages in ${relative(process.cwd(), out) || "."}`);
}
