// Webhook subscriptions per company and signed delivery (Standard Webhooks,
// see docs/PLEO-API.md "Webhook delivery"): headers
// webhook-id / webhook-timestamp / webhook-signature, the signature being
// "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)) with key =
// base64-decoded secret after "whsec_". Non-2xx answers, network errors and
// timeouts are retried with growing delays; the same webhook-id is kept so
// receivers can drop repeats.

import { createHmac, randomBytes, randomUUID } from "node:crypto";

import { logDelivery } from "../runtime/index.mjs";

export const EVENT_TYPES = Object.freeze(["v1.export-job.created"]);
const STATUSES = ["ACTIVE", "INACTIVE"];
const ATTEMPT_TIMEOUT_MS = 5000;
const MAX_SUBSCRIPTIONS_PER_COMPANY = 20;

export class WebhookError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** The Standard Webhooks signature header value for one message. */
export function sign(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

// EndpointAuth: NONE, or BASIC with credentials {username, password} sent as
// an Authorization header on every delivery.
function checkEndpointAuth(auth, bad) {
  if (auth === undefined || auth === null) return { type: "NONE" };
  const type = auth.type ?? "NONE";
  if (type === "NONE") return { type };
  const { username, password } = auth.credentials ?? {};
  const printable = (v) => typeof v === "string" && /^[\x20-\x7e]{1,200}$/.test(v);
  if (type !== "BASIC" || !printable(username) || username.includes(":") || !printable(password)) {
    throw bad("endpointAuth must be {type: NONE} or {type: BASIC, credentials: {username, password}}");
  }
  return { type, credentials: { username, password } };
}

// A SubscriptionRequest: endpointUrl and eventTypes required, the rest defaulted.
function checkSubscription(body) {
  const bad = (message) => new WebhookError(400, "BAD_REQUEST", message);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("the body must be a JSON object");
  const out = {};
  const url = typeof body.endpointUrl === "string" && body.endpointUrl.length <= 2000 ? URL.parse(body.endpointUrl) : null;
  if (!url || !["http:", "https:"].includes(url.protocol)) throw bad("endpointUrl must be an http(s) URL");
  out.endpointUrl = url.href;
  if (!Array.isArray(body.eventTypes) || !body.eventTypes.length || !body.eventTypes.every((t) => EVENT_TYPES.includes(t))) {
    throw bad(`eventTypes must be a non-empty list of ${EVENT_TYPES.join(", ")}`);
  }
  out.eventTypes = [...new Set(body.eventTypes)];
  if (body.customHeaders !== undefined && body.customHeaders !== null) {
    const h = body.customHeaders;
    const ok =
      typeof h === "object" &&
      !Array.isArray(h) &&
      Object.entries(h).length <= 20 &&
      Object.entries(h).every(
        ([k, v]) =>
          /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(k) &&
          !/^webhook-|^content-/i.test(k) &&
          typeof v === "string" &&
          /^[\x20-\x7e]{0,500}$/.test(v),
      );
    if (!ok) throw bad("customHeaders must be an object of header names to printable strings (not webhook-* or content-*)");
    out.customHeaders = { ...h };
  } else {
    out.customHeaders = {};
  }
  const status = body.status ?? "ACTIVE";
  if (!STATUSES.includes(status)) throw bad("status must be ACTIVE or INACTIVE");
  out.status = status;
  out.endpointAuth = checkEndpointAuth(body.endpointAuth, bad);
  return out;
}

// ---- subscriptions (journal namespace "subscription") ----------------------

// A subscription as clients see it (SubscriptionModel): never its secret, nor
// the password of its endpoint's basic auth.
const view = ({ secret, seq, activities, endpointAuth, ...sub }) => ({ ...sub, endpointAuth: { type: endpointAuth?.type ?? "NONE" } });

const MAX_ACTIVITIES = 100;
// SubscriptionActivityModel: who did what to the subscription, newest last.
function logActivity(sub, operationType, description) {
  sub.activities = [
    ...(sub.activities ?? []),
    {
      id: randomUUID(),
      subscriptionId: sub.id,
      operationType,
      actorUrn: `urn:pleo:company:${sub.companyId}`,
      description,
      createdAt: new Date().toISOString(),
    },
  ].slice(-MAX_ACTIVITIES);
}
const save = (subs, sub) => subs.journal.commit([["subscription", sub.id, sub]]);

// Another company's subscription is as invisible as one that does not exist.
function find(subs, companyId, id) {
  const sub = subs.subscriptions.get(id);
  if (!sub || sub.companyId !== companyId)
    throw new WebhookError(404, "SUBSCRIPTION_NOT_FOUND", `Subscription ${String(id).slice(0, 64)} not found`);
  return sub;
}

// api/pagination.mjs rows, keyed by creation order; optionally only one status
// and only subscriptions to one of `eventTypes`.
function list(subs, companyId, { status = null, eventTypes = [] } = {}) {
  return [...subs.subscriptions.values()]
    .filter((s) => s.companyId === companyId)
    .filter((s) => status === null || s.status === status)
    .filter((s) => !eventTypes.length || s.eventTypes.some((t) => eventTypes.includes(t)))
    .sort((a, b) => a.seq - b.seq)
    .map((s) => ({ key: s.seq, value: view(s) }));
}

function create(subs, companyId, body) {
  const fields = checkSubscription(body);
  if (list(subs, companyId).length >= MAX_SUBSCRIPTIONS_PER_COMPANY) {
    throw new WebhookError(400, "TOO_MANY_SUBSCRIPTIONS", `At most ${MAX_SUBSCRIPTIONS_PER_COMPANY} subscriptions per company`);
  }
  const t = new Date().toISOString();
  const seq = Math.max(0, ...[...subs.subscriptions.values()].map((s) => s.seq)) + 1;
  const sub = {
    id: randomUUID(),
    seq,
    companyId,
    ...fields,
    createdAt: t,
    updatedAt: t,
    secret: `whsec_${randomBytes(24).toString("base64")}`,
  };
  logActivity(sub, "CREATE", `Subscription to ${sub.eventTypes.join(", ")} created`);
  subs.subscriptions.set(sub.id, sub);
  save(subs, sub);
  return view(sub);
}

// PUT takes the whole SubscriptionRequest (endpointUrl and eventTypes are
// required) and replaces the subscription; only id, secret and createdAt stay.
function update(subs, companyId, id, body) {
  const sub = find(subs, companyId, id);
  Object.assign(sub, checkSubscription(body), { updatedAt: new Date().toISOString() });
  logActivity(sub, "UPDATE", `Subscription updated (${sub.status})`);
  save(subs, sub);
  return view(sub);
}

function remove(subs, companyId, id) {
  find(subs, companyId, id);
  subs.subscriptions.delete(id);
  subs.journal.commit([["subscription", id]]);
}

// ---- delivery ---------------------------------------------------------------

function deliveryHeaders(sub, id, timestamp, body) {
  const { type, credentials } = sub.endpointAuth ?? {};
  return {
    ...sub.customHeaders,
    ...(type === "BASIC"
      ? { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` }
      : {}),
    "content-type": "application/json",
    "user-agent": "pleo-standin-webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": sign(sub.secret, id, timestamp, body),
  };
}

// Attempt n of one message (same webhook-id every time); `delivery` holds
// stats, settings, the closing signal and the pending retry timers.
function attempt(delivery, message, n) {
  const { stats, closing } = delivery;
  const { sub, id, body } = message;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = deliveryHeaders(sub, id, timestamp, body);
  stats.webhooksSent += 1;
  const record = {
    id,
    url: sub.endpointUrl,
    attempt: n,
    status: 0,
    error: null,
    at: new Date().toISOString(),
  };
  const signal = AbortSignal.any([AbortSignal.timeout(ATTEMPT_TIMEOUT_MS), closing]);
  fetch(sub.endpointUrl, {
    method: "POST",
    headers,
    body,
    signal,
    redirect: "manual",
  })
    .then(async (res) => {
      record.status = res.status;
      await res.arrayBuffer().catch(() => {});
    })
    .catch((err) => {
      record.error = err.name === "TimeoutError" ? "timeout" : (err.cause?.code ?? err.name ?? "network error");
    })
    .finally(() => afterAttempt(delivery, message, n, record));
}

// Logs the attempt; a 2xx delivers, anything else retries after
// retryMs × 4^(n−1) until the attempts run out or the stand-in closes.
function afterAttempt(delivery, message, n, record) {
  const { stats, settings, closing, timers } = delivery;
  logDelivery(stats, record);
  if (record.status >= 200 && record.status < 300) {
    stats.webhooksDelivered += 1;
    stats.webhooksPending -= 1;
    return;
  }
  const { retryMs, attempts } = settings();
  if (n >= attempts || closing.aborted) {
    stats.webhooksFailed += 1;
    stats.webhooksPending -= 1;
    return;
  }
  const timer = setTimeout(
    () => {
      timers.delete(timer);
      attempt(delivery, message, n + 1);
    },
    retryMs * 4 ** (n - 1),
  );
  timers.add(timer);
}

/**
 * Sends event `type` with `data` to the company's active subscriptions for
 * it, in Pleo's delivery shape `{data, eventId, eventType}` (docs/PLEO-API.md
 * "Webhook delivery"); the webhook-id header is per message, eventId per event.
 */
function deliver(subs, delivery, companyId, type, data) {
  const eventId = randomUUID();
  for (const sub of subs.subscriptions.values()) {
    if (sub.companyId !== companyId || sub.status !== "ACTIVE" || !sub.eventTypes.includes(type)) continue;
    const id = `msg_${randomUUID().replaceAll("-", "")}`;
    const body = JSON.stringify({ data, eventId, eventType: type });
    delivery.stats.webhooksPending += 1;
    attempt(delivery, { sub: { ...sub }, id, body }, 1);
  }
}

/**
 * @param {object} o
 * @param {object} o.journal persistence
 * @param {object} o.stats counters and the delivery log
 * @param {() => {retryMs: number, attempts: number}} o.settings
 * @param {AbortSignal} o.closing stops pending retries
 */
export function createWebhooks({ journal, stats, settings, closing }) {
  const subs = { journal, subscriptions: new Map(journal.entries("subscription")) };
  const delivery = {
    stats,
    settings,
    closing,
    timers: new Set(),
  };

  closing.addEventListener(
    "abort",
    () => {
      for (const timer of delivery.timers) clearTimeout(timer);
      delivery.timers.clear();
    },
    { once: true },
  );

  return {
    list: (companyId, filters) => list(subs, companyId, filters),
    /** api/pagination.mjs rows of the subscription's activities, optionally of some operation types. */
    activities: (companyId, id, operationTypes = []) =>
      (find(subs, companyId, id).activities ?? [])
        .filter((a) => !operationTypes.length || operationTypes.includes(a.operationType))
        .map((value, key) => ({ key, value })),
    get: (companyId, id) => view(find(subs, companyId, id)),
    create: (companyId, body) => create(subs, companyId, body),
    update: (companyId, id, body) => update(subs, companyId, id, body),
    remove: (companyId, id) => remove(subs, companyId, id),
    secret: (companyId, id) => find(subs, companyId, id).secret,
    deliver: (companyId, type, data) => deliver(subs, delivery, companyId, type, data),
  };
}
