// Cloudflare Workers / workerd entry: the bundler (wrangler, esbuild with a
// CompiledWasm rule) turns the .wasm import into a WebAssembly.Module, which
// is instantiated synchronously. Instantiation touches no RNG (workerd
// forbids randomness at module load); random values are drawn inside calls.
import wasmModule from "./pleo_oauth_bg.wasm";
import { initSync } from "./pleo_oauth.js";

initSync({ module: wasmModule });

export * from "./public.js";
export * from "./edge.js";

/** Already initialised in workerd; resolves at once. */
export function init() {
  return Promise.resolve();
}
