// Connecting and ending a company's connection inside its ConnectionObject
// (`conn`): the record a (re)connect writes, the features' onConnect /
// onDisconnect hooks, revocation, and telling the directory.
import { revokeTokens } from "../pleo/pleo-http.js";
import { addHistory, describeConnection } from "./connection-tokens.js";
import { noSession } from "./connection-errors.js";
import { keepAliveMs } from "./connection-refresh.js";
import { holdsSession, saveSessions } from "./connection-sessions.js";
import { directoryStub } from "./directory-object.js";
import { noteSummaryFacts, summaryOf } from "./directory-summary.js";
import { callObject } from "./rpc.js";

/** The record after connecting: a new one, or `previous` with the token set replaced. */
function connectedRecord(previous, { subject, name, tokens }, now) {
  if (previous) {
    return {
      ...previous,
      name: name ?? previous.name,
      status: "active",
      tokens,
      scopes: tokens.scope,
      reconnectedAt: now,
      refreshTokenUsedAt: now,
      refreshStartedAt: null,
      history: addHistory(previous, previous.status === "active" ? "connected again" : "reconnected", now),
    };
  }
  return {
    subject,
    name: name ?? null,
    status: "active",
    tokens,
    scopes: tokens.scope ?? [],
    connectedAt: now,
    reconnectedAt: null,
    refreshedAt: null,
    refreshTokenUsedAt: now,
    refreshStartedAt: null,
    history: [{ at: now, event: "connected" }],
  };
}

/** Stores a new token set for the company (first connect or reconnect) and admits session `sid`. */
export async function connect(conn, { subject, name, tokens, sid, dropSid, sessionExpiresAt, account }, onConnect) {
  await conn.load();
  if (conn.inflight) await conn.inflight.catch(() => {});
  const now = Date.now();
  const previous = conn.record;
  const reconnected = Boolean(previous);
  // Reconnecting replaces the token set in place, under the same lock
  // (the refresh in flight, if any, has finished above).
  conn.record = connectedRecord(previous, { subject, name, tokens }, now);
  if (dropSid) delete conn.sessions[dropSid];
  if (sid) conn.sessions[sid] = sessionExpiresAt;
  // Partner accounts: the account that connected holds the company (not the browser session).
  if (typeof account === "string" && account) conn.accounts = { ...conn.accounts, [account]: now };
  // The event in the same write as the record (outbox.js).
  const event = reconnected
    ? { type: "connection.reconnected", previousStatus: previous.status, scopes: conn.record.scopes }
    : { type: "connection.connected", scopes: conn.record.scopes };
  await conn.emit([event], { record: conn.record, sessions: conn.sessions, accounts: conn.accounts });
  await conn.storage.sync?.();
  await saveSessions(conn);
  await conn.scheduler.schedule("keepalive", now + keepAliveMs(conn.env));
  // The directory first: webhooks are refused for companies it does not list,
  // and an onConnect hook (the webhook subscription) may cause one at once.
  await announce(conn);
  for (const hook of onConnect) await runHook(conn, "onConnect", hook, { reconnected });
  return describeConnection(conn.record);
}

/** Ends the company's connection for everyone; revokes where the provider can. */
export async function disconnect(conn, { sid } = {}, onDisconnect) {
  const record = await conn.load();
  if (!record) return { ended: false, revoked: false };
  if (sid !== undefined && !holdsSession(conn, sid)) throw noSession();
  if (conn.inflight) await conn.inflight.catch(() => {});
  const tokens = conn.record?.tokens ?? null;
  // Hooks run while the tokens still work (e.g. deleting a webhook subscription).
  for (const hook of onDisconnect) await runHook(conn, "onDisconnect", hook, { tokens: Boolean(tokens) });
  const revoked = tokens ? await revokeTokens(conn.config, tokens) : false;
  // Everything goes but the events not yet delivered, which stay with
  // connection.disconnected (one write: wipe, then put them back).
  const event = { type: "connection.disconnected", company: record.subject, name: record.name ?? undefined, revoked };
  const undelivered = await conn.outbox.pending();
  conn.record = null;
  conn.sessions = {};
  const accounts = Object.keys(conn.accounts ?? {});
  conn.accounts = {};
  conn.scheduler.reset();
  await conn.storage.deleteAlarm();
  await conn.emit([event], {}, { deleteAll: true, keep: undelivered });
  await conn.storage.sync?.();
  await callObject(directoryStub(conn.env), "forget", { subject: record.subject, accounts }).catch(() => {});
  return { ended: true, revoked };
}

/** A feature's hook; its failure is logged (name and code only) and does not stop the rest. */
async function runHook(conn, kind, hook, info) {
  try {
    await hook(conn.context, info);
  } catch (err) {
    console.error(`connection ${kind} hook failed:`, err?.name, err?.code ?? "");
  }
}

/**
 * Tells the directory (connections.list(), the operator console's summary
 * row) about this connection; called in the same step as each change.
 * `facts`: what the change reports beyond the record (directory-summary.js).
 */
export async function announce(conn, facts) {
  if (!conn.record) return;
  if (facts) await noteSummaryFacts(conn, facts);
  const row = await summaryOf(conn);
  await callObject(directoryStub(conn.env), "remember", row).catch((err) => {
    console.error("directory update failed:", err?.code ?? err?.name);
  });
}
