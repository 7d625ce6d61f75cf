// How the worker reaches its Durable Objects: `companyObject(env, subject)`
// for a company's ConnectionObject (connection/object.js) and
// `directory(env)` for the DirectoryObject (directory-object.js). Each method
// names one method of the object, so routes never spell a method name; the
// call itself is one POST over rpc.js (JSON in and out, WorkerErrors carried
// back typed).
//
//   const token = await companyObject(env, subject).access({ sid });
//   const fresh = await directory(env).consumeTransaction({ txid, expiresAt });
import { WorkerError } from "../http/responses.js";
import { directoryStub } from "./directory-object.js";
import { callObject } from "./rpc.js";

/** A company's subject URN (`urn:pleo:company:<id>`), the name of its object. */
export const SUBJECT = /^urn:pleo:[a-z-]{1,32}:[A-Za-z0-9._-]{1,128}$/;

/** The company's Durable Object stub; 400 `invalid_company` for a name that is not a subject URN. */
export function connectionStub(env, subject) {
  if (typeof subject !== "string" || !SUBJECT.test(subject)) {
    throw new WorkerError(400, "invalid_company", "A company is named by its subject URN (urn:pleo:company:<id>).");
  }
  return env.CONNECTIONS.get(env.CONNECTIONS.idFromName(subject));
}

/**
 * @typedef {{ accessToken: string, tokenType: string, expiresAt: number, obtainedAt: number }} AccessToken
 * @typedef {{ subject: string, name: string | null, status: "active" | "needs_reconnect", scopes: string[],
 *   expiresAt: number | null, connectedAt: number, reconnectedAt: number | null, refreshedAt: number | null,
 *   refreshable: boolean, history: { at: number, event: string }[] }} Connection
 */

/**
 * The company's object (connection/object.js), one method per thing it does.
 * Throws the object's WorkerErrors (401 `no_session`, `no_connection`,
 * `connection_expired`, 502 `pleo_unavailable`, …) and 400 `invalid_company`
 * at once for a name that is not a subject URN.
 * @param {object} env the worker's env (binding `CONNECTIONS`)
 * @param {string} subject the company's subject URN
 */
export function companyObject(env, subject) {
  const stub = connectionStub(env, subject);
  const call = (method, arg) => callObject(stub, method, arg);
  return {
    /**
     * The API hot path: may `sid` (a session id or "account:<id>") act for this
     * company, and a usable access token, in one hop. `force` refreshes now and
     * also returns the connection; `rejectedToken` is a token Pleo answered 401 to.
     * @param {{ sid: string, force?: boolean, rejectedToken?: string | null }} arg
     * @returns {Promise<AccessToken & { connection?: Connection }>}
     */
    access: (arg) => call("access", arg),
    /**
     * A usable access token for background work (no session).
     * @param {{ rejectedToken?: string | null }} [arg]
     * @returns {Promise<AccessToken>}
     */
    token: (arg = {}) => call("token", { rejectedToken: arg.rejectedToken ?? null }),
    /**
     * The connection without tokens, and whether `sid` holds it (`held` null when no sid); null when not connected.
     * @param {{ sid?: string }} [arg]
     * @returns {Promise<{ connection: Connection, held: boolean | null } | null>}
     */
    describe: (arg = {}) => call("describe", arg),
    /**
     * Stores a new token set (first connect or reconnect) and admits `sid` or `account`.
     * @param {{ subject: string, name?: string | null, tokens: object, sid?: string, dropSid?: string,
     *   sessionExpiresAt?: number, account?: string }} arg
     * @returns {Promise<Connection>}
     */
    connect: (arg) => call("connect", arg),
    /**
     * Moves the company from a browser's previous session id to its new one.
     * @param {{ from: string, to: string, expiresAt: number }} arg
     * @returns {Promise<boolean>}
     */
    adoptSession: (arg) => call("adoptSession", arg),
    /**
     * Logout: session `sid` loses access; the connection stays.
     * @param {{ sid: string }} arg
     * @returns {Promise<boolean>}
     */
    leave: (arg) => call("leave", arg),
    /**
     * Ends the connection for everyone (only if `sid`, when given, holds it).
     * @param {{ sid?: string }} [arg]
     * @returns {Promise<{ ended: boolean, revoked: boolean }>}
     */
    disconnect: (arg = {}) => call("disconnect", arg),
    /**
     * The operator console's "Refresh now": no session, single-flight like every refresh.
     * @returns {Promise<Connection>}
     */
    operatorRefresh: () => call("operatorRefresh", {}),
    /**
     * Calls a method a feature added to the object (`feature.connection.methods`).
     * @param {string} method the feature's method name
     * @param {...unknown} args JSON values
     */
    call: (method, ...args) => call("call", { method, args }),
  };
}

/**
 * @typedef {{ subject: string, name: string | null, status: string, updatedAt: number }} DirectoryRow
 */

/**
 * The directory (directory-object.js): the connected companies, partner
 * accounts' companies, used login transactions.
 * @param {object} env the worker's env (binding `DIRECTORY`)
 */
export function directory(env) {
  const stub = directoryStub(env);
  const call = (method, arg) => callObject(stub, method, arg);
  return {
    /**
     * Marks a login transaction used; false when it already was (a replay).
     * @param {{ txid: string, expiresAt: number }} arg
     * @returns {Promise<boolean>}
     */
    consumeTransaction: (arg) => call("consumeTransaction", arg),
    /**
     * Is this company connected? (asked before a webhook reaches the company's object)
     * @param {{ subject: string }} arg
     * @returns {Promise<boolean>}
     */
    isConnected: (arg) => call("isConnected", arg),
    /**
     * Writes the company's summary row (directory-summary.js).
     * @param {object} row
     * @returns {Promise<void>}
     */
    remember: (row) => call("remember", row),
    /**
     * Drops the company's row and its accounts' index keys.
     * @param {{ subject: string, accounts?: string[] }} arg
     * @returns {Promise<void>}
     */
    forget: (arg) => call("forget", arg),
    /**
     * Every connected company.
     * @returns {Promise<DirectoryRow[]>}
     */
    list: () => call("list", {}),
    /**
     * One company's summary row, or null.
     * @param {{ subject: string }} arg
     */
    row: (arg) => call("row", arg),
    /**
     * A page of summary rows for the operator console.
     * @param {{ status?: string | null, q?: string, after?: string | null, limit?: number }} arg
     */
    page: (arg) => call("page", arg),
    /**
     * Partner accounts: `account` holds `subject`.
     * @param {{ account: string, subject: string }} arg
     * @returns {Promise<void>}
     */
    grantAccount: (arg) => call("grantAccount", arg),
    /**
     * Partner accounts: does `account` hold `subject`?
     * @param {{ account: string, subject: string }} arg
     * @returns {Promise<boolean>}
     */
    accountHolds: (arg) => call("accountHolds", arg),
    /**
     * Partner accounts: the companies `account` holds.
     * @param {{ account: string }} arg
     * @returns {Promise<string[]>}
     */
    accountCompanies: (arg) => call("accountCompanies", arg),
  };
}
