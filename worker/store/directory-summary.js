// A company's summary row for the operator console (docs/OPERATIONS.md):
// what the directory keeps per company so that listing the fleet reads the
// directory only, never every company's Durable Object. Built inside the
// company's ConnectionObject (`conn`) from its record and storage, and sent
// to the directory in the same step as each change (connection/object.js
// announce()). Never a token: only times, counts, status and scopes.
//
// The store knows only the connection's own facts. A feature adds its part
// of the row with a `summary(conn)` hook in its connection part (the export
// feature's `export: {…}`, export/connection.js); without that feature the
// row carries NO_EXPORT, so the operator API's shape stays the same.

// Facts only the summary needs, kept in the company's own storage.
const LAST_WEBHOOK_KEY = "summary:lastWebhookAt";

/** The row's `export` when the export feature is not in this worker. */
export const NO_EXPORT = Object.freeze({ lastJobId: null, lastStatus: null, running: false, failedItems: 0, gaveUp: 0 });

/** Stores the facts a change reports that the record does not hold: `{ webhookAt }` (a webhook was accepted). */
export async function noteSummaryFacts(conn, { webhookAt } = {}) {
  if (typeof webhookAt === "number") await conn.storage.put(LAST_WEBHOOK_KEY, webhookAt);
}

/**
 * The company's summary row, or null without a connection. `summaries`: the
 * features' `summary(conn)` hooks (connection-parts.js), each returning its
 * own fields of the row.
 */
export async function summaryOf(conn, summaries = []) {
  const record = conn.record;
  if (!record) return null;
  const lastWebhookAt = (await conn.storage.get(LAST_WEBHOOK_KEY)) ?? null;
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
    lastWebhookAt,
    export: NO_EXPORT,
    ...Object.assign({}, ...(await Promise.all(summaries.map((summary) => summary(conn))))),
  };
}
