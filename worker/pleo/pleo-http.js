// The worker's only I/O towards Pleo. pleo-oauth builds every OAuth request
// and judges every response; this module moves the bytes.
import { WorkerError } from "../http/responses.js";
import { readLimitedBytes } from "../http/read-body.js";
import { safeUpstreamCode } from "./upstream-code.js";

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

function unavailable(what) {
  return new WorkerError(502, "pleo_unavailable", `Pleo could not be reached (${what}). Please try again.`);
}

async function readLimited(response, limit) {
  const bytes = await readLimitedBytes(response.body, limit, () => new WorkerError(502, "pleo_error", "Pleo sent an oversized response."));
  return new TextDecoder().decode(bytes);
}

/**
 * Sends an HttpRequest built by pleo-oauth (token, refresh, introspection,
 * revocation) and returns `{ status, headers, body }` for parseTokenResponse.
 * RFC 9700 §4.11 / SECURITY.md: never follow redirects from the token endpoint.
 */
export async function sendOAuthRequest(httpRequest, timeoutMs, what = "token endpoint") {
  let response;
  try {
    response = await fetch(httpRequest.url, {
      method: httpRequest.method,
      headers: httpRequest.headers,
      body: httpRequest.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw unavailable(what);
  }
  try {
    const body = await readLimited(response, MAX_TOKEN_RESPONSE_BYTES);
    const headers = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body };
  } catch (err) {
    if (err instanceof WorkerError) throw err;
    throw unavailable(what);
  }
}

/** Maps a pleo-oauth rejection of a token response to the worker's error. */
export function tokenResponseError(err, status) {
  if (err?.name !== "OAuthError") throw err;
  if (err.code === "token_error" && err.error === "invalid_grant") {
    return new WorkerError(401, "connection_expired", "Pleo no longer accepts this connection. Please connect again.");
  }
  if (status >= 500 || status === 429) {
    return new WorkerError(502, "pleo_unavailable", `Pleo's token endpoint failed (HTTP ${status}). Please try again.`);
  }
  if (err.code === "token_error") {
    return new WorkerError(502, "pleo_error", `Pleo's token endpoint refused the request (${safeUpstreamCode(err.error)}).`);
  }
  return new WorkerError(502, "pleo_error", `Pleo's token endpoint sent an unusable response (${err.code}).`);
}

/** GET on the Pleo API with a bearer token; returns the fetch Response (never follows redirects). */
export async function apiFetch(url, { method = "GET", accessToken, headers = {}, body, timeoutMs }) {
  try {
    return await fetch(url, {
      method,
      headers: { ...headers, Authorization: `Bearer ${accessToken}` },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw unavailable("API");
  }
}

/**
 * Revokes a token set where the provider has a revocation endpoint (RFC
 * 7009; Pleo documents none). Best effort: true when the provider confirmed.
 */
export async function revokeTokens(config, tokens) {
  // RFC 7009 §2.1: revoking the refresh token also ends its access tokens at
  // most servers; revoke the access token too for those that do not.
  const attempts = [];
  if (tokens.refreshToken) attempts.push([tokens.refreshToken, "refresh_token"]);
  if (tokens.accessToken) attempts.push([tokens.accessToken, "access_token"]);
  let revoked = false;
  for (const [token, hint] of attempts) {
    let httpRequest;
    try {
      httpRequest = config.client.revocationRequest(token, hint);
    } catch {
      return false; // unsupported_operation: no revocation endpoint
    }
    try {
      const response = await sendOAuthRequest(httpRequest, config.timeoutMs, "revocation endpoint");
      revoked ||= response.status === 200;
    } catch {
      // Best effort: the connection ends here regardless.
    }
  }
  return revoked;
}
