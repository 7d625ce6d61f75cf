// The library playground tab: pleo-oauth itself (/pkg/web.js and its
// WebAssembly) running in the browser, as a public client. No secret.
import { $, h } from "./dom.js";

let currentSession = () => null;

/** The playground fills its defaults from the worker's public client info. */
export function usePlaygroundSession(getSession) {
  currentSession = getSession;
}

let libraryPromise = null;
let pending = null;
let pendingProvider = null;

export function loadLibrary() {
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
    h(
      "dl",
      { class: "kv" },
      rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
    ),
  );
}

export function fillPlaygroundDefaults() {
  const client = currentSession()?.client;
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
    const provider = currentSession()?.client?.provider;
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
      h("dt", {}, "code_verifier"),
      h("dd", {}, verifier),
      h("dt", {}, "code_challenge"),
      h("dd", {}, challenge),
      h("dt", {}, "method"),
      h("dd", {}, "S256"),
      h("dt", {}, "state"),
      h("dd", {}, stateValue),
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
      h("dt", {}, "verifier"),
      h("dd", {}, verifier),
      h("dt", {}, "challenge"),
      h("dd", {}, challenge),
      h("dt", {}, "RFC 7636 B"),
      h("dd", {}, challenge === expected ? "✓ matches the RFC" : "✗ does not match"),
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
    const scopes = $("pg-scopes")
      .value.split(/[\s,]+/)
      .filter(Boolean);
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
        h(
          "table",
          {},
          h(
            "tbody",
            {},
            params.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "mono" }, v))),
          ),
        ),
      ),
      h(
        "details",
        {},
        h("summary", {}, "Pending authorization (keep it until the callback)"),
        h("pre", {}, JSON.stringify(pending, null, 2)),
      ),
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
  if (kind === "denied")
    params.push(["error", "access_denied"], ["error_description", "The user denied the connection"], ["state", pending.state]);
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
        h(
          "dl",
          { class: "kv" },
          Object.entries(result).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
        ),
      ),
    );
  } catch (err) {
    out.replaceChildren(describeError(err));
  }
}

export function bindPlayground() {
  $("pg-generate").addEventListener("click", generatePkce);
  $("pg-vector").addEventListener("click", checkVector);
  $("pg-authorize").addEventListener("submit", buildAuthorizeUrl);
  $("pg-callback").addEventListener("submit", validateCallback);
  $("pg-provider").addEventListener("change", fillPlaygroundDefaults);
  for (const button of document.querySelectorAll("[data-fill]")) button.addEventListener("click", () => fillCallback(button.dataset.fill));
}
