/**
 * Cluster operations: HPA scaling, node cordon + drain (+ uncordon later), crash loops and
 * OOM kills on random pods, and apps coming and going.
 */
import { ACTORS } from '../actors.ts';
import { hpaStatus } from '../manifests/workloads.ts';
import { triggerOf } from '../injected.ts';
import type { Sim } from '../sim.ts';
import type { NodeState, PodState } from '../world.ts';
import { createApp, deleteApp } from './apps.ts';
import { oomKill, startCrashLoop } from './crashes.ts';
import { deletePod } from './pods.ts';

type Obj = Record<string, any>;

/** The HPA changes an app's replica count by one or two within its bounds. */
export function hpaScale(sim: Sim): boolean {
  const apps = sim.world.liveApps().filter((a) => a.hpa && a.rolloutStartedAt === undefined);
  if (apps.length === 0) return false;
  const app = sim.rng.pick(apps);
  const { min, max } = app.hpa!;
  const cur = app.replicas;
  const up = cur <= min || (cur < max && sim.rng.chance(0.5));
  const next = Math.min(max, Math.max(min, cur + (up ? 1 : -1) * sim.rng.int(1, 2)));
  if (next === cur) return false;
  const util = up ? sim.rng.int(85, 130) : sim.rng.int(15, 45);
  const time = sim.time();
  sim.cluster.update('HorizontalPodAutoscaler.autoscaling', app.namespace, app.name, (o) => {
    o.status = hpaStatus(cur, next, util, time, time);
  }, sim.ctx(ACTORS.hpaController, 'update', 'status'));
  const hpaObj = sim.cluster.get('HorizontalPodAutoscaler.autoscaling', app.namespace, app.name)!;
  sim.ctl.recordEvent(hpaObj, {
    type: 'Normal', reason: 'SuccessfulRescale', component: 'horizontal-pod-autoscaler', actor: ACTORS.hpaController,
    message: `New size: ${next}; reason: cpu resource utilization (percentage of request) ${up ? 'above' : 'below'} target`,
  });
  sim.cluster.update('Deployment.apps', app.namespace, app.name, (o) => {
    (o.spec as Obj).replicas = next;
  }, sim.ctx(ACTORS.hpaController, 'update', 'scale'));
  app.replicas = next;
  sim.ctl.syncDeployment(app.key);
  return true;
}

function setCordon(sim: Sim, node: NodeState, on: boolean): void {
  node.cordoned = on;
  const obj = sim.cluster.update('Node', '', node.name, (o) => {
    const spec = o.spec as Obj;
    const taints = ((spec.taints ?? []) as Obj[]).filter((t) => t.key !== 'node.kubernetes.io/unschedulable');
    if (on) {
      spec.unschedulable = true;
      taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: sim.time() });
    } else delete spec.unschedulable;
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
  }, sim.ctx(ACTORS.bob, 'patch'));
  if (on) sim.world.injected.open({ kind: 'Node', namespace: '', name: node.name, reason: 'Cordoned', start: sim.now(), trigger: triggerOf(obj, sim.now()) });
  else sim.world.injected.close('Node', '', node.name, sim.now(), 'Cordoned');
  sim.ctl.recordEvent(obj, {
    type: 'Normal', reason: on ? 'NodeNotSchedulable' : 'NodeSchedulable', component: 'kubelet', host: node.name, actor: ACTORS.nodeLifecycle,
    message: `Node ${node.name} status is now: ${on ? 'NodeNotSchedulable' : 'NodeSchedulable'}`,
  });
}

/** `kubectl drain`: cordon, evict every pod one by one, uncordon a few minutes later. */
export function drainNode(sim: Sim): boolean {
  const schedulable = sim.world.nodes.filter((n) => !n.cordoned);
  if (sim.world.draining || schedulable.length < 2) return false;
  const node = sim.rng.pick(schedulable);
  sim.world.draining = node.name;
  setCordon(sim, node, true);
  let delay = 0.5;
  for (const podKey of [...node.pods]) {
    delay += sim.jitter(0.2, 0.8);
    sim.after(delay, () => deletePod(sim, podKey, ACTORS.bob, 'eviction'));
  }
  sim.after(delay + sim.jitter(60, 180), () => {
    setCordon(sim, node, false);
    sim.world.draining = undefined;
  });
  return true;
}

function healthyPod(sim: Sim): PodState | undefined {
  const pods = [...sim.world.pods.values()].filter((p) => p.ready && !p.terminating && !sim.world.crashing.has(p.key));
  return pods.length ? sim.rng.pick(pods) : undefined;
}

/** A pod starts crash-looping for a few cycles, then recovers. Bounded to a few pods at once. */
export function crashLoop(sim: Sim): boolean {
  if (sim.world.crashing.size >= Math.max(3, Math.ceil(sim.world.pods.size * 0.02))) return false;
  const p = healthyPod(sim);
  if (!p) return false;
  startCrashLoop(sim, p.key, { cycles: sim.rng.int(3, 6), reason: 'Error', delaySeconds: 0 });
  return true;
}

export function oom(sim: Sim): boolean {
  const p = healthyPod(sim);
  return p ? oomKill(sim, p.key) : false;
}

/** A team ships a new app (kept below 1.5× the initial count). */
export function appCreate(sim: Sim): boolean {
  if (sim.world.liveApps().length >= Math.ceil(sim.opts.deployments * 1.5)) return false;
  createApp(sim, { namespace: sim.rng.pick(sim.world.namespaces), replicas: sim.rng.int(1, Math.max(1, sim.opts.replicas)), actor: ACTORS.alice, bootstrap: false });
  return true;
}

/** A team retires an app (kept above half the initial count). */
export function appDelete(sim: Sim): boolean {
  const apps = sim.world.liveApps().filter((a) => a.rolloutStartedAt === undefined);
  if (apps.length <= Math.floor(sim.opts.deployments / 2) || apps.length === 0) return false;
  deleteApp(sim, sim.rng.pick(apps), ACTORS.alice);
  return true;
}
