// The demo ledger's receipts over HTTP (issue #18; docs/EXPORT.md "Receipts"):
//   GET /export/jobs/<id>/receipts                  {receipts:[{accountingEntryId, index, type, size, sha256, href}]}
//   GET /export/jobs/<id>/receipts/<entryId>/<n>    the bytes, streamed from R2
// The same rules as the other export routes: a session holding the selected
// company (401/403), and the job must be that company's (the connection
// object answers only for its own jobs); rows are filtered by company too.
import { errorResponse, jsonResponse } from "../http/responses.js";
import { requireCompanyAccess } from "../session/company-access.js";
import { LEDGER_BINDING } from "./ledger-d1.js";
import { listReceipts, openReceipt } from "./ledger-receipts.js";

const ROUTE = /^\/export\/jobs\/([A-Za-z0-9_-]{1,100})\/receipts(?:\/([A-Za-z0-9_-]{1,100})\/(\d{1,4}))?$/;

/** Whether this path is one of ours (export.js routes it here). */
export const isReceiptsPath = (pathname) => ROUTE.test(pathname);

export async function receiptsRoute(ctx) {
  const { request, url, env } = ctx;
  if (request.method !== "GET") return errorResponse(405, "method_not_allowed", "Use GET.", { Allow: "GET" });
  const [, jobId, accountingEntryId, index] = ROUTE.exec(url.pathname);
  const { session, subject } = await requireCompanyAccess(ctx);
  const job = await ctx.app.connections.call(subject, "exportJob", { sid: session.sid, jobId });
  if (!job) return errorResponse(404, "not_found", "No such export job for this company.");
  const headers = { "X-Pleo-Company": subject, "Cache-Control": "private, no-store" };
  if (!accountingEntryId) {
    const rows = await listReceipts(env, LEDGER_BINDING, { company: subject, jobId });
    const receipts = rows.map((r) => ({
      ...r,
      href: `/export/jobs/${jobId}/receipts/${encodeURIComponent(r.accountingEntryId)}/${r.index}`,
    }));
    return jsonResponse({ receipts }, 200, headers);
  }
  const found = await openReceipt(env, LEDGER_BINDING, { company: subject, jobId, accountingEntryId, index: Number(index) });
  if (!found) return errorResponse(404, "not_found", "No such receipt for this company's job.");
  return new Response(found.body, { headers: { ...headers, ...servedAs(found.type), "Content-Length": String(found.size) } });
}

// A receipt is content from outside served on our origin: only raster
// images and PDFs are shown inline (thumbnail, PDF link); anything else (an
// SVG or HTML could run script here) is a download.
export function servedAs(type) {
  const media = String(type).split(";")[0].trim().toLowerCase();
  const base = { "X-Content-Type-Options": "nosniff" };
  if (/^image\/(png|jpeg|gif|webp|heic|heif)$/.test(media)) {
    return { ...base, "Content-Type": media, "Content-Security-Policy": "default-src 'none'; sandbox" };
  }
  // No sandbox for PDFs: Chromium will not open its PDF viewer in a sandboxed document.
  if (media === "application/pdf") return { ...base, "Content-Type": media, "Content-Disposition": "inline" };
  return { ...base, "Content-Type": "application/octet-stream", "Content-Disposition": "attachment" };
}
