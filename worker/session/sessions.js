// Browser sessions and CSRF. A session is access, not ownership: the sealed
// `__Host-pleo_session` cookie carries `{ sid, companies }` — a random
// session id and the subject URNs this browser connected, newest first —
// and each company's connection object keeps the session ids allowed to act
// for it. Logging out removes this browser's id from those companies; the
// connections stay. There is no session object on the API hot path.
import { SESSION_COOKIE, clearCookie, readCookie, seal, setCookie, unseal } from "./cookies.js";
import { WorkerError } from "../http/responses.js";

const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
// Keeps the sealed cookie well under the 4 KiB browsers store per cookie.
export const MAX_COMPANIES_PER_SESSION = 30;
export const COMPANY_HEADER = "X-Pleo-Company";

export function sessionTtlMs(env) {
  const seconds = Number(env.SESSION_TTL_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_SESSION_TTL_MS;
}

// Opened cookies, per isolate: the same sealed string always opens to the
// same payload (AES-GCM authenticated it the first time), so a steady stream
// of API calls decrypts each cookie once. Keyed by secret and cookie value;
// the expiry is checked on every use.
const opened = new Map();
const MAX_OPENED = 5000;

/** `{ sid, companies, expiresAt }` from the sealed cookie, or null. */
export async function readSession(request, config, now = Date.now()) {
  const sealed = readCookie(request, SESSION_COOKIE);
  if (!sealed) return null;
  const key = `${config.sessionSecret}\u0000${sealed}`;
  let session = opened.get(key);
  if (session === undefined) {
    const payload = await unseal(config.sessionSecret, SESSION_COOKIE, sealed, now);
    session =
      payload && typeof payload.sid === "string" && Array.isArray(payload.companies) && typeof payload.exp === "number"
        ? Object.freeze({
            sid: payload.sid,
            companies: Object.freeze(payload.companies.filter((c) => typeof c === "string")),
            expiresAt: payload.exp,
          })
        : null;
    if (session) {
      if (opened.size >= MAX_OPENED) opened.clear();
      opened.set(key, session);
    }
  }
  return session && session.expiresAt > now ? session : null;
}

export async function requireSession(request, config) {
  const session = await readSession(request, config);
  if (!session) throw new WorkerError(401, "no_session", "You are not signed in. Connect to Pleo first.");
  return session;
}

/** The Set-Cookie header for a session. */
export async function sessionCookie(config, { sid, companies, expiresAt }) {
  const sealed = await seal(config.sessionSecret, SESSION_COOKIE, { sid, companies, exp: expiresAt }, expiresAt);
  return setCookie(SESSION_COOKIE, sealed, { maxAgeSeconds: (expiresAt - Date.now()) / 1000, sameSite: "Strict" });
}

export function clearSessionCookie() {
  return clearCookie(SESSION_COOKIE, "Strict");
}

/**
 * The company a request acts for: `X-Pleo-Company` or `?company=`, default
 * the session's newest. SECURITY.md: a company this session did not connect
 * is 403 whatever names it.
 */
export function selectCompany(request, session, url = new URL(request.url)) {
  const wanted = request.headers.get(COMPANY_HEADER) ?? url.searchParams.get("company");
  if (wanted === null || wanted === "") {
    if (session.companies.length === 0) throw new WorkerError(401, "no_connection", "No Pleo company is connected. Connect to Pleo first.");
    return session.companies[0];
  }
  if (!session.companies.includes(wanted)) {
    throw new WorkerError(403, "company_not_allowed", "This browser session did not connect that company.");
  }
  return wanted;
}

/**
 * CSRF defence for state-changing and API routes: a custom header (which a
 * cross-site form or plain link cannot send without a CORS preflight we never
 * answer) and, when the browser sends Origin, the worker's own origin.
 */
export function checkCsrf(request, config) {
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
