// What the demo page says for each error code of the worker and of the
// callback (`/?auth_error=`).
import { showNotice } from "./dom.js";

export const AUTH_ERRORS = {
  access_denied: [
    "Connection declined",
    "You declined the request on Pleo's consent screen, so nothing was connected. Connect again whenever you like.",
  ],
  authorization_denied: ["Pleo refused the request", "Pleo's authorization server rejected the connection request."],
  login_invalid: [
    "Sign-in could not be completed",
    "This sign-in was not started in this browser, took longer than 10 minutes, or was already used. Please connect again.",
  ],
  login_replayed: ["Sign-in already used", "That sign-in response was already used once. Please connect again."],
  state_mismatch: [
    "Sign-in did not match",
    "Pleo's answer did not belong to the sign-in started here (state mismatch). Please connect again.",
  ],
  issuer_mismatch: ["Unexpected issuer", "The sign-in answer came from a different authorization server than expected."],
  invalid_callback: ["Malformed sign-in answer", "The redirect back from Pleo was malformed and was rejected."],
  token_error: ["Pleo refused the tokens", "Pleo did not issue tokens for this sign-in (the code may have expired). Please connect again."],
  pleo_unavailable: ["Pleo is unreachable", "Pleo could not be reached to finish the sign-in. Please try again in a moment."],
  pleo_error: ["Unexpected answer from Pleo", "Pleo answered in a way the worker could not use. Please try again."],
  server_error: ["The demo server failed", "Something went wrong in the worker. Please try again."],
};

export const WORKER_ERRORS = {
  no_session: ["Session expired", "Your session has ended. Connect to Pleo again."],
  no_connection: [
    "Not connected",
    "That company is no longer connected (it may have been disconnected from another browser). Connect to Pleo again.",
  ],
  connection_expired: [
    "Connection expired",
    "Pleo no longer accepts this company's connection (it was revoked or expired). Press Reconnect.",
  ],
  company_not_allowed: ["Not your company", "This browser did not connect that company."],
  pleo_rate_limited: ["Pleo asks to slow down", "Pleo rate-limited the call. Try again in a few seconds."],
  pleo_unauthorized: ["Pleo rejected the token", "Pleo rejected the access token even after a refresh. Try again or reconnect."],
  pleo_unavailable: ["Pleo is unreachable", "Pleo did not answer in time. You are still connected; try again in a moment."],
  pleo_error: ["Unexpected answer from Pleo", "Pleo answered in a way the worker could not use. You are still connected."],
  csrf_rejected: ["Request blocked", "The worker refused the request (cross-site request protection)."],
  path_not_allowed: ["Path not allowed", "The worker only forwards an allow-list of Pleo API paths."],
};

export function showWorkerError(body, status) {
  const [title, text] = WORKER_ERRORS[body?.error] ?? [
    `Request failed (HTTP ${status})`,
    typeof body?.message === "string" ? body.message : "The worker returned an error.",
  ];
  showNotice(status === 502 ? "warn" : "error", title, text);
}
