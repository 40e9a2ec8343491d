/**
 * kubectl-like text output: aligned columns, human ages and a one-word status per object.
 */
import { humanDuration, parseRfc3339 } from '../../core/time.ts';

type Obj = Record<string, unknown>;

/** Columns separated by three spaces, padded to the widest cell, headers upper-case. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** The object's age at `at` (an RFC 3339 time), from metadata.creationTimestamp. */
export function ageAt(obj: Obj, at: string): string {
  const created = str(meta(obj)['creationTimestamp']);
  const a = parseRfc3339(at);
  const c = created ? parseRfc3339(created) : undefined;
  if (a === undefined || c === undefined) return '<unknown>';
  return humanDuration((a - c) / 1e6);
}

/** A short status: Terminating, a Pod's phase or container reason, workload readiness, Ready conditions… */
export function statusOf(obj: Obj): string {
  if (meta(obj)['deletionTimestamp']) return 'Terminating';
  const status = rec(obj['status']);
  const spec = rec(obj['spec']);
  switch (obj['kind']) {
    case 'Pod':
      return podStatus(status);
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
      return `${num(status['readyReplicas'])}/${num(spec['replicas'] ?? 1)} ready`;
    case 'DaemonSet':
      return `${num(status['numberReady'])}/${num(status['desiredNumberScheduled'])} ready`;
    case 'Job':
      return conditionTrue(status, 'Complete') ? 'Complete' : conditionTrue(status, 'Failed') ? 'Failed' : 'Running';
  }
  if (typeof status['phase'] === 'string') return status['phase'];
  const ready = condition(status, 'Ready');
  if (ready) return ready === 'True' ? 'Ready' : 'NotReady';
  return '-';
}

function podStatus(status: Obj): string {
  const containers = Array.isArray(status['containerStatuses']) ? (status['containerStatuses'] as unknown[]) : [];
  for (const c of containers) {
    const state = rec(rec(c)['state']);
    const reason = str(rec(state['waiting'])['reason']) ?? str(rec(state['terminated'])['reason']);
    if (reason) return reason;
  }
  return str(status['phase']) ?? 'Unknown';
}

function condition(status: Obj, type: string): string | undefined {
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as unknown[]) : [];
  const c = conditions.map(rec).find((x) => x['type'] === type);
  return c ? str(c['status']) : undefined;
}

function conditionTrue(status: Obj, type: string): boolean {
  return condition(status, type) === 'True';
}

/** metadata of a manifest ({} when absent). */
export function meta(obj: Obj): Obj {
  return rec(obj['metadata']);
}

export function rec(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
