/**
 * deploy/: the Helm chart (every values variant under ci/) and the kustomize base and overlay
 * render, and the real kube-apiserver accepts every object they make (server-side dry-run,
 * which runs validation, defaulting and admission, PodSecurity included). Then the chart's
 * ServiceAccount, ClusterRole and binding are created for real, a token is minted for the
 * ServiceAccount (TokenRequest), and that token must list and watch what kubetime ingests,
 * must be refused every write, may create TokenReviews and SubjectAccessReviews (read access),
 * and must be enough for `kubetime serve` to ingest the cluster. The chart and kustomize ship a
 * NetworkPolicy on kubetime's port and read authentication on by default.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ApiextensionsV1Api, AppsV1Api, AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { describeWithService } from '../infra/services.ts';

const exec = promisify(execFile);
const CHART = 'deploy/helm/kubetime';
const VARIANTS = ['default', 'embedded', 'cassandra', 's3'] as const;
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** The environment variables kubetime reads: every KUBETIME_* of cli/config.ts, and the AWS SDK's. */
const CONFIG_VARS = new Set([...readFileSync('cli/config.ts', 'utf8').matchAll(/env\.(KUBETIME_[A-Z0-9_]+)/g)].map((m) => m[1]!));
const SDK_VARS = new Set(['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);

async function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const child = exec(cmd, args, { env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20, timeout: opts.timeout ?? 120_000 });
  child.child.stdin!.end(opts.input ?? '');
  return child;
}

const parseDocs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o?.kind);
const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string) => {
  const found = byKind(objs, kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const container = (sts: Obj) => sts.spec.template.spec.containers[0];
const envOf = (sts: Obj): Record<string, any> => Object.fromEntries(container(sts).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describeWithService('kube', 'deploy/: Helm chart and kustomize against the real apiserver', (env) => {
  const suffix = randomBytes(3).toString('hex');
  const ns = `kt-deploy-${suffix}`;
  const release = `kt-e2e-${suffix}`;
  const kubectl = env.KUBETIME_KUBECTL ?? 'kubectl';
  const kenv = { KUBECONFIG: env.KUBECONFIG };
  const admin = new KubeConfig();
  let helm = '';
  let crdFile = '';
  let ruleCrdFile = '';
  let createdCrd = false;
  let createdRuleCrd = false;
  const cleanups: string[][] = [];

  const k = (args: string[], input?: string) => run(kubectl, args, { input, env: kenv });
  const helmTemplate = async (variant: string, extra: string[] = []) => {
    const values = variant === 'default' ? [] : ['-f', `${CHART}/ci/${variant}-values.yaml`];
    return (await run(helm, ['template', release, CHART, '--namespace', ns, ...values, ...extra])).stdout;
  };
  /** Server-side dry-run of every object; returns what kubectl says it would have done. */
  const dryRun = async (objs: Obj[]) => {
    const input = objs.map((o) => JSON.stringify(o)).join('\n');
    const { stdout } = await k(['apply', '--dry-run=server', '--server-side', '--field-manager=kubetime-e2e', '-f', '-'], input);
    return stdout.trim().split('\n');
  };

  beforeAll(async () => {
    admin.loadFromFile(env.KUBECONFIG!);
    // Builds helm from the Go module proxy on first use (minutes on 2 cores), then is instant.
    await run('bash', ['test/infra/helm.sh', 'install'], { timeout: 45 * 60_000 });
    helm = (await run('bash', ['test/infra/helm.sh', 'path'])).stdout.trim();
    const helmEnv = (await run('bash', ['test/infra/helm.sh', 'env'])).stdout;
    crdFile = /KUBETIME_SERVICEMONITOR_CRD=(.*)/.exec(helmEnv)![1]!;
    ruleCrdFile = /KUBETIME_PROMETHEUSRULE_CRD=(.*)/.exec(helmEnv)![1]!;
    // A namespace enforcing the restricted Pod Security profile: kubetime's pod must pass it.
    await k(['create', 'namespace', ns]);
    cleanups.push(['delete', 'namespace', ns, '--wait=false']);
    await k(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    // The chart's optional ServiceMonitor needs prometheus-operator's CRD (the real one).
    const have = await k(['get', 'crd', 'servicemonitors.monitoring.coreos.com']).then(() => true, () => false);
    if (!have) {
      await k(['apply', '--server-side', '-f', crdFile]);
      await k(['wait', '--for=condition=Established', 'crd/servicemonitors.monitoring.coreos.com', '--timeout=60s']);
      createdCrd = true;
    }
    // …and its optional PrometheusRule (the alerts) prometheus-operator's PrometheusRule CRD.
    if (!(await k(['get', 'crd', 'prometheusrules.monitoring.coreos.com']).then(() => true, () => false))) {
      await k(['apply', '--server-side', '-f', ruleCrdFile]);
      await k(['wait', '--for=condition=Established', 'crd/prometheusrules.monitoring.coreos.com', '--timeout=60s']);
      createdRuleCrd = true;
    }
  }, 50 * 60_000);

  afterAll(async () => {
    for (const args of cleanups.reverse()) await k([...args, '--ignore-not-found']).catch((e) => process.stderr.write(`cleanup failed: ${e}\n`));
    if (createdCrd) await k(['delete', 'crd', 'servicemonitors.monitoring.coreos.com', '--ignore-not-found', '--wait=false']).catch(() => undefined);
    if (createdRuleCrd) await k(['delete', 'crd', 'prometheusrules.monitoring.coreos.com', '--ignore-not-found', '--wait=false']).catch(() => undefined);
  });

  it.each(VARIANTS)('chart with %s values: least-privilege objects that the apiserver accepts', async (variant) => {
    const objs = parseDocs(await helmTemplate(variant));
    const sts = one(objs, 'StatefulSet');
    // Env: exactly the names cli/config.ts reads (plus the S3 SDK's credentials).
    for (const name of Object.keys(envOf(sts))) expect(CONFIG_VARS.has(name) || SDK_VARS.has(name), name).toBe(true);
    // RBAC: read verbs only, everywhere.
    for (const rule of one(objs, 'ClusterRole').rules) expect(rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v)), JSON.stringify(rule)).toBe(true);
    // Reads: authenticated and authorized by the cluster, reachable by readers and the apiserver only.
    const delegator = byKind(objs, 'ClusterRoleBinding').find((b) => b.roleRef.name === 'system:auth-delegator');
    if (variant === 'embedded') {
      // Token file and policy from a Secret and a ConfigMap; nothing asks the cluster.
      expect(envOf(sts)).toMatchObject({ KUBETIME_AUTHN: 'token-file', KUBETIME_TOKEN_FILE: '/etc/kubetime/tokens/tokens.csv', KUBETIME_AUTHZ: 'policy', KUBETIME_POLICY_FILE: '/etc/kubetime/policy/policy.yaml' });
      expect(sts.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'access-tokens', secret: { secretName: 'kubetime-tokens' } }, { name: 'access-policy', configMap: { name: 'kubetime-policy' } }]));
      expect(delegator).toBeUndefined();
    } else {
      expect(envOf(sts)).toMatchObject({ KUBETIME_AUTHN: 'tokenreview', KUBETIME_AUTHZ: 'rbac', KUBETIME_OPS_OPEN: 'true' });
      expect(delegator?.subjects).toEqual([{ kind: 'ServiceAccount', name: one(objs, 'ServiceAccount').metadata.name, namespace: ns }]);
    }
    const netpol = one(objs, 'NetworkPolicy');
    expect(netpol.spec.podSelector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    expect(netpol.spec.ingress.map((r: any) => r.from[0])).toEqual(variant === 's3'
      ? [{ ipBlock: { cidr: '10.0.0.10/32' } }, { podSelector: {} }]
      : [{ podSelector: {} }]);
    for (const rule of netpol.spec.ingress) expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    const c = container(sts);
    expect(c.resources.requests && c.resources.limits).toBeTruthy();
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/healthz', '/readyz']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    const e = envOf(sts);
    if (variant === 'cassandra') {
      expect(e).toMatchObject({ KUBETIME_STORE: 'cassandra', KUBETIME_CASSANDRA_LOCAL_DC: 'dc1', KUBETIME_CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:dc1=3' });
      expect(sts.spec.volumeClaimTemplates).toBeUndefined();
      expect(e.AWS_ACCESS_KEY_ID).toEqual({ secretKeyRef: { name: 'kubetime-s3', key: 'AWS_ACCESS_KEY_ID' } });
    } else {
      expect(e.KUBETIME_STORE).toBe('embedded');
      expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    }
    if (variant === 's3') {
      expect(e).toMatchObject({ KUBETIME_SNAPSHOTS: 's3://kubetime/snapshots', KUBETIME_S3_ENDPOINT: 'http://minio.minio.svc:9000' });
      expect(e.KUBETIME_AUDIT_TOKEN).toEqual({ secretKeyRef: { name: `${release}-kubetime-audit`, key: 'token' } });
      const kubeconfig = byKind(objs, 'Secret').find((s) => s.metadata.name.endsWith('-audit-webhook'))!.stringData['audit-webhook.kubeconfig'];
      expect(kubeconfig).toContain('server: "https://kubetime-audit.example.com/v1/audit"');
      expect(kubeconfig).toContain('token: "change-me-audit-token"');
      expect(byKind(objs, 'ServiceMonitor')).toHaveLength(1);
      // The PrometheusRule carries every alert of deploy/observability/alerts.yaml, runbook links rebased.
      const rule = one(objs, 'PrometheusRule');
      expect(rule.metadata.labels).toMatchObject({ release: 'prometheus' });
      const alerts = rule.spec.groups.flatMap((g: any) => g.rules);
      const expected = [...readFileSync('deploy/observability/alerts.yaml', 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
      expect(alerts.map((r: any) => r.alert)).toEqual(expected);
      for (const r of alerts) expect(r.annotations.runbook_url).toBe(`https://runbooks.example.com/kubetime.md#${r.alert.toLowerCase().replace('spoolstuck', 'spoolgrowing')}`);
      // The Grafana dashboard, for the sidecar: the very JSON of deploy/observability/.
      const dashboard = byKind(objs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-dashboard'))!;
      expect(dashboard.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(JSON.parse(dashboard.data['kubetime.json'])).toEqual(JSON.parse(readFileSync('deploy/observability/grafana-dashboard.json', 'utf8')));
    } else {
      expect(byKind(objs, 'ServiceMonitor')).toHaveLength(0);
      expect(byKind(objs, 'PrometheusRule')).toHaveLength(0);
      expect(byKind(objs, 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard'))).toHaveLength(0);
    }
    const out = await dryRun(objs);
    expect(out).toHaveLength(objs.length);
    for (const line of out) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
  });

  it('chart refuses values that cannot work, naming each problem', async () => {
    const err = await helmTemplate('default', ['--set', 'store=cassandra', '--set', 'audit.token=t', '--set', 'snapshots=ftp://x', '--set', 'access.authn=token-file', '--set', 'access.authz=policy']).then(() => '', (e) => String(e.stderr));
    expect(err).toContain('access.authn=token-file needs access.tokenFileSecret');
    expect(err).toContain('access.authz=policy needs access.policyConfigMap');
    expect(err).toContain('store=cassandra needs cassandra.contactPoints');
    expect(err).toContain('kube-apiserver sends bearer tokens only over TLS');
    expect(err).toContain('snapshots must be a file:// path or an s3://bucket/prefix URL');
  });

  it.each(['base', 'overlays/cassandra'])('kustomize %s: the apiserver accepts every object, and it matches the chart', async (dir) => {
    const rendered = parseDocs((await k(['kustomize', `deploy/kustomize/${dir}`])).stdout);
    // Into the test namespace: the base installs into "kubetime" and brings its Namespace.
    const objs = rendered.filter((o) => o.kind !== 'Namespace').map((o) => {
      if (o.metadata.namespace) o.metadata.namespace = ns;
      for (const s of o.subjects ?? []) s.namespace = ns;
      return o;
    });
    expect(one(rendered, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const chart = parseDocs(await helmTemplate(dir === 'base' ? 'default' : 'cassandra'));
    expect(one(objs, 'ClusterRole').rules).toEqual(one(chart, 'ClusterRole').rules);
    expect(one(objs, 'NetworkPolicy').spec.ingress).toEqual(one(chart, 'NetworkPolicy').spec.ingress);
    expect(byKind(objs, 'ClusterRoleBinding').map((b) => b.roleRef.name)).toContain('system:auth-delegator');
    const [ks, hs] = [one(objs, 'StatefulSet'), one(chart, 'StatefulSet')];
    expect(Object.keys(envOf(ks)).sort()).toEqual(Object.keys(envOf(hs)).sort());
    for (const f of ['resources', 'securityContext', 'livenessProbe', 'readinessProbe', 'startupProbe', 'args']) expect(container(ks)[f], f).toEqual(container(hs)[f]);
    expect(ks.spec.template.spec.securityContext).toEqual(hs.spec.template.spec.securityContext);
    const policy = one(objs, 'ConfigMap').data['audit-policy.yaml'];
    expect(policy).toBe(readFileSync(`${CHART}/files/audit-policy.yaml`, 'utf8'));
    const out = await dryRun(objs);
    expect(out).toHaveLength(objs.length);
  });

  it("the chart's ServiceAccount may list and watch everything and write nothing; its pod passes PodSecurity restricted", async () => {
    const objs = parseDocs(await helmTemplate('default'));
    const rbac = objs.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
    expect(rbac).toHaveLength(4); // and the binding to system:auth-delegator (TokenReview, SubjectAccessReview)
    await k(['apply', '--server-side', '--field-manager=kubetime-e2e', '-f', '-'], rbac.map((o) => JSON.stringify(o)).join('\n'));
    cleanups.push(['delete', 'clusterrolebinding', `${release}-kubetime`], ['delete', 'clusterrolebinding', `${release}-kubetime-auth-delegator`], ['delete', 'clusterrole', `${release}-kubetime`]);

    // The pod the StatefulSet controller would create, dry-run into the restricted namespace.
    const sts = one(objs, 'StatefulSet');
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `${sts.metadata.name}-0`, namespace: ns, labels: sts.spec.template.metadata.labels },
      spec: { ...sts.spec.template.spec, volumes: [...sts.spec.template.spec.volumes, { name: 'data', persistentVolumeClaim: { claimName: `data-${sts.metadata.name}-0` } }] },
    };
    await k(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    const risky = { ...pod, spec: { ...pod.spec, securityContext: {}, containers: [{ ...pod.spec.containers[0], securityContext: {} }] } };
    const refused = await k(['create', '--dry-run=server', '-f', '-'], JSON.stringify(risky)).then(() => '', (e) => String(e.stderr));
    expect(refused, 'the namespace really enforces restricted').toMatch(/violates PodSecurity "restricted/);

    const sa = one(objs, 'ServiceAccount').metadata.name;
    const tr = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(admin.getCurrentCluster()!, { name: sa, token: tr.status!.token });
    const core = kc.makeApiClient(CoreV1Api);
    const status = (p: Promise<unknown>) => p.then(() => 200, (e: { code?: number }) => e.code ?? -1);

    // RBAC reaches the authorizer through an informer: allow it a moment.
    await expect.poll(() => status(core.listPodForAllNamespaces({ limit: 1 })), { timeout: 15_000 }).toBe(200);
    expect(await status(kc.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces({ limit: 1 }))).toBe(200);
    expect(await status(kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition({ limit: 1 }))).toBe(200);
    expect(await status(core.listSecretForAllNamespaces({ limit: 1 }))).toBe(200);

    // Watch: a change made by the admin arrives through the ServiceAccount's watch.
    const seen = new Promise<string>((resolve, reject) => {
      new Watch(kc).watch(`/api/v1/namespaces/${ns}/configmaps`, { timeoutSeconds: 30 }, (type, o) => {
        if (o?.metadata?.name === 'watched') resolve(type);
      }, (err) => reject(err ?? new Error('watch ended before the ConfigMap arrived'))).then((ac) => seen.finally(() => ac.abort()), reject);
    });
    await new Promise((r) => setTimeout(r, 500));
    await admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'watched' }, data: { a: '1' } } });
    expect(await seen).toBe('ADDED');

    // It may check callers: TokenReview and SubjectAccessReview.
    const tokenReview = await kc.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: tr.status!.token! } } });
    expect(tokenReview.status?.user?.username).toBe(`system:serviceaccount:${ns}:${sa}`);
    const sar = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: { spec: { user: 'nobody', resourceAttributes: { verb: 'list', resource: 'pods', namespace: ns } } } });
    expect(sar.status?.allowed).toBe(false);

    // Every write is refused.
    expect(await status(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'forbidden' } } }))).toBe(403);
    expect(await status(core.deleteNamespacedConfigMap({ name: 'watched', namespace: ns }))).toBe(403);
    expect(await status(core.patchNamespacedConfigMap({ name: 'watched', namespace: ns, body: [{ op: 'add', path: '/data/b', value: '2' }] }))).toBe(403);
    expect(await status(kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'x' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } } }))).toBe(403);
    expect(await status(core.createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { spec: { audiences: [] } } }))).toBe(403);

    // kubetime's own ingester, with nothing but that token, lists and watches the whole cluster.
    const dir = mkdtempSync(join(tmpdir(), 'kt-deploy-'));
    writeFileSync(join(dir, 'kubeconfig'), kc.exportConfig());
    await ingestWithToken(join(dir, 'kubeconfig'), dir).finally(() => rmSync(dir, { recursive: true, force: true }));
  });

  async function ingestWithToken(kubeconfig: string, dir: string): Promise<void> {
    const proc = spawn(process.execPath, ['bin/kubetime.js', 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--kubeconfig', kubeconfig, '--cluster', 'deploy-e2e', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout.on('data', (d) => (log += d));
    proc.stderr.on('data', (d) => (log += d));
    try {
      await expect.poll(() => /serving on (http:\/\/\S+)/.exec(log)?.[1], { timeout: 60_000 }).toBeTruthy();
      const base = /serving on (http:\/\/\S+)/.exec(log)![1]!;
      await expect.poll(() => fetch(`${base}/readyz`).then((r) => r.status, () => 0), { timeout: 60_000 }).toBe(200);
      await admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'ingested' }, data: { via: 'watch' } } });
      const url = `${base}/v1/object?kind=cm&namespace=${ns}&name=ingested&at=now`;
      await expect.poll(() => fetch(url).then((r) => r.json()).then((b: any) => b.object?.data?.via), { timeout: 30_000 }).toBe('watch');
      // Every resource it discovered gets listed (its first relist, reason "start"); none is refused.
      const sample = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? NaN);
      await expect.poll(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const watched = sample(text, 'kubetime_watched_resources');
        return watched > 20 && sample(text, 'kubetime_relists_total{reason="start"}') >= watched;
      }, { timeout: 60_000 }).toBe(true);
      expect(log, 'kubetime met a 403 with the chart RBAC').not.toMatch(/forbidden|"code":403/i);
    } finally {
      proc.kill('SIGTERM');
      // Bounded: this test is about RBAC, not about how fast kubetime stops.
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      clearTimeout(killer);
    }
  }
});
