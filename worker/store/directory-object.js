// The directory: one Durable Object (named "directory") that knows which
// companies are connected — Durable Objects cannot be enumerated, and
// background work (connections.list()) needs the list — and that marks login
// transactions used, so a replayed login cookie fails (single use, checked
// before any network call). Off the API hot path: written on connect,
// status changes and disconnect; read by list() and at each callback.
//
// Storage: "c:<subject>" → { subject, name, status, updatedAt };
//          "tx:<id>" → expiresAt (ms epoch), swept when a transaction is consumed.
import { serveObject } from "./rpc.js";

export function directoryStub(env) {
  const namespace = env.DIRECTORY;
  return namespace.get(namespace.idFromName("directory"));
}

export class DirectoryObject {
  constructor(state, env) {
    this.storage = state.storage;
    this.env = env;
  }

  async consumeTransaction({ txid, expiresAt }) {
    const key = `tx:${txid}`;
    if ((await this.storage.get(key)) !== undefined) return false;
    const now = Date.now();
    const stale = [];
    for (const [name, until] of await this.storage.list({ prefix: "tx:" })) if (until <= now) stale.push(name);
    if (stale.length) await this.storage.delete(stale);
    await this.storage.put(key, expiresAt);
    return true;
  }

  async remember({ subject, name, status }) {
    await this.storage.put(`c:${subject}`, { subject, name: name ?? null, status, updatedAt: Date.now() });
  }

  async forget({ subject }) {
    await this.storage.delete(`c:${subject}`);
  }

  async list() {
    return [...(await this.storage.list({ prefix: "c:" })).values()];
  }

  fetch(request) {
    return serveObject(request, {
      consumeTransaction: (arg) => this.consumeTransaction(arg),
      remember: (arg) => this.remember(arg),
      forget: (arg) => this.forget(arg),
      list: () => this.list(),
    });
  }
}
