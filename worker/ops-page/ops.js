// The operator console (docs/OPERATIONS.md): the token is typed once and
// kept in sessionStorage (this tab only); every call sends it as a bearer
// header. Untrusted text (names, subjects, history) goes in with textContent.
const TOKEN_KEY = "pleo-oauth.ops-token";
const POLL_MS = 5000;
const PAGE_SIZE = 25;

const $ = (id) => document.getElementById(id);
const state = { status: "", q: "", cursors: [null], page: 0, nextCursor: null, open: null, timer: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// ------------------------------------------------------------ times

const UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1000],
];

function relative(ms) {
  if (ms === null || ms === undefined) return "—";
  const diff = ms - Date.now();
  const abs = Math.abs(diff);
  if (abs < 5000) return "just now";
  const [unit, size] = UNITS.find(([, s]) => abs >= s) ?? UNITS[UNITS.length - 1];
  const n = Math.round(abs / size);
  return diff > 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

const timeCell = (ms, { warnPast = false } = {}) => {
  const cell = el("td", { class: "time", text: relative(ms), title: ms ? new Date(ms).toLocaleString() : "" });
  if (warnPast && ms && ms < Date.now()) cell.classList.add("past");
  return cell;
};

// ------------------------------------------------------------ API

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class Unauthorized extends Error {}

async function api(path, { method = "GET" } = {}) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
    cache: "no-store",
  });
  if (response.status === 401) throw new Unauthorized();
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.message ?? `The worker answered ${response.status}.`);
  return body;
}

function signedOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.timer);
  $("console").hidden = true;
  $("detail").hidden = true;
  $("live").hidden = true;
  $("sign-out").hidden = true;
  $("token-panel").hidden = false;
  $("token-error").textContent = message ?? "";
  $("token-error").hidden = !message;
  $("token-input").focus();
}

// ------------------------------------------------------------ the list

const STATUS_LABEL = { active: "Active", needs_reconnect: "Needs reconnect" };

function statusChip(status) {
  return el("span", {
    class: `chip ${status === "active" ? "ok" : status === "needs_reconnect" ? "bad" : "neutral"}`,
    text: STATUS_LABEL[status] ?? status,
  });
}

const JOB_CLASS = { completed: "ok", completed_with_errors: "warn", failed: "bad", in_progress: "info", pending: "info" };

function exportCell(e) {
  const cell = el("div", { class: "export" });
  if (e.running) cell.append(el("span", { class: "chip info running", text: "running" }));
  else if (e.lastStatus)
    cell.append(el("span", { class: `chip ${JOB_CLASS[e.lastStatus] ?? "neutral"}`, text: e.lastStatus.replaceAll("_", " ") }));
  else cell.append(el("span", { class: "muted", text: "no jobs" }));
  if (e.failedItems > 0) cell.append(el("span", { class: "chip bad subtle", text: `${e.failedItems} failed` }));
  if (e.gaveUp > 0) cell.append(el("span", { class: "chip warn subtle", text: `gave up ×${e.gaveUp}` }));
  return el("td", {}, cell);
}

/** Needs a human: first on the page. */
const attention = (row) => (row.status === "needs_reconnect" ? 2 : row.export.gaveUp > 0 || row.export.failedItems > 0 ? 1 : 0);

function renderRows(companies) {
  const rows = [...companies].sort((a, b) => attention(b) - attention(a));
  const body = $("rows");
  body.replaceChildren(
    ...rows.map((row) => {
      const name = el("div", { class: "name", text: row.name ?? "(no name)" });
      const sub = el("div", { class: "mono small muted", text: row.subject });
      const tr = el(
        "tr",
        { "data-subject": row.subject, tabindex: "0", class: attention(row) ? "attention" : "" },
        el("td", {}, name, sub, row.account ? el("div", { class: "small muted", text: `account ${row.account}` }) : null),
        el(
          "td",
          {},
          statusChip(row.status),
          el("div", { class: "small muted", text: `${row.scopes.length} scopes`, title: row.scopes.join(" ") }),
        ),
        timeCell(row.expiresAt),
        timeCell(row.refreshedAt),
        timeCell(row.keepAliveAt, { warnPast: true }),
        timeCell(row.lastWebhookAt),
        exportCell(row.export),
      );
      tr.addEventListener("click", () => openDetail(row.subject));
      tr.addEventListener("keydown", (e) => e.key === "Enter" && openDetail(row.subject));
      return tr;
    }),
  );
  $("empty").hidden = rows.length > 0;
}

async function loadList() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state.status) params.set("status", state.status);
  if (state.q) params.set("q", state.q);
  const cursor = state.cursors[state.page];
  if (cursor) params.set("cursor", cursor);
  const body = await api(`/ops/api/companies?${params}`);
  renderRows(body.companies);
  state.nextCursor = body.nextCursor;
  for (const node of document.querySelectorAll("[data-count]")) node.textContent = String(body.counts?.[node.dataset.count] ?? "");
  $("prev").disabled = state.page === 0;
  $("next").disabled = !body.nextCursor;
  $("page-info").textContent = `Page ${state.page + 1}`;
  $("list-error").hidden = true;
}

// ------------------------------------------------------------ the detail

function fact(term, value) {
  return [el("dt", { text: term }), el("dd", { text: value })];
}

async function openDetail(subject) {
  state.open = subject;
  $("act-result").textContent = "";
  $("detail").hidden = false;
  await loadDetail();
}

async function loadDetail() {
  const subject = state.open;
  if (!subject) return;
  let c;
  try {
    c = await api(`/ops/api/companies/${encodeURIComponent(subject)}`);
  } catch (err) {
    if (err instanceof Unauthorized) throw err;
    $("detail-name").textContent = "Not connected";
    $("detail-subject").textContent = subject;
    $("detail-facts").replaceChildren();
    $("detail-jobs").replaceChildren();
    $("detail-history").replaceChildren();
    for (const id of ["act-export", "act-refresh", "act-disconnect"]) $(id).disabled = true;
    return;
  }
  if (state.open !== subject) return;
  for (const id of ["act-export", "act-refresh", "act-disconnect"]) $(id).disabled = false;
  $("detail-name").textContent = c.name ?? "(no name)";
  $("detail-subject").textContent = c.subject;
  const when = (ms) => (ms ? `${relative(ms)} · ${new Date(ms).toLocaleString()}` : "—");
  $("detail-facts").replaceChildren(
    ...fact("Status", STATUS_LABEL[c.status] ?? c.status),
    ...(c.account ? fact("Account", c.account) : []),
    ...fact("Scopes", c.scopes.join(" ") || "—"),
    ...fact("Connected", when(c.connectedAt)),
    ...fact("Last refresh", when(c.refreshedAt)),
    ...fact("Token expires", when(c.expiresAt)),
    ...fact("Next keep-alive", when(c.keepAliveAt)),
    ...fact("Last webhook", when(c.lastWebhookAt)),
    ...fact("Export runs that gave up", String(c.export.gaveUp)),
  );
  const jobs = c.exports?.jobs ?? [];
  $("detail-jobs").replaceChildren(
    ...jobs.map((j) =>
      el(
        "tr",
        {},
        el("td", { class: "mono small", text: `${String(j.id).slice(0, 8)}…`, title: j.id }),
        el("td", {}, el("span", { class: `chip ${JOB_CLASS[j.status] ?? "neutral"}`, text: String(j.status).replaceAll("_", " ") })),
        el("td", { text: String(j.numberOfItems ?? "?") }),
        el("td", { text: String(j.exported ?? 0) }),
        el("td", { class: j.failed > 0 ? "bad-text" : "", text: String(j.failed ?? 0) }),
        el("td", { class: "small", text: j.startedAt ? relative(Date.parse(j.startedAt)) : "—" }),
      ),
    ),
  );
  $("detail-jobs-empty").hidden = jobs.length > 0;
  $("detail-history").replaceChildren(
    ...c.history.map((h) =>
      el(
        "li",
        {},
        el("span", { class: "time small muted", text: relative(h.at), title: new Date(h.at).toLocaleString() }),
        el("span", { text: h.event }),
      ),
    ),
  );
}

async function act(kind) {
  const subject = state.open;
  if (!subject) return;
  if (
    kind === "disconnect" &&
    !confirm(
      `Disconnect ${$("detail-name").textContent}?\n\nThe company's tokens are revoked and every user loses access until someone connects it again.`,
    )
  )
    return;
  const out = $("act-result");
  out.className = "small";
  out.textContent = "Working…";
  try {
    const body = await api(`/ops/api/companies/${encodeURIComponent(subject)}/${kind}`, { method: "POST" });
    if (kind === "export-run")
      out.textContent = body.started
        ? `Export started (job ${body.jobId}).`
        : body.jobId
          ? `A run is already going (job ${body.jobId}).`
          : "Pleo has no export job waiting.";
    if (kind === "refresh") out.textContent = "Refreshed: a new access token is stored.";
    if (kind === "disconnect") {
      out.textContent = body.revoked ? "Disconnected; the tokens were revoked." : "Disconnected.";
      state.open = null;
      $("detail").hidden = true;
    }
    out.classList.add("ok-text");
  } catch (err) {
    if (err instanceof Unauthorized) return signedOut("The operator token was refused.");
    out.textContent = err.message;
    out.classList.add("bad-text");
  }
  await refreshAll();
}

// ------------------------------------------------------------ wiring

async function refreshAll() {
  clearTimeout(state.timer);
  try {
    await loadList();
    if (state.open) await loadDetail();
    $("live-text").textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
    $("live").classList.remove("stale");
  } catch (err) {
    if (err instanceof Unauthorized) return signedOut("The operator token was refused.");
    $("list-error").textContent = err.message;
    $("list-error").hidden = false;
    $("live").classList.add("stale");
  }
  state.timer = setTimeout(refreshAll, POLL_MS);
}

function restart() {
  state.cursors = [null];
  state.page = 0;
  refreshAll();
}

function showConsole() {
  $("token-panel").hidden = true;
  $("console").hidden = false;
  $("live").hidden = false;
  $("sign-out").hidden = false;
  restart();
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("token-input").value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $("token-input").value = "";
  showConsole();
});
$("sign-out").addEventListener("click", () => signedOut());
for (const chip of document.querySelectorAll(".chip-filter")) {
  chip.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".chip-filter")) other.setAttribute("aria-checked", String(other === chip));
    state.status = chip.dataset.status;
    restart();
  });
}
let searchTimer;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    state.q = $("search").value.trim();
    restart();
  }, 250);
});
$("next").addEventListener("click", () => {
  if (!state.nextCursor) return;
  state.cursors[state.page + 1] = state.nextCursor;
  state.page += 1;
  refreshAll();
});
$("prev").addEventListener("click", () => {
  if (state.page === 0) return;
  state.page -= 1;
  refreshAll();
});
$("detail-close").addEventListener("click", () => {
  state.open = null;
  $("detail").hidden = true;
});
$("act-export").addEventListener("click", () => act("export-run"));
$("act-refresh").addEventListener("click", () => act("refresh"));
$("act-disconnect").addEventListener("click", () => act("disconnect"));

if (token()) showConsole();
else signedOut();
