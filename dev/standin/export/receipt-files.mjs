// Generated receipts (issue #18): `POST {adminUrl}/export-jobs` with
// `"receipts": {"count", "size"}` gives each entry of that job `count` files
// of exactly `size` bytes (up to 30 MB, Pleo's limit). The bytes are a pure
// function of (entry, index, offset), generated chunk by chunk as a stream,
// so a 30 MB receipt is never held in memory, and the admin view can give
// each file's SHA-256 for tests to compare with what a ledger stored.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

import { receiptBytes } from "./entries.mjs";
import { jobReceiptPlan } from "./queries.mjs";
import { entryById } from "./store.mjs";

export const RECEIPT_MAX_BYTES = 30 * 1024 * 1024;
const MAX_COUNT = 10;
const CHUNK = 64 * 1024;
const HEADER = Buffer.from("%PDF-1.4\n% stand-in receipt\n", "latin1");

/** A checked plan from the admin body, or null; throws TypeError naming the problem. */
export function receiptPlan(value) {
  if (value === undefined || value === null) return null;
  const { count, size } = value;
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) throw new TypeError(`receipts.count must be an integer 0..${MAX_COUNT}`);
  if (!Number.isInteger(size) || size < HEADER.length || size > RECEIPT_MAX_BYTES) {
    throw new TypeError(`receipts.size must be an integer ${HEADER.length}..${RECEIPT_MAX_BYTES} (bytes)`);
  }
  return { count, size };
}

/** The plan's files of one entry: [{type, size}]. */
export const plannedFiles = (plan) => Array.from({ length: plan.count }, () => ({ type: "application/pdf", size: plan.size }));

/** Bytes [start, start+length) of receipt `index` of entry `entryId`. */
export function receiptChunk(entryId, index, start, length) {
  const seed = createHash("sha256").update(`${entryId}/${index}`).digest();
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const k = start + i;
    out[i] = k < HEADER.length ? HEADER[k] : seed[k & 31] ^ ((k >>> 5) & 0xff) ^ ((k >>> 13) & 0xff);
  }
  return out;
}

/** The receipt as a stream of CHUNK-sized buffers (`fromByte` lets a stall send a part). */
export function receiptStream(entryId, index, size, upTo = size) {
  let at = 0;
  return new Readable({
    read() {
      if (at >= upTo) return this.push(null);
      const n = Math.min(CHUNK, upTo - at);
      this.push(receiptChunk(entryId, index, at, n));
      at += n;
    },
  });
}

const digests = new Map(); // "entry/index/size" → hex (computed once, chunk by chunk)

/** SHA-256 (hex) of a generated receipt. */
export function receiptSha256(entryId, index, size) {
  const key = `${entryId}/${index}/${size}`;
  let hex = digests.get(key);
  if (!hex) {
    const h = createHash("sha256");
    for (let at = 0; at < size; at += CHUNK) h.update(receiptChunk(entryId, index, at, Math.min(CHUNK, size - at)));
    hex = h.digest("hex");
    if (digests.size > 10_000) digests.clear();
    digests.set(key, hex);
  }
  return hex;
}

/**
 * The admin job view with each item's `files: [{size, sha256}]`: the job's
 * generated receipts, else the entry's small default PDF (entries.mjs).
 */
export function withFileDigests(store, view) {
  if (!view) return view;
  const plan = jobReceiptPlan(store, view.job.id);
  return {
    ...view,
    items: view.items.map((item) => {
      const entry = entryById(store, item.accountingEntryId);
      if (!entry) return { ...item, files: [] };
      const files = plan
        ? plannedFiles(plan).map((f, i) => ({ size: f.size, sha256: receiptSha256(entry.accountingEntryId, i, f.size) }))
        : entry.receipts.map((f, i) => {
            const bytes = receiptBytes(entry, i);
            return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
          });
      return { ...item, files };
    }),
  };
}
