// Node.js entry (>= 20, no flags): the module is compiled synchronously at
// import, so every export is ready at once; init() exists for symmetry.
import { readFileSync } from "node:fs";
import { initSync } from "./pleo_oauth.js";

initSync({ module: readFileSync(new URL("./pleo_oauth_bg.wasm", import.meta.url)) });

// The public names only: api.js also exports internals for edge.js.
export {
  OAuthClient,
  OAuthError,
  codeChallengeS256,
  generateCodeVerifier,
  generateState,
  needsRefresh,
  pleoProvider,
} from "./api.js";
export * from "./edge.js";

/** Already initialised in Node; resolves at once. */
export function init() {
  return Promise.resolve();
}
