// The webhooks feature: POST /webhooks/pleo/<company> (routes.js) and its
// part in each company's connection object (connection.js: the subscription
// and the deliveries). Works without the export feature: deliveries are then
// verified and recorded, and no look-up is asked for.
import { webhooksConnection } from "./connection.js";
import { handleWebhook } from "./routes.js";

export const webhooksFeature = {
  name: "webhooks",
  prefix: "/webhooks/",
  handle: handleWebhook,
  connection: webhooksConnection,
};
