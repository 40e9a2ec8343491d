import { describe, expect, it } from 'vitest';
import type { StoredRevision } from './keys.ts';
import { decodeRevision, encodeRevision } from './revision-codec.ts';

const base: StoredRevision = { op: 'MODIFIED', observedAt: 1_767_225_600_123_456, source: 'watch+audit', apiVersion: 'v1', depth: 3, patch: [] };

describe('rev values of a v7 store (revision-codec.ts)', () => {
  const cases: StoredRevision[] = [
    base,
    { ...base, op: 'ADDED', depth: 0, patch: undefined, obj: new Uint8Array([0, 1, 2, 250, 255, 7]) },
    { ...base, op: 'DELETED', depth: 0, patch: undefined, obj: null },
    { ...base, actor: 'qKqDvV10PweU', verb: 'patch', auditID: '1f2e3d4c-aaaa-bbbb-cccc-000000000001', gap: true },
    { ...base, actor: 'a', patch: [{ op: 'replace', path: '/status/conditions/1/status', value: 'False' }, { op: 'remove', path: '/metadata/labels/x~1y' }, { op: 'add', path: '/spec/x', value: { n: 1.5, t: null, l: [1, 'ü', { z: '✓' }] } }] },
    // Strings past a one-byte length: long ASCII, and multi-byte UTF-8 whose bytes pass 127 before its length does.
    { ...base, source: 'audit'.repeat(40), apiVersion: 'example.com/v1alpha1', verb: 'ü'.repeat(42), auditID: '✓'.repeat(43) },
    { ...base, observedAt: 2 ** 53 - 1, depth: 7, patch: [{ op: 'replace', path: '', value: 'x'.repeat(100_000) }] },
  ];

  it('give back every field as written', () => {
    for (const v of cases) {
      const clean = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
      expect(decodeRevision(encodeRevision(v))).toEqual(clean);
    }
  });

  it('never start with a byte lmdb-js takes for its compression mark, and refuse a value of another encoding', () => {
    for (const v of cases) expect(encodeRevision(v)[0]).toBeLessThan(250);
    expect(() => decodeRevision(new Uint8Array([0x85, 0xa2, 0x6f, 0x70]))).toThrow(/unknown encoding/);
    expect(() => encodeRevision({ ...base, depth: 300 })).toThrow(/depth/);
  });

  it('decode from a reused read buffer of `size` bytes, and keep nothing of it', () => {
    for (const v of cases) {
      const bytes = encodeRevision(v);
      const reused = Buffer.alloc(bytes.length + 64, 0x7b); // lmdb-js hands values in a larger buffer it reuses
      bytes.copy(reused);
      const got = decodeRevision(reused, bytes.length);
      const copy = structuredClone(got);
      reused.fill(0xee); // the next read overwrites it
      expect(got).toEqual(copy);
      expect(got).toEqual(decodeRevision(bytes));
    }
  });

  it('encode each value into a buffer of its own (lmdb-js writes it later, on its own thread)', () => {
    const a = encodeRevision(cases[3]!);
    const before = Buffer.from(a);
    encodeRevision(cases[5]!);
    expect(a.equals(before)).toBe(true);
  });
});
