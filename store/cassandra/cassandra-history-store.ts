/**
 * CassandraHistoryStore: the HistoryStore port (core/ports.ts) on Apache Cassandra 5, for
 * clusters too large or too shared for the embedded store. Tables and the queries each serves:
 * schema/001_history.cql and 002_summary_slim.cql; write path: revision-writer.ts; lifetimes: lifetimes.ts.
 *
 * Failures of Cassandra reject with KubetimeError STORE_UNAVAILABLE (driver error as `cause`);
 * the driver keeps reconnecting, so the same instance works again once Cassandra is back.
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import { KubetimeError, invalidArgument } from '../../core/errors.ts';
import type {
  AppendResult, ClusterInfo, FeedEntry, FeedQuery, HistoryStore, Lifetime, LifetimeQuery,
  PruneRequest, Revision, RevisionQuery, SeenKind,
} from '../../core/ports.ts';
import { groupKind, type ChangeRecord, type KubeObject, type ObjectKey } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { CassandraDb, createClient, num0, storeError, type CassandraConnectionOptions } from './client.ts';
import { CQL } from './cql.ts';
import { readFeed } from './feed-reader.ts';
import { Buckets, type Layout } from './layout.ts';
import { LifetimeIndex } from './lifetimes.ts';
import { migrate, validateKeyspace, type Replication } from './migrate.ts';
import { prune } from './prune.ts';
import { BaseCache } from './base-cache.ts';
import { RevisionReader } from './revision-reader.ts';
import { RevisionWriter } from './revision-writer.ts';
import { SummaryReader } from './summary-reader.ts';
import { loadLayout } from './settings.ts';

/** The schema version (schema/NNN_*.cql) this code needs. */
export const REQUIRED_SCHEMA_VERSION = 2;

export interface CassandraHistoryStoreOptions extends CassandraConnectionOptions {
  keyspace: string;
  /** Apply pending schema migrations before connecting (default false: `kubetime migrate`). */
  migrate?: boolean;
  /** Keyspace replication when `migrate` creates it (default SimpleStrategy, factor 1). */
  replication?: Replication | string;
  /** Length of a revisions partition in seconds (default 6 h); fixed when the keyspace is first used. */
  bucketSeconds?: number;
  /** Other layout constants (layout.ts); fixed when the keyspace is first used. */
  layout?: Partial<Layout>;
  /** Retention TTL of history rows in seconds (default 0: kept until pruned). See schema/README.md. */
  ttlSeconds?: number;
  /** Cassandra requests in flight per store (default 64). */
  maxInFlight?: number;
  /** Records one phase of an append handles at once (default 32). */
  uidConcurrency?: number;
  logger?: Logger;
}

export class CassandraHistoryStore implements HistoryStore {
  readonly #db: CassandraDb;
  readonly #buckets: Buckets;
  readonly #reader: RevisionReader;
  readonly #summaries: SummaryReader;
  readonly #lifetimes: LifetimeIndex;
  readonly #writer: RevisionWriter;
  #clusters: { at: number; list: Promise<ClusterInfo[]> } | undefined;

  private constructor(db: CassandraDb, buckets: Buckets, opts: CassandraHistoryStoreOptions) {
    const ttlSeconds = opts.ttlSeconds ?? 0;
    const log = opts.logger?.child({ component: 'cassandra-store' });
    this.#db = db;
    this.#buckets = buckets;
    // One cache of current bases: the writer fills it, reads of recent states take bases from it.
    const bases = new BaseCache(db);
    this.#reader = new RevisionReader(db, buckets, bases);
    this.#summaries = new SummaryReader(db, buckets, this.#reader);
    this.#lifetimes = new LifetimeIndex({ db, buckets, ttlSeconds, kindsOf: (c) => this.#kindsOf(c), ...(log ? { logger: log } : {}) });
    this.#writer = new RevisionWriter({
      db, buckets, reader: this.#reader, lifetimes: this.#lifetimes, ttlSeconds, bases,
      ...(opts.uidConcurrency ? { uidConcurrency: opts.uidConcurrency } : {}),
      ...(log ? { logger: log } : {}),
    });
  }

  /**
   * Connects to the keyspace and checks its schema version.
   * @throws KubetimeError STORE_UNAVAILABLE when Cassandra is unreachable or the schema is missing/old.
   */
  static async connect(opts: CassandraHistoryStoreOptions): Promise<CassandraHistoryStore> {
    const keyspace = validateKeyspace(opts.keyspace);
    if (opts.ttlSeconds !== undefined && (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 0)) {
      throw invalidArgument('ttlSeconds', 'must be a non-negative integer');
    }
    if (opts.migrate) await migrate(opts);
    const db = new CassandraDb(createClient({ ...opts, keyspace }), opts.maxInFlight ?? 64);
    try {
      await db.client.connect().catch((e: unknown) => {
        throw missingSchema(e, keyspace) ?? storeError('connect', e);
      });
      await checkSchema(db, keyspace);
      const layout = await loadLayout(db, { ...opts.layout, ...(opts.bucketSeconds ? { revisionBucketSeconds: opts.bucketSeconds } : {}) }, opts.logger);
      return new CassandraHistoryStore(db, new Buckets(layout), opts);
    } catch (e) {
      await db.shutdown().catch(() => undefined);
      throw e;
    }
  }

  /** The layout constants in force (for tests and the sizing note). */
  get layout(): Layout {
    return this.#buckets.layout;
  }

  /** Requests sent to Cassandra since connect (statements and batches), for benchmarks. */
  get requests(): number {
    return this.#db.requests;
  }

  async append(records: readonly ChangeRecord[]): Promise<AppendResult> {
    if (records.length === 0) return { inserted: 0, merged: 0, duplicates: 0 };
    try {
      return await this.#writer.appendAll(records);
    } finally {
      this.#clusters = undefined; // its first/last seen may have moved
    }
  }

  revisionAt(key: ObjectKey, at: Micros, window: number): Promise<Revision | undefined> {
    checkRange(undefined, at);
    return this.#reader.revisionAt(key, at, window);
  }

  /** Slim objects of the revisions in force (summary-reader.ts): many names per request, no object rebuilt. */
  summaryStatesAt(keys: readonly ObjectKey[], at: Micros, window: number): Promise<(KubeObject | null | 'full')[]> {
    checkRange(undefined, at);
    return this.#summaries.statesAt(keys, at, window);
  }

  revisions(q: RevisionQuery): AsyncIterable<Revision> {
    checkRange(q.from, q.to);
    return this.#reader.revisions(q);
  }

  lifetimes(q: LifetimeQuery): AsyncIterable<Lifetime> {
    if (q.aliveAt !== undefined && !Number.isSafeInteger(q.aliveAt)) throw invalidArgument('aliveAt', 'must be integer microseconds');
    return this.#lifetimes.query(q);
  }

  feed(q: FeedQuery): AsyncIterable<FeedEntry> {
    return readFeed(this.#db, this.#buckets, this.#reader, q);
  }

  /**
   * Every query resolves its cluster first: the answer is kept CLUSTERS_TTL_MS (another process's
   * writes show after that at most; this one's at once).
   */
  async clusters(): Promise<ClusterInfo[]> {
    const cached = this.#clusters;
    if (cached && performance.now() - cached.at < CLUSTERS_TTL_MS) return cached.list;
    const read = this.#readClusters();
    this.#clusters = { at: performance.now(), list: read };
    read.catch(() => {
      if (this.#clusters?.list === read) this.#clusters = undefined;
    });
    return read;
  }

  async #readClusters(): Promise<ClusterInfo[]> {
    const rs = await this.#db.execute(CQL.selectClusters, [], 'read clusters');
    return rs.rows
      .filter((r) => r.get('first_seen') !== null && r.get('last_seen') !== null)
      .map((r) => ({ name: r.get('cluster') as string, firstSeen: num0(r.get('first_seen')), lastSeen: num0(r.get('last_seen')) }));
  }

  async kinds(cluster: string): Promise<SeenKind[]> {
    const rs = await this.#db.execute(CQL.selectKinds, [cluster], 'read kinds');
    const kinds: SeenKind[] = rs.rows.map((r) => ({
      group: r.get('grp'), version: r.get('version'), kind: r.get('kind'), resource: r.get('resource'), namespaced: r.get('namespaced') === true,
    }));
    // Ordered by group-kind, like every other listing of the store.
    const gk = (k: SeenKind) => groupKind(k.group, k.kind);
    return kinds.sort((a, b) => (gk(a) < gk(b) ? -1 : gk(a) > gk(b) ? 1 : 0));
  }

  async prune(req: PruneRequest): Promise<{ removed: number }> {
    try {
      const removed = await prune({ db: this.#db, buckets: this.#buckets, reader: this.#reader, lifetimes: this.#lifetimes, kindsOf: (c) => this.#kindsOf(c) }, req);
      return { removed };
    } finally {
      // Pruned buckets may have held bases or index rows the caches remember.
      this.#writer.forget();
      this.#lifetimes.forget();
      this.#clusters = undefined;
    }
  }

  async close(): Promise<void> {
    await this.#db.shutdown();
  }

  async #kindsOf(cluster: string): Promise<string[]> {
    return [...new Set((await this.kinds(cluster)).map((k) => groupKind(k.group, k.kind)))];
  }
}

/** How long the cluster list is reused, ms. */
const CLUSTERS_TTL_MS = 1_000;

function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && !Number.isSafeInteger(from)) throw invalidArgument('from', 'must be integer microseconds');
  if (to !== undefined && !Number.isSafeInteger(to)) throw invalidArgument('to', 'must be integer microseconds');
}

/** A keyspace or table that does not exist: the schema was never migrated. */
function missingSchema(e: unknown, keyspace: string): KubetimeError | undefined {
  if (e instanceof cassandra.errors.ResponseError && e.code === cassandra.types.responseErrorCodes.invalid) {
    return new KubetimeError('STORE_UNAVAILABLE', `cassandra: keyspace ${keyspace} has no kubetime schema; run \`kubetime migrate\``, { keyspace }, { cause: e });
  }
  return undefined;
}

async function checkSchema(db: CassandraDb, keyspace: string): Promise<void> {
  let versions: number[];
  try {
    versions = (await db.client.execute(CQL.selectSchemaVersions)).rows.map((r) => r.get('version') as number);
  } catch (e) {
    throw missingSchema(e, keyspace) ?? storeError('read schema_version', e);
  }
  const current = Math.max(0, ...versions);
  if (current < REQUIRED_SCHEMA_VERSION) {
    throw new KubetimeError('STORE_UNAVAILABLE', `cassandra: keyspace ${keyspace} has schema version ${current}, this kubetime needs ${REQUIRED_SCHEMA_VERSION}; run \`kubetime migrate\``, { keyspace, current, required: REQUIRED_SCHEMA_VERSION });
  }
}
