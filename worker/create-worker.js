// pleo-oauth/worker: the edge worker as a factory partners compose with
// their own code instead of forking it.
//
//   import { createWorker } from "pleo-oauth/worker";
//   const app = createWorker({ features: [myFeature], ledger: myLedger });
//   export const { ConnectionObject, DirectoryObject } = app;   // wrangler.toml binds these
//   export default app;                                          // { fetch }
//
// Route groups, in the order they are tried: the partner's `features`, then
// auth (/auth/*), api (/api/*), export (/export/*), webhooks (/webhooks/*),
// ops (/ops/*, only with OPS_TOKEN: routes/ops.js); anything else goes to
// the ASSETS binding. A feature is
//   { name, prefix?, handle?(ctx), requires?: [names], connection?: { methods, alarms, onConnect, onDisconnect } }
// (README "Features"). Export (export/index.js) and webhooks
// (webhooks/index.js) are features like a partner's: each owns its routes
// and its part of the connection object, and they talk only through the
// connection's methods, so `builtins` may drop either.
import { loadConfig } from "./config/settings.js";
import { WorkerError, errorResponse, withSecurityHeaders } from "./http/responses.js";
import { AccessCache, accessCacheTtlMs } from "./session/access-cache.js";
import { createConnections } from "./store/connections.js";
import { authRoutes } from "./routes/auth.js";
import { apiRoutes } from "./routes/api.js";
import { exportFeature } from "./export/index.js";
import { webhooksFeature } from "./webhooks/index.js";
import { opsRoutes } from "./routes/ops.js";
import { defineConnectionObject } from "./store/connection/object.js";
import { DirectoryObject } from "./store/directory-object.js";
import { NO_LEDGER_MESSAGE, checkFeatures, checkWorkerOptions, ledgerKind } from "./config/options.js";

export { createConnections } from "./store/connections.js";
export { DirectoryObject } from "./store/directory-object.js";
export { WorkerError, errorResponse, jsonResponse } from "./http/responses.js";
export { checkCsrf, readSession, requireSession, selectCompany } from "./session/sessions.js";
export { API_ALLOW_LIST } from "./pleo/api-allow-list.js";
export { requireCompanyAccess } from "./session/company-access.js";

export const BUILTIN_FEATURES = [authRoutes, apiRoutes, exportFeature, webhooksFeature, opsRoutes];

/**
 * @param {object} [options]
 * @param {Array}  [options.features]  the partner's features (routes and connection parts), tried first
 * @param {Array}  [options.builtins]  replaces BUILTIN_FEATURES (e.g. to drop export)
 * @param {object} [options.ledger]    the partner's ledger (exports need one, or demoLedger: true, or PLEO_ENV=local)
 * Unknown options are refused (config/options.js). All options reach features as `ctx.app.options` and `conn.options`.
 */
export function createWorker(options = {}) {
  checkWorkerOptions(options);
  const features = [...(options.features ?? []), ...(options.builtins ?? BUILTIN_FEATURES)];
  checkFeatures(features); // names unique, `requires` met: a missing dependency fails here, not at the first request
  const exportsOn = features.includes(exportFeature);
  const featureNames = new Set(features.map((f) => f.name));
  /** Is the feature named `name` in this worker? (routes ask before calling a feature's methods) */
  const hasFeature = (name) => featureNames.has(name);
  let ledgerLogged = false;
  /** Exports without a ledger refuse to serve; the ledger in use is logged once per isolate. */
  function checkLedger(env) {
    if (!exportsOn) return;
    const kind = ledgerKind(options, env);
    if (!ledgerLogged) {
      ledgerLogged = true;
      if (kind)
        console.log(
          `worker: export ledger=${kind === "partner" ? "partner (createWorker({ ledger }))" : kind === "demo" ? "demo (D1, demoLedger: true)" : "demo (PLEO_ENV=local)"}`,
        );
      else console.error(`worker: ${NO_LEDGER_MESSAGE}`);
    }
    if (!kind) throw new WorkerError(500, "server_misconfigured", NO_LEDGER_MESSAGE);
  }
  const routeGroups = features.filter((f) => typeof f.handle === "function" && typeof f.prefix === "string");
  const cache = new AccessCache();
  const ConnectionObject = defineConnectionObject(features, options);

  async function route(request, env, executionCtx) {
    const url = new URL(request.url);
    const { pathname } = url;
    const group = routeGroups.find((g) => pathname.startsWith(g.prefix));
    // The callback path comes from PLEO_REDIRECT_URI; loadConfig only when needed.
    const config = group || pathname.startsWith("/auth/") || pathname === "/api" ? loadConfig(env) : null;
    if (config) checkLedger(env);
    const callbackHere = config && pathname === config.callbackPath;
    if (group || callbackHere) {
      const app = { cache, cacheTtlMs: accessCacheTtlMs(env), options, hasFeature, connections: createConnections(env) };
      const ctx = { request, url, env, config, app, executionCtx };
      return (callbackHere ? authRoutes : group).handle(ctx);
    }
    if (config) return errorResponse(404, "not_found", "No such route.");
    if (request.method !== "GET" && request.method !== "HEAD")
      return errorResponse(405, "method_not_allowed", "Static files are read-only.");
    if (!env.ASSETS) return errorResponse(404, "not_found", "No such file.");
    return env.ASSETS.fetch(request);
  }

  return {
    ConnectionObject,
    DirectoryObject,
    features,
    /** The worker-side API for background work: connections(env).use(subject, fn), .list(). */
    connections: createConnections,
    async fetch(request, env, executionCtx) {
      let response;
      try {
        response = await route(request, env, executionCtx);
      } catch (err) {
        if (err instanceof WorkerError) {
          response = errorResponse(err.status, err.code, err.message);
        } else {
          // Names and codes only: a message could in theory echo input.
          console.error("worker error:", err?.name, err?.code ?? "");
          response = errorResponse(500, "internal_error", "The worker failed unexpectedly.");
        }
      }
      // Responses from fetch()/bindings (ASSETS) have immutable headers and
      // are copied first; the worker's own responses are changed in place
      // (one stream wrapper less on the API hot path).
      let final = response;
      try {
        withSecurityHeaders(final.headers);
      } catch {
        final = new Response(response.body, response);
        withSecurityHeaders(final.headers);
      }
      const path = new URL(request.url).pathname;
      if (/^\/(auth|api|export|webhooks|ops)(\/|$)/.test(path)) final.headers.set("Cache-Control", "no-store");
      return final;
    },
  };
}
