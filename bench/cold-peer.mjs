// Cold start, theirs: the same cycle with oauth4webapi (see cold-ours.mjs).
const t0 = performance.now();
const o = await import("oauth4webapi");
const ISSUER = "https://auth.staging.pleo.io";
const as = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/oauth/authorize`,
  token_endpoint: `${ISSUER}/oauth/token`,
  authorization_response_iss_parameter_supported: true,
};
const client = { client_id: "bench-client" };
const redirectUri = "https://partner.example/auth/callback";
const state = o.generateRandomState();
const codeVerifier = o.generateRandomCodeVerifier();
const challenge = await o.calculatePKCECodeChallenge(codeVerifier);
const u = new URL(as.authorization_endpoint);
for (const [k, v] of [
  ["response_type", "code"],
  ["client_id", client.client_id],
  ["redirect_uri", redirectUri],
  ["scope", "users:read export-jobs:read"],
  ["state", state],
  ["code_challenge", challenge],
  ["code_challenge_method", "S256"],
])
  u.searchParams.set(k, v);
const url = u.href;
const params = o.validateAuthResponse(
  as,
  client,
  new URL(`${redirectUri}?code=c0de&state=${state}&iss=${encodeURIComponent(ISSUER)}`),
  state,
);
const res = new Response(
  JSON.stringify({ access_token: "at", token_type: "Bearer", expires_in: 3600, refresh_token: "rt", scope: "users:read" }),
  { status: 200, headers: { "content-type": "application/json" } },
);
const tokens = await o.processAuthorizationCodeResponse(as, client, res);
const t1 = performance.now();
if (!url.startsWith(ISSUER) || params.get("code") !== "c0de" || tokens.access_token !== "at") throw new Error("cold-start cycle failed");
process.stdout.write(JSON.stringify({ ms: t1 - t0, uptime_ms: t1 }) + "\n");
