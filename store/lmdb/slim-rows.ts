/**
 * The embedded store's slim rows (keys.ts `sum`): each revision's slim object (core/present/slim.ts
 * `slimForSummary`), keyed by [cluster, ts, uid, resourceVersion] (a deletion has none; a merge
 * that moves a revision's time moves its row). Stored as a value of the database (msgpack, its record
 * structures shared as the other databases' are) without what the rev key already says (kind,
 * metadata name, namespace and uid, when they equal the key's): `[elided, rest]`, where `elided`
 * has a bit per member left out, so reading puts back exactly what was there; null: unknown.
 *
 * SAME (a row of one byte) stands for "the same slim object as the previous revision of this uid in
 * key order" (an update that changes nothing a summary shows: a heartbeat, a lease renewal, a probe
 * time). The writer never puts one after a deletion, and writes a revision's row in full again
 * whenever its predecessor changes (a revision inserted before it or removed, prune); a reader
 * follows it within the rev keys it has read, or reads the object in full.
 */
import { slimForSummary } from '../../core/present/slim.ts';
import type { KubeObject } from '../../core/record.ts';
import { splitGk, type Key } from './keys.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

/**
 * The slim row's key of a (non-deleted) revision's rev key: [cluster, ts, uid, resourceVersion],
 * in time order so that appends fill pages in order (random keys dirty a page per row).
 */
export function slimKey(revKey: Key): Key {
  return [revKey[0]!, revKey[4]!, revKey[7]!, revKey[6]!];
}

const KIND = 1;
const NAME = 2;
const NAMESPACE = 4;
const UID = 8;
const META = ['name', 'namespace', 'uid'] as const;
const BITS = [NAME, NAMESPACE, UID] as const;

/** What the rev key says of its object: kind, name, namespace, uid. */
function keyParts(revKey: Key): [kind: string, name: string, namespace: string, uid: string] {
  return [splitGk(String(revKey[1])).kind, String(revKey[3]), String(revKey[2]), String(revKey[7])];
}

/** A stored slim row. */
export type SlimRow = [elided: number, rest: Record<string, unknown>] | null | typeof SAME;

export const SAME = 0;

/** A 32-bit FNV-1a hash of a row's JSON text: rows whose hashes differ differ (equal hashes prove nothing). */
export function rowHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The row of a revision whose object is `obj`, and its rowHash (undefined for an unknown object):
 * SAME when its predecessor's (`prev`, which has a row) shows the same. `prevHash`, the hash of
 * the predecessor's row when the caller knows it: a different one shows the rows differ without
 * building the predecessor's; an equal one is checked in full.
 */
export function slimRowAfter(obj: KubeObject | null, revKey: Key, prev: KubeObject | null | undefined, prevHash?: number): { row: SlimRow; hash: number | undefined } {
  const row = packSlim(obj, revKey);
  if (row === null) return { row, hash: undefined };
  const text = JSON.stringify(row);
  const hash = rowHash(text);
  const same = prev !== undefined && prev !== null && (prevHash === undefined || prevHash === hash) && text === JSON.stringify(packSlim(prev, revKey));
  return { row: same ? SAME : row, hash };
}

/** The slim row of a revision whose object is `obj` (null: unknown). */
export function packSlim(obj: KubeObject | null, revKey: Key): Exclude<SlimRow, typeof SAME> {
  if (obj === null) return null;
  const slim = slimForSummary(obj) as Obj;
  const [kind, ...meta] = keyParts(revKey);
  let elided = 0;
  const rest: Obj = { ...slim };
  if (rest.kind === kind) {
    delete rest.kind;
    elided |= KIND;
  }
  const m = rest.metadata;
  if (m !== null && typeof m === 'object' && !Array.isArray(m)) {
    const left: Obj = { ...m };
    META.forEach((f, i) => {
      if (left[f] === meta[i]) {
        delete left[f];
        elided |= BITS[i]!;
      }
    });
    rest.metadata = left;
  }
  return [elided, rest];
}

/** The slim object a row holds (null: the object was unknown). */
export function unpackSlim(row: Exclude<SlimRow, typeof SAME>, revKey: Key): KubeObject | null {
  if (row === null) return null;
  const [elided, rest] = row;
  if (!elided) return rest as KubeObject;
  const [kind, ...meta] = keyParts(revKey);
  const out: Obj = elided & KIND ? { ...rest, kind } : rest;
  if (elided & (NAME | NAMESPACE | UID)) {
    const back: Obj = {};
    META.forEach((f, i) => {
      if (elided & BITS[i]!) back[f] = meta[i];
    });
    out.metadata = { ...back, ...(rest.metadata as Obj) };
  }
  return out as KubeObject;
}
