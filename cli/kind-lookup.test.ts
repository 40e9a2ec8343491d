import { describe, expect, it } from 'vitest';
import type { SeenKind } from '../core/ports.ts';
import type { Clock } from '../core/time.ts';
import { kindLookup } from './kind-lookup.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('kindLookup', () => {
  it('reads the kinds index once per interval however many misses arrive', async () => {
    let now = 1_000_000_000;
    const clock: Clock = { now: () => now };
    let reads = 0;
    let kinds: SeenKind[] = [];
    const store = { kinds: async () => { reads++; return kinds; } };
    const lookup = kindLookup(store, 'c1', clock, 10_000);
    for (let i = 0; i < 100; i++) expect(lookup('example.com', 'widgets')).toBeUndefined();
    await flush();
    expect(reads).toBe(1);

    kinds = [{ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true }];
    for (let i = 0; i < 100; i++) lookup('example.com', 'widgets');
    await flush();
    expect(reads).toBe(1);
    expect(lookup('example.com', 'widgets')).toBeUndefined();

    now += 10_000_000; // 10 s later (Micros)
    lookup('example.com', 'widgets');
    lookup('example.com', 'widgets');
    await flush();
    expect(reads).toBe(2);
    expect(lookup('example.com', 'widgets')).toBe('Widget');
  });
});
