// What the worker remembers of each accounting entry for the demo's table
// and the CSV: date, supplier, amount (minor units, as sent), type, and its
// lines as a ledger books them (entry-lines.js: account, tax, net, gross),
// the vendor and the voucher number. The ledger gets the raw JSON text
// untouched; this summary is read from it.
import { readEntry } from "./entry-lines.js";
import { money } from "./money.js";

const text = (value, max = 200) => (typeof value === "string" && value.trim() ? value.trim().slice(0, max) : null);

/**
 * @param {string} json an export item's raw JSON text (Pleo's export-items payload)
 * @returns {{ date: string|null, type: string|null, supplier: string|null,
 *   amount: {currency: string, value: number}|null, walletAmount: {currency: string, value: number}|null,
 *   subType: string|null, method: string|null, voucher: string|null, vendor: string|null,
 *   lines: Array<{account: string|null, taxCode: string|null, taxType: string|null, taxRate: number|null,
 *     taxAmount: object|null, net: object|null, gross: object|null}> }}
 */
export function summariseEntry(json) {
  let entry;
  try {
    entry = JSON.parse(json);
  } catch {
    entry = null;
  }
  if (entry === null || typeof entry !== "object") {
    return {
      date: null,
      type: null,
      supplier: null,
      amount: null,
      walletAmount: null,
      subType: null,
      method: null,
      voucher: null,
      vendor: null,
      lines: [],
    };
  }
  // JSON.parse keeps integers up to 2^53 exact; money() refuses anything else.
  return {
    date: text(entry.date, 40),
    type: text(entry.type, 40),
    supplier: text(entry.supplier?.name),
    amount: money(entry.amount?.inSupplierCurrency),
    walletAmount: money(entry.amount?.inWalletCurrency),
    ...lineSummary(readEntry(entry)),
  };
}

// At most this many lines are remembered per entry (the ledger books all).
const MAX_LINES = 50;

function lineSummary(read) {
  return {
    subType: read.subType,
    method: read.method,
    voucher: read.voucher,
    vendor: read.vendor?.name ?? read.vendor?.code ?? null,
    lines: read.lines.slice(0, MAX_LINES).map((l) => ({
      account: l.account?.code ?? null,
      accountName: l.account?.name ?? null,
      taxCode: l.taxCode,
      taxType: l.taxType,
      taxRate: l.taxRate,
      taxAmount: l.taxAmount,
      net: l.net,
      gross: l.gross,
    })),
  };
}
