/**
 * kubectl-get-like rows as of a time (`view=summary`): the columns `kubectl get` prints for the
 * common kinds (its printers), a custom resource's CRD additionalPrinterColumns, NAME and AGE for
 * every other kind. Ages are relative to the as-of time, not to now.
 */
import type { KubeObject } from '../record.ts';
import type { Micros } from '../time.ts';
import { ageAt, humanDuration } from './age.ts';
import { podStatus } from './pod-status.ts';
import { evalJsonPath } from './fields.ts';
import { parseRfc3339 } from '../time.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

/** One row: column name → cell, in kubectl's column order. */
export type SummaryRow = Record<string, string | number>;

/** A CRD's additionalPrinterColumns entry (apiextensions.k8s.io/v1). */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

export interface SummaryContext {
  /** The as-of time: ages and "(2m ago)" are relative to it. */
  at: Micros;
  /** For a custom resource: its CRD's printer columns as of `at` (printerColumnsOf). */
  printerColumns?: readonly PrinterColumn[];
}

const n = (v: unknown) => (typeof v === 'number' ? v : 0);
const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v));

function nodeStatus(o: Obj): string {
  const ready = (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (o.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((o.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function servicePorts(o: Obj): string {
  const ports: Obj[] = o.spec?.ports ?? [];
  if (!ports.length) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function externalIp(o: Obj): string {
  const ingress: Obj[] = o.status?.loadBalancer?.ingress ?? [];
  const ips = [...(o.spec?.externalIPs ?? []), ...ingress.map((i) => i.ip ?? i.hostname)].filter(Boolean);
  if (ips.length) return ips.join(',');
  if (o.spec?.type === 'LoadBalancer') return '<pending>';
  if (o.spec?.type === 'ExternalName') return o.spec?.externalName ?? '<none>';
  return '<none>';
}

function jobStatus(o: Obj): string {
  const conds: Obj[] = o.status?.conditions ?? [];
  const has = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (o.spec?.suspend) return 'Suspended';
  return 'Running';
}

function jobDuration(o: Obj, at: Micros): string {
  const start = typeof o.status?.startTime === 'string' ? parseRfc3339(o.status.startTime) : undefined;
  if (start === undefined) return '';
  const end = typeof o.status?.completionTime === 'string' ? parseRfc3339(o.status.completionTime) : undefined;
  return humanDuration((end ?? at) - start);
}

type Printer = (o: Obj, at: Micros) => SummaryRow;

/** Columns after NAME (and before AGE unless a printer places AGE itself). */
const PRINTERS: Record<string, Printer> = {
  Pod: (o, at) => {
    const s = podStatus(o, at);
    return { READY: s.ready, STATUS: s.status, RESTARTS: s.restarts, AGE: ageAt(o.metadata?.creationTimestamp, at), NODE: s.node };
  },
  Deployment: (o) => ({
    READY: `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas ?? 1)}`,
    'UP-TO-DATE': n(o.status?.updatedReplicas),
    AVAILABLE: n(o.status?.availableReplicas),
  }),
  ReplicaSet: (o) => ({ DESIRED: n(o.spec?.replicas ?? 1), CURRENT: n(o.status?.replicas), READY: n(o.status?.readyReplicas) }),
  StatefulSet: (o) => ({ READY: `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas ?? 1)}` }),
  DaemonSet: (o) => ({
    DESIRED: n(o.status?.desiredNumberScheduled),
    CURRENT: n(o.status?.currentNumberScheduled),
    READY: n(o.status?.numberReady),
    'UP-TO-DATE': n(o.status?.updatedNumberScheduled),
    AVAILABLE: n(o.status?.numberAvailable),
    'NODE SELECTOR': Object.entries((o.spec?.template?.spec?.nodeSelector ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',') || '<none>',
  }),
  Job: (o, at) => ({
    STATUS: jobStatus(o),
    COMPLETIONS: `${n(o.status?.succeeded)}/${o.spec?.completions ?? 1}`,
    DURATION: jobDuration(o, at),
  }),
  CronJob: (o) => ({ SCHEDULE: none(o.spec?.schedule), SUSPEND: o.spec?.suspend ? 'True' : 'False', ACTIVE: (o.status?.active ?? []).length, 'LAST SCHEDULE': none(o.status?.lastScheduleTime) }),
  Service: (o) => ({ TYPE: o.spec?.type ?? 'ClusterIP', 'CLUSTER-IP': none(o.spec?.clusterIP), 'EXTERNAL-IP': externalIp(o), 'PORT(S)': servicePorts(o) }),
  ConfigMap: (o) => ({ DATA: Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length }),
  Secret: (o) => ({ TYPE: o.type ?? 'Opaque', DATA: Object.keys(o.data ?? {}).length }),
  Namespace: (o) => ({ STATUS: o.status?.phase ?? 'Active' }),
  Node: (o) => ({ STATUS: nodeStatus(o), ROLES: nodeRoles(o) }),
  PersistentVolumeClaim: (o) => ({
    STATUS: none(o.status?.phase), VOLUME: o.spec?.volumeName ?? '', CAPACITY: o.status?.capacity?.storage ?? '',
    'ACCESS MODES': (o.status?.accessModes ?? []).join(','), STORAGECLASS: none(o.spec?.storageClassName),
  }),
  HorizontalPodAutoscaler: (o) => ({
    REFERENCE: `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
    MINPODS: o.spec?.minReplicas ?? 1, MAXPODS: n(o.spec?.maxReplicas), REPLICAS: n(o.status?.currentReplicas),
  }),
  Ingress: (o) => ({
    CLASS: none(o.spec?.ingressClassName),
    HOSTS: (o.spec?.rules ?? []).map((r: Obj) => r.host).filter(Boolean).join(',') || '*',
    ADDRESS: (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(','),
  }),
  Event: (o) => ({ TYPE: o.type ?? '', REASON: o.reason ?? '', OBJECT: `${o.involvedObject?.kind ?? o.regarding?.kind ?? ''}/${o.involvedObject?.name ?? o.regarding?.name ?? ''}`, MESSAGE: o.message ?? o.note ?? '' }),
};

/** Columns printed after AGE (kubectl puts VERSION after AGE for Nodes). */
const AFTER_AGE: Record<string, Printer> = {
  Node: (o) => ({ VERSION: o.status?.nodeInfo?.kubeletVersion ?? '' }),
};

function printerColumnCells(o: Obj, columns: readonly PrinterColumn[], at: Micros): SummaryRow {
  const row: SummaryRow = {};
  for (const c of columns) {
    if ((c.priority ?? 0) > 0) continue; // kubectl shows those only with -o wide
    const values = evalJsonPath(o, c.jsonPath.replace(/^\./, ''));
    const v = values[0];
    const name = c.name.toUpperCase();
    if (c.type === 'date') row[name] = v === undefined ? '<unknown>' : ageAt(v, at);
    else row[name] = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : (v as string | number);
  }
  return row;
}

/**
 * The summary row of one object as of `ctx.at`. `withNamespace` adds a NAMESPACE column first
 * (a list across namespaces, as kubectl -A prints it).
 */
export function summaryRow(obj: KubeObject, ctx: SummaryContext, withNamespace = false): SummaryRow {
  const o = obj as Obj;
  const kind = String(o.kind ?? '');
  const row: SummaryRow = {};
  if (withNamespace && o.metadata?.namespace) row['NAMESPACE'] = o.metadata.namespace;
  row['NAME'] = o.metadata?.name ?? '';
  const printer = PRINTERS[kind];
  const cells = printer ? printer(o, ctx.at) : ctx.printerColumns ? printerColumnCells(o, ctx.printerColumns, ctx.at) : {};
  Object.assign(row, cells);
  // A CRD that declares printer columns prints those alone (its own Age column among them).
  const declared = !printer && (ctx.printerColumns?.length ?? 0) > 0;
  if (!declared && !('AGE' in row)) row['AGE'] = ageAt(o.metadata?.creationTimestamp, ctx.at);
  Object.assign(row, AFTER_AGE[kind]?.(o, ctx.at) ?? {});
  return row;
}

/** Rows as a table: `columns` once, then each row's cells in that order (compact for lists). */
export function summaryTable(
  objects: readonly KubeObject[], ctx: SummaryContext, withNamespace = false, extra?: (o: KubeObject) => SummaryRow,
): { columns: string[]; rows: (string | number)[][] } {
  const rows = objects.map((o) => (extra ? { ...summaryRow(o, ctx, withNamespace), ...extra(o) } : summaryRow(o, ctx, withNamespace)));
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  if (!rows.length) columns.push(...(withNamespace ? ['NAMESPACE'] : []), 'NAME', 'AGE');
  return { columns, rows: rows.map((r) => columns.map((c) => r[c] ?? '')) };
}

/** Whether a kind has built-in columns (otherwise a CRD's printer columns are worth looking up). */
export function hasBuiltinColumns(kind: string): boolean {
  return kind in PRINTERS;
}

/**
 * The printer columns of a CRD object for `version` (the served storage version when absent).
 * A CRD without any declares none; kubectl then prints NAME and AGE.
 */
export function printerColumnsOf(crd: KubeObject, version?: string): PrinterColumn[] {
  const versions: Obj[] = ((crd as Obj).spec?.versions ?? []) as Obj[];
  const v = versions.find((x) => x.name === version) ?? versions.find((x) => x.storage) ?? versions[0];
  const cols: Obj[] = v?.additionalPrinterColumns ?? (crd as Obj).spec?.additionalPrinterColumns ?? [];
  return cols.filter((c) => typeof c.name === 'string' && typeof c.jsonPath === 'string').map((c) => ({ name: c.name, type: String(c.type ?? 'string'), jsonPath: c.jsonPath, priority: c.priority }));
}
