// /webhooks/pleo/<company>: Standard Webhooks deliveries from Pleo (api.md
// "Edge worker"). A stub wired into the router; the webhook handler fills it
// (see README "Extending"). No session and no CSRF header here: the
// signature is the authentication, checked before the body is parsed.
import { errorResponse } from "../http.js";

export const webhookRoutes = {
  name: "webhooks",
  prefix: "/webhooks/",
  handle() {
    return errorResponse(404, "not_found", "Webhooks are not available in this build.");
  },
  connection: {},
};
