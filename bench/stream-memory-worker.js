// The worker of bench/stream-memory.mjs: fetches ?size= bytes from ORIGIN and
// reads the body to its end in one of five ways (?mode=), returning the count.
import { Sha256 } from "../worker/export/sha256.js";

const CHUNK = 64 * 1024;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode");
    const response = await fetch(`${env.ORIGIN}/?size=${url.searchParams.get("size")}`);
    let bytes = 0;
    if (mode === "digest" || mode === "r2") {
      // Natively piped, no JavaScript read loop: into workerd's DigestStream,
      // or into R2 (the demo ledger's receipt store) through a FixedLengthStream.
      const size = Number(url.searchParams.get("size"));
      if (mode === "digest") {
        const digest = new crypto.DigestStream("SHA-256");
        await response.body.pipeTo(digest);
        await digest.digest;
      } else {
        const fixed = new FixedLengthStream(size);
        const piped = response.body.pipeTo(fixed.writable);
        await env.RECEIPTS.put(`bench-${size}`, fixed.readable);
        await piped;
      }
      bytes = size;
    } else if (mode === "byob") {
      // One buffer, reused: each read fills it and hands it back.
      const reader = response.body.getReader({ mode: "byob" });
      let buffer = new ArrayBuffer(CHUNK);
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        if (done) break;
        bytes += value.byteLength;
        buffer = value.buffer;
      }
    } else {
      // The default reader: a fresh buffer per chunk ("hash" also runs the
      // export run's incremental SHA-256 over it).
      const hash = mode === "hash" ? new Sha256() : null;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        hash?.update(value);
      }
    }
    return new Response(String(bytes));
  },
};
