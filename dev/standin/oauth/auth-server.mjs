// The authorization server: oidc-provider configured to behave like Pleo's,
// its event counters, and the koa middleware in front of it (admin routes,
// sign-in/consent interactions, token-endpoint faults, the iss switch).

import { SCOPES } from "../api/index.mjs";
import { sendJson } from "../runtime/index.mjs";
import { errorPage, PAGE_HEADERS } from "./pages.mjs";
import { injectTokenFault } from "./token-faults.mjs";

export const PATHS = {
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  introspection: "/oauth/token/introspect",
  revocation: "/oauth/token/revoke",
  jwks: "/oauth/jwks",
  end_session: "/oauth/logout",
  userinfo: "/oauth/userinfo",
};

const DAY = 24 * 60 * 60;

let oidcModule;
// oidc-provider warns on import when Node is older than 22 (it works on 20).
// Drop that one line instead of letting it reach the user's console.
async function loadOidcProvider() {
  if (!oidcModule) {
    const warn = console.warn;
    console.warn = (...args) => {
      if (typeof args[0] === "string" && args[0].includes("Unsupported runtime")) return;
      warn.apply(console, args);
    };
    try {
      oidcModule = await import("oidc-provider");
    } finally {
      console.warn = warn;
    }
  }
  return oidcModule;
}

/**
 * The oidc-provider instance, configured like Pleo: its paths, one
 * client_secret_basic client, PKCE S256, Pleo scopes on opaque tokens of one
 * resource server, rotating refresh tokens without offline_access.
 */
export async function createProvider({ issuer, resource, adapter, keys, client, accessTtl, refreshTtl, dataset }) {
  const { default: Provider, errors: oidcErrors } = await loadOidcProvider();
  return new Provider(issuer, {
    adapter,
    jwks: { keys: [keys.signingKey] },
    cookies: { keys: keys.cookieKeys },
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        client_name: "Pleo OAuth demo",
        redirect_uris: client.redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
      },
    ],
    // Only Basic: with client_secret_post allowed provider-wide, a client
    // registered for Basic still gets a secret in the body accepted.
    clientAuthMethods: ["client_secret_basic"],
    responseTypes: ["code"],
    pkce: { required: () => true }, // oidc-provider only knows S256
    allowOmittingSingleRegisteredRedirectUri: false,
    extraParams: ["urn_pleo_params_oauth_subject"],
    routes: PATHS,
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, c, token) => token.clientId === c.clientId,
      },
      // Pleo has none of these; keep the surface close to Pleo's.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: false },
      // Pleo scopes are API scopes: they need a resource server to end up on
      // the access token. Every request gets the API as its resource.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, c, oneOf) => oneOf ?? resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) throw new oidcErrors.InvalidTarget();
          return { scope: SCOPES.join(" "), accessTokenFormat: "opaque", accessTokenTTL: accessTtl };
        },
      },
    },
    // Pleo issues a refresh token without offline_access, rotates it on every
    // use, and keeps connections alive independently of any browser session.
    issueRefreshToken: async (ctx, c) => c.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    // Only reuse a grant that the consent step just created (result.consent.grantId);
    // never the session's previous one, so a second connect can pick another company.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    findAccount: async (ctx, sub) => (dataset.bySubject.has(sub) ? { accountId: sub, claims: async () => ({ sub }) } : undefined),
    interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.set(PAGE_HEADERS);
      // A partner's first mistake: say where the stand-in's redirect URIs come from.
      const hint =
        out.error === "invalid_redirect_uri" ? " Register it with STANDIN_REDIRECT_URIS (comma-separated) when starting the stand-in." : "";
      ctx.body = errorPage({ error: out.error, description: `${out.error_description ?? ""}${hint}` });
    },
    // Grant ≥ refresh token, or introspection turns inactive when the grant expires.
    ttl: {
      AccessToken: accessTtl,
      AuthorizationCode: 60,
      RefreshToken: refreshTtl,
      Grant: refreshTtl + 30 * DAY,
      Session: DAY,
      Interaction: 3600,
      IdToken: 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
  });
}

/** Counts oidc-provider's events into `stats`. */
export function countProviderEvents(provider, stats) {
  provider.on("grant.success", (ctx) => {
    const type = ctx.oidc.params?.grant_type;
    if (type === "authorization_code") stats.codeExchanges += 1;
    else if (type === "refresh_token") stats.refreshes += 1;
  });
  provider.on("grant.error", () => {
    stats.tokenErrors += 1;
  });
  provider.on("authorization.success", () => {
    stats.authorizations += 1;
  });
  provider.on("authorization.error", () => {
    stats.authorizationErrors += 1;
  });
  // oidc-provider revokes the whole grant itself when a consumed refresh token
  // (or authorization code) is presented again; count those revocations.
  provider.on("grant.revoked", (ctx) => {
    if (ctx.oidc.route !== "token") return;
    const type = ctx.oidc.params?.grant_type;
    if (type === "refresh_token") stats.grantsRevoked += 1;
    else if (type === "authorization_code") stats.codeReuseRevocations += 1;
  });
  provider.on("server_error", (ctx, err) => {
    console.error("stand-in: oidc-provider server error:", err);
  });
  // Koa's own error event: log real failures, not clients that went away.
  provider.on("error", (err) => {
    if (err.expose || err.code === "ECONNRESET" || err.code === "ERR_STREAM_PREMATURE_CLOSE") return;
    console.error("stand-in: error:", err);
  });
}

/**
 * The middleware in front of oidc-provider's routes.
 * @param {object} o
 * @param {() => object} o.getFaults current fault settings
 * @param {(ctx) => Promise} o.admin handler for /__standin/*
 * @param {(ctx) => Promise} o.interaction handler for /interaction/*
 */
export function installMiddleware(provider, { issuer, stats, getFaults, closing, discovery, quiet, admin, interaction }) {
  const issuerOrigin = new URL(issuer).origin;

  // Strips RFC 9207 `iss` from redirects to the client when the fault says so.
  function stripIss(ctx) {
    if (getFaults().issInCallback || ctx.status < 300 || ctx.status >= 400) return;
    const location = ctx.response.get("location");
    const url = location && URL.parse(location);
    if (!url || url.origin === issuerOrigin || !url.searchParams.has("iss")) return;
    url.searchParams.delete("iss");
    ctx.set("location", url.href);
    if (typeof ctx.body === "string") ctx.body = `Redirecting to ${url.href}.`;
  }

  async function tokenRequest(ctx, next) {
    stats.tokenRequests += 1;
    stats.tokenInFlight += 1;
    stats.maxTokenInFlight = Math.max(stats.maxTokenInFlight, stats.tokenInFlight);
    try {
      if (await injectTokenFault(ctx, { faults: getFaults(), stats, closing })) return undefined;
      return await next();
    } finally {
      stats.tokenInFlight -= 1;
    }
  }

  provider.use(async (ctx, next) => {
    if (!quiet) {
      const started = Date.now();
      ctx.res.once("finish", () => {
        console.error(`stand-in ${ctx.method} ${ctx.path} ${ctx.status} ${Date.now() - started}ms`);
      });
    }
    const { path } = ctx;
    if (path.startsWith("/__standin/")) return admin(ctx);
    if (path === "/interaction" || path.startsWith("/interaction/")) return interaction(ctx);
    if (!discovery && path.startsWith("/.well-known/")) return sendJson(ctx, 404, { error: "not_found" });
    if (path === PATHS.introspection) stats.introspectionRequests += 1;
    if (path === PATHS.revocation) stats.revocationRequests += 1;
    if (path === PATHS.token && ctx.method === "POST") return tokenRequest(ctx, next);
    await next();
    if (path.startsWith(PATHS.authorization)) stripIss(ctx);
    return undefined;
  });
}
