// Local stand-in for Pleo's authorization server and API.
//
// A real OAuth 2.0 server (oidc-provider) configured to behave like Pleo:
// Pleo's endpoint paths, one confidential demo client that may only use
// client_secret_basic, PKCE S256 required, Pleo-style scopes on opaque access
// tokens, refresh tokens without offline_access that rotate on every use, and
// reuse of a rotated refresh token revoking the whole authorisation. Next to it
// a small API server with Pleo's paths and dummy data per company, plus fault
// injection and counters for tests and load tests.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';

import { createMemoryStore } from './adapter.mjs';
import { createApiHandler } from './api.mjs';
import { createDataset, DEMO_USER, SCOPES } from './data.mjs';
import { checkFaults, FAULT_DEFAULTS } from './faults.mjs';
import {
  consentPage, errorPage, gatewayErrorPage, loginPage, PAGE_HEADERS,
} from './pages.mjs';

export { SCOPES, DEMO_USER };

export const DEFAULT_CLIENT_ID = 'pleo-demo-client';
// A dummy secret for a local dev server: not a credential for anything real.
export const DEFAULT_CLIENT_SECRET = 'pleo-demo-client-secret';
export const DEFAULT_REDIRECT_URIS = Object.freeze([
  'http://localhost:8787/auth/callback',
  'http://127.0.0.1:8787/auth/callback',
]);

const PATHS = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  introspection: '/oauth/token/introspect',
  revocation: '/oauth/token/revoke',
  jwks: '/oauth/jwks',
  end_session: '/oauth/logout',
  userinfo: '/oauth/userinfo',
};

const DAY = 24 * 60 * 60;

let oidcModule;
// oidc-provider warns on import when Node is older than 22 (it works on 20).
// Drop that one line instead of letting it reach the user's console.
async function loadOidcProvider() {
  if (!oidcModule) {
    const warn = console.warn;
    console.warn = (...args) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      warn.apply(console, args);
    };
    try {
      oidcModule = await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  }
  return oidcModule;
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function isLoopback(address) {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

async function readBody(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function newStats() {
  return {
    tokenRequests: 0, // every POST to the token endpoint, faulted ones included
    codeExchanges: 0, // successful authorization_code grants
    refreshes: 0, // successful refresh_token grants
    tokenErrors: 0, // token requests oidc-provider answered with an OAuth error
    grantsRevoked: 0, // grants revoked because a rotated refresh token was reused
    codeReuseRevocations: 0, // grants revoked because an authorization code was reused
    revocationRequests: 0,
    introspectionRequests: 0,
    authorizations: 0, // successful authorization responses (codes issued)
    authorizationErrors: 0, // error authorization responses (e.g. access_denied)
    faultsInjected: 0,
    tokenInFlight: 0,
    maxTokenInFlight: 0,
    apiRequests: 0,
    apiUnauthorized: 0,
    apiForbidden: 0,
  };
}

/**
 * Starts the stand-in (authorization server + API).
 * @param {object} [opts]
 * @param {number} [opts.port=0] authorization server port (0 = any free port)
 * @param {number} [opts.apiPort=0] API port (0 = any free port)
 * @param {string} [opts.host='127.0.0.1']
 * @param {string[]} [opts.redirectUris=[]] added to the default redirect URIs
 * @param {number} [opts.accessTtl=900] access-token lifetime in seconds
 * @param {number} [opts.refreshTtl=5184000] refresh-token lifetime in seconds (60 days)
 * @param {object} [opts.faults={}] initial faults, see faults.mjs
 * @param {boolean} [opts.quiet=true] false: log one line per request to stderr
 * @param {string} [opts.clientId] / [opts.clientSecret] override the demo client's credentials
 * @param {boolean} [opts.discovery=false] serve /.well-known/* (Pleo publishes none)
 */
export async function startStandin(opts = {}) {
  const {
    port = 0,
    apiPort = 0,
    host = '127.0.0.1',
    redirectUris: extraRedirectUris = [],
    accessTtl = 900,
    refreshTtl = 60 * DAY,
    faults: initialFaults = {},
    quiet = true,
    clientId = DEFAULT_CLIENT_ID,
    clientSecret = DEFAULT_CLIENT_SECRET,
    discovery = false,
  } = opts;

  if (!Number.isInteger(accessTtl) || accessTtl < 1) throw new TypeError('accessTtl must be a positive integer (seconds)');
  if (!Number.isInteger(refreshTtl) || refreshTtl < 1) throw new TypeError('refreshTtl must be a positive integer (seconds)');
  let faults = { ...FAULT_DEFAULTS, ...checkFaults(initialFaults) };
  const redirectUris = [...new Set([...DEFAULT_REDIRECT_URIS, ...extraRedirectUris.filter(Boolean)])];

  const { default: Provider, errors: oidcErrors } = await loadOidcProvider();
  const stats = newStats();
  const store = createMemoryStore();
  const dataset = createDataset();
  const closing = new AbortController();

  // Both ports must be known before the provider exists (the issuer and the
  // resource indicator contain them), so listen first and attach handlers after.
  let authHandler = (req, res) => { res.writeHead(503).end(); };
  let apiHandler = (req, res) => { res.writeHead(503).end(); };
  const authServer = http.createServer((req, res) => authHandler(req, res));
  const apiServer = http.createServer((req, res) => apiHandler(req, res));
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let authPort;
  let apiPortBound;
  try {
    authPort = await listen(authServer, port, host);
    apiPortBound = await listen(apiServer, apiPort, host);
  } catch (err) {
    authServer.close();
    apiServer.close();
    store.close();
    throw err;
  }
  const issuer = `http://${urlHost}:${authPort}`;
  const apiBaseUrl = `http://${urlHost}:${apiPortBound}`;
  const resource = apiBaseUrl; // resource indicator of the API's access tokens

  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

  const provider = new Provider(issuer, {
    adapter: store.Adapter,
    jwks: { keys: [{ ...signingKey, alg: 'ES256', use: 'sig', kid: randomUUID() }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'Pleo OAuth demo',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    // Only Basic: with client_secret_post allowed provider-wide, a client
    // registered for Basic still gets a secret in the body accepted.
    clientAuthMethods: ['client_secret_basic'],
    responseTypes: ['code'],
    pkce: { required: () => true }, // oidc-provider only knows S256
    allowOmittingSingleRegisteredRedirectUri: false,
    extraParams: ['urn_pleo_params_oauth_subject'],
    routes: PATHS,
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
      },
      // Pleo has none of these; keep the surface close to Pleo's.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: false },
      // Pleo scopes are API scopes: they need a resource server to end up on
      // the access token. Every request gets the API as its resource.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf ?? resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) throw new oidcErrors.InvalidTarget();
          return { scope: SCOPES.join(' '), accessTokenFormat: 'opaque', accessTokenTTL: accessTtl };
        },
      },
    },
    // Pleo issues a refresh token without offline_access, rotates it on every
    // use, and keeps connections alive independently of any browser session.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    // Only reuse a grant that the consent step just created (result.consent.grantId);
    // never the session's previous one, so a second connect can pick another company.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    findAccount: async (ctx, sub) => (dataset.bySubject.has(sub)
      ? { accountId: sub, claims: async () => ({ sub }) }
      : undefined),
    interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set(PAGE_HEADERS);
      ctx.body = errorPage({ error: out.error, description: out.error_description });
    },
    // Grant ≥ refresh token, or introspection turns inactive when the grant expires.
    ttl: {
      AccessToken: accessTtl,
      AuthorizationCode: 60,
      RefreshToken: refreshTtl,
      Grant: refreshTtl + 30 * DAY,
      Session: DAY,
      Interaction: 3600,
      IdToken: 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
  });

  const issuerOrigin = new URL(issuer).origin;

  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params?.grant_type;
    if (type === 'authorization_code') stats.codeExchanges += 1;
    else if (type === 'refresh_token') stats.refreshes += 1;
  });
  provider.on('grant.error', () => { stats.tokenErrors += 1; });
  provider.on('authorization.success', () => { stats.authorizations += 1; });
  provider.on('authorization.error', () => { stats.authorizationErrors += 1; });
  // oidc-provider revokes the whole grant itself when a consumed refresh token
  // (or authorization code) is presented again; count those revocations.
  provider.on('grant.revoked', (ctx) => {
    if (ctx.oidc.route !== 'token') return;
    const type = ctx.oidc.params?.grant_type;
    if (type === 'refresh_token') stats.grantsRevoked += 1;
    else if (type === 'authorization_code') stats.codeReuseRevocations += 1;
  });
  provider.on('server_error', (ctx, err) => {
    console.error('stand-in: oidc-provider server error:', err);
  });

  // Interaction uids whose login form was submitted (login → consent in one interaction).
  const signedIn = new Map();

  function sendPage(ctx, status, html) {
    ctx.status = status;
    ctx.set(PAGE_HEADERS);
    ctx.type = 'html';
    ctx.body = html;
  }

  function sendJson(ctx, status, body) {
    ctx.status = status;
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  }

  async function handleInteraction(ctx) {
    const m = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec(ctx.path);
    if (!m) return sendPage(ctx, 404, errorPage({ title: 'Page not found' }));
    const [, uid, action] = m;
    const method = action ? 'POST' : 'GET';
    if (ctx.method !== method) {
      ctx.set('allow', method);
      return sendPage(ctx, 405, errorPage({ title: 'Method not allowed' }));
    }

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      details = undefined;
    }
    if (!details || details.uid !== uid) {
      return sendPage(ctx, 400, errorPage({
        title: 'This sign-in has expired',
        error: 'session_not_found',
        description: 'the authorization request is unknown, expired or already completed',
      }));
    }

    const { params } = details;
    const client = await provider.Client.find(params.client_id);
    const clientName = client?.clientName ?? params.client_id;
    const needsLogin = details.prompt.name === 'login' && !signedIn.has(uid);
    const requestedScopes = (params.scope ?? '').split(' ').filter(Boolean);
    const apiScopes = requestedScopes.filter((s) => SCOPES.includes(s));
    const hint = params.urn_pleo_params_oauth_subject;
    const consent = (status = 200) => sendPage(ctx, status, consentPage({
      uid,
      clientName,
      userEmail: DEMO_USER.email,
      companies: dataset.companies,
      selected: dataset.bySubject.has(hint) ? hint : dataset.companies[0].subject,
      scopes: apiScopes,
    }));

    if (!action) {
      if (needsLogin) {
        return sendPage(ctx, 200, loginPage({
          uid, clientName, email: DEMO_USER.email, password: DEMO_USER.password,
        }));
      }
      return consent();
    }

    const form = new URLSearchParams(await readBody(ctx.req));

    if (action === 'login') {
      const email = form.get('email') ?? '';
      if (email.trim().toLowerCase() !== DEMO_USER.email || form.get('password') !== DEMO_USER.password) {
        return sendPage(ctx, 401, loginPage({
          uid, clientName, email, password: '', error: 'Wrong email or password.',
        }));
      }
      if (signedIn.size > 10_000) signedIn.clear(); // abandoned flows; never grows unbounded
      signedIn.set(uid, Date.now());
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uid}`);
    }

    // action === 'confirm'
    if (needsLogin) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uid}`);
    }
    let returnTo;
    const oidcScopes = requestedScopes.filter((s) => s === 'openid' || s === 'offline_access');
    if (form.get('decision') === 'deny') {
      returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'The user denied the connection',
      }, { mergeWithLastSubmission: false });
    } else if (!apiScopes.length && !oidcScopes.length) {
      // oidc-provider would answer a bare access_denied; say what is wrong.
      returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'invalid_scope',
        error_description: 'no Pleo scope was requested',
      }, { mergeWithLastSubmission: false });
    } else {
      const company = form.get('company');
      if (!dataset.bySubject.has(company)) return consent(400);
      // The chosen company is the connection's subject: the grant's accountId,
      // the tokens' sub and /v1/introspect's subjectURN.
      const grant = new provider.Grant({ accountId: company, clientId: params.client_id });
      if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
      if (apiScopes.length) {
        grant.addResourceScope(typeof params.resource === 'string' ? params.resource : resource, apiScopes.join(' '));
      }
      const grantId = await grant.save();
      returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: company },
        consent: { grantId },
      });
      // A browser session already signed in for another company would make
      // oidc-provider treat the new login as a different user and ask to sign
      // out first; move the session to the chosen company instead.
      if (details.session?.uid) {
        const session = await provider.Session.findByUid(details.session.uid);
        if (session && session.accountId !== company) {
          session.accountId = company;
          await session.persist();
        }
      }
    }
    signedIn.delete(uid);
    ctx.status = 303;
    return ctx.redirect(returnTo);
  }

  async function handleAdmin(ctx) {
    if (!isLoopback(ctx.req.socket.remoteAddress)) return sendJson(ctx, 403, { error: 'forbidden' });
    if (ctx.path === '/__standin/stats' && ctx.method === 'GET') return sendJson(ctx, 200, { ...stats });
    if (ctx.path === '/__standin/faults') {
      if (ctx.method === 'GET') return sendJson(ctx, 200, faults);
      if (ctx.method === 'DELETE') {
        setFaults(null);
        return sendJson(ctx, 200, faults);
      }
      if (ctx.method === 'POST' || ctx.method === 'PUT') {
        try {
          const text = await readBody(ctx.req);
          setFaults(text.trim() ? JSON.parse(text) : null);
        } catch (err) {
          return sendJson(ctx, 400, { error: 'invalid_request', error_description: err.message });
        }
        return sendJson(ctx, 200, faults);
      }
    }
    return sendJson(ctx, 404, { error: 'not_found' });
  }

  // Token-endpoint faults. Returns true when the request was answered here.
  async function injectTokenFault(ctx) {
    const f = faults;
    if (f.tokenDelayMs) await new Promise((r) => setTimeout(r, f.tokenDelayMs));
    const fail = (status, body, type = 'application/json; charset=utf-8') => {
      stats.faultsInjected += 1;
      ctx.status = status;
      ctx.set('cache-control', 'no-store');
      ctx.type = type;
      ctx.body = body;
      return true;
    };
    if (f.tokenStallRate && Math.random() < f.tokenStallRate) {
      stats.faultsInjected += 1;
      // Never answer: wait for the client to give up, the stall time to pass,
      // or the stand-in to close, then drop the connection.
      await new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          ctx.res.off('close', done);
          closing.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = f.tokenStallMs ? setTimeout(done, f.tokenStallMs) : undefined;
        ctx.res.once('close', done);
        closing.signal.addEventListener('abort', done, { once: true });
      });
      ctx.respond = false;
      ctx.req.socket.destroy();
      return true;
    }
    if (f.tokenFailureRate && Math.random() < f.tokenFailureRate) {
      return fail(503, JSON.stringify({
        error: 'temporarily_unavailable',
        error_description: 'stand-in: injected random failure',
      }));
    }
    if (f.tokenStatus) {
      return fail(f.tokenStatus, JSON.stringify({
        error: 'server_error',
        error_description: `stand-in: injected ${f.tokenStatus}`,
      }));
    }
    if (f.tokenHtmlError) {
      const status = f.tokenHtmlError === true ? 502 : f.tokenHtmlError;
      return fail(status, gatewayErrorPage(status, http.STATUS_CODES[status] ?? 'Error'), 'text/html; charset=utf-8');
    }
    if (f.tokenError200) {
      return fail(200, JSON.stringify({
        error: f.tokenError200 === true ? 'server_error' : f.tokenError200,
        error_description: 'stand-in: injected error body with status 200',
      }));
    }
    return false;
  }

  // Strips RFC 9207 `iss` from redirects to the client when the fault says so.
  function stripIss(ctx) {
    if (faults.issInCallback || ctx.status < 300 || ctx.status >= 400) return;
    const location = ctx.response.get('location');
    const url = location && URL.parse(location);
    if (!url || url.origin === issuerOrigin || !url.searchParams.has('iss')) return;
    url.searchParams.delete('iss');
    ctx.set('location', url.href);
    if (typeof ctx.body === 'string') ctx.body = `Redirecting to ${url.href}.`;
  }

  provider.use(async (ctx, next) => {
    if (!quiet) {
      const started = Date.now();
      ctx.res.once('finish', () => {
        console.error(`stand-in ${ctx.method} ${ctx.path} ${ctx.status} ${Date.now() - started}ms`);
      });
    }
    const { path } = ctx;
    if (path.startsWith('/__standin/')) return handleAdmin(ctx);
    if (path === '/interaction' || path.startsWith('/interaction/')) {
      try {
        return await handleInteraction(ctx);
      } catch (err) {
        // e.g. the interaction expired between showing the page and submitting it
        const expired = err.name === 'SessionNotFound';
        if (!expired) console.error('stand-in: interaction error:', err);
        return sendPage(ctx, expired ? 400 : 500, errorPage({
          title: expired ? 'This sign-in has expired' : 'Something went wrong',
          error: expired ? 'session_not_found' : 'server_error',
        }));
      }
    }
    if (!discovery && path.startsWith('/.well-known/')) return sendJson(ctx, 404, { error: 'not_found' });
    if (path === PATHS.introspection) stats.introspectionRequests += 1;
    if (path === PATHS.revocation) stats.revocationRequests += 1;
    if (path === PATHS.token && ctx.method === 'POST') {
      stats.tokenRequests += 1;
      stats.tokenInFlight += 1;
      stats.maxTokenInFlight = Math.max(stats.maxTokenInFlight, stats.tokenInFlight);
      try {
        if (await injectTokenFault(ctx)) return undefined;
        return await next();
      } finally {
        stats.tokenInFlight -= 1;
      }
    }
    await next();
    if (path.startsWith(PATHS.authorization)) stripIss(ctx);
    return undefined;
  });
  // Koa's own error event: log real failures, not clients that went away.
  provider.on('error', (err) => {
    if (err.expose || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    console.error('stand-in: error:', err);
  });

  authHandler = provider.callback();
  apiHandler = createApiHandler({
    provider,
    resource,
    dataset,
    stats,
    getFaults: () => faults,
    applicationName: 'Pleo OAuth demo',
  });

  const info = {
    issuer,
    authorizationEndpoint: `${issuer}${PATHS.authorization}`,
    tokenEndpoint: `${issuer}${PATHS.token}`,
    introspectionEndpoint: `${issuer}${PATHS.introspection}`,
    apiBaseUrl,
    clientId,
    clientSecret,
    redirectUris,
    scopes: [...SCOPES],
    revocationEndpoint: `${issuer}${PATHS.revocation}`,
    issParameterSupported: faults.issInCallback,
    companies: dataset.companies.map(({ subject, name }) => ({ subject, name })),
    user: { email: DEMO_USER.email, password: DEMO_USER.password },
    adminUrl: `${issuer}/__standin`,
  };

  function setFaults(partial) {
    if (partial === null) {
      faults = { ...FAULT_DEFAULTS };
    } else {
      faults = { ...faults, ...checkFaults(partial) };
    }
    return { ...faults };
  }

  let closed;
  function close() {
    closed ??= (async () => {
      closing.abort();
      store.close();
      await Promise.all([authServer, apiServer].map((server) => new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })));
    })();
    return closed;
  }

  return {
    info,
    setFaults,
    faults: () => ({ ...faults }),
    stats: () => ({ ...stats }),
    resetStats: () => { Object.assign(stats, newStats(), { tokenInFlight: stats.tokenInFlight }); },
    provider,
    close,
  };
}
