import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../time.ts';
import { controllerOf, describeObject } from './describe.ts';

const AT = parseRfc3339('2026-01-10T10:15:00Z')!;

describe('describeObject', () => {
  it('a crash-looping Pod: node, containers with current and last state, conditions, summary as of T', () => {
    const pod = {
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop', creationTimestamp: '2026-01-10T10:00:00Z', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', controller: true }] },
      spec: { nodeName: 'node-2', containers: [{ name: 'app', image: 'web:2', resources: { limits: { memory: '512Mi' } } }] },
      status: {
        phase: 'Running', podIP: '10.0.0.9', qosClass: 'Burstable',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: '2026-01-10T10:01:00Z' }],
        containerStatuses: [{
          name: 'app', ready: false, restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s' } },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-01-10T10:14:00Z' } },
        }],
      },
    };
    const d = describeObject(pod, { at: AT });
    expect(d).toMatchObject({
      kind: 'Pod', name: 'web-1', namespace: 'shop', node: 'node-2', ip: '10.0.0.9', qos: 'Burstable',
      summary: { STATUS: 'CrashLoopBackOff', RESTARTS: '4 (60s ago)', AGE: '15m' },
      containers: [{
        name: 'app', image: 'web:2', ready: false, restartCount: 4, resources: { limits: { memory: '512Mi' } },
        current: { state: 'Waiting', reason: 'CrashLoopBackOff', message: 'back-off 1m20s' },
        last: { state: 'Terminated', reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-01-10T10:14:00Z' },
      }],
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', since: '2026-01-10T10:01:00Z' }],
    });
    expect(controllerOf(pod)).toEqual({ kind: 'ReplicaSet', name: 'web-abc' });
  });

  it('a Deployment: replicas and images', () => {
    const d = describeObject({
      kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas: 3, strategy: { type: 'RollingUpdate' }, template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    }, { at: AT });
    expect(d).toMatchObject({ replicas: { desired: 3, ready: 2, updated: 3, available: 2 }, strategy: 'RollingUpdate', images: ['app=web:2'] });
  });
});
