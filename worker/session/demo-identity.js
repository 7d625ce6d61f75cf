// The demo's own identity (worker/README.md "Partner accounts"): a stand-in for a
// partner's sign-in, so partner accounts can be seen in `npm start`.
// `POST /demo/sign-in {"user", "account"}` (X-Requested-With) sets the sealed
// `__Host-pleo_demo_user` cookie; `POST /demo/sign-out` clears it;
// `demoIdentify` reads it for createWorker({ identify }). Without the cookie
// identify returns null and the demo uses anonymous browser sessions.
// There is no password: this is a demo of accounts, not an auth system.
import { loadConfig } from "../config/settings.js";
import { clearCookie, readCookie, seal, setCookie, unseal } from "./cookies.js";
import { WorkerError, jsonResponse } from "../http/responses.js";
import { readRequestJson } from "../http/read-body.js";
import { checkCsrf } from "./sessions.js";
import { dispatch } from "../routes/dispatch.js";

export const DEMO_USER_COOKIE = "__Host-pleo_demo_user";
const DEMO_USER_TTL_MS = 7 * 24 * 3600 * 1000;
const ID = /^[A-Za-z0-9._@-]{1,64}$/;

/** identify(request, env) for the demo worker: the demo sign-in, or null. */
export async function demoIdentify(request, env) {
  const sealed = readCookie(request, DEMO_USER_COOKIE);
  if (!sealed) return null;
  const who = await unseal(loadConfig(env).sessionSecret, DEMO_USER_COOKIE, sealed);
  return who && ID.test(who.user ?? "") && ID.test(who.account ?? "") ? { user: who.user, account: who.account } : null;
}

async function signIn({ request, config }) {
  checkCsrf(request, config);
  const body = await readRequestJson(request, 4096, null);
  const { user, account } = body ?? {};
  if (!ID.test(user ?? "") || !ID.test(account ?? "")) {
    throw new WorkerError(400, "invalid_request", 'Send {"user": "<id>", "account": "<id>"} (letters, digits, . _ @ -; at most 64).');
  }
  const expiresAt = Date.now() + DEMO_USER_TTL_MS;
  const sealed = await seal(config.sessionSecret, DEMO_USER_COOKIE, { user, account }, expiresAt);
  const cookie = setCookie(DEMO_USER_COOKIE, sealed, { maxAgeSeconds: DEMO_USER_TTL_MS / 1000, sameSite: "Strict" });
  return jsonResponse({ user, account }, 200, { "Set-Cookie": cookie, "Cache-Control": "no-store" });
}

async function signOut({ request, config }) {
  checkCsrf(request, config);
  return jsonResponse({ user: null, account: null }, 200, {
    "Set-Cookie": clearCookie(DEMO_USER_COOKIE, "Strict"),
    "Cache-Control": "no-store",
  });
}

/** The /demo/* routes, as a feature for createWorker({ features }). */
export const demoIdentityRoutes = {
  name: "demo-identity",
  prefix: "/demo/",
  handle: (ctx) => dispatch(ctx, { "/demo/sign-in": { POST: signIn }, "/demo/sign-out": { POST: signOut } }),
};
