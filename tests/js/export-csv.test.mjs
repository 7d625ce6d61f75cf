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
import { DEFAULT_CHART, parseChart } from "../../worker/export/ledger-chart.js";
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

test("the CSV has a header, one row per entry line (one for an entry without lines), quoted fields and no formulas", () => {
  const csv = renderEntriesCsv([
    {
      accountingEntryId: "a1",
      date: "2026-10-01",
      type: "card_purchase",
      supplier: 'Joe "& The" Juice, Copenhagen',
      amount: { currency: "DKK", value: 12550 },
      walletAmount: { currency: "EUR", value: -1682 },
      status: "successful",
      externalId: "JE-000001",
      voucher: "JE-000001",
      method: "journal",
      vendor: null,
      lines: [
        {
          account: "7145",
          taxCode: "I25",
          taxType: "inclusive",
          taxRate: 0.25,
          taxAmount: { currency: "DKK", value: 1510 },
          net: { currency: "DKK", value: 6020 },
          gross: { currency: "DKK", value: 7530 },
        },
        {
          account: "7140",
          taxCode: "US-ST",
          taxType: "exclusive",
          taxRate: 0.0875,
          taxAmount: { currency: "DKK", value: 439 },
          net: { currency: "DKK", value: 5020 },
          gross: { currency: "DKK", value: 5459 },
        },
      ],
    },
    {
      accountingEntryId: "a2",
      supplier: '=HYPERLINK("http://x")',
      status: "failed",
      failureReasonType: "vendor_unknown",
      failureReason: "line1\nline2",
    },
  ]);
  const lines = csv.split("\r\n");
  assert.equal(lines[0], CSV_COLUMNS.join(","));
  const entryCells =
    '"a1","2026-10-01","card_purchase","Joe ""& The"" Juice, Copenhagen",DKK,125.50,EUR,-16.82,"successful","JE-000001",,,,"JE-000001","journal",';
  assert.equal(lines[1], `${entryCells},1,"7145","I25","inclusive",0.25,15.10,60.20,75.30`);
  assert.equal(lines[2], `${entryCells},2,"7140","US-ST","exclusive",0.0875,4.39,50.20,54.59`);
  assert.ok(lines[3].startsWith(`"a2",,,"'=HYPERLINK(""http://x"")",,,,,"failed",,,"vendor_unknown","line1`), lines[3]);
  assert.ok(lines[3].endsWith('",,,,,,,,,,,'), "no lines: one row, its line columns empty");
  assert.equal(lines.at(-1), "", "ends with CRLF");
});

test("the entry summary reads date, supplier and money without touching the payload", () => {
  const json =
    '{"accountingEntryId":"e1","date":"2026-10-02","type":"invoice","amount":{"inSupplierCurrency":{"currency":"USD","value":4999},"inWalletCurrency":{"currency":"DKK","value":34493}},"supplier":{"name":"Figma Inc."}}';
  assert.deepEqual(summariseEntry(json), {
    date: "2026-10-02",
    type: "invoice",
    supplier: "Figma Inc.",
    amount: { currency: "USD", value: 4999 },
    walletAmount: { currency: "DKK", value: 34493 },
    subType: null,
    method: null,
    voucher: null,
    vendor: null,
    lines: [],
  });
  assert.deepEqual(summariseEntry("not json").amount, null);
});

// An ExportItemV3 entry with two lines: inclusive VAT on one, reverse charge on the other.
const eurPair = (value) => ({ inSupplierCurrency: { currency: "EUR", value }, inWalletCurrency: { currency: "DKK", value: value * 7 } });
const realEntry = (over = {}) => ({
  accountingEntryId: "5d1c0f7a-8b2e-4c3d-9e4f-a1b2c3d4e5f6",
  type: "invoice",
  date: "2026-10-02T09:00:00Z",
  amount: eurPair(12500),
  accountingEntryLines: [
    {
      accountingEntryLineId: "l1",
      lineAmount: eurPair(10000),
      netAmount: eurPair(8000),
      account: { id: "a", name: "Hotel and lodging", code: "7145" },
      tax: { id: "t", code: "I25", type: "inclusive", rate: 0.25, amount: eurPair(2000) },
      tags: [{ id: "g", code: "P-100", groupCode: "PROJECT" }],
    },
    {
      accountingEntryLineId: "l2",
      lineAmount: eurPair(2500),
      netAmount: eurPair(2500),
      account: { id: "b", name: "Travel", code: "7140" },
      tax: { id: "u", code: "RC25", type: "reverse", rate: 0.25, amount: eurPair(625) },
    },
  ],
  additionalInformation: { reconciliationId: "AP-000042" },
  bookkeeping: { method: "accounts_payable" },
  vendor: { id: "v", name: "Lufthansa", code: "S12345", defaultCurrency: "EUR" },
  supplier: { name: "Lufthansa" },
  ...over,
});

test("the entry summary reads every line: account, tax code/type/rate/amount, net and gross; vendor; reconciliationId as voucher", () => {
  const s = summariseEntry(JSON.stringify(realEntry()));
  assert.equal(s.voucher, "AP-000042");
  assert.equal(s.method, "accounts_payable");
  assert.equal(s.vendor, "Lufthansa");
  const eur = (value) => ({ currency: "EUR", value });
  assert.deepEqual(s.lines, [
    {
      account: "7145",
      accountName: "Hotel and lodging",
      taxCode: "I25",
      taxType: "inclusive",
      taxRate: 0.25,
      taxAmount: eur(2000),
      net: eur(8000),
      gross: eur(10000),
    },
    {
      account: "7140",
      accountName: "Travel",
      taxCode: "RC25",
      taxType: "reverse",
      taxRate: 0.25,
      taxAmount: eur(625),
      net: eur(2500),
      gross: eur(2500),
    },
  ]);
  // exclusive tax comes on top of the line amount
  const exclusive = realEntry();
  exclusive.accountingEntryLines[1].tax.type = "exclusive";
  assert.deepEqual(summariseEntry(JSON.stringify(exclusive)).lines[1].gross, eur(3125));
});

test("the demo ledger's rule, line by line against its chart: vendor_unknown, account_unknown, tax_code_unknown, validation failure", () => {
  const judge = (entry, chart) => judgeEntry(JSON.stringify(entry), chart);
  assert.equal(judge(realEntry()).ok, true);
  assert.equal(judge(realEntry({ vendor: null })).failureReasonType, "vendor_unknown", "accounts payable needs a vendor");
  assert.equal(judge(realEntry({ vendor: null, bookkeeping: { method: "journal" } })).ok, true, "a journal entry does not");
  const noLodging = { ...DEFAULT_CHART, accounts: DEFAULT_CHART.accounts.filter((a) => a.code !== "7145") };
  const refused = judge(realEntry(), noLodging);
  assert.equal(refused.failureReasonType, "account_unknown");
  assert.match(refused.failureReason, /7145/);
  assert.equal(judge(realEntry(), { ...DEFAULT_CHART, taxCodes: ["I25"] }).failureReasonType, "tax_code_unknown");
  const float = realEntry({ amount: { inSupplierCurrency: { currency: "EUR", value: 1.25 } } });
  assert.equal(judge(float).failureReasonType, "accounting_system_validation_failure");
  assert.equal(judgeEntry("not json").failureReasonType, "accounting_system_validation_failure");
  assert.equal(voucherId(42), "PLEO-000042");
});

test("forward compatibility: an item type, subtype or tax type Pleo adds later passes through to the ledger", () => {
  const later = realEntry({ type: "crypto_purchase", subType: "staking_reward" });
  later.accountingEntryLines[0].tax.type = "withholding";
  assert.equal(judgeEntry(JSON.stringify(later)).ok, true);
  const s = summariseEntry(JSON.stringify(later));
  assert.deepEqual([s.type, s.subType, s.lines[0].taxType], ["crypto_purchase", "staking_reward", "withholding"]);
  assert.deepEqual(s.lines[0].gross, { currency: "EUR", value: 10000 }, "an unknown tax type is read as not added on top");
});

test("the chart as edited in the demo's settings is checked", () => {
  assert.deepEqual(parseChart({ accounts: [{ code: "7140", name: " Travel " }], taxCodes: ["I25", "I25"] }), {
    ok: true,
    chart: { accounts: [{ code: "7140", name: "Travel" }], taxCodes: ["I25"] },
  });
  for (const bad of [
    null,
    {},
    { accounts: [{ code: "" }], taxCodes: [] },
    { accounts: [], taxCodes: ["a b"] },
    { accounts: [{ code: "x".repeat(41) }], taxCodes: [] },
  ]) {
    assert.equal(parseChart(bad).ok, false, JSON.stringify(bad));
  }
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
    {
      accountingEntryId: "c",
      status: "failed",
      failureReason: "The ledger returned no usable result for this entry.",
      failureReasonType: "unexpected_failure",
    },
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
  const entry = (id, vendor) => ({
    accountingEntryId: id,
    json: JSON.stringify({
      accountingEntryId: id,
      bookkeeping: { method: "accounts_payable" },
      vendor: vendor && { name: vendor },
      amount: { inSupplierCurrency: { currency: "EUR", value: 100 } },
    }),
  });
  const first = await ledger.book([entry("a", "Staples"), entry("b", null)]);
  const again = await ledger.book([entry("a", "Staples")]);
  assert.deepEqual(first[0], { accountingEntryId: "a", status: "successful", externalId: "PLEO-000001" });
  assert.equal(first[1].failureReasonType, "vendor_unknown");
  assert.deepEqual(again[0], first[0]);
  assert.equal(ledger.rows.get("a").deliveries, 2);
  assert.equal(ledger.rows.size, 1);
});
