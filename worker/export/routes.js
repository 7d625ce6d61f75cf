// /export/*: the selected company's export jobs (worker/README.md "Routes"). The
// routes ask the company's object through the export feature's connection
// methods (connection.js); the feature is index.js.
//
//   GET  /export/jobs                      { jobs: [{id, status, numberOfItems, exported, failed, startedAt, completedAt, …}] }
//   POST /export/run                       202 { started, jobId }
//   GET  /export/jobs/<id>                 { id, status, …, items: [{accountingEntryId, status, externalId, failureReason, failureReasonType, date, supplier, amount, …}] }
//   GET  /export/jobs/<id>/entries.csv     text/csv, one row per accounting entry
//   GET  /export/jobs/<id>/receipts        { receipts: [{accountingEntryId, index, type, size, sha256, href}] }; GET <href> → the bytes
//   GET/PUT /export/ledger/chart           the demo ledger's accounts and tax codes (export/ledger-chart-route.js)
//   POST /export/dev/create-job            stand-in only (PLEO_ENV=local with STANDIN_ADMIN_URL):
//                                          what a Pleo user's "Export" button does, for the demo
//
// Every route needs a session holding the company (401/403); POST routes the
// CSRF header. The browser never sees a token, the webhook secret or the
// stand-in's admin URL.
import { WorkerError, errorResponse, jsonResponse } from "../http/responses.js";
import { requireCompanyAccess } from "../session/company-access.js";
import { renderEntriesCsv } from "./csv.js";
import { ledgerChart } from "./ledger-chart-route.js";
import { isReceiptsPath, receiptsRoute } from "./receipts-route.js";
import { JOB_ID } from "./job-store.js";
import { readRequestJson } from "../http/read-body.js";

const MAX_DEMO_ENTRIES = 1000;

const companyFor = (ctx, { csrf = false } = {}) => requireCompanyAccess(ctx, { csrf });

const call = (ctx, subject, method, arg) => ctx.app.connections.call(subject, method, arg);

async function jobs(ctx) {
  const { session, subject } = await companyFor(ctx);
  return jsonResponse(await call(ctx, subject, "exportJobs", { sid: session.sid }), 200, { "X-Pleo-Company": subject });
}

async function run(ctx) {
  const { session, subject } = await companyFor(ctx, { csrf: true });
  const result = await call(ctx, subject, "runExport", { sid: session.sid });
  if (result?.retryAfterMs !== undefined) {
    // worker/README.md: a 429 from Pleo is passed on with its Retry-After (the look-up is retried in the background too).
    return errorResponse(429, "pleo_rate_limited", "Pleo asks to slow down; the worker looks again shortly.", {
      "Retry-After": String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))),
      "X-Pleo-Company": subject,
    });
  }
  return jsonResponse(result, 202, { "X-Pleo-Company": subject });
}

async function job(ctx, jobId, csv) {
  const { session, subject } = await companyFor(ctx);
  const found = await call(ctx, subject, "exportJob", { sid: session.sid, jobId });
  if (!found) return errorResponse(404, "not_found", "No such export job for this company.");
  if (!csv) return jsonResponse(found, 200, { "X-Pleo-Company": subject });
  return new Response(renderEntriesCsv(found.items), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="pleo-export-${jobId}.csv"`,
      "Cache-Control": "no-store",
      "X-Pleo-Company": subject,
    },
  });
}

/** Demo only: asks the local stand-in to create a job (its loopback admin route). */
async function createDemoJob(ctx) {
  const { env, request } = ctx;
  const admin = env.PLEO_ENV === "local" && typeof env.STANDIN_ADMIN_URL === "string" ? env.STANDIN_ADMIN_URL : null;
  if (!admin) return errorResponse(404, "not_found", "Creating export jobs is only possible against the local stand-in.");
  const { subject } = await companyFor(ctx, { csrf: true });
  let entries = 25;
  const asked = await readRequestJson(request, 4096); // no body (null): the default size
  if (asked && Number.isInteger(asked.entries)) entries = asked.entries;
  if (entries < 1 || entries > MAX_DEMO_ENTRIES) throw new WorkerError(400, "invalid_request", `entries must be 1..${MAX_DEMO_ENTRIES}.`);
  const response = await fetch(`${admin.replace(/\/+$/, "")}/export-jobs`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ company: subject, entries }),
    signal: AbortSignal.timeout(10_000),
  }).catch(() => null);
  if (!response) return errorResponse(502, "pleo_unavailable", "The stand-in did not answer.");
  const body = await response.json().catch(() => ({}));
  if (response.status === 409) return errorResponse(409, "export_already_in_progress", "The company already has an unfinished export job.");
  if (response.status !== 201 || typeof body.jobId !== "string")
    return errorResponse(502, "pleo_error", "The stand-in refused to create the job.");
  return jsonResponse({ jobId: body.jobId, entries: body.accountingEntryIds?.length ?? entries }, 201);
}

/** The /export/* routes. */
export function handleExport(ctx) {
  const { pathname } = ctx.url;
  const method = ctx.request.method;
  const allow = (methods, fn) => {
    if (methods.includes(method)) return fn();
    return errorResponse(405, "method_not_allowed", `Use ${methods.join(" or ")}.`, { Allow: methods.join(", ") });
  };
  if (pathname === "/export/jobs") return allow(["GET"], () => jobs(ctx));
  if (pathname === "/export/run") return allow(["POST"], () => run(ctx));
  if (pathname === "/export/dev/create-job") return allow(["POST"], () => createDemoJob(ctx));
  if (pathname === "/export/ledger/chart") return allow(["GET", "PUT"], () => ledgerChart(ctx));
  if (isReceiptsPath(pathname)) return receiptsRoute(ctx); // export/receipts-route.js
  const m = /^\/export\/jobs\/([^/]+)(\/entries\.csv)?$/.exec(pathname);
  if (m && JOB_ID.test(m[1])) return allow(["GET"], () => job(ctx, m[1], Boolean(m[2])));
  return errorResponse(404, "not_found", "No such route.");
}
