// verifyWebhook (Standard Webhooks, as Pleo signs them) through the npm
// package in Node: the shared vectors, interop with the reference
// implementation (the `standardwebhooks` package) in both directions, every
// kind of tampering, and the wasm instance still working after each failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import { OAuthError, verifyWebhook } from "pleo-oauth";

const vectors = JSON.parse(readFileSync(new URL("../vectors/webhook.json", import.meta.url), "utf8"));

const secret = "whsec_" + randomBytes(32).toString("base64");
const id = "msg_2Qv3kTz8Wn4XbJrA9sLdF0pHcY1";
// Pleo's delivery body: {data, eventId, eventType}.
const body = JSON.stringify({
  data: { id: "job-1", status: "pending", numberOfItems: 3, note: "Café ✓ 😀" },
  eventId: "a257a31e-e8a6-4c36-a98d-451250e5b5c4",
  eventType: "v1.export-job.created",
});

/** Signs with node:crypto, independently of both libraries. */
function sign(key, msgId, ts, raw) {
  const bytes = Buffer.from(key.replace(/^whsec_/, ""), "base64");
  return "v1," + createHmac("sha256", bytes).update(`${msgId}.${ts}.`).update(raw).digest("base64");
}

function headersFor(ts, signature, msgId = id) {
  return { "webhook-id": msgId, "webhook-timestamp": String(ts), "webhook-signature": signature };
}

const codeOf = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OAuthError, `not an OAuthError: ${e}`);
    assert.equal(e.name, "OAuthError");
    return e.code;
  }
  return "ok";
};

/** A valid delivery verifies: proves the instance is still healthy. */
function stillWorks() {
  const ts = Math.floor(Date.now() / 1000);
  const r = verifyWebhook({ headers: headersFor(ts, sign(secret, id, ts, body)), body, secret });
  assert.equal(r.type, "v1.export-job.created");
}

test("the shared vectors (published Standard Webhooks vectors included) give the same results as the native core", () => {
  let count = 0;
  for (const c of vectors.cases) {
    const raw = c.body !== undefined ? c.body : new Uint8Array(Buffer.from(c.bodyBase64, "base64"));
    const run = () => verifyWebhook({ headers: c.headers, body: raw, secret: c.secret, now: c.now, toleranceSeconds: c.toleranceSeconds });
    if (c.error) {
      assert.equal(codeOf(run), c.error, c.name);
    } else {
      const r = run();
      assert.equal(r.id, c.expect.id, c.name);
      assert.equal(r.timestamp, c.expect.timestamp, c.name);
      assert.equal(r.type, c.expect.type, c.name);
      assert.deepEqual(r.payload, JSON.parse(typeof raw === "string" ? raw : Buffer.from(raw).toString("utf8")), c.name);
    }
    stillWorks();
    count++;
  }
  assert.ok(count >= 30, `${count} vectors`);
  for (const p of vectors.published) {
    const r = verifyWebhook({
      headers: headersFor(p.timestamp, p.signature, p.id),
      body: p.body,
      secret: p.secret,
      now: p.timestamp * 1000,
    });
    assert.equal(r.id, p.id, p.name);
  }
});

test("messages signed by the reference implementation (standardwebhooks) verify, as string, bytes and Headers", () => {
  const wh = new Webhook(secret);
  for (let i = 0; i < 20; i++) {
    const msgId = `msg_${randomBytes(8).toString("hex")}`;
    const raw = JSON.stringify({ type: "v1.export-job.created", n: i, s: "x".repeat(i * 37), u: "é😀" });
    const date = new Date();
    const signature = wh.sign(msgId, date, raw);
    const ts = Math.floor(date.getTime() / 1000);
    const h = headersFor(ts, signature, msgId);
    assert.equal(verifyWebhook({ headers: h, body: raw, secret }).id, msgId);
    assert.equal(verifyWebhook({ headers: new Headers(h), body: new TextEncoder().encode(raw), secret }).payload.n, i);
    // Without the whsec_ prefix too.
    assert.equal(verifyWebhook({ headers: h, body: raw, secret: secret.slice(6) }).timestamp, ts);
  }
});

test("messages we accept are accepted by the reference implementation (signed with node:crypto)", () => {
  const wh = new Webhook(secret);
  for (let i = 0; i < 20; i++) {
    const ts = Math.floor(Date.now() / 1000) - i;
    const raw = JSON.stringify({ type: "t", i });
    const h = headersFor(ts, sign(secret, id, ts, raw));
    assert.deepEqual(verifyWebhook({ headers: h, body: raw, secret }).payload, { type: "t", i });
    assert.deepEqual(wh.verify(raw, h), { type: "t", i });
  }
});

test("tampering, wrong secrets, stale or future timestamps and malformed headers each give their code, and the instance keeps working", () => {
  const now = Date.now();
  const ts = Math.floor(now / 1000);
  const good = sign(secret, id, ts, body);
  const cases = [
    ["tampered body", { headers: headersFor(ts, good), body: body.replace("3", "4") }, "webhook_signature_mismatch"],
    ["tampered body bytes", { headers: headersFor(ts, good), body: Buffer.from(body + " ") }, "webhook_signature_mismatch"],
    ["tampered id", { headers: headersFor(ts, good, id + "1") }, "webhook_signature_mismatch"],
    ["tampered timestamp", { headers: headersFor(ts - 1, good) }, "webhook_signature_mismatch"],
    ["tampered signature", { headers: headersFor(ts, good.slice(0, -5) + "AAAA=") }, "webhook_signature_mismatch"],
    [
      "wrong secret",
      { headers: headersFor(ts, good), secret: "whsec_" + randomBytes(32).toString("base64") },
      "webhook_signature_mismatch",
    ],
    ["stale", { headers: headersFor(ts - 400, sign(secret, id, ts - 400, body)) }, "webhook_timestamp_out_of_range"],
    ["future", { headers: headersFor(ts + 400, sign(secret, id, ts + 400, body)) }, "webhook_timestamp_out_of_range"],
    ["several, one valid", { headers: headersFor(ts, `v1,${randomBytes(32).toString("base64")} v2,abc ${good}`) }, "ok"],
    [
      "only other versions",
      { headers: headersFor(ts, good.replace("v1,", "v2,") + " " + good.replace("v1,", "v1b,")) },
      "webhook_signature_mismatch",
    ],
    ["no signature header", { headers: { "webhook-id": id, "webhook-timestamp": String(ts) } }, "invalid_webhook"],
    ["no id", { headers: { "webhook-timestamp": String(ts), "webhook-signature": good } }, "invalid_webhook"],
    ["non-numeric timestamp", { headers: headersFor("soon", good) }, "invalid_webhook"],
    ["signature without version", { headers: headersFor(ts, good.slice(3)) }, "invalid_webhook"],
    ["header given twice with different values", { headers: { ...headersFor(ts, good), "Webhook-Id": "other" } }, "invalid_webhook"],
    [
      "array header value (Node IncomingHttpHeaders)",
      { headers: { ...headersFor(ts, good), "webhook-signature": [good] } },
      "invalid_webhook",
    ],
    ["lone surrogate in the body", { headers: headersFor(ts, good), body: body + "\ud800" }, "invalid_webhook"],
    ["bad secret", { headers: headersFor(ts, good), secret: "whsec_%%%" }, "invalid_webhook"],
    ["body of the wrong type", { headers: headersFor(ts, good), body: { already: "parsed" } }, "invalid_input"],
    ["secret of the wrong type", { headers: headersFor(ts, good), secret: 42 }, "invalid_input"],
    ["no headers", { headers: null }, "invalid_input"],
  ];
  for (const [name, override, expected] of cases) {
    const input = { headers: headersFor(ts, good), body, secret, now, ...override };
    assert.equal(
      codeOf(() => verifyWebhook(input)),
      expected,
      name,
    );
    stillWorks();
  }
  assert.equal(
    codeOf(() => verifyWebhook(null)),
    "invalid_input",
  );
  stillWorks();
});

test("error messages never contain the secret or a signature", () => {
  const ts = Math.floor(Date.now() / 1000);
  const good = sign(secret, id, ts, body);
  for (const input of [
    { headers: headersFor(ts, good), body: body + " ", secret },
    { headers: headersFor(ts + 9999, good), body, secret },
    { headers: headersFor(ts, "garbage"), body, secret },
    { headers: headersFor(ts, good), body, secret: secret + "%" },
  ]) {
    try {
      verifyWebhook(input);
      assert.fail("verified");
    } catch (e) {
      assert.ok(!e.message.includes(secret.slice(6, 20)), e.message);
      assert.ok(!e.message.includes(good.slice(3, 20)), e.message);
    }
  }
});

test("in workerd (miniflare): verifyWebhook and the export run work from the workerd entry, signed by standardwebhooks", async () => {
  const { build } = await import("esbuild");
  const { mkdtempSync, rmSync, copyFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const outdir = mkdtempSync(join(tmpdir(), "pleo-edge-workerd-"));
  try {
    await build({
      stdin: {
        contents: `import { verifyWebhook, exportRunStart, exportRunNext } from "pleo-oauth";
export default { async fetch(request, env) {
  const body = new Uint8Array(await request.arrayBuffer());
  try {
    const v = verifyWebhook({ headers: request.headers, body, secret: env.SECRET });
    const run = exportRunNext(exportRunStart({ apiBaseUrl: "https://external.pleo.io", jobId: v.payload.data.id, jobStatus: "pending" }));
    return Response.json({ id: v.id, type: v.type, next: run.action.request.url });
  } catch (e) { return Response.json({ code: e.code, name: e.name }, { status: 401 }); }
} };`,
        resolveDir: root,
        loader: "js",
      },
      outfile: join(outdir, "worker.js"),
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      logLevel: "silent",
      plugins: [
        {
          name: "self",
          setup(b) {
            b.onResolve({ filter: /^pleo-oauth$/ }, () => ({ path: join(root, "dist", "workerd.js") }));
            b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: "./" + a.path.split("/").pop(), external: true }));
          },
        },
      ],
    });
    copyFileSync(join(root, "dist", "edge_pleo_oauth_bg.wasm"), join(outdir, "edge_pleo_oauth_bg.wasm"));
    const { Miniflare } = await import("miniflare");
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(outdir, "worker.js"),
      modulesRoot: outdir,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      compatibilityDate: "2026-04-01",
      bindings: { SECRET: secret },
    });
    try {
      const wh = new Webhook(secret);
      const raw = JSON.stringify({
        data: { id: "job-7" },
        eventId: "a257a31e-e8a6-4c36-a98d-451250e5b5c4",
        eventType: "v1.export-job.created",
      });
      for (let i = 0; i < 3; i++) {
        const msgId = `msg_w${i}`;
        const date = new Date();
        const headers = headersFor(Math.floor(date.getTime() / 1000), wh.sign(msgId, date, raw), msgId);
        const ok = await mf.dispatchFetch("http://localhost/", { method: "POST", headers, body: raw });
        assert.deepEqual(await ok.json(), {
          id: msgId,
          type: "v1.export-job.created",
          next: "https://external.pleo.io/v3/export-job-events",
        });
        const bad = await mf.dispatchFetch("http://localhost/", { method: "POST", headers, body: raw + " " });
        assert.deepEqual(await bad.json(), { code: "webhook_signature_mismatch", name: "OAuthError" });
      }
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test("the browser entry stays OAuth-only; pleo-oauth/edge has the edge exports everywhere", async () => {
  const web = await import("../../dist/web.js");
  assert.equal(web.verifyWebhook, undefined);
  assert.equal(web.exportRunStart, undefined);
  assert.equal(typeof web.OAuthClient, "function");
  const edge = await import("pleo-oauth/edge");
  assert.equal(typeof edge.verifyWebhook, "function");
  assert.equal(typeof edge.exportRunNext, "function");
  const edgeWeb = await import("../../dist/edge_web.js");
  await edgeWeb.init(readFileSync(new URL("../../dist/edge_pleo_oauth_bg.wasm", import.meta.url)));
  const ts = Math.floor(Date.now() / 1000);
  const r = edgeWeb.verifyWebhook({ headers: headersFor(ts, sign(secret, id, ts, body)), body, secret });
  assert.equal(r.type, "v1.export-job.created");
  assert.ok(edgeWeb.OAuthClient);
});
