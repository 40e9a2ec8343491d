/**
 * The writer's memory of each uid's current base (codec.ts) per revisions bucket, so the next
 * revision is stored as a patch against it. Entries are kept compressed (about 1.5 KB for a Pod,
 * so tens of thousands fit); on a miss the base is found through the newest revisions of the
 * bucket, so a restart or an eviction costs two reads instead of a new full copy.
 */
import type { KubeObject } from '../../core/record.ts';
import type { CassandraDb } from './client.ts';
import { LRUCache } from 'lru-cache';
import { unpackJson, type BaseEntry, type Packed } from './codec.ts';
import { CQL } from './cql.ts';
import { revPartition, type RevLoc } from './rows.ts';

type Cached = Packed & { hash: string; size: number };

export class BaseCache {
  readonly #db: CassandraDb;
  readonly #lru: LRUCache<string, Cached>;

  constructor(db: CassandraDb, entries = 32_768) {
    this.#db = db;
    this.#lru = new LRUCache({ max: entries });
  }

  /** The base the uid's newest revision in this bucket patches against, if any. */
  async current(loc: RevLoc, bucket: number): Promise<BaseEntry | undefined> {
    const key = `${revPartition(loc, bucket)}\u0000${loc.uid}`;
    let c = this.#lru.get(key);
    if (!c) {
      c = await this.#load(loc, bucket);
      if (!c) return undefined;
      this.#lru.set(key, c);
    }
    return { hash: c.hash, size: c.size, object: unpackJson(c.codec, c.body) as KubeObject };
  }

  /**
   * The body of a base this cache holds, without reading Cassandra or touching recency: readers
   * (revision-reader.ts) ask it first, since a base is named by its content's hash.
   */
  peek(loc: Pick<RevLoc, 'cluster' | 'gk' | 'namespace' | 'name' | 'uid'>, bucket: number, hash: string): Packed | undefined {
    const c = this.#lru.peek(`${revPartition(loc, bucket)}\u0000${loc.uid}`);
    return c && c.hash === hash ? c : undefined;
  }

  /** Remembers a base once it is written. */
  remember(loc: RevLoc, bucket: number, base: BaseEntry & Packed): void {
    this.#lru.set(`${revPartition(loc, bucket)}\u0000${loc.uid}`, { hash: base.hash, size: base.size, codec: base.codec, body: base.body });
  }

  clear(): void {
    this.#lru.clear();
  }

  async #load(loc: RevLoc, bucket: number): Promise<Cached | undefined> {
    const pk = [loc.cluster, loc.gk, loc.namespace, loc.name, bucket];
    const recent = await this.#db.execute(CQL.selectRecentBaseHashes, pk, 'read revision base');
    const hash = recent.rows.find((r) => r.get('uid') === loc.uid && r.get('base_hash'))?.get('base_hash') as string | undefined;
    if (!hash) return undefined;
    const rs = await this.#db.execute(CQL.selectBase, [...pk, loc.uid, hash], 'read revision base');
    const row = rs.rows[0];
    if (!row) return undefined;
    const codec = (row.get('codec') as number | null) ?? 0;
    const body = row.get('body') as Buffer;
    return { hash, codec, body, size: JSON.stringify(unpackJson(codec, body)).length };
  }
}
