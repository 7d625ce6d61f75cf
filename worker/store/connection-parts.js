// The features' connection parts merged into one table for the
// ConnectionObject class: their RPC methods, alarms and connect/disconnect
// hooks. Names must not clash (with each other or with the object's own
// "keepalive" and "sessions" alarms).
//
// Each part's functions get the connection context with `memory` added: that
// feature's own per-object slot (a plain object, gone when the object is
// evicted), so no feature keeps a module-level map keyed by the object.

/** Alarm names the ConnectionObject itself uses. */
const OWN_ALARMS = ["keepalive", "sessions", "outbox"];

/** The context one feature's part sees: the object's, plus its own `memory` slot. */
function featureContext(ctx, feature) {
  return Object.create(ctx, { memory: { value: ctx.slot(feature), enumerable: true } });
}

/**
 * Merges `feature.connection` parts:
 * `{ methods: { name(conn, ...args) }, alarms: { name(conn, firedAt) },
 *    onConnect(conn, { reconnected }), onDisconnect(conn, { tokens }),
 *    summary(conn) → the feature's fields of the operator console's row }`.
 */
export function collectConnectionParts(features) {
  const methods = {};
  const alarms = {};
  const onConnect = [];
  const onDisconnect = [];
  const summaries = [];
  for (const feature of features) {
    const part = feature?.connection;
    if (!part) continue;
    const own =
      (fn) =>
      (ctx, ...args) =>
        fn.call(part, featureContext(ctx, feature), ...args);
    for (const [name, fn] of Object.entries(part.methods ?? {})) {
      if (methods[name]) throw new Error(`two features define the connection method ${name}`);
      methods[name] = own(fn);
    }
    for (const [name, fn] of Object.entries(part.alarms ?? {})) {
      if (alarms[name] || OWN_ALARMS.includes(name)) throw new Error(`alarm name ${name} is taken`);
      alarms[name] = own(fn);
    }
    if (part.onConnect) onConnect.push(own(part.onConnect));
    if (part.onDisconnect) onDisconnect.push(own(part.onDisconnect));
    if (part.summary) summaries.push(own(part.summary));
  }
  return { methods, alarms, onConnect, onDisconnect, summaries };
}
