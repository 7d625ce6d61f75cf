// The public JavaScript API of pleo-oauth, over the wasm exports.
// Every protocol decision is made in Rust; this file only moves values.
// The boundary (docs/BOUNDARY.md): strings and numbers cross as themselves;
// every object or array crosses as ONE record string,
//   value = "-" (absent) | <UTF-16 length> ":" <text> | "[" value* "]"
// plus, JS → wasm only, "!" (wrong JS type) and "?" (lone surrogate), so the
// core reports every ill-typed field with its own message and code. An
// object is the list of its fields in a fixed order: the `put*` and `take*`
// functions below mirror src/wasm/shapes.rs line by line.
// js/edge.js reuses the encoding and the error path (`call`, `decode`,
// `put*`, `take*`) through the internal exports at the end of this file; the
// entries (web.js, node.js, workerd.js) re-export only the public names.
import {
  WasmClient,
  codeChallengeS256 as wasmCodeChallengeS256,
  generateCodeVerifier as wasmGenerateCodeVerifier,
  generateState as wasmGenerateState,
  needsRefresh as wasmNeedsRefresh,
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

// ---------------------------------------------------------------- records

// A lone surrogate cannot cross into UTF-8 without being replaced (U+FFFD),
// which would silently change a code or token: such strings are refused.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s) => (typeof s.isWellFormed === "function" ? s.isWellFormed() : !LONE_SURROGATE.test(s));

/** A string field (or "-", "!", "?"). */
function putStr(v) {
  if (v === undefined || v === null) return "-";
  if (typeof v !== "string") return "!";
  return wellFormed(v) ? `${v.length}:${v}` : "?";
}
/** A number or boolean field, as its decimal text or `true` / `false`. */
const putTyped = (type) => (v) => (v === undefined || v === null ? "-" : typeof v === type ? putStr(String(v)) : "!");
const putNum = putTyped("number");
const putBool = putTyped("boolean");
function putList(v) {
  if (v === undefined || v === null) return "-";
  if (!Array.isArray(v)) return "!";
  let out = "[";
  for (const item of v) out += putStr(item);
  return `${out}]`;
}
/** An object of strings, as names and values alternating. */
function putPairs(v) {
  if (v === undefined || v === null) return "-";
  if (typeof v !== "object" || Array.isArray(v)) return "!";
  let out = "[";
  for (const name of Object.keys(v)) out += putStr(name) + putStr(v[name]);
  return `${out}]`;
}
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/** An object as its fields; "-" for undefined/null, "!" for a non-object. */
const putObject = (v, fields) => (v === undefined || v === null ? "-" : isObject(v) ? `[${fields(v)}]` : "!");

const putProvider = (p) =>
  typeof p === "string"
    ? putStr(p)
    : putObject(
        p,
        (p) =>
          putStr(p.issuer) +
          putStr(p.authorizationEndpoint) +
          putStr(p.tokenEndpoint) +
          putStr(p.introspectionEndpoint) +
          putStr(p.revocationEndpoint) +
          putStr(p.apiBaseUrl) +
          putBool(p.issParameterSupported),
      );
const putConfig = (c) =>
  putObject(
    c,
    (c) =>
      putProvider(c.provider) +
      putStr(c.clientId) +
      putStr(c.redirectUri) +
      putList(c.scopes) +
      putStr(c.clientSecret) +
      putStr(c.clientAuth),
  );
const putStartOptions = (o) => putObject(o, (o) => putList(o.scopes) + putStr(o.subject) + putPairs(o.extraParams) + putNum(o.now));
const putPending = (p) =>
  putObject(
    p,
    (p) => putStr(p.state) + putStr(p.codeVerifier) + putStr(p.redirectUri) + putStr(p.issuer) + putNum(p.createdAt) + putList(p.scopes),
  );
const putTokenSet = (t) =>
  putObject(
    t,
    (t) =>
      putStr(t.accessToken) + putStr(t.tokenType) + putNum(t.expiresAt) + putStr(t.refreshToken) + putList(t.scope) + putNum(t.obtainedAt),
  );

/** Decodes a record the core wrote: strings, undefined, nested arrays. */
function decode(text) {
  let i = 0;
  const value = () => {
    const c = text.charCodeAt(i);
    if (c === 45 /* - */) {
      i++;
      return undefined;
    }
    if (c === 91 /* [ */) {
      i++;
      const items = [];
      while (text.charCodeAt(i) !== 93 /* ] */) items.push(value());
      i++;
      return items;
    }
    let n = 0;
    for (let d = c; d !== 58 /* : */; d = text.charCodeAt(++i)) n = n * 10 + d - 48;
    const start = i + 1;
    i = start + n;
    return text.slice(start, i);
  };
  return value();
}

function takeProvider([issuer, authorizationEndpoint, tokenEndpoint, introspectionEndpoint, revocationEndpoint, apiBaseUrl, iss]) {
  const p = { issuer, authorizationEndpoint, tokenEndpoint };
  if (introspectionEndpoint !== undefined) p.introspectionEndpoint = introspectionEndpoint;
  if (revocationEndpoint !== undefined) p.revocationEndpoint = revocationEndpoint;
  if (apiBaseUrl !== undefined) p.apiBaseUrl = apiBaseUrl;
  p.issParameterSupported = iss === "true";
  return p;
}
const takePending = ([state, codeVerifier, redirectUri, issuer, createdAt, scopes]) => ({
  state,
  codeVerifier,
  redirectUri,
  issuer,
  createdAt: Number(createdAt),
  scopes,
});
function takeRequest([method, url, flatHeaders, body]) {
  const headers = {};
  for (let i = 0; i < flatHeaders.length; i += 2) headers[flatHeaders[i]] = flatHeaders[i + 1];
  // Absent only for the edge build's GET requests (an OAuth request always has a body).
  const r = { method, url, headers };
  if (body !== undefined) r.body = body;
  return r;
}
function takeTokenSet([accessToken, tokenType, expiresAt, refreshToken, scope, obtainedAt]) {
  const t = { accessToken, tokenType };
  if (expiresAt !== undefined) t.expiresAt = Number(expiresAt);
  if (refreshToken !== undefined) t.refreshToken = refreshToken;
  if (scope !== undefined) t.scope = scope;
  if (obtainedAt !== undefined) t.obtainedAt = Number(obtainedAt);
  return t;
}
// The edge build's buffers in the wasm memory (see src/wasm/exports.rs,
// `Io`): JS writes a call's text to `input` (a token response's body, or a
// pending record and a callback URL); for a token response the core writes the TokenSet offsets to `at` (src/wasm/shapes.rs,
// write_token_at) when it found every string of the token set in the body
// as it is, and JS cuts them from the body. The views are made again when
// the memory grows (which detaches the old buffer). The offsets are the
// fields of the shape "TokenSet offsets" (docs/BOUNDARY.md) in order: a
// span two slots (start, end), a number one, a span[] its count then two
// slots an item; -1 in the first slot when absent.
let at, input, encoder;
function io(wasm) {
  if (at === undefined || at.byteLength === 0) {
    const memory = wasm.memory().buffer;
    at = new Float64Array(memory, wasm.tokenAt(), wasm.tokenAtLen());
    input = new Uint8Array(memory, wasm.input(), wasm.inputLen());
    encoder ??= new TextEncoder();
  }
}
// parseTokenResponseIn's other answers: "!" and an error record, or the TokenSet record.
function takeTokenRecord(r) {
  if (r.charCodeAt(0) === 33 /* ! */) throw takeError(decode(r.slice(1)));
  return takeTokenSet(decode(r));
}
function takeTokenSetAt(wasm, body) {
  io(wasm);
  const t = { accessToken: body.slice(at[0], at[1]), tokenType: "Bearer" };
  if (at[2] >= 0) t.expiresAt = at[2];
  if (at[3] >= 0) t.refreshToken = body.slice(at[3], at[4]);
  if (at[6] >= 0) {
    const scope = [];
    for (let i = 7; i < 7 + 2 * at[6]; i += 2) scope.push(body.slice(at[i], at[i + 1]));
    t.scope = scope;
  }
  t.obtainedAt = at[5];
  return t;
}

// `retryAfterMs` is the edge build's growth of the record (export rate limits).
function takeError([code, message, error, errorDescription, errorUri, status, retryAfterMs]) {
  const e = new OAuthError({ code, message, error, errorDescription, errorUri, status: status === undefined ? undefined : Number(status) });
  if (retryAfterMs !== undefined) e.retryAfterMs = Number(retryAfterMs);
  return e;
}

// The core throws a rejection as an error record (a string); anything else
// (a trap) passes through unchanged.
function call(fn) {
  try {
    return fn();
  } catch (e) {
    if (typeof e === "string" && e.charCodeAt(0) === 91) throw takeError(decode(e));
    throw e;
  }
}

function str(value, name) {
  if (typeof value !== "string") throw invalid("invalid_input", `${name} must be a string`);
  if (!wellFormed(value)) throw invalid("invalid_input", `${name} contains a lone UTF-16 surrogate`);
  return value;
}

// A number argument (a time, a skew, a tolerance): undefined means "now" (or
// the default); anything but a number is rejected by the core. Shared with
// js/edge.js, the one coercion of both builds.
const time = (value) => (value === undefined ? undefined : typeof value === "number" ? value : NaN);
const optStr = (value, name) => (value === undefined || value === null ? undefined : str(value, name));

// ---------------------------------------------------------------- the API

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
  return takeProvider(decode(call(() => wasmPleoProvider(env))));
}

/**
 * True when the token set is due for a refresh: by the core's policy (a
 * quarter of its lifetime before `expiresAt`, at most 60 s), or within
 * `opts.skewMs` when given.
 */
export function needsRefresh(tokenSet, opts) {
  const o = opts ?? {};
  const t = putTokenSet(tokenSet);
  return call(() => wasmNeedsRefresh(t, time(o.now), time(o.skewMs)));
}

export class OAuthClient {
  #wasm;

  constructor(config) {
    const c = putConfig(config);
    this.#wasm = call(() => new WasmClient(c));
  }

  /** The validated provider this client talks to. */
  get provider() {
    return takeProvider(decode(this.#wasm.provider()));
  }

  startAuthorization(opts) {
    const o = putStartOptions(opts);
    const [url, pending] = decode(call(() => this.#wasm.startAuthorization(o, undefined)));
    return { url, pending: takePending(pending) };
  }

  handleCallback(callbackUrl, pending) {
    const url = str(callbackUrl, "callbackUrl");
    const p = putPending(pending);
    // The URL and the pending record in, one number out: where the code
    // stands in the URL, iss (bit 30) and whether the code is form-encoded
    // there (bit 31; the core checked that it decodes). An accepted state
    // and iss are the pending record's own (docs/BOUNDARY.md, "The callback").
    let at = null;
    if (PLEO_EDGE) {
      // The record then the URL written straight into the wasm memory, as
      // parseTokenResponse's body below; a longer text crosses plainly.
      io(this.#wasm);
      const text = p + url;
      if (text.length <= input.length) {
        const { read, written } = encoder.encodeInto(text, input);
        if (read === text.length) at = this.#wasm.handleCallbackIn(written);
        if (typeof at === "string") throw takeError(decode(at.slice(1)));
      }
    }
    at ??= call(() => this.#wasm.handleCallback(url, p));
    const code = url.slice(at & 32767, (at >> 15) & 32767);
    const r = { code: at < 2 ** 31 ? code : decodeURIComponent(code.replaceAll("+", " ")), state: pending.state };
    if (at & (1 << 30)) r.iss = pending.issuer;
    return r;
  }

  tokenRequest(code, pending) {
    const c = str(code, "code");
    const p = putPending(pending);
    return takeRequest(decode(call(() => this.#wasm.tokenRequest(c, p))));
  }

  refreshRequest(refreshToken) {
    const t = str(refreshToken, "refreshToken");
    return takeRequest(decode(call(() => this.#wasm.refreshRequest(t))));
  }

  introspectionRequest(token, hint) {
    const t = str(token, "token");
    const h = optStr(hint, "hint");
    return takeRequest(decode(call(() => this.#wasm.introspectionRequest(t, h))));
  }

  revocationRequest(token, hint) {
    const t = str(token, "token");
    const h = optStr(hint, "hint");
    return takeRequest(decode(call(() => this.#wasm.revocationRequest(t, h))));
  }

  /**
   * `opts.previous`: the token set being refreshed (its refresh token and
   * scope carry over); `opts.pending`: the authorization being completed
   * (its scopes stand in for an omitted `scope`).
   */
  parseTokenResponse(res, opts) {
    if (res === null || typeof res !== "object") {
      throw invalid("invalid_input", "res must be { status, headers?, body }");
    }
    const body = str(res.body, "res.body");
    const status = typeof res.status === "number" ? res.status : NaN;
    const { now, previous, pending } = opts ?? {};
    const p = previous === undefined || previous === null ? undefined : putTokenSet(previous);
    const q = pending === undefined || pending === null ? undefined : putPending(pending);
    // PLEO_EDGE: true in the server/edge build, false in the browser bundle,
    // which drops this branch (scripts/build.mjs defines it).
    if (PLEO_EDGE) {
      // The clock read here (a call out of the wasm costs more); an ASCII
      // body that fits is written straight into the wasm memory.
      const t = now === undefined ? Date.now() : time(now);
      io(this.#wasm);
      const { read, written } = body.length <= input.length ? encoder.encodeInto(body, input) : {};
      // undefined: the TokenSet offsets; "!" and a record: an error; another
      // string: the TokenSet record; null: a body that is not plain ASCII or
      // too long, for the record crossing below.
      const r = read === body.length && written === read ? this.#wasm.parseTokenResponseIn(status, written, t, p, q) : null;
      if (r === undefined) return takeTokenSetAt(this.#wasm, body);
      if (r !== null) return takeTokenRecord(r);
      return takeTokenSet(decode(call(() => this.#wasm.parseTokenResponse(status, body, t, p, q))));
    }
    return takeTokenSet(decode(call(() => this.#wasm.parseTokenResponse(status, body, time(now), p, q))));
  }

  /** Releases the WebAssembly memory now rather than at garbage collection. */
  free() {
    this.#wasm.free();
  }
}

// ---------------------------------------------------------------- for edge.js

// Internal: the record encoding and the error path, shared with js/edge.js
// so both builds cross the boundary one way. Not re-exported by the entries.
export { call, decode, putObject, putStr, putNum, putList, takeRequest, time, wellFormed };
