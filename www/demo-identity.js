// The demo's own sign-in (worker/README.md "Partner accounts"): a stand-in for a
// partner's auth. Signed in, the worker's identify names this user and
// account, and the page shows the account's companies, in any browser.
// Signed out, anonymous browser sessions as before.
import { loadSession } from "./connections.js";
import { $, showNotice } from "./dom.js";

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "X-Requested-With": "fetch", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(json?.message ?? `HTTP ${response.status}`);
  return json;
}

function render(session) {
  const signedIn = typeof session?.account === "string";
  $("demo-identity-text").textContent = signedIn
    ? `Signed in as ${session.user} (account ${session.account})`
    : "Not signed in (anonymous browser session)";
  $("demo-sign-in").hidden = signedIn;
  $("demo-sign-out").hidden = !signedIn;
}

export function bindDemoIdentity() {
  if (!$("demo-identity")) return;
  document.addEventListener("pleo:session", (e) => render(e.detail));
  $("demo-sign-in").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await post("/demo/sign-in", { user: $("demo-user").value.trim(), account: $("demo-account").value.trim() });
    } catch (err) {
      showNotice("error", "Sign-in refused", err.message);
    }
    await loadSession();
  });
  $("demo-sign-out").addEventListener("click", async () => {
    try {
      await post("/demo/sign-out");
    } catch (err) {
      showNotice("error", "Sign-out failed", err.message);
    }
    await loadSession();
  });
}
