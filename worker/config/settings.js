// Worker configuration from `env`. Every protocol decision is made by
// pleo-oauth; this module only gathers the settings and builds the client.
import { OAuthClient, pleoProvider } from "pleo-oauth";
import { WorkerError } from "../http/responses.js";

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_DEADLINE_MS = 60_000;
const clientCache = new Map();

function required(env, name) {
  const value = env[name];
  if (typeof value !== "string" || value.trim() === "") {
    throw new WorkerError(500, "server_misconfigured", `The worker is missing the setting ${name}.`);
  }
  return value.trim();
}

function optional(env, name) {
  const value = env[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** PLEO_SCOPES: space- or comma-separated, e.g. "users:read companies:read". */
export function parseScopes(text) {
  if (!text) return undefined;
  const scopes = text.split(/[\s,]+/).filter(Boolean);
  return scopes.length ? scopes : undefined;
}

function localProvider(env) {
  return {
    issuer: required(env, "PLEO_ISSUER"),
    authorizationEndpoint: required(env, "PLEO_AUTHORIZATION_ENDPOINT"),
    tokenEndpoint: required(env, "PLEO_TOKEN_ENDPOINT"),
    introspectionEndpoint: optional(env, "PLEO_INTROSPECTION_ENDPOINT"),
    revocationEndpoint: optional(env, "PLEO_REVOCATION_ENDPOINT"),
    apiBaseUrl: required(env, "PLEO_API_BASE_URL"),
    // RFC 9207: a provider that sends `iss` in callbacks must keep sending it.
    issParameterSupported: optional(env, "PLEO_ISS_PARAMETER_SUPPORTED") === "true",
  };
}

function providerFor(env) {
  const environment = required(env, "PLEO_ENV");
  if (environment === "local") return { environment, provider: localProvider(env) };
  if (environment === "staging" || environment === "production") {
    return { environment, provider: pleoProvider(environment) };
  }
  throw new WorkerError(500, "server_misconfigured", "PLEO_ENV must be staging, production or local.");
}

/**
 * Everything a request needs: the OAuthClient (holding the client secret, so
 * it never leaves the worker), the provider, the public origin and timeouts.
 */
const configByEnv = new WeakMap();

export function loadConfig(env) {
  // workerd hands the same env object to every request of an isolate.
  const known = configByEnv.get(env);
  if (known) return known;
  const config = buildConfig(env);
  configByEnv.set(env, config);
  return config;
}

function buildConfig(env) {
  const key = JSON.stringify([
    env.PLEO_ENV,
    env.PLEO_CLIENT_ID,
    env.PLEO_CLIENT_SECRET,
    env.PLEO_REDIRECT_URI,
    env.PLEO_SCOPES,
    env.PLEO_CLIENT_AUTH,
    env.PLEO_ISSUER,
    env.PLEO_AUTHORIZATION_ENDPOINT,
    env.PLEO_TOKEN_ENDPOINT,
    env.PLEO_INTROSPECTION_ENDPOINT,
    env.PLEO_REVOCATION_ENDPOINT,
    env.PLEO_API_BASE_URL,
    env.PLEO_ISS_PARAMETER_SUPPORTED,
    env.PLEO_TIMEOUT_MS,
    env.PLEO_REFRESH_DEADLINE_MS,
    env.SESSION_SECRET,
  ]);
  const cached = clientCache.get(key);
  if (cached) return cached;

  const { environment, provider } = providerFor(env);
  const redirectUri = required(env, "PLEO_REDIRECT_URI");
  const scopes = parseScopes(optional(env, "PLEO_SCOPES"));
  const sessionSecret = required(env, "SESSION_SECRET");
  if (sessionSecret.length < 32) {
    throw new WorkerError(500, "server_misconfigured", "SESSION_SECRET must be at least 32 characters.");
  }
  const clientConfig = {
    provider,
    clientId: required(env, "PLEO_CLIENT_ID"),
    clientSecret: required(env, "PLEO_CLIENT_SECRET"),
    redirectUri,
    scopes,
  };
  const clientAuth = optional(env, "PLEO_CLIENT_AUTH");
  if (clientAuth) clientConfig.clientAuth = clientAuth;

  let client;
  try {
    client = new OAuthClient(clientConfig);
  } catch (err) {
    // OAuthError messages never contain secrets; safe to surface to operators.
    throw new WorkerError(500, "server_misconfigured", `Invalid OAuth configuration: ${err.message}`);
  }
  const timeout = Number(optional(env, "PLEO_TIMEOUT_MS") ?? DEFAULT_TIMEOUT_MS);
  const deadline = Number(optional(env, "PLEO_REFRESH_DEADLINE_MS") ?? DEFAULT_REFRESH_DEADLINE_MS);
  const config = {
    environment,
    client,
    provider,
    clientId: clientConfig.clientId,
    redirectUri,
    scopes: scopes ?? [],
    appOrigin: new URL(redirectUri).origin,
    callbackPath: new URL(redirectUri).pathname,
    apiBaseUrl: provider.apiBaseUrl,
    sessionSecret,
    // How long a browser request waits for Pleo.
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
    // How long a refresh, once sent, may take before it is given up.
    refreshDeadlineMs: Number.isFinite(deadline) && deadline > 0 ? deadline : DEFAULT_REFRESH_DEADLINE_MS,
  };
  if (clientCache.size > 8) clientCache.clear();
  clientCache.set(key, config);
  return config;
}
