// The company's token set inside its ConnectionObject (`conn`, object.js):
// what the browser may see of it, a usable access token on demand, one
// refresh at a time (single flight: everyone arriving during a refresh
// shares its outcome, because Pleo rotates refresh tokens and revokes the
// whole authorisation when an old one is presented again), how one refresh
// is sent and judged, and the keep-alive that stops an unused refresh token
// expiring.
//
// What a kill at each step of a refresh leaves (worker/README.md "Tokens,
// refresh and keep-alive"): before the request leaves → the old token, still
// valid; after Pleo rotated but before our write → the old token on disk,
// which Pleo now refuses (the next refresh gets invalid_grant →
// needs_reconnect, with "a refresh was interrupted by a restart" in the
// history, written by object.js's load()); after the write → the new token.
import { needsRefresh } from "pleo-oauth";
import { WorkerError } from "../../http/responses.js";
import { withDeadline } from "../../http/deadline.js";
import { sendOAuthRequest, tokenResponseError } from "../../pleo/pleo-http.js";

const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_KEEPALIVE_DAYS = 30;
const HISTORY_LIMIT = 50;

// The typed refusals of a company's connection (codes in worker/README.md).
export const noSession = () =>
  new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again.");
export const noConnection = () => new WorkerError(401, "no_connection", "This company is not connected.");
export const needsReconnect = () =>
  new WorkerError(401, "connection_expired", "Pleo no longer accepts this company's connection. Press Reconnect.");

export function addHistory(record, event, at = Date.now()) {
  const history = [...(record.history ?? []), { at, event }];
  return history.length > HISTORY_LIMIT ? history.slice(history.length - HISTORY_LIMIT) : history;
}

/** What anyone outside the object may know about a connection: never a token. */
export function describeConnection(record) {
  return {
    subject: record.subject,
    name: record.name ?? null,
    status: record.status,
    scopes: record.scopes ?? [],
    expiresAt: record.tokens?.expiresAt ?? null,
    connectedAt: record.connectedAt,
    reconnectedAt: record.reconnectedAt ?? null,
    refreshedAt: record.refreshedAt ?? null,
    refreshable: Boolean(record.tokens?.refreshToken),
    history: record.history ?? [],
  };
}

/**
 * How long a refresh token may stay unused before the keep-alive alarm
 * refreshes it (Pleo's refresh tokens live "at least 60 days").
 * KEEPALIVE_SECONDS (tests) wins over KEEPALIVE_DAYS (default 30).
 */
export function keepAliveMs(env) {
  const seconds = Number(env.KEEPALIVE_SECONDS);
  if (env.KEEPALIVE_SECONDS !== undefined && Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  const days = Number(env.KEEPALIVE_DAYS);
  return (env.KEEPALIVE_DAYS !== undefined && Number.isFinite(days) && days > 0 ? days : DEFAULT_KEEPALIVE_DAYS) * DAY_MS;
}

/**
 * A usable access token. Refreshes first when pleo-oauth says the token
 * is near expiry, when `force` is set ("Refresh now"), or when the caller
 * saw `rejectedToken` fail with 401 and nobody has replaced it yet.
 * Everyone arriving during a refresh shares its outcome.
 */
export async function accessToken(conn, { force = false, rejectedToken = null, reason = "refresh" } = {}) {
  if (!conn.inflight) {
    const record = await conn.load();
    if (!record) throw noConnection();
    if (record.status !== "active" || !record.tokens) throw needsReconnect();
    const rejected = rejectedToken !== null && rejectedToken === record.tokens.accessToken;
    if ((force || rejected || needsRefresh(record.tokens, { now: Date.now() })) && !conn.inflight) {
      conn.inflight = refresh(conn, record, reason).finally(() => {
        conn.inflight = null;
      });
    }
  }
  // Callers wait at most the request timeout; the refresh itself runs on
  // to its own deadline and stores its result (once sent, Pleo may have
  // rotated the refresh token whether or not we read the answer).
  if (conn.inflight) await withDeadline(conn.inflight, conn.config.timeoutMs, tokenEndpointTimeout);
  const current = conn.record;
  if (!current) throw noConnection();
  if (current.status !== "active" || !current.tokens) throw needsReconnect();
  const { accessToken: token, tokenType, expiresAt, obtainedAt } = current.tokens;
  return { accessToken: token, tokenType, expiresAt, obtainedAt };
}

/** One refresh, sent and stored; only ever run as `conn.inflight` (see accessToken). */
async function refresh(conn, record, reason) {
  const startedAt = Date.now();
  // Marked on disk first: a kill from here on is visible after a restart.
  await conn.storage.put("record", { ...record, refreshStartedAt: startedAt });
  let tokens;
  try {
    tokens = await requestRefresh(conn.config, record.tokens);
  } catch (err) {
    if (conn.record === null) throw err; // disconnected meanwhile
    await keepRecordAfterFailedRefresh(conn, record, err, reason);
    throw err;
  }
  if (conn.record === null) return; // disconnected while the refresh was in flight
  const now = Date.now();
  const next = {
    ...conn.record,
    tokens,
    scopes: tokens.scope,
    refreshedAt: now,
    refreshTokenUsedAt: now,
    refreshStartedAt: null,
    history: reason === "refresh" ? conn.record.history : addHistory(conn.record, reason, now),
  };
  // SECURITY.md: the rotated refresh token is on disk before anyone gets
  // the new access token (sync() waits for the write to be durable).
  // A keep-alive refresh is an event, written with the record (outbox.js).
  const events =
    reason === "keep-alive refresh"
      ? [{ type: "keepalive.refreshed", expiresAt: isoTime(tokens.expiresAt), nextKeepAliveAt: isoTime(now + keepAliveMs(conn.env)) }]
      : [];
  await conn.emit(events, { record: next });
  await conn.storage.sync?.();
  conn.record = next;
  await conn.scheduler.schedule("keepalive", now + keepAliveMs(conn.env));
  await conn.announce(); // the operator console's row: refreshedAt, expiresAt, keepAliveAt
}

/** What a failed refresh leaves on record: needs_reconnect on invalid_grant, else the old tokens. */
async function keepRecordAfterFailedRefresh(conn, record, err, reason) {
  const during = reason === "keep-alive refresh" ? "keepalive" : "refresh";
  if (err instanceof WorkerError && err.code === "connection_expired") {
    // invalid_grant: the authorisation is gone. Drop the tokens, keep
    // the record (name, history) and the sessions, show Reconnect.
    conn.record = {
      ...record,
      status: "needs_reconnect",
      tokens: null,
      refreshStartedAt: null,
      history: addHistory(record, "Pleo rejected the refresh token: needs reconnect"),
    };
    await conn.emit(
      [
        { type: "refresh.failed", during, code: err.code, final: true },
        { type: "connection.needs_reconnect", during, reason: "invalid_grant" },
      ],
      { record: conn.record },
    );
    await conn.scheduler.cancel("keepalive");
    await conn.announce();
  } else {
    // Not sent, or no usable answer: the old refresh token is all we
    // have; keep it (the next refresh finds out whether it still works).
    conn.record = { ...record, refreshStartedAt: null };
    const code = err instanceof WorkerError ? err.code : "internal_error";
    // While Pleo's token endpoint is down every attempt fails: one event a
    // window per company, counting the failures since the last one.
    conn.refreshFailures ??= newFailureWindow();
    const failuresSince = conn.refreshFailures.note(Date.now());
    if (failuresSince === null) await conn.storage.put("record", conn.record);
    else await conn.emit([{ type: "refresh.failed", during, code, final: false, failuresSince }], { record: conn.record });
  }
}

/** How long non-final refresh.failed events are held back after one is written. */
export const REFRESH_FAILED_WINDOW_MS = 60_000;

/**
 * The non-final refresh failures of one company (kept in the object's
 * memory): `note(now)` is the number of failures since the last event when
 * one should be written now (0 for the first), or null inside the window.
 */
export function newFailureWindow(windowMs = REFRESH_FAILED_WINDOW_MS) {
  let lastEventAt = null;
  let held = 0;
  return {
    note(now) {
      if (lastEventAt !== null && now >= lastEventAt && now - lastEventAt < windowMs) {
        held += 1;
        return null;
      }
      const since = held;
      lastEventAt = now;
      held = 0;
      return since;
    },
  };
}

const isoTime = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** Keep-alive alarm: refresh a refresh token unused for KEEPALIVE_DAYS so Pleo never expires it. */
export async function keepAlive(conn) {
  const record = await conn.load();
  if (!record || record.status !== "active" || !record.tokens?.refreshToken) return;
  const due = (record.refreshTokenUsedAt ?? record.connectedAt) + keepAliveMs(conn.env);
  if (Date.now() < due) {
    await conn.scheduler.schedule("keepalive", due);
    await conn.announce(); // the operator console's row: keepAliveAt moved
    return;
  }
  try {
    await accessToken(conn, { force: true, reason: "keep-alive refresh" });
  } catch (err) {
    // needs_reconnect is final; anything else is retried by the scheduler.
    if (!(err instanceof WorkerError && err.code === "connection_expired")) throw err;
  }
}

/**
 * Sends one refresh and returns the new token set. Throws WorkerError:
 * `connection_expired` for invalid_grant (the authorisation is gone; never
 * retried with the same refresh token — Pleo revokes the whole grant on
 * reuse), `pleo_unavailable` / `pleo_error` otherwise.
 */
async function requestRefresh(config, tokens) {
  if (!tokens.refreshToken) {
    throw new WorkerError(401, "connection_expired", "The access token expired and Pleo issued no refresh token. Please reconnect.");
  }
  const response = await sendOAuthRequest(config.client.refreshRequest(tokens.refreshToken), config.refreshDeadlineMs);
  try {
    // pleo-oauth keeps the previous refresh token when the response has
    // none, and the previous scope when the response names none.
    return config.client.parseTokenResponse(response, { previous: tokens });
  } catch (err) {
    throw tokenResponseError(err, response.status);
  }
}

const tokenEndpointTimeout = () =>
  new WorkerError(502, "pleo_unavailable", "Pleo's token endpoint did not answer in time. Please try again.");
