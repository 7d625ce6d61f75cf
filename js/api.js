// The public JavaScript API of pleo-oauth, over the wasm exports.
// Every protocol decision is made in Rust; this file only moves values:
// objects cross the boundary as one JSON string each way, strings as strings,
// and the errors the core reports become OAuthError objects.
import {
  WasmClient,
  codeChallengeS256 as wasmCodeChallengeS256,
  generateCodeVerifier as wasmGenerateCodeVerifier,
  generateState as wasmGenerateState,
  needsRefresh as wasmNeedsRefresh,
  parseTokenResponse as wasmParseTokenResponse,
  pleoProvider as wasmPleoProvider,
} from "./pleo_oauth.js";

/** What every export throws: `name` is "OAuthError", `code` a stable code. */
export class OAuthError extends Error {
  constructor(details) {
    super(details.message);
    this.name = "OAuthError";
    this.code = details.code;
    for (const key of ["error", "errorDescription", "errorUri", "status"]) {
      if (details[key] !== undefined) this[key] = details[key];
    }
  }
}

const invalid = (code, message) => new OAuthError({ code, message });

// The core reports a rejection as the JSON of { code, message, ... }.
function call(fn) {
  try {
    return fn();
  } catch (e) {
    if (typeof e === "string" && e.startsWith('{"code":')) throw new OAuthError(JSON.parse(e));
    throw e;
  }
}

// A lone surrogate cannot cross into UTF-8 without being replaced (U+FFFD),
// which would silently change a code or token: such strings are refused.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s) => (typeof s.isWellFormed === "function" ? s.isWellFormed() : !LONE_SURROGATE.test(s));

function str(value, name) {
  if (typeof value !== "string") throw invalid("invalid_input", `${name} must be a string`);
  if (!wellFormed(value)) throw invalid("invalid_input", `${name} contains a lone UTF-16 surrogate`);
  return value;
}

// undefined means "now" (or the default); anything but a number is rejected by the core.
const num = (value) => (value === undefined ? undefined : typeof value === "number" ? value : NaN);

function json(value, code, name) {
  let text;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch {
    throw invalid(code, `${name} is not a plain object`);
  }
  return text === undefined ? "null" : text;
}

const parse = JSON.parse;

// The core hands requests over as lines: URL, header name/value pairs, an
// empty line, the body (none of them can contain a line break).
function request(lines) {
  const parts = lines.split("\n");
  const headers = {};
  let i = 1;
  for (; parts[i] !== ""; i += 2) headers[parts[i]] = parts[i + 1];
  return { method: "POST", url: parts[0], headers, body: parts[i + 1] };
}

export function generateCodeVerifier() {
  return call(wasmGenerateCodeVerifier);
}

export function codeChallengeS256(verifier) {
  const v = str(verifier, "verifier");
  return call(() => wasmCodeChallengeS256(v));
}

export function generateState() {
  return call(wasmGenerateState);
}

export function pleoProvider(env) {
  if (typeof env !== "string") throw invalid("invalid_config", 'env must be "staging" or "production"');
  return parse(call(() => wasmPleoProvider(env)));
}

export function needsRefresh(tokenSet, opts) {
  const o = opts ?? {};
  const t = json(tokenSet, "invalid_input", "tokenSet");
  return call(() => wasmNeedsRefresh(t, num(o.now), num(o.skewMs)));
}

export class OAuthClient {
  #wasm;

  constructor(config) {
    const c = json(config, "invalid_config", "config");
    this.#wasm = call(() => new WasmClient(c));
  }

  /** The validated provider this client talks to. */
  get provider() {
    return parse(this.#wasm.provider());
  }

  startAuthorization(opts) {
    const o = json(opts, "invalid_input", "opts");
    return parse(call(() => this.#wasm.startAuthorization(o, undefined)));
  }

  handleCallback(callbackUrl, pending) {
    const url = str(callbackUrl, "callbackUrl");
    const p = json(pending, "invalid_input", "pending");
    // Lines: state, iss (empty when absent), then the code (the rest).
    const lines = call(() => this.#wasm.handleCallback(url, p));
    const first = lines.indexOf("\n");
    const second = lines.indexOf("\n", first + 1);
    const result = { code: lines.slice(second + 1), state: lines.slice(0, first) };
    if (second > first + 1) result.iss = lines.slice(first + 1, second);
    return result;
  }

  tokenRequest(code, pending) {
    const c = str(code, "code");
    const p = json(pending, "invalid_input", "pending");
    return request(call(() => this.#wasm.tokenRequest(c, p)));
  }

  refreshRequest(refreshToken) {
    const t = str(refreshToken, "refreshToken");
    return request(call(() => this.#wasm.refreshRequest(t)));
  }

  introspectionRequest(token, hint) {
    const t = str(token, "token");
    const h = hint === undefined || hint === null ? undefined : str(hint, "hint");
    return request(call(() => this.#wasm.introspectionRequest(t, h)));
  }

  revocationRequest(token, hint) {
    const t = str(token, "token");
    const h = hint === undefined || hint === null ? undefined : str(hint, "hint");
    return request(call(() => this.#wasm.revocationRequest(t, h)));
  }

  parseTokenResponse(res, opts) {
    if (res === null || typeof res !== "object") {
      throw invalid("invalid_input", "res must be { status, headers?, body }");
    }
    const body = str(res.body, "res.body");
    const status = typeof res.status === "number" ? res.status : NaN;
    const o = opts ?? {};
    const previous = o.previous === undefined || o.previous === null ? undefined : json(o.previous, "invalid_input", "opts.previous");
    return parse(call(() => wasmParseTokenResponse(status, body, num(o.now), previous)));
  }

  /** Releases the WebAssembly memory now rather than at garbage collection. */
  free() {
    this.#wasm.free();
  }
}
