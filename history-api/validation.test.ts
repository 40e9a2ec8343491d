import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as s from './schemas.ts';
import { testServer } from './testing/fakes.ts';

/** Every query endpoint: its schema, a valid query using every parameter, and its required ones. */
const ENDPOINTS: Record<string, { schema: z.ZodObject; valid: Record<string, string>; required: string[] }> = {
  '/v1/object': {
    schema: s.objectQuery,
    valid: { kind: 'deploy', name: 'web', namespace: 'default', at: 'now', view: 'full', wide: 'false', fields: 'spec.replicas', cluster: 'c1' },
    required: ['kind', 'name', 'at'],
  },
  '/v1/objects': {
    schema: s.objectsQuery,
    valid: { kind: 'deploy', namespace: 'default', labelSelector: 'app=web', fieldSelector: 'metadata.name=web', at: 'now', view: 'summary', wide: 'true', fields: 'spec.replicas,status.phase', limit: '10', continue: 'tok', cluster: 'c1' },
    required: ['kind', 'at'],
  },
  '/v1/history': {
    schema: s.historyQuery,
    valid: { kind: 'deploy', name: 'web', namespace: 'default', from: 'now-1h', to: 'now', limit: '10', continue: 'tok', objects: 'true', view: 'full', cluster: 'c1' },
    required: ['kind', 'name'],
  },
  '/v1/diff': {
    schema: s.diffQuery,
    valid: { kind: 'deploy', name: 'web', namespace: 'default', from: 'now-1h', to: 'now', labelSelector: 'app=web', raw: 'true', view: 'full', limit: '10', continue: 'tok', cluster: 'c1' },
    required: ['kind', 'from', 'to'],
  },
  '/v1/graph': {
    schema: s.graphQuery,
    valid: { kind: 'deploy', name: 'web', namespace: 'default', at: 'now', hops: '3', limit: '10', continue: 'tok', cluster: 'c1' },
    required: ['kind', 'name', 'at'],
  },
  '/v1/changes': {
    schema: s.changesQuery,
    valid: { from: 'now-1h', to: 'now', namespace: 'default', kind: 'deploy', name: 'web', actor: 'alice', excludeSystem: 'true', limit: '10', continue: 'tok', cluster: 'c1' },
    required: ['from', 'to'],
  },
  '/v1/events': {
    schema: s.eventsQuery,
    valid: { from: 'now-1h', to: 'now', namespace: 'default', kind: 'pod', name: 'web-1', type: 'Warning', reason: 'BackOff', order: 'asc', view: 'summary', limit: '10', continue: 'tok', cluster: 'c1' },
    required: ['from', 'to'],
  },
};

const BAD_TIMES = ['', 'yesterday', '2026-13-01T00:00:00Z', '2026-01-10', '2026-01-10T10:00:00', 'now-5w', 'now+1h', '1704067200', 'now-99999999999999999999d'];

/** Bad values by parameter name. */
const BAD: Record<string, string[]> = {
  kind: ['', 'deploy ments', 'apps/deployments', '-x', 'k'.repeat(254)],
  name: ['', 'a/b', '..', 'a%2Fb', 'n'.repeat(254)],
  namespace: ['', 'Default', 'a_b', '-a', 'n'.repeat(64)],
  at: BAD_TIMES,
  from: BAD_TIMES,
  to: BAD_TIMES,
  limit: ['', '0', '-1', '1.5', 'ten', '10001', '99999999999', '1e3'],
  hops: ['', '-1', '6', 'two', '1.5'],
  raw: ['', 'yes', '1', 'TRUE'],
  objects: ['', 'no', '0', 'False'],
  excludeSystem: ['', 'yes', '1'],
  cluster: ['', 'a\u0001b', 'c'.repeat(254)],
  continue: ['', 't'.repeat(4097)],
  actor: ['', 'a'.repeat(1025)],
  labelSelector: ['l'.repeat(4097)],
  fieldSelector: ['f'.repeat(4097)],
  view: ['', 'yaml', 'Summary'],
  wide: ['', 'yes', 'True'],
  fields: ['', 'spec..x', 'a,[', 'f'.repeat(4097)],
  type: ['', 'Error', 'warnings'],
  reason: ['', 'r'.repeat(257)],
  order: ['', 'newest', 'ASC'],
};

function url(path: string, query: Record<string, string | string[]>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of [v].flat()) qs.append(k, one);
  return `${path}?${qs}`;
}

async function expect400(path: string, query: Record<string, string | string[]>, param: string) {
  const { app, queries } = testServer();
  const res = await app.inject({ url: url(path, query) });
  expect(res.statusCode, `${res.body}`).toBe(400);
  const body = res.json();
  expect(body.error.code).toBe('INVALID_ARGUMENT');
  expect(body.error.details.param).toBe(param);
  expect(body.error.message.startsWith(`${param}: `), body.error.message).toBe(true);
  expect(queries.calls).toEqual([]);
}

describe('query parameter validation', () => {
  for (const [path, ep] of Object.entries(ENDPOINTS)) {
    describe(path, () => {
      it('accepts the valid query that uses every parameter', async () => {
        const { app } = testServer();
        const res = await app.inject({ url: url(path, ep.valid) });
        expect(res.statusCode, res.body).toBe(200);
      });

      it('has a bad-value case for every parameter it declares', () => {
        const params = Object.keys(ep.schema.shape).sort();
        expect(Object.keys(ep.valid).sort()).toEqual(params);
        for (const p of params) expect(BAD[p], p).toBeDefined();
      });

      for (const param of Object.keys(ep.valid)) {
        it(`rejects bad values of ${param} naming it`, async () => {
          for (const bad of BAD[param]!) await expect400(path, { ...ep.valid, [param]: bad }, param);
        });
        it(`rejects ${param} given twice naming it`, async () => {
          await expect400(path, { ...ep.valid, [param]: [ep.valid[param]!, ep.valid[param]!] }, param);
        });
      }

      for (const param of ep.required) {
        it(`requires ${param}`, async () => {
          const { [param]: _omit, ...rest } = ep.valid;
          const { app } = testServer();
          const res = await app.inject({ url: url(path, rest) });
          expect(res.statusCode).toBe(400);
          expect(res.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', message: `${param}: is required`, details: { param } });
        });
      }

      it('rejects unknown parameters, naming them', async () => {
        await expect400(path, { ...ep.valid, lables: 'app=web' }, 'lables');
        const { app } = testServer();
        const res = await app.inject({ url: url(path, { ...ep.valid, pretty: 'true', watch: '1' }) });
        expect(res.json().error.message).toMatch(/^pretty: unknown query parameters \(pretty, watch\); /);
      });

      if ('from' in ep.valid && 'to' in ep.valid) {
        it('rejects a reversed window naming from', async () => {
          await expect400(path, { ...ep.valid, from: '2026-01-10T10:00:00Z', to: '2026-01-10T09:59:59.999999Z' }, 'from');
          await expect400(path, { ...ep.valid, from: 'now', to: 'now-1s' }, 'from');
        });
      }
    });
  }

  it('accepts every documented time form', async () => {
    for (const at of ['2026-01-10T10:05:00Z', '2026-01-10T12:05:00.123+02:00', '2026-01-10t10:05:00.123456789z', 'now', 'now-90s', 'now-2h', 'now-3d', 'now-15m']) {
      const { app } = testServer();
      const res = await app.inject({ url: url('/v1/object', { kind: 'deploy', name: 'web', namespace: 'default', at }) });
      expect(res.statusCode, at).toBe(200);
    }
  });

  it('refuses an at later than now beyond the clock-skew allowance, naming at', async () => {
    await expect400('/v1/object', { kind: 'deploy', name: 'web', namespace: 'default', at: '2026-01-10T12:00:06Z' }, 'at');
    await expect400('/v1/objects', { kind: 'deploy', at: '2027-01-01T00:00:00Z' }, 'at');
    const { app } = testServer(); // the fake clock's now is 12:00:00; 5 s of skew are allowed
    expect((await app.inject({ url: url('/v1/graph', { kind: 'deploy', name: 'web', namespace: 'default', at: '2026-01-10T12:00:04Z' }) })).statusCode).toBe(200);
  });

  it('accepts a window whose ends are equal (inclusive bounds)', async () => {
    const { app } = testServer();
    const res = await app.inject({ url: url('/v1/changes', { from: '2026-01-10T10:00:00Z', to: '2026-01-10T12:00:00+02:00' }) });
    expect(res.statusCode).toBe(200);
  });

  it('answers a malformed URL with a 400 in the error shape', async () => {
    const { app } = testServer();
    const res = await app.inject({ url: '/v1/object%ZZ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_ARGUMENT');
  });

  it('names the first missing parameter when the query is empty', async () => {
    const { app } = testServer();
    const res = await app.inject({ url: '/v1/graph' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('kind: is required');
  });
});
