/**
 * A refused selector answers 400 with the apiserver's message, naming the parameter: the k8s/
 * parser throws K8sInvalidError and core turns it into INVALID_ARGUMENT (core/errors.ts
 * `k8sInvalidAsArgument`); these are the bodies users and scripts see.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryQueries } from '../core/queries.ts';
import { formatTime } from '../core/time.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { buildServer, type HistoryServer } from './server.ts';
import { seedStore, type SeededHistory } from './testing/seeded-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubetime-selector-errors-'));
let seeded: SeededHistory;
let store: LmdbHistoryStore;
let app: HistoryServer;

beforeAll(async () => {
  seeded = await seedStore(dir, { seconds: 60 });
  store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => seeded.end }, logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const asOf = () => formatTime(seeded.end);

describe('refused selectors', () => {
  // [parameter, selector, the apiserver's message for it]
  const cases: [string, string, string][] = [
    ['labelSelector', 'app in (web', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['fieldSelector', 'spec.color=red', 'field label not supported: spec.color'],
    ['fieldSelector', 'nonsense', "invalid selector: 'nonsense'; can't understand 'nonsense'"],
  ];
  it.each(cases)('%s=%s: 400 INVALID_ARGUMENT, the apiserver message after the parameter, the selector in details', async (param, selector, reason) => {
    const res = await app.inject({ url: `/v1/objects?kind=pods&at=${asOf()}&${param}=${encodeURIComponent(selector)}` });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: `${param}: ${reason}`, details: { param, selector } } });
  });
});
