import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { all } from '../../core/scope.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { pod, rec } from '../../test/contract/history-store.contract.ts';
import { AttributingWriter } from './attributing-writer.ts';
import { Attributor } from './attributor.ts';
import { recallRecentRevisions } from './attributor-recall.ts';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;
const KEY = { cluster: 'c1', gk: 'Pod', namespace: 'shop', name: 'orders-1' };
const revision = (rv: string, spec: Record<string, unknown>) =>
  rec({ rv, ts: T0 + Number(rv) * S, source: 'watch', op: rv === '1' ? 'ADDED' : 'MODIFIED', object: pod('orders-1', 'uid-1', rv, { spec }) });
const binding = { cluster: 'c1', uid: 'uid-1', match: { by: 'nodeName' as const, nodeName: 'n1' }, ts: T0 + 1.5 * S, verb: 'create', actor: { username: 'system:kube-scheduler' }, auditID: 'b1' };

describe('recallRecentRevisions', () => {
  it('lets an audit batch delivered after a restart attribute the revisions the previous process stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-recall-'));
    const store = LmdbHistoryStore.open({ path: dir });
    const fresh = () => new AttributingWriter({ inner: { write: async (r) => void (await store.append(r)) }, attributor: new Attributor({ now: () => T0 + 5 * S }), onError: (e) => { throw e; } });
    const actors = async () => (await all(store.revisions({ key: KEY, order: 'asc' }))).map((r) => [r.resourceVersion, r.actor?.username]);
    try {
      // The previous process stored the pod unscheduled, then bound (the watch's records), and stopped.
      await fresh().write([revision('1', {}), revision('2', { nodeName: 'n1' })]);
      // A new process without recall: the scheduler's Binding finds nothing to name, and waits.
      const forgetful = fresh();
      await forgetful.writeAudited([], [binding]);
      await forgetful.settled();
      expect(await actors()).toEqual([['1', undefined], ['2', undefined]]);
      // With recall, the same batch names the binding revision.
      const w = fresh();
      expect(await recallRecentRevisions(w, store, 'c1')).toBe(2);
      await w.writeAudited([], [binding]);
      await w.settled();
      expect(await actors()).toEqual([['1', undefined], ['2', 'system:kube-scheduler']]);
      // Only the last two minutes before the newest stored change are recalled.
      await store.append([rec({ name: 'later', uid: 'uid-2', rv: '300', ts: T0 + 300 * S, op: 'ADDED', object: pod('later', 'uid-2', '300') })]);
      expect(await recallRecentRevisions(fresh(), store, 'c1')).toBe(1);
      expect(await recallRecentRevisions(fresh(), store, 'other')).toBe(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a Metadata-level delete delivered after a restart name the deletion the previous process stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-recall-'));
    const store = LmdbHistoryStore.open({ path: dir });
    try {
      const gone = { ...revision('2', { nodeName: 'n1' }), op: 'DELETED' as const, observedAt: T0 + 2 * S };
      await store.append([revision('1', {}), gone]);
      const w = new AttributingWriter({ inner: { write: async (r) => void (await store.append(r)) }, attributor: new Attributor({ now: () => T0 + 5 * S }), onError: (e) => { throw e; } });
      expect(await recallRecentRevisions(w, store, 'c1')).toBe(2);
      const del = {
        cluster: 'c1', uid: '', named: { gk: 'Pod', namespace: 'shop', name: 'orders-1' }, match: { by: 'within' as const, window: { from: T0 + 1.9 * S, to: T0 + 1.95 * S, ops: ['DELETED' as const, 'MODIFIED' as const] } },
        ts: T0 + 1.95 * S, verb: 'delete', actor: { username: 'carol' }, auditID: 'd1',
      };
      await w.writeAudited([], [del]);
      await w.settled();
      const revs = await all(store.revisions({ key: KEY, order: 'asc' }));
      expect(revs.map((r) => [r.op, r.actor?.username])).toEqual([['ADDED', undefined], ['DELETED', 'carol']]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes what a recalled revision completes when its attribution arrived first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-recall-'));
    const store = LmdbHistoryStore.open({ path: dir });
    try {
      await store.append([revision('1', {}), revision('2', { nodeName: 'n1' })]);
      const w = new AttributingWriter({ inner: { write: async (r) => void (await store.append(r)) }, attributor: new Attributor({ now: () => T0 + 5 * S }), onError: (e) => { throw e; } });
      await w.writeAudited([], [binding]); // the audit sink answers before the recall is done
      await recallRecentRevisions(w, store, 'c1');
      await w.settled();
      const revs = await all(store.revisions({ key: KEY, order: 'asc' }));
      expect(revs.map((r) => [r.resourceVersion, r.ts, r.actor?.username])).toEqual([['1', T0 + S, undefined], ['2', T0 + 1.5 * S, 'system:kube-scheduler']]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
