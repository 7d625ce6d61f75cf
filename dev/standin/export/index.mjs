// Pleo's export workflow: jobs, items, accounting entries and generated
// receipts as state, and the v3 export routes over them. What the other rooms
// and the entry use.

export { createExports } from './exports.mjs';
export { receiptPlan, withFileDigests } from './receipt-files.mjs';
export { exportRoutes } from './routes.mjs';
