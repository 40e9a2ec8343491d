import { describe, expect, it } from 'vitest';
import type { Revision } from '../core/ports.ts';
import { encodeLine, gunzipLines, gzipText, lineKey, lineRecord, pastFilter, recordKey } from './format.ts';
import { collect } from './testing/fixtures.ts';

const rec = (name: string, extra: Record<string, unknown> = {}): Revision => ({
  cluster: 'c', apiVersion: 'v1', group: '', kind: 'ConfigMap', resource: 'configmaps', namespace: 'n', name, uid: 'u',
  resourceVersion: '1', op: 'ADDED', ts: 1, observedAt: 2, source: 'watch',
  object: { metadata: { name }, data: { tricky: '],"r":{"k":["x"]}\n\\"', ...extra } },
});

async function* from<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

describe('snapshot line format', () => {
  it('reads the key without the record, even with awkward text inside the record', () => {
    const r = rec('a"b],"r":');
    const line = encodeLine(recordKey(r), r).slice(0, -1);
    expect(lineKey(line)).toEqual(['ConfigMap', 'n', 'a"b],"r":']);
    expect(lineRecord(line)).toEqual(r);
  });

  it('round-trips many lines through gzip, across chunk boundaries', async () => {
    const recs = Array.from({ length: 3000 }, (_, i) => rec(`obj-${String(i).padStart(5, '0')}`, { pad: 'é'.repeat(i % 97) }));
    const gz = await collect(gzipText(from(recs.map((r) => encodeLine(recordKey(r), r)))));
    const lines = await collect(gunzipLines(from(gz)));
    expect(lines.map(lineRecord)).toEqual(recs);
  });

  it('rejects truncated or non-gzip input as SNAPSHOT_INVALID', async () => {
    const gz = Buffer.concat(await collect(gzipText(from([encodeLine(['a', 'b', 'c'], rec('c'))]))));
    await expect(collect(gunzipLines(from([gz.subarray(0, gz.length - 10)])))).rejects.toMatchObject({ code: 'SNAPSHOT_INVALID' });
    await expect(collect(gunzipLines(from([Buffer.from('plain text')])))).rejects.toMatchObject({ code: 'SNAPSHOT_INVALID' });
  });

  it('knows when a sorted reader is past its filter', () => {
    expect(pastFilter(['Pod', 'b', 'x'], { gk: 'Pod', namespace: 'a' })).toBe(true);
    expect(pastFilter(['Pod', 'a', 'x'], { gk: 'Pod', namespace: 'a' })).toBe(false);
    expect(pastFilter(['Service', 'a', 'x'], { gk: 'Pod' })).toBe(true);
    expect(pastFilter(['Service', 'a', 'x'], { namespace: 'a' })).toBe(false);
  });
});
