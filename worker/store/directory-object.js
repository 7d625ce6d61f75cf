// The directory: one Durable Object (named "directory") that knows which
// companies are connected — Durable Objects cannot be enumerated, and
// background work (connections.list()) needs the list — and that marks login
// transactions used, so a replayed login cookie fails (single use, checked
// before any network call). Off the API hot path: written on connect,
// status changes and disconnect; read by list() and at each callback.
//
// Storage: "c:<subject>" → { subject, name, status, updatedAt };
//          "a:<account>\u0000<subject>" → grantedAt: partner accounts' companies (accounts.js);
//          "tx:<id>" → expiresAt (ms epoch): a used login transaction;
//          "txx:<expiresAt, 15 digits>:<id>" → id: the same, ordered by expiry.
// The sweep (at each consume) reads only the oldest few of the ordered keys
// and stops at the first one not yet expired: it never lists them all. (It
// did: after 20,000 unauthenticated login/callback pairs a real callback took
// 58 ms, issue #16.) Keys "tx:" written before the index existed expire
// unswept; they are few and small.
import { serveObject } from "./rpc.js";

const SWEEP_BATCH = 60; // ≤ 128 keys per delete: two per transaction
const expiryKey = (expiresAt, txid) => `txx:${String(Math.max(0, Math.floor(expiresAt))).padStart(15, "0")}:${txid}`;
const expiryOf = (key) => Number(key.slice(4, 19));

const accountKey = (account, subject) => `a:${account}\u0000${subject}`;

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

  async remember({ subject, name, status }) {
    await this.storage.put(`c:${subject}`, { subject, name: name ?? null, status, updatedAt: Date.now() });
  }

  async forget({ subject, accounts = [] }) {
    await this.storage.delete([`c:${subject}`, ...accounts.filter((a) => typeof a === "string").map((a) => accountKey(a, subject))]);
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
    return granted.filter((g) => connected.has(`c:${g.subject}`)).sort((a, b) => b.at - a.at).map((g) => g.subject);
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
      grantAccount: (arg) => this.grantAccount(arg),
      accountCompanies: (arg) => this.accountCompanies(arg),
      accountHolds: (arg) => this.accountHolds(arg),
    });
  }
}
