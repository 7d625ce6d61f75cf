// createWorker's options, checked when the worker is built: a misspelled
// option (`leger`) used to type-check and be ignored, and the worker then
// booked into the demo ledger, reporting entries to Pleo as exported with
// vouchers that exist nowhere (issue #16). Unknown options are refused; an
// export-enabled worker needs a ledger, except on the local stand-in
// (PLEO_ENV=local) or when the demo ledger is chosen explicitly.

/** Every option createWorker reads (README "Extending"). */
export const WORKER_OPTIONS = [
  "features", // the partner's features, tried before the built-in ones
  "builtins", // replaces BUILTIN_FEATURES (e.g. without export)
  "ledger", // the partner's ledger: { book(entries, context) }
  "demoLedger", // true: book into the D1 demo ledger (binding LEDGER_DB), on purpose
  "apiAllowList", // the /api/* allow-list (default API_ALLOW_LIST)
  "identify", // partner accounts (worker/README.md "Partner accounts")
  "onEvent", // event delivery (docs/EVENTS.md)
];

function closest(name) {
  let best = null;
  let bestDistance = 3;
  for (const known of WORKER_OPTIONS) {
    const d = editDistance(name.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

function editDistance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** Throws a TypeError naming the first option that is unknown or of the wrong kind. */
export function checkWorkerOptions(options) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError("createWorker(options): options must be an object.");
  }
  for (const name of Object.keys(options)) {
    if (WORKER_OPTIONS.includes(name)) continue;
    const guess = closest(name);
    throw new TypeError(
      `createWorker: unknown option "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}. Known options: ${WORKER_OPTIONS.join(", ")}.`,
    );
  }
  const { ledger, demoLedger, apiAllowList, features, builtins, identify, onEvent } = options;
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw new TypeError("createWorker: `onEvent` must be a function (event, env) => void | Promise<void> (docs/EVENTS.md).");
  }
  if (identify !== undefined && typeof identify !== "function") {
    throw new TypeError("createWorker: `identify` must be a function (request, env) => ({ user, account }) | null.");
  }
  if (ledger !== undefined && typeof ledger?.book !== "function") {
    throw new TypeError("createWorker: `ledger` must be an object with a book(entries, context) method.");
  }
  if (demoLedger !== undefined && typeof demoLedger !== "boolean") throw new TypeError("createWorker: `demoLedger` must be true or false.");
  if (ledger !== undefined && demoLedger) throw new TypeError("createWorker: pass either `ledger` or `demoLedger: true`, not both.");
  for (const [name, list] of [
    ["features", features],
    ["builtins", builtins],
  ]) {
    if (list !== undefined && !Array.isArray(list)) throw new TypeError(`createWorker: \`${name}\` must be an array of features.`);
  }
  if (apiAllowList !== undefined) {
    const ok =
      Array.isArray(apiAllowList) &&
      apiAllowList.every((r) => typeof r?.path === "string" && r.path.startsWith("/") && Array.isArray(r.methods));
    if (!ok)
      throw new TypeError('createWorker: `apiAllowList` must be an array of { path: "/v1/…", methods: ["GET", …], exact?: boolean }.');
  }
}

/**
 * The worker's features (the partner's, then the built-ins), checked at
 * start-up: each has a name, no name twice, and every name a feature lists
 * in `requires` is there. The built-ins require nothing of each other:
 * without export, webhooks are verified and recorded but ask for no
 * look-up; without webhooks, export finds jobs by its poll.
 */
export function checkFeatures(features) {
  const names = new Set();
  for (const feature of features) {
    if (typeof feature?.name !== "string" || !feature.name) throw new TypeError("createWorker: every feature needs a `name`.");
    if (names.has(feature.name)) throw new TypeError(`createWorker: two features are named "${feature.name}".`);
    names.add(feature.name);
  }
  for (const feature of features) {
    if (feature.requires !== undefined && !Array.isArray(feature.requires)) {
      throw new TypeError(`createWorker: feature "${feature.name}": \`requires\` must be an array of feature names.`);
    }
    for (const needed of feature.requires ?? []) {
      if (!names.has(needed)) {
        throw new TypeError(
          `createWorker: feature "${feature.name}" requires the feature "${needed}", which this worker does not have (see \`features\` and \`builtins\`).`,
        );
      }
    }
  }
}

/**
 * Which ledger an export-enabled worker books into:
 *   "partner"  options.ledger
 *   "demo"     the D1 demo ledger, chosen with demoLedger: true
 *   "local"    PLEO_ENV=local without a ledger: the demo ledger (D1 when bound, else in memory)
 *   null       none: the worker refuses to serve (and the runner to book)
 */
export function ledgerKind(options, env) {
  if (options?.ledger) return "partner";
  if (options?.demoLedger) return "demo";
  if (env?.PLEO_ENV === "local") return "local";
  return null;
}

export const NO_LEDGER_MESSAGE =
  "Exports are on but no ledger is configured: pass createWorker({ ledger }) (or demoLedger: true to book into the D1 demo ledger on purpose), " +
  "or leave export out of `builtins`. Without one, entries would be reported to Pleo as exported with vouchers that exist nowhere.";
