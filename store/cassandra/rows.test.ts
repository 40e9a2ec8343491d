import { describe, expect, it } from 'vitest';
import { slimForSummary } from '../../core/present/slim.ts';
import type { ChangeRecord } from '../../core/record.ts';
import { CQL } from './cql.ts';
import { revisionStatement, slimCell, slimOfCell } from './rows.ts';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'n', uid: 'u', labels: { app: 'x' } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: 'x'.repeat(300) }] }] }, status: { phase: 'Running' } };
const rec = (over: Partial<ChangeRecord> = {}): ChangeRecord => ({
  cluster: 'c', apiVersion: 'v1', group: '', kind: 'Pod', resource: 'pods', namespace: 'n', name: 'a', uid: 'u', resourceVersion: '7',
  op: 'MODIFIED', ts: 1, observedAt: 1, source: 'watch', object: pod, ...over,
});

describe('revisions.slim (schema/002_summary_slim.cql)', () => {
  it('holds the slim object of a revision, null for an unknown object, nothing for a deletion', () => {
    expect(slimOfCell(slimCell(rec(), false)!)).toEqual(slimForSummary(pod));
    expect(JSON.stringify(slimOfCell(slimCell(rec(), false)!))).not.toContain('xxxx'); // not the object
    expect(slimOfCell(slimCell(rec({ object: null }), false)!)).toBeNull();
    expect(slimCell(rec({ op: 'DELETED' }), false)).toBeUndefined(); // unset: no tombstone
    expect(slimCell(rec({ op: 'DELETED' }), true)).toBeNull(); // a rewrite clears it
  });

  it('is bound to the slim column of the insert, before the TTL', () => {
    const cols = /\(([^)]*)\)\s*VALUES/.exec(CQL.insertRevision)![1]!.split(',').map((c) => c.trim());
    const s = revisionStatement(rec(), { codec: 0, body: Buffer.from('{}'), baseHash: null }, 0, 60, false);
    expect(s.params).toHaveLength(cols.length + 1);
    expect(slimOfCell(s.params[cols.indexOf('slim')] as Buffer)).toEqual(slimForSummary(pod));
    expect(s.params.at(-1)).toBe(60);
  });

  it('refuses a cell it cannot decode with INTERNAL', () => {
    expect(() => slimOfCell(Buffer.from('{"spec":'))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
