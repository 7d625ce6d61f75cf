// The export feature: the /export/* routes (routes.js) and its part in each
// company's connection object (connection.js). It needs a ledger
// (createWorker({ ledger }), config/options.js); the webhooks feature asks it
// for look-ups through its public `requestExportLookup` method when both are on.
import { exportConnection } from "./connection.js";
import { handleExport } from "./routes.js";

export const exportFeature = {
  name: "export",
  prefix: "/export/",
  handle: handleExport,
  connection: exportConnection,
};
