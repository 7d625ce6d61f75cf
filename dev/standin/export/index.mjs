// Pleo's export workflow as state: export jobs, their items, the company's
// accounting entries, and the rules of docs/PLEO-API.md — status
// transitions, one unfinished job per company, expiry one hour after the
// last update, item reports of at most 100. Every function takes the store
// (openExportStore) as its first argument. No HTTP in the workflow itself:
// routes.mjs maps requests onto it and ExportError onto Pleo's error bodies;
// admin.mjs gives the admin's operations. What the other rooms and the entry use.

export { exportAdminRoutes, exportControls } from "./admin.mjs";
export { exportRoutes } from "./routes.mjs";
export { openExportStore } from "./seed.mjs";
