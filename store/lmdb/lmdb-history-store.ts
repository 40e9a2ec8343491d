/**
 * LmdbHistoryStore: the embedded, zero-setup HistoryStore (core/ports.ts) on LMDB. Key layout:
 * store/lmdb/keys.ts. Every append is one LMDB write transaction, acknowledged only once it is
 * flushed to disk, so a crash loses nothing acknowledged.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { KubetimeError } from '../../core/errors.ts';
import type {
  AppendResult, ClusterInfo, FeedEntry, FeedQuery, HistoryStore, Lifetime, LifetimeQuery,
  PruneRequest, Revision, RevisionQuery, SeenKind,
} from '../../core/ports.ts';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { RevisionWriter } from './revision-writer.ts';
import {
  prefixRange, TS_MAX, TS_MIN,
  type Key, type StoredFeedEntry, type StoredLifetime, type StoredRevision,
} from './keys.ts';

export interface LmdbHistoryStoreOptions {
  /** Folder of the LMDB environment (created when missing). */
  path: string;
  /** Upper bound of the memory map, bytes (default 64 GiB: address space, not memory). */
  mapSize?: number;
}

export interface LmdbDbs {
  root: RootDatabase;
  rev: Database<StoredRevision, Key>;
  ids: Database<Key, Key>;
  life: Database<StoredLifetime, Key>;
  feed: Database<StoredFeedEntry, Key>;
  bases: Database<KubeObject, Key>;
  meta: Database<unknown, Key>;
}

function unavailable(what: string, cause: unknown): KubetimeError {
  return new KubetimeError('STORE_UNAVAILABLE', `embedded store: ${what} failed`, {}, { cause });
}

export class LmdbHistoryStore implements HistoryStore {
  readonly #dbs: LmdbDbs;
  readonly #writer: RevisionWriter;

  private constructor(dbs: LmdbDbs) {
    this.#dbs = dbs;
    this.#writer = new RevisionWriter(dbs);
  }

  static open(opts: LmdbHistoryStoreOptions): LmdbHistoryStore {
    const root = open({ path: opts.path, compression: { threshold: 512 }, mapSize: opts.mapSize ?? 64 * 2 ** 30, maxDbs: 16 });
    const db = <V>(name: string) => root.openDB<V, Key>({ name });
    return new LmdbHistoryStore({
      root,
      rev: db('rev'), ids: db('ids'), life: db('life'), feed: db('feed'), bases: db('bases'), meta: db('meta'),
    });
  }

  /** The raw databases, for the compactor's disk accounting and for tests. */
  get dbs(): LmdbDbs {
    return this.#dbs;
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    if (records.length === 0) return { inserted: 0, merged: 0, duplicates: 0 };
    try {
      const result = await this.#dbs.root.transaction(() => this.#writer.appendAll(records));
      await this.#dbs.root.flushed;
      return result;
    } catch (e) {
      this.#writer.forgetCache();
      throw unavailable('append', e);
    }
  }

  async *revisions(q: RevisionQuery): AsyncIterable<Revision> {
    const { cluster, gk, namespace, name } = q.key;
    const lo: Key = [cluster, gk, namespace, name, q.from ?? TS_MIN];
    const hi: Key = [cluster, gk, namespace, name, q.to === undefined ? TS_MAX : q.to + 1];
    const range = q.order === 'asc'
      ? this.#dbs.rev.getRange({ start: lo, end: hi, limit: q.limit })
      : this.#dbs.rev.getRange({ start: hi, end: lo, reverse: true, limit: q.limit });
    for (const { key, value } of range) {
      yield this.#writer.toRecord(key, value);
    }
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
        key: { cluster, gk, namespace, name }, uid,
        group: value.group, kind: value.kind, apiVersion: value.apiVersion, resource: value.resource,
        from: value.from, to: value.to,
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
      yield {
        cluster, ts, gk, namespace, name, uid,
        op: value.op, group: value.group, kind: value.kind, resourceVersion: value.rv, source: value.source,
        ...(value.verb ? { verb: value.verb } : {}),
        ...(value.actor ? { actor: value.actor } : {}),
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
    try {
      const removed = await this.#dbs.root.transaction(() => this.#writer.prune(req));
      await this.#dbs.root.flushed;
      return { removed };
    } catch (e) {
      this.#writer.forgetCache();
      throw unavailable('prune', e);
    }
  }

  async close(): Promise<void> {
    await this.#dbs.root.close();
  }
}
