// The records of Pleo's export workflow (docs/PLEO-API.md):
// job and item statuses, the allowed job transitions, the limits, the error
// type, fresh job and item records and their journal operations. No state.

import { randomUUID } from "node:crypto";

export const JOB_STATUSES = Object.freeze(["pending", "in_progress", "failed", "completed", "completed_with_errors"]);
export const ITEM_STATUSES = Object.freeze(["pending", "in_progress", "failed", "successful", "abandoned"]);
export const UNFINISHED = new Set(["pending", "in_progress"]);
// Statuses a partner may report for an item (ExportJobItemStatus: all of them).
export const REPORTABLE = new Set(["pending", "in_progress", "failed", "successful", "abandoned"]);
export const MAX_ITEMS_PER_UPDATE = 100;
export const MAX_ENTRIES_PER_JOB = 5000;
// failureReasonType has two enums in Pleo's documents: one for a job
// (ExportJobFailureReasonType, on POST /v3/export-job-events) and one for an
// item (ExportJobItemFailureReasonType, on PUT …/items).
export const JOB_FAILURE_TYPES = Object.freeze([
  "invalid_configuration",
  "missing_configuration",
  "authentication_failure",
  "accounting_system_authentication_failure",
  "pleo_rate_limit",
  "accounting_system_rate_limit",
  "service_unreachable",
  "accounting_system_unreachable",
  "validation_failure",
  "authorization_failure",
  "integration_unusable",
  "job_expired",
  "service_timeout",
  "accounting_system_timeout",
  "canceled_by_user",
]);
export const DEFAULT_JOB_FAILURE_TYPE = "validation_failure";
export const DEFAULT_ITEM_FAILURE_TYPE = "accounting_system_validation_failure";

// event → the statuses it may leave and the status it sets.
export const TRANSITIONS = {
  started: { from: ["pending"], to: "in_progress" },
  completed: { from: ["in_progress"], to: "completed" },
  completed_with_errors: { from: ["in_progress"], to: "completed_with_errors" },
  failed: { from: ["pending", "in_progress"], to: "failed" },
};

export class ExportError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export const notFound = (id) => new ExportError(404, "EXPORT_NOT_FOUND", `Export job ${id} not found`);
export const isText = (v, max = 2000) => typeof v === "string" && v.length <= max;
export const optionalText = (v, max) => v === undefined || v === null || isText(v, max);

// Journal operations (runtime/journal.mjs) for a job record and an item record.
export const jobOp = (job) => ["job", job.id, job];
export const itemOp = (item) => ["item", `${item.exportJobId}/${item.accountingEntryId}`, item];

export function newItem(job, entryId, index) {
  return {
    accountingEntryId: entryId,
    exportJobId: job.id,
    index,
    status: "pending",
    exportedAt: null,
    externalId: null,
    externalUrl: null,
    failureReason: null,
    failureReasonType: null,
    reports: 0,
  };
}

export function newJob(seq, companyId, fields, now) {
  const t = fields.createdAt ?? now;
  return {
    seq,
    id: randomUUID(),
    companyId,
    status: "pending",
    createdAt: t,
    lastUpdatedAt: t,
    startedAt: null,
    completedAt: null,
    isInteractive: Boolean(fields.isInteractive),
    createdBy: fields.createdBy ?? null,
    vendorBasedBookkeeping: Boolean(fields.vendorBasedBookkeeping),
    failureReason: null,
    failureReasonType: null,
    entryIds: fields.entryIds,
    receipts: fields.receipts ?? null, // admin "receipts": {count, size} (receipt-files.mjs)
  };
}
