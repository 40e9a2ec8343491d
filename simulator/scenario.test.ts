import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.ts';
import { GroundTruth } from './ground-truth.ts';
import { ManualClock } from './manual-clock.ts';
import { NO_BEHAVIOURS, ScenarioEngine, type ScenarioOptions } from './scenario.ts';

type Obj = Record<string, any>;

function setup(opts: Partial<ScenarioOptions> = {}) {
  const clock = new ManualClock();
  const cluster = new Cluster({ clock, seed: opts.seed ?? 1 });
  const truth = new GroundTruth(cluster);
  const engine = new ScenarioEngine(cluster, { seed: 1, ...opts });
  engine.bootstrap();
  const run = (seconds: number, tickMs = 100) => {
    for (let t = 0; t < seconds * 1000; t += tickMs) {
      clock.advanceMs(tickMs);
      engine.step();
    }
  };
  return { clock, cluster, truth, engine, run };
}

/** Only what the engine's own behaviours do (no random ones), for targeted tests. */
const QUIET = { weights: NO_BEHAVIOURS };

function snapshot(cluster: Cluster): string {
  return cluster.registry.all().map((t) => JSON.stringify(cluster.list(t.gk))).join('\n');
}

const pods = (c: Cluster) => c.list('Pod') as Obj[];
const live = (c: Cluster) => pods(c).filter((p) => !p.metadata.deletionTimestamp);

describe('determinism', () => {
  it('the same seed and clock steps give the same history and objects; another seed does not', () => {
    const a = setup({ seed: 11, churnPerSecond: 20 });
    const b = setup({ seed: 11, churnPerSecond: 20 });
    const c = setup({ seed: 12, churnPerSecond: 20 });
    for (const s of [a, b, c]) s.run(120);
    expect(a.truth.all().length).toBeGreaterThan(1500);
    expect(b.truth.all()).toEqual(a.truth.all());
    expect(snapshot(b.cluster)).toBe(snapshot(a.cluster));
    expect(snapshot(c.cluster)).not.toBe(snapshot(a.cluster));
  });
});

describe('bootstrap', () => {
  it('creates Deployments → ReplicaSets → Pods with owner references, scheduled on existing Nodes', () => {
    const { cluster } = setup({ deployments: 6, replicas: 4, nodes: 3 });
    const deps = cluster.list('Deployment.apps') as Obj[];
    expect(deps).toHaveLength(6);
    const rsByUid = new Map((cluster.list('ReplicaSet.apps') as Obj[]).map((r) => [r.metadata.uid, r]));
    const depUids = new Set(deps.map((d) => d.metadata.uid));
    const nodes = new Set((cluster.list('Node') as Obj[]).map((n) => n.metadata.name));
    expect(pods(cluster)).toHaveLength(24);
    for (const p of pods(cluster)) {
      const owner = p.metadata.ownerReferences[0];
      const rs = rsByUid.get(owner.uid)!;
      expect(owner).toMatchObject({ kind: 'ReplicaSet', controller: true, name: rs?.metadata.name });
      expect(p.metadata.labels['pod-template-hash']).toBe(rs.metadata.labels['pod-template-hash']);
      expect(depUids.has(rs.metadata.ownerReferences[0].uid)).toBe(true);
      expect(nodes.has(p.spec.nodeName)).toBe(true);
      expect(p.status.phase).toBe('Running');
    }
  });

  it('wires Services, Ingresses, mounts and claims to objects that exist', () => {
    const { cluster } = setup({ deployments: 12, replicas: 2 });
    const has = (gk: string, ns: string, name: string) => cluster.get(gk, ns, name) !== undefined;
    for (const svc of cluster.list('Service') as Obj[]) {
      const sel = svc.spec.selector as Record<string, string>;
      const selected = pods(cluster).filter((p) => p.metadata.namespace === svc.metadata.namespace && Object.entries(sel).every(([k, v]) => p.metadata.labels[k] === v));
      expect(selected.length).toBeGreaterThan(0);
    }
    const ings = cluster.list('Ingress.networking.k8s.io') as Obj[];
    expect(ings.length).toBeGreaterThan(0);
    for (const ing of ings) expect(has('Service', ing.metadata.namespace, ing.spec.rules[0].http.paths[0].backend.service.name)).toBe(true);
    for (const p of pods(cluster)) {
      for (const v of p.spec.volumes as Obj[]) {
        if (v.configMap && v.configMap.name !== 'kube-root-ca.crt') expect(has('ConfigMap', p.metadata.namespace, v.configMap.name)).toBe(true);
        if (v.secret) expect(has('Secret', p.metadata.namespace, v.secret.secretName)).toBe(true);
        if (v.persistentVolumeClaim) {
          const pvc = cluster.get('PersistentVolumeClaim', p.metadata.namespace, v.persistentVolumeClaim.claimName) as Obj;
          expect(pvc.status.phase).toBe('Bound');
          expect((cluster.get('PersistentVolume', '', pvc.spec.volumeName) as Obj).spec.claimRef.uid).toBe(pvc.metadata.uid);
        }
      }
    }
    expect(cluster.list('Widget.example.com').length).toBeGreaterThan(0);
  });
});

describe('realism', () => {
  it('keeps every pod between 4 and 10 KB of JSON, through crashes and restarts', () => {
    const { cluster, run } = setup({ deployments: 10, replicas: 3, churnPerSecond: 30, delayScale: 0.2 });
    run(300);
    const sizes = pods(cluster).map((p) => JSON.stringify(p).length);
    expect(sizes.length).toBeGreaterThan(10);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(4096);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10240);
    expect(pods(cluster).some((p) => p.status.containerStatuses?.[0]?.restartCount > 0)).toBe(true);
  });

  it('changes at about churnPerSecond, controller reactions included', () => {
    const { truth, run } = setup({ churnPerSecond: 20 });
    const before = truth.all().length;
    run(120);
    const rate = (truth.all().length - before) / 120;
    expect(rate).toBeGreaterThan(14);
    expect(rate).toBeLessThan(26);
  });
});

describe('behaviours', () => {
  it('crash loop: restartCount grows, BackOff events count up, then the pod recovers', () => {
    const { cluster, engine, run } = setup({ ...QUIET, deployments: 2, replicas: 2 });
    expect(engine.trigger('crashloop')).toBe(true);
    const key = [...engine.world.crashing][0]!;
    const [ns, name] = key.split('/') as [string, string];
    run(45);
    const p = cluster.get('Pod', ns, name) as Obj;
    expect(p.status.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(2);
    expect(p.status.containerStatuses[0].lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 1 });
    const backoff = (cluster.list('Event', ns) as Obj[]).find((e) => e.reason === 'BackOff' && e.involvedObject.name === name);
    expect(backoff).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', uid: p.metadata.uid } });
    expect(backoff!.count).toBeGreaterThanOrEqual(2);
    run(900);
    const healed = cluster.get('Pod', ns, name) as Obj;
    expect(healed.status.containerStatuses[0].ready).toBe(true);
    expect(engine.world.crashing.has(key)).toBe(false);
  });

  it('OOM kill: lastState.terminated.reason OOMKilled with exit 137', () => {
    const { cluster, engine, run } = setup({ ...QUIET, deployments: 2, replicas: 2 });
    expect(engine.trigger('oomkill')).toBe(true);
    run(10);
    const killed = pods(cluster).find((p) => p.status.containerStatuses[0].lastState.terminated);
    expect(killed!.status.containerStatuses[0].lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(killed!.status.containerStatuses[0].restartCount).toBe(1);
    expect((cluster.list('Event') as Obj[]).some((e) => e.reason === 'OOMKilling' && e.involvedObject.kind === 'Node')).toBe(true);
  });

  it('node drain: cordon, evict, reschedule elsewhere, uncordon later', () => {
    const { cluster, engine, run, truth } = setup({ ...QUIET, deployments: 4, replicas: 3, nodes: 3 });
    expect(engine.trigger('node-drain')).toBe(true);
    const drained = engine.world.draining!;
    expect((cluster.get('Node', '', drained) as Obj).spec.unschedulable).toBe(true);
    run(20);
    expect(live(cluster).filter((p) => p.spec.nodeName === drained)).toHaveLength(0);
    expect(live(cluster).filter((p) => p.status.phase === 'Running')).toHaveLength(12);
    expect(truth.all().some((r) => r.kind === 'Pod' && r.subresource === 'eviction')).toBe(true);
    run(240);
    expect((cluster.get('Node', '', drained) as Obj).spec.unschedulable).toBeUndefined();
  });

  it('HPA scaling changes the Deployment and the pods follow', () => {
    const { cluster, engine, run } = setup({ ...QUIET, deployments: 8, replicas: 2, seed: 3 });
    expect(engine.trigger('hpa-scale')).toBe(true);
    run(30);
    for (const d of cluster.list('Deployment.apps') as Obj[]) {
      const own = live(cluster).filter((p) => p.metadata.labels.app === d.metadata.name && p.metadata.namespace === d.metadata.namespace);
      expect(own.length).toBe(d.spec.replicas);
      expect(d.status.readyReplicas).toBe(d.spec.replicas);
    }
    expect((cluster.list('Deployment.apps') as Obj[]).some((d) => d.spec.replicas !== 2)).toBe(true);
  });

  it('rolling update: a new ReplicaSet takes over, the old one scales to zero', () => {
    const { cluster, engine, run } = setup({ ...QUIET, deployments: 1, replicas: 4 });
    const [oldRs] = cluster.list('ReplicaSet.apps') as Obj[];
    expect(engine.trigger('rollout')).toBe(true);
    run(60);
    const rss = cluster.list('ReplicaSet.apps') as Obj[];
    expect(rss).toHaveLength(2);
    const fresh = rss.find((r) => r.metadata.uid !== oldRs!.metadata.uid)!;
    expect(fresh.spec.replicas).toBe(4);
    expect(rss.find((r) => r.metadata.uid === oldRs!.metadata.uid)!.spec.replicas).toBe(0);
    expect(live(cluster).every((p) => p.metadata.labels['pod-template-hash'] === fresh.metadata.labels['pod-template-hash'])).toBe(true);
    const dep = cluster.list('Deployment.apps')[0] as Obj;
    expect(dep.status.conditions[1].reason).toBe('NewReplicaSetAvailable');
    expect((cluster.list('Event') as Obj[]).filter((e) => e.reason === 'ScalingReplicaSet').length).toBeGreaterThanOrEqual(2);
  });

  it('bad release: new pods crash-loop, the rollout stalls, a rollback restores the old ReplicaSet', () => {
    const { cluster, engine, run } = setup({ ...QUIET, deployments: 1, replicas: 4 });
    const [oldRs] = cluster.list('ReplicaSet.apps') as Obj[];
    engine.trigger('bad-rollout');
    run(40);
    const crashing = live(cluster).filter((p) => p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    expect(crashing.length).toBeGreaterThan(0);
    expect(live(cluster).filter((p) => p.metadata.labels['pod-template-hash'] === oldRs!.metadata.labels['pod-template-hash']).length).toBeGreaterThanOrEqual(3);
    run(400);
    const current = live(cluster);
    expect(current).toHaveLength(4);
    expect(current.every((p) => p.metadata.labels['pod-template-hash'] === oldRs!.metadata.labels['pod-template-hash'])).toBe(true);
    expect((cluster.get('ReplicaSet.apps', oldRs!.metadata.namespace, oldRs!.metadata.name) as Obj).metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('config edits are attributed to people; app deletion cascades and releases the volume', () => {
    const { cluster, engine, run, truth } = setup({ ...QUIET, deployments: 8, replicas: 1, seed: 5 });
    engine.trigger('config-edit');
    const edit = truth.all().at(-1)!;
    expect(edit).toMatchObject({ kind: 'ConfigMap', op: 'MODIFIED', verb: 'patch' });
    expect(edit.actor.username).toMatch(/@example\.com$/);
    const withPvc = engine.world.liveApps().filter((a) => a.pvc).length;
    let guard = 0;
    while (engine.world.liveApps().filter((a) => a.pvc).length === withPvc && guard++ < 20) engine.trigger('app-delete');
    const gone = [...engine.world.apps.values()].find((a) => a.deleted && a.pvc)!;
    expect(gone).toBeDefined();
    const pvc = cluster.get('PersistentVolumeClaim', gone.namespace, gone.pvc!) as Obj;
    expect(pvc.metadata.deletionTimestamp).toBeDefined();
    run(30);
    expect(cluster.get('Deployment.apps', gone.namespace, gone.name)).toBeUndefined();
    expect(live(cluster).filter((p) => p.metadata.namespace === gone.namespace && p.metadata.labels.app === gone.name)).toHaveLength(0);
    expect(cluster.get('PersistentVolumeClaim', gone.namespace, gone.pvc!)).toBeUndefined();
    expect(cluster.get('PersistentVolume', '', pvc.spec.volumeName)).toBeUndefined();
    const rsDeletes = truth.all().filter((r) => r.kind === 'ReplicaSet' && r.op === 'DELETED');
    expect(rsDeletes.some((r) => r.actor.username.endsWith('generic-garbage-collector'))).toBe(true);
  });
});
