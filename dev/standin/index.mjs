// Local stand-in for Pleo's authorization server and API.
//
// A real OAuth 2.0 server (oidc-provider) configured to behave like Pleo:
// Pleo's endpoint paths, one confidential demo client that may only use
// client_secret_basic, PKCE S256 required, Pleo-style scopes on opaque access
// tokens, refresh tokens without offline_access that rotate on every use, and
// reuse of a rotated refresh token revoking the whole authorisation. Next to it
// a small API server with Pleo's paths and dummy data per company, plus fault
// injection and counters for tests and load tests.
//
// This file wires the parts together; the parts live in five rooms, each
// with an index.mjs that is its only door: oauth/ (the authorization server,
// sign-in and consent, token storage), api/ (the API server, pagination, the
// contract check, seeded companies), export/ (the v3 export workflow),
// webhooks/ (subscriptions and signed delivery) and runtime/ (journal,
// faults, counters, admin routes, settings). README.md has the file map.

import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";

import { createApiHandler, createContractCheck, createDataset, createReceiptSigner, DEMO_USER, SCOPES } from "./api/index.mjs";
import { exportAdminRoutes, exportControls, exportRoutes, openExportStore } from "./export/index.mjs";
import {
  countProviderEvents,
  createInteractionHandler,
  createProvider,
  createTokenStore,
  fleetAdminRoutes,
  installMiddleware,
  PATHS,
} from "./oauth/index.mjs";
import {
  createAdminHandler,
  createFaultSwitch,
  createSettings,
  listen,
  newStats,
  openJournal,
  resetStats,
  revokeAdminRoutes,
  snapshotStats,
} from "./runtime/index.mjs";
import { createWebhooks, subscriptionRoutes } from "./webhooks/index.mjs";

export { SCOPES, DEMO_USER };
// Drivers for tests and load tests: the sign-in and consent pages over HTTP,
// the whole token flow, and the stand-in in a child process.
export { completeAuthorization, CookieJar, obtainTokens, refreshTokens } from "./oauth/index.mjs";
export { freePort, startStandinProcess } from "./runtime/index.mjs";

export const DEFAULT_CLIENT_ID = "pleo-demo-client";
// A dummy secret for a local dev server: not a credential for anything real.
export const DEFAULT_CLIENT_SECRET = "pleo-demo-client-secret";
export const DEFAULT_REDIRECT_URIS = Object.freeze(["http://localhost:8787/auth/callback", "http://127.0.0.1:8787/auth/callback"]);

const DAY = 24 * 60 * 60;

// Signing, cookie and receipt-link keys: kept in the data directory when
// there is one, so sessions, cookies and receipt links survive a restart.
function loadKeys(journal) {
  const saved = journal.get("keys", "all");
  if (saved) return saved;
  const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  const keys = {
    signingKey: { ...signingKey, alg: "ES256", use: "sig", kid: randomUUID() },
    cookieKeys: [randomBytes(32).toString("base64url")],
    receiptKey: randomBytes(32).toString("base64url"),
  };
  journal.commit([["keys", "all", keys]]);
  return keys;
}

// Both ports must be known before the provider exists (the issuer and the
// resource indicator contain them), so listen first and attach handlers after.
async function bindServers({ port, apiPort, host }) {
  const handlers = {
    auth: (req, res) => {
      res.writeHead(503).end();
    },
    api: (req, res) => {
      res.writeHead(503).end();
    },
  };
  const authServer = http.createServer((req, res) => handlers.auth(req, res));
  const apiServer = http.createServer((req, res) => handlers.api(req, res));
  const urlHost = host.includes(":") ? `[${host}]` : host;
  try {
    const authPort = await listen(authServer, port, host);
    const apiPortBound = await listen(apiServer, apiPort, host);
    return {
      handlers,
      servers: [authServer, apiServer],
      issuer: `http://${urlHost}:${authPort}`,
      apiBaseUrl: `http://${urlHost}:${apiPortBound}`,
    };
  } catch (err) {
    authServer.close();
    apiServer.close();
    throw err;
  }
}

// The STANDIN_READY object: the first nine keys are the documented contract (dev/standin/README.md).
function readyInfo({ issuer, apiBaseUrl, clientId, clientSecret, redirectUris, dataset, issParameterSupported }) {
  return {
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
    issParameterSupported,
    companies: dataset.companies.map(({ subject, name }) => ({ subject, name })),
    user: { email: DEMO_USER.email, password: DEMO_USER.password },
    adminUrl: `${issuer}/__standin`,
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
 * @param {object} [opts.faults={}] initial faults, see runtime/faults.mjs
 * @param {boolean} [opts.quiet=true] false: log one line per request to stderr
 * @param {string} [opts.clientId] / [opts.clientSecret] override the demo client's credentials
 * @param {boolean} [opts.discovery=false] serve /.well-known/* (Pleo publishes none)
 * @param {string} [opts.dataDir] persist grants, tokens, keys, export jobs and
 *   subscriptions here (runtime/journal.mjs); none: memory only
 * @param {boolean} [opts.reset=false] with dataDir: start empty
 * @param {number} [opts.exportJobTtl=3600] seconds after its last update until a job expires
 * @param {number} [opts.webhookRetryMs=1000] first webhook retry delay (then ×4)
 * @param {number} [opts.webhookAttempts=5] webhook attempts per message
 * @param {number} [opts.companies=4] companies on the consent page (more for load tests)
 */
export async function startStandin(opts = {}) {
  const {
    port = 0,
    apiPort = 0,
    host = "127.0.0.1",
    redirectUris: extraRedirectUris = [],
    accessTtl = 900,
    refreshTtl = 60 * DAY,
    faults: initialFaults = {},
    quiet = true,
    clientId = DEFAULT_CLIENT_ID,
    clientSecret = DEFAULT_CLIENT_SECRET,
    discovery = false,
    dataDir,
    reset = false,
    companies,
  } = opts;

  if (!Number.isInteger(accessTtl) || accessTtl < 1) throw new TypeError("accessTtl must be a positive integer (seconds)");
  if (!Number.isInteger(refreshTtl) || refreshTtl < 1) throw new TypeError("refreshTtl must be a positive integer (seconds)");
  const faults = createFaultSwitch(initialFaults);
  const settings = createSettings(opts);
  const redirectUris = [...new Set([...DEFAULT_REDIRECT_URIS, ...extraRedirectUris.filter(Boolean)])];

  const stats = newStats();
  const dataset = createDataset({ companies });
  const closing = new AbortController();
  const journal = openJournal({ dir: dataDir, reset });
  const { handlers, servers, issuer, apiBaseUrl } = await bindServersOrCloseJournal({ port, apiPort, host }, journal);
  const store = createTokenStore(journal);
  const keys = loadKeys(journal);
  const resource = apiBaseUrl; // resource indicator of the API's access tokens

  const provider = await createProvider({
    issuer,
    resource,
    adapter: store.Adapter,
    keys,
    client: { id: clientId, secret: clientSecret, redirectUris },
    accessTtl,
    refreshTtl,
    dataset,
  });
  countProviderEvents(provider, stats);

  const { webhooks, exportStore, exportApi } = createExportSide({
    journal,
    dataset,
    stats,
    settings,
    faults,
    closing,
    keys,
    apiBaseUrl,
  });
  const contract = createContractCheck();
  attachHandlers({
    handlers,
    provider,
    issuer,
    resource,
    dataset,
    stats,
    faults,
    settings,
    closing,
    discovery,
    quiet,
    webhooks,
    exportStore,
    exportApi,
    contract,
    revokeSubject: store.revokeSubject,
  });

  const info = readyInfo({
    issuer,
    apiBaseUrl,
    clientId,
    clientSecret,
    redirectUris,
    dataset,
    issParameterSupported: faults.current().issInCallback,
  });

  return {
    info,
    setFaults: faults.set,
    faults: faults.get,
    stats: () => snapshotStats(stats),
    resetStats: () => resetStats(stats),
    setSettings: settings.set,
    settings: settings.get,
    ...exportControls(exportStore),
    /** Requests refused and answers sent that Pleo's documents do not allow (api/contract-check.mjs). */
    contractViolations: contract.violations,
    resetContractViolations: contract.reset,
    dataDir: dataDir ?? null,
    provider,
    close: closer({
      closing,
      store,
      servers,
      journal,
    }),
  };
}

// bindServers; a failure closes the journal (and releases its lock) first.
async function bindServersOrCloseJournal(where, journal) {
  try {
    return await bindServers(where);
  } catch (err) {
    journal.close();
    throw err;
  }
}

// Webhooks, the export workflow (a created job is announced by webhook) and its API routes.
function createExportSide({ journal, dataset, stats, settings, faults, closing, keys, apiBaseUrl }) {
  const webhooks = createWebhooks({
    journal,
    stats,
    settings: settings.webhookPolicy,
    closing: closing.signal,
  });
  const exportStore = openExportStore({
    journal,
    dataset,
    stats,
    ttlMs: settings.exportJobTtlMs,
    onJobCreated: (job) => webhooks.deliver(job.companyId, "v1.export-job.created", job),
  });
  const exportApi = exportRoutes({
    store: exportStore,
    receipts: createReceiptSigner(keys.receiptKey, apiBaseUrl, settings.receiptLinkTtlMs),
    apiBaseUrl,
    getFaults: faults.current,
    stats,
  });
  return { webhooks, exportStore, exportApi };
}

// The auth server (oidc-provider behind the middleware: admin, interactions)
// and the API server take over from bindServers' 503 placeholders.
function attachHandlers({
  handlers,
  provider,
  issuer,
  resource,
  dataset,
  stats,
  faults,
  settings,
  closing,
  discovery,
  quiet,
  webhooks,
  exportStore,
  exportApi,
  contract,
  revokeSubject,
}) {
  installMiddleware(provider, {
    issuer,
    stats,
    getFaults: faults.current,
    closing: closing.signal,
    discovery,
    quiet,
    admin: createAdminHandler({
      stats,
      getFaults: faults.get,
      setFaults: faults.set,
      routes: [
        ...exportAdminRoutes({ store: exportStore, getSettings: settings.get, setSettings: settings.set }),
        ...revokeAdminRoutes(revokeSubject),
        ...fleetAdminRoutes({
          provider,
          resource,
          dataset,
          issuer,
        }), // the fleet load test's fast path (oauth/fleet.mjs)
      ],
    }),
    interaction: createInteractionHandler({ provider, dataset, resource }),
  });
  handlers.auth = provider.callback();
  handlers.api = createApiHandler({
    provider,
    resource,
    dataset,
    stats,
    getFaults: faults.current,
    applicationName: "Pleo OAuth demo",
    routes: [...exportApi.routes, ...subscriptionRoutes({ webhooks })],
    publicRoutes: exportApi.publicRoutes,
    contract,
  });
}

// close(): once, however often called — stop retries and sweeps, then the
// servers, then the journal (no request writes into a closed journal).
function closer({ closing, store, servers, journal }) {
  let closed;
  return function close() {
    closed ??= (async () => {
      closing.abort();
      store.close();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      journal.close();
    })();
    return closed;
  };
}
