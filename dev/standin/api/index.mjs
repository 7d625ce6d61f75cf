// Pleo's API as the stand-in serves it: the server (faults, bearer check,
// routing, errors, account routes), pagination, the check against Pleo's
// published contract, and the seeded companies, employees and demo user.
// What the other rooms and the entry use.

export { accessDenied, ApiError, createApiHandler, createReceiptSigner, readJson, requireScope } from "./server.mjs";
export { createContractCheck } from "./contract-check.mjs";
export { createDataset, DEMO_USER, prng, SCOPES, uuid } from "./data.mjs";
export { paginate } from "./pagination.mjs";
