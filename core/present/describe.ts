/**
 * What `kubectl describe` shows of one object as of a time, as data: its summary row, labels,
 * conditions, and per kind the parts people read first (a Pod's node, IP and each container's
 * image, state, last state, readiness and restarts; a workload's replicas and images). The
 * object's Events, owner chain and last changes are joined by the surface that asks for them.
 */
import type { KubeObject } from '../record.ts';
import { summaryRow, type SummaryContext } from './summary.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

function state(s: Obj | undefined): Record<string, unknown> | undefined {
  if (!s) return undefined;
  const [name, detail] = Object.entries(s)[0] ?? [];
  if (!name) return undefined;
  const d = (detail ?? {}) as Obj;
  const keep: Record<string, unknown> = { state: name[0]!.toUpperCase() + name.slice(1) };
  for (const k of ['reason', 'message', 'exitCode', 'signal', 'startedAt', 'finishedAt']) if (d[k] !== undefined && d[k] !== '') keep[k] = d[k];
  return keep;
}

function containers(pod: Obj): Record<string, unknown>[] {
  const statuses = new Map<string, Obj>([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((c: Obj) => [c.name, c]));
  const specs: (Obj & { init?: boolean })[] = [...(pod.spec?.initContainers ?? []).map((c: Obj) => ({ ...c, init: true })), ...(pod.spec?.containers ?? [])];
  return specs.map((c) => {
    const st = statuses.get(c.name);
    return {
      name: c.name, ...(c.init ? { init: true } : {}), image: c.image,
      ...(c.command ? { command: c.command } : {}), ...(c.args ? { args: c.args } : {}),
      ...(c.resources && Object.keys(c.resources).length ? { resources: c.resources } : {}),
      ...(st ? { ready: !!st.ready, restartCount: st.restartCount ?? 0 } : {}),
      ...(state(st?.state) ? { current: state(st?.state) } : {}),
      ...(state(st?.lastState) ? { last: state(st?.lastState) } : {}),
    };
  });
}

function conditions(o: Obj): Record<string, unknown>[] {
  return ((o.status?.conditions ?? []) as Obj[]).map((c) => ({
    type: c.type, status: c.status,
    ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}),
    ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
  }));
}

function workload(o: Obj): Record<string, unknown> {
  const tpl = o.spec?.template?.spec as Obj | undefined;
  return {
    ...(o.spec?.replicas !== undefined ? { replicas: { desired: o.spec.replicas, ready: o.status?.readyReplicas ?? 0, updated: o.status?.updatedReplicas ?? 0, available: o.status?.availableReplicas ?? 0 } } : {}),
    ...(o.spec?.selector ? { selector: o.spec.selector } : {}),
    ...(o.spec?.strategy?.type ? { strategy: o.spec.strategy.type } : {}),
    ...(tpl ? { images: (tpl.containers ?? []).map((c: Obj) => `${c.name}=${c.image}`) } : {}),
  };
}

/** The describe sheet of one object as of `ctx.at`. */
export function describeObject(obj: KubeObject, ctx: SummaryContext): Record<string, unknown> {
  const o = obj as Obj;
  const m = (o.metadata ?? {}) as Obj;
  const sheet: Record<string, unknown> = {
    kind: o.kind, name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}),
    created: m.creationTimestamp,
    ...(m.deletionTimestamp ? { deleting: m.deletionTimestamp } : {}),
    summary: summaryRow(obj, ctx),
    ...(m.labels && Object.keys(m.labels).length ? { labels: m.labels } : {}),
  };
  if (o.kind === 'Pod') {
    Object.assign(sheet, {
      node: o.spec?.nodeName ?? null, ip: o.status?.podIP ?? null, phase: o.status?.phase,
      ...(o.status?.reason ? { reason: o.status.reason, message: o.status.message } : {}),
      ...(o.status?.qosClass ? { qos: o.status.qosClass } : {}),
      containers: containers(o),
    });
  } else if (o.spec?.template || o.spec?.replicas !== undefined) {
    Object.assign(sheet, workload(o));
  } else if (o.kind === 'Node') {
    Object.assign(sheet, { unschedulable: !!o.spec?.unschedulable, taints: o.spec?.taints ?? [], capacity: o.status?.capacity, allocatable: o.status?.allocatable });
  }
  const conds = conditions(o);
  if (conds.length) sheet['conditions'] = conds;
  return sheet;
}

/** The controlling owner of an object (ownerReferences with controller=true, else the first). */
export function controllerOf(obj: KubeObject): { kind: string; name: string } | undefined {
  const refs = ((obj.metadata as Obj | undefined)?.ownerReferences ?? []) as Obj[];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  return ref ? { kind: String(ref.kind), name: String(ref.name) } : undefined;
}

