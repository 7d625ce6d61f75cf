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
