import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KubetimeError } from '../core/errors.ts';
import * as s from './schemas.ts';
import { NOW, canned, testServer, us } from './testing/fakes.ts';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

async function get(path: string, overrides: Parameters<typeof testServer>[0] = {}) {
  const { app, queries } = testServer(overrides);
  const res = await app.inject({ url: path });
  return { res, body: res.json(), queries };
}

describe('GET /v1/object', () => {
  it('passes typed arguments to the queries and echoes times as RFC 3339 UTC', async () => {
    const { res, body, queries } = await get('/v1/object?kind=deploy&name=web&namespace=default&at=2026-01-10T12:05:00.5%2B02:00&cluster=c1');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(queries.calls).toEqual([
      { method: 'objectAt', request: { cluster: 'c1', kind: 'deploy', name: 'web', namespace: 'default', at: us('2026-01-10T10:05:00.5Z') } },
    ]);
    expect(body).toEqual({
      cluster: 'c1',
      at: '2026-01-10T10:05:00.5Z',
      asOf: '2026-01-10T10:05:00.5Z',
      object: canned.object,
      revision: { ts: '2026-01-10T10:00:00.123456Z', op: 'MODIFIED', resourceVersion: '42', source: 'watch+audit', actor: { username: 'alice' }, verb: 'patch' },
    });
    expect(() => s.objectResponse.parse(body)).not.toThrow();
  });

  it('resolves relative times against the injected clock', async () => {
    const { body, queries } = await get('/v1/object?kind=po&name=p&namespace=ns&at=now-90s');
    expect(queries.calls[0]!.request).toMatchObject({ at: NOW - 90_000_000 });
    expect(body.at).toBe('2026-01-10T11:58:30Z');
  });

  it('answers NOT_FOUND with 404 and the existed intervals as the queries give them (RFC 3339, null while it exists)', async () => {
    const { app, queries } = testServer();
    queries.failWith = new KubetimeError('NOT_FOUND', 'deployments.apps default/web did not exist at 2026-01-10T12:00:00Z', {
      existed: [{ from: '2026-01-01T00:00:00Z', to: '2026-01-05T00:00:00.25Z' }, { from: '2026-01-11T00:00:00Z', to: null }],
    });
    const res = await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=default&at=now' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: 'deployments.apps default/web did not exist at 2026-01-10T12:00:00Z',
        details: { existed: [{ from: '2026-01-01T00:00:00Z', to: '2026-01-05T00:00:00.25Z' }, { from: '2026-01-11T00:00:00Z', to: null }] },
      },
    });
  });
});

describe('errors raised by the queries', () => {
  const cases: [KubetimeError, number][] = [
    [new KubetimeError('INVALID_ARGUMENT', 'kind: unknown kind "wat"', { param: 'kind' }), 400],
    [new KubetimeError('AMBIGUOUS', 'kind: "widget" is ambiguous; one of widgets.a.io, widgets.b.io', { param: 'kind', candidates: ['widgets.a.io', 'widgets.b.io'] }), 400],
    [new KubetimeError('INVALID_ARGUMENT', 'cluster: required; known clusters: c1, c2', { param: 'cluster', clusters: ['c1', 'c2'] }), 400],
    [new KubetimeError('INVALID_ARGUMENT', 'labelSelector: "app in (" is not a selector', { param: 'labelSelector' }), 400],
    [new KubetimeError('HISTORY_EXPIRED', 'at: before the retained history (2026-01-01T00:00:00Z)', { param: 'at' }), 410],
    [new KubetimeError('STORE_UNAVAILABLE', 'store unavailable: connection refused'), 503],
  ];
  for (const [err, status] of cases) {
    it(`maps ${err.code} (${err.message.slice(0, 20)}…) to ${status} with message and details`, async () => {
      const { app, queries } = testServer();
      queries.failWith = err;
      const res = await app.inject({ url: '/v1/objects?kind=widget&at=now' });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual({ error: { code: err.code, message: err.message, details: err.details } });
    });
  }

  it('answers an unexpected failure with 500 INTERNAL without leaking its message', async () => {
    const { app, queries } = testServer();
    queries.failWith = new TypeError('secret internals at /srv/x.ts:1');
    const res = await app.inject({ url: '/v1/clusters' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(res.body).not.toContain('secret');
  });
});

describe('the other read endpoints', () => {
  it('/v1/objects lists with its continue token', async () => {
    const { body, queries } = await get('/v1/objects?kind=deploy&labelSelector=app%3Dweb&fieldSelector=metadata.name%3Dweb&at=2026-01-10T10:00:00Z&limit=5&continue=abc');
    expect(queries.calls[0]!.request).toEqual({
      kind: 'deploy', labelSelector: 'app=web', fieldSelector: 'metadata.name=web', at: us('2026-01-10T10:00:00Z'), limit: 5, continue: 'abc', text: 'raw',
    });
    expect(body).toEqual({ cluster: 'c1', at: '2026-01-10T10:00:00Z', asOf: '2026-01-10T10:00:00Z', items: [canned.object], continue: 'next-page' });
    expect(() => s.objectsResponse.parse(body)).not.toThrow();
  });

  it('/v1/history formats each revision time and passes objects=true', async () => {
    const { body, queries } = await get('/v1/history?kind=deploy&name=web&namespace=default&from=2026-01-10T09:00:00Z&objects=true&limit=2');
    expect(queries.calls[0]!.request).toEqual({ kind: 'deploy', name: 'web', namespace: 'default', from: us('2026-01-10T09:00:00Z'), to: NOW, objects: true, limit: 2 });
    expect(body.items.map((i: { ts: string }) => i.ts)).toEqual(['2026-01-10T09:00:00Z', '2026-01-10T10:00:00.123456Z']);
    expect(body.items[1].patch).toEqual([{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    expect(() => s.historyResponse.parse(body)).not.toThrow();
  });

  it('/v1/history leaves an absent from open and resolves an absent to once, to now (so its pages agree)', async () => {
    const { body, queries } = await get('/v1/history?kind=deploy&name=web&namespace=default');
    expect(queries.calls[0]!.request).toMatchObject({ from: undefined, to: NOW });
    expect(body.asOf).toBe('2026-01-10T12:00:00Z');
  });

  it('/v1/diff with a name diffs one object, raw=false by default', async () => {
    const { body, queries } = await get('/v1/diff?kind=deploy&name=web&namespace=default&from=now-1h&to=now');
    expect(queries.calls).toEqual([{ method: 'diffObject', request: { kind: 'deploy', name: 'web', namespace: 'default', from: NOW - 3600e6, to: NOW } }]);
    expect(body).toMatchObject({ from: '2026-01-10T11:00:00Z', to: '2026-01-10T12:00:00Z', paths: ['/spec/replicas'] });
    expect(() => s.diffObjectResponse.parse(body)).not.toThrow();
  });

  it('/v1/diff without a name diffs the scope, passing labelSelector and raw', async () => {
    const { body, queries } = await get('/v1/diff?kind=deploy&namespace=default&from=now-1h&to=now&labelSelector=app%3Dweb&raw=true');
    expect(queries.calls).toEqual([
      { method: 'diffScope', request: { kind: 'deploy', namespace: 'default', labelSelector: 'app=web', raw: true, from: NOW - 3600e6, to: NOW } },
    ]);
    expect(body).toMatchObject({ from: '2026-01-10T11:00:00Z', to: '2026-01-10T12:00:00Z', added: [{ name: 'api' }], removed: [] });
    expect(() => s.diffScopeResponse.parse(body)).not.toThrow();
  });

  it('/v1/graph defaults hops to 2 and passes an explicit one', async () => {
    const a = await get('/v1/graph?kind=deploy&name=web&namespace=default&at=now');
    expect(a.queries.calls[0]!.request).toMatchObject({ hops: 2, at: NOW });
    expect(a.body.at).toBe('2026-01-10T12:00:00Z');
    expect(() => s.graphResponse.parse(a.body)).not.toThrow();
    const b = await get('/v1/graph?kind=deploy&name=web&namespace=default&at=now&hops=0');
    expect(b.queries.calls[0]!.request).toMatchObject({ hops: 0 });
  });

  it('/v1/changes passes its filters and formats ts', async () => {
    const { body, queries } = await get('/v1/changes?from=now-1d&to=now&namespace=default&kind=deploy&name=web&actor=alice&limit=100');
    expect(queries.calls[0]!.request).toEqual({ from: NOW - 86_400e6, to: NOW, namespace: 'default', kind: 'deploy', name: 'web', actor: 'alice', limit: 100 });
    expect(body.items[0]).toMatchObject({ ts: '2026-01-10T10:00:00.123456Z', kind: 'Deployment', namespace: 'default', name: 'web', op: 'MODIFIED' });
    expect(() => s.changesResponse.parse(body)).not.toThrow();
  });

  it('/v1/events passes the window and returns Event objects untouched', async () => {
    const { body, queries } = await get('/v1/events?from=now-1h&to=now&namespace=default&kind=pod&name=web-1');
    expect(queries.calls[0]!.request).toEqual({ from: NOW - 3600e6, to: NOW, namespace: 'default', kind: 'pod', name: 'web-1', aggregate: false });
    expect(body.items[0]).toMatchObject({ kind: 'Event', reason: 'ScalingReplicaSet' });
    expect(() => s.eventsResponse.parse(body)).not.toThrow();
  });

  it('/v1/clusters formats firstSeen and lastSeen', async () => {
    const { body } = await get('/v1/clusters');
    expect(body).toEqual({ items: [{ name: 'c1', firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-10T11:59:59.5Z' }] });
    expect(() => s.clustersResponse.parse(body)).not.toThrow();
  });

  it('never returns a Micros number where a time belongs', async () => {
    const times = z.string().regex(RFC3339_UTC);
    const paths = ['/v1/object?kind=d&name=w&namespace=n&at=now', '/v1/objects?kind=d&at=now', '/v1/history?kind=d&name=w', '/v1/diff?kind=d&name=w&from=now&to=now',
      '/v1/diff?kind=d&from=now&to=now', '/v1/graph?kind=d&name=w&at=now', '/v1/changes?from=now&to=now', '/v1/clusters'];
    for (const p of paths) {
      const { body } = await get(p);
      const found: string[] = [];
      collectTimes(body, found);
      expect(found.length, p).toBeGreaterThan(0);
      for (const t of found) expect(times.safeParse(t).success, `${p}: ${t}`).toBe(true);
    }
  });
});

describe('unknown routes', () => {
  it('answers 404 in the error shape', async () => {
    for (const [method, path] of [['GET', '/v2/object'], ['GET', '/'], ['POST', '/v1/object'], ['DELETE', '/v1/clusters']] as const) {
      const { app } = testServer();
      const res = await app.inject({ method, url: path });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });
});

const TIME_KEYS = new Set(['at', 'from', 'to', 'ts', 'firstSeen', 'lastSeen']);

/** Collects the values of time-named keys, skipping Kubernetes objects (their own fields are theirs). */
function collectTimes(v: unknown, out: unknown[], key = ''): void {
  if (Array.isArray(v)) return v.forEach((x) => collectTimes(x, out, key));
  if (v === null || typeof v !== 'object') return;
  if ('apiVersion' in v || key === 'patch' || key === 'edges') return;
  for (const [k, x] of Object.entries(v)) {
    if (TIME_KEYS.has(k)) out.push(x as string);
    else collectTimes(x, out, k);
  }
}

describe('views and projections', () => {
  it('/v1/object view=full drops managedFields and the last-applied annotation; raw (default) keeps them', async () => {
    const noisy = { ...canned.object, metadata: { ...canned.object.metadata, managedFields: [{ manager: 'kubectl' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } };
    const { app, queries } = testServer();
    const objectAt = queries.objectAt.bind(queries);
    queries.objectAt = async (r) => ({ ...(await objectAt(r)), object: noisy });
    const raw = (await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=default&at=now' })).json();
    expect(raw.object.metadata.managedFields).toHaveLength(1);
    const full = (await app.inject({ url: '/v1/object?kind=deploy&name=web&namespace=default&at=now&view=full' })).json();
    expect(full.object.metadata).not.toHaveProperty('managedFields');
    expect(full.object.metadata).not.toHaveProperty('annotations');
  });

  it('/v1/object fields= projects JSON paths; view=summary gives a kubectl row aged as of at', async () => {
    const f = await get('/v1/object?kind=deploy&name=web&namespace=default&at=now&fields=spec.replicas');
    expect(f.body.object).toEqual({ 'metadata.namespace': 'default', 'metadata.name': 'web', 'spec.replicas': 3 });
    const sum = await get('/v1/object?kind=deploy&name=web&namespace=default&at=2026-01-10T11:00:00Z&view=summary');
    expect(sum.body.object).toEqual({ NAMESPACE: 'default', NAME: 'web', READY: '0/3', 'UP-TO-DATE': 0, AVAILABLE: 0, AGE: '120m' });
  });

  it('/v1/objects view=summary answers columns once and rows of cells', async () => {
    const { body } = await get('/v1/objects?kind=deploy&namespace=default&at=2026-01-10T11:00:00Z&view=summary');
    expect(body.columns).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(body.items).toEqual([['web', '0/3', 0, 0, '120m']]);
    expect(() => s.objectsResponse.parse(body)).not.toThrow();
  });

  it('/v1/events view=summary asks for folded Events; type, reason and order pass through', async () => {
    const { queries } = await get('/v1/events?from=now-1h&to=now&type=Warning&reason=BackOff&order=asc&view=summary');
    expect(queries.calls[0]!.request).toMatchObject({ type: 'Warning', reason: 'BackOff', order: 'asc', aggregate: true });
  });

  it('/v1/diff on a scope shows created objects as summary rows and changes with old and new values', async () => {
    const { body } = await get('/v1/diff?kind=deploy&namespace=default&from=now-1h&to=now');
    expect(body.added).toEqual([{ kind: 'Deployment', namespace: 'default', name: 'api', summary: { NAME: 'api', READY: '0/3', 'UP-TO-DATE': 0, AVAILABLE: 0, AGE: '3h' } }]);
    expect(body.changed[0].changes).toEqual([{ op: 'replace', path: '/spec/replicas', old: 3, new: 5 }]);
    expect(() => s.diffScopeResponse.parse(body)).not.toThrow();
  });
});

describe('summary rows of a custom resource', () => {
  it('use its CRD\'s printer columns as of the time asked', async () => {
    const { app, queries } = testServer();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', storage: true, additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }] }] },
    };
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default', creationTimestamp: '2026-01-10T09:00:00Z' }, spec: { size: 7 } };
    const seen: { kind: string; at: number }[] = [];
    queries.listAt = async (r) => {
      seen.push({ kind: r.kind, at: r.at });
      return { cluster: 'c1', at: r.at, items: [r.kind.startsWith('customresourcedefinitions') ? crd : widget] };
    };
    const body = (await app.inject({ url: '/v1/objects?kind=widgets&namespace=default&at=2026-01-10T11:00:00Z&view=summary' })).json();
    expect(body.columns).toEqual(['NAME', 'SIZE']);
    expect(body.items).toEqual([['w1', 7]]);
    expect(seen[1]).toEqual({ kind: 'customresourcedefinitions.apiextensions.k8s.io', at: us('2026-01-10T11:00:00Z') });
  });
});

describe('GET /v1/objects in the summary view', () => {
  it('lets the store answer slim objects only for rows alone: not for manifests nor a fields projection', async () => {
    const { app, queries } = testServer();
    const summary = async (query: string) => {
      queries.calls.length = 0;
      expect((await app.inject({ url: `/v1/objects?kind=deploy&namespace=default&at=2026-01-10T10:00:00Z${query}` })).statusCode).toBe(200);
      return (queries.calls.find((c) => c.method === 'listAt')!.request as { summary?: boolean }).summary;
    };
    expect(await summary('&view=summary')).toBe(true);
    expect(await summary('&view=summary&wide=true')).toBe(true);
    expect(await summary('&view=summary&fields=metadata.name')).toBeUndefined();
    expect(await summary('&view=full')).toBeUndefined();
    expect(await summary('')).toBeUndefined();
  });
});
