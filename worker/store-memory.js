// In-memory store for the Node adapter (one process, one event loop).
// Same interface as the Durable Object store in durable-objects.js:
//
//   getSession(sid)                   → session | null
//   putSession(sid, session)          → void   (session.expiresAt: ms epoch)
//   removeConnection(sid, id)         → session | null   (atomic)
//   deleteSession(sid)                → void
//   consumeTransaction(txid, expires) → true the first time, then false
//   connection(id)                    → { create(record), describe(), accessToken(opts), end() }
//
// A session is `{ createdAt, expiresAt, connections: [{ id, subject, connectedAt }] }`,
// newest connection first. Connection records hold the token set and never
// leave the store except as `describe()` (no tokens) or the access token.
import { ConnectionState } from "./connection.js";

export class MemoryStore {
  constructor(env = {}) {
    this.env = env;
    this.sessions = new Map();
    this.transactions = new Map();
    this.records = new Map();
    this.connections = new Map();
  }

  /** The worker passes its env so refreshes use the same configuration. */
  bind(env) {
    this.env = env;
    return this;
  }

  sweep(now = Date.now()) {
    for (const [txid, expiresAt] of this.transactions) if (expiresAt <= now) this.transactions.delete(txid);
    for (const [sid, session] of this.sessions) {
      if (session.expiresAt <= now) {
        this.sessions.delete(sid);
        for (const { id } of session.connections) this.connection(id).end().catch(() => {});
      }
    }
  }

  async getSession(sid) {
    const session = this.sessions.get(sid);
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      this.sweep();
      return null;
    }
    return structuredClone(session);
  }

  async putSession(sid, session) {
    this.sweep();
    this.sessions.set(sid, structuredClone(session));
  }

  async removeConnection(sid, connectionId) {
    const session = this.sessions.get(sid);
    if (!session) return null;
    session.connections = session.connections.filter((c) => c.id !== connectionId);
    return structuredClone(session);
  }

  async deleteSession(sid) {
    this.sessions.delete(sid);
  }

  async consumeTransaction(txid, expiresAt) {
    this.sweep();
    if (this.transactions.has(txid)) return false;
    this.transactions.set(txid, expiresAt);
    return true;
  }

  connection(id) {
    let state = this.connections.get(id);
    if (!state) {
      const records = this.records;
      const connections = this.connections;
      state = new ConnectionState(
        {
          async get() {
            return structuredClone(records.get(id));
          },
          async put(record) {
            records.set(id, structuredClone(record));
          },
          async delete() {
            records.delete(id);
            connections.delete(id);
          },
        },
        this.env,
      );
      this.connections.set(id, state);
    }
    return state;
  }
}
