// Run-time settings of the stand-in that tests change on the fly:
// export-job lifetime and webhook retry policy (faults live in faults.mjs).

export const SETTINGS_DEFAULTS = Object.freeze({
  exportJobTtl: 3600, // seconds after a job's last update until it expires (facts: one hour)
  webhookRetryMs: 1000, // first webhook retry after this long, then ×4 each time
  webhookAttempts: 5, // attempts per webhook message
  receiptLinkTtl: 86400, // seconds a signed receipt link works (Pleo: 24 h); shorten in tests
});

const CHECKS = {
  exportJobTtl: (v) => typeof v === "number" && v > 0 && v <= 30 * 86400,
  webhookRetryMs: (v) => Number.isInteger(v) && v >= 0 && v <= 3_600_000,
  webhookAttempts: (v) => Number.isInteger(v) && v >= 1 && v <= 20,
  receiptLinkTtl: (v) => typeof v === "number" && v > 0 && v <= 7 * 86400,
};

function checkSettings(partial) {
  if (partial === null || typeof partial !== "object" || Array.isArray(partial)) throw new TypeError("settings must be an object");
  for (const [key, value] of Object.entries(partial)) {
    if (!CHECKS[key]) throw new TypeError(`unknown setting "${key}"; known: ${Object.keys(CHECKS).join(", ")}`);
    if (!CHECKS[key](value)) throw new TypeError(`setting "${key}" is out of range: ${JSON.stringify(value)}`);
  }
  return { ...partial };
}

/** Settings from startStandin's options (undefined ones keep their default). */
export function createSettings(opts) {
  const given = Object.fromEntries(
    Object.keys(SETTINGS_DEFAULTS)
      .filter((k) => opts[k] !== undefined)
      .map((k) => [k, opts[k]]),
  );
  let settings = { ...SETTINGS_DEFAULTS, ...checkSettings(given) };
  return {
    get: () => ({ ...settings }),
    /** Merges a partial object; throws TypeError naming a bad key. */
    set(partial) {
      settings = { ...settings, ...checkSettings(partial) };
      return { ...settings };
    },
    exportJobTtlMs: () => settings.exportJobTtl * 1000,
    receiptLinkTtlMs: () => settings.receiptLinkTtl * 1000,
    webhookPolicy: () => ({ retryMs: settings.webhookRetryMs, attempts: settings.webhookAttempts }),
  };
}
