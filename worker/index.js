// This repository's edge worker (wrangler.toml `main`): pleo-oauth's worker
// factory with the built-in features — auth, the API proxy, export jobs and
// Pleo webhooks — and the Durable Object classes wrangler binds.
// Runs unchanged on workerd / Cloudflare Workers and on Node (local/node.mjs).
import { createWorker } from "./create-worker.js";
import { demoIdentify, demoIdentityRoutes } from "./session/demo-identity.js";

// The demo books into its D1 ledger (binding LEDGER_DB) on purpose; a
// partner's worker passes its own `ledger` instead (README "Extending").
// Partner accounts: the demo's own sign-in (POST /demo/sign-in) is its
// `identify`; without it, anonymous browser sessions as before.
const app = createWorker({ demoLedger: true, identify: demoIdentify, features: [demoIdentityRoutes] });

export const { ConnectionObject, DirectoryObject } = app;
export default app;
