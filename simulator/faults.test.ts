import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTORS, by } from './actors.ts';
import type { Cluster } from './cluster.ts';
import type { SimServer } from './server.ts';
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

describe('faults', () => {
  it('fails the next N lists with 429 + Retry-After, then recovers', async () => {
    server.faults.failLists(2, { status: 429, retryAfterSeconds: 3 });
    const r1 = await get('/api/v1/configmaps');
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('3');
    expect(r1.body.reason).toBe('TooManyRequests');
    expect((await get('/api/v1/configmaps')).status).toBe(429);
    expect((await get('/api/v1/configmaps')).status).toBe(200);
    server.faults.failLists(1);
    expect((await get('/api/v1/configmaps')).status).toBe(500);
  });

  it('forces 410 on the next watch from a resourceVersion', async () => {
    server.faults.expireNextWatch();
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    expect(await w.next()).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    const w2 = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    expect(await w2.silentFor(100)).toBe(true);
    await w2.cancel();
  });

  it('drops open watches mid-stream', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.faults.dropWatches()).toBe(1);
    await expect(w.next()).rejects.toThrow();
  });

  it('stalls watches silently, then delivers what was held back', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}&allowWatchBookmarks=true`);
    await new Promise((r) => setTimeout(r, 20));
    server.faults.stallWatches(0.3);
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.data as any).k = 'during-stall'), by(ACTORS.alice, 'patch'));
    server.hub.sendBookmarks();
    expect(await w.silentFor(200)).toBe(true);
    const e = await w.next(1000);
    expect(e).toMatchObject({ type: 'MODIFIED', object: { data: { k: 'during-stall' } } });
    await w.cancel();
  });

  it('stops and starts the server on the same port, keeping the data', async () => {
    const port = new URL(url).port;
    await server.faults.stopServer();
    await expect(fetch(url + '/api/v1/configmaps')).rejects.toThrow();
    const again = await server.faults.startServer();
    expect(new URL(again).port).toBe(port);
    expect((await get('/api/v1/configmaps')).body.items).toHaveLength(5);
  });

  it('fails the next watch with 503 before streaming', async () => {
    server.faults.failWatches(1, { status: 503 });
    expect((await fetch(`${url}/api/v1/configmaps?watch=true`)).status).toBe(503);
    const w = await watch('/api/v1/configmaps?watch=true');
    expect((await w.take(5)).length).toBe(5);
    await w.cancel();
  });

  it('a stall that ends in a drop cuts the silent connections', async () => {
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    await new Promise((r) => setTimeout(r, 20));
    server.faults.stallWatches(0.2, { after: 'drop', includeNew: true });
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.data as any).k = 'lost'), by(ACTORS.alice, 'patch'));
    const late = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${cluster.resourceVersion}`);
    expect(await late.silentFor(100)).toBe(true);
    await expect(w.next(1000)).rejects.toThrow(/terminated|other side closed|socket/i);
    await expect(late.next(1000)).rejects.toThrow();
  });

  it('ends watches cleanly, and compactNow expires every older resourceVersion', async () => {
    const rv = cluster.resourceVersion;
    const w = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${rv}`);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.faults.endWatches()).toBe(1);
    expect(await w.next()).toBeUndefined();
    cluster.update('ConfigMap', 'a', 'one', (o) => ((o.data as any).k = 'x'), by(ACTORS.alice, 'patch'));
    server.faults.compactNow();
    const again = await watch(`/api/v1/configmaps?watch=true&resourceVersion=${rv}`);
    expect(await again.next()).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });
});
