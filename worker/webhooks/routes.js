// POST /webhooks/pleo/<company>: Standard Webhooks deliveries from Pleo
// (worker/README.md "Routes", issue #11). The subscription URL names the company
// (its subject URN, URL-encoded), so the raw body goes, unparsed, to that
// company's connection object (the webhooks feature's receiveWebhook method,
// connection.js), which holds the subscription secret, verifies the
// signature and timestamp, drops repeated webhook-ids and asks the export
// feature, when it is on, for a look-up. The answer comes as soon as that is recorded (a few ms);
// the look-up and the run continue in the object's alarm.
//   2xx  accepted, or a repeat of a webhook-id already accepted (nothing done)
//   401  signature or timestamp refused, or no secret on record to check it (nothing done)
//   410  the company is not connected here (nothing done; the directory is asked
//        first, so no Durable Object is created for an unknown company)
//   413  body over 256 KiB
// No session and no CSRF header: the signature is the authentication.
import { errorResponse, jsonResponse } from "../http/responses.js";
import { SUBJECT } from "../store/connections.js";
import { readRequestBody } from "../http/read-body.js";
import { directory } from "../store/client.js";

const MAX_BODY_BYTES = 256 * 1024;
const HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"];

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// Log lines carry the company and webhook-id (neither is a secret), cleaned
// so a forged header cannot inject log lines.
const printable = (s) =>
  String(s ?? "-")
    .replace(/[^\w.:-]/g, "?")
    .slice(0, 80);

function log(company, id, outcome, started) {
  console.log(`webhook: company=${printable(company)} id=${printable(id)} outcome=${outcome} ms=${Date.now() - started}`);
}

async function receive(ctx, encodedCompany) {
  const { request, app } = ctx;
  const started = Date.now();
  let company;
  try {
    company = decodeURIComponent(encodedCompany);
  } catch {
    company = "";
  }
  const id = request.headers.get("webhook-id");
  if (!SUBJECT.test(company)) {
    log(encodedCompany, id, "unknown_company", started);
    return errorResponse(410, "not_connected", "No such company is connected here.");
  }
  // Ask the directory first: addressing the company's object would create a
  // Durable Object (and a SQLite file) for every random id (issue #16).
  if (!(await directory(ctx.env).isConnected({ subject: company }))) {
    await request.body?.cancel().catch(() => {});
    log(company, id, "not_connected", started);
    return errorResponse(410, "not_connected", "No such company is connected here.");
  }
  let bytes;
  try {
    bytes = await readRequestBody(request, MAX_BODY_BYTES);
  } catch (err) {
    if (err?.code !== "body_too_large") throw err;
    log(company, id, "body_too_large", started);
    return errorResponse(413, "body_too_large", "The webhook body is too large.");
  }
  const headers = {};
  for (const name of HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const result = await app.connections.call(company, "receiveWebhook", { headers, body: toBase64(bytes) });
  log(company, result?.id ?? id, result?.outcome, started);
  switch (result?.outcome) {
    case "accepted":
      return jsonResponse({ received: true }, 200);
    case "duplicate":
      return jsonResponse({ received: true, duplicate: true }, 200);
    case "not_connected":
      return errorResponse(410, "not_connected", "No such company is connected here.");
    default:
      // invalid_webhook, webhook_timestamp_out_of_range, webhook_signature_mismatch
      return errorResponse(401, "webhook_rejected", `The webhook was refused (${result?.outcome}).`);
  }
}

/** The /webhooks/* routes. */
export function handleWebhook(ctx) {
  const m = /^\/webhooks\/pleo\/([^/]+)$/.exec(ctx.url.pathname);
  if (!m) return errorResponse(404, "not_found", "No such route.");
  if (ctx.request.method !== "POST") return errorResponse(405, "method_not_allowed", "Use POST.", { Allow: "POST" });
  return receive(ctx, m[1]);
}
