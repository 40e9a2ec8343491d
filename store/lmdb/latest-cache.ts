/**
 * The writer's memory of each uid's latest revision, so that an append can diff against its
 * predecessor without reading the chain back from LMDB (a reverse range read, an inflate and up
 * to CHAIN_MAX - 1 patches: the cost that dominated ingest when objects churn at random).
 *
 * Two tiers. Every cached uid keeps where its latest revision is (key, depth, lifetime, versions:
 * a few hundred bytes). The most recently used also keep their latest object parsed (about 7 KB
 * of heap for a Pod). Both tiers evict the least recently used. Beyond the parsed tier an object
 * is rebuilt from its chain in the store (`load`: one reverse range read of committed pages, an
 * inflate and the patches). With `keepChains` every entry also keeps its chain packed as stored
 * (the full copy, about a quarter of the JSON, and the patches after it: about 2 KB for a Pod, up
 * to 100+ MB of anonymous memory at 50,000 live Pods), which saves that range read.
 *
 * The objects of revisions not yet committed (the store's queued puts) are pinned until `settle`
 * (called once the append that wrote them is committed): the store cannot return them before, and
 * the caller's records hold them anyway.
 *
 * Two Maps kept in insertion order rather than lru-cache: the tiers evict together (a uid leaving
 * the packed tier leaves the parsed one), and the parsed tier holds null for a deleted object,
 * which lru-cache does not store; a wrapper per append would cost on the ingest hot path.
 */
import { applyPatches, type JsonPatchOp } from '../../k8s/json-patch.ts';
import type { KubeObject } from '../../core/record.ts';
import { unpackFull } from './full-copy.ts';
import type { Key, StoredLifetime } from './keys.ts';

export interface LatestEntry {
  /** Rev key of the uid's latest stored revision. */
  key: Key;
  /** Its depth in its chain (StoredRevision.depth). */
  depth: number;
  /** The chain's full copy, packed as stored (null: the object is unknown; undefined: not kept, read the store). */
  full: Uint8Array | null | undefined;
  /** The patches after the full copy, oldest first, each as JSON text (kept only with `full`). */
  patches: string[];
  /** The uid's lifetime row as stored. */
  life: StoredLifetime;
  /**
   * The greatest resourceVersion stored for the uid, when every revision of it was written while
   * this entry existed and all had integer versions (undefined otherwise): a record with a greater
   * version cannot be stored yet, so its identity needs no lookup.
   */
  maxRv: number | undefined;
  /** The rowHash (slim-rows.ts) of the latest revision's slim row, when the writer computed it. */
  slimHash: number | undefined;
}

/** What a revision's stored form adds to its uid's chain. */
export type Encoded = { obj: Uint8Array | null; depth: number } | { patch: JsonPatchOp[]; depth: number };

export interface LatestCacheOptions {
  /** Entries kept at all. */
  packed: number;
  /** Entries whose latest object stays parsed. */
  parsed: number;
  /** Keep every entry's chain packed in memory (see the file comment). */
  keepChains: boolean;
  /** The object of a committed revision, rebuilt from the store. */
  load: (key: Key) => KubeObject | null;
}

export class LatestCache {
  readonly #packed = new Map<string, LatestEntry>();
  readonly #parsed = new Map<string, KubeObject | null>();
  /** Latest objects of revisions written since the last settle (not readable from the store yet). */
  readonly #pending = new Map<string, KubeObject | null>();
  readonly #o: LatestCacheOptions;

  constructor(opts: LatestCacheOptions) {
    this.#o = opts;
  }

  get(uid: string): LatestEntry | undefined {
    const e = this.#packed.get(uid);
    if (e) touch(this.#packed, uid, e);
    return e;
  }

  /** The latest object of a cached uid, unpacked from its chain unless still parsed. */
  object(uid: string, e: LatestEntry): KubeObject | null {
    const pinned = this.#pending.get(uid);
    if (pinned !== undefined || this.#pending.has(uid)) return pinned!;
    const hot = this.#parsed.get(uid);
    if (hot !== undefined || this.#parsed.has(uid)) return hot!;
    if (e.full === undefined) return this.#o.load(e.key);
    const base = unpackFull(e.full);
    if (base === null || e.patches.length === 0) return base;
    return applyPatches(base, JSON.parse(`[${e.patches.join(',')}]`) as JsonPatchOp[][]);
  }

  /**
   * Records a revision appended after the cached latest (`prev`, or none: it starts the entry,
   * which then must be a full copy) with its object.
   */
  append(uid: string, prev: LatestEntry | undefined, rev: { key: Key; encoded: Encoded; object: KubeObject | null; life: StoredLifetime; rv: number | undefined; slimHash: number | undefined }): void {
    const { key, encoded, object, life } = rev;
    let e: LatestEntry;
    if (!this.#o.keepChains) {
      e = prev ?? { key, depth: 0, full: undefined, patches: [], life, maxRv: rev.rv, slimHash: undefined };
      e.key = key;
      e.depth = encoded.depth;
      e.life = life;
      if (prev) e.maxRv = prev.maxRv !== undefined && rev.rv !== undefined ? Math.max(prev.maxRv, rev.rv) : undefined;
      this.#pending.set(uid, object);
    } else if ('obj' in encoded) {
      // A fresh copy of exactly its bytes: zlib's output may be a view into a larger buffer.
      e = { key, depth: 0, full: encoded.obj && new Uint8Array(encoded.obj), patches: [], life, maxRv: rev.rv, slimHash: undefined };
      if (prev) e.maxRv = prev.maxRv !== undefined && rev.rv !== undefined ? Math.max(prev.maxRv, rev.rv) : undefined;
    } else {
      if (!prev || prev.full === undefined) throw new Error('a patch needs the chain it extends');
      e = prev;
      e.key = key;
      e.depth = encoded.depth;
      e.patches.push(JSON.stringify(encoded.patch));
      e.life = life;
      e.maxRv = e.maxRv !== undefined && rev.rv !== undefined ? Math.max(e.maxRv, rev.rv) : undefined;
    }
    e.slimHash = rev.slimHash;
    touch(this.#packed, uid, e);
    if (this.#packed.size > this.#o.packed) this.delete(this.#packed.keys().next().value!);
    touch(this.#parsed, uid, object);
    if (this.#parsed.size > this.#o.parsed) this.#parsed.delete(this.#parsed.keys().next().value!);
  }

  /** Everything appended so far is committed: the store answers for it now. */
  settle(): void {
    this.#pending.clear();
  }

  delete(uid: string): void {
    this.#packed.delete(uid);
    this.#parsed.delete(uid);
    this.#pending.delete(uid);
  }

  clear(): void {
    this.#packed.clear();
    this.#parsed.clear();
    this.#pending.clear();
  }
}

/** (Re)inserts at the most recently used end of a Map kept in insertion order. */
function touch<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
}
