// The shared vectors (tests/vectors/*.json) against the wasm package in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as api from "pleo-oauth";
import { VECTOR_FILES, runVectors } from "./vectors-harness.mjs";

const files = Object.fromEntries(
  VECTOR_FILES.map((f) => [f, JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), "utf8"))]),
);

test("every shared vector passes through the wasm package in Node", () => {
  const { passed, failures } = runVectors(api, files);
  assert.deepEqual(failures, []);
  assert.ok(passed >= 150, `only ${passed} vectors ran`);
});

// A lone UTF-16 surrogate cannot be written in a UTF-8 vector file (and
// serde_json refuses its escape), so this JavaScript-only rule is checked here.
test("strings with a lone UTF-16 surrogate are refused, not silently replaced", () => {
  const client = new api.OAuthClient({ provider: "staging", clientId: "c", clientSecret: "s", redirectUri: "https://p.test/cb" });
  const { pending } = client.startAuthorization();
  const cases = [
    () => client.tokenRequest("\ud800", pending),
    () => client.refreshRequest("rt\udc00"),
    () => client.handleCallback(`https://p.test/cb?code=\ud800&state=${pending.state}`, pending),
    () => api.codeChallengeS256("a".repeat(42) + "\ud800"),
  ];
  for (const call of cases) {
    assert.throws(call, (e) => e instanceof api.OAuthError && e.code === "invalid_input");
  }
  assert.throws(
    () => new api.OAuthClient({ provider: "staging", clientId: "c", clientSecret: "a\ud800", redirectUri: "https://p.test/cb" }),
    (e) => e.code === "invalid_config",
  );
  // A well-formed pair (an emoji) is fine.
  assert.equal(client.handleCallback(`https://p.test/cb?code=%F0%9F%98%80&state=${pending.state}`, pending).code, "😀");
});
