/**
 * How an attribution finds the revision it names among an object's remembered revisions: the
 * match rules of attributor.ts's module comment, as pure functions over what is remembered of
 * each revision (`Seen`).
 */
import { compareResourceVersions, type Actor, type ChangeRecord, type Op } from '../../core/record.ts';
import { parseRfc3339, type Micros } from '../../core/time.ts';

/** A request without response body: it made a revision of one of these ops between `from` and `to` (attributor.ts's module comment). */
export interface Window { from: Micros; to: Micros; ops: Op[] }

/**
 * How an attribution finds its revision among an object's revisions (ATTRIBUTION.md has the
 * table of audit cases). Tagged by `by`; every switch over it is exhaustive (`unmatched`).
 * - `rv`: the revision with this resourceVersion (a Scale; a terminating object in a
 *   deletecollection answered with metadata only);
 * - `nodeName`: the first revision on that node (a scheduler's Binding);
 * - `graceZeroBefore`: the revision with grace period 0 just below `rv` (a grace-0 delete);
 * - `terminatingAt` / `disruptedAt`: the first revision deleted / marked by an eviction near `at`;
 * - `removed`: an object's removal seen in the window, not preceded by a terminating revision (an
 *   eviction of a pod that had already finished removes it at once), or right after the grace-0
 *   terminating revision the same request made (kube-apiserver 1.34 evicts a finished pod in three
 *   writes: DisruptionTarget, grace 0, removal — the removal then needs no window: the watch may
 *   bring it late);
 * - `within`: the one revision of a named object seen in the request's window (no response body);
 * - `collection`: every deletion of `gk` in `namespace` seen in the window (a deletecollection
 *   without response body); stays waiting for more until it expires.
 */
export type AttributionMatch =
  | { by: 'rv'; rv: string }
  | { by: 'nodeName'; nodeName: string }
  | { by: 'graceZeroBefore'; rv: string }
  | { by: 'terminatingAt'; at: Micros }
  | { by: 'disruptedAt'; at: Micros }
  | { by: 'removed'; window: Window }
  | { by: 'within'; window: Window }
  | { by: 'collection'; gk: string; namespace: string; window: Window };

/** For the `default:` of an exhaustive switch over a tagged union: a compile error when a case is missing. */
export function unmatched(x: never): never {
  throw new Error(`unknown attribution match ${JSON.stringify(x)}`);
}

const OP_SET = new Set<unknown>(['ADDED', 'MODIFIED', 'DELETED']);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function windowOf(v: unknown): Window | undefined {
  const w = v as Partial<Window> | null;
  if (typeof w !== 'object' || w === null || !isNum(w.from) || !isNum(w.to) || !Array.isArray(w.ops) || !w.ops.every((o) => OP_SET.has(o))) return undefined;
  return { from: w.from, to: w.to, ops: [...w.ops] };
}

/**
 * A match read back from JSON (the journal), or undefined when it is none. Reads the tagged form
 * and the untagged one journals written before it hold (`{ rv }`, `{ nodeName }`,
 * `{ graceZeroBefore }`, `{ terminatingAt }`, `{ disruptedAt }`, `{ within }`).
 */
export function matchFromJson(v: unknown): AttributionMatch | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  switch (m.by) {
    case 'rv': return isStr(m.rv) ? { by: 'rv', rv: m.rv } : undefined;
    case 'nodeName': return isStr(m.nodeName) ? { by: 'nodeName', nodeName: m.nodeName } : undefined;
    case 'graceZeroBefore': return isStr(m.rv) ? { by: 'graceZeroBefore', rv: m.rv } : undefined;
    case 'terminatingAt': case 'disruptedAt': return isNum(m.at) ? { by: m.by, at: m.at } : undefined;
    case 'within': case 'removed': {
      const window = windowOf(m.window);
      return window && { by: m.by, window };
    }
    case 'collection': {
      const window = windowOf(m.window);
      return window && isStr(m.gk) && isStr(m.namespace) ? { by: 'collection', gk: m.gk, namespace: m.namespace, window } : undefined;
    }
    case undefined: break;
    default: return undefined;
  }
  // The untagged form: one key, its name the tag.
  const keys = Object.keys(m);
  if (keys.length !== 1) return undefined;
  if (isStr(m.rv)) return { by: 'rv', rv: m.rv };
  if (isStr(m.nodeName)) return { by: 'nodeName', nodeName: m.nodeName };
  if (isStr(m.graceZeroBefore)) return { by: 'graceZeroBefore', rv: m.graceZeroBefore };
  if (isNum(m.terminatingAt)) return { by: 'terminatingAt', at: m.terminatingAt };
  if (isNum(m.disruptedAt)) return { by: 'disruptedAt', at: m.disruptedAt };
  const window = windowOf(m.within);
  return window && { by: 'within', window };
}

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
  /** It has finalizers: a grace-0 delete marks it but leaves it until they are gone. */
  finalizers: boolean;
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
  metadata?: { deletionTimestamp?: unknown; deletionGracePeriodSeconds?: unknown; finalizers?: unknown };
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
  const finalizers = Array.isArray(o?.metadata?.finalizers) && o.metadata.finalizers.length > 0;
  return { record: { ...record, object: null }, nodeName, graceZero, finalizers, deletedAt, disruptedAt: disruptedAtOf(o), attributed: !!record.actor, at };
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
 * revisions before the watch brings this one). `auditID`: the audit event `a` comes from (an
 * eviction's removal follows the grace-0 revision that event made).
 */
export function matches(a: AttributionMatch, s: Seen, others: readonly Seen[], auditID?: string): boolean {
  // Only a request by time names a deletion it does not carry; those are decided among all the
  // object's requests (byTime) or the collection's revisions (inCollection).
  if (s.record.op === 'DELETED' && a.by !== 'within' && a.by !== 'collection' && a.by !== 'removed') return false;
  const free = !s.attributed;
  switch (a.by) {
    case 'within': case 'collection': return false;
    // A resourceVersion names its revision even when another request did: one of them changed
    // nothing (a Scale to the replicas it had), and the store keeps the earlier (mergeRecords).
    case 'rv': return s.record.resourceVersion === a.rv;
    case 'nodeName': {
      const prior = priorOf(s, others);
      return free && s.nodeName === a.nodeName && prior !== undefined && prior.nodeName === undefined;
    }
    case 'terminatingAt': return free && firstNear(s, others, (x) => x.deletedAt, a.at);
    case 'disruptedAt': return free && firstNear(s, others, (x) => x.disruptedAt, a.at);
    case 'graceZeroBefore': return free && s.graceZero && compareResourceVersions(s.record.resourceVersion, a.rv) < 0;
    case 'removed': {
      if (!free || s.record.op !== 'DELETED') return false;
      const prior = priorOf(s, others);
      if (prior?.deletedAt === undefined) return inWindow(a.window, s);
      return prior.graceZero && !prior.finalizers && auditID !== undefined && madeBy(prior, auditID);
    }
    default: return unmatched(a);
  }
}

/** One audit event may name several revisions (an eviction): each is told apart by its match. */
export const attributionId = (a: Pick<Attribution, 'auditID' | 'match'>): string | undefined =>
  a.auditID === undefined ? undefined : `${eventPrefix(a.auditID)}${a.match.by}`;
const eventPrefix = (auditID: string) => `${auditID}/`;

/** Whether the audit event `auditID` attributed `s` (in this process, or as stored before a restart). */
function madeBy(s: Seen, auditID: string): boolean {
  return s.attributedBy?.startsWith(eventPrefix(auditID)) === true || s.record.auditID === auditID;
}

/** Whether an eviction's time `t` and a time `own` a pod's revision shows are within EVICTION_SLACK. */
export const nearEviction = (own: Micros | undefined, t: Micros): boolean => own !== undefined && Math.abs(own - t) <= EVICTION_SLACK;

/** The widest span of commit times the revision clock may give for a revision to be matched by it. */
export const CLOCK_SPAN = 5_000_000;

/**
 * When revisions were committed, from those whose time is exact (audited, of any object): etcd's
 * resourceVersions are one rising sequence, so a revision was committed before the nearest known
 * one above it was answered, and after the nearest known one below it was received (its answer
 * time less WATCH_LAG, a bound on a request's latency). It dates what the watch brought late: a
 * watch resumed after a restart replays the changes made while kubetime was down.
 */
export class RevisionClock {
  #rvs: number[] = [];
  #ts: Micros[] = [];
  readonly #max: number;

  constructor(max = 20_000) {
    this.#max = max;
  }

  get size(): number {
    return this.#rvs.length;
  }

  /** The first index whose resourceVersion is above `n`. */
  #above(n: number): number {
    let lo = 0;
    let hi = this.#rvs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#rvs[mid]! <= n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Notes that revision `rv` was answered at `ts` (the earliest answer is kept). Returns whether it was new. */
  note(rv: string, ts: Micros): boolean {
    const n = Number(rv);
    if (!Number.isSafeInteger(n) || n <= 0) return false;
    const i = this.#above(n);
    if (i > 0 && this.#rvs[i - 1] === n) {
      if (ts < this.#ts[i - 1]!) this.#ts[i - 1] = ts;
      return false;
    }
    this.#rvs.splice(i, 0, n);
    this.#ts.splice(i, 0, ts);
    if (this.#rvs.length > this.#max) {
      const drop = Math.ceil(this.#max / 10);
      this.#rvs.splice(0, drop);
      this.#ts.splice(0, drop);
    }
    return true;
  }

  /** When `rv` was committed, as far as the known revisions on both sides tell; undefined when one side is unknown. */
  bounds(rv: string): { from: Micros; to: Micros } | undefined {
    const n = Number(rv);
    if (!Number.isSafeInteger(n)) return undefined;
    const i = this.#above(n);
    if (i === 0 || i === this.#rvs.length || this.#rvs[i - 1] === n) return undefined;
    return { from: this.#ts[i - 1]! - WATCH_LAG, to: this.#ts[i]! };
  }
}

/**
 * Whether the watch saw `s` while the request could have made it: the commit follows the request's
 * receipt, and the watch brings it at most WATCH_LAG after the response. A revision the watch
 * brought later (a watch resumed after a restart) is dated by the revision clock instead, when it
 * tells a span of at most CLOCK_SPAN overlapping the request's; and a revision the clock shows
 * committed before the request was received is never its. Gap records (a relist) are dated
 * when found, not when made.
 */
export function inWindow(w: Window, s: Seen, clock?: RevisionClock): boolean {
  const seenAt = s.record.observedAt;
  if (s.record.gap || !w.ops.includes(s.record.op)) return false;
  const b = clock?.bounds(s.record.resourceVersion);
  // A later revision was answered before the request was received: this one was committed before
  // it, however late the watch brought it (a watch resumed after a restart).
  if (b && b.to < w.from) return false;
  if (seenAt <= w.to + WATCH_LAG) return seenAt >= w.from;
  return !!b && b.to - b.from <= CLOCK_SPAN && b.from <= w.to && b.to >= w.from;
}

/**
 * The revision a request by time (`{ within }`) made, given every request by time known for the
 * object (`all`, `w` among them): of the unattributed revisions in its window, those another
 * request also holds and received no earlier explains at least as well (the latest request
 * received before the watch saw a revision made it, when every change to the object is audited).
 * Exactly one left: that one; none or several: undefined (an unaudited change may be among them).
 */
export function byTime(w: Window, list: readonly Seen[], all: readonly Window[], clock?: RevisionClock): Seen | undefined {
  const mine = list.filter((s) => !s.attributed && inWindow(w, s, clock) && !all.some((r) => r !== w && r.from >= w.from && inWindow(r, s, clock)));
  return mine.length === 1 ? mine[0] : inRequestOrder(w, list, all, clock);
}

/**
 * Requests by time that did not overlap (each answered before the next was received) committed
 * in their order, so their revisions' resourceVersions rise in the same order. When exactly as
 * many unattributed revisions as requests fall in their windows, and the i-th revision (by
 * resourceVersion) in the i-th request's window, the i-th request made the i-th revision. It
 * decides what seeing times cannot: a watch resumed after a restart brings two edits of a Secret
 * at one moment, within the later request's window. A change nobody audited among them leaves
 * one revision too many, and nothing is decided.
 */
function inRequestOrder(w: Window, list: readonly Seen[], all: readonly Window[], clock?: RevisionClock): Seen | undefined {
  const open = list.filter((s) => !s.attributed);
  // A request no unattributed revision could come from is left out: its revision was hidden by a
  // relist after 410 Gone, or is not seen yet (it would come after the ones it could not make).
  const windows = all.filter((x) => open.some((s) => inWindow(x, s, clock))).sort((a, b) => a.from - b.from);
  if (windows.length < 2 || !windows.includes(w) || windows.some((x, i) => i > 0 && x.from <= windows[i - 1]!.to)) return undefined;
  const revisions = open.filter((s) => windows.some((x) => inWindow(x, s, clock)))
    .sort((a, b) => compareResourceVersions(a.record.resourceVersion, b.record.resourceVersion));
  if (revisions.length !== windows.length || !revisions.every((s, i) => inWindow(windows[i]!, s, clock))) return undefined;
  return revisions[windows.indexOf(w)];
}

/**
 * Whether a deletecollection by time (`{ collection }`) names `s`, a revision of its kind and
 * namespace (the caller looks among those): unattributed, seen in its window, and the deletion it
 * made: the removal of an object that was not terminating before (a terminating object's removal
 * is its finalizers' or kubelet's doing), or the first terminating revision of a graceful one.
 */
export function inCollection(w: Window, s: Seen, others: readonly Seen[], clock?: RevisionClock): boolean {
  if (s.attributed || !inWindow({ ...w, ops: ['DELETED', 'MODIFIED'] }, s, clock)) return false;
  const prior = priorOf(s, others);
  if (s.record.op === 'DELETED') return prior?.deletedAt === undefined;
  return s.record.op === 'MODIFIED' && s.deletedAt !== undefined && prior?.deletedAt === undefined;
}

/** Whether `s` is the first revision (in commit order) with a time `at(s)` within EVICTION_SLACK of `t`. */
function firstNear(s: Seen, others: readonly Seen[], at: (x: Seen) => Micros | undefined, t: Micros): boolean {
  if (!nearEviction(at(s), t)) return false;
  const prior = priorOf(s, others);
  return !prior || at(prior) === undefined;
}
