import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertRetained, assertValidKey, horizonFor, keySegment, parseSnapshotKey, partMayMatch, snapshotId, snapshotKeys,
  unKeySegment,
} from './snapshot.ts';
import type { RetentionState, SnapshotPart } from './snapshot.ts';
import { parseRfc3339 } from './time.ts';

const T = parseRfc3339('2026-01-10T10:15:00.000250Z')!;

describe('snapshot key layout', () => {
  it('escapes any cluster name into one valid segment and back', () => {
    for (const name of ['prod', 'eu-west-1.k8s', 'a/b', 'ümlaut', '..', '.', 'with space', 'x%y']) {
      const seg = keySegment(name);
      expect(seg).toMatch(/^[A-Za-z0-9._%-]+$/);
      expect(seg).not.toMatch(/^\.{1,2}$/);
      expect(unKeySegment(seg)).toBe(name);
      expect(() => assertValidKey(snapshotKeys.manifest(name, 'id'))).not.toThrow();
    }
  });

  it('ids sort by snapshot time and keys parse back', () => {
    expect(snapshotId(T, 'ab12')).toBe('20260110T101500.000250Z-ab12');
    const ids = [T + 1, T, T + 1_000_000, T - 60_000_000].map((t) => snapshotId(t, 'n'));
    expect([...ids].sort()).toEqual([ids[3], ids[1], ids[0], ids[2]]);
    const id = snapshotId(T, 'ab12');
    expect(parseSnapshotKey(snapshotKeys.manifest('a/b', id))).toEqual({ cluster: 'a/b', id });
    expect(parseSnapshotKey(snapshotKeys.part('a/b', id, 3))).toEqual({ cluster: 'a/b', id });
    expect(snapshotKeys.part('c', id, 3)).toBe(`parts/c/${id}/part-00003.ndjson.gz`);
    expect(parseSnapshotKey('retention/c.json')).toBeUndefined();
  });

  it('rejects keys that could escape a folder', () => {
    for (const bad of ['', '/a', 'a//b', 'a/../b', '..', 'a/./b', 'a b', 'a~tmp~1']) expect(() => assertValidKey(bad), bad).toThrow(/not valid/);
  });
});

describe('partMayMatch', () => {
  const part = (first: [string, string, string], last: [string, string, string], kinds: Record<string, number>): SnapshotPart => ({
    key: 'k', records: 1, bytes: 1, rawBytes: 1, sha256: '0'.repeat(64), first, last, kinds,
  });
  const p = part(['ConfigMap', 'ns-5', 'a'], ['Pod', 'ns-2', 'z'], { ConfigMap: 1, 'Deployment.apps': 1, Pod: 1 });

  it('uses the kinds and the key range of a part', () => {
    expect(partMayMatch(p, {})).toBe(true);
    expect(partMayMatch(p, { gk: 'Node' })).toBe(false);
    expect(partMayMatch(p, { gk: 'Pod', namespace: 'ns-1' })).toBe(true);
    expect(partMayMatch(p, { gk: 'Pod', namespace: 'ns-3' })).toBe(false);
    expect(partMayMatch(p, { gk: 'ConfigMap', namespace: 'ns-4' })).toBe(false);
    expect(partMayMatch(p, { gk: 'ConfigMap', namespace: 'ns-6' })).toBe(true);
    expect(partMayMatch(p, { gk: 'Deployment.apps', namespace: 'anything' })).toBe(true);
    expect(partMayMatch(p, { namespace: 'ns-3' })).toBe(true); // via Deployment.apps
    expect(partMayMatch(part(['Pod', 'a', 'x'], ['Pod', 'b', 'y'], { Pod: 2 }), { namespace: 'c' })).toBe(false);
  });
});

describe('retention horizons', () => {
  const state: RetentionState = {
    cluster: 'c', appliedAt: T,
    horizons: [
      { gk: 'Event', horizon: T - 100, snapshotId: 'x' },
      { gk: 'Pod', namespace: 'ns-1', horizon: T - 50, snapshotId: 'y' },
      { gk: 'Pod', horizon: T - 500, snapshotId: 'z' },
    ],
  };

  it('picks the most recent horizon among the scopes a query touches', () => {
    expect(horizonFor(state, { gk: 'Event', namespace: 'a' })).toBe(T - 100);
    expect(horizonFor(state, { gk: 'Pod', namespace: 'ns-2' })).toBe(T - 500);
    expect(horizonFor(state, { gk: 'Pod', namespace: 'ns-1' })).toBe(T - 50);
    expect(horizonFor(state, { gk: 'Pod' })).toBe(T - 50);
    expect(horizonFor(state, {})).toBe(T - 50);
    expect(horizonFor(state, { gk: 'ConfigMap' })).toBeUndefined();
    expect(horizonFor(undefined, { gk: 'Pod' })).toBeUndefined();
  });

  it('throws HISTORY_EXPIRED only before the horizon', () => {
    expect(() => assertRetained(state, { gk: 'Event' }, T - 100)).not.toThrow();
    expect(() => assertRetained(state, { gk: 'Event' }, T - 101)).toThrow(
      expect.objectContaining({ code: 'HISTORY_EXPIRED', details: expect.objectContaining({ oldest: '2026-01-10T10:15:00.00015Z', oldestMicros: T - 100 }) }),
    );
    expect(() => assertRetained(state, { gk: 'Pod', namespace: 'ns-1' }, T - 51)).toThrow(/history of Pod in namespace ns-1 before .* the oldest answerable time is 2026-01-10T10:15:00.0002Z/);
  });
});

describe('core boundary', () => {
  it('core/snapshot.ts imports no I/O library', () => {
    const text = readFileSync(new URL('./snapshot.ts', import.meta.url), 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.every((i) => i!.startsWith('./') || i === 'zod')).toBe(true);
  });
});
