// Worker settings for PLEO_ENV=local from the stand-in's STANDIN_READY info
// (dev/standin). Used by `npm start` and the tests.
import { randomBytes } from "node:crypto";

export function localWorkerEnv(info, { redirectUri, sessionSecret, timeoutMs, extra = {} } = {}) {
  const env = {
    PLEO_ENV: "local",
    PLEO_CLIENT_ID: info.clientId,
    PLEO_CLIENT_SECRET: info.clientSecret,
    PLEO_REDIRECT_URI: redirectUri,
    PLEO_SCOPES: info.scopes.join(" "),
    PLEO_ISSUER: info.issuer,
    PLEO_AUTHORIZATION_ENDPOINT: info.authorizationEndpoint,
    PLEO_TOKEN_ENDPOINT: info.tokenEndpoint,
    PLEO_INTROSPECTION_ENDPOINT: info.introspectionEndpoint,
    PLEO_API_BASE_URL: info.apiBaseUrl,
    PLEO_ISS_PARAMETER_SUPPORTED: String(info.issParameterSupported !== false),
    SESSION_SECRET: sessionSecret ?? randomBytes(32).toString("base64url"),
    ...extra,
  };
  if (info.revocationEndpoint) env.PLEO_REVOCATION_ENDPOINT = info.revocationEndpoint;
  // The demo's "Create an export in Pleo" button (worker/export/routes.js) calls the stand-in's loopback admin route.
  if (info.adminUrl && env.STANDIN_ADMIN_URL === undefined) env.STANDIN_ADMIN_URL = info.adminUrl;
  if (timeoutMs) env.PLEO_TIMEOUT_MS = String(timeoutMs);
  return env;
}
