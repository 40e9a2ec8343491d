/**
 * What is broken about one object in one revision, per kind: pure functions of the object (and
 * of the revision before it, and of what was already broken, for conditions that need memory —
 * a crash episode lasts from the crash until the container is ready again, through restarts).
 */
import type { KubeObject } from '../record.ts';
import type { Evidence, FailureReason } from './types.ts';

type Obj = Record<string, any>;

/** One broken condition of a revision. `key` tells conditions of one object apart (`crash/app`). */
export interface Finding {
  key: string;
  reason: FailureReason;
  evidence: Evidence;
  /** A count that grows within a span (a container's restartCount): its growth is the span's `restarts`. */
  counter?: number;
}

/** What is already open on the object: key → reason. */
export type Open = ReadonlyMap<string, FailureReason>;

/** Detects the broken conditions of `obj`; `prev` is the object's previous revision, if known. */
export type Detector = (obj: KubeObject, prev: KubeObject | null, open: Open) => Finding[];

/** Least time a condition must last before it counts (µs), for states that healthy objects pass through. */
export interface Thresholds {
  probe: number;
  pending: number;
  terminating: number;
  unavailable: number;
  pvcPending: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  probe: 60e6,
  pending: 5 * 60e6,
  terminating: 5 * 60e6,
  unavailable: 60e6,
  pvcPending: 2 * 60e6,
};

/** The minimum duration of a reason, or 0 when a single revision showing it is enough. */
export function minDuration(reason: FailureReason, t: Thresholds): number {
  switch (reason) {
    case 'ProbeFailing': return t.probe;
    case 'StuckPending': return t.pending;
    case 'StuckTerminating': return t.terminating;
    case 'UnavailableReplicas': return t.unavailable;
    case 'PVCPending': return t.pvcPending;
    default: return 0;
  }
}

const conditionOf = (obj: KubeObject, type: string): Obj | undefined =>
  ((obj.status as Obj | undefined)?.conditions as Obj[] | undefined)?.find((c) => c.type === type);

const PULL_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);
const CRASH_RANK: Partial<Record<FailureReason, number>> = { ContainerCrashed: 0, OOMKilled: 1, CrashLoopBackOff: 2 };

function crashReason(cs: Obj, before: FailureReason | undefined): FailureReason {
  const now: FailureReason = cs.state?.waiting?.reason === 'CrashLoopBackOff' ? 'CrashLoopBackOff'
    : cs.lastState?.terminated?.reason === 'OOMKilled' ? 'OOMKilled' : 'ContainerCrashed';
  return before && (CRASH_RANK[before] ?? 0) > (CRASH_RANK[now] ?? 0) ? before : now;
}

function containerFindings(pod: KubeObject, prev: KubeObject | null, open: Open): Finding[] {
  const spec = (pod.spec ?? {}) as Obj;
  const st = (pod.status ?? {}) as Obj;
  const specs = new Map(((spec.containers ?? []) as Obj[]).map((c) => [c.name as string, c]));
  const prevStatuses = new Map((((prev?.status as Obj | undefined)?.containerStatuses ?? []) as Obj[]).map((c) => [c.name as string, c]));
  const out: Finding[] = [];
  for (const cs of (st.containerStatuses ?? []) as Obj[]) {
    const name = String(cs.name);
    const c = specs.get(name);
    const waiting = cs.state?.waiting as Obj | undefined;
    if (waiting && PULL_REASONS.has(waiting.reason)) {
      // The pull error says why; the back-off message only repeats the image, so it keeps the error's.
      const evidence: Evidence = { container: name, image: String(c?.image ?? cs.image ?? '') };
      if (waiting.reason !== 'ImagePullBackOff') evidence.message = waiting.message ?? waiting.reason;
      out.push({ key: `pull/${name}`, reason: 'ImagePullBackOff', evidence });
    }
    const rc = Number(cs.restartCount ?? 0);
    const prevRc = prevStatuses.get(name)?.restartCount;
    const term = cs.lastState?.terminated as Obj | undefined;
    const key = `crash/${name}`;
    const crashed = prevRc !== undefined ? rc > Number(prevRc) : prev === null && rc > 0 && !!term && !cs.ready;
    if (crashed || waiting?.reason === 'CrashLoopBackOff' || (open.has(key) && !cs.ready)) {
      const evidence: Evidence = { container: name, node: spec.nodeName };
      if (term) Object.assign(evidence, { exitCode: term.exitCode, terminationReason: term.reason });
      const limit = c?.resources?.limits?.memory;
      if (limit !== undefined) evidence.memoryLimit = String(limit);
      if (waiting?.message) evidence.message = waiting.message;
      out.push({ key, reason: crashReason(cs, open.get(key)), evidence, counter: rc });
    }
  }
  return out;
}

function allRunning(st: Obj): boolean {
  const list = (st.containerStatuses ?? []) as Obj[];
  return list.length > 0 && list.every((c) => c.state?.running);
}

export const detectPod: Detector = (pod, prev, open) => {
  const st = (pod.status ?? {}) as Obj;
  const meta = (pod.metadata ?? {}) as Obj;
  if (meta.deletionTimestamp) {
    return [{ key: 'terminating', reason: 'StuckTerminating', evidence: { node: (pod.spec as Obj | undefined)?.nodeName, message: `deletion requested at ${meta.deletionTimestamp}` } }];
  }
  const out = containerFindings(pod, prev, open);
  const scheduled = conditionOf(pod, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    out.push({ key: 'sched', reason: 'Unschedulable', evidence: { message: String(scheduled.message ?? scheduled.reason) } });
  }
  if (st.phase === 'Failed' && st.reason === 'Evicted') {
    out.push({ key: 'evicted', reason: 'Evicted', evidence: { node: (pod.spec as Obj | undefined)?.nodeName, message: String(st.message ?? 'Evicted') } });
  }
  const ready = conditionOf(pod, 'Ready');
  if (st.phase === 'Running' && ready?.status === 'False' && allRunning(st) && !out.some((f) => f.key.startsWith('crash/'))) {
    out.push({ key: 'probe', reason: 'ProbeFailing', evidence: { node: (pod.spec as Obj | undefined)?.nodeName, message: String(ready.message ?? ready.reason ?? 'not ready') } });
  }
  if ((st.phase === 'Pending' || st.phase === undefined) && out.length === 0) {
    const waiting = ((st.containerStatuses ?? []) as Obj[]).map((c) => c.state?.waiting?.reason).find(Boolean);
    out.push({ key: 'pending', reason: 'StuckPending', evidence: { message: String(waiting ?? scheduled?.message ?? 'Pending') } });
  }
  return out;
};

const NODE_CONDITIONS: [string, string, FailureReason][] = [
  ['MemoryPressure', 'True', 'MemoryPressure'],
  ['DiskPressure', 'True', 'DiskPressure'],
  ['PIDPressure', 'True', 'PIDPressure'],
];

export const detectNode: Detector = (node) => {
  const out: Finding[] = [];
  const ready = conditionOf(node, 'Ready');
  if (ready && ready.status !== 'True') {
    out.push({ key: 'ready', reason: 'NodeNotReady', evidence: { message: String(ready.message ?? ready.reason ?? `Ready=${ready.status}`) } });
  }
  for (const [type, bad, reason] of NODE_CONDITIONS) {
    const c = conditionOf(node, type);
    if (c?.status === bad) out.push({ key: type, reason, evidence: { message: String(c.message ?? c.reason ?? type) } });
  }
  if ((node.spec as Obj | undefined)?.unschedulable === true) out.push({ key: 'cordon', reason: 'Cordoned', evidence: { message: 'spec.unschedulable=true' } });
  return out;
};

function unavailable(desired: number, missing: number): Finding[] {
  return missing > 0 ? [{ key: 'unavailable', reason: 'UnavailableReplicas', evidence: { desired, unavailable: missing } }] : [];
}

export const detectDeployment: Detector = (d) => {
  const st = (d.status ?? {}) as Obj;
  const desired = Number((d.spec as Obj | undefined)?.replicas ?? 1);
  const out = unavailable(desired, Number(st.unavailableReplicas ?? 0));
  const p = conditionOf(d, 'Progressing');
  if (p?.status === 'False' && p.reason === 'ProgressDeadlineExceeded') {
    out.push({ key: 'progress', reason: 'ProgressDeadlineExceeded', evidence: { message: String(p.message ?? p.reason) } });
  }
  return out;
};

export const detectStatefulSet: Detector = (s) => {
  const st = (s.status ?? {}) as Obj;
  const desired = Number((s.spec as Obj | undefined)?.replicas ?? 1);
  return unavailable(desired, desired - Number(st.availableReplicas ?? st.readyReplicas ?? 0));
};

export const detectDaemonSet: Detector = (ds) => {
  const st = (ds.status ?? {}) as Obj;
  return unavailable(Number(st.desiredNumberScheduled ?? 0), Number(st.numberUnavailable ?? 0));
};

export const detectJob: Detector = (job) => {
  const failed = conditionOf(job, 'Failed');
  return failed?.status === 'True'
    ? [{ key: 'failed', reason: 'JobFailed', evidence: { message: `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim() } }]
    : [];
};

export const detectHpa: Detector = (hpa) => {
  const st = (hpa.status ?? {}) as Obj;
  const max = Number((hpa.spec as Obj | undefined)?.maxReplicas ?? Infinity);
  const out: Finding[] = [];
  if (Number(st.currentReplicas ?? 0) >= max && Number(st.desiredReplicas ?? 0) >= max) {
    out.push({ key: 'max', reason: 'HPAAtMaxReplicas', evidence: { desired: max, message: `at maxReplicas ${max}` } });
  }
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = conditionOf(hpa, type);
    if (c?.status === 'False') out.push({ key: type, reason: 'HPAUnableToScale', evidence: { message: `${c.reason ?? type}: ${c.message ?? ''}`.trim() } });
  }
  return out;
};

export const detectPvc: Detector = (pvc) =>
  (pvc.status as Obj | undefined)?.phase === 'Pending' ? [{ key: 'pending', reason: 'PVCPending', evidence: { message: 'Pending' } }] : [];

/** The detector of each kind the timeline covers, by groupKind. */
export const DETECTORS: ReadonlyMap<string, Detector> = new Map([
  ['Pod', detectPod],
  ['Node', detectNode],
  ['Deployment.apps', detectDeployment],
  ['StatefulSet.apps', detectStatefulSet],
  ['DaemonSet.apps', detectDaemonSet],
  ['Job.batch', detectJob],
  ['HorizontalPodAutoscaler.autoscaling', detectHpa],
  ['PersistentVolumeClaim', detectPvc],
]);
