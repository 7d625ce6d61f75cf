// Demo page for pleo-oauth. Talks only to the worker on this origin
// (/auth/*, /api/*); never sees a token. Untrusted text (anything from Pleo,
// the worker or the address bar) is rendered with textContent only.

const $ = (id) => document.getElementById(id);
const API_HEADERS = { "X-Requested-With": "pleo-oauth-demo", Accept: "application/json" };

const state = {
  session: null,
  clockOffsetMs: 0, // server time minus browser time
  activeSubject: null,
  busy: false,
};

// ------------------------------------------------------------------ helpers

/** Creates an element; string/number children become text nodes (never HTML). */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function shortText(value, max = 120) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function companyIdFromSubject(subject) {
  return subject?.split(":").pop() ?? "";
}

// ------------------------------------------------------------------- notices

const AUTH_ERRORS = {
  access_denied: ["Connection declined", "You declined the request on Pleo's consent screen, so nothing was connected. Connect again whenever you like."],
  authorization_denied: ["Pleo refused the request", "Pleo's authorization server rejected the connection request."],
  login_invalid: ["Sign-in could not be completed", "This sign-in was not started in this browser, took longer than 10 minutes, or was already used. Please connect again."],
  login_replayed: ["Sign-in already used", "That sign-in response was already used once. Please connect again."],
  state_mismatch: ["Sign-in did not match", "Pleo's answer did not belong to the sign-in started here (state mismatch). Please connect again."],
  issuer_mismatch: ["Unexpected issuer", "The sign-in answer came from a different authorization server than expected."],
  invalid_callback: ["Malformed sign-in answer", "The redirect back from Pleo was malformed and was rejected."],
  token_error: ["Pleo refused the tokens", "Pleo did not issue tokens for this sign-in (the code may have expired). Please connect again."],
  pleo_unavailable: ["Pleo is unreachable", "Pleo could not be reached to finish the sign-in. Please try again in a moment."],
  pleo_error: ["Unexpected answer from Pleo", "Pleo answered in a way the worker could not use. Please try again."],
  server_error: ["The demo server failed", "Something went wrong in the worker. Please try again."],
};

const WORKER_ERRORS = {
  no_session: ["Session expired", "Your session has ended. Connect to Pleo again."],
  no_connection: ["Not connected", "That company is no longer connected. Connect to Pleo again."],
  connection_expired: ["Connection expired", "Pleo no longer accepts this connection (it was revoked or expired). Connect to Pleo again."],
  pleo_unauthorized: ["Pleo rejected the token", "Pleo rejected the access token even after a refresh. Try again or reconnect."],
  pleo_unavailable: ["Pleo is unreachable", "Pleo did not answer in time. You are still connected; try again in a moment."],
  pleo_error: ["Unexpected answer from Pleo", "Pleo answered in a way the worker could not use. You are still connected."],
  csrf_rejected: ["Request blocked", "The worker refused the request (cross-site request protection)."],
  path_not_allowed: ["Path not allowed", "The worker only forwards an allow-list of Pleo API paths."],
};

function showNotice(kind, title, text) {
  const notice = $("notice");
  notice.dataset.kind = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  notice.hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function showWorkerError(body, status) {
  const [title, text] = WORKER_ERRORS[body?.error] ?? [
    `Request failed (HTTP ${status})`,
    typeof body?.message === "string" ? body.message : "The worker returned an error.",
  ];
  showNotice(status === 502 ? "warn" : "error", title, text);
}

// ------------------------------------------------------- address-bar hygiene

/** Removes callback leftovers (code, state, errors) from the address bar. */
function takeUrlParameters() {
  const url = new URL(location.href);
  const authError = url.searchParams.get("auth_error");
  let changed = false;
  for (const name of ["auth_error", "code", "state", "iss", "error", "error_description", "error_uri", "session_state"]) {
    if (url.searchParams.has(name)) {
      url.searchParams.delete(name);
      changed = true;
    }
  }
  if (changed) history.replaceState(history.state, "", `${url.pathname}${url.search}${url.hash}`);
  return authError;
}

// ------------------------------------------------------------------- session

/**
 * fetch() with the body read as text and, where it is JSON, parsed.
 * Null when the worker cannot be reached at all.
 */
async function fetchWorker(url, init) {
  let response;
  try {
    response = await fetch(url, { cache: "no-store", ...init });
  } catch {
    return null;
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { response, text, body };
}

async function loadSession() {
  const result = await fetchWorker("/auth/session", { headers: { Accept: "application/json" } });
  $("loading").hidden = true;
  if (!result) {
    showNotice("error", "The demo server is unreachable", "Could not reach the worker on this origin. Is `npm start` still running?");
    return;
  }
  const { response, body } = result;
  if (!response.ok || !body) {
    showWorkerError(body, response.status);
    return;
  }
  state.session = body;
  state.clockOffsetMs = typeof body.now === "number" ? body.now - Date.now() : 0;
  const subjects = body.connections.map((c) => c.subject);
  if (!subjects.includes(state.activeSubject)) state.activeSubject = subjects[0] ?? null;
  renderSession();
}

function renderSession() {
  const session = state.session;
  const badge = $("env-badge");
  if (session?.client?.environment) {
    badge.textContent = session.client.environment === "local" ? "local stand-in" : `Pleo ${session.client.environment}`;
    badge.hidden = false;
  }
  const connected = Boolean(session?.connected);
  $("disconnected").hidden = connected;
  $("connected").hidden = !connected;
  if (!connected) return;

  const list = $("companies");
  list.replaceChildren(
    ...session.connections.map((c, index) => {
      const radioId = `company-${index}`;
      const active = c.subject === state.activeSubject;
      return h(
        "li",
        { class: `company${active ? " active" : ""}` },
        h("input", {
          type: "radio",
          name: "active-company",
          id: radioId,
          checked: active,
          "aria-label": `Use ${c.name ?? c.subject} for API calls`,
          onchange: () => {
            state.activeSubject = c.subject;
            renderSession();
          },
        }),
        h(
          "label",
          { for: radioId },
          h("div", { class: "company-title" }, c.name ?? "Pleo company", c.default ? h("span", { class: "pill" }, "default") : null),
          h("div", { class: "company-subject mono" }, c.subject),
        ),
        h(
          "div",
          { class: "expiry" },
          h("span", { class: "countdown", dataset: { expiresAt: String(c.expiresAt ?? "") } }, "–"),
          h("span", { class: "expiry-label" }, c.refreshable ? "access token · auto-refresh" : "access token · no refresh token"),
        ),
        h("div", { class: "chips" }, (c.scopes ?? []).map((scope) => h("span", { class: "chip" }, scope))),
      );
    }),
  );
  $("active-company").textContent = state.activeSubject ?? "";
  tickCountdowns();
}

function formatRemaining(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

function tickCountdowns() {
  const now = Date.now() + state.clockOffsetMs;
  for (const node of document.querySelectorAll(".countdown")) {
    const expiresAt = Number(node.dataset.expiresAt);
    if (!expiresAt) {
      node.textContent = "no expiry";
      continue;
    }
    const left = expiresAt - now;
    node.classList.toggle("expired", left <= 0);
    node.classList.toggle("soon", left > 0 && left < 60_000);
    node.textContent = left > 0 ? `expires in ${formatRemaining(left)}` : "expired · refreshes on next call";
  }
}

// --------------------------------------------------------------- API results

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
        h("thead", {}, h("tr", {}, shown.map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          shape.rows.slice(0, 100).map((row) => h("tr", {}, shown.map((c) => h("td", {}, renderCell(row?.[c], c))))),
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
        h("tbody", {}, Object.entries(shape.object).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, renderCell(v, k))))),
      ),
    );
  }
  return h("p", { class: "muted" }, "The response has no table-shaped data.");
}

function renderResult({ method, path, status, statusText, elapsed, body, text }) {
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
    children.push(h("p", { class: "muted small" }, pagination.hasNextPage ? "More pages available (cursor pagination)." : "All items shown: this is the last page."));
  }
  children.push(h("details", {}, h("summary", {}, "Raw response"), h("pre", {}, body ? JSON.stringify(body, null, 2) : text)));
  $("result").replaceChildren(...children);
}

async function callApi(button) {
  if (!state.activeSubject) return;
  let path = button.dataset.api;
  if (button.dataset.companyId) path += `?company_id=${encodeURIComponent(companyIdFromSubject(state.activeSubject))}`;
  for (const b of document.querySelectorAll("[data-api]")) b.disabled = true;
  const started = performance.now();
  try {
    const result = await fetchWorker(`/api${path}`, {
      headers: { ...API_HEADERS, "X-Pleo-Company": state.activeSubject },
    });
    if (!result) {
      showNotice("error", "The demo server is unreachable", "Could not reach the worker on this origin.");
      return;
    }
    const { response, text, body } = result;
    renderResult({
      method: "GET",
      path,
      status: response.status,
      statusText: response.statusText,
      elapsed: Math.round(performance.now() - started),
      body,
      text,
    });
    if (body?.error && typeof body.error === "string") showWorkerError(body, response.status);
    else if (response.ok) hideNotice();
    await loadSession();
  } finally {
    for (const b of document.querySelectorAll("[data-api]")) b.disabled = false;
  }
}

async function postAuth(path, successTitle, successText, button) {
  button.disabled = true;
  try {
    const result = await fetchWorker(path, {
      method: "POST",
      headers: { ...API_HEADERS, ...(path === "/auth/refresh" && state.activeSubject ? { "X-Pleo-Company": state.activeSubject } : {}) },
    });
    if (!result) {
      showNotice("error", "The demo server is unreachable", "Could not reach the worker on this origin.");
      return;
    }
    const { response, body } = result;
    if (response.ok) showNotice("ok", successTitle, successText);
    else showWorkerError(body, response.status);
    await loadSession();
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------- tabs

function selectTab(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (name === "playground") loadLibrary().catch(() => {});
}

// ---------------------------------------------------------------- playground

let libraryPromise = null;
let pending = null;
let pendingProvider = null;

function loadLibrary() {
  if (!libraryPromise) {
    const started = performance.now();
    libraryPromise = import("/pkg/web.js").then(async (lib) => {
      await lib.init();
      $("wasm-status").textContent = `pleo-oauth ready · WebAssembly loaded in ${Math.round(performance.now() - started)} ms`;
      $("wasm-status").classList.add("ok");
      return lib;
    });
    libraryPromise.catch(() => {
      $("wasm-status").textContent = "pleo-oauth failed to load";
      $("wasm-status").classList.add("error");
      libraryPromise = null;
    });
  }
  return libraryPromise;
}

function describeError(err) {
  const rows = [
    ["name", err?.name ?? "Error"],
    ["code", err?.code ?? "—"],
    ["message", err?.message ?? String(err)],
  ];
  if (err?.error) rows.push(["error", err.error]);
  if (err?.errorDescription) rows.push(["errorDescription", err.errorDescription]);
  return h(
    "div",
    { class: "verdict error" },
    h("div", {}, "✗ Rejected with ", h("span", { class: "code" }, err?.code ?? err?.name ?? "error")),
    h("dl", { class: "kv" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
  );
}

function fillPlaygroundDefaults() {
  const client = state.session?.client;
  const providerChoice = $("pg-provider").value;
  if (providerChoice === "demo" && client) {
    $("pg-client-id").value = client.clientId ?? "";
    $("pg-redirect-uri").value = client.redirectUri ?? `${location.origin}/auth/callback`;
    $("pg-scopes").value = (client.scopes ?? []).join(" ");
  } else if (!$("pg-redirect-uri").value) {
    $("pg-redirect-uri").value = `${location.origin}/auth/callback`;
  }
}

function playgroundProvider() {
  const choice = $("pg-provider").value;
  if (choice === "demo") {
    const provider = state.session?.client?.provider;
    if (!provider) throw Object.assign(new Error("The worker did not describe its provider."), { name: "DemoError", code: "no_provider" });
    return provider;
  }
  return choice;
}

async function generatePkce() {
  const out = $("pg-pkce");
  try {
    const lib = await loadLibrary();
    const verifier = lib.generateCodeVerifier();
    const challenge = lib.codeChallengeS256(verifier);
    const stateValue = lib.generateState();
    out.replaceChildren(
      h("dt", {}, "code_verifier"), h("dd", {}, verifier),
      h("dt", {}, "code_challenge"), h("dd", {}, challenge),
      h("dt", {}, "method"), h("dd", {}, "S256"),
      h("dt", {}, "state"), h("dd", {}, stateValue),
    );
  } catch (err) {
    out.replaceChildren(describeError(err));
  }
}

async function checkVector() {
  const out = $("pg-pkce");
  try {
    const lib = await loadLibrary();
    // RFC 7636 Appendix B.
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const expected = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const challenge = lib.codeChallengeS256(verifier);
    out.replaceChildren(
      h("dt", {}, "verifier"), h("dd", {}, verifier),
      h("dt", {}, "challenge"), h("dd", {}, challenge),
      h("dt", {}, "RFC 7636 B"), h("dd", {}, challenge === expected ? "✓ matches the RFC" : "✗ does not match"),
    );
  } catch (err) {
    out.replaceChildren(describeError(err));
  }
}

async function buildAuthorizeUrl(event) {
  event.preventDefault();
  const out = $("pg-url-out");
  try {
    const lib = await loadLibrary();
    const provider = playgroundProvider();
    const scopes = $("pg-scopes").value.split(/[\s,]+/).filter(Boolean);
    const client = new lib.OAuthClient({
      provider,
      clientId: $("pg-client-id").value.trim(),
      redirectUri: $("pg-redirect-uri").value.trim(),
      scopes: scopes.length ? scopes : undefined,
    });
    const subject = $("pg-subject").value.trim();
    const result = client.startAuthorization(subject ? { subject } : undefined);
    pending = result.pending;
    pendingProvider = client.provider;
    client.free?.();
    const params = [...new URL(result.url).searchParams];
    out.replaceChildren(
      h("div", { class: "url-box" }, result.url),
      h(
        "div",
        { class: "table-wrap" },
        h("table", {}, h("tbody", {}, params.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "mono" }, v))))),
      ),
      h("details", {}, h("summary", {}, "Pending authorization (keep it until the callback)"), h("pre", {}, JSON.stringify(pending, null, 2))),
    );
  } catch (err) {
    pending = null;
    out.replaceChildren(describeError(err));
  }
}

function fillCallback(kind) {
  if (!pending) {
    $("pg-callback-out").replaceChildren(
      h("div", { class: "verdict error" }, "Build an authorize URL in step 2 first: the callback is checked against it."),
    );
    return;
  }
  const url = new URL(pending.redirectUri);
  const iss = pendingProvider?.issParameterSupported ? pendingProvider.issuer : null;
  const params = [];
  if (kind === "success") params.push(["code", "example-authorization-code"], ["state", pending.state]);
  if (kind === "wrong-state") params.push(["code", "example-authorization-code"], ["state", "tampered-state-value-from-another-tab"]);
  if (kind === "denied") params.push(["error", "access_denied"], ["error_description", "The user denied the connection"], ["state", pending.state]);
  if (kind === "duplicate") params.push(["code", "first"], ["code", "second"], ["state", pending.state]);
  if (iss) params.push(["iss", iss]);
  url.search = new URLSearchParams(params).toString();
  $("pg-callback-url").value = url.href;
  $("pg-callback-out").replaceChildren();
}

async function validateCallback(event) {
  event.preventDefault();
  const out = $("pg-callback-out");
  if (!pending) {
    fillCallback(null);
    return;
  }
  try {
    const lib = await loadLibrary();
    const client = new lib.OAuthClient({
      provider: pendingProvider,
      clientId: $("pg-client-id").value.trim(),
      redirectUri: pending.redirectUri,
    });
    let result;
    try {
      result = client.handleCallback($("pg-callback-url").value.trim(), pending);
    } finally {
      client.free?.();
    }
    out.replaceChildren(
      h(
        "div",
        { class: "verdict ok" },
        h("div", {}, "✓ Valid callback: the code can now be exchanged (by a server holding the secret)."),
        h("dl", { class: "kv" }, Object.entries(result).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
      ),
    );
  } catch (err) {
    out.replaceChildren(describeError(err));
  }
}

// ---------------------------------------------------------------------- init

function init() {
  const authError = takeUrlParameters();
  if (authError) {
    const [title, text] = AUTH_ERRORS[authError] ?? ["Sign-in failed", "The connection could not be completed. Please try again."];
    showNotice(authError === "pleo_unavailable" ? "warn" : "error", title, text);
  }

  $("notice-close").addEventListener("click", hideNotice);
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => {
      const name = tab.id.replace("tab-", "");
      history.replaceState(history.state, "", name === "playground" ? "#playground" : location.pathname + location.search);
      selectTab(name);
    });
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const next = tab.id === "tab-connections" ? "playground" : "connections";
      selectTab(next);
      $(`tab-${next}`).focus();
    });
  }
  for (const button of document.querySelectorAll("[data-api]")) button.addEventListener("click", () => callApi(button));
  $("refresh-now").addEventListener("click", (e) =>
    postAuth("/auth/refresh", "Token refreshed", "The worker fetched a new access token (and stored the rotated refresh token).", e.currentTarget),
  );
  $("disconnect").addEventListener("click", (e) =>
    postAuth("/auth/logout", "Disconnected", "The session has ended and the worker revoked the tokens where Pleo allows it.", e.currentTarget),
  );

  $("pg-generate").addEventListener("click", generatePkce);
  $("pg-vector").addEventListener("click", checkVector);
  $("pg-authorize").addEventListener("submit", buildAuthorizeUrl);
  $("pg-callback").addEventListener("submit", validateCallback);
  $("pg-provider").addEventListener("change", fillPlaygroundDefaults);
  for (const button of document.querySelectorAll("[data-fill]")) button.addEventListener("click", () => fillCallback(button.dataset.fill));

  setInterval(tickCountdowns, 1000);
  loadSession().then(fillPlaygroundDefaults);
  selectTab(location.hash === "#playground" ? "playground" : "connections");
}

init();
