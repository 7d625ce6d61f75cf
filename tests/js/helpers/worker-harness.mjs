// Test harness for the edge worker: a stand-in on free ports, the worker on
// workerd (miniflare) or on Node (adapter), a token-endpoint recorder, and a
// cookie-keeping HTTP client that behaves like one browser.
import http from "node:http";
import { completeAuthorization, freePort, startStandin } from "../../../dev/standin/index.mjs";
import { localWorkerEnv } from "../../../worker/local/env.mjs";

export { freePort };

/** The edge worker on the Node adapter or on workerd (miniflare). */
export async function startWorkerRuntime(runtime, env, port, { store, app, persistDir, workerd = {} } = {}) {
  if (runtime === "node") {
    const { startNodeWorker } = await import("../../../worker/local/node.mjs");
    return startNodeWorker({ env, port, store, app });
  }
  const { startWorkerd } = await import("../../../worker/local/workerd.mjs");
  return startWorkerd({ env, port, persistDir, ...workerd });
}

/**
 * A pass-through proxy that remembers every token in the JSON answers it
 * forwards (access, refresh and id tokens, added to `tokens`), so tests can
 * prove no token ever reaches the browser. `route(req, body)` names the
 * upstream origin of a request and whether its answer is recorded (and may
 * record the request itself: security-stack.mjs logs every one). The path is
 * forwarded raw, as the worker sent it, never normalised.
 */
export async function startRecordingProxy(route, tokens = new Set()) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const { origin, recordTokens } = route(req, body);
    const headers = {};
    for (const name of ["authorization", "content-type", "accept"]) if (req.headers[name]) headers[name] = req.headers[name];
    try {
      const upstream = await fetch(`${origin}${req.url}`, {
        method: req.method,
        headers,
        body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
        redirect: "manual",
      });
      const text = await upstream.text();
      if (recordTokens) {
        try {
          const json = JSON.parse(text);
          for (const key of ["access_token", "refresh_token", "id_token"]) if (typeof json?.[key] === "string") tokens.add(json[key]);
        } catch {
          // not JSON (faults): nothing to record
        }
      }
      const out = { "content-type": upstream.headers.get("content-type") ?? "text/plain", "cache-control": "no-store" };
      if (upstream.headers.get("www-authenticate")) out["www-authenticate"] = upstream.headers.get("www-authenticate");
      res.writeHead(upstream.status, out);
      res.end(text);
    } catch {
      res.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    tokens,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The default recorder: the proxy in front of the stand-in's token and revocation endpoints. */
const startTokenRecorder = (upstreamOrigin) => startRecordingProxy(() => ({ origin: upstreamOrigin, recordTokens: true }));

/**
 * Starts stand-in + worker. runtime: "workerd" | "node".
 * `startRecorder(standinInfo)` replaces the default token recorder; a
 * recorder with `proxiesApi` also stands in front of the stand-in's API.
 * `workerd`: more startWorkerd options (buildDir, persistDir, eventsQueue, handleRuntimeStdio).
 * Returns { runtime, base, port, redirectUri, standin, info, env, worker, recorder,
 * sessionSecret, tokens (Set), close() }.
 */
export async function startStack({
  runtime = "workerd",
  accessTtl = 900,
  timeoutMs = 1500,
  recordTokens = true,
  startRecorder = (info) => startTokenRecorder(info.issuer),
  sessionSecret,
  extraEnv = {},
  store,
  app,
  workerd,
} = {}) {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const redirectUri = `${base}/auth/callback`;
  const standin = await startStandin({ port: 0, apiPort: 0, redirectUris: [redirectUri], accessTtl, quiet: true });
  const closers = [() => standin.close()];
  try {
    let recorder = null;
    const info = { ...standin.info };
    if (recordTokens) {
      recorder = await startRecorder(standin.info);
      closers.push(() => recorder.close());
      info.tokenEndpoint = `${recorder.origin}${new URL(standin.info.tokenEndpoint).pathname}`;
      info.revocationEndpoint = `${recorder.origin}${new URL(standin.info.revocationEndpoint).pathname}`;
      if (recorder.proxiesApi) info.apiBaseUrl = recorder.origin;
    }
    // The OAuth/connection suites count API and token requests: no background
    // exports here (subscriptions, look-ups); the export tests have their own stack.
    const env = localWorkerEnv(info, { redirectUri, timeoutMs, sessionSecret, extra: { EXPORT_AUTOMATIC: "off", ...extraEnv } });
    const worker = await startWorkerRuntime(runtime, env, port, { store, app, workerd }); // app: node only (default worker/index.js)
    closers.push(() => worker.close());
    return {
      runtime,
      base,
      port,
      redirectUri,
      standin,
      info: standin.info,
      env,
      worker,
      recorder,
      sessionSecret: env.SESSION_SECRET,
      tokens: recorder?.tokens ?? new Set(),
      close: async () => {
        for (const close of closers.reverse()) await close().catch(() => {});
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}

/** One "browser": a cookie jar for the worker's origin, no redirects followed. */
export class WorkerClient {
  constructor(base) {
    this.base = base;
    this.cookies = new Map(); // name → { value, attributes }
  }

  cookieHeader() {
    return [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join("; ");
  }

  async fetch(path, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const response = await fetch(new URL(path, this.base), { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (attrs.some((a) => /^max-age=0$/i.test(a)) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attrs, raw: line });
    }
    return response;
  }

  /** fetch + JSON body. */
  async json(path, init = {}) {
    const response = await this.fetch(path, init);
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  api(path, init = {}) {
    return this.json(`/api${path}`, { ...init, headers: { "X-Requested-With": "test", ...init.headers } });
  }

  post(path, init = {}) {
    return this.json(path, { method: "POST", ...init, headers: { "X-Requested-With": "test", ...init.headers } });
  }

  /** GET /auth/login → the authorize URL (and the login cookie in the jar). */
  async startLogin(returnTo = "/") {
    const response = await this.fetch(`/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    await response.arrayBuffer();
    if (response.status !== 302) throw new Error(`/auth/login answered ${response.status}`);
    return response.headers.get("location");
  }

  /** The stand-in's login + consent, then the callback on the worker. Returns the callback response. */
  async connect({ company = 0, deny = false, returnTo = "/" } = {}) {
    const authorizeUrl = await this.startLogin(returnTo);
    const callbackUrl = await completeAuthorization(authorizeUrl, { company, deny });
    const response = await this.fetch(callbackUrl);
    await response.arrayBuffer();
    return { authorizeUrl, callbackUrl, response, location: response.headers.get("location") };
  }
}

/** Every token the recorder saw, and the client secret: none may appear in `text`. */
export function leakedSecrets(text, stack) {
  const found = [];
  if (text.includes(stack.info.clientSecret)) found.push("client secret");
  for (const token of stack.tokens) if (token && text.includes(token)) found.push(`token ${token.slice(0, 6)}…`);
  return found;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
