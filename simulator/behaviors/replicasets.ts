/**
 * The ReplicaSet controller: keeps each ReplicaSet's pod count at spec.replicas (creating pods
 * or deleting the least useful ones) and writes its status, then tells the Deployment.
 */
import type { KubeObject } from '../../k8s/object.ts';
import { ACTORS } from '../actors.ts';
import { replicaSetStatus } from '../manifests/workloads.ts';
import type { Sim } from '../sim.ts';
import type { PodState } from '../world.ts';
import { createPod, deletePod, schedulePod } from './pods.ts';

type Obj = Record<string, any>;

/** Pods created per sync at most (the real controller's slow-start batches are similar). */
const BURST = 100;

/** Deletion preference: unscheduled, then not ready, then newest. */
function victimOrder(a: PodState, b: PodState): number {
  if (!a.node !== !b.node) return a.node ? 1 : -1;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return b.seq - a.seq;
}

export function syncReplicaSet(sim: Sim, rsKey: string): void {
  const st = sim.world.replicaSets.get(rsKey);
  if (!st) return;
  const rs = sim.cluster.get('ReplicaSet.apps', st.namespace, st.name);
  if (!rs || (rs.metadata as Obj).deletionTimestamp) return;
  const desired = Number((rs.spec as Obj).replicas ?? 0);
  const active = sim.world.activePods(rsKey);
  if (active.length < desired) {
    const n = Math.min(desired - active.length, BURST);
    for (let i = 0; i < n; i++) {
      const p = createPod(sim, st, rs);
      sim.ctl.recordEvent(rs, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${p.name}`, component: 'replicaset-controller', actor: ACTORS.replicaSetController });
      sim.after(sim.jitter(0.05, 0.5), () => schedulePod(sim, p.key));
    }
    if (desired - active.length > BURST) sim.once(`rs-sync:${rsKey}`, 1, () => syncReplicaSet(sim, rsKey));
  } else if (active.length > desired) {
    for (const p of active.sort(victimOrder).slice(0, active.length - desired)) {
      deletePod(sim, p.key, ACTORS.replicaSetController);
      sim.ctl.recordEvent(rs, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${p.name}`, component: 'replicaset-controller', actor: ACTORS.replicaSetController });
    }
  }
  sim.once(`rs-status:${rsKey}`, 0.5, () => writeStatus(sim, rsKey));
}

function writeStatus(sim: Sim, rsKey: string): void {
  const st = sim.world.replicaSets.get(rsKey);
  if (!st) return;
  const active = sim.world.activePods(rsKey);
  const ready = active.filter((p) => p.ready).length;
  sim.tryWrite(() =>
    sim.cluster.update('ReplicaSet.apps', st.namespace, st.name, (o: KubeObject) => {
      o.status = replicaSetStatus(Number((o.metadata as Obj).generation ?? 1), active.length, ready);
    }, sim.ctx(ACTORS.replicaSetController, 'update', 'status')),
  );
  sim.ctl.syncDeployment(st.app);
}
