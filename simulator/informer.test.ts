/**
 * The compatibility check that matters most: @kubernetes/client-node, configured only through
 * the kubeconfig file the simulator writes, lists and watches from it like from a real cluster.
 */
import { CoreV1Api, KubeConfig, KubernetesObjectApi, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.ts';
import { ManualClock } from './manual-clock.ts';
import { NO_BEHAVIOURS } from './scenario.ts';


let sim: Simulator;
let clock: ManualClock;

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Advances the simulated clock and lets the engine catch up. */
function runFor(seconds: number): void {
  for (let t = 0; t < seconds * 10; t++) {
    clock.advanceMs(100);
    sim.engine.step();
  }
}

beforeEach(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, autoStep: false, token: 'test-token', scenario: { seed: 3, deployments: 3, replicas: 2, weights: NO_BEHAVIOURS } });
});

afterEach(async () => {
  await sim.stop();
});

describe('@kubernetes/client-node against the simulator', () => {
  it('an informer built from the kubeconfig sees ADDED, MODIFIED and DELETED pods', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    expect(kc.getCurrentContext()).toBe('kubetime-sim');
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
    const seen: string[] = [];
    informer.on('add', (p) => seen.push(`add ${p.metadata!.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata!.name}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata!.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await until(() => seen.filter((s) => s.startsWith('add')).length === 6, 'the initial list');
      expect(informer.list()).toHaveLength(6);
      sim.engine.trigger('pod-delete');
      runFor(10);
      await until(() => seen.some((s) => s.startsWith('delete')), 'a DELETED pod');
      await until(() => seen.filter((s) => s.startsWith('add')).length === 7, 'the replacement pod');
      const deleted = seen.filter((s) => s.startsWith('delete'));
      expect(deleted).toHaveLength(1);
      expect(seen.some((s) => s.startsWith('update'))).toBe(true);
      await until(() => informer.list().length === 6 && informer.list().every((p) => p.status?.phase === 'Running'), 'the replacement running');
      const truthDeleted = sim.groundTruth().filter((r) => r.kind === 'Pod' && r.op === 'DELETED').map((r) => `delete ${r.name}`);
      expect(deleted).toEqual(truthDeleted);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('KubernetesObjectApi reads objects through discovery, including a CRD added later', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const api = KubernetesObjectApi.makeApiClient(kc);
    const dep = sim.cluster.list('Deployment.apps')[0]!;
    const meta = dep.metadata as { name: string; namespace: string };
    const read = await api.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: meta.name, namespace: meta.namespace } });
    expect(read.metadata?.uid).toBe((dep.metadata as { uid: string }).uid);
    sim.cluster.addCustomResource({ group: 'stuff.example.org', version: 'v1alpha1', kind: 'Gadget' }, { user: { username: 'admin', groups: [] }, userAgent: 'test', verb: 'create' });
    sim.cluster.create({ apiVersion: 'stuff.example.org/v1alpha1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'shop' }, spec: { on: true } }, { user: { username: 'admin', groups: [] }, userAgent: 'test', verb: 'create' });
    const gadget = await api.read({ apiVersion: 'stuff.example.org/v1alpha1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'shop' } });
    expect((gadget as unknown as { spec: unknown }).spec).toEqual({ on: true });
  });

  it('rejects requests without the configured token', async () => {
    expect((await fetch(`${sim.url}/api/v1/pods`)).status).toBe(401);
  });
});
