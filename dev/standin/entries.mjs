// Seeded accounting entries (the export-items payload) per company.
//
// Entry number k of a company is a pure function of (company, k): the
// stand-in only has to remember how many entries a company has, and every
// run sees the same ids, suppliers and amounts. Money is {currency, value}
// in integer minor units and every conversion is integer arithmetic, as in
// Pleo's API (../shared/pleo-export-facts.md, "Export items").

import { createHash } from 'node:crypto';

import { prng, uuid } from './data.mjs';

// Value of one unit of each currency in millionths of a DKK (fixed demo rates).
const RATE = {
  DKK: 1_000_000, EUR: 7_460_000, NOK: 640_000, SEK: 650_000, GBP: 8_650_000, USD: 6_900_000,
};

// Integer minor units → integer minor units (all six currencies have two decimals).
function convert(value, from, to) {
  if (from === to) return value;
  return Math.round((value * RATE[from]) / RATE[to]);
}

const VAT = {
  DK: { code: 'I25', rate: '25.00', bp: 2500 },
  NO: { code: 'I25', rate: '25.00', bp: 2500 },
  DE: { code: 'VSt19', rate: '19.00', bp: 1900 },
  GB: { code: 'T1', rate: '20.00', bp: 2000 },
};
const REVERSE_CHARGE = { code: 'RC0', rate: '0.00', bp: 0 };

const ACCOUNTS = {
  travel: { code: '7140', name: 'Travel' },
  meals: { code: '7160', name: 'Meals and entertainment' },
  software: { code: '6540', name: 'Software and subscriptions' },
  office: { code: '6800', name: 'Office supplies' },
  transport: { code: '7150', name: 'Local transport' },
  hardware: { code: '6550', name: 'IT equipment' },
};

// [name, category, country, currency, mcc]; a foreign supplier charges 0 % VAT (reverse charge).
const SUPPLIERS = [
  ['SAS Scandinavian Airlines', 'travel', 'DK', 'DKK', '3058'],
  ['Lufthansa', 'travel', 'DE', 'EUR', '3008'],
  ['Scandic Hotels', 'travel', 'SE', 'SEK', '3640'],
  ['Deutsche Bahn', 'transport', 'DE', 'EUR', '4112'],
  ['Uber', 'transport', 'NL', 'EUR', '4121'],
  ['Transport for London', 'transport', 'GB', 'GBP', '4111'],
  ['Joe & The Juice', 'meals', 'DK', 'DKK', '5814'],
  ['Pret A Manger', 'meals', 'GB', 'GBP', '5812'],
  ['Peppes Pizza', 'meals', 'NO', 'NOK', '5812'],
  ['Figma Inc.', 'software', 'US', 'USD', '5734'],
  ['Atlassian', 'software', 'AU', 'USD', '5734'],
  ['Slack Technologies', 'software', 'US', 'USD', '5734'],
  ['Staples', 'office', 'DE', 'EUR', '5111'],
  ['Clas Ohlson', 'office', 'NO', 'NOK', '5251'],
  ['Elgiganten', 'hardware', 'DK', 'DKK', '5732'],
  ['Apple Store', 'hardware', 'GB', 'GBP', '5732'],
];

const TEAMS = [['Design', 'T-DES'], ['Sales', 'T-SAL'], ['Operations', 'T-OPS']];
const CATEGORY_NOTES = {
  travel: 'Client visit', meals: 'Team lunch', software: 'Monthly subscription',
  office: 'Supplies for the office', transport: 'Taxi to the airport', hardware: 'Replacement charger',
};

const BASE_DATE = Date.parse('2026-10-30T00:00:00Z');
const DAY = 86_400_000;

function seedOf(...parts) {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32LE(0);
}

// Seeds that repeat across entries (per supplier, per card, per company) are
// remembered: a 500-entry job would otherwise hash the same strings 500 times.
const seedMemo = new Map();
function memoSeed(...parts) {
  const key = parts.join('|');
  let v = seedMemo.get(key);
  if (v === undefined) {
    if (seedMemo.size > 100_000) seedMemo.clear();
    v = seedOf(key);
    seedMemo.set(key, v);
  }
  return v;
}

const teamsMemo = new Map();
/** Teams of a company: [{id, code, name}], the same on every run. */
export function teamsOf(company) {
  let teams = teamsMemo.get(company.id);
  if (!teams) {
    const rand = prng(seedOf('teams', company.id));
    teams = TEAMS.map(([name, code]) => ({ id: uuid(rand), code, name }));
    teamsMemo.set(company.id, teams);
  }
  return teams;
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

/**
 * Entry number k of a company.
 * @param {object} company the company record of data.mjs
 * @param {object[]} employees the company's employees
 * @param {number} k 0-based entry number
 * @returns the export item without the per-response parts (receipt URLs, _links)
 */
export function accountingEntry(company, employees, k) {
  const rand = prng(seedOf('entry', company.id, k));
  const id = uuid(rand);
  const wallet = company.currency;
  const country = company.address.country;
  // Half the spending is with domestic suppliers (with VAT), half anywhere.
  const domestic = SUPPLIERS.filter((s) => s[2] === country);
  const pool = domestic.length && rand() < 0.5 ? domestic : SUPPLIERS;
  const [name, category, supplierCountry, supplierCurrency, mcc] = pool[Math.floor(rand() * pool.length)];
  // About one entry in six has no supplier (a cash withdrawal or an unknown
  // merchant): a ledger that books by vendor fails those.
  const withoutSupplier = k % 6 === 3;
  const vat = supplierCountry === country ? VAT[country] : REVERSE_CHARGE;
  const gross = 500 + Math.floor(rand() * 249_500); // 5.00 .. 2500.00
  const net = Math.floor((gross * 10_000 + (10_000 + vat.bp) / 2) / (10_000 + vat.bp));
  const tax = gross - net;
  const netWallet = convert(net, supplierCurrency, wallet);
  const taxWallet = convert(tax, supplierCurrency, wallet);
  const grossWallet = netWallet + taxWallet;
  const employee = employees[Math.floor(rand() * employees.length)];
  const teams = teamsOf(company);
  const team = { ...teams[Math.floor(rand() * teams.length)] };
  const type = k % 7 === 5 ? 'reimbursement' : category === 'software' ? 'invoice' : 'card_purchase';
  const date = new Date(BASE_DATE - (k % 120) * DAY - Math.floor(rand() * 20) * 3_600_000);
  const account = ACCOUNTS[category];
  const supplierCode = `S${String(memoSeed('supplier', company.id, name) % 90_000 + 10_000)}`;

  const entry = {
    accountingEntryId: id,
    companyId: company.id,
    type,
    subType: type === 'reimbursement' ? 'out_of_pocket' : type === 'invoice' ? 'bill' : 'purchase',
    date: date.toISOString().slice(0, 10),
    amount: pair(supplierCurrency, wallet, gross, grossWallet),
    accountingEntryLines: [{
      lineId: uuid(rand),
      account,
      description: `${withoutSupplier ? 'Unknown merchant' : name} – ${CATEGORY_NOTES[category]}`,
      netAmount: pair(supplierCurrency, wallet, net, netWallet),
      taxAmount: pair(supplierCurrency, wallet, tax, taxWallet),
      grossAmount: pair(supplierCurrency, wallet, gross, grossWallet),
      tax: { code: vat.code, rate: vat.rate },
    }],
    additionalInformation: {
      merchantCategoryCode: mcc,
      cardLastFour: type === 'card_purchase' ? String(1000 + (memoSeed('card', employee.id) % 9000)) : null,
      reviewStatus: 'approved',
      entryNumber: k + 1,
    },
    note: rand() < 0.6 ? CATEGORY_NOTES[category] : null,
    user: { id: employee.id, name: `${employee.firstName} ${employee.lastName}`, code: employee.code },
    team,
    contraAccount: type === 'reimbursement'
      ? { code: '2830', name: 'Employee reimbursements payable' }
      : { code: '2810', name: 'Pleo wallet' },
    bookkeeping: { period: date.toISOString().slice(0, 7), journal: 'PLEO' },
    servicePeriod: category === 'software'
      ? { start: `${date.toISOString().slice(0, 7)}-01`, end: new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).toISOString().slice(0, 10) }
      : null,
    // Receipts: the URLs are made per response (time-limited, like Pleo's).
    receipts: k % 9 === 8 ? [] : [{ name: `receipt-${k + 1}.pdf`, type: 'application/pdf' }],
  };
  if (!withoutSupplier) {
    entry.supplier = {
      code: supplierCode,
      name,
      categoryCode: mcc,
      country: supplierCountry,
      account: { code: '5400', name: 'Trade creditors' },
      taxIdentifier: `${supplierCountry}${String(memoSeed('vat', name) % 100_000_000).padStart(8, '0')}`,
    };
    entry.vendor = { id: uuid(prng(memoSeed('vendor', company.id, name))), name, code: supplierCode };
  }
  return entry;
}

/** The bytes of a receipt: a small valid PDF naming the entry. */
export function receiptBytes(entry, index) {
  const a = entry.amount.inSupplierCurrency;
  const text = `${entry.supplier?.name ?? 'Unknown merchant'} ${entry.date} ${a.currency} ${Math.floor(a.value / 100)}.${String(a.value % 100).padStart(2, '0')}`
    .replace(/[()\\]/g, '');
  const stream = `BT /F1 14 Tf 40 760 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = `%PDF-1.4\n% receipt ${index + 1} of entry ${entry.accountingEntryId}\n`;
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
