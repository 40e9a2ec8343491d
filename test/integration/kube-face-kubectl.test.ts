/**
 * The real kubectl pointed at the past: a kubetime server in this process, over a seeded
 * embedded store (the simulator's scenario), answers `kubectl --server …/k8s/at/{T}` exactly as
 * the queries say the cluster was at T. Needs only the kubectl binary that comes with the kube
 * service (test/infra/kube.sh); no apiserver is contacted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { TRUSTED_VIEWER, type Access } from '../../core/access.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import type { KubeObject } from '../../core/record.ts';
import { formatTime } from '../../core/time.ts';
import { TokenFileAuthenticator } from '../../history-api/auth/authenticator.ts';
import { buildServer, type HistoryServer } from '../../history-api/server.ts';
import { silentLogger } from '../../history-api/testing/fakes.ts';
import { seedStore, type SeededHistory } from '../../history-api/testing/seeded-store.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { describeWithService } from '../infra/services.ts';

const exec = promisify(execFile);
type Obj = Record<string, any>; // manifests are untyped JSON

describeWithService('kube', 'kubectl against the Kubernetes face', (env) => {
  let dir: string;
  let seeded: SeededHistory;
  let store: LmdbHistoryStore;
  let queries: HistoryQueries;
  let open: HistoryServer;
  let authed: HistoryServer;
  let T: string;
  let at: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubetime-kubectl-'));
    seeded = await seedStore(dir, { seconds: 600 });
    store = LmdbHistoryStore.open({ path: join(dir, 'store') });
    queries = createHistoryQueries({ store });
    const clock = { now: () => seeded.end };
    open = buildServer({ queries, clock, logger: silentLogger });
    const onlyShop: Access = { allowed: async (_s, a) => a.namespace === 'shop' };
    // kubectl sends a bearer token only over https: the kube service's audit-sink certificate (127.0.0.1).
    const https = { cert: readFileSync(env.KUBETIME_AUDIT_SINK_CERT_FILE!), key: readFileSync(env.KUBETIME_AUDIT_SINK_KEY_FILE!) };
    authed = buildServer({ queries, clock, logger: silentLogger, https, readAuth: { authenticator: new TokenFileAuthenticator('shop-token,shop-reader,u1\n'), access: onlyShop, anonymous: 'refused' } });
    await open.listen({ host: '127.0.0.1', port: 0 });
    await authed.listen({ host: '127.0.0.1', port: 0 });
    at = seeded.end - 120e6;
    T = formatTime(at);
  }, 120_000);

  afterAll(async () => {
    await open?.close();
    await authed?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const portOf = (app: HistoryServer) => (app.server.address() as { port: number }).port;

  /** A kubeconfig for `server`, with a bearer token when given. */
  function kubeconfig(name: string, server: string, token?: string): string {
    const path = join(dir, `${name}.kubeconfig`);
    writeFileSync(path, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'past',
      clusters: [{ name: 'past', cluster: { server, ...(server.startsWith('https:') ? { 'certificate-authority': env.KUBETIME_KUBE_CA_FILE } : {}) } }],
      users: [{ name: 'u', user: token ? { token } : {} }],
      contexts: [{ name: 'past', context: { cluster: 'past', user: 'u' } }],
    }));
    return path;
  }

  /** Runs kubectl; never throws: the exit code, stdout and stderr are the result. */
  async function kubectl(args: string[], opts: { app?: HistoryServer; at?: string; token?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const scheme = opts.app === authed ? 'https' : 'http';
    const server = `${scheme}://127.0.0.1:${portOf(opts.app ?? open)}/k8s/at/${opts.at ?? T}`;
    const config = kubeconfig(`k${Math.random().toString(36).slice(2)}`, server, opts.token);
    try {
      const { stdout, stderr } = await exec(env.KUBETIME_KUBECTL!, ['--kubeconfig', config, '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }

  const lines = (text: string) => text.trim().split('\n').filter(Boolean);
  const firstColumn = (text: string) => lines(text).slice(1).map((l) => l.split(/\s+/)[0]!);
  const names = (items: KubeObject[]) => items.map((o) => (o.metadata as Obj).name as string).sort();
  const listed = async (kind: string, namespace?: string, more: { labelSelector?: string; fieldSelector?: string } = {}) =>
    (await queries.listAt({ viewer: TRUSTED_VIEWER, kind, namespace, at, limit: 5000, ...more })).items;

  it('kubectl is there (the kube service builds it)', () => {
    expect(env.KUBETIME_KUBECTL, 'KUBETIME_KUBECTL from kube.sh env').toBeTruthy();
  });

  it('get pods -n shop: the pods of T, with kubectl\'s columns', async () => {
    const r = await kubectl(['get', 'pods', '-n', 'shop']);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]!.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const pods = await listed('pods', 'shop');
    expect(pods.length).toBeGreaterThan(2);
    expect(firstColumn(r.stdout).sort()).toEqual(names(pods));
  });

  it('get pods -o wide adds IP and NODE', async () => {
    const r = await kubectl(['get', 'pods', '-n', 'shop', '-o', 'wide']);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]!.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
    const withIp = (await listed('pods', 'shop')).filter((p) => (p as Obj).status?.podIP);
    expect(withIp.length).toBeGreaterThan(0);
    for (const p of withIp) expect(r.stdout).toMatch(new RegExp(`^${(p as Obj).metadata.name}\\s.*\\s${(p as Obj).status.podIP.replace(/\./g, '\\.')}\\s+${(p as Obj).spec.nodeName}$`, 'm'));
  });

  it('get pods -o yaml and get deploy NAME -o json give the objects as recorded', async () => {
    const yaml = await kubectl(['get', 'pods', '-n', 'shop', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    const doc = parseYaml(yaml.stdout) as Obj;
    expect(doc.kind).toBe('List');
    expect(names(doc.items)).toEqual(names(await listed('pods', 'shop')));
    const deploy = (await listed('deployments', 'shop'))[0]!;
    const name = (deploy.metadata as Obj).name as string;
    const json = await kubectl(['get', 'deploy', name, '-n', 'shop', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    // kubectl leaves managedFields out of its output (--show-managed-fields shows them).
    const { managedFields: _m, ...metadata } = deploy.metadata as Obj;
    expect(JSON.parse(json.stdout)).toEqual({ ...deploy, metadata });
  });

  it('get nodes, get pods -A', async () => {
    const nodes = await kubectl(['get', 'nodes']);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(firstColumn(nodes.stdout).sort()).toEqual(names(await listed('nodes')));
    const all = await kubectl(['get', 'pods', '-A']);
    expect(all.code, all.stderr).toBe(0);
    expect(lines(all.stdout)[0]).toMatch(/^NAMESPACE\s+NAME\s+READY/);
    const pods = await listed('pods');
    expect(lines(all.stdout).slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/')).sort())
      .toEqual(pods.map((p) => `${(p.metadata as Obj).namespace}/${(p.metadata as Obj).name}`).sort());
  });

  it('-l and --field-selector select as the cluster would have', async () => {
    const app = ((await listed('pods', 'shop'))[0]!.metadata as Obj).labels.app as string;
    const l = await kubectl(['get', 'pods', '-n', 'shop', '-l', `app=${app}`]);
    expect(l.code, l.stderr).toBe(0);
    const byLabel = await listed('pods', 'shop', { labelSelector: `app=${app}` });
    expect(firstColumn(l.stdout).sort()).toEqual(names(byLabel));
    const f = await kubectl(['get', 'pods', '-A', '--field-selector', 'status.phase=Running', '-o', 'json']);
    expect(f.code, f.stderr).toBe(0);
    const running = JSON.parse(f.stdout).items as Obj[];
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((p) => p.status.phase === 'Running')).toBe(true);
    expect(names(running as KubeObject[])).toEqual(names(await listed('pods', undefined, { fieldSelector: 'status.phase=Running' })));
  });

  it('get cm/missing: NotFound; a pod deleted before T: NotFound saying when it existed', async () => {
    const missing = await kubectl(['get', 'cm/missing', '-n', 'shop']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`Error from server (NotFound): configmaps "missing" not found as of ${T}; kubetime has no record of it`);
    const changes = await queries.changes({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'shop', from: seeded.end - 600e6, to: at, limit: 5000 });
    const deleted = changes.items.find((c) => c.op === 'DELETED');
    expect(deleted, 'the scenario deletes a pod in shop').toBeTruthy();
    const gone = await kubectl(['get', 'pod', deleted!.name, '-n', 'shop']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`\\(NotFound\\): pods "${deleted!.name}" not found as of ${T}; it existed from \\S+ to ${formatTime(deleted!.ts).replace(/\./g, '\\.')}`));
  });

  it('the past is read-only: writes and watches are refused with kubetime\'s message', async () => {
    const del = await kubectl(['delete', 'cm', 'anything', '-n', 'shop']);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toMatch(/MethodNotAllowed.*kubetime serves the past read-only/);
    const watch = await kubectl(['get', 'pods', '-n', 'shop', '--watch-only']);
    expect(watch.code).not.toBe(0);
    expect(watch.stderr).toMatch(/kubetime serves the past read-only/);
  });

  it('now-relative times and a future T', async () => {
    const recent = await kubectl(['get', 'nodes', '-o', 'name'], { at: 'now-2m' });
    expect(recent.code, recent.stderr).toBe(0);
    expect(lines(recent.stdout).length).toBe((await listed('nodes')).length);
    const future = await kubectl(['get', 'pods'], { at: formatTime(seeded.end + 3600e6) });
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/BadRequest.*later than now/);
  });

  it('with a token from the kubeconfig: reads what the token may read, and only that', async () => {
    const own = await kubectl(['get', 'pods', '-n', 'shop'], { app: authed, token: 'shop-token' });
    expect(own.code, own.stderr).toBe(0);
    expect(firstColumn(own.stdout).sort()).toEqual(names(await listed('pods', 'shop')));
    const other = await kubectl(['get', 'pods', '-n', 'payments'], { app: authed, token: 'shop-token' });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/Forbidden/);
    const all = await kubectl(['get', 'pods', '-A', '-o', 'json'], { app: authed, token: 'shop-token' });
    expect(all.code, all.stderr).toBe(0);
    expect(new Set((JSON.parse(all.stdout).items as Obj[]).map((p) => p.metadata.namespace))).toEqual(new Set(['shop']));
    const wrong = await kubectl(['get', 'pods', '-n', 'shop'], { app: authed, token: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/You must be logged in to the server \(Authorization: the token was not accepted\)/);
  });
});
