// pleo-oauth/client: a tiny browser entry for pages that talk to the
// pleo-oauth edge worker (no wasm, no tokens: the worker holds them).
// Every state-changing call and every API call carries the X-Requested-With
// header the worker's CSRF check requires; cookies go same-origin only.

/** An error answer of the worker: `{ error, message }` plus the HTTP status. */
export class WorkerRequestError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = "WorkerRequestError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// A page on another origin is not supported: the worker's cookies are
// `__Host-`, SameSite=Strict, and it never answers CORS. Serve the page from
// the worker's origin (its ASSETS binding, or a route that proxies /auth,
// /api and /export to it). The former `baseUrl` option is refused loudly
// rather than failing later in the browser (issue #16).
export function createClient(options = {}) {
  if (Object.hasOwn(options, "baseUrl")) {
    throw new TypeError(
      "pleo-oauth/client: `baseUrl` is not supported. The worker's session cookie is same-origin only (SameSite=Strict, no CORS): serve your page from the worker's origin.",
    );
  }
  const { fetch: fetchImpl = globalThis.fetch.bind(globalThis), companyHeader = "X-Pleo-Company" } = options;
  const base = "";

  async function call(path, { method = "GET", company, body, headers = {}, raw = false } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
    if (method !== "GET" || path.startsWith("/api/") || path.startsWith("/export/")) init.headers["X-Requested-With"] = "pleo-oauth-client";
    if (company) init.headers[companyHeader] = company;
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers["Content-Type"] ??= "application/json";
    }
    const response = await fetchImpl(`${base}${path}`, init);
    if (raw) return response;
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      throw new WorkerRequestError(
        response.status,
        data?.error ?? "http_error",
        data?.message ?? `HTTP ${response.status}`,
        retry === null ? undefined : Number(retry),
      );
    }
    return data;
  }

  return {
    /** GET /auth/session: { connected, connections: [{ subject, name, status, … }], … } */
    session: () => call("/auth/session"),
    /** Where "Connect to Pleo" (or Reconnect, with `company`) should navigate. */
    connectUrl({ returnTo = "/", company } = {}) {
      const params = new URLSearchParams({ return_to: returnTo });
      if (company) params.set("company", company);
      return `${base}/auth/login?${params}`;
    },
    /** A Pleo API call through the worker, e.g. api("/v2/employees", { company }). */
    api: (path, opts = {}) => call(`/api${path.startsWith("/") ? path : `/${path}`}`, opts),
    refresh: ({ company } = {}) => call("/auth/refresh", { method: "POST", company }),
    logout: () => call("/auth/logout", { method: "POST" }),
    disconnect: ({ company } = {}) => call("/auth/disconnect", { method: "POST", company }),
    exportJobs: ({ company } = {}) => call("/export/jobs", { company }),
    exportJob: (id, { company } = {}) => call(`/export/jobs/${encodeURIComponent(id)}`, { company }),
    runExport: ({ company } = {}) => call("/export/run", { method: "POST", company }),
    exportCsvUrl: (id, { company } = {}) =>
      `${base}/export/jobs/${encodeURIComponent(id)}/entries.csv${company ? `?company=${encodeURIComponent(company)}` : ""}`,
  };
}
