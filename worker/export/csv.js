// GET /export/jobs/<id>/entries.csv: one row per accounting entry line of the
// job (an entry without lines gets one row), the entry's columns repeated on
// each of its lines, with the ledger's outcome. RFC 4180 (CRLF line ends, fields with `"`, `,`,
// CR or LF quoted, quotes doubled). Amounts are decimal strings made from the
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
function textCell(value) {
  if (value === null || value === undefined) return "";
  const s = String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function quote(cell) {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
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
      currency,
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
    lines.forEach((line, i) => rows.push([...cells, ...lineCells(line, i + 1)].map(quote).join(",")));
  }
  return `${rows.join("\r\n")}\r\n`;
}
