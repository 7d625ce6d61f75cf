// The sign-in and consent steps (oidc-provider "interactions"): the demo
// user's login form, then the consent page where a company is chosen. The
// chosen company becomes the connection's subject (the grant's accountId).

import { DEMO_USER, SCOPES } from "../api/index.mjs";
import { readBody } from "../runtime/index.mjs";
import { consentPage, errorPage, loginPage, PAGE_HEADERS } from "./pages.mjs";

export function sendPage(ctx, status, html) {
  ctx.status = status;
  ctx.set(PAGE_HEADERS);
  ctx.type = "html";
  ctx.body = html;
}

// Grants the chosen company and the requested scopes; returns where oidc-provider continues.
async function grantCompany({ provider, resource }, ctx, { details, params, company, requestedScopes, apiScopes }) {
  const oidcScopes = requestedScopes.filter((s) => s === "openid" || s === "offline_access");
  // The chosen company is the connection's subject: the grant's accountId,
  // the tokens' sub and /v1/introspect's subjectURN.
  const grant = new provider.Grant({ accountId: company, clientId: params.client_id });
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(" "));
  if (apiScopes.length) {
    grant.addResourceScope(typeof params.resource === "string" ? params.resource : resource, apiScopes.join(" "));
  }
  const grantId = await grant.save();
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: company },
    consent: { grantId },
  });
  // A browser session already signed in for another company would make
  // oidc-provider treat the new login as a different user and ask to sign
  // out first; move the session to the chosen company instead.
  if (details.session?.uid) {
    const session = await provider.Session.findByUid(details.session.uid);
    if (session && session.accountId !== company) {
      session.accountId = company;
      await session.persist();
    }
  }
  return returnTo;
}

// The uid and action of /interaction/{uid}[/login|/confirm] with the right
// method; otherwise sends 404 / 405 and returns null.
function interactionPath(ctx) {
  const m = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec(ctx.path);
  if (!m) {
    sendPage(ctx, 404, errorPage({ title: "Page not found" }));
    return null;
  }
  const [, uid, action] = m;
  const method = action ? "POST" : "GET";
  if (ctx.method !== method) {
    ctx.set("allow", method);
    sendPage(ctx, 405, errorPage({ title: "Method not allowed" }));
    return null;
  }
  return { uid, action };
}

// oidc-provider's record of the interaction, when it is this uid's; otherwise sends 400 and returns null.
async function interactionDetails(provider, ctx, uid) {
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    details = undefined;
  }
  if (!details || details.uid !== uid) {
    sendPage(
      ctx,
      400,
      errorPage({
        title: "This sign-in has expired",
        error: "session_not_found",
        description: "the authorization request is unknown, expired or already completed",
      }),
    );
    return null;
  }
  return details;
}

// What every step of one interaction knows: the request, the client, the scopes asked for.
async function interactionState(deps, ctx, uid, details) {
  const { provider, dataset, signedIn } = deps;
  const { params } = details;
  const client = await provider.Client.find(params.client_id);
  const clientName = client?.clientName ?? params.client_id;
  const requestedScopes = (params.scope ?? "").split(" ").filter(Boolean);
  const apiScopes = requestedScopes.filter((s) => SCOPES.includes(s));
  const hint = params.urn_pleo_params_oauth_subject;
  return {
    uid,
    details,
    params,
    clientName,
    needsLogin: details.prompt.name === "login" && !signedIn.has(uid),
    requestedScopes,
    apiScopes,
    consent: (status = 200) =>
      sendPage(
        ctx,
        status,
        consentPage({
          uid,
          clientName,
          userEmail: DEMO_USER.email,
          companies: dataset.companies,
          selected: dataset.bySubject.has(hint) ? hint : dataset.companies[0].subject,
          scopes: apiScopes,
        }),
      ),
  };
}

// The login form: the demo user's credentials, then on to consent.
function submitLogin({ signedIn }, ctx, state, form) {
  const { uid, clientName } = state;
  const email = form.get("email") ?? "";
  if (email.trim().toLowerCase() !== DEMO_USER.email || form.get("password") !== DEMO_USER.password) {
    return sendPage(
      ctx,
      401,
      loginPage({
        uid,
        clientName,
        email,
        password: "",
        error: "Wrong email or password.",
      }),
    );
  }
  if (signedIn.size > 10_000) signedIn.clear(); // abandoned flows; never grows unbounded
  signedIn.set(uid, Date.now());
  ctx.status = 303;
  return ctx.redirect(`/interaction/${uid}`);
}

// The consent form: deny, no Pleo scope, or the chosen company granted.
async function submitConsent(deps, ctx, state, form) {
  const { provider, dataset, signedIn } = deps;
  const { uid, details, params, requestedScopes, apiScopes } = state;
  if (state.needsLogin) {
    ctx.status = 303;
    return ctx.redirect(`/interaction/${uid}`);
  }
  let returnTo;
  const hasOidcScope = requestedScopes.some((s) => s === "openid" || s === "offline_access");
  if (form.get("decision") === "deny") {
    returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        error: "access_denied",
        error_description: "The user denied the connection",
      },
      { mergeWithLastSubmission: false },
    );
  } else if (!apiScopes.length && !hasOidcScope) {
    // oidc-provider would answer a bare access_denied; say what is wrong.
    returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        error: "invalid_scope",
        error_description: "no Pleo scope was requested",
      },
      { mergeWithLastSubmission: false },
    );
  } else {
    const company = form.get("company");
    if (!dataset.bySubject.has(company)) return state.consent(400);
    returnTo = await grantCompany(deps, ctx, {
      details,
      params,
      company,
      requestedScopes,
      apiScopes,
    });
  }
  signedIn.delete(uid);
  ctx.status = 303;
  return ctx.redirect(returnTo);
}

async function handleInteraction(deps, ctx) {
  const path = interactionPath(ctx);
  if (!path) return undefined;
  const { uid, action } = path;
  const details = await interactionDetails(deps.provider, ctx, uid);
  if (!details) return undefined;
  const state = await interactionState(deps, ctx, uid, details);
  if (!action) {
    if (state.needsLogin) {
      return sendPage(
        ctx,
        200,
        loginPage({
          uid,
          clientName: state.clientName,
          email: DEMO_USER.email,
          password: DEMO_USER.password,
        }),
      );
    }
    return state.consent();
  }
  const form = new URLSearchParams(await readBody(ctx.req));
  return action === "login" ? submitLogin(deps, ctx, state, form) : submitConsent(deps, ctx, state, form);
}

/** @returns {(ctx) => Promise<void>} handler for /interaction/{uid}[/login|/confirm] */
export function createInteractionHandler({ provider, dataset, resource }) {
  const deps = {
    provider,
    dataset,
    resource,
    // Interaction uids whose login form was submitted (login → consent in one interaction).
    signedIn: new Map(),
  };
  return async function interactionRoute(ctx) {
    try {
      return await handleInteraction(deps, ctx);
    } catch (err) {
      // e.g. the interaction expired between showing the page and submitting it
      const expired = err.name === "SessionNotFound";
      if (!expired) console.error("stand-in: interaction error:", err);
      return sendPage(
        ctx,
        expired ? 400 : 500,
        errorPage({
          title: expired ? "This sign-in has expired" : "Something went wrong",
          error: expired ? "session_not_found" : "server_error",
        }),
      );
    }
  };
}
