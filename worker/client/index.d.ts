// pleo-oauth/client — a browser entry for pages served by the pleo-oauth edge worker.

export type ConnectionStatus = "active" | "needs_reconnect";

export interface Connection {
  subject: string;
  name: string | null;
  status: ConnectionStatus;
  scopes: string[];
  /** Scopes the features of this worker need that this company's token lacks (e.g. export-items:read); empty when none. */
  missingScopes: string[];
  expiresAt: number | null;
  connectedAt: number;
  reconnectedAt: number | null;
  refreshedAt: number | null;
  refreshable: boolean;
  history: { at: number; event: string }[];
  default: boolean;
}

export interface SessionInfo {
  connected: boolean;
  connections: Connection[];
  companyHeader: string;
  sessionExpiresAt: number | null;
  /** With createWorker({ identify }) and a signed-in partner user: their account and user id. */
  account?: string;
  user?: string;
  now: number;
  client: {
    environment: string;
    clientId: string;
    redirectUri: string;
    scopes: string[];
    provider: { issuer: string; authorizationEndpoint: string; tokenEndpoint: string; issParameterSupported: boolean };
  };
}

export interface ExportJobSummary {
  id: string;
  /** Pleo's job status as the worker last saw it (or "not_found"). */
  status: string;
  numberOfItems: number | null;
  /** Items booked / failed so far. */
  exported: number;
  failed: number;
  createdAt?: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** Why a run ended early (e.g. gave up after retries), or null. */
  error?: { code: string; message: string } | null;
}

/** Money as Pleo sends it: integer minor units (896.96 SEK is { currency: "SEK", value: 89696 }). */
export interface Money {
  currency: string;
  value: number;
}

export interface ExportJobItem {
  accountingEntryId: string;
  status: "successful" | "failed" | string;
  externalId: string | null;
  externalUrl: string | null;
  failureReason: string | null;
  failureReasonType: string | null;
  date: string | null;
  type: string | null;
  supplier: string | null;
  amount: Money | null;
  walletAmount: Money | null;
  bookedAt: string;
}

export interface ExportJobDetail extends ExportJobSummary {
  items: ExportJobItem[];
}

export declare class WorkerRequestError extends Error {
  name: "WorkerRequestError";
  status: number;
  /** The worker's error code, e.g. "no_session", "company_not_allowed", "pleo_rate_limited". */
  code: string;
  /** Seconds, from Retry-After (429). */
  retryAfter?: number;
}

export interface CallOptions {
  /** The company (subject URN) to act for; default the session's newest. */
  company?: string | undefined;
  method?: string | undefined;
  body?: unknown | undefined;
  headers?: Record<string, string> | undefined;
}

export interface PleoWorkerClient {
  session(): Promise<SessionInfo>;
  connectUrl(opts?: { returnTo?: string | undefined; company?: string | undefined }): string;
  api<T = unknown>(path: string, opts?: CallOptions): Promise<T>;
  refresh(opts?: {
    company?: string | undefined;
  }): Promise<{ refreshed: true; connection: Omit<Connection, "history" | "default">; now: number }>;
  logout(): Promise<{ connected: false; left: number }>;
  disconnect(opts?: {
    company?: string | undefined;
  }): Promise<{ disconnected: string; ended: boolean; revoked: boolean; connected: boolean }>;
  exportJobs(opts?: { company?: string | undefined }): Promise<{ jobs: ExportJobSummary[] }>;
  exportJob(id: string, opts?: { company?: string | undefined }): Promise<ExportJobDetail>;
  runExport(opts?: { company?: string | undefined }): Promise<{ started: boolean; jobId: string | null }>;
  exportCsvUrl(id: string, opts?: { company?: string | undefined }): string;
}

/**
 * The page must be served from the worker's origin: the session cookie is same-origin only
 * (SameSite=Strict, no CORS), so there is no `baseUrl` (passing one throws a TypeError).
 */
export function createClient(opts?: { fetch?: typeof fetch | undefined; companyHeader?: string | undefined }): PleoWorkerClient;
