// The Connections tab: this browser's companies (status, token countdown,
// Reconnect / Disconnect), Refresh now, Log out, and the API buttons. Talks
// to the worker through pleo-oauth/client (/client/index.js); never sees a token.
import { createClient } from "/client/index.js";
import { renderResult } from "./api-results.js";
import { $, h, hideNotice, showNotice } from "./dom.js";
import { showWorkerError } from "./messages.js";

export const pleo = createClient();

const state = {
  session: null,
  clockOffsetMs: 0, // server time minus browser time
  activeSubject: null,
};

export const currentSession = () => state.session;

function companyIdFromSubject(subject) {
  return subject?.split(":").pop() ?? "";
}

function unreachable() {
  showNotice("error", "The demo server is unreachable", "Could not reach the worker on this origin. Is `npm start` still running?");
}

/** Runs a client call; worker errors become notices. Returns the result or null. */
async function attempt(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err?.name === "WorkerRequestError") showWorkerError({ error: err.code, message: err.message }, err.status);
    else unreachable();
    return null;
  }
}

export async function loadSession() {
  const session = await attempt(() => pleo.session());
  $("loading").hidden = true;
  if (!session) return;
  state.session = session;
  document.dispatchEvent(new CustomEvent("pleo:session", { detail: session }));
  state.clockOffsetMs = typeof session.now === "number" ? session.now - Date.now() : 0;
  const subjects = session.connections.map((c) => c.subject);
  if (!subjects.includes(state.activeSubject)) state.activeSubject = subjects[0] ?? null;
  renderSession();
}

const STATUS_TEXT = { active: "active", needs_reconnect: "needs reconnect" };

function companyActions(c) {
  const name = c.name ?? c.subject;
  return h(
    "div",
    { class: "company-actions" },
    c.status === "needs_reconnect"
      ? h(
          "a",
          {
            class: "button small primary",
            href: pleo.connectUrl({ returnTo: "/", company: c.subject }),
            "aria-label": `Reconnect ${name}`,
          },
          "Reconnect",
        )
      : null,
    h(
      "button",
      {
        type: "button",
        class: "button small danger",
        "aria-label": `Disconnect ${name}`,
        title: "Ends this company's connection for every browser and background job",
        onclick: (event) => disconnectCompany(c, event.currentTarget),
      },
      "Disconnect",
    ),
  );
}

function renderSession() {
  const session = state.session;
  const badge = $("env-badge");
  if (session?.client?.environment) {
    badge.textContent = session.client.environment === "local" ? "local stand-in" : `Pleo ${session.client.environment}`;
    badge.hidden = false;
  }
  // Companies that need reconnecting stay on the page with their Reconnect button.
  const any = (session?.connections?.length ?? 0) > 0;
  $("disconnected").hidden = any;
  $("connected").hidden = !any;
  if (!any) return;

  $("companies").replaceChildren(
    ...session.connections.map((c, index) => {
      const radioId = `company-${index}`;
      const active = c.subject === state.activeSubject;
      return h(
        "li",
        { class: `company${active ? " active" : ""} status-${c.status}` },
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
          h(
            "div",
            { class: "company-title" },
            c.name ?? "Pleo company",
            h("span", { class: `pill status-${c.status}` }, STATUS_TEXT[c.status] ?? c.status),
            c.default ? h("span", { class: "pill" }, "default") : null,
          ),
          h("div", { class: "company-subject mono" }, c.subject),
        ),
        h(
          "div",
          { class: "expiry" },
          c.status === "active"
            ? h("span", { class: "countdown", dataset: { expiresAt: String(c.expiresAt ?? "") } }, "–")
            : h("span", { class: "countdown expired rejected" }, "Pleo rejected the refresh token"),
          h("span", { class: "expiry-label" }, c.refreshable ? "access token · auto-refresh" : "no usable refresh token"),
        ),
        h(
          "div",
          { class: "chips" },
          (c.scopes ?? []).map((scope) => h("span", { class: "chip" }, scope)),
        ),
        companyActions(c),
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

export function tickCountdowns() {
  const now = Date.now() + state.clockOffsetMs;
  for (const node of document.querySelectorAll(".countdown[data-expires-at]")) {
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

async function callApi(button) {
  if (!state.activeSubject) return;
  let path = button.dataset.api;
  if (button.dataset.companyId) path += `?company_id=${encodeURIComponent(companyIdFromSubject(state.activeSubject))}`;
  for (const b of document.querySelectorAll("[data-api]")) b.disabled = true;
  const started = performance.now();
  try {
    let status = 200;
    let statusText = "OK";
    let body;
    try {
      body = await pleo.api(path, { company: state.activeSubject });
    } catch (err) {
      if (err?.name !== "WorkerRequestError") {
        unreachable();
        return;
      }
      status = err.status;
      statusText = "";
      body = { error: err.code, message: err.message };
    }
    renderResult({ method: "GET", path, status, statusText, elapsed: Math.round(performance.now() - started), body, text: "" });
    if (status >= 400) showWorkerError(body, status);
    else hideNotice();
    await loadSession();
  } finally {
    for (const b of document.querySelectorAll("[data-api]")) b.disabled = false;
  }
}

async function withButton(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

async function refreshNow(button) {
  await withButton(button, async () => {
    const done = await attempt(() => pleo.refresh({ company: state.activeSubject ?? undefined }));
    if (done) showNotice("ok", "Token refreshed", "The worker fetched a new access token (and stored the rotated refresh token).");
    await loadSession();
  });
}

async function disconnectCompany(connection, button) {
  await withButton(button, async () => {
    const done = await attempt(() => pleo.disconnect({ company: connection.subject }));
    if (done) {
      showNotice(
        "ok",
        "Disconnected",
        `${connection.name ?? "The company"} is disconnected for every browser; the worker revoked the tokens where Pleo allows it.`,
      );
    }
    await loadSession();
  });
}

async function logout(button) {
  await withButton(button, async () => {
    const done = await attempt(() => pleo.logout());
    if (done)
      showNotice(
        "ok",
        "Logged out",
        "This browser's session has ended. The companies stay connected for other browsers and background work.",
      );
    await loadSession();
  });
}

export function bindConnections() {
  for (const button of document.querySelectorAll("[data-api]")) button.addEventListener("click", () => callApi(button));
  $("refresh-now").addEventListener("click", (e) => refreshNow(e.currentTarget));
  $("logout").addEventListener("click", (e) => logout(e.currentTarget));
  setInterval(tickCountdowns, 1000);
}
