/**
 * GET /v1/objects in view=raw and view=full answered from objects' JSON text (ListAtResult
 * `texts`, presentListAtText; the embedded store's text cache) sends the very bytes the answer
 * presented from objects sends: every kind of a seeded scenario, both views, with and without a
 * namespace, selectors, paging, two readers (one limited to one namespace), asked cold and warm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Access } from '../core/access.ts';
import { createHistoryQueries } from '../core/queries.ts';
import type { HistoryQueries } from '../core/query-types.ts';
import { formatTime } from '../core/time.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { TokenFileAuthenticator } from './auth/authenticator.ts';
import { buildServer, type HistoryServer } from './server.ts';
import { seedStore, type SeededHistory } from './testing/seeded-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubetime-list-text-'));
let seeded: SeededHistory;
let store: LmdbHistoryStore;
let texts: HistoryServer;
let objects: HistoryServer;
const logs: { texts: Record<string, unknown>[]; objects: Record<string, unknown>[] } = { texts: [], objects: [] };
let namespaces: string[];

function logger(into: Record<string, unknown>[]): FastifyBaseLogger {
  return pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { into.push(JSON.parse(String(chunk))); done(); } })) as unknown as FastifyBaseLogger;
}

beforeAll(async () => {
  seeded = await seedStore(dir, { seconds: 300 });
  store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  const found = new Set<string>();
  for await (const l of store.lifetimes({ cluster: 'sim' })) if (l.key.namespace) found.add(l.key.namespace);
  namespaces = [...found].sort();
  const onlyFirst: Access = { allowed: async (s, a) => s.user !== 'team-a' || a.namespace === namespaces[0] };
  const readAuth = { authenticator: new TokenFileAuthenticator('secret-a,team-a,ua,"readers"\nsecret-admin,admin,uadmin,"admins"\n'), access: onlyFirst, anonymous: 'refused' as const };
  const queries = createHistoryQueries({ store });
  // The answer presented from objects: the same queries, never asked for text.
  const fromObjects: HistoryQueries = { ...queries, listAt: (r) => queries.listAt({ ...r, text: undefined }) };
  const clock = { now: () => seeded.end };
  texts = buildServer({ queries, clock, logger: logger(logs.texts), readAuth });
  objects = buildServer({ queries: fromObjects, clock, logger: logger(logs.objects), readAuth });
}, 60_000);

afterAll(async () => {
  await texts?.close();
  await objects?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/objects from JSON text', () => {
  it('sends the same bytes as the answer presented from objects, cold and warm, whoever asks', async () => {
    expect(namespaces.length).toBeGreaterThan(1);
    const spy = vi.spyOn(store, 'objectTextsAt');
    const kinds = (await store.kinds('sim')).map((k) => `${k.resource}${k.group ? `.${k.group}` : ''}`);
    expect(kinds).toEqual(expect.arrayContaining(['pods', 'deployments.apps']));
    const times = [seeded.end, seeded.end - 100e6, seeded.end - 250e6].map(formatTime);
    let compared = 0;
    let items = 0;
    for (const kind of kinds) {
      for (const at of times) {
        for (const view of ['raw', 'full']) {
          for (const more of ['', `&namespace=${namespaces[0]}`, `&namespace=${namespaces[1]}`, '&labelSelector=app', '&fieldSelector=metadata.name!=x', '&limit=2']) {
            for (const auth of [{ authorization: 'Bearer secret-admin' }, { authorization: 'Bearer secret-a' }]) {
              let url: string | undefined = `/v1/objects?kind=${kind}&at=${encodeURIComponent(at)}&view=${view}${more}`;
              for (let page = 0; url && page < 50; page++) {
                const want = await objects.inject({ url, headers: auth });
                for (let pass = 0; pass < 2; pass++) {
                  const got = await texts.inject({ url, headers: auth });
                  expect([got.statusCode, got.headers['content-type'], got.payload], `${url} ${JSON.stringify(auth)}`).toEqual([want.statusCode, want.headers['content-type'], want.payload]);
                  compared++;
                }
                const body = want.json() as { items?: unknown[]; continue?: string };
                items += body.items?.length ?? 0;
                url = body.continue ? `/v1/objects?kind=${kind}&view=${view}&continue=${body.continue}${more.replace(/&namespace=[^&]*/, (m) => m)}` : undefined;
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(items).toBeGreaterThan(1000);
    expect(spy).toHaveBeenCalled();
    expect(store.textCache!.entries).toBeGreaterThan(0);
    // The query log says the same of both (items, asOf), and the text answers were not parsed to say it.
    const facts = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'call').map((l) => [l.call, l.status, l.items, l.asOf]);
    expect(facts(logs.texts)).toEqual(facts(logs.objects).flatMap((f) => [f, f])); // each asked twice of the text server
    expect(facts(logs.texts).some((f) => typeof f[2] === 'number' && f[2] > 0 && typeof f[3] === 'string')).toBe(true);
  });

  it('the Kubernetes face\'s LISTs and Tables send the same bytes as from objects, asked cold and again', async () => {
    const spy = vi.spyOn(store, 'objectTextsAt');
    spy.mockClear();
    const at = formatTime(seeded.end - 100e6);
    let compared = 0;
    let items = 0;
    for (const path of ['api/v1/pods', `api/v1/namespaces/${namespaces[0]}/pods`, `api/v1/namespaces/${namespaces[1]}/pods`, 'apis/apps/v1/deployments', 'api/v1/nodes', 'api/v1/events', 'apis/apiextensions.k8s.io/v1/customresourcedefinitions']) {
      for (const more of ['', 'labelSelector=app', 'fieldSelector=metadata.name!=x', 'fieldSelector=status.phase!=Failed', 'limit=2', 'includeObject=None', 'includeObject=Object&limit=3', 'includeObject=Metadata&labelSelector=app']) {
        for (const auth of [{ authorization: 'Bearer secret-admin' }, { authorization: 'Bearer secret-a' }]) {
          for (const accept of [{}, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }]) {
            let url: string | undefined = `/k8s/at/${at}/${path}?${more}`;
            for (let page = 0; url && page < 50; page++) {
              const headers = { ...auth, ...accept };
              const want = await objects.inject({ url, headers });
              for (const ask of ['cold', 'again']) {
                const got = await texts.inject({ url, headers });
                expect([got.statusCode, got.headers['content-type'], got.payload], `${url} ${JSON.stringify(headers)} ${ask}`).toEqual([want.statusCode, want.headers['content-type'], want.payload]);
                compared++;
              }
              const body = want.json() as { items?: unknown[]; rows?: unknown[]; metadata?: { continue?: string } };
              items += body.items?.length ?? body.rows?.length ?? 0;
              url = body.metadata?.continue ? `/k8s/at/${at}/${path}?${more}&continue=${body.metadata.continue}` : undefined;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect(items).toBeGreaterThan(100);
    expect(spy).toHaveBeenCalled();
    // Tables read the rows' texts (slim object and metadata), {Kind}Lists the raw texts.
    expect(new Set(spy.mock.calls.map((c) => c[3].name))).toEqual(new Set(['raw', 'tableRow']));
  });
});
