/**
 * Attributor: joins what an audit event tells about a revision it does not carry to the
 * revision the watch recorded.
 *
 * Most audit events answer with the changed object itself (same uid and resourceVersion as the
 * watch's revision), and the store merges the two (core/record.ts `mergeRecords`). Some successful
 * mutations answer with something else, or with nothing, yet name the revisions the watch sees:
 * - a `scale` subresource answers with a Scale whose metadata carries the parent's uid and new
 *   resourceVersion → that revision (`{ rv }`);
 * - a `pods/binding` (the scheduler) answers with a Status; its request names the pod's uid and
 *   the node → the revision that put the pod on that node, seen right after one without a node
 *   (`{ nodeName }`; a pod first seen already on its node, e.g. by a relist after a gap, is not
 *   attributed: which revision the binding made is unknown);
 * - a delete with grace period 0 of a pod that was scheduled (kwok's or a kubelet's final delete)
 *   first writes the pod with `deletionGracePeriodSeconds: 0`, then removes it; the audit event
 *   answers with the removed object (the DELETED revision, rv R) → the revision just before,
 *   the one with grace period 0 and a resourceVersion below R (`{ graceZeroBefore: R }`);
 * - a `pods/eviction` (kubectl drain, the descheduler) answers with a Status and its request names
 *   only the pod's namespace and name. The eviction writes the pod twice: it adds the condition
 *   DisruptionTarget (reason EvictionByEvictionAPI), then deletes the pod gracefully, which sets
 *   `deletionTimestamp` = the time of the delete + its grace period. So it names two revisions:
 *   the first with that condition (`{ disruptedAt }`) and the first terminating one
 *   (`{ terminatingAt }`), each dated within EVICTION_SLACK of the audit's time; matched by name
 *   (the uid comes from the pod's remembered revisions, or from the revision when it arrives).
 * - an event without a response body (an audit policy's Metadata level, as commonly used for
 *   Secrets and custom resources) names the object only by kind, namespace and name, and the
 *   request's receipt and response times (`{ within }`): it names the revision of that object, of
 *   an op its verb can make, that the watch saw between the receipt and WATCH_LAG after the
 *   response. A revision two such requests could have made goes to the one received last before
 *   the watch saw it (the other may have changed nothing); when, after that, one request still
 *   has two revisions in its window (a change nobody audited may be one), or two requests were
 *   received at once, nothing is named: the revision keeps the watch's time and no actor rather
 *   than a guess (attribution-match.ts `byTime`). Deletions are remembered for this alone.
 *   A subresource write without body (a custom resource's scale, a status) names the parent's
 *   MODIFIED revision so; a patch answered 201 (server-side apply creating) its ADDED one.
 * - a deletecollection without response body names the kind and namespace only (`{ collection }`):
 *   every deletion of that kind in that namespace seen in its window, of an object not already
 *   terminating (its removal is then its finalizers' or kubelet's), and every first terminating
 *   revision. It waits under (cluster, kind, namespace) until it expires, naming each such
 *   revision as the watch brings it (attribution-match.ts `inCollection`).
 * A revision the watch brought later than the window (replayed by a watch resumed after a restart)
 * is dated by the revision clock instead: the exactly timed revisions of any object around its
 * resourceVersion (attribution-match.ts `RevisionClock`, fed by `noteClock`).
 * ingester/attribution/ATTRIBUTION.md has the table of audit cases and the sequences below.
 *
 * The watch is usually first (kube-apiserver batches audit events for up to its max wait), so
 * the Attributor remembers a little of every durable revision (`noteDurable`,
 * bounded by count and age) and answers an attribution with a record that carries the audit's
 * exact time and actor and no object, which the store merges into the stored revision (a record
 * without object never creates a revision: it is only emitted for a revision already durable).
 * An attribution that comes first waits (bounded too) for its revision to become durable; the
 * waiting ones are journaled (attribution-journal.ts) and restored after a restart. What was
 * remembered is recalled from the store after a restart (attributor-recall.ts), for audit batches
 * the previous process did not receive. AttributingWriter (attributing-writer.ts) puts it in
 * front of the write pipeline.
 */
import { groupKind, type ChangeRecord } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { attributionId, byTime, inCollection, matches, nearEviction, RevisionClock, seenOf, type Attribution, type Seen, type Window } from './attribution-match.ts';

export { EVICTION_SLACK, WATCH_LAG, type Attribution, type AttributionMatch, type Window } from './attribution-match.ts';

interface Waiting {
  attribution: Attribution;
  at: number;
  key: string;
  /** Merged or dropped: gone from its object's list, skipped in the arrival queue. */
  done?: true;
  /** A deletecollection by time that named revisions already: it waits for more, and its expiry is no loss. */
  claimed?: true;
}

export interface AttributorOptions {
  now: () => Micros;
  /** Revisions remembered (all objects together). Default 100,000. */
  maxSeen?: number;
  /** Attributions waiting for their revision. Default 20,000. */
  maxWaiting?: number;
  /** How long a revision is remembered and an attribution waits, µs. Default 15 minutes. */
  ttl?: Micros;
  /** Called once per attribution with what became of it. */
  onOutcome?: (outcome: AttributionOutcome) => void;
}

/** What finally became of an attribution: merged into its revision, or dropped (too old, too many waiting). */
export type AttributionOutcome = 'merged' | 'expired' | 'overflow';

/**
 * Revisions of one object remembered at most (oldest first). Generous: a Deployment rolling out
 * gets a dozen status updates within the second an audit batch may take to arrive.
 */
const PER_OBJECT = 64;
/** Objects whose waiting requests by time are settled again at most, each time the revision clock learns something. */
const SETTLE_AFTER_CLOCK = 1000;
/** Kinds whose revisions no attribution can name (and that churn the most). */
const NEVER_ATTRIBUTED = new Set(['Event', 'Event.events.k8s.io', 'Lease.coordination.k8s.io']);

/** Whether an attribution can name revisions of this kind (groupKind). */
export const mayBeAttributed = (gk: string): boolean => !NEVER_ATTRIBUTED.has(gk);

const keyOf = (cluster: string, uid: string): string => `${cluster}\u0000${uid}`;
const nameKeyOf = (cluster: string, gk: string, namespace: string, name: string): string => `${cluster}\u0000${gk}\u0000${namespace}/${name}`;
/** Where deletecollections by time of a kind in a namespace wait ("" for cluster-scoped kinds). */
const collectionKeyOf = (cluster: string, gk: string, namespace: string): string => `${cluster}\u0000${gk}\u0000${namespace}\u0000*`;


/** How many uids one name remembers for attributions by name (a StatefulSet pod recreated under its name). */
const NAME_UIDS = 4;

/** The revision an attribution names among `lists` (one per uid): the newest candidate for a grace-0 delete, the first for the others. */
function firstMatch(a: Attribution, lists: readonly Seen[][]): Seen | undefined {
  const match = a.match;
  // An eviction marks the pod (DisruptionTarget) before deleting it: when one remembered uid under
  // the name carries that mark, its terminating revision is that uid's, not that of a pod recreated
  // under the name and deleted by another client (kwok's grace-0 delete, same second).
  if (match.by === 'terminatingAt' || match.by === 'removed') {
    const at = match.by === 'terminatingAt' ? match.at : a.ts;
    const marked = lists.filter((list) => list.some((s) => nearEviction(s.disruptedAt, at)));
    if (marked.length) lists = marked;
  }
  for (const list of lists) {
    const order = match.by === 'graceZeroBefore' ? [...list.keys()].reverse() : [...list.keys()];
    const i = order.find((j) => matches(match, list[j]!, list, a.auditID));
    if (i !== undefined) return list[i];
  }
  return undefined;
}

export class Attributor {
  readonly #o: AttributorOptions;
  readonly #seen = new Map<string, Seen[]>();
  readonly #waiting = new Map<string, Waiting[]>();
  /**
   * Object (cluster, gk, namespace, name) → the keys of its last NAME_UIDS remembered uids, latest
   * last, for attributions by name; least recently noted name first. Several: a StatefulSet's pod
   * evicted and deleted at once is recreated under its name before the eviction's audit arrives.
   */
  readonly #nameUids = new Map<string, string[]>();
  /** Every waiting attribution in arrival order (done ones not yet passed over): expiry and overflow take from the front. */
  #arrivals: Waiting[] = [];
  #head = 0;
  #seenCount = 0;
  #waitingCount = 0;
  /** When revisions were committed, from the exactly timed ones (attribution-match.ts). */
  readonly #clock = new RevisionClock();
  /** The clock learnt something since requests by time were last settled. */
  #clockGrew = false;

  constructor(opts: AttributorOptions) {
    this.#o = opts;
  }

  get #ttl(): number {
    return this.#o.ttl ?? 15 * 60e6;
  }

  get #maxSeen(): number {
    return this.#o.maxSeen ?? 100_000;
  }

  /** Sizes, for tests and metrics. */
  get size(): { seen: number; waiting: number } {
    return { seen: this.#seenCount, waiting: this.#waitingCount };
  }

  /**
   * Records that `records` are durable; returns the attribution records for the ones a waiting
   * attribution names (to be written after them).
   */
  noteDurable(records: readonly ChangeRecord[]): ChangeRecord[] {
    const now = this.#o.now();
    this.#expire(now);
    this.noteClock(records);
    const out: ChangeRecord[] = [];
    const byTimeKeys = new Set<string>();
    for (const r of records) {
      const gk = groupKind(r.group, r.kind);
      if (!mayBeAttributed(gk)) continue;
      const key = keyOf(r.cluster, r.uid);
      const list = this.#seen.get(key) ?? [];
      if (list.some((s) => s.record.op === r.op && s.record.resourceVersion === r.resourceVersion)) continue;
      const s = seenOf(r, now);
      const nameKey = nameKeyOf(r.cluster, gk, r.namespace, r.name);
      const namesS = (w: Waiting) => matches(w.attribution.match, s, list, w.attribution.auditID);
      // Several may name it by resourceVersion (matches()); each is merged, the store keeps the earliest.
      for (let hit; (hit = this.#waiting.get(key)?.find(namesS) ?? this.#waiting.get(nameKey)?.find(namesS));) {
        out.push(this.#merge(s, hit.attribution, now));
        this.#unwait(hit);
      }
      const uids = (this.#nameUids.get(nameKey) ?? []).filter((k) => k !== key);
      uids.push(key);
      if (uids.length > NAME_UIDS) uids.shift();
      this.#nameUids.delete(nameKey);
      this.#nameUids.set(nameKey, uids);
      if (this.#nameUids.size > this.#maxSeen) this.#nameUids.delete(this.#nameUids.keys().next().value!);
      list.push(s);
      this.#seenCount++;
      if (list.length > PER_OBJECT) {
        list.shift();
        this.#seenCount--;
      }
      // Most recently touched last, so eviction takes the objects quiet for longest.
      this.#seen.delete(key);
      this.#seen.set(key, list);
      // Requests by time are settled once the whole batch is noted: a watch resumed after a restart
      // brings several revisions of one object at once, and the later ones tell the earlier apart.
      if (!s.attributed && this.#waiting.has(nameKey)) byTimeKeys.add(nameKey);
      const collectionKey = collectionKeyOf(r.cluster, gk, r.namespace);
      if (!s.attributed && this.#waiting.has(collectionKey)) {
        const w = this.#waiting.get(collectionKey)!.find((x) => x.attribution.match.by === 'collection' && inCollection(x.attribution.match.window, s, list, this.#clock));
        if (w) out.push(this.#claim(s, w, now));
      }
    }
    for (const nameKey of byTimeKeys) out.push(...this.#settleByTime(nameKey, now));
    this.#evict();
    out.push(...this.#settleAfterClock(now));
    return out;
  }

  /**
   * Notes the exact times of audited revisions (of any object) on the revision clock, which dates
   * revisions the watch brought late (attribution-match.ts `RevisionClock`). The audit sink calls
   * it with a batch's records before attributing the batch.
   */
  noteClock(records: readonly ChangeRecord[]): void {
    for (const r of records) {
      // A deletion's record carries the resourceVersion before it, at the time of the delete: no clock reading.
      if (r.op === 'DELETED' || !r.source.split('+').includes('audit') || r.gap) continue;
      if (this.#clock.note(r.resourceVersion, r.ts)) this.#clockGrew = true;
    }
  }

  /** Once the clock learnt something, requests by time still waiting may be decided: at most SETTLE_AFTER_CLOCK objects at a time. */
  #settleAfterClock(now: Micros): ChangeRecord[] {
    if (!this.#clockGrew) return [];
    this.#clockGrew = false;
    const out: ChangeRecord[] = [];
    let n = 0;
    for (const [key, waiting] of this.#waiting) {
      if (n >= SETTLE_AFTER_CLOCK) break;
      if (!waiting.some((w) => w.attribution.match.by === 'within')) continue;
      n++;
      out.push(...this.#settleByTime(key, now));
    }
    return out;
  }

  /**
   * Attributes what audit events told: returns the records to write for revisions already
   * durable; the others wait for `noteDurable`, and are pushed to `waited` (to be journaled).
   */
  attribute(attributions: readonly Attribution[], waited?: Attribution[]): ChangeRecord[] {
    const now = this.#o.now();
    this.#expire(now);
    const out: ChangeRecord[] = [];
    const byTimeKeys = new Set<string>();
    const added: Waiting[] = [];
    for (const a of attributions) {
      // An attribution by name looks among the revisions of the uids recently under that name (an
      // eviction: each uid's own revisions, latest uid first), or of the latest one (a
      // Metadata-level event by time, settled below).
      const m = a.match;
      const nameKey = a.named && nameKeyOf(a.cluster, a.named.gk, a.named.namespace, a.named.name);
      const key = m.by === 'collection' ? collectionKeyOf(a.cluster, m.gk, m.namespace) : nameKey ? nameKey : keyOf(a.cluster, a.uid);
      const lists = m.by === 'collection' ? [] : !nameKey ? [this.#seen.get(key) ?? []] : m.by === 'within' ? [this.#revisionsNamed(nameKey)] : this.#listsNamed(nameKey);
      const id = attributionId(a);
      if (id !== undefined && lists.some((list) => list.some((s) => s.attributedBy === id))) continue;
      if (m.by === 'within') byTimeKeys.add(key); // decided below, with the rest of the batch
      else if (m.by !== 'collection') {
        const hit = firstMatch(a, lists);
        if (hit) {
          out.push(this.#merge(hit, a, now));
          continue;
        }
      }
      const waiting = this.#waiting.get(key) ?? [];
      if (id !== undefined && waiting.some((w) => attributionId(w.attribution) === id)) continue;
      const w: Waiting = { attribution: a, at: now, key };
      // A deletecollection names what was deleted already and waits for what the watch brings later.
      if (m.by === 'collection') out.push(...this.#claimCollection(w, now));
      waiting.push(w);
      added.push(w);
      this.#arrivals.push(w);
      this.#waiting.set(key, waiting);
      this.#waitingCount++;
    }
    for (const key of byTimeKeys) out.push(...this.#settleByTime(key, now));
    out.push(...this.#settleAfterClock(now));
    // What still waits is what the journal must keep.
    if (waited) for (const w of added) if (!w.done) waited.push(w.attribution);
    while (this.#waitingCount > (this.#o.maxWaiting ?? 20_000)) this.#dropOldestWaiting();
    return out;
  }

  /** The remembered revisions of the latest uid under a name. */
  #revisionsNamed(nameKey: string): Seen[] {
    return this.#seen.get(this.#nameUids.get(nameKey)?.at(-1) ?? '') ?? [];
  }

  /** The remembered revisions of each recent uid under a name, one list per uid, latest first. */
  #listsNamed(nameKey: string): Seen[][] {
    return (this.#nameUids.get(nameKey) ?? []).map((k) => this.#seen.get(k) ?? []).reverse();
  }

  /**
   * Merges the waiting requests by time of one object that byTime() decides, until none is
   * decided (each merge may decide another: its revision is no longer a candidate).
   */
  #settleByTime(nameKey: string, now: Micros): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    const list = this.#revisionsNamed(nameKey);
    for (let decided = true; decided;) {
      decided = false;
      const waiting = (this.#waiting.get(nameKey) ?? []).filter((w) => w.attribution.match.by === 'within');
      const windows = waiting.map((w) => (w.attribution.match as { window: Window }).window);
      for (let i = 0; i < waiting.length && !decided; i++) {
        const s = byTime(windows[i]!, list, windows, this.#clock);
        if (!s) continue;
        out.push(this.#merge(s, waiting[i]!.attribution, now));
        this.#unwait(waiting[i]!);
        decided = true;
      }
    }
    return out;
  }

  /** The remembered revisions a deletecollection by time names (kind and namespace, module comment). */
  #claimCollection(w: Waiting, now: Micros): ChangeRecord[] {
    const m = w.attribution.match;
    if (m.by !== 'collection') return [];
    const out: ChangeRecord[] = [];
    for (const list of this.#seen.values()) {
      const r = list[0]!.record;
      if (r.cluster !== w.attribution.cluster || r.namespace !== m.namespace || groupKind(r.group, r.kind) !== m.gk) continue;
      for (const s of list) if (inCollection(m.window, s, list, this.#clock)) out.push(this.#claim(s, w, now));
    }
    return out;
  }

  #claim(s: Seen, w: Waiting, now: Micros): ChangeRecord {
    w.claimed = true;
    return this.#merge(s, w.attribution, now);
  }

  /** Attributes what a journal restored after a restart; those whose audit time is older than the ttl are dropped (expired). */
  restore(attributions: readonly Attribution[], waited?: Attribution[]): ChangeRecord[] {
    const cutoff = this.#o.now() - this.#ttl;
    const fresh = attributions.filter((a) => a.ts >= cutoff);
    for (let i = fresh.length; i < attributions.length; i++) this.#o.onOutcome?.('expired');
    return this.attribute(fresh, waited);
  }

  /** Every attribution still waiting, in arrival order. */
  waiting(): Attribution[] {
    const out: Attribution[] = [];
    for (let i = this.#head; i < this.#arrivals.length; i++) if (!this.#arrivals[i]!.done) out.push(this.#arrivals[i]!.attribution);
    return out;
  }

  #merge(s: Seen, a: Attribution, now: Micros): ChangeRecord {
    s.attributed = true;
    if (s.record.op !== 'DELETED' && this.#clock.note(s.record.resourceVersion, a.ts)) this.#clockGrew = true;
    const id = attributionId(a);
    if (id !== undefined) s.attributedBy = id;
    this.#o.onOutcome?.('merged');
    const { gap: _gap, ...meta } = s.record;
    return {
      ...meta, ts: a.ts, observedAt: now, source: 'audit', verb: a.verb, object: null,
      ...(a.actor ? { actor: a.actor } : {}), ...(a.auditID ? { auditID: a.auditID } : {}),
    };
  }

  #expire(now: number): void {
    const cutoff = now - this.#ttl;
    for (const [key, list] of this.#seen) {
      if (list[list.length - 1]!.at >= cutoff) break;
      this.#seen.delete(key);
      this.#seenCount -= list.length;
    }
    for (let w = this.#oldestWaiting(); w && w.at < cutoff; w = this.#oldestWaiting()) {
      this.#unwait(w);
      // An eviction's `removed` names a revision only when the pod had finished: its expiry is no loss.
      if (!w.claimed && w.attribution.match.by !== 'removed') this.#o.onOutcome?.('expired');
    }
  }

  /** The oldest attribution still waiting; passes over (and drops) the done ones in front. */
  #oldestWaiting(): Waiting | undefined {
    while (this.#head < this.#arrivals.length && this.#arrivals[this.#head]!.done) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#arrivals.length) {
      this.#arrivals = this.#arrivals.slice(this.#head);
      this.#head = 0;
    }
    return this.#arrivals[this.#head];
  }

  /** Takes a waiting attribution out of its object's list (merged, expired or dropped). */
  #unwait(w: Waiting): void {
    w.done = true;
    this.#waitingCount--;
    const list = this.#waiting.get(w.key)!;
    list.splice(list.indexOf(w), 1);
    if (!list.length) this.#waiting.delete(w.key);
    // Done entries behind the front are passed over only when they reach it: keep the queue's
    // length in proportion to what is really waiting.
    if (this.#arrivals.length - this.#head > 2 * this.#waitingCount + 1024) {
      this.#arrivals = this.#arrivals.slice(this.#head).filter((a) => !a.done);
      this.#head = 0;
    }
  }

  #evict(): void {
    for (const [key, list] of this.#seen) {
      if (this.#seenCount <= this.#maxSeen) break;
      this.#seen.delete(key);
      this.#seenCount -= list.length;
    }
  }

  #dropOldestWaiting(): void {
    this.#unwait(this.#oldestWaiting()!);
    this.#o.onOutcome?.('overflow');
  }
}
