// Fault injection for the stand-in: the settings (all off by default), their
// validation, and the code that applies them to API requests. The token
// endpoint's faults answer on oidc-provider's koa context with an HTML page
// of the oauth room: oauth/token-faults.mjs.

export const FAULT_DEFAULTS = Object.freeze({
  tokenDelayMs: 0, // delay every token request by this many ms
  tokenStatus: 0, // 4xx/5xx: token endpoint answers {"error":"server_error"} with this status
  tokenHtmlError: false, // true (= 502) or a status: token endpoint answers an HTML error page
  tokenError200: false, // true (= "server_error") or an error code: 200 with an RFC 6749 error body
  tokenFailureRate: 0, // 0..1: probability that a token request fails with 503 temporarily_unavailable
  tokenStallRate: 0, // 0..1: probability that a token request never gets an answer
  tokenStallMs: 0, // > 0: a stalled request has its connection dropped after this long
  issInCallback: true, // RFC 9207 iss in authorization responses
  apiDelayMs: 0, // delay every API request
  apiStatus: 0, // 4xx/5xx: every API request fails with this status
  apiFailureRate: 0, // 0..1: probability that an API request fails with 503
  apiRateLimitRate: 0, // 0..1: probability that an API request gets 429 with Retry-After: 1
  receiptFailureRate: 0, // 0..1: probability that a receipt download fails with 503
  receiptStallRate: 0, // 0..1: probability that a receipt download sends half its bytes, then stalls
});

const MAX_DELAY = 10 * 60 * 1000;

const isStatus = (v) => Number.isInteger(v) && v >= 400 && v <= 599;
const isDelay = (v) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= MAX_DELAY;
const isRate = (v) => typeof v === "number" && v >= 0 && v <= 1;

const CHECKS = {
  tokenDelayMs: [isDelay, `a number of ms between 0 and ${MAX_DELAY}`],
  tokenStatus: [(v) => v === 0 || isStatus(v), "0 or a status 400..599"],
  tokenHtmlError: [(v) => typeof v === "boolean" || isStatus(v), "a boolean or a status 400..599"],
  tokenError200: [
    (v) => typeof v === "boolean" || (typeof v === "string" && /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(v)),
    "a boolean or an RFC 6749 error code",
  ],
  tokenFailureRate: [isRate, "a probability between 0 and 1"],
  tokenStallRate: [isRate, "a probability between 0 and 1"],
  tokenStallMs: [isDelay, `a number of ms between 0 and ${MAX_DELAY}`],
  issInCallback: [(v) => typeof v === "boolean", "a boolean"],
  apiDelayMs: [isDelay, `a number of ms between 0 and ${MAX_DELAY}`],
  apiStatus: [(v) => v === 0 || isStatus(v), "0 or a status 400..599"],
  apiFailureRate: [isRate, "a probability between 0 and 1"],
  apiRateLimitRate: [isRate, "a probability between 0 and 1"],
  receiptFailureRate: [isRate, "a probability between 0 and 1"],
  receiptStallRate: [isRate, "a probability between 0 and 1"],
};

// Validates a partial fault object; throws TypeError naming the bad key so a
// typo in STANDIN_FAULTS or a test doesn't silently do nothing.
export function checkFaults(partial) {
  if (partial === null || typeof partial !== "object" || Array.isArray(partial)) {
    throw new TypeError("faults must be an object (or null to clear)");
  }
  for (const [key, value] of Object.entries(partial)) {
    const check = CHECKS[key];
    if (!check) throw new TypeError(`unknown fault "${key}"; known: ${Object.keys(CHECKS).join(", ")}`);
    if (!check[0](value)) throw new TypeError(`fault "${key}" must be ${check[1]}`);
  }
  return { ...partial };
}

// API faults, applied before the bearer token is looked at (a gateway or rate
// limiter in front of Pleo would answer first). Returns an error description
// ({status, type, message, headers}) or null.
export async function apiFault(f, stats) {
  if (f.apiDelayMs) await new Promise((r) => setTimeout(r, f.apiDelayMs));
  if (f.apiStatus) {
    stats.faultsInjected += 1;
    return { status: f.apiStatus, type: "INTERNAL_SERVER_ERROR", message: "stand-in: injected API failure" };
  }
  if (f.apiRateLimitRate && Math.random() < f.apiRateLimitRate) {
    stats.faultsInjected += 1;
    stats.apiRateLimited += 1;
    return {
      status: 429,
      type: "TOO_MANY_REQUESTS",
      message: "stand-in: injected rate limit",
      headers: { "retry-after": "1" },
    };
  }
  if (f.apiFailureRate && Math.random() < f.apiFailureRate) {
    stats.faultsInjected += 1;
    stats.apiFailuresInjected += 1;
    return { status: 503, type: "SERVICE_UNAVAILABLE", message: "stand-in: injected random failure" };
  }
  return null;
}

/** The current fault settings of one stand-in: get(), a copy, and set(partial | null). */
export function createFaultSwitch(initial) {
  let faults = { ...FAULT_DEFAULTS, ...checkFaults(initial) };
  return {
    current: () => faults, // hot path: no copy
    get: () => ({ ...faults }),
    set(partial) {
      faults = partial === null ? { ...FAULT_DEFAULTS } : { ...faults, ...checkFaults(partial) };
      return { ...faults };
    },
  };
}
