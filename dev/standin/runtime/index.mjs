// The stand-in's runtime: persistence (journal), fault switches, counters,
// the loopback admin routes, run-time settings, HTTP helpers, and the
// stand-in in a child process. What the other rooms and the entry use.

export { AdminError, createAdminHandler, revokeAdminRoutes } from "./admin.mjs";
export { apiFault, createFaultSwitch } from "./faults.mjs";
export { listen, readBody, sendJson } from "./http-util.mjs";
export { openJournal } from "./journal.mjs";
export { freePort, startStandinProcess } from "./process.mjs";
export { createSettings } from "./settings.mjs";
export { logDelivery, newStats, resetStats, snapshotStats } from "./stats.mjs";
