// Pleo's authorization server as the stand-in plays it: oidc-provider and
// the middleware in front of it, sign-in and consent, token storage, and the
// driver that walks the pages over HTTP. What the other rooms and the entry use.

export { countProviderEvents, createProvider, installMiddleware, PATHS } from "./auth-server.mjs";
export { createTokenStore } from "./adapter.mjs";
export { completeAuthorization, CookieJar, obtainTokens, refreshTokens } from "./drive.mjs";
export { createInteractionHandler } from "./interactions.mjs";
export { fleetAdminRoutes } from "./fleet.mjs";
