import { describe, expect, it } from 'vitest';
import { parseTime } from './time.ts';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0) * 1000;

describe('parseTime', () => {
  it('understands now and now-<n><unit>, and names the parameter when it cannot', () => {
    expect(parseTime('now', 'at', NOW)).toBe(NOW);
    expect(parseTime('now-90s', 'at', NOW)).toBe(NOW - 90e6);
    expect(parseTime('now-2h', 'at', NOW)).toBe(NOW - 2 * 3600e6);
    expect(parseTime('now-1d', 'at', NOW)).toBe(NOW - 86400e6);
    expect(() => parseTime('now-5y', 'from', NOW)).toThrow(/^from: /);
    expect(() => parseTime('soon', 'to', NOW)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { param: 'to' } }));
  });
});
