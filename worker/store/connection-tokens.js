// A company's token set: when it needs refreshing, how one refresh is sent
// and judged, and what the browser may see of a connection. The single-flight
// lock and the storage around it live in connection-refresh.js.
import { WorkerError } from "../http/responses.js";
import { sendOAuthRequest, tokenResponseError } from "../pleo/pleo-http.js";

const HISTORY_LIMIT = 50;

export function addHistory(record, event, at = Date.now()) {
  const history = [...(record.history ?? []), { at, event }];
  return history.length > HISTORY_LIMIT ? history.slice(history.length - HISTORY_LIMIT) : history;
}

/** What anyone outside the object may know about a connection: never a token. */
export function describeConnection(record) {
  return {
    subject: record.subject,
    name: record.name ?? null,
    status: record.status,
    scopes: record.scopes ?? [],
    expiresAt: record.tokens?.expiresAt ?? null,
    connectedAt: record.connectedAt,
    reconnectedAt: record.reconnectedAt ?? null,
    refreshedAt: record.refreshedAt ?? null,
    refreshable: Boolean(record.tokens?.refreshToken),
    history: record.history ?? [],
  };
}

/**
 * Sends one refresh and returns the new token set. Throws WorkerError:
 * `connection_expired` for invalid_grant (the authorisation is gone; never
 * retried with the same refresh token — Pleo revokes the whole grant on
 * reuse), `pleo_unavailable` / `pleo_error` otherwise.
 */
export async function requestRefresh(config, tokens) {
  if (!tokens.refreshToken) {
    throw new WorkerError(401, "connection_expired", "The access token expired and Pleo issued no refresh token. Please reconnect.");
  }
  const response = await sendOAuthRequest(config.client.refreshRequest(tokens.refreshToken), config.refreshDeadlineMs);
  try {
    // pleo-oauth keeps the previous refresh token when the response has
    // none, and the previous scope when the response names none.
    return config.client.parseTokenResponse(response, { previous: tokens });
  } catch (err) {
    throw tokenResponseError(err, response.status);
  }
}

export function withDeadline(promise, ms) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new WorkerError(502, "pleo_unavailable", "Pleo's token endpoint did not answer in time. Please try again.")),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
