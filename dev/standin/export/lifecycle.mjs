// An export job's life (docs/PLEO-API.md): creation (one
// unfinished job per company, its entries chosen), then the partner's events
// started → completed / completed_with_errors, or failed, per TRANSITIONS.

import { sweep } from "./expiry.mjs";
import { findJob } from "./queries.mjs";
import {
  DEFAULT_JOB_FAILURE_TYPE,
  ExportError,
  itemOp,
  jobOp,
  JOB_FAILURE_TYPES,
  MAX_ENTRIES_PER_JOB,
  newItem,
  newJob,
  optionalText,
  TRANSITIONS,
} from "./records.mjs";
import { addJob, companyOps, companyState, entryIdAt, growEntries, unfinishedJob } from "./store.mjs";
import { storeJobView } from "./views.mjs";

// The entries a partner named: known ids of this company, each once.
function listedEntries(store, companyId, accountingEntryIds) {
  if (!Array.isArray(accountingEntryIds) || !accountingEntryIds.length || accountingEntryIds.length > MAX_ENTRIES_PER_JOB) {
    throw new ExportError(400, "BAD_REQUEST", `accountingEntryIds must be an array of 1..${MAX_ENTRIES_PER_JOB} ids`);
  }
  const entryIds = [...new Set(accountingEntryIds)];
  const unknown = entryIds.find((id) => typeof id !== "string" || store.entryNumber.get(id)?.companyId !== companyId);
  if (unknown !== undefined) {
    throw new ExportError(400, "ACCOUNTING_ENTRY_DOES_NOT_EXIST", `Accounting entry ${String(unknown).slice(0, 64)} does not exist`);
  }
  return entryIds;
}

// `count` of the company's entries in no job yet, oldest first, made as
// needed; no count: every such entry (at least 10, made as needed).
function unexportedEntries(store, companyId, count) {
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > MAX_ENTRIES_PER_JOB)) {
    throw new ExportError(400, "BAD_REQUEST", `entries must be an integer 1..${MAX_ENTRIES_PER_JOB}`);
  }
  const state = companyState(store, companyId);
  const entryIds = [];
  for (let k = 0; k < state.entryCount && (count === undefined || entryIds.length < count); k += 1) {
    const id = entryIdAt(store, companyId, k);
    if (!store.inJob.has(id)) entryIds.push(id);
  }
  const wanted = count ?? Math.max(entryIds.length, 10);
  while (entryIds.length < wanted) {
    growEntries(store, companyId, state.entryCount + 1);
    entryIds.push(entryIdAt(store, companyId, state.entryCount - 1));
  }
  return entryIds;
}

/**
 * Creates a pending job. `accountingEntryIds` (entries of the company) or
 * `count` (that many of the company's unexported entries, made as needed);
 * neither: every unexported entry.
 */
export function createJob(
  store,
  companyId,
  { accountingEntryIds, count, isInteractive, createdBy, vendorBasedBookkeeping, receipts } = {},
) {
  if (!store.companies.has(companyId)) throw new ExportError(404, "COMPANY_NOT_FOUND", "Unknown company");
  sweep(store);
  const running = unfinishedJob(store, companyId);
  if (running) {
    throw new ExportError(409, "EXPORT_ALREADY_IN_PROGRESS", `The company already has an unfinished export job (${running.id})`);
  }
  const state = companyState(store, companyId);
  const before = state.entryCount;
  const entryIds =
    accountingEntryIds !== undefined ? listedEntries(store, companyId, accountingEntryIds) : unexportedEntries(store, companyId, count);
  store.seq += 1;
  const job = newJob(
    store.seq,
    companyId,
    {
      entryIds,
      isInteractive,
      createdBy,
      vendorBasedBookkeeping,
      receipts,
    },
    store.now(),
  );
  const jobItems = entryIds.map((id, index) => newItem(job, id, index));
  addJob(store, job, jobItems);
  const ops = [jobOp(job), ...jobItems.map(itemOp)];
  if (state.entryCount !== before) ops.push(companyOps(store, companyId));
  store.journal.commit(ops);
  store.stats.exportJobsCreated += 1;
  const created = storeJobView(store, job);
  store.onJobCreated(created);
  return created;
}

// The transition an event body asks for, or BAD_REQUEST.
function requestedTransition(body) {
  const { event, jobId } = body;
  const transition = Object.hasOwn(TRANSITIONS, event) ? TRANSITIONS[event] : undefined;
  if (!transition) {
    throw new ExportError(400, "BAD_REQUEST", `event must be one of ${Object.keys(TRANSITIONS).join(", ")}`);
  }
  if (typeof jobId !== "string") throw new ExportError(400, "BAD_REQUEST", "jobId is required");
  if (!optionalText(body.failureReason) || !optionalText(body.failureReasonType, 100)) {
    throw new ExportError(400, "BAD_REQUEST", "failureReason and failureReasonType must be strings");
  }
  // The job enum, not the item one: Pleo refuses e.g. accounting_system_validation_failure here.
  if (body.failureReasonType !== undefined && body.failureReasonType !== null && !JOB_FAILURE_TYPES.includes(body.failureReasonType)) {
    throw new ExportError(400, "BAD_REQUEST", `failureReasonType must be one of ${JOB_FAILURE_TYPES.join(", ")}`);
  }
  return transition;
}

/** A partner's event on a job (companyId null: the admin, any company). */
export function applyEvent(store, companyId, body) {
  const transition = requestedTransition(body);
  const { event, jobId } = body;
  const job = findJob(store, companyId, jobId);
  if (!transition.from.includes(job.status)) {
    store.stats.exportEventsRejected += 1;
    throw new ExportError(
      422,
      "INVALID_EXPORT_JOB_STATUS_CHANGE",
      `Export job status cannot change from ${job.status} with the event ${event}`,
    );
  }
  const t = store.now();
  job.status = transition.to;
  job.lastUpdatedAt = t;
  if (event === "started") job.startedAt = t;
  else job.completedAt = t;
  if (event === "failed") {
    job.failureReason = body.failureReason ?? "The export failed";
    job.failureReasonType = body.failureReasonType ?? DEFAULT_JOB_FAILURE_TYPE;
  }
  store.journal.commit([jobOp(job)]);
  store.stats.exportEvents += 1;
  return storeJobView(store, job);
}
