// /api/<path>: the Pleo API proxy. The hot path: unseal the session cookie,
// pick the company, then one hop to the company's connection object, which
// both checks that this session may act for the company and returns a fresh
// access token (refreshing single-flight when due) — or none at all when the
// per-isolate cache (session/access-cache.js) has a young enough answer.
import { WorkerError, errorResponse } from "../http/responses.js";
import { companyObject } from "../store/client.js";
import { apiFetch } from "../pleo/pleo-http.js";
import { API_ALLOW_LIST, upstreamUrl } from "../pleo/api-allow-list.js";
import { COMPANY_HEADER, checkCsrf, requireSession, selectCompany } from "../session/sessions.js";
import { accessError, selectActor } from "../session/company-access.js";
import { readRequestBody } from "../http/read-body.js";

const MAX_API_BODY_BYTES = 1024 * 1024;

/** Without identify: the browser session from the sealed cookie and the company it selects (no hop). */
async function sessionActor(request, config, url) {
  const session = await requireSession(request, config);
  return { session, subject: selectCompany(request, session, url) };
}

async function accessToken(ctx, session, subject, rejectedToken = null) {
  const { app, env } = ctx;
  if (rejectedToken === null) {
    const cached = app.cache.get(session.sid, subject, app.cacheTtlMs);
    if (cached) return cached.accessToken;
  } else {
    app.cache.forget(session.sid, subject);
  }
  try {
    const token = await companyObject(env, subject).access({ sid: session.sid, rejectedToken });
    app.cache.set(session.sid, subject, token, app.cacheTtlMs);
    return token.accessToken;
  } catch (err) {
    if (err instanceof WorkerError) app.cache.forgetCompany(subject);
    throw accessError(session, err);
  }
}

async function proxy(ctx) {
  const { request, url, config } = ctx;
  checkCsrf(request, config);
  // Without identify: the sealed cookie, then the one hop below. With it, the
  // partner's identify first (and the directory when no company is named).
  const { session, subject } = ctx.app.options?.identify ? await selectActor(ctx, url) : await sessionActor(request, config, url);
  const params = new URLSearchParams(url.search);
  params.delete("company");
  const search = params.toString();
  const allowList = ctx.app.options?.apiAllowList ?? API_ALLOW_LIST;
  const target = upstreamUrl(config.apiBaseUrl, url.pathname.slice("/api".length), request.method, search ? `?${search}` : "", allowList);

  let body;
  const headers = { Accept: "application/json" };
  if (!["GET", "HEAD"].includes(request.method)) {
    body = await readRequestBody(request, MAX_API_BODY_BYTES);
    headers["Content-Type"] = request.headers.get("Content-Type") ?? "application/json";
  }
  // Only these headers go upstream: never the browser's cookies.
  const send = (token) => apiFetch(target, { method: request.method, accessToken: token, headers, body, timeoutMs: config.timeoutMs });

  const token = await accessToken(ctx, session, subject);
  let upstream = await send(token);
  if (upstream.status === 401) {
    // Once: refresh (unless someone already replaced this token) and retry.
    await upstream.body?.cancel();
    upstream = await send(await accessToken(ctx, session, subject, token));
  }

  if (upstream.status === 429) {
    // worker/README.md: a 429 from Pleo is passed on with its Retry-After.
    await upstream.body?.cancel();
    const retryAfter = upstream.headers.get("Retry-After");
    return errorResponse(
      429,
      "pleo_rate_limited",
      "Pleo asks to slow down. Please try again shortly.",
      retryAfter ? { "Retry-After": retryAfter } : {},
    );
  }
  if (upstream.status >= 500) {
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
  const responseHeaders = new Headers({ "Cache-Control": "no-store", [COMPANY_HEADER]: subject });
  responseHeaders.set("Content-Type", upstream.headers.get("Content-Type") ?? "application/octet-stream");
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

export const apiRoutes = {
  name: "api",
  prefix: "/api/",
  handle: proxy,
};
