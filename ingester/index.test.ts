import { afterEach, describe, expect, it } from 'vitest';
import { startIngester, type Ingester, type IngesterOptions } from './index.ts';
import { Registry } from 'prom-client';
import { IngestMetrics } from './metrics.ts';
import { FakeCluster } from './testing/fake-cluster.ts';
import { FakeTiming, settle, waitFor } from './testing/fake-timing.ts';
import { MemoryStore } from './testing/memory-store.ts';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false };
const PODS = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true };
const WIDGETS = { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true };

const started: Ingester[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop()));
});

function setup(extra: Partial<IngesterOptions> = {}) {
  const fake = new FakeCluster();
  fake.addResource(CRDS);
  fake.addResource(PODS);
  const store = new MemoryStore();
  const timing = new FakeTiming();
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const ing = startIngester({
    api: fake, cluster: 'c1', store, timing, metrics,
    writer: { write: async (r) => void (await store.append(r)) },
    rediscoverEveryMs: 60_000,
    ...extra,
  });
  started.push(ing);
  const watchingAll = (n: number) => waitFor(() => ing.status().sources.length === n && ing.status().sources.every((s) => s.state === 'watching'), `${n} sources watching`);
  return { fake, store, timing, metrics, registry, ing, watchingAll };
}

describe('startIngester', () => {
  it('picks up a CRD created later without a restart, and lets go of one removed', async () => {
    const { fake, store, timing, ing, watchingAll, registry } = setup();
    await watchingAll(2);
    expect(ing.kindForResource('', 'pods')).toBe('Pod');
    fake.addResource(WIDGETS);
    fake.create('apiextensions.k8s.io', 'customresourcedefinitions', { name: 'widgets.example.com' });
    await waitFor(() => store.byId.size === 1, 'CRD recorded');
    await timing.advance(1_000); // settle delay after a CRD change, then discovery
    await watchingAll(3);
    expect(ing.kindForResource('example.com', 'widgets')).toBe('Widget');
    // Discovery tells each kind's scope (the audit sink refuses records contradicting it).
    expect([ing.kindNamespaced('', 'Pod'), ing.kindNamespaced('example.com', 'Widget'), ing.kindNamespaced('example.com', 'Gadget')]).toEqual([true, true, undefined]);
    const w = fake.create('example.com', 'widgets', { name: 'w1' }, { spec: { size: 3 } });
    await waitFor(() => store.all().some((r) => r.uid === w.metadata.uid), 'custom resource recorded');
    expect(store.all().find((r) => r.uid === w.metadata.uid)).toMatchObject({ kind: 'Widget', group: 'example.com', apiVersion: 'example.com/v1', resource: 'widgets', source: 'watch' });

    fake.removeResource('example.com', 'widgets');
    // One discovery without it may be an API server still coming up: the watch stays...
    await ing.rediscover();
    expect(ing.status().sources).toHaveLength(3);
    // ...a second one in a row lets it go.
    await ing.rediscover();
    await watchingAll(2);
    expect(ing.status().sources.map((s) => s.gk).sort()).toEqual(['CustomResourceDefinition.apiextensions.k8s.io', 'Pod']);
    const text = await registry.metrics();
    expect(text).toContain('kubetime_watched_resources 2');
    expect(text).toMatch(/kubetime_ingest_records_total\{source="watch"\} 2/);
  });

  it('serves the kinds of established CRDs from their watch event, before discovery, and keeps them once removed', async () => {
    const { fake, ing, watchingAll, store } = setup();
    await watchingAll(2);
    expect(ing.servedKinds().map((k) => k.gk).sort()).toEqual(['CustomResourceDefinition.apiextensions.k8s.io', 'Pod']);
    const spec = {
      group: 'example.com', scope: 'Namespaced',
      names: { kind: 'Gizmo', plural: 'gizmos', singular: 'gizmo', shortNames: ['gzm'], categories: ['all', 'toys'] },
      versions: [{ name: 'v1beta1', served: true, storage: false }, { name: 'v1', served: true, storage: true }],
    };
    const crd = fake.create('apiextensions.k8s.io', 'customresourcedefinitions', { name: 'gizmos.example.com' }, { spec, status: { conditions: [{ type: 'Established', status: 'False' }] } });
    await waitFor(() => store.all().some((r) => r.name === 'gizmos.example.com'), 'CRD recorded');
    expect(ing.servedKinds().some((k) => k.kind === 'Gizmo')).toBe(false); // not established yet
    fake.update('apiextensions.k8s.io', 'customresourcedefinitions', crd.metadata.uid, { status: { conditions: [{ type: 'Established', status: 'True' }] } });
    await waitFor(() => ing.servedKinds().some((k) => k.kind === 'Gizmo'), 'Gizmo served');
    expect(ing.servedKinds().find((k) => k.kind === 'Gizmo')).toMatchObject({ gk: 'Gizmo.example.com', version: 'v1', resource: 'gizmos', singular: 'gizmo', shortNames: ['gzm'], categories: ['all', 'toys'], namespaced: true });
    expect(ing.kindForResource('example.com', 'gizmos')).toBe('Gizmo');
    fake.delete('apiextensions.k8s.io', 'customresourcedefinitions', crd.metadata.uid);
    await ing.rediscover();
    await ing.rediscover();
    expect(ing.servedKinds().some((k) => k.kind === 'Gizmo')).toBe(true);
  });

  it('keeps watching while discovery fails, and retries it', async () => {
    const { fake, timing, ing, watchingAll } = setup();
    await watchingAll(2);
    const get = fake.get.bind(fake);
    let down = true;
    fake.get = (path, q) => (down && (path === '/api' || path === '/apis') ? Promise.reject(new Error('apiserver restarting')) : get(path, q));
    await timing.advance(60_000);
    expect(ing.status().sources).toHaveLength(2);
    down = false;
    fake.addResource(WIDGETS);
    await timing.advance(1_000);
    await watchingAll(3);
  });

  it('watches each listed namespace separately and leaves excluded kinds alone', async () => {
    const { fake, store, watchingAll, ing } = setup({ filters: { includeNamespaces: ['a', 'b'], excludeKinds: ['customresourcedefinitions.apiextensions.k8s.io'] } });
    fake.create('', 'pods', { name: 'p', namespace: 'a' });
    fake.create('', 'pods', { name: 'q', namespace: 'c' });
    await watchingAll(2);
    expect(ing.status().sources.map((s) => `${s.gk}/${s.namespace}`).sort()).toEqual(['Pod/a', 'Pod/b']);
    expect(fake.calls.filter((c) => c.startsWith('WATCH')).sort()).toEqual(['WATCH /api/v1/namespaces/a/pods?rv=102', 'WATCH /api/v1/namespaces/b/pods?rv=102']);
    expect(store.all().map((r) => r.name)).toEqual(['p']);
  });

  it('waits for the writer to settle (a spool to drain) before reconciling', async () => {
    let release!: () => void;
    const settled = new Promise<void>((r) => (release = r));
    const { fake, watchingAll } = setup({ writer: { write: async () => {}, settled: () => settled } });
    await settle();
    expect(fake.calls).toEqual([]);
    release();
    await watchingAll(2);
  });
});
