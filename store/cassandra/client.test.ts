import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { KubetimeError } from '../../core/errors.ts';
import { CassandraDb, isUnavailable, num, storeError } from './client.ts';

const { errors, types } = cassandra;

describe('storeError', () => {
  it('maps "Cassandra cannot serve now" to STORE_UNAVAILABLE with the driver error as cause', () => {
    const cases = [
      new errors.NoHostAvailableError({}),
      new errors.OperationTimedOutError('timed out', '127.0.0.1:9042'),
      new errors.ResponseError(types.responseErrorCodes.unavailableException, 'not enough replicas'),
      new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'write timeout'),
      new errors.ResponseError(types.responseErrorCodes.readTimeout, 'read timeout'),
      new errors.ResponseError(types.responseErrorCodes.overloaded, 'overloaded'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ];
    for (const e of cases) {
      expect(isUnavailable(e)).toBe(true);
      const k = storeError('append', e);
      expect(k).toBeInstanceOf(KubetimeError);
      expect(k.code).toBe('STORE_UNAVAILABLE');
      expect(k.cause).toBe(e);
      expect(k.details).toEqual({ operation: 'append' });
    }
  });

  it('maps query bugs to INTERNAL, not to "unavailable" (retrying would not help)', () => {
    for (const e of [
      new errors.ResponseError(types.responseErrorCodes.syntaxError, 'line 1'),
      new errors.ResponseError(types.responseErrorCodes.invalid, 'unknown column'),
      new TypeError('Not a valid bigint'),
    ]) {
      expect(isUnavailable(e)).toBe(false);
      expect(storeError('read', e).code).toBe('INTERNAL');
    }
  });

  it('passes KubetimeErrors through unchanged', () => {
    const k = new KubetimeError('INVALID_ARGUMENT', 'x');
    expect(storeError('read', k)).toBe(k);
  });
});

describe('num', () => {
  it('turns driver Longs into numbers and keeps null', () => {
    expect(num(types.Long.fromNumber(1768039200000123))).toBe(1768039200000123);
    expect(num(null)).toBeNull();
    expect(num(undefined)).toBeNull();
    expect(num(5)).toBe(5);
  });
});

/** A stand-in for the driver client: records calls, answers pages, fails on demand. */
function fakeClient(opts: { pages?: unknown[][]; failWith?: Error } = {}) {
  const calls: { kind: 'execute' | 'batch'; size: number; options: Record<string, unknown> }[] = [];
  let inFlight = 0;
  let peak = 0;
  const settle = async <T>(v: T): Promise<T> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    if (opts.failWith) throw opts.failWith;
    return v;
  };
  const client = {
    execute: (_cql: string, _params: unknown[], options: Record<string, unknown>) => {
      calls.push({ kind: 'execute', size: 1, options });
      const page = options.pageState ? Number(options.pageState) : 0;
      const rows = opts.pages?.[page] ?? [];
      const more = opts.pages && page + 1 < opts.pages.length;
      return settle({ rows, pageState: more ? String(page + 1) : null });
    },
    batch: (queries: unknown[], options: Record<string, unknown>) => {
      calls.push({ kind: 'batch', size: queries.length, options });
      return settle({});
    },
    shutdown: async () => undefined,
    keyspace: 'ks',
    getReplicas: (_ks: string, key: Buffer) => [{ address: key[0] === 0x61 ? 'host-a' : 'host-b' }],
  };
  return { client: client as unknown as cassandra.Client, calls, peak: () => peak };
}

describe('CassandraDb', () => {
  it('batches only statements of one partition, at most 64 per batch, and runs the rest alone', async () => {
    const f = fakeClient();
    const db = new CassandraDb(f.client, 8);
    const same = Array.from({ length: 130 }, () => ({ cql: 'INSERT', params: [], partition: 'p1' }));
    const solo = Array.from({ length: 3 }, () => ({ cql: 'INSERT', params: [] }));
    await db.writeAll([...same, ...solo, { cql: 'INSERT', params: [], partition: 'p2' }]);
    const batches = f.calls.filter((c) => c.kind === 'batch').map((c) => c.size).sort((a, b) => b - a);
    expect(batches).toEqual([64, 64, 2]);
    expect(f.calls.filter((c) => c.kind === 'execute')).toHaveLength(3 + 1);
    for (const c of f.calls) expect(c.options).toMatchObject({ prepare: true, isIdempotent: true });
    expect(f.calls.find((c) => c.kind === 'batch')!.options).toMatchObject({ logged: false });
    expect(f.peak()).toBeLessThanOrEqual(8);
  });

  it('cuts the batch of a partition before its values pass 4 KiB (Cassandra warns over 5 KiB)', async () => {
    const f = fakeClient();
    const db = new CassandraDb(f.client, 8);
    const row = () => ({ cql: 'INSERT', params: ['k', Buffer.alloc(1_500)], partition: 'p1' });
    await db.writeAll(Array.from({ length: 5 }, row));
    expect(f.calls.map((c) => c.size)).toEqual([2, 2, 1]);
    const g = fakeClient();
    const coalescing = new CassandraDb(g.client, 8);
    await Promise.all(Array.from({ length: 5 }, () => coalescing.writeCoalesced([row()])));
    expect(g.calls.map((c) => c.size).sort()).toEqual([1, 2, 2]);
  });

  it('keeps a statement marked withPrevious in the batch of the one before it, however large (a revision and its base)', async () => {
    const base = { cql: 'INSERT base', params: [Buffer.alloc(6_000)], partition: 'p1' };
    const revision = { cql: 'INSERT rev', params: [Buffer.alloc(500)], partition: 'p1', withPrevious: true };
    const other = { cql: 'INSERT rev', params: [Buffer.alloc(500)], partition: 'p1' };
    for (const write of ['writeAll', 'writeCoalesced'] as const) {
      const f = fakeClient();
      await new CassandraDb(f.client, 8)[write]([other, base, revision]);
      expect(f.calls.map((c) => c.size).sort()).toEqual([1, 2]);
    }
  });

  it('batches partitions on the same replicas together (at most 10), routed to them; others alone', async () => {
    const f = fakeClient();
    const db = new CassandraDb(f.client, 8);
    // Keys starting with "a" live on one replica, the others on another (see fakeClient).
    const rows = [...Array.from({ length: 12 }, (_, i) => `a${i}`), ...Array.from({ length: 3 }, (_, i) => `b${i}`)]
      .map((k) => ({ cql: 'INSERT', params: [k], partition: k, routing: [k] }));
    await db.writeAll([...rows, { cql: 'INSERT solo', params: [] }]);
    expect(f.calls.map((c) => c.size).sort((a, b) => b - a)).toEqual([10, 3, 2, 1]);
    for (const c of f.calls.filter((x) => x.kind === 'batch')) expect(c.options.routingKey).toBeInstanceOf(Buffer);
  });

  it('shares a batch among concurrent writers of one partition, and fails every one of them with it', async () => {
    const f = fakeClient();
    const db = new CassandraDb(f.client, 8);
    const write = (i: number) => db.writeCoalesced([
      { cql: 'INSERT feed', params: [i], partition: 'feed' },
      { cql: 'INSERT rev', params: [i], partition: `rev${i}` },
      { cql: 'INSERT solo', params: [i] },
    ]);
    await Promise.all(Array.from({ length: 70 }, (_, i) => write(i)));
    const batches = f.calls.filter((c) => c.kind === 'batch').map((c) => c.size).sort((a, b) => b - a);
    expect(batches).toEqual([64, 6]); // the feed rows of 70 writers; each rev partition alone
    expect(f.calls.filter((c) => c.kind === 'execute')).toHaveLength(70 + 70);
    const down = new errors.NoHostAvailableError({});
    const failing = new CassandraDb(fakeClient({ failWith: down }).client);
    const both = [1, 2].map((i) => failing.writeCoalesced([{ cql: 'INSERT feed', params: [i], partition: 'feed' }], 'append'));
    for (const p of both) await expect(p).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', cause: down });
  });

  it('pages through a result and stops fetching when the reader stops', async () => {
    const f = fakeClient({ pages: [[1, 2], [3, 4], [5]] });
    const db = new CassandraDb(f.client);
    const all: unknown[] = [];
    for await (const r of db.rows('SELECT', [], 'read', 2)) all.push(r);
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(f.calls).toHaveLength(3);
    const g = fakeClient({ pages: [[1, 2], [3, 4], [5]] });
    for await (const r of new CassandraDb(g.client).rows('SELECT', [], 'read', 2)) if ((r as unknown) === 1) break;
    expect(g.calls).toHaveLength(1);
  });

  it('turns a driver failure into STORE_UNAVAILABLE with the driver error as cause', async () => {
    const down = new errors.NoHostAvailableError({});
    const db = new CassandraDb(fakeClient({ failWith: down }).client);
    await expect(db.writeAll([{ cql: 'INSERT', params: [] }], 'append')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', cause: down });
    await expect(db.execute('SELECT', [], 'read')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', cause: down });
  });
});
