// What the load tests (loadtest.mjs, loadtest-export.mjs) share: a browser's
// cookie jar for the worker's origin, and a pool that works through a list a
// few at a time.

/** One browser: its cookies for the worker's origin (redirects are not followed). */
export class CookieBrowser {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  async fetch(pathname, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(new URL(pathname, this.base), { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      // Max-Age=0 expires the cookie (RFC 6265 §5.2.2); an empty value clears it too.
      if (value === "" || attrs.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

/** Runs `fn(item)` for every item, at most `concurrency` at once, in order of start. */
export async function forEachPooled(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
