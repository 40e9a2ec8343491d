/**
 * The failure timeline against the real control plane (test/infra/kube.sh): the project's
 * informers ingest the cluster into an embedded store in this process (with the failure index
 * beside it, as `kubetime serve` wires them), then the test breaks two things itself:
 *
 * - it cordons a Node: a Cordoned span on that Node, the test's own patch first among its suspects;
 * - it patches a Deployment with a nodeSelector no node matches: the new Pods are Unschedulable
 *   (the scheduler's reason as evidence), each with the test's patch first among its suspects.
 *
 * No audit webhook here: suspects carry no actor, and ranking must work from the objects alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TRUSTED_VIEWER } from '../../core/access.ts';
import { FailureIndex, observedStore } from '../../core/failures/failure-index.ts';
import type { FailureSpan } from '../../core/failures/types.ts';
import { createHistoryQueries } from '../../core/queries.ts';
import type { HistoryQueries } from '../../core/query-types.ts';
import { systemClock } from '../../core/time.ts';
import { ClientNodeKubeApi } from '../../ingester/watch/client-node-kube-api.ts';
import { startIngester, type Ingester } from '../../ingester/index.ts';
import { IngestMetrics } from '../../ingester/metrics.ts';
import { WritePipeline } from '../../ingester/write/pipeline.ts';
import { SpoolingWriter } from '../../ingester/write/spooling-writer.ts';
import { LmdbHistoryStore } from '../../store/lmdb/lmdb-history-store.ts';
import { sleep } from '../e2e/lib/clock.ts';
import { KubeClient } from '../e2e/lib/kube.ts';
import { apiPath, RESOURCES } from '../e2e/lib/resources.ts';
import { describeWithService } from '../infra/services.ts';

const NODE = 'kwok-node-1';
const STRATEGIC = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describeWithService('kube', 'failure timeline on a real control plane', (provided) => {
  const ns = `failures-${randomBytes(3).toString('hex')}`;
  const logger = pino({ level: 'silent' });
  let tmp = '';
  let kube: KubeClient;
  let store: LmdbHistoryStore;
  let ingester: Ingester;
  let pipeline: WritePipeline;
  let spool: SpoolingWriter;
  let queries: HistoryQueries;
  let scanOnly: HistoryQueries;
  let cordonedAt = 0;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kubetime-failures-kube-'));
    kube = new KubeClient(provided.KUBECONFIG!);
    await kube.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    store = LmdbHistoryStore.open({ path: join(tmp, 'store') });
    const index = new FailureIndex();
    const metrics = new IngestMetrics();
    spool = await SpoolingWriter.open({ store: observedStore(store, index), dir: join(tmp, 'spool'), metrics, logger });
    pipeline = new WritePipeline({ sink: spool, metrics, lingerMs: 10 });
    const kc = new KubeConfig();
    kc.loadFromFile(provided.KUBECONFIG!);
    ingester = startIngester({
      api: new ClientNodeKubeApi({ kubeConfig: kc, requestTimeoutMs: 10_000 }), cluster: 'kube', writer: pipeline, store, metrics, logger,
      filters: { includeKinds: ['nodes', 'pods', 'deployments.apps', 'replicasets.apps', 'configmaps', 'events'], includeNamespaces: [ns] },
    });
    queries = createHistoryQueries({ store, defaultCluster: 'kube', failures: { index } });
    scanOnly = createHistoryQueries({ store, defaultCluster: 'kube' });
    await until('the informers to record the Nodes', 60_000, async () => ((await queries.listAt({ viewer: TRUSTED_VIEWER, kind: 'nodes', at: systemClock.now() })).items.length >= 3 ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    await kube?.request('PATCH', apiPath(RESOURCES.nodes, undefined, NODE), { spec: { unschedulable: null } }, STRATEGIC).catch(() => undefined);
    await kube?.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    await ingester?.stop();
    await pipeline?.close();
    await spool?.close();
    await store?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  /** The failures since the test began, from the index and from a scan (they must agree). */
  async function failures(since: number, kind: string): Promise<FailureSpan[]> {
    const q = { viewer: TRUSTED_VIEWER, from: since, to: systemClock.now(), kind, ...(kind === 'Node' ? {} : { namespace: ns }) };
    const [a, b] = await Promise.all([queries.failures(q), scanOnly.failures(q)]);
    expect(a.items).toEqual(b.items);
    return a.items;
  }

  it('finds a cordoned Node, with the test\'s cordon first among its suspects, ended by the uncordon', async () => {
    const since = systemClock.now();
    const node = await kube.ok('PATCH', apiPath(RESOURCES.nodes, undefined, NODE), { spec: { unschedulable: true } }, STRATEGIC);
    cordonedAt = systemClock.now();
    const span = await until('a Cordoned span', 30_000, async () =>
      (await failures(since, 'Node')).find((s) => s.object.name === NODE && s.reason === 'Cordoned'));
    expect(span.start).toBeGreaterThanOrEqual(since);
    expect(span.start).toBeLessThanOrEqual(cordonedAt + 2e6);
    expect(span.end).toBeNull();
    expect(span.suspects[0]).toMatchObject({ ref: { kind: 'Node', name: NODE }, relation: 'self', resourceVersion: node.metadata.resourceVersion });
    expect(span.suspects[0]!.diff).toContain('unschedulable: (none) → true');
    await kube.ok('PATCH', apiPath(RESOURCES.nodes, undefined, NODE), { spec: { unschedulable: null } }, STRATEGIC);
    const ended = await until('the Cordoned span to end', 30_000, async () =>
      (await failures(since, 'Node')).find((s) => s.object.name === NODE && s.reason === 'Cordoned' && s.end !== null));
    expect(ended.ended).toBe('recovered');
    expect(ended.recoveredAfter?.diff).toContain('unschedulable: true → (none)');
  });

  it('finds the Pods a nodeSelector made unschedulable, with the test\'s patch first among their suspects', async () => {
    const labels = { app: 'api' };
    await kube.ok('POST', apiPath(RESOURCES.deployments, ns), {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', labels },
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.invalid/api:v1' }], terminationGracePeriodSeconds: 1 } },
      },
    });
    await sleep(2000);
    const since = systemClock.now();
    const patched = await kube.ok('PATCH', apiPath(RESOURCES.deployments, ns, 'api'), { spec: { template: { spec: { nodeSelector: { 'kubetime.test/none': 'nowhere' } } } } }, MERGE);
    const spans = await until('Unschedulable spans', 60_000, async () => {
      const found = (await failures(since, 'Pod')).filter((s) => s.reason === 'Unschedulable');
      return found.length ? found : undefined;
    });
    for (const span of spans) {
      expect(span.object.name.startsWith('api-')).toBe(true);
      expect(span.start).toBeGreaterThanOrEqual(since);
      expect(span.evidence.message).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
      expect(span.suspects[0]).toMatchObject({ ref: { kind: 'Deployment', namespace: ns, name: 'api' }, resourceVersion: patched.metadata.resourceVersion });
      expect(span.suspects[0]!.diff).toBe('nodeSelector: (none) → {"kubetime.test/none":"nowhere"}');
    }
  });
});
