// The directory: one Durable Object (named "directory") that knows which
// companies are connected — Durable Objects cannot be enumerated, and
// background work (connections.list()) needs the list — and that marks login
// transactions used, so a replayed login cookie fails (single use, checked
// before any network call). Off the API hot path: written on connect,
// status changes and disconnect; read by list() and at each callback.
//
// Storage: "c:<subject>" → the company's summary row (directory-summary.js):
//            { subject, name, status, account?, scopes, connectedAt, refreshedAt,
//              expiresAt, keepAliveAt, lastWebhookAt, export: {…}, updatedAt },
//            written by the company's object in the same step as each change;
//          "s:<status>\u0000<subject>" → 1: the rows by status (the operator
//            console's status filter pages over these, never over every row);
//          "n:<status>" → how many rows have that status;
//          "meta:statusIndex" → 1 once rows written before the index are indexed;
//          "a:<account>\u0000<subject>" → grantedAt: partner accounts' companies (accounts.js);
//          "tx:<id>" → expiresAt (ms epoch): a used login transaction;
//          "txx:<expiresAt, 15 digits>:<id>" → id: the same, ordered by expiry.
// The sweep (at each consume) reads only the oldest few of the ordered keys
// and stops at the first one not yet expired: it never lists them all. (It
// did: after 20,000 unauthenticated login/callback pairs a real callback took
// 58 ms, issue #16.) Keys "tx:" written before the index existed expire
// unswept; they are few and small.
import { WorkerError } from "../http/responses.js";
import { serveObject } from "./rpc.js";

const SWEEP_BATCH = 60; // ≤ 128 keys per delete: two per transaction
const expiryKey = (expiresAt, txid) => `txx:${String(Math.max(0, Math.floor(expiresAt))).padStart(15, "0")}:${txid}`;
const expiryOf = (key) => Number(key.slice(4, 19));

const accountKey = (account, subject) => `a:${account}\u0000${subject}`;

// The operator console's listing (page()).
export const ROW_STATUSES = ["active", "needs_reconnect"];
const statusKey = (status, subject) => `s:${status}\u0000${subject}`;
const countKey = (status) => `n:${status}`;
const INDEX_DONE_KEY = "meta:statusIndex";
const SCAN_BATCH = 200; // rows read per storage.list while searching
export const SCAN_MAX = 2000; // rows a search reads per page at most; the cursor goes on from there
const KEYS_PER_GET = 128;

/**
 * A summary row as stored: the row as the company's object built it
 * (directory-summary.js summaryOf: the connection's fields and each
 * feature's), stamped with the time the directory took it.
 */
const rowOf = (input, now) => ({ ...input, updatedAt: now });

const matches = (row, q) => row.subject.toLowerCase().includes(q) || (row.name ?? "").toLowerCase().includes(q);

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
    await this.sweepTransactions(Date.now());
    await this.storage.put({ [key]: expiresAt, [expiryKey(expiresAt, txid)]: txid });
    return true;
  }

  /** Forgets the oldest expired transactions, a bounded batch per call. */
  async sweepTransactions(now) {
    const gone = [];
    for (const [name, txid] of await this.storage.list({ prefix: "txx:", limit: SWEEP_BATCH })) {
      if (expiryOf(name) > now) break; // ordered by expiry: the rest are younger
      gone.push(name, `tx:${txid}`);
    }
    if (gone.length) await this.storage.delete(gone);
  }

  /** Is this company connected here? Asked before a webhook addresses the company's object (issue #16). */
  async isConnected({ subject }) {
    return typeof subject === "string" && (await this.storage.get(`c:${subject}`)) !== undefined;
  }

  /** The company's summary row, with its status index and counts (one put, one delete). */
  async remember(input) {
    if (typeof input?.subject !== "string" || typeof input.status !== "string") return;
    const { subject } = input;
    const row = rowOf(input, Date.now());
    const before = await this.storage.get(`c:${subject}`);
    const puts = { [`c:${subject}`]: row, [statusKey(row.status, subject)]: 1 };
    if (before?.status !== row.status) {
      const counts = await this.storage.get([countKey(row.status), ...(before ? [countKey(before.status)] : [])]);
      puts[countKey(row.status)] = (counts.get(countKey(row.status)) ?? 0) + 1;
      if (before) puts[countKey(before.status)] = Math.max(0, (counts.get(countKey(before.status)) ?? 1) - 1);
    }
    await this.storage.put(puts);
    if (before && before.status !== row.status) await this.storage.delete(statusKey(before.status, subject));
  }

  async forget({ subject, accounts = [] }) {
    const before = await this.storage.get(`c:${subject}`);
    if (before) {
      const count = (await this.storage.get(countKey(before.status))) ?? 1;
      await this.storage.put(countKey(before.status), Math.max(0, count - 1));
    }
    await this.storage.delete([
      `c:${subject}`,
      ...(before ? [statusKey(before.status, subject)] : []),
      ...accounts.filter((a) => typeof a === "string").map((a) => accountKey(a, subject)),
    ]);
  }

  /** One company's summary row, or null. */
  async row({ subject }) {
    return typeof subject === "string" ? ((await this.storage.get(`c:${subject}`)) ?? null) : null;
  }

  /**
   * Rows written before the status index existed get their index keys and
   * counts, once (a scan of every row, the first time the console lists).
   */
  async ensureStatusIndex() {
    if (await this.storage.get(INDEX_DONE_KEY)) return;
    const counts = {};
    let after;
    for (;;) {
      const batch = [...(await this.storage.list({ prefix: "c:", startAfter: after, limit: KEYS_PER_GET }))];
      if (!batch.length) break;
      const puts = {};
      for (const [key, row] of batch) {
        after = key;
        puts[statusKey(row.status, row.subject)] = 1;
        counts[row.status] = (counts[row.status] ?? 0) + 1;
      }
      await this.storage.put(puts);
    }
    const countPuts = { [INDEX_DONE_KEY]: 1 };
    for (const status of new Set([...ROW_STATUSES, ...Object.keys(counts)])) countPuts[countKey(status)] = counts[status] ?? 0;
    await this.storage.put(countPuts);
  }

  /**
   * A page of summary rows, in subject order: all of them, or one status
   * (over the "s:" index), optionally those whose name or subject contains
   * `q` (case-insensitive; at most SCAN_MAX rows are read per page, so a
   * search page may hold fewer than `limit` rows and still have a cursor).
   * `after` is the last key of the previous page (the route's opaque cursor).
   * → { rows, after (null at the end), counts: { total, active, needs_reconnect } }
   */
  async page({ status = null, q = "", after = null, limit = 50 }) {
    await this.ensureStatusIndex();
    const prefix = status ? statusKey(status, "") : "c:";
    if (after !== null && (typeof after !== "string" || !after.startsWith(prefix))) {
      throw new WorkerError(400, "invalid_cursor", "The cursor belongs to another listing: start again without it.");
    }
    const needle = typeof q === "string" ? q.toLowerCase() : "";
    const rows = [];
    let last = after ?? undefined;
    let scanned = 0;
    let more = false;
    for (;;) {
      const want = needle ? Math.min(SCAN_BATCH, SCAN_MAX - scanned) : limit - rows.length + 1;
      const batch = [...(await this.storage.list({ prefix, startAfter: last, limit: want }))];
      const byKey = status ? await this.rowsOf(batch.map(([key]) => `c:${key.slice(prefix.length)}`)) : null;
      for (const [key, value] of batch) {
        if (rows.length === limit) {
          more = true; // a key beyond this page exists
          break;
        }
        last = key;
        scanned += 1;
        const row = status ? byKey.get(`c:${key.slice(prefix.length)}`) : value;
        if (row && (!needle || matches(row, needle))) rows.push(row);
      }
      if (more) break;
      if (batch.length < want) {
        last = undefined; // the end of the listing
        break;
      }
      if (needle && scanned >= SCAN_MAX) break; // bounded: the next page goes on from `last`
    }
    const counts = await this.storage.get(ROW_STATUSES.map(countKey));
    const byStatus = Object.fromEntries(ROW_STATUSES.map((s) => [s, counts.get(countKey(s)) ?? 0]));
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    return { rows, after: last ?? null, counts: { total, ...byStatus } };
  }

  async rowsOf(keys) {
    const out = new Map();
    for (let i = 0; i < keys.length; i += KEYS_PER_GET) {
      for (const [key, row] of await this.storage.get(keys.slice(i, i + KEYS_PER_GET))) out.set(key, row);
    }
    return out;
  }

  /** Partner accounts: `account` connected `subject`. */
  async grantAccount({ account, subject }) {
    await this.storage.put(accountKey(account, subject), Date.now());
  }

  /** Was `subject` granted to `account`, and is it still connected? */
  async accountHolds({ account, subject }) {
    const found = await this.storage.get([accountKey(account, subject), `c:${subject}`]);
    return found.size === 2;
  }

  /** The companies granted to `account` that are still connected, newest grant first. */
  async accountCompanies({ account }) {
    const prefix = accountKey(account, "");
    const granted = [...(await this.storage.list({ prefix }))].map(([key, at]) => ({ subject: key.slice(prefix.length), at }));
    if (!granted.length) return [];
    const connected = await this.storage.get(granted.map((g) => `c:${g.subject}`));
    return granted
      .filter((g) => connected.has(`c:${g.subject}`))
      .sort((a, b) => b.at - a.at)
      .map((g) => g.subject);
  }

  async list() {
    return [...(await this.storage.list({ prefix: "c:" })).values()];
  }

  fetch(request) {
    return serveObject(request, {
      consumeTransaction: (arg) => this.consumeTransaction(arg),
      remember: (arg) => this.remember(arg),
      forget: (arg) => this.forget(arg),
      isConnected: (arg) => this.isConnected(arg),
      list: () => this.list(),
      row: (arg) => this.row(arg),
      page: (arg) => this.page(arg),
      grantAccount: (arg) => this.grantAccount(arg),
      accountCompanies: (arg) => this.accountCompanies(arg),
      accountHolds: (arg) => this.accountHolds(arg),
    });
  }
}
