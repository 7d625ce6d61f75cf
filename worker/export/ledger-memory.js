// An in-memory ledger with the D1 ledger's rule — FOR TESTS AND THE NODE
// ADAPTER ONLY (WORKER_RUNTIME=node has no D1): bookings live as long as the
// isolate, so idempotency across restarts is not kept. The runner uses it
// only when PLEO_ENV=local and no LEDGER_DB is bound; anywhere else a missing
// database is an error, never a silent fallback.
import { judgeEntry, voucherId } from "./ledger-d1.js";

/** @returns {import("./ledger.js").Ledger & { rows: Map<string, {voucher: number, deliveries: number}> }} */
export function memoryLedger() {
  const rows = new Map();
  return {
    rows,
    async book(entries) {
      return entries.map(({ accountingEntryId, json }) => {
        const verdict = judgeEntry(json);
        if (!verdict.ok) {
          return {
            accountingEntryId,
            status: "failed",
            failureReason: verdict.failureReason,
            failureReasonType: verdict.failureReasonType,
          };
        }
        let row = rows.get(accountingEntryId);
        if (row) row.deliveries += 1;
        else rows.set(accountingEntryId, (row = { voucher: rows.size + 1, deliveries: 1 }));
        return { accountingEntryId, status: "successful", externalId: verdict.entry.voucher ?? voucherId(row.voucher) };
      });
    },
  };
}
