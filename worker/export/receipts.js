// Receipts reach the ledger (issue #18): after a batch is booked, each booked
// entry's files (ExportItemV3 `files[{url, type, size}]`, links that expire)
// are fetched and handed to the ledger's optional `saveReceipt` as a stream.
//
// - Never held whole: the body flows fetch → checks → ledger; a SHA-256 is
//   computed on the way (sha256.js: incremental, portable). It is read with a
//   BYOB reader into one reused buffer and handed on as a byte stream, so
//   memory does not grow with the receipt's size (verifiedStream).
// - Checked: Content-Length and the bytes actually read against the stated
//   `size` and RECEIPT_MAX_BYTES (30 MB, Pleo's limit); the Content-Type's
//   media type against `type`. A check that fails errors the stream, so the
//   ledger's write fails and nothing partial is kept (the ledger must store
//   only bodies it read to their end).
// - Renewed: 403/404/410 from the file host means the link expired or was
//   refused; the item is read again from GET /v3/export-items (`renew`) for a
//   fresh link, then fetched again.
// - Retried: other failures (5xx, no answer, a stalled body) are retried a
//   few times with a short backoff.
// - Reported: a receipt that still cannot be stored turns that item's result
//   into `failed` with Pleo's item failure type (ExportJobItemFailureReasonType):
//   `receipt_file_size_limit_exceeded` over 30 MB, `receipt_download_failure`
//   when it could not be fetched intact, `receipt_upload_failure` when the
//   ledger refused it. The job goes on.
// - Idempotent on (accountingEntryId, index): the ledger's contract
//   (ledger.js). An optional `hasReceipt` lets the runner skip a download
//   already stored (a re-delivered batch after a crash).
//
// Order: the runner reports an item `successful` to Pleo only AFTER its
// receipts are stored (results are persisted and reported after this
// returns). A kill between booking and the last receipt leaves the batch in
// flight; the next instance delivers it again: `book` and `saveReceipt` are
// idempotent, so each receipt ends up stored exactly once, and Pleo hears of
// the item once.
import { withDeadline } from "../http/deadline.js";
import { Sha256 } from "./sha256.js";

export const RECEIPT_MAX_BYTES = 30 * 1024 * 1024;
const ATTEMPTS = 3;
const RENEW_STATUSES = new Set([403, 404, 410]);
const DEFAULT_IDLE_MS = 30_000;
const CHUNK_BYTES = 64 * 1024;

/** A receipt that could not be stored, with the item failure type to report. */
export class ReceiptError extends Error {
  constructor(type, message, { retry = false, renew = false } = {}) {
    super(message);
    this.name = "ReceiptError";
    this.failureReasonType = type;
    this.retry = retry;
    this.renew = renew;
  }
}

const mediaType = (value) =>
  String(value ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();

/** The files of an export item's raw JSON, or [] (malformed entries have none). */
export function filesOf(json) {
  try {
    const files = JSON.parse(json)?.files;
    return Array.isArray(files) ? files.filter((f) => f && typeof f.url === "string") : [];
  } catch {
    return [];
  }
}

/**
 * A checking, hashing pass-through of `body`. `sha256` resolves with the hex
 * digest once the body was read to its end and matched `size`; the stream
 * errors (and `sha256` rejects) on a size breach or a stall.
 *
 * Memory (issue #18; bench/stream-memory.mjs): workerd hands each chunk of a
 * default read to JavaScript in a fresh buffer that is freed only at the next
 * garbage collection, so a 26 MB body read that way grows the process by
 * about 26 MB. So the result is a byte stream (`type: "bytes"`), and a
 * ledger reading it with a BYOB reader gets the body read with a BYOB reader
 * into one reused 64 KiB buffer and copied into its own: no buffer is made
 * per chunk. A ledger with a default reader gets the body's chunks as they
 * come (read with a default reader: a copy would only add garbage). The
 * reader is chosen at the ledger's first read. A body without BYOB support
 * is read with a default reader either way (still checked and hashed).
 */
export function verifiedStream(body, { size, idleMs = DEFAULT_IDLE_MS, chunkBytes = CHUNK_BYTES }) {
  const hash = new Sha256();
  let seen = 0;
  let settle;
  const sha256 = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  sha256.catch(() => {}); // read by whoever cares; never an unhandled rejection
  let reader = null;
  let buffer = null; // the reused buffer of a BYOB read
  let owned = false; // a default read's chunks are ours alone (the body is a byte stream)
  const open = (byob) => {
    try {
      const probe = body.getReader({ mode: "byob" });
      owned = true;
      if (byob) {
        reader = probe;
        buffer = new ArrayBuffer(chunkBytes);
        return;
      }
      probe.releaseLock();
    } catch {
      // not a byte stream: a default reader
    }
    reader = body.getReader();
  };
  const read = (room) =>
    withDeadline(
      (buffer ? reader.read(new Uint8Array(buffer, 0, Math.min(room, buffer.byteLength))) : reader.read()).catch((err) => {
        throw err instanceof ReceiptError
          ? err
          : new ReceiptError("receipt_download_failure", "The receipt download broke off.", { retry: true });
      }),
      idleMs,
      () => new ReceiptError("receipt_download_failure", "The receipt download stalled.", { retry: true }),
    );
  let pending = null; // bytes read, checked and hashed, not yet handed on
  const stream = new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const request = controller.byobRequest;
      try {
        if (!reader) open(Boolean(request));
        while (!pending) {
          // Read no more than the consumer's buffer holds: one copy, nothing left over.
          const { done, value } = await read(request?.view?.byteLength || chunkBytes);
          if (buffer && value) buffer = value.buffer; // the reused buffer, handed back
          if (done) {
            if (seen !== size) throw new ReceiptError("receipt_download_failure", `The receipt has ${seen} bytes, not the stated ${size}.`);
            settle.resolve(hash.hex());
            controller.close();
            request?.respond(0);
            return;
          }
          seen += value.byteLength;
          if (seen > RECEIPT_MAX_BYTES) throw new ReceiptError("receipt_file_size_limit_exceeded", "The receipt is larger than 30 MB.");
          if (seen > size) throw new ReceiptError("receipt_download_failure", `The receipt is larger than its stated ${size} bytes.`);
          hash.update(value);
          if (value.byteLength) pending = value; // an empty chunk: read again (a byte stream takes none)
        }
        if (request) {
          // The consumer's own buffer (a BYOB read): copy into it.
          const n = Math.min(pending.byteLength, request.view.byteLength);
          request.view.set(pending.subarray(0, n));
          pending = n < pending.byteLength ? pending.subarray(n) : null;
          request.respond(n);
        } else {
          // A default read: the chunk becomes the consumer's (enqueue hands its whole
          // ArrayBuffer over). A copy when it is our reused buffer, or when the body
          // is not a byte stream: its chunks may share a buffer (a pooled Buffer).
          const chunk = pending;
          pending = null;
          controller.enqueue(owned && !buffer ? chunk : new Uint8Array(chunk)); // a copy (Buffer#slice is not one)
        }
      } catch (err) {
        settle.reject(err);
        controller.error(err);
        (reader ?? body).cancel().catch(() => {});
      }
    },
    cancel(reason) {
      settle.reject(new ReceiptError("receipt_upload_failure", "The ledger stopped reading the receipt."));
      return (reader ?? body).cancel(reason);
    },
  });
  return { stream, sha256 };
}

/** One attempt: fetch, check the headers, stream into the ledger. → sha256 hex. */
async function storeOnce({ ledger, file, accountingEntryId, index, context, fetchFile, idleMs }) {
  const type = mediaType(file.type);
  const size = Number(file.size);
  if (!Number.isSafeInteger(size) || size < 0)
    throw new ReceiptError("receipt_download_failure", "The receipt's stated size is not a byte count.");
  if (size > RECEIPT_MAX_BYTES) throw new ReceiptError("receipt_file_size_limit_exceeded", "The receipt is larger than 30 MB.");
  let response;
  try {
    response = await fetchFile(file.url);
  } catch {
    throw new ReceiptError("receipt_download_failure", "The receipt's host did not answer.", { retry: true });
  }
  if (RENEW_STATUSES.has(response.status)) {
    response.body?.cancel().catch(() => {});
    throw new ReceiptError("receipt_download_failure", `The receipt link was refused (HTTP ${response.status}).`, { renew: true });
  }
  if (!response.ok || !response.body) {
    response.body?.cancel().catch(() => {});
    throw new ReceiptError("receipt_download_failure", `The receipt's host answered HTTP ${response.status}.`, { retry: true });
  }
  const declared = response.headers.get("content-length");
  const refuse = (err) => {
    response.body.cancel().catch(() => {});
    throw err;
  };
  if (declared !== null && Number(declared) > RECEIPT_MAX_BYTES)
    refuse(new ReceiptError("receipt_file_size_limit_exceeded", "The receipt is larger than 30 MB."));
  if (declared !== null && Number(declared) !== size)
    refuse(new ReceiptError("receipt_download_failure", `The receipt has ${declared} bytes, not the stated ${size}.`));
  const got = mediaType(response.headers.get("content-type"));
  if (type && got !== type)
    refuse(new ReceiptError("receipt_download_failure", `The receipt is ${got || "of no type"}, not the stated ${type}.`));
  const { stream, sha256 } = verifiedStream(response.body, { size, idleMs });
  try {
    await ledger.saveReceipt({ accountingEntryId, index, type: file.type, size, sha256, body: stream }, context);
  } catch (err) {
    // Our own check broke the stream: report that, not the ledger's echo of it.
    const ours = await sha256.then(
      () => null,
      (e) => e,
    );
    if (ours instanceof ReceiptError) throw ours;
    throw new ReceiptError("receipt_upload_failure", `The ledger did not store the receipt: ${String(err?.message ?? err).slice(0, 200)}`);
  }
  // The ledger must read the body to its end; one that returned early stored a part.
  const digest = await sha256.catch((err) => {
    throw err instanceof ReceiptError ? err : new ReceiptError("receipt_upload_failure", "The ledger did not read the whole receipt.");
  });
  return digest;
}

/**
 * Stores one file with renewal and retries. `renew()` → the item's fresh
 * files (or null). Throws ReceiptError when it finally cannot.
 */
async function storeFile(o) {
  let { file } = o;
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await storeOnce({ ...o, file });
    } catch (err) {
      const e =
        err instanceof ReceiptError
          ? err
          : new ReceiptError("receipt_download_failure", "The receipt could not be fetched.", { retry: true });
      if (e.renew && !renewed) {
        renewed = true;
        const fresh = await o.renew().catch(() => null);
        const again = fresh?.[o.index];
        if (again && typeof again.url === "string") {
          file = again;
          continue;
        }
      }
      if (!e.retry || attempt >= ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, o.backoffMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Stores the receipts of every booked entry of a batch and returns the
 * results with entries whose receipts could not be stored turned `failed`.
 * Ledgers without `saveReceipt` get the results back unchanged.
 *
 * @param {object} o
 * @param {object} o.ledger the partner's ledger (saveReceipt?, hasReceipt?)
 * @param {{accountingEntryId: string, json: string}[]} o.entries the batch
 * @param {object[]} o.results normalised ledger results, in the batch's order
 * @param {object} o.context the ledger context (company, jobId, env)
 * @param {(accountingEntryId: string) => Promise<object[]|null>} o.renew fresh `files` of an item
 * @param {(url: string) => Promise<Response>} [o.fetchFile]
 * @param {number} [o.idleMs] a body silent this long is a stalled download
 * @param {number} [o.backoffMs]
 */
export async function storeReceipts({
  ledger,
  entries,
  results,
  context,
  renew,
  fetchFile = (url) => fetch(url),
  idleMs = DEFAULT_IDLE_MS,
  backoffMs = 500,
}) {
  // A ledger may have the method but no storage here (the demo's without an R2 bucket).
  if (typeof ledger?.saveReceipt !== "function" || ledger.storesReceipts?.(context) === false) return results;
  const out = [];
  for (let i = 0; i < entries.length; i++) {
    const result = results[i];
    const { accountingEntryId, json } = entries[i];
    const files = result?.status === "successful" ? filesOf(json) : [];
    let failure = null;
    for (let index = 0; index < files.length && !failure; index++) {
      // A failed look-up is "not stored yet": saving again is idempotent.
      if (await Promise.resolve(ledger.hasReceipt?.({ accountingEntryId, index }, context)).catch(() => false)) continue;
      try {
        await storeFile({
          ledger,
          file: files[index],
          accountingEntryId,
          index,
          context,
          fetchFile,
          idleMs,
          backoffMs,
          renew: () => renew(accountingEntryId),
        });
      } catch (err) {
        failure = err;
      }
    }
    if (!failure) {
      out.push(result);
      continue;
    }
    // No URL or body in the log: a signed link is a credential.
    console.error(`export: receipt not stored entry=${accountingEntryId} type=${failure.failureReasonType}`);
    out.push({
      accountingEntryId,
      status: "failed",
      failureReason: failure.message,
      failureReasonType: failure.failureReasonType,
    });
  }
  return out;
}
