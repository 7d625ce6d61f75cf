// The demo ledger's receipts (issue #18): bytes in an R2 bucket (binding
// `RECEIPTS`; workerd's local R2 under `npm start`, persisted in .data/), and
// one D1 row per receipt in the ledger's database (`LEDGER_DB`) with its
// company, job, type, size and SHA-256, so the export routes can list them.
//
// Idempotent on (accountingEntryId, index): the R2 key is made of exactly
// that, so writing again overwrites the same object; the row is written only
// after the object is complete (INSERT OR IGNORE). A kill between the two
// leaves an object without a row: `hasReceipt` says no, the re-delivered
// batch writes the same key again and adds the row: still one receipt.
// Without a RECEIPTS binding the demo ledger stores no receipts (storesReceipts).

export const RECEIPTS_BINDING = "RECEIPTS";

const SCHEMA = `CREATE TABLE IF NOT EXISTS ledger_receipts (
  accounting_entry_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  company TEXT NOT NULL,
  job_id TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  stored_at TEXT NOT NULL,
  PRIMARY KEY (accounting_entry_id, idx)
)`;
const INDEX = "CREATE INDEX IF NOT EXISTS ledger_receipts_job ON ledger_receipts (job_id)";

const ready = new WeakMap();
function ensureSchema(db) {
  let promise = ready.get(db);
  if (!promise) {
    promise = db.batch([db.prepare(SCHEMA), db.prepare(INDEX)]).catch((err) => {
      ready.delete(db);
      throw err;
    });
    ready.set(db, promise);
  }
  return promise;
}

/** The R2 key of a receipt: one object per (accountingEntryId, index). */
export const receiptKey = (accountingEntryId, index) => `receipts/${accountingEntryId}/${index}`;

const FEED_BYTES = 64 * 1024;

/**
 * Writes the receipt into R2's writable from one reused buffer: a BYOB read
 * of the run's byte stream, each write awaited before the buffer is filled
 * again. `body.pipeTo(writable)` would do the same with a fresh buffer per
 * chunk, freed only at the next garbage collection: in workerd that grew the
 * process by about the receipt's size (bench/stream-memory.mjs, run-fixed vs
 * run-fixed-write). An error on either side ends the other.
 */
async function feed(body, writable) {
  const writer = writable.getWriter();
  let reader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    reader = null; // not a byte stream: the plain pipe
  }
  if (!reader) {
    writer.releaseLock();
    return body.pipeTo(writable);
  }
  let buffer = new ArrayBuffer(FEED_BYTES);
  try {
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) break;
      await writer.write(value); // resolved: the bytes were taken, the buffer is ours again
      buffer = value.buffer;
    }
    await writer.close();
  } catch (err) {
    reader.cancel(err).catch(() => {});
    writer.abort(err).catch(() => {});
    throw err;
  }
}

/**
 * The receipt half of the demo ledger, mixed into d1Ledger.
 * @param {string} dbBinding the D1 binding of the ledger
 */
export function r2Receipts(dbBinding) {
  const bound = (env) => {
    const bucket = env?.[RECEIPTS_BINDING];
    const db = env?.[dbBinding];
    return bucket && typeof bucket.put === "function" && db ? { bucket, db } : null;
  };
  return {
    storesReceipts: ({ env } = {}) => Boolean(bound(env)),
    async hasReceipt({ accountingEntryId, index }, { env }) {
      const { db } = bound(env);
      await ensureSchema(db);
      const row = await db
        .prepare("SELECT 1 AS found FROM ledger_receipts WHERE accounting_entry_id = ?1 AND idx = ?2")
        .bind(accountingEntryId, index)
        .first();
      return Boolean(row);
    },
    async saveReceipt({ accountingEntryId, index, type, size, sha256, body }, { company, jobId, env }) {
      const { bucket, db } = bound(env);
      await ensureSchema(db);
      // R2 needs the length of a streamed body up front: the stated size,
      // which receipts.js enforces byte for byte while streaming.
      let stream = body;
      let fed = null;
      if (typeof FixedLengthStream === "function") {
        const fixed = new FixedLengthStream(size);
        fed = feed(body, fixed.writable);
        fed.catch(() => {}); // an error reaches put() through the readable
        stream = fixed.readable;
      }
      await bucket.put(receiptKey(accountingEntryId, index), stream, { httpMetadata: { contentType: type } });
      await fed;
      const digest = await sha256; // resolved: the body was read to its end
      await db
        .prepare(
          "INSERT OR IGNORE INTO ledger_receipts (accounting_entry_id, idx, company, job_id, type, size, sha256, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(accountingEntryId, index, company, jobId, type, size, digest, new Date().toISOString())
        .run();
    },
  };
}

/** A job's receipts of one company: [{accountingEntryId, index, type, size, sha256}]. */
export async function listReceipts(env, dbBinding, { company, jobId }) {
  const db = env?.[dbBinding];
  if (!db) return [];
  await ensureSchema(db);
  const { results } = await db
    .prepare(
      "SELECT accounting_entry_id, idx, type, size, sha256 FROM ledger_receipts WHERE company = ?1 AND job_id = ?2 ORDER BY accounting_entry_id, idx",
    )
    .bind(company, jobId)
    .all();
  return results.map((r) => ({ accountingEntryId: r.accounting_entry_id, index: r.idx, type: r.type, size: r.size, sha256: r.sha256 }));
}

/** One receipt's row and R2 object when it belongs to that company and job, else null. */
export async function openReceipt(env, dbBinding, { company, jobId, accountingEntryId, index }) {
  const db = env?.[dbBinding];
  const bucket = env?.[RECEIPTS_BINDING];
  if (!db || !bucket) return null;
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT type, size FROM ledger_receipts WHERE company = ?1 AND job_id = ?2 AND accounting_entry_id = ?3 AND idx = ?4")
    .bind(company, jobId, accountingEntryId, index)
    .first();
  if (!row) return null;
  const object = await bucket.get(receiptKey(accountingEntryId, index));
  return object ? { type: row.type, size: row.size, body: object.body } : null;
}
