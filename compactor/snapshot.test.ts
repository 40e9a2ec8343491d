import { describe, expect, it } from 'vitest';
import { KubetimeError } from '../core/errors.ts';
import { liveRevisionsAt, snapshotKeys } from '../core/snapshot.ts';
import { SnapshotCatalog } from './catalog.ts';
import { checkSnapshot, readSnapshot } from './read.ts';
import { takeSnapshot } from './snapshot.ts';
import { collect, directAnswer, filledStore, fingerprint, HOUR, ManualClock, silentLogger, T0 } from './testing/fixtures.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';

async function setup() {
  const clock = new ManualClock(T0 + 7 * HOUR);
  const store = await filledStore();
  const snapshots = new MemorySnapshotStore(clock);
  const catalog = new SnapshotCatalog({ snapshots, clock, refreshMicros: 0 });
  return { clock, store, snapshots, catalog };
}

describe('takeSnapshot', () => {
  it('holds exactly the live objects at S, in order, across several parts', async () => {
    const { clock, store, snapshots } = await setup();
    const at = T0 + 3 * HOUR;
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at, clock, logger: silentLogger, partBytes: 20_000 });
    expect(m.parts.length).toBeGreaterThan(3);
    const direct = await directAnswer(store, { cluster: 'test', at });
    expect(direct.length).toBeGreaterThan(200);
    const read = await collect(readSnapshot(snapshots, m));
    expect(fingerprint(read)).toEqual(direct);
    expect(m.counts.objects).toBe(direct.length);
    expect(Object.values(m.counts.byKind).reduce((a, b) => a + b, 0)).toBe(direct.length);
    expect(read.map((r) => `${r.kind}.${r.group}\u0000${r.namespace}\u0000${r.name}`)).toEqual(
      read.map((r) => `${r.kind}.${r.group}\u0000${r.namespace}\u0000${r.name}`).sort(),
    );
    expect(m.covers).toEqual({ changesThrough: at, receivedBy: clock.now() });
    expect(await checkSnapshot(snapshots, m)).toEqual([]);
  });

  it('writes the manifest last', async () => {
    const { clock, store, snapshots } = await setup();
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock, partBytes: 30_000 });
    expect(snapshots.putLog.at(-1)).toBe(snapshotKeys.manifest('test', m.id));
    expect(snapshots.putLog.slice(0, -1)).toEqual(m.parts.map((p) => p.key));
  });

  it('reads filtered scopes exactly like the direct answer', async () => {
    const { clock, store, snapshots } = await setup();
    const at = T0 + 2 * HOUR;
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at, clock, partBytes: 15_000 });
    for (const filter of [{ gk: 'Pod', namespace: 'ns-3' }, { namespace: 'ns-1' }, { gk: 'Deployment.apps' }, { gk: 'Node', namespace: '' }, { gk: 'Nope' }]) {
      const got = fingerprint(await collect(readSnapshot(snapshots, m, filter)));
      expect(got, JSON.stringify(filter)).toEqual(await directAnswer(store, { cluster: 'test', at, ...filter }));
    }
  });

  it('excludes objects deleted at or before S and keeps a re-created name under its new uid', async () => {
    const { clock, store, snapshots } = await setup();
    const at = T0 + 5 * HOUR;
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at, clock });
    const read = await collect(readSnapshot(snapshots, m));
    expect(read.every((r) => r.op !== 'DELETED')).toBe(true);
    const lives = await collect(store.lifetimes({ cluster: 'test' }));
    const deletedBefore = lives.filter((l) => l.to !== null && l.to <= at);
    expect(deletedBefore.length).toBeGreaterThan(10);
    const uids = new Set(read.map((r) => r.uid));
    for (const l of deletedBefore) expect(uids.has(l.uid)).toBe(false);
  });

  it('an empty cluster gives an empty, valid snapshot', async () => {
    const { clock, store, snapshots, catalog } = await setup();
    const m = await takeSnapshot({ store, snapshots, cluster: 'other', at: T0, clock });
    expect(m.parts).toEqual([]);
    expect((await catalog.manifests('other')).map((x) => x.id)).toEqual([m.id]);
  });

  it('refuses a snapshot time in the future', async () => {
    const { clock, store, snapshots } = await setup();
    await expect(takeSnapshot({ store, snapshots, cluster: 'test', at: clock.now() + 1, clock })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a failure half-way leaves no visible snapshot, and the next run succeeds', async () => {
    const { clock, store, snapshots, catalog } = await setup();
    snapshots.failPuts({ match: (k) => k.endsWith('part-00002.ndjson.gz'), afterBytes: 1000 });
    const err = await takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock, partBytes: 20_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(KubetimeError);
    expect(await catalog.manifests()).toEqual([]);
    expect([...snapshots.blobs.keys()]).toEqual([]); // the parts already written were removed
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock, partBytes: 20_000 });
    expect((await catalog.manifests()).map((x) => x.id)).toEqual([m.id]);
  });

  it('a failed manifest write leaves no visible snapshot', async () => {
    const { clock, store, snapshots, catalog } = await setup();
    snapshots.failPuts({ match: (k) => k.startsWith('manifests/') });
    await expect(takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await catalog.manifests()).toEqual([]);
  });

  it('a failing history store fails the snapshot without a manifest', async () => {
    const { clock, snapshots, catalog } = await setup();
    const store = await filledStore();
    const inner = store.revisions.bind(store);
    let calls = 0;
    store.revisions = (q) => {
      if (++calls === 150) throw new KubetimeError('STORE_UNAVAILABLE', 'disk gone');
      return inner(q);
    };
    await expect(takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock, partBytes: 10_000 })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await catalog.manifests()).toEqual([]);
  });

  it('detects a corrupted part when reading and when checking', async () => {
    const { clock, store, snapshots } = await setup();
    const m = await takeSnapshot({ store, snapshots, cluster: 'test', at: T0 + HOUR, clock, partBytes: 20_000 });
    const blob = snapshots.blobs.get(m.parts[1]!.key)!;
    const copy = Buffer.from(blob.data);
    copy[copy.length - 12]! ^= 0xff; // inside the deflate stream's tail / CRC
    blob.data = copy;
    await expect(collect(readSnapshot(snapshots, m))).rejects.toMatchObject({ code: 'SNAPSHOT_INVALID' });
    const problems = await checkSnapshot(snapshots, m);
    expect(problems.join('\n')).toMatch(/part-00001/);
    snapshots.blobs.delete(m.parts[2]!.key);
    expect((await checkSnapshot(snapshots, m)).join('\n')).toMatch(/part-00002.* is missing/);
  });

  it('liveRevisionsAt is what the snapshot stores', async () => {
    const { store } = await setup();
    const live = await collect(liveRevisionsAt(store, { cluster: 'test', at: T0 + 4 * HOUR }));
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((r) => r.ts <= T0 + 4 * HOUR)).toBe(true);
  });
});
