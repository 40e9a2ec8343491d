import { describe, expect, it } from 'vitest';
import { KeyedMutex, RwLock } from './concurrency.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('serialises work on one key and keeps its order, even after a failure', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (k: string, id: string, fail = false) => m.run(k, async () => {
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
      if (fail) throw new Error(id);
    });
    const results = await Promise.allSettled([job('a', '1', true), job('a', '2'), job('a', '3')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(m.size).toBe(0);
  });

  it('holds a set of keys at once; overlapping sets given in opposite orders take turns, never deadlock', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (keys: string[], id: string) => m.runAll(keys, async () => {
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
    });
    await Promise.all([job(['a', 'b', 'c'], '1'), job(['c', 'b', 'x'], '2'), m.run('b', async () => void log.push('b alone'))]);
    // All done (no deadlock), and never two holders of 'b' at once.
    expect(log).toHaveLength(5);
    for (const id of ['1', '2']) expect(log[log.indexOf(`start ${id}`) + 1]).toBe(`end ${id}`);
    expect(m.size).toBe(0);
  });

  it('lets different keys run at the same time', async () => {
    const m = new KeyedMutex();
    let running = 0;
    let peak = 0;
    await Promise.all(['a', 'b', 'c'].map((k) => m.run(k, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    })));
    expect(peak).toBe(3);
  });
});

describe('RwLock', () => {
  it('lets readers share and keeps a writer alone', async () => {
    const l = new RwLock();
    const seen: string[] = [];
    let readersAtOnce = 0;
    let peakReaders = 0;
    const reader = (id: string) => l.read(async () => {
      readersAtOnce++;
      peakReaders = Math.max(peakReaders, readersAtOnce);
      expect(l.state.writing).toBe(false);
      await tick();
      seen.push(id);
      readersAtOnce--;
    });
    const writer = (id: string) => l.write(async () => {
      expect(l.state.readers).toBe(0);
      await tick();
      seen.push(id);
    });
    await Promise.all([reader('r1'), reader('r2'), writer('w1'), reader('r3'), writer('w2')]);
    expect(peakReaders).toBe(2);
    // The writer that came while r1/r2 read went before r3, which came after it.
    expect(seen.indexOf('w1')).toBeGreaterThan(seen.indexOf('r2'));
    expect(seen.indexOf('w1')).toBeLessThan(seen.indexOf('r3'));
    expect(l.state).toEqual({ readers: 0, writing: false });
  });

  it('is released when the holder rejects', async () => {
    const l = new RwLock();
    await expect(l.write(async () => { throw new Error('x'); })).rejects.toThrow('x');
    await expect(l.read(async () => { throw new Error('y'); })).rejects.toThrow('y');
    expect(await l.write(async () => 'ok')).toBe('ok');
  });
});
