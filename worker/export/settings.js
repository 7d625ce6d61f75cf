// The export runner's settings from `env` (all optional).
//   EXPORT_POLL_MINUTES   how often each company's object looks for pending or
//                         in_progress jobs without a webhook (default 15;
//                         fractions allowed, e.g. 0.05 = 3 s in tests)
//   EXPORT_SLICE_MS       how long one alarm invocation drives a run before
//                         it re-arms the alarm and yields (default 20000)
//   EXPORT_TIMEOUT_MS     per Pleo API request (default 30000)
//   EXPORT_PAGE_SIZE, EXPORT_REPORT_BATCH, EXPORT_KEEPALIVE_MS,
//   EXPORT_MAX_ATTEMPTS   passed to exportRunStart (defaults: the core's)
//   EXPORT_JOBS_KEPT      finished jobs remembered per company (default 50)
//   EXPORT_AUTOMATIC      "off": exports run only on POST /export/run — no
//                         webhook subscription, no look-up on connect, no poll
//                         (default on)

const positive = (value) => {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : undefined;
};

export function exportSettings(env = {}) {
  const minutes = positive(env.EXPORT_POLL_MINUTES) ?? 15;
  const runOptions = {};
  const integer = (name) => {
    const n = positive(env[name]);
    return n === undefined ? undefined : Math.floor(n);
  };
  if (integer("EXPORT_PAGE_SIZE")) runOptions.pageSize = integer("EXPORT_PAGE_SIZE");
  if (integer("EXPORT_REPORT_BATCH")) runOptions.reportBatch = integer("EXPORT_REPORT_BATCH");
  if (integer("EXPORT_KEEPALIVE_MS")) runOptions.keepAliveMs = integer("EXPORT_KEEPALIVE_MS");
  if (integer("EXPORT_MAX_ATTEMPTS")) runOptions.maxAttempts = integer("EXPORT_MAX_ATTEMPTS");
  return {
    pollMs: Math.round(minutes * 60_000),
    sliceMs: integer("EXPORT_SLICE_MS") ?? 20_000,
    timeoutMs: integer("EXPORT_TIMEOUT_MS") ?? 30_000,
    jobsKept: integer("EXPORT_JOBS_KEPT") ?? 50,
    automatic: !/^(off|false|0|no)$/i.test(String(env.EXPORT_AUTOMATIC ?? "").trim()),
    runOptions,
  };
}
