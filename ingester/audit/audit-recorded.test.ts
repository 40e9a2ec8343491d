/**
 * Audit events recorded from the real control plane (test/infra/kube.sh, kube-apiserver v1.34)
 * during the broadened fidelity workload (test/fixtures/audit/issue15.ndjson: one `{case, event}`
 * per line; user.extra and annotations dropped): what each converts to.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertAuditEvent, type Conversion } from './audit.ts';

const cases = new Map(readFileSync('test/fixtures/audit/issue15.ndjson', 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { case: string; event: Record<string, unknown> }).map((c) => [c.case, c.event]));
const opts = { cluster: 'c', observedAt: 1, kindForResource: (g: string, r: string) => (g === 'fidelity.kubetime.test' && r === 'gizmos' ? 'Gizmo' : undefined) };
const convert = (name: string): Conversion => {
  const e = cases.get(name);
  if (!e) throw new Error(`no recorded case ${name}`);
  return convertAuditEvent(e, opts);
};
const NS_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

describe('recorded audit events', () => {
  it('server-side apply creating a custom resource or a Secret (Metadata level, 201) names the ADDED revision', () => {
    for (const [name, gk] of [['ssa-create-cr', 'Gizmo.fidelity.kubetime.test'], ['ssa-create-secret', 'Secret']] as const) {
      const [a, ...rest] = convert(name).attributions ?? [];
      expect(rest, name).toEqual([]);
      expect(a, name).toMatchObject({ named: { gk }, match: { by: 'within', window: { ops: ['ADDED'] } }, verb: 'patch', actor: { username: 'kubetime-admin' } });
    }
    expect(convert('ssa-force-cr').attributions?.[0]?.match).toMatchObject({ by: 'within', window: { ops: ['MODIFIED', 'DELETED'] } });
  });

  it('server-side apply creating a ConfigMap (RequestResponse, 201) records ADDED', () => {
    expect(convert('ssa-create-configmap').records.map((r) => [r.kind, r.op, r.verb])).toEqual([['ConfigMap', 'ADDED', 'patch']]);
  });

  it('a custom resource\'s scale and status without body name its MODIFIED revision; a StatefulSet\'s Scale names it by resourceVersion', () => {
    for (const name of ['scale-cr', 'status-cr']) {
      expect(convert(name).attributions?.[0], name).toMatchObject({ named: { gk: 'Gizmo.fidelity.kubetime.test' }, match: { by: 'within', window: { ops: ['MODIFIED'] } } });
    }
    expect(convert('scale-sts').attributions?.[0]?.match.by).toBe('rv');
  });

  it('the namespace controller\'s deletecollections: each listed ConfigMap DELETED with its actor; custom resources by kind, namespace and time', () => {
    const e = cases.get('ns-deletecollection-configmaps')!;
    const items = (e.responseObject as { items: unknown[] }).items;
    const c = convert('ns-deletecollection-configmaps');
    expect(c.records).toHaveLength(items.length);
    expect(new Set(c.records.map((r) => `${r.kind} ${r.op} ${r.actor?.username}`))).toEqual(new Set([`ConfigMap DELETED ${NS_CONTROLLER}`]));
    expect(convert('ns-deletecollection-gizmos').attributions?.[0]).toMatchObject({ uid: '', match: { by: 'collection', gk: 'Gizmo.fidelity.kubetime.test' }, actor: { username: NS_CONTROLLER } });
    expect(convert('ns-finalize').records.map((r) => [r.kind, r.op, r.actor?.username])).toEqual([['Namespace', 'DELETED', NS_CONTROLLER]]);
  });

  it('kubectl delete --all (one delete each, Metadata level) and kubectl replace (an update)', () => {
    expect(convert('kubectl-delete-all-cr').attributions?.[0]?.match).toMatchObject({ by: 'within', window: { ops: ['DELETED', 'MODIFIED'] } });
    expect(convert('kubectl-replace').records.map((r) => [r.kind, r.op, r.verb, r.actor?.userAgent?.startsWith('kubectl')])).toEqual([['ConfigMap', 'MODIFIED', 'update', true]]);
  });

  it('an eviction names the marked, the terminating and (for a pod that had finished) the removed revision', () => {
    expect(convert('evict-finished-pod').attributions?.map((a) => a.match.by)).toEqual(['disruptedAt', 'terminatingAt', 'removed']);
  });
});
