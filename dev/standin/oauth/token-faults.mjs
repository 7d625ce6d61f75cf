// Token-endpoint faults (runtime/faults.mjs holds the settings): a delay, an
// error status, an HTML page from a "gateway", an error body with 200, random
// failures and stalls, applied before oidc-provider sees the request.

import http from "node:http";

import { gatewayErrorPage } from "./pages.mjs";

// Token-endpoint faults (a koa ctx of oidc-provider). Returns true when the
// request was answered here: faulted requests never reach the OAuth server,
// so no code or refresh token is consumed.
export async function injectTokenFault(ctx, { faults: f, stats, closing }) {
  if (f.tokenDelayMs) await new Promise((r) => setTimeout(r, f.tokenDelayMs));
  const fail = (status, body, type = "application/json; charset=utf-8") => {
    stats.faultsInjected += 1;
    ctx.status = status;
    ctx.set("cache-control", "no-store");
    ctx.type = type;
    ctx.body = body;
    return true;
  };
  if (f.tokenStallRate && Math.random() < f.tokenStallRate) {
    stats.faultsInjected += 1;
    // Never answer: wait for the client to give up, the stall time to pass,
    // or the stand-in to close, then drop the connection.
    await new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        ctx.res.off("close", done);
        closing.removeEventListener("abort", done);
        resolve();
      };
      const timer = f.tokenStallMs ? setTimeout(done, f.tokenStallMs) : undefined;
      ctx.res.once("close", done);
      closing.addEventListener("abort", done, { once: true });
    });
    ctx.respond = false;
    ctx.req.socket.destroy();
    return true;
  }
  if (f.tokenFailureRate && Math.random() < f.tokenFailureRate) {
    return fail(
      503,
      JSON.stringify({
        error: "temporarily_unavailable",
        error_description: "stand-in: injected random failure",
      }),
    );
  }
  if (f.tokenStatus) {
    return fail(
      f.tokenStatus,
      JSON.stringify({
        error: "server_error",
        error_description: `stand-in: injected ${f.tokenStatus}`,
      }),
    );
  }
  if (f.tokenHtmlError) {
    const status = f.tokenHtmlError === true ? 502 : f.tokenHtmlError;
    return fail(status, gatewayErrorPage(status, http.STATUS_CODES[status] ?? "Error"), "text/html; charset=utf-8");
  }
  if (f.tokenError200) {
    return fail(
      200,
      JSON.stringify({
        error: f.tokenError200 === true ? "server_error" : f.tokenError200,
        error_description: "stand-in: injected error body with status 200",
      }),
    );
  }
  return false;
}
