// The public names of the OAuth API, listed once for every entry: api.js
// also exports internals that only edge.js uses.
export { OAuthClient, OAuthError, codeChallengeS256, generateCodeVerifier, generateState, needsRefresh, pleoProvider } from "./api.js";
