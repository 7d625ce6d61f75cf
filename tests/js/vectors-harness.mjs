// Runs tests/vectors/*.json against the JavaScript API of the package.
// Browser-safe (no Node imports): used by tests/js/vectors.test.mjs in Node
// and by tests/js/browser.test.mjs in headless Chromium. The native Rust
// harness (tests/vectors.rs) reads the same files with the same expectations.

export const VECTOR_FILES = ["pkce.json", "config.json", "authorize.json", "callback.json", "token_request.json", "token_response.json"];

const clone = (v) => JSON.parse(JSON.stringify(v));

function configOf(file, c) {
  const config = clone(c.config ?? file.config);
  for (const [k, v] of Object.entries(c.config_patch ?? {})) {
    if (v === null) delete config[k];
    else config[k] = v;
  }
  return config;
}

function pendingFor(api, client, c) {
  const { pending } = client.startAuthorization({ now: 1_700_000_000_000 });
  for (const [k, v] of Object.entries(c.pending_patch ?? {})) {
    if (v === null) delete pending[k];
    else pending[k] = v;
  }
  return pending;
}

const swapCase = (s) => [...s].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join("");

function responseBody(r) {
  if ("body" in r) return r.body;
  return r.body_parts.map((p) => (typeof p === "string" ? p : p[0].repeat(p[1]))).join("");
}

function run(api, file, c) {
  if (c.op === "code_challenge") return api.codeChallengeS256(c.verifier);
  const client = new api.OAuthClient(configOf(file, c));
  switch (c.op) {
    case "client": {
      // The client auth method shows in the requests it builds.
      const req = client.refreshRequest("rt");
      const auth = req.headers.authorization ? "client_secret_basic" : req.body.includes("client_secret=") ? "client_secret_post" : "none";
      return { clientAuth: auth };
    }
    case "authorize":
      return { url: client.startAuthorization(c.options).url };
    case "callback": {
      const pending = pendingFor(api, client, c);
      const state = typeof pending.state === "string" ? pending.state : "";
      const url =
        typeof c.callback === "string"
          ? c.callback
              .replaceAll("{state}", state)
              .replaceAll("{STATE}", swapCase(state))
              .replaceAll("{iss}", encodeURIComponent(client.provider.issuer))
          : c.callback;
      const r = client.handleCallback(url, pending);
      if (r.state !== state) throw new Error(`${c.name}: state not returned`);
      return r.iss === undefined ? { code: r.code } : { code: r.code, iss: r.iss };
    }
    case "token_request": {
      let req;
      let verifier;
      if (c.kind === "code") {
        const pending = pendingFor(api, client, c);
        verifier = pending.codeVerifier;
        req = client.tokenRequest(c.token, pending);
      } else if (c.kind === "refresh") req = client.refreshRequest(c.token);
      else if (c.kind === "introspect") req = client.introspectionRequest(c.token, c.hint);
      else req = client.revocationRequest(c.token, c.hint);
      if (req.method !== "POST") throw new Error(`${c.name}: method ${req.method}`);
      const body = verifier ? req.body.replaceAll(verifier, "{verifier}") : req.body;
      return { url: req.url, headers: req.headers, body };
    }
    case "token_response": {
      const res = { status: c.response.status, body: "body_raw" in c ? c.body_raw : responseBody(c.response) };
      return client.parseTokenResponse(res, { now: "now_raw" in c ? c.now_raw : c.now, previous: c.previous });
    }
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

function deepEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  }
  return v;
}

function checkAuthorize(ok, url) {
  if (!url.startsWith(ok.prefix)) return `url ${url} does not start with ${ok.prefix}`;
  const params = new URLSearchParams(url.slice(url.indexOf("?") + 1));
  for (const [k, v] of Object.entries(ok.params)) {
    const got = params.getAll(k);
    if (got.length !== 1) return `${k} appears ${got.length} times`;
    if (v === "*" ? got[0] === "" : got[0] !== v) return `${k} = ${got[0]}, expected ${v}`;
  }
  for (const k of params.keys()) {
    if (!(k in ok.params) && k !== "tenant") return `unexpected parameter ${k}`;
  }
  return null;
}

/**
 * Runs every case of the given files. `api` is the package's exports.
 * Returns { passed, failures: [{ name, problem }] }. After every case, a
 * control call checks the wasm instance still works (a panic would kill it).
 */
export function runVectors(api, files) {
  let passed = 0;
  const failures = [];
  for (const [fileName, file] of Object.entries(files)) {
    for (const c of file.cases) {
      const name = `${fileName}: ${c.name}`;
      let result;
      let error;
      try {
        result = run(api, file, c);
      } catch (e) {
        error = e;
      }
      let problem = null;
      if ("ok" in c.expect) {
        if (error) problem = `expected success, got ${error.name} ${error.code}: ${error.message}`;
        else if (c.op === "authorize") problem = checkAuthorize(c.expect.ok, result.url);
        else if (c.expect.ok !== "*" && !deepEqual(result, c.expect.ok)) {
          problem = `got ${JSON.stringify(result)}, expected ${JSON.stringify(c.expect.ok)}`;
        }
      } else if (!error) {
        problem = `expected ${c.expect.error}, got success ${JSON.stringify(result)}`;
      } else if (!(error instanceof Error) || error.name !== "OAuthError") {
        problem = `expected an OAuthError, got ${error && error.name}: ${error && error.message}`;
      } else if (error.code !== c.expect.error) {
        problem = `expected ${c.expect.error}, got ${error.code}: ${error.message}`;
      } else if (c.expect.server) {
        const got = {};
        for (const k of ["error", "errorDescription", "errorUri", "status"]) {
          if (error[k] !== undefined) got[k] = error[k];
        }
        if (!deepEqual(got, c.expect.server)) problem = `server fields ${JSON.stringify(got)}`;
      }
      if (!problem && error && /s3cr|rt-1|at-1|the-code/.test(error.message)) {
        problem = `error message leaks a secret or token: ${error.message}`;
      }
      // The instance must survive every rejected input.
      try {
        if (api.codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") !== "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") {
          problem ??= "control call returned a wrong challenge";
        }
      } catch (e) {
        problem ??= `the wasm instance is broken after this case: ${e.message}`;
      }
      if (problem) failures.push({ name, problem });
      else passed++;
    }
  }
  return { passed, failures };
}
