import { describe, expect, it } from 'vitest';
import type { HistoryStore } from '../core/ports.ts';
import { listAtFromSnapshot, liveRevisionsAt } from '../core/snapshot.ts';
import type { SnapshotFilter } from '../core/snapshot.ts';
import type { Micros } from '../core/time.ts';
import { SnapshotCatalog } from './catalog.ts';
import { takeSnapshot } from './snapshot.ts';
import { prng } from './testing/generate.ts';
import { collect, directAnswer, filledStore, fingerprint, HOUR, ManualClock, MINUTE, T0 } from './testing/fixtures.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';

/** Counts the work a query asks of the store. */
function counting(store: HistoryStore) {
  const calls = { lifetimes: 0, revisions: 0, feedEntries: 0 };
  const wrapped: HistoryStore = Object.create(store);
  wrapped.lifetimes = (q) => { calls.lifetimes++; return store.lifetimes(q); };
  wrapped.revisions = (q) => { calls.revisions++; return store.revisions(q); };
  wrapped.feed = async function* (q) {
    for await (const e of store.feed(q)) { calls.feedEntries++; yield e; }
  };
  return { store: wrapped, calls };
}

async function withSnapshots(o: { hours: number; every: Micros; changes: number }) {
  const clock = new ManualClock(T0 + (o.hours + 1) * HOUR);
  const store = await filledStore({ span: o.hours * HOUR, changes: o.changes, objects: 250 });
  const snapshots = new MemorySnapshotStore(clock);
  for (let at = T0 + o.every; at <= T0 + o.hours * HOUR; at += o.every) {
    await takeSnapshot({ store, snapshots, cluster: 'test', at, clock, partBytes: 25_000 });
  }
  return { store, index: new SnapshotCatalog({ snapshots, clock }) };
}

describe('listAtFromSnapshot (bounded replay)', () => {
  it('gives the same answers as the direct as-of path on generated data', async () => {
    const { store, index } = await withSnapshots({ hours: 6, every: 30 * MINUTE, changes: 2500 });
    const rand = prng(7);
    const scopes: SnapshotFilter[] = [{ gk: 'Pod' }, { gk: 'Pod', namespace: 'ns-2' }, { gk: 'ConfigMap', namespace: 'ns-0' }, { namespace: 'ns-4' }, { gk: 'Node', namespace: '' }, {}];
    let compared = 0;
    for (let i = 0; i < 60; i++) {
      const at = T0 + 30 * MINUTE + Math.floor(rand() * 5.5 * HOUR);
      const scope = scopes[i % scopes.length]!;
      const bounded = await listAtFromSnapshot({ index, store, cluster: 'test', at, ...scope });
      expect(bounded).toBeDefined();
      expect(bounded!.snapshot.at).toBeLessThanOrEqual(at);
      expect(at - bounded!.snapshot.at).toBeLessThan(30 * MINUTE);
      expect(fingerprint(bounded!.items), `${JSON.stringify(scope)} at +${(at - T0) / MINUTE}m`).toEqual(await directAnswer(store, { cluster: 'test', at, ...scope }));
      compared += bounded!.items.length;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('answers exactly at a snapshot time, and right after it, with the same result as direct', async () => {
    const { store, index } = await withSnapshots({ hours: 2, every: HOUR, changes: 800 });
    // Changes 1 µs after the snapshot at T0+1h: one modification, one deletion.
    const S = T0 + HOUR;
    const [a, b] = (await collect(liveRevisionsAt(store, { cluster: 'test', at: S, gk: 'Pod' }))).slice(0, 2);
    await store.append([
      { ...a!, ts: S + 1, op: 'MODIFIED', resourceVersion: '999001', object: { ...a!.object, spec: { changed: true } } },
      { ...b!, ts: S + 1, op: 'DELETED', resourceVersion: '999002' },
    ]);
    const justAfter = await listAtFromSnapshot({ index, store, cluster: 'test', at: S + 1, gk: 'Pod' });
    expect(justAfter!.replayed).toBe(2);
    expect(justAfter!.items.find((r) => r.uid === a!.uid)?.resourceVersion).toBe('999001');
    expect(justAfter!.items.find((r) => r.uid === b!.uid)).toBeUndefined();
    for (const at of [S, S + 1, S + 2]) {
      const bounded = await listAtFromSnapshot({ index, store, cluster: 'test', at, gk: 'Pod' });
      expect(fingerprint(bounded!.items)).toEqual(await directAnswer(store, { cluster: 'test', at, gk: 'Pod' }));
    }
  });

  it('does not see a change older than S that arrived after S was taken (the documented limit)', async () => {
    const { store, index } = await withSnapshots({ hours: 2, every: HOUR, changes: 300 });
    const S = T0 + HOUR;
    const [a] = await collect(liveRevisionsAt(store, { cluster: 'test', at: S, gk: 'Pod' }));
    // A late audit batch: ts before S, received after the snapshot at S was written.
    await store.append([{ ...a!, ts: S - 1, op: 'MODIFIED', resourceVersion: '999003', source: 'audit' }]);
    const bounded = await listAtFromSnapshot({ index, store, cluster: 'test', at: S + 1, gk: 'Pod' });
    expect(bounded!.items.find((r) => r.uid === a!.uid)?.resourceVersion).not.toBe('999003');
    expect((await directAnswer(store, { cluster: 'test', at: S + 1, gk: 'Pod' })).some((l) => l.includes('rv=999003'))).toBe(true);
  });

  it('returns undefined when the snapshot cannot be read, so the caller answers directly', async () => {
    const clock = new ManualClock(T0 + 3 * HOUR);
    const store = await filledStore({ span: 2 * HOUR, changes: 100 });
    const snapshots = new MemorySnapshotStore(clock);
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock });
    const index = new SnapshotCatalog({ snapshots, clock });
    expect(await index.newestAtOrBefore('test', T0 + 2 * HOUR)).toBeDefined(); // listing cached
    await snapshots.delete(m.parts.map((p) => p.key)); // thinned away meanwhile
    expect(await listAtFromSnapshot({ index, store, cluster: 'test', at: T0 + 2 * HOUR, gk: 'Pod' })).toBeUndefined();
    expect([...snapshots.blobs.keys()]).toEqual([`manifests/test/${m.id}.json`]);
  });

  it('returns undefined before the first snapshot (the caller answers directly)', async () => {
    const { store, index } = await withSnapshots({ hours: 2, every: HOUR, changes: 100 });
    expect(await listAtFromSnapshot({ index, store, cluster: 'test', at: T0 + 30 * MINUTE })).toBeUndefined();
    expect(await listAtFromSnapshot({ index, store, cluster: 'elsewhere', at: T0 + 3 * HOUR })).toBeUndefined();
  });

  it('does work bounded by the snapshot interval, not by the age of the data', async () => {
    // Same change rate; one store holds 2 hours of history, the other 24 hours.
    const young = await withSnapshots({ hours: 2, every: 15 * MINUTE, changes: 400 });
    const old = await withSnapshots({ hours: 24, every: 15 * MINUTE, changes: 4800 });
    const work = async (w: typeof young, at: Micros) => {
      const c = counting(w.store);
      const r = await listAtFromSnapshot({ index: w.index, store: c.store, cluster: 'test', at, gk: 'Pod', namespace: 'ns-1' });
      const changesSinceSnapshot = await countFeed(w.store, r!.snapshot.at + 1, at, { gk: 'Pod', namespace: 'ns-1' });
      // The bound: no per-object scan of the store; one revision read per changed name since S.
      expect(c.calls.lifetimes).toBe(0);
      expect(c.calls.feedEntries).toBe(changesSinceSnapshot);
      expect(c.calls.revisions).toBeLessThanOrEqual(changesSinceSnapshot);
      return c.calls.feedEntries + c.calls.revisions;
    };
    const youngWork = await work(young, T0 + 2 * HOUR - MINUTE);
    const oldWork = await work(old, T0 + 24 * HOUR - MINUTE);
    expect(oldWork).toBeLessThan(40);
    expect(Math.abs(oldWork - youngWork)).toBeLessThan(30);
  });
});

async function countFeed(store: HistoryStore, from: Micros, to: Micros, f: SnapshotFilter): Promise<number> {
  let n = 0;
  for await (const _ of store.feed({ cluster: 'test', from, to, order: 'asc', ...f })) n++;
  return n;
}
