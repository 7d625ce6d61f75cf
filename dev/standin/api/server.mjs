// The stand-in's resource server: Pleo's API paths at the root, data of the
// company the token was issued for. Bearer tokens are checked against the
// authorization server in the same process, the way introspection does it.
// This file is the server (faults, authentication, routing, errors) and the
// account routes; export/routes.mjs and webhooks/routes.mjs add the rest.

import { createHmac, timingSafeEqual } from "node:crypto";

import { apiFault } from "../runtime/index.mjs";
import { byPosition, paginate, PaginationError } from "./pagination.mjs";

// Pleo's JSON content type, spelled as Pleo sends it.
export const JSON_TYPE = "application/json;charset=UTF-8";
const JSON_HEADERS = { "content-type": JSON_TYPE, "cache-control": "no-store" };

export class ApiError extends Error {
  constructor(status, type, message, headers = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.headers = headers;
  }
}

// RFC 6750 §3.1: no error code when the request carried no token at all.
const unauthorized = (message, missing = false) =>
  new ApiError(401, "UNAUTHORIZED", message, {
    "www-authenticate": missing ? 'Bearer realm="pleo"' : 'Bearer realm="pleo", error="invalid_token"',
  });

// Pleo answers a missing permission with 403 Access_Denied (facts, "Errors").
export const accessDenied = (message, headers = {}) => new ApiError(403, "Access_Denied", message, headers);

export function requireScope(auth, scope) {
  if (!auth.scopes.has(scope)) {
    throw accessDenied(`This operation requires the scope ${scope}`, {
      "www-authenticate": `Bearer realm="pleo", error="insufficient_scope", scope="${scope}"`,
    });
  }
}

/** Reads a JSON body: an object, or with `arrays` also an array. */
export async function readJson(req, { limit = 1024 * 1024, arrays = false } = {}) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, "PAYLOAD_TOO_LARGE", "request body too large");
    chunks.push(chunk);
  }
  if (!size) return {};
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== "object" || (Array.isArray(value) && !arrays)) {
    throw new ApiError(400, "BAD_REQUEST", `request body must be a JSON object${arrays ? " or array" : ""}`);
  }
  return value;
}

/** Signed receipt URLs that work for 24 hours, as Pleo's (ExportItemFile.url). */
export function createReceiptSigner(key, apiBaseUrl, lifetimeMs = 24 * 3_600_000) {
  const mac = (path, expires) => createHmac("sha256", key).update(`${path}\n${expires}`).digest("base64url");
  // A function: the stand-in's receiptLinkTtl setting, read when a link is made.
  const lifetime = () => (typeof lifetimeMs === "function" ? lifetimeMs() : lifetimeMs);
  return {
    /** The link of an entry's receipt; `jobId` for the job's generated receipts (export/receipt-files.mjs). */
    url(entryId, index, jobId) {
      const path = jobId ? `/receipts/${jobId}/${entryId}/${index + 1}.pdf` : `/receipts/${entryId}/${index + 1}.pdf`;
      const expires = Math.ceil((Date.now() + lifetime()) / 1000);
      return `${apiBaseUrl}${path}?expires=${expires}&signature=${mac(path, expires)}`;
    },
    valid(path, query) {
      const expires = Number(query.get("expires"));
      const given = Buffer.from(query.get("signature") ?? "");
      const wanted = Buffer.from(mac(path, expires));
      return Number.isInteger(expires) && expires * 1000 > Date.now() && given.length === wanted.length && timingSafeEqual(given, wanted);
    },
  };
}

/**
 * @param {object} ctx
 * @param {object} ctx.provider oidc-provider
 * @param {string} ctx.resource the API's resource indicator
 * @param {object} ctx.dataset companies
 * @param {object} ctx.stats counters
 * @param {() => object} ctx.getFaults
 * @param {string} ctx.applicationName
 * @param {Array} ctx.routes more routes: [method, path regexp, handler({auth, query, match, req})]
 * @param {Array} ctx.publicRoutes routes without a bearer: [method, regexp, (match, query, res) => void]
 * @param {object} [ctx.contract] contract-check.mjs: requests checked against Pleo's documents, answers recorded
 */
export function createApiHandler(ctx) {
  const { provider, resource, dataset, stats, getFaults, applicationName, routes: extra = [], publicRoutes = [], contract } = ctx;

  async function authenticate(req) {
    const header = req.headers.authorization;
    const m = header && /^Bearer ([\x21-\x7e]+)$/i.exec(header);
    if (!m) throw unauthorized("Missing bearer token", !header);
    const token = await provider.AccessToken.find(m[1]).catch(() => undefined);
    if (!token || !token.isValid) throw unauthorized("The access token is invalid, expired or revoked");
    // Revocation and refresh-token reuse destroy the grant: its tokens die with it.
    const grant = token.grantId && (await provider.Grant.find(token.grantId));
    if (!grant || grant.accountId !== token.accountId) throw unauthorized("The access token has been revoked");
    if (token.aud !== undefined && token.aud !== resource) throw unauthorized("The access token is not meant for this API");
    const entry = dataset.bySubject.get(token.accountId);
    if (!entry) throw unauthorized("Unknown company");
    return {
      token,
      scopes: new Set((token.scope ?? "").split(" ").filter(Boolean)),
      entry,
      companyId: entry.company.id,
    };
  }

  // [method, path regexp, handler({auth, query, match, req})]
  const routes = [
    [
      "GET",
      /^\/v1\/introspect$/,
      ({ auth }) => ({
        data: {
          authMethod: "OAUTH",
          clientId: auth.token.clientId,
          scope: auth.token.scope ?? "",
          applicationName,
          subjectURN: auth.entry.company.subject,
        },
      }),
    ],
    [
      "GET",
      /^\/v2\/employees$/,
      ({ auth, query }) => {
        requireScope(auth, "users:read");
        return paginate(byPosition(auth.entry.employees), query);
      },
    ],
    [
      "GET",
      /^\/v1\/companies$/,
      ({ auth, query }) => {
        requireScope(auth, "companies:read");
        const { subject, ...company } = auth.entry.company;
        return paginate(byPosition([company]), query);
      },
    ],
    ...extra,
  ];

  return async function handleApi(req, res) {
    stats.apiRequests += 1;
    let url = null;
    const send = (status, body, headers = {}) => {
      if (status === 401) stats.apiUnauthorized += 1;
      if (status === 403) stats.apiForbidden += 1;
      if (contract && url) contract.response(req.method, url, status, body === undefined ? "" : JSON.stringify(body));
      if (body === undefined) {
        res.writeHead(status, { "cache-control": "no-store", "content-length": "0", ...headers });
        res.end();
        return;
      }
      res.writeHead(status, { ...JSON_HEADERS, ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      url = new URL(req.url, "http://api.invalid");
      const publicRoute = publicRoutes.find(([method, re]) => method === req.method && re.test(url.pathname));
      if (publicRoute) return await publicRoute[2](publicRoute[1].exec(url.pathname), url.searchParams, res, url.pathname);
      const fault = await apiFault(getFaults(), stats);
      if (fault) throw new ApiError(fault.status, fault.type, fault.message, fault.headers);
      const candidates = routes.filter(([, re]) => re.test(url.pathname));
      if (!candidates.length) throw new ApiError(404, "NOT_FOUND", `No resource at ${url.pathname}`);
      const route = candidates.find(([method]) => method === req.method);
      if (!route) {
        throw new ApiError(405, "METHOD_NOT_ALLOWED", `${req.method} is not supported here`, {
          allow: [...new Set(candidates.map(([method]) => method))].join(", "),
        });
      }
      const auth = await authenticate(req);
      const checked = contract ? await contract.request(req, url) : req;
      const result = await route[2]({
        auth,
        query: url.searchParams,
        match: route[1].exec(url.pathname),
        req: checked,
      });
      const [status, body] = Array.isArray(result) ? result : [200, result];
      return send(status, body);
    } catch (err) {
      if (err instanceof PaginationError) return send(400, { type: "BAD_REQUEST", message: err.message });
      if (Number.isInteger(err.status) && typeof err.type === "string") {
        return send(err.status, { type: err.type, message: err.message }, err.headers);
      }
      console.error("stand-in API error:", err);
      return send(500, { type: "INTERNAL_SERVER_ERROR", message: "Unexpected error" });
    }
  };
}
