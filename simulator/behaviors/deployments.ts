/**
 * The Deployment controller: one ReplicaSet per pod template (found by pod-template-hash, so a
 * rollback reuses the old one), rolling updates within maxSurge / maxUnavailable (25%), plain
 * scaling, cleanup beyond revisionHistoryLimit, and the Deployment's status.
 */
import type { KubeObject } from '../../k8s/object.ts';
import { ACTORS } from '../actors.ts';
import { deploymentStatus, replicaSet, templateHash } from '../manifests/workloads.ts';
import type { Sim } from '../sim.ts';
import { seconds } from '../time-format.ts';
import { keyOf, type AppState } from '../world.ts';

type Obj = Record<string, any>;

const RS = 'ReplicaSet.apps';
const DEPLOY = 'Deployment.apps';
const HISTORY_LIMIT = 3;
const PROGRESS_DEADLINE_S = 600;

function specReplicas(sim: Sim, rsKey: string): number {
  const st = sim.world.replicaSets.get(rsKey)!;
  return Number((sim.cluster.get(RS, st.namespace, st.name)?.spec as Obj | undefined)?.replicas ?? 0);
}

function scaleReplicaSet(sim: Sim, app: AppState, dep: KubeObject, rsKey: string, to: number): void {
  const st = sim.world.replicaSets.get(rsKey)!;
  const from = specReplicas(sim, rsKey);
  if (from === to) return;
  sim.cluster.update(RS, st.namespace, st.name, (o) => {
    (o.spec as Obj).replicas = to;
    (o.metadata as Obj).annotations['deployment.kubernetes.io/desired-replicas'] = String(app.replicas);
  }, sim.ctx(ACTORS.deploymentController, 'update'));
  const verb = to > from ? 'up' : 'down';
  sim.ctl.recordEvent(dep, {
    type: 'Normal', reason: 'ScalingReplicaSet', component: 'deployment-controller', actor: ACTORS.deploymentController,
    message: `Scaled ${verb} replica set ${st.name} from ${from} to ${to}`,
  });
  sim.ctl.syncReplicaSet(rsKey);
}

/** Finds or creates the ReplicaSet for the current template and makes it the newest. */
function currentReplicaSet(sim: Sim, app: AppState, dep: KubeObject, desired: number): string {
  const template = (dep.spec as Obj).template as KubeObject;
  const hash = templateHash(template);
  const rsKey = keyOf(app.namespace, `${app.name}-${hash}`);
  const idx = app.replicaSets.indexOf(rsKey);
  if (idx === app.replicaSets.length - 1 && idx >= 0) return rsKey;
  app.revision++;
  app.rolloutStartedAt = sim.now();
  const depMeta = dep.metadata as Obj;
  if (idx >= 0) {
    app.replicaSets.splice(idx, 1);
    const st = sim.world.replicaSets.get(rsKey)!;
    sim.cluster.update(RS, st.namespace, st.name, (o) => {
      (o.metadata as Obj).annotations['deployment.kubernetes.io/revision'] = String(app.revision);
    }, sim.ctx(ACTORS.deploymentController, 'update'));
  } else {
    const anyActive = app.replicaSets.some((k) => specReplicas(sim, k) > 0);
    const initial = anyActive ? 0 : desired;
    sim.cluster.create(replicaSet({ app, template, hash, replicas: initial, revision: app.revision, desired, owner: { name: depMeta.name, uid: depMeta.uid } }), sim.ctx(ACTORS.deploymentController, 'create'));
    sim.world.replicaSets.set(rsKey, { key: rsKey, namespace: app.namespace, name: `${app.name}-${hash}`, app: app.key, hash, pods: new Set() });
    if (initial > 0) {
      sim.ctl.recordEvent(dep, { type: 'Normal', reason: 'ScalingReplicaSet', component: 'deployment-controller', actor: ACTORS.deploymentController, message: `Scaled up replica set ${app.name}-${hash} from 0 to ${initial}` });
      sim.ctl.syncReplicaSet(rsKey);
    }
  }
  app.replicaSets.push(rsKey);
  sim.cluster.update(DEPLOY, app.namespace, app.name, (o) => {
    (o.metadata as Obj).annotations['deployment.kubernetes.io/revision'] = String(app.revision);
  }, sim.ctx(ACTORS.deploymentController, 'update'));
  return rsKey;
}

function readyCount(sim: Sim, rsKey: string): number {
  return sim.world.activePods(rsKey).filter((p) => p.ready).length;
}

/** One rolling-update step: surge the new ReplicaSet, then scale old ones down as availability allows. */
function rollStep(sim: Sim, app: AppState, dep: KubeObject, newRs: string, olds: string[], desired: number): void {
  const surge = Math.max(1, Math.ceil(desired / 4));
  const maxUnavailable = Math.floor(desired / 4);
  const newSpec = specReplicas(sim, newRs);
  const total = [newRs, ...olds].reduce((n, k) => n + specReplicas(sim, k), 0);
  if (newSpec < desired) {
    const up = Math.min(desired - newSpec, desired + surge - total);
    if (up > 0) scaleReplicaSet(sim, app, dep, newRs, newSpec + up);
  }
  const allPods = [newRs, ...olds].reduce((n, k) => n + sim.world.activePods(k).length, 0);
  const newUnavailable = specReplicas(sim, newRs) - readyCount(sim, newRs);
  let canRemove = allPods - (desired - maxUnavailable) - Math.max(0, newUnavailable);
  for (const k of olds) {
    if (canRemove <= 0) break;
    const cur = specReplicas(sim, k);
    const down = Math.min(cur, canRemove);
    scaleReplicaSet(sim, app, dep, k, cur - down);
    canRemove -= down;
  }
}

function cleanup(sim: Sim, app: AppState): void {
  const idle = app.replicaSets.slice(0, -1).filter((k) => specReplicas(sim, k) === 0 && sim.world.replicaSets.get(k)!.pods.size === 0);
  for (const k of idle.slice(0, Math.max(0, idle.length - HISTORY_LIMIT))) {
    const st = sim.world.replicaSets.get(k)!;
    sim.tryWrite(() => sim.cluster.delete(RS, st.namespace, st.name, sim.ctx(ACTORS.deploymentController, 'delete')));
    sim.world.replicaSets.delete(k);
    app.replicaSets.splice(app.replicaSets.indexOf(k), 1);
  }
}

export function syncDeployment(sim: Sim, appKey: string): void {
  const app = sim.world.apps.get(appKey);
  if (!app || app.deleted) return;
  const dep = sim.cluster.get(DEPLOY, app.namespace, app.name);
  if (!dep) return;
  const desired = Number((dep.spec as Obj).replicas ?? 1);
  app.replicas = desired;
  const newRs = currentReplicaSet(sim, app, sim.cluster.get(DEPLOY, app.namespace, app.name)!, desired);
  const olds = app.replicaSets.slice(0, -1).filter((k) => specReplicas(sim, k) > 0);
  if (olds.length === 0) scaleReplicaSet(sim, app, dep, newRs, desired);
  else rollStep(sim, app, dep, newRs, olds, desired);
  cleanup(sim, app);
  writeStatus(sim, app, newRs, desired);
}

function writeStatus(sim: Sim, app: AppState, newRs: string, desired: number): void {
  const all = app.replicaSets;
  const active = all.reduce((n, k) => n + sim.world.activePods(k).length, 0);
  const ready = all.reduce((n, k) => n + readyCount(sim, k), 0);
  const updated = sim.world.activePods(newRs).length;
  const complete = updated === desired && active === desired && readyCount(sim, newRs) === desired;
  if (complete) app.rolloutStartedAt = undefined;
  else app.rolloutStartedAt ??= sim.now();
  const stalled = !complete && sim.now() - app.rolloutStartedAt! > seconds(PROGRESS_DEADLINE_S);
  if (!complete && !stalled) sim.once(`deploy-deadline:${app.key}`, PROGRESS_DEADLINE_S + 1, () => sim.ctl.syncDeployment(app.key));
  sim.cluster.update(DEPLOY, app.namespace, app.name, (o) => {
    o.status = deploymentStatus(o.status as Obj | undefined, {
      observedGeneration: Number((o.metadata as Obj).generation ?? 1), replicas: active, updatedReplicas: updated, readyReplicas: ready,
      desired, newReplicaSet: sim.world.replicaSets.get(newRs)!.name, time: sim.time(), stalled, complete,
    });
  }, sim.ctx(ACTORS.deploymentController, 'update', 'status'));
}
