import { describe, expect, it } from 'vitest';
import { fieldSelector, labelSelector, parseLabelSelector } from './selectors.ts';

const pod = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ metadata: { name: 'p', namespace: 'ns', labels }, ...extra });

describe('label selectors', () => {
  it('implements every operator with Kubernetes semantics', () => {
    const l = { app: 'web', tier: 'front' };
    const cases: [string, boolean][] = [
      ['app=web', true], ['app==web', true], ['app=db', false], ['app!=db', true], ['missing!=x', true],
      ['app in (web,db)', true], ['app in (db)', false], ['app notin (db)', true], ['missing notin (db)', true],
      ['tier', true], ['missing', false], ['!missing', true], ['!tier', false],
      ['app=web,tier=front', true], ['app=web,tier=back', false], ['', true],
    ];
    for (const [sel, want] of cases) expect(labelSelector(sel)(pod(l)), sel).toBe(want);
  });

  it('accepts prefixed keys and empty values', () => {
    expect(labelSelector('app.kubernetes.io/name=orders')(pod({ 'app.kubernetes.io/name': 'orders' }))).toBe(true);
    expect(labelSelector('empty=')(pod({ empty: '' }))).toBe(true);
  });

  it('rejects malformed selectors naming the parameter', () => {
    for (const bad of ['app in web', 'a b c', 'app=we b', ',', 'app=(x)', '-bad=x']) {
      expect(() => parseLabelSelector(bad), bad).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ param: 'labelSelector' }) }));
    }
  });
});

describe('field selectors', () => {
  const p = pod({}, { spec: { nodeName: 'node-1' }, status: { phase: 'Running' } });
  it('matches the common fields and any scalar path', () => {
    expect(fieldSelector('metadata.name=p')(p)).toBe(true);
    expect(fieldSelector('metadata.namespace==ns,status.phase=Running')(p)).toBe(true);
    expect(fieldSelector('spec.nodeName!=node-1')(p)).toBe(false);
    expect(fieldSelector('spec.nodeName=')(pod({}))).toBe(true);
  });
  it('rejects malformed ones', () => {
    expect(() => fieldSelector('status.phase', 'fieldSelector')).toThrow(/^fieldSelector: /);
    expect(() => fieldSelector('=x')).toThrow(/fieldSelector/);
  });
});
