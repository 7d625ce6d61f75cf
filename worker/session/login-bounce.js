// A login started from a link on another site (a partner's marketing page, an
// e-mail, a bookmark opened from another tab's site) arrives without the
// SameSite=Strict session cookie, so the flow could not carry this browser's
// session and the callback started a new one: the browser's other companies
// dropped out of it, their old session id still valid but out of reach
// (issue #16). The answer to such a request is a tiny same-origin page that
// navigates to the same URL again (a meta refresh: no script, the CSP stays
// `default-src 'none'`). That second request is same-origin, the Strict cookie
// comes along, and the login continues this browser's session. SECURITY.md
// "Login from another site" argues this over SameSite=Lax.

/** Marks the bounced request, so a browser that still calls it cross-site cannot loop. */
const BOUNCED = "bounced";

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The bounce page for a cross-site /auth/login navigation, or null when the request may go on. */
export function loginBounce(request, url) {
  if (request.headers.get("Sec-Fetch-Site") !== "cross-site") return null;
  if (url.searchParams.has(BOUNCED)) return null;
  const again = new URL(url.pathname, url.origin);
  for (const [name, value] of url.searchParams) again.searchParams.append(name, value);
  again.searchParams.set(BOUNCED, "1");
  const target = escapeHtml(`${again.pathname}${again.search}`);
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="refresh" content="0; url=${target}"><title>Connecting to Pleo…</title></head>` +
    `<body><p><a href="${target}">Continue to Pleo</a></p></body></html>`;
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}
