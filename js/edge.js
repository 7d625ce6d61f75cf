// Server and edge additions of pleo-oauth: Standard Webhooks verification and
// Pleo's export core. Exported by the node and workerd entries and by
// `pleo-oauth/edge`; the browser entry stays OAuth-only (smaller download).
// Like api.js, this file only moves values: every decision is made in Rust
// (src/webhook.rs, src/export/). It crosses the boundary the way api.js does
// (docs/BOUNDARY.md) and with api.js's own code: records via `decode` /
// `put*` / `take*`, errors through `call`, which turns the core's error
// record (grown by `retryAfterMs`) into an OAuthError. JSON crosses only
// where the value is a JSON document: the run state, entries' raw text,
// webhook payloads and Pleo's answers.
import { OAuthError, call, decode, putList, putNum, putObject, putStr, takeRequest, time, wellFormed } from "./api.js";
import {
  exportRequest,
  exportResponse,
  exportRunDelivered as exportRunDelivered_,
  exportRunFeed as exportRunFeed_,
  exportRunNext as exportRunNext_,
  exportRunStart as exportRunStart_,
  verifyWebhookBytes,
  verifyWebhookText,
} from "./pleo_oauth.js";

const invalid = (code, message) => new OAuthError({ code, message });

// ---- webhooks ----

const WEBHOOK_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/** The three Standard Webhooks headers from a Headers-like object or a plain record (names case-insensitive). */
function webhookHeaders(headers) {
  if (headers === null || typeof headers !== "object") {
    throw invalid("invalid_input", "headers must be a Headers object or a record of strings");
  }
  const found = [undefined, undefined, undefined];
  if (typeof headers.get === "function") {
    for (let i = 0; i < 3; i++) {
      const v = headers.get(WEBHOOK_HEADERS[i]);
      if (v !== null && v !== undefined) found[i] = v;
    }
  } else {
    for (const name of Object.keys(headers)) {
      const i = WEBHOOK_HEADERS.indexOf(name.length === 10 || name.length === 17 ? name.toLowerCase() : "");
      if (i < 0) continue;
      const v = headers[name];
      if (v === undefined || v === null) continue;
      // The same header twice under different spellings is ambiguous.
      if (found[i] !== undefined && found[i] !== v) throw invalid("invalid_webhook", `${WEBHOOK_HEADERS[i]} is given twice`);
      found[i] = v;
    }
  }
  for (let i = 0; i < 3; i++) {
    const v = found[i];
    if (v !== undefined && typeof v !== "string") throw invalid("invalid_webhook", `${WEBHOOK_HEADERS[i]} must be a string`);
  }
  if (found[0] !== undefined && !wellFormed(found[0])) throw invalid("invalid_webhook", "webhook-id contains a lone UTF-16 surrogate");
  return found;
}

/**
 * Verifies a Standard Webhooks delivery (as Pleo signs them) and parses its body.
 * See js/edge.d.ts and docs/WEBHOOKS.md.
 */
export function verifyWebhook(input) {
  if (input === null || typeof input !== "object") throw invalid("invalid_input", "verifyWebhook takes { headers, body, secret }");
  const { body, secret, now, toleranceSeconds } = input;
  if (typeof secret !== "string") throw invalid("invalid_input", "secret must be a string");
  const [id, timestamp, signature] = webhookHeaders(input.headers);
  let bytes;
  if (typeof body === "string") {
    // Signed over the UTF-8 bytes; a lone surrogate has none, so it cannot be verified.
    if (!wellFormed(body)) throw invalid("invalid_webhook", "the webhook body contains a lone UTF-16 surrogate");
  } else if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  } else {
    throw invalid("invalid_input", "body must be the raw body as a string or Uint8Array");
  }
  const n = time(now);
  const t = time(toleranceSeconds);
  const record = call(() =>
    bytes === undefined
      ? verifyWebhookText(secret, id, timestamp, signature, body, n, t)
      : verifyWebhookBytes(secret, id, timestamp, signature, bytes, n, t),
  );
  // [timestamp, type]: type absent when the payload has none.
  const [seconds, type] = decode(record);
  const result = { id, timestamp: Number(seconds) };
  if (type !== undefined) result.type = type;
  // The core checked that a byte body is UTF-8 JSON.
  result.payload = JSON.parse(bytes === undefined ? body : new TextDecoder().decode(bytes));
  return result;
}

// ---- exports (Pleo's v3 export-job workflow; docs/EXPORT-CORE.md) ----

// Options and results cross as records in the field order of
// src/export/js/read.rs (REQUEST_OPTIONS, ITEM_REPORT, RUN_OPTIONS, LEDGER_RESULT);
// the run state as the JSON document it is.
/** A list of objects, each written by `put`. */
function putObjects(v, put) {
  if (v === undefined || v === null) return "-";
  if (!Array.isArray(v)) return "!";
  let out = "[";
  for (const item of v) out += put(item);
  return `${out}]`;
}
const putItemReport = (i) =>
  putObject(
    i,
    (i) =>
      putStr(i.accountingEntryId) +
      putStr(i.status) +
      putStr(i.exportedAt) +
      putStr(i.externalId) +
      putStr(i.externalUrl) +
      putStr(i.failureReason) +
      putStr(i.failureReasonType),
  );
const putRequestOptions = (o) =>
  putObject(
    o,
    (o) =>
      putStr(o.apiBaseUrl) +
      putStr(o.after) +
      putStr(o.before) +
      putNum(o.limit) +
      putStr(o.companyId) +
      putStr(o.jobId) +
      putList(o.statuses) +
      putStr(o.event) +
      putStr(o.failureReason) +
      putStr(o.failureReasonType) +
      putStr(o.status) +
      putObjects(o.items, putItemReport),
  );
const putRunOptions = (o) =>
  putObject(
    o,
    (o) =>
      putStr(o.apiBaseUrl) +
      putStr(o.jobId) +
      putStr(o.companyId) +
      putStr(o.jobStatus) +
      putNum(o.pageSize) +
      putNum(o.reportBatch) +
      putNum(o.keepAliveMs) +
      putNum(o.maxAttempts) +
      putNum(o.seed),
  );
// A LedgerResult has an ItemReport's fields in its order (src/export/js/read.rs).
const putLedgerResult = putItemReport;

/** The run state, a JSON document by contract (the host persists it). */
function json(value, name) {
  let text;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch {
    throw invalid("invalid_input", `${name} is not a plain object`);
  }
  return text === undefined ? "null" : text;
}

/** `Retry-After` from a Headers-like object or a plain record (name case-insensitive). */
function retryAfter(headers) {
  if (headers === null || headers === undefined || typeof headers !== "object") return undefined;
  if (typeof headers.get === "function") return headers.get("retry-after") ?? undefined;
  for (const name of Object.keys(headers)) {
    if (name.length === 11 && name.toLowerCase() === "retry-after") {
      const v = headers[name];
      return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
    }
  }
  return undefined;
}

function response(res) {
  if (res === null || typeof res !== "object") throw invalid("invalid_input", "res must be { status, headers?, body }");
  const body = res.body === undefined || res.body === null ? "" : res.body;
  if (typeof body !== "string") throw invalid("invalid_input", "res.body must be a string");
  if (!wellFormed(body)) throw invalid("invalid_input", "res.body contains a lone UTF-16 surrogate");
  return [typeof res.status === "number" ? res.status : NaN, retryAfter(res.headers), body];
}

const REQUEST_KINDS = ["listJobs", "getJob", "jobEvent", "jobItems", "exportItems", "updateItems"];

/** Request builders for every export call: plain { method, url, headers, body? } without the bearer token. */
export const exportRequests = Object.freeze(
  Object.fromEntries(
    REQUEST_KINDS.map((kind) => [
      kind,
      (opts) => {
        const o = putRequestOptions(opts);
        return takeRequest(decode(call(() => exportRequest(kind, o, time(opts?.now)))));
      },
    ]),
  ),
);

/** Validators of the export API's answers; they throw OAuthError with the export codes. */
export const exportResponses = Object.freeze(
  Object.fromEntries(
    REQUEST_KINDS.map((kind) => [
      kind,
      (res) => {
        const [status, retry, body] = response(res);
        const out = JSON.parse(call(() => exportResponse(kind, status, retry, body)));
        return kind === "jobEvent" ? undefined : out;
      },
    ]),
  ),
);

/** A new export run for one job: the state to persist. */
export function exportRunStart(opts) {
  const o = putRunOptions(opts);
  return JSON.parse(call(() => exportRunStart_(o, time(opts?.now))));
}

const counts = ([successful, failed, reportErrors, skipped]) => ({
  successful: Number(successful),
  failed: Number(failed),
  reportErrors: Number(reportErrors),
  skipped: Number(skipped),
});

/** An action record (src/export/js/write.rs `write_action`) as the ExportAction object. */
function takeAction([type, a, b, c]) {
  if (type === "request") return { type, purpose: a, request: takeRequest(b) };
  if (type === "deliver") return { type, entries: a.map(([accountingEntryId, json]) => ({ accountingEntryId, json })) };
  if (type === "wait") return { type, until: Number(a), reason: b };
  const done = { type, status: a, counts: counts(b) };
  if (c !== undefined) done.error = { code: c[0], message: c[1] };
  return done;
}

/** The next action of a run: { state, action }. Persist `state` before doing `action`. */
export function exportRunNext(state, now) {
  const s = json(state, "state");
  const [next, action] = decode(call(() => exportRunNext_(s, time(now))));
  return { state: JSON.parse(next), action: takeAction(action) };
}

/** Feeds the API's answer to the last request action; returns the new state. */
export function exportRunFeed(state, res, now) {
  const s = json(state, "state");
  const [status, retry, body] = response(res);
  return JSON.parse(call(() => exportRunFeed_(s, status, retry, body, time(now))));
}

/** Feeds the ledger's results for the last deliver action; returns the new state. */
export function exportRunDelivered(state, results, now) {
  const s = json(state, "state");
  const r = putObjects(results, putLedgerResult);
  return JSON.parse(call(() => exportRunDelivered_(s, r, time(now))));
}
