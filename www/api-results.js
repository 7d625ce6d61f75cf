// Renders a Pleo API answer (through the worker) as a table, with the raw
// JSON underneath.
import { $, h, shortText } from "./dom.js";

/** Rows to tabulate from a Pleo response: `data` arrays, a `data` object, or the body. */
function tabulate(body) {
  const data = body && typeof body === "object" && "data" in body ? body.data : body;
  if (Array.isArray(data)) return { kind: "rows", rows: data };
  if (data && typeof data === "object") return { kind: "object", object: data };
  return { kind: "none" };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function renderCell(value, column) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  if (typeof value === "object") return h("span", { class: "mono" }, shortText(value, 80));
  const text = String(value);
  // Long identifiers: the first block is enough to tell rows apart; the full value is in the tooltip.
  if (UUID.test(text)) return h("span", { class: "mono", title: text }, `${text.slice(0, 8)}…`);
  if (ISO_DATE.test(text) && !Number.isNaN(Date.parse(text))) return h("span", { title: text }, dateFormat.format(new Date(text)));
  if (/status$/i.test(column)) return h("span", { class: `pill status-${text.replace(/[^a-z_]/gi, "")}` }, text);
  if (typeof value === "boolean") return value ? "yes" : "no";
  return shortText(text, 120);
}

function renderTable(body) {
  const shape = tabulate(body);
  if (shape.kind === "rows") {
    if (shape.rows.length === 0) return h("p", { class: "muted" }, "No items.");
    const columns = [];
    for (const row of shape.rows.slice(0, 50)) {
      if (row && typeof row === "object") for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    }
    const shown = columns.slice(0, 8);
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            shown.map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          {},
          shape.rows.slice(0, 100).map((row) =>
            h(
              "tr",
              {},
              shown.map((c) => h("td", {}, renderCell(row?.[c], c))),
            ),
          ),
        ),
      ),
    );
  }
  if (shape.kind === "object") {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          Object.entries(shape.object).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, renderCell(v, k)))),
        ),
      ),
    );
  }
  return h("p", { class: "muted" }, "The response has no table-shaped data.");
}

export function renderResult({ method, path, status, statusText, elapsed, body, text }) {
  const ok = status >= 200 && status < 300;
  const count = Array.isArray(body?.data) ? `${body.data.length} item${body.data.length === 1 ? "" : "s"}` : null;
  const children = [
    h(
      "div",
      { class: "status-line" },
      h("span", { class: `pill ${ok ? "ok" : "error"}` }, `${status} ${statusText}`.trim()),
      h("span", { class: "mono" }, `${method} ${path}`),
      h("span", { class: "muted" }, `${elapsed} ms`),
      count ? h("span", { class: "muted" }, count) : null,
    ),
  ];
  if (ok) children.push(renderTable(body));
  else if (body && typeof body.message === "string") {
    children.push(h("p", {}, h("strong", {}, body.error ?? body.type ?? "error"), ": ", body.message));
  }
  const pagination = body?.pagination;
  if (ok && pagination && typeof pagination === "object" && typeof pagination.hasNextPage === "boolean") {
    children.push(
      h(
        "p",
        { class: "muted small" },
        pagination.hasNextPage ? "More pages available (cursor pagination)." : "All items shown: this is the last page.",
      ),
    );
  }
  children.push(h("details", {}, h("summary", {}, "Raw response"), h("pre", {}, body ? JSON.stringify(body, null, 2) : text)));
  $("result").replaceChildren(...children);
}
