import { describe, expect, it } from 'vitest';
import { aggregateEvents, eventMatches } from './events.ts';
import { decodeToken, encodeToken, pageAt, pageSize, PAGE_LIMITS } from './paging.ts';
import { valueChanges } from './diff.ts';

const ev = (name: string, reason: string, message: string, last: string, count = 1, type = 'Warning') => ({
  kind: 'Event', metadata: { name, namespace: 'shop' }, type, reason, message, count,
  involvedObject: { kind: 'Pod', namespace: 'shop', name: 'orders-1' },
  firstTimestamp: '2026-01-10T10:00:00Z', lastTimestamp: last,
});

describe('Event aggregation', () => {
  it('folds by (object, reason, message): counts add up, first earliest, last latest; newest first', () => {
    const groups = aggregateEvents([
      ev('a', 'BackOff', 'Back-off restarting failed container', '2026-01-10T10:05:00Z', 4),
      ev('b', 'BackOff', 'Back-off restarting failed container', '2026-01-10T10:09:00Z', 3),
      ev('c', 'Pulled', 'Container image pulled', '2026-01-10T10:01:00Z', 1, 'Normal'),
    ]);
    expect(groups).toEqual([
      { type: 'Warning', reason: 'BackOff', object: 'Pod/orders-1', namespace: 'shop', message: 'Back-off restarting failed container', count: 7, first: '2026-01-10T10:00:00Z', last: '2026-01-10T10:09:00Z' },
      { type: 'Normal', reason: 'Pulled', object: 'Pod/orders-1', namespace: 'shop', message: 'Container image pulled', count: 1, first: '2026-01-10T10:00:00Z', last: '2026-01-10T10:01:00Z' },
    ]);
    expect(aggregateEvents([ev('c', 'Pulled', 'x', '2026-01-10T10:01:00Z'), ev('a', 'B', 'y', '2026-01-10T10:05:00Z')], 'asc').map((g) => g.reason)).toEqual(['Pulled', 'B']);
  });

  it('filters by type (case-insensitive) and reason', () => {
    expect(eventMatches(ev('a', 'BackOff', 'm', '2026-01-10T10:00:00Z'), { type: 'warning' })).toBe(true);
    expect(eventMatches(ev('a', 'BackOff', 'm', '2026-01-10T10:00:00Z'), { type: 'Normal' })).toBe(false);
    expect(eventMatches(ev('a', 'BackOff', 'm', '2026-01-10T10:00:00Z'), { reason: 'Pulled' })).toBe(false);
  });
});

describe('paging', () => {
  it('a token round-trips with its times and cursor, and only for its own query and filters', () => {
    const t = encodeToken({ query: 'changes', times: [1, 2], cursor: [2, 1] }, { namespace: 'shop' });
    expect(decodeToken(t, 'changes', { namespace: 'shop' })).toEqual({ query: 'changes', times: [1, 2], cursor: [2, 1] });
    expect(() => decodeToken(t, 'events', { namespace: 'shop' })).toThrow(/continue: a token of another query/);
    expect(() => decodeToken(t, 'changes', { namespace: 'web' })).toThrow(/continue: the token belongs to a request with other filters/);
    expect(() => decodeToken('garbage', 'changes', {})).toThrow(/continue: not a token/);
  });

  it('page sizes: default, and a larger limit capped at the maximum', () => {
    expect(pageSize('events', undefined)).toBe(PAGE_LIMITS.events.default);
    expect(pageSize('events', 1_000_000)).toBe(PAGE_LIMITS.events.max);
    expect(pageAt([1, 2, 3, 4, 5], 0, 2)).toEqual({ items: [1, 2], next: 2 });
    expect(pageAt([1, 2, 3, 4, 5], 4, 2)).toEqual({ items: [5] });
  });
});

describe('value changes', () => {
  it('each op with its old and new value', () => {
    const before = { spec: { replicas: 2, paused: true, template: { image: 'a' } } };
    expect(valueChanges(before, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/spec/paused' },
      { op: 'add', path: '/spec/minReady', value: 5 },
    ])).toEqual([
      { path: '/spec/replicas', op: 'replace', old: 2, new: 3 },
      { path: '/spec/paused', op: 'remove', old: true },
      { path: '/spec/minReady', op: 'add', new: 5 },
    ]);
  });
});
