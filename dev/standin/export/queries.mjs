// Reading the export workflow. Every read expires first (expiry.mjs).
// Lists come back as api/pagination.mjs rows, [{key, value}] in ascending key
// order: jobs keyed by their sequence number, items and entries by their
// position in the job, so cursors stay put while statuses change.

import { sweep } from "./expiry.mjs";
import { notFound, UNFINISHED, ExportError } from "./records.mjs";
import { companyState, entryById } from "./store.mjs";
import { adminItemView, itemView, storeJobView } from "./views.mjs";

/** A job of the company (any company when companyId is null), after expiry; EXPORT_NOT_FOUND otherwise. */
export function findJob(store, companyId, jobId) {
  sweep(store);
  const job = typeof jobId === "string" ? store.jobs.get(jobId) : undefined;
  // Another company's job is as invisible as one that does not exist.
  if (!job || (companyId !== null && job.companyId !== companyId)) throw notFound(jobId);
  return job;
}

export function listJobs(store, companyId, statuses = null) {
  sweep(store);
  return companyState(store, companyId)
    .jobIds.map((id) => store.jobs.get(id))
    .filter((job) => !statuses || statuses.includes(job.status))
    .map((job) => ({ key: job.seq, value: storeJobView(store, job) }));
}

export function getJob(store, companyId, jobId) {
  return storeJobView(store, findJob(store, companyId, jobId));
}

export function jobItems(store, companyId, jobId, status = null) {
  const job = findJob(store, companyId, jobId);
  return [...store.items.get(job.id).values()]
    .filter((item) => !status || status.includes(item.status))
    .map((item) => ({ key: item.index, value: itemView(item) }));
}

/** The job's accounting entries (the data layer), only while the job is unfinished. */
export function exportItems(store, companyId, jobId) {
  const job = findJob(store, companyId, jobId);
  if (!UNFINISHED.has(job.status)) {
    throw new ExportError(
      422,
      "EXPORT_JOB_STATUS_UNPROCESSABLE",
      `Export items are only available while the job is pending or in_progress; it is ${job.status}`,
    );
  }
  if (companyState(store, job.companyId).missingContraAccounts) {
    throw new ExportError(400, "MISSING_CONTRA_ACCOUNTS", "The company has not configured its contra accounts");
  }
  return job.entryIds.map((id, index) => ({ key: index, value: entryById(store, id) }));
}

/** Admin view of a job: the job and, per item, how often the partner reported it. */
export function adminJob(store, jobId) {
  sweep(store);
  const job = store.jobs.get(jobId);
  if (!job) return undefined;
  return {
    job: storeJobView(store, job),
    items: [...store.items.get(job.id).values()].map(adminItemView),
  };
}

/** Every job (of one company when companyId is given), oldest first. */
export function adminJobs(store, companyId) {
  sweep(store);
  return [...store.jobs.values()]
    .filter((job) => !companyId || job.companyId === companyId)
    .sort((a, b) => a.seq - b.seq)
    .map((job) => storeJobView(store, job));
}

/** Whether the company is configured without contra accounts (admin: PUT /companies/<subject>). */
export const missingContraAccounts = (store, companyId) => Boolean(companyState(store, companyId)?.missingContraAccounts);

/** The job's generated-receipts plan {count, size}, or null (receipt-files.mjs). */
export const jobReceiptPlan = (store, jobId) => store.jobs.get(jobId)?.receipts ?? null;

/** A company id from an id or a `urn:pleo:company:` reference, when the company exists. */
export function companyIdOf(store, ref) {
  if (typeof ref !== "string") return undefined;
  const id = ref.startsWith("urn:pleo:company:") ? ref.slice("urn:pleo:company:".length) : ref;
  return store.companies.has(id) ? id : undefined;
}
