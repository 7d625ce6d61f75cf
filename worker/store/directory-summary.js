// A company's summary row for the operator console (docs/OPERATIONS.md):
// what the directory keeps per company so that listing the fleet reads the
// directory only, never every company's Durable Object. Built inside the
// company's ConnectionObject (`conn`) from its record and storage, and sent
// to the directory in the same step as each change (connection/object.js
// announce()). Never a token: only times, counts, status and scopes.
import { JOBS_KEY, RUN_KEY, jobKey } from "../export/job-store.js";

// Facts only the summary needs, kept in the company's own storage.
const LAST_WEBHOOK_KEY = "summary:lastWebhookAt";
const GAVE_UP_KEY = "summary:gaveUp";

/**
 * Stores the facts a change reports that the record does not hold:
 * `{ webhookAt }` (a webhook was accepted), `{ gaveUp: true }` (an export run gave up).
 */
export async function noteSummaryFacts(conn, { webhookAt, gaveUp } = {}) {
  if (typeof webhookAt === "number") await conn.storage.put(LAST_WEBHOOK_KEY, webhookAt);
  if (gaveUp) await conn.storage.put(GAVE_UP_KEY, ((await conn.storage.get(GAVE_UP_KEY)) ?? 0) + 1);
}

/** The company's summary row, or null without a connection. */
export async function summaryOf(conn) {
  const record = conn.record;
  if (!record) return null;
  const stored = await conn.storage.get([LAST_WEBHOOK_KEY, GAVE_UP_KEY, RUN_KEY, JOBS_KEY]);
  const lastJobId = stored.get(JOBS_KEY)?.[0] ?? null;
  const lastJob = lastJobId ? await conn.storage.get(jobKey(lastJobId)) : null;
  const keepAliveAt = record.status === "active" ? await conn.scheduler.next("keepalive") : null;
  const accounts = Object.keys(conn.accounts ?? {});
  return {
    subject: record.subject,
    name: record.name ?? null,
    status: record.status,
    ...(accounts.length ? { account: accounts[0] } : {}),
    scopes: record.scopes ?? [],
    connectedAt: record.connectedAt ?? null,
    refreshedAt: record.refreshedAt ?? null,
    expiresAt: record.tokens?.expiresAt ?? null,
    keepAliveAt,
    lastWebhookAt: stored.get(LAST_WEBHOOK_KEY) ?? null,
    export: {
      lastJobId,
      lastStatus: lastJob?.status ?? null,
      running: Boolean(stored.get(RUN_KEY)),
      failedItems: typeof lastJob?.failed === "number" ? lastJob.failed : 0,
      gaveUp: stored.get(GAVE_UP_KEY) ?? 0,
    },
  };
}
