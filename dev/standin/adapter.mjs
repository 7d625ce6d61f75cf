// Per-instance storage for oidc-provider models (grants, tokens, sessions…).
//
// oidc-provider's built-in memory adapter keeps one process-wide LRU capped at
// 1000 entries: a load test (or several stand-ins in one test process) would
// see grants and tokens evicted and get spurious invalid_grant errors. This
// one is an unbounded Map per stand-in with expiry, swept periodically, and
// written through to the journal (journal.mjs) when the stand-in has a data
// directory. Writes are synchronous and happen inside upsert()/consume(), so
// a rotated refresh token is on disk before oidc-provider sends the token
// response that carries it.

const NS = 'oidc';

export function createTokenStore(journal) {
  const entries = new Map(); // key -> { value, expiresAt }
  const grants = new Map(); // grantId -> Set of keys
  const uids = new Map(); // session uid -> session id
  const userCodes = new Map(); // device user code -> id

  const alive = (e) => e && (e.expiresAt === undefined || e.expiresAt > Date.now());

  function index(key, value) {
    if (value.grantId) {
      if (!grants.has(value.grantId)) grants.set(value.grantId, new Set());
      grants.get(value.grantId).add(key);
    }
    if (key.startsWith('Session:') && value.uid) uids.set(value.uid, key.slice('Session:'.length));
    if (value.userCode) userCodes.set(value.userCode, key.slice(key.indexOf(':') + 1));
  }

  function forget(key) {
    const e = entries.get(key);
    entries.delete(key);
    const grantId = e?.value?.grantId;
    if (grantId) grants.get(grantId)?.delete(key);
  }

  for (const [key, stored] of journal.entries(NS)) {
    const e = { value: stored.value, expiresAt: stored.expiresAt ?? undefined };
    if (!alive(e)) continue;
    entries.set(key, e);
    index(key, e.value);
  }

  function get(key) {
    const e = entries.get(key);
    if (!alive(e)) {
      if (e) {
        forget(key);
        journal.commit([[NS, key]]);
      }
      return undefined;
    }
    return e.value;
  }

  // Drop expired entries now and then so long runs don't grow without bound.
  const sweeper = setInterval(() => {
    const now = Date.now();
    const gone = [];
    for (const [key, e] of entries) {
      if (e.expiresAt !== undefined && e.expiresAt <= now) {
        forget(key);
        gone.push([NS, key]);
      }
    }
    journal.commit(gone);
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
      forget(key);
      entries.set(key, { value: payload, expiresAt });
      index(key, payload);
      journal.commit([[NS, key, { value: payload, expiresAt }]]);
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

    // A consumed refresh token or code must stay consumed across a restart:
    // presenting it again is what revokes the grant.
    async consume(id) {
      const key = this.key(id);
      const value = get(key);
      if (!value) return;
      value.consumed = Math.floor(Date.now() / 1000);
      journal.commit([[NS, key, { value, expiresAt: entries.get(key).expiresAt }]]);
    }

    async destroy(id) {
      const key = this.key(id);
      forget(key);
      journal.commit([[NS, key]]);
    }

    async revokeByGrantId(grantId) {
      const keys = grants.get(grantId);
      if (!keys) return;
      grants.delete(grantId);
      for (const key of keys) entries.delete(key);
      journal.commit([...keys].map((key) => [NS, key]));
    }
  }

  return {
    Adapter,
    size: () => entries.size,
    close: () => clearInterval(sweeper),
  };
}
