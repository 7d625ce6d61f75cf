// Node.js entry (>= 20, no flags): the module is compiled synchronously at
// import, so every export is ready at once; init() exists for symmetry.
import { readFileSync } from "node:fs";
import { initSync } from "./pleo_oauth.js";

initSync({ module: readFileSync(new URL("./pleo_oauth_bg.wasm", import.meta.url)) });

export * from "./public.js";
export * from "./edge.js";

/** Already initialised in Node; resolves at once. */
export function init() {
  return Promise.resolve();
}
