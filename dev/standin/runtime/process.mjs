// The stand-in in a process of its own (what `npm run standin` runs), for
// benchmarks and load tests that must not share an event loop with it, and
// a free-port helper for everything that starts local servers.
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli.mjs", import.meta.url));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts dev/standin/cli.mjs and resolves with its STANDIN_READY info once it
 * is ready: `{ info, close(), child }`. Free ports unless `port` / `apiPort`
 * are given (a restart over the same data directory needs the same ones:
 * tokens are bound to the API's URL). `env` adds variables, e.g.
 * STANDIN_DATA_DIR or STANDIN_EXPORT_JOB_TTL.
 */
export function startStandinProcess({ redirectUri = "", accessTtl = 900, port = 0, apiPort = 0, env = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI], {
      env: {
        ...process.env,
        STANDIN_PORT: String(port),
        STANDIN_API_PORT: String(apiPort),
        STANDIN_ACCESS_TTL: String(accessTtl),
        STANDIN_REDIRECT_URIS: redirectUri,
        STANDIN_VERBOSE: "",
        STANDIN_FAULTS: "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => {
      err = (err + d).slice(-4000);
    });
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/^STANDIN_READY (.*)$/m);
      if (m) resolve({ info: JSON.parse(m[1]), close: () => child.kill("SIGTERM"), child });
    });
    child.on("exit", (code) => reject(new Error(`stand-in exited (${code}): ${err}`)));
  });
}
