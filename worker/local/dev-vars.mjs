#!/usr/bin/env node
// A `.dev.vars` for a partner's own `wrangler dev` against the local Pleo
// stand-in (issue #16): the stand-in prints one line `STANDIN_READY {json}`;
// this turns it into the worker's settings (PLEO_ENV=local, the stand-in's
// endpoints, client id and secret, a fresh SESSION_SECRET).
//
//   STANDIN_REDIRECT_URIS=http://localhost:8787/auth/callback npm run standin | \
//     node worker/local/dev-vars.mjs --redirect-uri http://localhost:8787/auth/callback --out .dev.vars
//
// It writes the file as soon as the READY line arrives and keeps passing the
// stand-in's output through, so the stand-in keeps running in the pipe.
// Keep .dev.vars out of git: it holds the (local) client secret.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { localWorkerEnv } from "./env.mjs";

/** The text of a .dev.vars file (KEY="value" lines) for the stand-in's READY info. */
export function devVarsText(info, { redirectUri }) {
  if (!redirectUri) throw new Error("--redirect-uri is required (your worker's /auth/callback, also in STANDIN_REDIRECT_URIS)");
  const env = localWorkerEnv(info, { redirectUri });
  return `${Object.entries(env)
    .map(([name, value]) => `${name}=${JSON.stringify(String(value))}`)
    .join("\n")}\n`;
}

function argument(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const redirectUri = argument("redirect-uri");
  const out = argument("out") ?? ".dev.vars";
  let buffer = "";
  let written = false;
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    process.stdout.write(chunk);
    if (written) return;
    buffer += chunk;
    const m = /^STANDIN_READY (.*)$/m.exec(buffer);
    if (!m) return;
    writeFileSync(out, devVarsText(JSON.parse(m[1]), { redirectUri }), { mode: 0o600 });
    written = true;
    process.stderr.write(`dev-vars: wrote ${out} for ${redirectUri}\n`);
  });
}
