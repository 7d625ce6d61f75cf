// Pleo's export workflow as state: export jobs, their items, the company's
// accounting entries, and the rules of docs/PLEO-API.md —
// status transitions, one unfinished job per company, expiry one hour after
// the last update, item reports of at most 100. No HTTP here: export-routes.mjs
// maps requests onto these functions and ExportError onto Pleo's error bodies.
//
// One module per concern, each function taking the store explicitly:
//   export-records.mjs   statuses, transitions, limits, records, journal ops
//   export-store.mjs     the state, entries, loading from the journal
//   export-seed.mjs      the finished history every company starts with
//   export-expiry.mjs    jobs expiring after their last update
//   export-lifecycle.mjs job creation and the partner's events
//   export-reports.mjs   the partner's item reports
//   export-queries.mjs   reads, as pagination.mjs rows
//   export-views.mjs     the job and item objects clients see

import { sweep } from './expiry.mjs';
import { applyEvent, createJob } from './lifecycle.mjs';
import {
  adminJob, adminJobs, companyIdOf, exportItems, getJob, jobItems, listJobs,
} from './queries.mjs';
import { updateItems } from './reports.mjs';
import { seedExports } from './seed.mjs';
import {
  companyOps, companyState, createExportStore, entryById, loadExports,
} from './store.mjs';

export {
  ExportError, ITEM_STATUSES, JOB_STATUSES, MAX_ITEMS_PER_UPDATE,
} from './records.mjs';

// Sets a company's export settings (the admin's switch for MISSING_CONTRA_ACCOUNTS).
function configureCompany(store, companyId, { missingContraAccounts }) {
  const state = companyState(store, companyId);
  if (missingContraAccounts !== undefined) state.missingContraAccounts = Boolean(missingContraAccounts);
  store.journal.commit([companyOps(store, companyId)]);
  return { companyId, missingContraAccounts: state.missingContraAccounts };
}

/**
 * @param {object} o
 * @param {object} o.journal persistence (journal.mjs)
 * @param {object} o.dataset data.mjs's companies
 * @param {object} o.stats counters
 * @param {() => number} o.ttlMs a job's lifetime after its last update
 * @param {(job: object) => void} o.onJobCreated called with the job object
 * @param {() => number} [o.now]
 */
export function createExports({
  journal, dataset, stats, ttlMs, onJobCreated = () => {}, now = Date.now,
}) {
  const store = createExportStore({
    journal, dataset, stats, ttlMs, onJobCreated, now,
  });
  loadExports(store);
  seedExports(store);
  return {
    createJob: (companyId, options) => createJob(store, companyId, options),
    listJobs: (companyId, statuses) => listJobs(store, companyId, statuses),
    getJob: (companyId, jobId) => getJob(store, companyId, jobId),
    applyEvent: (companyId, body) => applyEvent(store, companyId, body),
    jobItems: (companyId, jobId, status) => jobItems(store, companyId, jobId, status),
    exportItems: (companyId, jobId) => exportItems(store, companyId, jobId),
    updateItems: (companyId, jobId, body) => updateItems(store, companyId, jobId, body),
    entry: (entryId) => entryById(store, entryId),
    /** The job's generated-receipts plan {count, size}, or null (receipt-files.mjs). */
    receiptPlan: (jobId) => store.jobs.get(jobId)?.receipts ?? null,
    companyIdOf: (ref) => companyIdOf(store, ref),
    adminJob: (jobId) => adminJob(store, jobId),
    adminJobs: (companyId) => adminJobs(store, companyId),
    configureCompany: (companyId, config) => configureCompany(store, companyId, config),
    /** Whether the company is configured without contra accounts (admin: PUT /companies/<subject>). */
    missingContraAccounts: (companyId) => Boolean(companyState(store, companyId)?.missingContraAccounts),
    sweep: () => sweep(store),
  };
}
