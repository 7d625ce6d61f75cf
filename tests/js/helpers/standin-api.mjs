// A Pleo API caller against the stand-in with one access token, shared by the
// stand-in's export and webhook tests.

/**
 * `(method, path, body?) => { status, headers, text, body }` on `apiBaseUrl`,
 * as Bearer `token`; a body goes out as JSON, the answer is parsed when not empty.
 */
export function standinApiAs(apiBaseUrl, token) {
  return async (method, path, body) => {
    const res = await fetch(new URL(path, apiBaseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: text ? JSON.parse(text) : undefined,
    };
  };
}
