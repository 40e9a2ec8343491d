import { describe, expect, it } from 'vitest';
import { applyPatch, applyPatches, changedPaths, diff, jsonEqual } from './json-patch.ts';
import { prng } from '../simulator/prng.ts';


function randomJson(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (depth > 3 || r < 0.3) return [null, true, 1, 'a', 'b/c~d', 2.5][Math.floor(rand() * 6)];
  if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(rand, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(rand() * 4); i++) o[['x', 'y', 'a/b', 'm~n'][Math.floor(rand() * 4)]!] = randomJson(rand, depth + 1);
  return o;
}

describe('JSON patch', () => {
  it('turns a into b for many random documents, without mutating a', () => {
    const rand = prng(42);
    for (let i = 0; i < 2000; i++) {
      const a = randomJson(rand);
      const b = randomJson(rand);
      const frozen = JSON.stringify(a);
      const patch = diff(a, b);
      expect(jsonEqual(applyPatch(a, patch), b)).toBe(true);
      expect(JSON.stringify(a)).toBe(frozen);
    }
  });

  it('applies a chain of patches at once exactly as one after another, sharing nothing it changes', () => {
    const rand = prng(7);
    for (let i = 0; i < 500; i++) {
      const docs = [randomJson(rand), randomJson(rand), randomJson(rand), randomJson(rand)];
      const frozen = docs.map((d) => JSON.stringify(d));
      const patches = [diff(docs[0], docs[1]), diff(docs[1], docs[2]), diff(docs[2], docs[3])];
      const frozenPatches = JSON.stringify(patches);
      expect(jsonEqual(applyPatches(docs[0], patches), docs[3])).toBe(true);
      expect(docs.map((d) => JSON.stringify(d))).toEqual(frozen);
      expect(JSON.stringify(patches)).toBe(frozenPatches);
    }
  });

  it('describes a status change with a small patch and escaped pointers', () => {
    const a = { metadata: { labels: { 'app.kubernetes.io/name': 'x' } }, status: { phase: 'Pending', conditions: [{ type: 'Ready' }] } };
    const b = { metadata: { labels: { 'app.kubernetes.io/name': 'y' } }, status: { phase: 'Running', conditions: [{ type: 'Ready' }, { type: 'Scheduled' }] } };
    const patch = diff(a, b);
    expect(patch).toEqual([
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' },
      { op: 'replace', path: '/status/phase', value: 'Running' },
      { op: 'add', path: '/status/conditions/1', value: { type: 'Scheduled' } },
    ]);
    expect(changedPaths(patch)).toHaveLength(3);
    expect(diff(a, structuredClone(a))).toEqual([]);
  });

  it('removes array tails from the end so indices stay valid', () => {
    const patch = diff({ l: [1, 2, 3, 4] }, { l: [1] });
    expect(patch.map((p) => p.path)).toEqual(['/l/3', '/l/2', '/l/1']);
  });
});
