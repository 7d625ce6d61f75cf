// Small HTTP helpers shared by the worker routes: typed errors, JSON
// responses and the security headers every response carries.

/** An error the worker turns into `{ "error": code, "message": text }`. */
export class WorkerError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "WorkerError";
    this.status = status;
    this.code = code;
  }
}

// The page is same-origin only: no third-party scripts, styles, frames or
// connections. 'wasm-unsafe-eval' lets the library playground compile
// pleo-oauth's WebAssembly; nothing else is allowed to evaluate code.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function withSecurityHeaders(headers) {
  // A route may set its own policy (a partner's page with its own needs,
  // issue #16); every other response gets the strict default.
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  // RFC 9700 §4.2.4: keep codes and state out of Referer headers.
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Resource-Policy", "same-origin");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  // Never CORS: no Access-Control-Allow-Origin, and never a reflected Origin.
  headers.delete("Access-Control-Allow-Origin");
  headers.delete("Access-Control-Allow-Credentials");
  return headers;
}

export function jsonResponse(value, status = 200, extraHeaders = {}) {
  const headers = new Headers(extraHeaders);
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(value), { status, headers });
}

export function errorResponse(status, code, message, extraHeaders = {}) {
  return jsonResponse({ error: code, message }, status, extraHeaders);
}

export function redirectResponse(location, setCookies = []) {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 302, headers });
}
