/**
 * The relationship graph between objects that existed at one time. Edge types (API.md):
 * owns (ownerReferences: owner → owned), selects (Service / workload selector → Pod),
 * scheduled-on (Pod → Node), routes-to (Ingress → Service), mounts (Pod → PVC / ConfigMap /
 * Secret), binds (PVC → PV). `edgesFrom` derives the edges an object states itself; `buildGraph`
 * walks them in both directions up to a hop limit.
 */
import type { EdgeType, GraphResult, Ref } from './query-types.ts';
import type { KubeObject } from './record.ts';
import { matchLabels, type Requirement } from '../k8s/selectors.ts';

/** An object at T with the identity the graph needs. */
export interface GraphObject {
  kind: string;
  group: string;
  namespace: string;
  name: string;
  uid: string;
  object: KubeObject;
}

/** A reference an edge points at, before it is matched to a loaded object. */
export type Target =
  | { by: 'uid'; uid: string }
  | { by: 'name'; kind: string; namespace: string; name: string }
  | { by: 'labels'; kind: 'Pod'; namespace: string; reqs: Requirement[] };

export interface RawEdge { type: EdgeType; target: Target }

const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController']);

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function labelSelectorReqs(sel: unknown): Requirement[] | undefined {
  const s = asObj(sel);
  const reqs: Requirement[] = Object.entries(asObj(s.matchLabels)).map(([key, value]) => ({ key, op: 'eq' as const, value: String(value) }));
  for (const e of asArr(s.matchExpressions)) {
    const x = asObj(e);
    const key = str(x.key);
    if (!key) continue;
    const values = asArr(x.values).map(String);
    const op = String(x.operator);
    if (op === 'In') reqs.push({ key, op: 'in', values });
    else if (op === 'NotIn') reqs.push({ key, op: 'notin', values });
    else if (op === 'Exists') reqs.push({ key, op: 'exists' });
    else if (op === 'DoesNotExist') reqs.push({ key, op: 'notexists' });
  }
  return reqs.length ? reqs : undefined; // an empty selector selects nothing here, not everything
}

function podEdges(g: GraphObject, spec: Obj, out: RawEdge[]): void {
  const node = str(spec.nodeName);
  if (node) out.push({ type: 'scheduled-on', target: { by: 'name', kind: 'Node', namespace: '', name: node } });
  const ns = g.namespace;
  const mount = (kind: string, name: string | undefined) => {
    if (name) out.push({ type: 'mounts', target: { by: 'name', kind, namespace: ns, name } });
  };
  for (const v of asArr(spec.volumes).map(asObj)) {
    mount('PersistentVolumeClaim', str(asObj(v.persistentVolumeClaim).claimName));
    mount('ConfigMap', str(asObj(v.configMap).name));
    mount('Secret', str(asObj(v.secret).secretName));
    for (const src of asArr(asObj(v.projected).sources).map(asObj)) {
      mount('ConfigMap', str(asObj(src.configMap).name));
      mount('Secret', str(asObj(src.secret).name));
    }
  }
  for (const c of [...asArr(spec.containers), ...asArr(spec.initContainers)].map(asObj)) {
    for (const ef of asArr(c.envFrom).map(asObj)) {
      mount('ConfigMap', str(asObj(ef.configMapRef).name));
      mount('Secret', str(asObj(ef.secretRef).name));
    }
  }
}

/** The edges object `g` states itself (outgoing from g's point of view, except `owns`). */
export function edgesFrom(g: GraphObject): RawEdge[] {
  const out: RawEdge[] = [];
  const meta = asObj(g.object.metadata);
  const spec = asObj(g.object.spec);
  for (const ref of asArr(meta.ownerReferences).map(asObj)) {
    const uid = str(ref.uid);
    if (uid) out.push({ type: 'owns', target: { by: 'uid', uid } }); // target is the OWNER
  }
  if (g.group === '' && g.kind === 'Pod') podEdges(g, spec, out);
  if (g.group === '' && g.kind === 'Service') {
    const sel = asObj(spec.selector);
    const reqs = Object.entries(sel).map(([key, value]) => ({ key, op: 'eq' as const, value: String(value) }));
    if (reqs.length) out.push({ type: 'selects', target: { by: 'labels', kind: 'Pod', namespace: g.namespace, reqs } });
  }
  if (WORKLOADS.has(g.kind)) {
    const reqs = g.kind === 'ReplicationController'
      ? Object.entries(asObj(spec.selector)).map(([key, value]) => ({ key, op: 'eq' as const, value: String(value) }))
      : labelSelectorReqs(spec.selector);
    if (reqs?.length) out.push({ type: 'selects', target: { by: 'labels', kind: 'Pod', namespace: g.namespace, reqs } });
  }
  if (g.kind === 'Ingress') {
    const services = new Set<string>();
    const backend = (b: unknown) => {
      const name = str(asObj(asObj(b).service).name) ?? str(asObj(b).serviceName);
      if (name) services.add(name);
    };
    backend(spec.defaultBackend ?? spec.backend);
    for (const rule of asArr(spec.rules).map(asObj)) {
      for (const p of asArr(asObj(rule.http).paths).map(asObj)) backend(p.backend);
    }
    for (const name of services) out.push({ type: 'routes-to', target: { by: 'name', kind: 'Service', namespace: g.namespace, name } });
  }
  if (g.group === '' && g.kind === 'PersistentVolumeClaim') {
    const pv = str(spec.volumeName);
    if (pv) out.push({ type: 'binds', target: { by: 'name', kind: 'PersistentVolume', namespace: '', name: pv } });
  }
  return out;
}

export function refOf(g: Pick<GraphObject, 'kind' | 'namespace' | 'name'>): Ref {
  return g.namespace ? { kind: g.kind, namespace: g.namespace, name: g.name } : { kind: g.kind, name: g.name };
}

interface Edge { from: GraphObject; to: GraphObject; type: EdgeType }

/** Most nodes and edges one graph answers; past them it is cut and says `truncated`. */
export const MAX_GRAPH_NODES = 20_000;
export const MAX_GRAPH_EDGES = 50_000;

const labelsOf = (o: GraphObject) => (asObj(o.object.metadata).labels ?? {}) as Record<string, string>;

/**
 * Pods by namespace and by `namespace/key=value` label, so a selector is matched against the pods
 * carrying one of its equality labels, not every pod of the namespace (linear in the objects for
 * the usual selectors; built with push, never copied per edge).
 */
function podIndex(objects: readonly GraphObject[]) {
  const byNs = new Map<string, GraphObject[]>();
  const byLabel = new Map<string, GraphObject[]>();
  const add = (m: Map<string, GraphObject[]>, k: string, o: GraphObject) => {
    const list = m.get(k);
    if (list) list.push(o);
    else m.set(k, [o]);
  };
  for (const o of objects) {
    if (o.kind !== 'Pod' || o.group !== '') continue;
    add(byNs, o.namespace, o);
    for (const [k, v] of Object.entries(labelsOf(o))) add(byLabel, `${o.namespace}\u0000${k}\u0000${v}`, o);
  }
  return (t: Extract<Target, { by: 'labels' }>): GraphObject[] => {
    const eq = t.reqs.find((r) => r.op === 'eq');
    const candidates = eq && 'value' in eq ? byLabel.get(`${t.namespace}\u0000${eq.key}\u0000${eq.value}`) ?? [] : byNs.get(t.namespace) ?? [];
    return candidates.filter((p) => matchLabels(t.reqs, labelsOf(p)));
  };
}

/** Every edge among `objects` (all of which existed at the same time). */
export function allEdges(objects: readonly GraphObject[]): Edge[] {
  const byUid = new Map(objects.map((o) => [o.uid, o]));
  const byName = new Map(objects.map((o) => [`${o.kind}/${o.namespace}/${o.name}`, o]));
  const podsSelected = podIndex(objects);
  const edges: Edge[] = [];
  for (const o of objects) {
    for (const e of edgesFrom(o)) {
      const t = e.target;
      if (t.by === 'uid') {
        const owner = byUid.get(t.uid);
        if (owner) edges.push({ from: owner, to: o, type: 'owns' });
      } else if (t.by === 'name') {
        const target = byName.get(`${t.kind}/${t.namespace}/${t.name}`);
        if (target) edges.push({ from: o, to: target, type: e.type });
      } else {
        for (const p of podsSelected(t)) edges.push({ from: o, to: p, type: 'selects' });
      }
    }
  }
  return edges;
}

/**
 * Breadth-first from `start` over edges in both directions, at most `hops` steps and
 * MAX_GRAPH_NODES nodes / MAX_GRAPH_EDGES edges (then `truncated`). Linear in the edges.
 */
export function buildGraph(start: GraphObject, objects: readonly GraphObject[], hops: number, at: number, cluster: string, limits = { nodes: MAX_GRAPH_NODES, edges: MAX_GRAPH_EDGES }): GraphResult {
  const adjacent = new Map<string, Edge[]>();
  const link = (uid: string, e: Edge) => {
    const list = adjacent.get(uid);
    if (list) list.push(e);
    else adjacent.set(uid, [e]);
  };
  for (const e of allEdges(objects)) {
    link(e.from.uid, e);
    link(e.to.uid, e);
  }
  const seen = new Map<string, GraphObject>([[start.uid, start]]);
  const used = new Set<Edge>();
  let truncated = false;
  let frontier = [start];
  for (let h = 0; h < hops && frontier.length && !truncated; h++) {
    const next: GraphObject[] = [];
    for (const node of frontier) {
      for (const e of adjacent.get(node.uid) ?? []) {
        const other = e.from.uid === node.uid ? e.to : e.from;
        if (!seen.has(other.uid)) {
          if (seen.size >= limits.nodes || used.size >= limits.edges) {
            truncated = true;
            break;
          }
          seen.set(other.uid, other);
          next.push(other);
        }
        used.add(e);
      }
      if (truncated) break;
    }
    frontier = next;
  }
  const nodes = [...seen.values()].map((o) => ({ ...refOf(o), uid: o.uid }));
  const outEdges = [...used]
    .filter((e) => seen.has(e.from.uid) && seen.has(e.to.uid))
    .map((e) => ({ from: refOf(e.from), to: refOf(e.to), type: e.type }));
  return { cluster, at, nodes, edges: outEdges, ...(truncated ? { truncated: true } : {}) };
}
