/**
 * The queries filter their own answers through the request's Viewer: on two namespaces' history,
 * a reader of namespace `a` sees nothing of `b` through any query, and each (kind, namespace) is
 * decided once per request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryHistoryStore } from '../compactor/testing/memory-history-store.ts';
import { at, twoNamespaces } from '../test/fixtures/two-namespaces.ts';
import { TRUSTED_VIEWER, viewerFor, type Access, type ReadAttributes, type Viewer } from './access.ts';
import { createHistoryQueries } from './queries.ts';
import { visibleOnly } from './visibility.ts';
import type { HistoryQueries } from './query-types.ts';
import type { KubeObject } from './record.ts';

/** Grants `get`/`list` of every resource in the listed namespaces, plus the cluster-wide reads listed. */
function namespaceAccess(namespaces: string[], clusterWide: string[] = []): Access & { asked: ReadAttributes[] } {
  const asked: ReadAttributes[] = [];
  return {
    asked,
    async allowed(_s, a) {
      asked.push(a);
      return a.namespace === '' ? clusterWide.includes(`${a.verb} ${a.resource}`) : namespaces.includes(a.namespace);
    },
  };
}

const teamA = (clusterWide: string[] = []) => {
  const access = namespaceAccess(['a'], clusterWide);
  return { access, viewer: viewerFor(access, { user: 'team-a', groups: [] }) };
};

const json = (x: unknown) => JSON.stringify(x);

describe('queries filtered by the viewer', () => {
  let q: HistoryQueries;
  let viewer: Viewer;
  beforeAll(async () => {
    const store = new MemoryHistoryStore();
    await store.append(twoNamespaces());
    q = createHistoryQueries({ store });
  });
  beforeAll(() => {
    viewer = teamA().viewer;
  });

  it('answers one object only with get on its namespace: 403 naming the refused read, never a 404 with intervals', async () => {
    expect((await q.objectAt({ viewer, kind: 'deploy', namespace: 'a', name: 'web', at: at(6) })).object.spec).toMatchObject({ replicas: 3 });
    const refused = q.objectAt({ viewer, kind: 'cm', namespace: 'b', name: 'gone', at: at(7) });
    await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN', details: { verb: 'get', resource: 'configmaps', namespace: 'b', name: 'gone', user: 'team-a' } });
    await expect(refused).rejects.not.toHaveProperty('details.existed');
    await expect(q.objectAt({ viewer, kind: 'cm', namespace: 'a', name: 'gone', at: at(7) })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { existed: [expect.anything()] } });
    for (const call of [
      q.history({ viewer, kind: 'deploy', namespace: 'b', name: 'web' }),
      q.diffObject({ viewer, kind: 'deploy', namespace: 'b', name: 'web', from: at(2), to: at(6) }),
      q.graph({ viewer, kind: 'pod', namespace: 'b', name: 'web-1-x', at: at(6) }),
      q.listAt({ viewer, kind: 'pods', namespace: 'b', at: at(6) }),
      q.diffScope({ viewer, kind: 'deploy', namespace: 'b', from: at(2), to: at(6) }),
    ]) await expect(call).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lists across namespaces only the namespaces the viewer may list, and pages through them', async () => {
    const all = await q.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', at: at(6) });
    expect(all.items.map((o) => o.metadata!.namespace)).toEqual(['a', 'b']);
    const mine = await q.listAt({ viewer, kind: 'pods', at: at(6) });
    expect(mine.items.map((o) => o.metadata!.namespace)).toEqual(['a']);
    const page = await q.listAt({ viewer, kind: 'configmaps', at: at(2), limit: 1 });
    expect(page.items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`)).toEqual(['a/cfg']);
    const next = await q.listAt({ viewer, kind: 'configmaps', at: at(2), limit: 1, continue: page.continue });
    expect(next.items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`)).toEqual(['a/gone']);
    expect(next.continue).toBeUndefined();
    await expect(q.listAt({ viewer, kind: 'nodes', at: at(6) })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { verb: 'list', resource: 'nodes', namespace: '' } });
  });

  it('diffs a scope across namespaces without the refused ones', async () => {
    const d = await q.diffScope({ viewer, kind: 'cm', from: at(2), to: at(7) });
    expect(d.removed.map((e) => e.ref)).toEqual([{ kind: 'ConfigMap', namespace: 'a', name: 'gone' }]);
    const trusted = await q.diffScope({ viewer: TRUSTED_VIEWER, kind: 'cm', from: at(2), to: at(7) });
    expect(trusted.removed).toHaveLength(2);
  });

  it('drops from the change feed and Events what the viewer may not list', async () => {
    const changes = await q.changes({ viewer, from: at(0), to: at(10) });
    expect(changes.items.length).toBeGreaterThan(0);
    expect(new Set(changes.items.map((c) => c.namespace))).toEqual(new Set(['a']));
    const trusted = await q.changes({ viewer: TRUSTED_VIEWER, from: at(0), to: at(10) });
    expect(new Set(trusted.items.map((c) => c.namespace))).toEqual(new Set(['', 'a', 'b']));
    const events = await q.events({ viewer, from: at(0), to: at(10) });
    expect((events.items as KubeObject[]).map((e) => e.metadata!.namespace)).toEqual(['a']);
    expect((await q.events({ viewer, from: at(0), to: at(10), namespace: 'b' })).items).toEqual([]);
  });

  it('keeps graph nodes and edges to what the viewer may list: a Node it may not list vanishes with its edge', async () => {
    const trusted = await q.graph({ viewer: TRUSTED_VIEWER, kind: 'pod', namespace: 'a', name: 'web-1-x', at: at(6), hops: 3 });
    expect(trusted.nodes.map((n) => n.kind)).toContain('Node');
    const g = await q.graph({ viewer, kind: 'pod', namespace: 'a', name: 'web-1-x', at: at(6), hops: 3 });
    expect(g.nodes.map((n) => n.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Pod', 'ReplicaSet', 'Service']);
    expect(json(g)).not.toContain('"n1"');
    expect(json(g)).not.toContain('"namespace":"b"');
  });

  it('a graph from a cluster-scoped object reaches only the namespaces the viewer may list', async () => {
    const nodeReader = teamA(['get nodes', 'list nodes']).viewer;
    const trusted = await q.graph({ viewer: TRUSTED_VIEWER, kind: 'node', name: 'n1', at: at(6), hops: 1 });
    expect(trusted.nodes.filter((n) => n.kind === 'Pod').map((n) => n.namespace).sort()).toEqual(['a', 'b']);
    const g = await q.graph({ viewer: nodeReader, kind: 'node', name: 'n1', at: at(6), hops: 1 });
    expect(g.nodes.filter((n) => n.kind === 'Pod').map((n) => n.namespace)).toEqual(['a']);
    expect(json(g)).not.toContain('"namespace":"b"');
  });

  it('lists a cluster only for a viewer that may read something there', async () => {
    expect((await q.clusters({ viewer })).items.map((c) => c.name)).toEqual(['kt']);
    const nobody = viewerFor(namespaceAccess([]), { user: 'nobody', groups: [] });
    expect((await q.clusters({ viewer: nobody })).items).toEqual([]);
  });

  it('asks the Access once per (kind, namespace) in a request, cluster-wide first', async () => {
    const { access, viewer: v } = teamA();
    await q.changes({ viewer: v, from: at(0), to: at(10) });
    const keys = access.asked.map((a) => `${a.verb} ${a.resource} ${a.namespace}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('list pods ');
    expect(keys).toContain('list pods a');
    expect(keys.filter((k) => k.startsWith('list pods'))).toHaveLength(3); // cluster-wide, a, b
  });
});

describe('visibleOnly', () => {
  async function* numbers(n: number, read: number[]) {
    for (let i = 0; i < n; i++) {
      read.push(i);
      yield i;
    }
  }

  it('keeps order, asks a chunk of decisions at once, and reads at most a chunk ahead', async () => {
    const read: number[] = [];
    let pending = 0;
    let most = 0;
    const visible = async (i: number) => {
      most = Math.max(most, ++pending);
      await new Promise((r) => setTimeout(r, 1));
      pending--;
      return i % 2 === 0;
    };
    const out: number[] = [];
    for await (const i of visibleOnly(numbers(100, read), visible, 8)) {
      out.push(i);
      if (out.length === 5) break;
    }
    expect(out).toEqual([0, 2, 4, 6, 8]);
    expect(most).toBe(8);
    expect(read.length).toBe(16);
  });
});

describe('cluster errors', () => {
  it('name only the clusters the viewer may read something of', async () => {
    const store = new MemoryHistoryStore();
    await store.append([...twoNamespaces('kt'), ...twoNamespaces('secret-cluster')]);
    const q = createHistoryQueries({ store });
    const onlyKt: Access = { allowed: async (_s, a) => a.cluster === 'kt' && a.namespace === 'a' };
    const ktReader = viewerFor(onlyKt, { user: 'kt-reader', groups: [] });
    await expect(q.changes({ viewer: TRUSTED_VIEWER, from: at(0), to: at(1) })).rejects.toThrow(/several clusters \(kt, secret-cluster\)/);
    await expect(q.changes({ viewer: ktReader, from: at(0), to: at(1) })).rejects.toThrow(/several clusters \(kt\)$/);
    const unknown = q.listAt({ viewer: ktReader, cluster: 'nope', kind: 'pods', at: at(1) });
    await expect(unknown).rejects.toMatchObject({ details: { known: ['kt'] } });
  });
});
