// Persistence for the stand-in: a write-through key/value journal.
//
// State is a set of namespaces (oidc, jobs, items, subscriptions, …), each a
// map of key → JSON value. Every change is appended to journal.jsonl as ONE
// line written with a single synchronous write before the caller answers the
// request: a SIGKILL right after cannot lose it (the bytes are in the kernel),
// and cannot half-write it (a torn line can only come from a power loss or a
// full disk; it is the last line and is ignored on load). At start, and every
// COMPACT_EVERY lines, the state is written to snapshot.json through a temp
// file + fsync + rename (never a half-written snapshot) and the journal is
// emptied. Records hold final values (set or delete), so replaying a journal
// over a snapshot that already contains it gives the same state: a crash
// between the rename and the truncation is harmless.
//
// Without a data directory the same API keeps everything in memory.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const COMPACT_EVERY = 5000; // journal lines between snapshots
const FORMAT = 1;

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

// One stand-in per data directory: two writers would interleave journals.
function takeLock(dir) {
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return path;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new Error(`stand-in data directory ${dir} is in use by process ${pid}`);
      }
      rmSync(path, { force: true }); // left behind by a killed stand-in
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/**
 * @param {object} [o]
 * @param {string} [o.dir] data directory; none = memory only
 * @param {boolean} [o.reset] start empty (deletes the directory's state)
 * @param {number} [o.compactEvery] journal lines between snapshots
 */
export function openJournal({ dir, reset = false, compactEvery = COMPACT_EVERY } = {}) {
  const spaces = new Map(); // ns -> Map(key -> value)
  const space = (ns) => {
    let m = spaces.get(ns);
    if (!m) spaces.set(ns, (m = new Map()));
    return m;
  };
  const apply = ([ns, key, value]) => {
    if (value === undefined || value === null) space(ns).delete(key);
    else space(ns).set(key, value);
  };

  let fd = null;
  let lines = 0;
  let lockPath = null;
  const snapshotPath = dir && join(dir, "snapshot.json");
  const journalPath = dir && join(dir, "journal.jsonl");

  function compact() {
    if (!dir) return;
    const state = { format: FORMAT, spaces: {} };
    for (const [ns, m] of spaces) state.spaces[ns] = Object.fromEntries(m);
    const tmp = `${snapshotPath}.tmp`;
    const tfd = openSync(tmp, "w");
    try {
      writeFileSync(tfd, JSON.stringify(state));
      fsyncSync(tfd);
    } finally {
      closeSync(tfd);
    }
    renameSync(tmp, snapshotPath);
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd); // the rename itself survives a power loss
    } finally {
      closeSync(dfd);
    }
    if (fd !== null) closeSync(fd);
    fd = openSync(journalPath, "w"); // empties the journal the snapshot now contains
    lines = 0;
  }

  if (dir) {
    mkdirSync(dir, { recursive: true });
    lockPath = takeLock(dir);
    if (reset) {
      rmSync(snapshotPath, { force: true });
      rmSync(journalPath, { force: true });
    }
    if (existsSync(snapshotPath)) {
      const state = JSON.parse(readFileSync(snapshotPath, "utf8"));
      if (state.format !== FORMAT) throw new Error(`${snapshotPath}: unknown format ${state.format}`);
      for (const [ns, entries] of Object.entries(state.spaces)) {
        for (const [key, value] of Object.entries(entries)) space(ns).set(key, value);
      }
    }
    if (existsSync(journalPath)) {
      const text = readFileSync(journalPath, "utf8");
      for (const line of text.split("\n")) {
        if (!line) continue;
        let ops;
        try {
          ops = JSON.parse(line);
        } catch {
          break; // a torn last line: everything before it is whole
        }
        for (const op of ops) apply(op);
      }
    }
    compact();
  }

  return {
    persistent: Boolean(dir),
    /** Every value of a namespace, as stored (plain JSON). */
    entries(ns) {
      return [...space(ns)];
    },
    get(ns, key) {
      return space(ns).get(key);
    },
    /**
     * Applies and persists changes atomically: [[ns, key, value | undefined]].
     * Values are copied through JSON, so later mutation of the caller's
     * objects does not change what is stored.
     */
    commit(ops) {
      if (!ops.length || !dir) return; // memory only: the callers' own maps are the state
      const line = JSON.stringify(ops.map(([ns, key, value]) => [ns, key, value ?? null]));
      for (const op of JSON.parse(line)) apply(op);
      if (fd === null) return;
      const bytes = Buffer.from(`${line}\n`);
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
      lines += 1;
      if (lines >= compactEvery) compact();
    },
    close() {
      if (fd !== null) {
        compact();
        closeSync(fd);
        fd = null;
      }
      if (lockPath) rmSync(lockPath, { force: true });
      lockPath = null;
    },
  };
}
