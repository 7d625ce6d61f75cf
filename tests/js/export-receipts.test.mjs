// Receipts reach the ledger (issue #18): worker/export/receipts.js against a
// real HTTP file host (node:http, bodies generated as streams) and a ledger
// whose saveReceipt reads the stream chunk by chunk and keeps only a digest,
// so a test can see what was stored without holding any receipt whole.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { RECEIPT_MAX_BYTES, storeReceipts } from "../../worker/export/receipts.js";
import { Sha256 } from "../../worker/export/sha256.js";
import { servedAs } from "../../worker/export/receipts-route.js";
import v8 from "node:v8";
import vm from "node:vm";

const MB = 1024 * 1024;

/** Deterministic bytes of a receipt: byte i of receipt `name` is a function of (name, i). */
function bytesAt(name, start, length) {
  const seed = createHash("sha256").update(name).digest();
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const k = start + i;
    out[i] = seed[k % 32] ^ (k >>> 5) ^ (k >>> 13);
  }
  return out;
}
function expectedSha(name, size) {
  const h = createHash("sha256");
  for (let at = 0; at < size; at += MB) h.update(bytesAt(name, at, Math.min(MB, size - at)));
  return h.digest("hex");
}

// The file host. A path is /<name>?size=&type=&send=&mode=; `mode` picks a
// fault: "expired" (403 unless fresh=1), "flaky" (503 on the first request
// of that name), "stall" (sends half, then nothing, on the first request),
// "chunked" (no Content-Length). `send` overrides how many bytes are sent.
function startHost() {
  const seen = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const name = url.pathname.slice(1);
    const size = Number(url.searchParams.get("size"));
    const send = Number(url.searchParams.get("send") ?? size);
    const mode = url.searchParams.get("mode");
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (mode === "expired" && url.searchParams.get("fresh") !== "1") return res.writeHead(403).end("expired");
    if (mode === "flaky" && count === 1) return res.writeHead(503).end("busy");
    const headers = { "content-type": url.searchParams.get("type") ?? "application/pdf" };
    if (mode !== "chunked") headers["content-length"] = String(send);
    res.writeHead(200, headers);
    const stopAt = mode === "stall" && count === 1 ? Math.floor(send / 2) : send;
    let at = 0;
    const pump = () => {
      while (at < stopAt) {
        const n = Math.min(64 * 1024, stopAt - at);
        const chunk = bytesAt(name, at, n);
        at += n;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
      if (stopAt === send) res.end(); // a stalled body just stops sending
    };
    pump();
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const base = `http://127.0.0.1:${server.address().port}`;
      resolve({ base, seen, close: () => (server.closeAllConnections(), server.close()) });
    });
  });
}

/** A ledger that digests each body as it reads it; `stored` keyed "id/index". */
function digestLedger({ keep = false } = {}) {
  const stored = new Map();
  const writes = [];
  let maxChunk = 0;
  return {
    stored,
    writes,
    get maxChunk() {
      return maxChunk;
    },
    async hasReceipt({ accountingEntryId, index }) {
      return stored.has(`${accountingEntryId}/${index}`);
    },
    async saveReceipt({ accountingEntryId, index, type, size, sha256, body }) {
      const key = `${accountingEntryId}/${index}`;
      writes.push(key);
      const h = createHash("sha256");
      let bytes = 0;
      for await (const chunk of body) {
        maxChunk = Math.max(maxChunk, chunk.byteLength);
        bytes += chunk.byteLength;
        h.update(chunk);
      }
      // Stored only once the body ended cleanly (an errored stream threw above).
      if (!stored.has(key) || keep) stored.set(key, { type, size, bytes, sha256: h.digest("hex"), given: await sha256 });
    },
  };
}

const entry = (id, files) => ({ accountingEntryId: id, json: JSON.stringify({ accountingEntryId: id, files }) });
const booked = (entries) =>
  entries.map((e) => ({ accountingEntryId: e.accountingEntryId, status: "successful", externalId: `V-${e.accountingEntryId}` }));
const file = (host, name, size, extra = "") => ({ url: `${host.base}/${name}?size=${size}${extra}`, type: "application/pdf", size });

describe("receipts: fetch → check → streaming SHA-256 → ledger.saveReceipt", { timeout: 120_000 }, () => {
  let host;
  before(async () => {
    host = await startHost();
  });
  after(() => host?.close());

  const run = (ledger, entries, more = {}) =>
    storeReceipts({ ledger, entries, results: booked(entries), context: {}, renew: async () => null, backoffMs: 10, ...more });

  test("the incremental SHA-256 equals node:crypto for every split of the input", () => {
    for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 70_000]) {
      const data = randomBytes(size);
      const want = createHash("sha256").update(data).digest("hex");
      const whole = new Sha256().update(data).hex();
      assert.equal(whole, want, `one update, ${size} bytes`);
      const h = new Sha256();
      for (let at = 0; at < size; at += 37) h.update(data.subarray(at, at + 37));
      assert.equal(h.hex(), want, `37-byte updates, ${size} bytes`);
    }
  });

  test("every stored receipt equals the host's bytes by SHA-256, and the ledger is given that digest", async () => {
    const entries = [
      entry("e1", [file(host, "a", 1000), file(host, "b", 200_001)]),
      entry("e2", [file(host, "c", 1), { ...file(host, "d", 5000, "&type=image/png"), type: "image/png" }]),
      entry("e3", []),
    ];
    const ledger = digestLedger();
    const results = await run(ledger, entries);
    assert.deepEqual(
      results.map((r) => r.status),
      ["successful", "successful", "successful"],
    );
    const expected = { "e1/0": ["a", 1000], "e1/1": ["b", 200_001], "e2/0": ["c", 1], "e2/1": ["d", 5000] };
    assert.deepEqual([...ledger.stored.keys()].sort(), Object.keys(expected).sort());
    for (const [key, [name, size]] of Object.entries(expected)) {
      const got = ledger.stored.get(key);
      assert.equal(got.sha256, expectedSha(name, size), `${key}: bytes stored`);
      assert.equal(got.given, got.sha256, `${key}: the digest given to the ledger`);
      assert.equal(got.bytes, size);
    }
    assert.equal(ledger.stored.get("e2/1").type, "image/png");
  });

  test("a 26 MB receipt is streamed in chunks, never whole, and stored intact", async () => {
    const size = 26 * MB;
    const ledger = digestLedger();
    const results = await run(ledger, [entry("big", [file(host, "big26", size)])]);
    assert.equal(results[0].status, "successful");
    assert.equal(ledger.stored.get("big/0").sha256, expectedSha("big26", size));
    assert.ok(ledger.maxChunk <= 1 * MB, `largest chunk handed to the ledger: ${ledger.maxChunk} bytes`);
  });

  test("the ledger's stream is a byte stream: a BYOB reader gets the bytes in its own buffer, intact; a body without BYOB reads (pooled Buffers too) works", async () => {
    const size = 300_001;
    const stored = [];
    const byobLedger = {
      async saveReceipt({ body, sha256 }) {
        const reader = body.getReader({ mode: "byob" });
        let buffer = new ArrayBuffer(1000); // smaller than a chunk: the rest waits for the next read
        const h = createHash("sha256");
        for (;;) {
          const { done, value } = await reader.read(new Uint8Array(buffer));
          if (done) break;
          assert.ok(value.byteLength <= 1000);
          h.update(value);
          buffer = value.buffer;
        }
        stored.push({ sha256: h.digest("hex"), given: await sha256 });
      },
    };
    assert.equal((await run(byobLedger, [entry("b1", [file(host, "byob", size)])]))[0].status, "successful");
    // A host whose body has no BYOB reader (not a byte stream): read chunk by chunk.
    const plainFetch = async (url) => {
      const response = await fetch(url);
      const reader = response.body.getReader();
      const body = new ReadableStream({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    assert.equal((await run(byobLedger, [entry("b2", [file(host, "byob", size)])], { fetchFile: plainFetch }))[0].status, "successful");
    for (const got of stored) {
      assert.equal(got.sha256, expectedSha("byob", size));
      assert.equal(got.given, got.sha256);
    }
    // Such a body's chunks may be views of one shared buffer (small Buffers
    // come from Node's pool): a default-reading ledger gets copies, and
    // handing them on detaches nothing.
    const pooledFetch = async (url) => {
      const response = await fetch(url);
      const reader = response.body.getReader();
      const body = new ReadableStream({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          for (let at = 0; at < value.byteLength; at += 1000) controller.enqueue(Buffer.from(value.subarray(at, at + 1000)));
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const ledger = digestLedger();
    assert.equal((await run(ledger, [entry("b3", [file(host, "byob", size)])], { fetchFile: pooledFetch }))[0].status, "successful");
    assert.equal(ledger.stored.get("b3/0").sha256, expectedSha("byob", size));
  });

  test("streaming a 26 MB receipt keeps the process's buffer memory far below the receipt's size", async () => {
    // What is measured is what stays reachable: the garbage a default reader's
    // chunks leave is collected before each sample (its timing depends on the
    // machine's load, and it is not a receipt held whole).
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    const size = 26 * MB;
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let chunks = 0;
    const ledger = {
      async saveReceipt({ body }) {
        const reader = body.getReader();
        while (!(await reader.read()).done) {
          if (++chunks % 16 !== 0) continue;
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
        }
      },
    };
    const results = await run(ledger, [entry("mem", [file(host, "mem26", size)])]);
    assert.equal(results[0].status, "successful");
    assert.ok(chunks >= 16, `sampled: ${chunks} chunks`);
    // Holding the body whole would keep ≥ 26 MB of buffers reachable.
    assert.ok(peak < 8 * MB, `peak reachable buffer memory above the start: ${(peak / MB).toFixed(1)} MB`);
  });

  test("an expired link (403) is renewed by reading the item again, then fetched", async () => {
    const renewedFor = [];
    const ledger = digestLedger();
    const results = await run(ledger, [entry("x", [file(host, "exp", 4096, "&mode=expired")])], {
      renew: async (id) => {
        renewedFor.push(id);
        return [file(host, "exp", 4096, "&mode=expired&fresh=1")];
      },
    });
    assert.equal(results[0].status, "successful");
    assert.deepEqual(renewedFor, ["x"]);
    assert.equal(ledger.stored.get("x/0").sha256, expectedSha("exp", 4096));
  });

  test("a link still refused after renewal reports the item failed as receipt_download_failure; the job goes on", async () => {
    const ledger = digestLedger();
    const entries = [entry("dead", [file(host, "dead", 10, "&mode=expired")]), entry("ok", [file(host, "fine", 10)])];
    const results = await run(ledger, entries, { renew: async () => [file(host, "dead", 10, "&mode=expired")] });
    assert.equal(results[0].status, "failed");
    assert.equal(results[0].failureReasonType, "receipt_download_failure");
    assert.ok(!/http:\/\//.test(results[0].failureReason), "no signed link in the failure reason");
    assert.equal(results[1].status, "successful");
    assert.ok(!ledger.stored.has("dead/0"));
  });

  test("a download that fails (503) is retried and then succeeds", async () => {
    const ledger = digestLedger();
    const results = await run(ledger, [entry("f", [file(host, "flaky1", 3000, "&mode=flaky")])]);
    assert.equal(results[0].status, "successful");
    assert.equal(host.seen.get("flaky1"), 2);
    assert.equal(ledger.stored.get("f/0").sha256, expectedSha("flaky1", 3000));
  });

  test("a stalled download is abandoned and retried; only the complete body is stored", async () => {
    const ledger = digestLedger();
    const results = await run(ledger, [entry("s", [file(host, "stall1", 300_000, "&mode=stall")])], { idleMs: 300 });
    assert.equal(results[0].status, "successful");
    assert.equal(host.seen.get("stall1"), 2);
    assert.equal(ledger.stored.get("s/0").sha256, expectedSha("stall1", 300_000));
  });

  test("a file larger than its stated size is refused and reported, not stored (with and without Content-Length)", async () => {
    const ledger = digestLedger();
    const entries = [
      entry("l1", [file(host, "long1", 1000, "&send=1500")]),
      entry("l2", [file(host, "long2", 1000, "&send=200000&mode=chunked")]),
      entry("l3", [file(host, "short", 1000, "&send=999&mode=chunked")]),
    ];
    const results = await run(ledger, entries);
    for (const r of results) {
      assert.equal(r.status, "failed", r.accountingEntryId);
      assert.equal(r.failureReasonType, "receipt_download_failure");
    }
    assert.equal(ledger.stored.size, 0, "nothing stored");
  });

  test("a file over 30 MB is refused as receipt_file_size_limit_exceeded, whether stated or only sent", async () => {
    const ledger = digestLedger();
    const over = RECEIPT_MAX_BYTES + 1;
    const entries = [
      entry("o1", [file(host, "over1", over)]), // stated: refused before any download
      entry("o2", [file(host, "over2", 1000, `&send=${over}`)]), // Content-Length says so
    ];
    const results = await run(ledger, entries);
    assert.deepEqual(
      results.map((r) => r.failureReasonType),
      ["receipt_file_size_limit_exceeded", "receipt_file_size_limit_exceeded"],
    );
    assert.equal(host.seen.get("over1"), undefined, "a stated 30 MB+ file is not even fetched");
    assert.equal(ledger.stored.size, 0);
  });

  test("a content type other than the stated one is refused", async () => {
    const ledger = digestLedger();
    const results = await run(ledger, [entry("t", [file(host, "typed", 100, "&type=text/html")])]);
    assert.equal(results[0].failureReasonType, "receipt_download_failure");
    assert.equal(ledger.stored.size, 0);
  });

  test("idempotent on (accountingEntryId, index): a re-delivered batch stores nothing twice", async () => {
    const ledger = digestLedger();
    const entries = [entry("r", [file(host, "r0", 100), file(host, "r1", 200)])];
    await run(ledger, entries);
    await run(ledger, entries); // the runner re-delivers after a crash
    assert.deepEqual(ledger.writes, ["r/0", "r/1"], "each receipt written once");
  });

  test("a ledger whose hasReceipt fails is asked to save (idempotent) instead of failing the run", async () => {
    const ledger = digestLedger();
    ledger.hasReceipt = async () => {
      throw new Error("database unavailable");
    };
    const results = await run(ledger, [entry("h", [file(host, "h0", 100)])]);
    assert.equal(results[0].status, "successful");
    assert.equal(ledger.stored.get("h/0").sha256, expectedSha("h0", 100));
  });

  test("a ledger that refuses the write reports receipt_upload_failure; a ledger without saveReceipt skips receipts", async () => {
    const refusing = {
      saveReceipt: async ({ body }) => {
        await body.cancel();
        throw new Error("bucket full");
      },
    };
    const entries = [entry("u", [file(host, "u0", 100)])];
    const results = await run(refusing, entries);
    assert.equal(results[0].failureReasonType, "receipt_upload_failure");
    const before = host.seen.get("u0");
    const plain = await run({ book: async () => [] }, entries);
    assert.deepEqual(plain, booked(entries));
    assert.equal(host.seen.get("u0"), before, "no download for a ledger without saveReceipt");
  });

  test("failed bookings keep their result and fetch no receipts", async () => {
    const ledger = digestLedger();
    const entries = [entry("nf", [file(host, "nf0", 100)])];
    const failed = [{ accountingEntryId: "nf", status: "failed", failureReason: "no", failureReasonType: "account_unknown" }];
    const results = await storeReceipts({ ledger, entries, results: failed, context: {}, renew: async () => null });
    assert.deepEqual(results, failed);
    assert.equal(host.seen.get("nf0"), undefined);
  });
});

// The same module against the stand-in (issue #18, "The stand-in"): receipts
// generated for a job by the admin's "receipts" option, at signed links that
// expire, renewed through GET /v3/export-items exactly as the runner does.
describe("receipts from the stand-in", { timeout: 180_000 }, () => {
  let standin;
  let info;
  let api;
  let company;

  const admin = async (method, path, body) => {
    const res = await fetch(`${info.adminUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const items = async (jobId) => {
    const res = await api("GET", `/v3/export-items?job_id=${jobId}&limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((item) => ({ accountingEntryId: item.accountingEntryId, json: JSON.stringify(item) }));
  };
  const renewFrom = (jobId) => async (id) => JSON.parse((await items(jobId)).find((e) => e.accountingEntryId === id).json).files;
  async function job(receipts, entries = 2) {
    const res = await admin("POST", "/export-jobs", { company: company.subject, entries, receipts });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.jobId;
  }

  before(async () => {
    const { obtainTokens, startStandin } = await import("../../dev/standin/index.mjs");
    const { standinApiAs } = await import("./helpers/standin-api.mjs");
    standin = await startStandin({ port: 0, apiPort: 0 });
    ({ info } = standin);
    company = info.companies[0];
    api = standinApiAs(info.apiBaseUrl, (await obtainTokens(info, { company: 0 })).access_token);
  });
  after(async () => {
    await standin?.close();
  });

  test("the admin refuses a receipts plan over 30 MB or of no size", async () => {
    for (const receipts of [{ count: 1, size: RECEIPT_MAX_BYTES + 1 }, { count: 1 }, { count: -1, size: 100 }]) {
      const res = await admin("POST", "/export-jobs", { company: company.subject, entries: 1, receipts });
      assert.equal(res.status, 400, JSON.stringify(receipts));
    }
  });

  test("every stored receipt equals the stand-in's by SHA-256 (the admin view's files), 26 MB ones included", async () => {
    const jobId = await job({ count: 2, size: 26 * MB }, 1);
    try {
      const entries = await items(jobId);
      const files = JSON.parse(entries[0].json).files;
      assert.deepEqual(
        files.map((f) => [f.type, f.size]),
        [
          ["application/pdf", 26 * MB],
          ["application/pdf", 26 * MB],
        ],
      );
      const ledger = digestLedger();
      const results = await storeReceipts({ ledger, entries, results: booked(entries), context: {}, renew: renewFrom(jobId) });
      assert.equal(results[0].status, "successful", JSON.stringify(results[0]));
      const view = (await admin("GET", `/export-jobs/${jobId}`)).body;
      const id = entries[0].accountingEntryId;
      const listed = view.items.find((i) => i.accountingEntryId === id).files;
      assert.equal(listed.length, 2);
      listed.forEach((f, index) => {
        assert.equal(f.size, 26 * MB);
        assert.equal(ledger.stored.get(`${id}/${index}`).sha256, f.sha256, `receipt ${index}`);
      });
      assert.notEqual(listed[0].sha256, listed[1].sha256, "each receipt has its own bytes");
    } finally {
      await admin("POST", `/export-jobs/${jobId}/fail`, {});
    }
  });

  test("links expire (receiptLinkTtl) and are renewed through GET /v3/export-items", async () => {
    await admin("POST", "/settings", { receiptLinkTtl: 1 });
    const jobId = await job({ count: 1, size: 10_000 }, 2);
    try {
      const entries = await items(jobId);
      await new Promise((r) => setTimeout(r, 2100)); // every link in `entries` has expired
      const stale = await fetch(JSON.parse(entries[0].json).files[0].url);
      assert.equal(stale.status, 403, "the stand-in refuses an expired link");
      await stale.body?.cancel();
      const renewed = [];
      const renew = renewFrom(jobId);
      const ledger = digestLedger();
      const results = await storeReceipts({
        ledger,
        entries,
        results: booked(entries),
        context: {},
        renew: (id) => (renewed.push(id), renew(id)),
      });
      assert.deepEqual(
        results.map((r) => r.status),
        ["successful", "successful"],
      );
      assert.deepEqual(renewed.sort(), entries.map((e) => e.accountingEntryId).sort());
      const view = (await admin("GET", `/export-jobs/${jobId}`)).body;
      for (const item of view.items) assert.equal(ledger.stored.get(`${item.accountingEntryId}/0`).sha256, item.files[0].sha256);
    } finally {
      await admin("POST", "/settings", { receiptLinkTtl: 86400 });
      await admin("POST", `/export-jobs/${jobId}/fail`, {});
    }
  });

  test("the run's renewal (receipt-run.js) pages through GET /v3/export-items for the item's fresh link", async () => {
    const { storeBatchReceipts } = await import("../../worker/export/receipt-run.js");
    await admin("POST", "/settings", { receiptLinkTtl: 1 });
    const jobId = await job({ count: 1, size: 2000 }, 130); // the last entries are on the second page of 100
    try {
      const pages = [];
      const token = (await (await import("../../dev/standin/index.mjs")).obtainTokens(info, { company: 0 })).access_token;
      // sendToPleo's shape: the core's request sent with the company's token → {status, headers, body}.
      const send = async (conn, request) => {
        pages.push(new URL(request.url).searchParams.get("after"));
        const res = await fetch(request.url, { method: request.method, headers: { ...request.headers, authorization: `Bearer ${token}` } });
        return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
      };
      // An entry of page 2, with a link that has expired by the time it is fetched.
      const page2 = await api("GET", `/v3/export-items?job_id=${jobId}&limit=100&offset=100`);
      assert.equal(page2.status, 200, page2.text);
      assert.equal(page2.body.data.length, 30, "30 entries on the second page");
      const target = page2.body.data.at(-1);
      const entries = [{ accountingEntryId: target.accountingEntryId, json: JSON.stringify(target) }];
      await new Promise((r) => setTimeout(r, 2100));
      const ledger = digestLedger();
      const conn = { config: { apiBaseUrl: info.apiBaseUrl }, subject: company.subject, env: {} };
      const results = await storeBatchReceipts({
        conn,
        jobId,
        companyId: company.subject.split(":").pop(),
        entries,
        results: booked(entries),
        ledger,
        send,
        timeoutMs: 5000,
      });
      assert.equal(results[0].status, "successful", JSON.stringify(results[0]));
      assert.equal(pages.length, 2, "read again: page 1, then page 2 after page 1's cursor");
      assert.equal(pages[0], null);
      assert.ok(pages[1], "the second read passes the first page's endCursor");
      const view = (await admin("GET", `/export-jobs/${jobId}`)).body;
      const listed = view.items.find((i) => i.accountingEntryId === target.accountingEntryId).files[0];
      assert.equal(ledger.stored.get(`${target.accountingEntryId}/0`).sha256, listed.sha256);
    } finally {
      await admin("POST", "/settings", { receiptLinkTtl: 86400 });
      await admin("POST", `/export-jobs/${jobId}/fail`, {});
    }
  });

  test("the receiptFailureRate fault fails downloads; the item is reported receipt_download_failure, nothing stored", async () => {
    await admin("POST", "/faults", { receiptFailureRate: 1 });
    const jobId = await job({ count: 1, size: 1000 }, 1);
    try {
      const entries = await items(jobId);
      const ledger = digestLedger();
      const results = await storeReceipts({
        ledger,
        entries,
        results: booked(entries),
        context: {},
        renew: renewFrom(jobId),
        backoffMs: 10,
      });
      assert.equal(results[0].status, "failed");
      assert.equal(results[0].failureReasonType, "receipt_download_failure");
      assert.equal(ledger.stored.size, 0);
    } finally {
      await admin("DELETE", "/faults");
      await admin("POST", `/export-jobs/${jobId}/fail`, {});
    }
  });

  test("the receiptStallRate fault stalls downloads half-way; nothing partial is stored", async () => {
    await admin("POST", "/faults", { receiptStallRate: 1 });
    const jobId = await job({ count: 1, size: 400_000 }, 1);
    try {
      const entries = await items(jobId);
      const ledger = digestLedger();
      const results = await storeReceipts({
        ledger,
        entries,
        results: booked(entries),
        context: {},
        renew: renewFrom(jobId),
        idleMs: 300,
        backoffMs: 10,
      });
      assert.equal(results[0].failureReasonType, "receipt_download_failure");
      assert.equal(ledger.stored.size, 0);
    } finally {
      await admin("DELETE", "/faults");
      await admin("POST", `/export-jobs/${jobId}/fail`, {});
    }
  });
});

// The whole path on workerd (miniflare: Durable Objects, D1, local R2): the
// export run books entries, stores their receipts in the demo ledger's R2
// bucket, and the export routes list and serve them to the session.
describe("receipts in the demo ledger (workerd + stand-in + R2)", { timeout: 300_000 }, () => {
  let stack;
  let client;
  let subject;
  before(async () => {
    const { startExportStack } = await import("./helpers/export-stack.mjs");
    stack = await startExportStack();
    ({ client, subject } = await stack.connectedClient(0));
  });
  after(() => stack?.close());

  const finished = async (jobId) => {
    const { waitFor, jobFinished } = await import("./helpers/export-stack.mjs");
    return waitFor(() => jobFinished(stack, jobId), { what: "the job to finish", timeoutMs: 120_000 });
  };

  /** Every successful item's receipts listed once, and each download's bytes equal the stand-in's by SHA-256. */
  async function assertStoredOnce(jobId, view, count) {
    const listed = await client.json(`/export/jobs/${jobId}/receipts`);
    assert.equal(listed.status, 200, listed.text);
    const successful = view.items.filter((i) => i.status === "successful");
    assert.ok(successful.length > 0, "some entries were booked");
    assert.equal(listed.body.receipts.length, successful.length * count, "one receipt per file of each booked entry");
    const keys = listed.body.receipts.map((r) => `${r.accountingEntryId}/${r.index}`);
    assert.equal(new Set(keys).size, keys.length, "no receipt twice");
    for (const item of successful) {
      for (let index = 0; index < count; index++) {
        const r = listed.body.receipts.find((x) => x.accountingEntryId === item.accountingEntryId && x.index === index);
        assert.ok(r, `receipt ${item.accountingEntryId}/${index} listed`);
        assert.equal(r.sha256, item.files[index].sha256, "the digest the ledger recorded is the stand-in's");
        const response = await client.fetch(r.href);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "application/pdf");
        const h = createHash("sha256");
        for await (const chunk of response.body) h.update(chunk);
        assert.equal(h.digest("hex"), item.files[index].sha256, "the bytes served are the stand-in's");
      }
      assert.equal(item.reports, 1, "Pleo heard of the item once");
    }
    return listed.body.receipts;
  }

  test("a job's receipts are stored in R2, listed and served byte for byte; without the session they are refused", async () => {
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 6, receipts: { count: 2, size: 300_000 } });
    const view = await finished(jobId);
    const receipts = await assertStoredOnce(jobId, view, 2);
    // No session: the list and the bytes are refused.
    const anonymous = await fetch(new URL(`/export/jobs/${jobId}/receipts`, stack.base));
    assert.equal(anonymous.status, 401);
    const bytes = await fetch(new URL(receipts[0].href, stack.base));
    assert.equal(bytes.status, 401);
    await bytes.body?.cancel();
    // Another company's session does not see them.
    const other = await stack.connectedClient(1);
    const foreign = await other.client.json(`/export/jobs/${jobId}/receipts`);
    assert.equal(foreign.status, 404, foreign.text);
    const foreignBytes = await other.client.fetch(receipts[0].href);
    assert.equal(foreignBytes.status, 404);
    await foreignBytes.body?.cancel();
  });

  test("26 MB receipts, the worker restarted after the first is stored: afterwards every receipt is stored exactly once", async () => {
    const size = 26 * MB;
    const { jobId } = stack.standin.createExportJob({ company: subject, entries: 3, receipts: { count: 2, size } });
    const { waitFor } = await import("./helpers/export-stack.mjs");
    // Restart once the first receipt is in: the others are on their way.
    await waitFor(
      async () =>
        (await stack.ledger("SELECT COUNT(*) AS n FROM ledger_receipts WHERE job_id = ?1", jobId).catch(() => [{ n: 0 }]))[0].n >= 1,
      {
        what: "the first receipt",
        timeoutMs: 120_000,
        intervalMs: 50,
      },
    );
    await stack.restart();
    const view = await finished(jobId);
    const receipts = await assertStoredOnce(jobId, view, 2);
    for (const r of receipts) assert.equal(r.size, size);
  });

  test("a kill of the worker mid-stream (the host has sent part of a 26 MB receipt): after the restart it is stored exactly once, with the right SHA-256", async () => {
    const size = 26 * MB;
    const { waitFor } = await import("./helpers/export-stack.mjs");
    const sent = () => stack.standin.stats();
    const before = sent();
    // Every download sends half its bytes, then nothing (the worker waits up
    // to 30 s for more): the kill is sure to land inside the stream.
    stack.standin.setFaults({ receiptStallRate: 1 });
    let jobId;
    try {
      ({ jobId } = stack.standin.createExportJob({ company: subject, entries: 1, receipts: { count: 1, size } }));
      const during = await waitFor(
        () => {
          const s = sent();
          return s.receiptDownloads > before.receiptDownloads && s.receiptBytesSent - before.receiptBytesSent >= size / 2 ? s : null;
        },
        { what: "half of the receipt sent", timeoutMs: 120_000, intervalMs: 50 },
      );
      assert.equal(during.receiptDownloads - before.receiptDownloads, 1, "one download under way");
      const served = during.receiptBytesSent - before.receiptBytesSent;
      assert.ok(served > 0 && served < size, `mid-stream: ${served} of ${size} bytes served`);
      const rows = await stack.ledger("SELECT COUNT(*) AS n FROM ledger_receipts WHERE job_id = ?1", jobId).catch(() => [{ n: 0 }]);
      assert.equal(rows[0].n, 0, "nothing stored yet");
      assert.equal(stack.standin.exportJob(jobId).items[0].reports, 0, "the item is not reported yet");
      stack.standin.setFaults({ receiptStallRate: 0 });
      await stack.restart(); // the kill: workerd ends while the body is half read
    } finally {
      stack.standin.setFaults({ receiptStallRate: 0 });
    }
    const view = await finished(jobId);
    assert.equal(view.items[0].status, "successful", view.items[0].failureReason);
    assert.ok(sent().receiptDownloads - before.receiptDownloads >= 2, "downloaded again after the restart");
    const [receipt] = await assertStoredOnce(jobId, view, 1);
    assert.equal(receipt.size, size);
    assert.equal(receipt.sha256, view.items[0].files[0].sha256);
  });
});

test("a stored receipt is served inline only as a raster image (sandboxed) or a PDF; anything else is a download", () => {
  assert.equal(servedAs("image/png")["Content-Type"], "image/png");
  assert.match(servedAs("image/jpeg")["Content-Security-Policy"], /sandbox/);
  assert.equal(servedAs("application/pdf")["Content-Disposition"], "inline");
  for (const risky of ["text/html", "image/svg+xml", "application/xhtml+xml", ""]) {
    assert.equal(servedAs(risky)["Content-Type"], "application/octet-stream", risky);
    assert.equal(servedAs(risky)["Content-Disposition"], "attachment", risky);
  }
  for (const type of ["image/png", "application/pdf", "text/html"]) assert.equal(servedAs(type)["X-Content-Type-Options"], "nosniff");
});
