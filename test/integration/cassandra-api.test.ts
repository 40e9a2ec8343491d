/**
 * The whole HTTP API on Cassandra: the recorded audit story (test/fixtures/audit/orders.ndjson)
 * is POSTed to /v1/audit of two servers — one on CassandraHistoryStore, one on the embedded
 * store — and every query of API.md must answer identically (status and body), including the
 * 404 `existed` intervals, lists with selectors and continue tokens, diffs, graphs and events.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHistoryQueries } from '../../core/queries.ts';
import type { HistoryStore } from '../../core/ports.ts';
import { parseRfc3339 } from '../../core/time.ts';
import { buildServer, type HistoryServer } from '../../history-api/index.ts';
import { AuditSink } from '../../ingester/audit/audit-sink.ts';
import { CassandraHistoryStore } from '../../store/cassandra/index.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { describeCassandra, dropKeyspace, freshKeyspace } from './cassandra-helpers.ts';

const FIXTURE = 'test/fixtures/audit/orders.ndjson';
const NOW = parseRfc3339('2026-01-10T12:00:00Z')!;

function server(store: HistoryStore): HistoryServer {
  const sink = new AuditSink({ writer: { write: async (r) => void (await store.append(r)) }, clock: { now: () => NOW }, cluster: 'prod' });
  return buildServer({
    queries: createHistoryQueries({ store }),
    clock: { now: () => NOW },
    logger: pino({ level: 'silent' }),
    auditIngest: (body) => sink.ingestList(body),
  });
}

const T = (hms: string) => `2026-01-10T${hms}Z`;
const URLS = [
  `/v1/object?kind=deploy&namespace=shop&name=orders&at=${T('10:05:00.2')}`,
  `/v1/object?kind=deploy&namespace=shop&name=orders&at=${T('10:05:00.199999')}`,
  `/v1/object?kind=po&namespace=shop&name=orders-7d9f-b&at=${T('10:08:10')}`,
  `/v1/object?kind=Pod&namespace=shop&name=orders-7d9f-b&at=${T('10:08:45')}`,
  `/v1/object?kind=pods&namespace=shop&name=orders-7d9f-b&at=${T('10:09:00')}`,
  `/v1/object?kind=Pod&namespace=shop&name=never&at=${T('10:09:00')}`,
  `/v1/object?kind=no&name=node-1&at=${T('10:04:00')}`,
  `/v1/object?kind=secret&namespace=shop&name=db-creds&at=${T('10:10:00')}`,
  `/v1/object?kind=Gizmo&namespace=shop&name=x&at=${T('10:04:00')}`,
  `/v1/objects?kind=pods&namespace=shop&at=${T('10:04:00')}`,
  `/v1/objects?kind=pods&namespace=shop&at=${T('10:08:45')}`,
  `/v1/objects?kind=pods&at=${T('10:04:00')}&labelSelector=${encodeURIComponent('app in (orders,web),!canary')}`,
  `/v1/objects?kind=pods&namespace=shop&at=${T('10:04:00')}&fieldSelector=${encodeURIComponent('spec.nodeName=node-1')}`,
  `/v1/objects?kind=pods&namespace=shop&at=${T('10:04:00')}&limit=1`,
  `/v1/objects?kind=namespaces&at=${T('10:04:00')}`,
  `/v1/objects?kind=deploy&at=${T('09:00:00')}`,
  `/v1/history?kind=Deployment&namespace=shop&name=orders`,
  `/v1/history?kind=pods&namespace=shop&name=orders-7d9f-b&from=${T('10:05:00')}&to=${T('10:10:00')}`,
  `/v1/diff?kind=Deployment&namespace=shop&name=orders&from=${T('10:01:00')}&to=${T('10:06:00')}`,
  `/v1/diff?kind=Deployment&namespace=shop&name=orders&from=${T('10:01:00')}&to=${T('10:06:00')}&raw=true`,
  `/v1/diff?kind=pods&namespace=shop&from=${T('10:04:00')}&to=${T('10:09:30')}`,
  `/v1/graph?kind=deploy&namespace=shop&name=orders&at=${T('10:04:30')}&hops=3`,
  `/v1/graph?kind=deploy&namespace=shop&name=orders&at=${T('10:00:04.8')}&hops=3`,
  `/v1/graph?kind=pvc&namespace=shop&name=orders-data&at=${T('10:06:00')}&hops=1`,
  `/v1/changes?from=${T('10:00:00')}&to=${T('10:10:00')}`,
  `/v1/changes?from=${T('10:00:00')}&to=${T('10:10:00')}&actor=bob`,
  `/v1/changes?from=${T('10:08:00')}&to=${T('10:08:30')}&kind=pods&namespace=shop`,
  `/v1/changes?from=${T('10:00:00')}&to=${T('12:00:00')}&limit=3`,
  `/v1/events?from=${T('10:00:00')}&to=${T('10:10:00')}&namespace=shop&kind=Pod&name=orders-7d9f-a`,
  `/v1/clusters`,
];

describeCassandra('the HTTP API on Cassandra answers like on the embedded store', (target) => {
  const keyspace = freshKeyspace('kt_api');
  const dir = mkdtempSync(join(tmpdir(), 'kubetime-api-'));
  let cass: CassandraHistoryStore;
  let lmdb: LmdbHistoryStore;
  let apps: HistoryServer[];

  beforeAll(async () => {
    cass = await CassandraHistoryStore.connect({ ...target(), keyspace, migrate: true });
    lmdb = LmdbHistoryStore.open({ path: dir });
    apps = [server(cass), server(lmdb)];
    const events = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    for (const app of apps) {
      // In webhook-sized batches, the whole log twice (the apiserver retries): nothing changes.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < events.length; i += 5) {
          const res = await app.inject({ method: 'POST', url: '/v1/audit', payload: { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: events.slice(i, i + 5) } });
          expect(res.statusCode).toBe(200);
        }
      }
    }
  }, 180_000);

  afterAll(async () => {
    for (const app of apps ?? []) await app.close();
    await cass?.close();
    await lmdb?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropKeyspace(target(), keyspace);
  }, 120_000);

  it.each(URLS)('GET %s', async (url) => {
    const [c, l] = await Promise.all(apps.map((app) => app.inject({ method: 'GET', url })));
    expect(c!.statusCode).toBe(l!.statusCode);
    expect(c!.json()).toEqual(l!.json());
  });

  it('really answers (not two equal errors)', async () => {
    const ok = await Promise.all(URLS.map((url) => apps[0]!.inject({ method: 'GET', url })));
    expect(ok.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(URLS.length - 3);
    const list = await apps[0]!.inject({ method: 'GET', url: URLS[9]! });
    expect(list.json().items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['orders-7d9f-a', 'orders-7d9f-b']);
    const gone = await apps[0]!.inject({ method: 'GET', url: URLS[3]! });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.details.existed).toEqual([{ from: '2026-01-10T10:00:02.5Z', to: '2026-01-10T10:08:30Z' }, { from: '2026-01-10T10:09:00Z', to: null }]);
  });

  it('follows a continue token to the second page', async () => {
    const first = (await apps[0]!.inject({ method: 'GET', url: URLS[13]! })).json();
    const second = await apps[0]!.inject({ method: 'GET', url: `/v1/objects?kind=pods&namespace=shop&at=${T('10:04:00')}&limit=1&continue=${first.continue}` });
    expect(second.json().items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['orders-7d9f-b']);
  });
});
