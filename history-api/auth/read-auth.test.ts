import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { TRUSTED_VIEWER, type Access } from '../../core/access.ts';
import { testServer } from '../testing/fakes.ts';
import { forbidden } from '../../core/visibility.ts';
import { TokenFileAuthenticator } from './authenticator.ts';
import type { ReadAuth } from './read-auth.ts';

const tokens = new TokenFileAuthenticator('secret-a,team-a,ua,"readers"\n');
const onlyA: Access = { allowed: async (_s, a) => a.namespace === 'a' };
const authenticated: ReadAuth = { authenticator: tokens, access: onlyA, anonymous: 'refused' };

function logged() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { raw.push(String(chunk)); lines.push(JSON.parse(String(chunk))); done(); } });
  return { logger: pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger, lines, raw };
}

describe('read authentication', () => {
  it('without authentication on loopback, serves reads as the trusted viewer', async () => {
    const { app, queries } = testServer({ readAuth: { access: onlyA, anonymous: 'trusted' } });
    expect((await app.inject({ url: '/v1/clusters' })).statusCode).toBe(200);
    expect(queries.viewers).toEqual([TRUSTED_VIEWER]);
  });

  it('without authentication beyond loopback, refuses every read (401) but not the probes', async () => {
    const { app, queries } = testServer({ readAuth: { access: onlyA, anonymous: 'refused' } });
    const res = await app.inject({ url: '/v1/objects?kind=pods' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/beyond loopback/) });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(queries.calls).toEqual([]);
  });

  it('answers 401 without a token and with a token it does not accept, and never reaches the queries', async () => {
    const { app, queries } = testServer({ readAuth: authenticated });
    const none = await app.inject({ url: '/v1/changes?from=now-1h&to=now' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await app.inject({ url: '/v1/changes?from=now-1h&to=now', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toMatch(/not accepted/);
    expect(queries.calls).toEqual([]);
  });

  it('passes the authenticated subject to the queries, bound to the Access', async () => {
    const { app, queries } = testServer({ readAuth: authenticated });
    const res = await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=a&at=now', headers: { authorization: 'Bearer secret-a' } });
    expect(res.statusCode).toBe(200);
    const [viewer] = queries.viewers;
    expect(viewer!.subject).toEqual({ user: 'team-a', uid: 'ua', groups: ['readers'] });
    expect(await viewer!.may({ cluster: 'c1', verb: 'get', group: '', resource: 'pods', namespace: 'a' })).toBe(true);
    expect(await viewer!.may({ cluster: 'c1', verb: 'get', group: '', resource: 'pods', namespace: 'b' })).toBe(false);
  });

  it('maps FORBIDDEN to 403 with a body naming what was refused', async () => {
    const { app, queries } = testServer({ readAuth: authenticated });
    queries.failWith = forbidden({ subject: { user: 'team-a', groups: [] }, may: async () => false }, { cluster: 'c1', verb: 'get', group: 'apps', resource: 'deployments', namespace: 'b', name: 'web' });
    const res = await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=b&at=now', headers: { authorization: 'Bearer secret-a' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: 'FORBIDDEN',
      message: 'team-a may not get deployments.apps web in namespace b in cluster c1',
      details: { user: 'team-a', cluster: 'c1', verb: 'get', group: 'apps', resource: 'deployments', namespace: 'b', name: 'web' },
    });
  });

  it('keeps /metrics, /healthz and /readyz open unless configured otherwise; the docs stay open', async () => {
    const open = testServer({ readAuth: authenticated }).app;
    expect((await open.inject({ url: '/metrics' })).statusCode).toBe(200);
    const closed = testServer({ readAuth: { ...authenticated, openOps: false } }).app;
    for (const url of ['/metrics', '/healthz', '/readyz']) expect((await closed.inject({ url })).statusCode, url).toBe(401);
    expect((await closed.inject({ url: '/metrics', headers: { authorization: 'Bearer secret-a' } })).statusCode).toBe(200);
    expect((await closed.inject({ url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('logs one line per query: who, route, arguments, as-of, size, duration; never a token', async () => {
    const { logger, lines, raw } = logged();
    const { app } = testServer({ readAuth: authenticated, logger });
    await app.inject({ url: '/v1/objects?kind=deploy&namespace=a&at=2026-01-10T11:00:00Z', headers: { authorization: 'Bearer secret-a' } });
    await app.inject({ url: '/v1/objects?kind=deploy', headers: { authorization: 'Bearer wrong-2' } });
    // A token in the query string (answered 200 or, with strict parameters, 400) is not logged either.
    await app.inject({ url: '/v1/objects?kind=deploy&token=leaked-1', headers: { authorization: 'Bearer secret-a' } });
    // One line per query, in the tool-call log's shape (history-api/call-log.ts).
    const queries = lines.filter((l) => l.msg === 'call');
    expect(queries).toHaveLength(3);
    expect(queries[0]).toMatchObject({
      surface: 'http', caller: { user: 'team-a' }, call: '/v1/objects', args: { kind: 'deploy', namespace: 'a', at: '2026-01-10T11:00:00Z' },
      asOf: '2026-01-10T11:00:00Z', status: 200, items: 1, ms: expect.any(Number),
    });
    expect(queries[2]!.args).not.toHaveProperty('token');
    expect(queries[1]).toMatchObject({ caller: { user: null }, status: 401 });
    for (const secret of ['secret-a', 'leaked-1', 'wrong-2']) expect(raw.join('\n')).not.toContain(secret);
  });
});
