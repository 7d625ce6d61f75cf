// The whole check a route needs before it acts for a company, in one call:
// the CSRF header (for state-changing routes), a session, the company it
// selects — and then the company's own object, which knows whether that
// session still holds the company. The sealed cookie alone is not enough: it
// still names a company after a disconnect or a logout elsewhere, so a route
// built from requireSession + selectCompany read the partner's data with an
// old cookie (issue #16). Every built-in route that acts for a company uses
// this (the /api/* proxy makes the same check in its one hop, "access").
// The one place to extend when access is granted by other means (accounts).
import { WorkerError } from "./http.js";
import { connectionStub } from "./connections.js";
import { checkCsrf, requireSession, selectCompany } from "./sessions.js";
import { callObject } from "./store/rpc.js";

/**
 * @param {{request: Request, url?: URL, env: object, config: object}} ctx a route's context
 * @param {{csrf?: boolean}} [options] csrf: also require the CSRF header (POST routes)
 * @returns {Promise<{session: {sid: string, companies: string[], expiresAt: number}, subject: string, connection: object}>}
 * @throws {WorkerError} 401 no_session / no_connection, 403 csrf_rejected / company_not_allowed
 */
export async function requireCompanyAccess(ctx, { csrf = false } = {}) {
  const { request, url = new URL(request.url), env, config } = ctx;
  if (csrf) checkCsrf(request, config);
  const session = await requireSession(request, config);
  const subject = selectCompany(request, session, url);
  const described = await callObject(connectionStub(env, subject), "describe", { sid: session.sid });
  if (!described) throw new WorkerError(401, "no_connection", "This company is not connected.");
  if (!described.held) throw new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again.");
  return { session, subject, connection: described.connection };
}
