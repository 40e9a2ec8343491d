/**
 * Containers that die: CrashLoopBackOff (exit 1, restartCount up, back-off 10 s doubling to
 * 5 min, BackOff Warning events whose count grows) and OOMKilled (exit 137, restarted at once,
 * lastState.terminated.reason OOMKilled, an OOMKilling event on the node).
 */
import type { KubeObject } from '../../k8s/object.ts';
import { kubelet } from '../actors.ts';
import { containerReady, crashed, restarted } from '../manifests/pod.ts';
import type { Sim } from '../sim.ts';
import type { PodState } from '../world.ts';

type Obj = Record<string, any>;

export interface CrashLoopOptions {
  /** How many crashes before the container stays up (Infinity: until the pod is deleted). */
  cycles: number;
  reason: 'Error' | 'OOMKilled';
  /** Seconds until the first crash. */
  delaySeconds: number;
}

function livePod(sim: Sim, podKey: string): PodState | undefined {
  const p = sim.world.pods.get(podKey);
  return p && !p.terminating && p.node ? p : undefined;
}

function containerName(obj: KubeObject): string {
  return ((obj.spec as Obj).containers as Obj[])[0]!.name;
}

/** Starts a crash loop on a scheduled pod. */
export function startCrashLoop(sim: Sim, podKey: string, o: CrashLoopOptions): void {
  const p = livePod(sim, podKey);
  if (!p) return;
  p.crashesLeft = o.cycles;
  sim.world.crashing.add(podKey);
  sim.after(o.delaySeconds, () => crash(sim, podKey, o.reason));
}

function backoffSeconds(restarts: number): number {
  return Math.min(10 * 2 ** Math.min(restarts - 1, 5), 300);
}

function crash(sim: Sim, podKey: string, reason: 'Error' | 'OOMKilled'): void {
  const p = livePod(sim, podKey);
  if (!p) return;
  const node = p.node!;
  p.restarts++;
  p.crashesLeft--;
  const backoff = backoffSeconds(p.restarts);
  const time = sim.time();
  const init = { time, reason, exitCode: reason === 'OOMKilled' ? 137 : 1, backoffSeconds: backoff, newContainerId: '' };
  const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => crashed(o, init), sim.ctx(kubelet(node), 'patch', 'status')));
  if (!obj) return;
  p.ready = false;
  sim.world.injected.open({ kind: 'Pod', namespace: p.namespace, name: p.name, reason: 'CrashLoopBackOff', start: sim.now(), ...(p.trigger ? { trigger: p.trigger } : {}) });
  sim.ctl.syncReplicaSet(p.rs);
  const meta = obj.metadata as Obj;
  sim.ctl.recordEvent(obj, {
    type: 'Warning', reason: 'BackOff', component: 'kubelet', host: node, actor: kubelet(node),
    message: `Back-off restarting failed container ${containerName(obj)} in pod ${meta.name}_${meta.namespace}(${meta.uid})`,
  });
  sim.after(backoff, () => restart(sim, podKey, reason));
}

function restart(sim: Sim, podKey: string, reason: 'Error' | 'OOMKilled'): void {
  const p = livePod(sim, podKey);
  if (!p) return;
  const node = p.node!;
  const healthy = p.crashesLeft <= 0;
  const time = sim.time();
  const id = sim.rng.hex(64);
  const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => restarted(o, time, id, healthy), sim.ctx(kubelet(node), 'patch', 'status')));
  if (!obj) return;
  sim.ctl.recordEvent(obj, { type: 'Normal', reason: 'Started', message: `Started container ${containerName(obj)}`, component: 'kubelet', host: node, actor: kubelet(node) });
  if (healthy) {
    p.ready = true;
    sim.world.crashing.delete(podKey);
    sim.world.injected.close('Pod', p.namespace, p.name, sim.now());
    sim.ctl.syncReplicaSet(p.rs);
  } else {
    sim.after(sim.jitter(2, 6), () => crash(sim, podKey, reason));
  }
}

/** The main container is OOM-killed and restarted at once; ready again a few seconds later. */
export function oomKill(sim: Sim, podKey: string): boolean {
  const p = livePod(sim, podKey);
  if (!p || !p.ready) return false;
  const node = p.node!;
  const time = sim.time();
  p.restarts++;
  const init = { time, reason: 'OOMKilled' as const, exitCode: 137, backoffSeconds: 0, newContainerId: sim.rng.hex(64) };
  const obj = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => crashed(o, init), sim.ctx(kubelet(node), 'patch', 'status')));
  if (!obj) return false;
  p.ready = false;
  sim.world.crashing.add(podKey);
  sim.world.injected.open({ kind: 'Pod', namespace: p.namespace, name: p.name, reason: 'OOMKilled', start: sim.now() });
  sim.ctl.syncReplicaSet(p.rs);
  const nodeObj = sim.cluster.get('Node', '', node);
  if (nodeObj) {
    const pid = sim.rng.int(1000, 60000);
    sim.ctl.recordEvent(nodeObj, {
      type: 'Warning', reason: 'OOMKilling', component: 'kernel-monitor', host: node, actor: kubelet(node),
      message: `Memory cgroup out of memory: Killed process ${pid} (${containerName(obj)}) total-vm:${sim.rng.int(900000, 4000000)}kB, anon-rss:${sim.rng.int(200000, 1500000)}kB, file-rss:0kB, shmem-rss:0kB, UID:10001 pgtables:${sim.rng.int(800, 4000)}kB oom_score_adj:${sim.rng.int(900, 999)}`,
    });
  }
  sim.after(sim.jitter(3, 8), () => {
    const q = livePod(sim, podKey);
    if (!q || q.crashesLeft > 0) return;
    const ok = sim.tryWrite(() => sim.cluster.update('Pod', q.namespace, q.name, (o) => containerReady(o, sim.time()), sim.ctx(kubelet(node), 'patch', 'status')));
    if (!ok) return;
    q.ready = true;
    sim.world.crashing.delete(podKey);
    sim.world.injected.close('Pod', q.namespace, q.name, sim.now());
    sim.ctl.syncReplicaSet(q.rs);
  });
  return true;
}
