/**
 * The compactor against the real embedded store (LmdbHistoryStore) and the folder snapshot
 * store: snapshots equal the store's as-of answers, bounded replay equals the direct path,
 * retention keeps every retained state, restore rebuilds the states, verify agrees.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotCatalog } from '../../compactor/catalog.ts';
import { Compactor } from '../../compactor/compactor.ts';
import { restore } from '../../compactor/restore.ts';
import { applyRetention } from '../../compactor/retention.ts';
import { prng } from '../../compactor/testing/generate.ts';
import { DAY, directAnswer, filledStore, fingerprint, HOUR, ManualClock, MINUTE, silentLogger, T0 } from '../../compactor/testing/fixtures.ts';
import { verify } from '../../compactor/verify.ts';
import { assertRetained, listAtFromSnapshot } from '../../core/snapshot.ts';
import type { SnapshotManifest } from '../../core/snapshot.ts';
import { FsSnapshotStore } from '../../store/fs/fs-snapshot-store.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';

describe('compactor on LmdbHistoryStore + FsSnapshotStore', () => {
  let dir: string;
  let store: LmdbHistoryStore;
  let snapshots: FsSnapshotStore;
  let catalog: SnapshotCatalog;
  const clock = new ManualClock(T0 + 3 * DAY);
  const manifests: SnapshotManifest[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubetime-compactor-'));
    store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    await filledStore({ store, span: 3 * DAY, changes: 6000, objects: 600, namespaces: 8 });
    snapshots = await FsSnapshotStore.open({ root: join(dir, 'snapshots') });
    const compactor = new Compactor({ store, snapshots, clock, logger: silentLogger, retention: false, partBytes: 100_000 });
    for (let at = T0 + HOUR; at < T0 + 3 * DAY; at += 2 * HOUR) manifests.push(...(await compactor.runOnce({ at })).snapshots);
    catalog = new SnapshotCatalog({ snapshots, clock, refreshMicros: 0 });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one snapshot per run, each equal to the store at its time', async () => {
    expect(manifests.length).toBe(36);
    for (const m of [manifests[0]!, manifests[17]!, manifests.at(-1)!]) {
      const read = [];
      for await (const r of catalog.readObjects(m)) read.push(r);
      expect(fingerprint(read)).toEqual(await directAnswer(store, { cluster: 'test', at: m.at }));
    }
  });

  it('bounded replay answers like the direct path', async () => {
    const rand = prng(3);
    for (let i = 0; i < 40; i++) {
      const at = T0 + HOUR + Math.floor(rand() * (3 * DAY - 2 * HOUR));
      const scope = i % 2 ? { gk: 'Pod', namespace: `ns-${i % 8}` } : { gk: 'ConfigMap' };
      const bounded = await listAtFromSnapshot({ index: catalog, store, cluster: 'test', at, ...scope });
      expect(fingerprint(bounded!.items)).toEqual(await directAnswer(store, { cluster: 'test', at, ...scope }));
    }
  });

  it('restores into a fresh LMDB store with identical states at every snapshot time', async () => {
    const fresh = LmdbHistoryStore.open({ path: join(dir, 'restored') });
    try {
      const [report] = await restore({ from: snapshots, into: fresh, clock });
      expect(report!.used).toHaveLength(manifests.length);
      for (const m of manifests.filter((_, i) => i % 5 === 0)) {
        expect(await directAnswer(fresh, { cluster: 'test', at: m.at })).toEqual(await directAnswer(store, { cluster: 'test', at: m.at }));
      }
    } finally {
      await fresh.close();
    }
  });

  it('retention keeps every retained state, and verify is satisfied afterwards', async () => {
    const probe = [T0 + 2 * DAY, T0 + 2 * DAY + 7 * HOUR, T0 + 3 * DAY - MINUTE];
    const before = await Promise.all(probe.map((at) => directAnswer(store, { cluster: 'test', at })));
    const [report] = await applyRetention({ store, catalog, now: clock.now(), rules: [{ gk: 'Event', maxAge: DAY }, { maxAge: 30 * HOUR }] });
    expect(report!.removed).toBeGreaterThan(500);
    const horizon = Math.max(...report!.horizons.map((h) => h.horizon));
    expect(horizon).toBeLessThanOrEqual(probe[0]!);
    expect(await Promise.all(probe.map((at) => directAnswer(store, { cluster: 'test', at })))).toEqual(before);
    const state = await catalog.retention('test');
    expect(() => assertRetained(state, { gk: 'Pod' }, T0 + HOUR)).toThrow(expect.objectContaining({ code: 'HISTORY_EXPIRED' }));
    const v = await verify({ store, snapshots, clock, interval: 2 * HOUR, checksums: 'newest' });
    expect(v.findings.filter((f) => f.severity === 'problem')).toEqual([]);
  });
});
