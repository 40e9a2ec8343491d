/**
 * As-of answers when revisions are stored out of their real order: a watch record is timed when
 * kubetime saw it (an upper bound), an audit record exactly, so a revision can be stored after a
 * later one. Cases seen against a real kube-apiserver (test/e2e/fidelity.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../../core/queries.ts';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { queriesAs, type QueriesAs } from '../../core/viewed-queries.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { pod, rec } from '../contract/history-store.contract.ts';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 10, 10, 0, 0) * 1000;

describe('as of T with revisions stored out of order', () => {
  let dir: string;
  let store: LmdbHistoryStore;
  let q: QueriesAs;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-order-'));
    store = LmdbHistoryStore.open({ path: dir });
    q = queriesAs(createHistoryQueries({ store }), TRUSTED_VIEWER);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const at = (t: number) => q.objectAt({ kind: 'Pod', namespace: 'shop', name: 'orders-1', at: t });

  it('answers with the newest resourceVersion among what is stored at or before T', async () => {
    await store.append([
      rec({ rv: '1', ts: T0, op: 'ADDED', object: pod('orders-1', 'uid-1', '1') }),
      // The kubelet's status update, audited at 5.0 s...
      rec({ rv: '3', ts: T0 + 5 * S, source: 'audit', object: pod('orders-1', 'uid-1', '3', { status: { phase: 'Running' } }) }),
      // ...after the binding (rv 2), which only the watch saw, at 5.3 s.
      rec({ rv: '2', ts: T0 + 5.3 * S, object: pod('orders-1', 'uid-1', '2', { status: { phase: 'Pending' } }) }),
    ]);
    expect((await at(T0 + 4.9 * S)).revision.resourceVersion).toBe('1');
    expect((await at(T0 + 5.1 * S)).revision.resourceVersion).toBe('3');
    const later = await at(T0 + 5.4 * S);
    expect(later.revision.resourceVersion).toBe('3');
    expect(later.object.status).toEqual({ phase: 'Running' });
    const list = await q.listAt({ kind: 'pods', namespace: 'shop', at: T0 + 5.4 * S });
    expect(list.items.map((o) => (o.metadata as { resourceVersion: string }).resourceVersion)).toEqual(['3']);
    // History tells the revisions in the order they were committed, patches between neighbours.
    const h = await q.history({ kind: 'Pod', namespace: 'shop', name: 'orders-1' });
    expect(h.items.map((i) => i.resourceVersion)).toEqual(['1', '2', '3']);
    expect(h.items[2]!.patch).toEqual([{ op: 'replace', path: '/status/phase', value: 'Running' }]);
  });

  it('treats a deletion as final for its uid even when an earlier revision is stored after it', async () => {
    await store.append([
      rec({ rv: '1', ts: T0, op: 'ADDED' }),
      rec({ rv: '10', ts: T0 + 6 * S, op: 'DELETED', source: 'audit' }),
      rec({ rv: '9', ts: T0 + 6.1 * S }),
    ]);
    await expect(at(T0 + 6.2 * S)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await q.listAt({ kind: 'pods', namespace: 'shop', at: T0 + 6.2 * S })).items).toEqual([]);
    // A new uid under the same name afterwards is the object again.
    await store.append([rec({ rv: '20', uid: 'uid-2', ts: T0 + 7 * S, op: 'ADDED', object: pod('orders-1', 'uid-2', '20') })]);
    expect((await at(T0 + 7 * S)).object.metadata).toMatchObject({ uid: 'uid-2' });
  });
});
