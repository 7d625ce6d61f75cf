// /auth/*: connecting companies (login → Pleo → callback), the session
// view, "Refresh now", logout (this browser) and disconnect (the company,
// for everyone). pleo-oauth makes every protocol decision; this module does
// the I/O and the bookkeeping.
import { LOGIN_COOKIE, clearCookie, randomId, readCookie, seal, setCookie, unseal } from "../session/cookies.js";
import { WorkerError, errorResponse, jsonResponse, redirectResponse } from "../http/responses.js";
import { SUBJECT, companyObject, directory } from "../store/client.js";
import { apiFetch, sendOAuthRequest, tokenResponseError } from "../pleo/pleo-http.js";
import { upstreamUrl } from "../pleo/api-allow-list.js";
import { safeReturnTo } from "../session/return-to.js";
import { loginBounce } from "../session/login-bounce.js";
import {
  COMPANY_HEADER,
  MAX_COMPANIES_PER_SESSION,
  checkCsrf,
  clearSessionCookie,
  readSession,
  sessionCookie,
  sessionTtlMs,
} from "../session/sessions.js";
import { requireCompanyAccess } from "../session/company-access.js";
import { missingExportScopes } from "../export/missing-scope.js";
import { dispatch } from "./dispatch.js";
import { accountCompanies, accountSession, identifyRequest } from "../session/accounts.js";

const LOGIN_TTL_MS = 10 * 60 * 1000;

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

async function login(ctx) {
  const { request, url, config } = ctx;
  // The login cookie must be set on the origin Pleo will redirect back to.
  if (url.origin !== config.appOrigin) return redirectResponse(`${config.appOrigin}${url.pathname}${url.search}`);
  const bounce = loginBounce(request, url); // from another site: once more, same-origin, with the session cookie
  if (bounce) return bounce;
  const askedReturnTo = url.searchParams.get("return_to");
  const returnTo = safeReturnTo(askedReturnTo);
  if (askedReturnTo !== null && returnTo !== askedReturnTo) {
    // Not silent (issue #16): a partner whose SPA passes a full URL learns why the user lands on "/".
    // The asked value is not logged (it is the client's text); its length is enough to find it.
    console.warn(
      `login: return_to rewritten to ${returnTo} (only same-origin paths outside /auth and /api are kept; asked ${askedReturnTo.length} chars)`,
    );
  }
  const company = url.searchParams.get("company");
  const options = company && SUBJECT.test(company) ? { subject: company } : undefined;
  const { url: authorizeUrl, pending } = config.client.startAuthorization(options);
  // This request is a same-site navigation, so the SameSite=Strict session
  // cookie is here; the callback (a cross-site redirect from Pleo) will not
  // see it. Carry the current session in the sealed transaction instead, so
  // connecting a second company continues this browser's session.
  const current = await readSession(request, config);
  const session = current ? { sid: current.sid, companies: current.companies } : null;
  // Partner accounts: the account of the user who starts the flow is granted
  // the company at the callback (identify runs here, on the same-site request
  // that carries the partner's own cookies).
  const identity = await identifyRequest(ctx);
  const account = identity ? identity.account : null;
  const expiresAt = Date.now() + LOGIN_TTL_MS;
  const sealed = await seal(config.sessionSecret, LOGIN_COOKIE, { txid: randomId(), pending, returnTo, session, account }, expiresAt);
  // SameSite=Lax: the redirect back from Pleo is a cross-site top-level GET.
  return redirectResponse(authorizeUrl, [setCookie(LOGIN_COOKIE, sealed, { maxAgeSeconds: LOGIN_TTL_MS / 1000, sameSite: "Lax" })]);
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

/** Which company the new tokens belong to: Pleo's GET /v1/introspect names its subject URN. */
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
  return subject;
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

async function callback({ request, env, config, app }) {
  const clearLogin = clearCookie(LOGIN_COOKIE, "Lax");
  const fail = (code) => redirectResponse(`/?auth_error=${encodeURIComponent(code)}`, [clearLogin]);

  // The transaction lives only in this browser's cookie: a callback opened in
  // another browser (cross-user session fixation) has none and fails here.
  const tx = await unseal(config.sessionSecret, LOGIN_COOKIE, readCookie(request, LOGIN_COOKIE));
  if (!tx || typeof tx.txid !== "string" || !tx.pending) return fail("login_invalid");
  // Single use, recorded server-side before anything else: a replayed cookie fails.
  const fresh = await directory(env).consumeTransaction({ txid: tx.txid, expiresAt: Date.now() + LOGIN_TTL_MS });
  if (!fresh) return fail("login_replayed");

  let subject;
  let name;
  let tokens;
  try {
    // state, iss, duplicates and error= are judged by pleo-oauth (RFC 6749
    // §4.1.2, RFC 9207 §2.4, RFC 9700 §4.7) before anything is surfaced.
    const { code } = config.client.handleCallback(request.url, tx.pending);
    const response = await sendOAuthRequest(config.client.tokenRequest(code, tx.pending), config.timeoutMs);
    try {
      // With `pending`, a response without scope gets the scopes this login asked for.
      tokens = config.client.parseTokenResponse(response, { pending: tx.pending });
    } catch (err) {
      throw tokenResponseError(err, response.status);
    }
    subject = await introspectSubject(config, tokens.accessToken);
    name = await companyName(config, tokens.accessToken);
  } catch (err) {
    const code = callbackErrorCode(err);
    if (code === "server_error") console.error("callback failed:", err?.name, err?.code ?? "");
    return fail(code);
  }

  // Partner accounts: the company is granted to the account that started the
  // flow; the browser session (and its cookie) stays as it was.
  const account = typeof tx.account === "string" && tx.account ? tx.account : null;
  if (account) {
    try {
      await companyObject(env, subject).connect({ subject, name, tokens, account });
      await directory(env).grantAccount({ account, subject });
    } catch (err) {
      console.error("storing the connection failed:", err?.name, err?.code ?? "");
      return fail("server_error");
    }
    app.cache.forgetCompany(subject);
    return redirectResponse(tx.returnTo ? safeReturnTo(tx.returnTo) : "/", [clearLogin]);
  }

  // A fresh session id on every login (session fixation); the companies of
  // the session this browser had when it started the flow move over.
  const previous = tx.session && typeof tx.session.sid === "string" ? tx.session : null;
  const sid = randomId();
  const expiresAt = Date.now() + sessionTtlMs(env);
  try {
    await companyObject(env, subject).connect({
      subject,
      name,
      tokens,
      sid,
      dropSid: previous?.sid,
      sessionExpiresAt: expiresAt,
    });
  } catch (err) {
    console.error("storing the connection failed:", err?.name, err?.code ?? "");
    return fail("server_error");
  }
  app.cache.forgetCompany(subject);
  const kept = [];
  for (const other of previous?.companies ?? []) {
    if (other === subject || !SUBJECT.test(other) || kept.length >= MAX_COMPANIES_PER_SESSION - 1) continue;
    const moved = await companyObject(env, other)
      .adoptSession({ from: previous.sid, to: sid, expiresAt })
      .catch(() => false);
    if (moved) kept.push(other);
  }
  if (previous) app.cache.forgetSession(previous.sid);
  const cookie = await sessionCookie(config, { sid, companies: [subject, ...kept], expiresAt });
  return redirectResponse(tx.returnTo ? safeReturnTo(tx.returnTo) : "/", [clearLogin, cookie]);
}

// -------------------------------------------------------------- /auth/session

async function sessionInfo(ctx) {
  const { request, env, config, app } = ctx;
  const identity = await identifyRequest(ctx);
  if (identity) return accountSessionInfo(ctx, identity);
  const session = await readSession(request, config);
  // Per company, the scopes its token lacks for the features this worker runs (issue #16).
  const exportsOn = app.hasFeature("export");
  const connections = [];
  const stillHeld = [];
  for (const subject of session?.companies ?? []) {
    let described;
    try {
      described = await companyObject(env, subject).describe({ sid: session.sid });
    } catch {
      stillHeld.push(subject); // a passing failure: keep it in the cookie, list it next time
      continue;
    }
    if (!described?.held) continue; // disconnected, or this session was logged out
    stillHeld.push(subject);
    const { history, ...visible } = described.connection;
    const missingScopes = exportsOn ? missingExportScopes(visible.scopes) : [];
    connections.push({ ...visible, missingScopes, history: history.slice(-10), default: connections.length === 0 });
  }
  const headers = {};
  // Companies disconnected elsewhere leave the cookie too.
  if (session && stillHeld.length !== session.companies.length) {
    headers["Set-Cookie"] = stillHeld.length ? await sessionCookie(config, { ...session, companies: stillHeld }) : clearSessionCookie();
  }
  return jsonResponse(
    {
      connected: connections.some((c) => c.status === "active"),
      connections,
      companyHeader: COMPANY_HEADER,
      sessionExpiresAt: stillHeld.length ? session.expiresAt : null,
      now: Date.now(),
      client: publicClientInfo(config),
    },
    200,
    headers,
  );
}

/** /auth/session for a partner's signed-in user: the companies of the user's account. */
async function accountSessionInfo(ctx, identity) {
  const { env, config, app } = ctx;
  const exportsOn = app.hasFeature("export");
  const session = await accountSession(ctx, identity);
  const described = await Promise.all(
    session.companies.map((subject) =>
      companyObject(env, subject)
        .describe({ sid: session.sid })
        .catch(() => null),
    ),
  );
  const connections = [];
  for (const one of described) {
    if (!one?.held) continue;
    const { history, ...visible } = one.connection;
    const missingScopes = exportsOn ? missingExportScopes(visible.scopes) : [];
    connections.push({ ...visible, missingScopes, history: history.slice(-10), default: connections.length === 0 });
  }
  return jsonResponse({
    connected: connections.some((c) => c.status === "active"),
    connections,
    account: identity.account,
    user: identity.user,
    companyHeader: COMPANY_HEADER,
    sessionExpiresAt: null,
    now: Date.now(),
    client: publicClientInfo(config),
  });
}

// ------------------------------------------- /auth/refresh, logout, disconnect

async function refreshNow(ctx) {
  const { env, app } = ctx;
  const { session, subject } = await requireCompanyAccess(ctx, { csrf: true });
  app.cache.forget(session.sid, subject);
  const { connection } = await companyObject(env, subject).access({ sid: session.sid, force: true });
  const { history: _history, ...visible } = connection;
  return jsonResponse({ refreshed: true, connection: visible, now: Date.now() });
}

/** Ends this browser's session only: the companies stay connected (for other browsers and background work). */
async function logout({ request, env, config, app }) {
  checkCsrf(request, config);
  const session = await readSession(request, config);
  const clear = { "Set-Cookie": clearSessionCookie() };
  if (!session) return jsonResponse({ connected: false, left: 0 }, 200, clear);
  app.cache.forgetSession(session.sid);
  let left = 0;
  await Promise.all(
    session.companies.map(async (subject) => {
      if (
        await companyObject(env, subject)
          .leave({ sid: session.sid })
          .catch(() => false)
      )
        left++;
    }),
  );
  return jsonResponse({ connected: false, left }, 200, clear);
}

/** Ends the selected company's connection for everyone (revoking where the provider can). */
async function disconnect(ctx) {
  const { env, config, app } = ctx;
  const { session, subject } = await requireCompanyAccess(ctx, { csrf: true });
  const { ended, revoked } = await companyObject(env, subject).disconnect({ sid: session.sid });
  app.cache.forgetCompany(subject);
  if (session.account !== undefined) {
    const left = await accountCompanies(env, session.account);
    return jsonResponse({ disconnected: subject, ended, revoked, connected: left.length > 0 });
  }
  const companies = session.companies.filter((c) => c !== subject);
  const cookie = companies.length ? await sessionCookie(config, { ...session, companies }) : clearSessionCookie();
  return jsonResponse({ disconnected: subject, ended, revoked, connected: companies.length > 0 }, 200, { "Set-Cookie": cookie });
}

export const authRoutes = {
  name: "auth",
  prefix: "/auth/",
  handle(ctx) {
    if (ctx.url.pathname === ctx.config.callbackPath) {
      if (ctx.request.method !== "GET") return errorResponse(405, "method_not_allowed", "Use GET.", { Allow: "GET" });
      return callback(ctx);
    }
    return dispatch(ctx, {
      "/auth/login": { GET: login },
      "/auth/session": { GET: sessionInfo },
      "/auth/refresh": { POST: refreshNow },
      "/auth/logout": { POST: logout },
      "/auth/disconnect": { POST: disconnect },
    });
  },
};
