// A Durable Object storage in a Map, for unit tests that drive a worker part
// without workerd: values are cloned in and out as the platform does, and the
// alarm is only recorded (a test fires it by hand); list() is in key order. worker/store/memory.js is
// the Node adapter's storage; it arms real timers, which a unit test does not want.
export class MapStorage {
  data = new Map();
  alarmAt = null;
  async get(k) {
    if (Array.isArray(k)) return new Map(k.filter((x) => this.data.has(x)).map((x) => [x, structuredClone(this.data.get(x))]));
    return this.data.has(k) ? structuredClone(this.data.get(k)) : undefined;
  }
  async put(k, v) {
    if (typeof k === "string") this.data.set(k, structuredClone(v));
    else for (const [key, value] of Object.entries(k)) this.data.set(key, structuredClone(value));
  }
  async delete(k) {
    for (const key of Array.isArray(k) ? k : [k]) this.data.delete(key);
  }
  async deleteAll() {
    this.data.clear();
  }
  async list({ prefix = "", startAfter, limit = Infinity } = {}) {
    const keys = [...this.data.keys()].filter((key) => key.startsWith(prefix) && (startAfter === undefined || key > startAfter)).sort();
    return new Map(keys.slice(0, limit).map((key) => [key, structuredClone(this.data.get(key))]));
  }
  async sync() {}
  async getAlarm() {
    return this.alarmAt;
  }
  async setAlarm(at) {
    this.alarmAt = at;
  }
  async deleteAlarm() {
    this.alarmAt = null;
  }
}
