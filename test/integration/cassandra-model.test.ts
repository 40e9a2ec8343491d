/**
 * Differential test: CassandraHistoryStore with tiny buckets, epochs and shards (so every query
 * crosses partition boundaries and lifetimes are carried through many epochs) must answer exactly
 * like the embedded LmdbHistoryStore fed the same shuffled, repeated deliveries — before and
 * after a prune.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { groupKind } from '../../core/record.ts';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { describeCassandra, dropKeyspace, freshKeyspace } from './cassandra-helpers.ts';
import { StoreComparison } from './cassandra-compare.ts';
import { batches, generateWorkload, prng, type Workload } from './cassandra-workload.ts';

const SEC = 1_000_000;
const TINY = {
  revisionBucketSeconds: 600, feedBucketSeconds: 60, namespaceFeedBucketSeconds: 300,
  lifetimeEpochSeconds: 900, churnyEpochSeconds: 300, lifetimeShards: 3,
};

describeCassandra('CassandraHistoryStore answers like the embedded store', (target) => {
  const keyspace = freshKeyspace('kt_model');
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-model-'));
  let cass: CassandraHistoryStore;
  let lmdb: LmdbHistoryStore;
  let w: Workload;
  let cmp: StoreComparison;

  beforeAll(async () => {
    cass = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true, layout: TINY });
    lmdb = LmdbHistoryStore.open({ path: dir });
    w = generateWorkload(7, { names: 4 });
    const rnd = prng(99);
    for (const b of batches(w.deliveries, 25, rnd)) {
      const [x, y] = await Promise.all([cass.append(b), lmdb.append(b)]);
      expect(x).toEqual(y);
    }
    cmp = new StoreComparison(cass, lmdb, w);
  }, 600_000);

  afterAll(async () => {
    await cass?.close();
    await lmdb?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropKeyspace(target(), keyspace);
  }, 120_000);

  it('uses the tiny layout, so the data spans many partitions', () => {
    expect(cass.layout).toMatchObject(TINY);
    expect(w.to - w.from).toBeGreaterThan(30 * 60 * SEC);
    expect(w.deliveries.length).toBeGreaterThan(100);
  });

  it('gives the same revisions (full history, as-of T, windows)', () => cmp.revisions(), 300_000);
  it('gives the same summary states as of T (slim objects across buckets, windows 1, 3, 8)', () => cmp.summaries(), 300_000);
  it('gives the same lifetimes (by name, by kind, alive at many T)', () => cmp.lifetimes(), 300_000);
  it('gives the same change feed (cluster, namespace, name; windows, limits)', () => cmp.feed(), 300_000);

  it('knows the same clusters and kinds', async () => {
    expect(await cass.clusters()).toEqual(await lmdb.clusters());
    const byGk = (ks: { group: string; kind: string }[]) => [...ks].sort((a, b) => groupKind(a.group, a.kind).localeCompare(groupKind(b.group, b.kind)));
    expect(byGk(await cass.kinds('c1'))).toEqual(byGk(await lmdb.kinds('c1')));
  });

  it('prunes the same revisions and still answers the same', async () => {
    const before = w.from + Math.floor((w.to - w.from) / 2);
    const [a, b] = [await cass.prune({ cluster: 'c1', before }), await lmdb.prune({ cluster: 'c1', before })];
    expect(a).toEqual(b);
    expect(a.removed).toBeGreaterThan(0);
    await cmp.everything();
    await cmp.summaries();
  }, 600_000);

  it('re-delivering everything after the prune changes nothing it should not', async () => {
    // Pruned revisions come back as new ones in both stores; the others are duplicates.
    const rnd = prng(3);
    for (const b of batches(w.deliveries.slice(0, 60), 20, rnd)) {
      expect(await cass.append(b)).toEqual(await lmdb.append(b));
    }
    await cmp.revisions();
  }, 300_000);
});
