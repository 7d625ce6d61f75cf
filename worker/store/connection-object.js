// One Durable Object per Pleo company (named by its subject URN through
// idFromName): the company's connection. A Durable Object is a single
// instance worldwide, so every user of the connection — any browser session,
// the API proxy, webhooks, background jobs — shares its one refresh at a
// time (Pleo rotates refresh tokens and revokes the whole authorisation when
// an old one is presented again).
//
// Storage (SQLite-backed on Cloudflare and in `npm start`):
//   "record"   { subject, name, status: "active" | "needs_reconnect", tokens | null,
//                scopes, connectedAt, reconnectedAt, refreshedAt,
//                refreshTokenUsedAt, refreshStartedAt, history: [{ at, event }] }
//   "sessions" { [session id]: expiresAt } — the browser sessions allowed to act
//                for this company. Checking it here makes the API hot path a
//                single hop: "may this session act for this company" and
//                "a fresh access token" are answered by one call.
//   "accounts" { [partner account id]: grantedAt } — with createWorker({ identify }),
//                the partner accounts that connected this company (accounts.js).
//   "timers"   the alarm scheduler's named timers (scheduler.js)
//   "outbox:<seq>", "outboxSeq"  events not yet delivered to every sink (outbox.js)
//   anything an extension stores (keys prefixed with its name).
//
// The class only loads state and wires; each concern is its own module:
// connection-refresh.js (token set, single-flight refresh, keep-alive),
// connection-sessions.js (sessions allowed), connection-lifecycle.js
// (connect, disconnect, hooks, directory), connection-rpc.js (RPC table,
// extension context), connection-parts.js (the features' parts merged).
import { loadConfig } from "../config.js";
import { AlarmScheduler } from "./scheduler.js";
import { addHistory } from "./connection-tokens.js";
import { collectConnectionParts } from "./connection-parts.js";
import { accessToken, keepAlive } from "./connection-refresh.js";
import { adoptSession, holdsSession, leaveSession, pruneSessions } from "./connection-sessions.js";
import { announce, connect, disconnect } from "./connection-lifecycle.js";
import { connectionRpcMethods, extensionContext } from "./connection-rpc.js";
import { serveObject } from "./rpc.js";
import { OUTBOX_TIMER, Outbox } from "./outbox.js";

export { keepAliveMs } from "./connection-refresh.js";

/**
 * Builds the ConnectionObject class with the features' connection parts:
 * `{ methods: { name(conn, ...args) }, alarms: { name(conn, firedAt) },
 *    onConnect(conn, { reconnected }), onDisconnect(conn, { tokens }) }`.
 */
export function defineConnectionObject(features = [], options = {}) {
  const { methods, alarms, onConnect, onDisconnect } = collectConnectionParts(features);

  return class ConnectionObject {
    constructor(state, env) {
      this.state = state;
      this.storage = state.storage;
      this.env = env;
      this.record = undefined; // undefined: not loaded; null: no connection
      this.sessions = {};
      this.accounts = {};
      this.inflight = null; // the one refresh in flight (connection-refresh.js)
      this.outbox = new Outbox(this, options); // events (outbox.js, docs/EVENTS.md)
      const handlers = {
        keepalive: () => this.keepAlive(),
        sessions: () => this.pruneSessions(),
        [OUTBOX_TIMER]: () => this.outbox.deliver(),
      };
      for (const [name, fn] of Object.entries(alarms)) handlers[name] = (firedAt) => fn(this.context, firedAt);
      this.scheduler = new AlarmScheduler(this.storage, handlers);
      this.context = extensionContext(this, options, methods);
    }

    get config() {
      return loadConfig(this.env);
    }

    async load() {
      if (this.record !== undefined) return this.record;
      const stored = await this.storage.get(["record", "sessions", "accounts"]);
      let record = stored.get("record") ?? null;
      this.sessions = stored.get("sessions") ?? {};
      this.accounts = stored.get("accounts") ?? {};
      if (record?.refreshStartedAt) {
        // The previous instance stopped (crash, kill, eviction) while a
        // refresh was in flight. The token on disk is the last one Pleo gave
        // us; the next refresh tells whether Pleo had rotated it meanwhile
        // (then invalid_grant → needs_reconnect, honestly shown).
        record = { ...record, refreshStartedAt: null, history: addHistory(record, "a refresh was interrupted by a restart") };
        await this.storage.put("record", record);
      }
      this.record = record;
      return record;
    }

    /**
     * Writes `changes` and the events (`[{ type, ...detail }]`) as one storage
     * write, logs them, and starts their delivery (outbox.js).
     */
    emit(events, changes = {}, opts = {}) {
      return this.outbox.commit(changes, events, opts);
    }

    holds(sid, now = Date.now()) {
      return holdsSession(this, sid, now);
    }

    pruneSessions(now = Date.now()) {
      return pruneSessions(this, now);
    }

    accessToken(opts) {
      return accessToken(this, opts);
    }

    keepAlive() {
      return keepAlive(this);
    }

    connect(arg) {
      return connect(this, arg, onConnect);
    }

    adoptSession(arg) {
      return adoptSession(this, arg);
    }

    leave(arg) {
      return leaveSession(this, arg);
    }

    disconnect(arg) {
      return disconnect(this, arg, onDisconnect);
    }

    announce(facts) {
      return announce(this, facts);
    }

    fetch(request) {
      return serveObject(request, connectionRpcMethods(this, methods));
    }

    async alarm() {
      await this.load();
      await this.scheduler.fire();
    }
  };
}
