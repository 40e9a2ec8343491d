import { describe, expect, it } from 'vitest';
import { ACTORS, by } from './actors.ts';
import { Cluster } from './cluster.ts';
import { ManualClock } from './manual-clock.ts';
import type { Mutation } from './mutation.ts';
import { ResourceRegistry } from './resources.ts';
import { ResourceTable } from './resource-table.ts';

const create = by(ACTORS.alice, 'create');
const update = by(ACTORS.alice, 'update');
const del = by(ACTORS.alice, 'delete');

function setup(window = { revisions: 1000 }) {
  const clock = new ManualClock();
  const cluster = new Cluster({ clock, seed: 1, compactionWindow: window });
  const muts: Mutation[] = [];
  cluster.onMutation((m) => muts.push(m));
  return { clock, cluster, muts };
}

describe('Cluster', () => {
  it('assigns uid, creationTimestamp, a global resourceVersion, generation for non-core kinds, managedFields', () => {
    const { cluster } = setup();
    const cm = cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' }, data: {} }, create) as any;
    const dep = cluster.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'x' }, spec: { replicas: 1 } }, create) as any;
    expect(cm.metadata).toMatchObject({ uid: expect.any(String), creationTimestamp: '2026-01-10T10:00:00Z', resourceVersion: '2' });
    expect(cm.metadata.generation).toBeUndefined();
    expect(dep.metadata).toMatchObject({ resourceVersion: '3', generation: 1 });
    expect(dep.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const d2 = cluster.update('Deployment.apps', 'x', 'd', (o) => ((o.spec as any).replicas = 2), update) as any;
    expect(d2.metadata.generation).toBe(2);
    const d3 = cluster.update('Deployment.apps', 'x', 'd', (o) => (o.status = { replicas: 2 }), by(ACTORS.deploymentController, 'update', 'status')) as any;
    expect(d3.metadata.generation).toBe(2);
    expect(d3.metadata.managedFields.map((m: any) => m.subresource ?? '')).toEqual(['', 'status']);
  });

  it('commits nothing for an update that changes nothing', () => {
    const { cluster, muts } = setup();
    cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' }, data: { k: 'v' } }, create);
    const rv = cluster.resourceVersion;
    cluster.update('ConfigMap', 'x', 'a', (o) => ((o.data as any).k = 'v'), update);
    expect(cluster.resourceVersion).toBe(rv);
    expect(muts).toHaveLength(1);
  });

  it('keeps an object with finalizers until they are removed, then deletes it', () => {
    const { cluster, muts } = setup();
    cluster.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'x', finalizers: ['kubernetes.io/pvc-protection'] }, spec: {} }, create);
    const marked = cluster.delete('PersistentVolumeClaim', 'x', 'c', del) as any;
    expect(marked.metadata.deletionTimestamp).toBe('2026-01-10T10:00:00Z');
    expect(cluster.get('PersistentVolumeClaim', 'x', 'c')).toBeDefined();
    cluster.update('PersistentVolumeClaim', 'x', 'c', (o) => ((o.metadata as any).finalizers = []), update);
    expect(cluster.get('PersistentVolumeClaim', 'x', 'c')).toBeUndefined();
    expect(muts.map((m) => m.op)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('deletes pods gracefully: marked with the grace period, removed by a delete with grace 0', () => {
    const { cluster, muts, clock } = setup();
    cluster.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'x' }, spec: { terminationGracePeriodSeconds: 20 } }, create);
    const marked = cluster.delete('Pod', 'x', 'p', del) as any;
    expect(marked.metadata).toMatchObject({ deletionTimestamp: '2026-01-10T10:00:20Z', deletionGracePeriodSeconds: 20 });
    clock.advanceMs(3000);
    cluster.delete('Pod', 'x', 'p', del);
    expect(cluster.get('Pod', 'x', 'p')).toBeDefined();
    cluster.delete('Pod', 'x', 'p', del, { gracePeriodSeconds: 0 });
    expect(cluster.get('Pod', 'x', 'p')).toBeUndefined();
    const last = muts.at(-1)!;
    expect(last.op).toBe('DELETED');
    expect((last.object.metadata as any).resourceVersion).toBe(String(last.rv));
  });

  it('compacts by clock time when the window is in seconds', () => {
    const { cluster, clock } = setup({ seconds: 60 } as any);
    cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' } }, create);
    const early = cluster.resourceVersion;
    clock.advanceMs(61_000);
    cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'x' } }, create);
    expect(cluster.compactedRevision).toBe(early);
    clock.advanceMs(30_000);
    cluster.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'x' } }, create);
    expect(cluster.compactedRevision).toBe(early);
  });

  it('rejects duplicates and unknown kinds with Kubernetes reasons', () => {
    const { cluster } = setup();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'x' } };
    cluster.create(cm, create);
    expect(() => cluster.create(cm, create)).toThrow(expect.objectContaining({ reason: 'AlreadyExists' }));
    expect(() => cluster.create({ apiVersion: 'nope/v1', kind: 'Thing', metadata: { name: 'a' } }, create)).toThrow(expect.objectContaining({ reason: 'NotFound' }));
    expect(() => cluster.update('ConfigMap', 'x', 'zzz', () => undefined, update)).toThrow(expect.objectContaining({ reason: 'NotFound' }));
  });
});

describe('ResourceTable', () => {
  const type = new ResourceRegistry().require('ConfigMap');
  const put = (t: ResourceTable, rv: number, key: string, v: string) => t.put({ rv, key, namespace: key.split('/')[0]!, json: JSON.stringify({ v }), labels: undefined }, { v });
  const names = (t: ResourceTable, at: number | 'latest') => t.page({ at }).items.map((i) => JSON.parse(i.json!).v);

  it('answers the state at any revision at or after the compaction revision exactly', () => {
    const t = new ResourceTable(type);
    put(t, 1, 'a/x', 'x1');
    put(t, 2, 'a/y', 'y1');
    put(t, 3, 'a/x', 'x2');
    t.remove({ rv: 4, key: 'a/y', namespace: 'a', json: '{"v":"y1"}', labels: undefined });
    put(t, 5, 'a/y', 'y2');
    put(t, 6, 'a/z', 'z1');
    const before = [3, 4, 5, 6].map((rv) => names(t, rv));
    t.compact(3);
    expect([3, 4, 5, 6].map((rv) => names(t, rv))).toEqual(before);
    expect(before).toEqual([['x2', 'y1'], ['x2'], ['x2', 'y2'], ['x2', 'y2', 'z1']]);
    t.compact(5);
    expect([...t.eventsAfter(5)].map((e) => e.rv)).toEqual([6]);
    t.compact(6);
    expect(names(t, 'latest')).toEqual(['x2', 'y2', 'z1']);
    expect([...t.eventsAfter(6)]).toEqual([]);
  });

  it('forgets a deleted key once its tombstone is compacted', () => {
    const t = new ResourceTable(type);
    put(t, 1, 'a/x', 'x1');
    t.remove({ rv: 2, key: 'a/x', namespace: 'a', json: '{"v":"x1"}', labels: undefined });
    expect(names(t, 1)).toEqual(['x1']);
    t.compact(2);
    expect(names(t, 2)).toEqual([]);
    expect(t.size).toBe(0);
    put(t, 3, 'a/x', 'x3');
    expect(names(t, 'latest')).toEqual(['x3']);
  });
});
