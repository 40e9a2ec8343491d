/**
 * The Kubernetes face over HTTP (buildServer().inject()) on the two-namespaces fixture: discovery,
 * GET and LIST as JSON and as Tables, selectors and chunking, the Status bodies (404 saying when
 * the object existed, 400 for a future T, 401/403 through the shared authentication, 405 for
 * writes and watches).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../core/access.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import { formatTime } from '../../core/time.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { at, twoNamespaces } from '../../test/fixtures/two-namespaces.ts';
import { TokenFileAuthenticator } from '../auth/authenticator.ts';
import { buildServer, type HistoryServer } from '../server.ts';
import { silentLogger } from '../testing/fakes.ts';

type Body = Record<string, any>; // Kubernetes JSON is untyped here

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const dir = mkdtempSync(join(tmpdir(), 'kubetime-kubeface-'));
let store: LmdbHistoryStore;
let app: HistoryServer;
let authed: HistoryServer;
const T = formatTime(at(3));
const base = `/k8s/at/${T}`;

beforeAll(async () => {
  store = LmdbHistoryStore.open({ path: join(dir, 'store') });
  await store.append(twoNamespaces());
  const queries = createHistoryQueries({ store });
  const clock = { now: () => at(30) };
  app = buildServer({ queries, clock, logger: silentLogger });
  const onlyA: Access = { allowed: async (_s, a) => a.namespace === 'a' };
  authed = buildServer({ queries, clock, logger: silentLogger, readAuth: { authenticator: new TokenFileAuthenticator('secret-a,team-a,ua\n'), access: onlyA, anonymous: 'refused' } });
});

afterAll(async () => {
  await app?.close();
  await authed?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(url: string, accept?: string): Promise<{ status: number; body: Body; headers: Record<string, unknown> }> {
  const res = await app.inject({ url, headers: accept ? { accept } : {} });
  return { status: res.statusCode, body: res.json() as Body, headers: res.headers };
}

describe('discovery', () => {
  it('lists the core resources with get and list only, short names, categories and scope', async () => {
    const { status, body } = await get(`${base}/api/v1`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const pods = body.resources.find((r: Body) => r.name === 'pods');
    expect(pods).toEqual({ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'], categories: ['all'] });
    expect(body.resources.find((r: Body) => r.name === 'nodes')).toMatchObject({ namespaced: false, shortNames: ['no'] });
  });

  it('answers /api, /apis and a group version; an unknown group is a 404 Status', async () => {
    expect((await get(`${base}/api`)).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = (await get(`${base}/apis`)).body;
    expect(apis.kind).toBe('APIGroupList');
    expect(apis.groups.find((g: Body) => g.name === 'apps').preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
    const apps = (await get(`${base}/apis/apps/v1`)).body;
    expect(apps.resources.map((r: Body) => r.name)).toContain('deployments');
    const missing = await get(`${base}/apis/nope.example.com/v1`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('answers an aggregated-discovery request with the plain document, so kubectl falls back', async () => {
    const res = await app.inject({ url: `${base}/apis`, headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-type']).not.toMatch(/apidiscovery/);
    expect(res.json().kind).toBe('APIGroupList');
  });
});

describe('GET and LIST as of T', () => {
  it('returns one object as recorded at T, and says which T in a header', async () => {
    const before = await get(`${base}/apis/apps/v1/namespaces/a/deployments/web`);
    expect(before.status).toBe(200);
    expect(before.body.spec.replicas).toBe(1);
    expect(before.headers['x-kubetime-as-of']).toBe(T);
    const after = await get(`/k8s/at/${formatTime(at(10))}/apis/apps/v1/namespaces/a/deployments/web`);
    expect(after.body.spec.replicas).toBe(3);
  });

  it('lists a namespace as a {Kind}List, and every namespace without one', async () => {
    const { body } = await get(`${base}/api/v1/namespaces/a/configmaps`);
    expect(body).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '' } });
    expect(body.items.map((o: Body) => o.metadata.name).sort()).toEqual(['cfg', 'gone']);
    const all = (await get(`${base}/api/v1/configmaps`)).body;
    expect(all.items.map((o: Body) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(['a/cfg', 'a/gone', 'b/cfg', 'b/gone']);
    // After the deletion at T0+6m, `gone` is not listed.
    const later = (await get(`/k8s/at/${formatTime(at(7))}/api/v1/namespaces/a/configmaps`)).body;
    expect(later.items.map((o: Body) => o.metadata.name)).toEqual(['cfg']);
  });

  it('serves cluster-scoped kinds, and the Namespace object at /namespaces/{name}', async () => {
    expect((await get(`${base}/api/v1/nodes`)).body.items.map((o: Body) => o.metadata.name)).toEqual(['n1']);
    expect((await get(`${base}/api/v1/nodes/n1`)).body.kind).toBe('Node');
    expect((await get(`${base}/api/v1/namespaces/a`)).body).toMatchObject({ kind: 'Namespace', metadata: { name: 'a' } });
    expect((await get(`${base}/api/v1/namespaces/a/nodes`)).status).toBe(404);
  });

  it('names a cluster with /k8s/clusters/{cluster}/at/{T}; an unknown one is a 400 Status', async () => {
    const named = await get(`/k8s/clusters/kt/at/${T}/api/v1/namespaces/a/configmaps/cfg`);
    expect(named.status).toBe(200);
    expect(named.body.data).toEqual({ team: 'a' });
    const unknown = await get(`/k8s/clusters/nope/at/${T}/api/v1/namespaces/a/configmaps/cfg`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringMatching(/unknown cluster "nope"/) });
    // Discovery still answers (kubectl would hide its message), so that the list's 400 is what kubectl prints.
    expect((await get(`/k8s/clusters/nope/at/${T}/api/v1`)).status).toBe(200);
  });

  it('applies label and field selectors', async () => {
    const labelled = (await get(`${base}/api/v1/pods?labelSelector=app%3Dweb`)).body.items;
    expect(labelled.map((o: Body) => o.metadata.namespace).sort()).toEqual(['a', 'b']);
    expect((await get(`${base}/api/v1/pods?labelSelector=app%3Ddb`)).body.items).toEqual([]);
    const fielded = (await get(`${base}/api/v1/pods?fieldSelector=metadata.namespace%3Db`)).body.items;
    expect(fielded.map((o: Body) => o.metadata.namespace)).toEqual(['b']);
  });

  it('chunks with limit and continue, and answers a list without limit whole', async () => {
    const first = (await get(`${base}/api/v1/configmaps?limit=3`)).body;
    expect(first.items).toHaveLength(3);
    expect(first.metadata.continue).toBeTruthy();
    const rest = (await get(`${base}/api/v1/configmaps?limit=3&continue=${encodeURIComponent(first.metadata.continue)}`)).body;
    expect(rest.items).toHaveLength(1);
    expect(rest.metadata.continue).toBeUndefined();
    expect((await get(`${base}/api/v1/configmaps?resourceVersion=0`)).body.items).toHaveLength(4);
  });

  it('answers Tables from the summary rows, with -o wide columns at priority 1 and metadata-only rows', async () => {
    const { body } = await get(`${base}/api/v1/namespaces/a/pods`, TABLE);
    expect(body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const cols = body.columnDefinitions.map((c: Body) => `${c.name}:${c.priority}`);
    expect(cols).toEqual(['NAME:0', 'READY:0', 'STATUS:0', 'RESTARTS:0', 'AGE:0', 'IP:1', 'NODE:1']);
    expect(body.columnDefinitions[0].format).toBe('name');
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0].cells[0]).toBe('web-1-x');
    expect(body.rows[0].cells[6]).toBe('n1');
    expect(body.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web-1-x', namespace: 'a' } });
    expect(body.rows[0].object.spec).toBeUndefined();
    const full = (await get(`${base}/api/v1/namespaces/a/pods?includeObject=Object`, TABLE)).body;
    expect(full.rows[0].object.spec.nodeName).toBe('n1');
    const one = (await get(`${base}/apis/apps/v1/namespaces/a/deployments/web`, TABLE)).body;
    expect(one.columnDefinitions.map((c: Body) => `${c.name}:${c.priority}`)).toEqual(['NAME:0', 'READY:0', 'UP-TO-DATE:0', 'AVAILABLE:0', 'AGE:0', 'CONTAINERS:1', 'IMAGES:1', 'SELECTOR:1']);
    expect(one.rows[0].cells.slice(0, 2)).toEqual(['web', '0/1']);
  });
});

describe('a client library (@kubernetes/client-node) pointed at the past', () => {
  it('lists and reads typed objects as of T, and sees a 404 as an ApiException with the Status', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const kc = new KubeConfig();
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}${base}`;
    kc.loadFromOptions({ clusters: [{ name: 'past', server, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'past', cluster: 'past', user: 'u' }], currentContext: 'past' });
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'a' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['web-1-x']);
    expect(pods.items[0]!.spec?.nodeName).toBe('n1');
    const apps = kc.makeApiClient(AppsV1Api);
    expect((await apps.readNamespacedDeployment({ namespace: 'a', name: 'web' })).spec?.replicas).toBe(1);
    const err = await core.readNamespacedConfigMap({ namespace: 'a', name: 'never' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(404);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });
});

describe('the call log', () => {
  it('writes one call line per request with surface kube, the caller and the as-of time', async () => {
    const lines: Record<string, any>[] = [];
    const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const logged = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => at(30) }, logger: pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger });
    await logged.inject({ url: `${base}/api/v1/namespaces/a/pods?limit=500`, headers: { 'user-agent': 'kubectl/v1.34.4' } });
    await logged.close();
    expect(lines.filter((l) => l.msg === 'call' || l.msg === 'request')).toEqual([expect.objectContaining({
      msg: 'call', surface: 'kube', call: 'GET /api/v1/namespaces/a/pods', args: { limit: '500' }, asOf: T, status: 200, bytes: expect.toSatisfy((n: number) => n > 100),
      caller: expect.objectContaining({ user: null, userAgent: 'kubectl/v1.34.4' }),
    })]);
  });
});

describe('Status answers', () => {
  it('a missing object is a NotFound Status that says when it existed', async () => {
    const { status, body } = await get(`/k8s/at/${formatTime(at(7))}/api/v1/namespaces/a/configmaps/gone`);
    expect(status).toBe(404);
    expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, details: { name: 'gone', kind: 'configmaps' } });
    expect(body.message).toBe(`configmaps "gone" not found as of ${formatTime(at(7))}; it existed from ${formatTime(at(1))} to ${formatTime(at(6))}`);
    const never = await get(`${base}/api/v1/namespaces/a/configmaps/never`);
    expect(never.body.message).toMatch(/configmaps "never" not found .*no record of it/);
  });

  it('a T later than now is a 400 Status; now-relative times resolve once', async () => {
    const future = await get(`/k8s/at/${formatTime(at(60))}/api/v1/pods`);
    expect(future.status).toBe(400);
    expect(future.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message: expect.stringMatching(/later than now/) });
    const recent = await get('/k8s/at/now-20m/api/v1/namespaces/a/configmaps');
    expect(recent.headers['x-kubetime-as-of']).toBe(formatTime(at(10)));
    expect(recent.body.items.map((o: Body) => o.metadata.name)).toEqual(['cfg']);
    expect((await get('/k8s/at/yesterday/api/v1/pods')).body).toMatchObject({ kind: 'Status', code: 400 });
  });

  it('refuses watches and every write verb with a MethodNotAllowed Status', async () => {
    const watch = await get(`${base}/api/v1/namespaces/a/pods?watch=true`);
    expect(watch.status).toBe(405);
    expect(watch.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405, message: expect.stringContaining('kubetime serves the past read-only') });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await app.inject({ method, url: `${base}/api/v1/namespaces/a/configmaps/cfg`, headers: { 'content-type': 'application/strategic-merge-patch+json' }, payload: '{}' });
      expect(res.statusCode, method).toBe(405);
      expect(res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    }
  });

  it('authenticates through the shared layer: 401 and 403 are Status, lists keep only what the viewer may list', async () => {
    const none = await authed.inject({ url: `${base}/api/v1/namespaces/a/pods` });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await authed.inject({ method: 'DELETE', url: `${base}/api/v1/namespaces/a/pods/web-1-x` })).statusCode).toBe(401);
    expect((await authed.inject({ method: 'DELETE', url: `${base}/api/v1/namespaces/a/pods/web-1-x`, headers: { authorization: 'Bearer secret-a' } })).statusCode).toBe(405);
    const headers = { authorization: 'Bearer secret-a' };
    const own = await authed.inject({ url: `${base}/api/v1/namespaces/a/pods/web-1-x`, headers });
    expect(own.statusCode).toBe(200);
    const other = await authed.inject({ url: `${base}/api/v1/namespaces/b/pods/web-1-x`, headers });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    const all = await authed.inject({ url: `${base}/api/v1/pods`, headers });
    expect(all.json().items.map((o: Body) => o.metadata.namespace)).toEqual(['a']);
  });

  it('answers an unknown resource, a subresource and OpenAPI with 404 Status', async () => {
    for (const path of ['/api/v1/widgets', '/api/v1/namespaces/a/pods/web-1-x/log', '/openapi/v2', '/openapi/v3', '/healthz']) {
      const res = await get(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.kind, path).toBe('Status');
    }
  });
});
