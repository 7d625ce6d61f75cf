// A partner's ledger answers in its own code: a wrong shape there must be
// loud, not a silent "every item failed" (issue #16, item 13). This names the
// first field that is wrong, for one clear log line per batch; the runner
// still reports what normaliseLedgerResults makes of the answer.

const STATUSES = new Set(["successful", "failed"]);

/**
 * @param {{accountingEntryId: string}[]} entries the batch handed to `book`
 * @param {unknown} results what `book` resolved to
 * @returns {string|null} the first problem found, e.g. `results[3].externalId is missing`, or null
 */
export function ledgerResultProblem(entries, results) {
  if (!Array.isArray(results)) return `book() must resolve to an array of results, got ${kind(results)}`;
  const ids = new Set(entries.map((e) => e.accountingEntryId));
  const seen = new Set();
  for (const [i, r] of results.entries()) {
    const at = `results[${i}]`;
    if (!r || typeof r !== "object") return `${at} is ${kind(r)}, not an object`;
    if (typeof r.accountingEntryId !== "string") return `${at}.accountingEntryId is ${kind(r.accountingEntryId)}, not a string`;
    if (!ids.has(r.accountingEntryId)) return `${at}.accountingEntryId is not an entry of this batch`;
    seen.add(r.accountingEntryId);
    if (!STATUSES.has(r.status)) return `${at}.status is ${JSON.stringify(r.status ?? null)}, not "successful" or "failed"`;
    if (r.status === "successful" && (typeof r.externalId !== "string" || !r.externalId)) {
      return `${at}.externalId is ${kind(r.externalId)}; a successful result needs a non-empty string`;
    }
  }
  const missing = entries.length - [...ids].filter((id) => seen.has(id)).length;
  if (missing > 0) return `${missing} of ${entries.length} entries have no result`;
  return null;
}

function kind(value) {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? (value ? "a string" : "an empty string") : `a ${typeof value}`;
}
