// Regenerates tests/vectors/webhook.json: node tests/vectors/gen-webhook.mjs tests/vectors/webhook.json
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
const sign = (secret, id, ts, body) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update(Buffer.concat([Buffer.from(`${id}.${ts}.`), Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8")])).digest("base64");
};
const S1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID1 = "msg_p5jXN8AQM9LWM0D4loKWxJek", TS1 = 1614265330, B1 = '{"test": 2432232314}';
const S2 = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", ID2 = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", TS2 = 1649367553, B2 = '{"email":"test@example.com","username":"test_user"}';
const published = [
  { name: "standard-webhooks libraries/javascript: sign function works", secret: S1, id: ID1, timestamp: TS1, body: B1, signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
  { name: "standard-webhooks libraries/rust: test_sign", secret: S2, id: ID2, timestamp: TS2, body: B2, signature: "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=" },
];
for (const p of published) if ("v1," + sign(p.secret, p.id, p.timestamp, p.body) !== p.signature) throw new Error("published vector mismatch " + p.name);
const PLEO_SECRET = "whsec_" + Buffer.from("pleo-oauth webhook vector key 32").toString("base64");
const PID = "msg_2Qv3kTz8Wn4XbJrA9sLdF0pHcY1";
const PTS = 1796056834;
// Pleo's delivery body: {data, eventId, eventType} (docs/PLEO-API.md "Webhook delivery").
const PBODY = JSON.stringify({ data: { id: "7a4c2d7e-7f7b-4f0e-9c7e-3f1e7d2b9a10", companyId: "c0a8e3f2-1b4d-4e5f-8a9b-0c1d2e3f4a5b", status: "pending", numberOfItems: 250, note: "Café ✓ 😀" }, eventId: "a257a31e-e8a6-4c36-a98d-451250e5b5c4", eventType: "v1.export-job.created" });
const psig = "v1," + sign(PLEO_SECRET, PID, PTS, PBODY);
const H = (id, ts, sig) => { const h = {}; if (id !== null) h["webhook-id"] = id; if (ts !== null) h["webhook-timestamp"] = ts; if (sig !== null) h["webhook-signature"] = sig; return h; };
const cases = [];
const add = (name, c) => cases.push({ name, ...c });
const now = PTS * 1000;
const ok = { id: PID, timestamp: PTS, type: "v1.export-job.created" };
add("published vector 1 verifies (whsec_ prefix)", { secret: S1, headers: H(ID1, String(TS1), published[0].signature), body: B1, now: TS1 * 1000, expect: { id: ID1, timestamp: TS1 } });
add("published vector 1 verifies (no prefix)", { secret: S1.slice(6), headers: H(ID1, String(TS1), published[0].signature), body: B1, now: TS1 * 1000, expect: { id: ID1, timestamp: TS1 } });
add("published vector 2 verifies", { secret: S2, headers: H(ID2, String(TS2), published[1].signature), body: B2, now: TS2 * 1000 + 999, expect: { id: ID2, timestamp: TS2 } });
add("a Pleo export-job.created delivery verifies and reports its type", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now, expect: ok });
add("header names are case-insensitive", { secret: PLEO_SECRET, headers: { "Webhook-Id": PID, "WEBHOOK-TIMESTAMP": String(PTS), "Webhook-Signature": psig }, body: PBODY, now, expect: ok });
add("tampered body", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY.replace("250", "251"), now, error: "webhook_signature_mismatch" });
add("tampered id", { secret: PLEO_SECRET, headers: H(PID + "x", String(PTS), psig), body: PBODY, now, error: "webhook_signature_mismatch" });
add("tampered timestamp (still within tolerance)", { secret: PLEO_SECRET, headers: H(PID, String(PTS + 1), psig), body: PBODY, now, error: "webhook_signature_mismatch" });
const flipped = psig.slice(0, 3) + (psig[3] === "A" ? "B" : "A") + psig.slice(4);
add("tampered signature", { secret: PLEO_SECRET, headers: H(PID, String(PTS), flipped), body: PBODY, now, error: "webhook_signature_mismatch" });
add("truncated signature", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig.slice(0, 20)), body: PBODY, now, error: "webhook_signature_mismatch" });
add("wrong secret", { secret: S1, headers: H(PID, String(PTS), psig), body: PBODY, now, error: "webhook_signature_mismatch" });
add("stale timestamp (301 s old)", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now: now + 301_000, error: "webhook_timestamp_out_of_range" });
add("future timestamp (301 s ahead)", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now: now - 301_000, error: "webhook_timestamp_out_of_range" });
add("exactly 300 s old is accepted", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now: now + 300_999, expect: ok });
add("exactly 300 s ahead is accepted", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now: now - 300_000, expect: ok });
add("a custom tolerance applies", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig), body: PBODY, now: now + 11_000, toleranceSeconds: 10, error: "webhook_timestamp_out_of_range" });
add("out-of-range timestamp wins over a bad signature", { secret: PLEO_SECRET, headers: H(PID, String(PTS), flipped), body: PBODY, now: now + 3_600_000, error: "webhook_timestamp_out_of_range" });
add("several signatures, one valid", { secret: PLEO_SECRET, headers: H(PID, String(PTS), ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", psig, "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE="].join(" ")), body: PBODY, now, expect: ok });
add("several signatures, none valid", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE="), body: PBODY, now, error: "webhook_signature_mismatch" });
add("the right value under another version is ignored", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig.replace("v1,", "v2,")), body: PBODY, now, error: "webhook_signature_mismatch" });
add("v1a is not v1", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig.replace("v1,", "v1a,")), body: PBODY, now, error: "webhook_signature_mismatch" });
add("an asymmetric v1a entry beside a valid v1 is ignored", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1a,c2lnbmF0dXJl " + psig), body: PBODY, now, expect: ok });
add("non-base64 v1 value", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1,!!!notbase64!!!"), body: PBODY, now, error: "webhook_signature_mismatch" });
add("missing webhook-id", { secret: PLEO_SECRET, headers: H(null, String(PTS), psig), body: PBODY, now, error: "invalid_webhook" });
add("missing webhook-timestamp", { secret: PLEO_SECRET, headers: H(PID, null, psig), body: PBODY, now, error: "invalid_webhook" });
add("missing webhook-signature", { secret: PLEO_SECRET, headers: H(PID, String(PTS), null), body: PBODY, now, error: "invalid_webhook" });
add("empty webhook-id", { secret: PLEO_SECRET, headers: H("", String(PTS), psig), body: PBODY, now, error: "invalid_webhook" });
add("empty signature list", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "   "), body: PBODY, now, error: "invalid_webhook" });
add("signature entry without a version", { secret: PLEO_SECRET, headers: H(PID, String(PTS), psig.slice(3)), body: PBODY, now, error: "invalid_webhook" });
add("timestamp that is not a number", { secret: PLEO_SECRET, headers: H(PID, "hello", psig), body: PBODY, now, error: "invalid_webhook" });
add("negative timestamp", { secret: PLEO_SECRET, headers: H(PID, "-" + PTS, psig), body: PBODY, now, error: "invalid_webhook" });
add("timestamp in exponent form", { secret: PLEO_SECRET, headers: H(PID, "1.796056834e9", psig), body: PBODY, now, error: "invalid_webhook" });
add("timestamp in milliseconds (far in the future)", { secret: PLEO_SECRET, headers: H(PID, String(now), psig), body: PBODY, now, error: "invalid_webhook" });
add("secret that is not base64", { secret: "whsec_not*base64", headers: H(PID, String(PTS), psig), body: PBODY, now, error: "invalid_webhook" });
add("empty secret", { secret: "whsec_", headers: H(PID, String(PTS), psig), body: PBODY, now, error: "invalid_webhook" });
const notJson = "not json at all";
add("a correctly signed body that is not JSON", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1," + sign(PLEO_SECRET, PID, PTS, notJson)), body: notJson, now, error: "invalid_webhook" });
const latin1 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]);
add("a correctly signed body that is not UTF-8", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1," + sign(PLEO_SECRET, PID, PTS, latin1)), bodyBase64: latin1.toString("base64"), now, error: "invalid_webhook" });
const noType = '{"data":{"id":"j"},"eventType":7}';
add("a payload whose eventType is not a string has no type", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1," + sign(PLEO_SECRET, PID, PTS, noType)), body: noType, now, expect: { id: PID, timestamp: PTS } });
const ownShape = '{"type":"v1.export-job.created","data":{"id":"j"}}';
add("a body with `type` instead of Pleo's `eventType` has no type", { secret: PLEO_SECRET, headers: H(PID, String(PTS), "v1," + sign(PLEO_SECRET, PID, PTS, ownShape)), body: ownShape, now, expect: { id: PID, timestamp: PTS } });
writeFileSync(process.argv[2], JSON.stringify({
  description: "Standard Webhooks verification (src/webhook.rs, verifyWebhook). `published`: signatures published by the Standard Webhooks project (standard-webhooks/standard-webhooks, libraries/javascript and libraries/rust tests). `cases`: signed with node:crypto's HMAC-SHA256 (an independent implementation); `now` in ms; `body` is UTF-8 text, `bodyBase64` raw bytes; `expect` is the result, `error` the OAuthError code.",
  published, cases }, null, 2) + "\n");
console.log(published.length, "published,", cases.length, "cases");
