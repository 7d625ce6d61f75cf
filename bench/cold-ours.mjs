// Cold start, ours: one fresh process imports pleo-oauth, initialises it and
// runs authorize → callback → token response once. Prints the milliseconds
// from just before the import to the end of the cycle, and the process
// uptime at that point (Node's own start-up included), as JSON.
const t0 = performance.now();
const { init, OAuthClient } = await import("pleo-oauth");
await init();
const ISSUER = "https://auth.staging.pleo.io";
const client = new OAuthClient({
  provider: {
    issuer: ISSUER,
    authorizationEndpoint: `${ISSUER}/oauth/authorize`,
    tokenEndpoint: `${ISSUER}/oauth/token`,
    issParameterSupported: true,
  },
  clientId: "bench-client",
  redirectUri: "https://partner.example/auth/callback",
  scopes: ["users:read", "export-jobs:read"],
  clientSecret: "bench-client-secret",
});
const { url, pending } = client.startAuthorization();
const cb = client.handleCallback(
  `https://partner.example/auth/callback?code=c0de&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`,
  pending,
);
const res = new Response(
  JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 3600, refresh_token: "rt", scope: "users:read" }),
  { status: 200, headers: { "content-type": "application/json" } },
);
const tokens = client.parseTokenResponse({ status: res.status, body: await res.text() });
const t1 = performance.now();
if (!url.startsWith(ISSUER) || cb.code !== "c0de" || tokens.accessToken !== "at") throw new Error("cold-start cycle failed");
process.stdout.write(JSON.stringify({ ms: t1 - t0, uptime_ms: t1 }) + "\n");
