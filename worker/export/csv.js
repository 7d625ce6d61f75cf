// GET /export/jobs/<id>/entries.csv: one row per accounting entry line of the
// job (an entry without lines gets one row), the entry's columns repeated on
// each of its lines, with the ledger's outcome. RFC 4180 (CRLF line ends,
// every text field quoted, quotes doubled). Amounts are decimal strings made from the
// integer minor units (money.js), never from floats.
import { minorUnitsToDecimal } from "./money.js";

export const CSV_COLUMNS = [
  "accountingEntryId",
  "date",
  "type",
  "supplier",
  "currency",
  "amount",
  "walletCurrency",
  "walletAmount",
  "status",
  "externalId",
  "externalUrl",
  "failureReasonType",
  "failureReason",
  "voucher",
  "bookkeeping",
  "vendor",
  "line",
  "account",
  "taxCode",
  "taxType",
  "taxRate",
  "taxAmount",
  "net",
  "gross",
];

// OWASP "CSV injection": a text cell starting with = + - @ (or tab/CR) is a
// formula to spreadsheet programs; prefix it with ' so it stays text.
// Spreadsheets normalise before they judge: they skip leading spaces and
// invisible characters (zero-width space, BOM, word joiner) and read the
// full-width ＝ ＋ － ＠ as their ASCII twins, so those starts are guarded too.
const FORMULA_START = /^[\s\u200b-\u200d\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]/u;

// Every text cell is quoted, not only those with `"`, `,`, CR or LF: Excel in
// Danish, Norwegian, Swedish or German splits unquoted cells on `;` (and a
// tab may split them too), which put `=cmd…` of "Acme;=cmd…" in a cell of its
// own, past the guard above (issue #16).
function textCell(value) {
  if (value === null || value === undefined) return "";
  const s = String(value);
  const guarded = FORMULA_START.test(s) ? `'${s}` : s;
  return `"${guarded.replaceAll('"', '""')}"`;
}

function amountCells(m) {
  if (!m) return ["", ""];
  return [m.currency, minorUnitsToDecimal(m.value, m.currency) ?? ""];
}

// A line's amounts in its own currency (the entry's supplier currency).
const lineAmount = (m) => (m ? (minorUnitsToDecimal(m.value, m.currency) ?? "") : "");

function lineCells(line, n) {
  if (!line) return ["", "", "", "", "", "", "", ""];
  return [
    String(n),
    textCell(line.account),
    textCell(line.taxCode),
    textCell(line.taxType),
    typeof line.taxRate === "number" && Number.isFinite(line.taxRate) ? String(line.taxRate) : "",
    lineAmount(line.taxAmount),
    lineAmount(line.net),
    lineAmount(line.gross),
  ];
}

/**
 * @param {Array<{accountingEntryId: string, date?: string|null, type?: string|null, supplier?: string|null,
 *   amount?: {currency: string, value: number}|null, walletAmount?: {currency: string, value: number}|null,
 *   status?: string, externalId?: string|null, externalUrl?: string|null,
 *   failureReasonType?: string|null, failureReason?: string|null,
 *   voucher?: string|null, method?: string|null, vendor?: string|null, lines?: object[]}>} items
 * @returns {string} the CSV text (header row first)
 */
export function renderEntriesCsv(items) {
  const rows = [CSV_COLUMNS.join(",")];
  for (const item of items) {
    const [currency, amount] = amountCells(item.amount);
    const [walletCurrency, walletAmount] = amountCells(item.walletAmount);
    const cells = [
      textCell(item.accountingEntryId),
      textCell(item.date),
      textCell(item.type),
      textCell(item.supplier),
      currency, // an ISO 4217 code (money.js checks it): three letters, never quoted
      amount, // a number made by us: "-12.50" must stay a number, not get a quote
      walletCurrency,
      walletAmount,
      textCell(item.status),
      textCell(item.externalId),
      textCell(item.externalUrl),
      textCell(item.failureReasonType),
      textCell(item.failureReason),
      textCell(item.voucher),
      textCell(item.method),
      textCell(item.vendor),
    ];
    const lines = Array.isArray(item.lines) && item.lines.length ? item.lines : [null];
    lines.forEach((line, i) => rows.push([...cells, ...lineCells(line, i + 1)].join(",")));
  }
  return `${rows.join("\r\n")}\r\n`;
}
