// The demo's default ledger: a real database, Cloudflare D1 (binding
// `LEDGER_DB`; workerd's own SQLite under `npm start`, persisted in .data/).
//
// Booking rule, kept readable on purpose so `completed_with_errors` shows:
//   an entry without a supplier name cannot be booked (no vendor to post the
//   purchase to) → failed, `vendor_unknown`;
//   an entry whose amount is not integer minor units → failed,
//   `accounting_system_validation_failure`;
//   everything else is booked: one row, voucher number = the row's key,
//   externalId `PLEO-000123`.
// Idempotent on accountingEntryId: the UNIQUE key makes a second delivery of
// the same entry a no-op that only counts `deliveries`, and the first
// booking's voucher is returned again (ledger.js: "Contract").
import { summariseEntry } from "./entry-summary.js";

/** @typedef {import("./ledger.js").Ledger} Ledger */
/** @typedef {import("./ledger.js").LedgerEntry} LedgerEntry */
/** @typedef {import("./ledger.js").LedgerResult} LedgerResult */

export const LEDGER_BINDING = "LEDGER_DB";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ledger_entries (
    voucher INTEGER PRIMARY KEY AUTOINCREMENT,
    accounting_entry_id TEXT NOT NULL UNIQUE,
    company TEXT NOT NULL,
    job_id TEXT NOT NULL,
    entry_date TEXT,
    supplier TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    payload TEXT NOT NULL,
    booked_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1
  )`,
  "CREATE INDEX IF NOT EXISTS ledger_entries_job ON ledger_entries (job_id)",
];

const ready = new WeakMap(); // database binding → schema promise (once per isolate)

function ensureSchema(db) {
  let promise = ready.get(db);
  if (!promise) {
    promise = db.batch(SCHEMA.map((sql) => db.prepare(sql))).catch((err) => {
      ready.delete(db);
      throw err;
    });
    ready.set(db, promise);
  }
  return promise;
}

/** The voucher number as the external id Pleo shows next to the entry. */
export function voucherId(voucher) {
  return `PLEO-${String(voucher).padStart(6, "0")}`;
}

/**
 * The booking rule (see the top of this file).
 * @returns {{ok: true, summary: object} | {ok: false, failureReason: string, failureReasonType: string}}
 */
export function judgeEntry(json) {
  const summary = summariseEntry(json);
  if (!summary.supplier) {
    return {
      ok: false,
      failureReasonType: "vendor_unknown",
      failureReason: "The entry has no supplier; the ledger books purchases against a vendor.",
    };
  }
  if (!summary.amount) {
    return {
      ok: false,
      failureReasonType: "accounting_system_validation_failure",
      failureReason: "The entry's amount is not an integer number of minor units.",
    };
  }
  return { ok: true, summary };
}

/**
 * A D1-backed ledger.
 * @param {{ binding?: string, now?: () => number }} [options]
 * @returns {Ledger}
 */
export function d1Ledger({ binding = LEDGER_BINDING, now = Date.now } = {}) {
  return {
    async book(entries, { company, jobId, env }) {
      const db = env?.[binding];
      if (!db || typeof db.prepare !== "function") {
        throw new Error(`The ledger database binding ${binding} is missing.`);
      }
      await ensureSchema(db);
      const bookedAt = new Date(now()).toISOString();
      const results = new Map();
      const statements = [];
      const toBook = [];
      for (const entry of entries) {
        const verdict = judgeEntry(entry.json);
        if (!verdict.ok) {
          results.set(entry.accountingEntryId, {
            accountingEntryId: entry.accountingEntryId,
            status: "failed",
            failureReason: verdict.failureReason,
            failureReasonType: verdict.failureReasonType,
          });
          continue;
        }
        const { summary } = verdict;
        toBook.push(entry.accountingEntryId);
        statements.push(
          db
            .prepare(
              `INSERT INTO ledger_entries
                 (accounting_entry_id, company, job_id, entry_date, supplier, currency, amount_minor, payload, booked_at)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
               ON CONFLICT (accounting_entry_id) DO UPDATE SET deliveries = deliveries + 1`,
            )
            // The amount goes in as a string of digits: SQLite's INTEGER
            // affinity stores it as an exact 64-bit integer, no float on the way.
            .bind(entry.accountingEntryId, company, jobId, summary.date, summary.supplier, summary.amount.currency,
              String(summary.amount.value), entry.json, bookedAt),
        );
      }
      if (toBook.length) {
        statements.push(
          db
            .prepare("SELECT accounting_entry_id AS id, voucher FROM ledger_entries WHERE accounting_entry_id IN (SELECT value FROM json_each(?1))")
            .bind(JSON.stringify(toBook)),
        );
        // One batch = one transaction: every booking of the page or none.
        const outcome = await db.batch(statements);
        for (const row of outcome[outcome.length - 1].results ?? []) {
          results.set(row.id, { accountingEntryId: row.id, status: "successful", externalId: voucherId(row.voucher) });
        }
      }
      return entries.map(
        (e) =>
          results.get(e.accountingEntryId) ?? {
            accountingEntryId: e.accountingEntryId,
            status: "failed",
            failureReason: "The ledger did not record the booking.",
            failureReasonType: "unexpected_failure",
          },
      );
    },
  };
}

/**
 * Ledger rows of one job (for tests, the load test and support tooling).
 * @returns {Promise<Array<{accountingEntryId: string, voucher: number, deliveries: number}>>}
 */
export async function ledgerRows(db, jobId) {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT accounting_entry_id AS accountingEntryId, voucher, deliveries FROM ledger_entries WHERE job_id = ?1 ORDER BY voucher")
    .bind(jobId)
    .all();
  return results ?? [];
}
