// The Export tab: the selected company's export jobs as the worker runs them
// (status, a progress bar of items booked / total), "Create an export in
// Pleo" (local stand-in only: the worker calls the stand-in's admin route,
// the browser never sees it), "Run now", the per-entry table and the CSV.
// Numbers update live while a run goes (polling the worker every second).
// Amounts arrive in integer minor units and are formatted from a decimal
// string made with integer arithmetic — never through a float.
import { createClient } from "/client/index.js";
import { $, h, showNotice } from "./dom.js";
import { showWorkerError } from "./messages.js";

const pleo = createClient();
const POLL_MS = 1000;

const view = {
  session: null,
  company: null,
  jobs: [],
  selectedJob: null,
  detail: null,
  receipts: new Map(), // accountingEntryId → [{index, type, size, href}] of the selected job (demo ledger, R2)
  timer: null,
  busy: false,
  liveUntil: 0, // after "Create" or "Run now": keep polling while the webhook and the run get going
};

// ISO 4217 minor units other than 2 (the ones Pleo's currencies may use).
const EXPONENT = { ISK: 0, JPY: 0, KRW: 0, CLP: 0, HUF: 2, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3 };

/** Integer minor units → a decimal string ("89696", "SEK" → "896.96"), or null. */
export function minorToDecimal(value, currency) {
  if (!Number.isSafeInteger(value)) return null;
  const exponent = EXPONENT[currency] ?? 2;
  const negative = value < 0;
  const digits = String(Math.abs(value)).padStart(exponent + 1, "0");
  const whole = exponent ? digits.slice(0, -exponent) : digits;
  const fraction = exponent ? `.${digits.slice(-exponent)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** "SEK 896.96" in the reader's locale; Intl formats the decimal string exactly. */
export function formatMoney(money) {
  if (!money || typeof money.currency !== "string") return "";
  const decimal = minorToDecimal(money.value, money.currency);
  if (decimal === null) return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: money.currency }).format(decimal);
  } catch {
    return `${money.currency} ${decimal}`;
  }
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const running = (job) => job.status === "pending" || job.status === "in_progress";

async function attempt(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err?.name === "WorkerRequestError") showWorkerError({ error: err.code, message: err.message }, err.status);
    else showNotice("error", "The demo server is unreachable", "Could not reach the worker on this origin.");
    return null;
  }
}

// -------------------------------------------------------------- rendering

function renderCompanies() {
  const select = $("export-company");
  const connections = view.session?.connections ?? [];
  select.replaceChildren(
    ...connections.map((c) => h("option", { value: c.subject, selected: c.subject === view.company }, c.name ?? c.subject)),
  );
  $("export-empty").hidden = connections.length > 0;
  $("export-body").hidden = connections.length === 0;
  $("export-create").hidden = $("export-create-box").hidden = view.session?.client?.environment !== "local";
}

function progress(job) {
  const total = job.numberOfItems ?? 0;
  const done = (job.exported ?? 0) + (job.failed ?? 0);
  const ratio = total > 0 ? Math.min(1, done / total) : job.status === "completed" ? 1 : 0;
  const bar = h("div", { class: "export-progress-bar" });
  // CSSOM, not a style attribute: the page's CSP (style-src 'self') blocks inline styles.
  bar.style.width = `${(ratio * 100).toFixed(1)}%`;
  return h(
    "div",
    {
      class: "export-progress",
      role: "progressbar",
      "aria-valuemin": "0",
      "aria-valuemax": String(total),
      "aria-valuenow": String(done),
      "aria-label": "Items booked",
    },
    bar,
  );
}

function statusPill(status) {
  return h("span", { class: `export-status export-status-${status}` }, String(status).replaceAll("_", " "));
}

function renderJobs() {
  const list = $("export-jobs");
  if (view.jobs.length === 0) {
    list.replaceChildren(
      h(
        "p",
        { class: "muted" },
        "No export jobs yet. Create one in Pleo, then the worker picks it up (webhook, “Run now”, or the periodic poll).",
      ),
    );
    return;
  }
  list.replaceChildren(
    ...view.jobs.map((job) =>
      h(
        "article",
        { class: `export-job${job.id === view.selectedJob ? " selected" : ""}`, dataset: { jobId: job.id, status: job.status } },
        h("div", { class: "export-job-head" }, h("span", { class: "mono small" }, job.id), statusPill(job.status)),
        progress(job),
        h(
          "div",
          { class: "export-job-counts small" },
          h("span", { class: "export-count-booked" }, `${job.exported ?? 0} booked`),
          " · ",
          h("span", { class: "export-count-failed" }, `${job.failed ?? 0} failed`),
          " · ",
          h("span", { class: "export-count-total" }, `${job.numberOfItems ?? "?"} items`),
          job.completedAt ? ` · finished ${when(job.completedAt)}` : job.startedAt ? ` · started ${when(job.startedAt)}` : "",
          job.error ? h("span", { class: "export-error" }, ` · ${job.error.code}`) : null,
        ),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "button small", onclick: () => selectJob(job.id) }, "Entries"),
          h(
            "a",
            { class: "button small", href: pleo.exportCsvUrl(job.id, { company: view.company }), download: `pleo-export-${job.id}.csv` },
            "Download CSV",
          ),
        ),
      ),
    ),
  );
}

// "I25 inclusive 25 %" for a line's tax; "" without one.
function taxText(line) {
  if (!line.taxCode && !line.taxType) return "";
  const rate = typeof line.taxRate === "number" ? ` ${Math.round(line.taxRate * 10_000) / 100} %` : "";
  return `${line.taxCode ?? "?"} ${line.taxType ?? ""}${rate}`.trim();
}

// One row per entry, then one per line: what the ledger booked (account, tax
// code, type, rate and amount, net and gross), the voucher and the vendor.
function entryRows(item) {
  const lines = Array.isArray(item.lines) ? item.lines : [];
  const counterpart = item.vendor ? `${item.vendor} (vendor)` : item.supplier;
  const entry = h(
    "tr",
    { class: "export-entry", dataset: { status: item.status } },
    h("td", {}, item.date ? item.date.slice(0, 10) : ""),
    h(
      "td",
      { class: "small" },
      [item.type, item.subType].filter(Boolean).join(" · "),
      item.method ? h("div", { class: "muted" }, item.method) : null,
    ),
    h("td", {}, counterpart ?? h("span", { class: "muted" }, "no supplier")),
    h("td", { class: "num" }, formatMoney(item.amount)),
    h("td", {}, statusPill(item.status)),
    h("td", { class: "mono small voucher" }, item.externalId ?? item.voucher ?? "", receiptLinks(item.accountingEntryId)),
    h("td", { class: "small" }, item.failureReasonType ? `${item.failureReasonType}: ${item.failureReason ?? ""}` : ""),
  );
  const lineRows = lines.map((line) =>
    h(
      "tr",
      { class: "export-line" },
      h("td", {}, ""),
      h(
        "td",
        { class: "small" },
        taxText(line),
        line.taxAmount ? h("div", { class: "muted" }, `tax ${formatMoney(line.taxAmount)}`) : null,
      ),
      h(
        "td",
        { class: "small" },
        h("span", { class: "mono" }, line.account ?? "—"),
        line.accountName ? h("div", { class: "muted" }, line.accountName) : null,
      ),
      h("td", { class: "num small" }, h("div", {}, `net ${formatMoney(line.net)}`), h("div", {}, `gross ${formatMoney(line.gross)}`)),
      h("td", { colspan: "3" }, ""),
    ),
  );
  return [entry, ...lineRows];
}

// The entry's receipts as the demo ledger stored them: a thumbnail for an
// image, a link for a PDF (or anything else). `?company=` because an <img>
// cannot send the X-Pleo-Company header.
function receiptLinks(accountingEntryId) {
  const receipts = view.receipts.get(accountingEntryId);
  if (!receipts?.length) return null;
  return h(
    "div",
    { class: "receipts" },
    ...receipts.map((r) => {
      const href = `${r.href}?company=${encodeURIComponent(view.company)}`;
      const label = `Receipt ${r.index + 1} (${Math.max(1, Math.round(r.size / 1024))} KB)`;
      return /^image\//.test(r.type)
        ? h(
            "a",
            { href, target: "_blank", rel: "noopener" },
            h("img", { src: href, alt: label, class: "receipt-thumb", loading: "lazy", width: "48" }),
          )
        : h("a", { href, target: "_blank", rel: "noopener", class: "receipt-link" }, label);
    }),
  );
}

/** The selected job's receipts (GET /export/jobs/<id>/receipts); none when the ledger keeps none. */
async function loadReceipts(jobId) {
  const response = await fetch(`/export/jobs/${encodeURIComponent(jobId)}/receipts`, {
    headers: { "X-Pleo-Company": view.company },
    credentials: "same-origin",
  }).catch(() => null);
  const body = response?.ok ? await response.json().catch(() => null) : null;
  const byEntry = new Map();
  for (const r of body?.receipts ?? []) {
    if (!byEntry.has(r.accountingEntryId)) byEntry.set(r.accountingEntryId, []);
    byEntry.get(r.accountingEntryId).push(r);
  }
  view.receipts = byEntry;
}

function renderDetail() {
  const box = $("export-entries");
  if (!view.detail) {
    box.replaceChildren();
    return;
  }
  const { items, ...job } = view.detail;
  box.replaceChildren(
    h("h2", {}, `Entries of job ${job.id}`),
    h(
      "table",
      { class: "export-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Date", "Type · tax", "Supplier · account", "Amount · net, gross", "Status", "Voucher", "Failure"].map((t) => h("th", {}, t)),
        ),
      ),
      h("tbody", {}, ...items.flatMap(entryRows)),
    ),
  );
}

// ------------------------------------------------------- demo ledger chart

// The demo ledger's accounts and tax codes (GET/PUT /export/ledger/chart),
// edited as text: "code name" per line, tax codes one per line.
async function chartRequest(method, body) {
  const response = await fetch("/export/ledger/chart", {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Requested-With": "pleo-oauth-demo", "X-Pleo-Company": view.company },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch(() => null);
  const json = await response?.json().catch(() => null);
  return { response, json };
}

async function loadChart() {
  const note = $("export-ledger-note");
  const { response, json } = await chartRequest("GET");
  if (!response || response.status !== 200) {
    note.textContent =
      response?.status === 404 ? "This worker's ledger is not the demo ledger: it keeps its own chart." : "The chart could not be read.";
    return;
  }
  $("export-ledger-accounts").value = json.accounts.map((a) => `${a.code} ${a.name}`.trim()).join("\n");
  $("export-ledger-taxes").value = json.taxCodes.join("\n");
  note.textContent = "";
}

async function saveChart() {
  const accounts = $("export-ledger-accounts")
    .value.split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [code, ...name] = l.split(/\s+/);
      return { code, name: name.join(" ") };
    });
  const taxCodes = $("export-ledger-taxes").value.split(/\s+/).filter(Boolean);
  const { response, json } = await chartRequest("PUT", { accounts, taxCodes });
  if (!response || response.status !== 200) {
    showWorkerError(json, response?.status ?? 0);
    return;
  }
  showNotice(
    "ok",
    "Ledger chart saved",
    `${json.accounts.length} accounts, ${json.taxCodes.length} tax codes. The next export books against it.`,
  );
  await loadChart();
}

function renderLedgerSettings() {
  if ($("export-ledger")) return;
  const panel = h(
    "details",
    { id: "export-ledger", class: "card export-ledger" },
    h("summary", {}, "Demo ledger: chart of accounts and tax codes"),
    h(
      "p",
      { class: "small muted" },
      "Lines whose account or tax code is missing here fail as account_unknown / tax_code_unknown; accounts payable without a vendor as vendor_unknown.",
    ),
    h(
      "div",
      { class: "export-ledger-fields" },
      h(
        "label",
        { class: "small" },
        "Accounts (code name, one per line)",
        h("textarea", { id: "export-ledger-accounts", rows: "10", spellcheck: "false" }),
      ),
      h(
        "label",
        { class: "small" },
        "Tax codes (one per line)",
        h("textarea", { id: "export-ledger-taxes", rows: "10", spellcheck: "false" }),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "export-ledger-save", class: "button small" }, "Save chart"),
      h("span", { id: "export-ledger-note", class: "small muted" }, ""),
    ),
  );
  $("export-entries").before(panel);
  panel.addEventListener("toggle", () => {
    if (panel.open) loadChart();
  });
  $("export-ledger-save").addEventListener("click", (event) => withButton(event.currentTarget, saveChart));
}

// ----------------------------------------------------------------- loading

async function refresh() {
  if (!view.company) return;
  const listed = await attempt(() => pleo.exportJobs({ company: view.company }));
  if (!listed) return;
  view.jobs = listed.jobs ?? [];
  renderJobs();
  if (view.selectedJob && view.jobs.some((j) => j.id === view.selectedJob)) {
    // Only jobs the worker already knows (a job just created in Pleo appears once its run starts).
    const detail = await attempt(() => pleo.exportJob(view.selectedJob, { company: view.company }));
    if (detail) {
      view.detail = detail;
      await loadReceipts(view.selectedJob);
      renderDetail();
    }
  }
  schedule(view.jobs.some(running) || Boolean(listed.running) || Date.now() < view.liveUntil);
}

function schedule(live) {
  clearTimeout(view.timer);
  view.timer = null;
  const visible = !$("panel-export").hidden && document.visibilityState === "visible";
  if (live && visible) view.timer = setTimeout(refresh, POLL_MS);
  $("export-live").hidden = !live;
}

function selectJob(id) {
  view.selectedJob = id;
  renderJobs();
  refresh();
}

async function open() {
  const session = await attempt(() => pleo.session());
  if (!session) return;
  view.session = session;
  const subjects = session.connections.map((c) => c.subject);
  if (!subjects.includes(view.company)) view.company = subjects[0] ?? null;
  renderCompanies();
  await refresh();
}

// ----------------------------------------------------------------- actions

async function runNow() {
  const result = await attempt(() => pleo.runExport({ company: view.company }));
  if (!result) return;
  if (result.jobId) view.selectedJob = result.jobId;
  showNotice(
    "ok",
    result.started ? "Export started" : result.jobId ? "Already running" : "Nothing to export",
    result.started
      ? "The worker claimed the oldest waiting job and is booking its entries."
      : result.jobId
        ? "A run for this company is going; one run at a time per company."
        : "Pleo has no waiting export job for this company.",
  );
  view.liveUntil = Date.now() + 15_000;
  await refresh();
}

async function createJob() {
  const entries = Number($("export-size").value) || 25;
  const response = await fetch("/export/dev/create-job", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Requested-With": "pleo-oauth-demo", "X-Pleo-Company": view.company },
    body: JSON.stringify({ entries }),
  }).catch(() => null);
  const body = await response?.json().catch(() => null);
  if (!response || response.status !== 201) {
    showWorkerError(body, response?.status ?? 0);
    return;
  }
  view.selectedJob = body.jobId;
  showNotice(
    "ok",
    "Export created in Pleo",
    `Job ${body.jobId} with ${body.entries} entries. Pleo's webhook tells the worker; watch it run.`,
  );
  view.liveUntil = Date.now() + 15_000;
  await refresh();
}

async function withButton(button, fn) {
  if (view.busy) return;
  view.busy = true;
  button.disabled = true;
  try {
    await fn();
  } finally {
    view.busy = false;
    button.disabled = false;
  }
}

function bind() {
  const tab = $("tab-export");
  const panel = $("panel-export");
  if (!tab || !panel) return;
  tab.addEventListener("click", () => open());
  $("export-company").addEventListener("change", (event) => {
    view.company = event.target.value;
    view.selectedJob = null;
    view.detail = null;
    renderDetail();
    refresh();
  });
  $("export-run").addEventListener("click", (event) => withButton(event.currentTarget, runNow));
  $("export-create").addEventListener("click", (event) => withButton(event.currentTarget, createJob));
  renderLedgerSettings();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !panel.hidden) refresh();
  });
  if (location.hash === "#export") open();
}

bind();
