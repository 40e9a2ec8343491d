/**
 * Who may read the past, decided by the real control plane: two ServiceAccounts with tokens from
 * the TokenRequest API, team-a allowed get/list in namespace A only (Role + RoleBinding), team-b in
 * B, `everyone` allowed everything (to show what the filters remove), `nobody` allowed nothing.
 * On an embedded store recorded with both namespaces' history, team-a sees nothing of B through
 * any endpoint; no token and a token the apiserver rejects are 401. kubetime's own identity is the
 * admin kubeconfig (TokenReview, SubjectAccessReview), as in `kubetime serve --authn tokenreview`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { loadConfig } from '../../cli/config.ts';
import { createReadAuth } from '../../cli/read-access.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import { buildServer, type HistoryServer } from '../../history-api/index.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { at, twoNamespaces } from '../fixtures/two-namespaces.ts';
import { describeWithService } from '../infra/services.ts';

/** Polls `ok` every 500 ms for up to 30 s (expect.poll is for tests, not hooks). */
async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const iso = (t: number) => new Date(t / 1000).toISOString();
const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

describeWithService('kube', 'read access decided by the cluster (TokenReview + SubjectAccessReview)', (env) => {
  const suffix = randomBytes(3).toString('hex');
  const [A, B] = [`kt-access-a-${suffix}`, `kt-access-b-${suffix}`];
  const admin = new KubeConfig();
  const tokens: Record<string, string> = {};
  let dir = '';
  let store: LmdbHistoryStore;
  let app: HistoryServer;
  const cleanups: (() => Promise<unknown>)[] = [];

  const get = (url: string, who?: string) => app.inject({ url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });
  const body = async (url: string, who: string) => {
    const res = await get(url, who);
    expect(res.statusCode, `${who} ${url}: ${res.body}`).toBe(200);
    return res.json();
  };
  const refused = async (url: string, who: string) => {
    const res = await get(url, who);
    expect(res.statusCode, `${who} ${url}: ${res.body}`).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    return res.json().error;
  };

  beforeAll(async () => {
    admin.loadFromFile(env.KUBECONFIG!);
    const core = admin.makeApiClient(CoreV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    for (const ns of [A, B]) {
      await core.createNamespace({ body: { metadata: { name: ns } } });
      cleanups.push(() => core.deleteNamespace({ name: ns }));
    }
    const account = async (name: string, ns: string) => {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
      const tr = await core.createNamespacedServiceAccountToken({ name, namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
      tokens[name] = tr.status!.token!;
      return { kind: 'ServiceAccount', name, namespace: ns };
    };
    const readEverything = [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list'] }];
    for (const [team, ns] of [['team-a', A], ['team-b', B]] as const) {
      const subject = await account(team, ns);
      await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'history-reader' }, rules: readEverything } });
      await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: team }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'history-reader' }, subjects: [subject] } });
    }
    await account('nobody', A);
    const everyone = await account('everyone', B);
    const role = `kt-access-everyone-${suffix}`;
    await rbac.createClusterRole({ body: { metadata: { name: role }, rules: readEverything } });
    cleanups.push(() => rbac.deleteClusterRole({ name: role }));
    await rbac.createClusterRoleBinding({ body: { metadata: { name: role }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [everyone] } });
    cleanups.push(() => rbac.deleteClusterRoleBinding({ name: role }));

    dir = mkdtempSync(join(tmpdir(), 'kt-access-'));
    store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    await store.append(twoNamespaces('kt', [A, B]));
    const config = loadConfig({}, { host: '0.0.0.0', cluster: 'kt', authn: 'tokenreview', authz: 'rbac' });
    const logger = pino({ level: 'silent' });
    app = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => at(30) }, logger: silent, readAuth: createReadAuth(config, { logger, kubeconfig: admin }) });
    // RBAC reaches the authorizer through an informer; a refusal is cached 2 s.
    await until(async () => (await get(`/v1/object?kind=deploy&namespace=${A}&name=web&at=now`, 'team-a')).statusCode === 200, 'team-a reads namespace A');
    await until(async () => (await get('/v1/objects?kind=nodes&at=now', 'everyone')).statusCode === 200, 'everyone lists Nodes');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const c of cleanups.reverse()) await c().catch((e) => process.stderr.write(`cleanup failed: ${e}\n`));
  });

  it('refuses a request without a token and a token the apiserver rejects (401)', async () => {
    for (const url of ['/v1/clusters', `/v1/objects?kind=pods&namespace=${A}`]) {
      expect((await get(url)).statusCode).toBe(401);
      const rejected = await app.inject({ url, headers: { authorization: 'Bearer not-a-token-the-apiserver-issued' } });
      expect(rejected.statusCode).toBe(401);
      expect(rejected.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('one object, its history and its diff: team-a reads A, is refused B with what was refused, and B\'s 404 intervals stay hidden', async () => {
    expect((await body(`/v1/object?kind=deploy&namespace=${A}&name=web&at=now`, 'team-a')).object.spec.replicas).toBe(3);
    const err = await refused(`/v1/object?kind=deploy&namespace=${B}&name=web&at=now`, 'team-a');
    expect(err.details).toMatchObject({ user: `system:serviceaccount:${A}:team-a`, verb: 'get', group: 'apps', resource: 'deployments', namespace: B, name: 'web', cluster: 'kt' });
    const gone = await get(`/v1/object?kind=cm&namespace=${A}&name=gone&at=now`, 'team-a');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.details.existed).toHaveLength(1);
    const goneB = await refused(`/v1/object?kind=cm&namespace=${B}&name=gone&at=now`, 'team-a');
    expect(JSON.stringify(goneB)).not.toContain('existed');
    expect((await get(`/v1/object?kind=cm&namespace=${B}&name=gone&at=now`, 'team-b')).json().error.details.existed).toHaveLength(1);
    expect((await body(`/v1/history?kind=deploy&namespace=${A}&name=web`, 'team-a')).items).toHaveLength(2);
    await refused(`/v1/history?kind=deploy&namespace=${B}&name=web`, 'team-a');
    const window = `from=${iso(at(2))}&to=${iso(at(7))}`;
    expect((await body(`/v1/diff?kind=deploy&namespace=${A}&name=web&${window}`, 'team-a')).paths).toEqual(['/spec/replicas']);
    await refused(`/v1/diff?kind=deploy&namespace=${B}&name=web&${window}`, 'team-a');
  });

  it('lists with and without a namespace, and scope diffs, hold only A', async () => {
    expect((await body('/v1/objects?kind=pods&at=now', 'everyone')).items.map((o: any) => o.metadata.namespace)).toEqual([A, B]);
    expect((await body('/v1/objects?kind=pods&at=now', 'team-a')).items.map((o: any) => o.metadata.namespace)).toEqual([A]);
    expect((await body('/v1/objects?kind=pods&at=now', 'team-b')).items.map((o: any) => o.metadata.namespace)).toEqual([B]);
    expect((await body(`/v1/objects?kind=pods&namespace=${A}&at=now`, 'team-a')).items).toHaveLength(1);
    await refused(`/v1/objects?kind=pods&namespace=${B}&at=now`, 'team-a');
    await refused('/v1/objects?kind=nodes&at=now', 'team-a');
    const window = `from=${iso(at(2))}&to=${iso(at(7))}`;
    expect((await body(`/v1/diff?kind=cm&${window}`, 'everyone')).removed).toHaveLength(2);
    const scope = await body(`/v1/diff?kind=cm&${window}`, 'team-a');
    expect(scope.removed).toEqual([expect.objectContaining({ kind: 'ConfigMap', namespace: A, name: 'gone' })]);
    expect(JSON.stringify(scope)).not.toContain(B);
    await refused(`/v1/diff?kind=cm&namespace=${B}&${window}`, 'team-a');
  });

  it('a graph starting in A does not reach B, nor the Node team-a may not list', async () => {
    const url = `/v1/graph?kind=pod&namespace=${A}&name=web-1-x&at=now&hops=3`;
    const all = await body(url, 'everyone');
    expect(all.nodes.map((n: any) => n.kind)).toContain('Node');
    const g = await body(url, 'team-a');
    expect(g.nodes.map((n: any) => n.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Pod', 'ReplicaSet', 'Service']);
    expect(JSON.stringify(g)).not.toContain(B);
    expect(JSON.stringify(g)).not.toContain('"n1"');
    await refused(`/v1/graph?kind=node&name=n1&at=now`, 'team-a');
    const fromNode = await body(`/v1/graph?kind=node&name=n1&at=now&hops=1`, 'everyone');
    expect(JSON.stringify(fromNode)).toContain(B);
  });

  it('the change feed, Events and the cluster list keep to what the reader may list', async () => {
    const window = `from=${iso(at(0))}&to=${iso(at(10))}`;
    const everyone = await body(`/v1/changes?${window}`, 'everyone');
    expect(new Set(everyone.items.map((c: any) => c.namespace))).toEqual(new Set(['', A, B]));
    const changes = await body(`/v1/changes?${window}`, 'team-a');
    expect(changes.items.length).toBeGreaterThan(5);
    expect(new Set(changes.items.map((c: any) => c.namespace))).toEqual(new Set([A]));
    expect((await body(`/v1/changes?${window}&namespace=${B}`, 'team-a')).items).toEqual([]);
    expect((await body(`/v1/events?${window}`, 'everyone')).items).toHaveLength(2);
    expect((await body(`/v1/events?${window}`, 'team-a')).items.map((e: any) => e.metadata.namespace)).toEqual([A]);
    expect((await body('/v1/clusters', 'team-a')).items.map((c: any) => c.name)).toEqual(['kt']);
    expect((await body('/v1/clusters', 'nobody')).items).toEqual([]);
  });
});
