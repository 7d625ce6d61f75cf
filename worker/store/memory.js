// In-memory Durable Object namespaces for the Node adapter — FOR TESTS AND
// QUICK LOCAL RUNS ONLY: everything is lost when the process stops, and it
// serves one process. The very same ConnectionObject and DirectoryObject
// classes run here as on workerd; this file only imitates the platform
// (idFromName, one instance per name, storage, the alarm). `npm start`
// runs on workerd with SQLite-backed storage in .data/ instead.
//
//   const store = createMemoryStore();
//   startNodeWorker({ env, store });   // the adapter calls store.bindings(env, app)

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

class MemoryStorage {
  constructor(onAlarm) {
    this.data = new Map();
    this.alarmAt = null;
    this.timer = null;
    this.onAlarm = onAlarm;
  }

  async get(keyOrKeys) {
    if (Array.isArray(keyOrKeys)) {
      const out = new Map();
      for (const key of keyOrKeys) if (this.data.has(key)) out.set(key, structuredClone(this.data.get(key)));
      return out;
    }
    return this.data.has(keyOrKeys) ? structuredClone(this.data.get(keyOrKeys)) : undefined;
  }

  async put(keyOrEntries, value) {
    if (typeof keyOrEntries === "string") this.data.set(keyOrEntries, structuredClone(value));
    else for (const [key, v] of Object.entries(keyOrEntries)) this.data.set(key, structuredClone(v));
  }

  async delete(keyOrKeys) {
    const keys = Array.isArray(keyOrKeys) ? keyOrKeys : [keyOrKeys];
    let n = 0;
    for (const key of keys) if (this.data.delete(key)) n++;
    return Array.isArray(keyOrKeys) ? n : n > 0;
  }

  async deleteAll() {
    this.data.clear();
  }

  async list({ prefix = "", startAfter, limit = Infinity } = {}) {
    const out = new Map();
    for (const key of [...this.data.keys()].sort()) {
      if (out.size >= limit) break;
      if (startAfter !== undefined && key <= startAfter) continue;
      if (key.startsWith(prefix)) out.set(key, structuredClone(this.data.get(key)));
    }
    return out;
  }

  async sync() {}

  async getAlarm() {
    return this.alarmAt;
  }

  async setAlarm(at) {
    const when = typeof at === "number" ? at : at.getTime();
    this.alarmAt = when;
    this.arm();
  }

  arm() {
    clearTimeout(this.timer);
    if (this.alarmAt === null) return;
    // setTimeout holds at most 2^31-1 ms (~24.8 days); a later alarm re-arms.
    const delay = Math.max(0, this.alarmAt - Date.now());
    this.timer = setTimeout(
      () => {
        if (this.alarmAt !== null && this.alarmAt > Date.now()) {
          this.arm();
          return;
        }
        this.alarmAt = null;
        this.onAlarm();
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    this.timer.unref?.();
  }

  async deleteAlarm() {
    this.alarmAt = null;
    clearTimeout(this.timer);
  }

  close() {
    clearTimeout(this.timer);
  }
}

class MemoryNamespace {
  constructor(ObjectClass, getEnv) {
    this.ObjectClass = ObjectClass;
    this.getEnv = getEnv;
    this.instances = new Map();
  }

  idFromName(name) {
    return { name, toString: () => name };
  }

  get(id) {
    const name = id.name;
    let instance = this.instances.get(name);
    if (!instance) {
      let object;
      const storage = new MemoryStorage(() => {
        Promise.resolve(object.alarm?.()).catch((err) => console.error("alarm failed:", err?.name, err?.code ?? ""));
      });
      object = new this.ObjectClass({ id, storage, blockConcurrencyWhile: (fn) => fn() }, this.getEnv());
      instance = { object, storage };
      this.instances.set(name, instance);
    }
    return {
      fetch: (input, init) => instance.object.fetch(input instanceof Request ? input : new Request(input, init)),
    };
  }

  close() {
    for (const { storage } of this.instances.values()) storage.close();
  }
}

/**
 * The store object the Node adapter takes: `bindings(env, app)` returns the
 * Durable Object namespaces (CONNECTIONS, DIRECTORY) for the worker `app`
 * (from createWorker), instantiating its classes in this process.
 */
export function createMemoryStore() {
  // Created by the first worker bound to this store; a second worker (a
  // second "isolate" in tests) shares the same objects, as on Cloudflare.
  let bound = null;
  return {
    kind: "memory",
    bindings(env, app) {
      if (!bound) {
        bound = {
          CONNECTIONS: new MemoryNamespace(app.ConnectionObject, () => env),
          DIRECTORY: new MemoryNamespace(app.DirectoryObject, () => env),
        };
      }
      return { ...bound };
    },
    close() {
      bound?.CONNECTIONS.close();
      bound?.DIRECTORY.close();
    },
  };
}
