// Cursor pagination in the shape of Pleo's list endpoints (CursorPageInfo in
// dev/pleo-api/, docs/PLEO-API.md "Pagination"): query before / after
// (opaque base32 cursors), offset, limit, sorting_keys, sorting_order;
// response pagination {currentRequestPagination, hasNextPage,
// hasPreviousPage, startCursor?, endCursor?, total}. Members that have no
// value are left out, not null: the documents type them (string, integer).
//
// Lists arrive as [{key, value}] in ascending key order. A cursor names the
// key of the element it stands for, not its position, so a page boundary stays
// put while other elements change status under a filter. Cursors are base32
// (RFC 4648 §6, unpadded) like Pleo's, and opaque to clients.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export class PaginationError extends Error {}

function base32(text) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of Buffer.from(text)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text) {
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(bytes).toString();
}

const encodeCursor = (key) => base32(`k:${key}`);

function decodeCursor(query, name) {
  const cursor = query.get(name);
  if (cursor === null) return null;
  const m = /^k:(-?\d{1,15})$/.exec(cursor.length <= 64 ? (unbase32(cursor) ?? "") : "");
  if (!m) throw new PaginationError(`${name} is not a valid cursor`);
  return Number(m[1]);
}

function intParam(query, name, { min, max, fallback }) {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new PaginationError(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

const PAGING_PARAMETERS = new Set(["before", "after", "offset", "limit", "page_limit", "sorting_keys", "sorting_order"]);

function otherParameters(query) {
  const out = {};
  for (const name of new Set(query.keys())) if (!PAGING_PARAMETERS.has(name)) out[name] = query.getAll(name);
  return out;
}

/**
 * @param {{key: number, value: any}[]} list ascending by key
 * @param {URLSearchParams} query
 * @returns {{data: any[], pagination: object}}
 */
export function paginate(list, query) {
  const limit = intParam(query, query.has("limit") ? "limit" : "page_limit", { min: 1, max: 100, fallback: 25 });
  const offset = intParam(query, "offset", { min: 0, max: 1e9, fallback: null });
  const order = (query.get("sorting_order") ?? "asc").toLowerCase();
  if (order !== "asc" && order !== "desc") throw new PaginationError("sorting_order must be asc or desc");
  const after = decodeCursor(query, "after");
  const before = decodeCursor(query, "before");
  const ordered = order === "desc" ? [...list].reverse() : list;
  const comesAfter = (key, cursor) => (order === "desc" ? key < cursor : key > cursor);

  let start = 0;
  let end = ordered.length;
  if (after !== null) start = ordered.findIndex((e) => comesAfter(e.key, after));
  if (start < 0) start = ordered.length;
  if (before !== null) {
    end = ordered.findIndex((e) => !comesAfter(before, e.key));
    if (end < 0) end = ordered.length;
  }
  if (offset !== null && after === null && before === null) start = Math.min(offset, ordered.length);
  if (before !== null && after === null) start = Math.max(start, end - limit);
  end = Math.max(start, Math.min(end, start + limit));
  const page = ordered.slice(start, end);
  return {
    data: page.map((e) => e.value),
    pagination: {
      currentRequestPagination: {
        ...(query.has("before") ? { before: query.get("before") } : {}),
        ...(query.has("after") ? { after: query.get("after") } : {}),
        ...(offset !== null ? { offset } : {}),
        limit,
        // The request's other query parameters, each a list of its values.
        parameters: otherParameters(query),
        sortingKeys: query.getAll("sorting_keys"),
        sortingOrder: [order.toUpperCase()],
      },
      hasNextPage: end < ordered.length,
      hasPreviousPage: start > 0,
      ...(page.length ? { startCursor: encodeCursor(page[0].key), endCursor: encodeCursor(page[page.length - 1].key) } : {}),
      total: ordered.length,
    },
  };
}

/** Plain arrays (employees, companies): keyed by position. */
export const byPosition = (values) => values.map((value, key) => ({ key, value }));
