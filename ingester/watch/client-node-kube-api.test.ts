import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubeApi } from './client-node-kube-api.ts';
import { KubeApiError, isGone, type WatchEvent } from './kube-api.ts';

let server: Server;
let base: string;
const seen: { url: string; auth: string | undefined }[] = [];
let hold: ServerResponse | undefined;

function status(res: ServerResponse, code: number, reason: string) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', code, reason, message: `${reason} says the server` }));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization });
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/api/v1/pods' && url.searchParams.get('watch') !== 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a', creationTimestamp: '2026-01-10T10:00:00Z' } }] }));
      return;
    }
    if (url.pathname === '/api/v1/pods') {
      if (url.searchParams.get('resourceVersion') === 'old') return status(res, 410, 'Gone');
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = '{"type":"ADDED","object":{"metadata":{"name":"é"}}}\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\nnot json\n';
      res.write(body.slice(0, 10));
      setTimeout(() => {
        res.write(body.slice(10, 60));
        res.end(body.slice(60) + '{"type":"DELETED","object":{}}');
      }, 20);
      return;
    }
    if (url.pathname === '/api/v1/configmaps') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{}}\n');
      hold = res; // never ends: a silent stream
      return;
    }
    status(res, 404, 'NotFound');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hold?.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function api(server = base): ClientNodeKubeApi {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return new ClientNodeKubeApi({ kubeConfig: kc, requestTimeoutMs: 2000 });
}

describe('ClientNodeKubeApi', () => {
  it('GETs JSON as served, with the kubeconfig credentials and query', async () => {
    const body = await api().get('/api/v1/pods', { limit: 500, continue: undefined, labelSelector: 'app=x' });
    expect(body).toMatchObject({ metadata: { resourceVersion: '7' }, items: [{ metadata: { creationTimestamp: '2026-01-10T10:00:00Z' } }] });
    const last = seen.at(-1)!;
    expect(last.auth).toBe('Bearer tok');
    expect(last.url).toBe('/api/v1/pods?limit=500&labelSelector=app%3Dx');
  });

  it('turns error answers into KubeApiError with status and reason', async () => {
    const err = await api().get('/api/v1/nothing', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 404, reason: 'NotFound' });
    const refused = await api('http://127.0.0.1:1').get('/api', {}).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 0 });
  });

  it('streams watch events split across chunks, skipping nothing but junk', async () => {
    const events: WatchEvent[] = [];
    for await (const batch of api().watch('/api/v1/pods', { resourceVersion: '7', allowWatchBookmarks: true }, new AbortController().signal)) events.push(...batch);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'MALFORMED', 'DELETED']);
    expect(events[0]!.object).toEqual({ metadata: { name: 'é' } });
    expect(seen.at(-1)!.url).toContain('watch=true');
  });

  it('reports 410 on watch start as gone', async () => {
    const it = api().watch('/api/v1/pods', { resourceVersion: 'old' }, new AbortController().signal)[Symbol.asyncIterator]();
    const err = await it.next().catch((e: unknown) => e);
    expect(isGone(err)).toBe(true);
  });

  it('ends a silent stream when the signal aborts', async () => {
    const ctl = new AbortController();
    const got: string[] = [];
    const run = (async () => {
      for await (const batch of api().watch('/api/v1/configmaps', {}, ctl.signal)) for (const e of batch) got.push(e.type);
    })();
    await new Promise((r) => setTimeout(r, 50));
    ctl.abort();
    await expect(run).rejects.toBeDefined();
    expect(got).toEqual(['ADDED']);
  });
});
