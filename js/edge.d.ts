// Types of the server/edge additions of `pleo-oauth`: webhook verification
// and the export core. Exported by the node and workerd entries and by
// `pleo-oauth/edge` (every runtime); the browser entry of `pleo-oauth` is
// OAuth-only and does not have them. docs/WEBHOOKS.md, docs/EXPORT-CORE.md.

// ---- webhooks (Standard Webhooks, as Pleo signs them) ----

export interface VerifyWebhookInput {
  /** A `Headers` (fetch) or a plain record; names are case-insensitive. */
  headers: { get(name: string): string | null } | Record<string, string>;
  /** The raw request body, unparsed: signed over these exact bytes (a string as UTF-8). */
  body: string | Uint8Array | ArrayBuffer;
  /** `whsec_<base64>` (the prefix may be absent). */
  secret: string;
  /** Milliseconds since the epoch; default `Date.now()`. */
  now?: number;
  /** Allowed clock difference in seconds, both directions; default 300. */
  toleranceSeconds?: number;
}

export interface VerifiedWebhook {
  /** `webhook-id`: deduplicate deliveries on it. */
  id: string;
  /** `webhook-timestamp`, Unix seconds. */
  timestamp: number;
  /** The body's `eventType` when it is a string, e.g. `"v1.export-job.created"` (Pleo delivers `{data, eventId, eventType}`). */
  type?: string;
  /** The body, parsed after the signature verified. */
  payload: unknown;
}

/**
 * Verifies a delivery: HMAC-SHA256 over `id.timestamp.body` against every
 * `v1` entry of `webhook-signature` (constant time), timestamp within the
 * tolerance, then parses the body.
 * @throws {OAuthError} `invalid_webhook` (a header missing or malformed, a bad
 *   secret, a body that is not JSON), `webhook_timestamp_out_of_range`,
 *   `webhook_signature_mismatch`, `invalid_input` (wrong argument types).
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifiedWebhook;

// ---- exports (Pleo's v3 export-job workflow) ----

export type ExportJobStatus = "pending" | "in_progress" | "failed" | "completed" | "completed_with_errors";
export type ExportItemStatus = "pending" | "in_progress" | "failed" | "successful" | "abandoned";
export type ExportJobEvent = "started" | "completed" | "completed_with_errors" | "failed";

/** A request without the bearer token: add `authorization: "Bearer …"` and send it. */
export interface ApiRequest {
  method: "GET" | "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  /** JSON; absent for GET. */
  body?: string;
}

/** An answer of the API. `status` 0 means the request did not complete. */
export interface ApiResponseLike {
  status: number;
  headers?: { get(name: string): string | null } | Record<string, string>;
  body: string;
}

export interface ExportItemReport {
  accountingEntryId: string;
  status: ExportItemStatus;
  /** ISO 8601; default the time of the request. */
  exportedAt?: string;
  externalId?: string;
  externalUrl?: string;
  failureReason?: string;
  /** e.g. `vendor_unknown`, `account_unknown`, `accounting_system_validation_failure`. */
  failureReasonType?: string;
}

interface ApiBaseOptions {
  /** e.g. `https://external.pleo.io` or the stand-in's `apiBaseUrl`. */
  apiBaseUrl: string;
}
interface PageOptions {
  after?: string;
  before?: string;
  /** 1..100 */
  limit?: number;
}

export const exportRequests: {
  listJobs(o: ApiBaseOptions & PageOptions & { companyId?: string; statuses?: ExportJobStatus[] }): ApiRequest;
  getJob(o: ApiBaseOptions & { jobId: string }): ApiRequest;
  jobEvent(o: ApiBaseOptions & { jobId: string; event: ExportJobEvent; failureReason?: string; failureReasonType?: string }): ApiRequest;
  jobItems(o: ApiBaseOptions & PageOptions & { jobId: string; status?: ExportItemStatus }): ApiRequest;
  exportItems(o: ApiBaseOptions & PageOptions & { jobId: string; companyId?: string }): ApiRequest;
  /** @throws {OAuthError} `too_many_items` for more than 100 items. */
  updateItems(o: ApiBaseOptions & { jobId: string; items: ExportItemReport[]; now?: number }): ApiRequest;
};

export interface ExportPagination {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string;
  endCursor?: string;
  total?: number;
}
export interface ExportJob {
  id: string;
  companyId?: string;
  status: ExportJobStatus;
  createdAt?: string;
  lastUpdatedAt?: string;
  startedAt?: string | null;
  completedAt?: string | null;
  /** Seconds left before the job expires (one hour after its last update). */
  expiresIn?: number;
  numberOfItems?: number;
  isInteractive?: boolean;
  failureReason?: string | null;
  failureReasonType?: string | null;
  [more: string]: unknown;
}
export interface ExportJobItem {
  accountingEntryId: string;
  exportJobId?: string;
  status: ExportItemStatus;
  exportedAt?: string | null;
  externalId?: string | null;
  externalUrl?: string | null;
  failureReason?: string | null;
  failureReasonType?: string | null;
}
/** One accounting entry: `json` is its exact text as Pleo sent it (money in integer minor units). */
export interface ExportEntry {
  accountingEntryId: string;
  json: string;
}

/**
 * @throws {OAuthError} with the export codes (see ExportErrorCode); `.status`,
 *   `.error` (Pleo's `type`), `.errorDescription` (Pleo's `message`, untrusted)
 *   and, for `rate_limited` / `api_unavailable`, `.retryAfterMs` when sent.
 */
export const exportResponses: {
  listJobs(res: ApiResponseLike): { jobs: ExportJob[]; pagination: ExportPagination };
  getJob(res: ApiResponseLike): ExportJob;
  jobEvent(res: ApiResponseLike): void;
  jobItems(res: ApiResponseLike): { items: ExportJobItem[]; pagination: ExportPagination };
  exportItems(res: ApiResponseLike): { entries: ExportEntry[]; pagination: ExportPagination };
  updateItems(res: ApiResponseLike): { updated: number; errors: { accountingEntryId: string; message: string; type: string }[] };
};

/**
 * The `OAuthError.code` values these functions add to `OAuthErrorCode`
 * (webhooks and exports). Stable API like the others.
 */
export type EdgeErrorCode = "invalid_webhook" | "webhook_timestamp_out_of_range" | "webhook_signature_mismatch" | ExportErrorCode;

export type ExportErrorCode =
  | "export_already_in_progress"
  | "invalid_status_change"
  | "job_finished"
  | "too_many_items"
  | "missing_contra_accounts"
  | "not_found"
  | "rate_limited"
  | "unauthorized"
  | "access_denied"
  | "api_unavailable"
  | "api_error"
  | "invalid_api_response";

export interface ExportCounts {
  successful: number;
  failed: number;
  reportErrors: number;
  skipped: number;
}

/** Persist after every call; pass the newest back. Fields beyond these are private. */
export interface ExportRunState {
  v: 1;
  jobId: string;
  companyId?: string;
  phase: "get_job" | "claim" | "scan" | "fetch" | "deliver" | "report" | "finish" | "done";
  total?: number;
  counts: ExportCounts;
  outcome?: { status: string; error?: { code: string; message: string } };
  [internal: string]: unknown;
}

export type ExportAction =
  | {
      type: "request";
      purpose: "get_job" | "claim" | "list_job_items" | "export_items" | "report" | "keep_alive" | "finish";
      request: ApiRequest;
    }
  | { type: "deliver"; entries: ExportEntry[] }
  | { type: "wait"; until: number; reason: "rate_limited" | "backoff" }
  | {
      type: "done";
      status: ExportJobStatus | "not_found" | "gave_up" | "unknown_status";
      counts: ExportCounts;
      error?: { code: string; message: string };
    };

export interface LedgerResult {
  accountingEntryId: string;
  status: "successful" | "failed";
  externalId?: string;
  externalUrl?: string;
  failureReason?: string;
  failureReasonType?: string;
  /** ISO 8601; default now. */
  exportedAt?: string;
}

export interface ExportRunOptions {
  apiBaseUrl: string;
  jobId: string;
  companyId?: string;
  /** Known from a listing: "pending" skips the first read of the job. */
  jobStatus?: "pending" | "in_progress";
  /** Export items per page, 1..100 (default 100). */
  pageSize?: number;
  /** Items per update, 1..100 (default 100). */
  reportBatch?: number;
  /** Write to the job when this long passed without a write (default 20 min). */
  keepAliveMs?: number;
  /** Tries per request before giving up (default 10). */
  maxAttempts?: number;
  /** Seeds the backoff jitter (default: random). */
  seed?: number;
  now?: number;
}

export function exportRunStart(opts: ExportRunOptions): ExportRunState;
export function exportRunNext(state: ExportRunState, now?: number): { state: ExportRunState; action: ExportAction };
export function exportRunFeed(state: ExportRunState, res: ApiResponseLike, now?: number): ExportRunState;
export function exportRunDelivered(state: ExportRunState, results: LedgerResult[], now?: number): ExportRunState;
