// The export runner's pure parts in Node: money from integer minor units to
// decimal strings (never through a float), the CSV (RFC 4180 quoting, the
// spreadsheet-formula guard), the entry summary, the ledger's booking rule
// and its result checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { minorUnitsToDecimal, money } from "../../worker/export/money.js";
import { CSV_COLUMNS, renderEntriesCsv } from "../../worker/export/csv.js";
import { summariseEntry } from "../../worker/export/entry-summary.js";
import { judgeEntry, voucherId } from "../../worker/export/ledger-d1.js";
import { normaliseLedgerResults } from "../../worker/export/ledger.js";
import { exportSettings } from "../../worker/export/settings.js";

test("minor units become decimal strings with the currency's exponent", () => {
  assert.equal(minorUnitsToDecimal(89696, "SEK"), "896.96");
  assert.equal(minorUnitsToDecimal(5, "EUR"), "0.05");
  assert.equal(minorUnitsToDecimal(-5, "EUR"), "-0.05");
  assert.equal(minorUnitsToDecimal(0, "DKK"), "0.00");
  assert.equal(minorUnitsToDecimal(-0, "DKK"), "0.00");
  assert.equal(minorUnitsToDecimal(1200, "JPY"), "1200");
  assert.equal(minorUnitsToDecimal(1234, "KWD"), "1.234");
  assert.equal(minorUnitsToDecimal(1n << 60n, "EUR"), "11529215046068469.76", "bigint beyond 2^53 stays exact");
  assert.equal(minorUnitsToDecimal("123456789012345678901", "EUR"), "1234567890123456789.01");
  assert.equal(minorUnitsToDecimal(0.1 + 0.2, "EUR"), null, "a float is refused, not rounded");
  assert.equal(minorUnitsToDecimal(2 ** 53 + 2, "EUR"), null, "an unsafe integer may have lost precision");
  assert.equal(minorUnitsToDecimal(NaN, "EUR"), null);
  assert.deepEqual(money({ currency: "NOK", value: 100 }), { currency: "NOK", value: 100 });
  assert.equal(money({ currency: "nok", value: 100 }), null);
  assert.equal(money({ currency: "NOK", value: 1.5 }), null);
});

test("the CSV has a header, one row per entry, quoted fields and no formulas", () => {
  const csv = renderEntriesCsv([
    {
      accountingEntryId: "a1",
      date: "2026-10-01",
      type: "card_purchase",
      supplier: 'Joe "& The" Juice, Copenhagen',
      amount: { currency: "DKK", value: 12550 },
      walletAmount: { currency: "EUR", value: -1682 },
      status: "successful",
      externalId: "PLEO-000001",
    },
    { accountingEntryId: "a2", supplier: "=HYPERLINK(\"http://x\")", status: "failed", failureReasonType: "vendor_unknown", failureReason: "line1\nline2" },
  ]);
  const lines = csv.split("\r\n");
  assert.equal(lines[0], CSV_COLUMNS.join(","));
  assert.equal(lines[1], '"a1","2026-10-01","card_purchase","Joe ""& The"" Juice, Copenhagen",DKK,125.50,EUR,-16.82,"successful","PLEO-000001",,,');
  assert.ok(lines[2].startsWith(`"a2",,,"'=HYPERLINK(""http://x"")",,,,,"failed",,,"vendor_unknown","line1`), lines[2]);
  assert.equal(lines.at(-1), "", "ends with CRLF");
});

test("the entry summary reads date, supplier and money without touching the payload", () => {
  const json = '{"accountingEntryId":"e1","date":"2026-10-02","type":"invoice","amount":{"inSupplierCurrency":{"currency":"USD","value":4999},"inWalletCurrency":{"currency":"DKK","value":34493}},"supplier":{"name":"Figma Inc."}}';
  assert.deepEqual(summariseEntry(json), {
    date: "2026-10-02",
    type: "invoice",
    supplier: "Figma Inc.",
    amount: { currency: "USD", value: 4999 },
    walletAmount: { currency: "DKK", value: 34493 },
  });
  assert.deepEqual(summariseEntry("not json").amount, null);
});

test("the demo ledger's rule: no supplier → vendor_unknown; a float amount → validation failure", () => {
  const base = { accountingEntryId: "e", date: "2026-10-02", amount: { inSupplierCurrency: { currency: "EUR", value: 100 } } };
  assert.equal(judgeEntry(JSON.stringify({ ...base, supplier: { name: "Staples" } })).ok, true);
  assert.equal(judgeEntry(JSON.stringify(base)).failureReasonType, "vendor_unknown");
  assert.equal(judgeEntry(JSON.stringify({ ...base, supplier: { name: "  " } })).failureReasonType, "vendor_unknown");
  const float = { ...base, supplier: { name: "Staples" }, amount: { inSupplierCurrency: { currency: "EUR", value: 1.25 } } };
  assert.equal(judgeEntry(JSON.stringify(float)).failureReasonType, "accounting_system_validation_failure");
  assert.equal(voucherId(42), "PLEO-000042");
});

test("a partner ledger's answer is checked: one result per entry, missing ones fail as unexpected_failure", () => {
  const entries = [{ accountingEntryId: "a" }, { accountingEntryId: "b" }, { accountingEntryId: "c" }];
  const results = normaliseLedgerResults(entries, [
    { accountingEntryId: "b", status: "failed", failureReasonType: "account_unknown", failureReason: "no account 7140" },
    { accountingEntryId: "a", status: "successful", externalId: "X-1", externalUrl: "javascript:alert(1)" },
    { accountingEntryId: "zzz", status: "successful", externalId: "stranger" },
  ]);
  assert.deepEqual(results, [
    { accountingEntryId: "a", status: "successful", externalId: "X-1" },
    { accountingEntryId: "b", status: "failed", failureReason: "no account 7140", failureReasonType: "account_unknown" },
    { accountingEntryId: "c", status: "failed", failureReason: "The ledger returned no usable result for this entry.", failureReasonType: "unexpected_failure" },
  ]);
  assert.equal(normaliseLedgerResults(entries, null).length, 3);
});

test("settings: poll every 15 minutes by default, fractions allowed", () => {
  assert.equal(exportSettings({}).pollMs, 15 * 60_000);
  assert.equal(exportSettings({ EXPORT_POLL_MINUTES: "0.05" }).pollMs, 3000);
  assert.equal(exportSettings({ EXPORT_POLL_MINUTES: "-1" }).pollMs, 15 * 60_000);
  assert.deepEqual(exportSettings({ EXPORT_PAGE_SIZE: "50" }).runOptions, { pageSize: 50 });
});

test("the in-memory ledger (Node adapter) books once per entry and returns the first voucher again", async () => {
  const { memoryLedger } = await import("../../worker/export/ledger-memory.js");
  const ledger = memoryLedger();
  const entry = (id, supplier) => ({ accountingEntryId: id, json: JSON.stringify({ accountingEntryId: id, supplier: supplier && { name: supplier }, amount: { inSupplierCurrency: { currency: "EUR", value: 100 } } }) });
  const first = await ledger.book([entry("a", "Staples"), entry("b", null)]);
  const again = await ledger.book([entry("a", "Staples")]);
  assert.deepEqual(first[0], { accountingEntryId: "a", status: "successful", externalId: "PLEO-000001" });
  assert.equal(first[1].failureReasonType, "vendor_unknown");
  assert.deepEqual(again[0], first[0]);
  assert.equal(ledger.rows.get("a").deliveries, 2);
  assert.equal(ledger.rows.size, 1);
});
