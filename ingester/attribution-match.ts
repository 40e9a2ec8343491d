/**
 * How an attribution finds the revision it names among an object's remembered revisions: the
 * match rules of attributor.ts's module comment, as pure functions over what is remembered of
 * each revision (`Seen`).
 */
import { compareResourceVersions, type Actor, type ChangeRecord, type Op } from '../core/record.ts';
import { parseRfc3339, type Micros } from '../core/time.ts';

/** A Metadata-level event's request: it made a revision of one of these ops between `from` and `to` (attributor.ts's module comment). */
export interface Window { from: Micros; to: Micros; ops: Op[] }

/** How an attribution finds its revision among an object's revisions (attributor.ts's module comment). */
export type AttributionMatch =
  | { rv: string } | { nodeName: string } | { graceZeroBefore: string } | { terminatingAt: Micros } | { disruptedAt: Micros }
  | { within: Window };

/** What an audit event tells about one revision it does not carry. */
export interface Attribution {
  cluster: string;
  /** The object's uid; "" when the event names the object only by name (`named`). */
  uid: string;
  /** An object named by group-kind, namespace and name alone (an eviction, a Metadata-level event). */
  named?: { gk: string; namespace: string; name: string };
  match: AttributionMatch;
  /** The audit event's stageTimestamp (exact). */
  ts: Micros;
  actor?: Actor;
  verb: string;
  auditID?: string;
}

/** What is remembered of a durable revision (no object). */
export interface Seen {
  record: ChangeRecord;
  nodeName: string | undefined;
  graceZero: boolean;
  /** When a terminating object's delete was made: deletionTimestamp − its grace period. */
  deletedAt: Micros | undefined;
  /** When an eviction marked the pod (its DisruptionTarget condition's lastTransitionTime). */
  disruptedAt: Micros | undefined;
  attributed: boolean;
  /** The attribution that attributed it (attributionId: a redelivered batch finds it done). */
  attributedBy?: string;
  at: number;
}

/**
 * How far an eviction's audit time may be from the delete time a pod's deletionTimestamp implies
 * (deletionTimestamp has whole seconds; the audit's stageTimestamp follows the delete).
 */
export const EVICTION_SLACK = 2_000_000;

/**
 * How long after a request's response the watch may bring the revision it made, for matching a
 * Metadata-level event by time. Short on purpose: a revision seen later stays without actor
 * rather than risk naming the author of a request that changed nothing (attributor.ts's module comment).
 */
export const WATCH_LAG = 1_000_000;

interface PodLike {
  spec?: { nodeName?: unknown };
  metadata?: { deletionTimestamp?: unknown; deletionGracePeriodSeconds?: unknown };
  status?: { conditions?: unknown };
}

/** When an eviction marked the pod, from its DisruptionTarget condition (undefined: not marked). */
function disruptedAtOf(o: PodLike | null): Micros | undefined {
  if (!Array.isArray(o?.status?.conditions)) return undefined;
  const c = (o.status.conditions as { type?: unknown; status?: unknown; reason?: unknown; lastTransitionTime?: unknown }[])
    .find((x) => x?.type === 'DisruptionTarget' && x.status === 'True' && x.reason === 'EvictionByEvictionAPI');
  return typeof c?.lastTransitionTime === 'string' ? parseRfc3339(c.lastTransitionTime) : undefined;
}

export function seenOf(record: ChangeRecord, at: number): Seen {
  const o = record.object as PodLike | null;
  const nodeName = typeof o?.spec?.nodeName === 'string' ? o.spec.nodeName : undefined;
  const graceZero = !!o?.metadata?.deletionTimestamp && o.metadata.deletionGracePeriodSeconds === 0;
  const deletion = typeof o?.metadata?.deletionTimestamp === 'string' ? parseRfc3339(o.metadata.deletionTimestamp) : undefined;
  const grace = o?.metadata?.deletionGracePeriodSeconds;
  const deletedAt = deletion === undefined ? undefined : deletion - (typeof grace === 'number' ? grace * 1e6 : 0);
  // Keep no reference to the object: only what matching needs.
  return { record: { ...record, object: null }, nodeName, graceZero, deletedAt, disruptedAt: disruptedAtOf(o), attributed: !!record.actor, at };
}

/** The remembered revision of the object just before `s` in commit (resourceVersion) order. */
function priorOf(s: Seen, others: readonly Seen[]): Seen | undefined {
  let prior: Seen | undefined;
  for (const o of others) {
    if (compareResourceVersions(o.record.resourceVersion, s.record.resourceVersion) >= 0) continue;
    if (!prior || compareResourceVersions(o.record.resourceVersion, prior.record.resourceVersion) > 0) prior = o;
  }
  return prior;
}

/**
 * Whether `s` is the revision `a` names, given the object's other remembered revisions (in the
 * order they became durable, which need not be commit order: an audit batch may bring later
 * revisions before the watch brings this one).
 */
export function matches(a: AttributionMatch, s: Seen, others: readonly Seen[]): boolean {
  if ('within' in a) return false; // decided among all the object's requests by time: byTime()
  if (s.record.op === 'DELETED') return false; // only a Metadata-level delete names a deletion it does not carry
  // A resourceVersion names its revision even when another request did: one of them changed
  // nothing (a Scale to the replicas it had), and the store keeps the earlier (mergeRecords).
  if ('rv' in a) return s.record.resourceVersion === a.rv;
  if (s.attributed) return false;
  if ('nodeName' in a) {
    const prior = priorOf(s, others);
    return s.nodeName === a.nodeName && prior !== undefined && prior.nodeName === undefined;
  }
  if ('terminatingAt' in a) return firstNear(s, others, (x) => x.deletedAt, a.terminatingAt);
  if ('disruptedAt' in a) return firstNear(s, others, (x) => x.disruptedAt, a.disruptedAt);
  return s.graceZero && compareResourceVersions(s.record.resourceVersion, a.graceZeroBefore) < 0;
}

/**
 * Whether the watch saw `s` while the request could have made it: the commit follows the request's
 * receipt, and the watch brings it at most WATCH_LAG after the response. Gap records (a relist) are
 * dated when found, not when made.
 */
export function inWindow(w: Window, s: Seen): boolean {
  const seenAt = s.record.observedAt;
  return !s.record.gap && w.ops.includes(s.record.op) && seenAt >= w.from && seenAt <= w.to + WATCH_LAG;
}

/**
 * The revision a request by time (`{ within }`) made, given every request by time known for the
 * object (`all`, `w` among them): of the unattributed revisions in its window, those another
 * request also holds and received no earlier explains at least as well (the latest request
 * received before the watch saw a revision made it, when every change to the object is audited).
 * Exactly one left: that one; none or several: undefined (an unaudited change may be among them).
 */
export function byTime(w: Window, list: readonly Seen[], all: readonly Window[]): Seen | undefined {
  const mine = list.filter((s) => !s.attributed && inWindow(w, s) && !all.some((r) => r !== w && r.from >= w.from && inWindow(r, s)));
  return mine.length === 1 ? mine[0] : undefined;
}

/** Whether `s` is the first revision (in commit order) with a time `at(s)` within EVICTION_SLACK of `t`. */
function firstNear(s: Seen, others: readonly Seen[], at: (x: Seen) => Micros | undefined, t: Micros): boolean {
  const own = at(s);
  if (own === undefined || Math.abs(own - t) > EVICTION_SLACK) return false;
  const prior = priorOf(s, others);
  return !prior || at(prior) === undefined;
}
