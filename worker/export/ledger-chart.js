// The demo ledger's chart: the accounts and tax codes it can book to. A real
// ledger refuses a line whose account or tax code it does not have, and a
// purchase on account (accounts payable) without a known vendor; the demo
// does the same, so a partner sees Pleo's item failure types
// (`account_unknown`, `tax_code_unknown`, `vendor_unknown`) for realistic
// reasons. The chart is kept in the ledger's database and is editable in the
// demo's settings (GET/PUT /export/ledger/chart).
//
// The defaults are a small Scandinavian chart; on purpose they lack the
// mileage account 7330 and the US sales-tax code, so a seeded job shows a
// few failures of each kind until the chart is edited.
import { readEntry } from "./entry-lines.js";
import { money } from "./money.js";

export const DEFAULT_CHART = Object.freeze({
  accounts: Object.freeze(
    [
      ["1610", "Input VAT"],
      ["1680", "Receivable from employees"],
      ["1910", "Cash"],
      ["1960", "Pleo wallet"],
      ["2400", "Trade creditors"],
      ["2610", "Output VAT (reverse charge)"],
      ["2810", "Pleo wallet"],
      ["2830", "Employee reimbursements payable"],
      ["3890", "Cashback and rebates"],
      ["6540", "Software and subscriptions"],
      ["6550", "IT equipment"],
      ["6800", "Office supplies"],
      ["7140", "Travel"],
      ["7145", "Hotel and lodging"],
      ["7150", "Local transport"],
      ["7160", "Meals and entertainment"],
      ["7320", "Per diem allowance"],
      ["7770", "Bank and card fees"],
    ].map(([code, name]) => Object.freeze({ code, name })),
  ),
  taxCodes: Object.freeze(["I25", "VSt19", "T1", "RC25"]),
});

const MAX_ACCOUNTS = 500;
const MAX_TAX_CODES = 100;
const CODE = /^[\w.-]{1,40}$/;

/**
 * An edited chart, checked: `{accounts: [{code, name}], taxCodes: [code]}`.
 * @returns {{ok: true, chart: object} | {ok: false, message: string}}
 */
export function parseChart(input) {
  if (input === null || typeof input !== "object") return { ok: false, message: "The chart must be {accounts, taxCodes}." };
  const { accounts, taxCodes } = input;
  if (!Array.isArray(accounts) || accounts.length > MAX_ACCOUNTS)
    return { ok: false, message: `accounts must be a list of at most ${MAX_ACCOUNTS}.` };
  if (!Array.isArray(taxCodes) || taxCodes.length > MAX_TAX_CODES)
    return { ok: false, message: `taxCodes must be a list of at most ${MAX_TAX_CODES}.` };
  const outAccounts = [];
  for (const a of accounts) {
    if (!a || typeof a.code !== "string" || !CODE.test(a.code))
      return { ok: false, message: "Every account needs a code of 1–40 letters, digits, '.', '_' or '-'." };
    const name = typeof a.name === "string" ? a.name.trim().slice(0, 100) : "";
    outAccounts.push({ code: a.code, name });
  }
  for (const t of taxCodes) {
    if (typeof t !== "string" || !CODE.test(t))
      return { ok: false, message: "Every tax code must be 1–40 letters, digits, '.', '_' or '-'." };
  }
  return { ok: true, chart: { accounts: outAccounts, taxCodes: [...new Set(taxCodes)] } };
}

/**
 * The demo ledger's rule, line by line, against a chart. Checked in this
 * order, the first failure wins:
 *   amount not integer minor units          → accounting_system_validation_failure
 *   accounts payable without a vendor        → vendor_unknown
 *   a line's account not in the chart        → account_unknown
 *   a line's tax code not in the chart       → tax_code_unknown
 * Anything else is booked, including item types, subtypes and tax types this
 * code does not know (they pass through as text).
 * @returns {{ok: true, entry: ReturnType<typeof readEntry>} | {ok: false, failureReason: string, failureReasonType: string}}
 */
export function judgeLines(parsed, chart = DEFAULT_CHART) {
  const entry = readEntry(parsed);
  if (!money(parsed?.amount?.inSupplierCurrency)) {
    return {
      ok: false,
      failureReasonType: "accounting_system_validation_failure",
      failureReason: "The entry's amount is not an integer number of minor units.",
    };
  }
  if (entry.method === "accounts_payable" && !(entry.vendor?.code || entry.vendor?.name)) {
    return {
      ok: false,
      failureReasonType: "vendor_unknown",
      failureReason: "The entry is booked on account (accounts payable) but names no vendor.",
    };
  }
  const accounts = new Set(chart.accounts.map((a) => a.code));
  const taxCodes = new Set(chart.taxCodes);
  for (const line of entry.lines) {
    const code = line.account?.code;
    if (code && !accounts.has(code)) {
      return {
        ok: false,
        failureReasonType: "account_unknown",
        failureReason: `Account ${code} is not in the ledger's chart of accounts.`,
      };
    }
    if (line.taxCode && !taxCodes.has(line.taxCode)) {
      return {
        ok: false,
        failureReasonType: "tax_code_unknown",
        failureReason: `Tax code ${line.taxCode} is not in the ledger's tax codes.`,
      };
    }
  }
  return { ok: true, entry };
}
