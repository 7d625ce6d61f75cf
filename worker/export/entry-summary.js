// What the worker remembers of each accounting entry for the demo's table
// and the CSV: date, supplier, amount (minor units, as sent), type. The
// ledger gets the raw JSON text untouched; this summary is read from it.
import { money } from "./money.js";

const text = (value, max = 200) => (typeof value === "string" && value.trim() ? value.trim().slice(0, max) : null);

/**
 * @param {string} json an export item's raw JSON text (Pleo's export-items payload)
 * @returns {{ date: string|null, type: string|null, supplier: string|null,
 *   amount: {currency: string, value: number}|null, walletAmount: {currency: string, value: number}|null }}
 */
export function summariseEntry(json) {
  let entry;
  try {
    entry = JSON.parse(json);
  } catch {
    entry = null;
  }
  if (entry === null || typeof entry !== "object") {
    return { date: null, type: null, supplier: null, amount: null, walletAmount: null };
  }
  // JSON.parse keeps integers up to 2^53 exact; money() refuses anything else.
  return {
    date: text(entry.date, 40),
    type: text(entry.type, 40),
    supplier: text(entry.supplier?.name),
    amount: money(entry.amount?.inSupplierCurrency),
    walletAmount: money(entry.amount?.inWalletCurrency),
  };
}
