// The typed refusals of a company's connection (codes in api.md).
import { WorkerError } from "../http/responses.js";

export const noSession = () =>
  new WorkerError(401, "no_session", "This browser session has ended for that company. Connect to Pleo again.");
export const noConnection = () => new WorkerError(401, "no_connection", "This company is not connected.");
export const needsReconnect = () =>
  new WorkerError(401, "connection_expired", "Pleo no longer accepts this company's connection. Press Reconnect.");
