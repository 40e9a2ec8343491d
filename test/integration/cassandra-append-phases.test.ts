/**
 * The phased append of the Cassandra store (store/cassandra/revision-writer.ts) on a real
 * Cassandra: the records of one append go in rounds (the k-th record of every uid), each round
 * phase by phase — every identity read, every data row, then every identity row. Proven here:
 * the order of those requests, and that a crash between the data rows and the identity rows
 * (every identity write failing, as if the process died there) or part way through the identity
 * rows is followed by a retry that stores everything exactly once: the store then answers like
 * the embedded store fed each record once.
 */
import cassandra from 'cassandra-driver';
import { expect, it, vi } from 'vitest';
import type { ChangeRecord } from '../../core/record.ts';
import { routingKey } from '../../store/cassandra/client.ts';
import { describeCassandra, storesPerTest, type CassandraTarget } from './cassandra-helpers.ts';
import { StoreComparison } from './cassandra-compare.ts';
import { generateWorkload, W_T0 } from './cassandra-workload.ts';

const SEC = 1_000_000;
const TINY = {
  revisionBucketSeconds: 600, feedBucketSeconds: 60, namespaceFeedBucketSeconds: 300,
  lifetimeEpochSeconds: 900, churnyEpochSeconds: 300, lifetimeShards: 2,
};

const READ_ID = /^SELECT .* FROM revision_ids/;
const WRITE_ID = /^INSERT INTO revision_ids/;
const WRITE_REVISION = /^INSERT INTO revisions /;

/**
 * Logs every driver request as the statements it carries, and fails requests carrying identity
 * writes on demand: `failIds` = how many more of them fail (Infinity: all). A request carrying
 * the revision row of uid `slowUid` is held back 300 ms, and its answer logged as DONE.
 */
function watchDriver() {
  const state = { log: [] as string[], failIds: 0, failed: 0, slowUid: '' };
  const intercept = (queries: { query: string; params: unknown[] }[], call: () => Promise<unknown>): Promise<unknown> => {
    for (const q of queries) state.log.push(q.query);
    if (queries.some((q) => WRITE_ID.test(q.query)) && state.failIds > 0) {
      state.failIds--;
      state.failed++;
      return Promise.reject(new cassandra.errors.OperationTimedOutError('injected: the process stops before its identity rows'));
    }
    if (queries.some((q) => WRITE_REVISION.test(q.query) && q.params[6] === state.slowUid)) {
      return new Promise((r) => setTimeout(r, 300)).then(call).then((v) => (state.log.push('DONE'), v));
    }
    return call();
  };
  const exec = cassandra.Client.prototype.execute as (...a: unknown[]) => Promise<unknown>;
  const batch = cassandra.Client.prototype.batch as (...a: unknown[]) => Promise<unknown>;
  vi.spyOn(cassandra.Client.prototype, 'execute').mockImplementation(function (this: cassandra.Client, ...args: unknown[]) {
    return intercept([{ query: String(args[0]), params: (args[1] ?? []) as unknown[] }], () => exec.apply(this, args));
  } as typeof cassandra.Client.prototype.execute);
  vi.spyOn(cassandra.Client.prototype, 'batch').mockImplementation(function (this: cassandra.Client, ...args: unknown[]) {
    return intercept(args[0] as { query: string; params: unknown[] }[], () => batch.apply(this, args));
  } as typeof cassandra.Client.prototype.batch);
  return state;
}

/** The log as runs of identity reads (R), revision rows (D), identity writes (W), the slow row's answer (X): "R6 D6 W6 …". */
function phases(log: string[]): string {
  const marks = log.map((q) => (q === 'DONE' ? 'X' : READ_ID.test(q) ? 'R' : WRITE_REVISION.test(q) ? 'D' : WRITE_ID.test(q) ? 'W' : '')).filter(Boolean);
  const runs: [string, number][] = [];
  for (const m of marks) {
    const last = runs.at(-1);
    if (last && last[0] === m) last[1]++;
    else runs.push([m, 1]);
  }
  return runs.map(([m, n]) => `${m}${n}`).join(' ');
}

function pod(uid: string, name: string, rv: number, op: ChangeRecord['op'], ts: number): ChangeRecord {
  return {
    cluster: 'c1', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'shop', name, uid,
    resourceVersion: String(rv), op, ts, observedAt: ts, source: 'watch',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', uid, resourceVersion: String(rv) }, status: { n: rv } },
  };
}

async function rowCount(t: CassandraTarget, keyspace: string, table: string): Promise<number> {
  const client = new cassandra.Client({ contactPoints: t.contactPoints, localDataCenter: t.localDataCenter, keyspace });
  try {
    return (await client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.get('n').toNumber();
  } finally {
    await client.shutdown();
  }
}

describeCassandra('CassandraHistoryStore: the append phased across its records', (target) => {
  const stores = storesPerTest(target, 'kt_phases', TINY);

  it('reads every identity of a round, then writes its data rows, then its identity rows; a uid\'s records one round after another', async () => {
    const t = W_T0;
    const records = [
      pod('a', 'pod-a', 101, 'ADDED', t), pod('b', 'pod-b', 102, 'ADDED', t + SEC), pod('a', 'pod-a', 103, 'MODIFIED', t + 2 * SEC),
      pod('c', 'pod-c', 104, 'ADDED', t + 3 * SEC), pod('d', 'pod-d', 105, 'ADDED', t + 4 * SEC), pod('a', 'pod-a', 106, 'MODIFIED', t + 5 * SEC),
      pod('e', 'pod-e', 107, 'ADDED', t + 6 * SEC), pod('b', 'pod-b', 108, 'DELETED', t + 7 * SEC),
    ];
    const driver = watchDriver();
    driver.slowUid = 'c';
    expect(await stores().cass.append(records)).toEqual({ inserted: 8, merged: 0, duplicates: 0 });
    // Round 1: a, b, c, d, e — no identity row before c's revision row is stored; round 2: a,
    // b; round 3: a.
    expect(phases(driver.log)).toBe('R5 D5 X1 W5 R2 D2 W2 R1 D1 W1');
    driver.log.length = 0;
    expect(await stores().cass.append(records)).toEqual({ inserted: 0, merged: 0, duplicates: 8 });
    expect(phases(driver.log)).toBe('R8'); // duplicates: identity reads only
  }, 120_000);

  it('routes batches by the token Cassandra gives each partition key (routingKey)', async () => {
    const { cass, keyspace } = stores();
    await cass.append([pod('u1', 'pod-1', 201, 'ADDED', W_T0)]);
    const client = new cassandra.Client({ contactPoints: target().contactPoints, localDataCenter: target().localDataCenter, keyspace });
    try {
      await client.connect();
      const tokenizer = (client.metadata as unknown as { tokenizer: { hash(b: Buffer): { getValue(): unknown } } }).tokenizer;
      const id = (await client.execute('SELECT token(cluster, uid, rvid) AS t FROM revision_ids')).rows[0]!;
      expect(String(tokenizer.hash(routingKey(['c1', 'u1', '201'])).getValue())).toBe(String(id.get('t')));
      const rev = (await client.execute('SELECT token(cluster, gk, namespace, name, bucket) AS t, bucket FROM revisions')).rows[0]!;
      const key = routingKey(['c1', 'Pod', 'shop', 'pod-1', Number(rev.get('bucket'))]);
      expect(String(tokenizer.hash(key).getValue())).toBe(String(rev.get('t')));
      const fb = (await client.execute("SELECT token(cluster, scope, day) AS t, day FROM feed_buckets WHERE cluster = 'c1' AND scope = '*' ALLOW FILTERING")).rows[0]!;
      expect(String(tokenizer.hash(routingKey(['c1', '*', Number(fb.get('day'))])).getValue())).toBe(String(fb.get('t')));
    } finally {
      await client.shutdown();
    }
  }, 120_000);

  it.each([
    ['every identity write fails (a crash between the data rows and the identity rows)', Infinity],
    ['the first identity write fails', 1],
    ['the third identity write fails', 3],
  ])('converges to exactly once after a retry when %s', async (_, fail) => {
    const { cass: c, lmdb: l, keyspace } = stores();
    // One append of a whole workload: several revisions per uid, audit copies merging into
    // watch revisions (some moving earlier), deletes without an object, repeats.
    const w = generateWorkload(31, { names: 3 });
    const expected = await l.append(w.deliveries);
    const driver = watchDriver();
    driver.failIds = fail;
    await expect(c.append(w.deliveries)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(driver.failed).toBeGreaterThan(0);
    const written = driver.log.filter((q) => WRITE_REVISION.test(q)).length;
    expect(written).toBeGreaterThan(0);
    if (fail === Infinity) {
      // Data rows went out, and not one identity row: nothing counts as stored yet.
      expect(await rowCount(target(), keyspace, 'revision_ids')).toBe(0);
      expect(await rowCount(target(), keyspace, 'revisions')).toBeGreaterThan(0);
    }
    driver.failIds = 0;
    const retried = await c.append(w.deliveries);
    // The retry counts what the first attempt left unacknowledged as inserted or merged again; in
    // all, every record is accounted for once.
    expect(retried.inserted + retried.merged + retried.duplicates).toBe(w.deliveries.length);
    if (fail === Infinity) expect(retried).toEqual(expected);
    vi.restoreAllMocks();
    await new StoreComparison(c, l, w).everything();
  }, 600_000);
});
