// The fleet fast path, for `npm run loadtest -- --fleet` (bench/loadtest-fleet.mjs):
// thousands of companies connected in minutes, with real grants. Two
// loopback-only admin routes under {adminUrl}:
//
//   POST /fleet/companies {"count": N}
//        → 200 {"companies": [{subject, name}]}: the stand-in knows N more
//          companies ("Fleet Company 00001 …", each a copy of the first
//          seeded company's people), beyond the consent page's list.
//   POST /fleet/authorize {"authorizeUrl": "<the worker's authorize URL>", "company": "<subject>"}
//        → 200 {"callbackUrl": "<redirect_uri>?code=…&state=…&iss=…"}: what the
//          sign-in and consent pages end in, without them. The request is
//          checked as oidc-provider would (client, registered redirect_uri,
//          response_type=code, S256 challenge); the grant and the
//          authorization code are oidc-provider's own models, so the worker's
//          callback redeems the code at the real token endpoint (PKCE
//          verified), and the tokens refresh, rotate, introspect and revoke
//          like any other.
//
// What it skips: the browser's two HTML pages and oidc-provider's
// interaction and session cookies (six HTTP requests per connection).
import { SCOPES } from "../api/index.mjs";
import { AdminError } from "../runtime/index.mjs";

const MAX_FLEET = 20_000;

/** Adds `count` companies to `dataset`, copies of its first company with new ids. */
function addCompanies(dataset, count) {
  const template = dataset.bySubject.get(dataset.companies[0].subject);
  const added = [];
  const start = dataset.companies.length;
  for (let i = 0; i < count; i++) {
    const n = start + i + 1;
    const hex = n.toString(16).padStart(12, "0");
    const id = `f1ee7000-0000-4000-8000-${hex}`;
    const name = `Fleet Company ${String(n).padStart(5, "0")}`;
    const company = {
      ...template.company,
      id,
      subject: `urn:pleo:company:${id}`,
      name,
      legalName: name,
    };
    const entry = { ...template, company };
    dataset.companies.push(company);
    dataset.bySubject.set(company.subject, entry);
    dataset.byId.set(id, entry);
    added.push({ subject: company.subject, name });
  }
  return added;
}

async function authorize(provider, resource, dataset, issuer, { authorizeUrl, company }) {
  let url;
  try {
    url = new URL(authorizeUrl);
  } catch {
    throw new AdminError(400, "invalid_request", "authorizeUrl must be the worker's authorization URL");
  }
  const p = url.searchParams;
  if (!dataset.bySubject.has(company)) throw new AdminError(404, "not_found", "no such company");
  const client = await provider.Client.find(p.get("client_id") ?? "");
  if (!client) throw new AdminError(400, "invalid_client", "unknown client_id");
  const redirectUri = p.get("redirect_uri");
  if (!client.redirectUris.includes(redirectUri)) throw new AdminError(400, "invalid_redirect_uri", "redirect_uri is not registered");
  if (p.get("response_type") !== "code") throw new AdminError(400, "unsupported_response_type", "response_type must be code");
  if (p.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(p.get("code_challenge") ?? "")) {
    throw new AdminError(400, "invalid_request", "an S256 code_challenge is required");
  }
  const requested = (p.get("scope") ?? "").split(" ").filter(Boolean);
  const apiScopes = requested.filter((s) => SCOPES.includes(s));
  const grant = new provider.Grant({ accountId: company, clientId: client.clientId });
  if (apiScopes.length) grant.addResourceScope(resource, apiScopes.join(" "));
  const grantId = await grant.save();
  const code = new provider.AuthorizationCode({
    accountId: company,
    authTime: Math.floor(Date.now() / 1000),
    client,
    codeChallenge: p.get("code_challenge"),
    codeChallengeMethod: "S256",
    grantId,
    redirectUri,
    resource,
    scope: apiScopes.join(" "),
  });
  const callback = new URL(redirectUri);
  callback.searchParams.set("code", await code.save());
  if (p.has("state")) callback.searchParams.set("state", p.get("state"));
  callback.searchParams.set("iss", issuer); // RFC 9207, as the stand-in's authorize endpoint sends it
  return { callbackUrl: callback.href };
}

/** The admin routes ([method, path regexp, handler]) of the fleet fast path. */
export function fleetAdminRoutes({ provider, resource, dataset, issuer }) {
  return [
    [
      "POST",
      /^\/fleet\/companies$/,
      (m, body) => {
        const count = body?.count;
        if (!Number.isInteger(count) || count < 1 || dataset.companies.length + count > MAX_FLEET) {
          throw new AdminError(400, "invalid_request", `count must be an integer, at most ${MAX_FLEET} companies in all`);
        }
        return [200, { companies: addCompanies(dataset, count) }];
      },
    ],
    ["POST", /^\/fleet\/authorize$/, async (m, body) => [200, await authorize(provider, resource, dataset, issuer, body ?? {})]],
  ];
}
