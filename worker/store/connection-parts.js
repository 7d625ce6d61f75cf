// The features' connection parts merged into one table for the
// ConnectionObject class: their RPC methods, alarms and connect/disconnect
// hooks. Names must not clash (with each other or with the object's own
// "keepalive" and "sessions" alarms).

/** Alarm names the ConnectionObject itself uses. */
const OWN_ALARMS = ["keepalive", "sessions", "outbox"];

/**
 * Merges `feature.connection` parts:
 * `{ methods: { name(conn, ...args) }, alarms: { name(conn, firedAt) },
 *    onConnect(conn, { reconnected }), onDisconnect(conn, { tokens }) }`.
 */
export function collectConnectionParts(features) {
  const methods = {};
  const alarms = {};
  const onConnect = [];
  const onDisconnect = [];
  for (const feature of features) {
    const part = feature?.connection;
    if (!part) continue;
    for (const [name, fn] of Object.entries(part.methods ?? {})) {
      if (methods[name]) throw new Error(`two features define the connection method ${name}`);
      methods[name] = fn;
    }
    for (const [name, fn] of Object.entries(part.alarms ?? {})) {
      if (alarms[name] || OWN_ALARMS.includes(name)) throw new Error(`alarm name ${name} is taken`);
      alarms[name] = fn;
    }
    if (part.onConnect) onConnect.push(part.onConnect);
    if (part.onDisconnect) onDisconnect.push(part.onDisconnect);
  }
  return { methods, alarms, onConnect, onDisconnect };
}
