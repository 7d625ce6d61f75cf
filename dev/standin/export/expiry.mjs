// docs/PLEO-API.md "The workflow": a job expires one hour (the store's
// ttlMs) after its last update and becomes failed with job_expired; its
// unfinished items are abandoned. Checked lazily before every read or write.

import { itemOp, jobOp, UNFINISHED } from "./records.mjs";

// Only a company's newest job can be unfinished (one unfinished job per company).
function newestJob(store, state) {
  const last = state.jobIds[state.jobIds.length - 1];
  return last && store.jobs.get(last);
}

function expireJob(store, job, ttl) {
  const ops = [];
  const expiredAt = job.lastUpdatedAt + ttl;
  Object.assign(job, {
    status: "failed",
    completedAt: expiredAt,
    lastUpdatedAt: expiredAt,
    failureReason: `The export job expired: no update for ${Math.round(ttl / 1000)} seconds`,
    failureReasonType: "job_expired",
  });
  ops.push(jobOp(job));
  for (const item of store.items.get(job.id).values()) {
    if (UNFINISHED.has(item.status)) {
      item.status = "abandoned";
      ops.push(itemOp(item));
    }
  }
  store.stats.exportJobsExpired += 1;
  store.journal.commit(ops);
}

/** Expires every job whose lifetime has run out. */
export function sweep(store) {
  const t = store.now();
  const ttl = store.ttlMs();
  for (const state of store.companies.values()) {
    const job = newestJob(store, state);
    if (!job || !UNFINISHED.has(job.status) || t < job.lastUpdatedAt + ttl) continue;
    expireJob(store, job, ttl);
  }
}
