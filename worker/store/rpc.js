// The worker ↔ Durable Object protocol: one POST per call, JSON in and out,
// typed errors carried across. Plain fetch instead of JS RPC keeps the
// classes free of "cloudflare:workers" imports, so the very same code also
// runs on Node through the in-memory namespaces of store/memory.js.
// Callers do not name methods here: they go through client.js
// (companyObject(env, subject), directory(env)).
import { WorkerError } from "../http/responses.js";

/** Calls `method` on a Durable Object stub with one JSON argument. */
export async function callObject(stub, method, arg = {}) {
  const response = await stub.fetch(`https://object.internal/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(arg),
  });
  const result = await response.json();
  if (result.error) throw new WorkerError(result.error.status, result.error.code, result.error.message);
  return result.value;
}

/** The object side: `methods[name](arg)` for POST /<name>; WorkerErrors travel back typed. */
export async function serveObject(request, methods) {
  const name = new URL(request.url).pathname.slice(1);
  if (!Object.hasOwn(methods, name)) {
    return Response.json({ error: { status: 500, code: "internal_error", message: "Unknown object method." } });
  }
  try {
    const arg = await request.json();
    const value = await methods[name](arg ?? {});
    return Response.json({ value: value ?? null });
  } catch (err) {
    if (err instanceof WorkerError) return Response.json({ error: { status: err.status, code: err.code, message: err.message } });
    console.error("durable object method failed:", name, err?.name, err?.code ?? "", err?.message);
    return Response.json({ error: { status: 500, code: "internal_error", message: "The connection store failed." } });
  }
}
