// The export store as a stand-in starts with it: loaded from the journal,
// then a finished export history per company, so lists are not empty on a
// fresh start: a completed job, one completed with errors, one expired.

import { itemOp, jobOp, newItem, newJob } from "./records.mjs";
import { addJob, companyOps, createExportStore, entryById, entryIdAt, growEntries, loadExports } from "./store.mjs";

const SEED_POOL = 48; // unexported entries per company at first start
const SEED_HISTORY = [
  // finished jobs every company starts with
  { entries: 6, status: "completed", daysAgo: 30 },
  { entries: 5, status: "completed_with_errors", daysAgo: 18 },
  { entries: 3, status: "failed", daysAgo: 6, expired: true },
];
const DAY_MS = 86_400_000;

// What a finished seeded job's items look like: all booked, or (with errors)
// the entries without a supplier failed the way a vendor-based ledger fails them.
function finishSeededJob(job, jobItems, plan, entryOf) {
  if (plan.expired) {
    job.status = "failed";
    job.completedAt = job.startedAt + 3_600_000;
    job.failureReason = "The export job expired: no update for 3600 seconds";
    job.failureReasonType = "job_expired";
    for (const item of jobItems) item.status = "abandoned";
  } else {
    job.status = plan.status;
    job.completedAt = job.startedAt + 90_000;
    jobItems.forEach((item, i) => {
      if (plan.status === "completed_with_errors" && !entryOf(item.accountingEntryId).supplier) {
        Object.assign(item, {
          status: "failed",
          failureReason: "No supplier on the entry",
          failureReasonType: "vendor_unknown",
          reports: 1,
        });
      } else {
        Object.assign(item, {
          status: "successful",
          exportedAt: job.startedAt + 10_000 * (i + 1),
          externalId: `LEDGER-${job.companyId.slice(0, 4)}-${job.seq}-${i + 1}`,
          reports: 1,
        });
      }
    });
  }
  job.lastUpdatedAt = job.completedAt;
}

// One company's history; returns the journal operations for it.
function seedCompany(store, companyId) {
  const ops = [];
  const { employees } = store.dataset.byId.get(companyId);
  let k = 0;
  growEntries(store, companyId, SEED_HISTORY.reduce((n, h) => n + h.entries, 0) + SEED_POOL);
  for (const plan of SEED_HISTORY) {
    const entryIds = [];
    for (let i = 0; i < plan.entries; i += 1, k += 1) entryIds.push(entryIdAt(store, companyId, k));
    const createdAt = store.now() - plan.daysAgo * DAY_MS;
    store.seq += 1;
    const job = newJob(
      store.seq,
      companyId,
      {
        createdAt,
        entryIds,
        createdBy: employees[1].id,
        isInteractive: true,
      },
      store.now(),
    );
    job.startedAt = createdAt + 20_000;
    const jobItems = entryIds.map((id, index) => newItem(job, id, index));
    finishSeededJob(job, jobItems, plan, (id) => entryById(store, id));
    addJob(store, job, jobItems);
    ops.push(jobOp(job), ...jobItems.map(itemOp));
  }
  ops.push(companyOps(store, companyId));
  return ops;
}

/** Seeds every company once (the journal remembers that it did). */
export function seedExports(store) {
  if (store.journal.get("meta", "exportsSeeded")) return;
  const ops = [];
  for (const companyId of store.companies.keys()) ops.push(...seedCompany(store, companyId));
  ops.push(["meta", "exportsSeeded", true]);
  store.journal.commit(ops);
}

/**
 * The export store, loaded from the journal and seeded: what every other
 * function of this room takes as its first argument.
 * @param {object} o
 * @param {object} o.journal persistence (runtime/journal.mjs)
 * @param {object} o.dataset api/data.mjs's companies
 * @param {object} o.stats counters
 * @param {() => number} o.ttlMs a job's lifetime after its last update
 * @param {(job: object) => void} o.onJobCreated called with the job object
 * @param {() => number} [o.now]
 */
export function openExportStore({ journal, dataset, stats, ttlMs, onJobCreated = () => {}, now = Date.now }) {
  const store = createExportStore({
    journal,
    dataset,
    stats,
    ttlMs,
    onJobCreated,
    now,
  });
  loadExports(store);
  seedExports(store);
  return store;
}
