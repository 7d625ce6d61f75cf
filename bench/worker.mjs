#!/usr/bin/env node
// Edge-worker benchmark: `/api/*` proxy latency and throughput through the
// real edge worker (worker/index.js bundled for workerd, run by miniflare)
// versus a bare pass-through worker (also on workerd) that forwards the same
// request to the same stand-in API with a fixed bearer token and does
// nothing else. The ratio edge/bare is the cost of the worker's own work:
// CSRF check, session-cookie unsealing, the company's connection object
// (one Durable Object hop: "may this session act for this company" + a fresh
// token) or the per-isolate cache in front of it (ACCESS_CACHE_MS, default
// 1000 ms), the expiry check through pleo-oauth, the allow-list, header
// filtering. A second edge worker with ACCESS_CACHE_MS=0 shows the cost of
// the one hop on every call (edge_one_hop).
//
//   node bench/worker.mjs [--quick] [--json]      or   npm run bench -- --worker
//
// The stand-in runs in its own process (node dev/standin/cli.mjs) so it does
// not share an event loop with the load generator. Progress on stderr.
import { freePort, startStandinProcess } from "../dev/standin/index.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const API_PATH = "/v1/introspect"; // any scope; small JSON answer
const TARGET_P50_RATIO = 1.15;
const TARGET_RPS_RATIO = 0.8;

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}
const r2 = (x) => Number(x.toFixed(2));

class Jar {
  cookies = new Map();
  store(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** Logs in through the edge worker: /auth/login → stand-in pages → /auth/callback. */
async function loginThroughWorker(workerUrl) {
  const { completeAuthorization } = await import(path.join(ROOT, "dev/standin/index.mjs"));
  const jar = new Jar();
  const login = await fetch(new URL("/auth/login?return_to=/", workerUrl), { redirect: "manual" });
  jar.store(login);
  if (login.status !== 302) throw new Error(`/auth/login answered ${login.status}: ${await login.text()}`);
  const callbackUrl = await completeAuthorization(login.headers.get("location"));
  const cb = await fetch(callbackUrl, { redirect: "manual", headers: { cookie: jar.header() } });
  jar.store(cb);
  if (cb.status !== 302) throw new Error(`/auth/callback answered ${cb.status}: ${await cb.text()}`);
  return jar.header();
}

/** A token for the bare worker, from a plain pleo-oauth flow against the stand-in. */
async function accessTokenDirect(info) {
  const { completeAuthorization } = await import(path.join(ROOT, "dev/standin/index.mjs"));
  const { OAuthClient } = await import("pleo-oauth");
  const client = new OAuthClient({
    provider: {
      issuer: info.issuer,
      authorizationEndpoint: info.authorizationEndpoint,
      tokenEndpoint: info.tokenEndpoint,
      issParameterSupported: info.issParameterSupported !== false,
    },
    clientId: info.clientId,
    clientSecret: info.clientSecret,
    redirectUri: info.redirectUris[0],
    scopes: info.scopes,
  });
  const { url, pending } = client.startAuthorization();
  const { code } = client.handleCallback(await completeAuthorization(url), pending);
  const req = client.tokenRequest(code, pending);
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: "manual" });
  return client.parseTokenResponse({ status: res.status, body: await res.text() }).accessToken;
}

// The bare pass-through: method, path and query to the API base, a bearer
// token and Accept, the body back with its status and Content-Type.
const BARE_WORKER = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/api/")) return new Response("not found", { status: 404 });
    const upstream = await fetch(env.API_BASE + url.pathname.slice(4) + url.search, {
      method: request.method,
      headers: { Authorization: "Bearer " + env.TOKEN, Accept: "application/json" },
      body: request.method === "GET" || request.method === "HEAD" ? undefined : request.body,
      redirect: "manual",
    });
    return new Response(upstream.body, {
      status: upstream.status,
      headers: { "Content-Type": upstream.headers.get("Content-Type") ?? "application/octet-stream", "Cache-Control": "no-store" },
    });
  },
};`;

async function startBare({ Miniflare, Log, LogLevel }, apiBase, token, port) {
  const mf = new Miniflare({
    modules: true,
    script: BARE_WORKER,
    compatibilityDate: "2025-01-01",
    bindings: { API_BASE: apiBase.replace(/\/+$/, ""), TOKEN: token },
    port,
    host: "127.0.0.1",
    log: new Log(LogLevel.WARN),
    cf: false,
  });
  const url = await mf.ready;
  return { url: url.href, close: () => mf.dispose() };
}

async function oneRequest(url, headers) {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${Buffer.from(body).toString().slice(0, 300)}`);
  return ms;
}

/** Sequential latency, interleaved in chunks so drift hits both sides. */
async function latency(targets, total, chunk) {
  const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
  for (let done = 0; done < total; done += chunk) {
    const order = (done / chunk) % 2 ? [...targets].reverse() : targets;
    for (const t of order) for (let i = 0; i < chunk; i++) samples[t.key].push(await oneRequest(t.url, t.headers));
  }
  return samples;
}

/** Closed-loop throughput: `concurrency` clients for `ms`. */
async function throughput(t, concurrency, ms) {
  const end = performance.now() + ms;
  let n = 0;
  const lat = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        lat.push(await oneRequest(t.url, t.headers));
        n++;
      }
    }),
  );
  return { rps: n / (ms / 1000), p50: median(lat), p99: quantile(lat, 0.99) };
}

export async function runWorkerBench({ quick = false, progress = (m) => process.stderr.write(`[worker-bench] ${m}\n`) } = {}) {
  const cfg = quick
    ? { warmup: 20, latencyTotal: 60, chunk: 10, concurrency: 8, tputMs: 500, tputRounds: 1 }
    : { warmup: 200, latencyTotal: 1000, chunk: 50, concurrency: 16, tputMs: 3000, tputRounds: 3 };
  const miniflare = await import("miniflare");
  const { startWorkerd } = await import(path.join(ROOT, "worker/local/workerd.mjs"));
  const { localWorkerEnv } = await import(path.join(ROOT, "worker/local/env.mjs"));

  const edgePort = await freePort();
  const redirectUri = `http://127.0.0.1:${edgePort}/auth/callback`;
  const oneHopPort = await freePort();
  const oneHopRedirect = `http://127.0.0.1:${oneHopPort}/auth/callback`;
  progress("starting the stand-in (own process)");
  // STANDIN_REDIRECT_URIS is comma-separated: both edge workers may log in.
  const standin = await startStandinProcess({ redirectUri: `${redirectUri},${oneHopRedirect}`, accessTtl: 86400 }); // no refresh during the run: we measure the proxy path;
  const closers = [standin.close];
  try {
    const info = standin.info;
    progress("building and starting the edge worker on workerd (worker/local/workerd.mjs)");
    const edge = await startWorkerd({ env: localWorkerEnv(info, { redirectUri }), port: edgePort });
    closers.push(edge.close);
    progress("logging in through the edge worker");
    const cookie = await loginThroughWorker(edge.url);
    // The same worker with the per-isolate cache off: every call makes its one hop.
    const oneHop = await startWorkerd({
      env: localWorkerEnv(info, { redirectUri: oneHopRedirect, extra: { ACCESS_CACHE_MS: "0" } }),
      port: oneHopPort,
      build: false,
    });
    closers.push(oneHop.close);
    const oneHopCookie = await loginThroughWorker(oneHop.url);
    const token = await accessTokenDirect(info);
    progress("starting the bare pass-through worker on workerd");
    const bare = await startBare(miniflare, info.apiBaseUrl, token, await freePort());
    closers.push(bare.close);

    const targets = [
      {
        key: "edge",
        url: new URL(`/api${API_PATH}`, edge.url).href,
        headers: { cookie, "X-Requested-With": "bench", Origin: new URL(edge.url).origin },
      },
      {
        key: "edge_one_hop",
        url: new URL(`/api${API_PATH}`, oneHop.url).href,
        headers: { cookie: oneHopCookie, "X-Requested-With": "bench", Origin: new URL(oneHop.url).origin },
      },
      { key: "bare", url: new URL(`/api${API_PATH}`, bare.url).href, headers: {} },
      // The stand-in API without any worker: the floor both share.
      { key: "direct", url: `${info.apiBaseUrl.replace(/\/+$/, "")}${API_PATH}`, headers: { Authorization: `Bearer ${token}` } },
    ];
    progress(`warm-up (${cfg.warmup} requests each)`);
    await latency(targets, cfg.warmup, Math.min(cfg.warmup, 50));
    progress(`latency: ${cfg.latencyTotal} sequential requests each, interleaved`);
    const lat = await latency(targets, cfg.latencyTotal, cfg.chunk);
    const tput = Object.fromEntries(targets.map((t) => [t.key, []]));
    for (let r = 0; r < cfg.tputRounds; r++) {
      for (const t of r % 2 ? [...targets].reverse() : targets) {
        progress(`throughput round ${r + 1}/${cfg.tputRounds}: ${t.key}, ${cfg.concurrency} concurrent for ${cfg.tputMs} ms`);
        tput[t.key].push(await throughput(t, cfg.concurrency, cfg.tputMs));
      }
    }
    const summary = {};
    for (const t of targets) {
      const xs = lat[t.key];
      summary[t.key] = {
        p50_ms: r2(median(xs)),
        p90_ms: r2(quantile(xs, 0.9)),
        p99_ms: r2(quantile(xs, 0.99)),
        rps: r2(median(tput[t.key].map((x) => x.rps))),
        loaded_p50_ms: r2(median(tput[t.key].map((x) => x.p50))),
      };
    }
    const result = {
      path: `/api${API_PATH}`,
      ...summary,
      p50_ratio: r2(summary.edge.p50_ms / summary.bare.p50_ms),
      p99_ratio: r2(summary.edge.p99_ms / summary.bare.p99_ms),
      rps_ratio: r2(summary.edge.rps / summary.bare.rps),
      one_hop_p50_ratio: r2(summary.edge_one_hop.p50_ms / summary.bare.p50_ms),
      one_hop_rps_ratio: r2(summary.edge_one_hop.rps / summary.bare.rps),
      access_cache_ms: 1000,
      added_p50_ms: r2(summary.edge.p50_ms - summary.bare.p50_ms),
      config: cfg,
    };
    const lines = [
      `edge worker /api proxy vs bare pass-through (both workerd via miniflare; stand-in API in its own process; GET /api${API_PATH})`,
      `  sequential latency (${cfg.latencyTotal} each)   p50       p90       p99     | throughput (${cfg.concurrency} concurrent)   loaded p50`,
    ];
    for (const k of ["edge", "edge_one_hop", "bare", "direct"]) {
      const s = summary[k];
      lines.push(
        `  ${k.padEnd(32)} ${`${s.p50_ms} ms`.padStart(9)} ${`${s.p90_ms} ms`.padStart(9)} ${`${s.p99_ms} ms`.padStart(9)} | ${`${s.rps} req/s`.padStart(14)}   ${`${s.loaded_p50_ms} ms`.padStart(10)}`,
      );
    }
    lines.push(
      `  edge/bare: p50 ${result.p50_ratio}× (target ≤ ${TARGET_P50_RATIO}× ${result.p50_ratio <= TARGET_P50_RATIO ? "ok" : "MISS"}), p99 ${result.p99_ratio}×, throughput ${result.rps_ratio}× (target ≥ ${TARGET_RPS_RATIO}× ${result.rps_ratio >= TARGET_RPS_RATIO ? "ok" : "MISS"}); the worker adds ${result.added_p50_ms} ms at p50`,
      `  edge with ACCESS_CACHE_MS=0 (one Durable Object hop per call)/bare: p50 ${result.one_hop_p50_ratio}×, throughput ${result.one_hop_rps_ratio}×`,
    );
    return { result, lines };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const { result, lines } = await runWorkerBench({ quick: args.includes("--quick") });
  for (const l of lines) (args.includes("--json") ? process.stderr : process.stdout).write(l + "\n");
  if (args.includes("--json")) process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}
