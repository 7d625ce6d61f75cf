// The browser sessions allowed to act for a company: `conn.sessions` is
// { [session id]: expiresAt }, stored under "sessions"; the "sessions" alarm
// prunes the expired ones. `conn` is the ConnectionObject.

// Partner accounts (accounts.js): `conn.accounts` is { [account id]: grantedAt },
// stored under "accounts"; an account is asked for as the id "account:<id>".
const ACCOUNT_SID_PREFIX = "account:";

/** May session `sid` (or account "account:<id>") act for this company at `now`? (call after conn.load()) */
export function holdsSession(conn, sid, now = Date.now()) {
  if (typeof sid !== "string") return false;
  if (sid.startsWith(ACCOUNT_SID_PREFIX)) return Object.hasOwn(conn.accounts ?? {}, sid.slice(ACCOUNT_SID_PREFIX.length));
  return (conn.sessions[sid] ?? 0) > now;
}

/** Stores the sessions and sets the prune alarm to the earliest expiry. */
export async function saveSessions(conn) {
  await conn.storage.put("sessions", conn.sessions);
  const times = Object.values(conn.sessions);
  if (times.length) await conn.scheduler.schedule("sessions", Math.min(...times));
  else await conn.scheduler.cancel("sessions");
}

/** The "sessions" alarm: drops the sessions that have expired. */
export async function pruneSessions(conn, now = Date.now()) {
  await conn.load();
  for (const [sid, expiresAt] of Object.entries(conn.sessions)) if (expiresAt <= now) delete conn.sessions[sid];
  await saveSessions(conn);
}

/** Moves this company from a browser's previous session id to its new one (login rotates the id). */
export async function adoptSession(conn, { from, to, expiresAt }) {
  const record = await conn.load();
  if (!record || !holdsSession(conn, from)) return false;
  delete conn.sessions[from];
  conn.sessions[to] = expiresAt;
  await saveSessions(conn);
  return true;
}

/** Logout: this browser session loses access; the connection stays. */
export async function leaveSession(conn, { sid }) {
  await conn.load();
  if (!(sid in conn.sessions)) return false;
  delete conn.sessions[sid];
  await saveSessions(conn);
  return true;
}
