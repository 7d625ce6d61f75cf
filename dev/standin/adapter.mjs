// Per-instance in-memory storage for oidc-provider models.
//
// oidc-provider's built-in memory adapter keeps one process-wide LRU capped at
// 1000 entries: a load test (or several stand-ins in one test process) would
// see grants and tokens evicted and get spurious invalid_grant errors. This
// one is an unbounded Map per stand-in with expiry, swept periodically.

export function createMemoryStore() {
  const entries = new Map(); // key -> { value, expiresAt }
  const grants = new Map(); // grantId -> Set of keys
  const uids = new Map(); // session uid -> session id
  const userCodes = new Map(); // device user code -> id

  const alive = (e) => e && (e.expiresAt === undefined || e.expiresAt > Date.now());

  function get(key) {
    const e = entries.get(key);
    if (!alive(e)) {
      if (e) remove(key);
      return undefined;
    }
    return e.value;
  }

  function remove(key) {
    const e = entries.get(key);
    entries.delete(key);
    const grantId = e?.value?.grantId;
    if (grantId) grants.get(grantId)?.delete(key);
  }

  // Drop expired entries now and then so long runs don't grow without bound.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [key, e] of entries) if (e.expiresAt !== undefined && e.expiresAt <= now) remove(key);
    for (const [id, keys] of grants) if (keys.size === 0) grants.delete(id);
    for (const [uid, id] of uids) if (!entries.has(`Session:${id}`)) uids.delete(uid);
    for (const [code, id] of userCodes) if (!entries.has(`DeviceCode:${id}`)) userCodes.delete(code);
  }, 60_000);
  sweeper.unref();

  class Adapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
      remove(key);
      entries.set(key, { value: payload, expiresAt });
      if (payload.grantId) {
        if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
        grants.get(payload.grantId).add(key);
      }
      if (this.model === 'Session' && payload.uid) uids.set(payload.uid, id);
      if (payload.userCode) userCodes.set(payload.userCode, id);
    }

    async find(id) {
      return get(this.key(id));
    }

    async findByUid(uid) {
      const id = uids.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode) {
      const id = userCodes.get(userCode);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id) {
      const value = get(this.key(id));
      if (value) value.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      remove(this.key(id));
    }

    async revokeByGrantId(grantId) {
      const keys = grants.get(grantId);
      if (!keys) return;
      grants.delete(grantId);
      for (const key of keys) entries.delete(key);
    }
  }

  return {
    Adapter,
    size: () => entries.size,
    close: () => clearInterval(sweeper),
  };
}
