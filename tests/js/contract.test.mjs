// Contract tests: what we send to Pleo and what our stand-in answers, checked
// against Pleo's published OpenAPI documents (dev/pleo-api/, read through
// dev/pleo-api/contract.mjs with ajv) — not against our own notes.
//   1. every request the export core builds, in the shared vectors' request
//      builders and run transcripts (tests/vectors/export.json), and every
//      2xx answer those vectors feed it (so the vectors stay spec-shaped);
//   2. every answer of the stand-in along a whole export and the
//      subscription calls, and the requests made to get them;
//   3. the stand-in's webhook delivery body against Pleo's documented one.
// Each test prints its failed-check count (`# contract: …`) before asserting.
// Run: node scripts/test.mjs --only=js --js=contract

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { exportRunDelivered, exportRunFeed, exportRunNext, exportRunStart } from "pleo-oauth";

import { checkWebhookDelivery, loadContract } from "../../dev/pleo-api/contract.mjs";
import { obtainTokens, startStandin } from "../../dev/standin/index.mjs";
import { standinApiAs } from "./helpers/standin-api.mjs";

const contract = loadContract();
const vectors = JSON.parse(readFileSync(new URL("../vectors/export.json", import.meta.url), "utf8"));
const documented = JSON.parse(readFileSync(new URL("../../dev/pleo-api/pleo-webhook-event-documented.json", import.meta.url), "utf8"));

/** Collects violations per check and reports `failed of total`. */
function tally(name) {
  const failures = [];
  let total = 0;
  return {
    add(what, violations) {
      total += 1;
      if (violations.length) failures.push(`${what}\n      ${violations.slice(0, 6).join("\n      ")}`);
    },
    done() {
      console.log(`# contract: ${name}: ${failures.length} of ${total} checks failed`);
      assert.deepEqual(failures, [], `${failures.length} of ${total} checks failed`);
    },
  };
}

describe("the export core builds requests Pleo declares", () => {
  test("request-builder vectors", () => {
    const t = tally("request builders");
    for (const c of vectors.requests) {
      // Vectors about refusing bad input, or naming a non-Pleo host on purpose, say so.
      if (c.error || c.offContract) continue;
      t.add(c.name, contract.checkRequest(c.expect));
    }
    t.done();
  });

  test("run transcripts: every request the run makes, every 2xx answer the vectors feed it", () => {
    const t = tally("run transcripts");
    for (const run of vectors.runs) {
      if (run.offContract) continue;
      let now = run.start.now;
      let state = exportRunStart(run.start);
      let last = null;
      for (const [i, step] of run.steps.entries()) {
        if (step.now !== undefined) now = step.now;
        try {
          if (step.next) {
            const out = exportRunNext(state, now);
            state = out.state;
            if (out.action.type === "request") {
              last = out.action.request;
              t.add(`${run.name} [step ${i}] ${last.method} ${last.url}`, contract.checkRequest(last));
            }
          }
          if (step.feed && !step.error) {
            if (last && step.feed.status >= 200 && step.feed.status < 300) {
              t.add(`${run.name} [step ${i}] answer ${step.feed.status}`, contract.checkResponse({ ...last, ...step.feed }));
            }
            state = exportRunFeed(state, step.feed, now);
          }
          if (step.delivered && !step.error) state = exportRunDelivered(state, step.delivered, now);
        } catch {
          break; // the transcript tests (export-core) judge the run itself
        }
      }
    }
    t.done();
  });
});

// A receiver for the stand-in's webhook deliveries.
async function startReceiver() {
  const received = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(204).end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: (path) => `http://127.0.0.1:${server.address().port}${path}`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}

describe("the stand-in answers as Pleo documents", () => {
  let standin;
  let info;
  let receiver;
  let api;
  let companyId;
  before(async () => {
    standin = await startStandin({});
    ({ info } = standin);
    receiver = await startReceiver();
    const tokens = await obtainTokens(info, { company: 0 });
    api = standinApiAs(info.apiBaseUrl, tokens.access_token);
    companyId = info.companies[0].subject.split(":").pop();
  });
  after(async () => {
    await standin?.close();
    await receiver?.close();
  });

  /** Calls the stand-in and checks both the request and the answer. */
  async function call(t, method, path, body) {
    const url = new URL(path, info.apiBaseUrl).href;
    const text = body === undefined ? undefined : JSON.stringify(body);
    t.add(`request ${method} ${path}`, contract.checkRequest({ method, url, body: text }));
    const res = await api(method, path, body);
    t.add(`answer ${method} ${path} → ${res.status}`, contract.checkResponse({ method, url, status: res.status, body: res.text }));
    return res;
  }

  test("a whole export: list, read, claim, job items, export items page by page, report, finish", async () => {
    const t = tally("stand-in export answers");
    const subs = await call(t, "POST", "/v1/subscriptions", { endpointUrl: receiver.url("/hook"), eventTypes: ["v1.export-job.created"] });
    const made = await (
      await fetch(`${info.adminUrl}/export-jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ company: info.companies[0].subject, entries: 12 }),
      })
    ).json();
    const jobId = made.jobId;
    await call(t, "GET", `/v3/export-jobs?company_id=${companyId}&statuses=pending&statuses=in_progress&limit=10`);
    await call(t, "GET", `/v3/export-jobs?company_id=${companyId}&limit=50`); // the seeded history: finished and expired jobs
    await call(t, "GET", "/v1/companies");
    await call(t, "GET", "/v2/employees?limit=2");
    await call(t, "GET", `/v3/export-jobs/${jobId}`);
    await call(t, "POST", "/v3/export-job-events", { event: "started", jobId });
    await call(t, "GET", `/v3/export-jobs/${jobId}/items?limit=5`);
    const entries = [];
    let after = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = await call(t, "GET", `/v3/export-items?job_id=${jobId}&limit=5${after ? `&after=${after}` : ""}`);
      entries.push(...(page.body?.data ?? []));
      if (!page.body?.pagination?.hasNextPage) break;
      after = page.body.pagination.endCursor;
    }
    const exportedAt = new Date().toISOString();
    await call(
      t,
      "PUT",
      `/v3/export-jobs/${jobId}/items`,
      entries.map((e, i) =>
        i % 4 === 3
          ? {
              accountingEntryId: e.accountingEntryId,
              status: "failed",
              exportedAt,
              failureReason: "no such vendor",
              failureReasonType: "vendor_unknown",
            }
          : { accountingEntryId: e.accountingEntryId, status: "successful", exportedAt, externalId: `V-${i}` },
      ),
    );
    await call(t, "PUT", `/v3/export-jobs/${jobId}/items`, [{ accountingEntryId: randomUUID(), status: "successful", exportedAt }]);
    await call(t, "POST", "/v3/export-job-events", { event: "completed_with_errors", jobId });
    await call(t, "GET", `/v3/export-jobs/${jobId}`);
    await call(t, "GET", `/v3/export-jobs/${randomUUID()}`);
    await call(t, "GET", "/v1/subscriptions?limit=10");
    const id = subs.body?.data?.id;
    await call(t, "GET", `/v1/subscriptions/${id}`);
    await call(t, "GET", `/v1/subscriptions/${id}/secret`);
    await call(t, "PUT", `/v1/subscriptions/${id}`, {
      endpointUrl: receiver.url("/hook"),
      eventTypes: ["v1.export-job.created"],
      status: "INACTIVE",
    });
    await call(t, "GET", `/v1/subscriptions?status=INACTIVE&event_types=v1.export-job.created`);
    await call(t, "GET", `/v1/subscriptions/${id}/activities?operation_types=CREATE&operation_types=UPDATE`);
    await call(t, "DELETE", `/v1/subscriptions/${id}`);

    // The webhook the job's creation fired, as Pleo documents its body.
    const start = Date.now();
    while (!receiver.received.length && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    t.add("the documented delivery itself", checkWebhookDelivery(contract, documented.body));
    t.add(
      "the stand-in delivery body",
      receiver.received.length ? checkWebhookDelivery(contract, JSON.parse(receiver.received[0].body)) : ["no delivery arrived"],
    );
    // The stand-in's own recorder (api/contract-check.mjs) saw the same calls.
    t.add("the stand-in's recorder", standin.contractViolations?.() ?? ["the stand-in records no contract violations"]);
    t.done();
  });

  test("the stand-in refuses requests Pleo would refuse, with 400 and Pleo's error shape", async () => {
    const t = tally("stand-in strictness");
    const refused = async (method, path, body, what) => {
      const res = await api(method, path, body);
      t.add(
        what,
        res.status === 400 && res.body?.type === "BAD_REQUEST" && typeof res.body?.message === "string"
          ? []
          : [`answered ${res.status} ${res.text.slice(0, 200)}`],
      );
    };
    const jobId = randomUUID();
    await refused(
      "GET",
      `/v3/export-items?job_id=${jobId}&company_id=${companyId}`,
      undefined,
      "an undeclared query parameter (company_id on export-items)",
    );
    await refused("GET", `/v3/export-items?job_id=${jobId}&after=b286MQ`, undefined, "a cursor that is not base32");
    await refused(
      "POST",
      "/v3/export-job-events",
      { event: "failed", jobId, failureReasonType: "accounting_system_validation_failure" },
      "an item failure type on a job event",
    );
    await refused("POST", "/v3/export-jobs", { companyId }, "a job without accountingEntryIds");
    await refused(
      "PUT",
      `/v1/subscriptions/${randomUUID()}`,
      { status: "ACTIVE" },
      "a subscription PUT without endpointUrl and eventTypes",
    );
    await refused("GET", "/v1/subscriptions?limit=-1", undefined, "a negative limit");
    t.done();
  });
});
