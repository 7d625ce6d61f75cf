#!/usr/bin/env node
// Webhook verification: pleo-oauth's verifyWebhook against the reference
// implementation, standardwebhooks' Webhook#verify, in one process on the
// same deliveries (a Pleo-sized `v1.export-job.created` body, a fresh
// timestamp, a string body and a record of headers: what a worker has).
// Both sides verify the HMAC, check the timestamp and parse the JSON.
// Interleaved like bench/run.mjs: per round one timed batch of each side,
// alternating order (ABBA); median ops/s over the rounds.
//
//   node bench/webhook.mjs [--quick] [--json]
//   import { benchWebhook } from "./webhook.mjs"   → { name, ours_ops, peer_ops, ratio }
// ratio = ours_ops / peer_ops (> 1: ours is faster).
import { createHmac, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { verifyWebhook } from "pleo-oauth";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
let sink;

function timeBatch(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0);
}

function calibrate(fn, ms) {
  let n = 1;
  while (timeBatch(fn, n) < ms * 1e6 && n < 1 << 24) n *= 2;
  return n;
}

/** A signed delivery as Pleo sends it. */
export function delivery() {
  const secret = "whsec_" + randomBytes(32).toString("base64");
  const id = "msg_" + randomBytes(12).toString("hex");
  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = JSON.stringify({
    type: "v1.export-job.created",
    timestamp: new Date().toISOString(),
    data: {
      id: "0b9a1d2e-3f40-4c5d-8e6f-7a8b9c0d1e2f",
      companyId: "c0a8e3f2-1b4d-4e5f-8a9b-0c1d2e3f4a5b",
      status: "pending",
      createdAt: new Date().toISOString(),
      lastUpdatedAt: new Date().toISOString(),
      startedAt: null,
      completedAt: null,
      expiresIn: 3600,
      numberOfItems: 250,
      isInteractive: true,
      createdBy: "5b2f1c9e-8d7a-4e3b-9f1c-2a3b4c5d6e7f",
      vendorBasedBookkeeping: false,
      failureReason: null,
      failureReasonType: null,
    },
  });
  const key = Buffer.from(secret.slice(6), "base64");
  const signature = "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  const headers = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
  return { secret, body, headers };
}

export function benchWebhook({ quick = false, log = () => {} } = {}) {
  const cfg = quick ? { warmupMs: 15, batchMs: 15, rounds: 3 } : { warmupMs: 300, batchMs: 200, rounds: 9 };
  const d = delivery();
  const reference = new Webhook(d.secret);
  const ours = () => verifyWebhook({ headers: d.headers, body: d.body, secret: d.secret }).payload;
  const peer = () => reference.verify(d.body, d.headers);
  // Same answer from both before timing anything.
  if (JSON.stringify(ours()) !== JSON.stringify(peer())) throw new Error("the two sides disagree");
  timeBatch(ours, calibrate(ours, cfg.warmupMs));
  timeBatch(peer, calibrate(peer, cfg.warmupMs));
  const nOurs = calibrate(ours, cfg.batchMs);
  const nPeer = calibrate(peer, cfg.batchMs);
  const oursOps = [];
  const peerOps = [];
  for (let r = 0; r < cfg.rounds; r++) {
    const order =
      r % 2
        ? [
            ["peer", peer, nPeer],
            ["ours", ours, nOurs],
          ]
        : [
            ["ours", ours, nOurs],
            ["peer", peer, nPeer],
          ];
    for (const [side, fn, n] of order) {
      const ops = (n / timeBatch(fn, n)) * 1e9;
      (side === "ours" ? oursOps : peerOps).push(ops);
    }
  }
  const result = {
    name: "verify_webhook",
    ours_ops: Math.round(median(oursOps)),
    peer_ops: Math.round(median(peerOps)),
  };
  result.ratio = Number((result.ours_ops / result.peer_ops).toFixed(2));
  log(`verify_webhook: ours ${result.ours_ops} ops/s, standardwebhooks ${result.peer_ops} ops/s, ratio ${result.ratio}×`);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const result = benchWebhook({ quick: args.includes("--quick"), log: (m) => process.stderr.write(`[bench] ${m}\n`) });
  if (args.includes("--json")) console.log(JSON.stringify(result));
  else
    console.log(
      `verify_webhook  ours ${result.ours_ops} ops/s  standardwebhooks ${result.peer_ops} ops/s  ratio ${result.ratio}× (ours/peer)`,
    );
}
