// The webhooks feature's part inside each company's connection object: it
// owns the company's Pleo subscription (subscriptions.js) — set up on
// connect, checked every hour by its own "webhooks" timer (re-created if
// Pleo lost it), deleted on disconnect — and receives the deliveries the
// route hands over (receive.js). A delivery asks the export feature for a
// look-up through the connection (`conn.call("requestExportLookup")`), never
// through the export feature's modules.
import { receiveWebhook } from "./receive.js";
import { deleteSubscription, ensureSubscription } from "./subscriptions.js";

export const WEBHOOKS_TIMER = "webhooks";
const CHECK_EVERY_MS = 60 * 60_000;

/**
 * The one event type we subscribe to announces export jobs, and
 * EXPORT_AUTOMATIC=off means "exports on demand only": then no subscription.
 */
const subscriptionWanted = (env) => !/^(off|false|0|no)$/i.test(String(env?.EXPORT_AUTOMATIC ?? "").trim());

/** Makes sure the subscription is there; a failure is logged (polling still finds jobs) and tried again at the next check. */
async function checkSubscription(conn, failure) {
  try {
    await ensureSubscription(conn);
    return true;
  } catch (err) {
    console.error(`webhooks: subscription ${failure} company=${conn.subject}:`, err?.code ?? err?.name);
    return false;
  }
}

export const webhooksConnection = {
  methods: {
    /** A delivery from POST /webhooks/pleo/<company> (routes.js). */
    receiveWebhook: (conn, delivery) => receiveWebhook(conn, delivery),
    /** Public: checks (creates, adopts, reactivates) the subscription now → { ok }. */
    async checkWebhookSubscription(conn) {
      return { ok: await checkSubscription(conn, "check failed") };
    },
  },
  alarms: {
    async [WEBHOOKS_TIMER](conn) {
      if (!(await conn.describe()) || !subscriptionWanted(conn.env)) return; // disconnected meanwhile: no new timer
      await checkSubscription(conn, "check failed");
      await conn.schedule(WEBHOOKS_TIMER, Date.now() + CHECK_EVERY_MS);
    },
  },
  async onConnect(conn) {
    if (!subscriptionWanted(conn.env)) return;
    await checkSubscription(conn, "not set up");
    await conn.schedule(WEBHOOKS_TIMER, Date.now() + CHECK_EVERY_MS);
  },
  async onDisconnect(conn) {
    await deleteSubscription(conn).catch((err) => {
      console.error(`webhooks: subscription not deleted company=${conn.subject}:`, err?.code ?? err?.name);
    });
  },
};
