// Security-test harness: the stand-in + the edge worker exactly as
// worker-harness.mjs's startStack() wires them, except that ONE recording
// proxy sits in front of the stand-in's token/revocation endpoints AND its
// API. It remembers
//   - every token the authorization server issued or was shown (responses and
//     request bodies: access/refresh tokens, codes, PKCE code verifiers, the
//     Basic client credential), so a test can prove none of them reaches the
//     browser;
//   - every request that reached the API (method + raw path), so a test can
//     prove a refused /api/* payload never got there.
// Plus: a WorkerClient that keeps every response the "browser" received, and a
// raw HTTP/1.1 client for request targets fetch() would normalise.
import net from "node:net";
import { randomBytes } from "node:crypto";
import { WorkerClient, leakedSecrets, startRecordingProxy, startStack } from "./worker-harness.mjs";

const AUTH_PATHS = ["/oauth/token", "/oauth/token/revoke"];

async function startRecorder(authOrigin, apiOrigin) {
  const tokens = new Set(); // access / refresh / id tokens (responses and refresh requests)
  const verifiers = new Set(); // PKCE code_verifier values sent to the token endpoint
  const codes = new Set(); // authorization codes exchanged (not secret from the browser, but recorded)
  const credentials = new Set(); // the Authorization header values the worker sent (Basic client secret)
  const apiLog = []; // { method, url } of every request that reached the API
  const tokenLog = []; // { method, url, grantType } of every token-endpoint request

  const proxy = await startRecordingProxy((req, body) => {
    const isAuth = AUTH_PATHS.includes(req.url.split("?")[0]);
    if (isAuth) {
      const form = new URLSearchParams(body.toString("utf8"));
      tokenLog.push({ method: req.method, url: req.url, grantType: form.get("grant_type") });
      if (form.get("code_verifier")) verifiers.add(form.get("code_verifier"));
      if (form.get("code")) codes.add(form.get("code"));
      for (const key of ["refresh_token", "token"]) if (form.get(key)) tokens.add(form.get(key));
      if (req.headers.authorization) credentials.add(req.headers.authorization);
    } else {
      apiLog.push({ method: req.method, url: req.url });
    }
    return { origin: isAuth ? authOrigin : apiOrigin, recordTokens: isAuth };
  }, tokens);
  return { ...proxy, proxiesApi: true, verifiers, codes, credentials, apiLog, tokenLog };
}

/**
 * Starts stand-in + recorder + worker (worker-harness.mjs's startStack with
 * a recorder that also stands in front of the API). runtime: "workerd" |
 * "node". Adds apiLog and tokenLog to startStack()'s result.
 */
export async function startSecurityStack({ runtime = "workerd", accessTtl = 900, timeoutMs = 1500 } = {}) {
  const stack = await startStack({
    runtime,
    accessTtl,
    timeoutMs,
    sessionSecret: randomBytes(32).toString("base64url"),
    startRecorder: (info) => startRecorder(info.issuer, info.apiBaseUrl.replace(/\/+$/, "")),
    // The API log must hold only what the proxy sent: no background exports
    // (webhook subscription, look-ups, runs) — those have their own tests.
    extraEnv: { EXPORT_AUTOMATIC: "off" },
  });
  return { ...stack, apiLog: stack.recorder.apiLog, tokenLog: stack.recorder.tokenLog };
}

/**
 * Everything the browser must never see: the client secret and every token
 * (leakedSecrets from the harness), plus the PKCE code verifiers, the Basic
 * client credential (base64 of the secret) and the cookie-sealing secret.
 */
export function leaks(text, stack) {
  const found = leakedSecrets(text, stack);
  for (const verifier of stack.recorder.verifiers) if (text.includes(verifier)) found.push(`code_verifier ${verifier.slice(0, 6)}…`);
  for (const credential of stack.recorder.credentials) {
    const encoded = credential.replace(/^Basic\s+/i, "");
    if (encoded.length >= 8 && text.includes(encoded)) found.push("Basic client credential");
  }
  if (text.includes(stack.sessionSecret)) found.push("SESSION_SECRET");
  return found;
}

/**
 * A WorkerClient (one browser) that keeps a copy of every response it
 * received: status, URL, all headers (Set-Cookie included) and the body.
 */
export class RecordingClient extends WorkerClient {
  constructor(base, seen = []) {
    super(base);
    this.seen = seen;
  }

  async fetch(path, init = {}) {
    const response = await super.fetch(path, init);
    const copy = response.clone();
    const headers = [];
    copy.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
    for (const cookie of copy.headers.getSetCookie()) headers.push(`set-cookie: ${cookie}`);
    const body = Buffer.from(await copy.arrayBuffer()).toString("latin1");
    this.seen.push({ url: String(new URL(path, this.base)), status: response.status, headers: headers.join("\n"), body });
    return response;
  }
}

function dechunk(buffer) {
  const out = [];
  let offset = 0;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = parseInt(buffer.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * One HTTP/1.1 request with the request target sent byte for byte (fetch()
 * and http.request() would normalise or refuse "..", "\\", NUL, raw UTF-8).
 * Resolves { status, headers (lower-case names; set-cookie as array), body,
 * text, json } or { status: 0, error } when the server closes without an
 * answer (a refusal at the HTTP layer).
 */
export function rawRequest(base, target, { method = "GET", headers = {}, body = "", timeoutMs = 4000 } = {}) {
  const { hostname, port, host } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname === "localhost" ? "127.0.0.1" : hostname, port: Number(port) });
    const chunks = [];
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ status: 0, error: "timeout" }), timeoutMs);
    socket.on("connect", () => {
      const hasHost = Object.keys(headers).some((name) => name.toLowerCase() === "host");
      const lines = [`${method} `, target, ` HTTP/1.1\r\n${hasHost ? "" : `Host: ${host}\r\n`}Connection: close\r\n`];
      const payload = Buffer.from(body);
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}\r\n`);
      if (payload.length || !["GET", "HEAD", "OPTIONS"].includes(method)) lines.push(`Content-Length: ${payload.length}\r\n`);
      lines.push("\r\n");
      socket.write(Buffer.concat([...lines.map((l) => Buffer.from(l, "latin1")), payload]));
    });
    // Parses what has arrived; answers once the response is complete (by
    // Content-Length, the final chunk, or the server closing the connection).
    const parse = (atEnd) => {
      const all = Buffer.concat(chunks);
      const headEnd = all.indexOf("\r\n\r\n");
      if (headEnd < 0) return atEnd ? finish({ status: 0, error: "no response" }) : undefined;
      const [statusLine, ...headerLines] = all.subarray(0, headEnd).toString("latin1").split("\r\n");
      const status = Number(statusLine.split(" ")[1]);
      const responseHeaders = { "set-cookie": [] };
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "set-cookie") responseHeaders["set-cookie"].push(value);
        else responseHeaders[name] = responseHeaders[name] === undefined ? value : `${responseHeaders[name]}, ${value}`;
      }
      let raw = all.subarray(headEnd + 4);
      const chunked = /chunked/i.test(responseHeaders["transfer-encoding"] ?? "");
      const length = responseHeaders["content-length"] === undefined ? null : Number(responseHeaders["content-length"]);
      const complete =
        atEnd ||
        method === "HEAD" ||
        status === 204 ||
        status === 304 ||
        (chunked && /(^|\r\n)0\r\n(.*\r\n)*\r\n$/s.test(raw.toString("latin1"))) ||
        (!chunked && length !== null && raw.length >= length);
      if (!complete) return undefined;
      if (chunked) raw = dechunk(raw);
      else if (length !== null) raw = raw.subarray(0, length);
      const text = raw.toString("utf8");
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return finish({ status, headers: responseHeaders, text, json, raw: `${statusLine}\n${headerLines.join("\n")}\n\n${text}` });
    };
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      parse(false);
    });
    socket.on("error", (err) => finish({ status: 0, error: err.code ?? err.message }));
    socket.on("end", () => parse(true));
    socket.on("close", () => finish({ status: 0, error: "closed" }));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time, results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}
