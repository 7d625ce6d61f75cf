// One Pleo connection (one company's token set) and its refresh rules.
// Shared by both stores: the Durable Object (one object per connection) and
// the in-memory store of the Node adapter. The storage is a tiny
// `{ get(), put(record), delete() }` so the logic is identical in both.
import { needsRefresh } from "pleo-oauth";
import { WorkerError } from "./http.js";
import { loadConfig } from "./config.js";
import { sendOAuthRequest, tokenResponseError } from "./pleo-http.js";

// Refresh ahead of expiry by a quarter of the token's lifetime, at most 60 s:
// 15 s early for Pleo's 15-minute tokens, 0.5 s for a 2-second test token.
const MAX_SKEW_MS = 60_000;

export function refreshSkewMs(record) {
  const lifetime = (record.tokens.expiresAt ?? 0) - (record.obtainedAt ?? 0);
  return Math.min(MAX_SKEW_MS, Math.max(0, lifetime / 4));
}

/** What the browser may know about a connection: never a token. */
export function describeConnection(record) {
  return {
    id: record.id,
    subject: record.subject,
    name: record.name ?? null,
    scopes: record.scopes,
    expiresAt: record.tokens.expiresAt ?? null,
    connectedAt: record.connectedAt,
    refreshedAt: record.refreshedAt ?? null,
    refreshable: Boolean(record.tokens.refreshToken),
  };
}

function withDeadline(promise, ms) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new WorkerError(502, "pleo_unavailable", "Pleo's token endpoint did not answer in time. Please try again.")),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class ConnectionState {
  /** @param storage {{ get(): Promise<object|undefined>, put(record): Promise<void>, delete(): Promise<void> }} */
  constructor(storage, env) {
    this.storage = storage;
    this.env = env;
    this.record = undefined; // undefined: not loaded yet; null: none
    this.inflight = null;
  }

  async load() {
    if (this.record === undefined) this.record = (await this.storage.get()) ?? null;
    return this.record;
  }

  async create(record) {
    await this.storage.put(record);
    this.record = record;
    return describeConnection(record);
  }

  async describe() {
    const record = await this.load();
    return record ? describeConnection(record) : null;
  }

  /**
   * A usable access token. Refreshes first when the token is within the skew
   * of its expiry, when `force` is set ("Refresh now"), or when the caller saw
   * `rejectedToken` fail with 401 and nobody has replaced it yet. Only one
   * refresh runs at a time per connection: Pleo rotates refresh tokens and
   * revokes the whole authorisation when an old one is presented twice.
   */
  async accessToken({ force = false, rejectedToken = null, now = Date.now() } = {}) {
    if (!this.inflight) {
      const record = await this.load();
      if (!record) throw new WorkerError(401, "no_connection", "This company is not connected.");
      const { tokens } = record;
      // The library decides when a token needs refreshing (expiresAt within the skew).
      const nearExpiry = needsRefresh(tokens, { now, skewMs: refreshSkewMs(record) });
      const rejected = rejectedToken !== null && rejectedToken === tokens.accessToken;
      if ((force || nearExpiry || rejected) && !this.inflight) {
        this.inflight = this.refresh(record).finally(() => {
          this.inflight = null;
        });
      }
    }
    // Everyone who arrives while a refresh is in flight shares its outcome,
    // success or failure; nobody starts a second one with the same token.
    // Callers wait at most the request timeout; the refresh itself runs on
    // (see refresh()).
    if (this.inflight) await withDeadline(this.inflight, loadConfig(this.env).timeoutMs);
    const current = await this.load();
    if (!current) throw new WorkerError(401, "connection_expired", "This connection has ended. Please connect again.");
    return { accessToken: current.tokens.accessToken, connection: describeConnection(current) };
  }

  async refresh(record) {
    const config = loadConfig(this.env);
    if (!record.tokens.refreshToken) {
      await this.remove();
      throw new WorkerError(401, "connection_expired", "The access token expired and Pleo issued no refresh token. Please connect again.");
    }
    // A slow refresh is not abandoned at the callers' timeout: once sent, Pleo
    // may rotate the refresh token whether or not we read the answer, and
    // the old one is then burnt (reusing it revokes the authorisation). So
    // the request gets a long deadline, keeps the single-flight lock, and its
    // result is stored whenever it arrives.
    const response = await sendOAuthRequest(config.client.refreshRequest(record.tokens.refreshToken), config.refreshDeadlineMs);
    let tokens;
    try {
      // A refresh response without a refresh token keeps the previous one.
      tokens = config.client.parseTokenResponse(response, { previous: record.tokens });
    } catch (err) {
      const error = tokenResponseError(err, response.status);
      // invalid_grant: the authorisation is gone. End the connection cleanly and
      // never retry with the old refresh token (Pleo revokes on reuse).
      if (error.code === "connection_expired") await this.remove();
      throw error;
    }
    if (this.record === null) return; // disconnected while the refresh was in flight
    const now = Date.now();
    const next = {
      ...record,
      tokens,
      scopes: tokens.scope?.length ? tokens.scope : record.scopes,
      obtainedAt: now,
      refreshedAt: now,
    };
    // The rotated refresh token is persisted before anyone can use the new access token.
    await this.storage.put(next);
    this.record = next;
  }

  async remove() {
    this.record = null;
    await this.storage.delete();
  }

  /** Ends the connection (after any refresh in flight) and returns its last tokens for revocation. */
  async end() {
    if (this.inflight) await withDeadline(this.inflight, loadConfig(this.env).timeoutMs).catch(() => {});
    const record = await this.load();
    await this.remove();
    return record ? record.tokens : null;
  }
}
