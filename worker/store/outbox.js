// Events (docs/EVENTS.md): each one is written to an outbox in the company's
// ConnectionObject in the same storage write as the change it reports, logged
// as one JSON line, then delivered at least once to every sink — the
// `onEvent(event, env)` createWorker option and, when the EVENTS queue
// binding exists, a Cloudflare Queue.
//
// Storage (next to the connection's own keys):
//   "outbox:<seq>"  { event, accepted: [sink names] } — an event not yet accepted by every sink
//   "outboxSeq"     the last sequence number used (keys sort in write order)
//   "timers".outbox the delivery alarm (scheduler.js), written with the event
//
// Delivery: right after the write (in the background), and again from the
// "outbox" alarm with backoff until every sink accepted; an entry is deleted
// only then. Each sink gets the company's events in write order: a sink that
// fails is not given the next event until the failed one went through.
// A kill between the write and the delivery leaves the event and its alarm
// on disk; the next instance delivers it (at least once, maybe twice).

import { withDeadline } from "../http/deadline.js";

export const OUTBOX_TIMER = "outbox";
const PREFIX = "outbox:";
const SEQ_KEY = "outboxSeq";
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60_000;
const SINK_DEADLINE_MS = 15_000;

const keyOf = (seq) => `${PREFIX}${String(seq).padStart(12, "0")}`;

/** How long to wait after the n-th failed delivery round in a row. */
export function outboxRetryDelay(failures) {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

/** The sinks configured for this worker: [{ name, send(event) }]. */
function sinksOf(options, env) {
  const sinks = [];
  if (typeof options?.onEvent === "function") sinks.push({ name: "onEvent", send: (event) => options.onEvent(event, env) });
  if (typeof env?.EVENTS?.send === "function") sinks.push({ name: "queue", send: (event) => env.EVENTS.send(event) });
  return sinks;
}

/** The outbox of one ConnectionObject (`conn`: storage, env, record, scheduler, state). */
export class Outbox {
  constructor(conn, options = {}) {
    this.conn = conn;
    this.options = options;
    this.seq = null; // loaded lazily
    this.delivering = null; // the one delivery round in flight
    this.again = false;
    this.failures = 0;
  }

  sinks() {
    return sinksOf(this.options, this.conn.env);
  }

  /** An event: `{ id, type, at, company, name?, ...detail }`. Never pass a token or secret in `detail`. */
  build({ type, company, name, ...detail }) {
    const record = this.conn.record;
    const event = { id: crypto.randomUUID(), type, at: new Date().toISOString(), company: company ?? record?.subject ?? null };
    const companyName = name ?? record?.name;
    if (companyName) event.name = companyName;
    return Object.assign(event, detail);
  }

  /**
   * One atomic write: `changes` (a storage.put object), the deletion of
   * `deleteKeys` (or of everything first, with `deleteAll`), and `events`
   * (`[{ type, ...detail }]`) with their delivery alarm. The writes are
   * issued with no await between them, so the storage commits them together
   * (Durable Objects' write coalescing). Then each event is logged and
   * delivery starts in the background. Returns the events (none when
   * `unlessHolding` entries wait in the outbox already).
   */
  async commit(changes = {}, events = [], { deleteKeys = [], deleteAll = false, keep = {}, unlessHolding = Infinity } = {}) {
    const { storage, scheduler } = this.conn;
    const sinks = this.sinks();
    // Events an outsider can cause (webhook.rejected) are dropped while the outbox is that full.
    if (
      Number.isFinite(unlessHolding) &&
      sinks.length &&
      (await storage.list({ prefix: PREFIX, limit: unlessHolding })).size >= unlessHolding
    )
      events = [];
    const built = events.map((e) => this.build(e));
    const entries = { ...keep, ...changes };
    let alarmAt = null;
    if (built.length && sinks.length) {
      if (this.seq === null) await this.loadSeq();
      for (const event of built) entries[keyOf(++this.seq)] = { event, accepted: [] };
      entries[SEQ_KEY] = this.seq;
      if (deleteAll) scheduler.reset();
      const staged = await scheduler.stage(OUTBOX_TIMER, Date.now() + FIRST_RETRY_MS);
      Object.assign(entries, staged.entries);
      alarmAt = staged.alarmAt;
    }
    const writes = [];
    if (deleteAll) writes.push(storage.deleteAll());
    else if (deleteKeys.length) writes.push(storage.delete(deleteKeys));
    if (Object.keys(entries).length) writes.push(storage.put(entries));
    if (alarmAt !== null) writes.push(storage.setAlarm(alarmAt));
    await Promise.all(writes);
    for (const event of built) console.log(JSON.stringify({ event }));
    if (built.length && sinks.length) this.deliverSoon();
    return built;
  }

  /** The last sequence number: the stored one, or the last entry's if that is higher. */
  async loadSeq() {
    const { storage } = this.conn;
    const keys = [...(await storage.list({ prefix: PREFIX })).keys()];
    const last = keys.length ? Number(keys[keys.length - 1].slice(PREFIX.length)) : 0;
    this.seq = Math.max((await storage.get(SEQ_KEY)) ?? 0, last);
  }

  /** The undelivered entries, to carry over a wipe of the object's storage (disconnect). */
  async pending() {
    return Object.fromEntries(await this.conn.storage.list({ prefix: PREFIX }));
  }

  deliverSoon() {
    const round = this.deliver().catch((err) => console.error("events: delivery failed:", err?.name, err?.code ?? ""));
    this.conn.state?.waitUntil?.(round);
  }

  /** One delivery round at a time; a request during a round runs another after it. */
  deliver() {
    if (this.delivering) {
      this.again = true;
      return this.delivering;
    }
    this.delivering = (async () => {
      do {
        this.again = false;
        await this.deliverOnce();
      } while (this.again);
    })().finally(() => {
      this.delivering = null;
    });
    return this.delivering;
  }

  async deliverOnce() {
    const { storage, scheduler } = this.conn;
    const sinks = this.sinks();
    const blocked = new Set(); // sinks that failed this round: no later event for them (order)
    for (const [key, entry] of await storage.list({ prefix: PREFIX })) {
      const accepted = new Set(entry.accepted ?? []);
      for (const sink of sinks) {
        if (accepted.has(sink.name) || blocked.has(sink.name)) continue;
        try {
          await withDeadline(
            Promise.resolve().then(() => sink.send(entry.event)),
            SINK_DEADLINE_MS,
            () => new Error(`no answer within ${SINK_DEADLINE_MS} ms`),
          );
          accepted.add(sink.name);
        } catch (err) {
          blocked.add(sink.name);
          console.error(`events: sink ${sink.name} refused event id=${entry.event?.id} type=${entry.event?.type}:`, err?.name ?? "Error");
        }
      }
      if (sinks.every((s) => accepted.has(s.name))) await storage.delete(key);
      else if (accepted.size > (entry.accepted ?? []).length) await storage.put(key, { ...entry, accepted: [...accepted] });
    }
    if (blocked.size) {
      this.failures += 1;
      await scheduler.schedule(OUTBOX_TIMER, Date.now() + outboxRetryDelay(this.failures));
    } else {
      this.failures = 0;
      if (this.conn.record === null && (await storage.list({ prefix: PREFIX, limit: 1 })).size === 0) {
        // Disconnected and everything delivered: nothing of the company is left
        // (the numbering goes on in memory; a new instance continues after the last entry).
        await storage.delete(SEQ_KEY);
      }
    }
  }
}
