// The admin's export operations: the loopback routes under {adminUrl}
// (what a Pleo user's "Export" button does, cancelling a job, a company's
// contra-account switch, the stand-in's settings) and the same operations as
// methods of startStandin's result, for in-process tests.

import { AdminError } from "../runtime/index.mjs";
import { applyEvent, createJob } from "./lifecycle.mjs";
import { adminJob, adminJobs, companyIdOf } from "./queries.mjs";
import { receiptPlan, withFileDigests } from "./receipt-files.mjs";
import { configureCompany } from "./store.mjs";

/** Admin routes of the export workflow and the stand-in's settings. */
export function exportAdminRoutes({ store, getSettings, setSettings }) {
  const wrap =
    (fn) =>
    (...args) => {
      try {
        return fn(...args);
      } catch (err) {
        if (Number.isInteger(err.status) && typeof err.type === "string") throw new AdminError(err.status, err.type, err.message);
        if (err instanceof TypeError) throw new AdminError(400, "BAD_REQUEST", err.message);
        throw err;
      }
    };
  const company = (ref) => {
    const id = companyIdOf(store, ref);
    if (!id) throw new AdminError(404, "COMPANY_NOT_FOUND", "Unknown company: pass its subject URN or id");
    return id;
  };
  return [
    // What a Pleo user's "Export" button does (dev/standin/README.md).
    [
      "POST",
      /^\/export-jobs$/,
      wrap((m, body) => {
        if (body === null || typeof body !== "object") throw new AdminError(400, "BAD_REQUEST", 'body must be {"company", "entries"}');
        const entries = body.entries ?? 10;
        if (!Number.isInteger(entries) || entries < 1) throw new AdminError(400, "BAD_REQUEST", "entries must be a positive integer");
        const companyId = company(body.company);
        let receipts;
        try {
          receipts = receiptPlan(body.receipts);
        } catch (err) {
          throw new AdminError(400, "BAD_REQUEST", err.message);
        }
        const job = createJob(store, companyId, { count: entries, isInteractive: body.isInteractive ?? true, receipts });
        const { items } = adminJob(store, job.id);
        return [201, { jobId: job.id, accountingEntryIds: items.map((i) => i.accountingEntryId) }];
      }),
    ],
    [
      "GET",
      /^\/export-jobs$/,
      wrap((m, body, url) => {
        const ref = url.searchParams.get("company");
        return [200, { jobs: adminJobs(store, ref ? company(ref) : null) }];
      }),
    ],
    [
      "GET",
      /^\/export-jobs\/([\w-]{1,64})$/,
      wrap((m) => {
        const view = withFileDigests(store, adminJob(store, m[1]));
        if (!view) throw new AdminError(404, "EXPORT_NOT_FOUND", `Export job ${m[1]} not found`);
        return [200, view];
      }),
    ],
    // Ends an unfinished job as a Pleo user cancelling it would: failed (tests
    // that need the company free for another job).
    [
      "POST",
      /^\/export-jobs\/([\w-]{1,64})\/fail$/,
      wrap((m, body) => {
        const reason = typeof body?.failureReason === "string" ? body.failureReason : "Cancelled in the stand-in";
        return [
          200,
          { job: applyEvent(store, null, { event: "failed", jobId: m[1], failureReason: reason, failureReasonType: "canceled_by_user" }) },
        ];
      }),
    ],
    [
      "PUT",
      /^\/companies\/([\w:-]{1,100})$/,
      wrap((m, body) => {
        if (body === null || typeof body !== "object")
          throw new AdminError(400, "BAD_REQUEST", 'body must be {"missingContraAccounts": bool}');
        return [200, configureCompany(store, company(m[1]), body)];
      }),
    ],
    ["GET", /^\/settings$/, () => [200, getSettings()]],
    ["POST", /^\/settings$/, wrap((m, body) => [200, setSettings(body ?? {})])],
  ];
}

// The admin routes' export operations, as methods for in-process tests.
export function exportControls(store) {
  const knownCompany = (company) => {
    const companyId = companyIdOf(store, company);
    if (!companyId) throw new TypeError(`unknown company ${company}`);
    return companyId;
  };
  return {
    /** {company: URN or id, entries: N} → {jobId, accountingEntryIds}, like POST {adminUrl}/export-jobs. */
    createExportJob({ company, entries = 10, isInteractive = true, receipts }) {
      const job = createJob(store, knownCompany(company), { count: entries, isInteractive, receipts: receiptPlan(receipts) });
      return { jobId: job.id, accountingEntryIds: adminJob(store, job.id).items.map((i) => i.accountingEntryId) };
    },
    /** {job, items: [{accountingEntryId, status, externalId, failureReason, reports}]} or undefined. */
    exportJob: (id) => withFileDigests(store, adminJob(store, id)),
    /** Ends an unfinished job as failed, like POST {adminUrl}/export-jobs/<id>/fail; returns the job. */
    failExportJob: (id, failureReason = "Cancelled in the stand-in") =>
      applyEvent(store, null, {
        event: "failed",
        jobId: id,
        failureReason,
        failureReasonType: "canceled_by_user",
      }),
    configureCompany: (company, config) => configureCompany(store, knownCompany(company), config),
  };
}
