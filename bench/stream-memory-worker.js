// The worker of bench/stream-memory.mjs: fetches ?size= bytes from ORIGIN and
// reads the body to its end in one of three ways (?mode=), returning the count.
import { Sha256 } from "../worker/export/sha256.js";

const CHUNK = 64 * 1024;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode");
    const response = await fetch(`${env.ORIGIN}/?size=${url.searchParams.get("size")}`);
    let bytes = 0;
    if (mode === "byob") {
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
