// Loopback-only admin routes under {adminUrl} = {issuer}/__standin, for tests,
// load tests and the demo: counters, faults, and (export.mjs) export jobs.

import { sendJson } from '../oauth/index.mjs';
import { isLoopback, readBody } from './http-util.mjs';
import { receiptPlan, withFileDigests } from '../export/index.mjs';
import { snapshotStats } from './stats.mjs';

export class AdminError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function jsonBody(ctx) {
  const text = await readBody(ctx.req);
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new AdminError(400, 'invalid_request', 'the body is not JSON');
  }
}

/**
 * @param {object} o
 * @param {object} o.stats
 * @param {() => object} o.getFaults
 * @param {(partial: object|null) => object} o.setFaults
 * @param {Array} [o.routes] more routes: [method, path regexp, (match, body, url) => [status, body]]
 */
export function createAdminHandler({ stats, getFaults, setFaults, routes: extra = [] }) {
  const routes = [
    ['GET', /^\/stats$/, () => [200, snapshotStats(stats)]],
    ['GET', /^\/faults$/, () => [200, getFaults()]],
    ['DELETE', /^\/faults$/, () => [200, setFaults(null)]],
    ...['POST', 'PUT'].map((method) => [method, /^\/faults$/, (m, body) => {
      try {
        return [200, setFaults(body)];
      } catch (err) {
        throw new AdminError(400, 'invalid_request', err.message);
      }
    }]),
    ...extra,
  ];

  return async function handleAdmin(ctx) {
    if (!isLoopback(ctx.req.socket.remoteAddress)) return sendJson(ctx, 403, { error: 'forbidden' });
    const path = ctx.path.slice('/__standin'.length);
    const route = routes.find(([method, re]) => method === ctx.method && re.test(path));
    if (!route) return sendJson(ctx, 404, { error: 'not_found' });
    try {
      const body = ['POST', 'PUT'].includes(ctx.method) ? await jsonBody(ctx) : null;
      const [status, answer] = await route[2](route[1].exec(path), body, new URL(ctx.href));
      return sendJson(ctx, status, answer);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      // Admin errors carry both shapes: OAuth-style for the old routes' clients,
      // Pleo-style for the export routes'.
      return sendJson(ctx, err.status, {
        error: err.type, error_description: err.message, type: err.type, message: err.message,
      });
    }
  };
}

/** Admin routes of the export workflow and the stand-in's settings. */
export function exportAdminRoutes({ exports, getSettings, setSettings }) {
  const wrap = (fn) => (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      if (Number.isInteger(err.status) && typeof err.type === 'string') throw new AdminError(err.status, err.type, err.message);
      if (err instanceof TypeError) throw new AdminError(400, 'BAD_REQUEST', err.message);
      throw err;
    }
  };
  const company = (ref) => {
    const id = exports.companyIdOf(ref);
    if (!id) throw new AdminError(404, 'COMPANY_NOT_FOUND', 'Unknown company: pass its subject URN or id');
    return id;
  };
  return [
    // What a Pleo user's "Export" button does (api.md).
    ['POST', /^\/export-jobs$/, wrap((m, body) => {
      if (body === null || typeof body !== 'object') throw new AdminError(400, 'BAD_REQUEST', 'body must be {"company", "entries"}');
      const entries = body.entries ?? 10;
      if (!Number.isInteger(entries) || entries < 1) throw new AdminError(400, 'BAD_REQUEST', 'entries must be a positive integer');
      const companyId = company(body.company);
      let receipts;
      try {
        receipts = receiptPlan(body.receipts);
      } catch (err) {
        throw new AdminError(400, 'BAD_REQUEST', err.message);
      }
      const job = exports.createJob(companyId, { count: entries, isInteractive: body.isInteractive ?? true, receipts });
      const { items } = exports.adminJob(job.id);
      return [201, { jobId: job.id, accountingEntryIds: items.map((i) => i.accountingEntryId) }];
    })],
    ['GET', /^\/export-jobs$/, wrap((m, body, url) => {
      const ref = url.searchParams.get('company');
      return [200, { jobs: exports.adminJobs(ref ? company(ref) : null) }];
    })],
    ['GET', /^\/export-jobs\/([\w-]{1,64})$/, wrap((m) => {
      const view = withFileDigests(exports, exports.adminJob(m[1]));
      if (!view) throw new AdminError(404, 'EXPORT_NOT_FOUND', `Export job ${m[1]} not found`);
      return [200, view];
    })],
    // Ends an unfinished job as a Pleo user cancelling it would: failed (tests
    // that need the company free for another job).
    ['POST', /^\/export-jobs\/([\w-]{1,64})\/fail$/, wrap((m, body) => {
      const reason = typeof body?.failureReason === 'string' ? body.failureReason : 'Cancelled in the stand-in';
      return [200, { job: exports.applyEvent(null, { event: 'failed', jobId: m[1], failureReason: reason, failureReasonType: 'canceled_by_user' }) }];
    })],
    ['PUT', /^\/companies\/([\w:-]{1,100})$/, wrap((m, body) => {
      if (body === null || typeof body !== 'object') throw new AdminError(400, 'BAD_REQUEST', 'body must be {"missingContraAccounts": bool}');
      return [200, exports.configureCompany(company(m[1]), body)];
    })],
    ['GET', /^\/settings$/, () => [200, getSettings()]],
    ['POST', /^\/settings$/, wrap((m, body) => [200, setSettings(body ?? {})])],
  ];
}

/**
 * `POST /companies/<subject>/revoke` → `{revoked: n}`: revokes every grant of
 * that company, so its next refresh gets invalid_grant.
 * @param {(subject: string) => number} revokeSubject
 */
export function revokeAdminRoutes(revokeSubject) {
  return [['POST', /^\/companies\/([\w:%.-]{1,200})\/revoke$/, (m) => {
    let subject;
    try {
      subject = decodeURIComponent(m[1]);
    } catch {
      throw new AdminError(400, 'invalid_request', 'the company subject is not valid percent-encoding');
    }
    const revoked = revokeSubject(subject);
    return [200, { revoked }];
  }]];
}
