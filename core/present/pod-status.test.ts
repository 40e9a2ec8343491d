import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../time.ts';
import { podStatus } from './pod-status.ts';

const AT = parseRfc3339('2026-01-10T10:30:00Z')!;

/** A Pod as the kubelet reports it, with its containers' statuses given. */
function pod(over: { phase?: string; containers?: object[]; init?: object[]; initSpec?: object[]; deleting?: boolean; reason?: string; conditions?: object[] }) {
  const names = (over.containers ?? [{}]).map((_, i) => ({ name: `c${i}`, image: 'registry.example/app:1.2' }));
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'orders-7d9f8b6c4-x2x9q', namespace: 'shop', creationTimestamp: '2026-01-10T10:00:00Z', ...(over.deleting ? { deletionTimestamp: '2026-01-10T10:29:50Z' } : {}) },
    spec: { nodeName: 'node-2', containers: names, ...(over.initSpec ? { initContainers: over.initSpec } : {}) },
    status: {
      phase: over.phase ?? 'Running', ...(over.reason ? { reason: over.reason } : {}),
      conditions: over.conditions ?? [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      ...(over.init ? { initContainerStatuses: over.init } : {}),
      containerStatuses: (over.containers ?? [{ ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-10T10:00:05Z' } } }]).map((c, i) => ({ name: `c${i}`, ...c })),
    },
  };
}

describe('podStatus (kubectl get pods rules)', () => {
  it('a running, ready Pod', () => {
    expect(podStatus(pod({}), AT)).toEqual({ ready: '1/1', status: 'Running', restarts: '0', node: 'node-2' });
  });

  it('CrashLoopBackOff with restarts and when the last one was, relative to the as-of time', () => {
    const s = podStatus(pod({ containers: [{
      ready: false, restartCount: 5,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-10T10:28:00Z' } },
    }] }), AT);
    expect(s).toEqual({ ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (2m ago)', node: 'node-2' });
  });

  it('OOMKilled while the container is terminated', () => {
    const s = podStatus(pod({ containers: [{ ready: false, restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-10T10:29:30Z' } } }] }), AT);
    expect(s.status).toBe('OOMKilled');
  });

  it('a terminated container without a reason shows its exit code or signal', () => {
    expect(podStatus(pod({ containers: [{ state: { terminated: { exitCode: 3 } } }] }), AT).status).toBe('ExitCode:3');
    expect(podStatus(pod({ containers: [{ state: { terminated: { exitCode: 0, signal: 9 } } }] }), AT).status).toBe('Signal:9');
  });

  it('Terminating while being deleted, unless the Pod already finished', () => {
    expect(podStatus(pod({ deleting: true }), AT).status).toBe('Terminating');
    expect(podStatus(pod({ deleting: true, phase: 'Succeeded', containers: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), AT).status).toBe('Completed');
  });

  it('Completed Pods of a Job', () => {
    const s = podStatus(pod({ phase: 'Succeeded', containers: [{ ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), AT);
    expect(s).toMatchObject({ ready: '0/1', status: 'Completed' });
  });

  it('Completed turns back into Running while another container still runs', () => {
    const s = podStatus(pod({ containers: [
      { ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { ready: true, state: { running: {} } },
    ] }), AT);
    // Containers are read last to first: the first container's reason is the one left.
    expect(s).toMatchObject({ ready: '1/2', status: 'Running' });
  });

  it('init containers: Init:N/M while they run, Init:<reason> when one fails or waits', () => {
    const initSpec = [{ name: 'migrate', image: 'x' }, { name: 'warm', image: 'y' }];
    const waitingApp = [{ ready: false, state: { waiting: { reason: 'PodInitializing' } } }];
    const conditions = [{ type: 'Initialized', status: 'False' }];
    expect(podStatus(pod({ phase: 'Pending', initSpec, conditions, containers: waitingApp, init: [
      { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'warm', state: { running: {} } },
    ] }), AT).status).toBe('Init:1/2');
    expect(podStatus(pod({ phase: 'Pending', initSpec, conditions, containers: waitingApp, init: [
      { name: 'migrate', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ] }), AT)).toMatchObject({ status: 'Init:CrashLoopBackOff', restarts: '3' });
    expect(podStatus(pod({ phase: 'Pending', initSpec, conditions, containers: waitingApp, init: [
      { name: 'migrate', state: { terminated: { exitCode: 2 } } },
    ] }), AT).status).toBe('Init:ExitCode:2');
  });

  it('Pending with image pull errors, and an unscheduled Pod without node', () => {
    const p = pod({ phase: 'Pending', containers: [{ ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] });
    expect(podStatus(p, AT).status).toBe('ImagePullBackOff');
    const unscheduled = { ...p, spec: { containers: [{ name: 'c0' }] }, status: { phase: 'Pending' } };
    expect(podStatus(unscheduled, AT)).toEqual({ ready: '0/1', status: 'Pending', restarts: '0', node: '<none>' });
  });

  it('Evicted: the Pod status reason wins', () => {
    expect(podStatus(pod({ phase: 'Failed', reason: 'Evicted', containers: [] }), AT).status).toBe('Evicted');
  });

  it('restartable init containers (sidecars) count in READY', () => {
    const s = podStatus(pod({ initSpec: [{ name: 'proxy', restartPolicy: 'Always' }], init: [{ name: 'proxy', started: true, ready: true, restartCount: 0, state: { running: {} } }] }), AT);
    expect(s.ready).toBe('2/2');
  });
});
