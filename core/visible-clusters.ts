/**
 * `/v1/clusters` for one viewer: only the clusters where it may read something. "Something" is
 * a kind recorded in the cluster that it may `list` cluster-wide, or in one of the namespaces
 * recorded there (the cluster's Namespace objects). A viewer that may read nothing is asked at
 * most MAX_CLUSTER_PROBES questions per cluster, so a cluster it could read only through an odd
 * kind in one of very many namespaces may stay unlisted; reading it directly still works.
 */
import type { Viewer } from './access.ts';
import type { ClusterInfo, HistoryStore, SeenKind } from './ports.ts';
import { all } from './async-iter.ts';

export const MAX_CLUSTER_PROBES = 256;

/** Kinds most users may read come first, so the usual answer takes one round. */
const LIKELY = ['Pod', 'Deployment', 'ConfigMap', 'Service', 'Event', 'ReplicaSet', 'Job'];

function likelyFirst(kinds: readonly SeenKind[]): SeenKind[] {
  const rank = (k: SeenKind) => (LIKELY.includes(k.kind) ? LIKELY.indexOf(k.kind) : LIKELY.length);
  return [...kinds].sort((a, b) => rank(a) - rank(b));
}

export async function clustersVisibleTo(store: HistoryStore, viewer: Viewer): Promise<ClusterInfo[]> {
  const clusters = await store.clusters();
  if (viewer.subject === null) return clusters; // a trusted in-process caller
  const readable = await Promise.all(clusters.map((c) => readsSomething(store, viewer, c.name)));
  return clusters.filter((_, i) => readable[i]);
}

async function readsSomething(store: HistoryStore, viewer: Viewer, cluster: string): Promise<boolean> {
  const kinds = likelyFirst(await store.kinds(cluster));
  const may = (k: SeenKind, namespace: string) => viewer.may({ cluster, verb: 'list', group: k.group, resource: k.resource, namespace });
  if ((await Promise.all(kinds.map((k) => may(k, '')))).some(Boolean)) return true;
  const namespaced = kinds.filter((k) => k.namespaced);
  let probes = kinds.length;
  for (const ns of await namespacesOf(store, cluster)) {
    if (probes + namespaced.length > MAX_CLUSTER_PROBES) return false;
    probes += namespaced.length;
    if ((await Promise.all(namespaced.map((k) => may(k, ns)))).some(Boolean)) return true;
  }
  return false;
}

async function namespacesOf(store: HistoryStore, cluster: string): Promise<string[]> {
  const lives = await all(store.lifetimes({ cluster, gk: 'Namespace', namespace: '' }));
  return [...new Set(lives.map((l) => l.key.name))];
}
