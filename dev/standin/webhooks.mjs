// Webhook subscriptions per company and signed delivery (Standard Webhooks,
// the scheme of ../shared/pleo-export-facts.md "Webhooks"): headers
// webhook-id / webhook-timestamp / webhook-signature, the signature being
// "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)) with key =
// base64-decoded secret after "whsec_". Non-2xx answers, network errors and
// timeouts are retried with growing delays; the same webhook-id is kept so
// receivers can drop repeats.

import { createHmac, randomBytes, randomUUID } from 'node:crypto';

import { logDelivery } from './stats.mjs';

export const EVENT_TYPES = Object.freeze(['v1.export-job.created']);
const STATUSES = ['ACTIVE', 'INACTIVE'];
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
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

function checkSubscription(body, { partial }) {
  const bad = (message) => new WebhookError(400, 'BAD_REQUEST', message);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object');
  const out = {};
  if (body.endpointUrl !== undefined || !partial) {
    const url = typeof body.endpointUrl === 'string' && body.endpointUrl.length <= 2000 ? URL.parse(body.endpointUrl) : null;
    if (!url || !['http:', 'https:'].includes(url.protocol)) throw bad('endpointUrl must be an http(s) URL');
    out.endpointUrl = url.href;
  }
  if (body.eventTypes !== undefined || !partial) {
    if (!Array.isArray(body.eventTypes) || !body.eventTypes.length || !body.eventTypes.every((t) => EVENT_TYPES.includes(t))) {
      throw bad(`eventTypes must be a non-empty list of ${EVENT_TYPES.join(', ')}`);
    }
    out.eventTypes = [...new Set(body.eventTypes)];
  }
  if (body.customHeaders !== undefined && body.customHeaders !== null) {
    const h = body.customHeaders;
    const ok = typeof h === 'object' && !Array.isArray(h) && Object.entries(h).length <= 20
      && Object.entries(h).every(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(k) && !/^webhook-|^content-/i.test(k)
        && typeof v === 'string' && /^[\x20-\x7e]{0,500}$/.test(v));
    if (!ok) throw bad('customHeaders must be an object of header names to printable strings (not webhook-* or content-*)');
    out.customHeaders = { ...h };
  } else if (!partial) {
    out.customHeaders = {};
  }
  if (body.status !== undefined || !partial) {
    const status = body.status ?? 'ACTIVE';
    if (!STATUSES.includes(status)) throw bad('status must be ACTIVE or INACTIVE');
    out.status = status;
  }
  return out;
}

/**
 * @param {object} o
 * @param {object} o.journal persistence
 * @param {object} o.stats counters and the delivery log
 * @param {() => {retryMs: number, attempts: number}} o.settings
 * @param {AbortSignal} o.closing stops pending retries
 */
export function createWebhooks({
  journal, stats, settings, closing,
}) {
  const subscriptions = new Map(journal.entries('subscription'));
  const timers = new Set();

  const view = ({ secret, seq, ...sub }) => ({ ...sub });
  const save = (sub) => journal.commit([['subscription', sub.id, sub]]);

  function find(companyId, id) {
    const sub = subscriptions.get(id);
    if (!sub || sub.companyId !== companyId) throw new WebhookError(404, 'SUBSCRIPTION_NOT_FOUND', `Subscription ${String(id).slice(0, 64)} not found`);
    return sub;
  }

  function list(companyId) {
    return [...subscriptions.values()]
      .filter((s) => s.companyId === companyId)
      .sort((a, b) => a.seq - b.seq)
      .map((s) => ({ key: s.seq, value: view(s) }));
  }

  function create(companyId, body) {
    const fields = checkSubscription(body, { partial: false });
    if (list(companyId).length >= MAX_SUBSCRIPTIONS_PER_COMPANY) {
      throw new WebhookError(400, 'TOO_MANY_SUBSCRIPTIONS', `At most ${MAX_SUBSCRIPTIONS_PER_COMPANY} subscriptions per company`);
    }
    const t = new Date().toISOString();
    const seq = Math.max(0, ...[...subscriptions.values()].map((s) => s.seq)) + 1;
    const sub = {
      id: randomUUID(), seq, companyId, ...fields, createdAt: t, updatedAt: t,
      secret: `whsec_${randomBytes(24).toString('base64')}`,
    };
    subscriptions.set(sub.id, sub);
    save(sub);
    return view(sub);
  }

  function update(companyId, id, body) {
    const sub = find(companyId, id);
    Object.assign(sub, checkSubscription(body, { partial: true }), { updatedAt: new Date().toISOString() });
    save(sub);
    return view(sub);
  }

  function remove(companyId, id) {
    find(companyId, id);
    subscriptions.delete(id);
    journal.commit([['subscription', id]]);
  }

  function attempt(message, n) {
    const { sub, id, body } = message;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      ...sub.customHeaders,
      'content-type': 'application/json',
      'user-agent': 'pleo-standin-webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(sub.secret, id, timestamp, body),
    };
    stats.webhooksSent += 1;
    const record = {
      id, url: sub.endpointUrl, attempt: n, status: 0, error: null, at: new Date().toISOString(),
    };
    const signal = AbortSignal.any([AbortSignal.timeout(ATTEMPT_TIMEOUT_MS), closing]);
    fetch(sub.endpointUrl, {
      method: 'POST', headers, body, signal, redirect: 'manual',
    })
      .then(async (res) => {
        record.status = res.status;
        await res.arrayBuffer().catch(() => {});
      })
      .catch((err) => {
        record.error = err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.name ?? 'network error');
      })
      .finally(() => {
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
        const timer = setTimeout(() => {
          timers.delete(timer);
          attempt(message, n + 1);
        }, retryMs * 4 ** (n - 1));
        timers.add(timer);
      });
  }

  /** Sends `type` with `data` to the company's active subscriptions for it. */
  function deliver(companyId, type, data) {
    const timestamp = new Date().toISOString();
    for (const sub of subscriptions.values()) {
      if (sub.companyId !== companyId || sub.status !== 'ACTIVE' || !sub.eventTypes.includes(type)) continue;
      const id = `msg_${randomUUID().replaceAll('-', '')}`;
      const body = JSON.stringify({ type, timestamp, data });
      stats.webhooksPending += 1;
      attempt({ sub: { ...sub }, id, body }, 1);
    }
  }

  closing.addEventListener('abort', () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }, { once: true });

  return {
    list,
    get: (companyId, id) => view(find(companyId, id)),
    create,
    update,
    remove,
    secret: (companyId, id) => find(companyId, id).secret,
    deliver,
  };
}
