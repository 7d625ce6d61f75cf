// Seeded accounting entries (the export-items payload, Pleo's ExportItemV3)
// per company.
//
// Entry number k of a company is a pure function of (company, k): the
// stand-in only has to remember how many entries a company has, and every
// run sees the same ids, suppliers and amounts. Money is {currency, value}
// in integer minor units (JPY and ISK have none: 1 unit = 1 value) and every
// conversion is integer arithmetic, as in Pleo's API (docs/PLEO-API.md,
// "Export items"). The variety is what a ledger adapter meets in real data:
// all 17 item types, inclusive / exclusive / reverse-charge tax with amounts,
// multi-line entries with tags, journal and accounts-payable bookkeeping with
// vendors, invoices with invoiceInformation, receipts, zero-decimal currencies.

import { createHash } from "node:crypto";

import { prng, uuid } from "../api/index.mjs";

// Value of one major unit of each currency in millionths of a DKK (fixed demo rates).
const RATE = {
  DKK: 1_000_000,
  EUR: 7_460_000,
  NOK: 640_000,
  SEK: 650_000,
  GBP: 8_650_000,
  USD: 6_900_000,
  JPY: 46_000,
  ISK: 50_000,
};
const ZERO_DECIMAL = new Set(["JPY", "ISK"]);
const scale = (currency) => (ZERO_DECIMAL.has(currency) ? 1 : 100);

// Integer minor units → integer minor units.
function convert(value, from, to) {
  if (from === to) return value;
  return Math.round((value * RATE[from] * scale(to)) / (RATE[to] * scale(from)));
}

// Tax codes per country; the rate is a fraction, as TaxV3.rate ("0.25" is 25 %).
const VAT = {
  DK: { code: "I25", rate: 0.25 },
  NO: { code: "I25", rate: 0.25 },
  DE: { code: "VSt19", rate: 0.19 },
  GB: { code: "T1", rate: 0.2 },
};
const REVERSE_CHARGE = { code: "RC25", rate: 0.25 };
const SALES_TAX = { code: "US-ST", rate: 0.0875 };

const ACCOUNTS = {
  travel: { code: "7140", name: "Travel" },
  meals: { code: "7160", name: "Meals and entertainment" },
  software: { code: "6540", name: "Software and subscriptions" },
  office: { code: "6800", name: "Office supplies" },
  transport: { code: "7150", name: "Local transport" },
  hardware: { code: "6550", name: "IT equipment" },
  lodging: { code: "7145", name: "Hotel and lodging" },
  cash: { code: "1910", name: "Cash" },
  wallet: { code: "1960", name: "Pleo wallet" },
  fees: { code: "7770", name: "Bank and card fees" },
  mileage: { code: "7330", name: "Mileage allowance" },
  perDiem: { code: "7320", name: "Per diem allowance" },
  receivable: { code: "1680", name: "Receivable from employees" },
  payable: { code: "2400", name: "Trade creditors" },
  cashback: { code: "3890", name: "Cashback and rebates" },
};

// [name, category, country, currency, mcc]; a supplier from another country
// charges no local VAT: the company books reverse-charge tax (EU) or the
// seller's sales tax on top (US).
const SUPPLIERS = [
  ["SAS Scandinavian Airlines", "travel", "DK", "DKK", "3058"],
  ["Lufthansa", "travel", "DE", "EUR", "3008"],
  ["Scandic Hotels", "travel", "SE", "SEK", "3640"],
  ["Icelandair", "travel", "IS", "ISK", "3100"],
  ["Hotel Gracery Shinjuku", "travel", "JP", "JPY", "3501"],
  ["Deutsche Bahn", "transport", "DE", "EUR", "4112"],
  ["Uber", "transport", "NL", "EUR", "4121"],
  ["Transport for London", "transport", "GB", "GBP", "4111"],
  ["Joe & The Juice", "meals", "DK", "DKK", "5814"],
  ["Pret A Manger", "meals", "GB", "GBP", "5812"],
  ["Peppes Pizza", "meals", "NO", "NOK", "5812"],
  ["Ichiran Ramen", "meals", "JP", "JPY", "5814"],
  ["Figma Inc.", "software", "US", "USD", "5734"],
  ["Atlassian", "software", "AU", "USD", "5734"],
  ["Slack Technologies", "software", "US", "USD", "5734"],
  ["Staples", "office", "DE", "EUR", "5111"],
  ["Clas Ohlson", "office", "NO", "NOK", "5251"],
  ["Elgiganten", "hardware", "DK", "DKK", "5732"],
  ["Apple Store", "hardware", "GB", "GBP", "5732"],
];
const EU = new Set(["DK", "DE", "NL", "SE", "IS", "NO", "FI"]);

// Entry k's type, in a cycle of 20 that holds every ExportItemTypeV3 value.
const TYPE_CYCLE = [
  "card_purchase",
  "card_purchase",
  "invoice",
  "out_of_pocket",
  "card_purchase",
  "mileage",
  "card_purchase",
  "per_diem",
  "refund",
  "card_invoice",
  "atm_withdrawal",
  "card_purchase",
  "invoice_payment",
  "chargeback",
  "external_reimbursement",
  "direct_reimbursement",
  "cashback",
  "wallet_topup",
  "wallet_unload",
  "personal_spend",
];
export const ITEM_TYPES = Object.freeze([...new Set([...TYPE_CYCLE, "fee"])]);
// Types that are money movements, not purchases: no supplier, no tax.
const MOVEMENTS = {
  atm_withdrawal: "cash",
  wallet_topup: "wallet",
  wallet_unload: "wallet",
  fee: "fees",
  mileage: "mileage",
  per_diem: "perDiem",
  personal_spend: "receivable",
  direct_reimbursement: "receivable",
  external_reimbursement: "receivable",
  cashback: "cashback",
};
const SUB_TYPES = {
  direct_reimbursement: "reimbursement_to_employee",
  external_reimbursement: "reimbursement_to_company",
  invoice_payment: "invoice_payment_sent",
  cashback: "interest",
};
const NEGATIVE = new Set(["refund", "chargeback", "cashback", "wallet_unload"]);
const ACCOUNTS_PAYABLE = new Set(["invoice", "invoice_payment", "card_invoice"]);
const NO_BOOKKEEPING = new Set(["wallet_topup", "wallet_unload"]);

const TEAMS = [
  ["Design", "T-DES"],
  ["Sales", "T-SAL"],
  ["Operations", "T-OPS"],
];
// Tag groups a line can carry (TagV3: id, code, groupCode).
const TAGS = [
  ["PROJECT", "P-100"],
  ["PROJECT", "P-200"],
  ["COSTCENTER", "CC-10"],
  ["COSTCENTER", "CC-20"],
];
const CATEGORY_NOTES = {
  travel: "Client visit",
  meals: "Team lunch",
  software: "Monthly subscription",
  office: "Supplies for the office",
  transport: "Taxi to the airport",
  hardware: "Replacement charger",
};

const BASE_DATE = Date.parse("2026-10-30T00:00:00Z");
const DAY = 86_400_000;

function seedOf(...parts) {
  return createHash("sha256").update(parts.join("|")).digest().readUInt32LE(0);
}

// Seeds that repeat across entries (per supplier, per card, per company) are
// remembered: a 500-entry job would otherwise hash the same strings 500 times.
const seedMemo = new Map();
function memoSeed(...parts) {
  const key = parts.join("|");
  let v = seedMemo.get(key);
  if (v === undefined) {
    if (seedMemo.size > 100_000) seedMemo.clear();
    v = seedOf(key);
    seedMemo.set(key, v);
  }
  return v;
}

// A stable UUID for a named thing of a company (account, tax code, tag, vendor).
const stableId = (...parts) => uuid(prng(memoSeed(...parts)));

const teamsMemo = new Map();
/** Teams of a company: [{id, code, name}], the same on every run. */
export function teamsOf(company) {
  let teams = teamsMemo.get(company.id);
  if (!teams) {
    const rand = prng(seedOf("teams", company.id));
    teams = TEAMS.map(([name, code]) => ({ id: uuid(rand), code, name }));
    teamsMemo.set(company.id, teams);
  }
  return teams;
}

/** The company's chart of accounts and tax codes as the seed uses them (the demo ledger's defaults). */
export function chartOf(company) {
  return {
    accounts: Object.values(ACCOUNTS).map((a) => ({ ...a, id: stableId("account", company.id, a.code) })),
    taxCodes: [...new Set([...Object.values(VAT), REVERSE_CHARGE, SALES_TAX].map((t) => t.code))],
  };
}

function money(currency, value) {
  return { currency, value };
}

function pair(supplierCurrency, walletCurrency, supplierValue, walletValue) {
  return {
    inSupplierCurrency: money(supplierCurrency, supplierValue),
    inWalletCurrency: money(walletCurrency, walletValue),
  };
}

const accountOf = (company, a) => ({ id: stableId("account", company.id, a.code), name: a.name, code: a.code, identifier: null });

/**
 * One line: `lineAmount` is what the line adds to the entry's amount and
 * `netAmount` the part without tax. Inclusive tax is inside the line amount;
 * exclusive tax comes on top of it (net = line); reverse-charge tax is
 * self-assessed (net = line, the tax is booked in and out).
 */
function line(company, rand, { account, value, tax, taxType, currency, wallet, tags }) {
  let taxValue = 0;
  let net = value;
  if (tax && taxType === "inclusive") {
    net = Math.round(value / (1 + tax.rate));
    taxValue = value - net;
  } else if (tax) {
    taxValue = Math.round(value * tax.rate);
  }
  const walletLine = convert(value, currency, wallet);
  const walletNet = convert(net, currency, wallet);
  const out = {
    accountingEntryLineId: uuid(rand),
    account: accountOf(company, account),
    lineAmount: pair(currency, wallet, value, walletLine),
    netAmount: pair(currency, wallet, net, walletNet),
    tags,
  };
  if (tax) {
    out.tax = {
      id: stableId("tax", company.id, tax.code),
      code: tax.code,
      type: taxType,
      rate: tax.rate,
      amount: pair(currency, wallet, taxValue, convert(taxValue, currency, wallet)),
      ingoingTaxAccount: "1610",
      ...(taxType === "reverse" ? { outgoingTaxAccount: "2610" } : {}),
    };
  }
  return out;
}

/**
 * Entry number k of a company.
 * @param {object} company the company record of api/data.mjs
 * @param {object[]} employees the company's employees
 * @param {number} k 0-based entry number
 * @returns the export item without the per-response parts (receipt URLs, _links)
 */
export function accountingEntry(company, employees, k) {
  const rand = prng(seedOf("entry", company.id, k));
  const id = uuid(rand);
  const wallet = company.currency;
  const country = company.address.country;
  const type = TYPE_CYCLE[k % TYPE_CYCLE.length] === "personal_spend" && k % 40 === 39 ? "fee" : TYPE_CYCLE[k % TYPE_CYCLE.length];
  const movement = MOVEMENTS[type];
  // Half the spending is with domestic suppliers (with VAT), half anywhere.
  const domestic = SUPPLIERS.filter((s) => s[2] === country);
  const pool = domestic.length && rand() < 0.5 ? domestic : SUPPLIERS;
  const [name, category, supplierCountry, supplierCurrency, mcc] = pool[Math.floor(rand() * pool.length)];
  const currency = movement ? wallet : supplierCurrency;
  // One card purchase in six is at an unknown merchant: no supplier, no vendor.
  const withoutSupplier = Boolean(movement) || (type === "card_purchase" && k % 6 === 3);
  const sign = NEGATIVE.has(type) ? -1 : 1;
  const units = 500 + Math.floor(rand() * 249_500); // 5.00 .. 2500.00 (or 500 .. 250 000 yen / krónur)
  const gross = sign * units;
  const employee = employees[Math.floor(rand() * employees.length)];
  const teams = teamsOf(company);
  const team = { ...teams[Math.floor(rand() * teams.length)] };
  const date = new Date(BASE_DATE - (k % 120) * DAY - Math.floor(rand() * 20) * 3_600_000);

  // Tax: local VAT inclusive; an EU supplier from abroad: reverse charge; from
  // outside the EU (US): sales tax on top (exclusive); movements: none.
  let tax = null;
  let taxType = null;
  if (!movement) {
    if (supplierCountry === country && VAT[country]) [tax, taxType] = [VAT[country], "inclusive"];
    else if (EU.has(supplierCountry)) [tax, taxType] = [REVERSE_CHARGE, "reverse"];
    else if (supplierCountry === "US") [tax, taxType] = [SALES_TAX, "exclusive"];
  }
  const tagOf = (i) => {
    const [groupCode, code] = TAGS[i % TAGS.length];
    return { id: stableId("tag", company.id, code), code, groupCode };
  };
  // Travel is split over two lines (lodging and the trip), each with its own tags.
  const split = !movement && category === "travel" && Math.abs(gross) >= 1000;
  const parts = split
    ? [
        [ACCOUNTS.lodging, Math.trunc(gross * 0.6)],
        [ACCOUNTS.travel, gross - Math.trunc(gross * 0.6)],
      ]
    : [[movement ? ACCOUNTS[movement] : ACCOUNTS[category], gross]];
  const lines = parts.map(([account, value], i) =>
    line(company, rand, {
      account,
      value,
      tax,
      taxType,
      currency,
      wallet,
      tags: movement ? [] : [tagOf(k + i)],
    }),
  );
  // The entry's amount is the sum of its lines (plus tax added on top).
  const sum = (side) => lines.reduce((t, l) => t + l.lineAmount[side].value + (taxType === "exclusive" ? l.tax.amount[side].value : 0), 0);
  const method = NO_BOOKKEEPING.has(type) ? "none" : ACCOUNTS_PAYABLE.has(type) ? "accounts_payable" : "journal";
  const supplierCode = `S${String((memoSeed("supplier", company.id, name) % 90_000) + 10_000)}`;
  const month = date.toISOString().slice(0, 7);

  const entry = {
    accountingEntryId: id,
    companyId: company.id,
    type,
    ...(SUB_TYPES[type] ? { subType: SUB_TYPES[type] } : {}),
    date: date.toISOString().replace(/\.\d{3}Z$/, "Z"),
    amount: pair(currency, wallet, sum("inSupplierCurrency"), sum("inWalletCurrency")),
    accountingEntryLines: lines,
    additionalInformation: {
      reconciliationId: `${method === "accounts_payable" ? "AP" : "JE"}-${String(k + 1).padStart(6, "0")}`,
      attendees: category === "meals" && !movement ? [`${employee.firstName} ${employee.lastName}`, "Guest"] : null,
    },
    note: rand() < 0.6 && !movement ? CATEGORY_NOTES[category] : null,
    user: { id: employee.id, name: `${employee.firstName} ${employee.lastName}`, code: employee.code },
    team,
    contraAccount: {
      id: stableId("account", company.id, type.includes("reimbursement") || type === "out_of_pocket" ? "2830" : "2810"),
      ...(type.includes("reimbursement") || type === "out_of_pocket"
        ? { code: "2830", name: "Employee reimbursements payable" }
        : { code: "2810", name: "Pleo wallet" }),
      identifier: null,
    },
    bookkeeping: { method },
    // Receipts: the URLs are made per response (time-limited, like Pleo's).
    receipts: movement || k % 9 === 8 ? [] : [{ name: `receipt-${k + 1}.pdf`, type: "application/pdf" }],
  };
  if (category === "software" && !movement) {
    const from = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
    const to = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0, 23, 59, 59));
    entry.servicePeriod = { from: from.toISOString().replace(".000", ""), to: to.toISOString().replace(".000", "") };
  }
  if (!withoutSupplier) {
    entry.supplier = {
      code: supplierCode,
      name,
      categoryCode: mcc,
      country: supplierCountry,
      account: "2400",
      taxIdentifier: `${supplierCountry}${String(memoSeed("vat", name) % 100_000_000).padStart(8, "0")}`,
    };
    // Every other card invoice is from a supplier not registered as a vendor
    // (a ledger that books accounts payable by vendor refuses it).
    const unregistered = type === "card_invoice" && Math.floor(k / TYPE_CYCLE.length) % 2 === 1;
    if ((method === "accounts_payable" || category === "software") && !unregistered) {
      entry.vendor = {
        id: stableId("vendor", company.id, name),
        name,
        code: supplierCode,
        country: supplierCountry,
        defaultCurrency: supplierCurrency,
        externalId: `V-${supplierCode}`,
      };
    }
  }
  if (type === "invoice" || type === "invoice_payment") {
    const invoiceDate = `${month}-${String(1 + (k % 27)).padStart(2, "0")}`;
    entry.additionalInformation.invoiceInformation = {
      invoiceNumber: `INV-${String((memoSeed("invoice", company.id, k) % 900_000) + 100_000)}`,
      invoiceDate,
      dueDate: new Date(Date.parse(invoiceDate) + 30 * DAY).toISOString().slice(0, 10),
      paymentDate: type === "invoice_payment" ? date.toISOString().slice(0, 10) : null,
      status: type === "invoice_payment" ? "paid" : "scheduled",
    };
  }
  return entry;
}

/** The bytes of a receipt: a small valid PDF naming the entry. */
export function receiptBytes(entry, index) {
  const a = entry.amount.inSupplierCurrency;
  const text =
    `${entry.supplier?.name ?? "Unknown merchant"} ${entry.date} ${a.currency} ${Math.floor(a.value / 100)}.${String(a.value % 100).padStart(2, "0")}`.replace(
      /[()\\]/g,
      "",
    );
  const stream = `BT /F1 14 Tf 40 760 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${Buffer.byteLength(stream, "latin1")} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = `%PDF-1.4\n% receipt ${index + 1} of entry ${entry.accountingEntryId}\n`;
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}
