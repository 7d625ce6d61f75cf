// The whole check a route needs before it acts for a company, in one call:
// the CSRF header (for state-changing routes), a session, the company it
// selects — and then the company's own object, which knows whether that
// session still holds the company. The sealed cookie alone is not enough: it
// still names a company after a disconnect or a logout elsewhere, so a route
// built from requireSession + selectCompany read the partner's data with an
// old cookie (issue #16). Every built-in route that acts for a company uses
// this (the /api/* proxy makes the same check in its one hop, "access").
// The one place to extend when access is granted by other means (accounts).
import { WorkerError } from "../http/responses.js";
import { SUBJECT, companyObject, directory } from "../store/client.js";
import { COMPANY_HEADER, checkCsrf, requireSession, selectCompany } from "./sessions.js";
import { accountSession, identifyRequest } from "./accounts.js";

const notAllowed = () => new WorkerError(403, "company_not_allowed", "Your account did not connect that company.");

/**
 * Who acts and for which company, before the company's object is asked:
 * with createWorker({ identify }) and a signed-in partner user, the user's
 * account (a company it names must be in the directory's index for the
 * account; without one, the account's newest company there); otherwise the
 * browser session from the sealed cookie, as without identify.
 * @returns {Promise<{session: object, subject: string}>}
 */
export async function selectActor(ctx, url = new URL(ctx.request.url)) {
  const { request, config } = ctx;
  const identity = await identifyRequest(ctx);
  if (identity) {
    const wanted = request.headers.get(COMPANY_HEADER) ?? url.searchParams.get("company");
    const named = wanted !== null && wanted !== "";
    if (named && !SUBJECT.test(wanted)) throw notAllowed();
    const session = await accountSession(ctx, identity, { listCompanies: !named });
    if (named) {
      // The directory's index first, so a name the account does not hold never
      // reaches (or creates) a company's object; skipped while the access cache
      // has a young answer for this account and company (the /api/* hot path).
      const cached = ctx.app?.cache?.get(session.sid, wanted, ctx.app.cacheTtlMs);
      if (!cached && !(await directory(ctx.env).accountHolds({ account: identity.account, subject: wanted }))) throw notAllowed();
      return { session, subject: wanted };
    }
    if (session.companies.length === 0)
      throw new WorkerError(401, "no_connection", "Your account has no Pleo company connected. Connect to Pleo first.");
    return { session, subject: session.companies[0] };
  }
  const session = await requireSession(request, config);
  return { session, subject: selectCompany(request, session, url) };
}

/**
 * An account that does not hold the company is 403 company_not_allowed,
 * whether or not it is connected for someone else (no probing which companies
 * are connected); a browser session keeps its 401s, as before.
 */
export function accessError(session, err) {
  return session?.account !== undefined && (err?.code === "no_session" || err?.code === "no_connection") ? notAllowed() : err;
}

/**
 * @param {{request: Request, url?: URL, env: object, config: object}} ctx a route's context
 * @param {{csrf?: boolean}} [options] csrf: also require the CSRF header (POST routes)
 * With createWorker({ identify }) and a signed-in user, `session` is the account's
 * (`{ sid: "account:<id>", account, user, companies }`): the company's object
 * checks that the account holds the company (else 403 company_not_allowed).
 * @returns {Promise<{session: {sid: string, companies: string[], expiresAt: number}, subject: string, connection: object}>}
 * @throws {WorkerError} 401 no_session / no_connection, 403 csrf_rejected / company_not_allowed
 */
export async function requireCompanyAccess(ctx, { csrf = false } = {}) {
  const { request, url = new URL(request.url), env, config } = ctx;
  if (csrf) checkCsrf(request, config);
  const { session, subject } = await selectActor(ctx, url);
  const described = await companyObject(env, subject).describe({ sid: session.sid });
  if (!described)
    throw session.account !== undefined ? notAllowed() : new WorkerError(401, "no_connection", "This company is not connected.");
  if (!described.held)
    throw accessError(
      session,
      new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again."),
    );
  return { session, subject, connection: described.connection };
}
