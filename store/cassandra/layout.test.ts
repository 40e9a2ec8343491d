import { describe, expect, it } from 'vitest';
import { Buckets, checkLayout, DEFAULT_LAYOUT, placedIn, windowStart } from './layout.ts';

const SEC = 1_000_000;
const DAY = 86_400 * SEC;
const b = new Buckets(DEFAULT_LAYOUT);
const T = Date.UTC(2026, 0, 10, 10, 5, 7) * 1000 + 123;

describe('windowStart', () => {
  it('floors to the window, also before 1970', () => {
    expect(windowStart(T, 86_400)).toBe(Date.UTC(2026, 0, 10) * 1000);
    expect(windowStart(-1, 60)).toBe(-60 * SEC);
    expect(windowStart(0, 60)).toBe(0);
  });
});

describe('Buckets', () => {
  it('puts Events in hourly lifetime epochs and other kinds in daily ones', () => {
    expect(b.epochLength('Event')).toBe(3600 * SEC);
    expect(b.epochLength('Event.events.k8s.io')).toBe(3600 * SEC);
    expect(b.epochLength('Pod')).toBe(DAY);
    expect(b.epoch('Event', T)).toBe(Date.UTC(2026, 0, 10, 10) * 1000);
  });

  it('uses 60 s cluster feed buckets and 300 s namespace feed buckets', () => {
    expect(b.feed(T, false)).toBe(Date.UTC(2026, 0, 10, 10, 5) * 1000);
    expect(b.feed(T, true)).toBe(Date.UTC(2026, 0, 10, 10, 5) * 1000);
    expect(b.feed(T + 4 * 60 * SEC, true)).toBe(Date.UTC(2026, 0, 10, 10, 5) * 1000);
    expect(b.feed(T + 5 * 60 * SEC, true)).toBe(Date.UTC(2026, 0, 10, 10, 10) * 1000);
  });

  it('lists the days of a window in either order', () => {
    const d0 = Date.UTC(2026, 0, 10) * 1000;
    expect(b.days(T, T + DAY, 'asc')).toEqual([d0, d0 + DAY]);
    expect(b.days(T, T + DAY, 'desc')).toEqual([d0 + DAY, d0]);
    expect(b.days(T, T, 'asc')).toEqual([d0]);
  });

  it('spreads names over every shard, the same name always to the same shard', () => {
    const shards = new Set(Array.from({ length: 500 }, (_, i) => b.shard('ns', `pod-${i}`)));
    expect([...shards].sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(b.shard('a', 'b')).toBe(b.shard('a', 'b'));
  });
});

describe('placedIn', () => {
  const E = 100;
  const L = 10;
  it('places a lifetime in the epoch it began in and every epoch it was alive in', () => {
    expect(placedIn(95, null, E, L)).toBe(true); // alive into the epoch
    expect(placedIn(105, null, E, L)).toBe(true); // began in it
    expect(placedIn(110, null, E, L)).toBe(false); // began after it
    expect(placedIn(90, 100, E, L)).toBe(false); // gone exactly at its start
    expect(placedIn(90, 101, E, L)).toBe(true);
    expect(placedIn(100, 100, E, L)).toBe(true); // zero-length, began at its start
  });
});

describe('checkLayout', () => {
  it('refuses lengths that are not positive integers or do not tile a day', () => {
    expect(() => checkLayout({ ...DEFAULT_LAYOUT, lifetimeShards: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => checkLayout({ ...DEFAULT_LAYOUT, feedBucketSeconds: 7 })).toThrow(/divide 86400/);
    expect(checkLayout({ ...DEFAULT_LAYOUT })).toEqual(DEFAULT_LAYOUT);
  });
});
