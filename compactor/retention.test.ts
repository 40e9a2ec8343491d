import { describe, expect, it } from 'vitest';
import { KubetimeError } from '../core/errors.ts';
import { assertRetained, horizonFor } from '../core/snapshot.ts';
import type { Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import { SnapshotCatalog } from './catalog.ts';
import { applyRetention, DEFAULT_RETENTION, parseRetentionSpec, ruleFor } from './retention.ts';
import { takeSnapshot } from './snapshot.ts';
import { collect, DAY, directAnswer, filledStore, HOUR, ManualClock, MINUTE, T0 } from './testing/fixtures.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';

async function threeDays(o: { snapshotsFrom?: Micros } = {}) {
  const clock = new ManualClock(T0 + 3 * DAY);
  const store = await filledStore({ span: 3 * DAY, changes: 3000, objects: 300 });
  const snapshots = new MemorySnapshotStore(clock);
  const catalog = new SnapshotCatalog({ snapshots, clock, refreshMicros: 0 });
  for (let at = o.snapshotsFrom ?? T0 + 2 * HOUR; at < T0 + 3 * DAY; at += 2 * HOUR) {
    await takeSnapshot({ store, snapshots, cluster: 'test', at, clock });
  }
  return { clock, store, snapshots, catalog };
}

const feedCount = async (store: Awaited<ReturnType<typeof threeDays>>['store'], gk: string, from: Micros, to: Micros) =>
  (await collect(store.feed({ cluster: 'test', from, to, order: 'asc', gk }))).length;

/** After prune(before=B): what is left before B is one revision per object alive at B. */
async function expectOnlyLastRevisionsBefore(store: Awaited<ReturnType<typeof threeDays>>['store'], B: Micros, scope: { gk: string; namespace?: string }) {
  const left = await collect(store.feed({ cluster: 'test', from: T0, to: B - 1, order: 'asc', ...scope }));
  const alive = new Set((await collect(store.lifetimes({ cluster: 'test', aliveAt: B, ...scope }))).map((l) => l.uid));
  expect(new Set(left.map((e) => e.uid)).size).toBe(left.length);
  expect(left.every((e) => alive.has(e.uid) && e.op !== 'DELETED')).toBe(true);
}

describe('applyRetention', () => {
  it('prunes Events behind the newest snapshot older than a day and keeps every later state answerable', async () => {
    const { clock, store, catalog } = await threeDays();
    const expectedB = (await catalog.newestAtOrBefore('test', clock.now() - DAY))!.at;
    const times = [expectedB, expectedB + 1, expectedB + 3 * HOUR, T0 + 3 * DAY - MINUTE];
    const before = await Promise.all(times.map((at) => directAnswer(store, { cluster: 'test', at, gk: 'Event' })));
    const podsBefore = await feedCount(store, 'Pod', T0, T0 + 3 * DAY);
    expect(await feedCount(store, 'Event', T0, expectedB - 1)).toBeGreaterThan(100);

    const [report] = await applyRetention({ store, catalog, now: clock.now() });
    expect(report!.removed).toBeGreaterThan(100);
    expect(report!.horizons).toContainEqual(expect.objectContaining({ gk: 'Event', horizon: expectedB }));
    expect(report!.waiting).toContain('Pod/*'); // 30 days: no snapshot that old yet
    const after = await Promise.all(times.map((at) => directAnswer(store, { cluster: 'test', at, gk: 'Event' })));
    expect(after).toEqual(before);
    await expectOnlyLastRevisionsBefore(store, expectedB, { gk: 'Event' });
    expect(await feedCount(store, 'Pod', T0, T0 + 3 * DAY)).toBe(podsBefore);

    const again = await applyRetention({ store, catalog, now: clock.now() });
    expect(again[0]!.removed).toBe(0);
  });

  it('records the horizon, so older queries get HISTORY_EXPIRED naming the oldest answerable time', async () => {
    const { clock, store, catalog } = await threeDays();
    await applyRetention({ store, catalog, now: clock.now() });
    const state = await catalog.retention('test');
    const B = horizonFor(state, { gk: 'Event' })!;
    expect(B).toBeGreaterThan(T0);
    expect(() => assertRetained(state, { gk: 'Event', namespace: 'ns-1' }, B)).not.toThrow();
    expect(() => assertRetained(state, { gk: 'Pod' }, T0)).not.toThrow();
    let err: unknown;
    try {
      assertRetained(state, { gk: 'Event', namespace: 'ns-1' }, B - 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubetimeError);
    expect(err).toMatchObject({ code: 'HISTORY_EXPIRED', details: { oldest: formatTime(B) } });
    expect((err as Error).message).toContain(`oldest answerable time is ${formatTime(B)}`);
    // A scope spanning every kind is limited by its most recent horizon.
    expect(horizonFor(state, { namespace: 'ns-1' })).toBe(B);
  });

  it('prunes nothing while no snapshot is old enough', async () => {
    const { clock, store, catalog } = await threeDays({ snapshotsFrom: T0 + 2 * DAY + 12 * HOUR });
    const [report] = await applyRetention({ store, catalog, now: clock.now() });
    expect(report!.removed).toBe(0);
    expect(report!.waiting).toEqual(expect.arrayContaining(['Event/*', 'Pod/*']));
    expect(await catalog.retention('test')).toBeUndefined();
  });

  it('applies namespace rules per namespace, first match wins', async () => {
    const { clock, store, catalog } = await threeDays();
    const rules = [{ gk: 'Event', maxAge: DAY }, { namespace: 'ns-1', maxAge: 12 * HOUR }, { maxAge: 30 * DAY }];
    const podsNs2 = await feedCount(store, 'Pod', T0, T0 + 3 * DAY);
    const [report] = await applyRetention({ store, catalog, now: clock.now(), rules });
    const b12h = (await catalog.newestAtOrBefore('test', clock.now() - 12 * HOUR))!.at;
    expect(report!.horizons).toContainEqual(expect.objectContaining({ gk: 'Pod', namespace: 'ns-1', horizon: b12h }));
    expect(report!.horizons.some((h) => h.gk === 'Pod' && h.namespace === 'ns-2')).toBe(false);
    await expectOnlyLastRevisionsBefore(store, b12h, { gk: 'Pod', namespace: 'ns-1' });
    const ns2 = await collect(store.feed({ cluster: 'test', from: T0, to: b12h - 1, order: 'asc', gk: 'Pod', namespace: 'ns-2' }));
    expect(ns2.length).toBeGreaterThan(0);
    expect(await feedCount(store, 'Pod', T0, T0 + 3 * DAY)).toBeLessThan(podsNs2);
    const state = await catalog.retention('test');
    expect(() => assertRetained(state, { gk: 'Pod', namespace: 'ns-2' }, T0)).not.toThrow();
    expect(() => assertRetained(state, { gk: 'Pod', namespace: 'ns-1' }, b12h - 1)).toThrow(/oldest answerable time/);
    expect(() => assertRetained(state, { gk: 'Pod' }, b12h - 1)).toThrow(); // all namespaces include ns-1
  });

  it('writes the horizon before pruning, so a failed prune errs on the safe side', async () => {
    const { clock, store, catalog } = await threeDays();
    store.prune = async () => {
      throw new KubetimeError('STORE_UNAVAILABLE', 'disk full');
    };
    await expect(applyRetention({ store, catalog, now: clock.now() })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(horizonFor(await catalog.retention('test'), { gk: 'Event' })).toBeGreaterThan(T0);
  });
});

describe('retention rules', () => {
  it('defaults: Events 1 day, everything else 30 days', () => {
    expect(ruleFor(DEFAULT_RETENTION, 'Event', 'x')?.maxAge).toBe(DAY);
    expect(ruleFor(DEFAULT_RETENTION, 'Event.events.k8s.io', 'x')?.maxAge).toBe(DAY);
    expect(ruleFor(DEFAULT_RETENTION, 'Deployment.apps', 'x')?.maxAge).toBe(30 * DAY);
  });

  it('parses a spec with kubectl kind names, namespaces and forever', () => {
    expect(parseRetentionSpec('events=1d, deploy/prod=90d, */kube-system=7d, Widget.example.com=forever, *=30d')).toEqual([
      { gk: 'Event', maxAge: DAY },
      { gk: 'Deployment.apps', namespace: 'prod', maxAge: 90 * DAY },
      { namespace: 'kube-system', maxAge: 7 * DAY },
      { gk: 'Widget.example.com' },
      { maxAge: 30 * DAY },
    ]);
    expect(() => parseRetentionSpec('events:1d')).toThrow(/retention: "events:1d" is not selector=duration/);
    expect(() => parseRetentionSpec('nosuchthing=1d')).toThrow(/unknown kind/);
  });
});
