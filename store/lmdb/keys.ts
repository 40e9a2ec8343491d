/**
 * LMDB key layout of the embedded store. Keys are ordered-binary arrays (lmdb-js), compared
 * element by element: strings by UTF-8 bytes, numbers numerically, numbers before strings.
 *
 *   rev    [cluster, gk, namespace, name, ts, deleted(0|1), rvSort, uid] → StoredRevision
 *          One object name's revisions are contiguous and in compareRevisions order, so "as of T"
 *          is one reverse seek and history is one range read. A value holds either a full copy
 *          of the object (`obj`) or an RFC 6902 `patch` against the previous revision of the same
 *          uid; a full copy (deflated JSON, full-copy.ts) starts every chain of at most CHAIN_MAX revisions, so reading any
 *          revision applies at most CHAIN_MAX small patches. A chain may also restart early (a large
 *          change, or a writer that no longer holds the uid's latest state in memory).
 *   ids    [cluster, uid, resourceVersion | DELETED_ID]                  → [ts, resourceVersion]
 *          Revision identity (core/record.ts): dedupe and the audit/watch merge. With the
 *          record's own kind, namespace and name this rebuilds the rev key.
 *   sum    [cluster, ts, uid, rvSort]                                   → slim row (slim-rows.ts)
 *          The slim object (core/present/slim.ts) of a revision that is not a deletion (or SAME as
 *          its predecessor's), in time order (appends fill pages in order). Format v5 only
 *          (lmdb-history-store.ts LMDB_FORMAT); absent in v4 and v3 stores. A summary list as of T
 *          reads these instead of rebuilding objects (LmdbHistoryStore.summaryStatesAt).
 *   ord    [cluster, gk, namespace, name]                               → mark (µs)
 *          Order marks (order.ts): no revision of the name stored later than its mark (none
 *          without one) can be out of order, so when the newest key stored by T is later, it is
 *          the revision in force at T. Format v6 only; absent in older stores (there, every read
 *          takes the window).
 *   life   [cluster, gk, namespace, name, uid]                          → StoredLifetime
 *          One row per uid: when it was first seen and when it was deleted. "Namespace N at T"
 *          scans [cluster, gk, N] here, not the revisions.
 *   feed   [cluster, ts, gk, namespace, name, uid, deleted, rvSort]     → StoredFeedEntry
 *          The change feed in time order across every object (small values: op, source, actor).
 *   actors [cluster, actorId]                                           → Actor
 *          Actors interned once; revisions and feed entries carry the short id.
 *   meta   ['cluster', name] → {firstSeen, lastSeen};  ['kind', cluster, gk] → SeenKind
 */
import { rvSortKey } from '../../core/record.ts';
import type { JsonPatchOp } from '../../k8s/json-patch.ts';
import type { Op } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import type { RevisionRef } from '../../core/ports.ts';

export type Key = (string | number)[];

/** Sorts after every string an ordered-binary key can hold (the largest code point). */
export const KEY_MAX = '\u{10FFFF}';
export const DELETED_ID = '\u0000DELETED';
export const TS_MIN = Number.MIN_SAFE_INTEGER;
export const TS_MAX = Number.MAX_SAFE_INTEGER;
/** Longest run of patches before a full copy. */
export const CHAIN_MAX = 8;

export interface StoredRevision {
  op: Op;
  observedAt: Micros;
  source: string;
  apiVersion: string;
  actor?: string;
  verb?: string;
  auditID?: string;
  gap?: true;
  /** A full copy, packed (full-copy.ts; null: the object is unknown). Exactly one of obj and patch is present. */
  obj?: Uint8Array | null;
  /** Against the previous revision of the same uid. */
  patch?: JsonPatchOp[];
  /** Patches since the last full copy (0 for a full copy). */
  depth: number;
}

export interface StoredLifetime {
  apiVersion: string;
  from: Micros;
  to: Micros | null;
}

export interface StoredFeedEntry {
  op: Op;
  source: string;
  actor?: string;
  verb?: string;
  gap?: true;
}

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

export function feedKeyOfRev(k: Key): Key {
  return [k[0]!, k[4]!, k[1]!, k[2]!, k[3]!, k[7]!, k[5]!, k[6]!];
}

export function revKeyOfFeed(k: Key): Key {
  return [k[0]!, k[2]!, k[3]!, k[4]!, k[1]!, k[6]!, k[7]!, k[5]!];
}

/** The lifetime key of a rev key's uid. */
export function lifeKeyOfRev(revKey: Key, uid: string): Key {
  return [revKey[0]!, revKey[1]!, revKey[2]!, revKey[3]!, uid];
}

export function idKey(cluster: string, uid: string, op: Op, rv: string): Key {
  return [cluster, uid, op === 'DELETED' ? DELETED_ID : rv];
}

/**
 * The resourceVersion of a rev key. rvSortKey keeps a version as is unless it is a canonical
 * integer, which String() gives back exactly, so the key always spells it and no value need carry it.
 */
export function rvOf(k: Key): string {
  return String(k[6]);
}

/** A resourceVersion as a number when it is a canonical integer (rev keys order those numerically). */
export function rvNumber(rv: string): number | undefined {
  const k = rvSortKey(rv);
  return typeof k === 'number' ? k : undefined;
}

/** What a rev key alone says about its revision (no value is read). */
export function refOfKey(k: Key): RevisionRef {
  return { ts: k[4] as Micros, uid: String(k[7]), resourceVersion: rvOf(k), deleted: k[5] === 1 };
}

function cmpPart(a: string | number, b: string | number): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
  return typeof a === 'number' ? -1 : 1;
}

/** Orders rev keys of one object name as LMDB does (ts, deleted, rvSort, uid). */
export function compareRevKeys(a: Key, b: Key): number {
  for (let i = 4; i < 8; i++) {
    const c = cmpPart(a[i]!, b[i]!);
    if (c) return c;
  }
  return 0;
}

/** An inclusive-start, exclusive-end range covering every key that starts with `prefix`. */
export function prefixRange(prefix: Key): { start: Key; end: Key } {
  return { start: prefix, end: [...prefix, KEY_MAX] };
}

/** The gk's kind and group (`Deployment.apps` → Deployment, apps; kinds have no dots). */
export function splitGk(gk: string): { kind: string; group: string } {
  const dot = gk.indexOf('.');
  return dot < 0 ? { kind: gk, group: '' } : { kind: gk.slice(0, dot), group: gk.slice(dot + 1) };
}
