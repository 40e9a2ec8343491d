import { describe, expect, it } from 'vitest';
import { KubeApiError, LineSplitter, isGone, parseWatchLine } from './kube-api.ts';
import { backoffDelay } from '../timing.ts';

describe('LineSplitter', () => {
  it('reassembles lines split across chunks, including multi-byte characters', () => {
    const text = '{"type":"ADDED","object":{"n":"é✓"}}\r\n{"type":"BOOKMARK"}\n\n{"type":"DELETED"}';
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 7, 64]) {
      const s = new LineSplitter();
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size), (l) => lines.push(l));
      s.flush((l) => lines.push(l));
      expect(lines).toEqual(['{"type":"ADDED","object":{"n":"é✓"}}', '{"type":"BOOKMARK"}', '{"type":"DELETED"}']);
    }
  });

  it('refuses an endless line instead of buffering it', () => {
    const s = new LineSplitter(10);
    expect(() => s.push(Buffer.from('x'.repeat(11)), () => {})).toThrow(KubeApiError);
  });

  it('parses events and marks junk as MALFORMED', () => {
    expect(parseWatchLine('{"type":"ADDED","object":{}}').type).toBe('ADDED');
    expect(parseWatchLine('{"type":').type).toBe('MALFORMED');
    expect(parseWatchLine('[1,2]').type).toBe('MALFORMED');
    expect(parseWatchLine('null').type).toBe('MALFORMED');
  });

  it('recognises 410 in both forms', () => {
    expect(isGone(new KubeApiError('x', { status: 410 }))).toBe(true);
    expect(isGone(new KubeApiError('x', { status: 0, reason: 'Expired' }))).toBe(true);
    expect(isGone(new KubeApiError('x', { status: 500 }))).toBe(false);
    expect(isGone(new Error('410'))).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap, with half of each step jittered', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, p, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, p, () => 0.999999))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
