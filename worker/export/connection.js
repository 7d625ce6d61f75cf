// The export feature's part inside each company's connection object: the
// methods the /export/* routes, the operator console and other features
// call, the "export" alarm that drives a run (runner.js), and the look-up on
// connect. Other features reach it only through these public methods, by
// name, through the connection (`conn.call("requestExportLookup", …)`, or
// `connections.call(subject, …)` from a route).
import { WorkerError } from "../http/responses.js";
import { JOB_ID, RUN_KEY, exportSummary, jobKey, listItems, listJobs } from "./job-store.js";
import { EXPORT_TIMER, onExportAlarm, requestLookup, runNow } from "./runner.js";
import { exportSettings } from "./settings.js";

async function mustHold(conn, sid) {
  if (!(await conn.holds(sid))) {
    throw new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again.");
  }
}

async function jobsOf(conn) {
  const running = await conn.storage.get(RUN_KEY);
  return { jobs: await listJobs(conn.storage), running: running?.jobId ?? null };
}

export const exportConnection = {
  /** The export fields of the operator console's row. */
  summary: (conn) => exportSummary(conn.storage),
  methods: {
    /** GET /export/jobs (a browser session holding the company). */
    async exportJobs(conn, { sid } = {}) {
      await mustHold(conn, sid);
      return jobsOf(conn);
    },
    async exportJob(conn, { sid, jobId } = {}) {
      await mustHold(conn, sid);
      if (typeof jobId !== "string" || !JOB_ID.test(jobId)) return null;
      const job = await conn.storage.get(jobKey(jobId));
      if (!job) return null;
      // docs/EXPORT.md: "one job with its items" — the job's fields and `items`.
      return { ...job, items: await listItems(conn.storage, jobId) };
    },
    /** POST /export/run. */
    async runExport(conn, { sid } = {}) {
      await mustHold(conn, sid);
      return runNow(conn);
    },
    /**
     * For background callers, no session: a webhook (the webhooks feature,
     * through `conn.call`), or `connections.call(subject, "requestExportLookup")`.
     */
    async requestExportLookup(conn, { reason = "background" } = {}) {
      await requestLookup(conn, String(reason).slice(0, 40));
      return { requested: true };
    },
    /** The operator console (routes/ops.js): the jobs as GET /export/jobs shows them, without a browser session. */
    operatorExportJobs(conn) {
      return jobsOf(conn);
    },
    /** The operator console: as POST /export/run, for any company. */
    operatorRunExport(conn) {
      return runNow(conn);
    },
  },
  alarms: {
    [EXPORT_TIMER]: (conn) => onExportAlarm(conn),
  },
  async onConnect(conn) {
    if (!exportSettings(conn.env).automatic) return; // EXPORT_AUTOMATIC=off: on demand only
    // Look for waiting jobs now, then every EXPORT_POLL_MINUTES.
    await requestLookup(conn, "connect");
  },
};
