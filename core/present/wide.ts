/**
 * The columns `kubectl get -o wide` adds to the summary rows (summary.ts), per kind, as kubectl's
 * printers place them: cells the summary row lacks (`extra`, e.g. a Pod's IP), and summary
 * columns kubectl shows only when wide (`wideOnly`, a Pod's NODE). A surface that prints tables
 * with priorities (the Kubernetes face's meta.k8s.io Tables) marks both as wide.
 */
import type { KubeObject } from '../record.ts';
import type { SummaryRow } from './summary.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

const joined = (values: unknown[]) => values.filter((v) => v !== undefined && v !== '').join(',') || '<none>';
const selectorText = (s: Obj | undefined) => joined(Object.entries((s?.matchLabels ?? s ?? {}) as Record<string, string>).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v}`));

function address(o: Obj, type: string): string {
  return ((o.status?.addresses ?? []) as Obj[]).find((a) => a.type === type)?.address ?? '<none>';
}

/** CONTAINERS, IMAGES and SELECTOR of a workload's pod template. */
function workload(o: Obj, withSelector = true): SummaryRow {
  const containers = (o.spec?.template?.spec?.containers ?? o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []) as Obj[];
  return {
    CONTAINERS: joined(containers.map((c) => c.name)),
    IMAGES: joined(containers.map((c) => c.image)),
    ...(withSelector ? { SELECTOR: selectorText(o.spec?.selector) } : {}),
  };
}

const EXTRA: Record<string, (o: Obj) => SummaryRow> = {
  Pod: (o) => ({ IP: o.status?.podIP ?? '<none>' }),
  Node: (o) => ({
    'INTERNAL-IP': address(o, 'InternalIP'), 'EXTERNAL-IP': address(o, 'ExternalIP'),
    'OS-IMAGE': o.status?.nodeInfo?.osImage ?? '<unknown>', 'KERNEL-VERSION': o.status?.nodeInfo?.kernelVersion ?? '<unknown>',
    'CONTAINER-RUNTIME': o.status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>',
  }),
  Deployment: (o) => workload(o),
  ReplicaSet: (o) => workload(o),
  DaemonSet: (o) => workload(o),
  Job: (o) => workload(o),
  StatefulSet: (o) => workload(o, false),
  CronJob: (o) => workload(o, false),
  Service: (o) => ({ SELECTOR: selectorText(o.spec?.selector) }),
};

const WIDE_ONLY: Record<string, readonly string[]> = { Pod: ['NODE'] };

/** The wide-only cells of `obj` that its summary row lacks, in kubectl's order. */
export function wideCells(obj: KubeObject): SummaryRow {
  return EXTRA[String(obj.kind ?? '')]?.(obj as Obj) ?? {};
}

/** Summary columns of `kind` that kubectl prints only with `-o wide`. */
export function wideOnlyColumns(kind: string): readonly string[] {
  return WIDE_ONLY[kind] ?? [];
}
