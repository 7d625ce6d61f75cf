// How export records are shown: the job and item objects of Pleo's documents
// (ExportJobV3, ExportJobItemV3; docs/PLEO-API.md) and the admin views.

import { UNFINISHED } from "./records.mjs";

const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * ExportJobV3. expiresIn counts from lastUpdatedAt and is always an integer
 * (0 once the job is finished); expiredAt is set on a job that expired.
 */
export function jobView(job, ttlMs, now) {
  const unfinished = UNFINISHED.has(job.status);
  return {
    id: job.id,
    companyId: job.companyId,
    status: job.status,
    createdAt: iso(job.createdAt),
    lastUpdatedAt: iso(job.lastUpdatedAt),
    startedAt: iso(job.startedAt),
    completedAt: iso(job.completedAt),
    expiresIn: unfinished ? Math.max(0, Math.ceil((job.lastUpdatedAt + ttlMs - now) / 1000)) : 0,
    expiredAt: job.failureReasonType === "job_expired" ? iso(job.completedAt) : null,
    numberOfItems: job.entryIds.length,
    isInteractive: job.isInteractive,
    createdBy: job.createdBy,
    vendorBasedBookkeeping: job.vendorBasedBookkeeping,
    failureReason: job.failureReason,
    failureReasonType: job.failureReasonType,
  };
}

/** ExportJobItemV3 (the control layer). */
export function itemView(item) {
  return {
    accountingEntryId: item.accountingEntryId,
    exportJobId: item.exportJobId,
    status: item.status,
    exportedAt: iso(item.exportedAt),
    externalId: item.externalId,
    externalUrl: item.externalUrl,
    failureReason: item.failureReason,
    failureReasonType: item.failureReasonType,
  };
}

/** An item as the admin page shows it: with how often the partner reported it. */
export function adminItemView(item) {
  return {
    accountingEntryId: item.accountingEntryId,
    status: item.status,
    externalId: item.externalId,
    failureReason: item.failureReason,
    reports: item.reports,
  };
}

/** A job as the store's clock and lifetime see it now. */
export const storeJobView = (store, job) => jobView(job, store.ttlMs(), store.now());
