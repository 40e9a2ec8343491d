/**
 * The cassandra-driver boundary: building a client with kubetime's policies, turning driver
 * errors into KubetimeErrors, and `CassandraDb`, a thin wrapper every store module goes through
 * (prepared statements, bounded requests in flight, paging, unlogged batches per partition or
 * per replica set).
 */
import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import { KubetimeError } from '../../core/errors.ts';
import pLimit, { type LimitFunction } from 'p-limit';

export type Row = cassandra.types.Row;
export type Params = unknown[];

/** Where Cassandra is and how to talk to it. */
export interface CassandraConnectionOptions {
  /** `host` or `host:port` entries. */
  contactPoints: string[];
  /** The data centre the driver treats as local (SimpleSnitch reports `datacenter1`). */
  localDataCenter: string;
  username?: string;
  password?: string;
  /** Consistency of reads and writes (default LOCAL_QUORUM). */
  consistency?: 'ONE' | 'LOCAL_ONE' | 'LOCAL_QUORUM' | 'QUORUM' | 'ALL';
  /** Per-request timeout in ms (default 12,000). */
  requestTimeoutMs?: number;
  /** Send a speculative second request after this many ms (idempotent statements only; off by default). */
  speculativeDelayMs?: number;
  /** Upper bound of the delay between reconnection attempts, ms (default 5,000). */
  maxReconnectDelayMs?: number;
  logger?: Logger;
}

const { errors, policies, types } = cassandra;

/** Whether the driver failure means "Cassandra cannot serve now" (as opposed to a bug in a query). */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof errors.NoHostAvailableError || e instanceof errors.OperationTimedOutError || e instanceof errors.BusyConnectionError) {
    return true;
  }
  if (e instanceof errors.ResponseError) {
    const c = types.responseErrorCodes;
    return [
      c.serverError, c.unavailableException, c.overloaded, c.isBootstrapping, c.truncateError,
      c.writeTimeout, c.readTimeout, c.readFailure, c.writeFailure, c.protocolError,
    ].includes(e.code);
  }
  // Socket-level failures before the driver classifies them (ECONNREFUSED, EPIPE, …).
  return e instanceof errors.DriverInternalError || (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E'));
}

/** Wraps any failure of a Cassandra call in a KubetimeError carrying the original as `cause`. */
export function storeError(what: string, e: unknown): KubetimeError {
  if (e instanceof KubetimeError) return e;
  if (isUnavailable(e)) {
    return new KubetimeError('STORE_UNAVAILABLE', `cassandra: ${what} failed: Cassandra is unreachable or overloaded`, { operation: what }, { cause: e });
  }
  return new KubetimeError('INTERNAL', `cassandra: ${what} failed`, { operation: what }, { cause: e });
}

/** Builds (does not connect) a driver client with reconnection, retry and timeout policies. */
export function createClient(opts: CassandraConnectionOptions & { keyspace?: string }): cassandra.Client {
  const client = new cassandra.Client({
    contactPoints: opts.contactPoints,
    localDataCenter: opts.localDataCenter,
    ...(opts.keyspace ? { keyspace: opts.keyspace } : {}),
    ...(opts.username ? { credentials: { username: opts.username, password: opts.password ?? '' } } : {}),
    policies: {
      // Keep trying to reconnect while Cassandra is down, so the store recovers without a restart.
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(200, opts.maxReconnectDelayMs ?? 5_000, true),
      ...(opts.speculativeDelayMs !== undefined
        ? { speculativeExecution: new policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(opts.speculativeDelayMs, 1) }
        : {}),
    },
    queryOptions: {
      consistency: types.consistencies[toConsistencyName(opts.consistency ?? 'LOCAL_QUORUM')],
      serialConsistency: types.consistencies.localSerial,
      prepare: true,
      isIdempotent: true,
    },
    socketOptions: { connectTimeout: 5_000, readTimeout: opts.requestTimeoutMs ?? 12_000 },
    protocolOptions: { maxSchemaAgreementWaitSeconds: 30 },
    // undefined binds as "unset" (no tombstone); the store binds null only to clear a cell.
    encoding: { useUndefinedAsUnset: true },
    pooling: { heartBeatInterval: 5_000 },
  });
  const log = opts.logger?.child({ component: 'cassandra-driver' });
  if (log) {
    // Host up/down and connection trouble, as the driver reports it.
    client.on('log', (level: string, driverClass: string, message: string) => {
      if (level === 'error') log.error({ driverClass }, message);
      else if (level === 'warning') log.warn({ driverClass }, message);
    });
  }
  return client;
}

function toConsistencyName(c: NonNullable<CassandraConnectionOptions['consistency']>): 'one' | 'localOne' | 'localQuorum' | 'quorum' | 'all' {
  return ({ ONE: 'one', LOCAL_ONE: 'localOne', LOCAL_QUORUM: 'localQuorum', QUORUM: 'quorum', ALL: 'all' } as const)[c];
}

/** Statements per single-partition batch. */
const MAX_BATCH = 64;
/**
 * Bytes of bound values per batch, as bytesOf counts them. Cassandra logs (and tells the client)
 * a warning for a batch over batch_size_warn_threshold (default 5 KiB) and refuses one over
 * batch_size_fail_threshold (default 50 KiB; test/infra/cassandra.sh keeps both defaults): this
 * keeps batches under the warning.
 */
const MAX_BATCH_BYTES = 4 * 1024;

/**
 * Partitions per batch across partitions (statements with `routing`, all on the same replicas).
 * Cassandra logs a warning for an unlogged batch over more partitions than
 * unlogged_batch_across_partitions_warn_threshold (default 10).
 */
const MAX_PARTITIONS = 10;

/**
 * The serialized partition key of `values` (the driver's routing key: one component as is,
 * several as [length][bytes][0] each). Strings are text, numbers bigint.
 */
export function routingKey(values: readonly (string | number)[]): Buffer {
  const parts = values.map((v) => {
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return b;
  });
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts.flatMap((p) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(p.length);
    return [len, p, Buffer.alloc(1)];
  }));
}

/** The bytes a statement's values take in a batch (an estimate: value sizes, 8 per value for the rest). */
function bytesOf(s: Statement): number {
  let n = 0;
  for (const p of s.params) {
    n += 8;
    if (typeof p === 'string') n += Buffer.byteLength(p);
    else if (Buffer.isBuffer(p)) n += p.length;
  }
  return n;
}

interface CoalescedGroup {
  statements: Statement[];
  bytes: number;
  what: string;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** One CQL statement with its bound values. */
export interface Statement {
  cql: string;
  params: Params;
}

/**
 * A write writeAll may batch: with statements of its `partition` (a string naming it), and, when
 * it gives its partition key values as `routing`, with writes of other partitions stored on the
 * same replicas (Cassandra applies such a batch on the replicas it reaches: one request, no
 * fan-out; the batch is not atomic, as no unlogged batch is).
 */
export type Write = Statement & {
  partition?: string;
  routing?: readonly (string | number)[];
  /** Goes in the batch of the statement before it (same partition), whatever the batch's size. */
  withPrevious?: boolean;
};

/** Whether `s` may not join a batch of `count` statements and `bytes` bytes. */
function full(count: number, bytes: number, s: Write, more: number): boolean {
  return !s.withPrevious && (count >= MAX_BATCH || bytes + more > MAX_BATCH_BYTES);
}

interface Group {
  statements: Statement[];
  bytes: number;
  partitions: number;
  routing?: Buffer;
}

/**
 * The store's only way to Cassandra. Every statement is prepared, marked idempotent (all the
 * store's writes are upserts or deletes of fixed keys) and runs under a limiter (p-limit) bounding
 * the requests in flight; failures become KubetimeErrors (STORE_UNAVAILABLE when Cassandra is down).
 */
export class CassandraDb {
  readonly client: cassandra.Client;
  readonly #limit: LimitFunction;
  /** Requests sent (statements and batches; each page of a read counts), for benchmarks. */
  requests = 0;
  /** writeCoalesced: statements waiting for the end of this turn, by partition. */
  readonly #coalescing = new Map<string, CoalescedGroup>();
  #flushQueued = false;

  constructor(client: cassandra.Client, maxInFlight = 64) {
    this.client = client;
    this.#limit = pLimit(maxInFlight);
  }

  async execute(cql: string, params: Params = [], what = 'query', opts: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    try {
      this.requests++;
      return await this.#limit(() => this.client.execute(cql, params, { prepare: true, isIdempotent: true, ...opts }));
    } catch (e) {
      throw storeError(what, e);
    }
  }

  /**
   * Runs statements concurrently (bounded); those sharing a partition go as unlogged batches of
   * at most MAX_BATCH statements and MAX_BATCH_BYTES; partitions given a `routing` share batches
   * (up to MAX_PARTITIONS) with others on the same replicas.
   */
  async writeAll(statements: readonly Write[], what = 'write'): Promise<void> {
    const groups: Group[] = [];
    const open = new Map<string, Group>();
    const routings = new Map<Group, readonly (string | number)[]>();
    for (const s of statements) {
      const bytes = bytesOf(s);
      const g = s.partition === undefined ? undefined : open.get(s.partition);
      if (g && !full(g.statements.length, g.bytes, s, bytes)) {
        g.statements.push(s);
        g.bytes += bytes;
        continue;
      }
      const fresh: Group = { statements: [s], bytes, partitions: 1 };
      groups.push(fresh);
      if (s.partition !== undefined) open.set(s.partition, fresh);
      if (s.routing) routings.set(fresh, s.routing);
    }
    const sends: Group[] = [];
    const byReplicas = new Map<string, Group>();
    for (const g of groups) {
      const values = routings.get(g);
      if (!values) {
        sends.push(g);
        continue;
      }
      const routing = routingKey(values);
      const replicas = this.client.getReplicas(this.client.keyspace, routing) as { address: string }[] | null;
      const key = replicas ? replicas.map((h) => h.address).sort().join(',') : '';
      let r = byReplicas.get(key);
      if (r && (r.partitions >= MAX_PARTITIONS || r.statements.length + g.statements.length > MAX_BATCH || r.bytes + g.bytes > MAX_BATCH_BYTES)) {
        sends.push(r);
        r = undefined;
      }
      if (!r) byReplicas.set(key, (r = { statements: [], bytes: 0, partitions: 0, routing }));
      r.statements.push(...g.statements);
      r.bytes += g.bytes;
      r.partitions++;
    }
    sends.push(...byReplicas.values());
    await Promise.all(sends.map((g) => (g.statements.length === 1 ? this.execute(g.statements[0]!.cql, g.statements[0]!.params, what) : this.#batch(g.statements, what, g.routing))));
  }

  /**
   * Like writeAll, but the statements of one partition that concurrent callers write within one
   * turn of the event loop share an unlogged batch (one request for the feed rows of many
   * records). For upserts only: a batch gives its statements one timestamp, so a delete and an
   * insert of one row in it would leave the delete.
   */
  async writeCoalesced(statements: readonly Write[], what = 'write'): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const s of statements) {
      if (s.partition === undefined) {
        waits.push(this.execute(s.cql, s.params, what));
        continue;
      }
      const bytes = bytesOf(s);
      let g = this.#coalescing.get(s.partition);
      if (g && full(g.statements.length, g.bytes, s, bytes)) {
        this.#coalescing.delete(s.partition);
        this.#send(g);
        g = undefined;
      }
      if (!g) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
        g = { statements: [], bytes: 0, what, done, resolve, reject };
        this.#coalescing.set(s.partition, g);
      }
      g.statements.push(s);
      g.bytes += bytes;
      waits.push(g.done);
    }
    if (this.#coalescing.size && !this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(() => {
        this.#flushQueued = false;
        const groups = [...this.#coalescing.values()];
        this.#coalescing.clear();
        for (const g of groups) this.#send(g);
      });
    }
    await Promise.all(waits);
  }

  #send(g: CoalescedGroup): void {
    const [first] = g.statements;
    const sent = g.statements.length === 1 ? this.execute(first!.cql, first!.params, g.what) : this.#batch(g.statements, g.what);
    sent.then(() => g.resolve(), g.reject);
  }

  async #batch(statements: Statement[], what: string, routing?: Buffer): Promise<void> {
    this.requests++;
    try {
      await this.#limit(() =>
        this.client.batch(statements.map((s) => ({ query: s.cql, params: s.params })), { prepare: true, logged: false, isIdempotent: true, ...(routing ? { routingKey: routing } : {}) }),
      );
    } catch (e) {
      throw storeError(what, e);
    }
  }

  /** Every row of a query, fetched page by page; stop iterating to stop fetching. */
  async *rows(cql: string, params: Params, what = 'read', fetchSize = 500): AsyncGenerator<Row> {
    let pageState: string | undefined;
    do {
      const rs = await this.execute(cql, params, what, { fetchSize, ...(pageState ? { pageState } : {}) });
      for (const row of rs.rows) yield row;
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }

  async shutdown(): Promise<void> {
    await this.client.shutdown();
  }
}

/** A bigint column (driver Long) or null as a JS number / null. */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  return (v as cassandra.types.Long).toNumber();
}

/** Like num() for columns that are never null. */
export function num0(v: unknown): number {
  return num(v) ?? 0;
}
