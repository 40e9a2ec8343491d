/**
 * LmdbHistoryStore: the embedded, zero-setup HistoryStore (core/ports.ts) on LMDB. Key layout:
 * store/lmdb/keys.ts. An append is acknowledged only once its writes are flushed to disk, so a
 * crash loses nothing acknowledged. Appends run one after another: each starts once the writes of
 * the one before are committed, because the writer reads the store to place records.
 */
import { readFileSync } from 'node:fs';
import { open } from 'lmdb';
import { KubetimeError, isKubetimeError } from '../../core/errors.ts';
import { checkScopes, checkStorable } from '../../core/record-limits.ts';
import type {
  AppendResult, ClusterInfo, FeedEntry, FeedQuery, HistoryStore, Lifetime, LifetimeQuery,
  PruneRequest, Revision, RevisionQuery, RevisionRef, SeenKind, TextVariant,
} from '../../core/ports.ts';
import type { ChangeRecord, KubeObject, ObjectKey } from '../../core/record.ts';
import { currentOf } from '../../core/scope.ts';
import type { Micros } from '../../core/time.ts';
import { ChainReader, type LmdbDbs } from './chain.ts';
import { unpackFullText } from './full-copy.ts';
import { TextCache } from './text-cache.ts';
import { RevisionWriter } from './revision-writer.ts';
import { SAME, slimKey, unpackSlim, type SlimRow } from './slim-rows.ts';
import { nameOf, ORDER_WINDOW, OrderMarks } from './order.ts';
import { compareRevKeys, prefixRange, refOfKey, revKeyOfFeed, rvOf, splitGk, TS_MAX, TS_MIN, type Key } from './keys.ts';

export interface LmdbHistoryStoreOptions {
  /** Folder of the LMDB environment (created when missing). */
  path: string;
  /** Upper bound of the memory map, bytes (default 64 GiB: address space, not memory). */
  mapSize?: number;
  /** How many objects' latest state the writer keeps parsed in memory (default 1024; about 7 KB for a Pod: a burst of changes to one object finds it parsed). */
  latestCache?: number;
  /** How many objects' latest revision the writer remembers (default 65536; a few hundred bytes each). */
  latestPackedCache?: number;
  /** Open an existing store for reading only (another process may be writing it): `kubetime mcp` on a data dir. */
  readOnly?: boolean;
  /**
   * Keep those objects' chains packed in memory too (about 2 KB more for a Pod): saves a range
   * read per append of an object outside the parsed tier, at 100+ MB at 50,000 live Pods. Default false.
   */
  keepChains?: boolean;
  /**
   * Keep each revision's slim row (slim-rows.ts) for summary lists as of T. Default true; false
   * writes none (benchmarks compare the two; lists then read those revisions in full).
   */
  slimRows?: boolean;
  /**
   * Find the revision in force at T from the newest key stored by T alone where its name's order
   * mark allows (order.ts; format v6). Default true; false always reads the last `window` keys
   * (benchmarks and tests compare the two; the answers are the same). The writer keeps the marks
   * either way.
   */
  oneKeyInForce?: boolean;
  /**
   * Write plain appends as lmdb-js asynchronous puts outside a transaction, which its write thread
   * applies (and the thread pool compresses) while this thread prepares the next record: the write
   * path before, kept for benchmarks (bench/lmdb-ab.ts --ab txn). Default false: each append is one
   * write transaction whose puts lmdb-js applies on the spot, without handing each to another
   * thread: 0.80–0.84 of the ingest CPU, wall 1.04–1.14× as fast (bench/results/issue-16.md §15).
   */
  asyncPuts?: boolean;
  /**
   * Bytes of materialized revisions' JSON text kept for lists as of T (text-cache.ts,
   * `objectTextsAt`): a list asked again serves each object's text without rebuilding it. Default
   * DEFAULT_TEXT_CACHE_BYTES; 0 keeps none. A store opened read-only keeps none (another process
   * writes it, and this one would not hear of its changes).
   */
  textCacheBytes?: number;
}

/**
 * Default of LmdbHistoryStoreOptions.textCacheBytes: 64 MiB, one namespace of 3,000 Pods of 8 KB
 * in both manifest views (36 MiB) with room to spare: a cache smaller than what a list asked in
 * turns reads loses most of it (least recently used goes first, in the order the next list reads
 * it; bench/text-cache-lru.ts: 32 MiB kept 49% of such a workload, 64 MiB 97.5%). It fills only as lists are asked, and
 * then counts in the process's anonymous memory up to its size (bench/results/issue-16.md §18).
 */
export const DEFAULT_TEXT_CACHE_BYTES = 64 * 2 ** 20;

/** What LmdbHistoryStore.textCache reports. */
export interface TextCacheStats { bytes: number; entries: number; maxBytes: number; hits: number; misses: number }

export type { LmdbDbs };

/**
 * LZ4 shared dictionary of Kubernetes vocabulary: small values (a status patch) compress well
 * only with one. A store must always be opened with the dictionary it was written with.
 */
const DICTIONARY = readFileSync(new URL('./k8s-dictionary-v1.txt', import.meta.url));

/**
 * The on-disk layout (keys.ts, full-copy.ts, the dictionary, the value encoding); bumped whenever
 * it changes. v4: values are msgpack records whose structures are shared, stored once per
 * database under STRUCTURES, where v3 repeated each value's record definition inside it, which
 * every read had to parse and compile again (about a third of the time of reading a chain).
 * v5: v4 and slim rows (keys.ts `sum`). An older kubetime must not write a v5 store: it would move
 * and remove revisions without their slim rows, and a SAME row could then stand for another
 * revision's content; so it refuses the stamp.
 * v6: v5 and order marks (keys.ts `ord`, order.ts): when the newest key stored by T is later than
 * its name's mark (or there is none), it is the revision in force, read alone. An older kubetime
 * must not write a v6 store: it would store revisions out of order without raising their names'
 * marks, and reads would then miss a revision in force.
 */
export const LMDB_FORMAT = 'kubetime.lmdb/v6';
/** A v5 store is still read and written as it is, without order marks (every read takes the window). */
const LMDB_FORMAT_V5 = 'kubetime.lmdb/v5';
/** Earlier layouts, still read and written as they are, without slim rows (their lists read objects in full). */
const LMDB_FORMAT_V4 = 'kubetime.lmdb/v4';
const LMDB_FORMAT_V3 = 'kubetime.lmdb/v3';
const STRUCTURES = Symbol.for('structures');

/**
 * Slim rows (slim-rows.ts) hold objects of many shapes (label sets, kinds): up to this many record
 * structures are shared (two-byte record ids), so their values need not define their own.
 */
const SLIM_ROWS = { maxSharedStructures: 2048 };

/** Stamps a new store with its format; refuses one written in another. Returns the format. */
function checkFormat(meta: { get(k: Key): unknown; putSync(k: Key, v: unknown): unknown; getKeysCount(): number }, path: string): string {
  const found = meta.get(['format']);
  if (found === LMDB_FORMAT || found === LMDB_FORMAT_V5 || found === LMDB_FORMAT_V4 || found === LMDB_FORMAT_V3) return found;
  if (found === undefined && meta.getKeysCount() === 0) {
    meta.putSync(['format'], LMDB_FORMAT);
    return LMDB_FORMAT;
  }
  throw new KubetimeError('INVALID_ARGUMENT', `data-dir: the store in ${path} has format ${String(found ?? 'unknown (older)')}, this kubetime reads ${LMDB_FORMAT}, ${LMDB_FORMAT_V5}, ${LMDB_FORMAT_V4} and ${LMDB_FORMAT_V3}; restore it from snapshots into a new --data-dir (kubetime restore)`, { param: 'data-dir', found, expected: LMDB_FORMAT });
}

/**
 * Stamps the store at `path`, empty and never opened, with an earlier `format` (tests and
 * benchmarks of older layouts): LmdbHistoryStore.open then reads and writes it as that format.
 */
export async function stampFormat(path: string, format: string): Promise<void> {
  const raw = open({ path, maxDbs: 16 });
  try {
    raw.openDB<unknown, Key>({ name: 'meta' }).putSync(['format'], format);
  } finally {
    await raw.close();
  }
}

/** The rev keys of one object name from `from` to `to` (inclusive µs, absent = unbounded): [lo, hi). */
function revRange(q: { key: ObjectKey; from?: Micros | undefined; to?: Micros | undefined }): { lo: Key; hi: Key } {
  const { cluster, gk, namespace, name } = q.key;
  return {
    lo: [cluster, gk, namespace, name, q.from ?? TS_MIN],
    hi: [cluster, gk, namespace, name, q.to === undefined ? TS_MAX : q.to + 1],
  };
}

/** The revision in force found from rev keys: its key, whether it is the newest read, the keys read (newest first) and its index there. */
interface InForce { key: Key; newest: boolean; range: { start: Key; end: Key }; keys: Key[]; index: number }

/** Rev keys of one write dropped from the text cache one by one; past this many it is emptied. */
const WRITTEN_MAX = 4096;

function unavailable(what: string, cause: unknown): KubetimeError {
  return new KubetimeError('STORE_UNAVAILABLE', `embedded store: ${what} failed`, {}, { cause });
}

export class LmdbHistoryStore implements HistoryStore {
  readonly #dbs: LmdbDbs;
  readonly #chain: ChainReader;
  readonly #writer: RevisionWriter;
  /** Order marks, where the format keeps them and `oneKeyInForce` is on. */
  readonly #order: OrderMarks | undefined;
  readonly #asyncPuts: boolean;
  /** Materialized texts (text-cache.ts); absent when off. */
  readonly #texts: TextCache | undefined;
  /** Rev keys written by the write in flight: dropped from #texts again once it is committed; null: past WRITTEN_MAX, all of it is. */
  #written: Key[] | null = [];

  /** Settles once the latest append's writes are committed (or it failed). */
  #committed: Promise<unknown> = Promise.resolve();

  private constructor(dbs: LmdbDbs, opts: LmdbHistoryStoreOptions) {
    this.#dbs = dbs;
    this.#chain = new ChainReader(dbs);
    this.#order = dbs.ord && (opts.oneKeyInForce ?? true) ? new OrderMarks(dbs.ord, dbs.rev) : undefined;
    this.#asyncPuts = opts.asyncPuts ?? false;
    const textBytes = opts.readOnly ? 0 : opts.textCacheBytes ?? DEFAULT_TEXT_CACHE_BYTES;
    this.#texts = textBytes > 0 ? new TextCache(textBytes) : undefined;
    const onRevWrite = this.#texts && ((key: Key) => {
      if (this.#written === null) return;
      if (this.#written.length >= WRITTEN_MAX) {
        // A large write (a prune, a backfill): emptying the cache costs less than dropping each key.
        this.#texts!.clear();
        this.#written = null;
        return;
      }
      this.#texts!.drop(key);
      this.#written.push(key);
    });
    this.#writer = new RevisionWriter(dbs, this.#chain, {
      latestParsed: opts.latestCache ?? 1024, latestPacked: opts.latestPackedCache ?? 65_536, keepChains: opts.keepChains ?? false, slimRows: opts.slimRows ?? true,
      ...(onRevWrite ? { onRevWrite } : {}),
    });
  }

  static open(opts: LmdbHistoryStoreOptions): LmdbHistoryStore {
    const root = open({ path: opts.path, compression: { threshold: 256, dictionary: DICTIONARY }, mapSize: opts.mapSize ?? 64 * 2 ** 30, maxDbs: 16, ...(opts.readOnly ? { readOnly: true } : {}) });
    // meta (the format stamp, small and rarely read) keeps self-described values in every format.
    const meta = root.openDB<unknown, Key>({ name: 'meta' });
    const format = checkFormat(meta, opts.path);
    const shared = format === LMDB_FORMAT_V3 ? {} : { sharedStructuresKey: STRUCTURES };
    const db = <V>(name: string, more: object = {}) => root.openDB<V, Key>({ name, ...shared, ...more });
    // Slim rows only in a v5 or v6 store (see LMDB_FORMAT); read-only, a store may lack them.
    const sum = format === LMDB_FORMAT || format === LMDB_FORMAT_V5 ? db<SlimRow>('sum', SLIM_ROWS) : undefined;
    // Order marks only in a v6 store: in an older one, no mark does not mean in order.
    const ord = format === LMDB_FORMAT ? db<number>('ord') : undefined;
    return new LmdbHistoryStore(
      { root, rev: db('rev'), ids: db('ids'), ...(sum ? { sum } : {}), ...(ord ? { ord } : {}), life: db('life'), feed: db('feed'), actors: db('actors'), meta },
      opts,
    );
  }

  /** The raw databases, for disk accounting (compactor, benchmarks) and tests. */
  get dbs(): LmdbDbs {
    return this.#dbs;
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    if (records.length === 0) return { inserted: 0, merged: 0, duplicates: 0 };
    checkStorable(records);
    return this.#write('append', async () => {
      // After the appends before it are committed, so a kind's first record is known by then.
      const scopes = new Map<string, boolean | undefined>(); // read once a kind per append
      checkScopes(records, {
        namespaced: (cluster, gk) => {
          const k = `${cluster}\0${gk}`;
          if (!scopes.has(k)) scopes.set(k, (this.#dbs.meta.get(['kind', cluster, gk]) as SeenKind | undefined)?.namespaced);
          return scopes.get(k);
        },
      });
      const result: AppendResult = { inserted: 0, merged: 0, duplicates: 0 };
      if (this.#asyncPuts) {
        // Plain appends go as asynchronous puts; from the first record that needs to read what this
        // batch wrote, the rest runs in a transaction queued behind them (RevisionWriter).
        const queued = this.#writer.appendQueued(records, result);
        const rest = records.slice(queued);
        await (rest.length ? this.#dbs.root.transaction(() => this.#writer.appendAll(rest, result)) : this.#dbs.root.committed);
        return result;
      }
      // One write transaction: plain appends take the cheap path, the rest the general one.
      await this.#dbs.root.transaction(() => {
        const plain = this.#writer.appendQueued(records, result);
        if (plain < records.length) this.#writer.appendAll(records.slice(plain), result);
      });
      return result;
    });
  }

  /**
   * Runs one write (`commit` resolves once its writes are committed) after the one before it is
   * committed, and resolves once it is flushed to disk.
   */
  async #write<T>(what: string, commit: () => Promise<T>): Promise<T> {
    const before = this.#committed;
    let done!: () => void;
    this.#committed = new Promise<void>((resolve) => (done = resolve));
    try {
      await before;
      const result = await commit().finally(() => this.#dropWritten());
      this.#writer.settle();
      done();
      await this.#dbs.root.flushed;
      return result;
    } catch (e) {
      this.#writer.forgetCache();
      // A record the store refuses is not an outage: retrying it cannot help (core/record-limits.ts).
      throw isKubetimeError(e) && e.code === 'INVALID_ARGUMENT' ? e : unavailable(what, e);
    } finally {
      done();
    }
  }

  /**
   * A read that began before a write committed may have cached what the write replaced, after the
   * writer dropped it: every key the write touched is dropped again once it is committed.
   */
  #dropWritten(): void {
    if (this.#written === null) this.#texts?.clear();
    else for (const key of this.#written) this.#texts!.drop(key);
    this.#written = [];
  }

  /** Empties the text cache (benchmarks: a list asked cold). */
  clearTextCache(): void {
    this.#texts?.clear();
  }

  /** The text cache's size and lookups (metrics: cli/instrument.ts registerTextCacheMetrics; benchmarks, tests). */
  get textCache(): TextCacheStats | undefined {
    const t = this.#texts;
    return t && { bytes: t.bytes, entries: t.size, maxBytes: t.maxBytes, hits: t.hits, misses: t.misses };
  }

  async *revisions(q: RevisionQuery): AsyncIterable<Revision> {
    const { lo, hi } = revRange(q);
    if (q.order === 'desc' && q.limit === 1 && q.objects !== false) {
      // "As of T": the hot path of every object and list query.
      const hit = this.#chain.latest({ start: hi, end: lo });
      if (hit) yield this.#chain.toRecord(hit.key, hit.value, hit.object);
      return;
    }
    const range = q.order === 'asc'
      ? this.#dbs.rev.getRange({ start: lo, end: hi, limit: q.limit })
      : this.#dbs.rev.getRange({ start: hi, end: lo, reverse: true, limit: q.limit });
    for (const { key, value } of range) yield this.#chain.toRecord(key, value, q.objects === false ? null : undefined);
  }

  async *revisionRefs(q: RevisionQuery): AsyncIterable<RevisionRef> {
    // Keys alone say all of it (keys.ts): no value is read or decoded.
    const { lo, hi } = revRange(q);
    const keys = q.order === 'asc'
      ? this.#dbs.rev.getKeys({ start: lo, end: hi, limit: q.limit })
      : this.#dbs.rev.getKeys({ start: hi, end: lo, reverse: true, limit: q.limit });
    for (const k of keys) yield refOfKey(k);
  }

  /** Whether a window is one the writer's checks cover (order.ts ORDER_WINDOW), in a store that keeps marks. */
  #oneKeyWindow(window: number): boolean {
    return this.#order !== undefined && window >= 1 && window <= ORDER_WINDOW;
  }

  /**
   * The rev key of the revision in force at `at` (core/scope.ts currentOf over the last `window`),
   * from the keys alone, handed to `use` while the keys' range is open. With `oneKey`, only the
   * newest key is read where that is exact (order marks); `more()` then reads the rest of the
   * last `window` keys into `keys` (the same range and limit as the window path).
   */
  #inForce<T>(key: ObjectKey, at: Micros, window: number, oneKey: boolean, use: (found: InForce | undefined, more: () => void) => T): T {
    const { lo, hi } = revRange({ key, to: at });
    const range = { start: hi, end: lo };
    const it = this.#dbs.rev.getKeys({ ...range, reverse: true, limit: window })[Symbol.iterator]();
    try {
      const keys: Key[] = [];
      let done = false;
      const more = () => {
        for (let r = done ? undefined : it.next(); r && !r.done; r = it.next()) keys.push(r.value);
        done = true;
      };
      if (oneKey && this.#oneKeyWindow(window)) {
        const first = it.next();
        if (first.done) return use(undefined, () => undefined);
        keys.push(first.value);
        // The mark is read after the key (order.ts): the one the key needs is written no later.
        if (this.#order!.inForceAlone(first.value)) return use({ key: first.value, newest: true, range, keys, index: 0 }, more);
      }
      more();
      const refs = keys.map(refOfKey);
      const best = currentOf(refs);
      if (!best) return use(undefined, more);
      const i = refs.indexOf(best);
      return use({ key: keys[i]!, newest: i === 0, range, keys, index: i }, more);
    } finally {
      it.return?.(); // an unfinished range holds an LMDB read transaction (a reader slot) until closed
    }
  }

  async revisionAt(key: ObjectKey, at: Micros, window: number): Promise<Revision | undefined> {
    // The newest revision stored by T with its chain, in one reverse range: in force when later
    // than the name's mark, read after it (order.ts). A mark at or after T rules it out unread.
    let newest: ReturnType<ChainReader['latest']>;
    if (this.#oneKeyWindow(window)) {
      const { lo, hi } = revRange({ key, to: at });
      const mark = this.#order!.markOf(nameOf(lo));
      if (mark === undefined || at > mark) {
        newest = this.#chain.latest({ start: hi, end: lo });
        if (!newest) return undefined;
        if (this.#order!.inForceAlone(newest.key)) return this.#chain.toRecord(newest.key, newest.value, newest.object);
      }
    }
    // The refs come from the keys alone; only the chosen revision's chain is read.
    const found = this.#inForce(key, at, window, false, (f) => f);
    if (!found) return undefined;
    if (found.newest) {
      // Nearly always: the newest revision stored by T is in force; its chain lies behind it (read
      // above already when the mark sent us here, unless a later write came in between).
      const hit = newest && compareRevKeys(newest.key, found.key) === 0 ? newest : this.#chain.latest(found.range);
      return hit && this.#chain.toRecord(hit.key, hit.value, hit.object);
    }
    const value = this.#dbs.rev.get(found.key);
    return value && this.#chain.toRecord(found.key, value);
  }

  async summaryStatesAt(keys: readonly ObjectKey[], at: Micros, window: number): Promise<(KubeObject | null | 'full')[]> {
    return keys.map((key) => this.#inForce(key, at, window, true, (found, more) => {
      if (!found || found.key[5] === 1) return null; // nothing, or a deletion, in force
      let i = found.index;
      let row = this.#dbs.sum?.get(slimKey(found.key));
      // SAME is followed among the last `window` keys: read them where only the newest was read.
      if (row === SAME) more();
      while (row === SAME) {
        // The previous revision of the same uid (slim-rows.ts), among the keys read: else in full.
        const uid = found.keys[i]![7];
        do i++;
        while (i < found.keys.length && found.keys[i]![7] !== uid);
        if (i >= found.keys.length || found.keys[i]![5] === 1) return 'full';
        row = this.#dbs.sum!.get(slimKey(found.keys[i]!));
      }
      return row === undefined ? 'full' : unpackSlim(row, found.key);
    }));
  }

  async objectTextsAt(keys: readonly ObjectKey[], at: Micros, window: number, variant: TextVariant): Promise<(string | null)[]> {
    return keys.map((key) => this.#inForce(key, at, window, true, (found) => {
      if (!found || found.key[5] === 1) return null; // nothing, or a deletion, in force
      const id = this.#texts && TextCache.id(variant.name, found.key);
      const hit = id === undefined ? undefined : this.#texts!.get(id);
      if (hit !== undefined) return hit;
      const text = this.#textOf(found.key, variant);
      if (text !== null && id !== undefined) this.#texts!.set(variant.name, id, text);
      return text;
    }));
  }

  /**
   * A revision's object as `variant` writes it: a full copy's stored text as it is, when the
   * variant leaves it unchanged (it is what JSON.stringify gave: full-copy.ts); otherwise
   * `variant.text` of the object (parsed from the full copy, or rebuilt). null: no object.
   */
  #textOf(key: Key, variant: TextVariant): string | null {
    const value = this.#dbs.rev.get(key);
    if (!value) return null;
    if (value.obj !== undefined) {
      if (value.obj === null) return null;
      const stored = unpackFullText(value.obj).toString('utf8');
      if (variant.changedOnlyWith?.every((s) => !stored.includes(s))) return stored;
      return variant.text(JSON.parse(stored) as KubeObject);
    }
    const object = this.#chain.objectOf(key, value);
    return object === null ? null : variant.text(object);
  }

  async *lifetimes(q: LifetimeQuery): AsyncIterable<Lifetime> {
    const prefix: Key = [q.cluster];
    if (q.gk !== undefined) {
      prefix.push(q.gk);
      if (q.namespace !== undefined) {
        prefix.push(q.namespace);
        if (q.name !== undefined) prefix.push(q.name);
      }
    }
    for (const { key, value } of this.#dbs.life.getRange(prefixRange(prefix))) {
      const [cluster, gk, namespace, name, uid] = key as [string, string, string, string, string];
      if (q.namespace !== undefined && namespace !== q.namespace) continue;
      if (q.name !== undefined && name !== q.name) continue;
      if (q.aliveAt !== undefined && !(value.from <= q.aliveAt && (value.to === null || value.to > q.aliveAt))) continue;
      yield {
        key: { cluster, gk, namespace, name }, uid, ...splitGk(gk), apiVersion: value.apiVersion,
        resource: this.#chain.resource(cluster, gk), from: value.from, to: value.to,
      };
    }
  }

  async *feed(q: FeedQuery): AsyncIterable<FeedEntry> {
    const lo: Key = [q.cluster, q.from];
    const hi: Key = [q.cluster, q.to + 1];
    const range = q.order === 'asc'
      ? this.#dbs.feed.getRange({ start: lo, end: hi })
      : this.#dbs.feed.getRange({ start: hi, end: lo, reverse: true });
    let n = 0;
    for (const { key, value } of range) {
      const [cluster, ts, gk, namespace, name, uid] = key as [string, number, string, string, string, string];
      if (q.gk !== undefined && gk !== q.gk) continue;
      if (q.namespace !== undefined && namespace !== q.namespace) continue;
      if (q.name !== undefined && name !== q.name) continue;
      const actor = this.#chain.actor(cluster, value.actor);
      yield {
        cluster, ts, gk, ...splitGk(gk), namespace, name, uid, op: value.op,
        resourceVersion: rvOf(revKeyOfFeed(key)), source: value.source,
        ...(value.verb ? { verb: value.verb } : {}),
        ...(actor ? { actor } : {}),
        ...(value.gap ? { gap: true } : {}),
      };
      if (q.limit !== undefined && ++n >= q.limit) return;
    }
  }

  async clusters(): Promise<ClusterInfo[]> {
    const out: ClusterInfo[] = [];
    for (const { key, value } of this.#dbs.meta.getRange(prefixRange(['cluster']))) {
      const v = value as { firstSeen: number; lastSeen: number };
      out.push({ name: String(key[1]), firstSeen: v.firstSeen, lastSeen: v.lastSeen });
    }
    return out;
  }

  async kinds(cluster: string): Promise<SeenKind[]> {
    return [...this.#dbs.meta.getRange(prefixRange(['kind', cluster]))].map(({ value }) => value as SeenKind);
  }

  async prune(req: PruneRequest): Promise<{ removed: number }> {
    const removed = await this.#write('prune', async () => this.#dbs.root.transaction(() => this.#writer.prune(req)));
    return { removed };
  }

  async close(): Promise<void> {
    await this.#dbs.root.close();
  }
}
