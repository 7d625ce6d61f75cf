// The export workflow's state, passed explicitly to every function of the
// export room: companies, jobs, items, the generated accounting entries, and
// what it needs from outside (journal, dataset, stats, clock, job lifetime).
// Loading from the journal lives here; seeding in seed.mjs.

import { accountingEntry } from "./entries.mjs";
import { UNFINISHED } from "./records.mjs";

/**
 * @param {object} o see openExportStore (seed.mjs)
 * @returns {object} the store
 */
export function createExportStore({ journal, dataset, stats, ttlMs, onJobCreated, now }) {
  return {
    journal,
    dataset,
    stats,
    ttlMs,
    onJobCreated,
    now,
    companies: new Map(), // companyId -> { entryCount, missingContraAccounts, jobIds: [], ids: [entryId by k] }
    jobs: new Map(), // jobId -> job record
    items: new Map(), // jobId -> Map(entryId -> item record), in entry order
    entryNumber: new Map(), // entryId -> { companyId, k }
    entryCache: new Map(), // entryId -> entry
    inJob: new Set(), // entryIds that belong to some job
    seq: 0, // the last job's sequence number
  };
}

export const companyState = (store, companyId) => store.companies.get(companyId);

// The journal operation saving what a company record holds beyond its jobs.
export function companyOps(store, companyId) {
  const { entryCount, missingContraAccounts } = companyState(store, companyId);
  return ["company", companyId, { entryCount, missingContraAccounts }];
}

// Entry k of a company; ids are remembered, whole entries cached (they are
// pure functions of (company, k), so dropping the cache loses nothing).
export function entryAt(store, companyId, k) {
  const known = companyState(store, companyId).ids[k];
  const cached = known && store.entryCache.get(known);
  if (cached) return cached;
  const { company, employees } = store.dataset.byId.get(companyId);
  const entry = accountingEntry(company, employees, k);
  store.entryNumber.set(entry.accountingEntryId, { companyId, k });
  companyState(store, companyId).ids[k] = entry.accountingEntryId;
  if (store.entryCache.size > 50_000) store.entryCache.clear();
  store.entryCache.set(entry.accountingEntryId, entry);
  return entry;
}

export const entryIdAt = (store, companyId, k) => companyState(store, companyId).ids[k] ?? entryAt(store, companyId, k).accountingEntryId;

export function growEntries(store, companyId, count) {
  const state = companyState(store, companyId);
  for (let k = state.entryCount; k < count; k += 1) entryAt(store, companyId, k);
  state.entryCount = Math.max(state.entryCount, count);
}

/** An accounting entry by id, or undefined when no company has it. */
export function entryById(store, entryId) {
  const cached = store.entryCache.get(entryId);
  if (cached) return cached;
  const where = store.entryNumber.get(entryId);
  return where && entryAt(store, where.companyId, where.k);
}

export function addJob(store, job, jobItems) {
  store.jobs.set(job.id, job);
  store.seq = Math.max(store.seq, job.seq);
  companyState(store, job.companyId).jobIds.push(job.id);
  const m = new Map();
  for (const item of jobItems) {
    m.set(item.accountingEntryId, item);
    store.inJob.add(item.accountingEntryId);
  }
  store.items.set(job.id, m);
}

// Sets a company's export settings (the admin's switch for MISSING_CONTRA_ACCOUNTS).
export function configureCompany(store, companyId, { missingContraAccounts }) {
  const state = companyState(store, companyId);
  if (missingContraAccounts !== undefined) state.missingContraAccounts = Boolean(missingContraAccounts);
  store.journal.commit([companyOps(store, companyId)]);
  return { companyId, missingContraAccounts: state.missingContraAccounts };
}

/** The company's newest job when it is still pending or in progress. */
export function unfinishedJob(store, companyId) {
  const state = companyState(store, companyId);
  const last = state.jobIds[state.jobIds.length - 1];
  const job = last && store.jobs.get(last);
  return job && UNFINISHED.has(job.status) ? job : undefined;
}

/** Companies from the dataset (entry counts and settings from the journal), then the saved jobs and items. */
export function loadExports(store) {
  const { journal } = store;
  for (const { company } of store.dataset.byId.values()) {
    const saved = journal.get("company", company.id);
    store.companies.set(company.id, {
      entryCount: 0,
      missingContraAccounts: Boolean(saved?.missingContraAccounts),
      jobIds: [],
      ids: [],
    });
    growEntries(store, company.id, saved?.entryCount ?? 0);
  }
  const savedItems = new Map();
  for (const [, item] of journal.entries("item")) {
    if (!savedItems.has(item.exportJobId)) savedItems.set(item.exportJobId, []);
    savedItems.get(item.exportJobId).push(item);
  }
  const savedJobs = journal
    .entries("job")
    .map(([, job]) => job)
    .sort((a, b) => a.seq - b.seq);
  for (const job of savedJobs) {
    if (!store.companies.has(job.companyId)) continue;
    addJob(
      store,
      job,
      (savedItems.get(job.id) ?? []).sort((a, b) => a.index - b.index),
    );
  }
}
