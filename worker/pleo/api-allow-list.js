// /api/<path> → the configured Pleo API base, for an allow-list of paths only.
import { WorkerError } from "../http/responses.js";

/**
 * Pleo API paths the demo may reach (prefix match on whole segments), with
 * the methods allowed on each. Everything else is refused with 403.
 * The export API is read-only here: the worker owns the export workflow, and
 * a browser that could POST jobs or PUT item results could mark entries
 * exported with made-up vouchers, which a resumed run then skips (issue #16).
 * A partner passes its own list as `createWorker({ apiAllowList })`.
 */
export const API_ALLOW_LIST = [
  { path: "/v1/introspect", methods: ["GET"], exact: true },
  { path: "/v1/companies", methods: ["GET"] },
  { path: "/v2/employees", methods: ["GET"] },
  { path: "/v3/export-jobs", methods: ["GET"] },
  { path: "/v3/export-items", methods: ["GET"] },
  { path: "/v1/accounts", methods: ["GET"] },
  { path: "/v1/tax-codes", methods: ["GET"] },
  { path: "/v1/tag-groups", methods: ["GET"] },
  { path: "/v1/teams", methods: ["GET"] },
];

// One path segment: unreserved characters only. No "%" at all (so no encoded
// "..", "/" or "\"), no ":" (no schemes), no "\" and no empty segments ("//").
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

function forbidden(message) {
  return new WorkerError(403, "path_not_allowed", message);
}

/**
 * Validates the part after "/api" of the (already URL-normalised) request
 * path and returns the upstream URL on the API base's origin.
 */
export function upstreamUrl(apiBaseUrl, apiPath, method, search, allowList = API_ALLOW_LIST) {
  if (!apiBaseUrl) throw new WorkerError(500, "server_misconfigured", "No Pleo API base URL is configured.");
  if (apiPath.length > 512) throw forbidden("The API path is too long.");
  if (!apiPath.startsWith("/")) throw forbidden("The API path must start with a slash.");
  const segments = apiPath.slice(1).split("/");
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw forbidden("The API path contains a character or segment that is not allowed.");
    }
  }
  const entry = allowList.find((rule) =>
    rule.exact ? apiPath === rule.path : apiPath === rule.path || apiPath.startsWith(`${rule.path}/`),
  );
  if (!entry) throw forbidden("This Pleo API path is not on the worker's allow-list.");
  if (!entry.methods.includes(method)) {
    throw new WorkerError(405, "method_not_allowed", `${method} is not allowed on this Pleo API path.`);
  }
  const base = new URL(apiBaseUrl);
  const target = new URL(base.href);
  target.pathname = `${base.pathname.replace(/\/+$/, "")}${apiPath}`;
  target.search = search;
  target.hash = "";
  // Belt and braces: the result must stay on the configured API origin.
  if (target.origin !== base.origin) throw forbidden("The API path leaves the Pleo API host.");
  return target;
}
