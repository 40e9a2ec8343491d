import { describe, expect, it } from 'vitest';
import { KubetimeError } from '../core/errors.ts';
import type { Micros } from '../core/time.ts';
import { MetricsRegistry } from './metrics.ts';
import type { AuditIngest } from './routes/audit.ts';
import { NOW, testServer } from './testing/fakes.ts';
import { parsePrometheus } from './testing/prometheus.ts';

function auditEvent(i: number, extra: Record<string, unknown> = {}) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    requestURI: '/apis/apps/v1/namespaces/default/deployments/web',
    verb: 'patch',
    user: { username: 'alice', groups: ['system:authenticated'] },
    objectRef: { resource: 'deployments', namespace: 'default', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    stageTimestamp: '2026-01-10T10:00:00.123456Z',
    ...extra,
  };
}

function eventList(n: number, apiVersion = 'audit.k8s.io/v1') {
  return { kind: 'EventList', apiVersion, metadata: {}, items: Array.from({ length: n }, (_, i) => auditEvent(i)) };
}

/** An ingest fake recording what it was given. */
function recordingIngest(result = { accepted: 2, ignored: 1 }) {
  const calls: { eventList: unknown; receivedAt: Micros }[] = [];
  const ingest: AuditIngest = async (eventList, receivedAt) => {
    calls.push({ eventList, receivedAt });
    return result;
  };
  return { ingest, calls };
}

function post(app: ReturnType<typeof testServer>['app'], payload: unknown, headers: Record<string, string> = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return app.inject({ method: 'POST', url: '/v1/audit', payload: body, headers: { 'content-type': 'application/json', ...headers } });
}

describe('POST /v1/audit', () => {
  it('hands the EventList to auditIngest and replies with its counts', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest });
    const list = eventList(3);
    const res = await post(app, list);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, ignored: 1 });
    expect(calls).toEqual([{ eventList: list, receivedAt: NOW }]);
  });

  it('acknowledges nothing before auditIngest resolves (durability)', async () => {
    let release!: (r: { accepted: number; ignored: number }) => void;
    const { app } = testServer({ auditIngest: () => new Promise((resolve) => (release = resolve)) });
    let settled = false;
    const pending = post(app, eventList(1)).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    release({ accepted: 1, ignored: 0 });
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 1, ignored: 0 });
  });

  it('accepts audit.k8s.io/v1beta1 and an empty batch (items: null, as Go marshals it)', async () => {
    const { ingest, calls } = recordingIngest({ accepted: 0, ignored: 0 });
    const { app } = testServer({ auditIngest: ingest });
    expect((await post(app, eventList(1, 'audit.k8s.io/v1beta1'))).statusCode).toBe(200);
    expect((await post(app, { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: null })).statusCode).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('accepts a multi-megabyte batch of RequestResponse events', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest });
    const big = { spec: { template: { metadata: { annotations: { blob: 'x'.repeat(12_000) } } } } };
    const list = { ...eventList(0), items: Array.from({ length: 400 }, (_, i) => auditEvent(i, { requestObject: big, responseObject: big })) };
    const res = await post(app, list);
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(list).length).toBeGreaterThan(5_000_000);
    expect((calls[0]!.eventList as { items: unknown[] }).items).toHaveLength(400);
  });

  it('rejects malformed bodies with 400 and ingests nothing', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest });
    const bad: unknown[] = [
      '{"kind": "EventList",',
      '',
      '[]',
      '"EventList"',
      { ...eventList(1), apiVersion: 'audit.k8s.io/v2' },
      { ...eventList(1), kind: 'Event' },
      { kind: 'EventList', apiVersion: 'audit.k8s.io/v1' },
      { ...eventList(1), items: 'nope' },
      { ...eventList(1), items: [1, 2] },
      auditEvent(1),
    ];
    for (const body of bad) {
      const res = await post(app, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { param: 'body' } });
    }
    expect(calls).toEqual([]);
  });

  it('rejects a non-JSON content type with 400', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest });
    const res = await app.inject({ method: 'POST', url: '/v1/audit', payload: JSON.stringify(eventList(1)), headers: { 'content-type': 'application/xml' } });
    expect(res.statusCode).toBe(400);
    expect(calls).toEqual([]);
  });

  it('answers 413 for a body over the limit', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest, auditBodyLimit: 2000 });
    const res = await post(app, eventList(10));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(calls).toEqual([]);
  });

  const failures: [Error, number, string][] = [
    [new KubetimeError('STORE_UNAVAILABLE', 'spool full'), 503, 'STORE_UNAVAILABLE'],
    [new KubetimeError('INVALID_ARGUMENT', 'body: items.0.stageTimestamp: not a time', { param: 'body' }), 400, 'INVALID_ARGUMENT'],
    [new Error('bug'), 500, 'INTERNAL'],
  ];
  for (const [err, status, code] of failures) {
    it(`answers ${status} when auditIngest rejects with ${code}`, async () => {
      const { app } = testServer({ auditIngest: async () => Promise.reject(err) });
      const res = await post(app, eventList(1));
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
    });
  }

  it('counts batches and events in the metrics', async () => {
    const metrics = new MetricsRegistry();
    const { app } = testServer({ auditIngest: recordingIngest({ accepted: 5, ignored: 2 }).ingest, metrics });
    await post(app, eventList(7));
    await post(app, eventList(7));
    await post(app, '{');
    const { samples } = parsePrometheus(await metrics.render());
    const value = (name: string, result: string) => samples.find((s) => s.name === name && s.labels['result'] === result)?.value;
    expect(value('kubetime_audit_events_total', 'accepted')).toBe(10);
    expect(value('kubetime_audit_events_total', 'ignored')).toBe(4);
    expect(value('kubetime_audit_batches_total', 'ok')).toBe(2);
    expect(value('kubetime_audit_batches_total', 'invalid')).toBe(1);
  });

  it('is absent (404) when no auditIngest is configured', async () => {
    const { app } = testServer();
    expect((await post(app, eventList(1))).statusCode).toBe(404);
  });
});

describe('POST /v1/audit with a token', () => {
  const token = 's3cr3t-token';

  it('accepts the right bearer token (scheme case-insensitive)', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest, auditToken: token });
    expect((await post(app, eventList(1), { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await post(app, eventList(1), { authorization: `bearer ${token}` })).statusCode).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('answers 401 and changes nothing without the right token', async () => {
    const { ingest, calls } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest, auditToken: token });
    for (const authorization of [undefined, '', `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, 'Bearer ']) {
      const res = await post(app, eventList(1), authorization === undefined ? {} : { authorization });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
    expect(calls).toEqual([]);
  });

  it('checks the token before reading the body', async () => {
    const { ingest } = recordingIngest();
    const { app } = testServer({ auditIngest: ingest, auditToken: token, auditBodyLimit: 100 });
    const res = await post(app, '{ not even json and far too long for the limit ......................................... }');
    expect(res.statusCode).toBe(401);
  });
});
