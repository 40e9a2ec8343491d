/**
 * Claims bound to volumes (created Pending, then bound by the persistent-volume binder), claim
 * resizes, and the finalizer dance on deletion (pvc-protection / pv-protection).
 */
import { ACTORS, type Actor } from '../actors.ts';
import { persistentVolume, persistentVolumeClaim } from '../manifests/infra.ts';
import type { Sim } from '../sim.ts';

type Obj = Record<string, any>;

const CLASS = 'efs-sc';

function pvNameFor(uid: string): string {
  return `pvc-${uid}`;
}

/** Creates a claim; the binder provisions and binds a volume for it shortly after (or at once). */
export function createClaim(sim: Sim, init: { namespace: string; name: string; storage: string; labels: Record<string, string>; actor: Actor; immediate: boolean }): void {
  const pvc = sim.cluster.create(persistentVolumeClaim(init.namespace, init.name, init.storage, CLASS, init.labels), sim.ctx(init.actor, 'create'));
  const bind = () => bindClaim(sim, init.namespace, init.name, String((pvc.metadata as Obj).uid), init.storage);
  if (init.immediate) bind();
  else sim.after(sim.jitter(1, 4), bind);
}

function bindClaim(sim: Sim, namespace: string, name: string, uid: string, storage: string): void {
  if (!sim.cluster.get('PersistentVolumeClaim', namespace, name)) return;
  const pvName = pvNameFor(uid);
  sim.cluster.create(persistentVolume({
    pvName, claim: { namespace, name, uid }, storage, storageClass: CLASS, volumeHandle: `fs-${sim.rng.hex(17)}::fsap-${sim.rng.hex(17)}`,
  }), sim.ctx(ACTORS.pvBinder, 'create'));
  sim.cluster.update('PersistentVolumeClaim', namespace, name, (o) => {
    (o.spec as Obj).volumeName = pvName;
    Object.assign(o.metadata as Obj, { annotations: { ...(o.metadata as Obj).annotations, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } });
  }, sim.ctx(ACTORS.pvBinder, 'update'));
  sim.cluster.update('PersistentVolumeClaim', namespace, name, (o) => {
    o.status = { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage } };
  }, sim.ctx(ACTORS.pvBinder, 'update', 'status'));
}

/** A person grows a claim; the resizer updates the volume and the claim's capacity. */
export function resizeClaim(sim: Sim, namespace: string, name: string, actor: Actor): boolean {
  const pvc = sim.cluster.get('PersistentVolumeClaim', namespace, name);
  const pvName = (pvc?.spec as Obj | undefined)?.volumeName as string | undefined;
  if (!pvc || !pvName || (pvc.metadata as Obj).deletionTimestamp) return false;
  const cur = Number(String((pvc.spec as Obj).resources.requests.storage).replace('Gi', ''));
  const next = `${cur * 2}Gi`;
  sim.cluster.update('PersistentVolumeClaim', namespace, name, (o) => {
    (o.spec as Obj).resources.requests.storage = next;
  }, sim.ctx(actor, 'patch'));
  sim.after(sim.jitter(2, 6), () => {
    sim.tryWrite(() => sim.cluster.update('PersistentVolume', '', pvName, (o) => {
      (o.spec as Obj).capacity.storage = next;
    }, sim.ctx(ACTORS.pvBinder, 'update')));
    sim.tryWrite(() => sim.cluster.update('PersistentVolumeClaim', namespace, name, (o) => {
      (o.status as Obj).capacity = { storage: next };
    }, sim.ctx(ACTORS.pvBinder, 'update', 'status')));
  });
  return true;
}

/** Deletes a claim: it stays Terminating until its pods are gone, then its volume is released and deleted. */
export function deleteClaim(sim: Sim, namespace: string, name: string, actor: Actor): void {
  const pvc = sim.tryWrite(() => sim.cluster.delete('PersistentVolumeClaim', namespace, name, sim.ctx(actor, 'delete')));
  if (!pvc) return;
  const pvName = (pvc.spec as Obj).volumeName as string | undefined;
  sim.after(sim.jitter(5, 15), () => {
    sim.tryWrite(() => sim.cluster.update('PersistentVolumeClaim', namespace, name, (o) => {
      (o.metadata as Obj).finalizers = [];
    }, sim.ctx(ACTORS.pvcProtection, 'update')));
    if (!pvName) return;
    sim.tryWrite(() => sim.cluster.update('PersistentVolume', '', pvName, (o) => {
      o.status = { phase: 'Released', lastPhaseTransitionTime: sim.time() };
    }, sim.ctx(ACTORS.pvBinder, 'update', 'status')));
    sim.tryWrite(() => sim.cluster.delete('PersistentVolume', '', pvName, sim.ctx(ACTORS.pvBinder, 'delete')));
    sim.after(sim.jitter(1, 3), () => {
      sim.tryWrite(() => sim.cluster.update('PersistentVolume', '', pvName, (o) => {
        (o.metadata as Obj).finalizers = [];
      }, sim.ctx(ACTORS.pvProtection, 'update')));
    });
  });
}
