/**
 * Images that cannot be pulled (a release of a tag the registry does not have): the kubelet
 * reports ErrImagePull, then ImagePullBackOff, retrying with a growing back-off, until the Pod is
 * deleted (the release is rolled back).
 */
import type { KubeObject } from '../../k8s/object.ts';
import { kubelet } from '../actors.ts';
import type { Sim } from '../sim.ts';

type Obj = Record<string, any>;

function waiting(pod: KubeObject, reason: string, message: string): void {
  const cs = ((pod.status as Obj).containerStatuses as Obj[])[0]!;
  cs.state = { waiting: { reason, message } };
  cs.ready = false;
}

/** Whether the Pod's main image is a release the registry does not have. */
export function missingImage(sim: Sim, appKey: string, pod: KubeObject): boolean {
  const image = String(((pod.spec as Obj).containers as Obj[])[0]!.image);
  return sim.world.apps.get(appKey)?.missingTags?.has(image.slice(image.lastIndexOf(':') + 1)) ?? false;
}

/** The kubelet tries to pull the Pod's image and fails, again and again. */
export function failPull(sim: Sim, podKey: string, attempt = 1): void {
  const p = sim.world.pods.get(podKey);
  if (!p || p.terminating || !p.node) return;
  const node = p.node;
  const actor = kubelet(node);
  const obj = sim.cluster.get('Pod', p.namespace, p.name);
  if (!obj) return;
  const image = String(((obj.spec as Obj).containers as Obj[])[0]!.image);
  const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
  const failed = sim.tryWrite(() => sim.cluster.update('Pod', p.namespace, p.name, (o) => waiting(o, 'ErrImagePull', message), sim.ctx(actor, 'patch', 'status')));
  if (!failed) return;
  sim.world.injected.open({ kind: 'Pod', namespace: p.namespace, name: p.name, reason: 'ImagePullBackOff', start: sim.now(), ...(p.trigger ? { trigger: p.trigger } : {}) });
  sim.ctl.recordEvent(failed, { type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${message}`, component: 'kubelet', host: node, actor });
  sim.after(sim.jitter(1, 3), () => {
    const q = sim.world.pods.get(podKey);
    if (!q || q.terminating) return;
    const backoff = sim.tryWrite(() => sim.cluster.update('Pod', q.namespace, q.name, (o) => waiting(o, 'ImagePullBackOff', `Back-off pulling image "${image}"`), sim.ctx(actor, 'patch', 'status')));
    if (backoff) sim.ctl.recordEvent(backoff, { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"`, component: 'kubelet', host: node, actor });
    sim.after(Math.min(10 * 2 ** attempt, 300), () => failPull(sim, podKey, attempt + 1));
  });
}
