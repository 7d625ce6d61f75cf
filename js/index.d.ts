// Types of the server entries of `pleo-oauth` (dist/node.js for Node, Bun
// and Deno; dist/workerd.js for Cloudflare Workers) and of `pleo-oauth/edge`
// in every runtime: the OAuth steps of the browser entry (web.d.ts) plus
// webhook verification and the export core (edge.d.ts). package.json's
// `exports` gives each condition its own types, so a browser build does not
// see names its entry lacks.
export * from "./web.js";
export * from "./edge.js";
