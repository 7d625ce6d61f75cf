// Named timers on a Durable Object's single alarm. A Durable Object has one
// alarm; the keep-alive refresh, session expiry and extensions (the export
// runner) each need their own wake-up time. Timers are stored in the
// object's storage (key "timers": { name: ms epoch }) so they survive
// restarts and evictions, and the alarm is always set to the earliest one.

const TIMERS_KEY = "timers";

export class AlarmScheduler {
  /**
   * @param storage  the Durable Object's storage (get/put/setAlarm/deleteAlarm)
   * @param handlers { [name]: async (firedAt) => void } — one per timer name
   */
  constructor(storage, handlers) {
    this.storage = storage;
    this.handlers = handlers;
    this.timers = null; // loaded lazily
  }

  async load() {
    if (!this.timers) this.timers = (await this.storage.get(TIMERS_KEY)) ?? {};
    return this.timers;
  }

  /** Sets (or moves) the timer `name` to `at` (ms epoch). */
  async schedule(name, at) {
    if (!this.handlers[name]) throw new Error(`no alarm handler named ${name}`);
    const timers = await this.load();
    if (timers[name] === at) return;
    timers[name] = at;
    await this.persist();
  }

  /**
   * For a caller's own atomic write (outbox.js): moves the timer `name` to
   * `at` unless it fires earlier already, in memory only, and returns the
   * storage entries and the alarm time to write together with its change.
   */
  async stage(name, at) {
    if (!this.handlers[name]) throw new Error(`no alarm handler named ${name}`);
    const timers = await this.load();
    if (!(name in timers) || timers[name] > at) timers[name] = at;
    return { entries: { [TIMERS_KEY]: { ...timers } }, alarmAt: Math.min(...Object.values(timers)) };
  }

  async cancel(name) {
    const timers = await this.load();
    if (!(name in timers)) return;
    delete timers[name];
    await this.persist();
  }

  /** When the timer `name` fires next, or null. */
  async next(name) {
    return (await this.load())[name] ?? null;
  }

  async persist() {
    const times = Object.values(this.timers);
    if (times.length === 0) {
      await this.storage.delete(TIMERS_KEY);
      await this.storage.deleteAlarm();
    } else {
      await this.storage.put(TIMERS_KEY, this.timers);
      await this.storage.setAlarm(Math.min(...times));
    }
  }

  /** Forgets every timer (the object's storage was wiped). */
  reset() {
    this.timers = {};
  }

  /** The Durable Object's alarm(): runs every due timer, then re-arms for the earliest left. */
  async fire(now = Date.now()) {
    const timers = await this.load();
    const due = Object.entries(timers)
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1]);
    // A due timer is removed before its handler runs, so a handler may
    // schedule itself again; a throwing handler is retried in a minute
    // instead of blocking the other timers.
    for (const [name] of due) delete timers[name];
    const failures = [];
    for (const [name, at] of due) {
      try {
        await this.handlers[name]?.(at);
      } catch (err) {
        console.error(`alarm ${name} failed:`, err?.name, err?.code ?? "");
        if (!(name in timers)) failures.push(name);
      }
    }
    for (const name of failures) timers[name] = now + 60_000;
    await this.persist();
  }
}
