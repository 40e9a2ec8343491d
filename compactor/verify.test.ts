import { describe, expect, it } from 'vitest';
import { liveRevisionsAt, snapshotKeys } from '../core/snapshot.ts';
import { SnapshotCatalog } from './catalog.ts';
import { bytesOf } from './format.ts';
import { applyRetention } from './retention.ts';
import { takeSnapshot } from './snapshot.ts';
import { collect, DAY, filledStore, HOUR, ManualClock, MINUTE, T0 } from './testing/fixtures.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';
import { verify } from './verify.ts';
import { renderVerifyReport } from './verify-render.ts';

async function healthy() {
  const clock = new ManualClock(T0 + 2 * HOUR);
  const store = await filledStore({ span: 2 * HOUR, changes: 600, objects: 150 });
  const snapshots = new MemorySnapshotStore(clock);
  const manifests = [];
  for (let at = T0 + 15 * MINUTE; at <= T0 + 2 * HOUR - MINUTE; at += 15 * MINUTE) {
    manifests.push(await takeSnapshot({ store, snapshots, cluster: 'test', at, clock, partBytes: 20_000 }));
  }
  return { clock, store, snapshots, manifests };
}

const messages = (r: Awaited<ReturnType<typeof verify>>, severity: string) => r.findings.filter((f) => f.severity === severity).map((f) => f.message);

describe('verify', () => {
  it('reports a healthy setup as OK in plain words', async () => {
    const { clock, store, snapshots } = await healthy();
    const r = await verify({ store, snapshots, clock });
    expect(r.ok).toBe(true);
    expect(r.counts.warning).toBe(0);
    const text = renderVerifyReport(r);
    expect(text).toContain('cluster test:');
    expect(text).toMatch(/7 snapshot\(s\) from .* every checksum matches/);
    expect(text).toMatch(/the store agrees with the newest snapshot .* on all \d+ objects/);
    expect(text.trim().split('\n').at(-1)).toBe('Result: OK.');
  });

  it('finds a part that does not match its checksum, and a missing part', async () => {
    const { clock, store, snapshots, manifests } = await healthy();
    const blob = snapshots.blobs.get(manifests[2]!.parts[1]!.key)!;
    blob.data = Buffer.concat([blob.data, Buffer.from('x')]); // trailing garbage: gzip still decodes
    snapshots.blobs.delete(manifests[4]!.parts[0]!.key);
    const r = await verify({ store, snapshots, clock });
    expect(r.ok).toBe(false);
    const problems = messages(r, 'problem').join('\n');
    expect(problems).toMatch(/part-00001.* (does not match its SHA-256 checksum|cannot be read)/);
    expect(problems).toMatch(/part-00000.ndjson.gz is missing/);
    expect(renderVerifyReport(r)).toMatch(/Result: NOT OK — 2 problems/);
  });

  it('notes leftovers of an interrupted run and flags unreadable manifests', async () => {
    const { clock, store, snapshots } = await healthy();
    await snapshots.put('parts/test/20260110T013000.000000Z-dead/part-00000.ndjson.gz', bytesOf('junk'));
    await snapshots.put(snapshotKeys.manifest('test', '20260110T014500.000000Z-bad'), bytesOf('{"format":'));
    const r = await verify({ store, snapshots, clock });
    expect(messages(r, 'note').join('\n')).toMatch(/unfinished snapshot \(20260110T013000.000000Z-dead, 1 part\(s\)/);
    expect(messages(r, 'problem').join('\n')).toMatch(/manifest manifests\/test\/20260110T014500.000000Z-bad.json cannot be used: .*not JSON/);
  });

  it('warns about gaps between snapshots and a stale newest snapshot', async () => {
    const { clock, store, snapshots, manifests } = await healthy();
    const catalog = new SnapshotCatalog({ snapshots, clock, refreshMicros: 0 });
    await catalog.deleteSnapshot(manifests[2]!);
    await catalog.deleteSnapshot(manifests[3]!);
    clock.advance(2 * HOUR);
    const r = await verify({ store, snapshots, clock });
    const warnings = messages(r, 'warning').join('\n');
    expect(warnings).toMatch(/no snapshot between .*T00:30:00Z and .*T01:15:00Z \(45m; expected at least every 30m\)/);
    expect(warnings).toMatch(/the newest snapshot is 135m old .* is the compactor running\?/);
    expect(r.ok).toBe(true);
  });

  it('tells store disagreements from late arrivals', async () => {
    const { clock, store, snapshots, manifests } = await healthy();
    const newest = manifests.at(-1)!;
    const [a, b] = await collect(liveRevisionsAt(store, { cluster: 'test', at: newest.at, gk: 'Pod' }));
    // Late: observed after the snapshot was taken. Wrong: observed before, yet not in the snapshot.
    await store.append([
      { ...a!, ts: newest.at - 5, resourceVersion: '777001', observedAt: newest.covers.receivedBy + 1 },
      { ...b!, ts: newest.at - 5, resourceVersion: '777002', observedAt: newest.covers.receivedBy - 1 },
    ]);
    const r = await verify({ store, snapshots, clock });
    expect(messages(r, 'note').join('\n')).toMatch(/1 object\(s\) changed at or before .* reached the store after that snapshot was taken/);
    expect(messages(r, 'problem').join('\n')).toMatch(new RegExp(`store disagrees with the snapshot .* on 1 object\\(s\\), e.g. Pod ${b!.namespace}/${b!.name} differs`));
  });

  it('warns when a retention horizon has lost its snapshot', async () => {
    const clock = new ManualClock(T0 + 2 * DAY);
    const store = await filledStore({ span: 2 * DAY, changes: 500, objects: 100 });
    const snapshots = new MemorySnapshotStore(clock);
    const catalog = new SnapshotCatalog({ snapshots, clock, refreshMicros: 0 });
    for (let at = T0 + 6 * HOUR; at < T0 + 2 * DAY; at += 6 * HOUR) await takeSnapshot({ store, snapshots, cluster: 'test', at, clock });
    await applyRetention({ store, catalog, now: clock.now() });
    const state = await catalog.retention('test');
    const target = (await catalog.manifests('test')).find((m) => m.id === state!.horizons[0]!.snapshotId)!;
    await catalog.deleteSnapshot(target);
    const r = await verify({ store, snapshots, clock, interval: 6 * HOUR });
    expect(messages(r, 'warning').join('\n')).toMatch(/history of Event before .* was pruned, but the snapshot at that time .* is gone/);
    expect(messages(r, 'ok').join('\n')).toMatch(/the oldest answerable time is/);
  });

  it('warns about a cluster without snapshots', async () => {
    const clock = new ManualClock(T0 + HOUR);
    const store = await filledStore({ span: HOUR, changes: 10, objects: 10 });
    const r = await verify({ store, snapshots: new MemorySnapshotStore(clock), clock });
    expect(messages(r, 'warning')).toEqual(['the store holds this cluster but there is no snapshot of it yet']);
  });
});
