/**
 * Kubernetes Events for people and models: their times (core/v1 and events.k8s.io/v1 fields),
 * a `type`/`reason` filter, and aggregation by (object, reason, message) with the count and the
 * first and last time, the way `kubectl describe` folds repeated Events into one line.
 */
import type { KubeObject } from '../record.ts';
import { formatTime, parseRfc3339, type Micros } from '../time.ts';

type Obj = Record<string, any>; // manifests are untyped JSON

const time = (...texts: unknown[]): Micros | undefined => {
  for (const t of texts) {
    const v = typeof t === 'string' ? parseRfc3339(t) : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
};

/** When an Event was first and last seen, and how many times (series or count, else 1). */
export function eventTimes(ev: KubeObject): { first: Micros | undefined; last: Micros | undefined; count: number } {
  const e = ev as Obj;
  const first = time(e.firstTimestamp, e.deprecatedFirstTimestamp, e.eventTime, e.metadata?.creationTimestamp);
  const last = time(e.series?.lastObservedTime, e.lastTimestamp, e.deprecatedLastTimestamp, e.eventTime) ?? first;
  const count = Number(e.series?.count ?? e.count ?? e.deprecatedCount ?? 1) || 1;
  return { first, last, count };
}

/** The object an Event is about: `{kind, namespace?, name}`. */
export function eventSubject(ev: KubeObject): { kind: string; namespace?: string; name: string } {
  const e = ev as Obj;
  const o = (e.involvedObject ?? e.regarding ?? {}) as Obj;
  return { kind: String(o.kind ?? ''), ...(o.namespace ? { namespace: String(o.namespace) } : {}), name: String(o.name ?? '') };
}

export interface EventFilter {
  /** `Normal` or `Warning` (case-insensitive). */
  type?: string;
  /** The Event's reason, exactly (`BackOff`, `OOMKilling`). */
  reason?: string;
}

export function eventMatches(ev: KubeObject, f: EventFilter): boolean {
  const e = ev as Obj;
  if (f.type && String(e.type ?? '').toLowerCase() !== f.type.toLowerCase()) return false;
  if (f.reason && e.reason !== f.reason) return false;
  return true;
}

/** One line of aggregated Events. */
export interface EventGroup {
  type: string;
  reason: string;
  object: string;
  namespace?: string;
  message: string;
  count: number;
  first: string;
  last: string;
}

/**
 * Folds Events by (object, reason, message): counts add up, first is the earliest, last the
 * latest. Groups come newest last-time first (`order: 'asc'` for oldest first).
 */
export function aggregateEvents(events: readonly KubeObject[], order: 'asc' | 'desc' = 'desc'): EventGroup[] {
  const groups = new Map<string, { g: Omit<EventGroup, 'first' | 'last'>; first: Micros; last: Micros }>();
  for (const ev of events) {
    const e = ev as Obj;
    const s = eventSubject(ev);
    const message = String(e.message ?? e.note ?? '');
    const reason = String(e.reason ?? '');
    const key = JSON.stringify([s.kind, s.namespace ?? '', s.name, reason, message]);
    const t = eventTimes(ev);
    const first = t.first ?? t.last ?? 0;
    const last = t.last ?? first;
    const seen = groups.get(key);
    if (seen) {
      seen.g.count += t.count;
      seen.first = Math.min(seen.first, first);
      seen.last = Math.max(seen.last, last);
      if (e.type === 'Warning') seen.g.type = 'Warning';
    } else {
      groups.set(key, {
        g: { type: String(e.type ?? ''), reason, object: `${s.kind}/${s.name}`, ...(s.namespace ? { namespace: s.namespace } : {}), message, count: t.count },
        first, last,
      });
    }
  }
  const sign = order === 'asc' ? 1 : -1;
  return [...groups.values()]
    .sort((a, b) => sign * (a.last - b.last || a.g.object.localeCompare(b.g.object) || a.g.reason.localeCompare(b.g.reason)))
    .map(({ g, first, last }) => ({ ...g, first: formatTime(first), last: formatTime(last) }));
}
