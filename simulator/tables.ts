/**
 * Server-side printing (`meta.k8s.io/v1 Table`), so `kubectl get` against the simulator shows
 * the familiar columns (READY, STATUS, RESTARTS, …) instead of only NAME and AGE. Only lists
 * and gets are printed this way; watches always stream objects.
 */
import type { KubeObject } from '../k8s/object.ts';
import { humanDuration, parseRfc3339, type Micros } from '../k8s/time.ts';

type Obj = Record<string, any>;
type Column = [name: string, type: 'string' | 'integer' | 'date', cell: (o: Obj, now: Micros) => unknown, priority?: number];

/** Whether the client asked for a Table (kubectl sends `application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** An object's age as the API server's tables print it (`42s`, `5m30s`, `3h5m`, `2d`). */
export function humanAge(from: string | undefined, now: Micros): string {
  const t = from ? parseRfc3339(from) : undefined;
  if (t === undefined) return '<unknown>';
  return humanDuration(Math.max(0, (now - t) / 1e6));
}

const name: Column = ['Name', 'string', (o) => o.metadata?.name];
const age: Column = ['Age', 'date', (o, now) => humanAge(o.metadata?.creationTimestamp, now)];

function podStatus(o: Obj): string {
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  const waiting = (o.status?.containerStatuses ?? []).map((c: Obj) => c.state?.waiting?.reason).find(Boolean);
  return waiting ?? o.status?.phase ?? 'Unknown';
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    name,
    ['Ready', 'string', (o) => `${(o.status?.containerStatuses ?? []).filter((c: Obj) => c.ready).length}/${o.spec?.containers?.length ?? 0}`],
    ['Status', 'string', podStatus],
    ['Restarts', 'integer', (o) => (o.status?.containerStatuses ?? []).reduce((n: number, c: Obj) => n + (c.restartCount ?? 0), 0)],
    age,
    ['IP', 'string', (o) => o.status?.podIP ?? '<none>', 1],
    ['Node', 'string', (o) => o.spec?.nodeName ?? '<none>', 1],
  ],
  'Deployment.apps': [
    name,
    ['Ready', 'string', (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`],
    ['Up-to-date', 'integer', (o) => o.status?.updatedReplicas ?? 0],
    ['Available', 'integer', (o) => o.status?.availableReplicas ?? 0],
    age,
  ],
  'ReplicaSet.apps': [
    name,
    ['Desired', 'integer', (o) => o.spec?.replicas ?? 0],
    ['Current', 'integer', (o) => o.status?.replicas ?? 0],
    ['Ready', 'integer', (o) => o.status?.readyReplicas ?? 0],
    age,
  ],
  Node: [
    name,
    ['Status', 'string', (o) => ((o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady') + (o.spec?.unschedulable ? ',SchedulingDisabled' : '')],
    ['Roles', 'string', () => '<none>'],
    age,
    ['Version', 'string', (o) => o.status?.nodeInfo?.kubeletVersion ?? ''],
  ],
  Service: [
    name,
    ['Type', 'string', (o) => o.spec?.type ?? 'ClusterIP'],
    ['Cluster-IP', 'string', (o) => o.spec?.clusterIP ?? '<none>'],
    ['External-IP', 'string', () => '<none>'],
    ['Port(s)', 'string', (o) => (o.spec?.ports ?? []).map((p: Obj) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',')],
    age,
  ],
  Event: [
    ['Last Seen', 'string', (o, now) => humanAge(o.lastTimestamp ?? o.metadata?.creationTimestamp, now)],
    ['Type', 'string', (o) => o.type],
    ['Reason', 'string', (o) => o.reason],
    ['Object', 'string', (o) => `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name}`],
    ['Message', 'string', (o) => o.message],
  ],
};

/** A Table of `objects` (rows carry PartialObjectMetadata, as with includeObject=Metadata). */
export function toTable(gk: string, objects: readonly KubeObject[], listMeta: Record<string, string>, now: Micros): Record<string, unknown> {
  const cols = COLUMNS[gk] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: cols.map(([n, type, , priority], i) => ({ name: n, type, format: i === 0 && n === 'Name' ? 'name' : '', description: '', priority: priority ?? 0 })),
    rows: objects.map((o) => ({
      cells: cols.map(([, , cell]) => cell(o as Obj, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
