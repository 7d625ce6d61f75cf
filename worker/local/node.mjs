// Node adapter (a local host, not deployed): node:http → Request →
// worker.fetch → response, with static files from disk and a store object
// for the Durable Object namespaces. The worker is the very same code that
// runs on workerd.
//
//   import { startNodeWorker } from "./worker/local/node.mjs";
//   const w = await startNodeWorker({ env: { PLEO_ENV: "local", ... }, port: 8787 });
//   w.url; await w.close();
//
// `store` defaults to createMemoryStore() (store/memory.js), which is for
// tests: it keeps nothing across restarts. Or from a shell:
// `node worker/local/node.mjs` (configuration from the environment).
import http from "node:http";
import { fileURLToPath } from "node:url";
import defaultApp from "../index.js";
import { createMemoryStore } from "../store/memory.js";
import { createAssets } from "./static-files.mjs";

// Workers on Cloudflare accept request bodies up to 100 MB; this adapter
// stops at 2 MiB (the API proxy itself takes at most 1 MiB).
const MAX_BODY_BYTES = 2 * 1024 * 1024;

class BodyTooLarge extends Error {}

// A slow or idle client must not hold a socket forever (issue #16): workerd
// has its own limits; node:http's defaults leave headers 60 s, no idle
// timeout and no connection cap. Overridable for tests with `limits`.
export const NODE_LIMITS = {
  headersTimeoutMs: 10_000, // the request line and headers must arrive within this
  requestTimeoutMs: 30_000, // the whole request, body included
  idleTimeoutMs: 30_000, // a socket with no traffic is closed
  maxConnections: 256, // further connections are refused (closed at once)
};

async function readBody(req) {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function toRequest(req, origin) {
  const url = new URL(req.url ?? "/", origin);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") init.body = await readBody(req);
  return new Request(url, init);
}

async function writeResponse(res, response, method) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body || method === "HEAD") {
    res.end();
    return;
  }
  for await (const chunk of response.body) res.write(chunk);
  res.end();
}

/**
 * Starts the worker on node:http. `env` is the worker's configuration; `app`
 * the worker (default: worker/index.js); `store` provides the Durable Object
 * namespaces (default: in memory, for tests); `assets` the static files.
 */
export async function startNodeWorker({ env, port = 8787, host = "127.0.0.1", app = defaultApp, store, assets, limits = {} } = {}) {
  const { headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, maxConnections } = { ...NODE_LIMITS, ...limits };
  const workerEnv = { ...env };
  const objects = store ?? createMemoryStore();
  Object.assign(workerEnv, objects.bindings(workerEnv, app));
  workerEnv.ASSETS = assets ?? workerEnv.ASSETS ?? createAssets();
  const worker = app;
  const ctx = { waitUntil() {}, passThroughOnException() {} };

  const serverOptions = {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // How often node:http checks the two timeouts above (default 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
  };
  const server = http.createServer(serverOptions, async (req, res) => {
    // Origin-form targets only ("/path?query"): an absolute-form target
    // ("http://other.host/path") must not choose the URL the worker sees.
    if (!req.url?.startsWith("/") || req.url.startsWith("//")) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end('{"error":"bad_request","message":"Only origin-form request targets are accepted."}');
      return;
    }
    try {
      // Use the Host the browser used, as workerd does; the worker checks
      // origins against PLEO_REDIRECT_URI itself.
      const hostHeader = req.headers.host && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host) ? req.headers.host : `${host}:${port}`;
      let request;
      try {
        request = await toRequest(req, `http://${hostHeader}`);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        // Read and discard the rest, so the client sees the answer rather than a reset.
        req.resume();
        res.writeHead(413, { "content-type": "application/json" });
        res.end('{"error":"body_too_large","message":"The request body is larger than 2 MiB."}');
        return;
      }
      const response = await worker.fetch(request, workerEnv, ctx);
      await writeResponse(res, response, req.method);
    } catch (err) {
      console.error("node adapter:", err?.name, err?.message);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal_error", message: "The Node adapter failed." }));
    }
  });
  server.keepAliveTimeout = Math.min(5000, idleTimeoutMs);
  server.maxConnections = maxConnections;
  server.setTimeout(idleTimeoutMs, (socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  return {
    url: `http://${host}:${actualPort}/`,
    port: actualPort,
    server,
    env: workerEnv,
    close: () =>
      new Promise((resolve) => {
        if (!store) objects.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.env.PORT ?? 8787);
  const running = await startNodeWorker({ env: { ...process.env }, port, host: process.env.HOST ?? "127.0.0.1" });
  console.log(`worker (Node adapter) listening on http://localhost:${running.port}/`);
  const stop = () => running.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
