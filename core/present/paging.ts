/**
 * The one paging mechanism of every list-shaped answer (objects, history, changes, events, scope
 * diffs, graphs): `limit` + `continue`, a default and a maximum page per query, and continue
 * tokens that carry the resolved times of the first page (as a Kubernetes continue token carries
 * its snapshot), so the pages of `at=now` or `from=now-1h` stay one consistent answer.
 *
 * A token is opaque to callers: base64url of `[version, query, times, cursor, filter digest]`. The
 * digest ties it to the filters of the request that made it; a token used with other filters, or
 * for another query, is refused (INVALID_ARGUMENT naming `continue`).
 */
import { invalidArgument } from '../errors.ts';
import type { Micros } from '../time.ts';

export const PAGED_QUERIES = ['objects', 'history', 'changes', 'events', 'diff', 'graph', 'failures'] as const;
export type PagedQuery = (typeof PAGED_QUERIES)[number];

/** Default and largest page of each query; a larger `limit` is served as pages of the largest. */
export const PAGE_LIMITS: Readonly<Record<PagedQuery, { default: number; max: number }>> = Object.freeze({
  objects: { default: 500, max: 5000 },
  history: { default: 500, max: 5000 },
  changes: { default: 1000, max: 10_000 },
  events: { default: 500, max: 5000 },
  diff: { default: 500, max: 5000 },
  graph: { default: 1000, max: 5000 },
  failures: { default: 200, max: 2000 },
});

/** The page size a request gets: its `limit` within the query's maximum, else the default. */
export function pageSize(query: PagedQuery, limit: number | undefined): number {
  const l = PAGE_LIMITS[query];
  return Math.min(limit ?? l.default, l.max);
}

/** Where the next page starts: an offset, or a query's own position (e.g. [ts, n] of a feed). */
export type Cursor = number | (string | number)[];

export interface PageToken {
  query: PagedQuery;
  /** The times the first page resolved (`[at]` or `[from, to]`); later pages reuse them. */
  times: Micros[];
  cursor: Cursor;
}

/** A short digest of a request's filters (FNV-1a), so a token cannot be moved to other filters. */
export function filterDigest(filters: Record<string, unknown>): string {
  const text = JSON.stringify(Object.keys(filters).sort().map((k) => [k, filters[k] ?? null]));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

export function encodeToken(t: PageToken, filters: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify([1, t.query, t.times, t.cursor, filterDigest(filters)])).toString('base64url');
}

const isCursor = (c: unknown): c is Cursor =>
  (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0) ||
  (Array.isArray(c) && c.length <= 8 && c.every((x) => typeof x === 'string' || Number.isSafeInteger(x)));

/**
 * Reads a token made by `encodeToken` for `query` with the same filters.
 * @throws INVALID_ARGUMENT naming `continue` for anything else.
 */
export function decodeToken(text: string, query: PagedQuery, filters: Record<string, unknown>): PageToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const [v, q, times, cursor, digest] = (Array.isArray(parsed) ? parsed : []) as unknown[];
  const ok = v === 1 && Array.isArray(times) && times.every((t) => Number.isSafeInteger(t)) && isCursor(cursor);
  if (!ok) throw invalidArgument('continue', 'not a token from a previous page of this list');
  if (q !== query) throw invalidArgument('continue', `a token of another query (${String(q)}), not of ${query}`);
  if (digest !== filterDigest(filters)) throw invalidArgument('continue', 'the token belongs to a request with other filters; repeat that request\'s parameters with it');
  return { query, times: times as Micros[], cursor: cursor as Cursor };
}

/** One page of an in-memory list at an offset cursor; `next` is the offset of the page after. */
export function pageAt<T>(items: readonly T[], offset: number, size: number): { items: T[]; next?: number } {
  const page = items.slice(offset, offset + size);
  return { items: page, ...(offset + size < items.length ? { next: offset + size } : {}) };
}
