// Seeded dummy data for the stand-in: a signed-in user, the companies shown on
// the consent page, and per-company employees. Everything is generated from a
// fixed seed, so every run (and every test) sees the same ids. Accounting
// entries are in export/entries.mjs, export jobs in the export room.

export const DEMO_USER = Object.freeze({
  name: "Astrid Nielsen",
  email: "astrid.nielsen@example.com",
  password: "pleo-demo-password",
});

// Pleo-style scopes (resource:permission). The demo client may request any of
// them; the consent screen grants what was requested.
export const SCOPES = Object.freeze([
  "users:read",
  "companies:read",
  "export-jobs:read",
  "export-jobs:write",
  "export-items:read",
  "accounts:read",
  "accounts:write",
  "tax-codes:read",
  "tag-groups:read",
]);

const COMPANY_SEED = [
  {
    id: "3f0b8c2e-6a1d-4f5e-9b7a-2c4d8e1f0a11",
    name: "Nordlys Design ApS",
    domain: "nordlys-design.example",
    country: "DK",
    currency: "DKK",
    registrationNumber: "DK38211904",
    people: ["Astrid Nielsen", "Mads Kristensen", "Freja Holm", "Jonas Lund", "Ida Sørensen", "Emil Bak", "Clara Vestergaard"],
  },
  {
    id: "8d5e1a47-2b9c-4c03-a6f1-7e2b5d9c3f22",
    name: "Fjordline Consulting AS",
    domain: "fjordline.example",
    country: "NO",
    currency: "NOK",
    registrationNumber: "NO923455871",
    people: ["Astrid Nielsen", "Ola Nordmann", "Ingrid Berg", "Henrik Dahl", "Sofie Haugen"],
  },
  {
    id: "c41f9e03-5d7a-4b8e-8c2d-1a6f4e0b9d33",
    name: "Kastanje Studio GmbH",
    domain: "kastanje-studio.example",
    country: "DE",
    currency: "EUR",
    registrationNumber: "HRB 204118",
    people: ["Astrid Nielsen", "Lena Vogel", "Jonas Becker", "Mia Schröder", "Felix Wagner", "Paul Hoffmann"],
  },
  {
    id: "e9a2d6b5-0f3c-4d71-b5e8-3c7a9f2d1e44",
    name: "Thames & Tide Ltd",
    domain: "thamesandtide.example",
    country: "GB",
    currency: "GBP",
    registrationNumber: "12876540",
    people: ["Astrid Nielsen", "Oliver Hughes", "Amelia Clarke", "George Patel"],
  },
];

// mulberry32: tiny deterministic PRNG, good enough for dummy data.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uuid(rand) {
  const word = () =>
    Math.floor(rand() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, "0");
  const s = word() + word() + word() + word();
  // RFC 9562 §5.4: version 4, variant 10xx.
  const variant = ((parseInt(s[16], 16) & 0x3) | 0x8).toString(16);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20)}`;
}

function slug(s) {
  return s
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ".");
}

const BASE_TIME = Date.parse("2026-09-01T08:00:00Z");
const DAY = 86_400_000;
const iso = (ms) => new Date(ms).toISOString();

function buildCompany(seed, index) {
  const rand = prng(0x5eed + index * 7919);
  const subject = `urn:pleo:company:${seed.id}`;
  const company = {
    id: seed.id,
    subject,
    name: seed.name,
    legalName: seed.name,
    registrationNumber: seed.registrationNumber,
    address: { country: seed.country },
    currency: seed.currency,
    organizationId: uuid(rand),
    createdAt: iso(BASE_TIME - (400 + index * 57) * DAY),
  };

  const employees = seed.people.map((full, i) => {
    const [firstName, ...rest] = full.split(" ");
    const lastName = rest.join(" ");
    return {
      id: uuid(rand),
      companyId: seed.id,
      firstName,
      lastName,
      email: `${slug(firstName)}.${slug(lastName)}@${seed.domain}`,
      phone: `+${40 + index}${String(20000000 + Math.floor(rand() * 79999999))}`,
      code: `E${String(100 + i).padStart(4, "0")}`,
      role: i === 0 ? "owner" : i === 1 ? "bookkeeper" : "member",
      status: i === seed.people.length - 1 ? "invited" : "active",
      createdAt: iso(BASE_TIME - (300 - i * 11) * DAY),
    };
  });

  return { company, employees };
}

// Companies beyond the four named ones, for load tests with many companies:
// the same people and currencies as the named ones, new ids and names.
function extraSeed(index) {
  const base = COMPANY_SEED[index % COMPANY_SEED.length];
  const rand = prng(0xc0ffee + index * 104_729);
  const n = String(index + 1).padStart(2, "0");
  const suffix = base.name.split(" ").pop();
  return {
    ...base,
    id: uuid(rand),
    name: `Demo Company ${n} ${suffix}`,
    domain: `demo-company-${n}.example`,
    registrationNumber: `${base.country}${String(10_000_000 + index)}`,
  };
}

/**
 * Fresh copy per stand-in instance.
 * @param {object} [o]
 * @param {number} [o.companies=4] how many companies (the first four are the named ones)
 */
export function createDataset({ companies: count = COMPANY_SEED.length } = {}) {
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new TypeError("companies must be an integer 1..500");
  const seeds = Array.from({ length: count }, (_, i) => (i < COMPANY_SEED.length ? COMPANY_SEED[i] : extraSeed(i)));
  const companies = seeds.map(buildCompany);
  return {
    companies: companies.map((c) => c.company),
    bySubject: new Map(companies.map((c) => [c.company.subject, c])),
    byId: new Map(companies.map((c) => [c.company.id, c])),
  };
}
