// The stand-in's v3 export API, admin routes and API faults
// (docs/PLEO-API.md, dev/standin/README.md),
// driven over HTTP with tokens from the real OAuth flow.
// Run: node --test tests/js/standin-export.test.mjs

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { obtainTokens, startStandin } from "../../dev/standin/index.mjs";
import { standinApiAs } from "./helpers/standin-api.mjs";

const JOB_KEYS = [
  "id",
  "companyId",
  "status",
  "createdAt",
  "lastUpdatedAt",
  "startedAt",
  "completedAt",
  "expiresIn",
  "expiredAt",
  "numberOfItems",
  "isInteractive",
  "createdBy",
  "vendorBasedBookkeeping",
  "failureReason",
  "failureReasonType",
].sort();
const JOB_ITEM_KEYS = [
  "accountingEntryId",
  "exportJobId",
  "status",
  "exportedAt",
  "externalId",
  "externalUrl",
  "failureReason",
  "failureReasonType",
].sort();
const PAGINATION_KEYS = ["currentRequestPagination", "hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "total"].sort();
const REQUIRED_ITEM_KEYS = [
  "accountingEntryId",
  "companyId",
  "type",
  "date",
  "amount",
  "accountingEntryLines",
  "additionalInformation",
  "_links",
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const companyIdOf = (c) => c.subject.split(":").pop();

let standin;
let info;
let admin;

const apiAs = (token) => standinApiAs(info.apiBaseUrl, token);

async function adminCall(method, path, body) {
  const res = await fetch(`${info.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function assertPleoError(res, status, type) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.deepEqual(Object.keys(res.body).sort(), ["message", "type"]);
  assert.equal(res.body.type, type, res.text);
}

// Every page of a list, following endCursor while hasNextPage.
async function allPages(call, path, limit) {
  const out = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await call("GET", `${path}${sep}limit=${limit}${cursor ? `&after=${cursor}` : ""}`);
    assert.equal(res.status, 200, res.text);
    const cursors = res.body.data.length ? [] : ["startCursor", "endCursor"];
    assert.deepEqual(
      Object.keys(res.body.pagination).sort(),
      PAGINATION_KEYS.filter((k) => !cursors.includes(k)),
    );
    out.push(...res.body.data);
    if (!res.body.pagination.hasNextPage) return out;
    cursor = res.body.pagination.endCursor;
    assert.match(cursor, /^[A-Z2-7]+$/, "base32-looking cursor");
  }
  throw new Error("too many pages");
}

let a; // company 0, every export scope
let b; // company 1, every export scope
let c0; // company 0 again
let readOnly; // company 2, export-jobs:read only
const companies = [];

before(async () => {
  standin = await startStandin({ port: 0, apiPort: 0 });
  ({ info } = standin);
  admin = adminCall;
  companies.push(...info.companies);
  const [ta, tb, tr] = await Promise.all([
    obtainTokens(info, { company: 0 }),
    obtainTokens(info, { company: 1 }),
    obtainTokens(info, { company: 2, scopes: ["export-jobs:read"] }),
  ]);
  a = apiAs(ta.access_token);
  b = apiAs(tb.access_token);
  c0 = a;
  readOnly = apiAs(tr.access_token);
});
after(() => standin?.close());

describe("export jobs", () => {
  test("seeded history: finished jobs, oldest first, exact job and pagination shapes", async () => {
    const id = companyIdOf(companies[0]);
    const res = await a("GET", `/v3/export-jobs?company_id=${id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json;charset=UTF-8");
    assert.ok(res.body.data.length >= 3);
    for (const job of res.body.data) {
      assert.deepEqual(Object.keys(job).sort(), JOB_KEYS);
      assert.equal(job.companyId, id);
      assert.ok(["completed", "completed_with_errors", "failed"].includes(job.status));
      assert.equal(job.expiresIn, 0, "an integer, finished jobs included");
    }
    const created = res.body.data.map((j) => Date.parse(j.createdAt));
    assert.deepEqual(
      created,
      [...created].sort((x, y) => x - y),
      "oldest first",
    );
    assert.ok(res.body.data.some((j) => j.failureReasonType === "job_expired"));
    assert.deepEqual(res.body.pagination.currentRequestPagination, {
      limit: 25,
      parameters: { company_id: [id] },
      sortingKeys: [],
      sortingOrder: ["ASC"],
    });
    assert.equal(res.body.pagination.total, res.body.data.length);
    // statuses filter, comma-separated and repeated
    const failed = await a("GET", "/v3/export-jobs?statuses=failed");
    assert.ok(failed.body.data.every((j) => j.status === "failed") && failed.body.data.length >= 1);
    const two = await a("GET", "/v3/export-jobs?statuses=completed&statuses=failed");
    assert.equal(two.body.data.length, res.body.data.filter((j) => ["completed", "failed"].includes(j.status)).length);
    assertPleoError(await a("GET", "/v3/export-jobs?statuses=done"), 400, "BAD_REQUEST");
    // another company's id → 403 Access_Denied
    assertPleoError(await a("GET", `/v3/export-jobs?company_id=${companyIdOf(companies[1])}`), 403, "Access_Denied");
    // the seeded job's control layer stays readable, its data layer is gone
    const done = res.body.data[0];
    assertPleoError(await a("GET", `/v3/export-items?job_id=${done.id}`), 422, "EXPORT_JOB_STATUS_UNPROCESSABLE");
    const items = await a("GET", `/v3/export-jobs/${done.id}/items`);
    assert.equal(items.body.data.length, done.numberOfItems);
    for (const item of items.body.data) assert.deepEqual(Object.keys(item).sort(), JOB_ITEM_KEYS);
  });

  test("create → 201, one unfinished job per company → 409, 404 for unknown and foreign jobs", async () => {
    // CreateExportJob requires companyId and accountingEntryIds: here the entries of a seeded job, exported again.
    const seeded = (await a("GET", `/v3/export-jobs?company_id=${companyIdOf(companies[0])}`)).body.data[0];
    const accountingEntryIds = (await a("GET", `/v3/export-jobs/${seeded.id}/items?limit=100`)).body.data.map((i) => i.accountingEntryId);
    const create = (over = {}) => ({ companyId: companyIdOf(companies[0]), accountingEntryIds, ...over });
    assertPleoError(await a("POST", "/v3/export-jobs", { companyId: companyIdOf(companies[0]) }), 400, "BAD_REQUEST");
    const created = await a("POST", "/v3/export-jobs", create({ isInteractive: false, options: { vendorBasedBookkeeping: true } }));
    assert.equal(created.status, 201, created.text);
    const job = created.body.data;
    assert.deepEqual(Object.keys(job).sort(), JOB_KEYS);
    assert.equal(job.status, "pending");
    assert.equal(job.vendorBasedBookkeeping, true);
    assert.equal(job.isInteractive, false);
    assert.ok(job.numberOfItems > 0);
    assert.ok(job.expiresIn > 3590 && job.expiresIn <= 3600, String(job.expiresIn));
    assert.equal(job.lastUpdatedAt, job.createdAt);
    assertPleoError(await a("POST", "/v3/export-jobs", create()), 409, "EXPORT_ALREADY_IN_PROGRESS");
    const adminDup = await admin("POST", "/export-jobs", { company: companies[0].subject, entries: 2 });
    assert.equal(adminDup.status, 409);
    assert.equal(adminDup.body.type, "EXPORT_ALREADY_IN_PROGRESS");
    assert.deepEqual((await a("GET", `/v3/export-jobs/${job.id}`)).body.data, {
      ...job,
      expiresIn: (await a("GET", `/v3/export-jobs/${job.id}`)).body.data.expiresIn,
    });
    assertPleoError(await a("GET", "/v3/export-jobs/00000000-0000-4000-8000-000000000000"), 404, "EXPORT_NOT_FOUND");
    assertPleoError(await b("GET", `/v3/export-jobs/${job.id}`), 404, "EXPORT_NOT_FOUND");
    assertPleoError(await b("GET", `/v3/export-items?job_id=${job.id}`), 404, "EXPORT_NOT_FOUND");
    assertPleoError(await b("POST", "/v3/export-job-events", { event: "started", jobId: job.id }), 404, "EXPORT_NOT_FOUND");
    assertPleoError(await a("POST", "/v3/export-jobs", create({ companyId: companyIdOf(companies[1]) })), 403, "Access_Denied");
    // pending → failed is allowed; then the company may export again
    const failed = await a("POST", "/v3/export-job-events", { event: "failed", jobId: job.id });
    assert.equal(failed.status, 202);
    assert.equal(failed.text, "");
    const after = (await a("GET", `/v3/export-jobs/${job.id}`)).body.data;
    assert.equal(after.status, "failed");
    assert.equal(after.failureReasonType, "validation_failure", "the stand-in's default is a job enum value");
    assert.equal(after.expiresIn, 0);
    assert.ok(after.completedAt);
    // unknown entry ids
    assertPleoError(
      await a("POST", "/v3/export-jobs", create({ accountingEntryIds: ["00000000-0000-4000-8000-000000000001"] })),
      400,
      "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
    );
    assertPleoError(await a("POST", "/v3/export-jobs", create({ accountingEntryIds: ["nope"] })), 400, "BAD_REQUEST");
  });

  test("scopes: export-jobs:write and export-items:read are enforced", async () => {
    assertPleoError(await readOnly("POST", "/v3/export-jobs", {}), 403, "Access_Denied");
    assertPleoError(await readOnly("POST", "/v3/export-job-events", { event: "started", jobId: "x" }), 403, "Access_Denied");
    assertPleoError(await readOnly("PUT", "/v3/export-jobs/x/items", []), 403, "Access_Denied");
    assertPleoError(await readOnly("GET", "/v3/export-items?job_id=00000000-0000-4000-8000-000000000000"), 403, "Access_Denied");
    assert.equal((await readOnly("GET", "/v3/export-jobs")).status, 200);
    const unauth = await fetch(`${info.apiBaseUrl}/v3/export-jobs`);
    assert.equal(unauth.status, 401);
  });

  test("a full run: claim, page through items, report, finish; every status and transition", async () => {
    const made = await admin("POST", "/export-jobs", { company: companies[1].subject, entries: 57 });
    assert.equal(made.status, 201);
    assert.deepEqual(Object.keys(made.body).sort(), ["accountingEntryIds", "jobId"]);
    const { jobId, accountingEntryIds } = made.body;
    assert.equal(new Set(accountingEntryIds).size, 57);

    // illegal transitions from pending
    for (const event of ["completed", "completed_with_errors"]) {
      assertPleoError(await b("POST", "/v3/export-job-events", { event, jobId }), 422, "INVALID_EXPORT_JOB_STATUS_CHANGE");
    }
    assertPleoError(await b("POST", "/v3/export-job-events", { event: "finished", jobId }), 400, "BAD_REQUEST");
    assert.equal((await b("POST", "/v3/export-job-events", { event: "started", jobId })).status, 202);
    assertPleoError(await b("POST", "/v3/export-job-events", { event: "started", jobId }), 422, "INVALID_EXPORT_JOB_STATUS_CHANGE");
    const running = (await b("GET", `/v3/export-jobs/${jobId}`)).body.data;
    assert.equal(running.status, "in_progress");
    assert.ok(running.startedAt);
    assert.deepEqual(
      (await b("GET", "/v3/export-jobs?statuses=pending&statuses=in_progress")).body.data.map((j) => j.id),
      [jobId],
    );

    // data layer: 57 entries over pages of 10, same order as the job
    const entries = await allPages(b, `/v3/export-items?job_id=${jobId}`, 10);
    assert.deepEqual(
      entries.map((e) => e.accountingEntryId),
      accountingEntryIds,
    );
    const currencies = new Set();
    const types = new Set();
    const taxTypes = new Set();
    const methods = new Set();
    let withoutSupplier = 0;
    let withVat = 0;
    let multiLine = 0;
    for (const e of entries) {
      for (const k of REQUIRED_ITEM_KEYS) assert.ok(k in e, `export item has ${k}`);
      assert.equal(e.companyId, companyIdOf(companies[1]));
      for (const side of ["inSupplierCurrency", "inWalletCurrency"]) {
        assert.ok(Number.isInteger(e.amount[side].value), "minor units");
        assert.match(e.amount[side].currency, /^[A-Z]{3}$/);
      }
      assert.equal(e.amount.inWalletCurrency.currency, "NOK");
      currencies.add(e.amount.inSupplierCurrency.currency);
      types.add(e.type);
      methods.add(e.bookkeeping.method);
      if (e.accountingEntryLines.length > 1) multiLine += 1;
      // The entry's amount is the sum of its lines, plus tax added on top of exclusive lines.
      let total = 0;
      for (const line of e.accountingEntryLines) {
        const side = (m) => m.inSupplierCurrency.value;
        total += side(line.lineAmount);
        if (!line.tax) continue;
        taxTypes.add(line.tax.type);
        if (line.tax.type === "inclusive")
          assert.equal(side(line.netAmount) + side(line.tax.amount), side(line.lineAmount), "inclusive: net + tax = line");
        else assert.equal(side(line.netAmount), side(line.lineAmount), `${line.tax.type}: net = line`);
        if (line.tax.type === "exclusive") total += side(line.tax.amount);
        if (side(line.tax.amount) !== 0) withVat += 1;
        assert.ok(line.tax.rate > 0 && line.tax.rate < 1, "the rate is a fraction");
      }
      assert.equal(total, e.amount.inSupplierCurrency.value);
      assert.match(e.additionalInformation.reconciliationId, /^(JE|AP)-\d{6}$/);
      if (e.type === "invoice") assert.ok(e.vendor?.defaultCurrency, "an invoice names its vendor");
      if (e.type === "invoice") assert.ok(e.additionalInformation.invoiceInformation.invoiceNumber);
      if (!e.supplier) withoutSupplier += 1;
      else assert.deepEqual(Object.keys(e.supplier).sort(), ["account", "categoryCode", "code", "country", "name", "taxIdentifier"]);
      assert.deepEqual(Object.keys(e.user).sort(), ["code", "id", "name"]);
      assert.deepEqual(Object.keys(e.team).sort(), ["code", "id", "name"]);
      for (const f of e.files) assert.deepEqual(Object.keys(f).sort(), ["size", "type", "url"]);
    }
    assert.ok(currencies.size >= 3, `several currencies: ${[...currencies]}`);
    assert.ok(withoutSupplier >= 5, "some entries have no supplier");
    assert.ok(withVat >= 5, "VAT lines");
    assert.ok(multiLine >= 2, "multi-line entries");
    assert.deepEqual([...taxTypes].sort(), ["exclusive", "inclusive", "reverse"]);
    assert.deepEqual([...methods].sort(), ["accounts_payable", "journal", "none"]);
    assert.ok(types.size >= 16, `item types: ${[...types]}`);

    // receipts are served at their URLs, signed; a tampered link is refused
    const file = entries.find((e) => e.files.length).files[0];
    const receipt = await fetch(file.url);
    assert.equal(receipt.status, 200);
    assert.equal(receipt.headers.get("content-type"), file.type);
    const bytes = Buffer.from(await receipt.arrayBuffer());
    assert.equal(bytes.length, file.size);
    assert.equal(bytes.subarray(0, 5).toString(), "%PDF-");
    // change the signature's first character to a different one (replacing it
    // with a fixed letter would leave it unchanged one time in 64)
    const tampered = file.url.replace(/signature=(.)/, (_, c) => `signature=${c === "A" ? "B" : "A"}`);
    assert.notEqual(tampered, file.url);
    assert.equal((await fetch(tampered)).status, 403);

    // backwards with before=startCursor
    const page3 = await b("GET", `/v3/export-items?job_id=${jobId}&limit=10&offset=20`);
    assert.equal(page3.body.data[0].accountingEntryId, accountingEntryIds[20]);
    const page2 = await b("GET", `/v3/export-items?job_id=${jobId}&limit=10&before=${page3.body.pagination.startCursor}`);
    assert.deepEqual(
      page2.body.data.map((e) => e.accountingEntryId),
      accountingEntryIds.slice(10, 20),
    );
    assert.equal(page2.body.pagination.hasPreviousPage, true);
    const desc = await b("GET", `/v3/export-items?job_id=${jobId}&limit=5&sorting_order=DESC`);
    assert.deepEqual(
      desc.body.data.map((e) => e.accountingEntryId),
      accountingEntryIds.slice(-5).reverse(),
    );
    const desc2 = await b("GET", `/v3/export-items?job_id=${jobId}&limit=5&sorting_order=DESC&after=${desc.body.pagination.endCursor}`);
    assert.deepEqual(
      desc2.body.data.map((e) => e.accountingEntryId),
      accountingEntryIds.slice(-10, -5).reverse(),
    );
    assertPleoError(await b("GET", `/v3/export-items?job_id=${jobId}&after=not-a-cursor`), 400, "BAD_REQUEST");
    assertPleoError(await b("GET", `/v3/export-items?job_id=${jobId}&limit=101`), 400, "BAD_REQUEST");
    assertPleoError(await b("GET", "/v3/export-items"), 400, "BAD_REQUEST");

    // reports: > 100 → 413; per-item errors inside a 200
    const report = (ids, status, extra = {}) => ids.map((id) => ({ accountingEntryId: id, status, ...extra }));
    assertPleoError(
      await b("PUT", `/v3/export-jobs/${jobId}/items`, report(Array(101).fill(accountingEntryIds[0]), "successful")),
      413,
      "EXPORT_JOB_ITEMS_UPDATE_LIMIT",
    );
    const ok = accountingEntryIds.slice(0, 50);
    const res = await b("PUT", `/v3/export-jobs/${jobId}/items`, [
      ...report(ok, "successful", { externalId: "X", externalUrl: "https://ledger.example/x" }),
      { accountingEntryId: accountingEntryIds[50], status: "failed", failureReason: "No supplier", failureReasonType: "vendor_unknown" },
      { accountingEntryId: "11111111-1111-4111-8111-111111111111", status: "successful" },
    ]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ["data", "errors"]);
    assert.equal(res.body.data.length, 51);
    assert.deepEqual(
      res.body.errors.map((e) => [e.accountingEntryId, e.type]),
      [["11111111-1111-4111-8111-111111111111", "ACCOUNTING_ENTRY_DOES_NOT_EXIST"]],
    );
    // A status outside ExportJobItemStatus, or a body that is not the documented array: 400, as from Pleo.
    assertPleoError(await b("PUT", `/v3/export-jobs/${jobId}/items`, report([accountingEntryIds[51]], "done")), 400, "BAD_REQUEST");
    assertPleoError(
      await b("PUT", `/v3/export-jobs/${jobId}/items`, { items: report([accountingEntryIds[51]], "successful") }),
      400,
      "BAD_REQUEST",
    );
    // pending is a status a partner may report (e.g. to hand an item back)
    assert.equal((await b("PUT", `/v3/export-jobs/${jobId}/items`, report([accountingEntryIds[56]], "pending"))).status, 200);
    for (const e of res.body.errors) assert.deepEqual(Object.keys(e).sort(), ["accountingEntryId", "message", "type"]);
    // a repeated report counts again
    const again = await b("PUT", `/v3/export-jobs/${jobId}/items`, report(accountingEntryIds.slice(49, 57), "successful"));
    assert.equal(again.body.data.length, 8);
    const failedItems = await b("GET", `/v3/export-jobs/${jobId}/items?status=failed`);
    assert.deepEqual(
      failedItems.body.data.map((i) => i.accountingEntryId),
      [],
    ); // 50 was re-reported successful
    const successful = await allPages(b, `/v3/export-jobs/${jobId}/items?status=successful`, 20);
    assert.equal(successful.length, 57);
    assert.ok(successful.every((i) => i.exportedAt && i.failureReason === null));

    const view = await admin("GET", `/export-jobs/${jobId}`);
    assert.equal(view.status, 200);
    assert.deepEqual(Object.keys(view.body).sort(), ["items", "job"]);
    const reports = Object.fromEntries(view.body.items.map((i) => [i.accountingEntryId, i.reports]));
    assert.equal(reports[accountingEntryIds[0]], 1);
    assert.equal(reports[accountingEntryIds[49]], 2);
    assert.equal(reports[accountingEntryIds[50]], 2);
    assert.deepEqual(Object.keys(view.body.items[0]).sort(), [
      "accountingEntryId",
      "externalId",
      "failureReason",
      "files",
      "reports",
      "status",
    ]);

    assert.equal((await b("POST", "/v3/export-job-events", { event: "completed", jobId })).status, 202);
    const done = (await b("GET", `/v3/export-jobs/${jobId}`)).body.data;
    assert.equal(done.status, "completed");
    assert.ok(done.completedAt);
    for (const event of ["started", "completed", "completed_with_errors", "failed"]) {
      assertPleoError(await b("POST", "/v3/export-job-events", { event, jobId }), 422, "INVALID_EXPORT_JOB_STATUS_CHANGE");
    }
    assertPleoError(
      await b("PUT", `/v3/export-jobs/${jobId}/items`, report(ok.slice(0, 1), "successful")),
      422,
      "EXPORT_JOB_STATUS_UNPROCESSABLE",
    );
    assertPleoError(await b("GET", `/v3/export-items?job_id=${jobId}`), 422, "EXPORT_JOB_STATUS_UNPROCESSABLE");
    assertPleoError(await b("GET", `/v3/export-jobs/${jobId}/items?status=nope`), 400, "BAD_REQUEST");
  });

  test("completed_with_errors and failed with a reason", async () => {
    const {
      body: { jobId, accountingEntryIds },
    } = await admin("POST", "/export-jobs", { company: companies[1].subject, entries: 2 });
    await b("POST", "/v3/export-job-events", { event: "started", jobId });
    await b("PUT", `/v3/export-jobs/${jobId}/items`, [
      { accountingEntryId: accountingEntryIds[0], status: "successful", externalId: "A" },
      { accountingEntryId: accountingEntryIds[1], status: "failed", failureReason: "bad", failureReasonType: "account_unknown" },
    ]);
    assert.equal((await b("POST", "/v3/export-job-events", { event: "completed_with_errors", jobId })).status, 202);
    assert.equal((await b("GET", `/v3/export-jobs/${jobId}`)).body.data.status, "completed_with_errors");
    const items = (await b("GET", `/v3/export-jobs/${jobId}/items?status=failed`)).body.data;
    assert.deepEqual(
      items.map((i) => [i.failureReason, i.failureReasonType]),
      [["bad", "account_unknown"]],
    );

    const second = await admin("POST", "/export-jobs", { company: companies[1].subject, entries: 1 });
    await b("POST", "/v3/export-job-events", { event: "started", jobId: second.body.jobId });
    // An item failure type is not a job failure type: Pleo answers 400.
    assertPleoError(
      await b("POST", "/v3/export-job-events", {
        event: "failed",
        jobId: second.body.jobId,
        failureReasonType: "accounting_system_validation_failure",
      }),
      400,
      "BAD_REQUEST",
    );
    const failed = await b("POST", "/v3/export-job-events", {
      event: "failed",
      jobId: second.body.jobId,
      failureReason: "ledger down",
      failureReasonType: "accounting_system_unreachable",
    });
    assert.equal(failed.status, 202);
    const job = (await b("GET", `/v3/export-jobs/${second.body.jobId}`)).body.data;
    assert.deepEqual([job.status, job.failureReason, job.failureReasonType], ["failed", "ledger down", "accounting_system_unreachable"]);
  });

  test("MISSING_CONTRA_ACCOUNTS for a company configured so", async () => {
    const cfg = await admin("PUT", `/companies/${companies[3].subject}`, { missingContraAccounts: true });
    assert.equal(cfg.status, 200);
    const tokens = await obtainTokens(info, { company: 3 });
    const d = apiAs(tokens.access_token);
    const {
      body: { jobId },
    } = await admin("POST", "/export-jobs", { company: companies[3].subject, entries: 3 });
    assertPleoError(await d("GET", `/v3/export-items?job_id=${jobId}`), 400, "MISSING_CONTRA_ACCOUNTS");
    // POST /v3/export-jobs may answer it too
    assertPleoError(
      await d("POST", "/v3/export-jobs", { companyId: companyIdOf(companies[3]), accountingEntryIds: [randomUUID()] }),
      400,
      "MISSING_CONTRA_ACCOUNTS",
    );
    await admin("PUT", `/companies/${companyIdOf(companies[3])}`, { missingContraAccounts: false });
    assert.equal((await d("GET", `/v3/export-items?job_id=${jobId}`)).status, 200);
    await d("POST", "/v3/export-job-events", { event: "failed", jobId });
  });

  test("expiry one TTL after lastUpdatedAt; reports and events keep a job alive", async () => {
    standin.setSettings({ exportJobTtl: 1.5 });
    try {
      const idle = await admin("POST", "/export-jobs", { company: companies[0].subject, entries: 3 });
      const fresh = (await a("GET", `/v3/export-jobs/${idle.body.jobId}`)).body.data;
      assert.equal(fresh.expiresIn, 2); // 1.5 s, rounded up
      await sleep(1700);
      const expired = (await a("GET", `/v3/export-jobs/${idle.body.jobId}`)).body.data;
      assert.equal(expired.status, "failed");
      assert.equal(expired.failureReasonType, "job_expired");
      assert.equal(expired.expiresIn, 0);
      assert.equal(expired.expiredAt, expired.completedAt);
      assert.ok((await admin("GET", `/export-jobs/${idle.body.jobId}`)).body.items.every((i) => i.status === "abandoned"));
      assertPleoError(await a("GET", `/v3/export-items?job_id=${idle.body.jobId}`), 422, "EXPORT_JOB_STATUS_UNPROCESSABLE");

      const busy = await admin("POST", "/export-jobs", { company: companies[0].subject, entries: 3 });
      const { jobId, accountingEntryIds } = busy.body;
      await a("POST", "/v3/export-job-events", { event: "started", jobId });
      for (const id of accountingEntryIds) {
        await sleep(700);
        const put = await a("PUT", `/v3/export-jobs/${jobId}/items`, [{ accountingEntryId: id, status: "successful" }]);
        assert.equal(put.status, 200, "the job is still alive after 0.7 s more");
        const job = (await a("GET", `/v3/export-jobs/${jobId}`)).body.data;
        assert.equal(job.status, "in_progress");
        assert.equal(job.expiresIn, 2, "expiresIn counts from the last update");
        assert.ok(Date.parse(job.lastUpdatedAt) > Date.parse(job.startedAt));
      }
      assert.equal((await a("POST", "/v3/export-job-events", { event: "completed", jobId })).status, 202);
      assert.ok(standin.stats().exportJobsExpired >= 1);
    } finally {
      standin.setSettings({ exportJobTtl: 3600 });
    }
  });
});

describe("admin routes and faults", () => {
  test("admin routes validate their input", async () => {
    assert.equal((await admin("POST", "/export-jobs", { company: "urn:pleo:company:nope", entries: 2 })).status, 404);
    assert.equal((await admin("POST", "/export-jobs", { company: companies[2].subject, entries: 0 })).status, 400);
    assert.equal((await admin("GET", "/export-jobs/nope")).status, 404);
    const list = await admin("GET", `/export-jobs?company=${companies[2].subject}`);
    assert.ok(list.body.jobs.length >= 3);
    assert.equal((await admin("POST", "/settings", { exportJobTtl: -1 })).status, 400);
    // cancelling frees the company for the next job
    const made = await admin("POST", "/export-jobs", { company: companies[2].subject, entries: 1 });
    assert.equal((await admin("POST", "/export-jobs", { company: companies[2].subject, entries: 1 })).status, 409);
    const failed = await admin("POST", `/export-jobs/${made.body.jobId}/fail`, {});
    assert.equal(failed.status, 200);
    assert.equal(failed.body.job.status, "failed");
    assert.equal((await admin("POST", `/export-jobs/${made.body.jobId}/fail`, {})).status, 422);
    const next = standin.createExportJob({ company: companies[2].subject, entries: 1 });
    assert.equal(standin.failExportJob(next.jobId).status, "failed");
    assert.equal((await admin("GET", "/settings")).body.exportJobTtl, 3600);
  });

  test("apiRateLimitRate → 429 with Retry-After: 1; apiFailureRate → 503; on every API route", async () => {
    const before = standin.stats();
    assert.equal((await admin("POST", "/faults", { apiRateLimitRate: 1 })).status, 200);
    for (const [method, path] of [
      ["GET", "/v3/export-jobs"],
      ["POST", "/v3/export-job-events"],
      ["GET", "/v1/subscriptions"],
      ["PUT", "/v3/export-jobs/x/items"],
    ]) {
      const res = await a(method, path, method === "GET" ? undefined : {});
      assertPleoError(res, 429, "TOO_MANY_REQUESTS");
      assert.equal(res.headers.get("retry-after"), "1");
    }
    await admin("POST", "/faults", { apiRateLimitRate: 0, apiFailureRate: 1 });
    assertPleoError(await a("GET", "/v3/export-jobs"), 503, "SERVICE_UNAVAILABLE");
    assert.equal((await admin("POST", "/faults", { apiFailureRate: 1.5 })).status, 400);
    await admin("POST", "/faults", { apiFailureRate: 0.5 });
    const results = [];
    for (let i = 0; i < 40; i += 1) results.push((await a("GET", "/v1/introspect")).status);
    assert.ok(results.includes(200) && results.includes(503), results.join(","));
    assert.equal((await admin("DELETE", "/faults")).status, 200);
    const after = (await admin("GET", "/stats")).body;
    assert.equal(after.apiRateLimited - before.apiRateLimited, 4);
    assert.ok(after.apiFailuresInjected - before.apiFailuresInjected >= 2);
    assert.equal((await a("GET", "/v3/export-jobs")).status, 200);
  });
});
