// One ACTIVE Pleo webhook subscription per connected company (issue #11):
// created on connect, deleted on disconnect, re-created when Pleo lost it.
// Its endpoint names the company — PUBLIC_URL + /webhooks/pleo/<subject
// URN, URL-encoded> — so the receiving route finds the secret before it
// parses anything. The secret (`whsec_…`, from
// GET /v1/subscriptions/{id}/secret) is kept in the company's connection
// object like its tokens: never sent to a browser, never logged.
//
// Storage key (in the connection object): "webhooks:subscription"
//   { id, endpointUrl, secret, createdAt, checkedAt }
import { WorkerError } from "../http/responses.js";

export const SUBSCRIPTION_KEY = "webhooks:subscription";
export const EVENT_TYPE = "v1.export-job.created";

/** The webhook URL Pleo calls for this company. PUBLIC_URL, else the redirect URI's origin. */
export function webhookUrl(env, config, subject) {
  const base = typeof env.PUBLIC_URL === "string" && env.PUBLIC_URL.trim() ? env.PUBLIC_URL.trim() : config.appOrigin;
  return new URL(`${base.replace(/\/+$/, "")}/webhooks/pleo/${encodeURIComponent(subject)}`).href;
}

async function json(response, what) {
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) {
    throw new WorkerError(502, "pleo_error", `Pleo refused ${what} (HTTP ${response.status}).`);
  }
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    throw new WorkerError(502, "pleo_error", `Pleo sent an unreadable answer to ${what}.`);
  }
}

// A whole SubscriptionRequest: Pleo's PUT replaces the subscription, so the
// reactivation sends the same body as the creation (endpointUrl and
// eventTypes are required by both).
const subscriptionRequest = (endpointUrl) => ({ endpointUrl, eventTypes: [EVENT_TYPE], status: "ACTIVE" });

const isOurs = (sub, endpointUrl) => sub && typeof sub === "object" && sub.endpointUrl === endpointUrl;

/**
 * Makes sure the company has exactly one ACTIVE subscription to our URL and
 * that its secret is stored. Cheap when all is well (one GET).
 * @returns {Promise<{id: string, created: boolean}>}
 */
export async function ensureSubscription(conn) {
  const endpointUrl = webhookUrl(conn.env, conn.config, conn.subject);
  const stored = await conn.storage.get(SUBSCRIPTION_KEY);
  return conn.use(async ({ api }) => {
    const jsonBody = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (stored?.id && stored.endpointUrl === endpointUrl && stored.secret) {
      const response = await api(`/v1/subscriptions/${encodeURIComponent(stored.id)}`);
      if (response.status === 200) {
        const { data } = await json(response, "the subscription check");
        if (isOurs(data, endpointUrl) && data.status === "ACTIVE") {
          await conn.storage.put(SUBSCRIPTION_KEY, { ...stored, checkedAt: Date.now() });
          return { id: stored.id, created: false };
        }
        if (isOurs(data, endpointUrl)) {
          await json(
            await api(`/v1/subscriptions/${encodeURIComponent(stored.id)}`, {
              ...jsonBody(subscriptionRequest(endpointUrl)),
              method: "PUT",
            }),
            "reactivating the subscription",
          );
          await conn.storage.put(SUBSCRIPTION_KEY, { ...stored, checkedAt: Date.now() });
          return { id: stored.id, created: false };
        }
      } else if (response.status !== 404) {
        await response.body?.cancel();
        throw new WorkerError(502, "pleo_unavailable", `Pleo's subscriptions API failed (HTTP ${response.status}).`);
      } else {
        await response.body?.cancel();
      }
      // 404 or pointing elsewhere: Pleo lost it. Make a new one below.
    }
    // Adopt ours if it exists (e.g. our storage was lost), drop duplicates.
    const listed = await json(await api("/v1/subscriptions?limit=100"), "the subscription list");
    const ours = (Array.isArray(listed?.data) ? listed.data : []).filter((s) => isOurs(s, endpointUrl));
    let keep = ours.find((s) => s.status === "ACTIVE") ?? null;
    for (const extra of ours) {
      if (extra !== keep) await (await api(`/v1/subscriptions/${encodeURIComponent(extra.id)}`, { method: "DELETE" })).body?.cancel();
    }
    let created = false;
    if (!keep) {
      const made = await json(await api("/v1/subscriptions", jsonBody(subscriptionRequest(endpointUrl))), "creating the subscription");
      keep = made?.data;
      created = true;
      if (!keep?.id) throw new WorkerError(502, "pleo_error", "Pleo did not return the new subscription.");
    }
    const secretBody = await json(await api(`/v1/subscriptions/${encodeURIComponent(keep.id)}/secret`), "the subscription secret");
    const secret = secretBody?.data?.secretKey;
    if (typeof secret !== "string" || !secret) throw new WorkerError(502, "pleo_error", "Pleo did not return the subscription secret.");
    const now = Date.now();
    await conn.storage.put(SUBSCRIPTION_KEY, { id: keep.id, endpointUrl, secret, createdAt: now, checkedAt: now });
    console.log(`webhooks: subscription ${created ? "created" : "adopted"} company=${conn.subject} id=${keep.id}`);
    return { id: keep.id, created };
  });
}

/** Deletes the company's subscription at Pleo (on disconnect; best effort). */
export async function deleteSubscription(conn) {
  const stored = await conn.storage.get(SUBSCRIPTION_KEY);
  if (!stored?.id) return false;
  await conn.storage.delete(SUBSCRIPTION_KEY);
  return conn.use(async ({ api }) => {
    const response = await api(`/v1/subscriptions/${encodeURIComponent(stored.id)}`, { method: "DELETE" });
    await response.body?.cancel();
    console.log(`webhooks: subscription deleted company=${conn.subject} id=${stored.id} status=${response.status}`);
    return response.status === 204 || response.status === 200 || response.status === 404;
  });
}
