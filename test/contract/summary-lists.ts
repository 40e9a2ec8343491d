/**
 * Summary lists as of T, for every store that keeps slim objects (HistoryStore.summaryStatesAt):
 * a fixture that exercises the summary columns, and the check that every summary list answered
 * from slim objects equals the one cut from full objects (kinds, times, viewers, selectors, paging,
 * wide). Used by the LMDB and Cassandra contract tests.
 */
import { expect } from 'vitest';
import { TRUSTED_VIEWER, viewerFor, type Access, type Viewer } from '../../core/access.ts';
import type { HistoryStore } from '../../core/ports.ts';
import { showList } from '../../core/present/objects.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { ChangeRecord, KubeObject } from '../../core/record.ts';
import { at, twoNamespaces } from '../fixtures/two-namespaces.ts';
import { pod, rec } from './history-store.contract.ts';

const namespaceAccess = (namespaces: string[]): Access => ({ allowed: async (_s, a) => (a.namespace === '' ? a.resource === 'nodes' : namespaces.includes(a.namespace)) });
const viewers: [string, Viewer][] = [['trusted', TRUSTED_VIEWER], ['a reader of namespace a', viewerFor(namespaceAccess(['a']), { user: 'team-a', groups: [] })]];

/** The fixture of the access tests, Pods that churn and restart, one deleted, and a custom resource. */
export function slimListRecords(): ChangeRecord[] {
  const out = twoNamespaces();
  for (let i = 0; i < 12; i++) {
    const name = `orders-${i}`;
    const base = pod(name, `p${i}`, '1');
    (base.metadata as Record<string, unknown>).namespace = i % 2 ? 'a' : 'b';
    (base.metadata as Record<string, unknown>).creationTimestamp = '2026-03-01T10:00:00Z';
    const r = (rv: number, minute: number, object: KubeObject | null, op: ChangeRecord['op'] = 'MODIFIED') =>
      rec({ cluster: 'kt', namespace: i % 2 ? 'a' : 'b', name, uid: `p${i}`, rv: String(1000 + i * 100 + rv), ts: at(minute), op, object });
    out.push(r(1, 1, base, 'ADDED'));
    for (let k = 2; k < 8; k++) {
      const o = structuredClone(base);
      (o.status as Record<string, unknown>).containerStatuses = [{ name: 'app', restartCount: k, ready: k % 2 === 0, state: k % 2 ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: { startedAt: '2026-03-01T10:02:00Z' } }, lastState: { terminated: { finishedAt: `2026-03-01T10:0${k}:00Z` } } }];
      out.push(r(k, k + 0.5, o));
    }
    if (i === 3) out.push(r(9, 6.2, null, 'DELETED'));
  }
  const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'a', uid: 'w1' }, spec: { size: 3 } };
  out.push(rec({ cluster: 'kt', apiVersion: 'example.com/v1', group: 'example.com', kind: 'Widget', resource: 'widgets', namespace: 'a', name: 'w', uid: 'w1', rv: '5000', ts: at(2), op: 'ADDED', object: widget }));
  return out;
}

/** Every summary list (kinds, times, viewers, selectors, wide) answered from slim rows equals the one from full objects. */
export async function expectSameSummaryLists(store: HistoryStore): Promise<void> {
  const q = createHistoryQueries({ store });
  const answer = async (r: Parameters<typeof q.listAt>[0], wide: boolean) => {
    try {
      const got = await q.listAt(r);
      return { at: got.at, continue: got.continue, ...showList(got.items, { view: 'summary', at: got.at, wide }, r.namespace === undefined) };
    } catch (e) {
      return { error: (e as { code?: string }).code };
    }
  };
  for (const kind of ['pods', 'deployments', 'replicasets', 'services', 'configmaps', 'events', 'nodes', 'namespaces', 'widgets.example.com']) {
    for (const [who, viewer] of viewers) {
      for (const minute of [0, 1, 2.6, 5, 6.1, 6.5, 9]) {
        for (const more of [{}, { namespace: 'a' }, { labelSelector: 'app=orders' }, { fieldSelector: 'metadata.name!=orders-2' }, { limit: 3 }]) {
          const r = { viewer, kind, at: at(minute), ...more };
          const wide = minute > 5;
          expect(await answer({ ...r, summary: true }, wide), `${kind} ${who} ${minute} ${JSON.stringify(more)}`).toEqual(await answer(r, wide));
        }
      }
    }
  }
}
