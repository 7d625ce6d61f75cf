// Pleo's webhooks: subscriptions per company, their signed delivery, and the
// /v1/subscriptions routes. What the other rooms and the entry use.

export { createWebhooks, sign } from "./subscriptions.mjs";
export { subscriptionRoutes } from "./routes.mjs";
