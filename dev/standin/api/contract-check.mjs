// The stand-in held to Pleo's published contract (dev/pleo-api/): every
// request to an operation the documents declare is checked (method, path and
// query parameters, body schema) before it is handled, and refused with
// 400 BAD_REQUEST in Pleo's error shape {type, message} where Pleo would
// refuse it; every answer is checked against the operation's response schema.
// Violations of either kind are recorded, so end-to-end tests can assert that
// the worker only sent what Pleo accepts and the stand-in only answered what
// Pleo would (`standin.contractViolations()`).

import { loadContract } from "../../pleo-api/contract.mjs";

const MAX_RECORDED = 200;
const MAX_BODY = 1024 * 1024;

export class ContractViolation extends Error {
  constructor(violations) {
    super(`The request does not match Pleo's API: ${violations.slice(0, 5).join("; ")}`.slice(0, 2000));
    this.status = 400;
    this.type = "BAD_REQUEST";
    this.headers = {};
  }
}

export function createContractCheck() {
  const contract = loadContract();
  const recorded = [];
  const record = (kind, violations) => {
    for (const v of violations) if (recorded.length < MAX_RECORDED) recorded.push(`${kind}: ${v}`);
  };

  return {
    /**
     * Checks a request before its handler runs. Returns the request with its
     * body buffered (handlers read it as before), or throws ContractViolation.
     */
    async request(req, url) {
      if (!contract.hasOperation(req.method, url.href)) return req;
      const chunks = [];
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) {
          throw Object.assign(new ContractViolation([]), { status: 413, type: "PAYLOAD_TOO_LARGE", message: "request body too large" });
        }
        chunks.push(chunk);
      }
      const body = Buffer.concat(chunks);
      const violations = contract.checkRequest({
        method: req.method,
        url: url.href,
        body: body.length ? body.toString("utf8") : undefined,
      });
      if (violations.length) record("request", violations);
      // Without a body the request is refused at once; with one, when the
      // handler reads it, i.e. after the handler checked the token's scope
      // (a request that lacks both gets 403, as from Pleo).
      if (violations.length && !["POST", "PUT", "PATCH"].includes(req.method)) throw new ContractViolation(violations);
      return {
        method: req.method,
        headers: req.headers,
        url: req.url,
        async *[Symbol.asyncIterator]() {
          if (violations.length) throw new ContractViolation(violations);
          if (body.length) yield body;
        },
      };
    },
    /** Checks an answer (recorded, not changed). */
    response(method, url, status, text) {
      if (!contract.hasOperation(method, url.href)) return;
      record("answer", contract.checkResponse({ method, url: url.href, status, body: text }));
    },
    violations: () => [...recorded],
    reset: () => {
      recorded.length = 0;
    },
  };
}
