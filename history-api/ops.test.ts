import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.ts';
import * as s from './schemas.ts';
import { testServer } from './testing/fakes.ts';
import { parsePrometheus } from './testing/prometheus.ts';

describe('health', () => {
  it('/healthz answers 200', async () => {
    const { app } = testServer();
    const res = await app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz follows the readiness check, and a failing check is 503 not 500', async () => {
    for (const [ready, status] of [[async () => true, 200], [async () => false, 503], [async () => Promise.reject(new Error('down')), 503]] as const) {
      const { app } = testServer({ ready });
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(status);
    }
    expect((await testServer().app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('/metrics', () => {
  it('serves parseable Prometheus text with request counts per route template', async () => {
    const metrics = new MetricsRegistry();
    metrics.counter({ name: 'kubetime_ingest_records_total', help: 'Records ingested.', labelNames: ['source'] }).inc({ source: 'watch' }, 3);
    const { app } = testServer({ metrics });
    await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=default&at=now' });
    await app.inject({ url: '/v1/object?kind=deploy&name=other&namespace=default&at=now' });
    await app.inject({ url: '/v1/object?kind=deploy' });
    await app.inject({ url: '/no/such/path/123' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { types, samples } = parsePrometheus(res.body);
    expect(types.get('kubetime_http_requests_total')).toBe('counter');
    expect(types.get('kubetime_http_request_duration_seconds')).toBe('histogram');
    const count = (route: string, status: string) =>
      samples.find((x) => x.name === 'kubetime_http_requests_total' && x.labels['route'] === route && x.labels['status'] === status)?.value;
    expect(count('/v1/object', '200')).toBe(2);
    expect(count('/v1/object', '400')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
    expect(samples.some((x) => x.labels['route']?.includes('123'))).toBe(false);
    expect(samples.find((x) => x.name === 'kubetime_ingest_records_total')?.value).toBe(3);
    const inf = samples.find((x) => x.name === 'kubetime_http_request_duration_seconds_bucket' && x.labels['route'] === '/v1/object' && x.labels['le'] === '+Inf');
    expect(inf?.value).toBe(3);
  });
});

describe('OpenAPI', () => {
  const ROUTES: [string, string, string[]][] = [
    ['get', '/v1/object', Object.keys(s.objectQuery.shape)],
    ['get', '/v1/objects', Object.keys(s.objectsQuery.shape)],
    ['get', '/v1/history', Object.keys(s.historyQuery.shape)],
    ['get', '/v1/diff', Object.keys(s.diffQuery.shape)],
    ['get', '/v1/graph', Object.keys(s.graphQuery.shape)],
    ['get', '/v1/changes', Object.keys(s.changesQuery.shape)],
    ['get', '/v1/events', Object.keys(s.eventsQuery.shape)],
    ['get', '/v1/clusters', []],
    ['post', '/v1/audit', []],
    ['get', '/healthz', []],
    ['get', '/readyz', []],
    ['get', '/metrics', []],
  ];

  it('/openapi.json lists every route with its query parameters and 200 schema', async () => {
    const { app } = testServer({ auditIngest: async () => ({ accepted: 0, ignored: 0 }) });
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const [method, path, params] of ROUTES) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.responses['200'], path).toBeDefined();
      const names = (op.parameters ?? []).filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
      expect(names.sort(), path).toEqual([...params].sort());
    }
    const required = doc.paths['/v1/object'].get.parameters.filter((p: { required?: boolean }) => p.required).map((p: { name: string }) => p.name);
    expect(required.sort()).toEqual(['at', 'kind', 'name']);
    expect(doc.paths['/v1/audit'].post.requestBody).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/docs'))).toBe(false);
  });

  it('serves a browsable UI at /docs', async () => {
    const { app } = testServer();
    const res = await app.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('swagger');
  });
});
