import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Micros } from '../core/time.ts';
import { formatTime } from '../core/time.ts';
import { Compactor } from './compactor.ts';
import type { Timer } from './compactor.ts';
import { diskStatus } from './disk-budget.ts';
import { DAY, filledStore, HOUR, ManualClock, MINUTE, silentLogger, T0 } from './testing/fixtures.ts';
import { MemorySnapshotStore } from './testing/memory-snapshot-store.ts';

/** A timer the test fires by hand, moving the clock to the due time first. */
class FakeTimer implements Timer {
  pending: { fn: () => void; due: Micros; id: number }[] = [];
  private seq = 0;
  private readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.push({ fn, due: this.clock.now() + ms * 1000, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== h);
  }
  /** Fires the next timer and waits until the compactor has scheduled the one after it. */
  async fireNext(): Promise<void> {
    const next = this.pending.shift()!;
    this.clock.t = next.due;
    next.fn();
    // The run does real (in-memory and file) I/O: wait until it has rescheduled itself, bounded in
    // real time rather than in event-loop turns, which a loaded machine can exhaust.
    const deadline = Date.now() + 10_000;
    while (this.pending.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  }
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  return { logger, lines };
}

async function setup(now: Micros = T0 + 3 * HOUR + 7 * MINUTE) {
  const clock = new ManualClock(now);
  const timer = new FakeTimer(clock);
  const store = await filledStore({ span: 3 * HOUR, changes: 300, objects: 100 });
  const snapshots = new MemorySnapshotStore(clock);
  return { clock, timer, store, snapshots };
}

describe('Compactor', () => {
  it('snapshots on a 15-minute grid, a settle delay after each boundary, without sleeping', async () => {
    const { clock, timer, store, snapshots } = await setup();
    const c = new Compactor({ store, snapshots, clock, timer, logger: silentLogger });
    c.start();
    expect(timer.pending).toHaveLength(1);
    expect(formatTime(timer.pending[0]!.due)).toBe('2026-01-10T03:16:00Z'); // boundary 03:15 + 1 min
    await timer.fireNext();
    await timer.fireNext();
    const ats = (await c.catalog.manifests('test')).map((m) => formatTime(m.at));
    expect(ats).toEqual(['2026-01-10T03:15:00Z', '2026-01-10T03:30:00Z']);
    expect(formatTime(timer.pending[0]!.due)).toBe('2026-01-10T03:46:00Z');
    await c.stop();
    expect(timer.pending).toHaveLength(0);
  });

  it('keeps its schedule when a run fails, and the next run succeeds', async () => {
    const { clock, timer, store, snapshots } = await setup();
    const { logger, lines } = capture();
    const c = new Compactor({ store, snapshots, clock, timer, logger });
    snapshots.failPuts({ afterBytes: 100 });
    c.start();
    await timer.fireNext();
    expect(c.status()!.failed).toEqual([{ cluster: 'test', error: expect.stringMatching(/injected fault/) }]);
    expect(await c.catalog.manifests()).toEqual([]);
    expect(lines.some((l) => l.msg === 'snapshot failed; the next run retries' && l.level === 50)).toBe(true);
    await timer.fireNext();
    expect(c.status()!.failed).toEqual([]);
    expect((await c.catalog.manifests()).map((m) => formatTime(m.at))).toEqual(['2026-01-10T03:30:00Z']);
    await c.stop();
  });

  it('runOnce does not duplicate a snapshot for the same time, and runs never overlap', async () => {
    const { clock, store, snapshots } = await setup();
    const c = new Compactor({ store, snapshots, clock, logger: silentLogger });
    const at = T0 + 3 * HOUR;
    const [a, b] = await Promise.all([c.runOnce({ at }), c.runOnce({ at })]);
    expect(a!.snapshots.length + b!.snapshots.length).toBe(1);
    expect(await c.catalog.manifests('test')).toHaveLength(1);
    const now = await c.runOnce({ snapshotOnly: true });
    expect(now.at).toBe(clock.now() - MINUTE);
    expect(now.snapshots).toHaveLength(1);
    expect(now.swept).toBeUndefined();
  });

  it('sweeps leftovers of interrupted runs once they are an hour old', async () => {
    const { clock, store, snapshots } = await setup();
    snapshots.failPuts({ match: (k) => k.startsWith('manifests/') });
    const c = new Compactor({ store, snapshots, clock, logger: silentLogger, partBytes: 5_000 });
    // The failed run's own cleanup is defeated, as when the process is killed.
    snapshots.delete = async () => {};
    await c.runOnce();
    const leftovers = [...snapshots.blobs.keys()].filter((k) => k.startsWith('parts/'));
    expect(leftovers.length).toBeGreaterThan(1);
    const realDelete = Object.getPrototypeOf(snapshots).delete.bind(snapshots);
    snapshots.delete = realDelete;
    expect((await c.runOnce({ at: T0 + 3 * HOUR })).swept).toEqual({ leftovers: 0, incomplete: 0 });
    clock.advance(HOUR + MINUTE);
    const r = await c.runOnce({ at: T0 + 3 * HOUR + 15 * MINUTE });
    expect(r.swept!.leftovers).toBe(1);
    expect([...snapshots.blobs.keys()].filter((k) => leftovers.includes(k))).toEqual([]);
  });

  it('applies retention behind its snapshots and thins old ones', async () => {
    const clock = new ManualClock(T0 + 4 * DAY);
    const store = await filledStore({ span: 4 * DAY, changes: 800, objects: 100 });
    const snapshots = new MemorySnapshotStore(clock);
    const c = new Compactor({ store, snapshots, clock, logger: silentLogger, retention: false });
    for (let at = T0 + HOUR; at <= T0 + 4 * DAY - HOUR; at += 3 * HOUR) await c.runOnce({ at });
    const before = (await c.catalog.manifests('test')).length;
    const withRetention = new Compactor({ store, snapshots, clock, logger: silentLogger });
    const r = await withRetention.runOnce({ at: T0 + 4 * DAY - MINUTE });
    expect(r.retention![0]!.removed).toBeGreaterThan(0);
    expect(r.thinned).toBeGreaterThan(0);
    const after = await withRetention.catalog.manifests('test');
    expect(after.length).toBe(before + 1 - r.thinned!);
    const horizon = r.retention![0]!.horizons.find((h) => h.gk === 'Event')!;
    expect(after.some((m) => m.id === horizon.snapshotId)).toBe(true);
  });

  it('warns before the disk budget is reached and errs once it is exceeded', async () => {
    const { clock, store, snapshots } = await setup();
    const { logger, lines } = capture();
    let used = 700;
    const c = new Compactor({ store, snapshots, clock, logger, retention: false, diskBudget: { bytes: 1000, usage: async () => used } });
    expect((await c.runOnce()).disk!.level).toBe('ok');
    used = 850;
    expect((await c.runOnce()).disk!.level).toBe('warning');
    expect(lines.filter((l) => l.level === 40 && String(l.msg).includes('85 % of its disk budget'))).toHaveLength(1);
    used = 1200;
    expect((await c.runOnce()).disk!.level).toBe('exceeded');
    expect(lines.some((l) => l.level === 50 && String(l.msg).includes('over its disk budget'))).toBe(true);
  });

  it('classifies disk use', () => {
    expect(diskStatus(0, 100).level).toBe('ok');
    expect(diskStatus(79, 100).level).toBe('ok');
    expect(diskStatus(80, 100).level).toBe('warning');
    expect(diskStatus(95, 100, 0.95).level).toBe('warning');
    expect(diskStatus(100, 100).level).toBe('exceeded');
  });
});
