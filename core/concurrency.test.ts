import { describe, expect, it } from 'vitest';
import { allSettledOrThrow, mapLimit } from './concurrency.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('mapLimit', () => {
  it('keeps input order with bounded parallelism', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < x; i++) await tick();
      running--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(mapLimit([1, 2, 3, 4, 5], 1, async (x) => {
      started.push(x);
      if (x === 2) throw new Error('two');
      return x;
    })).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
  });

  it('handles an empty list', async () => {
    expect(await mapLimit([], 4, async (x) => x)).toEqual([]);
  });
});

describe('allSettledOrThrow', () => {
  it('rejects with the first failure only after every promise has settled', async () => {
    let lateDone = false;
    const late = (async () => { await tick(); await tick(); lateDone = true; })();
    const first = Promise.reject(new Error('first'));
    const second = Promise.reject(new Error('second'));
    await expect(allSettledOrThrow([late, first, second])).rejects.toThrow('first');
    expect(lateDone).toBe(true);
    await expect(allSettledOrThrow([late, Promise.resolve(1)])).resolves.toBeUndefined();
  });
});

