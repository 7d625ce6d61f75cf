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

// In Node (the edge build) a token response's body is written into, and its
// token set read from, views over the wasm memory: they must follow the
// memory when it grows (which detaches the old buffer), and a body that is
// not plain ASCII, too large for the buffer or an error takes the record path.
test("parseTokenResponse answers the same before and after the wasm memory grows", () => {
  const client = new api.OAuthClient({ provider: "staging", clientId: "c", redirectUri: "https://p.test/cb", scopes: ["users:read"] });
  const body = (at) => JSON.stringify({ access_token: at, token_type: "bearer", expires_in: 60, refresh_token: `r${at}`, scope: "a  b" });
  const expected = (at) => ({
    accessToken: at,
    tokenType: "Bearer",
    expiresAt: 61_000,
    refreshToken: `r${at}`,
    scope: ["a", "b"],
    obtainedAt: 1000,
  });
  // The memory grows during the call (a previous token set of 4 MB and
  // more to copy in), then between calls (bodies of 0.2 to 1 MB, past the
  // 16 KiB buffer, and their copies).
  for (let k = 1; k <= 3; k++) {
    const previous = { accessToken: "p", refreshToken: "r".repeat(k * 4_000_000) };
    assert.deepEqual(client.parseTokenResponse({ status: 200, body: body(`at${k}`) }, { now: 1000, previous }), expected(`at${k}`));
  }
  for (let k = 1; k <= 6; k++) {
    assert.deepEqual(client.parseTokenResponse({ status: 200, body: body(`at${k}`) }, { now: 1000 }), expected(`at${k}`));
    const big = "x".repeat(200_000 * (k % 5 || 5));
    const t = client.parseTokenResponse({ status: 200, body: JSON.stringify({ access_token: big, token_type: "Bearer" }) }, { now: 1 });
    assert.equal(t.accessToken, big);
    assert.deepEqual(t.scope, ["users:read"]);
  }
  assert.deepEqual(client.parseTokenResponse({ status: 200, body: body("é😀") }, { now: 1000 }), expected("é😀"));
  assert.deepEqual(client.parseTokenResponse({ status: 200, body: body("a/b").replaceAll("/", "\\/") }, { now: 1000 }), expected("a/b"));
  assert.throws(
    () => client.parseTokenResponse({ status: 400, body: '{"error":"invalid_grant"}' }),
    (e) => e.code === "token_error" && e.status === 400,
  );
});

// In Node (the edge build) the pending record and the callback URL are
// written into the same buffer in the wasm memory; a text larger than the
// buffer crosses plainly. Both must answer alike: offsets in UTF-16 units
// for a URL that is not ASCII, an encoded code decoded, every error the same.
test("handleCallback answers the same through the wasm buffer and the plain crossing", () => {
  const client = new api.OAuthClient({ provider: "staging", clientId: "c", redirectUri: "https://p.test/cb", scopes: ["users:read"] });
  const { pending } = client.startAuthorization({ now: 1000 });
  const iss = encodeURIComponent("https://auth.staging.pleo.io");
  const cb = (query) => client.handleCallback(`https://p.test/cb?${query}`, pending);
  // 21 KB of an unknown parameter: past the 20 KiB buffer, and over the
  // core's 16 KiB limit, so the plain crossing's error comes back.
  const long = `pad=${"x".repeat(21_000)}&`;
  for (const [query, expected] of [
    [`code=abc&state=${pending.state}&iss=${iss}`, { code: "abc", state: pending.state, iss: "https://auth.staging.pleo.io" }],
    [`x=é😀&state=${pending.state}&code=é1`, { code: "é1", state: pending.state }],
    [`code=a%2Bb+c%C3%A9&state=${pending.state}`, { code: "a+b cé", state: pending.state }],
    [`pad=${"x".repeat(15_000)}&code=z&state=${pending.state}`, { code: "z", state: pending.state }],
  ]) {
    assert.deepEqual(cb(query), expected, query.slice(0, 40));
  }
  for (const [query, code] of [
    [`code=abc&state=nope`, "state_mismatch"],
    [`code=a%zz&state=${pending.state}`, "invalid_callback"],
    [`${long}code=abc&state=${pending.state}`, "invalid_callback"],
    [`error=access_denied&state=${pending.state}`, "authorization_denied"],
  ]) {
    assert.throws(
      () => cb(query),
      (e) => e.name === "OAuthError" && e.code === code,
      query.slice(0, 40),
    );
  }
  // A tampered record is refused whole, through either crossing.
  for (const url of [`https://p.test/cb?code=abc&state=${pending.state}`, `https://p.test/cb?${long}code=abc&state=${pending.state}`]) {
    assert.throws(
      () => client.handleCallback(url, { ...pending, redirectUri: "https://evil.test/cb" }),
      (e) => e.code === "invalid_input",
    );
  }
});
