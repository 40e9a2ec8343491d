import { describe, expect, it } from 'vitest';
import { MALFORMED } from './kube-api.ts';
import { resourceInfo, type TrackedMap } from '../records.ts';
import { recordsOfEvents } from './watch-events.ts';

const ctx = { cluster: 'c1', resource: resourceInfo({ group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'] }) };
const node = (uid: string, rv: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { uid, name: uid, resourceVersion: rv } });

describe('recordsOfEvents', () => {
  it('never writes a tracked revision again, and turns a re-ADDED known uid into MODIFIED', () => {
    const known: TrackedMap = new Map([['a', { rv: '5', namespace: '', name: 'a' }]]);
    const r = recordsOfEvents([
      { type: 'MODIFIED', object: node('a', '5') },
      { type: 'ADDED', object: node('a', '6') },
      { type: 'ADDED', object: node('b', '7') },
      { type: 'MODIFIED', object: node('b', '7') },
      { type: 'DELETED', object: node('a', '8') },
    ], { known, ctx, rv: '5', now: 42 });
    expect(r.records.map((x) => `${x.op} ${x.uid}@${x.resourceVersion}`)).toEqual(['MODIFIED a@6', 'ADDED b@7', 'DELETED a@8']);
    expect(r.records[0]).toMatchObject({ namespace: '', ts: 42, observedAt: 42, source: 'watch' });
    expect(r.records[2]!.object).toMatchObject({ metadata: { resourceVersion: '8' } });
    expect(r.rv).toBe('8');
    expect([...known.keys()]).toEqual(['b']);
  });

  it('follows bookmarks, stops at ERROR events and reports 410 as gone', () => {
    const known: TrackedMap = new Map();
    const bm = recordsOfEvents([{ type: 'BOOKMARK', object: { kind: 'Node', metadata: { resourceVersion: '77' } } }], { known, ctx, rv: '5', now: 1 });
    expect(bm).toMatchObject({ rv: '77', progressed: true, records: [] });
    const gone = recordsOfEvents([
      { type: 'ADDED', object: node('x', '80') },
      { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } },
      { type: 'ADDED', object: node('y', '81') },
    ], { known, ctx, rv: '77', now: 1 });
    expect(gone.gone).toBe(true);
    expect(gone.records.map((x) => x.uid)).toEqual(['x']);
    const other = recordsOfEvents([{ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'boom' } }], { known, ctx, rv: '80', now: 1 });
    expect(other.error?.status).toBe(500);
    expect(other.gone).toBe(false);
  });

  it('counts unusable events instead of failing', () => {
    const r = recordsOfEvents([MALFORMED, { type: 'ADDED', object: null }, { type: 'ADDED', object: { metadata: { uid: 'u', name: 'n' } } }], { known: new Map(), ctx, rv: '1', now: 1 });
    expect(r.records).toEqual([]);
    expect(r.dropped).toEqual({ malformed: 1, no_identity: 2 });
    expect(r.progressed).toBe(false);
  });

  it('in a replay, skips revisions already stored and never moves the tracked state back', () => {
    // Stored before the restart: a@5, a@6 (a tracked at 6); b@7 and its deletion at 9 (b untracked).
    const known: TrackedMap = new Map([['a', { rv: '6', namespace: '', name: 'a' }]]);
    const stored = new Set(['c1\u0000a\u00005', 'c1\u0000a\u00006', 'c1\u0000b\u00007', 'c1\u0000b\u0000DELETED']);
    const r = recordsOfEvents([
      { type: 'MODIFIED', object: node('a', '5') },
      { type: 'ADDED', object: node('b', '7') },
      { type: 'MODIFIED', object: node('a', '6') },
      { type: 'DELETED', object: node('b', '9') },
      { type: 'MODIFIED', object: node('a', '10') },
      { type: 'ADDED', object: node('c', '11') },
    ], { known, ctx, rv: '4', now: 1, stored });
    expect(r.records.map((x) => `${x.op} ${x.uid}@${x.resourceVersion}`)).toEqual(['MODIFIED a@10', 'ADDED c@11']);
    expect(known.get('a')!.rv).toBe('10');
    expect(known.has('b')).toBe(false);
    expect(r.rv).toBe('11');
    // An older revision served again after that (no stored set) is neither written nor tracked.
    const again = recordsOfEvents([{ type: 'MODIFIED', object: node('a', '6') }], { known, ctx, rv: '11', now: 2 });
    expect(again.records).toEqual([]);
    expect(known.get('a')!.rv).toBe('10');
  });
});
