// Background access to company connections, without any browser: export
// jobs, webhook handlers, cron triggers. Every call goes through the
// company's Durable Object, so it shares the one refresh at a time with the
// browsers using the same company.
//
//   const connections = createConnections(env);
//   await connections.use("urn:pleo:company:…", async ({ api }) => (await api("/v1/companies")).json());
//   await connections.list();   // [{ subject, name, status, updatedAt }]
import { loadConfig } from "../config/settings.js";
import { WorkerError } from "../http/responses.js";
import { apiFetch } from "../pleo/pleo-http.js";
import { companyObject, directory } from "./client.js";

// The name check and the stub live with the typed client (client.js);
// SUBJECT and connectionStub stay importable from here.
export { SUBJECT, connectionStub } from "./client.js";

/**
 * `api(path, init)` for trusted worker code: fetches `path` on the Pleo API
 * base with the company's bearer token; on a 401 it refreshes once (unless
 * someone already has) and retries. Returns the fetch Response as is.
 * `getToken(rejected)` returns a token, refreshing when `rejected` is the current one.
 */
export function apiCaller(config, getToken, firstToken) {
  let token = firstToken;
  return async function api(path, init = {}) {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
      throw new WorkerError(500, "invalid_api_path", "api() takes a path on the Pleo API base, starting with one slash.");
    }
    const base = new URL(config.apiBaseUrl);
    const url = new URL(`${base.pathname.replace(/\/+$/, "")}${path}`, base);
    if (url.origin !== base.origin) throw new WorkerError(500, "invalid_api_path", "api() stays on the Pleo API host.");
    const headers = { Accept: "application/json", ...(init.headers ?? {}) };
    const send = (accessToken) =>
      apiFetch(url, { method: init.method ?? "GET", accessToken, headers, body: init.body, timeoutMs: init.timeoutMs ?? config.timeoutMs });
    token ??= await getToken(null);
    let response = await send(token);
    if (response.status === 401) {
      await response.body?.cancel();
      token = await getToken(token);
      response = await send(token);
    }
    return response;
  };
}

export function createConnections(env) {
  return {
    /** Runs fn({ subject, accessToken, api }) with the company's token (refreshed single-flight when due). */
    async use(subject, fn) {
      const company = companyObject(env, subject);
      const getToken = async (rejected = null) => (await company.token({ rejectedToken: rejected })).accessToken;
      const accessToken = await getToken();
      return fn({ subject, accessToken, api: apiCaller(loadConfig(env), getToken, accessToken) });
    },
    /** Every connected company the directory knows: [{ subject, name, status, updatedAt }]. */
    list() {
      return directory(env).list();
    },
    /** The company's connection as the browser may see it (no tokens), or null. */
    async describe(subject) {
      return (await companyObject(env, subject).describe())?.connection ?? null;
    },
    /** Calls a method a feature added to the connection object (see README "Extending"). */
    call(subject, method, ...args) {
      return companyObject(env, subject).call(method, ...args);
    },
    /** Ends the company's connection for everyone. */
    disconnect(subject) {
      return companyObject(env, subject).disconnect();
    },
  };
}
