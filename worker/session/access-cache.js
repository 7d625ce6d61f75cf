// Per-isolate cache of "session S may act for company C, with this access
// token", so a steady-state API call makes no storage round trip at all.
//
// Staleness bound: an entry is trusted for at most ACCESS_CACHE_MS (default
// 1000 ms; 0 turns the cache off) and a token pleo-oauth says will need
// refreshing within that time is not cached at all. Logout, disconnect, reconnect and needs_reconnect clear
// the entries of this isolate at once; other isolates (other Cloudflare
// locations, other worker instances) notice within the bound. A 401 from
// Pleo drops the entry and asks the connection object.
import { needsRefresh } from "pleo-oauth";

const DEFAULT_TTL_MS = 1000;
const MAX_ENTRIES = 10_000;

export function accessCacheTtlMs(env) {
  const value = Number(env.ACCESS_CACHE_MS);
  return env.ACCESS_CACHE_MS !== undefined && Number.isFinite(value) && value >= 0 ? value : DEFAULT_TTL_MS;
}

export class AccessCache {
  constructor() {
    this.entries = new Map(); // `${sid}\n${subject}` → { token, until }
  }

  get(sid, subject, ttlMs, now = Date.now()) {
    if (ttlMs <= 0) return null;
    const key = `${sid}\n${subject}`;
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.until <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry.token;
  }

  set(sid, subject, token, ttlMs, now = Date.now()) {
    if (ttlMs <= 0) return;
    const until = now + ttlMs;
    // "Needs refresh" only turns true as time passes: a token that is not
    // due at the end of the entry's life is not due at any use before it,
    // so a hit needs no check. One that will be due is not cached: its
    // callers go to the connection object, which refreshes it.
    if (needsRefresh(token, { now: until })) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(`${sid}\n${subject}`, { token, until });
  }

  forget(sid, subject) {
    this.entries.delete(`${sid}\n${subject}`);
  }

  forgetSession(sid) {
    for (const key of this.entries.keys()) if (key.startsWith(`${sid}\n`)) this.entries.delete(key);
  }

  forgetCompany(subject) {
    for (const key of this.entries.keys()) if (key.endsWith(`\n${subject}`)) this.entries.delete(key);
  }
}
