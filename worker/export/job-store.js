// What a company's connection object remembers about its export jobs, in
// its Durable Object storage (keys prefixed "export:", README "Extending"):
//   export:run                 the run in progress: { jobId, state, trigger, startedAt }
//                              (`state` is the core's ExportRunState, persisted after every step)
//   export:lookup              a look-up for pending jobs was asked for (webhook, poll)
//   export:lastLookup          when the last look-up happened (ms)
//   export:jobs                job ids, newest first (at most EXPORT_JOBS_KEPT)
//   export:job:<jobId>         { id, status, numberOfItems, exported, failed, createdAt,
//                                startedAt, completedAt, error }
//   export:item:<jobId>:<id>   one accounting entry: summary (date, supplier, amounts in
//                              minor units) and the ledger's result
// Everything goes when the company disconnects (the object wipes its storage).

/** A job id as the routes and methods accept it. */
export const JOB_ID = /^[A-Za-z0-9_-]{1,100}$/;
export const RUN_KEY = "export:run";
export const LOOKUP_KEY = "export:lookup";
export const LAST_LOOKUP_KEY = "export:lastLookup";
export const JOBS_KEY = "export:jobs";
/** How many runs gave up (the operator console's `export.gaveUp`). */
export const GAVE_UP_KEY = "export:gaveUp";
export const jobKey = (jobId) => `export:job:${jobId}`;
export const itemPrefix = (jobId) => `export:item:${jobId}:`;
export const itemKey = (jobId, accountingEntryId) => `${itemPrefix(jobId)}${accountingEntryId}`;

// Durable Object storage takes at most 128 keys per get/put/delete call.
const KEYS_PER_CALL = 128;

/** A new job summary from Pleo's job object (or an earlier summary). */
export function jobSummary(job, previous = null) {
  return {
    id: job.id,
    status: job.status,
    numberOfItems: typeof job.numberOfItems === "number" ? job.numberOfItems : (previous?.numberOfItems ?? null),
    exported: previous?.exported ?? 0,
    failed: previous?.failed ?? 0,
    createdAt: job.createdAt ?? previous?.createdAt ?? null,
    startedAt: previous?.startedAt ?? null,
    completedAt: previous?.completedAt ?? null,
    error: previous?.error ?? null,
  };
}

/** Adds a job to the index (newest first) and forgets the oldest ones beyond `kept`. */
export async function rememberJob(storage, jobId, kept) {
  const ids = (await storage.get(JOBS_KEY)) ?? [];
  if (ids.includes(jobId)) return;
  const next = [jobId, ...ids];
  const dropped = next.splice(kept);
  await storage.put(JOBS_KEY, next);
  for (const old of dropped) await forgetJob(storage, old);
}

async function forgetJob(storage, jobId) {
  await storage.delete(jobKey(jobId));
  for (;;) {
    const keys = [...(await storage.list({ prefix: itemPrefix(jobId), limit: KEYS_PER_CALL })).keys()];
    if (keys.length === 0) return;
    await storage.delete(keys);
  }
}

export async function listJobs(storage) {
  const ids = (await storage.get(JOBS_KEY)) ?? [];
  const jobs = [];
  for (let i = 0; i < ids.length; i += KEYS_PER_CALL) {
    const found = await storage.get(ids.slice(i, i + KEYS_PER_CALL).map(jobKey));
    for (const id of ids.slice(i, i + KEYS_PER_CALL)) {
      const job = found.get(jobKey(id));
      if (job) jobs.push(job);
    }
  }
  return jobs;
}

/** Every item record of a job, ordered by entry date then id. */
export async function listItems(storage, jobId) {
  const items = [...(await storage.list({ prefix: itemPrefix(jobId) })).values()];
  items.sort((a, b) => (a.date ?? "").localeCompare(b.date ?? "") || a.accountingEntryId.localeCompare(b.accountingEntryId));
  return items;
}

/** Gets many keys, 128 at a time. */
export async function getMany(storage, keys) {
  const out = new Map();
  for (let i = 0; i < keys.length; i += KEYS_PER_CALL) {
    for (const [k, v] of await storage.get(keys.slice(i, i + KEYS_PER_CALL))) out.set(k, v);
  }
  return out;
}

/** The export feature's fields of the operator console's row (store/directory-summary.js). */
export async function exportSummary(storage) {
  const stored = await storage.get([GAVE_UP_KEY, RUN_KEY, JOBS_KEY]);
  const lastJobId = stored.get(JOBS_KEY)?.[0] ?? null;
  const lastJob = lastJobId ? await storage.get(jobKey(lastJobId)) : null;
  return {
    export: {
      lastJobId,
      lastStatus: lastJob?.status ?? null,
      running: Boolean(stored.get(RUN_KEY)),
      failedItems: typeof lastJob?.failed === "number" ? lastJob.failed : 0,
      gaveUp: stored.get(GAVE_UP_KEY) ?? 0,
    },
  };
}
