// Browser and bundler entry (Vite, webpack, Rollup, esbuild, Deno).
// `await init()` once before the other exports; it fetches the .wasm next to
// this file (bundlers see the `new URL(…, import.meta.url)` and copy it).
import initWasm from "./pleo_oauth.js";

export * from "./public.js";

let ready;

/** Loads the WebAssembly module. Idempotent: every call returns the same promise. */
export function init(moduleOrPath) {
  if (!ready) {
    ready = initWasm({
      module_or_path: moduleOrPath ?? new URL("./pleo_oauth_bg.wasm", import.meta.url),
    }).then(
      () => undefined,
      (err) => {
        ready = undefined; // allow a retry after a network failure
        throw err;
      },
    );
  }
  return ready;
}
