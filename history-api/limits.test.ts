import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { AuditSink } from '../ingester/audit/audit-sink.ts';
import { SpoolingWriter } from '../ingester/write/spooling-writer.ts';
import { Quarantine } from '../ingester/write/quarantine.ts';
import { fixedClock, NOW, testServer } from './testing/fakes.ts';
import { formatTime } from '../core/time.ts';
import type { HistoryServer } from './server.ts';

const list = (items: unknown[] = []) => ({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items });
const post = (app: HistoryServer, body: unknown) =>
  app.inject({ method: 'POST', url: '/v1/audit', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('audit bodies in flight', () => {
  it('answers 429 with Retry-After past the bound, and admits again once a batch is done', async () => {
    const releases: (() => void)[] = [];
    const { app } = testServer({
      auditMaxInflightBytes: 100,
      auditIngest: () => new Promise((resolve) => releases.push(() => resolve({ accepted: 0, ignored: 0 }))),
    });
    const body = list([{ pad: 'x'.repeat(80) }]);
    const first = post(app, body);
    while (!releases.length) await new Promise((r) => setImmediate(r));
    const second = await post(app, body);
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toMatch(/^\d+$/);
    expect(second.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' } });
    releases.shift()!();
    expect((await first).statusCode).toBe(200);
    const third = post(app, body);
    while (!releases.length) await new Promise((r) => setImmediate(r));
    releases.shift()!();
    expect((await third).statusCode).toBe(200);
  });
});

describe('request timeouts', () => {
  it('cuts a body sent slowly', async () => {
    const { app } = testServer({ requestTimeoutMs: 300, auditIngest: async () => ({ accepted: 0, ignored: 0 }) });
    cleanups.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('POST /v1/audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"items":[');
    // A byte every 50 ms keeps the connection busy, never idle: only a whole-request deadline ends it.
    const drip = setInterval(() => socket.write(' '), 50);
    cleanups.push(() => clearInterval(drip));
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  }, 20_000);
});

describe('an audit object kubetime cannot store', () => {
  it('is quarantined: the batch gets 200 and the rest of it is stored (it was a 500, retried forever)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-deep-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    cleanups.push(() => store.close());
    const writer = await SpoolingWriter.open({ store, dir: join(dir, 'spool'), quarantine: new Quarantine({ dir: join(dir, 'quarantine') }) });
    cleanups.push(() => writer.close());
    const sink = new AuditSink({ writer, clock: fixedClock, cluster: 'c' });
    const { app } = testServer({ auditIngest: (body, receivedAt) => sink.ingestList(body, undefined, receivedAt) });
    const event = (name: string, data: unknown) => ({
      stage: 'ResponseComplete', verb: 'create', responseStatus: { code: 201 }, stageTimestamp: formatTime(NOW), user: { username: 'alice' },
      objectRef: { resource: 'configmaps', namespace: 'ns', name, apiVersion: 'v1' },
      responseObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '5' }, data },
    });
    // JSON.stringify itself overflows the stack on such an object: the body is spelled out.
    const deep = JSON.stringify(list([event('deep', '@DEEP@'), event('fine', { a: '1' })])).replace('"@DEEP@"', `${'{"a":'.repeat(6000)}{}${'}'.repeat(6000)}`);
    const res = await app.inject({ method: 'POST', url: '/v1/audit', payload: deep, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(200);
    const names = [];
    for await (const l of store.lifetimes({ cluster: 'c' })) names.push(l.key.name);
    expect(names).toEqual(['fine']);
  });
});
