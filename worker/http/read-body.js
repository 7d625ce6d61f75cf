// The one way the worker reads a body: counting bytes as they arrive and
// cancelling the stream at the limit. `request.arrayBuffer()` reads a body
// without Content-Length (chunked) whole before anyone can check its size:
// three parallel 200 MB uploads took workerd from 139 MiB to 1,120 MiB before
// the 413 (issue #16). A declared Content-Length over the limit is refused
// before a byte is read.
import { WorkerError } from "./responses.js";

/**
 * Reads a stream up to `limit` bytes.
 * @param {ReadableStream<Uint8Array>|null|undefined} stream
 * @param {number} limit
 * @param {() => Error} tooLarge the error thrown (after cancelling the stream) past the limit
 * @returns {Promise<Uint8Array>}
 */
export async function readLimitedBytes(stream, limit, tooLarge) {
  const reader = stream?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const bodyTooLarge = () => new WorkerError(413, "body_too_large", "The request body is too large.");

/** A request's body as bytes, at most `limit` of them (else 413 `body_too_large`). */
export async function readRequestBody(request, limit) {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw bodyTooLarge();
  }
  return readLimitedBytes(request.body, limit, bodyTooLarge);
}

/** A request's JSON body (at most `limit` bytes); `fallback` when it is empty or not JSON. */
export async function readRequestJson(request, limit, fallback = null) {
  const bytes = await readRequestBody(request, limit);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fallback;
  }
}
