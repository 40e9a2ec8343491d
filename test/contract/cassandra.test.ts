/**
 * The HistoryStore contract against CassandraHistoryStore on a real Cassandra, in a fresh
 * keyspace per run (migrated once; data tables truncated between tests).
 */
import cassandra from 'cassandra-driver';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { at } from '../fixtures/two-namespaces.ts';
import { DATA_TABLES, describeCassandra, dropKeyspace, freshKeyspace, runCql, type CassandraTarget } from '../integration/cassandra-helpers.ts';
import { slimForSummary } from '../../core/present/slim.ts';
import { historyStoreContract, pod, rec } from './history-store.contract.ts';
import { expectSameSummaryLists, slimListRecords } from './summary-lists.ts';

/**
 * Makes every revision stored so far look written before schema 002 (revisions.slim NULL), the
 * state a keyspace migrated under existing data is in. Returns how many rows it touched.
 */
async function forgetSlims(t: CassandraTarget, keyspace: string): Promise<number> {
  const client = new cassandra.Client({ contactPoints: t.contactPoints, localDataCenter: t.localDataCenter, keyspace });
  try {
    const rows = (await client.execute('SELECT cluster, gk, namespace, name, bucket, ts, uid, rvid FROM revisions')).rows;
    for (const r of rows) {
      await client.execute('UPDATE revisions SET slim = null WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ? AND ts = ? AND uid = ? AND rvid = ?',
        [r.get('cluster'), r.get('gk'), r.get('namespace'), r.get('name'), r.get('bucket'), r.get('ts'), r.get('uid'), r.get('rvid')], { prepare: true });
    }
    return rows.length;
  } finally {
    await client.shutdown();
  }
}

describeCassandra('CassandraHistoryStore contract', (target) => {
  const keyspace = freshKeyspace('kt_contract');
  const open = () => CassandraHistoryStore.connect({ ...target(), keyspace });

  beforeAll(async () => {
    const s = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true });
    await s.close();
  }, 120_000);
  afterAll(async () => {
    await dropKeyspace(target(), keyspace);
  }, 120_000);

  historyStoreContract('CassandraHistoryStore', async () => {
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      cleanup: async () => {
        await store.close();
        await runCql(target(), DATA_TABLES.map((t) => `TRUNCATE ${t}`), keyspace);
      },
    };
  });

  describe('CassandraHistoryStore slim objects (summary lists as of T)', () => {
    let store: CassandraHistoryStore;
    beforeAll(async () => {
      store = await open();
    });
    afterEach(async () => {
      await runCql(target(), DATA_TABLES.map((t) => `TRUNCATE ${t}`), keyspace);
    });
    afterAll(async () => {
      await store.close();
    });
    const key = (namespace: string, name: string) => ({ cluster: 'kt', gk: 'Pod', namespace, name });

    it('answers every summary list exactly as from full objects, reading slim objects', async () => {
      await store.append(slimListRecords());
      const slim = vi.spyOn(store, 'summaryStatesAt');
      await expectSameSummaryLists(store);
      expect(slim).toHaveBeenCalled();
      expect(await store.summaryStatesAt([key('a', 'orders-1'), key('b', 'orders-2'), key('b', 'orders-3')], at(9), 8)).toEqual([
        expect.objectContaining({ kind: 'Pod', metadata: expect.objectContaining({ name: 'orders-1' }) }),
        expect.objectContaining({ kind: 'Pod', metadata: expect.objectContaining({ name: 'orders-2' }) }),
        null, // deleted at 6.2 min
      ]);
    });

    it('reads a run of equal times that the window cuts in compareRevisions order, not clustering order', async () => {
      // rvs 11..20 at one ts: the clustering order (rvid text) and the revision order disagree only
      // on which nine come first; the window of 8 must hold 20..13, so rv 20 is in force.
      const ts = at(3);
      const records = Array.from({ length: 10 }, (_, i) => rec({
        cluster: 'kt', namespace: 'a', name: 'tied', uid: 't1', rv: String(11 + i), ts, op: i ? 'MODIFIED' : 'ADDED',
        object: pod('tied', 't1', String(11 + i), { status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 11 + i }] } }),
      }));
      await store.append(records.slice().reverse());
      const [state] = await store.summaryStatesAt([key('a', 'tied')], ts, 8);
      expect(state).toEqual(slimForSummary(records[9]!.object!));
      expect(await store.summaryStatesAt([key('a', 'tied')], ts, 1)).toEqual([slimForSummary(records[9]!.object!)]);
    });

    it('reads revisions written before slim objects existed in full, beside later ones, with the same answers', async () => {
      const records = slimListRecords();
      const early = records.filter((r) => r.ts < at(4));
      await store.append(early);
      expect(await forgetSlims(target(), keyspace)).toBeGreaterThan(0);
      // Later revisions, late arrivals and merges: audit copies of early revisions, earlier, rewrite their rows.
      await store.append(records.filter((r) => r.ts >= at(4)));
      const audited = early.filter((r) => r.kind === 'Pod' && r.op === 'MODIFIED').slice(0, 6);
      await store.append(audited.map((r) => ({ ...r, ts: r.ts - 5_000_000, source: 'audit', actor: { username: 'kubelet' } })));
      const pods = Array.from({ length: 12 }, (_, i) => key(i % 2 ? 'a' : 'b', `orders-${i}`));
      const before = await store.summaryStatesAt(pods, at(3), 8);
      expect(before.filter((s) => s === 'full').length).toBeGreaterThan(0);
      expect(before.filter((s) => s !== 'full' && s !== null).length).toBeGreaterThan(0); // the merged ones
      expect((await store.summaryStatesAt(pods, at(9), 8)).filter((s) => s === 'full')).toEqual([]);
      await expectSameSummaryLists(store);
    });
  });
});
