/**
 * core/graph.ts scaling: the graph of a node as its Pods grow (1k → 20k, 10 namespaces, 100
 * ReplicaSets each). Linear work gives a time ratio close to the size ratio; the former code
 * copied arrays per edge (quadratic on a node with ~10k Pods).
 *
 *   npx node bench/graph.ts
 */
import { buildGraph, type GraphObject } from '../core/graph.ts';

const node: GraphObject = { kind: 'Node', group: '', namespace: '', name: 'n1', uid: 'node-1', object: { metadata: { name: 'n1' } } };

function cluster(pods: number): GraphObject[] {
  const out: GraphObject[] = [node];
  for (let n = 0; n < 10; n++) {
    for (let i = 0; i < 100; i++) {
      out.push({ kind: 'ReplicaSet', group: 'apps', namespace: `ns${n}`, name: `rs${i}`, uid: `rs-${n}-${i}`, object: { metadata: { name: `rs${i}` }, spec: { selector: { matchLabels: { app: `a${i}` } } } } });
    }
  }
  for (let i = 0; i < pods; i++) {
    out.push({ kind: 'Pod', group: '', namespace: `ns${i % 10}`, name: `p${i}`, uid: `pod-${i}`, object: { metadata: { name: `p${i}`, labels: { app: `a${(i * 7) % 100}` } }, spec: { nodeName: 'n1' } } });
  }
  return out;
}

function timeOf(pods: number): number {
  const objects = cluster(pods);
  buildGraph(node, objects, 2, 0, 'c'); // warm-up
  const runs = 5;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) buildGraph(node, objects, 2, 0, 'c');
  return (performance.now() - t0) / runs;
}

const base = timeOf(1000);
console.log(`| pods | ms per graph | ratio to 1k |\n|---|---|---|`);
for (const pods of [1000, 5000, 10_000, 20_000]) {
  const ms = pods === 1000 ? base : timeOf(pods);
  console.log(`| ${pods} | ${ms.toFixed(1)} | ${(ms / base).toFixed(1)} |`);
}
