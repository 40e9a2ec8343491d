/**
 * Test doubles for the history API's tests: a HistoryQueries that records each request and
 * answers with fixed results (or a chosen error), a fixed clock and a silent logger.
 */
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import type { Viewer } from '../../core/access.ts';
import type { FailureSpan } from '../../core/failures/types.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import { BUILTIN_KINDS } from '../../core/kinds.ts';
import { parseRfc3339 } from '../../core/time.ts';
import type { Clock, Micros } from '../../core/time.ts';
import { buildServer } from '../server.ts';
import type { ServerDeps } from '../server.ts';

/** µs of an RFC 3339 literal (throws on a typo in a test). */
export function us(text: string): Micros {
  const t = parseRfc3339(text);
  if (t === undefined) throw new Error(`bad test time ${text}`);
  return t;
}

export const NOW = us('2026-01-10T12:00:00Z');
export const fixedClock: Clock = { now: () => NOW };
export const silentLogger = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '42', creationTimestamp: '2026-01-10T09:00:00Z' },
  spec: { replicas: 3 },
};

const revision = { ts: us('2026-01-10T10:00:00.123456Z'), op: 'MODIFIED' as const, resourceVersion: '42', source: 'watch+audit', actor: { username: 'alice' }, verb: 'patch' };

/** A crash loop after a rollout, as the failures query answers it. */
const failure: FailureSpan = {
  object: { kind: 'Pod', namespace: 'default', name: 'web-7d4b9-x2k4p', uid: 'p1' },
  reason: 'CrashLoopBackOff',
  start: us('2026-01-10T10:00:05Z'),
  end: us('2026-01-10T10:03:00Z'),
  ended: 'deleted',
  evidence: { container: 'web', exitCode: 1, terminationReason: 'Error', restarts: 4, node: 'node-1' },
  suspects: [{
    ref: { kind: 'Deployment', namespace: 'default', name: 'web' }, relation: 'owner', ts: us('2026-01-10T10:00:00Z'), op: 'MODIFIED',
    resourceVersion: '42', verb: 'patch', actor: { username: 'alice' }, diff: 'image: web:1.0 → web:1.1',
  }],
  recoveredAfter: {
    ref: { kind: 'Deployment', namespace: 'default', name: 'web' }, relation: 'owner', ts: us('2026-01-10T10:02:50Z'), op: 'MODIFIED',
    resourceVersion: '57', verb: 'patch', actor: { username: 'alice' }, diff: 'image: web:1.1 → web:1.0',
  },
};

/** Fixed answers of the fake queries; times are Micros as the real queries return them. */
export const canned = {
  object: deployment,
  revision,
  failure,
  history: [
    { ...revision, ts: us('2026-01-10T09:00:00Z'), op: 'ADDED' as const, resourceVersion: '40', uid: 'u1', patch: [], object: deployment },
    { ...revision, uid: 'u1', patch: [{ op: 'replace' as const, path: '/spec/replicas', value: 3 }] },
  ],
};

type Method = keyof HistoryQueries;

/** A HistoryQueries fake: `calls` records every request; `failWith` makes every method reject. */
export interface FakeQueries extends HistoryQueries {
  calls: { method: Method; request: unknown }[];
  /** The viewer of each call, in order (kept out of `calls` so requests compare as plain data). */
  viewers: Viewer[];
  failWith?: Error;
}

export function fakeQueries(): FakeQueries {
  const calls: FakeQueries['calls'] = [];
  const viewers: Viewer[] = [];
  const self: FakeQueries = {
    calls,
    viewers,
    async objectAt(r) {
      return answer('objectAt', r, { cluster: 'c1', at: r.at, object: deployment, revision });
    },
    async listAt(r) {
      return answer('listAt', r, { cluster: 'c1', at: r.at, items: [deployment], continue: 'next-page' });
    },
    async history(r) {
      return answer('history', r, { cluster: 'c1', items: canned.history });
    },
    async diffObject(r) {
      return answer('diffObject', r, {
        cluster: 'c1', from: r.from, to: r.to, before: deployment, after: { ...deployment, spec: { replicas: 5 } },
        patch: [{ op: 'replace', path: '/spec/replicas', value: 5 }], paths: ['/spec/replicas'],
      });
    },
    async diffScope(r) {
      return answer('diffScope', r, {
        cluster: 'c1', from: r.from, to: r.to,
        added: [{ ref: { kind: 'Deployment', namespace: 'default', name: 'api' }, object: { ...deployment, metadata: { ...deployment.metadata, name: 'api' } } }],
        removed: [],
        changed: [{
          ref: { kind: 'Deployment', namespace: 'default', name: 'web' }, patch: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
          changes: [{ op: 'replace', path: '/spec/replicas', old: 3, new: 5 }],
        }],
      });
    },
    async graph(r) {
      const web = { kind: 'Deployment', namespace: 'default', name: 'web' };
      const rs = { kind: 'ReplicaSet', namespace: 'default', name: 'web-1' };
      return answer('graph', r, { cluster: 'c1', at: r.at, nodes: [{ ...web, uid: 'u1' }, { ...rs, uid: 'u2' }], edges: [{ from: web, to: rs, type: 'owns' }] });
    },
    async changes(r) {
      return answer('changes', r, { cluster: 'c1', from: r.from, to: r.to, items: [{ ...revision, kind: 'Deployment', namespace: 'default', name: 'web', uid: 'u1' }] });
    },
    async events(r) {
      return answer('events', r, { cluster: 'c1', from: r.from, to: r.to, items: [{ apiVersion: 'v1', kind: 'Event', reason: 'ScalingReplicaSet', metadata: { name: 'web.1' } }] });
    },
    async failures(r) {
      return answer('failures', r, { cluster: 'c1', from: r.from, to: r.to, items: [canned.failure] });
    },
    async clusters(r) {
      return answer('clusters', r, { items: [{ name: 'c1', firstSeen: us('2026-01-01T00:00:00Z'), lastSeen: us('2026-01-10T11:59:59.5Z') }] });
    },
    async kinds(r) {
      return answer('kinds', r, { cluster: 'c1', items: [...BUILTIN_KINDS] });
    },
  };
  function answer<T>(method: Method, viewed: { viewer: Viewer }, result: T): T {
    const { viewer, ...request } = viewed;
    viewers.push(viewer);
    calls.push({ method, request: method === 'clusters' ? undefined : request });
    if (self.failWith) throw self.failWith;
    return result;
  }
  return self;
}

/** buildServer with the fakes; `overrides` replace any dependency. */
export function testServer(overrides: Partial<ServerDeps> = {}) {
  const queries = fakeQueries();
  const app = buildServer({ queries, clock: fixedClock, logger: silentLogger, ...overrides });
  return { app, queries: (overrides.queries as FakeQueries | undefined) ?? queries };
}
