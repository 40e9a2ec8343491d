/**
 * LMDB key layout of the embedded store. Keys are ordered-binary arrays (lmdb-js), so they sort
 * element by element: strings by UTF-8 bytes, numbers numerically, numbers before strings.
 *
 *   rev   [cluster, gk, namespace, name, ts, deleted(0|1), rvSort, uid] → StoredRevision
 *         One object name's revisions are contiguous and in compareRevisions order, so "as of T"
 *         is one reverse seek from [.., name, T+1) and history is one range read.
 *   ids   [cluster, uid, resourceVersion | DELETED_ID]                  → rev key
 *         Revision identity (core/record.ts): dedupe and audit/watch merge.
 *   life  [cluster, gk, namespace, name, uid]                          → StoredLifetime
 *         One row per uid: its span, its current delta base, its latest revision's key.
 *         "Namespace N at T" scans [cluster, gk, N] here, not the revisions.
 *   feed  [cluster, ts, gk, namespace, name, uid, deleted, rvSort]     → StoredFeedEntry
 *         The change feed in time order across every object.
 *   bases [cluster, uid, baseRv]                                       → full object
 *         Revisions are stored as an RFC 6902 patch against their uid's base (a full copy,
 *         renewed when the patch would exceed BASE_RENEW_RATIO of it).
 *   meta  ['cluster', name] → {firstSeen, lastSeen};  ['kind', cluster, gk] → SeenKind
 */
import { compareRevisions, rvSortKey } from '../../core/record.ts';
import type { Actor, Op } from '../../core/record.ts';
import type { JsonPatchOp } from '../../core/json-patch.ts';
import type { Micros } from '../../core/time.ts';

export type Key = (string | number)[];

/** Sorts after every string an ordered-binary key can hold (the largest code point). */
export const KEY_MAX = '\u{10FFFF}';
export const DELETED_ID = '\u0000DELETED';
export const TS_MIN = Number.MIN_SAFE_INTEGER;
export const TS_MAX = Number.MAX_SAFE_INTEGER;

export interface StoredRevision {
  uid: string;
  rv: string;
  op: Op;
  ts: Micros;
  observedAt: Micros;
  source: string;
  actor?: Actor;
  verb?: string;
  auditID?: string;
  gap?: boolean;
  apiVersion: string;
  group: string;
  kind: string;
  resource: string;
  /** baseRv of the full copy this revision patches; null when the object is unknown. */
  base: string | null;
  patch?: JsonPatchOp[];
}

export interface StoredLifetime {
  group: string;
  kind: string;
  apiVersion: string;
  resource: string;
  from: Micros;
  to: Micros | null;
  base: string | null;
  baseSize: number;
  /** rev key of this uid's latest revision (by compareRevisions). */
  lastKey: Key | null;
}

export type StoredFeedEntry = Omit<StoredRevision, 'base' | 'patch' | 'observedAt' | 'auditID' | 'apiVersion' | 'resource'>;

export interface RevParts {
  cluster: string;
  gk: string;
  namespace: string;
  name: string;
  ts: Micros;
  op: Op;
  rv: string;
  uid: string;
}

export function revKey(p: RevParts): Key {
  return [p.cluster, p.gk, p.namespace, p.name, p.ts, p.op === 'DELETED' ? 1 : 0, rvSortKey(p.rv), p.uid];
}

export function feedKey(p: RevParts): Key {
  return [p.cluster, p.ts, p.gk, p.namespace, p.name, p.uid, p.op === 'DELETED' ? 1 : 0, rvSortKey(p.rv)];
}

export function idKey(cluster: string, uid: string, op: Op, rv: string): Key {
  return [cluster, uid, op === 'DELETED' ? DELETED_ID : rv];
}

/** Whether rev key `a` sorts after rev key `b` under compareRevisions (same object name). */
export function revKeyAfter(a: Key, b: Key): boolean {
  const toRev = (k: Key) => ({ ts: k[4] as number, op: (k[5] === 1 ? 'DELETED' : 'MODIFIED') as Op, resourceVersion: String(k[6]) });
  return compareRevisions(toRev(a), toRev(b)) > 0;
}

/** An inclusive-start, exclusive-end range covering every key that starts with `prefix`. */
export function prefixRange(prefix: Key): { start: Key; end: Key } {
  return { start: prefix, end: [...prefix, KEY_MAX] };
}
