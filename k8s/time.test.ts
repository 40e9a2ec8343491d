import { describe, expect, it } from 'vitest';
import { formatTime, humanDuration, parseRfc3339 } from './time.ts';

describe('time', () => {
  it('parses RFC 3339 with any fraction and offset to microseconds', () => {
    expect(parseRfc3339('2026-01-10T10:05:00Z')).toBe(Date.UTC(2026, 0, 10, 10, 5) * 1000);
    expect(parseRfc3339('2026-01-10T12:05:00.123+02:00')).toBe(Date.UTC(2026, 0, 10, 10, 5, 0, 123) * 1000);
    expect(parseRfc3339('2026-01-10T10:05:00.123456Z')! % 1_000_000).toBe(123456);
    expect(parseRfc3339('2026-01-10T10:05:00.123456789Z')! % 1_000_000).toBe(123456);
    expect(new Date(parseRfc3339('0075-01-01T00:00:00Z')! / 1000).getUTCFullYear()).toBe(75);
  });

  it('rejects malformed and impossible dates', () => {
    for (const bad of ['2026-01-10', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-01-10T25:00:00Z', '2026-01-10T10:05:00', 'yesterday', '']) {
      expect(parseRfc3339(bad), bad).toBeUndefined();
    }
  });

  it('formats as UTC with only the fraction digits needed, and round-trips', () => {
    expect(formatTime(Date.UTC(2026, 0, 10, 10, 5) * 1000)).toBe('2026-01-10T10:05:00Z');
    expect(formatTime(Date.UTC(2026, 0, 10, 10, 5) * 1000 + 120)).toBe('2026-01-10T10:05:00.00012Z');
    const t = parseRfc3339('2026-01-10T12:05:00.654321+02:00')!;
    expect(parseRfc3339(formatTime(t))).toBe(t);
  });
});

describe('humanDuration', () => {
  it('follows kubectl', () => {
    expect([45, 119, 150, 330, 2700, 3 * 3600 + 300, 30 * 3600, 3 * 86400 + 4 * 3600, 120 * 86400, 800 * 86400, -1].map(humanDuration))
      .toEqual(['45s', '119s', '2m30s', '5m30s', '45m', '3h5m', '30h', '3d4h', '120d', '2y70d', '<unknown>']);
  });
});
