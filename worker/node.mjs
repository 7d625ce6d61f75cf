// Node adapter: node:http → Request → worker.fetch → response, with the
// in-memory store and static files from disk. The worker module is the very
// same file that runs on workerd.
//
//   import { startNodeWorker } from "./worker/node.mjs";
//   const w = await startNodeWorker({ env: { PLEO_ENV: "local", ... }, port: 8787 });
//   w.url; await w.close();
//
// Or from a shell: `node worker/node.mjs` (configuration from the environment).
import http from "node:http";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import worker from "./index.js";
import { MemoryStore } from "./store-memory.js";
import { createAssets } from "./static-node.mjs";

const MAX_BODY_BYTES = 2 * 1024 * 1024;

function toRequest(req, origin) {
  const url = new URL(req.url ?? "/", origin);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") {
    let size = 0;
    init.body = Readable.toWeb(req).pipeThrough(
      new TransformStream({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > MAX_BODY_BYTES) controller.error(new Error("request body too large"));
          else controller.enqueue(chunk);
        },
      }),
    );
    init.duplex = "half";
  }
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
 * Starts the worker on node:http. `env` is the worker's configuration; the
 * adapter adds STORE (MemoryStore) and ASSETS (files from disk) unless given.
 */
export async function startNodeWorker({ env, port = 8787, host = "127.0.0.1", store, assets } = {}) {
  const workerEnv = { ...env };
  workerEnv.STORE = store ?? workerEnv.STORE ?? new MemoryStore(workerEnv);
  workerEnv.ASSETS = assets ?? workerEnv.ASSETS ?? createAssets();
  const ctx = { waitUntil() {}, passThroughOnException() {} };

  const server = http.createServer(async (req, res) => {
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
      const request = toRequest(req, `http://${hostHeader}`);
      const response = await worker.fetch(request, workerEnv, ctx);
      await writeResponse(res, response, req.method);
    } catch (err) {
      console.error("node adapter:", err?.name, err?.message);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal_error", message: "The Node adapter failed." }));
    }
  });
  server.keepAliveTimeout = 5000;
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
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.env.PORT ?? 8787);
  const worker = await startNodeWorker({ env: { ...process.env }, port, host: process.env.HOST ?? "127.0.0.1" });
  console.log(`worker (Node adapter) listening on http://localhost:${worker.port}/`);
  const stop = () => worker.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
