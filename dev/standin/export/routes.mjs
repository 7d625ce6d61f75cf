// Pleo's v3 export API over the export store: routes, scopes, query parameters.

import { accessDenied, ApiError, paginate, readJson, requireScope } from "../api/index.mjs";
import { receiptBytes } from "./entries.mjs";
import { applyEvent, createJob } from "./lifecycle.mjs";
import { exportItems, getJob, jobItems, jobReceiptPlan, listJobs, missingContraAccounts } from "./queries.mjs";
import { plannedFiles, receiptStream } from "./receipt-files.mjs";
import { ITEM_STATUSES, JOB_STATUSES } from "./records.mjs";
import { updateItems } from "./reports.mjs";
import { entryById } from "./store.mjs";

// A repeated parameter or a comma-separated list; every value must be known.
function listParam(query, name, allowed) {
  const values = query
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  if (!values.length) return null;
  const bad = values.find((v) => !allowed.includes(v));
  if (bad !== undefined) throw new ApiError(400, "BAD_REQUEST", `${name} must be among ${allowed.join(", ")}`);
  return values;
}

// A token is for one company; an explicit company_id must be that company.
function companyOf(auth, value) {
  if (value === null || value === undefined) return auth.companyId;
  if (value !== auth.companyId) throw accessDenied("The access token does not grant access to this company");
  return value;
}

/**
 * @param {object} o
 * @param {object} o.store the export store (seed.mjs: openExportStore)
 * @param {object} o.receipts createReceiptSigner()
 * @param {string} o.apiBaseUrl
 * @param {object} [o.stats] counters (runtime/stats.mjs): receiptDownloads, receiptBytesSent
 * @param {() => object} [o.getFaults] receiptFailureRate, receiptStallRate (runtime/faults.mjs)
 * @returns {{routes: Array, publicRoutes: Array}}
 */
export function exportRoutes({ store, receipts, apiBaseUrl, getFaults = () => ({}), stats = null }) {
  // The data layer object as Pleo sends it (ExportItemV3): receipts as
  // time-limited URLs, _links to the entry in Pleo's web and mobile apps and API.
  function renderEntry(entry, jobId) {
    const { receipts: files, ...rest } = entry;
    const plan = jobReceiptPlan(store, jobId);
    return {
      ...rest,
      files: plan
        ? plannedFiles(plan).map((f, i) => ({
            url: receipts.url(entry.accountingEntryId, i, jobId),
            type: f.type,
            size: f.size,
          }))
        : files.map((f, i) => ({
            url: receipts.url(entry.accountingEntryId, i),
            type: f.type,
            size: receiptBytes(entry, i).length,
          })),
      _links: {
        web: { href: `https://app.pleo.io/export/${entry.accountingEntryId}` },
        mobile: { href: `pleo://export/${entry.accountingEntryId}` },
        api: { href: `${apiBaseUrl}/v3/export-items?job_id=${jobId}` },
      },
    };
  }

  const routes = [
    [
      "GET",
      /^\/v3\/export-jobs$/,
      ({ auth, query }) => {
        requireScope(auth, "export-jobs:read");
        const companyId = companyOf(auth, query.get("company_id") ?? query.get("companyId"));
        return paginate(listJobs(store, companyId, listParam(query, "statuses", JOB_STATUSES)), query);
      },
    ],
    [
      "POST",
      /^\/v3\/export-jobs$/,
      async ({ auth, req }) => {
        requireScope(auth, "export-jobs:write");
        const body = await readJson(req);
        const companyId = companyOf(auth, body.companyId);
        // Pleo refuses a job for a company without contra accounts (400, documented).
        if (missingContraAccounts(store, companyId)) {
          throw new ApiError(
            400,
            "MISSING_CONTRA_ACCOUNTS",
            "Contra accounts are not fully configured. Please map contra accounts in the Accounting settings.",
          );
        }
        const job = createJob(store, companyId, {
          accountingEntryIds: body.accountingEntryIds,
          isInteractive: body.isInteractive,
          createdBy: typeof body.employeeId === "string" ? body.employeeId : auth.entry.employees[0].id,
          vendorBasedBookkeeping: body.options?.vendorBasedBookkeeping,
        });
        return [201, { data: job }];
      },
    ],
    [
      "GET",
      /^\/v3\/export-jobs\/([\w-]{1,64})$/,
      ({ auth, match }) => {
        requireScope(auth, "export-jobs:read");
        return { data: getJob(store, auth.companyId, match[1]) };
      },
    ],
    [
      "POST",
      /^\/v3\/export-job-events$/,
      async ({ auth, req }) => {
        requireScope(auth, "export-jobs:write");
        applyEvent(store, auth.companyId, await readJson(req));
        return [202, undefined];
      },
    ],
    [
      "GET",
      /^\/v3\/export-jobs\/([\w-]{1,64})\/items$/,
      ({ auth, query, match }) => {
        requireScope(auth, "export-jobs:read");
        return paginate(jobItems(store, auth.companyId, match[1], listParam(query, "status", ITEM_STATUSES)), query);
      },
    ],
    [
      "PUT",
      /^\/v3\/export-jobs\/([\w-]{1,64})\/items$/,
      async ({ auth, match, req }) => {
        requireScope(auth, "export-jobs:write");
        return updateItems(store, auth.companyId, match[1], await readJson(req, { arrays: true }));
      },
    ],
    [
      "GET",
      /^\/v3\/export-items$/,
      ({ auth, query }) => {
        requireScope(auth, "export-items:read");
        const jobId = query.get("job_id") ?? query.get("jobId");
        if (!jobId) throw new ApiError(400, "BAD_REQUEST", "job_id is required");
        const page = paginate(exportItems(store, auth.companyId, jobId), query);
        return { ...page, data: page.data.map((entry) => renderEntry(entry, jobId)) };
      },
    ],
  ];

  const publicRoutes = [
    // A job's generated receipts (admin "receipts"), streamed; faults make a share fail or stall.
    [
      "GET",
      /^\/receipts\/([\w-]{1,64})\/([\w-]{36})\/(\d{1,2})\.pdf$/,
      (match, query, res, path) => {
        const plan = jobReceiptPlan(store, match[1]);
        const entry = entryById(store, match[2]);
        const index = Number(match[3]) - 1;
        const error = (status, type, message) => {
          res.writeHead(status, { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store" });
          res.end(JSON.stringify({ type, message }));
        };
        if (!receipts.valid(path, query)) return error(403, "Access_Denied", "The receipt link is invalid or has expired");
        if (!plan || !entry || index < 0 || index >= plan.count) return error(404, "NOT_FOUND", "No such receipt");
        const faults = getFaults();
        if (Math.random() < (faults.receiptFailureRate ?? 0))
          return error(503, "SERVICE_UNAVAILABLE", "stand-in: injected receipt failure");
        const stall = Math.random() < (faults.receiptStallRate ?? 0);
        res.writeHead(200, {
          "content-type": "application/pdf",
          "content-length": String(plan.size),
          "cache-control": "private, max-age=3600",
        });
        const body = receiptStream(entry.accountingEntryId, index, plan.size, stall ? Math.floor(plan.size / 2) : plan.size);
        if (stats) {
          stats.receiptDownloads += 1;
          body.on("data", (chunk) => {
            stats.receiptBytesSent += chunk.length;
          });
        }
        if (!stall) return body.pipe(res);
        // Half the bytes, then silence: the connection is dropped after a minute.
        body.pipe(res, { end: false });
        setTimeout(() => res.destroy(), 60_000).unref();
        return undefined;
      },
    ],
    [
      "GET",
      /^\/receipts\/([\w-]{36})\/(\d{1,2})\.pdf$/,
      (match, query, res, path) => {
        const entry = entryById(store, match[1]);
        const index = Number(match[2]) - 1;
        const error = (status, type, message) => {
          res.writeHead(status, { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store" });
          res.end(JSON.stringify({ type, message }));
        };
        if (!receipts.valid(path, query)) return error(403, "Access_Denied", "The receipt link is invalid or has expired");
        if (!entry || index < 0 || index >= entry.receipts.length) return error(404, "NOT_FOUND", "No such receipt");
        const bytes = receiptBytes(entry, index);
        res.writeHead(200, {
          "content-type": entry.receipts[index].type,
          "content-length": String(bytes.length),
          "cache-control": "private, max-age=3600",
        });
        return res.end(bytes);
      },
    ],
  ];

  return { routes, publicRoutes };
}
