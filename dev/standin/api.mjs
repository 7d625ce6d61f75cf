// The stand-in's resource server: Pleo's API paths at the root, dummy data for
// the company the token was issued for. Bearer tokens are checked against the
// authorization server in the same process, the way introspection does it.

import { randomUUID } from 'node:crypto';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

class ApiError extends Error {
  constructor(status, type, message, headers = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.headers = headers;
  }
}

// RFC 6750 §3.1: no error code when the request carried no token at all.
const unauthorized = (message, missing = false) => new ApiError(401, 'UNAUTHORIZED', message, {
  'www-authenticate': missing ? 'Bearer realm="pleo"' : 'Bearer realm="pleo", error="invalid_token"',
});

// Cursor pagination in the shape of Pleo's list endpoints. Cursors are opaque
// (base64url of an offset) so clients cannot come to depend on their format.
function paginate(items, query) {
  const limitRaw = query.get('limit') ?? query.get('page_limit');
  const limit = limitRaw === null ? 25 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApiError(400, 'BAD_REQUEST', 'limit must be an integer between 1 and 100');
  }
  const decode = (name) => {
    const cursor = query.get(name);
    if (cursor === null) return null;
    const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
    if (!m) throw new ApiError(400, 'BAD_REQUEST', `${name} is not a valid cursor`);
    return Number(m[1]);
  };
  const after = decode('after');
  const before = decode('before');
  let start = 0;
  let end = items.length;
  if (after !== null) start = Math.min(after + 1, items.length);
  if (before !== null) end = Math.max(0, Math.min(before, items.length));
  if (before !== null && after === null) start = Math.max(0, end - limit);
  end = Math.min(end, start + limit);
  const cursor = (i) => Buffer.from(`o:${i}`).toString('base64url');
  return {
    data: items.slice(start, end),
    pagination: {
      hasPreviousPage: start > 0,
      hasNextPage: end < items.length,
      currentRequestPagination: {
        before: query.get('before'),
        after: query.get('after'),
        offset: null,
        limit,
        sortingKeys: [],
        sortingOrder: [],
      },
      startCursor: end > start ? cursor(start) : null,
      endCursor: end > start ? cursor(end - 1) : null,
      total: items.length,
    },
  };
}

async function readJson(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    chunks.push(chunk);
  }
  if (!size) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
    return value;
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', 'request body must be a JSON object');
  }
}

// ctx: { provider, resource, dataset, stats, getFaults, applicationName }
export function createApiHandler(ctx) {
  const { provider, resource, dataset, stats, getFaults, applicationName } = ctx;

  async function authenticate(req) {
    const header = req.headers.authorization;
    const m = header && /^Bearer ([\x21-\x7e]+)$/i.exec(header);
    if (!m) throw unauthorized('Missing bearer token', !header);
    const token = await provider.AccessToken.find(m[1]).catch(() => undefined);
    if (!token || !token.isValid) throw unauthorized('The access token is invalid, expired or revoked');
    // Revocation and refresh-token reuse destroy the grant: its tokens die with it.
    const grant = token.grantId && await provider.Grant.find(token.grantId);
    if (!grant || grant.accountId !== token.accountId) throw unauthorized('The access token has been revoked');
    if (token.aud !== undefined && token.aud !== resource) throw unauthorized('The access token is not meant for this API');
    const entry = dataset.bySubject.get(token.accountId);
    if (!entry) throw unauthorized('Unknown company');
    return { token, scopes: new Set((token.scope ?? '').split(' ').filter(Boolean)), entry };
  }

  const need = (auth, scope) => {
    if (!auth.scopes.has(scope)) {
      throw new ApiError(403, 'FORBIDDEN', `This operation requires the scope ${scope}`, {
        'www-authenticate': `Bearer realm="pleo", error="insufficient_scope", scope="${scope}"`,
      });
    }
  };

  const companyParam = (auth, query) => {
    const companyId = query.get('company_id') ?? query.get('companyId');
    if (!companyId) throw new ApiError(400, 'BAD_REQUEST', 'company_id is required');
    if (companyId !== auth.entry.company.id) {
      throw new ApiError(403, 'FORBIDDEN', 'The access token does not grant access to this company');
    }
    return companyId;
  };

  // [method, path regexp, handler(auth, query, match, req)]
  const routes = [
    ['GET', /^\/v1\/introspect$/, (auth) => ({
      data: {
        authMethod: 'OAUTH',
        clientId: auth.token.clientId,
        scope: auth.token.scope ?? '',
        applicationName,
        subjectURN: auth.entry.company.subject,
      },
    })],
    ['GET', /^\/v2\/employees$/, (auth, query) => {
      need(auth, 'users:read');
      return paginate(auth.entry.employees, query);
    }],
    ['GET', /^\/v1\/companies$/, (auth, query) => {
      need(auth, 'companies:read');
      const { subject, ...company } = auth.entry.company;
      return paginate([company], query);
    }],
    ['GET', /^\/v3\/export-jobs$/, (auth, query) => {
      need(auth, 'export-jobs:read');
      const companyId = companyParam(auth, query);
      return paginate(auth.entry.exportJobs.filter((j) => j.companyId === companyId), query);
    }],
    ['POST', /^\/v3\/export-jobs$/, async (auth, query, _m, req) => {
      need(auth, 'export-jobs:write');
      const body = await readJson(req);
      const companyId = body.companyId ?? auth.entry.company.id;
      if (companyId !== auth.entry.company.id) {
        throw new ApiError(403, 'FORBIDDEN', 'The access token does not grant access to this company');
      }
      const job = {
        id: randomUUID(),
        companyId,
        status: 'pending',
        isInteractive: Boolean(body.isInteractive),
        createdAt: new Date().toISOString(),
        startedAt: null,
        completedAt: null,
        failureReason: null,
        totalItems: 0,
      };
      auth.entry.exportJobs.push(job);
      return [201, { data: job }];
    }],
    ['GET', /^\/v3\/export-jobs\/([\w-]+)$/, (auth, query, m) => {
      need(auth, 'export-jobs:read');
      const job = auth.entry.exportJobs.find((j) => j.id === m[1]);
      if (!job) throw new ApiError(404, 'NOT_FOUND', 'Export job not found');
      return { data: job };
    }],
    ['GET', /^\/v3\/export-items$/, (auth, query) => {
      need(auth, 'export-items:read');
      const jobId = query.get('job_id') ?? query.get('jobId');
      if (!jobId) throw new ApiError(400, 'BAD_REQUEST', 'job_id is required');
      // A job of another company is as invisible as a job that doesn't exist.
      if (!auth.entry.exportJobs.some((j) => j.id === jobId)) {
        throw new ApiError(404, 'NOT_FOUND', 'Export job not found');
      }
      return paginate(auth.entry.exportItems.filter((i) => i.jobId === jobId), query);
    }],
  ];

  return async function handleApi(req, res) {
    stats.apiRequests += 1;
    const send = (status, body, headers = {}) => {
      if (status === 401) stats.apiUnauthorized += 1;
      if (status === 403) stats.apiForbidden += 1;
      res.writeHead(status, { ...JSON_HEADERS, ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url, 'http://api.invalid');
      const faults = getFaults();
      if (faults.apiDelayMs) await new Promise((r) => setTimeout(r, faults.apiDelayMs));
      if (faults.apiStatus) {
        stats.faultsInjected += 1;
        throw new ApiError(faults.apiStatus, 'INTERNAL_SERVER_ERROR', 'stand-in: injected API failure');
      }
      const candidates = routes.filter(([, re]) => re.test(url.pathname));
      if (!candidates.length) throw new ApiError(404, 'NOT_FOUND', `No resource at ${url.pathname}`);
      const route = candidates.find(([method]) => method === req.method);
      if (!route) {
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported here`, {
          allow: candidates.map(([method]) => method).join(', '),
        });
      }
      const auth = await authenticate(req);
      const result = await route[2](auth, url.searchParams, route[1].exec(url.pathname), req);
      const [status, body] = Array.isArray(result) ? result : [200, result];
      send(status, body);
    } catch (err) {
      if (err instanceof ApiError) {
        send(err.status, { type: err.type, message: err.message }, err.headers);
      } else {
        console.error('stand-in API error:', err);
        send(500, { type: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error' });
      }
    }
  };
}
