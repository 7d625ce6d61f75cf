#!/usr/bin/env node
// `npm run standin`: runs the Pleo stand-in in the foreground.
// stdout carries exactly one line, `STANDIN_READY {json}`; everything else
// (oidc-provider notices, errors, STANDIN_VERBOSE request logs) goes to stderr.

import { startStandin } from "./index.mjs";

// Keep stdout machine-readable whatever a dependency decides to print.
console.log = console.error;
console.info = console.error;

function intFromEnv(name, fallback, { min, max }) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function numberFromEnv(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

const truthy = (name) => ["1", "true", "yes"].includes((process.env[name] ?? "").toLowerCase());

let standin;
try {
  const faults = process.env.STANDIN_FAULTS ? JSON.parse(process.env.STANDIN_FAULTS) : {};
  standin = await startStandin({
    // PORT too (what hosts and `PORT=… npm run standin` set), when STANDIN_PORT is not.
    port: intFromEnv(process.env.STANDIN_PORT === undefined && process.env.PORT !== undefined ? "PORT" : "STANDIN_PORT", 4010, {
      min: 0,
      max: 65535,
    }),
    apiPort: intFromEnv("STANDIN_API_PORT", 4011, { min: 0, max: 65535 }),
    accessTtl: intFromEnv("STANDIN_ACCESS_TTL", 900, { min: 1, max: 365 * 86400 }),
    redirectUris: (process.env.STANDIN_REDIRECT_URIS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    faults,
    quiet: !truthy("STANDIN_VERBOSE"),
    dataDir: process.env.STANDIN_DATA_DIR || undefined,
    reset: truthy("STANDIN_RESET"),
    exportJobTtl: numberFromEnv("STANDIN_EXPORT_JOB_TTL"),
    webhookRetryMs: numberFromEnv("STANDIN_WEBHOOK_RETRY_MS"),
    webhookAttempts: numberFromEnv("STANDIN_WEBHOOK_ATTEMPTS"),
    companies: numberFromEnv("STANDIN_COMPANIES"),
  });
} catch (err) {
  console.error(`stand-in failed to start: ${err.message}`);
  process.exit(1);
}

process.stdout.write(`STANDIN_READY ${JSON.stringify(standin.info)}\n`);

let stopping = false;
async function stop(signal) {
  if (stopping) process.exit(1); // second Ctrl-C: don't wait
  stopping = true;
  console.error(`stand-in: ${signal}, shutting down`);
  await standin.close();
  process.exit(0);
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
