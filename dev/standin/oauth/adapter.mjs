// Per-instance storage for oidc-provider models (grants, tokens, sessions…).
//
// oidc-provider's built-in memory adapter keeps one process-wide LRU capped at
// 1000 entries: a load test (or several stand-ins in one test process) would
// see grants and tokens evicted and get spurious invalid_grant errors. This
// one is an unbounded Map per stand-in with expiry, swept periodically, and
// written through to the journal (runtime/journal.mjs) when the stand-in has a data
// directory. Writes are synchronous and happen inside upsert()/consume(), so
// a rotated refresh token is on disk before oidc-provider sends the token
// response that carries it.

const NS = "oidc";

// The store: entries plus the indexes oidc-provider looks things up by.
function newStore(journal) {
  return {
    journal,
    entries: new Map(), // key -> { value, expiresAt }
    grants: new Map(), // grantId -> Set of keys
    uids: new Map(), // session uid -> session id
    userCodes: new Map(), // device user code -> id
  };
}

const alive = (e) => e && (e.expiresAt === undefined || e.expiresAt > Date.now());

function index(store, key, value) {
  if (value.grantId) {
    if (!store.grants.has(value.grantId)) store.grants.set(value.grantId, new Set());
    store.grants.get(value.grantId).add(key);
  }
  if (key.startsWith("Session:") && value.uid) store.uids.set(value.uid, key.slice("Session:".length));
  if (value.userCode) store.userCodes.set(value.userCode, key.slice(key.indexOf(":") + 1));
}

function forget(store, key) {
  const e = store.entries.get(key);
  store.entries.delete(key);
  const grantId = e?.value?.grantId;
  if (grantId) store.grants.get(grantId)?.delete(key);
}

// The journal's unexpired entries, indexed.
function load(store) {
  for (const [key, stored] of store.journal.entries(NS)) {
    const e = { value: stored.value, expiresAt: stored.expiresAt ?? undefined };
    if (!alive(e)) continue;
    store.entries.set(key, e);
    index(store, key, e.value);
  }
}

// A live entry's value; an expired one is forgotten (and its deletion journalled).
function get(store, key) {
  const e = store.entries.get(key);
  if (!alive(e)) {
    if (e) {
      forget(store, key);
      store.journal.commit([[NS, key]]);
    }
    return undefined;
  }
  return e.value;
}

// Drops expired entries and the index entries left pointing at nothing.
function sweep(store) {
  const { entries, grants, uids, userCodes } = store;
  const now = Date.now();
  const gone = [];
  for (const [key, e] of entries) {
    if (e.expiresAt !== undefined && e.expiresAt <= now) {
      forget(store, key);
      gone.push([NS, key]);
    }
  }
  store.journal.commit(gone);
  for (const [id, keys] of grants) if (keys.size === 0) grants.delete(id);
  for (const [uid, id] of uids) if (!entries.has(`Session:${id}`)) uids.delete(uid);
  for (const [code, id] of userCodes) if (!entries.has(`DeviceCode:${id}`)) userCodes.delete(code);
}

// oidc-provider's adapter interface for one model over the store.
class StoreAdapter {
  constructor(store, model) {
    this.store = store;
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : undefined;
    forget(this.store, key);
    this.store.entries.set(key, { value: payload, expiresAt });
    index(this.store, key, payload);
    this.store.journal.commit([[NS, key, { value: payload, expiresAt }]]);
  }

  async find(id) {
    return get(this.store, this.key(id));
  }

  async findByUid(uid) {
    const id = this.store.uids.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = this.store.userCodes.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  // A consumed refresh token or code must stay consumed across a restart:
  // presenting it again is what revokes the grant.
  async consume(id) {
    const key = this.key(id);
    const value = get(this.store, key);
    if (!value) return;
    value.consumed = Math.floor(Date.now() / 1000);
    this.store.journal.commit([[NS, key, { value, expiresAt: this.store.entries.get(key).expiresAt }]]);
  }

  async destroy(id) {
    const key = this.key(id);
    forget(this.store, key);
    this.store.journal.commit([[NS, key]]);
  }

  async revokeByGrantId(grantId) {
    const keys = this.store.grants.get(grantId);
    if (!keys) return;
    this.store.grants.delete(grantId);
    for (const key of keys) this.store.entries.delete(key);
    this.store.journal.commit([...keys].map((key) => [NS, key]));
  }
}

// Every grant of one company (oidc-provider's accountId is the company's
// subject URN here), with the tokens issued under it: what a Pleo admin
// removing the integration does. Returns how many grants went.
function revokeSubject(store, subject) {
  const grantIds = new Set();
  for (const [key, e] of store.entries) {
    if (e.value?.accountId !== subject) continue;
    if (key.startsWith("Grant:")) grantIds.add(key.slice("Grant:".length));
    else if (e.value.grantId) grantIds.add(e.value.grantId);
  }
  const gone = [];
  for (const grantId of grantIds) {
    for (const key of [...(store.grants.get(grantId) ?? []), `Grant:${grantId}`]) {
      if (store.entries.delete(key)) gone.push([NS, key]);
    }
    store.grants.delete(grantId);
  }
  store.journal.commit(gone);
  return grantIds.size;
}

export function createTokenStore(journal) {
  const store = newStore(journal);
  load(store);
  // Drop expired entries now and then so long runs don't grow without bound.
  const sweeper = setInterval(() => sweep(store), 60_000);
  sweeper.unref();

  // oidc-provider constructs adapters with the model name only.
  class Adapter extends StoreAdapter {
    constructor(model) {
      super(store, model);
    }
  }

  return {
    Adapter,
    revokeSubject: (subject) => revokeSubject(store, subject),
    size: () => store.entries.size,
    close: () => clearInterval(sweeper),
  };
}
