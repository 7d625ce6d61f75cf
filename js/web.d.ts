// Types of the browser entry of `pleo-oauth` (dist/web.js: browsers and
// bundlers, the `browser` and `default` export conditions): the OAuth steps.
// The server entries (node, workerd) and `pleo-oauth/edge` add webhook
// verification and the export core: index.d.ts = this file + edge.d.ts.

/**
 * Loads the WebAssembly module. Required once in browsers and bundlers
 * (await it before anything else); a no-op that resolves at once in Node and
 * workerd. Idempotent.
 * @param moduleOrPath Optional: a URL, Response, BufferSource or
 *   WebAssembly.Module to load instead of the .wasm beside the package.
 */
export function init(moduleOrPath?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;

/** A fresh PKCE code verifier: 32 CSPRNG bytes, base64url without padding (43 chars). RFC 7636 §4.1. */
export function generateCodeVerifier(): string;

/**
 * The S256 code challenge of a verifier: BASE64URL(SHA256(verifier)). RFC 7636 §4.2.
 * @throws {OAuthError} `invalid_verifier` unless 43–128 chars of `[A-Za-z0-9-._~]`;
 *   `invalid_input` for a non-string.
 */
export function codeChallengeS256(verifier: string): string;

/** A fresh `state` value: 256 bits from the CSPRNG, base64url (43 chars). */
export function generateState(): string;

/**
 * Pleo's provider preset.
 * @throws {OAuthError} `invalid_config` for any other name.
 */
export function pleoProvider(env: "staging" | "production"): Provider;

/**
 * True when the token set is due for a refresh at `now` (default
 * `Date.now()`). The policy is the core's: refresh a quarter of the token's
 * lifetime (`expiresAt - obtainedAt`) before `expiresAt`, at most 60 s before
 * (60 s when `obtainedAt` is unknown). `skewMs` overrides the policy. A token
 * set without `expiresAt` never needs a proactive refresh.
 */
export function needsRefresh(tokenSet: TokenSet, opts?: { now?: number; skewMs?: number }): boolean;

/** An OAuth 2.0 authorization server and the API it protects. */
export interface Provider {
  /** Issuer identifier (RFC 8414), compared with a callback's `iss` (RFC 9207). */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** RFC 7662 token introspection. */
  introspectionEndpoint?: string;
  /** RFC 7009 token revocation. Pleo documents none. */
  revocationEndpoint?: string;
  apiBaseUrl?: string;
  /** RFC 9207: when true, callbacks must carry `iss`. */
  issParameterSupported?: boolean;
}

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

export interface ClientConfig {
  /** A provider object, or `"staging"` / `"production"` for Pleo. */
  provider: Provider | "staging" | "production";
  clientId: string;
  /** Registered redirect URI: https, or http on a loopback host. Matched exactly by Pleo. */
  redirectUri: string;
  /** Default scopes, e.g. `["users:read", "export-jobs:read"]`. */
  scopes?: string[];
  /** Edge/server only — never ship it to a browser. */
  clientSecret?: string;
  /** Default `client_secret_basic` when a secret is set, `none` without. */
  clientAuth?: ClientAuthMethod;
}

export interface AuthorizationOptions {
  /** Overrides the configured scopes for this request. */
  scopes?: string[];
  /** Pleo subject URN (`urn:pleo:company:<uuid>`), sent as `urn_pleo_params_oauth_subject`. */
  subject?: string;
  /** Additional parameters; reserved OAuth names throw `invalid_input`. */
  extraParams?: Record<string, string>;
  /** Milliseconds since the epoch (default `Date.now()`), recorded as `createdAt`. */
  now?: number;
}

/**
 * A plain JSON-serialisable record to store (sessionStorage, a sealed cookie,
 * a KV record) between startAuthorization and handleCallback. It contains the
 * PKCE verifier: keep it where only your origin or server can read it, and
 * delete it once used (single use).
 */
export interface PendingAuthorization {
  state: string;
  codeVerifier: string;
  redirectUri: string;
  issuer: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The scopes requested. */
  scopes?: string[];
}

export interface CallbackResult {
  code: string;
  state: string;
  /** Present when the callback carried `iss` (RFC 9207). */
  iss?: string;
}

/** A request for your own HTTP client. Send it with `redirect: "manual"`. */
export interface HttpRequest {
  method: "POST";
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpResponseLike {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface TokenSet {
  accessToken: string;
  tokenType: "Bearer";
  /** Milliseconds since the epoch: `now + expires_in × 1000`. */
  expiresAt?: number;
  refreshToken?: string;
  /**
   * The granted scope: the response's `scope`, else (RFC 6749 §5.1) the
   * previous token set's on a refresh, else the scopes that were requested.
   */
  scope?: string[];
  /** When the token response was parsed (its `now`), milliseconds since the epoch. */
  obtainedAt?: number;
}

export type TokenTypeHint = "access_token" | "refresh_token";

export class OAuthClient {
  /** @throws {OAuthError} `invalid_config` */
  constructor(config: ClientConfig);
  /** The validated provider this client talks to. */
  readonly provider: Provider;
  /** Builds the authorization URL (S256 PKCE, fresh state) and the record to keep. */
  startAuthorization(opts?: AuthorizationOptions): { url: string; pending: PendingAuthorization };
  /**
   * Validates the redirect back to `redirectUri`.
   * @throws {OAuthError} `invalid_callback`, `state_mismatch`, `issuer_mismatch`,
   *   `authorization_denied`, `invalid_input`
   */
  handleCallback(callbackUrl: string, pending: PendingAuthorization): CallbackResult;
  /** The authorization-code exchange (redirect_uri and code_verifier come from `pending`). */
  tokenRequest(code: string, pending: PendingAuthorization): HttpRequest;
  /** A refresh-token grant. Pleo rotates refresh tokens: one refresh at a time per connection. */
  refreshRequest(refreshToken: string): HttpRequest;
  /** RFC 7662 introspection. @throws {OAuthError} `unsupported_operation` without an endpoint. */
  introspectionRequest(token: string, hint?: TokenTypeHint): HttpRequest;
  /** RFC 7009 revocation. @throws {OAuthError} `unsupported_operation` without an endpoint. */
  revocationRequest(token: string, hint?: TokenTypeHint): HttpRequest;
  /**
   * Parses a token-endpoint response; `obtainedAt` is `now`. With `previous`
   * (a refresh), a response without a refresh token or scope keeps the
   * previous one; with `pending` (a code exchange), a response without scope
   * gets the scopes that authorization requested; otherwise the client's
   * configured scopes stand in for an omitted scope.
   * @throws {OAuthError} `token_error`, `invalid_token_response`, `unsupported_token_type`, `invalid_input`
   */
  parseTokenResponse(res: HttpResponseLike, opts?: { now?: number; previous?: TokenSet; pending?: PendingAuthorization }): TokenSet;
  /** Releases the WebAssembly memory now instead of at garbage collection. */
  free(): void;
}

export type OAuthErrorCode =
  | "invalid_config"
  | "invalid_input"
  | "invalid_verifier"
  | "invalid_callback"
  | "state_mismatch"
  | "issuer_mismatch"
  | "authorization_denied"
  | "token_error"
  | "invalid_token_response"
  | "unsupported_token_type"
  | "unsupported_operation";

/**
 * What every export throws: an `Error` with `name === "OAuthError"`.
 * Messages name the offending parameter and never contain secrets or tokens.
 */
export class OAuthError extends Error {
  name: "OAuthError";
  code: OAuthErrorCode;
  /** The server's `error` (authorization_denied, token_error). Untrusted text. */
  error?: string;
  /** The server's `error_description`. Untrusted text: render with textContent. */
  errorDescription?: string;
  errorUri?: string;
  /** HTTP status of the token response (token_error). */
  status?: number;
}
