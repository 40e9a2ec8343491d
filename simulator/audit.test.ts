import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../k8s/time.ts';
import { ACTORS, by, kubelet } from './actors.ts';
import { auditIdFor, toAuditEvent, type AuditEventList } from './audit.ts';
import { AuditPoster } from './audit-poster.ts';
import { Cluster, type Mutation } from './cluster.ts';
import { ManualClock } from './manual-clock.ts';
import { auditLogLines, simulateHistory } from './history.ts';
import { microTime } from './time-format.ts';

const MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function recorder() {
  const clock = new ManualClock(Date.UTC(2026, 0, 10, 10, 5, 0) * 1000 + 123456);
  const cluster = new Cluster({ clock, seed: 9 });
  const muts: Mutation[] = [];
  cluster.onMutation((m) => muts.push(m));
  return { clock, cluster, muts, audit: (m: Mutation) => toAuditEvent(m, { seed: 9 }) };
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop' }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] }, status: { phase: 'Pending' } };

describe('toAuditEvent', () => {
  it('shapes a create like kube-apiserver: ResponseComplete, RequestResponse, 201, µs timestamps', () => {
    const { cluster, muts, audit } = recorder();
    cluster.create(pod, by(ACTORS.replicaSetController, 'create'));
    const ev = audit(muts[0]!)!;
    expect(ev).toMatchObject({
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', stage: 'ResponseComplete', verb: 'create',
      requestURI: '/api/v1/namespaces/shop/pods',
      user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1', apiVersion: 'v1' },
      responseStatus: { code: 201 },
    });
    expect(ev.objectRef.apiGroup).toBeUndefined();
    expect(ev.auditID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ev.auditID).toBe(auditIdFor(9, muts[0]!.rv));
    expect(ev.stageTimestamp).toBe('2026-01-10T10:05:00.123456Z');
    expect(ev.stageTimestamp).toMatch(MICRO);
    expect(ev.requestReceivedTimestamp).toMatch(MICRO);
    expect(parseRfc3339(ev.requestReceivedTimestamp)!).toBeLessThan(parseRfc3339(ev.stageTimestamp)!);
    expect((ev.responseObject as any).metadata).toMatchObject({ uid: muts[0]!.uid, resourceVersion: String(muts[0]!.rv) });
    expect((ev.requestObject as any).metadata.uid).toBeUndefined();
  });

  it('sends a merge patch as the requestObject of a patch, with group and uid in objectRef', () => {
    const { cluster, muts, audit } = recorder();
    cluster.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 2, paused: false } }, by(ACTORS.alice, 'create'));
    cluster.update('Deployment.apps', 'shop', 'web', (o) => {
      (o.spec as any).replicas = 5;
      delete (o.spec as any).paused;
    }, by(ACTORS.alice, 'patch'));
    const ev = audit(muts[1]!)!;
    expect(ev.objectRef).toMatchObject({ resource: 'deployments', apiGroup: 'apps', apiVersion: 'v1', uid: muts[1]!.uid });
    expect(ev.requestURI).toBe('/apis/apps/v1/namespaces/shop/deployments/web');
    expect(ev.requestObject).toEqual({ spec: { replicas: 5, paused: null } });
    expect(ev.responseStatus.code).toBe(200);
    expect(ev.user.username).toBe('alice@example.com');
  });

  it('logs Secrets at Metadata level: no request or response object', () => {
    const { cluster, muts, audit } = recorder();
    cluster.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, data: { p: 'c2VjcmV0' } }, by(ACTORS.alice, 'create'));
    const ev = audit(muts[0]!)!;
    expect(ev.level).toBe('Metadata');
    expect(ev).not.toHaveProperty('requestObject');
    expect(ev).not.toHaveProperty('responseObject');
    expect(JSON.stringify(ev)).not.toContain('c2VjcmV0');
  });

  it('answers a binding with a 201 Status, and has no event for changes no request made', () => {
    const { cluster, muts, audit } = recorder();
    cluster.create(pod, by(ACTORS.replicaSetController, 'create'));
    cluster.update('Pod', 'shop', 'web-1', (o) => ((o.spec as any).nodeName = 'node-a'), by(ACTORS.scheduler, 'create', 'binding'));
    cluster.delete('Pod', 'shop', 'web-1', { ...by(kubelet('node-a'), 'delete'), audited: false }, { gracePeriodSeconds: 0 });
    const bind = audit(muts[1]!)!;
    expect(bind).toMatchObject({ verb: 'create', objectRef: { subresource: 'binding' }, responseStatus: { code: 201 }, requestObject: { kind: 'Binding', target: { name: 'node-a' } } });
    expect(bind.requestURI).toBe('/api/v1/namespaces/shop/pods/web-1/binding');
    expect(audit(muts[2]!)).toBeUndefined();
  });
});

let sink: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (sink ? sink.close(r) : r(undefined)));
  sink = undefined;
});

/** A webhook sink that records batches; `failFirst` requests answer 500. */
async function startSink(failFirst = 0): Promise<{ url: string; batches: AuditEventList[]; auth: string[] }> {
  const batches: AuditEventList[] = [];
  const auth: string[] = [];
  let seen = 0;
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      auth.push(String(req.headers.authorization));
      if (seen++ < failFirst) {
        res.writeHead(500).end();
        return;
      }
      batches.push(JSON.parse(body));
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/audit`, batches, auth };
}

describe('AuditPoster', () => {
  it('posts EventList batches of at most batchMaxSize, in order, with the bearer token', async () => {
    const s = await startSink();
    const poster = new AuditPoster({ url: s.url, token: 'tok', batchMaxSize: 3, batchMaxWaitMs: 20 });
    const { cluster } = recorder();
    poster.attach(cluster, { seed: 9 });
    for (let i = 0; i < 8; i++) cluster.create({ ...pod, metadata: { name: `p${i}`, namespace: 'shop' } }, by(ACTORS.replicaSetController, 'create'));
    await poster.flush();
    expect(s.batches.every((b) => b.kind === 'EventList' && b.apiVersion === 'audit.k8s.io/v1' && b.items.length <= 3)).toBe(true);
    expect(s.batches.flatMap((b) => b.items.map((e) => e.objectRef.name))).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(new Set(s.auth)).toEqual(new Set(['Bearer tok']));
    expect(poster.stats).toMatchObject({ sent: 8, dropped: 0 });
  });

  it('sends a partial batch after batchMaxWaitMs', async () => {
    const s = await startSink();
    const poster = new AuditPoster({ url: s.url, batchMaxSize: 100, batchMaxWaitMs: 30 });
    const { cluster } = recorder();
    poster.attach(cluster, { seed: 9 });
    cluster.create(pod, by(ACTORS.replicaSetController, 'create'));
    expect(s.batches).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.batches).toHaveLength(1);
  });

  it('retries a failed batch until the sink takes it, without losing or repeating events', async () => {
    const s = await startSink(2);
    const poster = new AuditPoster({ url: s.url, batchMaxSize: 2, batchMaxWaitMs: 5, initialBackoffMs: 5 });
    const { cluster } = recorder();
    poster.attach(cluster, { seed: 9 });
    for (let i = 0; i < 5; i++) cluster.create({ ...pod, metadata: { name: `p${i}`, namespace: 'shop' } }, by(ACTORS.replicaSetController, 'create'));
    await poster.flush();
    const names = s.batches.flatMap((b) => b.items.map((e) => e.objectRef.name));
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(poster.stats).toMatchObject({ sent: 5, failures: 2, dropped: 0 });
  });

  it('drops a batch after maxRetries and counts it', async () => {
    const s = await startSink(100);
    const poster = new AuditPoster({ url: s.url, batchMaxSize: 10, batchMaxWaitMs: 5, initialBackoffMs: 1, maxRetries: 2 });
    const { cluster } = recorder();
    poster.attach(cluster, { seed: 9 });
    cluster.create(pod, by(ACTORS.replicaSetController, 'create'));
    await poster.flush();
    expect(poster.stats).toMatchObject({ sent: 0, failures: 3, dropped: 1 });
  });
});

describe('audit and ground truth of a scenario', () => {
  it('every audited revision has exactly one event with its auditID, time and object', () => {
    const h = simulateHistory({ scenario: { seed: 4, churnPerSecond: 20 }, seconds: 60 });
    const events = new Map(h.audit.map((e) => [e.auditID, e]));
    const audited = h.truth.filter((r) => r.audited);
    expect(audited.length).toBeGreaterThan(1000);
    expect(events.size).toBe(audited.length);
    for (const r of audited) {
      const ev = events.get(auditIdFor(4, Number(r.resourceVersion)))!;
      expect(ev.stageTimestamp).toBe(microTime(r.ts));
      expect(ev.objectRef.name).toBe(r.name);
      expect(ev.verb).toBe(r.verb);
      if (ev.level === 'RequestResponse' && !r.subresource?.match(/binding|eviction/)) {
        expect((ev.responseObject as any).metadata.resourceVersion).toBe(r.resourceVersion);
        if (r.subresource === 'scale') expect((ev.responseObject as any).kind).toBe('Scale');
      }
    }
    const ts = h.truth.map((r) => r.ts);
    expect(ts.every((t, i) => i === 0 || t > ts[i - 1]!)).toBe(true);
  });

  it('renders a deterministic audit log (one JSON Event per line)', () => {
    const a = auditLogLines(simulateHistory({ scenario: { seed: 8 }, seconds: 20 }).audit);
    const b = auditLogLines(simulateHistory({ scenario: { seed: 8 }, seconds: 20 }).audit);
    expect(a).toBe(b);
    const lines = a.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.every((l) => JSON.parse(l).kind === 'Event')).toBe(true);
  });
});
