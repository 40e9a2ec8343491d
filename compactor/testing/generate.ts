/**
 * Deterministic generated history for compactor tests and benchmarks: a cluster whose objects
 * are created, modified, deleted and re-created under the same name (new uid) over time, with
 * watch and audit sources, DELETED records with and without a last state, equal timestamps and
 * cluster-scoped kinds. Records come out in time order, in batches, so 150,000 objects never
 * sit in memory as a list.
 */
import type { ChangeRecord, KubeObject, Op } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { prng } from '../../simulator/prng.ts';

export { prng };

export interface GenerateOptions {
  cluster?: string;
  seed?: number;
  /** Time of the first change. */
  start: Micros;
  /** Objects created at `start` (spread over kinds and namespaces). */
  objects: number;
  namespaces?: number;
  /** Changes after the initial creation, spread evenly over `span`. */
  changes: number;
  span: Micros;
  /** Characters of filler in each object's spec, to reach realistic sizes (default 200). */
  padding?: number;
  /** Characters of pseudo-random hex in each object instead (compresses like real data, ~2:1). */
  randomPadding?: number;
  batchSize?: number;
}

interface KindDef { group: string; version: string; kind: string; resource: string; namespaced: boolean; weight: number }

const KINDS: KindDef[] = [
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, weight: 10 },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, weight: 3 },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, weight: 2 },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true, weight: 4 },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, weight: 1 },
];
const TOTAL_WEIGHT = KINDS.reduce((s, k) => s + k.weight, 0);


interface Live { def: KindDef; namespace: string; name: string; uid: string; generation: number; alive: boolean }

export function* generateHistory(o: GenerateOptions): Generator<ChangeRecord[]> {
  const rand = prng(o.seed ?? 1);
  const cluster = o.cluster ?? 'test';
  const nsCount = o.namespaces ?? 20;
  const pad = 'x'.repeat(o.padding ?? 200);
  const batchSize = o.batchSize ?? 1000;
  let rv = 1000;
  let uidSeq = 0;
  let batch: ChangeRecord[] = [];
  const objects: Live[] = [];

  const noise = (n: number): string => {
    let out = '';
    while (out.length < n) out += Math.floor(rand() * 2 ** 32).toString(16).padStart(8, '0');
    return out.slice(0, n);
  };
  const pickKind = (): KindDef => {
    let w = rand() * TOTAL_WEIGHT;
    for (const k of KINDS) if ((w -= k.weight) < 0) return k;
    return KINDS[0]!;
  };
  const emit = (l: Live, op: Op, ts: Micros): ChangeRecord => {
    rv += 1;
    const viaAudit = rand() < 0.3;
    const object: KubeObject = {
      apiVersion: l.def.group ? `${l.def.group}/${l.def.version}` : l.def.version,
      kind: l.def.kind,
      metadata: {
        name: l.name, uid: l.uid, resourceVersion: String(rv), generation: l.generation,
        ...(l.def.namespaced ? { namespace: l.namespace } : {}),
        labels: { app: `app-${l.name.length % 7}`, tier: rand() < 0.5 ? 'web' : 'db' },
      },
      spec: { replicas: l.generation % 5, image: `img:${l.generation}`, filler: o.randomPadding ? noise(o.randomPadding) : pad },
      status: { phase: op === 'DELETED' ? 'Terminating' : 'Running' },
    };
    const nullDelete = op === 'DELETED' && viaAudit && rand() < 0.5;
    return {
      cluster, apiVersion: object.apiVersion!, group: l.def.group, kind: l.def.kind, resource: l.def.resource,
      namespace: l.def.namespaced ? l.namespace : '', name: l.name, uid: l.uid,
      resourceVersion: nullDelete ? '' : String(rv), op, ts, observedAt: ts + 1000,
      source: viaAudit ? 'audit' : 'watch',
      ...(viaAudit ? { actor: { username: 'system:serviceaccount:kube-system:deployer' }, verb: op === 'ADDED' ? 'create' : op === 'DELETED' ? 'delete' : 'update' } : {}),
      object: nullDelete ? null : object,
    };
  };
  const push = function* (r: ChangeRecord): Generator<ChangeRecord[]> {
    batch.push(r);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  };
  const create = (ts: Micros): Live => {
    const def = pickKind();
    const l: Live = {
      def, namespace: `ns-${Math.floor(rand() * nsCount)}`, name: `${def.kind.toLowerCase()}-${objects.length}`,
      uid: `uid-${++uidSeq}`, generation: 1, alive: true,
    };
    objects.push(l);
    return l;
  };

  for (let i = 0; i < o.objects; i++) yield* push(emit(create(o.start), 'ADDED', o.start + Math.floor(i / 50)));
  const step = Math.max(1, Math.floor(o.span / Math.max(1, o.changes)));
  let ts = o.start + Math.ceil(o.objects / 50) + 1;
  for (let i = 0; i < o.changes; i++) {
    ts += rand() < 0.1 ? 0 : step; // sometimes two changes share a timestamp
    const l = objects[Math.floor(rand() * objects.length)]!;
    const dice = rand();
    if (!l.alive) {
      // Re-create under the same name with a new uid.
      Object.assign(l, { uid: `uid-${++uidSeq}`, generation: 1, alive: true });
      yield* push(emit(l, 'ADDED', ts));
    } else if (dice < 0.12) {
      l.alive = false;
      yield* push(emit(l, 'DELETED', ts));
    } else if (dice < 0.2) {
      yield* push(emit(create(ts), 'ADDED', ts));
    } else {
      l.generation++;
      yield* push(emit(l, 'MODIFIED', ts));
    }
  }
  if (batch.length) yield batch;
}
