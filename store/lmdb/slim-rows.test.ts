import { describe, expect, it } from 'vitest';
import { slimForSummary } from '../../core/present/slim.ts';
import type { KubeObject } from '../../core/record.ts';
import { revKey } from './keys.ts';
import { packSlim, rowHash, SAME, slimKey, slimRowAfter, unpackSlim } from './slim-rows.ts';

const key = (over: { gk?: string; namespace?: string; name?: string; uid?: string } = {}) =>
  revKey({ cluster: 'c1', gk: over.gk ?? 'Pod', namespace: over.namespace ?? 'shop', name: over.name ?? 'web-1', ts: 5, op: 'MODIFIED', rv: '42', uid: over.uid ?? 'u1' });

describe('slim rows of the embedded store', () => {
  it('give back exactly the slim object, whatever of it the rev key already says', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', creationTimestamp: '2026-01-10T10:00:00Z', labels: { app: 'web' }, annotations: { a: 'b' } }, status: { phase: 'Running' } };
    const cases: [KubeObject, ReturnType<typeof key>][] = [
      [pod, key()],
      [pod, key({ name: 'other', uid: 'u2' })], // a name or uid the key does not spell stays in the row
      [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u1' } }, key({ gk: 'Node', namespace: '', name: 'n1' })], // no namespace member: none put back
      [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-1', namespace: 'shop', uid: 'u1' } }, key({ gk: 'Deployment.apps' })],
      [{ apiVersion: 'v1', kind: 'Pod', metadata: 'odd' } as unknown as KubeObject, key()],
      [{ apiVersion: 'v1', metadata: { name: 'web-1' } }, key()],
    ];
    for (const [obj, k] of cases) expect(unpackSlim(packSlim(obj, k), k)).toEqual(slimForSummary(obj));
    expect(unpackSlim(packSlim(null, key()), key())).toBeNull();
    // The row leaves out what the key says.
    expect(packSlim(pod, key())).not.toContain('web-1');
    expect(slimKey(key())).toEqual(['c1', 5, 'u1', 42]);
  });

  it('store SAME exactly when the predecessor shows the same, a known hash of its row skipping the comparison only where the rows differ', () => {
    const pod = (ready: boolean, probe: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'u1', labels: { app: 'web' } }, status: { phase: 'Running', lastProbeTime: probe, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
    const k = key();
    const first = slimRowAfter(pod(true, 'a'), k, undefined);
    expect(first.row).toEqual(packSlim(pod(true, 'a'), k));
    expect(first.hash).toBe(rowHash(JSON.stringify(first.row)));
    // The probe time is not in the slim object: SAME, with the predecessor's hash or without it.
    for (const prevHash of [undefined, first.hash]) expect(slimRowAfter(pod(true, 'b'), k, pod(true, 'a'), prevHash)).toEqual({ row: SAME, hash: first.hash });
    // Readiness is: the row in full, whatever hash the caller passes (an equal one, as a collision would be, is checked in full).
    const flipped = packSlim(pod(false, 'b'), k);
    for (const prevHash of [undefined, first.hash, rowHash(JSON.stringify(flipped))]) expect(slimRowAfter(pod(false, 'b'), k, pod(true, 'a'), prevHash).row).toEqual(flipped);
    // A hash that differs is trusted: the predecessor is not built (here, though it shows the same, the row is written in full).
    expect(slimRowAfter(pod(true, 'b'), k, pod(true, 'a'), first.hash! ^ 1).row).toEqual(first.row);
    expect(slimRowAfter(null, k, pod(true, 'a'), first.hash)).toEqual({ row: null, hash: undefined });
  });
});
