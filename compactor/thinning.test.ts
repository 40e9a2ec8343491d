import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../core/snapshot.ts';
import { formatTime } from '../core/time.ts';
import { DEFAULT_RETENTION } from './retention.ts';
import { defaultKeepAllFor, keepSinceFor, planThinning } from './thinning.ts';
import { DAY, HOUR, MINUTE, T0 } from './testing/fixtures.ts';

const manifest = (at: number): SnapshotManifest => ({
  format: 'kubetime.snapshot/v1', id: `s${at}`, cluster: 'c', at, takenAt: at, covers: { changesThrough: at, receivedBy: at },
  counts: { objects: 0, bytes: 0, rawBytes: 0, byKind: {} }, parts: [],
});

describe('planThinning', () => {
  // Snapshots every 15 minutes for 40 days; now = the end.
  const all = Array.from({ length: 40 * 96 }, (_, i) => manifest(T0 + i * 15 * MINUTE));
  const now = all.at(-1)!.at + MINUTE;
  const keepAllFor = defaultKeepAllFor(DEFAULT_RETENTION);
  const keepSince = keepSinceFor(DEFAULT_RETENTION, now);

  it('keeps everything recent, one a day before that, nothing older than the longest retention', () => {
    const doomed = new Set(planThinning({ manifests: all, now, keepAllFor, keepSince, protect: new Set() }));
    const kept = all.filter((m) => !doomed.has(m));
    const recent = kept.filter((m) => m.at >= now - keepAllFor);
    expect(recent.length).toBe(all.filter((m) => m.at >= now - keepAllFor).length);
    const older = kept.filter((m) => m.at < now - keepAllFor);
    // The anchor (newest at or before now - 30 d), then the first of each following day.
    expect(formatTime(older[0]!.at)).toBe(formatTime(all.filter((m) => m.at <= keepSince!).at(-1)!.at));
    expect(older.slice(1).every((m) => m.at % DAY === 0)).toBe(true);
    expect(older.length).toBeLessThanOrEqual(31);
    expect(kept.length).toBeLessThan(150);
  });

  it('never deletes protected snapshots or the newest one', () => {
    const protectedOne = all[100]!;
    const doomed = planThinning({ manifests: all, now, keepAllFor, keepSince, protect: new Set([protectedOne.id]) });
    expect(doomed).not.toContain(protectedOne);
    const lonely = [manifest(T0)];
    expect(planThinning({ manifests: lonely, now: T0 + 100 * DAY, keepAllFor, keepSince: T0 + 50 * DAY, protect: new Set() })).toEqual([]);
  });

  it('keeps everything older when some scope is kept forever', () => {
    expect(keepSinceFor([{ gk: 'Event', maxAge: DAY }, {}], now)).toBeUndefined();
    expect(keepSinceFor([{ gk: 'Event', maxAge: DAY }], now)).toBeUndefined(); // no catch-all: the rest is kept forever
    const doomed = planThinning({ manifests: all, now, keepAllFor, keepSince: undefined, protect: new Set() });
    const kept = all.filter((m) => !doomed.includes(m) && m.at < now - keepAllFor);
    expect(kept.length).toBe(40 - 1); // one per day outside the keep-all window
  });

  it('keeps every snapshot for the shortest retention plus two hours', () => {
    expect(defaultKeepAllFor(DEFAULT_RETENTION)).toBe(DAY + 2 * HOUR);
    expect(defaultKeepAllFor([{ maxAge: 30 * DAY }])).toBe(7 * DAY + 2 * HOUR);
  });
});
