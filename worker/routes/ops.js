// /ops/*: the operator console for the partner's staff (docs/OPERATIONS.md),
// not for their customers. Off unless OPS_TOKEN is set (then /ops/*
// is 404). Every /ops/api/* request needs `Authorization: Bearer <OPS_TOKEN>`;
// a customer's session cookie is not enough (401 ops_unauthorized).
//
//   GET  /ops/api/companies?status=&q=&cursor=&limit=   a page of the directory's summary rows
//   GET  /ops/api/companies/<subject>                   one company: row, history, export jobs
//   POST /ops/api/companies/<subject>/export-run        202 { started, jobId }
//   POST /ops/api/companies/<subject>/refresh           refresh now (single-flight in the company's object)
//   POST /ops/api/companies/<subject>/disconnect        as POST /auth/disconnect, for any company
//   GET  /ops/  (and its ops.js, ops.css)               the operator page (worker/ops-page/, through ASSETS)
//
// CSRF: the bearer token travels in a header that a browser never attaches
// by itself (unlike a cookie), so a cross-site form or fetch cannot act with
// it; the POST routes need no CSRF header. The listing reads the directory
// only (one Durable Object), never every company's object.
import { WorkerError, errorResponse, jsonResponse } from "../http/responses.js";
import { SUBJECT, companyObject, directory } from "../store/client.js";
import { ROW_STATUSES } from "../store/directory-object.js";

export const OPS_TOKEN_MIN_LENGTH = 16;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const MAX_Q = 200;
const PAGE_FILES = { "/ops/": "/ops/", "/ops/index.html": "/ops/", "/ops/ops.js": "/ops/ops.js", "/ops/ops.css": "/ops/ops.css" };

const unauthorized = () =>
  errorResponse(401, "ops_unauthorized", "The operator API needs Authorization: Bearer <OPS_TOKEN>.", {
    "WWW-Authenticate": 'Bearer realm="ops"',
  });

// One random HMAC key per isolate: both tokens are MACed with it and the
// two equal-length digests compared without an early exit, so the time
// taken says nothing about how much of a guess was right.
let macKey = null;
async function mac(text) {
  macKey ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", await macKey, new TextEncoder().encode(text)));
}

/** Is the request's bearer token OPS_TOKEN? Compared in constant time. */
export async function opsAuthorized(request, opsToken) {
  const match = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i.exec(request.headers.get("Authorization") ?? "");
  const [given, expected] = await Promise.all([mac(match ? match[1] : ""), mac(opsToken)]);
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= given[i] ^ expected[i];
  return Boolean(match) && diff === 0;
}

function opsToken(env) {
  const token = typeof env.OPS_TOKEN === "string" ? env.OPS_TOKEN.trim() : "";
  if (!token) return null;
  if (token.length < OPS_TOKEN_MIN_LENGTH) {
    throw new WorkerError(500, "server_misconfigured", `OPS_TOKEN must be at least ${OPS_TOKEN_MIN_LENGTH} characters.`);
  }
  return token;
}

// ------------------------------------------------------------ the cursor

const toBase64Url = (text) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

const encodeCursor = (after) => (after === null ? null : toBase64Url(JSON.stringify({ after })));

function decodeCursor(text) {
  if (text === null || text === "") return null;
  try {
    if (text.length > 1024) throw new Error("long");
    const { after } = JSON.parse(fromBase64Url(text));
    if (typeof after !== "string") throw new Error("shape");
    return after;
  } catch {
    throw new WorkerError(400, "invalid_cursor", "cursor must be a nextCursor from an earlier answer.");
  }
}

// ------------------------------------------------------------ the routes

/** The listing's query, checked: garbage is a 400, never a guess. */
export function listingQuery(params) {
  const status = params.get("status") || null;
  if (status !== null && !ROW_STATUSES.includes(status)) {
    throw new WorkerError(400, "invalid_request", `status must be one of ${ROW_STATUSES.join(", ")}.`);
  }
  const q = (params.get("q") ?? "").trim();
  if (q.length > MAX_Q) throw new WorkerError(400, "invalid_request", `q must be at most ${MAX_Q} characters.`);
  const rawLimit = params.get("limit");
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== null && rawLimit !== "") {
    if (!/^[0-9]{1,6}$/.test(rawLimit)) throw new WorkerError(400, "invalid_request", `limit must be a whole number (1..${MAX_LIMIT}).`);
    limit = Math.min(MAX_LIMIT, Math.max(1, Number(rawLimit)));
  }
  return { status, q, limit, after: decodeCursor(params.get("cursor")) };
}

async function listCompanies(ctx) {
  const { status, q, limit, after } = listingQuery(ctx.url.searchParams);
  const page = await directory(ctx.env).page({ status, q, limit, after });
  return jsonResponse({ companies: page.rows.map(publicRow), nextCursor: encodeCursor(page.after), counts: page.counts });
}

/** The row as docs/OPERATIONS.md shows it (the directory's bookkeeping field stays inside). */
function publicRow({ updatedAt: _updatedAt, ...row }) {
  return row;
}

/** The company's row in the directory, or a 404: actions never wake objects of unknown subjects. */
async function knownCompany(ctx, encoded) {
  let subject;
  try {
    subject = decodeURIComponent(encoded);
  } catch {
    subject = "";
  }
  if (!SUBJECT.test(subject))
    throw new WorkerError(400, "invalid_company", "A company is named by its subject URN (urn:pleo:company:<id>).");
  const row = await directory(ctx.env).row({ subject });
  if (!row) throw new WorkerError(404, "not_found", "No connected company with that subject.");
  return { subject, row };
}

async function companyDetail(ctx, encoded) {
  const { subject, row } = await knownCompany(ctx, encoded);
  const company = companyObject(ctx.env, subject);
  const described = await company.describe();
  if (!described) throw new WorkerError(404, "not_found", "No connected company with that subject.");
  const { history, refreshable, reconnectedAt } = described.connection;
  const exports = exportsOn(ctx) ? await company.call("operatorExportJobs") : { jobs: [], running: null };
  return jsonResponse({
    ...publicRow(row),
    reconnectedAt,
    refreshable,
    history: [...history].reverse(), // newest first
    exports,
  });
}

/**
 * Is the export feature in this worker (createWorker's `builtins` may leave it out)?
 * The console then uses its public methods operatorExportJobs / operatorRunExport (export/connection.js).
 */
function exportsOn(ctx) {
  return ctx.app.hasFeature("export");
}

async function exportRun(ctx, encoded) {
  const { subject } = await knownCompany(ctx, encoded);
  if (!exportsOn(ctx)) throw new WorkerError(404, "not_found", "Exports are not enabled on this worker.");
  const result = await objectCall(() => companyObject(ctx.env, subject).call("operatorRunExport"));
  if (result?.retryAfterMs !== undefined) {
    return errorResponse(429, "pleo_rate_limited", "Pleo asks to slow down; the worker looks again shortly.", {
      "Retry-After": String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))),
    });
  }
  return jsonResponse({ started: result.started, jobId: result.jobId }, 202);
}

async function refresh(ctx, encoded) {
  const { subject } = await knownCompany(ctx, encoded);
  const connection = await objectCall(() => companyObject(ctx.env, subject).operatorRefresh());
  ctx.app.cache.forgetCompany(subject);
  const { history: _history, ...visible } = connection;
  return jsonResponse({ refreshed: true, connection: visible, now: Date.now() });
}

async function disconnect(ctx, encoded) {
  const { subject } = await knownCompany(ctx, encoded);
  const { ended, revoked } = await companyObject(ctx.env, subject).disconnect();
  ctx.app.cache.forgetCompany(subject);
  return jsonResponse({ disconnected: subject, ended, revoked });
}

/**
 * The company's errors as the console should read them: a 401 from the
 * object (connection_expired: Pleo refused the refresh token) is a 409
 * here, so that 401 on /ops/api always means "wrong operator token".
 */
async function objectCall(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkerError && err.status === 401) throw new WorkerError(409, err.code, err.message);
    throw err;
  }
}

async function api(ctx) {
  const { pathname } = ctx.url;
  const method = ctx.request.method;
  const allow = (methods, fn) => {
    if (methods.includes(method)) return fn();
    return errorResponse(405, "method_not_allowed", `Use ${methods.join(" or ")}.`, { Allow: methods.join(", ") });
  };
  if (pathname === "/ops/api/companies") return allow(["GET"], () => listCompanies(ctx));
  const m = /^\/ops\/api\/companies\/([^/]+)(?:\/(export-run|refresh|disconnect))?$/.exec(pathname);
  if (!m) return errorResponse(404, "not_found", "No such route.");
  const [, subject, action] = m;
  if (!action) return allow(["GET"], () => companyDetail(ctx, subject));
  const handlers = { "export-run": exportRun, refresh, disconnect };
  return allow(["POST"], () => handlers[action](ctx, subject));
}

async function handle(ctx) {
  const token = opsToken(ctx.env);
  if (!token) return errorResponse(404, "not_found", "No such route.");
  const { pathname } = ctx.url;
  if (pathname === "/ops") return new Response(null, { status: 308, headers: { Location: "/ops/" } });
  if (pathname.startsWith("/ops/api/")) {
    if (!(await opsAuthorized(ctx.request, token))) return unauthorized();
    return api(ctx);
  }
  // The page itself holds no data: it asks for the token and calls /ops/api.
  const file = PAGE_FILES[pathname];
  if (!file || !ctx.env.ASSETS) return errorResponse(404, "not_found", "No such file.");
  if (ctx.request.method !== "GET" && ctx.request.method !== "HEAD")
    return errorResponse(405, "method_not_allowed", "Use GET.", { Allow: "GET" });
  const url = new URL(file, ctx.url);
  return ctx.env.ASSETS.fetch(new Request(url, { method: ctx.request.method }));
}

export const opsRoutes = {
  name: "ops",
  // "/ops" too (not only "/ops/"): without OPS_TOKEN it must be a 404 here,
  // not a static-assets lookup that might serve the page or redirect to it.
  prefix: "/ops",
  handle,
};
