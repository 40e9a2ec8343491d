/**
 * One paging mechanism on every list-shaped endpoint, on a seeded simulator scenario: walking
 * the pages with a small limit gives exactly the one-page answer (nothing lost, nothing twice),
 * every page reuses the first page's resolved times, and nothing is ever cut without a token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../core/queries.ts';
import { PAGE_LIMITS } from '../core/present/index.ts';
import { formatTime } from '../core/time.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { buildServer, type HistoryServer } from './server.ts';
import { seedStore, type SeededHistory } from './testing/seeded-store.ts';

type Body = Record<string, any>; // manifests are untyped JSON

const dir = mkdtempSync(join(tmpdir(), 'kubetime-paging-'));
let seeded: SeededHistory;
let store: LmdbHistoryStore;
let app: HistoryServer;
let now: number;

beforeAll(async () => {
  seeded = await seedStore(dir, { seconds: 600 });
  store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  now = seeded.end;
  // A clock that moves: pages asked later must still answer about the first page's times.
  app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => (now += 7e6) }, logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(url: string): Promise<Body> {
  const res = await app.inject({ url });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json() as Body;
}

/** Every page of `url` at `limit`, and the list keys that hold items. */
async function walk(url: string, limit: number, keys: string[]): Promise<{ pages: Body[]; items: unknown[] }> {
  const pages: Body[] = [];
  let token: string | undefined;
  do {
    const page = await get(`${url}&limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    pages.push(page);
    token = page.continue;
  } while (token && pages.length < 500);
  return { pages, items: pages.flatMap((p) => keys.flatMap((k) => p[k] ?? [])) };
}

const END = () => formatTime(seeded.end);

describe('paging on every list-shaped endpoint', () => {
  const ago = (m: number) => formatTime(seeded.end - m * 60e6);
  const cases: [string, () => string, string[], number][] = [
    ['/v1/objects', () => `/v1/objects?kind=pods&at=${END()}`, ['items'], 7],
    ['/v1/history', () => `/v1/history?kind=deploy&name=billing&namespace=shop&to=${END()}`, ['items'], 5],
    ['/v1/changes', () => `/v1/changes?from=${ago(10)}&to=${END()}`, ['items'], 97],
    ['/v1/events', () => `/v1/events?from=${ago(10)}&to=${END()}`, ['items'], 97],
    ['/v1/events (folded)', () => `/v1/events?from=${ago(10)}&to=${END()}&view=summary`, ['items'], 31],
    ['/v1/diff (scope)', () => `/v1/diff?kind=pods&from=${ago(8)}&to=${END()}`, ['added', 'removed', 'changed'], 11],
    ['/v1/graph', () => `/v1/graph?kind=deploy&name=billing&namespace=shop&at=${END()}`, ['nodes', 'edges'], 4],
  ];
  for (const [name, url, keys, limit] of cases) {
    it(`${name}: the pages together are the one-page answer, each about the first page's time`, async () => {
      const whole = await walk(url(), 5000, keys);
      expect(whole.pages).toHaveLength(1);
      const paged = await walk(url(), limit, keys);
      expect(paged.pages.length).toBeGreaterThan(1);
      // A graph's edges come in the page of their later end, so compare them as a set.
      const sorted = (xs: unknown[]) => (name === '/v1/graph' ? xs.map((x) => JSON.stringify(x)).sort() : xs);
      expect(sorted(paged.items)).toEqual(sorted(whole.items));
      for (const p of paged.pages.slice(0, -1)) expect(p.continue).toBeTypeOf('string');
    });
  }

  it('the pages of a `now` list stay about the first page\'s now while the clock moves on', async () => {
    now = seeded.end;
    const first = await get('/v1/changes?from=now-10m&to=now&limit=20');
    const second = await get(`/v1/changes?from=now-10m&to=now&limit=20&continue=${first.continue}`);
    expect(second.asOf).toBe(first.asOf);
    expect(second.from).toBe(first.from);
    expect(Date.parse(second.items[0].ts)).toBeLessThanOrEqual(Date.parse(first.items.at(-1).ts));
    const objs = await get('/v1/objects?kind=pods&at=now&limit=3');
    expect((await get(`/v1/objects?kind=pods&at=now&limit=3&continue=${objs.continue}`)).asOf).toBe(objs.asOf);
  });

  it('the change feed is never cut silently: past the default page it says so with a token', async () => {
    const first = await get(`/v1/changes?from=${formatTime(seeded.end - 600e6)}&to=${END()}`);
    expect(first.items).toHaveLength(PAGE_LIMITS.changes.default);
    expect(first.continue).toBeTypeOf('string');
  });

  it('events come newest first: limit=3 gives the latest three', async () => {
    const w = `from=${formatTime(seeded.end - 600e6)}&to=${END()}`;
    const all = await get(`/v1/events?${w}&limit=5000`);
    expect(all.items.length).toBeGreaterThan(10);
    const three = await get(`/v1/events?${w}&limit=3`);
    expect(three.items).toEqual(all.items.slice(0, 3));
    const last = (e: Body) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp);
    expect(last(three.items[0])).toBeGreaterThanOrEqual(last(all.items.at(-1)));
    const asc = await get(`/v1/events?${w}&limit=3&order=asc`);
    expect(asc.items).toEqual([...all.items].reverse().slice(0, 3));
  });

  it('a token is refused for another endpoint or other filters, naming continue', async () => {
    const w = `from=${formatTime(seeded.end - 600e6)}&to=${END()}`;
    const page = await get(`/v1/changes?${w}&limit=5`);
    const other = await app.inject({ url: `/v1/events?${w}&continue=${page.continue}` });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.message).toMatch(/^continue: /);
    const filters = await app.inject({ url: `/v1/changes?${w}&namespace=shop&continue=${page.continue}` });
    expect(filters.json().error.message).toMatch(/^continue: the token belongs to a request with other filters/);
  });
});

describe('OpenAPI', () => {
  it('names every operation with a unique operationId', async () => {
    const doc = (await get('/openapi.json?')) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ at: `${m} ${path}`, id: op.operationId })));
    expect(ops.filter((o) => !o.id)).toEqual([]);
    expect(new Set(ops.map((o) => o.id)).size).toBe(ops.length);
  });
});
