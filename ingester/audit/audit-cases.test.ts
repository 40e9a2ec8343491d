/**
 * Every way Kubernetes changes an object, from audit events shaped as kube-apiserver logs them
 * (envelope, user agents, levels as test/infra/kube/audit-policy.yaml and the chart's policy set
 * them), through conversion and the Attributor, to what the user sees: the watched revision with
 * the request's actor and exact time. ATTRIBUTION.md has the table these cases follow.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeRecord, Op } from '../../core/record.ts';
import { parseRfc3339 } from '../../core/time.ts';
import { rec } from '../../test/contract/history-store.contract.ts';
import { convertAuditEvent } from './audit.ts';
import { Attributor, type Attribution, type AttributionOutcome } from '../attribution/attributor.ts';

const MS = 1000;
const at = (iso: string) => parseRfc3339(iso)!;
const T = '2026-01-10T10:00:00';
const CRD_KINDS: Record<string, string> = { 'example.com/gizmos': 'Gizmo' };
const opts = { cluster: 'c1', observedAt: at(`${T}.900000Z`), kindForResource: (g: string, r: string) => CRD_KINDS[`${g}/${r}`] };

const NS_CONTROLLER = { username: 'system:serviceaccount:kube-system:namespace-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
const GC = { username: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: ['system:serviceaccounts', 'system:authenticated'] };
const ALICE = { username: 'alice', groups: ['system:authenticated'] };

/** An audit.k8s.io/v1 Event at ResponseComplete, received at `received` and answered at `completed` (seconds after T). */
function auditEvent(o: {
  level: 'Metadata' | 'Request' | 'RequestResponse'; verb: string; uri: string; objectRef: Record<string, unknown>; code: number;
  received: string; completed: string; user?: unknown; userAgent?: string; requestObject?: unknown; responseObject?: unknown; id?: string;
}): Record<string, unknown> {
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: o.level, auditID: o.id ?? `id-${o.verb}-${o.completed}`, stage: 'ResponseComplete',
    requestURI: o.uri, verb: o.verb, user: o.user ?? ALICE, sourceIPs: ['127.0.0.1'], userAgent: o.userAgent ?? 'kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef0',
    objectRef: o.objectRef, responseStatus: { metadata: {}, code: o.code },
    ...(o.level !== 'Metadata' && o.requestObject !== undefined ? { requestObject: o.requestObject } : {}),
    ...(o.level === 'RequestResponse' && o.responseObject !== undefined ? { responseObject: o.responseObject } : {}),
    requestReceivedTimestamp: `${T}.${o.received}Z`, stageTimestamp: `${T}.${o.completed}Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

/** A revision of `kind` ns/name (uid) the watch saw at `seen` (fraction of the second after T). */
function watched(kind: string, group: string, name: string, uid: string, rv: string, op: Op, seen: string, object: Record<string, unknown> = {}, namespace = 'shop'): ChangeRecord {
  const ts = at(`${T}.${seen}Z`);
  return rec({
    kind, group, apiVersion: group ? `${group}/v1` : 'v1', namespace, name, uid, rv, op, ts, observedAt: ts, source: 'watch',
    object: op === 'DELETED' ? null : { apiVersion: group ? `${group}/v1` : 'v1', kind, metadata: { name, namespace, uid, resourceVersion: rv, ...object } },
  });
}

/** Converts `events`, feeds the watch's `revisions` before or after them, and returns what the Attributor merged. */
function attribute(events: unknown[], revisions: ChangeRecord[], order: 'watch-first' | 'audit-first' = 'watch-first') {
  const outcomes: AttributionOutcome[] = [];
  const a = new Attributor({ now: () => at(`${T}.950000Z`), onOutcome: (o) => outcomes.push(o) });
  const conversions = events.map((e) => convertAuditEvent(e, opts));
  const attributions: Attribution[] = conversions.flatMap((c) => c.attributions ?? []);
  const merged = order === 'watch-first'
    ? [...a.noteDurable(revisions), ...a.attribute(attributions)]
    : [...a.attribute(attributions), ...a.noteDurable(revisions)];
  return { merged: merged.map((r) => [r.kind, r.name, r.op, r.resourceVersion, r.actor?.username, r.ts]), records: conversions.flatMap((c) => c.records), outcomes, attributor: a };
}

describe('audit cases: patch-creates (server-side apply, kubectl apply of a new object)', () => {
  const applyRef = { resource: 'gizmos', namespace: 'shop', name: 'g1', apiGroup: 'example.com', apiVersion: 'v1' };
  const uri = '/apis/example.com/v1/namespaces/shop/gizmos/g1?fieldManager=alice-apply&force=false';

  it('at Metadata level names the ADDED revision (a patch answered 201), in either order', () => {
    const ev = auditEvent({ level: 'Metadata', verb: 'patch', uri, objectRef: applyRef, code: 201, received: '100000', completed: '104000' });
    expect(convertAuditEvent(ev, opts).attributions?.[0]?.match).toEqual({ by: 'within', window: { from: at(`${T}.100000Z`), to: at(`${T}.104000Z`), ops: ['ADDED'] } });
    const added = watched('Gizmo', 'example.com', 'g1', 'g1-uid', '501', 'ADDED', '106000');
    for (const order of ['watch-first', 'audit-first'] as const) {
      expect(attribute([ev], [added], order).merged, order).toEqual([['Gizmo', 'g1', 'ADDED', '501', 'alice', at(`${T}.104000Z`)]]);
    }
  });

  it('a second manager\'s apply to the same object (answered 200) names the MODIFIED revision, not the ADDED one', () => {
    const create = auditEvent({ level: 'Metadata', verb: 'patch', uri, objectRef: applyRef, code: 201, received: '100000', completed: '104000', id: 'c' });
    const bob = auditEvent({ level: 'Metadata', verb: 'patch', uri: uri.replace('alice-apply', 'bob-apply&force=true'), objectRef: applyRef, code: 200, received: '300000', completed: '303000', user: { username: 'bob' }, id: 'b' });
    const { merged } = attribute([create, bob], [
      watched('Gizmo', 'example.com', 'g1', 'g1-uid', '501', 'ADDED', '105000'),
      watched('Gizmo', 'example.com', 'g1', 'g1-uid', '502', 'MODIFIED', '305000'),
    ]);
    expect(merged).toEqual([['Gizmo', 'g1', 'ADDED', '501', 'alice', at(`${T}.104000Z`)], ['Gizmo', 'g1', 'MODIFIED', '502', 'bob', at(`${T}.303000Z`)]]);
  });

  it('with the response body records an ADDED revision (not MODIFIED) with its actor', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', uid: 'cfg-uid', resourceVersion: '700', managedFields: [{ manager: 'kubectl', operation: 'Apply' }] }, data: { a: '1' } };
    const ev = auditEvent({
      level: 'RequestResponse', verb: 'patch', uri: '/api/v1/namespaces/shop/configmaps/cfg?fieldManager=kubectl&fieldValidation=Strict&force=false',
      objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cfg', apiVersion: 'v1' }, code: 201, received: '100000', completed: '102000',
      requestObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop' }, data: { a: '1' } }, responseObject: cm,
    });
    expect(convertAuditEvent(ev, opts).records.map((r) => [r.op, r.resourceVersion, r.actor?.username, r.verb])).toEqual([['ADDED', '700', 'alice', 'patch']]);
  });
});

describe('audit cases: subresources without a body', () => {
  const sub = (resource: string, apiGroup: string, subresource: string, verb = 'patch', name = 'w1') =>
    auditEvent({ level: 'Metadata', verb, uri: `/apis/${apiGroup}/v1/namespaces/shop/${resource}/${name}/${subresource}`, objectRef: { resource, namespace: 'shop', name, apiGroup, apiVersion: 'v1', subresource }, code: verb === 'create' ? 201 : 200, received: '200000', completed: '203000' });

  it('kubectl scale of a custom resource names the MODIFIED revision it made', () => {
    const { merged } = attribute([sub('gizmos', 'example.com', 'scale')], [
      watched('Gizmo', 'example.com', 'w1', 'w1-uid', '600', 'ADDED', '010000'),
      watched('Gizmo', 'example.com', 'w1', 'w1-uid', '601', 'MODIFIED', '204000'),
    ]);
    expect(merged).toEqual([['Gizmo', 'w1', 'MODIFIED', '601', 'alice', at(`${T}.203000Z`)]]);
  });

  it('status, scale, ephemeralcontainers, resize and a Binding of built-in kinds name a MODIFIED revision; exec names nothing', () => {
    const cases: [string, string, string, string, string][] = [
      ['deployments', 'apps', 'scale', 'Deployment', 'patch'], ['statefulsets', 'apps', 'status', 'StatefulSet', 'update'],
      ['pods', '', 'ephemeralcontainers', 'Pod', 'patch'], ['pods', '', 'resize', 'Pod', 'patch'], ['pods', '', 'binding', 'Pod', 'create'],
    ];
    for (const [resource, group, subresource, kind, verb] of cases) {
      const ev = auditEvent({ level: 'Metadata', verb, uri: `/x/${resource}/w1/${subresource}`, objectRef: { resource, namespace: 'shop', name: 'w1', apiGroup: group, apiVersion: 'v1', subresource }, code: verb === 'create' ? 201 : 200, received: '200000', completed: '203000' });
      const { merged } = attribute([ev], [watched(kind, group, 'w1', 'w1-uid', '9', 'ADDED', '010000'), watched(kind, group, 'w1', 'w1-uid', '10', 'MODIFIED', '204000')]);
      expect(merged, subresource).toEqual([[kind, 'w1', 'MODIFIED', '10', 'alice', at(`${T}.203000Z`)]]);
    }
    const exec = auditEvent({ level: 'Metadata', verb: 'create', uri: '/api/v1/namespaces/shop/pods/w1/exec', objectRef: { resource: 'pods', namespace: 'shop', name: 'w1', apiVersion: 'v1', subresource: 'exec' }, code: 101, received: '200000', completed: '203000' });
    expect(convertAuditEvent({ ...exec, responseStatus: { code: 200 } }, opts)).toEqual({ records: [], skipped: 'subresource' });
  });

  it('a status write names no ADDED or DELETED revision', () => {
    const { merged } = attribute([sub('gizmos', 'example.com', 'status')], [watched('Gizmo', 'example.com', 'w1', 'w1-uid', '600', 'ADDED', '204000')]);
    expect(merged).toEqual([]);
  });
});

describe('audit cases: evictions', () => {
  const evict = auditEvent({
    level: 'RequestResponse', verb: 'create', uri: '/api/v1/namespaces/shop/pods/job-1-6wm4d/eviction', objectRef: { resource: 'pods', namespace: 'shop', name: 'job-1-6wm4d', apiVersion: 'v1', subresource: 'eviction' },
    code: 201, received: '834624', completed: '873538', requestObject: { kind: 'Eviction', apiVersion: 'policy/v1', metadata: { name: 'job-1-6wm4d', namespace: 'shop' } },
    responseObject: { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 },
  });
  const pod = (rv: string, op: Op, seen: string, extra: Record<string, unknown> = {}) => watched('Pod', '', 'job-1-6wm4d', 'p-uid', rv, op, seen, extra);

  it('of a pod that had finished removes it at once: the removal gets the eviction\'s actor and time', () => {
    const { merged } = attribute([evict], [pod('4449', 'ADDED', '100000'), pod('4470', 'MODIFIED', '200000'), pod('4957', 'DELETED', '876000')]);
    expect(merged).toEqual([['Pod', 'job-1-6wm4d', 'DELETED', '4957', 'alice', at(`${T}.873538Z`)]]);
  });

  it('of a running pod leaves its removal (kubelet\'s or kwok\'s final delete, right after) to that delete', () => {
    const terminating = { deletionTimestamp: '2026-01-10T10:00:05Z', deletionGracePeriodSeconds: 5 };
    const { merged } = attribute([evict], [pod('4449', 'ADDED', '100000'), pod('4960', 'MODIFIED', '875000', terminating), pod('4961', 'DELETED', '880000')]);
    expect(merged.map((m) => [m[2], m[3]])).toEqual([['MODIFIED', '4960']]);
  });

  it('counts the expiry of its `removed` naming nothing as no loss', () => {
    let now = at(`${T}.950000Z`);
    const outcomes: AttributionOutcome[] = [];
    const a = new Attributor({ now: () => now, onOutcome: (o) => outcomes.push(o) });
    const status = { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: '2026-01-10T10:00:00Z' }] };
    const marked = pod('4959', 'MODIFIED', '874000');
    a.noteDurable([pod('4449', 'ADDED', '100000'), { ...marked, object: { ...marked.object!, status } }, pod('4960', 'MODIFIED', '875000', { deletionTimestamp: '2026-01-10T10:00:05Z', deletionGracePeriodSeconds: 5 })]);
    expect(a.attribute(convertAuditEvent(evict, opts).attributions!)).toHaveLength(2);
    now += 16 * 60e6;
    a.noteDurable([]);
    expect(outcomes).toEqual(['merged', 'merged']);
  });
});

describe('audit cases: deletecollection and cascades', () => {
  const cmList = (items: unknown[]) => ({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '900' }, items });
  const partial = (name: string, uid: string, rv: string, extra: Record<string, unknown> = {}) =>
    ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name, namespace: 'shop', uid, resourceVersion: rv, ...extra } });
  const nsDelete = (level: 'Metadata' | 'RequestResponse', resource: string, responseObject: unknown, group = '') => auditEvent({
    level, verb: 'deletecollection', uri: `/api${group ? `s/${group}` : ''}/v1/namespaces/shop/${resource}`, objectRef: { resource, namespace: 'shop', apiGroup: group, apiVersion: 'v1' },
    code: 200, received: '400000', completed: '412000', user: NS_CONTROLLER, userAgent: 'kube-controller-manager/v1.34.0 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:namespace-controller',
    requestObject: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' }, responseObject,
  });

  it('the namespace controller\'s response list (metadata only) records each deletion with its actor and the request\'s time', () => {
    const ev = nsDelete('RequestResponse', 'configmaps', cmList([partial('a', 'a-uid', '880'), partial('b', 'b-uid', '881')]));
    const c = convertAuditEvent(ev, opts);
    expect(c.records.map((r) => [r.kind, r.name, r.uid, r.op, r.object, r.actor?.username, r.ts])).toEqual([
      ['ConfigMap', 'a', 'a-uid', 'DELETED', null, NS_CONTROLLER.username, at(`${T}.412000Z`)],
      ['ConfigMap', 'b', 'b-uid', 'DELETED', null, NS_CONTROLLER.username, at(`${T}.412000Z`)],
    ]);
  });

  it('a response list item left terminating (graceful pod) names that revision; a full-object list still records objects', () => {
    const pods = cmList([partial('p', 'p-uid', '885', { deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 30 })]);
    const { merged, records } = attribute([nsDelete('RequestResponse', 'pods', pods)], [
      watched('Pod', '', 'p', 'p-uid', '870', 'ADDED', '010000'), watched('Pod', '', 'p', 'p-uid', '885', 'MODIFIED', '410000', { deletionTimestamp: '2026-01-10T10:00:30Z', deletionGracePeriodSeconds: 30 }),
    ]);
    expect(records).toEqual([]);
    expect(merged).toEqual([['Pod', 'p', 'MODIFIED', '885', NS_CONTROLLER.username, at(`${T}.412000Z`)]]);
    // As kube-apiserver logs it: the items of a typed list carry no kind or apiVersion.
    const full = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '2471' }, items: [{ metadata: { name: 'a', namespace: 'shop', uid: 'a-uid', resourceVersion: '880' }, data: { i: '0' } }] };
    expect(convertAuditEvent(nsDelete('RequestResponse', 'configmaps', full), opts).records.map((r) => [r.kind, r.apiVersion, r.op, r.object !== null, r.actor?.username])).toEqual([['ConfigMap', 'v1', 'DELETED', true, NS_CONTROLLER.username]]);
    const roles = { kind: 'RoleList', apiVersion: 'rbac.authorization.k8s.io/v1', items: [{ metadata: { name: 'r', namespace: 'shop', uid: 'r-uid', resourceVersion: '720' }, rules: [] }] };
    expect(convertAuditEvent(nsDelete('RequestResponse', 'roles', roles, 'rbac.authorization.k8s.io'), opts).records.map((r) => [r.kind, r.group, r.op])).toEqual([['Role', 'rbac.authorization.k8s.io', 'DELETED']]);
  });

  it('at Metadata level names every deletion of that kind in that namespace the watch saw in its window, and nothing else', () => {
    const ev = nsDelete('Metadata', 'gizmos', undefined, 'example.com');
    expect(convertAuditEvent(ev, opts).attributions?.[0]?.match).toEqual({
      by: 'collection', gk: 'Gizmo.example.com', namespace: 'shop', window: { from: at(`${T}.400000Z`), to: at(`${T}.412000Z`), ops: ['DELETED', 'MODIFIED'] },
    });
    const g = (name: string, rv: string, op: Op, seen: string, extra: Record<string, unknown> = {}, ns = 'shop') => watched('Gizmo', 'example.com', name, `${name}-${ns}-uid`, rv, op, seen, extra, ns);
    const terminating = { deletionTimestamp: '2026-01-10T10:00:00Z', deletionGracePeriodSeconds: 0, finalizers: ['example.com/hold'] };
    const revisions = [
      g('a', '1', 'ADDED', '010000'), g('a', '20', 'DELETED', '405000'), // deleted by it
      g('b', '2', 'ADDED', '010000'), g('b', '21', 'MODIFIED', '406000', terminating), // held by a finalizer: terminating
      g('c', '3', 'ADDED', '010000'), g('c', '9', 'DELETED', '390000'), // deleted before the request
      g('a', '4', 'ADDED', '010000', {}, 'other'), g('a', '22', 'DELETED', '407000', {}, 'other'), // another namespace
      g('d', '5', 'ADDED', '010000'), g('d', '6', 'MODIFIED', '011000', terminating), g('d', '23', 'DELETED', '408000'), // its finalizer's removal, not this request
    ];
    for (const order of ['watch-first', 'audit-first'] as const) {
      const { merged, outcomes } = attribute([ev], revisions, order);
      expect(merged.sort(), order).toEqual([
        ['Gizmo', 'a', 'DELETED', '20', NS_CONTROLLER.username, at(`${T}.412000Z`)],
        ['Gizmo', 'b', 'MODIFIED', '21', NS_CONTROLLER.username, at(`${T}.412000Z`)],
      ]);
      expect(outcomes, order).toEqual(['merged', 'merged']);
    }
  });

  it('waits for deletions the watch brings later, and its expiry is not counted as a loss once it named some', () => {
    const { attributor, outcomes } = attribute([nsDelete('Metadata', 'gizmos', undefined, 'example.com')], [
      watched('Gizmo', 'example.com', 'a', 'a-uid', '1', 'ADDED', '010000'), watched('Gizmo', 'example.com', 'a', 'a-uid', '20', 'DELETED', '405000'),
    ]);
    expect(attributor.size.waiting).toBe(1);
    const later = attributor.noteDurable([watched('Gizmo', 'example.com', 'b', 'b-uid', '2', 'ADDED', '010000'), watched('Gizmo', 'example.com', 'b', 'b-uid', '21', 'DELETED', '900000')]);
    expect(later.map((r) => [r.name, r.op, r.actor?.username])).toEqual([['b', 'DELETED', NS_CONTROLLER.username]]);
    expect(outcomes).toEqual(['merged', 'merged']);
  });

  it('the namespace controller\'s last finalize of an emptied namespace removed it: DELETED with its actor', () => {
    const ns = (specFinalizers: string[]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone', uid: 'ns-uid', resourceVersion: '805', deletionTimestamp: '2026-12-07T09:08:44Z' }, spec: { finalizers: specFinalizers }, status: { phase: 'Terminating' } });
    const finalize = (responseObject: unknown) => auditEvent({
      level: 'RequestResponse', verb: 'update', uri: '/api/v1/namespaces/gone/finalize', objectRef: { resource: 'namespaces', name: 'gone', apiVersion: 'v1', subresource: 'finalize' },
      code: 200, received: '950000', completed: '961000', user: NS_CONTROLLER, requestObject: responseObject, responseObject,
    });
    expect(convertAuditEvent(finalize({ ...ns([]), spec: {} }), opts).records.map((r) => [r.kind, r.op, r.actor?.username])).toEqual([['Namespace', 'DELETED', NS_CONTROLLER.username]]);
    expect(convertAuditEvent(finalize(ns(['kubernetes'])), opts)).toEqual({ records: [], skipped: 'unchanged' }); // asked at 805, answered 805: nothing changed
    // Removing an object's last finalizer removes it too, though it answers with the resourceVersion asked.
    const held = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop', uid: 'c-uid', resourceVersion: '810', deletionTimestamp: '2026-12-07T09:08:44Z', deletionGracePeriodSeconds: 0, finalizers: [] } };
    const release = auditEvent({ level: 'RequestResponse', verb: 'update', uri: '/api/v1/namespaces/shop/configmaps/c', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'c', apiVersion: 'v1' }, code: 200, received: '950000', completed: '961000', requestObject: held, responseObject: held });
    expect(convertAuditEvent(release, opts).records.map((r) => [r.op, r.actor?.username])).toEqual([['DELETED', 'alice']]);
  });

  it('the garbage collector\'s cascade delete answered with metadata only records the deletion with its actor', () => {
    const ev = auditEvent({
      level: 'RequestResponse', verb: 'delete', uri: '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f', objectRef: { resource: 'replicasets', namespace: 'shop', name: 'web-5d8f', uid: 'rs-uid', apiGroup: 'apps', apiVersion: 'v1' },
      code: 200, received: '500000', completed: '503000', user: GC, userAgent: 'kube-controller-manager/v1.34.0 (linux/amd64) kubernetes/abcdef0/system:serviceaccount:kube-system:generic-garbage-collector',
      requestObject: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', preconditions: { uid: 'rs-uid' }, propagationPolicy: 'Background' },
      responseObject: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'web-5d8f', namespace: 'shop', uid: 'rs-uid', resourceVersion: '950' } },
    });
    expect(convertAuditEvent(ev, opts).records.map((r) => [r.kind, r.group, r.apiVersion, r.name, r.op, r.object, r.actor?.username])).toEqual([['ReplicaSet', 'apps', 'apps/v1', 'web-5d8f', 'DELETED', null, GC.username]]);
    // Foreground: the object stays, terminating; its revision is named by resourceVersion.
    const fg = { ...ev, responseObject: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'web-5d8f', namespace: 'shop', uid: 'rs-uid', resourceVersion: '951', deletionTimestamp: '2026-01-10T10:00:00Z', finalizers: ['foregroundDeletion'] } } };
    expect(convertAuditEvent(fg, opts)).toMatchObject({ records: [], attributions: [{ uid: 'rs-uid', match: { by: 'rv', rv: '951' }, actor: { username: GC.username } }] });
  });
});

describe('audit cases: changes made while kubetime was down (the watch replays them late)', () => {
  const secretRef = { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' };
  const patchSecret = auditEvent({ level: 'Metadata', verb: 'patch', uri: '/api/v1/namespaces/shop/secrets/db', objectRef: secretRef, code: 200, received: '200000', completed: '203000', id: 'sec' });
  /** A ConfigMap edit audited with its body: its exact time and resourceVersion read the revision clock. */
  const cmEdit = (rv: string, completed: string) => auditEvent({
    level: 'RequestResponse', verb: 'patch', uri: '/api/v1/namespaces/shop/configmaps/cfg', objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cfg', apiVersion: 'v1' }, code: 200,
    received: completed, completed, responseObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', uid: 'cfg-uid', resourceVersion: rv } }, id: `cm-${rv}`,
  });
  // Replayed by the resumed watch 5 s later (its observedAt), long after the request's window.
  const late = at('2026-01-10T10:00:05Z');
  const replayed = [watched('Secret', '', 'db', 'db-uid', '40', 'ADDED', '010000'), { ...watched('Secret', '', 'db', 'db-uid', '51', 'MODIFIED', '900000'), ts: late, observedAt: late }];

  function afterRestart(events: unknown[]) {
    const a = new Attributor({ now: () => late });
    a.noteDurable(replayed);
    const conversions = events.map((e) => convertAuditEvent(e, opts));
    a.noteClock(conversions.flatMap((c) => c.records)); // as AttributingWriter.writeAudited does
    return a.attribute(conversions.flatMap((c) => c.attributions ?? [])).map((r) => [r.name, r.resourceVersion, r.actor?.username, r.ts]);
  }

  it('names the replayed revision the revision clock dates within the request', () => {
    // Revisions 50 and 52 were answered just before and after: 51 was committed between them.
    expect(afterRestart([cmEdit('50', '201000'), patchSecret, cmEdit('52', '204000')])).toEqual([['db', '51', 'alice', at(`${T}.203000Z`)]]);
  });

  it('names nothing when the clock cannot tell (no known revision above it, or one too far)', () => {
    expect(afterRestart([cmEdit('50', '201000'), patchSecret])).toEqual([]);
    expect(afterRestart([cmEdit('50', '201000'), patchSecret, auditEvent({ ...cmEdit('52', '204000'), stageTimestamp: '2026-01-10T10:00:09.000000Z' } as never)])).toEqual([]);
  });

  it('decides a request that waited once a later batch tells the clock', () => {
    const a = new Attributor({ now: () => late });
    a.noteDurable(replayed);
    const first = [cmEdit('50', '201000'), patchSecret].map((e) => convertAuditEvent(e, opts));
    a.noteClock(first.flatMap((c) => c.records));
    expect(a.attribute(first.flatMap((c) => c.attributions ?? []))).toEqual([]);
    const later = convertAuditEvent(cmEdit('52', '204000'), opts);
    a.noteClock(later.records);
    expect(a.attribute([]).map((r) => [r.name, r.resourceVersion, r.actor?.username])).toEqual([['db', '51', 'alice']]);
  });
});
