// Loopback-only admin routes under {adminUrl} = {issuer}/__standin, for tests,
// load tests and the demo: counters, faults, and the routes the rooms add
// (export/admin.mjs: export jobs and settings; revokeAdminRoutes below).

import { isLoopback, readBody, sendJson } from "./http-util.mjs";
import { snapshotStats } from "./stats.mjs";

export class AdminError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function jsonBody(ctx) {
  const text = await readBody(ctx.req);
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminError(400, "invalid_request", "the body is not JSON");
  }
}

/**
 * @param {object} o
 * @param {object} o.stats
 * @param {() => object} o.getFaults
 * @param {(partial: object|null) => object} o.setFaults
 * @param {Array} [o.routes] more routes: [method, path regexp, (match, body, url) => [status, body]]
 */
export function createAdminHandler({ stats, getFaults, setFaults, routes: extra = [] }) {
  const routes = [
    ["GET", /^\/stats$/, () => [200, snapshotStats(stats)]],
    ["GET", /^\/faults$/, () => [200, getFaults()]],
    ["DELETE", /^\/faults$/, () => [200, setFaults(null)]],
    ...["POST", "PUT"].map((method) => [
      method,
      /^\/faults$/,
      (m, body) => {
        try {
          return [200, setFaults(body)];
        } catch (err) {
          throw new AdminError(400, "invalid_request", err.message);
        }
      },
    ]),
    ...extra,
  ];

  return async function handleAdmin(ctx) {
    if (!isLoopback(ctx.req.socket.remoteAddress)) return sendJson(ctx, 403, { error: "forbidden" });
    const path = ctx.path.slice("/__standin".length);
    const route = routes.find(([method, re]) => method === ctx.method && re.test(path));
    if (!route) return sendJson(ctx, 404, { error: "not_found" });
    try {
      const body = ["POST", "PUT"].includes(ctx.method) ? await jsonBody(ctx) : null;
      const [status, answer] = await route[2](route[1].exec(path), body, new URL(ctx.href));
      return sendJson(ctx, status, answer);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      // Admin errors carry both shapes: OAuth-style for the old routes' clients,
      // Pleo-style for the export routes'.
      return sendJson(ctx, err.status, {
        error: err.type,
        error_description: err.message,
        type: err.type,
        message: err.message,
      });
    }
  };
}

/**
 * `POST /companies/<subject>/revoke` → `{revoked: n}`: revokes every grant of
 * that company, so its next refresh gets invalid_grant.
 * @param {(subject: string) => number} revokeSubject
 */
export function revokeAdminRoutes(revokeSubject) {
  return [
    [
      "POST",
      /^\/companies\/([\w:%.-]{1,200})\/revoke$/,
      (m) => {
        let subject;
        try {
          subject = decodeURIComponent(m[1]);
        } catch {
          throw new AdminError(400, "invalid_request", "the company subject is not valid percent-encoding");
        }
        const revoked = revokeSubject(subject);
        return [200, { revoked }];
      },
    ],
  ];
}
