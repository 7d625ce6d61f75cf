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
//   "timers"   the alarm scheduler's named timers (scheduler.js)
//   anything an extension stores (keys prefixed with its name).
import { needsRefresh } from "pleo-oauth";
import { loadConfig } from "../config.js";
import { WorkerError } from "../http.js";
import { revokeTokens } from "../pleo-http.js";
import { apiCaller, createConnections } from "../connections.js";
import { AlarmScheduler } from "./scheduler.js";
import { addHistory, describeConnection, requestRefresh, withDeadline } from "./connection-tokens.js";
import { directoryStub } from "./directory-object.js";
import { callObject, serveObject } from "./rpc.js";

const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_KEEPALIVE_DAYS = 30;

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

const noSession = () => new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again.");
const noConnection = () => new WorkerError(401, "no_connection", "This company is not connected.");
const needsReconnect = () =>
  new WorkerError(401, "connection_expired", "Pleo no longer accepts this company's connection. Press Reconnect.");

/**
 * Builds the ConnectionObject class with the features' connection parts:
 * `{ methods: { name(conn, ...args) }, alarms: { name(conn, firedAt) },
 *    onConnect(conn, { reconnected }), onDisconnect(conn, { tokens }) }`.
 */
export function defineConnectionObject(features = [], options = {}) {
  const methods = {};
  const alarms = {};
  const onConnect = [];
  const onDisconnect = [];
  for (const feature of features) {
    const part = feature?.connection;
    if (!part) continue;
    for (const [name, fn] of Object.entries(part.methods ?? {})) {
      if (methods[name]) throw new Error(`two features define the connection method ${name}`);
      methods[name] = fn;
    }
    for (const [name, fn] of Object.entries(part.alarms ?? {})) {
      if (alarms[name] || name === "keepalive" || name === "sessions") throw new Error(`alarm name ${name} is taken`);
      alarms[name] = fn;
    }
    if (part.onConnect) onConnect.push(part.onConnect);
    if (part.onDisconnect) onDisconnect.push(part.onDisconnect);
  }

  return class ConnectionObject {
    constructor(state, env) {
      this.state = state;
      this.storage = state.storage;
      this.env = env;
      this.record = undefined; // undefined: not loaded; null: no connection
      this.sessions = {};
      this.inflight = null;
      const handlers = {
        keepalive: () => this.keepAlive(),
        sessions: () => this.pruneSessions(),
      };
      for (const [name, fn] of Object.entries(alarms)) handlers[name] = (firedAt) => fn(this.context, firedAt);
      this.scheduler = new AlarmScheduler(this.storage, handlers);
      this.context = this.extensionContext();
    }

    get config() {
      return loadConfig(this.env);
    }

    // ------------------------------------------------------------ loading

    async load() {
      if (this.record !== undefined) return this.record;
      const stored = await this.storage.get(["record", "sessions"]);
      let record = stored.get("record") ?? null;
      this.sessions = stored.get("sessions") ?? {};
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

    holds(sid, now = Date.now()) {
      return typeof sid === "string" && (this.sessions[sid] ?? 0) > now;
    }

    async saveSessions() {
      await this.storage.put("sessions", this.sessions);
      const times = Object.values(this.sessions);
      if (times.length) await this.scheduler.schedule("sessions", Math.min(...times));
      else await this.scheduler.cancel("sessions");
    }

    async pruneSessions(now = Date.now()) {
      await this.load();
      for (const [sid, expiresAt] of Object.entries(this.sessions)) if (expiresAt <= now) delete this.sessions[sid];
      await this.saveSessions();
    }

    // --------------------------------------------------------- the tokens

    /**
     * A usable access token. Refreshes first when pleo-oauth says the token
     * is near expiry, when `force` is set ("Refresh now"), or when the caller
     * saw `rejectedToken` fail with 401 and nobody has replaced it yet.
     * Everyone arriving during a refresh shares its outcome.
     */
    async accessToken({ force = false, rejectedToken = null, reason = "refresh" } = {}) {
      if (!this.inflight) {
        const record = await this.load();
        if (!record) throw noConnection();
        if (record.status !== "active" || !record.tokens) throw needsReconnect();
        const rejected = rejectedToken !== null && rejectedToken === record.tokens.accessToken;
        if ((force || rejected || needsRefresh(record.tokens, { now: Date.now() })) && !this.inflight) {
          this.inflight = this.refresh(record, reason).finally(() => {
            this.inflight = null;
          });
        }
      }
      // Callers wait at most the request timeout; the refresh itself runs on
      // to its own deadline and stores its result (once sent, Pleo may have
      // rotated the refresh token whether or not we read the answer).
      if (this.inflight) await withDeadline(this.inflight, this.config.timeoutMs);
      const current = this.record;
      if (!current) throw noConnection();
      if (current.status !== "active" || !current.tokens) throw needsReconnect();
      const { accessToken, tokenType, expiresAt, obtainedAt } = current.tokens;
      return { accessToken, tokenType, expiresAt, obtainedAt };
    }

    async refresh(record, reason) {
      const startedAt = Date.now();
      // Marked on disk first: a kill from here on is visible after a restart.
      await this.storage.put("record", { ...record, refreshStartedAt: startedAt });
      let tokens;
      try {
        tokens = await requestRefresh(this.config, record.tokens);
      } catch (err) {
        if (this.record === null) throw err; // disconnected meanwhile
        if (err instanceof WorkerError && err.code === "connection_expired") {
          // invalid_grant: the authorisation is gone. Drop the tokens, keep
          // the record (name, history) and the sessions, show Reconnect.
          this.record = {
            ...record,
            status: "needs_reconnect",
            tokens: null,
            refreshStartedAt: null,
            history: addHistory(record, "Pleo rejected the refresh token: needs reconnect"),
          };
          await this.storage.put("record", this.record);
          await this.scheduler.cancel("keepalive");
          await this.announce();
        } else {
          // Not sent, or no usable answer: the old refresh token is all we
          // have; keep it (the next refresh finds out whether it still works).
          this.record = { ...record, refreshStartedAt: null };
          await this.storage.put("record", this.record);
        }
        throw err;
      }
      if (this.record === null) return; // disconnected while the refresh was in flight
      const now = Date.now();
      const next = {
        ...this.record,
        tokens,
        scopes: tokens.scope,
        refreshedAt: now,
        refreshTokenUsedAt: now,
        refreshStartedAt: null,
        history: reason === "refresh" ? this.record.history : addHistory(this.record, reason, now),
      };
      // security.md: the rotated refresh token is on disk before anyone gets
      // the new access token (sync() waits for the write to be durable).
      await this.storage.put("record", next);
      await this.storage.sync?.();
      this.record = next;
      await this.scheduler.schedule("keepalive", now + keepAliveMs(this.env));
    }

    /** Keep-alive alarm: refresh a refresh token unused for KEEPALIVE_DAYS so Pleo never expires it. */
    async keepAlive() {
      const record = await this.load();
      if (!record || record.status !== "active" || !record.tokens?.refreshToken) return;
      const due = (record.refreshTokenUsedAt ?? record.connectedAt) + keepAliveMs(this.env);
      if (Date.now() < due) {
        await this.scheduler.schedule("keepalive", due);
        return;
      }
      try {
        await this.accessToken({ force: true, reason: "keep-alive refresh" });
      } catch (err) {
        // needs_reconnect is final; anything else is retried by the scheduler.
        if (!(err instanceof WorkerError && err.code === "connection_expired")) throw err;
      }
    }

    // --------------------------------------------------- connect and end

    async connect({ subject, name, tokens, sid, dropSid, sessionExpiresAt }) {
      await this.load();
      if (this.inflight) await this.inflight.catch(() => {});
      const now = Date.now();
      const previous = this.record;
      const reconnected = Boolean(previous);
      // Reconnecting replaces the token set in place, under the same lock
      // (the refresh in flight, if any, has finished above).
      this.record = previous
        ? {
            ...previous,
            name: name ?? previous.name,
            status: "active",
            tokens,
            scopes: tokens.scope,
            reconnectedAt: now,
            refreshTokenUsedAt: now,
            refreshStartedAt: null,
            history: addHistory(previous, previous.status === "active" ? "connected again" : "reconnected", now),
          }
        : {
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
      if (dropSid) delete this.sessions[dropSid];
      if (sid) this.sessions[sid] = sessionExpiresAt;
      await this.storage.put({ record: this.record, sessions: this.sessions });
      await this.storage.sync?.();
      await this.saveSessions();
      await this.scheduler.schedule("keepalive", now + keepAliveMs(this.env));
      for (const hook of onConnect) await this.runHook("onConnect", hook, { reconnected });
      await this.announce();
      return describeConnection(this.record);
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
      this.record = null;
      this.sessions = {};
      this.scheduler.reset();
      await this.storage.deleteAlarm();
      await this.storage.deleteAll();
      await this.storage.sync?.();
      await callObject(directoryStub(this.env), "forget", { subject: record.subject }).catch(() => {});
      return { ended: true, revoked };
    }

    async runHook(kind, hook, info) {
      try {
        await hook(this.context, info);
      } catch (err) {
        console.error(`connection ${kind} hook failed:`, err?.name, err?.code ?? "");
      }
    }

    /** Tells the directory (connections.list()) about this connection. */
    async announce() {
      if (!this.record) return;
      const { subject, name, status } = this.record;
      await callObject(directoryStub(this.env), "remember", { subject, name, status }).catch((err) => {
        console.error("directory update failed:", err?.code ?? err?.name);
      });
    }

    // ----------------------------------------- what extensions are given

    extensionContext() {
      const object = this;
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
          const record = await object.load();
          return record ? describeConnection(record) : null;
        },
        /** May this browser session act for this company? (routes pass the session id) */
        holds: async (sid) => Boolean(await object.load()) && object.holds(sid),
        schedule: (name, at) => object.scheduler.schedule(name, at),
        cancel: (name) => object.scheduler.cancel(name),
        /** Runs fn({ subject, accessToken, api }) with this company's token, no hop (see connections.js). */
        use: async (fn) => {
          const getToken = async (rejected = null) => (await object.accessToken({ rejectedToken: rejected })).accessToken;
          const accessToken = await getToken();
          return fn({ subject: object.record?.subject, accessToken, api: apiCaller(object.config, getToken, accessToken) });
        },
        /** The other companies (and this one through a hop): the worker-side API. */
        connections: createConnections(this.env),
      };
    }

    // ------------------------------------------------------------ wiring

    fetch(request) {
      return serveObject(request, {
        connect: (arg) => this.connect(arg),
        adoptSession: (arg) => this.adoptSession(arg),
        leave: (arg) => this.leave(arg),
        disconnect: (arg) => this.disconnect(arg),
        // The hot path: session check + token in one hop.
        access: async ({ sid, force, rejectedToken }) => {
          const record = await this.load();
          if (!record) throw noConnection();
          if (!this.holds(sid)) throw noSession();
          const token = await this.accessToken({ force, rejectedToken });
          return force ? { ...token, connection: describeConnection(this.record) } : token;
        },
        // Background users (jobs, webhooks): no browser session involved.
        token: ({ rejectedToken }) => this.accessToken({ rejectedToken }),
        describe: async ({ sid }) => {
          const record = await this.load();
          if (!record) return null;
          return { connection: describeConnection(record), held: sid === undefined ? null : this.holds(sid) };
        },
        call: async ({ method, args }) => {
          if (!Object.hasOwn(methods, method)) throw new WorkerError(500, "internal_error", "Unknown connection method.");
          await this.load();
          return methods[method](this.context, ...(Array.isArray(args) ? args : []));
        },
      });
    }

    async alarm() {
      await this.load();
      await this.scheduler.fire();
    }
  };
}
