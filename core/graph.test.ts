import { describe, expect, it } from 'vitest';
import { allEdges, buildGraph, type GraphObject } from './graph.ts';

const node: GraphObject = { kind: 'Node', group: '', namespace: '', name: 'n1', uid: 'node-1', object: { metadata: { name: 'n1' } } };
const rs = (ns: string, i: number): GraphObject => ({
  kind: 'ReplicaSet', group: 'apps', namespace: ns, name: `rs${i}`, uid: `rs-${ns}-${i}`,
  object: { metadata: { name: `rs${i}` }, spec: { selector: { matchLabels: { app: `a${i}` }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] } } },
});
const pod = (ns: string, i: number, app: string): GraphObject => ({
  kind: 'Pod', group: '', namespace: ns, name: `p${i}`, uid: `pod-${ns}-${i}`,
  object: { metadata: { name: `p${i}`, labels: { app, tier: 'web' }, ownerReferences: [] }, spec: { nodeName: 'n1' } },
});

/** A node with `pods` Pods over 10 namespaces, each Pod selected by one of 100 ReplicaSets per namespace. */
function cluster(pods: number): GraphObject[] {
  const out: GraphObject[] = [node];
  for (let n = 0; n < 10; n++) for (let i = 0; i < 100; i++) out.push(rs(`ns${n}`, i));
  for (let i = 0; i < pods; i++) out.push(pod(`ns${i % 10}`, i, `a${i % 100}`));
  return out;
}

describe('graph', () => {
  it('answers the graph of a node with 10k Pods: every Pod scheduled on it, every selector matched', () => {
    const objects = cluster(10_000);
    const g = buildGraph(node, objects, 2, 0, 'c');
    expect(g.truncated).toBeUndefined();
    expect(g.nodes).toHaveLength(1 + 10_000 + 100); // pod i is in ns(i % 10) with app a(i % 100): 100 ReplicaSets select some
    expect(g.edges.filter((e) => e.type === 'scheduled-on')).toHaveLength(10_000);
    expect(g.edges.filter((e) => e.type === 'selects')).toHaveLength(10_000);
  });

  it('matches selectors exactly as a pod-by-pod check would (In, NotIn, Exists, no equality label)', () => {
    const sel = (name: string, selector: unknown): GraphObject => ({ kind: 'Deployment', group: 'apps', namespace: 'ns', name, uid: name, object: { metadata: { name }, spec: { selector } } });
    const objects = [
      pod('ns', 1, 'x'), pod('ns', 2, 'y'), pod('other', 3, 'x'),
      sel('eq', { matchLabels: { app: 'x' } }),
      sel('in', { matchExpressions: [{ key: 'app', operator: 'In', values: ['x', 'y'] }] }),
      sel('notin', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['x'] }] }),
    ];
    const selects = allEdges(objects).filter((e) => e.type === 'selects').map((e) => `${e.from.name}->${e.to.uid}`).sort();
    expect(selects).toEqual(['eq->pod-ns-1', 'in->pod-ns-1', 'in->pod-ns-2', 'notin->pod-ns-2']);
  });

  it('is bounded in fan-out: past its node bound the graph is cut and says so', () => {
    const g = buildGraph(node, cluster(500), 2, 0, 'c', { nodes: 100, edges: 1000 });
    expect(g.nodes).toHaveLength(100);
    expect(g.truncated).toBe(true);
  });
});
