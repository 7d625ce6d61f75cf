// Cloudflare Durable Objects store: one ConnectionObject per connection (it
// serialises that connection's refreshes: a Durable Object is a single
// instance worldwide) and one SessionObject per browser session. Login
// transactions are marked consumed in a SessionObject named "tx:<id>".
//
// The objects speak a tiny JSON-over-fetch protocol instead of JS RPC so the
// worker module imports nothing from "cloudflare:workers" and also loads in
// Node (see node.mjs). Interface: as MemoryStore in store-memory.js.
import { ConnectionState } from "./connection.js";
import { WorkerError } from "./http.js";

// A safety net: connection objects delete themselves this long after their
// last use even if their session's alarm never reached them. Pleo's refresh
// tokens live "at least 60 days".
const CONNECTION_IDLE_MS = 60 * 24 * 3600 * 1000;

async function call(stub, method, args) {
  const response = await stub.fetch(`https://object.internal/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(args),
  });
  const result = await response.json();
  if (result.error) throw new WorkerError(result.error.status, result.error.code, result.error.message);
  return result.value;
}

async function serve(object, request, methods) {
  const method = new URL(request.url).pathname.slice(1);
  if (!methods.includes(method)) return Response.json({ error: { status: 500, code: "internal_error", message: "Unknown store method." } });
  try {
    const args = await request.json();
    const value = await object[method](...args);
    return Response.json({ value: value ?? null });
  } catch (err) {
    if (err instanceof WorkerError) {
      return Response.json({ error: { status: err.status, code: err.code, message: err.message } });
    }
    console.error("store object failed:", err?.name, err?.code ?? "", err?.message);
    return Response.json({ error: { status: 500, code: "internal_error", message: "The session store failed." } });
  }
}

export class ConnectionObject {
  constructor(state, env) {
    this.state = state;
    this.connection = new ConnectionState(
      {
        get: () => state.storage.get("record"),
        put: async (record) => {
          await state.storage.put("record", record);
          await state.storage.setAlarm(Date.now() + CONNECTION_IDLE_MS);
        },
        delete: async () => {
          await state.storage.deleteAlarm();
          await state.storage.deleteAll();
        },
      },
      env,
    );
  }

  fetch(request) {
    return serve(this, request, ["create", "describe", "accessToken", "end"]);
  }

  create(record) {
    return this.connection.create(record);
  }

  describe() {
    return this.connection.describe();
  }

  accessToken(opts) {
    return this.connection.accessToken(opts ?? {});
  }

  end() {
    return this.connection.end();
  }

  async alarm() {
    await this.connection.end();
  }
}

export class SessionObject {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }

  fetch(request) {
    return serve(this, request, ["get", "put", "removeConnection", "delete", "consume"]);
  }

  async get() {
    const session = await this.state.storage.get("session");
    if (!session || session.expiresAt <= Date.now()) return null;
    return session;
  }

  async put(session) {
    await this.state.storage.put("session", session);
    await this.state.storage.setAlarm(session.expiresAt);
  }

  async removeConnection(connectionId) {
    const session = await this.get();
    if (!session) return null;
    session.connections = session.connections.filter((c) => c.id !== connectionId);
    await this.state.storage.put("session", session);
    return session;
  }

  async delete() {
    await this.state.storage.deleteAlarm();
    await this.state.storage.deleteAll();
  }

  /** Login transactions are single use: true the first time only. */
  async consume(expiresAt) {
    if (await this.state.storage.get("consumed")) return false;
    await this.state.storage.put("consumed", true);
    await this.state.storage.setAlarm(expiresAt);
    return true;
  }

  async alarm() {
    // Session expired: end its connections too, then forget everything.
    // (A consumed-transaction marker only needs forgetting.)
    const session = await this.state.storage.get("session");
    for (const { id } of session?.connections ?? []) {
      const stub = this.env.CONNECTIONS.get(this.env.CONNECTIONS.idFromName(id));
      await call(stub, "end", []).catch(() => {});
    }
    await this.state.storage.deleteAll();
  }
}

/** The worker's view of the Durable Object store (same interface as MemoryStore). */
export class DurableObjectStore {
  constructor(env) {
    this.sessions = env.SESSIONS;
    this.connections = env.CONNECTIONS;
  }

  session(name) {
    return this.sessions.get(this.sessions.idFromName(name));
  }

  getSession(sid) {
    return call(this.session(`session:${sid}`), "get", []);
  }

  putSession(sid, session) {
    return call(this.session(`session:${sid}`), "put", [session]);
  }

  removeConnection(sid, connectionId) {
    return call(this.session(`session:${sid}`), "removeConnection", [connectionId]);
  }

  deleteSession(sid) {
    return call(this.session(`session:${sid}`), "delete", []);
  }

  consumeTransaction(txid, expiresAt) {
    return call(this.session(`tx:${txid}`), "consume", [expiresAt]);
  }

  connection(id) {
    const stub = this.connections.get(this.connections.idFromName(id));
    return {
      create: (record) => call(stub, "create", [record]),
      describe: () => call(stub, "describe", []),
      accessToken: (opts = {}) => call(stub, "accessToken", [opts]),
      end: () => call(stub, "end", []),
    };
  }
}
