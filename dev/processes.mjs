// The workerd processes below this one (miniflare spawns workerd, sometimes
// under a helper process), with their resident memory: for the load tests'
// worker_rss_mb and for the crash tests that kill workerd. Linux `ps`.
import { execFileSync } from "node:child_process";

/** [{ pid, rssKb }] of every workerd process descending from `root` (default: this process). */
export function workerdBelow(root = process.pid) {
  let table;
  try {
    table = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,comm="], { encoding: "utf8" });
  } catch {
    return [];
  }
  const rows = table
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
  const mine = new Set([String(root)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of rows) if (mine.has(ppid) && !mine.has(pid)) (mine.add(pid), (grew = true));
  }
  return rows
    .filter(([pid, , , comm]) => pid !== String(root) && mine.has(pid) && /workerd/.test(comm ?? ""))
    .map(([pid, , rss]) => ({ pid: Number(pid), rssKb: Number(rss) }));
}
