// Partner accounts (worker/README.md "Partner accounts"): with createWorker({ identify }),
// `identify(request, env)` names the partner's signed-in user
// `{ user, account }` (or null), and a connection is granted to the account
// that connected it. Inside the company's object an account is held like a
// session under the id "account:<account id>" (store/connection/object.js `holds`), so
// every check that takes a session id (describe, access, the features'
// `holds`) takes an account too. Browser session ids (randomId) never
// contain ":", so the two cannot meet.
import { WorkerError } from "../http/responses.js";
import { directory } from "../store/client.js";

export const ACCOUNT_SID_PREFIX = "account:";
const MAX_ID_LENGTH = 200;

const validId = (v) => typeof v === "string" && v.length > 0 && v.length <= MAX_ID_LENGTH && !/[\u0000-\u001f]/.test(v);

/** The partner's signed-in user for this request, `{ user, account }`, or null (no identify, nobody signed in). Asked once per request. */
export async function identifyRequest(ctx) {
  const identify = ctx.app?.options?.identify;
  if (typeof identify !== "function") return null;
  if (ctx.identity !== undefined) return ctx.identity;
  const who = await identify(ctx.request, ctx.env);
  if (who == null) return (ctx.identity = null);
  if (!validId(who.user) || !validId(who.account)) {
    throw new WorkerError(500, "server_misconfigured", "identify(request, env) must return { user, account } (non-empty strings) or null.");
  }
  return (ctx.identity = { user: who.user, account: who.account });
}

/** The subject URNs granted to an account (the directory's index), newest first. */
export async function accountCompanies(env, account) {
  return directory(env).accountCompanies({ account });
}

/**
 * A session-shaped view of an account for the routes: `sid` is the
 * account's id in the company objects; `companies` is filled from the
 * directory only when `listCompanies` (a request that names no company).
 */
export async function accountSession(ctx, identity, { listCompanies = true } = {}) {
  const companies = listCompanies ? await accountCompanies(ctx.env, identity.account) : [];
  return {
    sid: `${ACCOUNT_SID_PREFIX}${identity.account}`,
    companies,
    expiresAt: null,
    account: identity.account,
    user: identity.user,
  };
}
