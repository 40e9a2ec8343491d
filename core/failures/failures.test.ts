import { describe, expect, it } from 'vitest';
import { MemoryHistoryStore } from '../../compactor/testing/memory-history-store.ts';
import { TRUSTED_VIEWER, type Viewer } from '../access.ts';
import { createHistoryQueries } from '../queries.ts';
import type { ChangeRecord, KubeObject } from '../record.ts';
import { detectHpa, detectJob, detectNode, detectPod, detectPvc, detectDeployment } from './conditions.ts';
import { FailureIndex } from './failure-index.ts';
import { summarize } from './suspects.ts';

const T0 = Date.UTC(2026, 0, 10, 10) * 1000;
const SEC = 1e6;
type Obj = Record<string, any>;

let rv = 100;
function rec(obj: Obj, at: number, over: Partial<ChangeRecord> = {}): ChangeRecord {
  const [group] = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/') : [''];
  return {
    cluster: 'c1', apiVersion: obj.apiVersion, group: group!, kind: obj.kind, resource: `${String(obj.kind).toLowerCase()}s`,
    namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, uid: obj.metadata.uid, resourceVersion: String(++rv),
    op: 'MODIFIED', ts: T0 + at * SEC, observedAt: T0 + at * SEC, source: 'watch', object: structuredClone(obj), ...over,
  };
}

const deploy = (image: string): Obj => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop', uid: 'd1' },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'api', image }] } } }, status: {},
});

function pod(waiting?: Obj): Obj {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'api-1', namespace: 'shop', uid: 'p1', creationTimestamp: '2026-01-10T10:00:05Z', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'd1', controller: true }] },
    spec: { nodeName: 'n1', containers: [{ name: 'api', image: 'api:2', envFrom: [{ configMapRef: { name: 'api-config' } }] }] },
    status: {
      phase: waiting ? 'Pending' : 'Running',
      containerStatuses: [{ name: 'api', ready: !waiting, restartCount: 0, state: waiting ? { waiting } : { running: {} } }],
    },
  };
}

/** A Deployment released with a bad image tag, its Pod failing to pull it, then rolled back. */
async function pullFailure(viewer: Viewer = TRUSTED_VIEWER) {
  const store = new MemoryHistoryStore();
  const alice = { username: 'alice@example.com' };
  const kubelet = { username: 'system:node:n1' };
  await store.append([
    rec(deploy('api:1'), 0, { op: 'ADDED' }),
    rec({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-config', namespace: 'shop', uid: 'c1' }, data: { A: '1' } }, 0, { op: 'ADDED' }),
    rec(deploy('api:2'), 4, { actor: alice, verb: 'patch' }),
    rec(pod(), 5, { op: 'ADDED' }),
    rec(pod({ reason: 'ErrImagePull', message: 'manifest unknown' }), 6, { actor: kubelet }),
    rec(pod({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "api:2"' }), 20, { actor: kubelet }),
    rec(deploy('api:1'), 60, { actor: alice, verb: 'patch' }),
    rec(pod({ reason: 'ImagePullBackOff' }), 61, { op: 'DELETED' }),
  ]);
  return createHistoryQueries({ store }).failures({ viewer, from: T0, to: T0 + 120 * SEC, namespace: 'shop' });
}

describe('failures query', () => {
  it('finds an image pull failure with its image, the release first among suspects and the rollback it ended after', async () => {
    const { items } = await pullFailure();
    expect(items).toHaveLength(1);
    const [span] = items;
    expect(span).toMatchObject({ object: { kind: 'Pod', namespace: 'shop', name: 'api-1' }, reason: 'ImagePullBackOff', start: T0 + 6 * SEC, end: T0 + 61 * SEC, ended: 'deleted' });
    expect(span!.evidence).toMatchObject({ container: 'api', image: 'api:2' });
    expect(span!.suspects[0]).toMatchObject({ ref: { kind: 'Deployment', name: 'api' }, relation: 'owner', diff: 'image: api:1 → api:2', actor: { username: 'alice@example.com' } });
    expect(span!.recoveredAfter).toMatchObject({ ts: T0 + 60 * SEC, diff: 'image: api:2 → api:1' });
  });

  it('leaves out what the viewer may not list: the span on a Pod, or a suspect on a Deployment', async () => {
    const noPods: Viewer = { subject: { user: 'bob', groups: [] }, may: async (a) => a.resource !== 'pods' };
    expect((await pullFailure(noPods)).items).toEqual([]);
    const noDeployments: Viewer = { subject: { user: 'bob', groups: [] }, may: async (a) => a.resource !== 'deployments' };
    const [span] = (await pullFailure(noDeployments)).items;
    expect(span!.suspects.map((s) => s.ref.kind)).not.toContain('Deployment');
    expect(span!.recoveredAfter).toBeUndefined();
  });

  it('refuses a kind the timeline does not cover, naming the parameter', async () => {
    const q = createHistoryQueries({ store: new MemoryHistoryStore() });
    await expect(q.failures({ viewer: TRUSTED_VIEWER, from: T0, to: T0 + SEC, kind: 'cm' })).rejects.toThrow(/^kind: /);
    await expect(q.failures({ viewer: TRUSTED_VIEWER, from: T0, to: T0 + SEC, suspectWindow: -1 })).rejects.toThrow(/^suspectWindow: /);
  });
});

describe('failure index', () => {
  it('answers like the scan, and scans an object it first saw already broken (its span began before)', async () => {
    const store = new MemoryHistoryStore();
    const crashing = (restarts: number) => {
      const p = pod();
      p.status.containerStatuses[0] = { name: 'api', ready: false, restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } };
      return p;
    };
    const early = [rec(deploy('api:1'), 0, { op: 'ADDED' }), rec(pod(), 5, { op: 'ADDED' }), rec(crashing(1), 10), rec(crashing(2), 20)];
    const late = [rec(crashing(3), 40), rec(pod(), 70)];
    await store.append([...early, ...late]);
    const index = new FailureIndex();
    index.observe(late); // the process started after the crash loop began
    const q = { viewer: TRUSTED_VIEWER, from: T0 + 45 * SEC, to: T0 + 100 * SEC };
    const fromIndex = await createHistoryQueries({ store, failures: { index } }).failures(q);
    const scanned = await createHistoryQueries({ store }).failures(q);
    expect(fromIndex.items.map((s) => [s.reason, s.start, s.end])).toEqual([['CrashLoopBackOff', T0 + 10 * SEC, T0 + 70 * SEC]]);
    expect(fromIndex).toEqual(scanned);
    expect(fromIndex.items[0]!.evidence.restarts).toBe(3);
  });
});

describe('detectors', () => {
  const cond = (type: string, status: string, reason?: string, message?: string) => ({ type, status, reason, message });
  const with_ = (kind: string, o: Obj): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, ...o });

  it('Pods: unschedulable with the scheduler\'s reason, evicted, failing readiness', () => {
    const msg = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    expect(detectPod(with_('Pod', { status: { phase: 'Pending', conditions: [cond('PodScheduled', 'False', 'Unschedulable', msg)] } }), null, new Map()))
      .toEqual([{ key: 'sched', reason: 'Unschedulable', evidence: { message: msg } }]);
    expect(detectPod(with_('Pod', { spec: { nodeName: 'n1' }, status: { phase: 'Failed', reason: 'Evicted', message: 'low on memory' } }), null, new Map())[0])
      .toMatchObject({ reason: 'Evicted', evidence: { node: 'n1', message: 'low on memory' } });
    const notReady = { phase: 'Running', conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [api]')], containerStatuses: [{ name: 'api', ready: false, restartCount: 0, state: { running: {} } }] };
    expect(detectPod(with_('Pod', { status: notReady }), null, new Map()).map((f) => f.reason)).toEqual(['ProbeFailing']);
  });

  it('an OOM kill names the container and its memory limit', () => {
    const prev = with_('Pod', { status: { containerStatuses: [{ name: 'api', restartCount: 0 }] } });
    const now = with_('Pod', {
      spec: { nodeName: 'n1', containers: [{ name: 'api', resources: { limits: { memory: '256Mi' } } }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'api', ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] },
    });
    expect(detectPod(now, prev, new Map())[0]).toMatchObject({ reason: 'OOMKilled', evidence: { container: 'api', exitCode: 137, memoryLimit: '256Mi', node: 'n1' }, counter: 1 });
  });

  it('Nodes, Deployments, Jobs, HPAs and PVCs', () => {
    const node = with_('Node', { spec: { unschedulable: true }, status: { conditions: [cond('Ready', 'Unknown', 'NodeStatusUnknown'), cond('DiskPressure', 'True')] } });
    expect(detectNode(node, null, new Map()).map((f) => f.reason)).toEqual(['NodeNotReady', 'DiskPressure', 'Cordoned']);
    const d = with_('Deployment', { spec: { replicas: 3 }, status: { unavailableReplicas: 2, conditions: [cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'timed out')] } });
    expect(detectDeployment(d, null, new Map()).map((f) => [f.reason, f.evidence.unavailable ?? f.evidence.message])).toEqual([['UnavailableReplicas', 2], ['ProgressDeadlineExceeded', 'timed out']]);
    expect(detectJob(with_('Job', { status: { conditions: [cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] } }), null, new Map())[0]!.evidence.message)
      .toBe('BackoffLimitExceeded: Job has reached the specified backoff limit');
    const hpa = with_('HorizontalPodAutoscaler', { spec: { maxReplicas: 5 }, status: { currentReplicas: 5, desiredReplicas: 5, conditions: [cond('ScalingActive', 'False', 'FailedGetResourceMetric')] } });
    expect(detectHpa(hpa, null, new Map()).map((f) => f.reason)).toEqual(['HPAAtMaxReplicas', 'HPAUnableToScale']);
    expect(detectPvc(with_('PersistentVolumeClaim', { status: { phase: 'Pending' } }), null, new Map())[0]!.reason).toBe('PVCPending');
    expect(detectPvc(with_('PersistentVolumeClaim', { status: { phase: 'Bound' } }), null, new Map())).toEqual([]);
  });
});

describe('one-line diffs', () => {
  it('names the changed fields with their old and new values, status and noise left out', () => {
    const a = { metadata: { name: 'x', resourceVersion: '1', labels: { app: 'a' } }, spec: { replicas: 3, nodeSelector: { disk: 'ssd' } }, status: { ready: 1 } };
    const b = { metadata: { name: 'x', resourceVersion: '2', labels: { app: 'b' } }, spec: { replicas: 5 }, status: { ready: 2 } };
    expect(summarize(a, b)).toBe('labels.app: a → b; replicas: 3 → 5; nodeSelector: {"disk":"ssd"} → (none)');
    expect(summarize(a, { ...a, status: { ready: 9 }, metadata: { ...a.metadata, resourceVersion: '3' } })).toBe('');
  });
});
