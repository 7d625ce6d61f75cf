// The scopes the export runner needs, and what a 403 from Pleo's export API
// means: the company's token lacks one of them. Retrying cannot help until the
// company reconnects with them, so the runner stops backing off and says so
// in words a partner can act on (issue #16, item 11), instead of
// "pleo_unavailable".

/** Pleo's scopes for the export workflow (list and claim jobs, read items, report results). */
export const EXPORT_SCOPES = ["export-jobs:read", "export-jobs:write", "export-items:read"];

/** Remembered in the company's object while the token lacks an export scope (cleared by the next good look-up). */
export const MISSING_SCOPE_KEY = "export:missingScope";

/** The export scopes `granted` lacks (a `resource:*` grant counts for the resource). */
export function missingExportScopes(granted) {
  const have = new Set(Array.isArray(granted) ? granted : []);
  return EXPORT_SCOPES.filter((scope) => !have.has(scope) && !have.has(`${scope.slice(0, scope.indexOf(":"))}:*`));
}

export function missingScopeMessage(scopes) {
  const list = (scopes.length ? scopes : EXPORT_SCOPES).join(" ");
  return `Pleo refused the export API (403): this company's connection lacks the scope(s) ${list}. Add them to PLEO_SCOPES and reconnect the company.`;
}

/** Pleo's 403 on an export request, as the core reports it. */
export const isAccessDenied = (err) => err?.name === "OAuthError" && err.code === "access_denied";
