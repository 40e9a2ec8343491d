import { describe, expect, it } from 'vitest';
import { convertAuditEvent, eventsOfList } from './audit.ts';

const opts = { cluster: 'c', observedAt: 1 };
const pod = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '7', ...extra }, spec: {},
});
const event = (over: Record<string, unknown>) => ({
  auditID: 'a', stage: 'ResponseComplete', verb: 'create', level: 'RequestResponse',
  user: { username: 'alice', groups: ['g'] }, userAgent: 'kubectl',
  objectRef: { resource: 'pods', namespace: 'ns', name: 'p', apiVersion: 'v1' },
  responseStatus: { code: 201 }, stageTimestamp: '2026-01-10T10:00:00.000001Z', responseObject: pod(),
  ...over,
});

describe('audit event conversion', () => {
  it('turns a successful create into ADDED with the exact time, actor and verb', () => {
    const [r] = convertAuditEvent(event({}), opts).records;
    expect(r).toMatchObject({
      cluster: 'c', kind: 'Pod', group: '', resource: 'pods', namespace: 'ns', name: 'p', uid: 'u1', resourceVersion: '7',
      op: 'ADDED', source: 'audit', verb: 'create', auditID: 'a', actor: { username: 'alice', groups: ['g'], userAgent: 'kubectl' },
    });
    expect(r!.ts % 1_000_000).toBe(1);
  });

  it('skips reads, other stages, failures and malformed events without throwing', () => {
    expect(convertAuditEvent(event({ verb: 'get' }), opts).skipped).toBe('not-mutation');
    expect(convertAuditEvent(event({ stage: 'ResponseStarted' }), opts).skipped).toBe('stage');
    expect(convertAuditEvent(event({ responseStatus: { code: 409 } }), opts).skipped).toBe('failed');
    expect(convertAuditEvent(event({ stageTimestamp: 'nope' }), opts).skipped).toBe('malformed');
    for (const junk of [null, 42, 'x', [], { verb: 'create' }]) expect(convertAuditEvent(junk, opts).records).toEqual([]);
  });

  it('records nothing of an update or patch conditional on the revision it answered with (it changed nothing)', () => {
    const req = (rv: string | undefined) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...(rv ? { resourceVersion: rv } : {}) } });
    const objectRef = { resource: 'pods', namespace: 'ns', name: 'p', apiVersion: 'v1', subresource: 'status' };
    for (const verb of ['update', 'patch']) {
      const noop = convertAuditEvent(event({ verb, objectRef, responseStatus: { code: 200 }, requestObject: req('7') }), opts);
      expect(noop, verb).toEqual({ records: [], skipped: 'unchanged' });
      // The same request that changed something (7 → 8), or made without the condition, counts.
      const changed = convertAuditEvent(event({ verb, objectRef, responseStatus: { code: 200 }, requestObject: req('6') }), opts);
      expect(changed.records.map((r) => [r.op, r.resourceVersion]), verb).toEqual([['MODIFIED', '7']]);
      expect(convertAuditEvent(event({ verb, objectRef, responseStatus: { code: 200 }, requestObject: req(undefined) }), opts).records, verb).toHaveLength(1);
    }
    // A Scale that changed nothing names no revision either.
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'ns', uid: 'd1', resourceVersion: '9' }, spec: { replicas: 3 } };
    const scaleRef = { resource: 'deployments', apiGroup: 'apps', namespace: 'ns', name: 'web', apiVersion: 'v1', subresource: 'scale' };
    expect(convertAuditEvent(event({ verb: 'update', objectRef: scaleRef, responseStatus: { code: 200 }, requestObject: { ...scale, metadata: { ...scale.metadata } }, responseObject: scale }), opts))
      .toEqual({ records: [], skipped: 'unchanged' });
    expect(convertAuditEvent(event({ verb: 'update', objectRef: scaleRef, responseStatus: { code: 200 }, requestObject: { ...scale, metadata: { ...scale.metadata, resourceVersion: '8' } }, responseObject: scale }), opts).attributions)
      .toHaveLength(1);
  });

  it('distinguishes graceful deletion (terminating) from deletion answered with a Status (gone)', () => {
    const graceful = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, responseObject: pod({ deletionTimestamp: '2026-01-10T10:00:30Z' }) }), opts);
    expect(graceful.records[0]).toMatchObject({ op: 'MODIFIED', verb: 'delete' });
    const gone = convertAuditEvent(event({
      verb: 'delete', responseStatus: { code: 200 },
      responseObject: { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: 'p', kind: 'pods', uid: 'u1' } },
    }), opts);
    expect(gone.records[0]).toMatchObject({ op: 'DELETED', uid: 'u1', kind: 'Pod', object: null, resourceVersion: '' });
    // kube-apiserver 1.34 answers a grace-0 delete of a pod that never ran with the object without
    // its resourceVersion (seen in a fidelity run): the pod is gone, as with a Status.
    const { resourceVersion: _rv, ...noRv } = pod({ deletionTimestamp: '2026-01-10T10:00:00Z', deletionGracePeriodSeconds: 0 }).metadata;
    const immediate = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, objectRef: { resource: 'pods', namespace: 'ns', name: 'p', apiVersion: 'v1' }, responseObject: { ...pod(), metadata: noRv } }), opts);
    expect(immediate.records).toMatchObject([{ op: 'DELETED', uid: 'u1', kind: 'Pod', resourceVersion: '', verb: 'delete', actor: { username: 'alice' } }]);
    const final = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 } }), opts);
    expect(final.records[0]).toMatchObject({ op: 'DELETED', object: pod() });
    // The kubelet's final delete (grace 0) answers with the pod still carrying its deletionTimestamp.
    const kubelet = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, responseObject: pod({ deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 0 }) }), opts);
    expect(kubelet.records[0]).toMatchObject({ op: 'DELETED' });
    const finalizer = pod({ deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 0, finalizers: ['example.com/hold'] });
    expect(convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, responseObject: finalizer }), opts).records[0]!.op).toBe('MODIFIED');
    // Removing the last finalizer of an object being deleted removes it.
    const released = convertAuditEvent(event({ verb: 'update', responseStatus: { code: 200 }, responseObject: pod({ deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 0, finalizers: [] }) }), opts);
    expect(released.records[0]!.op).toBe('DELETED');
  });

  it('expands deletecollection lists item by item', () => {
    const list = { kind: 'PodList', apiVersion: 'v1', items: [pod(), { ...pod({ uid: 'u2', name: 'q' }) }] };
    const c = convertAuditEvent(event({ verb: 'deletecollection', responseStatus: { code: 200 }, responseObject: list }), opts);
    expect(c.records.map((r) => [r.uid, r.op])).toEqual([['u1', 'DELETED'], ['u2', 'DELETED']]);
  });

  it('uses subresource responses only when they are the object itself; a Scale and a Binding name the revision they made', () => {
    const status = convertAuditEvent(event({ verb: 'patch', objectRef: { resource: 'pods', namespace: 'ns', name: 'p', subresource: 'status' }, responseStatus: { code: 200 } }), opts);
    expect(status.records[0]).toMatchObject({ op: 'MODIFIED', verb: 'patch' });
    expect(status.attributions).toBeUndefined();
    const scale = convertAuditEvent(event({
      verb: 'patch', responseStatus: { code: 200 },
      objectRef: { resource: 'deployments', apiGroup: 'apps', namespace: 'ns', name: 'd', subresource: 'scale' },
      responseObject: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd', namespace: 'ns', uid: 'du', resourceVersion: '9' } },
    }), opts);
    expect(scale.records).toEqual([]);
    expect(scale.attributions).toEqual([{ cluster: 'c', uid: 'du', match: { by: 'rv', rv: '9' }, ts: scale.attributions![0]!.ts, verb: 'patch', auditID: 'a', actor: { username: 'alice', groups: ['g'], userAgent: 'kubectl' } }]);
    const bind = (requestObject: unknown) => convertAuditEvent(event({
      objectRef: { resource: 'pods', namespace: 'ns', name: 'p', subresource: 'binding' }, responseObject: { kind: 'Status', apiVersion: 'v1', status: 'Success' },
      user: { username: 'system:kube-scheduler' }, requestObject,
    }), opts);
    const binding = bind({ kind: 'Binding', apiVersion: 'v1', metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, target: { kind: 'Node', name: 'node-1' } });
    expect(binding.records).toEqual([]);
    expect(binding.attributions).toMatchObject([{ uid: 'u1', match: { by: 'nodeName', nodeName: 'node-1' }, verb: 'create', actor: { username: 'system:kube-scheduler' } }]);
    // Without the pod's uid (or at Metadata level, no request) there is nothing exact to name.
    expect(bind({ kind: 'Binding', metadata: { name: 'p' }, target: { name: 'node-1' } }).skipped).toBe('subresource');
    expect(bind(undefined).skipped).toBe('subresource');
  });

  it('names the two revisions of the pod an Eviction marked and deleted, by namespace and name, at the eviction time', () => {
    const evict = (over: Record<string, unknown>) => convertAuditEvent(event({
      objectRef: { resource: 'pods', namespace: 'ns', name: 'p', subresource: 'eviction', apiVersion: 'v1' },
      responseObject: { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 },
      requestObject: { kind: 'Eviction', apiVersion: 'policy/v1', metadata: { name: 'p', namespace: 'ns' } }, ...over,
    }), opts);
    const c = evict({});
    expect(c.records).toEqual([]);
    const at = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000 + 1;
    const common = { cluster: 'c', uid: '', named: { gk: 'Pod', namespace: 'ns', name: 'p' }, ts: at, verb: 'create', auditID: 'a', actor: { username: 'alice', groups: ['g'], userAgent: 'kubectl' } };
    expect(c.attributions).toEqual([
      { ...common, match: { by: 'disruptedAt', at: at } }, { ...common, match: { by: 'terminatingAt', at: at } },
      { ...common, match: { by: 'removed', window: { from: at, to: at, ops: ['DELETED'] } } },
    ]);
    // Refused by a PodDisruptionBudget (429): nothing happened, nothing to name.
    expect(evict({ responseStatus: { code: 429 } }).attributions).toBeUndefined();
  });

  it('names the update a grace-0 delete made before removing the pod', () => {
    const removed = pod({ resourceVersion: '12', deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 0 });
    const c = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, responseObject: removed }), opts);
    expect(c.records.map((r) => [r.op, r.resourceVersion])).toEqual([['DELETED', '12']]);
    expect(c.attributions).toMatchObject([{ uid: 'u1', match: { by: 'graceZeroBefore', rv: '12' }, verb: 'delete' }]);
    // A graceful delete (the object stays, terminating) and a plain removal name no other revision.
    const graceful = convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 }, responseObject: pod({ deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 30 }) }), opts);
    expect(graceful.attributions).toBeUndefined();
    expect(convertAuditEvent(event({ verb: 'delete', responseStatus: { code: 200 } }), opts).attributions).toBeUndefined();
  });

  it('records nothing of a Metadata-level event but names the object it changed, by name and time', () => {
    const metadataOnly = (over: Record<string, unknown>) => {
      const { responseObject: _r, ...e } = event({ level: 'Metadata', requestReceivedTimestamp: '2026-01-10T09:59:59.900000Z', ...over });
      return convertAuditEvent(e, opts);
    };
    const at = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000 + 1;
    const secret = { resource: 'secrets', namespace: 'ns', name: 'db', apiVersion: 'v1' };
    const c = metadataOnly({ verb: 'patch', objectRef: secret, responseStatus: { code: 200 } });
    expect(c).toMatchObject({ records: [], skipped: 'no-object' });
    expect(c.attributions).toEqual([{
      cluster: 'c', uid: '', named: { gk: 'Secret', namespace: 'ns', name: 'db' }, match: { by: 'within', window: { from: at - 100_001, to: at, ops: ['MODIFIED', 'DELETED'] } },
      ts: at, verb: 'patch', auditID: 'a', actor: { username: 'alice', groups: ['g'], userAgent: 'kubectl' },
    }]);
    expect(metadataOnly({ verb: 'create' }).attributions?.[0]?.match).toEqual({ by: 'within', window: { from: at - 100_001, to: at, ops: ['ADDED'] } });
    expect(metadataOnly({ verb: 'delete', responseStatus: { code: 200 } }).attributions?.[0]?.match).toMatchObject({ by: 'within', window: { ops: ['DELETED', 'MODIFIED'] } });
    // Nothing to name: a create by generateName (no name yet), a kind nobody knows, a failed request, a subresource other than status.
    expect(metadataOnly({ objectRef: { resource: 'pods', namespace: 'ns', apiVersion: 'v1' } }).attributions).toBeUndefined();
    expect(metadataOnly({ objectRef: { resource: 'widgets', apiGroup: 'example.com', namespace: 'ns', name: 'w' } }).attributions).toBeUndefined();
    expect(metadataOnly({ responseStatus: { code: 409 } }).attributions).toBeUndefined();
    expect(metadataOnly({ objectRef: { ...secret, resource: 'pods', subresource: 'exec' } }).attributions).toBeUndefined();
    expect(metadataOnly({ verb: 'update', objectRef: { ...secret, resource: 'pods', subresource: 'status' } }).attributions?.[0]?.named).toEqual({ gk: 'Pod', namespace: 'ns', name: 'db' });
  });

  it('validates the EventList envelope', () => {
    expect(eventsOfList({ kind: 'EventList', items: [1] })).toEqual([1]);
    expect(() => eventsOfList({ kind: 'PodList', items: [] })).toThrow(/^body: /);
    expect(() => eventsOfList('x')).toThrow(/^body: /);
  });
});
