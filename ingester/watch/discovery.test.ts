import { describe, expect, it } from 'vitest';
import { discoverResources, kindMatches, namespaceFilter, selectResources } from './discovery.ts';
import { KubeApiError, type KubeApi } from './kube-api.ts';
import { resourceInfo } from '../records.ts';
import { FakeCluster } from '../testing/fake-cluster.ts';

const defs = [
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'], singularName: 'pod', categories: ['all'] },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'Binding', resource: 'bindings', namespaced: true, verbs: ['create'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, shortNames: ['deploy'] },
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', resource: 'events', namespaced: true },
  { group: 'example.com', version: 'v1alpha1', kind: 'Widget', resource: 'widgets', namespaced: false },
];

function cluster(): FakeCluster {
  const c = new FakeCluster();
  for (const d of defs) c.addResource(d);
  return c;
}

describe('discoverResources', () => {
  it('finds every listable and watchable resource of every group, skipping subresources', async () => {
    const { resources, failed } = await discoverResources(cluster());
    expect(failed).toEqual([]);
    expect(resources.map((r) => `${r.gk} ${r.apiVersion}`)).toEqual([
      'Deployment.apps apps/v1', 'Event v1', 'Event.events.k8s.io events.k8s.io/v1', 'Pod v1', 'Widget.example.com example.com/v1alpha1',
    ]);
    expect(resources.find((r) => r.kind === 'Widget')).toMatchObject({ namespaced: false, resource: 'widgets', group: 'example.com', version: 'v1alpha1' });
    expect(resources.find((r) => r.kind === 'Pod')).toMatchObject({ shortNames: ['po'], singular: 'pod', categories: ['all'] });
  });

  it('reports a failing group version and keeps the others', async () => {
    const c = cluster();
    const api: KubeApi = {
      get: (path, q, s) => (path === '/apis/example.com/v1alpha1' ? Promise.reject(new KubeApiError('503', { status: 503 })) : c.get(path, q)),
      watch: (p, q, s) => c.watch(p, q, s),
    };
    const { resources, failed } = await discoverResources(api);
    expect(failed).toEqual(['example.com/v1alpha1']);
    expect(resources.some((r) => r.kind === 'Pod')).toBe(true);
  });

  it('survives discovery documents of the wrong shape', async () => {
    const api: KubeApi = {
      get: async (path) => (path === '/api' ? { versions: 'v1' } : path === '/apis' ? { groups: [null, { name: 5 }, { name: 'x', versions: [] }] } : { resources: 'nope' }),
      watch: () => { throw new Error('unused'); },
    };
    expect(await discoverResources(api)).toEqual({ resources: [], failed: [] });
  });
});

describe('selectResources', () => {
  const all = defs.filter((d) => !d.verbs).map((d) => resourceInfo({ ...d, shortNames: d.shortNames ?? [] }));
  const names = (rs: { gk: string }[]) => rs.map((r) => r.gk);

  it('records core Events and skips events.k8s.io, which serves the same objects', () => {
    expect(names(selectResources(all))).toEqual(['Pod', 'Event', 'Deployment.apps', 'Widget.example.com']);
    expect(names(selectResources(all, { events: false }))).toEqual(['Pod', 'Deployment.apps', 'Widget.example.com']);
    expect(names(selectResources(all, { includeKinds: ['events.events.k8s.io'] }))).toEqual(['Event.events.k8s.io']);
  });

  it('includes and excludes by Kind, plural, short name and group', () => {
    expect(names(selectResources(all, { includeKinds: ['deploy', 'Widget'] }))).toEqual(['Deployment.apps', 'Widget.example.com']);
    expect(names(selectResources(all, { excludeKinds: ['pods', 'deployments.apps', 'ev'] }))).toEqual(['Widget.example.com']);
    expect(names(selectResources(all, { includeKinds: ['po'], excludeKinds: ['Pod'] }))).toEqual([]);
    expect(kindMatches('pods.core', all[0]!)).toBe(true);
    expect(kindMatches('deployments.extensions', all[2]!)).toBe(false);
  });

  it('filters namespaces: exclude wins over include', () => {
    const f = namespaceFilter({ includeNamespaces: ['a', 'b'], excludeNamespaces: ['b'] });
    expect(['a', 'b', 'c'].map(f)).toEqual([true, false, false]);
    expect(namespaceFilter({})('anything')).toBe(true);
  });
});
