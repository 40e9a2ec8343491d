import { describe, expect, it } from 'vitest';
import { Reconciler } from './reconcile.ts';
import { resourceInfo, type TrackedMap } from '../records.ts';

const ctx = { cluster: 'c1', resource: resourceInfo({ group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true, shortNames: [] }) };
const item = (uid: string, rv: string, name = uid, namespace = 'default') => ({ metadata: { uid, name, namespace, resourceVersion: rv }, spec: { rv } });

describe('Reconciler', () => {
  it('writes ADDED for unseen, MODIFIED for newer, DELETED for vanished, nothing for recorded', () => {
    const known: TrackedMap = new Map([
      ['same', { rv: '10', namespace: 'default', name: 'same' }],
      ['newer', { rv: '11', namespace: 'default', name: 'newer' }],
      ['vanished', { rv: '12', namespace: 'prod', name: 'vanished' }],
      ['stale', { rv: '50', namespace: 'default', name: 'stale' }],
    ]);
    const rec = new Reconciler({ known, ctx });
    const page1 = rec.page([item('same', '10'), item('newer', '20')], 1000);
    const page2 = rec.page([item('fresh', '30'), item('stale', '40'), { metadata: { name: 'broken' } }], 2000);
    const end = rec.finish('99', 3000);
    const all = [...page1, ...page2, ...end];
    expect(all.map((r) => `${r.op} ${r.uid}@${r.resourceVersion}`)).toEqual(['MODIFIED newer@20', 'ADDED fresh@30', 'DELETED vanished@99']);
    expect(all.every((r) => r.source === 'relist' && r.gap === true)).toBe(true);
    expect(page1[0]).toMatchObject({ ts: 1000, observedAt: 1000, apiVersion: 'apps/v1', kind: 'Deployment', group: 'apps', object: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { rv: '20' } } });
    expect(end[0]).toMatchObject({ namespace: 'prod', name: 'vanished', object: null, ts: 3000 });
    expect(rec.stats).toEqual({ added: 1, modified: 1, deleted: 1, unchanged: 2, invalid: 1 });
    expect([...known.keys()].sort()).toEqual(['fresh', 'newer', 'same', 'stale']);
    expect(known.get('newer')!.rv).toBe('20');
    expect(known.get('stale')!.rv).toBe('50'); // a stale read never moves a revision back
  });

  it('leaves objects outside the scope alone, even when they vanish from the list', () => {
    const known: TrackedMap = new Map([['sys', { rv: '1', namespace: 'kube-system', name: 'sys' }]]);
    const rec = new Reconciler({ known, ctx, inScope: (ns) => ns !== 'kube-system' });
    expect(rec.page([item('other', '5', 'other', 'kube-system')], 1)).toEqual([]);
    expect(rec.finish('9', 2)).toEqual([]);
    expect(known.has('sys')).toBe(true);
  });

  it('treats non-integer resourceVersions as opaque: different means changed', () => {
    const known: TrackedMap = new Map([['u', { rv: 'abc', namespace: 'default', name: 'u' }]]);
    const rec = new Reconciler({ known, ctx });
    expect(rec.page([item('u', 'abd')], 1).map((r) => r.op)).toEqual(['MODIFIED']);
    expect(new Reconciler({ known, ctx }).page([item('u', 'abd')], 1)).toEqual([]);
  });
});
