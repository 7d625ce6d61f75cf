// The benchmarked operations, ours (pleo-oauth) and theirs (oauth4webapi),
// doing the same work on the same inputs. Each `describe` says exactly what
// each side does per iteration; run.mjs prints it under the table.
//
// Every operation starts from the same inputs a host program has at that
// step and ends with the value the next step needs.
import * as o4w from "oauth4webapi";
import { codeChallengeS256, generateCodeVerifier, init, OAuthClient } from "pleo-oauth";

export const ISSUER = "https://auth.staging.pleo.io";
export const REDIRECT_URI = "https://partner.example/auth/callback";
export const CLIENT_ID = "bench-client";
export const CLIENT_SECRET = "bench-client-secret";
export const SCOPES = ["users:read", "export-jobs:read", "companies:read"];
export const TOKEN_BODY = JSON.stringify({
  access_token: "eyJhbGciOiJSUzI1NiJ9.bench-access-token-0123456789abcdef",
  token_type: "Bearer",
  expires_in: 3600,
  refresh_token: "bench-refresh-token-0123456789abcdef0123456789",
  scope: SCOPES.join(" "),
});
export const REFRESH_TOKEN = "bench-refresh-token-0123456789abcdef0123456789";
const CODE = "bench-authorization-code-0123456789";
const JSON_HEADERS = { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store" };

// One provider description for both sides; the callback carries iss (RFC 9207)
// and both sides are told to require it.
export const PROVIDER = {
  issuer: ISSUER,
  authorizationEndpoint: `${ISSUER}/oauth/authorize`,
  tokenEndpoint: `${ISSUER}/oauth/token`,
  introspectionEndpoint: `${ISSUER}/oauth/token/introspect`,
  apiBaseUrl: "https://external.staging.pleo.io",
  issParameterSupported: true,
};
export const AS = {
  issuer: ISSUER,
  authorization_endpoint: PROVIDER.authorizationEndpoint,
  token_endpoint: PROVIDER.tokenEndpoint,
  introspection_endpoint: PROVIDER.introspectionEndpoint,
  authorization_response_iss_parameter_supported: true,
};
export const O4W_CLIENT = { client_id: CLIENT_ID };

export async function setup() {
  await init();
  const client = new OAuthClient({
    provider: PROVIDER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    scopes: SCOPES,
    clientSecret: CLIENT_SECRET,
  });
  const clientAuth = o4w.ClientSecretBasic(CLIENT_SECRET);

  // A pending authorization and the matching callback URL, made once.
  const { pending } = client.startAuthorization();
  const callbackUrl = `${REDIRECT_URI}?code=${CODE}&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`;
  // JSON round-trip: the pending record comes back from storage in real use.
  const storedPending = JSON.parse(JSON.stringify(pending));

  // The refresh "send": both sides hand the request to the same no-op fetch
  // that answers at once with one prebuilt Response (never read).
  const preparedResponse = new Response(null, { status: 204 });
  const noopFetch = (url, init) => preparedResponse;
  const fetchOpts = { [o4w.customFetch]: noopFetch };

  const ops = [
    {
      name: "pkce",
      describe: {
        ours: "generateCodeVerifier() + codeChallengeS256(v)  (sync, 2 wasm calls)",
        peer: "generateRandomCodeVerifier() + await calculatePKCECodeChallenge(v)  (WebCrypto digest, async)",
      },
      ours: () => codeChallengeS256(generateCodeVerifier()),
      peer: async () => o4w.calculatePKCECodeChallenge(o4w.generateRandomCodeVerifier()),
      peerAsync: true,
    },
    {
      name: "authorize_url",
      describe: {
        ours: "client.startAuthorization(): fresh state + verifier + S256 challenge, URL with 7 params, pending record {state, codeVerifier, redirectUri, issuer, createdAt, scopes}",
        peer: "generateRandomState() + generateRandomCodeVerifier() + await calculatePKCECodeChallenge(), new URL(authorization_endpoint) + 7 searchParams.set(), url.href, and the same pending record as a plain object",
      },
      ours: () => client.startAuthorization(),
      peer: async () => {
        const state = o4w.generateRandomState();
        const codeVerifier = o4w.generateRandomCodeVerifier();
        const challenge = await o4w.calculatePKCECodeChallenge(codeVerifier);
        const url = new URL(AS.authorization_endpoint);
        const p = url.searchParams;
        p.set("response_type", "code");
        p.set("client_id", CLIENT_ID);
        p.set("redirect_uri", REDIRECT_URI);
        p.set("scope", SCOPES.join(" "));
        p.set("state", state);
        p.set("code_challenge", challenge);
        p.set("code_challenge_method", "S256");
        return {
          url: url.href,
          pending: { state, codeVerifier, redirectUri: REDIRECT_URI, issuer: ISSUER, createdAt: Date.now(), scopes: SCOPES.slice() },
        };
      },
      peerAsync: true,
    },
    {
      name: "callback",
      describe: {
        ours: "client.handleCallback(callbackUrlString, storedPending): parse URL, check pending, state (constant time), iss, error/forbidden params → {code, state, iss}",
        peer: "validateAuthResponse(as, client, new URL(callbackUrlString), expectedState): parse URL, iss, state, error/implicit params → branded URLSearchParams (sync)",
      },
      ours: () => client.handleCallback(callbackUrl, storedPending),
      peer: () => o4w.validateAuthResponse(AS, O4W_CLIENT, new URL(callbackUrl), storedPending.state),
      peerAsync: false,
    },
    {
      name: "token_response",
      describe: {
        ours: "new Response(body, {status 200, JSON headers}) → await res.text() → client.parseTokenResponse({status, body}) → TokenSet",
        peer: "new Response(body, {status 200, JSON headers}) → await processAuthorizationCodeResponse(as, client, res) → TokenEndpointResponse",
      },
      ours: async () => {
        const res = new Response(TOKEN_BODY, { status: 200, headers: JSON_HEADERS });
        return client.parseTokenResponse({ status: res.status, body: await res.text() });
      },
      oursAsync: true,
      peer: async () =>
        o4w.processAuthorizationCodeResponse(AS, O4W_CLIENT, new Response(TOKEN_BODY, { status: 200, headers: JSON_HEADERS })),
      peerAsync: true,
    },
    {
      name: "refresh_request",
      describe: {
        ours: "client.refreshRequest(rt) → {method, url, headers (Basic auth), body}, handed to the same no-op fetch (sync)",
        peer: "await refreshTokenGrantRequest(as, client, ClientSecretBasic(secret), rt, {[customFetch]: no-op}) (builds URLSearchParams + Headers, Basic auth, calls customFetch)",
      },
      ours: () => {
        const r = client.refreshRequest(REFRESH_TOKEN);
        return noopFetch(r.url, { method: r.method, headers: r.headers, body: r.body, redirect: "manual" });
      },
      peer: async () => o4w.refreshTokenGrantRequest(AS, O4W_CLIENT, clientAuth, REFRESH_TOKEN, fetchOpts),
      peerAsync: true,
    },
  ];

  // Not part of the required table: the same steps without a Response object
  // (ours from a string body), to show the wasm call alone.
  const extras = [
    {
      name: "token_response_from_text",
      describe: {
        ours: "client.parseTokenResponse({status: 200, body: text}) (no Response object)",
        peer: "same as token_response (oauth4webapi only accepts a Response)",
      },
      ours: () => client.parseTokenResponse({ status: 200, body: TOKEN_BODY }),
      peer: async () =>
        o4w.processAuthorizationCodeResponse(AS, O4W_CLIENT, new Response(TOKEN_BODY, { status: 200, headers: JSON_HEADERS })),
      peerAsync: true,
    },
    {
      name: "token_request",
      describe: {
        ours: "client.tokenRequest(code, storedPending) handed to the no-op fetch",
        peer: "await authorizationCodeGrantRequest(as, client, ClientSecretBasic, validatedParams, redirectUri, verifier, {[customFetch]})",
      },
      ours: () => {
        const r = client.tokenRequest(CODE, storedPending);
        return noopFetch(r.url, { method: r.method, headers: r.headers, body: r.body, redirect: "manual" });
      },
      peer: (() => {
        const params = o4w.validateAuthResponse(AS, O4W_CLIENT, new URL(callbackUrl), storedPending.state);
        return async () =>
          o4w.authorizationCodeGrantRequest(AS, O4W_CLIENT, clientAuth, params, REDIRECT_URI, storedPending.codeVerifier, fetchOpts);
      })(),
      peerAsync: true,
    },
  ];

  return { ops, extras };
}
