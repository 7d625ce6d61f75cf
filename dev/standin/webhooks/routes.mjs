// Pleo's webhook subscriptions API (/v1/subscriptions) over subscriptions.mjs.
// Pleo documents no scope for it: any valid token works, for its own company.

import { paginate, readJson } from "../api/index.mjs";

export function subscriptionRoutes({ webhooks }) {
  const ID = "([\\w-]{1,64})";
  return [
    [
      "GET",
      /^\/v1\/subscriptions$/,
      ({ auth, query }) =>
        paginate(
          webhooks.list(auth.companyId, {
            status: query.get("status"),
            eventTypes: query.getAll("event_types"),
          }),
          query,
        ),
    ],
    ["POST", /^\/v1\/subscriptions$/, async ({ auth, req }) => [200, { data: webhooks.create(auth.companyId, await readJson(req)) }]],
    ["GET", new RegExp(`^/v1/subscriptions/${ID}$`), ({ auth, match }) => ({ data: webhooks.get(auth.companyId, match[1]) })],
    [
      "PUT",
      new RegExp(`^/v1/subscriptions/${ID}$`),
      async ({ auth, match, req }) => ({
        data: webhooks.update(auth.companyId, match[1], await readJson(req)),
      }),
    ],
    [
      "DELETE",
      new RegExp(`^/v1/subscriptions/${ID}$`),
      ({ auth, match }) => {
        webhooks.remove(auth.companyId, match[1]);
        return [204, undefined];
      },
    ],
    [
      "GET",
      new RegExp(`^/v1/subscriptions/${ID}/activities$`),
      ({ auth, match, query }) => paginate(webhooks.activities(auth.companyId, match[1], query.getAll("operation_types")), query),
    ],
    [
      "GET",
      new RegExp(`^/v1/subscriptions/${ID}/secret$`),
      ({ auth, match }) => ({
        data: { secretKey: webhooks.secret(auth.companyId, match[1]) },
      }),
    ],
  ];
}
