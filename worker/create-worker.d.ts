// pleo-oauth/worker — the edge worker as a factory (see worker/README.md "Extending").

export interface Session {
  sid: string;
  companies: string[];
  expiresAt: number;
}

export interface RouteContext<Options = Record<string, unknown>> {
  request: Request;
  url: URL;
  env: Record<string, unknown>;
  config: Record<string, unknown>;
  app: {
    options: Options;
    connections: Connections;
    cacheTtlMs: number;
    /** Is the feature with this name in the worker (`builtins` may leave out "export" or "webhooks")? */
    hasFeature(name: string): boolean;
  };
  executionCtx?: unknown;
}

export interface ApiCall {
  (path: string, init?: { method?: string; headers?: Record<string, string>; body?: BodyInit; timeoutMs?: number }): Promise<Response>;
}

export interface UseArgs {
  subject: string;
  accessToken: string;
  api: ApiCall;
}

export interface ConnectionContext<Options = Record<string, unknown>> {
  readonly subject: string | null;
  env: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  options: Options;
  /** The object's Durable Object storage: prefix keys with your feature's name. */
  storage: unknown;
  describe(): Promise<Record<string, unknown> | null>;
  /** May this browser session (its id) act for this company? */
  holds(sid: string): Promise<boolean>;
  schedule(name: string, at: number): Promise<void>;
  cancel(name: string): Promise<void>;
  use<T>(fn: (args: UseArgs) => Promise<T>): Promise<T>;
  /** This feature's own per-object memory: a plain object, not kept when the object is evicted. */
  memory: Record<string, any>;
  /** Another feature's connection method in this object, no hop (features talk through these). */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** Whether a feature of this worker registered `method` (`builtins` may leave one out). */
  offers(method: string): boolean;
  connections: Connections;
}

export interface Feature<Options = Record<string, unknown>> {
  /** Unique among the worker's features. */
  name: string;
  prefix?: string;
  /** Names of the features this one cannot work without: createWorker throws at start-up when one is missing. */
  requires?: string[];
  handle?(ctx: RouteContext<Options>): Response | Promise<Response>;
  connection?: {
    methods?: Record<string, (conn: ConnectionContext<Options>, ...args: any[]) => unknown>;
    alarms?: Record<string, (conn: ConnectionContext<Options>, firedAt: number) => unknown>;
    onConnect?(conn: ConnectionContext<Options>, info: { reconnected: boolean }): unknown;
    onDisconnect?(conn: ConnectionContext<Options>, info: { tokens: boolean }): unknown;
    /** This feature's fields of the company's summary row (the operator console), merged over the connection's own. */
    summary?(conn: ConnectionContext<Options>): Record<string, unknown> | Promise<Record<string, unknown>>;
  };
}

/** A company's summary row in the directory (what GET /ops/api/companies lists, plus updatedAt). */
export interface CompanySummary {
  subject: string;
  name: string | null;
  status: "active" | "needs_reconnect";
  account?: string;
  scopes: string[];
  connectedAt: number | null;
  refreshedAt: number | null;
  expiresAt: number | null;
  keepAliveAt: number | null;
  lastWebhookAt: number | null;
  export: { lastJobId: string | null; lastStatus: string | null; running: boolean; failedItems: number; gaveUp: number };
  updatedAt: number;
}

export interface Connections {
  use<T>(subject: string, fn: (args: UseArgs) => Promise<T>): Promise<T>;
  list(): Promise<CompanySummary[]>;
  describe(subject: string): Promise<Record<string, unknown> | null>;
  call<T = unknown>(subject: string, method: string, ...args: unknown[]): Promise<T>;
  disconnect(subject: string): Promise<{ ended: boolean; revoked: boolean }>;
}

/**
 * A Durable Object class made by createWorker. Its instances are typed `any` so that the
 * runtime types of `wrangler types` (DurableObjectNamespace<…>, the Durable Object brand)
 * accept it without this package depending on @cloudflare/workers-types.
 */
export interface DurableObjectClass {
  new (state: any, env: any): any;
}

export interface WorkerApp<Env = Record<string, unknown>> {
  fetch(request: Request, env: Env, ctx?: unknown): Promise<Response>;
  ConnectionObject: DurableObjectClass;
  DirectoryObject: DurableObjectClass;
  features: Feature[];
  connections(env: Env): Connections;
}

/**
 * An export item as Pleo sends it (`GET /v3/export-items`, schema ExportItemV3 of Pleo's export
 * OpenAPI document): what `JSON.parse(entry.json)` gives a ledger. The required fields are typed;
 * the optional ones (supplier, vendor, files, note, bookkeeping, team, user, contraAccount, …)
 * are left `unknown` to check before use. Money is integer minor units.
 */
export interface ExportItem {
  accountingEntryId: string;
  companyId: string;
  /** ISO date. */
  date: string;
  /** One of Pleo's ExportItemTypeV3 values. */
  type: string;
  amount: unknown;
  accountingEntryLines: unknown[];
  additionalInformation: unknown;
  _links: unknown;
  [field: string]: unknown;
}

/** One accounting entry handed to the ledger: its id and the export item exactly as Pleo sent it (raw JSON text; money in integer minor units). */
export interface LedgerEntry {
  accountingEntryId: string;
  json: string;
}
export type LedgerResult =
  | { accountingEntryId: string; status: "successful"; externalId: string; externalUrl?: string }
  | { accountingEntryId: string; status: "failed"; failureReason: string; failureReasonType: string };
/**
 * The partner's ledger for Pleo exports (docs/EXPORT.md): books a batch (≤ 100 entries) and
 * answers one result per entry. Must be idempotent on accountingEntryId (a batch may be handed
 * over again after a crash); throwing means "unavailable, try later". Pass it as
 * createWorker({ ledger }). Without one, an export-enabled worker refuses to serve, except with
 * PLEO_ENV=local or `demoLedger: true` (the D1 demo ledger, binding LEDGER_DB).
 */
export interface Ledger {
  book(entries: LedgerEntry[], context: LedgerContext): Promise<LedgerResult[]>;
  /**
   * Optional (docs/EXPORT.md "Receipts"): stores one receipt of a booked entry, streamed; read
   * `body` to its end and store nothing if it errors. Idempotent on (accountingEntryId, index).
   * `sha256` resolves with the body's hex SHA-256 once it was read to its end.
   */
  saveReceipt?(
    receipt: {
      accountingEntryId: string;
      index: number;
      type: string;
      size: number;
      sha256: Promise<string>;
      body: ReadableStream<Uint8Array>;
    },
    context: LedgerContext,
  ): Promise<void>;
  /** Optional: true when that receipt is stored already (the run then skips its download). */
  hasReceipt?(receipt: { accountingEntryId: string; index: number }, context: LedgerContext): Promise<boolean>;
  /** Optional: false when this ledger keeps no receipts here (then none are fetched). */
  storesReceipts?(context: LedgerContext): boolean;
}
export interface LedgerContext {
  company: string;
  jobId: string;
  env: Record<string, unknown>;
}

/** One entry of the /api/* allow-list: a path prefix (whole segments; `exact` for the path only) and its methods. */
export interface ApiAllowRule {
  path: string;
  methods: string[];
  exact?: boolean;
}
/** The default /api/* allow-list (the export API is read-only through it). */
export declare const API_ALLOW_LIST: readonly ApiAllowRule[];

/** createWorker's options: any other name is refused (a TypeError at start, and a type error here). */
export interface WorkerOptions {
  /** The partner's features, tried before the built-in ones. */
  features?: Feature<any>[];
  /** Replaces BUILTIN_FEATURES (e.g. without export, which then needs no ledger). */
  builtins?: Feature<any>[];
  /** Where exported entries are booked. Required when export is on, unless demoLedger or PLEO_ENV=local. */
  ledger?: Ledger;
  /** true: book into the D1 demo ledger (binding LEDGER_DB) on purpose. */
  demoLedger?: boolean;
  /** The /api/* allow-list (default API_ALLOW_LIST). */
  apiAllowList?: readonly ApiAllowRule[];
  /**
   * Partner accounts: the partner's signed-in user from its own auth (cookie, JWT), or null.
   * Connections are then granted to the account that connected them; without it, anonymous browser sessions.
   */
  identify?: (request: Request, env: any) => PartnerIdentity | null | Promise<PartnerIdentity | null>;
  /**
   * Events (docs/EVENTS.md): called at least once per event, in each company's order, from the
   * company's Durable Object. Throwing (or not settling within 15 s) means "not accepted": the
   * event stays in the company's outbox and is offered again with backoff. De-duplicate on `event.id`.
   * With an `EVENTS` queue binding, each event is also sent to that Cloudflare Queue.
   */
  onEvent?: (event: WorkerEvent, env: any) => void | Promise<void>;
}

/** The event types (docs/EVENTS.md). */
export type WorkerEventType =
  | "connection.connected"
  | "connection.reconnected"
  | "connection.needs_reconnect"
  | "connection.disconnected"
  | "refresh.failed"
  | "keepalive.refreshed"
  | "export.job.started"
  | "export.job.finished"
  | "export.run.gave_up"
  | "webhook.rejected";

/** One event: never a token or a secret. The other members depend on `type` (docs/EVENTS.md). */
export interface WorkerEvent {
  /** Unique per event: de-duplicate on it (delivery is at least once). */
  id: string;
  type: WorkerEventType;
  /** ISO 8601 time of the change. */
  at: string;
  /** The company's subject URN. */
  company: string;
  /** The company's name, when known. */
  name?: string;
  [detail: string]: unknown;
}

/** The partner's signed-in user, as `identify` returns it. */
export interface PartnerIdentity {
  user: string;
  account: string;
}

/** `Env`: your bindings' type (e.g. the `Env` of `wrangler types`); default a plain record. */
export function createWorker<Env = Record<string, unknown>>(options?: WorkerOptions): WorkerApp<Env>;
export function createConnections(env: Record<string, unknown>): Connections;
export declare const BUILTIN_FEATURES: Feature[];
export declare const DirectoryObject: DurableObjectClass;
export declare class WorkerError extends Error {
  constructor(status: number, code: string, message: string);
  status: number;
  code: string;
}
export function errorResponse(status: number, code: string, message: string, headers?: Record<string, string>): Response;
export function jsonResponse(value: unknown, status?: number, headers?: Record<string, string>): Response;
export function checkCsrf(request: Request, config: Record<string, unknown>): void;
export function readSession(request: Request, config: Record<string, unknown>): Promise<Session | null>;
export function requireSession(request: Request, config: Record<string, unknown>): Promise<Session>;
export function selectCompany(request: Request, session: Session, url?: URL): string;
/**
 * The whole check before a route acts for a company: CSRF (with `csrf: true`), the session, the
 * selected company, and the company's own object (does this session still hold it?). Throws a
 * WorkerError (401 no_session / no_connection, 403 csrf_rejected / company_not_allowed).
 */
export function requireCompanyAccess(
  ctx: { request: Request; url?: URL; env: Record<string, unknown>; config: Record<string, unknown> },
  options?: { csrf?: boolean },
): Promise<{ session: Session; subject: string; connection: Record<string, unknown> }>;
