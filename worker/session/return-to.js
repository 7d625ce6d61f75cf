// Post-login redirect target (SECURITY.md "The edge worker"): only same-origin
// relative paths survive; anything else becomes "/". RFC 9700 §4.11 (open
// redirectors) and RFC 6819 §4.2.4.

const PLACEHOLDER_ORIGIN = "https://return-to.invalid";

export function safeReturnTo(raw) {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 1024) return "/";
  // Control characters (incl. tab/newline, which URL parsers strip), DEL,
  // backslashes (browsers read "/\host" as "//host") and non-ASCII.
  if (/[^\x21-\x7e]/.test(raw) || raw.includes("\\")) return "/";
  // Exactly one leading slash: "//host" is protocol-relative, "https:" a scheme.
  if (!raw.startsWith("/") || raw.startsWith("//")) return "/";
  // Encoded slashes, backslashes, percent signs and control characters could
  // be decoded into any of the above by a later hop.
  if (/%(2f|5c|25|[01][0-9a-f]|7f)/i.test(raw)) return "/";
  let url;
  try {
    url = new URL(raw, PLACEHOLDER_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return "/";
  const path = url.pathname + url.search + url.hash;
  // Never bounce into the worker's own routes (login loops, API responses).
  if (/^\/(auth|api)(\/|$)/.test(url.pathname)) return "/";
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}
