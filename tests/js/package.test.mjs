// The npm package as users get it: `npm pack`, installed into a scratch
// project, then imported in Node (the documentation's examples), in workerd through
// miniflare (docs/OAUTH.md's worker example, bundled the way wrangler does), in
// a Vite production build and in a plain <script type="module"> in headless
// Chromium, where the shared vectors run too.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { packAndInstall, readmeExamples, root } from "./helpers/packed-package.mjs";
import { startStaticServer } from "./helpers/static-server.mjs";
import { VECTOR_FILES } from "./vectors-harness.mjs";

const bin = (name) => join(root, "node_modules", ".bin", name);
let scratch;
let tarball;

before(() => {
  ({ scratch, tarball } = packAndInstall("pleo-oauth-pack-"));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  test("ships dist/ with the wasm, every entry and the types, and no sources", () => {
    const out = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const f of [
      "dist/pleo_oauth_bg.wasm",
      "dist/pleo_oauth.js",
      "dist/node.js",
      "dist/web.js",
      "dist/workerd.js",
      "dist/index.d.ts",
      "dist/web.d.ts",
      "dist/edge.d.ts",
      "README.md",
      "CHANGELOG.md",
      "package.json",
    ]) {
      assert.ok(out.includes(`package/${f}`), `${f} missing from the tarball`);
    }
    assert.ok(
      !out.some((f) => f.startsWith("package/src/") || f.startsWith("package/dev/") || f.endsWith(".rs")),
      "sources leaked into the tarball",
    );
  });

  test("the README's Node examples run against the installed package", () => {
    const examples = readmeExamples("node");
    assert.ok(examples.length >= 2, "README lost its examples");
    examples.forEach((code, i) => {
      const file = join(scratch, "app", `readme-example-${i}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { cwd: join(scratch, "app"), encoding: "utf8" });
      assert.equal(r.status, 0, `README example ${i} failed:\n${r.stderr}`);
    });
  });

  test("every export named in index.d.ts (web.d.ts + edge.d.ts) exists at runtime in Node, and nothing else", async () => {
    const dts = ["web.d.ts", "edge.d.ts"]
      .map((f) => readFileSync(join(scratch, "app", "node_modules", "pleo-oauth", "dist", f), "utf8"))
      .join("\n");
    const declared = [...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]).sort();
    const script = `import * as m from "pleo-oauth"; console.log(JSON.stringify(Object.keys(m).sort()))`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(scratch, "app"), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), declared);
  });

  test("the shipped index.d.ts type-checks a program using every export (tsc --strict)", () => {
    const app = join(scratch, "app");
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2022", "dom"],
          types: [],
        },
        files: ["usage.ts"],
      }),
    );
    writeFileSync(
      join(app, "usage.ts"),
      `
import { init, generateCodeVerifier, codeChallengeS256, generateState, pleoProvider, needsRefresh,
  OAuthClient, OAuthError, type Provider, type PendingAuthorization, type TokenSet, type HttpRequest,
  type OAuthErrorCode, type CallbackResult } from "pleo-oauth";

async function main(): Promise<void> {
  await init();
  const verifier: string = generateCodeVerifier();
  const challenge: string = codeChallengeS256(verifier);
  const state: string = generateState();
  const provider: Provider = pleoProvider("staging");
  const client = new OAuthClient({ provider, clientId: "c", clientSecret: "s", redirectUri: "https://p.test/cb",
    scopes: ["users:read"], clientAuth: "client_secret_basic" });
  const { url, pending }: { url: string; pending: PendingAuthorization } = client.startAuthorization({
    scopes: ["users:read"], subject: "urn:pleo:company:1", extraParams: { ui_locales: "da" }, now: Date.now() });
  const cb: CallbackResult = client.handleCallback(url, pending);
  const iss: string | undefined = cb.iss;
  const req: HttpRequest = client.tokenRequest(cb.code, pending);
  const method: "POST" = req.method;
  const tokens: TokenSet = client.parseTokenResponse({ status: 200, body: "{}" }, { now: 0 });
  const again: TokenSet = client.parseTokenResponse({ status: 200, headers: {}, body: "{}" }, { previous: tokens });
  const refresh: HttpRequest = client.refreshRequest(again.refreshToken ?? "");
  client.introspectionRequest(tokens.accessToken, "access_token");
  client.revocationRequest(tokens.accessToken);
  const soon: boolean = needsRefresh(tokens, { skewMs: 30_000 });
  const p: Provider = client.provider;
  client.free();
  try { codeChallengeS256("x"); } catch (e) {
    if (e instanceof OAuthError) { const code: OAuthErrorCode = e.code; const status: number | undefined = e.status; void code; void status; }
  }
  // The types are precise, not any:
  // @ts-expect-error clientId must be a string
  new OAuthClient({ provider: "staging", clientId: 1, redirectUri: "https://p.test/cb" });
  // @ts-expect-error no such environment
  pleoProvider("sandbox");
  // @ts-expect-error hints are access_token or refresh_token
  client.introspectionRequest("t", "id_token");
  // @ts-expect-error tokenType is always "Bearer"
  const wrong: "MAC" = tokens.tokenType;
  void [challenge, state, iss, method, refresh, soon, p, wrong];
}
void main;
`,
    );
    const r = spawnSync(bin("tsc"), ["-p", join(app, "tsconfig.json")], { cwd: app, encoding: "utf8" });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  });

  test("imports in workerd (miniflare) with the README's worker example, bundled as wrangler does", async () => {
    const [code] = readmeExamples("worker");
    assert.ok(code, "README lost its worker example");
    const app = join(scratch, "app");
    writeFileSync(join(app, "worker.mjs"), code);
    const outdir = join(app, "worker-dist");
    execFileSync(
      bin("esbuild"),
      [
        "worker.mjs",
        "--bundle",
        "--format=esm",
        "--platform=neutral",
        "--conditions=workerd,worker,browser",
        "--loader:.wasm=copy",
        `--outdir=${outdir}`,
      ],
      { cwd: app, stdio: "pipe" },
    );
    const { Miniflare } = await import("miniflare");
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(outdir, "worker.js"),
      modulesRoot: outdir,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      compatibilityDate: "2026-04-01",
      bindings: { PLEO_CLIENT_ID: "cid", PLEO_CLIENT_SECRET: "secret", PLEO_REDIRECT_URI: "https://partner.example/auth/callback" },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await mf.dispatchFetch("http://localhost/");
        const text = await res.text();
        assert.equal(res.status, 200, text);
        const body = JSON.parse(text);
        assert.match(body.authorizeUrl, /^https:\/\/auth\.staging\.pleo\.io\/oauth\/authorize\?response_type=code&client_id=cid&/);
        assert.match(body.authorizeUrl, /code_challenge_method=S256/);
        assert.equal(body.stateLength, 43);
      }
    } finally {
      await mf.dispose();
    }
  });
});

describe("in a browser", () => {
  let browser;
  before(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
  });
  after(async () => {
    await browser?.close();
  });

  test("a plain <script type=module> runs the shared vectors in headless Chromium", async () => {
    const site = join(scratch, "site");
    mkdirSync(join(site, "vectors"), { recursive: true });
    for (const f of VECTOR_FILES) copyFileSync(join(root, "tests", "vectors", f), join(site, "vectors", f));
    copyFileSync(join(root, "tests", "js", "vectors-harness.mjs"), join(site, "vectors-harness.mjs"));
    const dist = join(scratch, "app", "node_modules", "pleo-oauth", "dist");
    mkdirSync(join(site, "pkg"));
    for (const f of readdirSync(dist)) copyFileSync(join(dist, f), join(site, "pkg", f));
    writeFileSync(
      join(site, "index.html"),
      `<!doctype html><meta charset="utf-8"><title>vectors</title>
<script type="module">
  import * as api from "./pkg/web.js";
  import { VECTOR_FILES, runVectors } from "./vectors-harness.mjs";
  await api.init();
  await api.init(); // idempotent
  const files = {};
  for (const f of VECTOR_FILES) files[f] = await (await fetch("./vectors/" + f)).json();
  window.result = runVectors(api, files);
</script>`,
    );
    const server = await startStaticServer(site);
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
      const result = await page.evaluate(() => window.result);
      assert.deepEqual(result.failures, []);
      assert.ok(result.passed >= 150, `only ${result.passed} vectors ran`);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test("a Vite production build imports the package and runs it", async () => {
    const app = join(scratch, "app");
    const vite = join(scratch, "vite-app");
    mkdirSync(join(vite, "src"), { recursive: true });
    writeFileSync(
      join(vite, "index.html"),
      `<!doctype html><meta charset="utf-8"><title>vite</title><pre id="out"></pre><script type="module" src="/src/main.js"></script>`,
    );
    writeFileSync(
      join(vite, "src", "main.js"),
      `
import { init, OAuthClient, codeChallengeS256 } from "pleo-oauth";
await init();
const client = new OAuthClient({ provider: "staging", clientId: "vite-app", redirectUri: "https://partner.example/cb" });
const { url } = client.startAuthorization();
let code = "none";
try { codeChallengeS256("short"); } catch (e) { code = e.name + ":" + e.code; }
document.getElementById("out").textContent = JSON.stringify({
  challenge: codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), url, code });
`,
    );
    // The scratch app's node_modules has the installed tarball.
    writeFileSync(join(vite, "package.json"), JSON.stringify({ name: "vite-app", private: true, type: "module" }));
    execFileSync("ln", ["-s", join(app, "node_modules"), join(vite, "node_modules")]);
    writeFileSync(join(vite, "vite.config.js"), `export default { logLevel: "warn", build: { target: "es2022" } };`);
    const r = spawnSync(bin("vite"), ["build"], { cwd: vite, encoding: "utf8" });
    assert.equal(r.status, 0, `vite build failed:\n${r.stdout}\n${r.stderr}`);
    const assets = readdirSync(join(vite, "dist", "assets"));
    assert.ok(
      assets.some((f) => f.endsWith(".wasm")),
      `vite did not emit the wasm: ${assets}`,
    );
    const server = await startStaticServer(join(vite, "dist"));
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => document.getElementById("out").textContent !== "", null, { timeout: 30_000 });
      const out = JSON.parse(await page.textContent("#out"));
      assert.equal(out.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
      assert.match(out.url, /^https:\/\/auth\.staging\.pleo\.io\/oauth\/authorize\?response_type=code&client_id=vite-app&/);
      assert.equal(out.code, "OAuthError:invalid_verifier");
      await page.close();
    } finally {
      await server.close();
    }
  });
});
