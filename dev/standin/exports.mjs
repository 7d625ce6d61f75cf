// Pleo's export workflow as state: export jobs, their items, the company's
// accounting entries, and the rules of ../shared/pleo-export-facts.md —
// status transitions, one unfinished job per company, expiry one hour after
// the last update, item reports of at most 100. No HTTP here: export-routes.mjs
// maps requests onto these functions and ExportError onto Pleo's error bodies.

import { randomUUID } from 'node:crypto';

import { accountingEntry } from './entries.mjs';

export const JOB_STATUSES = Object.freeze(['pending', 'in_progress', 'failed', 'completed', 'completed_with_errors']);
export const ITEM_STATUSES = Object.freeze(['pending', 'in_progress', 'failed', 'successful', 'abandoned']);
const UNFINISHED = new Set(['pending', 'in_progress']);
// Statuses a partner may report for an item (pending is where items start).
const REPORTABLE = new Set(['in_progress', 'failed', 'successful', 'abandoned']);
export const MAX_ITEMS_PER_UPDATE = 100;
const MAX_ENTRIES_PER_JOB = 5000;
const DEFAULT_FAILURE_TYPE = 'accounting_system_validation_failure';

// event → the statuses it may leave and the status it sets.
const TRANSITIONS = {
  started: { from: ['pending'], to: 'in_progress' },
  completed: { from: ['in_progress'], to: 'completed' },
  completed_with_errors: { from: ['in_progress'], to: 'completed_with_errors' },
  failed: { from: ['pending', 'in_progress'], to: 'failed' },
};

const SEED_POOL = 48; // unexported entries per company at first start
const SEED_HISTORY = [ // finished jobs every company starts with
  { entries: 6, status: 'completed', daysAgo: 30 },
  { entries: 5, status: 'completed_with_errors', daysAgo: 18 },
  { entries: 3, status: 'failed', daysAgo: 6, expired: true },
];

export class ExportError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const notFound = (id) => new ExportError(404, 'EXPORT_NOT_FOUND', `Export job ${id} not found`);
const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const isText = (v, max = 2000) => typeof v === 'string' && v.length <= max;
const optionalText = (v, max) => v === undefined || v === null || isText(v, max);

// Journal operations (journal.mjs) for a job record and an item record.
const jobOp = (job) => ['job', job.id, job];
const itemOp = (item) => ['item', `${item.exportJobId}/${item.accountingEntryId}`, item];

function newItem(job, entryId, index) {
  return {
    accountingEntryId: entryId,
    exportJobId: job.id,
    index,
    status: 'pending',
    exportedAt: null,
    externalId: null,
    externalUrl: null,
    failureReason: null,
    failureReasonType: null,
    reports: 0,
  };
}

function newJob(seq, companyId, fields, now) {
  const t = fields.createdAt ?? now;
  return {
    seq,
    id: randomUUID(),
    companyId,
    status: 'pending',
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
  };
}

/** The job object of the facts file; expiresIn counts from lastUpdatedAt. */
function jobView(job, ttlMs, now) {
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
function itemView(item) {
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

// What a finished seeded job's items look like: all booked, or (with errors)
// the entries without a supplier failed the way a vendor-based ledger fails them.
function finishSeededJob(job, jobItems, plan, entryOf) {
  if (plan.expired) {
    job.status = 'failed';
    job.completedAt = job.startedAt + 3_600_000;
    job.failureReason = 'The export job expired: no update for 3600 seconds';
    job.failureReasonType = 'job_expired';
    for (const item of jobItems) item.status = 'abandoned';
  } else {
    job.status = plan.status;
    job.completedAt = job.startedAt + 90_000;
    jobItems.forEach((item, i) => {
      if (plan.status === 'completed_with_errors' && !entryOf(item.accountingEntryId).supplier) {
        Object.assign(item, {
          status: 'failed', failureReason: 'No supplier on the entry', failureReasonType: 'vendor_unknown', reports: 1,
        });
      } else {
        Object.assign(item, {
          status: 'successful',
          exportedAt: job.startedAt + 10_000 * (i + 1),
          externalId: `LEDGER-${job.companyId.slice(0, 4)}-${job.seq}-${i + 1}`,
          reports: 1,
        });
      }
    });
  }
  job.lastUpdatedAt = job.completedAt;
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
  const companies = new Map(); // companyId -> { entryCount, missingContraAccounts, jobIds: [], ids: [entryId by k] }
  const jobs = new Map(); // jobId -> job record
  const items = new Map(); // jobId -> Map(entryId -> item record), in entry order
  const entryNumber = new Map(); // entryId -> { companyId, k }
  const entryCache = new Map(); // entryId -> entry
  const inJob = new Set(); // entryIds that belong to some job
  let seq = 0;

  const companyState = (companyId) => companies.get(companyId);
  const companyOps = (companyId) => {
    const { entryCount, missingContraAccounts } = companyState(companyId);
    return ['company', companyId, { entryCount, missingContraAccounts }];
  };

  // Entry k of a company; ids are remembered, whole entries cached (they are
  // pure functions of (company, k), so dropping the cache loses nothing).
  function entryAt(companyId, k) {
    const known = companyState(companyId).ids[k];
    const cached = known && entryCache.get(known);
    if (cached) return cached;
    const { company, employees } = dataset.byId.get(companyId);
    const entry = accountingEntry(company, employees, k);
    entryNumber.set(entry.accountingEntryId, { companyId, k });
    companyState(companyId).ids[k] = entry.accountingEntryId;
    if (entryCache.size > 50_000) entryCache.clear();
    entryCache.set(entry.accountingEntryId, entry);
    return entry;
  }

  const entryIdAt = (companyId, k) => companyState(companyId).ids[k] ?? entryAt(companyId, k).accountingEntryId;

  function growEntries(companyId, count) {
    const state = companyState(companyId);
    for (let k = state.entryCount; k < count; k += 1) entryAt(companyId, k);
    state.entryCount = Math.max(state.entryCount, count);
  }

  function entry(entryId) {
    const cached = entryCache.get(entryId);
    if (cached) return cached;
    const where = entryNumber.get(entryId);
    return where && entryAt(where.companyId, where.k);
  }

  function addJob(job, jobItems) {
    jobs.set(job.id, job);
    seq = Math.max(seq, job.seq);
    companyState(job.companyId).jobIds.push(job.id);
    const m = new Map();
    for (const item of jobItems) {
      m.set(item.accountingEntryId, item);
      inJob.add(item.accountingEntryId);
    }
    items.set(job.id, m);
  }

  // ---- load or seed ------------------------------------------------------

  for (const { company } of dataset.byId.values()) {
    const saved = journal.get('company', company.id);
    companies.set(company.id, {
      entryCount: 0, missingContraAccounts: Boolean(saved?.missingContraAccounts), jobIds: [], ids: [],
    });
    growEntries(company.id, saved?.entryCount ?? 0);
  }
  const savedItems = new Map();
  for (const [, item] of journal.entries('item')) {
    if (!savedItems.has(item.exportJobId)) savedItems.set(item.exportJobId, []);
    savedItems.get(item.exportJobId).push(item);
  }
  const savedJobs = journal.entries('job').map(([, job]) => job).sort((a, b) => a.seq - b.seq);
  for (const job of savedJobs) {
    if (!companies.has(job.companyId)) continue;
    addJob(job, (savedItems.get(job.id) ?? []).sort((a, b) => a.index - b.index));
  }
  if (!journal.get('meta', 'exportsSeeded')) seed();

  // A finished history per company, so lists are not empty on a fresh start.
  function seed() {
    const ops = [];
    const day = 86_400_000;
    for (const companyId of companies.keys()) {
      const { employees } = dataset.byId.get(companyId);
      let k = 0;
      growEntries(companyId, SEED_HISTORY.reduce((n, h) => n + h.entries, 0) + SEED_POOL);
      for (const plan of SEED_HISTORY) {
        const entryIds = [];
        for (let i = 0; i < plan.entries; i += 1, k += 1) entryIds.push(entryIdAt(companyId, k));
        const createdAt = now() - plan.daysAgo * day;
        seq += 1;
        const job = newJob(seq, companyId, {
          createdAt, entryIds, createdBy: employees[1].id, isInteractive: true,
        }, now());
        job.startedAt = createdAt + 20_000;
        const jobItems = entryIds.map((id, index) => newItem(job, id, index));
        finishSeededJob(job, jobItems, plan, entry);
        addJob(job, jobItems);
        ops.push(jobOp(job), ...jobItems.map(itemOp));
      }
      ops.push(companyOps(companyId));
    }
    ops.push(['meta', 'exportsSeeded', true]);
    journal.commit(ops);
  }

  // ---- expiry ------------------------------------------------------------

  // Facts: a job expires one hour after its last update and becomes failed
  // with job_expired. Checked lazily before every read or write.
  function sweep() {
    const t = now();
    const ttl = ttlMs();
    for (const state of companies.values()) {
      const last = state.jobIds[state.jobIds.length - 1];
      const job = last && jobs.get(last);
      if (!job || !UNFINISHED.has(job.status) || t < job.lastUpdatedAt + ttl) continue;
      const ops = [];
      const expiredAt = job.lastUpdatedAt + ttl;
      Object.assign(job, {
        status: 'failed',
        completedAt: expiredAt,
        lastUpdatedAt: expiredAt,
        failureReason: `The export job expired: no update for ${Math.round(ttl / 1000)} seconds`,
        failureReasonType: 'job_expired',
      });
      ops.push(jobOp(job));
      for (const item of items.get(job.id).values()) {
        if (UNFINISHED.has(item.status)) {
          item.status = 'abandoned';
          ops.push(itemOp(item));
        }
      }
      stats.exportJobsExpired += 1;
      journal.commit(ops);
    }
  }

  // ---- views -------------------------------------------------------------

  const view = (job) => jobView(job, ttlMs(), now());

  function findJob(companyId, jobId) {
    sweep();
    const job = typeof jobId === 'string' ? jobs.get(jobId) : undefined;
    // Another company's job is as invisible as one that does not exist.
    if (!job || (companyId !== null && job.companyId !== companyId)) throw notFound(jobId);
    return job;
  }

  function unfinishedJob(companyId) {
    const state = companyState(companyId);
    const last = state.jobIds[state.jobIds.length - 1];
    const job = last && jobs.get(last);
    return job && UNFINISHED.has(job.status) ? job : undefined;
  }

  // ---- operations --------------------------------------------------------

  /**
   * Creates a pending job. `accountingEntryIds` (entries of the company) or
   * `count` (that many of the company's unexported entries, made as needed);
   * neither: every unexported entry.
   */
  function createJob(companyId, {
    accountingEntryIds, count, isInteractive, createdBy, vendorBasedBookkeeping,
  } = {}) {
    if (!companies.has(companyId)) throw new ExportError(404, 'COMPANY_NOT_FOUND', 'Unknown company');
    sweep();
    const running = unfinishedJob(companyId);
    if (running) {
      throw new ExportError(409, 'EXPORT_ALREADY_IN_PROGRESS', `The company already has an unfinished export job (${running.id})`);
    }
    const state = companyState(companyId);
    const before = state.entryCount;
    let entryIds;
    if (accountingEntryIds !== undefined) {
      if (!Array.isArray(accountingEntryIds) || !accountingEntryIds.length || accountingEntryIds.length > MAX_ENTRIES_PER_JOB) {
        throw new ExportError(400, 'BAD_REQUEST', `accountingEntryIds must be an array of 1..${MAX_ENTRIES_PER_JOB} ids`);
      }
      entryIds = [...new Set(accountingEntryIds)];
      const unknown = entryIds.find((id) => typeof id !== 'string' || entryNumber.get(id)?.companyId !== companyId);
      if (unknown !== undefined) {
        throw new ExportError(400, 'ACCOUNTING_ENTRY_DOES_NOT_EXIST', `Accounting entry ${String(unknown).slice(0, 64)} does not exist`);
      }
    } else {
      if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > MAX_ENTRIES_PER_JOB)) {
        throw new ExportError(400, 'BAD_REQUEST', `entries must be an integer 1..${MAX_ENTRIES_PER_JOB}`);
      }
      entryIds = [];
      for (let k = 0; k < state.entryCount && (count === undefined || entryIds.length < count); k += 1) {
        const id = entryIdAt(companyId, k);
        if (!inJob.has(id)) entryIds.push(id);
      }
      const wanted = count ?? Math.max(entryIds.length, 10);
      while (entryIds.length < wanted) {
        growEntries(companyId, state.entryCount + 1);
        entryIds.push(entryIdAt(companyId, state.entryCount - 1));
      }
    }
    seq += 1;
    const job = newJob(seq, companyId, {
      entryIds, isInteractive, createdBy, vendorBasedBookkeeping,
    }, now());
    const jobItems = entryIds.map((id, index) => newItem(job, id, index));
    addJob(job, jobItems);
    const ops = [jobOp(job), ...jobItems.map(itemOp)];
    if (state.entryCount !== before) ops.push(companyOps(companyId));
    journal.commit(ops);
    stats.exportJobsCreated += 1;
    const created = view(job);
    onJobCreated(created);
    return created;
  }

  function listJobs(companyId, statuses = null) {
    sweep();
    return companyState(companyId).jobIds
      .map((id) => jobs.get(id))
      .filter((job) => !statuses || statuses.includes(job.status))
      .map((job) => ({ key: job.seq, value: view(job) }));
  }

  function getJob(companyId, jobId) {
    return view(findJob(companyId, jobId));
  }

  function applyEvent(companyId, body) {
    const { event, jobId } = body;
    const transition = Object.hasOwn(TRANSITIONS, event) ? TRANSITIONS[event] : undefined;
    if (!transition) {
      throw new ExportError(400, 'BAD_REQUEST', `event must be one of ${Object.keys(TRANSITIONS).join(', ')}`);
    }
    if (typeof jobId !== 'string') throw new ExportError(400, 'BAD_REQUEST', 'jobId is required');
    if (!optionalText(body.failureReason) || !optionalText(body.failureReasonType, 100)) {
      throw new ExportError(400, 'BAD_REQUEST', 'failureReason and failureReasonType must be strings');
    }
    const job = findJob(companyId, jobId);
    if (!transition.from.includes(job.status)) {
      stats.exportEventsRejected += 1;
      throw new ExportError(422, 'INVALID_EXPORT_JOB_STATUS_CHANGE', `Export job status cannot change from ${job.status} with the event ${event}`);
    }
    const t = now();
    job.status = transition.to;
    job.lastUpdatedAt = t;
    if (event === 'started') job.startedAt = t;
    else job.completedAt = t;
    if (event === 'failed') {
      job.failureReason = body.failureReason ?? 'The export failed';
      job.failureReasonType = body.failureReasonType ?? DEFAULT_FAILURE_TYPE;
    }
    journal.commit([jobOp(job)]);
    stats.exportEvents += 1;
    return view(job);
  }

  function jobItems(companyId, jobId, status = null) {
    const job = findJob(companyId, jobId);
    return [...items.get(job.id).values()]
      .filter((item) => !status || status.includes(item.status))
      .map((item) => ({ key: item.index, value: itemView(item) }));
  }

  function exportItems(companyId, jobId) {
    const job = findJob(companyId, jobId);
    if (!UNFINISHED.has(job.status)) {
      throw new ExportError(422, 'EXPORT_JOB_STATUS_UNPROCESSABLE', `Export items are only available while the job is pending or in_progress; it is ${job.status}`);
    }
    if (companyState(job.companyId).missingContraAccounts) {
      throw new ExportError(400, 'MISSING_CONTRA_ACCOUNTS', 'The company has not configured its contra accounts');
    }
    return job.entryIds.map((id, index) => ({ key: index, value: entry(id) }));
  }

  function checkReport(u) {
    if (!REPORTABLE.has(u.status)) return `status must be one of ${[...REPORTABLE].join(', ')}`;
    if (!optionalText(u.externalId, 500) || !optionalText(u.externalUrl, 2000)) return 'externalId and externalUrl must be strings';
    if (!optionalText(u.failureReason) || !optionalText(u.failureReasonType, 100)) return 'failureReason and failureReasonType must be strings';
    if (u.exportedAt !== undefined && u.exportedAt !== null && !(isText(u.exportedAt, 64) && Number.isFinite(Date.parse(u.exportedAt)))) {
      return 'exportedAt must be an ISO 8601 date-time';
    }
    return null;
  }

  function updateItems(companyId, jobId, body) {
    const job = findJob(companyId, jobId);
    const list = Array.isArray(body) ? body : body?.items ?? body?.data;
    if (!Array.isArray(list)) throw new ExportError(400, 'BAD_REQUEST', 'the body must be an array of items (or {"items": [...]})');
    if (list.length > MAX_ITEMS_PER_UPDATE) {
      throw new ExportError(413, 'EXPORT_JOB_ITEMS_UPDATE_LIMIT', `At most ${MAX_ITEMS_PER_UPDATE} items per update; got ${list.length}`);
    }
    if (!UNFINISHED.has(job.status)) {
      throw new ExportError(422, 'EXPORT_JOB_STATUS_UNPROCESSABLE', `The export job is ${job.status}; its items can no longer be updated`);
    }
    const t = now();
    const data = [];
    const errors = [];
    const ops = [];
    const jobItemsMap = items.get(job.id);
    for (const u of list) {
      const entryId = u !== null && typeof u === 'object' && typeof u.accountingEntryId === 'string' ? u.accountingEntryId : null;
      const item = entryId !== null ? jobItemsMap.get(entryId) : undefined;
      if (!item) {
        errors.push(entryId === null
          ? { accountingEntryId: null, message: 'accountingEntryId is required', type: 'INVALID_EXPORT_ITEM' }
          : { accountingEntryId: entryId, message: `Accounting entry ${entryId.slice(0, 64)} does not exist in export job ${job.id}`, type: 'ACCOUNTING_ENTRY_DOES_NOT_EXIST' });
        continue;
      }
      const problem = checkReport(u);
      if (problem) {
        errors.push({ accountingEntryId: entryId, message: problem, type: 'INVALID_EXPORT_ITEM' });
        continue;
      }
      const failed = u.status === 'failed';
      Object.assign(item, {
        status: u.status,
        exportedAt: u.status === 'successful' ? (u.exportedAt ? Date.parse(u.exportedAt) : t) : null,
        externalId: u.externalId ?? null,
        externalUrl: u.externalUrl ?? null,
        failureReason: failed ? u.failureReason ?? null : null,
        failureReasonType: failed ? u.failureReasonType ?? DEFAULT_FAILURE_TYPE : null,
        reports: item.reports + 1,
      });
      ops.push(itemOp(item));
      data.push(itemView(item));
    }
    if (ops.length) {
      job.lastUpdatedAt = t; // a report keeps the job alive
      ops.push(jobOp(job));
      journal.commit(ops);
    }
    stats.itemUpdateRequests += 1;
    stats.itemsReported += data.length;
    stats.itemUpdateErrors += errors.length;
    return { data, errors };
  }

  function companyIdOf(ref) {
    if (typeof ref !== 'string') return undefined;
    const id = ref.startsWith('urn:pleo:company:') ? ref.slice('urn:pleo:company:'.length) : ref;
    return companies.has(id) ? id : undefined;
  }

  return {
    createJob,
    listJobs,
    getJob,
    applyEvent,
    jobItems,
    exportItems,
    updateItems,
    entry,
    companyIdOf,
    /** Admin view of a job: the job and, per item, how often the partner reported it. */
    adminJob(jobId) {
      sweep();
      const job = jobs.get(jobId);
      if (!job) return undefined;
      return {
        job: view(job),
        items: [...items.get(job.id).values()].map((item) => ({
          accountingEntryId: item.accountingEntryId,
          status: item.status,
          externalId: item.externalId,
          failureReason: item.failureReason,
          reports: item.reports,
        })),
      };
    },
    adminJobs(companyId) {
      sweep();
      return [...jobs.values()]
        .filter((job) => !companyId || job.companyId === companyId)
        .sort((a, b) => a.seq - b.seq)
        .map(view);
    },
    configureCompany(companyId, { missingContraAccounts }) {
      const state = companyState(companyId);
      if (missingContraAccounts !== undefined) state.missingContraAccounts = Boolean(missingContraAccounts);
      journal.commit([companyOps(companyId)]);
      return { companyId, missingContraAccounts: state.missingContraAccounts };
    },
    sweep,
  };
}
