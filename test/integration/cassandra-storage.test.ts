/**
 * Storage shape on a real Cassandra: a large object's small changes cost one base plus small
 * patches, also after a restart (cold cache); a noisy object's partitions hold one bucket each;
 * reads cross bucket boundaries.
 */
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { describeCassandra, dropKeyspace, freshKeyspace } from './cassandra-helpers.ts';
import { all } from './cassandra-compare.ts';

const T0 = Date.UTC(2026, 0, 10, 0, 0, 0) * 1000;
const SEC = 1_000_000;

function node(i: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n1', resourceVersion: String(i) },
    status: { images: Array.from({ length: 40 }, (_, k) => ({ names: [`registry.example.com/team/image-${k}:v1.${k}`], sizeBytes: 1e6 + k })), heartbeat: i },
  };
}

function rec(kind: string, name: string, i: number, object: KubeObject): ChangeRecord {
  return {
    cluster: 'c1', apiVersion: kind === 'Lease' ? 'coordination.k8s.io/v1' : 'v1', group: kind === 'Lease' ? 'coordination.k8s.io' : '',
    kind, resource: kind === 'Lease' ? 'leases' : 'nodes', namespace: kind === 'Lease' ? 'kube-system' : '', name, uid: `${name}-uid`,
    resourceVersion: String(1000 + i), op: i === 0 ? 'ADDED' : 'MODIFIED', ts: T0 + i * 2 * SEC, observedAt: T0 + i * 2 * SEC, source: 'watch', object,
  };
}

describeCassandra('CassandraHistoryStore storage shape', (target) => {
  const keyspace = freshKeyspace('kt_storage');
  let client: cassandra.Client;
  const count = async (cql: string, params: unknown[]) => (await client.execute(cql, params, { prepare: true, fetchSize: 100_000 })).rows;

  beforeAll(async () => {
    // 10-minute revision buckets, so 2-second renewals fill several partitions quickly.
    await (await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true, bucketSeconds: 600 })).close();
    client = new cassandra.Client({ ...target(), keyspace });
  }, 120_000);
  afterAll(async () => {
    await client?.shutdown();
    await dropKeyspace(target(), keyspace);
  }, 120_000);

  it('stores a large object once per bucket and its small changes as small patches, across a restart', async () => {
    let store = await CassandraHistoryStore.connect({ ...target(), keyspace });
    await store.append(Array.from({ length: 10 }, (_, i) => rec('Node', 'node-1', i, node(i))));
    await store.close();
    store = await CassandraHistoryStore.connect({ ...target(), keyspace }); // cold cache
    await store.append(Array.from({ length: 10 }, (_, i) => rec('Node', 'node-1', 10 + i, node(10 + i))));
    const pk = ['c1', 'Node', '', 'node-1', T0];
    const bases = await count('SELECT body FROM revision_bases WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?', pk);
    const revs = await count('SELECT body, base_hash FROM revisions WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?', pk);
    expect(bases).toHaveLength(1);
    expect(revs).toHaveLength(20);
    const objectBytes = JSON.stringify(node(5)).length;
    for (const r of revs) expect((r.get('body') as Buffer).length).toBeLessThan(objectBytes / 20);
    const back = await all(store.revisions({ key: { cluster: 'c1', gk: 'Node', namespace: '', name: 'node-1' }, order: 'asc' }));
    expect(back.map((r) => r.object)).toEqual(Array.from({ length: 20 }, (_, i) => node(i)));
    await store.close();
  }, 120_000);

  it('keeps a noisy Lease in one partition per bucket and reads across the buckets', async () => {
    const store = await CassandraHistoryStore.connect({ ...target(), keyspace });
    const lease = (i: number): KubeObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-scheduler', namespace: 'kube-system' }, spec: { holderIdentity: 'a', renewTime: String(i) } });
    const n = 1500; // 50 minutes of renewals every 2 s
    for (let i = 0; i < n; i += 300) await store.append(Array.from({ length: Math.min(300, n - i) }, (_, k) => rec('Lease', 'kube-scheduler', i + k, lease(i + k))));
    const key = { cluster: 'c1', gk: 'Lease.coordination.k8s.io', namespace: 'kube-system', name: 'kube-scheduler' };
    const buckets = await count('SELECT bucket FROM revision_buckets WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ?', [key.cluster, key.gk, key.namespace, key.name]);
    expect(buckets).toHaveLength(5);
    for (const b of buckets) {
      const rows = await count('SELECT ts FROM revisions WHERE cluster = ? AND gk = ? AND namespace = ? AND name = ? AND bucket = ?', [key.cluster, key.gk, key.namespace, key.name, b.get('bucket')]);
      expect(rows).toHaveLength(300); // 600 s / 2 s
    }
    const asOf = await all(store.revisions({ key, order: 'desc', to: T0 + 1234 * SEC, limit: 1 }));
    expect(asOf[0]!.resourceVersion).toBe(String(1000 + 617));
    const window = await all(store.revisions({ key, order: 'asc', from: T0 + 590 * SEC, to: T0 + 610 * SEC }));
    expect(window.map((r) => r.ts)).toEqual(Array.from({ length: 11 }, (_, k) => T0 + (590 + 2 * k) * SEC));
    expect(await all(store.revisions({ key, order: 'asc' }))).toHaveLength(n);
    await store.close();
  }, 300_000);
});
