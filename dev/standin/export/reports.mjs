// The partner's item reports (PUT /v3/export-jobs/{jobId}/items, docs/PLEO-API.md):
// at most MAX_ITEMS_PER_UPDATE per request, only while the job is unfinished;
// each item is accepted or answered with an error of its own, typed as
// Pleo's ExportJobItemUpdateErrorType (ACCOUNTING_ENTRY_DOES_NOT_EXIST,
// EXPORT_ENTRY_STATUS_UPDATE_FAILED, ACCOUNTING_ENTRY_UPDATE_FAILED), and any
// accepted report keeps the job alive (its lastUpdatedAt moves).

import { findJob } from "./queries.mjs";
import {
  DEFAULT_ITEM_FAILURE_TYPE,
  ExportError,
  isText,
  itemOp,
  jobOp,
  MAX_ITEMS_PER_UPDATE,
  optionalText,
  REPORTABLE,
  UNFINISHED,
} from "./records.mjs";
import { itemView } from "./views.mjs";

// What is wrong with one report, or null.
function checkReport(u) {
  if (!REPORTABLE.has(u.status)) return `status must be one of ${[...REPORTABLE].join(", ")}`;
  if (!optionalText(u.externalId, 500) || !optionalText(u.externalUrl, 2000)) return "externalId and externalUrl must be strings";
  if (!optionalText(u.failureReason) || !optionalText(u.failureReasonType, 100))
    return "failureReason and failureReasonType must be strings";
  if (u.exportedAt !== undefined && u.exportedAt !== null && !(isText(u.exportedAt, 64) && Number.isFinite(Date.parse(u.exportedAt)))) {
    return "exportedAt must be an ISO 8601 date-time";
  }
  return null;
}

// The list of reports in a body (an array, or {items} / {data}), within the limit.
function reportList(body) {
  const list = Array.isArray(body) ? body : (body?.items ?? body?.data);
  if (!Array.isArray(list)) throw new ExportError(400, "BAD_REQUEST", 'the body must be an array of items (or {"items": [...]})');
  if (list.length > MAX_ITEMS_PER_UPDATE) {
    throw new ExportError(413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT", `At most ${MAX_ITEMS_PER_UPDATE} items per update; got ${list.length}`);
  }
  return list;
}

// One report against the job's items: the updated item, or the item's error.
function applyReport(job, jobItemsMap, u, t) {
  const entryId = u !== null && typeof u === "object" && typeof u.accountingEntryId === "string" ? u.accountingEntryId : null;
  const item = entryId !== null ? jobItemsMap.get(entryId) : undefined;
  if (!item) {
    return {
      error:
        entryId === null
          ? { accountingEntryId: null, message: "accountingEntryId is required", type: "ACCOUNTING_ENTRY_UPDATE_FAILED" }
          : {
              accountingEntryId: entryId,
              message: `Accounting entry ${entryId.slice(0, 64)} does not exist in export job ${job.id}`,
              type: "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
            },
    };
  }
  const problem = checkReport(u);
  if (problem) return { error: { accountingEntryId: entryId, message: problem, type: "EXPORT_ENTRY_STATUS_UPDATE_FAILED" } };
  const failed = u.status === "failed";
  Object.assign(item, {
    status: u.status,
    exportedAt: u.status === "successful" ? (u.exportedAt ? Date.parse(u.exportedAt) : t) : null,
    externalId: u.externalId ?? null,
    externalUrl: u.externalUrl ?? null,
    failureReason: failed ? (u.failureReason ?? null) : null,
    failureReasonType: failed ? (u.failureReasonType ?? DEFAULT_ITEM_FAILURE_TYPE) : null,
    reports: item.reports + 1,
  });
  return { item };
}

/** Applies a batch of item reports; returns {data: updated items, errors: per-item errors}. */
export function updateItems(store, companyId, jobId, body) {
  const job = findJob(store, companyId, jobId);
  const list = reportList(body);
  if (!UNFINISHED.has(job.status)) {
    throw new ExportError(422, "EXPORT_JOB_STATUS_UNPROCESSABLE", `The export job is ${job.status}; its items can no longer be updated`);
  }
  const t = store.now();
  const data = [];
  const errors = [];
  const ops = [];
  const jobItemsMap = store.items.get(job.id);
  for (const u of list) {
    const { item, error } = applyReport(job, jobItemsMap, u, t);
    if (error) {
      errors.push(error);
      continue;
    }
    ops.push(itemOp(item));
    data.push(itemView(item));
  }
  if (ops.length) {
    job.lastUpdatedAt = t; // a report keeps the job alive
    ops.push(jobOp(job));
    store.journal.commit(ops);
  }
  store.stats.itemUpdateRequests += 1;
  store.stats.itemsReported += data.length;
  store.stats.itemUpdateErrors += errors.length;
  return { data, errors };
}
