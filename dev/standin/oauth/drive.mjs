// Drives the stand-in's sign-in and consent pages over plain HTTP, the way a
// user pressing the buttons would, for tests and load tests (no browser).

import { DEMO_USER } from "../api/index.mjs";

// Minimal cookie jar: name/value per origin with Path matching, enough for
// oidc-provider's session and interaction cookies over http://127.0.0.1.
export class CookieJar {
  #cookies = new Map(); // `${origin} ${path} ${name}` -> { origin, path, name, value }

  store(url, response) {
    const { origin, pathname } = new URL(url);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = pathname.replace(/\/[^/]*$/, "") || "/";
      let expired = value === "";
      for (const attr of attrs) {
        const [k, v = ""] = attr.split("=");
        const key = k.trim().toLowerCase();
        if (key === "path") path = v.trim() || "/";
        if (key === "max-age" && Number(v) <= 0) expired = true;
        if (key === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${origin} ${path} ${name}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { origin, path, name, value });
    }
  }

  header(url) {
    const { origin, pathname } = new URL(url);
    const matches = [...this.#cookies.values()].filter(
      (c) => c.origin === origin && (pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)),
    );
    // Longer paths first, as browsers do.
    matches.sort((a, b) => b.path.length - a.path.length);
    return matches.map((c) => `${c.name}=${c.value}`).join("; ");
  }
}

const decodeEntities = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? "");
  return attrs;
}

// The first <form> of a stand-in page: its id, action and input fields.
function parseForm(html) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const attrs = attributes(form[1]);
  const inputs = [...form[2].matchAll(/<input\b[^>]*>/gi)].map((m) => attributes(m[0].slice(6, -1)));
  return { id: attrs.id, action: attrs.action, inputs };
}

const isRedirect = (status) => status >= 300 && status < 400;

/**
 * Follows an authorization URL through the stand-in's login and consent pages.
 * @param {string} authorizeUrl the full authorization request URL
 * @param {object} [opts]
 * @param {number|string} [opts.company] index into the consent page's companies, or a subject URN
 *   (default: the pre-selected one, as when the user just presses the button)
 * @param {boolean} [opts.deny=false] press "Deny" instead of "Allow"
 * @param {CookieJar} [opts.jar] reuse a browser session across flows (default: a fresh one)
 * @param {string} [opts.email] / [opts.password] override the pre-filled credentials
 * @returns {Promise<string>} the redirect to the client's redirect_uri (not fetched)
 */
export async function completeAuthorization(authorizeUrl, opts = {}) {
  const { company, deny = false, jar = new CookieJar() } = opts;
  const redirectUri = new URL(authorizeUrl).searchParams.get("redirect_uri");
  const origin = new URL(authorizeUrl).origin;
  const isClientRedirect = (url) =>
    redirectUri ? `${url.origin}${url.pathname}` === new URL(redirectUri).href.replace(/[?#].*$/, "") : url.origin !== origin;

  let url = authorizeUrl;
  let init = { method: "GET" };
  for (let step = 0; step < 20; step += 1) {
    const headers = { ...init.headers, accept: "text/html" };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    jar.store(url, res);

    if (isRedirect(res.status)) {
      await res.arrayBuffer();
      const next = new URL(res.headers.get("location"), url);
      if (isClientRedirect(next)) return next.href;
      url = next.href;
      init = { method: "GET" };
      continue;
    }

    const html = await res.text();
    const form = res.status === 200 || res.status === 401 ? parseForm(html) : undefined;
    if (form?.id === "login" && res.status === 200) {
      const body = new URLSearchParams({
        email: opts.email ?? DEMO_USER.email,
        password: opts.password ?? DEMO_USER.password,
      });
      url = new URL(form.action, url).href;
      init = { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } };
      continue;
    }
    if (form?.id === "consent") {
      const radios = form.inputs.filter((i) => i.name === "company");
      const choices = radios.map((i) => i.value);
      let chosen;
      if (company === undefined) chosen = (radios.find((i) => "checked" in i) ?? radios[0])?.value;
      else chosen = typeof company === "number" ? choices[company] : company;
      if (!chosen || !choices.includes(chosen)) {
        throw new Error(`stand-in consent page has no company ${JSON.stringify(company)}`);
      }
      const body = new URLSearchParams({ company: chosen, decision: deny ? "deny" : "allow" });
      url = new URL(form.action, url).href;
      init = { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } };
      continue;
    }
    // An error page (bad client, bad redirect_uri, wrong password, ...).
    const text = html
      .replace(/<style[\s\S]*?<\/style>/gi, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    throw new Error(`stand-in answered ${res.status} at ${new URL(url).pathname}: ${text.slice(0, 300)}`);
  }
  throw new Error("stand-in authorization did not finish within 20 steps");
}

const basicAuth = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

async function tokenRequest(info, form) {
  const res = await fetch(info.tokenEndpoint, {
    method: "POST",
    headers: {
      authorization: basicAuth(info.clientId, info.clientSecret),
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams(form),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(`token endpoint answered ${res.status} ${body.error ?? ""}`), { status: res.status, body });
  return body;
}

/**
 * The whole authorization code + PKCE flow over plain HTTP (no pleo-oauth
 * package needed): authorize, sign in, consent for `company`, exchange the
 * code with client_secret_basic. For tests and load tests of the API.
 * @param {object} info the STANDIN_READY object
 * @param {object} [opts]
 * @param {number|string} [opts.company] index or subject URN
 * @param {string[]} [opts.scopes] default: every export scope + users:read + companies:read
 * @returns {Promise<{access_token, refresh_token, expires_in, scope, token_type}>}
 */
export async function obtainTokens(info, opts = {}) {
  const { createHash, randomBytes } = await import("node:crypto");
  const verifier = randomBytes(32).toString("base64url");
  const redirectUri = info.redirectUris[0];
  const scopes = opts.scopes ?? ["users:read", "companies:read", "export-jobs:read", "export-jobs:write", "export-items:read"];
  const url = new URL(info.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: info.clientId,
    redirect_uri: redirectUri,
    scope: scopes.join(" "),
    state: randomBytes(12).toString("base64url"),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();
  const callback = new URL(await completeAuthorization(url.href, opts));
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`authorization failed: ${callback.searchParams.get("error")}`);
  return tokenRequest(info, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

/** A refresh_token grant; throws with .status/.body on an error answer. */
export function refreshTokens(info, refreshToken) {
  return tokenRequest(info, { grant_type: "refresh_token", refresh_token: refreshToken });
}
