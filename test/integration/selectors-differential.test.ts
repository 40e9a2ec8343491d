/**
 * Selectors, differentially against the real kube-apiserver (test/infra/kube.sh): a namespace of
 * ConfigMaps and Pods with varied labels and fields (some Pods bound to the kwok nodes and Running,
 * some Pending, one on the host network), then ~1,300 random label and field selectors from a
 * fixed seed (selector-gen.ts), valid and invalid, each sent to the apiserver as a LIST at one
 * exact resourceVersion and evaluated by kubetime's selector functions on the objects of that
 * very list. Required: the same validity (the apiserver's 400 ⇔ kubetime's INVALID_ARGUMENT) and,
 * when valid, the same names. Then every kind's field labels (accepted or refused, and what each
 * reads), and a sample through kubetime's HTTP list on an embedded store holding the objects.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isKubetimeError, k8sInvalidAsArgument } from '../../core/errors.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { KubeObject } from '../../core/record.ts';
import { fieldSelector, labelSelector, selectableFieldsOf, type FieldKind } from '../../k8s/selectors.ts';
import { buildServer } from '../../history-api/index.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { sleep } from '../e2e/lib/clock.ts';
import { KubeClient, kubeEnv } from '../e2e/lib/kube.ts';
import { describeWithService } from '../infra/services.ts';
import { OBJECT_LABELS, SelectorGen } from './selector-gen.ts';

const SEED = 20261207;
const NODES = ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'];
const POD: FieldKind = { group: '', kind: 'Pod', namespaced: true };
const CM: FieldKind = { group: '', kind: 'ConfigMap', namespaced: true };
const POD_FIELDS = [
  'metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.host', 'spec.restartPolicy', 'spec.schedulerName',
  'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName',
];

type Answer = { status: 200; names: string[] } | { status: 400; message: string };
interface Case {
  path: string;
  param: 'labelSelector' | 'fieldSelector';
  selector: string;
}

const nameOf = (o: KubeObject) => {
  const m = o.metadata as { namespace?: string; name: string };
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
};

/** kubetime's answer for a selector on the objects of one LIST. */
function kubetimeAnswer(objs: readonly KubeObject[], kind: FieldKind, c: Case): Answer {
  try {
    const keep = k8sInvalidAsArgument(() => (c.param === 'labelSelector' ? labelSelector(c.selector) : fieldSelector(c.selector, 'fieldSelector', kind)));
    return { status: 200, names: objs.filter(keep).map(nameOf).sort() };
  } catch (e) {
    if (isKubetimeError(e) && e.code === 'INVALID_ARGUMENT') return { status: 400, message: e.message };
    throw e;
  }
}

const same = (a: Answer, b: Answer) => a.status === b.status && (a.status === 400 || JSON.stringify(a.names) === JSON.stringify((b as { names: string[] }).names));

function pods(ns: string): KubeObject[] {
  const labels = OBJECT_LABELS;
  const out: KubeObject[] = [];
  for (let i = 0; i < 14; i++) {
    const l: Record<string, string> = { app: labels.values[i % 5]!, version: ['1', '7', '10', '02'][i % 4]! };
    if (i % 2) l.tier = i % 4 === 1 ? 'front' : 'back';
    if (i % 3 === 0) l['example.com/team'] = 'Red';
    if (i % 5 === 0) l.empty = '';
    if (i === 4) l['Upper.Case_key'] = 'a.b_c-d';
    if (i === 6) l.in = 'in';
    if (i === 8) l[labels.keys.at(-1)!] = 'prod';
    const bound = i < 10;
    out.push({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `p-${i}`, namespace: ns, labels: l },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        ...(bound ? { nodeName: NODES[i % 3] } : { schedulerName: 'nobody' }),
        ...(i === 2 ? { hostNetwork: true } : {}),
        ...(i % 4 === 3 ? { restartPolicy: 'Never' } : i % 4 === 2 ? { restartPolicy: 'OnFailure' } : {}),
        ...(i % 3 === 1 ? { serviceAccountName: 'robot' } : {}),
      },
    });
  }
  return out;
}

function configMaps(ns: string): KubeObject[] {
  return Array.from({ length: 12 }, (_, i) => {
    const l: Record<string, string> = { app: OBJECT_LABELS.values[(i + 2) % 7]!, env: i % 2 ? 'prod' : 'dev' };
    if (i % 3 === 1) l.version = String(i);
    if (i === 5) l['example.com/team'] = '';
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns, labels: l }, data: { k: String(i) } };
  });
}

function widgetCrd(group: string): KubeObject {
  const type = (t: string) => ({ type: t });
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group, scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{
        name: 'v1', served: true, storage: true,
        selectableFields: [{ jsonPath: '.spec.color' }, { jsonPath: '.spec.size' }, { jsonPath: '.spec.on' }],
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: type('string'), size: type('integer'), on: type('boolean'), shape: type('string') } } } } },
      }],
    },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

describeWithService('kube', 'selectors: kubetime parses and evaluates them as kube-apiserver does', (provided) => {
  const ns = `sel-${randomBytes(3).toString('hex')}`;
  const crdGroup = `${ns}.kubetime.example`;
  let kube: KubeClient;

  /** One LIST's objects and resourceVersion: every selector is asked at that exact version. */
  async function snapshot(path: string): Promise<{ rv: string; items: KubeObject[] }> {
    const list = await kube.ok<{ metadata: { resourceVersion: string }; items: KubeObject[] }>('GET', path);
    return { rv: list.metadata.resourceVersion, items: list.items };
  }

  async function apiserverAnswer(c: Case, rv: string): Promise<Answer> {
    const q = new URLSearchParams({ [c.param]: c.selector, resourceVersion: rv, resourceVersionMatch: 'Exact' });
    const r = await kube.request<{ items?: KubeObject[]; message?: string }>('GET', `${c.path}?${q}`);
    if (r.status === 200) return { status: 200, names: r.body.items!.map(nameOf).sort() };
    if (r.status === 400) return { status: 400, message: String(r.body.message) };
    throw new Error(`GET ${c.path}?${q}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }

  /** Asks each case of both; returns the disagreements and the counts. */
  async function compare(cases: readonly Case[], kind: FieldKind, snap: { rv: string; items: KubeObject[] }) {
    const disagreements: { case: Case; apiserver: Answer; kubetime: Answer }[] = [];
    let valid = 0;
    for (const c of cases) {
      const [apiserver, kubetime] = [await apiserverAnswer(c, snap.rv), kubetimeAnswer(snap.items, kind, c)];
      if (apiserver.status === 200) valid++;
      if (!same(apiserver, kubetime)) disagreements.push({ case: c, apiserver, kubetime });
    }
    return { disagreements, valid, total: cases.length };
  }

  beforeAll(async () => {
    kube = new KubeClient((await kubeEnv(provided)).KUBECONFIG);
    await kube.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.ok('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
    for (const cm of configMaps(ns)) await kube.ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm);
    for (let tries = 0; ; tries++) {
      // the ServiceAccount admission plugin refuses Pods until the namespace's "default" account exists
      const r = await kube.request('POST', `/api/v1/namespaces/${ns}/pods`, pods(ns)[0]);
      if (r.status === 201) break;
      if (tries > 100) throw new Error(`creating a Pod: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      await sleep(200);
    }
    for (const p of pods(ns).slice(1)) await kube.ok('POST', `/api/v1/namespaces/${ns}/pods`, p);
    // kwok runs bound Pods about a second after binding: wait for phases and IPs to vary
    for (let i = 0; i < 120; i++) {
      const { items } = await snapshot(`/api/v1/namespaces/${ns}/pods`);
      if (items.filter((p) => (p.status as { phase?: string }).phase === 'Running').length >= 10) break;
      await sleep(500);
    }
  });

  afterAll(async () => {
    await kube?.request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${crdGroup}`);
    await kube?.request('DELETE', `/api/v1/namespaces/${ns}`);
    await kube?.close();
  });

  it('agrees with the apiserver on ~1,300 random label and field selectors over ConfigMaps and Pods', async () => {
    const gen = new SelectorGen(SEED);
    const podPath = `/api/v1/namespaces/${ns}/pods`;
    const cmPath = `/api/v1/namespaces/${ns}/configmaps`;
    const [podSnap, cmSnap] = [await snapshot(podPath), await snapshot(cmPath)];
    const values = [...new Set(podSnap.items.flatMap((p) => {
      const s = p.spec as Record<string, unknown>;
      const st = p.status as Record<string, unknown>;
      return [nameOf(p).split('/')[1]!, ns, s.nodeName, s.restartPolicy, s.schedulerName, s.serviceAccountName, st.phase, st.podIP, 'true', 'false', 'default'];
    }).filter((v): v is string => typeof v === 'string'))];
    const podCases: Case[] = [
      ...Array.from({ length: 520 }, () => ({ path: podPath, param: 'labelSelector' as const, selector: gen.label() })),
      ...Array.from({ length: 380 }, () => ({ path: podPath, param: 'fieldSelector' as const, selector: gen.field(POD_FIELDS, values) })),
    ];
    const cmValues = [...cmSnap.items.map((c) => nameOf(c).split('/')[1]!), ns, 'default', ''];
    const cmCases: Case[] = [
      ...Array.from({ length: 280 }, () => ({ path: cmPath, param: 'labelSelector' as const, selector: gen.label() })),
      ...Array.from({ length: 120 }, () => ({ path: cmPath, param: 'fieldSelector' as const, selector: gen.field(['metadata.name', 'metadata.namespace', 'data.k', 'immutable'], cmValues) })),
    ];
    const a = await compare(podCases, POD, podSnap);
    const b = await compare(cmCases, CM, cmSnap);
    const total = a.total + b.total;
    const valid = a.valid + b.valid;
    const disagreements = [...a.disagreements, ...b.disagreements];
    console.log(`selectors-differential: ${total} selectors (${valid} valid, ${total - valid} refused by the apiserver); ` +
      `${total - disagreements.length} agree, ${disagreements.length} disagree`);
    expect(valid).toBeGreaterThan(total * 0.3);
    expect(total - valid).toBeGreaterThan(total * 0.15);
    expect(disagreements).toEqual([]);
  });

  it('agrees on every kind\'s field labels: which are accepted, aliases, and what each reads', async () => {
    const kinds: { path: string; kind: FieldKind }[] = [
      { path: '/api/v1/pods', kind: POD },
      { path: '/api/v1/configmaps', kind: CM },
      { path: '/api/v1/nodes', kind: { group: '', kind: 'Node', namespaced: false } },
      { path: '/api/v1/namespaces', kind: { group: '', kind: 'Namespace', namespaced: false } },
      { path: '/api/v1/events', kind: { group: '', kind: 'Event', namespaced: true } },
      { path: '/api/v1/secrets', kind: { group: '', kind: 'Secret', namespaced: true } },
      { path: '/api/v1/services', kind: { group: '', kind: 'Service', namespaced: true } },
      { path: '/api/v1/replicationcontrollers', kind: { group: '', kind: 'ReplicationController', namespaced: true } },
      { path: '/api/v1/persistentvolumes', kind: { group: '', kind: 'PersistentVolume', namespaced: false } },
      { path: '/api/v1/serviceaccounts', kind: { group: '', kind: 'ServiceAccount', namespaced: true } },
      { path: '/apis/apps/v1/replicasets', kind: { group: 'apps', kind: 'ReplicaSet', namespaced: true } },
      { path: '/apis/apps/v1/deployments', kind: { group: 'apps', kind: 'Deployment', namespaced: true } },
      { path: '/apis/apps/v1/statefulsets', kind: { group: 'apps', kind: 'StatefulSet', namespaced: true } },
      { path: '/apis/batch/v1/jobs', kind: { group: 'batch', kind: 'Job', namespaced: true } },
      { path: '/apis/batch/v1/cronjobs', kind: { group: 'batch', kind: 'CronJob', namespaced: true } },
      { path: '/apis/certificates.k8s.io/v1/certificatesigningrequests', kind: { group: 'certificates.k8s.io', kind: 'CertificateSigningRequest', namespaced: false } },
      { path: '/apis/events.k8s.io/v1/events', kind: { group: 'events.k8s.io', kind: 'Event', namespaced: true } },
      { path: '/apis/resource.k8s.io/v1/resourceslices', kind: { group: 'resource.k8s.io', kind: 'ResourceSlice', namespaced: false } },
    ];
    const labels = [
      ...POD_FIELDS, 'spec.unschedulable', 'status.replicas', 'status.successful', 'type', 'reason', 'source', 'reportingComponent',
      'reportingController', 'regarding.kind', 'involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid',
      'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'regarding.name', 'regarding.namespace',
      'regarding.uid', 'regarding.apiVersion', 'regarding.resourceVersion', 'regarding.fieldPath', 'deprecatedSource', 'note', 'spec.clusterIP', 'spec.type',
      'spec.signerName', 'spec.driver', 'name', 'spec.foo', 'metadata.uid',
    ];
    const disagreements: unknown[] = [];
    let total = 0;
    const skipped: string[] = [];
    for (const { path, kind } of kinds) {
      const probe = await kube.request('GET', `${path}?limit=1`);
      if (probe.status === 404) {
        skipped.push(kind.kind); // a group this apiserver does not serve
        continue;
      }
      const snap = await snapshot(path);
      const cases = labels.flatMap((l) => [`${l}=`, `${l}!=`].map((selector) => ({ path, param: 'fieldSelector' as const, selector })));
      const r = await compare(cases, kind, snap);
      total += r.total;
      disagreements.push(...r.disagreements.map((d) => ({ kind: kind.kind + (kind.group ? `.${kind.group}` : ''), selector: d.case.selector, apiserver: d.apiserver.status, kubetime: d.kubetime.status })));
    }
    console.log(`selectors-differential: ${total} field-label probes over ${kinds.length - skipped.length} kinds` +
      `${skipped.length ? ` (not served: ${skipped.join(', ')})` : ''}, ${disagreements.length} disagree`);
    expect(skipped.length).toBeLessThan(3);
    expect(disagreements).toEqual([]);
  });

  it('agrees on a custom resource\'s selectable fields (from its CRD)', async () => {
    const crd = await kube.ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd(crdGroup));
    await until(async () => {
      const c = await kube.ok<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${crdGroup}`);
      return (c.status?.conditions ?? []).some((x) => x.type === 'Established' && x.status === 'True');
    });
    const path = `/apis/${crdGroup}/v1/namespaces/${ns}/widgets`;
    for (let i = 0; i < 9; i++) {
      const spec: Record<string, unknown> = {};
      if (i % 3) spec.color = ['red', 'blue', 'Red'][i % 3];
      if (i % 4) spec.size = i % 4;
      if (i % 2) spec.on = i % 3 === 1;
      spec.shape = 'round';
      // a CRD just Established may still answer 404 for a moment
      await until(async () => (await kube.request('POST', path, { apiVersion: `${crdGroup}/v1`, kind: 'Widget', metadata: { name: `w-${i}`, labels: { app: OBJECT_LABELS.values[i]! } }, spec })).status === 201);
    }
    const kind: FieldKind = { group: crdGroup, kind: 'Widget', namespaced: true, selectableFields: selectableFieldsOf(crd, 'v1') };
    const gen = new SelectorGen(SEED + 2);
    const fields = ['metadata.name', 'metadata.namespace', 'spec.color', 'spec.size', 'spec.on', 'spec.shape', 'status.phase'];
    const values = ['red', 'blue', 'Red', '', '1', '2', '3', 'true', 'false', 'round', 'w-1', ns];
    const cases: Case[] = [
      ...Array.from({ length: 150 }, () => ({ path, param: 'fieldSelector' as const, selector: gen.field(fields, values) })),
      ...Array.from({ length: 50 }, () => ({ path, param: 'labelSelector' as const, selector: gen.label() })),
    ];
    const r = await compare(cases, kind, await snapshot(path));
    console.log(`selectors-differential: ${r.total} selectors on a custom resource (${r.valid} valid), ${r.disagreements.length} disagree`);
    expect(r.valid).toBeGreaterThan(r.total * 0.3);
    expect(r.disagreements).toEqual([]);
  });

  it('kubetime\'s HTTP list answers these selectors as the apiserver does, custom resources included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubetime-selectors-'));
    const store = LmdbHistoryStore.open({ path: dir });
    try {
      const podPath = `/api/v1/namespaces/${ns}/pods`;
      const widgetPath = `/apis/${crdGroup}/v1/namespaces/${ns}/widgets`;
      const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
      const ts = Date.now() * 1000 - 1_000_000;
      const snaps: Record<string, { rv: string; items: KubeObject[] }> = {};
      for (const [path, group, kind, resource] of [
        [podPath, '', 'Pod', 'pods'], [widgetPath, crdGroup, 'Widget', 'widgets'], [crdPath, 'apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions'],
      ] as const) {
        const snap = (snaps[path] = await snapshot(path));
        await store.append(snap.items.map((o) => {
          const m = o.metadata as { name: string; namespace?: string; uid: string; resourceVersion: string };
          return {
            cluster: 'kube', apiVersion: String(o.apiVersion), group, kind, resource, namespace: m.namespace ?? '', name: m.name, uid: m.uid,
            resourceVersion: m.resourceVersion, op: 'ADDED' as const, ts, observedAt: ts, source: 'relist', object: o,
          };
        }));
      }
      const server = buildServer({ queries: createHistoryQueries({ store }), clock: { now: () => Date.now() * 1000 }, logger: pino({ level: 'silent' }) });
      const gen = new SelectorGen(SEED + 1);
      const on = (path: string, param: Case['param']) => (selector: string): Case => ({ path, param, selector });
      const cases: Case[] = [
        ...['version>1', 'Example.com/app', 'app in (web,),tier notin (front)', '!tier,version<10'].map(on(podPath, 'labelSelector')),
        ...['spec.foo=x', 'spec.hostNetwork=false', 'spec.host=kwok-node-1', 'status.phase!=Running,spec.restartPolicy=Never'].map(on(podPath, 'fieldSelector')),
        ...Array.from({ length: 16 }, () => gen.label()).map(on(podPath, 'labelSelector')),
        ...['spec.color=red', 'spec.color=', 'spec.size!=2,spec.on=true', 'spec.shape=round', 'metadata.name=w-1'].map(on(widgetPath, 'fieldSelector')),
      ];
      const kindParam = (path: string) => (path === podPath ? 'pods' : `widgets.${crdGroup}`);
      const disagreements: unknown[] = [];
      for (const c of cases) {
        const apiserver = await apiserverAnswer(c, snaps[c.path]!.rv);
        const res = await server.inject({ method: 'GET', url: `/v1/objects?${new URLSearchParams({ kind: kindParam(c.path), namespace: ns, at: 'now', [c.param]: c.selector })}` });
        const body = res.json() as { items?: KubeObject[]; error?: { message?: string } };
        const viaHttp: Answer = res.statusCode === 200 ? { status: 200, names: body.items!.map(nameOf).sort() } : { status: 400, message: res.body };
        if (res.statusCode !== 200 && res.statusCode !== 400) throw new Error(`kubetime: HTTP ${res.statusCode} ${res.body}`);
        if (res.statusCode === 400) expect(res.body, c.selector).toContain(c.param);
        if (!same(apiserver, viaHttp)) disagreements.push({ selector: c.selector, apiserver, kubetime: viaHttp });
      }
      await server.close();
      expect(disagreements).toEqual([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
