import { describe, expect, it } from 'vitest';
import { resolveKind, resolveKinds } from './kinds.ts';

describe('kind resolution', () => {
  it('resolves Kind, plural, short names and group suffixes, case-insensitively', () => {
    for (const s of ['Deployment', 'deployments', 'deploy', 'DEPLOY', 'deployments.apps', 'Deployment.apps', 'deployment']) {
      expect(resolveKind(s, []).gk, s).toBe('Deployment.apps');
    }
    expect(resolveKind('po', []).gk).toBe('Pod');
    expect(resolveKind('svc', []).gk).toBe('Service');
    expect(resolveKind('ing', []).gk).toBe('Ingress.networking.k8s.io');
    expect(resolveKind('no', []).namespaced).toBe(false);
    expect(resolveKind('pods.core', []).gk).toBe('Pod');
  });

  it('prefers the core group like kubectl (events)', () => {
    expect(resolveKind('events', []).gk).toBe('Event');
    expect(resolveKind('events.events.k8s.io', []).gk).toBe('Event.events.k8s.io');
  });

  it('resolves kinds seen in the data (CRDs) and reports ambiguity with candidates', () => {
    const seen = [
      { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true },
      { group: 'other.io', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true },
    ];
    expect(resolveKind('widgets.example.com', seen).gk).toBe('Widget.example.com');
    expect(() => resolveKind('widget', seen)).toThrowError(expect.objectContaining({
      code: 'AMBIGUOUS', details: { param: 'kind', candidates: ['widgets.example.com', 'widgets.other.io'] },
    }));
  });

  it('rejects unknown kinds naming the parameter', () => {
    expect(() => resolveKind('gizmo', [])).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { param: 'kind' } }));
    expect(() => resolveKind('  ', [], 'kind')).toThrow(/^kind: /);
  });
});

describe('kinds the cluster serves (discovery, established CRDs)', () => {
  const gizmo = { group: 'example.com', version: 'v1', kind: 'Gizmo', resource: 'gizmos', namespaced: true, shortNames: ['gzm'], singular: 'gizmo', categories: ['all', 'toys'] };
  const served = [gizmo, { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po', 'p0d'] }];

  it('resolve by kind, plural, singular, short name and kind.group with no object stored', () => {
    for (const s of ['Gizmo', 'gizmos', 'gizmo', 'gzm', 'GZM', 'gizmos.example.com', 'Gizmo.example.com']) {
      expect(resolveKind(s, [], 'kind', served).gk, s).toBe('Gizmo.example.com');
    }
    expect(() => resolveKind('gzm', [])).toThrow(/unknown kind "gzm"/); // without discovery: the table and stored kinds only
    expect(resolveKind('p0d', [], 'kind', served).gk).toBe('Pod'); // a served short name of a built-in kind adds to the table's
    expect(() => resolveKind('sprocket', [], 'kind', served)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"sprocket"') }));
  });

  it('a kind no longer served (CRD deleted) still resolves from what the store holds', () => {
    const stored = [{ group: 'example.com', version: 'v1', kind: 'Gizmo', resource: 'gizmos', namespaced: true }];
    expect(resolveKind('gizmos', stored).gk).toBe('Gizmo.example.com');
  });

  it('a category names its kinds when no kind has that name; one kind is needed elsewhere', () => {
    const all = resolveKinds('all', [], 'kind', served);
    expect(all.category).toBe(true);
    expect(all.map((k) => k.gk)).toEqual(expect.arrayContaining(['Pod', 'Deployment.apps', 'Job.batch', 'HorizontalPodAutoscaler.autoscaling', 'Gizmo.example.com']));
    expect(all.map((k) => k.gk)).not.toContain('ConfigMap');
    expect(resolveKinds('toys', [], 'kind', served).map((k) => k.gk)).toEqual(['Gizmo.example.com']);
    expect(resolveKinds('gizmo', [], 'kind', served).category).toBeUndefined();
    expect(() => resolveKind('all', [], 'kind', served)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: expect.objectContaining({ param: 'kind', category: 'all' }) }));
  });
});
