// Demo page for pleo-oauth: the entry. Three views, one module each —
// connections.js (this browser's companies, the API buttons), playground.js
// (pleo-oauth itself in the browser) and, when present, an export view —
// plus the notices and address-bar hygiene here. Talks only to the worker on
// this origin; never sees a token.
import { bindConnections, currentSession, loadSession } from "./connections.js";
import { bindDemoIdentity } from "./demo-identity.js";
import { $, hideNotice, showNotice } from "./dom.js";
import { AUTH_ERRORS } from "./messages.js";
import { bindPlayground, fillPlaygroundDefaults, loadLibrary, usePlaygroundSession } from "./playground.js";

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

// ---------------------------------------------------------------------- tabs

const TABS = () => [...document.querySelectorAll('[role="tab"]')].map((tab) => tab.id.replace("tab-", ""));

function selectTab(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (name === "playground") loadLibrary().catch(() => {});
}

function bindTabs() {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => {
      const name = tab.id.replace("tab-", "");
      history.replaceState(history.state, "", name === "connections" ? location.pathname + location.search : `#${name}`);
      selectTab(name);
    });
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const names = TABS();
      const step = event.key === "ArrowRight" ? 1 : names.length - 1;
      const next = names[(names.indexOf(tab.id.replace("tab-", "")) + step) % names.length];
      selectTab(next);
      $(`tab-${next}`).focus();
    });
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
  bindTabs();
  bindConnections();
  bindDemoIdentity();
  usePlaygroundSession(currentSession);
  bindPlayground();
  loadSession().then(fillPlaygroundDefaults);
  const wanted = location.hash.slice(1);
  selectTab(TABS().includes(wanted) ? wanted : "connections");
}

init();
