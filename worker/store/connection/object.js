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
//                the partner accounts that connected this company
//                (session/accounts.js); an account is asked for as the id "account:<id>".
//   "timers"   the alarm scheduler's named timers (../scheduler.js)
//   "outbox:<seq>", "outboxSeq"  events not yet delivered to every sink (../outbox.js)
//   anything an extension stores (keys prefixed with its name).
//
// This file is the object, in the order it is used: loading (and what a
// restart during a refresh leaves), the methods the worker calls
// (`rpcMethods`, reached through client.js), the sessions allowed, connect
// and disconnect, the directory row, and the context the features' parts
// get. The token set and its single-flight refresh are beside it in
// refresh.js; the features' parts are merged by ../connection-parts.js.
import { loadConfig } from "../../config/settings.js";
import { WorkerError } from "../../http/responses.js";
import { revokeTokens } from "../../pleo/pleo-http.js";
import { apiCaller, createConnections } from "../connections.js";
import { directory } from "../client.js";
import { collectConnectionParts } from "../connection-parts.js";
import { noteSummaryFacts, summaryOf } from "../directory-summary.js";
import { OUTBOX_TIMER, Outbox } from "../outbox.js";
import { serveObject } from "../rpc.js";
import { AlarmScheduler } from "../scheduler.js";
import { accessToken, addHistory, describeConnection, keepAlive, keepAliveMs, noConnection, noSession } from "./refresh.js";

export { keepAliveMs } from "./refresh.js";

// Partner accounts are asked for as the session id "account:<id>"
// (browser session ids never contain ":").
const ACCOUNT_SID_PREFIX = "account:";

/**
 * Builds the ConnectionObject class with the features' connection parts:
 * `{ methods: { name(conn, ...args) }, alarms: { name(conn, firedAt) },
 *    onConnect(conn, { reconnected }), onDisconnect(conn, { tokens }) }`.
 */
export function defineConnectionObject(features = [], options = {}) {
  const { methods, alarms, onConnect, onDisconnect, summaries } = collectConnectionParts(features);

  return class ConnectionObject {
    constructor(state, env) {
      this.state = state;
      this.storage = state.storage;
      this.env = env;
      this.record = undefined; // undefined: not loaded; null: no connection
      this.sessions = {};
      this.accounts = {};
      this.inflight = null; // the one refresh in flight (refresh.js)
      this.outbox = new Outbox(this, options); // events (outbox.js, docs/EVENTS.md)
      const handlers = {
        keepalive: () => this.keepAlive(),
        sessions: () => this.pruneSessions(),
        [OUTBOX_TIMER]: () => this.outbox.deliver(),
      };
      for (const [name, fn] of Object.entries(alarms)) handlers[name] = (firedAt) => fn(this.context, firedAt);
      this.scheduler = new AlarmScheduler(this.storage, handlers);
      this.context = this.extensionContext();
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

    /** A usable access token, refreshed single-flight when due (refresh.js). */
    accessToken(opts) {
      return accessToken(this, opts);
    }

    /** The keep-alive alarm (refresh.js). */
    keepAlive() {
      return keepAlive(this);
    }

    fetch(request) {
      return serveObject(request, this.rpcMethods());
    }

    async alarm() {
      await this.load();
      await this.scheduler.fire();
    }

    // ---- What the worker calls (client.js names each one; rpc.js carries it).

    /** The method table for serveObject: the object's own methods, then `call` into the features' `methods`. */
    rpcMethods() {
      return {
        connect: (arg) => this.connect(arg),
        adoptSession: (arg) => this.adoptSession(arg),
        leave: (arg) => this.leave(arg),
        disconnect: (arg) => this.disconnect(arg),
        access: (arg) => this.access(arg),
        operatorRefresh: () => this.operatorRefresh(),
        // Background users (jobs, webhooks): no browser session involved.
        token: ({ rejectedToken }) => this.accessToken({ rejectedToken }),
        describe: (arg) => this.describe(arg),
        call: ({ method, args }) => this.callMethod(method, Array.isArray(args) ? args : []),
      };
    }

    /** A feature's connection method, by name (over RPC, or `conn.call` from another feature in this object). */
    async callMethod(method, args) {
      if (!Object.hasOwn(methods, method)) throw new WorkerError(500, "internal_error", "Unknown connection method.");
      await this.load();
      return methods[method](this.context, ...args);
    }

    /** The hot path: session check + token in one hop. */
    async access({ sid, force, rejectedToken }) {
      const record = await this.load();
      if (!record) throw noConnection();
      if (!this.holds(sid)) throw noSession();
      const token = await this.accessToken({ force, rejectedToken });
      return force ? { ...token, connection: describeConnection(this.record) } : token;
    }

    /** The operator console (routes/ops.js): "Refresh now" without a browser session, single-flight like every refresh. */
    async operatorRefresh() {
      await this.accessToken({ force: true, reason: "refreshed by an operator" });
      return describeConnection(this.record);
    }

    /** The connection without tokens, and whether session `sid` holds it (null when not asked). */
    async describe({ sid }) {
      const record = await this.load();
      if (!record) return null;
      return { connection: describeConnection(record), held: sid === undefined ? null : this.holds(sid) };
    }

    // ---- The browser sessions allowed: `this.sessions` is { [session id]: expiresAt },
    // stored under "sessions"; the "sessions" alarm prunes the expired ones.

    /** May session `sid` (or account "account:<id>") act for this company at `now`? (call after load()) */
    holds(sid, now = Date.now()) {
      if (typeof sid !== "string") return false;
      if (sid.startsWith(ACCOUNT_SID_PREFIX)) return Object.hasOwn(this.accounts ?? {}, sid.slice(ACCOUNT_SID_PREFIX.length));
      return (this.sessions[sid] ?? 0) > now;
    }

    /** Stores the sessions and sets the prune alarm to the earliest expiry. */
    async saveSessions() {
      await this.storage.put("sessions", this.sessions);
      const times = Object.values(this.sessions);
      if (times.length) await this.scheduler.schedule("sessions", Math.min(...times));
      else await this.scheduler.cancel("sessions");
    }

    /** The "sessions" alarm: drops the sessions that have expired. */
    async pruneSessions(now = Date.now()) {
      await this.load();
      for (const [sid, expiresAt] of Object.entries(this.sessions)) if (expiresAt <= now) delete this.sessions[sid];
      await this.saveSessions();
    }

    /** Moves this company from a browser's previous session id to its new one (login rotates the id). */
    async adoptSession({ from, to, expiresAt }) {
      const record = await this.load();
      if (!record || !this.holds(from)) return false;
      delete this.sessions[from];
      this.sessions[to] = expiresAt;
      await this.saveSessions();
      return true;
    }

    /** Logout: this browser session loses access; the connection stays. */
    async leave({ sid }) {
      await this.load();
      if (!(sid in this.sessions)) return false;
      delete this.sessions[sid];
      await this.saveSessions();
      return true;
    }

    // ---- Connecting and ending: the record a (re)connect writes, the
    // features' onConnect / onDisconnect hooks, revocation, the directory.

    /** Stores a new token set for the company (first connect or reconnect) and admits session `sid`. */
    async connect({ subject, name, tokens, sid, dropSid, sessionExpiresAt, account }) {
      await this.load();
      if (this.inflight) await this.inflight.catch(() => {});
      const now = Date.now();
      const previous = this.record;
      const reconnected = Boolean(previous);
      // Reconnecting replaces the token set in place, under the same lock
      // (the refresh in flight, if any, has finished above).
      this.record = connectedRecord(previous, { subject, name, tokens }, now);
      if (dropSid) delete this.sessions[dropSid];
      if (sid) this.sessions[sid] = sessionExpiresAt;
      // Partner accounts: the account that connected holds the company (not the browser session).
      if (typeof account === "string" && account) this.accounts = { ...this.accounts, [account]: now };
      // The event in the same write as the record (outbox.js).
      const event = reconnected
        ? { type: "connection.reconnected", previousStatus: previous.status, scopes: this.record.scopes }
        : { type: "connection.connected", scopes: this.record.scopes };
      await this.emit([event], { record: this.record, sessions: this.sessions, accounts: this.accounts });
      await this.storage.sync?.();
      await this.saveSessions();
      await this.scheduler.schedule("keepalive", now + keepAliveMs(this.env));
      // The directory first: webhooks are refused for companies it does not list,
      // and an onConnect hook (the webhook subscription) may cause one at once.
      await this.announce();
      for (const hook of onConnect) await this.runHook("onConnect", hook, { reconnected });
      return describeConnection(this.record);
    }

    /** Ends the company's connection for everyone; revokes where the provider can. */
    async disconnect({ sid } = {}) {
      const record = await this.load();
      if (!record) return { ended: false, revoked: false };
      if (sid !== undefined && !this.holds(sid)) throw noSession();
      if (this.inflight) await this.inflight.catch(() => {});
      const tokens = this.record?.tokens ?? null;
      // Hooks run while the tokens still work (e.g. deleting a webhook subscription).
      for (const hook of onDisconnect) await this.runHook("onDisconnect", hook, { tokens: Boolean(tokens) });
      const revoked = tokens ? await revokeTokens(this.config, tokens) : false;
      // Everything goes but the events not yet delivered, which stay with
      // connection.disconnected (one write: wipe, then put them back).
      const event = { type: "connection.disconnected", company: record.subject, name: record.name ?? undefined, revoked };
      const undelivered = await this.outbox.pending();
      this.record = null;
      this.sessions = {};
      const accounts = Object.keys(this.accounts ?? {});
      this.accounts = {};
      this.scheduler.reset();
      await this.storage.deleteAlarm();
      await this.emit([event], {}, { deleteAll: true, keep: undelivered });
      await this.storage.sync?.();
      await directory(this.env)
        .forget({ subject: record.subject, accounts })
        .catch(() => {});
      return { ended: true, revoked };
    }

    /** A feature's hook; its failure is logged (name and code only) and does not stop the rest. */
    async runHook(kind, hook, info) {
      try {
        await hook(this.context, info);
      } catch (err) {
        console.error(`connection ${kind} hook failed:`, err?.name, err?.code ?? "");
      }
    }

    /**
     * Tells the directory (connections.list(), the operator console's summary
     * row) about this connection; called in the same step as each change.
     * `facts`: what the change reports beyond the record (directory-summary.js).
     */
    async announce(facts) {
      if (!this.record) return;
      if (facts) await noteSummaryFacts(this, facts);
      const row = await summaryOf(
        this,
        summaries.map((summary) => () => summary(this.context)),
      );
      await directory(this.env)
        .remember(row)
        .catch((err) => {
          console.error("directory update failed:", err?.code ?? err?.name);
        });
    }

    // ---- What the features' connection methods, alarms and hooks receive (`conn`).

    extensionContext() {
      const object = this;
      const slots = new Map();
      return {
        get subject() {
          return object.record?.subject ?? null;
        },
        env: this.env,
        options,
        storage: this.storage,
        get config() {
          return object.config;
        },
        describe: async () => {
          const record = await this.load();
          return record ? describeConnection(record) : null;
        },
        /** May this browser session act for this company? (routes pass the session id) */
        holds: async (sid) => Boolean(await this.load()) && this.holds(sid),
        /** Writes `changes` and the events in one storage write, then delivers them (outbox.js). */
        emit: (events, changes, opts) => this.emit(events, changes, opts),
        /** Updates the company's row in the directory (operator console) after a change; `facts` as in directory-summary.js. */
        announce: (facts) => this.announce(facts),
        schedule: (name, at) => this.scheduler.schedule(name, at),
        cancel: (name) => this.scheduler.cancel(name),
        /** Runs fn({ subject, accessToken, api }) with this company's token, no hop (see connections.js). */
        use: async (fn) => {
          const getToken = async (rejected = null) => (await this.accessToken({ rejectedToken: rejected })).accessToken;
          const accessToken = await getToken();
          return fn({ subject: this.record?.subject, accessToken, api: apiCaller(this.config, getToken, accessToken) });
        },
        /** Another feature's connection method in this object, no hop (features talk through these, not each other's modules). */
        call: (method, ...args) => this.callMethod(method, args),
        /** Whether a feature in this worker registered `method` (createWorker({ builtins }) may leave one out). */
        offers: (method) => Object.hasOwn(methods, method),
        /** A feature part's per-object memory, by key (connection-parts.js hands each part its own as `memory`). */
        slot: (key) => {
          if (!slots.has(key)) slots.set(key, {});
          return slots.get(key);
        },
        /** The other companies (and this one through a hop): the worker-side API. */
        connections: createConnections(this.env),
      };
    }
  };
}

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
