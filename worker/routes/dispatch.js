// Exact-path routing inside a route group: 404 for an unknown path, 405 with
// Allow for a known path and the wrong method.
import { errorResponse } from "../http/responses.js";

export function dispatch(ctx, table) {
  const handlers = table[ctx.url.pathname];
  if (!handlers) return errorResponse(404, "not_found", "No such route.");
  const handler = handlers[ctx.request.method];
  if (!handler) {
    const allowed = Object.keys(handlers).join(", ");
    return errorResponse(405, "method_not_allowed", `Use ${allowed}.`, { Allow: allowed });
  }
  return handler(ctx);
}
