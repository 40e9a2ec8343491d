/**
 * A pod's life as the scheduler and the kubelet write it: created by a ReplicaSet → bound to the
 * least-loaded schedulable node → ContainerCreating → Running and Ready (or crashing, when its
 * image is a bad release) → graceful deletion → removed by the kubelet.
 */
import type { KubeObject } from '../../k8s/object.ts';
import { ACTORS, kubelet, type Actor } from '../actors.ts';
import { bindPod, containerCreating, newPod, running, unschedulable } from '../manifests/pod.ts';
import { fnv1a } from '../prng.ts';
import type { Sim } from '../sim.ts';
import { keyOf, type NodeState, type PodState, type ReplicaSetState } from '../world.ts';
import { startCrashLoop } from './crashes.ts';
import { failPull, missingImage } from './pulls.ts';

type Obj = Record<string, any>;

function podObj(sim: Sim, p: PodState): KubeObject | undefined {
  return sim.cluster.get('Pod', p.namespace, p.name);
}

/** A digest-shaped image ID, stable per image. */
export function imageID(image: string): string {
  let hex = '';
  for (let i = 0; hex.length < 64; i++) hex += fnv1a(`${image}#${i}`).toString(16).padStart(8, '0');
  return `${image.split(':')[0]}@sha256:${hex.slice(0, 64)}`;
}

function mainImageTag(pod: KubeObject): string {
  const image = String(((pod.spec as Obj).containers as Obj[])[0]!.image);
  return image.slice(image.lastIndexOf(':') + 1);
}

/** Creates one pod for a ReplicaSet; `node` set = created already bound and running (bootstrap). */
export function createPod(sim: Sim, rsState: ReplicaSetState, rs: KubeObject, node?: NodeState): PodState {
  let name: string;
  do name = `${rsState.name}-${sim.rng.suffix(5)}`;
  while (sim.world.pods.has(keyOf(rsState.namespace, name)));
  const rsMeta = rs.metadata as Obj;
  const pod = newPod({
    name, namespace: rsState.namespace, template: (rs.spec as Obj).template, podTemplateHash: rsState.hash,
    owner: { kind: 'ReplicaSet', apiVersion: 'apps/v1', name: rsMeta.name, uid: rsMeta.uid }, tokenVolumeSuffix: sim.rng.suffix(5),
  });
  let ip: string | undefined;
  if (node) {
    const time = sim.time();
    ip = nextPodIp(node);
    bindPod(pod, node.name, time);
    containerCreating(pod, node.ip, time);
    running(pod, ip, time, containerIds(sim, pod), images(pod).map(imageID));
  }
  sim.cluster.create(pod, sim.ctx(ACTORS.replicaSetController, 'create'));
  return sim.world.addPod({ key: keyOf(rsState.namespace, name), namespace: rsState.namespace, name, rs: rsState.key, app: rsState.app, node: node?.name, ip, ready: !!node, terminating: false, restarts: 0, crashesLeft: 0 });
}

function images(pod: KubeObject): string[] {
  return ((pod.spec as Obj).containers as Obj[]).map((c) => String(c.image));
}

function containerIds(sim: Sim, pod: KubeObject): string[] {
  return images(pod).map(() => sim.rng.hex(64));
}

function nextPodIp(node: NodeState): string {
  const host = (node.nextIp++ % 253) + 2;
  return `10.244.${node.index}.${host}`;
}

/** Picks the schedulable node with the fewest pods (first by index on a tie). */
export function chooseNode(sim: Sim): NodeState | undefined {
  let best: NodeState | undefined;
  for (const n of sim.world.nodes) {
    if (n.cordoned || n.pods.size >= sim.opts.maxPodsPerNode) continue;
    if (!best || n.pods.size < best.pods.size) best = n;
  }
  return best;
}

/** The scheduler binds a pending pod (retrying while no node fits). */
export function schedulePod(sim: Sim, podKey: string): void {
  const p = sim.world.pods.get(podKey);
  if (!p || p.terminating || p.node) return;
  const node = chooseNode(sim);
  const time = sim.time();
  if (!node) {
    const msg = `0/${sim.world.nodes.length} nodes are available: ${sim.world.nodes.filter((n) => n.cordoned).length} node(s) were unschedulable. preemption: 0/${sim.world.nodes.length} nodes are available.`;
    const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => unschedulable(o, time, msg), sim.ctx(ACTORS.scheduler, 'patch', 'status')));
    if (obj) sim.world.injected.open({ kind: 'Pod', namespace: p.namespace, name: p.name, reason: 'Unschedulable', start: sim.now() });
    if (obj) sim.ctl.recordEvent(obj, { type: 'Warning', reason: 'FailedScheduling', message: msg, component: 'default-scheduler', actor: ACTORS.scheduler });
    sim.after(sim.jitter(5, 10), () => schedulePod(sim, podKey));
    return;
  }
  const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => bindPod(o, node.name, time), sim.ctx(ACTORS.scheduler, 'create', 'binding')));
  if (!obj) return;
  p.node = node.name;
  node.pods.add(p.key);
  sim.world.injected.close('Pod', p.namespace, p.name, sim.now(), 'Unschedulable');
  sim.ctl.recordEvent(obj, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${p.namespace}/${p.name} to ${node.name}`, component: 'default-scheduler', actor: ACTORS.scheduler });
  sim.after(sim.jitter(0.2, 1), () => kubeletStart(sim, podKey));
}

function kubeletStart(sim: Sim, podKey: string): void {
  const p = sim.world.pods.get(podKey);
  const node = p?.node && sim.world.node(p.node);
  if (!p || !node || p.terminating) return;
  const actor = kubelet(node.name);
  const time = sim.time();
  const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => containerCreating(o, node.ip, time), sim.ctx(actor, 'patch', 'status')));
  if (!obj) return;
  if (missingImage(sim, p.app, obj)) {
    p.trigger = sim.world.apps.get(p.app)?.badReleases?.get(mainImageTag(obj));
    failPull(sim, podKey);
    return;
  }
  const image = images(obj)[0]!;
  const ev = (reason: string, message: string) => sim.ctl.recordEvent(obj, { type: 'Normal', reason, message, component: 'kubelet', host: node.name, actor });
  ev('Pulled', `Successfully pulled image "${image}" in ${sim.rng.int(300, 4000)}ms (${sim.rng.int(300, 4000)}ms including waiting). Image size: ${sim.rng.int(20, 400) * 1048576} bytes.`);
  ev('Created', `Created container ${(obj.spec as Obj).containers[0].name}`);
  ev('Started', `Started container ${(obj.spec as Obj).containers[0].name}`);
  sim.after(sim.jitter(1, 4), () => kubeletRunning(sim, podKey));
}

function kubeletRunning(sim: Sim, podKey: string): void {
  const p = sim.world.pods.get(podKey);
  const node = p?.node && sim.world.node(p.node);
  const obj = p && podObj(sim, p);
  if (!p || !node || !obj || p.terminating) return;
  p.ip ??= nextPodIp(node);
  // A bad release starts, never gets ready and exits soon after, over and over.
  const bad = sim.world.apps.get(p.app)?.badTags.has(mainImageTag(obj)) ?? false;
  const time = sim.time();
  const ids = containerIds(sim, obj);
  const updated = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => running(o, p.ip!, time, ids, images(o).map(imageID), !bad), sim.ctx(kubelet(node.name), 'patch', 'status')));
  if (!updated) return;
  if (bad) {
    p.trigger = sim.world.apps.get(p.app)?.badReleases?.get(mainImageTag(obj));
    startCrashLoop(sim, podKey, { cycles: Infinity, reason: 'Error', delaySeconds: sim.jitter(1, 3) });
    return;
  }
  p.ready = true;
  sim.ctl.syncReplicaSet(p.rs);
}

/** Deletes a pod gracefully on behalf of `actor`; the kubelet removes it once it has stopped. */
export function deletePod(sim: Sim, podKey: string, actor: Actor, subresource?: 'eviction'): void {
  const p = sim.world.pods.get(podKey);
  if (!p || p.terminating) return;
  const ctx = sim.ctx(actor, subresource ? 'create' : 'delete', subresource);
  const obj = sim.tryWrite(() => sim.cluster.delete('Pod', p.namespace, p.name, ctx, { gracePeriodSeconds: p.node ? 30 : 0 }));
  sim.world.injected.close('Pod', p.namespace, p.name, sim.now());
  p.terminating = true;
  p.ready = false;
  sim.world.crashing.delete(podKey);
  sim.ctl.syncReplicaSet(p.rs);
  if (!obj || !p.node) {
    sim.world.removePod(podKey);
    return;
  }
  const node = p.node;
  const container = ((obj.spec as Obj).containers as Obj[])[0]!.name;
  sim.ctl.recordEvent(obj, { type: 'Normal', reason: 'Killing', message: `Stopping container ${container}`, component: 'kubelet', host: node, actor: kubelet(node) });
  sim.after(sim.jitter(1, 5), () => {
    sim.tryWrite(() => sim.cluster.delete('Pod', p.namespace, p.name, sim.ctx(kubelet(node), 'delete'), { gracePeriodSeconds: 0 }));
    sim.world.removePod(podKey);
    sim.ctl.syncReplicaSet(p.rs);
  });
}
