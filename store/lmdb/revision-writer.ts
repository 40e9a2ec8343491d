/**
 * The write side of LmdbHistoryStore, in two paths:
 * - appendQueued takes plain appends: records whose effect is known without reading its own
 *   writes back (a revision after its uid's cached latest one, or a uid's first). It runs either
 *   in the append's write transaction (the default) or, with the store's `asyncPuts`, outside any
 *   transaction, writing lmdb-js asynchronous puts that its write thread applies while this thread
 *   prepares the next record; its reads then see only committed data. Its checks hold either way
 *   (reads that also see this call's writes only know more).
 * - appendAll and prune (prune.ts) run inside one LMDB write transaction (the store wraps the
 *   calls), so reads see the transaction's own earlier writes; they handle everything else
 *   (merges, duplicates, revisions out of order).
 *
 * Chains: a revision is stored as a patch against the previous revision of its uid, or as a
 * full copy when it starts a chain (first revision, CHAIN_MAX reached, a patch no smaller than
 * half the object, or a uid the writer has no latest state of in memory). A revision that arrives
 * out of order is patched against its predecessor and its successor is re-encoded against it, so
 * every chain stays valid.
 *
 * Slim rows (keys.ts `sum`): every revision but a deletion gets its object's slim object, written
 * beside the revision by #put and moved or removed with it (#replace, #remove, prune); a
 * re-encoding changes no content, so it leaves the row alone.
 *
 * Order marks (order.ts, keys.ts `ord`): every place a rev key is put or removed is checked (the
 * queued put in #queue, #insert, #replace, #remove, prune); a re-encoding keeps its key.
 */
import { diff } from '../../k8s/json-patch.ts';
import type { AppendResult, PruneRequest, SeenKind } from '../../core/ports.ts';
import { groupKind, mergeRecords, type ChangeRecord, type KubeObject } from '../../core/record.ts';
import { splitApiVersion } from '../../core/kinds.ts';
import { actorId, ChainReader, type Entry, type LmdbDbs } from './chain.ts';
import { packFull } from './full-copy.ts';
import { packSlim, SAME, slimKey, slimRowAfter } from './slim-rows.ts';
import { LatestCache, type Encoded, type LatestEntry } from './latest-cache.ts';
import {
  CHAIN_MAX, compareRevKeys, feedKeyOfRev, idKey, lifeKeyOfRev, revKey, rvNumber, rvOf,
  type Key, type StoredFeedEntry, type StoredLifetime, type StoredRevision,
} from './keys.ts';
import { pruneRevisions } from './prune.ts';
import { nameOf, OrderMarks } from './order.ts';

interface ClusterSpan { firstSeen: number; lastSeen: number }

/** Bound of the actor id memo (cleared when full). */
const ACTOR_IDS_MAX = 4096;

/** The revision a new one is encoded against. */
interface Prev { depth: number; obj: KubeObject | null; deleted?: boolean }

/**
 * A revision's slim row to write: of `object` (its content; a deletion has none), SAME as `prev`'s
 * (its predecessor of the same uid) when that shows the same. `prevHash`: the rowHash of `prev`'s
 * row when the writer's cache knows it (slim-rows.ts slimRowAfter); `hash` is set to the written row's.
 */
interface Slim { object: KubeObject | null; prev: Prev | undefined; prevHash: number | undefined; hash?: number | undefined }

export interface RevisionWriterOptions {
  /** Objects whose latest state stays parsed (LatestCache). */
  latestParsed: number;
  /** Objects whose latest revision's place stays in memory. */
  latestPacked: number;
  /** Keep each of those objects' chain packed in memory too (LatestCache). */
  keepChains: boolean;
  /** Write slim rows (LmdbHistoryStoreOptions.slimRows). */
  slimRows: boolean;
  /** Called with every rev key put or removed, before the write (the store's text cache drops it). */
  onRevWrite?: (key: Key) => void;
}

export class RevisionWriter {
  readonly #dbs: LmdbDbs;
  readonly #chain: ChainReader;
  readonly #cache: LatestCache;
  readonly #slimRows: boolean;
  readonly #onRevWrite: (key: Key) => void;
  /** Absent in a store before format v6 (lmdb-history-store.ts LMDB_FORMAT): no marks are kept there. */
  readonly #order: OrderMarks | undefined;
  #seen = new Set<string>();
  #clusters = new Map<string, ClusterSpan>();
  /** Clusters whose span changed since it was last written (#writeSpans, once per call, not once per record). */
  #spansChanged = new Set<string>();
  /** Actor ids by the actor's JSON (actorId hashes it; few actors write most records). */
  #actorIds = new Map<string, string>();

  constructor(dbs: LmdbDbs, chain: ChainReader, opts: RevisionWriterOptions) {
    this.#dbs = dbs;
    this.#chain = chain;
    this.#slimRows = opts.slimRows;
    this.#onRevWrite = opts.onRevWrite ?? (() => undefined);
    this.#order = dbs.ord && new OrderMarks(dbs.ord, dbs.rev);
    this.#cache = new LatestCache({
      parsed: opts.latestParsed, packed: opts.latestPacked, keepChains: opts.keepChains,
      load: (key) => {
        // One reverse range from the revision itself: it, then the rest of its chain.
        const hit = chain.latest({ start: key, end: nameOf(key) });
        if (!hit || compareRevKeys(hit.key, key) !== 0) throw new Error('the latest revision the writer knows of is not in the store');
        return hit.object;
      },
    });
  }

  /** Everything written so far is committed (the store calls this before the next write). */
  settle(): void {
    this.#cache.settle();
  }

  /** Drops caches that might hold writes of a transaction that did not commit. */
  forgetCache(): void {
    this.#cache.clear();
    this.#seen.clear();
    this.#clusters.clear();
    this.#spansChanged.clear();
    this.#actorIds.clear();
    this.#chain.forget();
  }

  /**
   * Appends the plain appends it can (see the file comment), in order, and returns how many it
   * took; the rest must go through appendAll, in the same transaction or one queued after these
   * puts. Only while everything written before is committed (LmdbHistoryStore serialises appends).
   */
  appendQueued(records: readonly ChangeRecord[], result: AppendResult): number {
    const queued = new Set<string>(); // identities written by this call (readable only inside the transaction)
    const names = new Map<string, { keys: Key[]; mark?: number }>(); // rev keys and order marks written by this call, by name (likewise)
    let i = 0;
    for (; i < records.length; i++) {
      if (!this.#queue(records[i]!, queued, names)) break;
      result.inserted++;
    }
    this.#writeSpans();
    return i;
  }

  /** Writes one record if it is a plain append (see appendQueued); false leaves it untouched. */
  #queue(r: ChangeRecord, queued: Set<string>, names: Map<string, { keys: Key[]; mark?: number }>): boolean {
    const id = idKey(r.cluster, r.uid, r.op, r.resourceVersion);
    const idText = id.join('\0');
    if (queued.has(idText)) return false;
    const key = revKey(partsOf(r));
    const uid = r.uid;
    const cached = this.#cache.get(uid);
    if (cached && compareRevKeys(cached.key, key) >= 0) return false;
    const rv = rvNumber(r.resourceVersion);
    const unseen = cached?.maxRv !== undefined && rv !== undefined && rv > cached.maxRv && r.op !== 'DELETED';
    if (!unseen && this.#dbs.ids.get(id) !== undefined) return false;
    const stored = cached ? cached.life : this.#dbs.life.get(lifeKeyOfRev(key, uid));
    // A known uid the cache lost starts a new chain, unless its predecessor's object is needed
    // (a deletion without one) or the revision lands before a stored one.
    if (!cached && stored && (r.object === null || this.#chain.next(key, uid))) return false;
    const prev = cached && this.#cachedPrev(uid, cached);
    const object = r.object ?? prev?.obj ?? null;
    const encoded = this.#encode(r.object === null ? null : object, prev);
    if (this.#order) {
      // Before the key's own put: a reader that sees the key sees its mark.
      const name = JSON.stringify(nameOf(key));
      const same = names.get(name) ?? { keys: [] };
      names.set(name, same);
      this.#order.beforeQueuedPut(key, same);
    }
    const slim: Slim = { object, prev, prevHash: cached?.slimHash };
    const life = this.#put(r, key, { ...this.#meta(r), ...encoded }, stored, slim);
    queued.add(idText);
    if (r.op === 'DELETED') this.#cache.delete(uid); // nothing should follow it
    // Every revision of a uid first seen here is known, so its versions are too.
    else this.#cache.append(uid, cached, { key, encoded, object, life, rv: cached || !stored ? rv : undefined, slimHash: slim.hash });
    return true;
  }

  /** Appends inside the caller's write transaction; counts into `result`. */
  appendAll(records: readonly ChangeRecord[], result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 }): AppendResult {
    for (const r of records) {
      const id = idKey(r.cluster, r.uid, r.op, r.resourceVersion);
      const found = this.#dbs.ids.get(id);
      const existing = found && this.#entryOf(r, found);
      if (!existing) {
        this.#insert(r);
        result.inserted++;
        continue;
      }
      const before = this.#chain.toRecord(existing.key, existing.value);
      const merged = mergeRecords(before, r);
      if (merged === before) {
        result.duplicates++;
        continue;
      }
      this.#replace(existing, before, merged);
      result.merged++;
    }
    this.#writeSpans();
    return result;
  }

  #entryOf(r: ChangeRecord, [ts, rv]: [number, string]): Entry | undefined {
    const key = revKey({ cluster: r.cluster, gk: groupKind(r.group, r.kind), namespace: r.namespace, name: r.name, ts, op: r.op, rv, uid: r.uid });
    const value = this.#dbs.rev.get(key);
    return value ? { key, value } : undefined;
  }

  /** Replaces a stored revision by its merged form: moved in place when its chain order holds. */
  #replace(old: Entry, before: ChangeRecord, merged: ChangeRecord): void {
    const key = revKey(partsOf(merged));
    const uid = merged.uid;
    const prev = this.#chain.prev(old.key, uid);
    const next = this.#chain.next(old.key, uid);
    if (merged.ts > before.ts) this.#lifeMovedLater(old.key, merged, !prev, next);
    const orderHolds = (!prev || compareRevKeys(prev.key, key) < 0) && (!next || compareRevKeys(key, next.key) < 0);
    if (!orderHolds || (before.object === null && merged.object !== null)) {
      this.#remove(old, prev, next);
      this.#insert(merged);
      return;
    }
    const value: StoredRevision = { ...this.#meta(merged), depth: old.value.depth };
    if (old.value.obj !== undefined) value.obj = old.value.obj;
    else value.patch = old.value.patch!;
    this.#revRemove(old.key);
    this.#dbs.feed.remove(feedKeyOfRev(old.key));
    this.#put(merged, key, value, this.#dbs.life.get(lifeKeyOfRev(key, uid)));
    if (compareRevKeys(old.key, key) !== 0) {
      // The revision moved (a merge that only adds an actor or a source keeps its key, and every window).
      this.#order?.changedAt(old.key);
      this.#order?.changedAt(key);
    }
    // One revision has one content (mergeRecords): its slim row stays, moved only if the merge gave it a resourceVersion.
    if (merged.op !== 'DELETED' && (old.key[4] !== key[4] || rvOf(old.key) !== rvOf(key))) this.#moveSlim(slimKey(old.key), slimKey(key));
    const latest = this.#cache.get(uid);
    if (latest && compareRevKeys(latest.key, old.key) === 0) latest.key = key;
  }

  #moveSlim(from: Key, to: Key): void {
    const row = this.#dbs.sum?.get(from);
    if (row === undefined) return;
    this.#dbs.sum!.remove(from);
    this.#dbs.sum!.put(to, row);
  }

  #meta(r: ChangeRecord): Omit<StoredRevision, 'depth'> {
    const meta: Omit<StoredRevision, 'depth'> = { op: r.op, observedAt: r.observedAt, source: r.source, apiVersion: r.apiVersion };
    if (r.actor) meta.actor = this.#internActor(r);
    if (r.verb) meta.verb = r.verb;
    if (r.auditID) meta.auditID = r.auditID;
    if (r.gap) meta.gap = true;
    return meta;
  }

  #internActor(r: ChangeRecord): string {
    const text = JSON.stringify(r.actor);
    let id = this.#actorIds.get(text);
    if (id === undefined) {
      id = actorId(r.actor!);
      if (this.#actorIds.size >= ACTOR_IDS_MAX) this.#actorIds.clear();
      this.#actorIds.set(text, id);
    }
    const k = `a\0${r.cluster}\0${id}`;
    if (!this.#seen.has(k)) {
      if (!this.#dbs.actors.get([r.cluster, id])) this.#dbs.actors.put([r.cluster, id], r.actor!);
      this.#seen.add(k);
    }
    return id;
  }

  /** The stored form of `obj` after a predecessor (`prev` undefined: it starts a chain). */
  #encode(obj: KubeObject | null, prev: Prev | undefined): Encoded {
    if (!prev || prev.depth + 1 >= CHAIN_MAX || prev.obj === null || obj === null) {
      if (obj === null && prev) return prev.depth + 1 >= CHAIN_MAX ? { obj: packFull(prev.obj), depth: 0 } : { patch: [], depth: prev.depth + 1 };
      return { obj: packFull(obj), depth: 0 };
    }
    const patch = diff(prev.obj, obj);
    // A patch of many operations may be no smaller than the object: then a full copy is cheaper
    // to read. Few operations are always smaller, and measuring them costs more than it saves.
    if (patch.length > 32 && JSON.stringify(patch).length * 2 > JSON.stringify(obj).length) return { obj: packFull(obj), depth: 0 };
    return { patch, depth: prev.depth + 1 };
  }

  #insert(r: ChangeRecord): void {
    const key = revKey(partsOf(r));
    const uid = r.uid;
    const cached = this.#cache.get(uid);
    // The cache holds the uid's latest revision: a key after it is an append, with no successor.
    const appending = cached !== undefined && compareRevKeys(cached.key, key) < 0;
    const next = appending ? undefined : this.#chain.next(key, uid);
    let prev: Prev | undefined;
    if (appending) prev = this.#cachedPrev(uid, cached);
    else {
      const p = this.#chain.prevWithObject(key, uid);
      prev = p && { depth: p.value.depth, obj: p.object, deleted: p.value.op === 'DELETED' };
    }
    // Read the successor's object before this revision joins its chain.
    const nextObj = next && next.value.obj === undefined ? this.#chain.objectOf(next.key, next.value) : undefined;
    const object = r.object ?? prev?.obj ?? null; // a deletion without its object keeps the last state
    const encoded = this.#encode(r.object === null ? null : object, prev);
    const value: StoredRevision = { ...this.#meta(r), ...encoded };
    const slim: Slim = { object, prev, prevHash: appending ? cached.slimHash : undefined };
    const life = this.#put(r, key, value, this.#dbs.life.get(lifeKeyOfRev(key, uid)), slim);
    if (next && nextObj !== undefined) this.#reencode(next, nextObj, { depth: value.depth, obj: object });
    if (next) this.#slimInFull(next, nextObj);
    this.#order?.changedAt(key);
    // Only an append extends the chain the cache holds; anything else is read back when needed.
    if (appending && r.op !== 'DELETED') this.#cache.append(uid, cached, { key, encoded, object, life, rv: rvNumber(r.resourceVersion), slimHash: slim.hash });
    else this.#cache.delete(uid);
  }

  /** The cached latest revision of a uid, as what a new revision is encoded against. */
  #cachedPrev(uid: string, latest: LatestEntry): Prev {
    return { depth: latest.depth, obj: this.#cache.object(uid, latest) };
  }

  #reencode(e: Entry, obj: KubeObject | null, prev: Prev | undefined): void {
    const encoded = this.#encode(obj, prev);
    const value: StoredRevision = { ...e.value, ...encoded };
    if ('obj' in encoded) delete value.patch;
    else delete value.obj;
    this.#revPut(e.key, value);
  }

  /** Every put and removal of a rev key goes through these two (RevisionWriterOptions.onRevWrite). */
  #revPut(key: Key, value: StoredRevision): void {
    this.#onRevWrite(key);
    this.#dbs.rev.put(key, value);
  }

  #revRemove(key: Key): void {
    this.#onRevWrite(key);
    this.#dbs.rev.remove(key);
  }

  /** Takes a revision out of its chain (its successor is re-encoded against its predecessor). */
  #remove(e: Entry, prev: Entry | undefined, next: Entry | undefined): void {
    if (next) this.#slimInFull(next); // while its chain still holds
    if (next && next.value.obj === undefined) {
      const nextObj = this.#chain.objectOf(next.key, next.value);
      const p = prev && { depth: prev.value.depth, obj: this.#chain.objectOf(prev.key, prev.value) };
      this.#reencode(next, nextObj, p);
    }
    this.#revRemove(e.key);
    if (e.value.op !== 'DELETED') this.#dbs.sum?.remove(slimKey(e.key));
    this.#dbs.feed.remove(feedKeyOfRev(e.key));
    this.#order?.changedAt(e.key);
    this.#cache.delete(String(e.key[7]));
  }

  /**
   * A revision whose predecessor changes gets its slim row in full, if it was SAME (slim-rows.ts);
   * `obj`: its object when already read.
   */
  #slimInFull(e: Entry, obj?: KubeObject | null): void {
    if (e.value.op === 'DELETED' || this.#dbs.sum?.get(slimKey(e.key)) !== SAME) return;
    this.#dbs.sum.put(slimKey(e.key), packSlim(obj === undefined ? this.#chain.objectOf(e.key, e.value) : obj, e.key));
  }

  /**
   * Writes a revision, its feed entry, identity and lifetime (`life`: as stored), and with `slim`
   * its slim row (Slim); returns the lifetime.
   */
  #put(r: ChangeRecord, key: Key, value: StoredRevision, life: StoredLifetime | undefined, slim?: Slim): StoredLifetime {
    this.#revPut(key, value);
    if (this.#slimRows && slim && r.op !== 'DELETED' && this.#dbs.sum) {
      const { object, prev } = slim;
      // SAME only within a chain (depth > 0): a run of them then ends at most CHAIN_MAX - 1 revisions back, in the window a reader reads.
      const after = slimRowAfter(object, key, prev && !prev.deleted && value.depth > 0 ? prev.obj : undefined, slim.prevHash);
      this.#dbs.sum.put(slimKey(key), after.row);
      slim.hash = after.hash;
    }
    const feed: StoredFeedEntry = { op: value.op, source: value.source };
    if (value.actor) feed.actor = value.actor;
    if (value.verb) feed.verb = value.verb;
    if (value.gap) feed.gap = true;
    this.#dbs.feed.put(feedKeyOfRev(key), feed);
    this.#dbs.ids.put(idKey(r.cluster, r.uid, r.op, r.resourceVersion), [r.ts, r.resourceVersion]);
    this.#noteSeen(r, String(key[1]));
    return this.#noteLife(r, key, life);
  }

  #noteLife(r: ChangeRecord, key: Key, life: StoredLifetime | undefined): StoredLifetime {
    const from = Math.min(life?.from ?? r.ts, r.ts);
    const to = r.op === 'DELETED' ? Math.min(life?.to ?? r.ts, r.ts) : (life?.to ?? null);
    return this.#setLife(r, key, life, from, to);
  }

  /**
   * A merge moved a revision later (the watch saw it before the request's response completed:
   * the audit's time follows the commit). The lifetime follows the revisions that bound it: the
   * uid's first revision (`first`; its start is then the earlier of the new time and the next
   * revision's) and its deletion (its end).
   */
  #lifeMovedLater(oldKey: Key, merged: ChangeRecord, first: boolean, next: Entry | undefined): void {
    const life = this.#dbs.life.get(lifeKeyOfRev(oldKey, merged.uid));
    if (!life) return;
    const from = first && life.from === oldKey[4] ? Math.min(merged.ts, next ? (next.key[4] as number) : merged.ts) : life.from;
    this.#setLife(merged, oldKey, life, from, merged.op === 'DELETED' ? merged.ts : life.to);
  }

  #setLife(r: ChangeRecord, key: Key, life: StoredLifetime | undefined, from: number, to: number | null): StoredLifetime {
    if (life && life.from === from && life.to === to) return life;
    const changed = { apiVersion: r.apiVersion, from, to };
    this.#dbs.life.put(lifeKeyOfRev(key, r.uid), changed);
    // The cache's copy follows every write (a merge may move the start earlier): an append reads it.
    const cached = this.#cache.get(r.uid);
    if (cached) cached.life = changed;
    return changed;
  }

  #noteSeen(r: ChangeRecord, gk: string): void {
    const c = this.#clusters.get(r.cluster) ?? (this.#dbs.meta.get(['cluster', r.cluster]) as ClusterSpan | undefined);
    if (!c || r.ts < c.firstSeen || r.ts > c.lastSeen) {
      const span = { firstSeen: Math.min(c?.firstSeen ?? r.ts, r.ts), lastSeen: Math.max(c?.lastSeen ?? r.ts, r.ts) };
      this.#spansChanged.add(r.cluster);
      this.#clusters.set(r.cluster, span);
    } else this.#clusters.set(r.cluster, c);
    const kk = `k\0${r.cluster}\0${gk}`;
    if (!this.#seen.has(kk)) {
      this.#seen.add(kk);
      const seen: SeenKind = { group: r.group, version: splitApiVersion(r.apiVersion).version, kind: r.kind, resource: r.resource, namespaced: r.namespace !== '' };
      this.#dbs.meta.put(['kind', r.cluster, gk], seen);
    }
  }

  /** Writes the cluster spans the records of this call changed (with them: queued, or in their transaction). */
  #writeSpans(): void {
    for (const cluster of this.#spansChanged) this.#dbs.meta.put(['cluster', cluster], this.#clusters.get(cluster)!);
    this.#spansChanged.clear();
  }

  /** Retention (PruneRequest, prune.ts): returns how many revisions were removed. */
  prune(req: PruneRequest): number {
    const removed = pruneRevisions(this.#dbs, this.#chain, { restart: (e, obj) => this.#reencode(e, obj, undefined), removing: this.#onRevWrite }, req, this.#order);
    this.#cache.clear();
    return removed;
  }
}

function partsOf(r: ChangeRecord) {
  return { cluster: r.cluster, gk: groupKind(r.group, r.kind), namespace: r.namespace, name: r.name, ts: r.ts, op: r.op, rv: r.resourceVersion, uid: r.uid };
}
