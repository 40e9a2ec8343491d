import { describe, expect, it } from 'vitest';
import { resolveKind } from './kinds.ts';

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
