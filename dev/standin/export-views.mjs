// How export records are shown: the job and item objects of
// ../shared/pleo-export-facts.md (ISO dates, expiresIn) and the admin views.

import { UNFINISHED } from './export-records.mjs';

const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The job object of the facts file; expiresIn counts from lastUpdatedAt. */
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
    expiresIn: unfinished ? Math.max(0, Math.ceil((job.lastUpdatedAt + ttlMs - now) / 1000)) : null,
    numberOfItems: job.entryIds.length,
    isInteractive: job.isInteractive,
    createdBy: job.createdBy,
    vendorBasedBookkeeping: job.vendorBasedBookkeeping,
    failureReason: job.failureReason,
    failureReasonType: job.failureReasonType,
  };
}

/** A job item (the control layer) of the facts file. */
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
