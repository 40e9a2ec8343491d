import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../time.ts';
import { fieldSelector, labelSelector } from '../../k8s/selectors.ts';
import type { KubeObject } from '../record.ts';
import { slimForSummary, summaryFromSlim } from './slim.ts';
import { summaryRow } from './summary.ts';
import { wideCells } from './wide.ts';

type Obj = Record<string, any>;

const T = (s: string) => parseRfc3339(s)!;
const created = '2026-01-10T10:00:00Z';
const meta = (name: string, extra: Obj = {}) => ({
  name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '4711', generation: 3, creationTimestamp: created,
  labels: { app: 'orders', tier: 'backend' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"a":1}', note: 'x'.repeat(200) },
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'orders-7d9f8b6c4', uid: 'rs-1', controller: true }],
  managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
  ...extra,
});
const containerSpec = (name: string) => ({ name, image: `registry.example/${name}:1.2`, env: [{ name: 'A', value: 'b' }], resources: { limits: { cpu: '1' } }, ports: [{ containerPort: 8080 }] });
const podTemplate = { metadata: { labels: { app: 'orders' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [containerSpec('web'), containerSpec('envoy')] } };

/** One realistic object of every kind summary.ts prints, plus kinds it does not know. */
const FIXTURES: Obj[] = [
  {
    apiVersion: 'v1', kind: 'Pod', metadata: meta('orders-7d9f8b6c4-x2x9q', { deletionTimestamp: '2026-01-10T10:29:50Z' }),
    spec: {
      nodeName: 'node-2', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'orders', hostNetwork: false,
      initContainers: [{ ...containerSpec('init'), restartPolicy: 'Always' }, containerSpec('migrate')],
      containers: [containerSpec('web'), containerSpec('envoy')],
    },
    status: {
      phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }], hostIP: '10.0.0.2', qosClass: 'Burstable', nominatedNodeName: 'node-3',
      conditions: [{ type: 'Initialized', status: 'True', lastTransitionTime: created }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }, { type: 'PodScheduled', status: 'True', reason: 'SchedulingGated' }],
      initContainerStatuses: [
        { name: 'init', restartCount: 2, started: true, ready: true, state: { running: { startedAt: created } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-10T10:20:00Z' } }, image: 'x', imageID: 'y' },
        { name: 'migrate', restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-10T10:01:00Z' } } },
      ],
      containerStatuses: [
        { name: 'web', restartCount: 5, ready: false, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-10T10:28:00Z' } }, containerID: 'c://1' },
        { name: 'envoy', restartCount: 0, ready: true, started: true, state: { running: { startedAt: created } } },
      ],
    },
  },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('orders'),
    spec: { replicas: 3, selector: { matchLabels: { app: 'orders', tier: 'backend' } }, template: podTemplate, strategy: { type: 'RollingUpdate' } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2, observedGeneration: 3, conditions: [{ type: 'Available', status: 'True' }] },
  },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('orders-7d9f8b6c4'), spec: { replicas: 3, selector: { matchLabels: { app: 'orders' } }, template: podTemplate }, status: { replicas: 3, readyReplicas: 1, fullyLabeledReplicas: 3 } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db'), spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: podTemplate }, status: { readyReplicas: 2, replicas: 2 } },
  {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent'), spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2, numberMisscheduled: 0 },
  },
  {
    apiVersion: 'batch/v1', kind: 'Job', metadata: meta('migrate'), spec: { completions: 2, suspend: false, selector: { matchLabels: { job: 'm' } }, template: podTemplate },
    status: { succeeded: 1, startTime: '2026-01-10T11:00:00Z', completionTime: '2026-01-10T11:02:00Z', conditions: [{ type: 'Complete', status: 'True', message: 'done' }] },
  },
  {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('nightly'), spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: { template: podTemplate } } },
    status: { active: [{ kind: 'Job', name: 'nightly-1' }], lastScheduleTime: '2026-01-10T03:00:00Z' },
  },
  {
    apiVersion: 'v1', kind: 'Service', metadata: meta('web'),
    spec: { type: 'LoadBalancer', clusterIP: '10.0.0.7', externalIPs: ['1.2.3.4'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 8080 }, { port: 53, protocol: 'UDP' }] },
    status: { loadBalancer: { ingress: [{ ip: '5.6.7.8', ipMode: 'VIP' }, { hostname: 'lb.example' }] } },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'db.example' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { a: '1'.repeat(500), b: '2' }, binaryData: { c: 'AAAA' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'kubernetes.io/tls', data: { 'tls.crt': '<redacted>', 'tls.key': '<redacted>' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: meta('shop', { namespace: undefined }), status: { phase: 'Terminating' } },
  {
    apiVersion: 'v1', kind: 'Node', metadata: meta('node-1', { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' } }),
    spec: { unschedulable: true, podCIDR: '10.244.0.0/24' },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True', message: 'kubelet is posting ready status' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { kubeletVersion: 'v1.34.1', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'containerd://2.0', machineID: 'm' },
      images: [{ names: ['a'], sizeBytes: 1 }], capacity: { cpu: '4' },
    },
  },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data'), spec: { volumeName: 'pv-1', storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('orders'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'orders', apiVersion: 'apps/v1' }, minReplicas: 2, maxReplicas: 10, metrics: [] }, status: { currentReplicas: 3, desiredReplicas: 3 } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web'), spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example', http: { paths: [] } }, { http: {} }] }, status: { loadBalancer: { ingress: [{ hostname: 'lb' }] } } },
  {
    apiVersion: 'v1', kind: 'Event', metadata: meta('orders.1'), type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', count: 4,
    involvedObject: { kind: 'Pod', name: 'orders-x', namespace: 'shop', uid: 'u', apiVersion: 'v1', resourceVersion: '9', fieldPath: 'spec.containers{web}' },
    source: { component: 'kubelet', host: 'node-2' }, reportingComponent: 'kubelet', firstTimestamp: created,
  },
  {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: meta('orders.2'), type: 'Normal', reason: 'Scheduled', note: 'assigned', reportingController: 'default-scheduler',
    regarding: { kind: 'Pod', name: 'orders-y', namespace: 'shop', uid: 'u2' }, action: 'Binding',
  },
  { apiVersion: 'v1', kind: 'ReplicationController', metadata: meta('legacy'), spec: { replicas: 2, template: podTemplate }, status: { replicas: 2 } },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('leader'), spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default'), secrets: [{ name: 's' }] },
  { apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('w1'), spec: { size: 3, color: 'red' }, status: { phase: 'Ready' } },
];

/** Field selectors each kind answers (k8s/field-labels.ts), and the kind they are resolved for. */
const FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.host', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Node: ['spec.unschedulable'], Namespace: ['status.phase'], ReplicationController: ['status.replicas'], Secret: ['type'],
  Service: ['spec.clusterIP', 'spec.type'], Job: ['status.successful'],
  Event: ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'type', 'source', 'reportingComponent'],
};
const EVENTS_V1_FIELDS = ['reason', 'type', 'reportingController', 'regarding.kind', 'regarding.name', 'regarding.namespace', 'regarding.uid'];
const VALUES = ['', 'true', 'false', '0', '1', '2', 'node-2', 'node-3', 'Running', 'Always', 'default-scheduler', 'orders', '10.244.1.7', '10.0.0.7', 'LoadBalancer', 'kubernetes.io/tls', 'Pod', 'orders-x', 'shop', 'BackOff', 'Warning', 'kubelet', 'Terminating', 'x'];
const LABELS = ['', 'app=orders', 'app!=orders', 'tier in (backend,frontend)', '!tier', 'app', 'node-role.kubernetes.io/control-plane', 'kubernetes.io/role=worker', 'app=orders,tier=backend'];

const groupOf = (o: Obj) => (String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0]! : '');

/** Every way the full object and its slim object could be told apart by a summary list. */
function expectSameAnswers(o: Obj, ats: readonly number[]): void {
  const slim = slimForSummary(o as KubeObject);
  const both = <T>(f: (x: KubeObject) => T) => {
    let full: { v?: T; e?: string };
    try {
      full = { v: f(o as KubeObject) };
    } catch (e) {
      full = { e: (e as Error).constructor.name };
    }
    let s: { v?: T; e?: string };
    try {
      s = { v: f(slim) };
    } catch (e) {
      s = { e: (e as Error).constructor.name };
    }
    expect(s).toEqual(full);
  };
  for (const at of ats) {
    both((x) => summaryRow(x, { at }));
    both((x) => summaryRow(x, { at }, true));
  }
  both((x) => wideCells(x));
  for (const l of LABELS) both((x) => labelSelector(l)(x));
  const kind = String(o.kind ?? '');
  const group = groupOf(o);
  const fields = kind === 'Event' && group === 'events.k8s.io' ? EVENTS_V1_FIELDS : group === '' || kind === 'Job' ? (FIELDS[kind] ?? []) : [];
  const fk = { kind, group: kind === 'Job' ? 'batch' : group, namespaced: true };
  for (const f of ['metadata.name', 'metadata.namespace', ...fields]) {
    for (const v of [...VALUES, String(o.metadata?.name)]) {
      both((x) => fieldSelector(`${f}=${v}`, 'fieldSelector', fk)(x));
      both((x) => fieldSelector(`${f}!=${v}`, 'fieldSelector', fk)(x));
    }
  }
  both((x) => [x.kind, x.apiVersion]); // what the HTTP route looks CRD printer columns up by
}

const ATS = ['2026-01-10T09:00:00Z', '2026-01-10T10:00:00Z', '2026-01-10T10:00:59Z', '2026-01-10T10:30:00Z', '2026-01-10T11:01:00Z', '2026-01-12T00:00:00Z', '2027-03-01T00:00:00Z'].map(T);

/** A small deterministic PRNG (mulberry32), so a failure repeats. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD: unknown[] = [null, '', 'x', 0, 7, true, false, [], {}, [null], [{}], { running: {} }, '2026-01-10T10:15:00Z', 'True', 'Ready', 'Completed', -1];

/** A copy of `o` with random members removed, replaced by odd values, or arrays grown. */
function mutate(o: unknown, rand: () => number, depth = 0): unknown {
  if (Array.isArray(o)) {
    const out = o.map((x) => mutate(x, rand, depth + 1));
    if (rand() < 0.1 && out.length) out.push(mutate(o[Math.floor(rand() * o.length)], rand, depth + 1));
    return out;
  }
  if (typeof o !== 'object' || o === null) return rand() < 0.08 ? ODD[Math.floor(rand() * ODD.length)] : o;
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const r = rand();
    if (r < 0.06 && depth > 0) continue; // removed
    out[k] = r < 0.1 && depth > 0 ? ODD[Math.floor(rand() * ODD.length)] : mutate(v, rand, depth + 1);
  }
  return out;
}

describe('slimForSummary', () => {
  it.each(FIXTURES.map((f) => [`${f.kind} (${f.apiVersion})`, f]))('%s: the same summary rows at every time, wide cells, selector matches', (_, f) => {
    expectSameAnswers(f, ATS);
  });

  it('is far smaller than the object: a Pod keeps no image, env, managedFields or annotations; a ConfigMap keeps its keys only', () => {
    const pod = slimForSummary(FIXTURES[0] as KubeObject) as Obj;
    expect(pod.metadata).toEqual({ name: 'orders-7d9f8b6c4-x2x9q', namespace: 'shop', uid: 'uid-orders-7d9f8b6c4-x2x9q', creationTimestamp: created, deletionTimestamp: '2026-01-10T10:29:50Z', labels: { app: 'orders', tier: 'backend' } });
    expect(pod.spec.containers).toEqual([{}, {}]);
    expect(pod.status.containerStatuses[0]).toEqual({ name: 'web', restartCount: 5, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { finishedAt: '2026-01-10T10:28:00Z' } } });
    expect(JSON.stringify(pod).length * 2).toBeLessThan(JSON.stringify(FIXTURES[0]).length);
    const cm = FIXTURES.find((f) => f.kind === 'ConfigMap')!;
    expect(slimForSummary(cm as KubeObject)).toMatchObject({ data: { a: 0, b: 0 }, binaryData: { c: 0 } });
  });

  it('keeps odd values where an object was expected as they are (a printer reads the same, or fails the same)', () => {
    const pod = { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: 'two' }, status: { containerStatuses: [null, 'x', { state: 'running' }], conditions: {} } };
    expect(slimForSummary(pod)).toEqual(pod);
    expectSameAnswers(pod, ATS);
  });

  it('varied objects of every kind (random removals, odd values, grown arrays): the same answers as the full object', () => {
    const rand = prng(16);
    for (let i = 0; i < 800; i++) {
      const base = FIXTURES[i % FIXTURES.length]!;
      const o = mutate(base, rand) as Obj;
      try {
        expectSameAnswers(o, [ATS[Math.floor(rand() * ATS.length)]!, ATS[3]!]);
      } catch (e) {
        throw new Error(`object ${i}: ${JSON.stringify(o)}\n${(e as Error).message}`);
      }
    }
  });

  it('serves built-in columns and core-group kinds; not a custom resource, whose CRD columns read any field', () => {
    expect(summaryFromSlim({ kind: 'Pod', group: '' })).toBe(true);
    expect(summaryFromSlim({ kind: 'Deployment', group: 'apps' })).toBe(true);
    expect(summaryFromSlim({ kind: 'ServiceAccount', group: '' })).toBe(true);
    expect(summaryFromSlim({ kind: 'Widget', group: 'example.com' })).toBe(false);
    expect(summaryFromSlim({ kind: 'Lease', group: 'coordination.k8s.io' })).toBe(false);
  });
});
