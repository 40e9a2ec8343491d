import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTORS, by } from './actors.ts';
import { Cluster } from './cluster.ts';
import { ManualClock } from './manual-clock.ts';
import { SimServer } from './server.ts';
import { cm, startServerFixture, type ServerFixture } from './test-helpers.ts';

const admin = by(ACTORS.admin, 'create');

let f: ServerFixture;
let cluster: Cluster;
let server: SimServer;
let url: string;
const get = (path: string, init?: RequestInit) => f.get(path, init);
const watch = (path: string) => f.watch(path);

beforeEach(async () => {
  f = await startServerFixture();
  ({ cluster, server, url } = f);
});

afterEach(async () => {
  await f.close();
});

describe('discovery', () => {
  it('serves /api, /api/v1, /apis, /apis/<g>/<v> and /version', async () => {
    expect((await get('/api')).body.versions).toEqual(['v1']);
    const core = (await get('/api/v1')).body;
    expect(core.kind).toBe('APIResourceList');
    const pods = core.resources.find((r: any) => r.name === 'pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true, verbs: expect.arrayContaining(['list', 'watch']) });
    expect(core.resources.some((r: any) => r.name === 'pods/status')).toBe(true);
    const groups = (await get('/apis')).body.groups.map((g: any) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['apps', 'networking.k8s.io', 'autoscaling', 'apiextensions.k8s.io']));
    expect(groups).not.toContain('events.k8s.io');
    const apps = (await get('/apis/apps/v1')).body;
    expect(apps.groupVersion).toBe('apps/v1');
    expect(apps.resources.map((r: any) => r.name)).toContain('deployments');
    expect((await get('/version')).body.major).toBe('1');
    expect((await get('/apis/nope.io/v1')).status).toBe(404);
  });

  it('shows a custom resource added at runtime, with its CRD object', async () => {
    expect((await get('/apis')).body.groups.map((g: any) => g.name)).not.toContain('example.com');
    cluster.addCustomResource({ group: 'example.com', version: 'v1', kind: 'Widget', shortNames: ['wd'] }, admin);
    cluster.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'a' }, spec: { size: 3 } }, admin);
    expect((await get('/apis')).body.groups.map((g: any) => g.name)).toContain('example.com');
    const res = (await get('/apis/example.com/v1')).body.resources;
    expect(res[0]).toMatchObject({ name: 'widgets', kind: 'Widget', namespaced: true, shortNames: ['wd'] });
    const list = (await get('/apis/example.com/v1/namespaces/a/widgets')).body;
    expect(list.items.map((i: any) => [i.kind, i.apiVersion, i.metadata.name])).toEqual([['Widget', 'example.com/v1', 'w1']]);
    const crd = (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).body;
    expect(crd.spec.names.kind).toBe('Widget');
  });
});

describe('list and get', () => {
  it('lists all namespaces or one, with kind/apiVersion on items and the list resourceVersion', async () => {
    const all = (await get('/api/v1/configmaps')).body;
    expect(all.kind).toBe('ConfigMapList');
    expect(all.metadata.resourceVersion).toBe(String(cluster.resourceVersion));
    expect(all.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two', 'four', 'three', 'five']);
    expect(all.items.every((i: any) => i.kind === 'ConfigMap' && i.apiVersion === 'v1')).toBe(true);
    const b = (await get('/api/v1/namespaces/b/configmaps')).body;
    expect(b.items.map((i: any) => i.metadata.name)).toEqual(['four', 'three']);
  });

  it('filters by labelSelector and fieldSelector', async () => {
    const db = (await get('/api/v1/configmaps?labelSelector=' + encodeURIComponent('tier=db,app!=four'))).body;
    expect(db.items.map((i: any) => i.metadata.name)).toEqual(['three', 'five']);
    const named = (await get('/api/v1/configmaps?fieldSelector=metadata.name%3Dtwo')).body;
    expect(named.items.map((i: any) => i.metadata.name)).toEqual(['two']);
    expect((await get('/api/v1/configmaps?labelSelector=' + encodeURIComponent('a in (b'))).status).toBe(400);
    const unknown = await get('/api/v1/configmaps?fieldSelector=' + encodeURIComponent('data.x=y'));
    expect([unknown.status, unknown.body.reason, unknown.body.message]).toEqual([400, 'BadRequest', '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"']);
  });

  it('gets one object, and answers 404 with a NotFound Status', async () => {
    const one = await get('/api/v1/namespaces/a/configmaps/one');
    expect(one.status).toBe(200);
    expect(one.body.metadata).toMatchObject({ name: 'one', namespace: 'a', uid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const missing = await get('/api/v1/namespaces/a/configmaps/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await get('/api/v1/nonsense')).status).toBe(404);
  });

  it('pages with limit/continue as a consistent snapshot at the first page revision', async () => {
    const p1 = (await get('/api/v1/configmaps?limit=2')).body;
    expect(p1.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two']);
    expect(p1.metadata.continue).toBeTruthy();
    // Changes after the first page must not show up in later pages.
    cluster.delete('ConfigMap', 'c', 'five', by(ACTORS.admin, 'delete'));
    cluster.create(cm('b', 'aaa'), admin);
    cluster.update('ConfigMap', 'b', 'four', (o) => ((o.data as any).k = 'changed'), by(ACTORS.admin, 'update'));
    const p2 = (await get('/api/v1/configmaps?limit=2&continue=' + p1.metadata.continue)).body;
    expect(p2.items.map((i: any) => i.metadata.name)).toEqual(['four', 'three']);
    expect(p2.items[0].data.k).toBe('four');
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    const p3 = (await get('/api/v1/configmaps?limit=2&continue=' + p2.metadata.continue)).body;
    expect(p3.items.map((i: any) => i.metadata.name)).toEqual(['five']);
    expect(p3.metadata.continue).toBeUndefined();
    const fresh = (await get('/api/v1/configmaps')).body;
    expect(fresh.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two', 'aaa', 'four', 'three']);
  });

  it('answers HTTP 410 Expired for a continue token older than the compaction revision', async () => {
    const p1 = (await get('/api/v1/configmaps?limit=2')).body;
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.data as any).k = 'x'), by(ACTORS.admin, 'update'));
    cluster.compact();
    const r = await get('/api/v1/configmaps?limit=2&continue=' + p1.metadata.continue);
    expect(r.status).toBe(410);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    expect((await get('/api/v1/configmaps?continue=garbage')).status).toBe(400);
  });

  it('serves resourceVersionMatch=Exact from history, 410 once compacted', async () => {
    const rv = cluster.resourceVersion;
    cluster.delete('ConfigMap', 'a', 'one', by(ACTORS.admin, 'delete'));
    const exact = (await get(`/api/v1/namespaces/a/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`)).body;
    expect(exact.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two']);
    cluster.compact();
    expect((await get(`/api/v1/namespaces/a/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`)).status).toBe(410);
  });
});

describe('watch', () => {
  it('with resourceVersion "" sends the current state as ADDED, then live changes', async () => {
    const w = await watch('/api/v1/namespaces/a/configmaps?watch=true');
    const initial = await w.take(2);
    expect(initial.map((e) => [e.type, e.object.metadata!.name])).toEqual([['ADDED', 'one'], ['ADDED', 'two']]);
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.data as any).k = 'v2'), by(ACTORS.alice, 'patch'));
    cluster.create(cm('b', 'elsewhere'), admin);
    cluster.delete('ConfigMap', 'a', 'two', by(ACTORS.alice, 'delete'));
    const live = await w.take(2);
    expect(live.map((e) => [e.type, e.object.metadata!.name])).toEqual([['MODIFIED', 'one'], ['DELETED', 'two']]);
    expect(live[1]!.object.metadata!.resourceVersion).toBe(String(cluster.resourceVersion));
    await w.cancel();
  });

  it('from a specific resourceVersion replays what followed it', async () => {
    const rv = cluster.resourceVersion;
    cluster.update('ConfigMap', 'b', 'three', (o) => ((o.data as any).k = 'v2'), by(ACTORS.alice, 'patch'));
    cluster.delete('ConfigMap', 'c', 'five', by(ACTORS.alice, 'delete'));
    const w = await watch(`/api/v1/configmaps?watch=1&resourceVersion=${rv}`);
    const events = await w.take(2);
    expect(events.map((e) => [e.type, e.object.metadata!.name])).toEqual([['MODIFIED', 'three'], ['DELETED', 'five']]);
    expect(await w.silentFor(100)).toBe(true);
    await w.cancel();
  });

  it('from a compacted resourceVersion sends an ERROR event with a 410 Expired Status', async () => {
    const rv = cluster.resourceVersion;
    cluster.update('ConfigMap', 'b', 'three', (o) => ((o.data as any).k = 'v2'), by(ACTORS.alice, 'patch'));
    cluster.compact();
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${rv - 1}`);
    const e = await w.next();
    expect(e).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(await w.next()).toBeUndefined();
  });

  it('compacts automatically after the configured number of revisions', async () => {
    const c = new Cluster({ clock: new ManualClock(), compactionWindow: { revisions: 3 } });
    for (let i = 0; i < 5; i++) c.create(cm('x', `n${i}`), admin);
    expect(c.compactedRevision).toBe(c.resourceVersion - 3);
  });

  it('sends bookmarks carrying only the resourceVersion when asked', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}&allowWatchBookmarks=true`);
    const plain = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    server.hub.sendBookmarks();
    const b = await w.next();
    expect(b).toEqual({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(cluster.resourceVersion) } } });
    expect(await plain.silentFor(100)).toBe(true);
    await w.cancel();
    await plain.cancel();
  });

  it('ends the stream after timeoutSeconds', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}&timeoutSeconds=1`);
    const started = Date.now();
    expect(await w.next(3000)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('turns label-selector edges into ADDED / DELETED', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}&labelSelector=tier%3Dweb`);
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.metadata as any).labels.tier = 'db'), by(ACTORS.alice, 'patch'));
    cluster.update('ConfigMap', 'b', 'three', (o) => ((o.metadata as any).labels.tier = 'web'), by(ACTORS.alice, 'patch'));
    cluster.update('ConfigMap', 'c', 'five', (o) => ((o.data as any).k = 'ignored'), by(ACTORS.alice, 'patch'));
    const events = await w.take(2);
    expect(events.map((e) => [e.type, e.object.metadata!.name])).toEqual([['DELETED', 'one'], ['ADDED', 'three']]);
    expect(await w.silentFor(100)).toBe(true);
    await w.cancel();
  });

  it('serializes each event once for all watchers (same bytes to each)', async () => {
    const ws = await Promise.all([0, 1, 2].map(() => watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`)));
    cluster.update('ConfigMap', 'a', 'two', (o) => ((o.data as any).k = 'z'), by(ACTORS.alice, 'patch'));
    const got = await Promise.all(ws.map((w) => w.next()));
    expect(new Set(got.map((g) => JSON.stringify(g))).size).toBe(1);
    await Promise.all(ws.map((w) => w.cancel()));
  });
});

describe('server-side printing for kubectl', () => {
  it('answers Accept: as=Table with kubectl columns, and plain JSON otherwise', async () => {
    cluster.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'a' },
      spec: { containers: [{ name: 'web' }, { name: 'side' }], nodeName: 'n1' },
      status: { phase: 'Running', podIP: '10.1.1.1', containerStatuses: [{ ready: true, restartCount: 2 }, { ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    }, admin);
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const table = (await get('/api/v1/namespaces/a/pods', { headers: { accept } })).body;
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node']);
    expect(table.rows[0].cells.slice(0, 5)).toEqual(['web-1', '1/2', 'CrashLoopBackOff', 3, '0s']);
    expect(table.rows[0].object.metadata.namespace).toBe('a');
    expect((await get('/api/v1/namespaces/a/pods')).body.kind).toBe('PodList');
  });
});

describe('auth and writes', () => {
  it('requires the bearer token when one is configured', async () => {
    const s2 = new SimServer({ cluster, token: 'sekret' });
    const u = await s2.start();
    try {
      expect((await fetch(u + '/api/v1/configmaps')).status).toBe(401);
      expect((await fetch(u + '/api/v1/configmaps', { headers: { authorization: 'Bearer sekret' } })).status).toBe(200);
    } finally {
      await s2.close();
    }
  });

  it('creates, patches and deletes through HTTP, attributed to the admin user', async () => {
    const muts: string[] = [];
    cluster.onMutation((m) => muts.push(`${m.ctx.verb}:${m.op}:${m.name}:${m.ctx.user.username}`));
    const created = await get('/api/v1/namespaces/a/configmaps', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'new' }, data: { a: '1' } }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'new', namespace: 'a' } });
    expect((await get('/api/v1/namespaces/a/configmaps', { method: 'POST', body: JSON.stringify({ metadata: { name: 'new' } }) })).status).toBe(409);
    const patched = await get('/api/v1/namespaces/a/configmaps/new', {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { a: null, b: '2' } }),
    });
    expect(patched.body.data).toEqual({ b: '2' });
    const stale = await get('/api/v1/namespaces/a/configmaps/new', {
      method: 'PUT', body: JSON.stringify({ ...created.body, data: { c: '3' } }),
    });
    expect(stale.status).toBe(409);
    expect((await get('/api/v1/namespaces/a/configmaps/new', { method: 'DELETE' })).status).toBe(200);
    expect((await get('/api/v1/namespaces/a/configmaps/new')).status).toBe(404);
    expect(muts).toEqual([
      'create:ADDED:new:kubernetes-admin',
      'patch:MODIFIED:new:kubernetes-admin',
      'delete:DELETED:new:kubernetes-admin',
    ]);
  });
});
