// The company's side of a webhook delivery, inside its connection object:
// verify the raw body with the stored subscription secret (pleo-oauth's
// verifyWebhook: Standard Webhooks, HMAC-SHA256, constant-time comparison,
// ±5 min), drop repeats of a webhook-id seen in the last 24 h, then ask the
// export feature for a look-up through its public connection method
// (`requestExportLookup`) — skipped when the worker runs without export
// (createWorker({ builtins })). SECURITY.md: nothing in the body is trusted
// beyond "go and look" — the look-up reads Pleo's API with the company's own token.
import { verifyWebhook } from "pleo-oauth";
import { EVENT_TYPE, SUBSCRIPTION_KEY } from "./subscriptions.js";

export const SEEN_PREFIX = "webhooks:seen:";
// webhook.rejected (docs/EVENTS.md): anyone can POST a bad signature, so at
// most one event per company per REJECTED_WINDOW_MS (carrying how many
// rejections it stands for), and none while 100 events wait undelivered.
const REJECTED_KEY = "webhooks:lastRejectedEvent";
const REJECTED_WINDOW_MS = 60_000;
const REJECTED_OUTBOX_CAP = 100;
const SWEEP_KEY = "webhooks:lastSweep";
const DEFAULT_DEDUP_SECONDS = 24 * 3600;

/** How long a webhook-id is remembered (WEBHOOK_DEDUP_SECONDS, default 24 h). */
export function dedupMs(env) {
  const s = Number(env.WEBHOOK_DEDUP_SECONDS);
  return (env.WEBHOOK_DEDUP_SECONDS !== undefined && Number.isFinite(s) && s > 0 ? s : DEFAULT_DEDUP_SECONDS) * 1000;
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * @param conn the connection object's context for the webhooks feature (`memory` is its own slot)
 * @param {{ headers: Record<string, string>, body: string /* base64 of the raw bytes *\/ }} delivery
 * @returns {Promise<{ outcome: "accepted" | "duplicate" | "not_connected" | "no_subscription_secret" | string /* an OAuthError code *\/, id?: string, type?: string, exportLookup?: boolean }>}
 */
export async function receiveWebhook(conn, delivery) {
  const connection = await conn.describe();
  const subscription = await conn.storage.get(SUBSCRIPTION_KEY);
  if (!connection) return { outcome: "not_connected" };
  // Connected, but no subscription secret on record (e.g. setting it up failed):
  // nothing can be verified, so nothing is accepted (401, the sender retries).
  if (!subscription?.secret) return rejected(conn, delivery, "no_subscription_secret");

  let verified;
  try {
    verified = verifyWebhook({
      headers: delivery.headers ?? {},
      body: fromBase64(typeof delivery.body === "string" ? delivery.body : ""),
      secret: subscription.secret,
      now: Date.now(),
    });
  } catch (err) {
    if (err?.name === "OAuthError") return rejected(conn, delivery, err.code);
    throw err;
  }

  const now = Date.now();
  const key = `${SEEN_PREFIX}${verified.id}`;
  const seenAt = await conn.storage.get(key);
  if (typeof seenAt === "number" && now - seenAt < dedupMs(conn.env)) {
    return { outcome: "duplicate", id: verified.id, type: verified.type };
  }
  // Remembered before anything else happens (the object runs one event at
  // a time between awaits, so three concurrent deliveries see this).
  await conn.storage.put(key, now);
  await conn.announce?.({ webhookAt: now }); // the operator console's row: lastWebhookAt
  await sweep(conn, now);
  let exportLookup = false;
  if (verified.type === EVENT_TYPE || verified.type === undefined) exportLookup = await askForExportLookup(conn);
  return { outcome: "accepted", id: verified.id, type: verified.type, exportLookup };
}

/**
 * "A job may be waiting": the export feature's public method, when the
 * worker has it. Without export the delivery is still verified and recorded.
 */
async function askForExportLookup(conn) {
  if (!conn.offers("requestExportLookup")) return false;
  await conn.call("requestExportLookup", { reason: "webhook" });
  return true;
}

// The webhook-id is the sender's text: kept only as a short printable token.
const printableId = (s) => (typeof s === "string" ? s.replace(/[^\w.:-]/g, "?").slice(0, 80) : null);

/** A refused delivery: reported as webhook.rejected, rate-limited per company (see REJECTED_WINDOW_MS). */
async function rejected(conn, delivery, outcome) {
  const now = Date.now();
  // Rejections since the last event, in this feature's per-object memory.
  const count = (conn.memory.unreported ?? 0) + 1;
  const last = await conn.storage.get(REJECTED_KEY);
  if (typeof last === "number" && now - last < REJECTED_WINDOW_MS && now >= last) {
    conn.memory.unreported = count;
    return { outcome };
  }
  const event = { type: "webhook.rejected", reason: outcome, webhookId: printableId(delivery.headers?.["webhook-id"]), rejections: count };
  await conn.emit([event], { [REJECTED_KEY]: now }, { unlessHolding: REJECTED_OUTBOX_CAP });
  conn.memory.unreported = 0;
  return { outcome };
}

/** Forgets webhook-ids older than the dedup window, at most once an hour. */
async function sweep(conn, now) {
  const last = (await conn.storage.get(SWEEP_KEY)) ?? 0;
  const window = dedupMs(conn.env);
  if (now - last < Math.min(3600_000, window)) return;
  await conn.storage.put(SWEEP_KEY, now);
  const old = [];
  for (const [key, at] of await conn.storage.list({ prefix: SEEN_PREFIX })) {
    if (typeof at !== "number" || now - at >= window) old.push(key);
  }
  for (let i = 0; i < old.length; i += 128) await conn.storage.delete(old.slice(i, i + 128));
}
