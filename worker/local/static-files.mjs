// The ASSETS binding outside Cloudflare: serves the demo page (www/), the
// browser build of pleo-oauth (dist/ under /pkg/) and the operator page
// (worker/ops-page/ under /ops/) from disk. Used by the Node
// adapter and, as a miniflare service binding, by `npm start` and the tests.
// On Cloudflare the same files are uploaded as static assets (worker/local/build.mjs).
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** Browser-facing files of the package build: the web entry, its glue and the wasm. */
export function isBrowserPackageFile(relative) {
  return /\.(js|mjs|wasm)$/.test(relative) && !/(^|\/)(node|workerd)\.[cm]?js$/.test(relative);
}

export function defaultMounts(root = ROOT) {
  return [
    { prefix: "/pkg/", dir: path.join(root, "dist"), filter: isBrowserPackageFile },
    { prefix: "/client/", dir: path.join(root, "worker", "client"), filter: (f) => f.endsWith(".js") },
    // The operator console's page (served only through the worker's /ops/ route, with OPS_TOKEN).
    { prefix: "/ops/", dir: path.join(root, "worker", "ops-page") },
    { prefix: "/", dir: path.join(root, "www") },
  ];
}

async function resolveFile(mounts, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  for (const { prefix, dir, filter } of mounts) {
    if (!decoded.startsWith(prefix)) continue;
    let relative = decoded.slice(prefix.length);
    if (relative === "" || relative.endsWith("/")) relative += "index.html";
    if (relative.split("/").some((segment) => segment === ".." || segment.startsWith("."))) return null;
    if (filter && !filter(relative)) return null;
    const file = path.join(dir, relative);
    if (!file.startsWith(dir + path.sep)) return null;
    try {
      const info = await stat(file);
      if (info.isFile()) return file;
    } catch {
      // try the next mount
    }
  }
  return null;
}

/** `{ fetch(request) }` like Cloudflare's ASSETS binding. */
export function createAssets(mounts = defaultMounts()) {
  return {
    async fetch(input) {
      // Miniflare hands over its own Request class: use only url and method.
      const request = typeof input === "string" || input instanceof URL ? { url: String(input), method: "GET" } : input;
      const { pathname } = new URL(request.url);
      const file = await resolveFile(mounts, pathname);
      if (!file) {
        return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      }
      const body = await readFile(file);
      const type = TYPES[path.extname(file)] ?? "application/octet-stream";
      return new Response(request.method === "HEAD" ? null : body, {
        status: 200,
        headers: { "Content-Type": type, "Cache-Control": "no-cache", "Content-Length": String(body.length) },
      });
    },
  };
}
