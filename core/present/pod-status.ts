/**
 * A Pod's READY, STATUS and RESTARTS as `kubectl get pods` computes them (kubectl's printPod):
 * init containers first (Init:N/M, Init:<reason>, Init:ExitCode:N), then the app containers
 * from last to first (a waiting or terminated reason wins: CrashLoopBackOff, OOMKilled, Error,
 * Completed, ImagePullBackOff…), Completed turned back into Running while a container still
 * runs, and Terminating for a Pod being deleted that has not finished.
 */
import { humanDuration } from './age.ts';
import { parseRfc3339, type Micros } from '../time.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

export interface PodStatus {
  ready: string;
  status: string;
  restarts: string;
  node: string;
}

const isRestartable = (c: Obj | undefined) => c?.restartPolicy === 'Always';

function laterOf(a: Micros | undefined, finishedAt: unknown): Micros | undefined {
  const t = typeof finishedAt === 'string' ? parseRfc3339(finishedAt) : undefined;
  return t !== undefined && (a === undefined || t > a) ? t : a;
}

function terminatedReason(t: Obj, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** The init containers' verdict: the status they impose, or undefined once they are done. */
function initStatus(pod: Obj, acc: { restarts: number; sidecarRestarts: number; ready: number; last?: Micros; sidecarLast?: Micros }): string | undefined {
  const specs = new Map<string, Obj>((pod.spec?.initContainers ?? []).map((c: Obj) => [c.name, c]));
  const statuses: Obj[] = pod.status?.initContainerStatuses ?? [];
  for (let i = 0; i < statuses.length; i++) {
    const c = statuses[i]!;
    acc.restarts += c.restartCount ?? 0;
    acc.last = laterOf(acc.last, c.lastState?.terminated?.finishedAt);
    const sidecar = isRestartable(specs.get(c.name));
    if (sidecar) {
      acc.sidecarRestarts += c.restartCount ?? 0;
      acc.sidecarLast = laterOf(acc.sidecarLast, c.lastState?.terminated?.finishedAt);
    }
    if (c.state?.terminated && (c.state.terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) acc.ready++;
      continue;
    }
    if (c.state?.terminated) return terminatedReason(c.state.terminated, 'Init:');
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') return `Init:${c.state.waiting.reason}`;
    return `Init:${i}/${specs.size}`;
  }
  return undefined;
}

/** READY, STATUS, RESTARTS ("3 (2m ago)", relative to `at`) and NODE of a Pod as of `at`. */
export function podStatus(pod: Obj, at: Micros): PodStatus {
  const status: Obj = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Unknown';
  if ((status.conditions ?? []).some((c: Obj) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';
  const sidecars = (pod.spec?.initContainers ?? []).filter(isRestartable).length;
  const total = (pod.spec?.containers ?? []).length + sidecars;
  const acc = { restarts: 0, sidecarRestarts: 0, ready: 0, last: undefined as Micros | undefined, sidecarLast: undefined as Micros | undefined };
  const init = initStatus(pod, acc);
  if (init) reason = init;
  const initialized = (status.conditions ?? []).some((c: Obj) => c.type === 'Initialized' && c.status === 'True');
  let restarts = acc.restarts;
  let last = acc.last;
  if (!init || initialized) {
    restarts = acc.sidecarRestarts;
    last = acc.sidecarLast;
    let running = false;
    const containers: Obj[] = status.containerStatuses ?? [];
    for (let i = containers.length - 1; i >= 0; i--) {
      const c = containers[i]!;
      restarts += c.restartCount ?? 0;
      last = laterOf(last, c.lastState?.terminated?.finishedAt);
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = terminatedReason(c.state.terminated, '');
      else if (c.ready && c.state?.running) {
        running = true;
        acc.ready++;
      }
    }
    if (reason === 'Completed' && running) {
      reason = (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';
  const restartText = restarts && last !== undefined ? `${restarts} (${humanDuration(at - last)} ago)` : String(restarts);
  return { ready: `${acc.ready}/${total}`, status: reason, restarts: restartText, node: pod.spec?.nodeName || '<none>' };
}
