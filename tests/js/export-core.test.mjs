// The export core through the npm package in Node: the shared vectors
// (tests/vectors/export.json, also run natively by tests/export.rs) and the
// host loop of docs/EXPORT-CORE.md driven against a small in-memory Pleo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OAuthError, exportRequests, exportResponses, exportRunDelivered, exportRunFeed, exportRunNext, exportRunStart } from "pleo-oauth";

const vectors = JSON.parse(readFileSync(new URL("../vectors/export.json", import.meta.url), "utf8"));

const codeOf = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OAuthError, `not an OAuthError: ${e?.stack ?? e}`);
    return e;
  }
  return null;
};

/** Every member of `expected` is in `actual` with the same value. */
function assertSubset(actual, expected, ctx) {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === "object", `${ctx}: not an object`);
    for (const [k, v] of Object.entries(expected)) assertSubset(actual[k], v, `${ctx}.${k}`);
  } else {
    assert.deepEqual(actual, expected, ctx);
  }
}

test("request builders match the shared vectors and never carry a bearer", () => {
  for (const c of vectors.requests) {
    const kind = c.kind;
    if (c.error) {
      assert.equal(codeOf(() => exportRequests[kind](c.opts))?.code, c.error, c.name);
      continue;
    }
    const r = exportRequests[kind](c.opts);
    assertSubset(r, c.expect, c.name);
    assert.equal("body" in r, "body" in c.expect, `${c.name}: body`);
    assert.equal(r.headers.accept, "application/json");
    assert.equal(r.headers.authorization, undefined);
  }
});

test("response validation matches the shared vectors (codes, status, Pleo type, retryAfterMs)", () => {
  for (const c of vectors.responses) {
    if (c.error) {
      const e = codeOf(() => exportResponses[c.kind](c.res));
      assert.equal(e?.code, c.error, c.name);
      if (c.status) assert.equal(e.status, c.status, c.name);
      if (c.pleoType) assert.equal(e.error, c.pleoType, c.name);
      assert.equal(e.retryAfterMs, c.retryAfterMs, c.name);
    } else {
      const got = exportResponses[c.kind](c.res);
      assert.deepEqual(got === undefined ? null : got, c.expect, c.name);
    }
  }
  // Headers objects work as well as records.
  const e = codeOf(() => exportResponses.exportItems({ status: 429, headers: new Headers({ "retry-after": "5" }), body: "" }));
  assert.equal(e.retryAfterMs, 5000);
});

test("run transcripts match the shared vectors", () => {
  for (const run of vectors.runs) {
    let now = run.start.now;
    let state = exportRunStart({ ...run.start, seed: run.start.seed });
    run.steps.forEach((step, i) => {
      const ctx = `${run.name} [step ${i}]`;
      if (step.now !== undefined) now = step.now;
      if (step.next) {
        const out = exportRunNext(state, now);
        state = out.state;
        const { untilMin, untilMax, method, url, body, ...rest } = step.next;
        assertSubset(out.action, rest, ctx);
        if (method !== undefined) assert.equal(out.action.request.method, method, ctx);
        if (url !== undefined) assert.equal(out.action.request.url, url, ctx);
        if (body !== undefined) assert.equal(out.action.request.body, body, ctx);
        if (untilMin !== undefined) assert.ok(out.action.until >= untilMin && out.action.until <= untilMax, ctx);
      }
      if (step.feed) {
        if (step.error) assert.equal(codeOf(() => exportRunFeed(state, step.feed, now))?.code, step.error, ctx);
        else state = exportRunFeed(state, step.feed, now);
      }
      if (step.delivered) {
        if (step.error) assert.equal(codeOf(() => exportRunDelivered(state, step.delivered, now))?.code, step.error, ctx);
        else state = exportRunDelivered(state, step.delivered, now);
      }
      if (step.state) assertSubset(state, step.state, ctx);
      // The state is plain JSON: it survives storage as text.
      state = JSON.parse(JSON.stringify(state));
    });
  }
});

test("a tampered state is refused with invalid_input", () => {
  const state = exportRunStart({ apiBaseUrl: "https://external.pleo.io", jobId: "j" });
  for (const bad of [
    null,
    42,
    {},
    { ...state, v: 2 },
    { ...state, phase: "dance" },
    { ...state, counts: "many" },
    { ...state, inFlight: "fly" },
  ]) {
    assert.equal(codeOf(() => exportRunNext(bad))?.code, "invalid_input");
  }
  assert.equal(exportRunNext(state).action.purpose, "get_job");
});

/** A small Pleo in memory: one job, `n` entries, cursor pages. */
function fakePleo(n) {
  const entries = Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    raw: `{"accountingEntryId":"e${i}","amount":{"inSupplierCurrency":{"currency":"SEK","value":${10000 + i}}},"rate":1.10}`,
    status: "pending",
    reports: 0,
  }));
  const job = { id: "job-1", status: "pending" };
  let calls = 0;
  return {
    job,
    entries,
    get calls() {
      return calls;
    },
    handle(req) {
      calls++;
      // Every fifth call is rate limited, every seventh fails: the run copes.
      if (calls % 5 === 0) return { status: 429, headers: new Headers({ "Retry-After": "1" }), body: "" };
      if (calls % 7 === 0) return { status: 503, headers: {}, body: "busy" };
      const url = new URL(req.url);
      const after = url.searchParams.get("after");
      const limit = Number(url.searchParams.get("limit") ?? 25);
      const start = after === null ? 0 : Number(after.slice(1)) + 1;
      const pageOf = (list) => {
        const slice = list.slice(start, start + limit);
        const end = start + slice.length;
        return {
          slice,
          pagination: `{"hasNextPage":${end < list.length},"endCursor":${slice.length ? `"c${end - 1}"` : "null"},"total":${list.length}}`,
        };
      };
      if (req.method === "POST" && url.pathname === "/v3/export-job-events") {
        const { event } = JSON.parse(req.body);
        if (event === "started" && job.status === "pending") job.status = "in_progress";
        else if (event !== "started" && job.status === "in_progress") job.status = event;
        else return { status: 422, body: JSON.stringify({ type: "INVALID_EXPORT_JOB_STATUS_CHANGE", message: "no" }) };
        return { status: 202, body: "" };
      }
      if (req.method === "GET" && url.pathname === "/v3/export-items") {
        const { slice, pagination } = pageOf(entries);
        return { status: 200, body: `{"data":[${slice.map((e) => e.raw).join(",")}],"pagination":${pagination}}` };
      }
      if (req.method === "PUT" && url.pathname === "/v3/export-jobs/job-1/items") {
        const items = JSON.parse(req.body);
        assert.ok(items.length <= 100);
        for (const it of items) {
          const e = entries.find((x) => x.id === it.accountingEntryId);
          e.status = it.status;
          e.reports++;
        }
        return { status: 200, body: JSON.stringify({ data: items, errors: [] }) };
      }
      throw new Error(`unexpected ${req.method} ${req.url}`);
    },
  };
}

test("the documented host loop exports a 250-entry job: each entry booked once, raw text intact, reported once", () => {
  const pleo = fakePleo(250);
  const ledger = new Map();
  let now = Date.UTC(2026, 10, 30, 16, 0, 0);
  let stored = JSON.stringify(exportRunStart({ apiBaseUrl: "https://pleo.test", jobId: "job-1", jobStatus: "pending", now, seed: 42 }));
  for (let guard = 0; guard < 1000; guard++) {
    const step = exportRunNext(JSON.parse(stored), now);
    stored = JSON.stringify(step.state);
    const a = step.action;
    if (a.type === "done") {
      assert.equal(a.status, "completed_with_errors");
      assert.deepEqual(a.counts, { successful: 214, failed: 36, reportErrors: 0, skipped: 0 });
      break;
    }
    if (a.type === "wait") {
      now = a.until;
      continue;
    }
    let state;
    if (a.type === "deliver") {
      const results = a.entries.map(({ accountingEntryId, json }) => {
        assert.equal(json, pleo.entries.find((e) => e.id === accountingEntryId).raw, "raw text unchanged");
        assert.equal(JSON.parse(json).amount.inSupplierCurrency.value % 1, 0, "minor units stay integers");
        ledger.set(accountingEntryId, (ledger.get(accountingEntryId) ?? 0) + 1);
        const n = Number(accountingEntryId.slice(1));
        return n % 7 === 3
          ? { accountingEntryId, status: "failed", failureReason: "no supplier", failureReasonType: "vendor_unknown" }
          : { accountingEntryId, status: "successful", externalId: `L-${n}` };
      });
      state = exportRunDelivered(JSON.parse(stored), results, now);
    } else {
      const headers = { ...a.request.headers, authorization: "Bearer test" };
      state = exportRunFeed(JSON.parse(stored), pleo.handle({ ...a.request, headers }), now);
    }
    stored = JSON.stringify(state);
    now += 5;
  }
  assert.equal(pleo.job.status, "completed_with_errors");
  assert.equal(ledger.size, 250);
  assert.ok([...ledger.values()].every((n) => n === 1));
  assert.ok(pleo.entries.every((e) => e.reports === 1 && (e.status === "successful" || e.status === "failed")));
});
