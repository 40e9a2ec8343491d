/**
 * Replays the recorded audit log test/fixtures/audit/orders.ndjson (a hand-written story, see
 * make-orders-fixture.py) through `kubetime import`'s code path into the embedded store, then asks
 * the questions an SRE would and checks the answers stated here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../../core/queries.ts';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { queriesAs, type QueriesAs } from '../../core/viewed-queries.ts';
import { parseRfc3339 } from '../../core/time.ts';
import { AuditSink } from '../../ingester/audit/audit-sink.ts';
import { importAuditLogs } from '../../ingester/audit/audit-import.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';

const FIXTURE = 'test/fixtures/audit/orders.ndjson';
const t = (hms: string) => parseRfc3339(`2026-01-10T${hms}Z`)!;

describe('audit fixture: the orders story', () => {
  let dir: string;
  let store: LmdbHistoryStore;
  let q: QueriesAs;
  let firstImport: Awaited<ReturnType<typeof importAuditLogs>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-fixture-'));
    store = LmdbHistoryStore.open({ path: dir });
    const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: { now: () => t('12:00:00') }, cluster: 'prod' });
    firstImport = await importAuditLogs({ sink, files: [FIXTURE] });
    q = queriesAs(createHistoryQueries({ store }), TRUSTED_VIEWER);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the mutations and skips reads, failures, early stages, subresources without an object', () => {
    expect(firstImport).toMatchObject({ files: 1, lines: 24, badLines: 0, accepted: 19, ignored: 5 });
  });

  it('answers what the Deployment looked like, a change at exactly T included', async () => {
    const before = await q.objectAt({ kind: 'deploy', namespace: 'shop', name: 'orders', at: t('10:05:00.199999') });
    expect(before.cluster).toBe('prod');
    expect(before.revision).toMatchObject({ resourceVersion: '20', op: 'ADDED', actor: { username: 'alice' } });
    const at = await q.objectAt({ kind: 'deployments.apps', namespace: 'shop', name: 'orders', at: t('10:05:00.2') });
    expect(at.object).toMatchObject({ spec: { template: { spec: { containers: [{ image: 'orders:2' }] } } } });
    expect(at.revision).toMatchObject({ resourceVersion: '40', verb: 'patch', actor: { username: 'bob' } });
  });

  it('says when a deleted object existed, and sees the terminating state and the new uid', async () => {
    const terminating = await q.objectAt({ kind: 'po', namespace: 'shop', name: 'orders-7d9f-b', at: t('10:08:10') });
    expect((terminating.object.metadata as Record<string, unknown>).deletionTimestamp).toBe('2026-01-10T10:08:30Z');
    await expect(q.objectAt({ kind: 'Pod', namespace: 'shop', name: 'orders-7d9f-b', at: t('10:08:45') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { existed: [{ from: '2026-01-10T10:00:02.5Z', to: '2026-01-10T10:08:30Z' }, { from: '2026-01-10T10:09:00Z', to: null }] },
    });
    const again = await q.objectAt({ kind: 'pods', namespace: 'shop', name: 'orders-7d9f-b', at: t('10:09:00') });
    expect((again.object.metadata as Record<string, unknown>).uid).toBe('pod-b2');
    await expect(q.objectAt({ kind: 'Pod', namespace: 'shop', name: 'never', at: t('10:09:00') })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { existed: [] } });
  });

  it('lists a namespace as of T with label and field selectors', async () => {
    const names = async (r: Partial<Parameters<QueriesAs['listAt']>[0]>) =>
      (await q.listAt({ kind: 'pods', namespace: 'shop', at: t('10:04:00'), ...r })).items.map((o) => (o.metadata as { name: string }).name);
    expect(await names({})).toEqual(['orders-7d9f-a', 'orders-7d9f-b']);
    expect(await names({ at: t('10:08:45') })).toEqual(['orders-7d9f-a']);
    expect(await names({ fieldSelector: 'spec.nodeName=node-1' })).toEqual(['orders-7d9f-a']);
    expect(await names({ fieldSelector: 'status.phase!=Running' })).toEqual(['orders-7d9f-b']);
    expect(await names({ labelSelector: 'app in (orders,web),pod-template-hash,!canary' })).toHaveLength(2);
    expect(await names({ labelSelector: 'app notin (orders)' })).toEqual([]);
    expect(await names({ at: t('09:00:00') })).toEqual([]);
    const page1 = await q.listAt({ kind: 'pods', namespace: 'shop', at: t('10:04:00'), limit: 1 });
    const page2 = await q.listAt({ kind: 'pods', namespace: 'shop', at: t('10:04:00'), limit: 1, continue: page1.continue! });
    expect([page1.items, page2.items].map((i) => (i[0]!.metadata as { name: string }).name)).toEqual(['orders-7d9f-a', 'orders-7d9f-b']);
    expect(page2.continue).toBeUndefined();
  });

  it('handles cluster-scoped kinds and the namespace rules', async () => {
    const node = await q.objectAt({ kind: 'no', name: 'node-1', at: t('10:04:00') });
    expect(node.object.kind).toBe('Node');
    await expect(q.objectAt({ kind: 'Node', namespace: 'shop', name: 'node-1', at: t('10:04:00') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { param: 'namespace' } });
    await expect(q.objectAt({ kind: 'Pod', name: 'x', at: t('10:04:00') })).rejects.toMatchObject({ details: { param: 'namespace' } });
    await expect(q.objectAt({ kind: 'Gizmo', namespace: 'shop', name: 'x', at: t('10:04:00') })).rejects.toMatchObject({ details: { param: 'kind' } });
    expect((await q.listAt({ kind: 'namespaces', at: t('10:04:00') })).items).toHaveLength(1);
  });

  it('tells the history of the Deployment with patches and actors', async () => {
    const h = await q.history({ kind: 'Deployment', namespace: 'shop', name: 'orders' });
    expect(h.items.map((i) => [i.op, i.resourceVersion, i.actor?.username, i.verb])).toEqual([
      ['ADDED', '20', 'alice', 'create'],
      ['MODIFIED', '40', 'bob', 'patch'],
    ]);
    expect(h.items[0]!.object).toBeDefined();
    expect(h.items[1]!.object).toBeUndefined();
    expect(h.items[1]!.patch).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'orders:2' }]);
  });

  it('diffs an object between two times, noise left out unless raw', async () => {
    const d = await q.diffObject({ kind: 'Deployment', namespace: 'shop', name: 'orders', from: t('10:01:00'), to: t('10:06:00') });
    expect(d.paths).toEqual(['/spec/template/spec/containers/0/image']);
    const raw = await q.diffObject({ kind: 'Deployment', namespace: 'shop', name: 'orders', from: t('10:01:00'), to: t('10:06:00'), raw: true });
    expect(raw.paths).toEqual(['/metadata/generation', '/metadata/resourceVersion', '/spec/template/spec/containers/0/image']);
  });

  it('diffs a namespace scope: added, removed, changed', async () => {
    const d = await q.diffScope({ kind: 'pods', namespace: 'shop', from: t('10:04:00'), to: t('10:09:30') });
    // Each created or deleted object comes with its state (at `to` when added, at `from` when removed).
    expect(d.removed.map((e) => e.ref)).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'orders-7d9f-b' }]);
    expect(d.added.map((e) => e.ref)).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'orders-7d9f-b' }]);
    expect((d.added[0]!.object.metadata as { uid: string }).uid).not.toBe((d.removed[0]!.object.metadata as { uid: string }).uid);
    expect(d.changed).toEqual([]);
  });

  it('draws the graph around the Deployment as of T', async () => {
    const g = await q.graph({ kind: 'deploy', namespace: 'shop', name: 'orders', at: t('10:04:30'), hops: 3 });
    const edge = (e: { from: { kind: string; name: string }; to: { kind: string; name: string }; type: string }) => `${e.from.kind}/${e.from.name} ${e.type} ${e.to.kind}/${e.to.name}`;
    const edges = g.edges.map(edge).sort();
    expect(edges).toEqual(expect.arrayContaining([
      'Deployment/orders owns ReplicaSet/orders-7d9f',
      'ReplicaSet/orders-7d9f owns Pod/orders-7d9f-a',
      'Deployment/orders selects Pod/orders-7d9f-a',
      'Service/orders selects Pod/orders-7d9f-b',
      'Pod/orders-7d9f-a scheduled-on Node/node-1',
      'Pod/orders-7d9f-a mounts ConfigMap/orders-config',
      'Pod/orders-7d9f-a mounts PersistentVolumeClaim/orders-data',
    ]));
    // Three hops reach the Ingress (Deployment → Pod → Service → Ingress); the Secret the pods
    // mount is created at 10:10, so it is not there at 10:04:30.
    expect(edges).toContain('Ingress/orders routes-to Service/orders');
    expect(g.nodes.map((n) => n.kind)).not.toContain('Secret');
    const early = await q.graph({ kind: 'deploy', namespace: 'shop', name: 'orders', at: t('10:00:04.8'), hops: 3 });
    expect(early.nodes.map((n) => n.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Node', 'Pod', 'Pod', 'ReplicaSet', 'Service']);
    const later = await q.graph({ kind: 'svc', namespace: 'shop', name: 'orders', at: t('10:06:00'), hops: 1 });
    expect(later.edges.map(edge)).toContain('Ingress/orders routes-to Service/orders');
    const pvc = await q.graph({ kind: 'pvc', namespace: 'shop', name: 'orders-data', at: t('10:06:00'), hops: 1 });
    expect(pvc.edges.map(edge)).toContain('PersistentVolumeClaim/orders-data binds PersistentVolume/pv-1');
    const zero = await q.graph({ kind: 'deploy', namespace: 'shop', name: 'orders', at: t('10:06:00'), hops: 0 });
    expect(zero.nodes).toEqual([{ kind: 'Deployment', namespace: 'shop', name: 'orders', uid: 'deploy-uid' }]);
  });

  it('feeds the changes by actor, newest first, impersonation included', async () => {
    const bob = await q.changes({ from: t('10:00:00'), to: t('10:10:00'), actor: 'bob' });
    expect(bob.items.map((i) => `${i.kind}/${i.name}@${i.resourceVersion}`)).toEqual(['Deployment/orders@40', 'Ingress/orders@28']);
    const dave = await q.changes({ from: t('10:00:00'), to: t('12:00:00'), actor: 'dave' });
    expect(dave.items.map((i) => [i.name, i.actor?.username, i.actor?.impersonatedUser])).toEqual([['orders-config', 'system:admin', 'dave']]);
    const podsOnly = await q.changes({ from: t('10:08:00'), to: t('10:08:30'), kind: 'pods', namespace: 'shop' });
    expect(podsOnly.items.map((i) => i.op)).toEqual(['DELETED', 'MODIFIED']);
  });

  it('returns Kubernetes Events about an object in a window', async () => {
    const ev = await q.events({ from: t('10:00:00'), to: t('10:10:00'), namespace: 'shop', kind: 'Pod', name: 'orders-7d9f-a' });
    expect(ev.items.map((e) => e.reason)).toEqual(['Scheduled']);
    expect((await q.events({ from: t('10:00:00'), to: t('10:10:00'), name: 'nothing' })).items).toEqual([]);
  });

  it('never stores Secret values in plaintext', async () => {
    const s = await q.objectAt({ kind: 'secret', namespace: 'shop', name: 'db-creds', at: t('10:10:00') });
    const data = s.object.data as Record<string, string>;
    expect(Object.keys(data)).toEqual(['password']);
    expect(data.password).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(s.object)).not.toContain('aHVudGVyMg==');
  });

  it('changes nothing when the same log is imported again', async () => {
    const before = await q.changes({ from: t('00:00:00'), to: t('23:00:00') });
    const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: { now: () => t('13:00:00') }, cluster: 'prod' });
    await importAuditLogs({ sink, files: [FIXTURE] });
    const after = await q.changes({ from: t('00:00:00'), to: t('23:00:00') });
    expect(after.items).toEqual(before.items);
    expect(before.items).toHaveLength(19);
  });
});
