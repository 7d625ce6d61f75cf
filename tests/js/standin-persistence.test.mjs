// The stand-in with a data directory: grants, tokens, keys, export jobs and
// items, and subscriptions survive a clean restart and a SIGKILL; a refresh
// token rotated to the client is on disk before the response leaves.
// Run: node --test tests/js/standin-persistence.test.mjs

import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { obtainTokens, refreshTokens, startStandin, startStandinProcess } from "../../dev/standin/index.mjs";
import { openJournal } from "../../dev/standin/runtime/index.mjs";

const dirs = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "standin-data-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const portsOf = (info) => ({ port: Number(new URL(info.issuer).port), apiPort: Number(new URL(info.apiBaseUrl).port) });

async function api(info, token, method, path, body) {
  const res = await fetch(new URL(path, info.apiBaseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function admin(info, method, path, body) {
  const res = await fetch(`${info.adminUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

// Tokens, a rotated refresh token, a half-reported job and a subscription.
async function makeState(info) {
  const first = await obtainTokens(info, { company: 1 });
  const rotated = await refreshTokens(info, first.refresh_token);
  const made = await admin(info, "POST", "/export-jobs", { company: info.companies[1].subject, entries: 5 });
  const call = (...args) => api(info, rotated.access_token, ...args);
  assert.equal((await call("POST", "/v3/export-job-events", { event: "started", jobId: made.jobId })).status, 202);
  const put = await call(
    "PUT",
    `/v3/export-jobs/${made.jobId}/items`,
    made.accountingEntryIds.slice(0, 2).map((id) => ({
      accountingEntryId: id,
      status: "successful",
      externalId: `L-${id.slice(0, 4)}`,
    })),
  );
  assert.equal(put.status, 200);
  const sub = (
    await call("POST", "/v1/subscriptions", {
      endpointUrl: "http://127.0.0.1:9/hook",
      eventTypes: ["v1.export-job.created"],
      status: "INACTIVE",
    })
  ).body.data;
  const secret = (await call("GET", `/v1/subscriptions/${sub.id}/secret`)).body.data.secretKey;
  return {
    first,
    rotated,
    made,
    sub,
    secret,
    view: await admin(info, "GET", `/export-jobs/${made.jobId}`),
  };
}

async function checkState(info, state) {
  const call = (...args) => api(info, state.rotated.access_token, ...args);
  // the access token issued before the restart still works
  const job = await call("GET", `/v3/export-jobs/${state.made.jobId}`);
  assert.equal(job.status, 200, JSON.stringify(job.body));
  assert.equal(job.body.data.status, "in_progress");
  assert.deepEqual(await admin(info, "GET", `/export-jobs/${state.made.jobId}`), {
    ...state.view,
    job: { ...state.view.job, expiresIn: job.body.data.expiresIn },
  });
  assert.equal((await call("GET", `/v1/subscriptions/${state.sub.id}/secret`)).body.data.secretKey, state.secret);
  // a job may still be finished: the remaining items, then the event
  const rest = state.made.accountingEntryIds.slice(2).map((id) => ({ accountingEntryId: id, status: "successful" }));
  assert.equal((await call("PUT", `/v3/export-jobs/${state.made.jobId}/items`, rest)).body.errors.length, 0);
  // the newest refresh token works; the one rotated away is refused and revokes the grant
  const next = await refreshTokens(info, state.rotated.refresh_token);
  assert.ok(next.access_token);
  await assert.rejects(refreshTokens(info, state.first.refresh_token), (err) => err.body?.error === "invalid_grant");
  await assert.rejects(refreshTokens(info, next.refresh_token), (err) => err.body?.error === "invalid_grant");
  assert.equal((await api(info, next.access_token, "GET", "/v1/introspect")).status, 401);
}

describe("journal", () => {
  test("compacts into the snapshot every N lines; replay gives the same state; a torn line is dropped", () => {
    const dir = tempDir();
    let j = openJournal({ dir, compactEvery: 10 });
    for (let i = 0; i < 25; i += 1)
      j.commit([
        ["n", `k${i % 7}`, { i }],
        ["m", `x${i}`, i % 3 ? i : undefined],
      ]);
    j.commit([["n", "k0"]]); // delete
    const lines = readFileSync(join(dir, "journal.jsonl"), "utf8").split("\n").filter(Boolean);
    assert.equal(lines.length, 6, "25 + 1 commits, compacted at 10 and 20");
    const snapshot = JSON.parse(readFileSync(join(dir, "snapshot.json"), "utf8"));
    assert.equal(snapshot.spaces.n.k5.i, 19, "the snapshot holds commits 1..20");
    const state = (journal) => JSON.stringify([journal.entries("n"), journal.entries("m")]);
    const before = state(j);
    assert.equal(j.get("n", "k0"), undefined);
    assert.equal(j.get("n", "k3").i, 24);
    assert.equal(j.get("m", "x3"), undefined);
    assert.throws(() => openJournal({ dir }), /in use by process/);
    // no close(): as after a kill, snapshot + journal must give the same state
    appendFileSync(join(dir, "journal.jsonl"), '[["n","k1",{"i":9');
    rmSync(join(dir, "lock")); // a killed process's lock names a dead pid; ours is alive
    j = openJournal({ dir });
    assert.equal(state(j), before);
    j.close();
    assert.deepEqual(readdirSync(dir).sort(), ["journal.jsonl", "snapshot.json"]);
    // memory mode keeps nothing
    const m = openJournal();
    m.commit([["n", "a", 1]]);
    assert.equal(m.get("n", "a"), undefined);
    assert.equal(m.persistent, false);
  });
});

describe("persistence", () => {
  test("a clean restart keeps grants, tokens, jobs, reports and subscriptions; memory mode keeps nothing", async () => {
    const dataDir = tempDir();
    let standin = await startStandin({ dataDir });
    const ports = portsOf(standin.info);
    const state = await makeState(standin.info);
    await assert.rejects(startStandin({ dataDir }), /in use by process/);
    await standin.close();
    await new Promise((r) => setTimeout(r, 200)); // let fetch's pool see its sockets close
    standin = await startStandin({ dataDir, ...ports });
    try {
      await checkState(standin.info, state);
      assert.deepEqual(readdirSync(dataDir).sort(), ["journal.jsonl", "lock", "snapshot.json"]);
    } finally {
      await standin.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    standin = await startStandin({ dataDir, ...ports, reset: true });
    try {
      const gone = await fetch(`${standin.info.adminUrl}/export-jobs/${state.made.jobId}`);
      assert.equal(gone.status, 404, "reset starts empty");
    } finally {
      await standin.close();
    }
  });

  test("SIGKILL right after a refresh loses nothing; a torn journal line is ignored", async () => {
    const dataDir = tempDir();
    const env = {
      STANDIN_DATA_DIR: dataDir,
      STANDIN_EXPORT_JOB_TTL: "120",
      STANDIN_WEBHOOK_RETRY_MS: "50",
      STANDIN_WEBHOOK_ATTEMPTS: "2",
      STANDIN_COMPANIES: "6",
    };
    let proc = await startStandinProcess({ env });
    const ports = portsOf(proc.info);
    try {
      assert.deepEqual(await admin(proc.info, "GET", "/settings"), {
        exportJobTtl: 120,
        webhookRetryMs: 50,
        webhookAttempts: 2,
        receiptLinkTtl: 86400,
      });
      assert.equal(proc.info.companies.length, 6);
      const state = await makeState(proc.info);
      proc.child.kill("SIGKILL"); // no chance to flush or compact
      await new Promise((r) => proc.child.once("exit", r));
      // what a crash in the middle of a write could leave: half a line
      appendFileSync(join(dataDir, "journal.jsonl"), '[["oidc","RefreshToken:x",{"val');
      proc = await startStandinProcess({ env, ...ports });
      await checkState(proc.info, state);
    } finally {
      const exited = new Promise((r) => proc.child.once("exit", r));
      proc.close();
      await exited; // it writes its snapshot on the way out
    }
  });
});
