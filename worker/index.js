// pleo-oauth edge worker: a Backend-for-Frontend (IETF draft "OAuth 2.0 for
// Browser-Based Applications", §6.1). The browser gets an opaque sealed
// session cookie; the client secret and every token stay here and in the
// store. pleo-oauth makes every protocol decision; this file does the I/O.
//
// Runs unchanged on workerd / Cloudflare Workers (Durable Object store,
// static files from the ASSETS binding) and on Node via node.mjs (in-memory
// store, static files from disk).
import { loadConfig } from "./config.js";
import {
  LOGIN_COOKIE,
  SESSION_COOKIE,
  clearCookie,
  randomId,
  readCookie,
  seal,
  setCookie,
  unseal,
} from "./cookies.js";
import { DurableObjectStore } from "./durable-objects.js";
import { WorkerError, errorResponse, jsonResponse, redirectResponse, withSecurityHeaders } from "./http.js";
import { apiFetch, sendOAuthRequest, tokenResponseError } from "./pleo-http.js";
import { upstreamUrl } from "./api-proxy.js";
import { safeReturnTo } from "./return-to.js";

export { ConnectionObject, SessionObject } from "./durable-objects.js";

const LOGIN_TTL_MS = 10 * 60 * 1000;
const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const MAX_API_BODY_BYTES = 1024 * 1024;
// API calls pick a company with this header (or ?company=); default: the newest connection.
const COMPANY_HEADER = "X-Pleo-Company";
const SUBJECT = /^urn:pleo:[a-z-]{1,32}:[A-Za-z0-9._-]{1,128}$/;

function storeFor(env) {
  if (env.SESSIONS && env.CONNECTIONS) return new DurableObjectStore(env);
  if (env.STORE) return typeof env.STORE.bind === "function" ? env.STORE.bind(env) : env.STORE;
  throw new WorkerError(500, "server_misconfigured", "No session store is configured (SESSIONS/CONNECTIONS or STORE).");
}

function sessionTtlMs(env) {
  const seconds = Number(env.SESSION_TTL_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_SESSION_TTL_MS;
}

/** The session named by the sealed session cookie, or null. */
async function loadSession(request, config, store) {
  const sealed = readCookie(request, SESSION_COOKIE);
  if (!sealed) return null;
  const payload = await unseal(config.sessionSecret, SESSION_COOKIE, sealed);
  if (!payload || typeof payload.sid !== "string") return null;
  const session = await store.getSession(payload.sid);
  return session ? { sid: payload.sid, ...session } : null;
}

async function requireSession(request, config, store) {
  const session = await loadSession(request, config, store);
  if (!session) throw new WorkerError(401, "no_session", "You are not signed in. Connect to Pleo first.");
  if (session.connections.length === 0) {
    throw new WorkerError(401, "no_connection", "No Pleo company is connected. Connect to Pleo first.");
  }
  return session;
}

/**
 * CSRF defence for state-changing and API routes: a custom header (which a
 * cross-site form or plain link cannot send without a CORS preflight we never
 * answer) and, when the browser sends Origin, the worker's own origin.
 */
function checkCsrf(request, config) {
  if (!request.headers.has("X-Requested-With")) {
    throw new WorkerError(403, "csrf_rejected", "The request lacks the X-Requested-With header.");
  }
  const origin = request.headers.get("Origin");
  // Compared with the configured origin only: the request's own URL comes
  // from the Host header, which the client chooses.
  if (origin !== null && origin !== config.appOrigin) {
    throw new WorkerError(403, "csrf_rejected", "Cross-origin requests are not allowed.");
  }
  const site = request.headers.get("Sec-Fetch-Site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new WorkerError(403, "csrf_rejected", "Cross-site requests are not allowed.");
  }
}

/** The connection an API call or refresh applies to: X-Pleo-Company / ?company=, else the newest. */
function selectConnection(request, session) {
  const url = new URL(request.url);
  const wanted = request.headers.get(COMPANY_HEADER) ?? url.searchParams.get("company");
  if (wanted === null || wanted === "") return session.connections[0];
  const found = session.connections.find((c) => c.subject === wanted);
  if (!found) throw new WorkerError(401, "no_connection", "That company is not connected in this session.");
  return found;
}

function publicClientInfo(config) {
  const p = config.provider;
  return {
    environment: config.environment,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scopes: config.scopes,
    provider: {
      issuer: p.issuer,
      authorizationEndpoint: p.authorizationEndpoint,
      tokenEndpoint: p.tokenEndpoint,
      issParameterSupported: Boolean(p.issParameterSupported),
    },
  };
}

// ---------------------------------------------------------------- /auth/login

async function login(request, config) {
  const url = new URL(request.url);
  // The login cookie must be set on the origin Pleo will redirect back to.
  if (url.origin !== config.appOrigin) {
    return redirectResponse(`${config.appOrigin}${url.pathname}${url.search}`);
  }
  const returnTo = safeReturnTo(url.searchParams.get("return_to"));
  const company = url.searchParams.get("company");
  const options = company && SUBJECT.test(company) ? { subject: company } : undefined;
  const { url: authorizeUrl, pending } = config.client.startAuthorization(options);
  const expiresAt = Date.now() + LOGIN_TTL_MS;
  const sealed = await seal(config.sessionSecret, LOGIN_COOKIE, { txid: randomId(), pending, returnTo }, expiresAt);
  // SameSite=Lax: the redirect back from Pleo is a cross-site top-level GET.
  return redirectResponse(authorizeUrl, [
    setCookie(LOGIN_COOKIE, sealed, { maxAgeSeconds: LOGIN_TTL_MS / 1000, sameSite: "Lax" }),
  ]);
}

// ------------------------------------------------------------- /auth/callback

function callbackErrorCode(err) {
  if (err instanceof WorkerError) {
    if (err.code === "pleo_unavailable") return "pleo_unavailable";
    if (err.code === "connection_expired" || err.code === "pleo_error") return "token_error";
    return "server_error";
  }
  if (err?.name === "OAuthError") {
    if (err.code === "authorization_denied") return err.error === "access_denied" ? "access_denied" : "authorization_denied";
    if (["state_mismatch", "issuer_mismatch", "invalid_callback"].includes(err.code)) return err.code;
    return "login_invalid";
  }
  return "server_error";
}

async function introspectSubject(config, accessToken) {
  const url = upstreamUrl(config.apiBaseUrl, "/v1/introspect", "GET", "");
  const response = await apiFetch(url, { accessToken, headers: { Accept: "application/json" }, timeoutMs: config.timeoutMs });
  if (response.status >= 500) throw new WorkerError(502, "pleo_unavailable", "Pleo's API failed.");
  let body;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const subject = body?.data?.subjectURN;
  if (response.status !== 200 || typeof subject !== "string" || !SUBJECT.test(subject)) {
    throw new WorkerError(502, "pleo_error", "Pleo's API did not say which company was connected.");
  }
  const scope = typeof body.data.scope === "string" ? body.data.scope.split(/\s+/).filter(Boolean) : [];
  return { subject, scope };
}

/** The company's display name (best effort: needs companies:read). */
async function companyName(config, accessToken) {
  try {
    const url = upstreamUrl(config.apiBaseUrl, "/v1/companies", "GET", "");
    const response = await apiFetch(url, { accessToken, headers: { Accept: "application/json" }, timeoutMs: config.timeoutMs });
    if (response.status !== 200) {
      await response.body?.cancel();
      return null;
    }
    const body = await response.json();
    const name = Array.isArray(body?.data) ? body.data[0]?.name : body?.data?.name;
    return typeof name === "string" && name.trim() ? name.trim().slice(0, 200) : null;
  } catch {
    return null;
  }
}

async function callback(request, env, config, store) {
  const clearLogin = clearCookie(LOGIN_COOKIE, "Lax");
  const fail = (code) => redirectResponse(`/?auth_error=${encodeURIComponent(code)}`, [clearLogin]);

  // The transaction lives only in this browser's cookie: a callback opened in
  // another browser (cross-user session fixation) has none and fails here.
  const tx = await unseal(config.sessionSecret, LOGIN_COOKIE, readCookie(request, LOGIN_COOKIE));
  if (!tx || typeof tx.txid !== "string" || !tx.pending) return fail("login_invalid");
  // Single use, recorded server-side before anything else: a replayed cookie fails.
  if (!(await store.consumeTransaction(tx.txid, Date.now() + LOGIN_TTL_MS))) return fail("login_replayed");

  let connection;
  try {
    // state, iss, duplicates and error= are judged by pleo-oauth (RFC 6749
    // §4.1.2, RFC 9207 §2.4, RFC 9700 §4.7) before anything is surfaced.
    const { code } = config.client.handleCallback(request.url, tx.pending);
    const response = await sendOAuthRequest(config.client.tokenRequest(code, tx.pending), config.timeoutMs);
    let tokens;
    try {
      tokens = config.client.parseTokenResponse(response);
    } catch (err) {
      throw tokenResponseError(err, response.status);
    }
    const { subject, scope } = await introspectSubject(config, tokens.accessToken);
    const name = await companyName(config, tokens.accessToken);
    const now = Date.now();
    connection = {
      id: randomId(),
      subject,
      name,
      scopes: tokens.scope?.length ? tokens.scope : scope.length ? scope : config.scopes,
      tokens,
      obtainedAt: now,
      connectedAt: now,
      refreshedAt: null,
    };
  } catch (err) {
    const code = callbackErrorCode(err);
    if (code === "server_error") console.error("callback failed:", err?.name, err?.code ?? "", err?.message);
    return fail(code);
  }

  await store.connection(connection.id).create(connection);

  // A fresh session id on every login (session fixation); earlier
  // connections of this browser move over, one connection per company.
  const previous = await loadSession(request, config, store);
  const kept = [];
  for (const entry of previous?.connections ?? []) {
    if (entry.subject === connection.subject) {
      // Re-connecting a company replaces its token set. No revocation: the
      // provider may have reused the same authorisation for the new tokens.
      await store.connection(entry.id).end().catch(() => {});
    } else {
      kept.push(entry);
    }
  }
  const now = Date.now();
  const ttl = sessionTtlMs(env);
  const session = {
    createdAt: now,
    expiresAt: now + ttl,
    connections: [{ id: connection.id, subject: connection.subject, connectedAt: connection.connectedAt }, ...kept],
  };
  const sid = randomId();
  await store.putSession(sid, session);
  if (previous) await store.deleteSession(previous.sid);
  const sealed = await seal(config.sessionSecret, SESSION_COOKIE, { sid }, session.expiresAt);
  return redirectResponse(tx.returnTo ? safeReturnTo(tx.returnTo) : "/", [
    clearLogin,
    setCookie(SESSION_COOKIE, sealed, { maxAgeSeconds: ttl / 1000, sameSite: "Strict" }),
  ]);
}

// -------------------------------------------------------------- /auth/session

async function describeSession(session, store) {
  const described = [];
  for (const entry of session.connections) {
    const info = await store.connection(entry.id).describe();
    if (info) {
      const { id: _id, ...visible } = info;
      described.push({ ...visible, subject: entry.subject, default: described.length === 0 });
    } else {
      await store.removeConnection(session.sid, entry.id);
    }
  }
  return described;
}

async function sessionInfo(request, config, store) {
  const session = await loadSession(request, config, store);
  const connections = session ? await describeSession(session, store) : [];
  return jsonResponse({
    connected: connections.length > 0,
    connections,
    companyHeader: COMPANY_HEADER,
    sessionExpiresAt: session?.expiresAt ?? null,
    now: Date.now(),
    client: publicClientInfo(config),
  });
}

// ------------------------------------------------------- /auth/refresh, logout

async function withConnection(session, entry, store, fn) {
  try {
    return await fn(store.connection(entry.id));
  } catch (err) {
    if (err instanceof WorkerError && (err.code === "connection_expired" || err.code === "no_connection")) {
      await store.removeConnection(session.sid, entry.id);
      if (err.code === "no_connection") {
        throw new WorkerError(401, "connection_expired", "This connection has ended. Please connect again.");
      }
    }
    throw err;
  }
}

async function refreshNow(request, config, store) {
  checkCsrf(request, config);
  const session = await requireSession(request, config, store);
  const entry = selectConnection(request, session);
  const { connection } = await withConnection(session, entry, store, (c) => c.accessToken({ force: true }));
  const { id: _id, ...visible } = connection;
  return jsonResponse({ refreshed: true, connection: { ...visible, subject: entry.subject }, now: Date.now() });
}

async function revoke(config, tokens) {
  // RFC 7009 §2.1: revoking the refresh token also ends its access tokens at
  // most servers; revoke the access token too for those that do not.
  const attempts = [];
  if (tokens.refreshToken) attempts.push([tokens.refreshToken, "refresh_token"]);
  if (tokens.accessToken) attempts.push([tokens.accessToken, "access_token"]);
  let revoked = false;
  for (const [token, hint] of attempts) {
    let httpRequest;
    try {
      httpRequest = config.client.revocationRequest(token, hint);
    } catch {
      return false; // unsupported_operation: Pleo documents no revocation endpoint
    }
    try {
      const response = await sendOAuthRequest(httpRequest, config.timeoutMs, "revocation endpoint");
      revoked ||= response.status === 200;
    } catch {
      // Best effort: the local session ends regardless.
    }
  }
  return revoked;
}

async function logout(request, config, store) {
  checkCsrf(request, config);
  const session = await loadSession(request, config, store);
  const clear = clearCookie(SESSION_COOKIE, "Strict");
  if (!session) return jsonResponse({ connected: false, ended: 0, revoked: 0 }, 200, { "Set-Cookie": clear });
  const url = new URL(request.url);
  const only = request.headers.get(COMPANY_HEADER) ?? url.searchParams.get("company");
  const ending = only ? session.connections.filter((c) => c.subject === only) : session.connections;
  let revoked = 0;
  await Promise.all(
    ending.map(async (entry) => {
      const tokens = await store.connection(entry.id).end().catch(() => null);
      if (tokens && (await revoke(config, tokens))) revoked++;
      if (only) await store.removeConnection(session.sid, entry.id);
    }),
  );
  const remaining = session.connections.length - ending.length;
  if (only && remaining > 0) return jsonResponse({ connected: true, ended: ending.length, revoked });
  await store.deleteSession(session.sid);
  return jsonResponse({ connected: false, ended: ending.length, revoked }, 200, { "Set-Cookie": clear });
}

// ----------------------------------------------------------------- /api/<path>

async function apiProxy(request, config, store) {
  checkCsrf(request, config);
  const session = await requireSession(request, config, store);
  const entry = selectConnection(request, session);
  const url = new URL(request.url);
  const params = new URLSearchParams(url.search);
  params.delete("company");
  const search = params.toString();
  const target = upstreamUrl(config.apiBaseUrl, url.pathname.slice("/api".length), request.method, search ? `?${search}` : "");

  let body;
  const headers = { Accept: "application/json" };
  if (!["GET", "HEAD"].includes(request.method)) {
    const buffer = await request.arrayBuffer();
    if (buffer.byteLength > MAX_API_BODY_BYTES) throw new WorkerError(413, "body_too_large", "The request body is too large.");
    body = buffer;
    headers["Content-Type"] = request.headers.get("Content-Type") ?? "application/json";
  }
  // Only these headers go upstream: never the browser's cookies.
  const send = (accessToken) =>
    apiFetch(target, { method: request.method, accessToken, headers, body, timeoutMs: config.timeoutMs });

  let upstream = await withConnection(session, entry, store, async (connection) => {
    const { accessToken } = await connection.accessToken();
    let response = await send(accessToken);
    if (response.status === 401) {
      // Once: refresh (unless someone already replaced this token) and retry.
      await response.body?.cancel();
      const renewed = await connection.accessToken({ rejectedToken: accessToken });
      response = await send(renewed.accessToken);
    }
    return response;
  });

  if (upstream.status >= 500 || upstream.status === 429) {
    await upstream.body?.cancel();
    return errorResponse(502, "pleo_unavailable", `Pleo's API failed (HTTP ${upstream.status}). Please try again.`);
  }
  if (upstream.status >= 300 && upstream.status < 400) {
    await upstream.body?.cancel();
    return errorResponse(502, "pleo_error", "Pleo's API answered with a redirect.");
  }
  if (upstream.status === 401) {
    await upstream.body?.cancel();
    return errorResponse(401, "pleo_unauthorized", "Pleo rejected the connection's access token even after a refresh.");
  }
  const responseHeaders = new Headers({ "Cache-Control": "no-store", [COMPANY_HEADER]: entry.subject });
  responseHeaders.set("Content-Type", upstream.headers.get("Content-Type") ?? "application/octet-stream");
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

// --------------------------------------------------------------------- router

async function route(request, env) {
  const url = new URL(request.url);
  const { pathname } = url;
  const method = request.method;

  if (pathname.startsWith("/auth/") || pathname === "/api" || pathname.startsWith("/api/")) {
    const config = loadConfig(env);
    const store = storeFor(env);
    const routes = {
      "/auth/login": { GET: () => login(request, config) },
      [config.callbackPath]: { GET: () => callback(request, env, config, store) },
      "/auth/session": { GET: () => sessionInfo(request, config, store) },
      "/auth/refresh": { POST: () => refreshNow(request, config, store) },
      "/auth/logout": { POST: () => logout(request, config, store) },
    };
    if (pathname.startsWith("/api/")) return apiProxy(request, config, store);
    const handlers = routes[pathname];
    if (!handlers) return errorResponse(404, "not_found", "No such route.");
    const handler = handlers[method];
    if (!handler) {
      return errorResponse(405, "method_not_allowed", `Use ${Object.keys(handlers).join(" or ")}.`, {
        Allow: Object.keys(handlers).join(", "),
      });
    }
    return handler();
  }

  if (method !== "GET" && method !== "HEAD") return errorResponse(405, "method_not_allowed", "Static files are read-only.");
  if (!env.ASSETS) return errorResponse(404, "not_found", "No such file.");
  return env.ASSETS.fetch(request);
}

export default {
  async fetch(request, env, _ctx) {
    let response;
    try {
      response = await route(request, env);
    } catch (err) {
      if (err instanceof WorkerError) {
        response = errorResponse(err.status, err.code, err.message);
      } else {
        // Names and codes only: a message could in theory echo input.
        console.error("worker error:", err?.name, err?.code ?? "");
        response = errorResponse(500, "internal_error", "The worker failed unexpectedly.");
      }
    }
    // Responses from fetch()/bindings have immutable headers: copy first.
    const final = new Response(response.body, response);
    withSecurityHeaders(final.headers);
    const path = new URL(request.url).pathname;
    if (path.startsWith("/auth/") || path.startsWith("/api/")) final.headers.set("Cache-Control", "no-store");
    return final;
  },
};
