/**
 * Pods built from a ReplicaSet's template, and the status transitions the kubelet writes:
 * ContainerCreating → Running/Ready, crashes (Error / OOMKilled) with restartCount and
 * lastState.terminated, CrashLoopBackOff waiting, and restarts.
 */
import { cloneJson } from '../json.ts';
import type { KubeObject } from '../../k8s/object.ts';

type Obj = Record<string, any>;

export interface PodInit {
  name: string;
  namespace: string;
  template: KubeObject;
  podTemplateHash: string;
  owner: { kind: string; apiVersion: string; name: string; uid: string };
  /** Random suffix for the projected service-account volume (`kube-api-access-x7k2p`). */
  tokenVolumeSuffix: string;
}

/** A new, unscheduled pod (as the ReplicaSet controller creates it, after admission defaults). */
export function newPod(init: PodInit): KubeObject {
  const tpl = cloneJson(init.template) as Obj;
  const spec = tpl.spec as Obj;
  const tokenVolume = `kube-api-access-${init.tokenVolumeSuffix}`;
  spec.volumes = [...(spec.volumes ?? []), {
    name: tokenVolume,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  }];
  for (const c of spec.containers as Obj[]) {
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: tokenVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
  }
  Object.assign(spec, {
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  const meta = tpl.metadata as Obj;
  delete meta.creationTimestamp;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: init.name,
      generateName: init.name.slice(0, init.name.lastIndexOf('-') + 1),
      namespace: init.namespace,
      labels: { ...meta.labels, 'pod-template-hash': init.podTemplateHash },
      annotations: meta.annotations,
      ownerReferences: [{ ...init.owner, controller: true, blockOwnerDeletion: true }],
    },
    spec,
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}

function cond(type: string, status: string, time: string, reason?: string, message?: string): Obj {
  const c: Obj = { type, status, lastProbeTime: null, lastTransitionTime: time };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Sets a pod condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(pod: KubeObject, type: string, status: 'True' | 'False', time: string, reason?: string, message?: string): void {
  const st = (pod.status ??= {}) as Obj;
  const list = (st.conditions ??= []) as Obj[];
  const next = cond(type, status, time, reason, message);
  const i = list.findIndex((c) => c.type === type);
  if (i < 0) list.push(next);
  else if (list[i]!.status !== status || list[i]!.reason !== reason) list[i] = next;
}

function containers(pod: KubeObject): Obj[] {
  return (pod.spec as Obj).containers as Obj[];
}

/** The scheduler's binding: nodeName and PodScheduled. */
export function bindPod(pod: KubeObject, node: string, time: string): void {
  (pod.spec as Obj).nodeName = node;
  setCondition(pod, 'PodScheduled', 'True', time);
}

/** The scheduler could not place the pod. */
export function unschedulable(pod: KubeObject, time: string, message: string): void {
  setCondition(pod, 'PodScheduled', 'False', time, 'Unschedulable', message);
}

function notReady(pod: KubeObject, time: string, names: string[]): void {
  const msg = `containers with unready status: [${names.join(' ')}]`;
  setCondition(pod, 'Ready', 'False', time, 'ContainersNotReady', msg);
  setCondition(pod, 'ContainersReady', 'False', time, 'ContainersNotReady', msg);
}

/** Kubelet accepted the pod: sandbox starting, containers being created. */
export function containerCreating(pod: KubeObject, hostIP: string, time: string): void {
  const st = pod.status as Obj;
  Object.assign(st, { phase: 'Pending', hostIP, hostIPs: [{ ip: hostIP }], startTime: time });
  setCondition(pod, 'PodReadyToStartContainers', 'False', time);
  setCondition(pod, 'Initialized', 'True', time);
  const names = containers(pod).map((c) => c.name as string);
  notReady(pod, time, names);
  st.containerStatuses = containers(pod).map((c) => ({
    name: c.name, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: c.image, imageID: '', started: false,
  }));
}

/**
 * Containers running (and ready unless `ready` is false: a container that will not pass its
 * probe). `ids` are the container IDs, `imageIDs` the resolved digests.
 */
export function running(pod: KubeObject, podIP: string, time: string, ids: string[], imageIDs: string[], ready = true): void {
  const st = pod.status as Obj;
  Object.assign(st, { phase: 'Running', podIP, podIPs: [{ ip: podIP }] });
  setCondition(pod, 'PodReadyToStartContainers', 'True', time);
  setCondition(pod, 'Initialized', 'True', time);
  st.containerStatuses = containers(pod).map((c, i) => ({
    name: c.name,
    state: { running: { startedAt: time } },
    lastState: {},
    ready: ready || i > 0,
    restartCount: 0,
    image: c.image,
    imageID: imageIDs[i] ?? '',
    containerID: `containerd://${ids[i] ?? ''}`,
    started: true,
  }));
  if (ready) for (const t of ['Ready', 'ContainersReady']) setCondition(pod, t, 'True', time);
  else notReady(pod, time, [containers(pod)[0]!.name as string]);
}

export interface CrashInit {
  time: string;
  reason: 'Error' | 'OOMKilled';
  exitCode: number;
  /** Seconds until the next restart attempt; 0 = restarted at once (no CrashLoopBackOff). */
  backoffSeconds: number;
  /** The new container's id when restarted at once. */
  newContainerId: string;
}

/** The main container died: lastState.terminated, restartCount+1, waiting in back-off or restarted. */
export function crashed(pod: KubeObject, c: CrashInit): void {
  const st = pod.status as Obj;
  const cs = (st.containerStatuses as Obj[])[0]!;
  const startedAt = cs.state?.running?.startedAt ?? cs.lastState?.terminated?.finishedAt ?? c.time;
  cs.lastState = { terminated: { exitCode: c.exitCode, reason: c.reason, startedAt, finishedAt: c.time, containerID: cs.containerID } };
  cs.restartCount = (cs.restartCount ?? 0) + 1;
  cs.ready = false;
  if (c.backoffSeconds > 0) {
    const msg = `back-off ${c.backoffSeconds}s restarting failed container=${cs.name} pod=${(pod.metadata as Obj).name}_${(pod.metadata as Obj).namespace}(${(pod.metadata as Obj).uid})`;
    cs.state = { waiting: { reason: 'CrashLoopBackOff', message: msg } };
    cs.started = false;
  } else {
    cs.state = { running: { startedAt: c.time } };
    cs.containerID = `containerd://${c.newContainerId}`;
    cs.started = true;
  }
  notReady(pod, c.time, [cs.name]);
}

/** The main container was started again (after back-off); `ready` once its probe passes. */
export function restarted(pod: KubeObject, time: string, containerId: string, ready: boolean): void {
  const cs = ((pod.status as Obj).containerStatuses as Obj[])[0]!;
  cs.state = { running: { startedAt: time } };
  cs.containerID = `containerd://${containerId}`;
  cs.started = true;
  cs.ready = false;
  if (ready) containerReady(pod, time);
}

/** The main container's readiness probe passed. */
export function containerReady(pod: KubeObject, time: string): void {
  const statuses = (pod.status as Obj).containerStatuses as Obj[];
  statuses[0]!.ready = true;
  if (statuses.every((x) => x.ready)) for (const t of ['Ready', 'ContainersReady']) setCondition(pod, t, 'True', time);
}
