// The ledger interface: what a partner implements to book Pleo's accounting
// entries in its own system, and passes when it builds the worker
// (`createWorker({ ledger })`). The export runner calls `book` with a batch
// (at most one export-items page, ≤ 100 entries) and reports each result to
// Pleo. The demo's default is ledger-d1.js.
//
// Contract:
// - Idempotent on `accountingEntryId`: after a crash the same entry may be
//   handed over again (the run delivers a batch, then persists that it did;
//   a crash between the two repeats the batch). Booking it again must not
//   create a second booking; return the first booking's result.
// - One result per entry. A missing result is treated as a failure
//   (`unexpected_failure`); a result for an id that was not in the batch is
//   ignored.
// - Throwing means "the ledger is unavailable": nothing of the batch is
//   reported, the batch is retried later with backoff.
// - `json` is the entry exactly as Pleo sent it (ExportItemV3, docs/PLEO-API.md).
//   Money in it is integer minor units; parse it with care (JSON.parse keeps
//   integers exact up to 2^53). entry-lines.js reads it line by line (account,
//   tax code/type/rate/amount, net, gross; vendor; reconciliationId as the
//   voucher number) and passes unknown types through.
// - A refusal uses Pleo's item failure types: `account_unknown`,
//   `tax_code_unknown`, `vendor_unknown`, `tag_unknown`,
//   `accounting_system_validation_failure`, … (never a job failure type).

/**
 * @typedef {object} LedgerEntry
 * @property {string} accountingEntryId
 * @property {string} json the export item's raw JSON text, unchanged
 */

/**
 * @typedef {object} LedgerContext
 * @property {string} company the company's subject URN (urn:pleo:company:<uuid>)
 * @property {string} jobId the Pleo export job
 * @property {object} env the worker's bindings (e.g. a D1 database)
 */

/**
 * @typedef {{accountingEntryId: string, status: "successful", externalId: string, externalUrl?: string}} BookedResult
 * @typedef {{accountingEntryId: string, status: "failed", failureReason: string,
 *   failureReasonType: "vendor_unknown"|"account_unknown"|"tax_code_unknown"|"tag_unknown"|
 *   "accounting_system_validation_failure"|"unexpected_failure"|string}} FailedResult
 * @typedef {BookedResult | FailedResult} LedgerResult
 */

/**
 * @typedef {object} Ledger
 * @property {(entries: LedgerEntry[], context: LedgerContext) => Promise<LedgerResult[]>} book
 */

const MAX_TEXT = 500;
const clip = (value) => (typeof value === "string" ? value.slice(0, MAX_TEXT) : undefined);

/**
 * The ledger's answer checked against the batch: exactly one well-formed
 * result per entry, in the batch's order.
 * @param {LedgerEntry[]} entries
 * @param {unknown} results
 * @returns {LedgerResult[]}
 */
export function normaliseLedgerResults(entries, results) {
  const byId = new Map();
  for (const r of Array.isArray(results) ? results : []) {
    if (r && typeof r === "object" && typeof r.accountingEntryId === "string" && !byId.has(r.accountingEntryId)) {
      byId.set(r.accountingEntryId, r);
    }
  }
  return entries.map(({ accountingEntryId }) => {
    const r = byId.get(accountingEntryId);
    if (r?.status === "successful" && typeof r.externalId === "string" && r.externalId) {
      const ok = { accountingEntryId, status: "successful", externalId: clip(r.externalId) };
      if (typeof r.externalUrl === "string" && /^https?:\/\//.test(r.externalUrl)) ok.externalUrl = clip(r.externalUrl);
      return ok;
    }
    if (r?.status === "failed") {
      return {
        accountingEntryId,
        status: "failed",
        failureReason: clip(r.failureReason) || "The ledger refused the entry.",
        failureReasonType: clip(r.failureReasonType) || "accounting_system_validation_failure",
      };
    }
    return {
      accountingEntryId,
      status: "failed",
      failureReason: "The ledger returned no usable result for this entry.",
      failureReasonType: "unexpected_failure",
    };
  });
}
