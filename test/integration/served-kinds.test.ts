/**
 * Kinds the cluster serves answer over HTTP before any object of theirs is stored (a CRD just
 * established), by every name kubectl accepts; categories filter the change feed; an unknown kind
 * is a 400 naming it; a kind no longer served answers for its past. Real queries over the
 * embedded store, through buildServer().inject(); no service needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindInfo } from '../../core/kinds.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import { buildServer } from '../../history-api/index.ts';
import { fixedClock, NOW, silentLogger } from '../../history-api/testing/fakes.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { rec } from '../contract/history-store.contract.ts';

const GIZMO: KindInfo = { group: 'example.com', version: 'v1', kind: 'Gizmo', resource: 'gizmos', namespaced: true, shortNames: ['gzm'], singular: 'gizmo', categories: ['all'] };

describe('kinds served by the cluster, over HTTP', () => {
  let dir: string;
  let store: LmdbHistoryStore;
  let served: KindInfo[] = [GIZMO];
  let app: ReturnType<typeof buildServer>;
  const get = async (url: string) => {
    const res = await app.inject({ url });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-served-kinds-'));
    store = LmdbHistoryStore.open({ path: dir });
    await store.append([
      rec({ cluster: 'c1', name: 'web-1', uid: 'p1', rv: '10', op: 'ADDED', ts: NOW - 60e6 }),
      rec({ cluster: 'c1', kind: 'ConfigMap', resource: 'configmaps', name: 'cfg', uid: 'c1', rv: '11', op: 'ADDED', ts: NOW - 50e6, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', uid: 'c1', resourceVersion: '11' } } }),
    ]);
    app = buildServer({ queries: createHistoryQueries({ store, servedKinds: () => served }), clock: fixedClock, logger: silentLogger });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a served kind with no object stored yet answers by kind, plural, singular, short name and kind.group', async () => {
    for (const kind of ['Gizmo', 'gizmos', 'gizmo', 'gzm', 'gizmos.example.com']) {
      const r = await get(`/v1/objects?kind=${kind}&namespace=shop&at=now`);
      expect([r.status, r.body.items], kind).toEqual([200, []]);
    }
    const one = await get('/v1/object?kind=gzm&namespace=shop&name=g1&at=now');
    expect(one.status).toBe(404);
  });

  it('an unknown kind stays a 400 naming it', async () => {
    const r = await get('/v1/objects?kind=sprocket&at=now');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('sprocket');
  });

  it('the category all filters the change feed by its kinds, and is a 400 where one kind is needed', async () => {
    const feed = await get('/v1/changes?kind=all&from=now-1h&to=now');
    expect(feed.status).toBe(200);
    expect(feed.body.items.map((i: { kind: string; name: string }) => `${i.kind}/${i.name}`)).toEqual(['Pod/web-1']);
    const list = await get('/v1/objects?kind=all&at=now');
    expect(list.status).toBe(400);
    expect(JSON.stringify(list.body)).toContain('category');
  });

  it('a kind no longer served answers for its past from what the store holds', async () => {
    await store.append([rec({ cluster: 'c1', group: 'example.com', apiVersion: 'example.com/v1', kind: 'Gizmo', resource: 'gizmos', name: 'g1', uid: 'g1', rv: '12', op: 'ADDED', ts: NOW - 40e6, object: { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g1', namespace: 'shop', uid: 'g1', resourceVersion: '12' } } })]);
    served = [];
    const r = await get('/v1/history?kind=gizmos&namespace=shop&name=g1');
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(1);
    expect((await get('/v1/objects?kind=gzm&at=now')).status).toBe(400); // its short name was known from discovery only
  });
});
