// What a ConnectionObject (`conn`) answers over the worker ↔ object protocol
// (rpc.js), and what the features' connection methods and alarms are given.
import { WorkerError } from "../http.js";
import { apiCaller, createConnections } from "../connections.js";
import { describeConnection } from "./connection-tokens.js";
import { noConnection, noSession } from "./connection-errors.js";
import { holdsSession } from "./connection-sessions.js";

/** The RPC method table for serveObject: the object's own methods, then `call` into the features' `methods`. */
export function connectionRpcMethods(conn, methods) {
  return {
    connect: (arg) => conn.connect(arg),
    adoptSession: (arg) => conn.adoptSession(arg),
    leave: (arg) => conn.leave(arg),
    disconnect: (arg) => conn.disconnect(arg),
    // The hot path: session check + token in one hop.
    access: async ({ sid, force, rejectedToken }) => {
      const record = await conn.load();
      if (!record) throw noConnection();
      if (!holdsSession(conn, sid)) throw noSession();
      const token = await conn.accessToken({ force, rejectedToken });
      return force ? { ...token, connection: describeConnection(conn.record) } : token;
    },
    // The operator console (routes/ops.js): "Refresh now" without a browser session, single-flight like every refresh.
    operatorRefresh: async () => {
      await conn.accessToken({ force: true, reason: "refreshed by an operator" });
      return describeConnection(conn.record);
    },
    // Background users (jobs, webhooks): no browser session involved.
    token: ({ rejectedToken }) => conn.accessToken({ rejectedToken }),
    describe: async ({ sid }) => {
      const record = await conn.load();
      if (!record) return null;
      return { connection: describeConnection(record), held: sid === undefined ? null : holdsSession(conn, sid) };
    },
    call: ({ method, args }) => callMethod(conn, methods, method, Array.isArray(args) ? args : []),
  };
}

/** A feature's connection method, by name (over RPC, or `conn.call` from another feature in the object). */
async function callMethod(conn, methods, method, args) {
  if (!Object.hasOwn(methods, method)) throw new WorkerError(500, "internal_error", "Unknown connection method.");
  await conn.load();
  return methods[method](conn.context, ...args);
}

/** The context the features' connection methods, alarms and hooks receive. */
export function extensionContext(conn, options, methods = {}) {
  const slots = new Map();
  return {
    get subject() {
      return conn.record?.subject ?? null;
    },
    env: conn.env,
    options,
    storage: conn.storage,
    get config() {
      return conn.config;
    },
    describe: async () => {
      const record = await conn.load();
      return record ? describeConnection(record) : null;
    },
    /** May this browser session act for this company? (routes pass the session id) */
    holds: async (sid) => Boolean(await conn.load()) && holdsSession(conn, sid),
    /** Writes `changes` and the events in one storage write, then delivers them (outbox.js). */
    emit: (events, changes, opts) => conn.emit(events, changes, opts),
    /** Updates the company's row in the directory (operator console) after a change; `facts` as in directory-summary.js. */
    announce: (facts) => conn.announce(facts),
    schedule: (name, at) => conn.scheduler.schedule(name, at),
    cancel: (name) => conn.scheduler.cancel(name),
    /** Runs fn({ subject, accessToken, api }) with this company's token, no hop (see connections.js). */
    use: async (fn) => {
      const getToken = async (rejected = null) => (await conn.accessToken({ rejectedToken: rejected })).accessToken;
      const accessToken = await getToken();
      return fn({ subject: conn.record?.subject, accessToken, api: apiCaller(conn.config, getToken, accessToken) });
    },
    /** Another feature's connection method in this object, no hop (features talk through these, not each other's modules). */
    call: (method, ...args) => callMethod(conn, methods, method, args),
    /** Whether a feature in this worker registered `method` (createWorker({ builtins }) may leave one out). */
    offers: (method) => Object.hasOwn(methods, method),
    /** A feature part's per-object memory, by key (connection-parts.js hands each part its own as `memory`). */
    slot: (key) => {
      if (!slots.has(key)) slots.set(key, {});
      return slots.get(key);
    },
    /** The other companies (and this one through a hop): the worker-side API. */
    connections: createConnections(conn.env),
  };
}
