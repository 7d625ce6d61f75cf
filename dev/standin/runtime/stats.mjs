// The stand-in's counters (`stats()`, `GET {adminUrl}/stats`).

const MAX_DELIVERY_LOG = 1000;

export function newStats() {
  return {
    tokenRequests: 0, // every POST to the token endpoint, faulted ones included
    codeExchanges: 0, // successful authorization_code grants
    refreshes: 0, // successful refresh_token grants
    tokenErrors: 0, // token requests oidc-provider answered with an OAuth error
    grantsRevoked: 0, // grants revoked because a rotated refresh token was reused
    codeReuseRevocations: 0, // grants revoked because an authorization code was reused
    revocationRequests: 0,
    introspectionRequests: 0,
    authorizations: 0, // successful authorization responses (codes issued)
    authorizationErrors: 0, // error authorization responses (e.g. access_denied)
    faultsInjected: 0,
    tokenInFlight: 0,
    maxTokenInFlight: 0,
    apiRequests: 0,
    apiUnauthorized: 0,
    apiForbidden: 0,
    apiFailuresInjected: 0, // apiFailureRate: 503
    apiRateLimited: 0, // apiRateLimitRate: 429
    exportJobsCreated: 0,
    exportJobsExpired: 0,
    exportEvents: 0, // accepted job events
    exportEventsRejected: 0, // 422 INVALID_EXPORT_JOB_STATUS_CHANGE
    itemUpdateRequests: 0, // PUT /v3/export-jobs/{id}/items answered 200
    itemsReported: 0, // item reports accepted
    itemUpdateErrors: 0, // per-item errors inside a 200
    receiptDownloads: 0, // generated receipts answered 200 (stalled ones included)
    receiptBytesSent: 0, // their bytes written to the response (a stalled one: half)
    webhooksSent: 0, // delivery attempts
    webhooksDelivered: 0, // messages answered 2xx
    webhooksFailed: 0, // messages given up after the last attempt
    webhooksPending: 0, // messages waiting for a (re)try
    webhookDeliveries: [], // last attempts: {id, url, attempt, status, error, at}
  };
}

export function logDelivery(stats, entry) {
  stats.webhookDeliveries.push(entry);
  if (stats.webhookDeliveries.length > MAX_DELIVERY_LOG) stats.webhookDeliveries.shift();
}

export function snapshotStats(stats) {
  return { ...stats, webhookDeliveries: stats.webhookDeliveries.map((d) => ({ ...d })) };
}

// Counters back to zero; gauges (in flight, pending) keep their live value.
export function resetStats(stats) {
  const { tokenInFlight, webhooksPending } = stats;
  Object.assign(stats, newStats(), { tokenInFlight, webhooksPending });
}
