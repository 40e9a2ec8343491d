/** Deployment, ReplicaSet and HorizontalPodAutoscaler manifests, and their status shapes. */
import { cloneJson } from '../json.ts';
import type { KubeObject } from '../../k8s/object.ts';
import { fnv1a, safeEncode } from '../prng.ts';
import { appLabels, selectorLabels, type AppSpec } from './app-spec.ts';

type Obj = Record<string, any>;

/** The pod-template-hash of a template (stable: same template → same hash). */
export function templateHash(template: KubeObject): string {
  return safeEncode(fnv1a(JSON.stringify(template)), 10);
}

export function deployment(app: AppSpec, template: KubeObject, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: app.name,
      namespace: app.namespace,
      labels: appLabels(app),
      annotations: { 'deployment.kubernetes.io/revision': '1' },
    },
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(app) },
      template,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: 600,
    },
  };
}

export interface DeploymentStatusInit {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  desired: number;
  newReplicaSet: string;
  time: string;
  /** A rollout that stopped making progress. */
  stalled: boolean;
  complete: boolean;
}

function condition(type: string, status: string, reason: string, message: string, time: string, prev?: Obj): Obj {
  const changed = !prev || prev.status !== status || prev.reason !== reason;
  return { type, status, lastUpdateTime: time, lastTransitionTime: changed ? time : prev.lastTransitionTime, reason, message };
}

/** The status the deployment controller writes. Keeps transition times of unchanged conditions. */
export function deploymentStatus(prev: Obj | undefined, s: DeploymentStatusInit): Obj {
  const conds = (prev?.conditions ?? []) as Obj[];
  const avail = s.readyReplicas >= Math.max(1, s.desired - Math.floor(s.desired / 4));
  const progressing = s.stalled
    ? condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${s.newReplicaSet}" has timed out progressing.`, s.time, conds[1])
    : s.complete
      ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${s.newReplicaSet}" has successfully progressed.`, s.time, conds[1])
      : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${s.newReplicaSet}" is progressing.`, s.time, conds[1]);
  const available = avail
    ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', s.time, conds[0])
    : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', s.time, conds[0]);
  // Unchanged conditions keep their lastUpdateTime too, so a no-op sync writes nothing.
  for (const [i, c] of [available, progressing].entries()) {
    const p = conds[i];
    if (p && p.status === c.status && p.reason === c.reason && p.message === c.message) c.lastUpdateTime = p.lastUpdateTime;
  }
  const st: Obj = {
    observedGeneration: s.observedGeneration,
    replicas: s.replicas,
    updatedReplicas: s.updatedReplicas,
    readyReplicas: s.readyReplicas,
    availableReplicas: s.readyReplicas,
    conditions: [available, progressing],
  };
  if (s.replicas > s.readyReplicas) st.unavailableReplicas = s.replicas - s.readyReplicas;
  if (s.readyReplicas === 0) delete st.readyReplicas;
  return st;
}

export interface ReplicaSetInit {
  app: AppSpec;
  template: KubeObject;
  hash: string;
  replicas: number;
  revision: number;
  desired: number;
  owner: { name: string; uid: string };
}

export function replicaSet(r: ReplicaSetInit): KubeObject {
  const tpl = cloneJson(r.template) as Obj;
  tpl.metadata.labels = { ...tpl.metadata.labels, 'pod-template-hash': r.hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${r.app.name}-${r.hash}`,
      namespace: r.app.namespace,
      labels: { ...appLabels(r.app), 'pod-template-hash': r.hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(r.desired),
        'deployment.kubernetes.io/max-replicas': String(r.desired + Math.max(1, Math.ceil(r.desired / 4))),
        'deployment.kubernetes.io/revision': String(r.revision),
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: r.owner.name, uid: r.owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: r.replicas,
      selector: { matchLabels: { ...selectorLabels(r.app), 'pod-template-hash': r.hash } },
      template: tpl,
    },
    status: { replicas: 0, observedGeneration: 1 },
  };
}

export function replicaSetStatus(observedGeneration: number, replicas: number, ready: number): Obj {
  const st: Obj = { replicas, fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: ready, observedGeneration };
  if (replicas === 0) delete st.fullyLabeledReplicas;
  if (ready === 0) {
    delete st.readyReplicas;
    delete st.availableReplicas;
  }
  return st;
}

export interface HpaInit {
  app: AppSpec;
  min: number;
  max: number;
  current: number;
  utilization: number;
  time: string;
}

export function hpa(h: HpaInit): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: h.app.name, namespace: h.app.namespace, labels: appLabels(h.app) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: h.app.name },
      minReplicas: h.min,
      maxReplicas: h.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
    status: hpaStatus(h.current, h.current, h.utilization, h.time, undefined),
  };
}

export function hpaStatus(current: number, desired: number, utilization: number, time: string, lastScaleTime: string | undefined): Obj {
  const st: Obj = {
    currentReplicas: current,
    desiredReplicas: desired,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: utilization, averageValue: `${Math.round(utilization * 2.5)}m` } } }],
    conditions: [
      { type: 'AbleToScale', status: 'True', lastTransitionTime: time, reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
      { type: 'ScalingActive', status: 'True', lastTransitionTime: time, reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
      { type: 'ScalingLimited', status: 'False', lastTransitionTime: time, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
    ],
  };
  if (lastScaleTime) st.lastScaleTime = lastScaleTime;
  return st;
}
