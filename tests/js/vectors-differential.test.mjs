// Differential test: the package's callback parsing (Rust's form decoding,
// through the wasm package) against WHATWG URLSearchParams (Node's own). For
// generated callback URLs, every code handleCallback returns must be what
// `new URL(url).searchParams.get("code")` reads; every refusal must have a
// documented reason (docs in src/encoding/form.rs and callback.rs):
// a `%` not followed by two hex digits, bytes that are not UTF-8, or a raw
// space/control character, which URLSearchParams would repair or strip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OAuthClient, OAuthError } from "pleo-oauth";

const REDIRECT = "https://p.test/cb";

// A small deterministic PRNG, so a failure is reproducible from its seed.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const PIECES = [
  "a",
  "Z",
  "0",
  "-",
  ".",
  "_",
  "~",
  "*",
  "+",
  "%20",
  "%2B",
  "%25",
  "%3D",
  "%26",
  "%e2%82%ac",
  "%E2%82%AC",
  "%F0%9F%98%80",
  "é",
  "😀",
  "/",
  "?",
  ":",
  "@",
  "!",
  "$",
  "'",
  "(",
  ")",
  ",",
  ";",
  "%",
  "%4",
  "%zz",
  "%ff",
  "%C3",
  "%C3%A9",
  "%00",
  " ",
  "\t",
  "=",
];

function documentedRefusal(encodedCode) {
  if (/%(?![0-9a-fA-F]{2})/.test(encodedCode)) return true;
  if (/[\u0000-\u0020\u007f-\u009f]/.test(encodedCode)) return true;
  try {
    decodeURIComponent(encodedCode.replaceAll("+", " "));
    return false;
  } catch {
    return true; // bytes that are not UTF-8
  }
}

test("handleCallback reads query parameters as WHATWG URLSearchParams does", () => {
  const client = new OAuthClient({ provider: "staging", clientId: "c", redirectUri: REDIRECT });
  const { pending } = client.startAuthorization();
  const next = rng(20261130);
  let agreed = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    let code = "";
    const n = 1 + Math.floor(next() * 8);
    for (let j = 0; j < n; j++) code += PIECES[Math.floor(next() * PIECES.length)];
    if (code.includes("=") || code.includes("&")) continue; // another parameter, not a value
    const url = `${REDIRECT}?state=${pending.state}&code=${code}`;
    let ours;
    try {
      ours = client.handleCallback(url, pending).code;
    } catch (e) {
      assert.ok(e instanceof OAuthError, String(e));
      if (e.code === "invalid_callback" && documentedRefusal(code)) {
        refused++;
        continue;
      }
      // An empty decoded code is refused too (RFC 6749 §4.1.2: code is required).
      if (e.code === "invalid_callback" && new URL(url).searchParams.get("code") === "") {
        refused++;
        continue;
      }
      assert.fail(`refused without a documented reason (${e.code}: ${e.message}): ${JSON.stringify(code)}`);
    }
    assert.equal(ours, new URL(url).searchParams.get("code"), JSON.stringify(code));
    agreed++;
  }
  assert.ok(agreed > 1000 && refused > 100, `agreed ${agreed}, refused ${refused}`);
});
