import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../core/snapshot.ts';
import { restore } from './restore.ts';
import { takeSnapshot } from './snapshot.ts';
import { collect, directAnswer, filledStore, HOUR, ManualClock, MINUTE, T0 } from './testing/fixtures.ts';
import { MemoryHistoryStore } from './testing/memory-history-store.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';

async function source() {
  const clock = new ManualClock(T0 + 7 * HOUR);
  const store = await filledStore({ span: 6 * HOUR, changes: 2500 });
  const snapshots = new MemorySnapshotStore(clock);
  const manifests: SnapshotManifest[] = [];
  for (let at = T0 + 30 * MINUTE; at <= T0 + 6 * HOUR; at += 30 * MINUTE) {
    manifests.push(await takeSnapshot({ store, snapshots, cluster: 'test', at, clock, partBytes: 30_000 }));
  }
  return { clock, store, snapshots, manifests };
}

describe('restore', () => {
  it('rebuilds a store whose state at every snapshot time equals the original', async () => {
    const { clock, store, snapshots, manifests } = await source();
    const into = new MemoryHistoryStore();
    const [report] = await restore({ from: snapshots, into, clock });
    expect(report!.used.map((u) => u.id)).toEqual(manifests.map((m) => m.id));
    expect(report!.skipped).toEqual([]);
    expect(report!.deletions).toBeGreaterThan(20);
    for (const m of manifests) {
      expect(await directAnswer(into, { cluster: 'test', at: m.at }), `at ${m.id}`).toEqual(await directAnswer(store, { cluster: 'test', at: m.at }));
    }
    const revs = await collect(into.feed({ cluster: 'test', from: 0, to: clock.now(), order: 'asc' }));
    expect(revs.every((r) => r.source === 'snapshot')).toBe(true);
    expect(revs.filter((r) => r.op === 'DELETED').every((r) => r.gap === true)).toBe(true);
  });

  it('infers each deletion inside the window in which it happened', async () => {
    const { clock, store, snapshots, manifests } = await source();
    const into = new MemoryHistoryStore();
    await restore({ from: snapshots, into, clock });
    const deletions = (await collect(into.lifetimes({ cluster: 'test' }))).filter((l) => l.to !== null);
    const original = new Map((await collect(store.lifetimes({ cluster: 'test' }))).map((l) => [l.uid, l]));
    for (const l of deletions) {
      const truth = original.get(l.uid)!.to!;
      // The true deletion lies in (previous snapshot, l.to]; l.to is at most one interval late.
      expect(truth).toBeLessThanOrEqual(l.to!);
      expect(l.to! - truth).toBeLessThan(30 * MINUTE);
    }
    expect(deletions.length).toBeGreaterThan(20);
    expect(manifests.length).toBe(12);
  });

  it('can run twice without changing anything', async () => {
    const { clock, snapshots } = await source();
    const into = new MemoryHistoryStore();
    await restore({ from: snapshots, into, clock });
    const before = await collect(into.feed({ cluster: 'test', from: 0, to: clock.now(), order: 'asc' }));
    const appendResults: number[] = [];
    const inner = into.append.bind(into);
    into.append = async (recs) => {
      const r = await inner(recs);
      appendResults.push(r.inserted + r.merged);
      return r;
    };
    await restore({ from: snapshots, into, clock });
    expect(appendResults.reduce((a, b) => a + b, 0)).toBe(0);
    expect(await collect(into.feed({ cluster: 'test', from: 0, to: clock.now(), order: 'asc' }))).toEqual(before);
  });

  it('skips a damaged snapshot, reports it, and still restores the others exactly', async () => {
    const { clock, store, snapshots, manifests } = await source();
    const damaged = manifests[5]!;
    const blob = snapshots.blobs.get(damaged.parts[0]!.key)!;
    blob.data = Buffer.concat([blob.data.subarray(0, 100), Buffer.alloc(50), blob.data.subarray(150)]);
    const into = new MemoryHistoryStore();
    const [report] = await restore({ from: snapshots, into, clock });
    expect(report!.skipped.map((s) => s.id)).toEqual([damaged.id]);
    expect(report!.skipped[0]!.problems.join(' ')).toMatch(/checksum|cannot be read/);
    for (const m of manifests.filter((x) => x !== damaged)) {
      expect(await directAnswer(into, { cluster: 'test', at: m.at })).toEqual(await directAnswer(store, { cluster: 'test', at: m.at }));
    }
  });

  it('restores several clusters, each on its own', async () => {
    const clock = new ManualClock(T0 + 3 * HOUR);
    const store = await filledStore({ cluster: 'a', span: 2 * HOUR, changes: 200, objects: 50 });
    await filledStore({ store, cluster: 'b', span: 2 * HOUR, changes: 200, objects: 50, seed: 9 });
    const snapshots = new MemorySnapshotStore(clock);
    for (const cluster of ['a', 'b']) await takeSnapshot({ store, snapshots, cluster, at: T0 + 2 * HOUR, clock });
    const into = new MemoryHistoryStore();
    const reports = await restore({ from: snapshots, into, clock });
    expect(reports.map((r) => r.cluster)).toEqual(['a', 'b']);
    for (const cluster of ['a', 'b']) {
      expect(await directAnswer(into, { cluster, at: T0 + 2 * HOUR })).toEqual(await directAnswer(store, { cluster, at: T0 + 2 * HOUR }));
    }
  });
});
