// The receipt figures of the export load test (issue #18):
//   receipts        receipts stored (ledger_receipts rows of the jobs)
//   bytes           their bytes
//   receipts_per_s, mb_per_s   over the time from the first job's creation to
//                   the last job's completion (Pleo's clock)
//   worker_peak_rss_mb         the workerd process's peak resident memory,
//                   sampled every 100 ms from /proc (Linux; null elsewhere)
//   duplicates      rows beyond one per (accountingEntryId, index)
//   lost            receipts of successful items not stored, or stored with
//                   a SHA-256 other than the stand-in's
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Pids of workerd processes below this one (miniflare spawns workerd). */
function workerdPids() {
  try {
    const out = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" });
    const rows = out
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/));
    const mine = new Set([String(process.pid)]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of rows) if (mine.has(ppid) && !mine.has(pid)) (mine.add(pid), (grew = true));
    }
    return rows.filter(([pid, , comm]) => mine.has(pid) && /workerd/.test(comm ?? "")).map(([pid]) => pid);
  } catch {
    return [];
  }
}

const rssKb = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** Samples the workerd processes' RSS (restarts included); stop() → peak MB or null. */
export function watchPeakRss(intervalMs = 100) {
  let peakKb = 0;
  let pids = [];
  let ticks = 0;
  const timer = setInterval(() => {
    if (ticks++ % 20 === 0 || !pids.length) pids = workerdPids(); // a restart starts a new process
    const total = pids.reduce((n, pid) => n + rssKb(pid), 0);
    peakKb = Math.max(peakKb, total);
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peakKb ? Math.round(peakKb / 1024) : null;
    },
  };
}

export async function receiptFigures({ db, views, plan, peakRssMb }) {
  let rows = [];
  try {
    rows = (await db.prepare("SELECT accounting_entry_id AS id, idx, size, sha256 FROM ledger_receipts").all()).results;
  } catch {
    rows = []; // no receipt stored at all: the table was never made
  }
  const stored = new Map();
  let duplicates = 0;
  for (const r of rows) {
    const key = `${r.id}/${r.idx}`;
    if (stored.has(key)) duplicates++;
    stored.set(key, r);
  }
  let lost = 0;
  let first = Infinity;
  let last = 0;
  for (const v of views) {
    first = Math.min(first, Date.parse(v.job.createdAt));
    if (v.job.completedAt) last = Math.max(last, Date.parse(v.job.completedAt));
    for (const item of v.items) {
      if (item.status !== "successful") continue;
      (item.files ?? []).forEach((f, index) => {
        const got = stored.get(`${item.accountingEntryId}/${index}`);
        if (!got || got.sha256 !== f.sha256) lost++;
      });
      if ((item.files ?? []).length !== plan.count) lost += plan.count;
    }
  }
  const bytes = rows.reduce((n, r) => n + r.size, 0);
  const seconds = last > first ? (last - first) / 1000 : null;
  return {
    receipts: rows.length,
    bytes,
    receipts_per_s: seconds ? Math.round((rows.length / seconds) * 10) / 10 : null,
    mb_per_s: seconds ? Math.round((bytes / 1024 / 1024 / seconds) * 10) / 10 : null,
    worker_peak_rss_mb: peakRssMb,
    receipt_size: plan.size,
    duplicates,
    lost,
  };
}
