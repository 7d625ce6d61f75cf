// The demo's default ledger: a real database, Cloudflare D1 (binding
// `LEDGER_DB`; workerd's own SQLite under `npm start`, persisted in .data/).
//
// Booking rule (ledger-chart.js), line by line against the ledger's chart of
// accounts and tax codes, so `completed_with_errors` shows for realistic
// reasons: accounts payable without a vendor → `vendor_unknown`; a line's
// account or tax code missing from the chart → `account_unknown` /
// `tax_code_unknown`; an amount that is not integer minor units →
// `accounting_system_validation_failure`. Everything else is booked: one
// entry row and one row per line (account, tax code/type/rate/amount, net,
// gross). The voucher number is Pleo's `reconciliationId` (externalId), else
// `PLEO-000123` from the row's key.
// Idempotent on accountingEntryId: the UNIQUE key makes a second delivery of
// the same entry a no-op that only counts `deliveries`, and the first
// booking's voucher is returned again (ledger.js: "Contract").
import { summariseEntry } from "./entry-summary.js";
import { DEFAULT_CHART, judgeLines } from "./ledger-chart.js";
import { r2Receipts } from "./ledger-receipts.js";

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
  // One row per accounting entry line; amounts are integer minor units in the supplier currency.
  `CREATE TABLE IF NOT EXISTS ledger_lines (
    accounting_entry_id TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    voucher_number TEXT,
    account_code TEXT,
    tax_code TEXT,
    tax_type TEXT,
    tax_rate REAL,
    currency TEXT,
    tax_minor INTEGER,
    net_minor INTEGER,
    gross_minor INTEGER,
    PRIMARY KEY (accounting_entry_id, line_no)
  )`,
  // The chart: kind 'account' (code, name) or 'tax' (code).
  `CREATE TABLE IF NOT EXISTS ledger_chart (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, code)
  )`,
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
 * The booking rule (see the top of this file and ledger-chart.js).
 * @returns {{ok: true, summary: object, entry: object} | {ok: false, failureReason: string, failureReasonType: string}}
 */
export function judgeEntry(json, chart = DEFAULT_CHART) {
  let parsed = null;
  try {
    parsed = JSON.parse(json);
  } catch {
    // judged below as not bookable
  }
  const verdict = judgeLines(parsed, chart);
  if (!verdict.ok) return verdict;
  return { ok: true, summary: summariseEntry(json), entry: verdict.entry };
}

/** The chart stored in the database; the defaults when it is empty. */
export async function readChart(db) {
  await ensureSchema(db);
  const { results } = await db.prepare("SELECT kind, code, name FROM ledger_chart ORDER BY kind, code").all();
  const rows = results ?? [];
  if (!rows.length) return { accounts: DEFAULT_CHART.accounts.map((a) => ({ ...a })), taxCodes: [...DEFAULT_CHART.taxCodes] };
  return {
    accounts: rows.filter((r) => r.kind === "account").map((r) => ({ code: r.code, name: r.name })),
    taxCodes: rows.filter((r) => r.kind === "tax").map((r) => r.code),
  };
}

/** Replaces the stored chart (a checked one: ledger-chart.js parseChart). */
export async function writeChart(db, chart) {
  await ensureSchema(db);
  await db.batch([
    db.prepare("DELETE FROM ledger_chart"),
    ...chart.accounts.map((a) => db.prepare("INSERT INTO ledger_chart (kind, code, name) VALUES ('account', ?1, ?2)").bind(a.code, a.name)),
    ...chart.taxCodes.map((t) => db.prepare("INSERT INTO ledger_chart (kind, code) VALUES ('tax', ?1)").bind(t)),
  ]);
}

/** The line rows of one booked entry. */
function lineStatements(db, accountingEntryId, entry) {
  return entry.lines.map((line, i) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO ledger_lines
           (accounting_entry_id, line_no, voucher_number, account_code, tax_code, tax_type, tax_rate, currency, tax_minor, net_minor, gross_minor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`,
      )
      .bind(
        accountingEntryId,
        i + 1,
        entry.voucher,
        line.account?.code ?? null,
        line.taxCode,
        line.taxType,
        line.taxRate,
        line.gross?.currency ?? line.net?.currency ?? null,
        line.taxAmount ? String(line.taxAmount.value) : null,
        line.net ? String(line.net.value) : null,
        line.gross ? String(line.gross.value) : null,
      ),
  );
}

/**
 * A D1-backed ledger.
 * @param {{ binding?: string, now?: () => number }} [options]
 * @returns {Ledger}
 */
export function d1Ledger({ binding = LEDGER_BINDING, now = Date.now } = {}) {
  return {
    // Receipts in R2 (binding RECEIPTS) with a row in this database (ledger-receipts.js).
    ...r2Receipts(binding),
    async book(entries, { company, jobId, env }) {
      const db = env?.[binding];
      if (!db || typeof db.prepare !== "function") {
        throw new Error(`The ledger database binding ${binding} is missing.`);
      }
      const chart = await readChart(db);
      const bookedAt = new Date(now()).toISOString();
      const results = new Map();
      const vouchers = new Map(); // accountingEntryId → Pleo's reconciliationId
      const statements = [];
      const toBook = [];
      for (const entry of entries) {
        const verdict = judgeEntry(entry.json, chart);
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
        vouchers.set(entry.accountingEntryId, verdict.entry.voucher);
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
            .bind(
              entry.accountingEntryId,
              company,
              jobId,
              summary.date,
              summary.supplier ?? "",
              summary.amount.currency,
              String(summary.amount.value),
              entry.json,
              bookedAt,
            ),
          ...lineStatements(db, entry.accountingEntryId, verdict.entry),
        );
      }
      if (toBook.length) {
        statements.push(
          db
            .prepare(
              "SELECT accounting_entry_id AS id, voucher FROM ledger_entries WHERE accounting_entry_id IN (SELECT value FROM json_each(?1))",
            )
            .bind(JSON.stringify(toBook)),
        );
        // One batch = one transaction: every booking of the page or none.
        const outcome = await db.batch(statements);
        for (const row of outcome[outcome.length - 1].results ?? []) {
          results.set(row.id, {
            accountingEntryId: row.id,
            status: "successful",
            externalId: vouchers.get(row.id) ?? voucherId(row.voucher),
          });
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
