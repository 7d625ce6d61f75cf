// GET/PUT /export/ledger/chart: the demo ledger's chart of accounts and tax
// codes (ledger-chart.js), edited in the demo's settings. Only for the demo
// D1 ledger (`LEDGER_DB`); a partner's own ledger keeps its chart itself.
// Needs a session holding a company; PUT also the CSRF header. The chart is
// the database's, shared by the companies booked into it.
import { WorkerError, jsonResponse } from "../http/responses.js";
import { requireCompanyAccess } from "../session/company-access.js";
import { readRequestBody } from "../http/read-body.js";
import { parseChart } from "./ledger-chart.js";
import { LEDGER_BINDING, readChart, writeChart } from "./ledger-d1.js";

const MAX_BODY = 64 * 1024;

export async function ledgerChart(ctx) {
  const { request, env } = ctx;
  const put = request.method === "PUT";
  await requireCompanyAccess(ctx, { csrf: put }); // the company's object, not the cookie alone (issue #16)
  const db = env?.[LEDGER_BINDING];
  if (!db || typeof db.prepare !== "function") {
    throw new WorkerError(404, "not_found", "The demo ledger's database is not bound here; a partner's ledger keeps its own chart.");
  }
  if (put) {
    const text = new TextDecoder().decode(await readRequestBody(request, MAX_BODY)); // 413 body_too_large past it
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WorkerError(400, "invalid_request", "The chart must be JSON {accounts, taxCodes}.");
    }
    const parsed = parseChart(body);
    if (!parsed.ok) throw new WorkerError(400, "invalid_request", parsed.message);
    await writeChart(db, parsed.chart);
  }
  return jsonResponse(await readChart(db), 200);
}
