// /export/*: the selected company's export jobs (api.md "Edge worker").
// A stub wired into the router; the export runner fills it (see README
// "Extending"): `routes` answers the browser, `connection` adds methods,
// alarms and connect/disconnect hooks to each company's connection object.
import { errorResponse } from "../http.js";

export const exportRoutes = {
  name: "export",
  prefix: "/export/",
  handle() {
    return errorResponse(404, "not_found", "Export jobs are not available in this build.");
  },
  connection: {
    methods: {},
    alarms: {},
  },
};
