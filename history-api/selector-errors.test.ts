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

async function refused(query: string): Promise<unknown> {
  const res = await app.inject({ url: `/v1/objects?kind=pods&at=${formatTime(seeded.end)}&${query}` });
  expect(res.statusCode, res.body).toBe(400);
  return res.json();
}

describe('refused selectors', () => {
  it('a label selector: INVALID_ARGUMENT, the apiserver message after the parameter, the selector in details', async () => {
    expect(await refused(`labelSelector=${encodeURIComponent('app in (web')}`)).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: "labelSelector: unable to parse requirement: found '', expected: ',' or ')'",
        details: { param: 'labelSelector', selector: 'app in (web' },
      },
    });
  });

  it('a field selector the kind does not support, and one that does not parse', async () => {
    expect(await refused(`fieldSelector=${encodeURIComponent('spec.color=red')}`)).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'fieldSelector: field label not supported: spec.color',
        details: { param: 'fieldSelector', selector: 'spec.color=red' },
      },
    });
    expect(await refused('fieldSelector=nonsense')).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: "fieldSelector: invalid selector: 'nonsense'; can't understand 'nonsense'",
        details: { param: 'fieldSelector', selector: 'nonsense' },
      },
    });
  });
});
