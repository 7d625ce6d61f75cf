// An export item (Pleo's ExportItemV3, docs/PLEO-API.md "Export items") read
// line by line, as a ledger books it: per line the account, the tax code,
// type, rate and amount, and the net and gross amounts; per entry the
// bookkeeping method, the vendor (accounts payable) and the voucher number
// (`additionalInformation.reconciliationId`). The raw JSON stays the source:
// this is a reading of it, never a rewrite.
//
// Forward compatible: an item type, subtype or tax type this code does not
// know is passed through as text (Pleo adds enum values over time).
import { money } from "./money.js";

const text = (value, max = 200) => (typeof value === "string" && value.trim() ? value.trim().slice(0, max) : null);

/** The supplier-currency side of a Pleo amount pair ({inSupplierCurrency, inWalletCurrency}). */
const supplierSide = (pair) => money(pair?.inSupplierCurrency);

/** a + b for two money objects of one currency; null when either is missing or they differ. */
function add(a, b) {
  if (!a || !b || a.currency !== b.currency) return null;
  const sum = a.value + b.value;
  return Number.isSafeInteger(sum) ? { currency: a.currency, value: sum } : null;
}

/**
 * One accounting entry line.
 * Gross is what the line costs the company: the line amount, plus the tax
 * when it is `exclusive` (added on top). Reverse-charge tax is self-assessed
 * and does not change what was paid; an unknown tax type is read like that.
 */
export function readLine(line) {
  const l = line !== null && typeof line === "object" ? line : {};
  const tax = l.tax !== null && typeof l.tax === "object" ? l.tax : null;
  const lineAmount = supplierSide(l.lineAmount);
  const taxAmount = tax ? supplierSide(tax.amount) : null;
  const taxType = tax ? text(tax.type, 40) : null;
  return {
    lineId: text(l.accountingEntryLineId, 64),
    account:
      l.account && typeof l.account === "object"
        ? { code: text(l.account.code, 40), name: text(l.account.name), identifier: text(l.account.identifier, 100) }
        : null,
    taxCode: tax ? text(tax.code, 40) : null,
    taxType,
    // The rate as Pleo sends it: a fraction (0.25 is 25 %).
    taxRate: tax && typeof tax.rate === "number" && Number.isFinite(tax.rate) ? tax.rate : null,
    taxAmount,
    net: supplierSide(l.netAmount),
    gross: taxType === "exclusive" ? add(lineAmount, taxAmount) : lineAmount,
    tags: Array.isArray(l.tags)
      ? l.tags.filter((t) => t && typeof t === "object").map((t) => `${text(t.groupCode, 40) ?? ""}:${text(t.code, 40) ?? ""}`)
      : [],
  };
}

/**
 * @param {unknown} entry a parsed export item
 * @returns {{ type: string|null, subType: string|null, method: string|null, voucher: string|null,
 *   vendor: {id: string|null, code: string|null, name: string|null}|null, lines: ReturnType<typeof readLine>[] }}
 */
export function readEntry(entry) {
  const e = entry !== null && typeof entry === "object" ? entry : {};
  const vendor = e.vendor !== null && typeof e.vendor === "object" ? e.vendor : null;
  return {
    type: text(e.type, 40),
    subType: text(e.subType, 40),
    method: text(e.bookkeeping?.method, 40),
    voucher: text(e.additionalInformation?.reconciliationId, 100),
    vendor: vendor ? { id: text(vendor.id, 64), code: text(vendor.code, 40), name: text(vendor.name) } : null,
    lines: Array.isArray(e.accountingEntryLines) ? e.accountingEntryLines.map(readLine) : [],
  };
}
