/**
 * Query results as the API returns them: every Micros field becomes an RFC 3339 UTC string.
 * Everything else passes through unchanged.
 */
import type {
  ChangesResult,
  ClustersResult,
  DiffObjectResult,
  DiffScopeResult,
  GraphResult,
  HistoryResult,
  ListAtResult,
  ObjectAtResult,
  RevisionInfo,
} from '../core/query-types.ts';
import { formatTime } from '../core/time.ts';

type Timed<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

/** A revision with its `ts` as RFC 3339. */
export function presentRevision<R extends RevisionInfo>(r: R): Timed<R, 'ts'> {
  return { ...r, ts: formatTime(r.ts) };
}

/** `/v1/object`: `{cluster, at, object, revision}`. */
export function presentObjectAt(r: ObjectAtResult) {
  return { cluster: r.cluster, at: formatTime(r.at), object: r.object, revision: presentRevision(r.revision) };
}

/** `/v1/objects`: `{cluster, at, items, continue?}`. */
export function presentListAt(r: ListAtResult) {
  return { ...r, at: formatTime(r.at) };
}

/** `/v1/history`: every item's `ts` formatted. */
export function presentHistory(r: HistoryResult) {
  return { ...r, items: r.items.map(presentRevision) };
}

/** `/v1/diff` (object or scope): `from` and `to` formatted. */
export function presentDiff<R extends DiffObjectResult | DiffScopeResult>(r: R): Timed<R, 'from' | 'to'> {
  return { ...r, from: formatTime(r.from), to: formatTime(r.to) };
}

/** `/v1/graph`: `at` formatted. */
export function presentGraph(r: GraphResult) {
  return { ...r, at: formatTime(r.at) };
}

/** `/v1/changes`: every item's `ts` formatted. */
export function presentChanges(r: ChangesResult) {
  return { ...r, items: r.items.map(presentRevision) };
}

/** `/v1/clusters`: `firstSeen` and `lastSeen` formatted. */
export function presentClusters(r: ClustersResult) {
  return { items: r.items.map((c) => ({ ...c, firstSeen: formatTime(c.firstSeen), lastSeen: formatTime(c.lastSeen) })) };
}
