// The export run's side of receipts (receipts.js): the ledger context, and
// renewing an expired link by reading the item again from Pleo
// (GET /v3/export-items?job_id=…, paged until the entry is found).
import { exportRequests, exportResponses } from "pleo-oauth";
import { filesOf, storeReceipts } from "./receipts.js";

const RENEW_PAGES = 50; // 5000 items: more than any job Pleo hands out at once

/** Fresh `files` of one item of the job, or null when Pleo no longer lists it. */
async function freshFiles({ conn, jobId, companyId, send, timeoutMs }, accountingEntryId) {
  let after;
  for (let page = 0; page < RENEW_PAGES; page++) {
    const request = exportRequests.exportItems({ apiBaseUrl: conn.config.apiBaseUrl, jobId, companyId, limit: 100, after });
    const { entries, pagination } = exportResponses.exportItems(await send(conn, request, timeoutMs));
    const entry = entries.find((e) => e.accountingEntryId === accountingEntryId);
    if (entry) return filesOf(entry.json);
    if (!pagination.hasNextPage || !pagination.endCursor) return null;
    after = pagination.endCursor;
  }
  return null;
}

/**
 * Stores the receipts of a booked batch; returns the results to report
 * (entries whose receipts could not be stored turned `failed`).
 * `send` is the runner's sendToPleo (passed in, not imported, to keep the
 * module graph acyclic).
 */
export function storeBatchReceipts({ conn, jobId, companyId, entries, results, ledger, send, timeoutMs }) {
  return storeReceipts({
    ledger,
    entries,
    results,
    context: { company: conn.subject, jobId, env: conn.env },
    renew: (accountingEntryId) => freshFiles({ conn, jobId, companyId, send, timeoutMs }, accountingEntryId),
  });
}
