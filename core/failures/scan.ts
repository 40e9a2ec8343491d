/**
 * Reading what the detection needs from the store, bounded by the window: the objects of the
 * covered kinds that lived during it, their revisions in it (and, for an object already broken
 * when the window opened, enough revisions before it to find when that began), the revisions of
 * related objects around each span, and the Warning Events about the objects.
 */
import type { HistoryStore, Revision } from '../ports.ts';
import type { KubeObject, ObjectKey } from '../record.ts';
import { mapLimit } from '../concurrency.ts';
import { all, LIST_CONCURRENCY } from '../scope.ts';
import type { Micros } from '../time.ts';
import type { Detector } from './conditions.ts';

/** Revisions read before the window to find when an already broken object broke. */
export const LOOKBACK_REVISIONS = 64;

export const keyId = (k: ObjectKey) => `${k.gk}\u0000${k.namespace}\u0000${k.name}`;

/** The names of a kind (in a namespace) that existed at some time in [from, to]. */
export async function keysLiving(store: HistoryStore, q: { cluster: string; gk: string; namespace?: string; name?: string; from: Micros; to: Micros }): Promise<ObjectKey[]> {
  const keys = new Map<string, ObjectKey>();
  for await (const l of store.lifetimes({ cluster: q.cluster, gk: q.gk, namespace: q.namespace, name: q.name })) {
    if (l.from > q.to || (l.to !== null && l.to < q.from)) continue;
    keys.set(keyId(l.key), l.key);
  }
  return [...keys.values()];
}

/**
 * One object's revisions in [from, to], preceded by the revision in force before `from`, or by up
 * to LOOKBACK_REVISIONS of them when that one already shows a broken condition.
 */
export async function revisionsAround(store: HistoryStore, key: ObjectKey, from: Micros, to: Micros, detect: Detector): Promise<Revision[]> {
  const [inWindow, [before]] = await Promise.all([
    all(store.revisions({ key, from, to, order: 'asc' })),
    all(store.revisions({ key, to: from - 1, order: 'desc', limit: 1 })),
  ]);
  if (!before || before.op === 'DELETED' || !before.object) return inWindow;
  if (detect(before.object, null, new Map()).length === 0) return [before, ...inWindow];
  const earlier = await all(store.revisions({ key, to: from - 1, order: 'desc', limit: LOOKBACK_REVISIONS }));
  return [...earlier.reverse(), ...inWindow];
}

/** Splits revisions of one name by uid, each ascending. */
export function byUid(revs: readonly Revision[]): Revision[][] {
  const groups = new Map<string, Revision[]>();
  for (const r of revs) {
    let g = groups.get(r.uid);
    if (!g) groups.set(r.uid, (g = []));
    g.push(r);
  }
  return [...groups.values()];
}

function controlled(obj: KubeObject | null): boolean {
  return ((obj?.metadata as { ownerReferences?: { controller?: boolean }[] } | undefined)?.ownerReferences ?? []).some((r) => r.controller);
}

/** Kubernetes' own components (kubelets, the scheduler, kube-controller-manager). */
function byComponent(e: Revision): boolean {
  const u = e.actor?.username ?? '';
  return u.startsWith('system:node:') || u.startsWith('system:kube-') || u.startsWith('system:serviceaccount:kube-system:');
}

/**
 * Revisions of related objects in [lo, hi], read once per object for a query, with their content
 * only where a suspect may be: a controller's (or an unattributed) update of an object a
 * controller owns — a Pod's status, a ReplicaSet's scale — is a consequence, never read. Which
 * revisions there are, and who made them, comes from a read without content. Each change read
 * comes with the revision before it (for its diff).
 */
export class RelatedReader {
  readonly #store: HistoryStore;
  readonly #lo: Micros;
  readonly #hi: Micros;
  readonly #entries = new Map<string, Promise<Revision[]>>();
  readonly #owned = new Map<string, Promise<boolean>>();
  readonly #changes = new Map<string, Promise<Revision[]>>();
  readonly #states = new Map<string, Promise<KubeObject | null>>();
  readonly #histories = new Map<string, Promise<Revision[]>>();

  constructor(store: HistoryStore, lo: Micros, hi: Micros) {
    this.#store = store;
    this.#lo = lo;
    this.#hi = hi;
  }

  #entriesOf(key: ObjectKey, id: string): Promise<Revision[]> {
    let p = this.#entries.get(id);
    if (!p) this.#entries.set(id, (p = all(this.#store.revisions({ key, from: this.#lo, to: this.#hi, order: 'asc', objects: false }))));
    return p;
  }

  /**
   * The object's changes in [from, to] that may be suspects, each after the revision before it.
   * `object`: given for the failing object itself (its own span's range is read, and whether a
   * controller owns it is known).
   */
  async revisions(key: ObjectKey, from: Micros, to: Micros, object?: KubeObject): Promise<Revision[]> {
    const id = keyId(key);
    // The failing object itself is asked about once, for its own span: read just that range.
    const read = object ? all(this.#store.revisions({ key, from, to, order: 'asc', objects: false })) : this.#entriesOf(key, id);
    const entries = (await read).filter((e) => e.ts >= from && e.ts <= to);
    if (!entries.length) return [];
    let owned = this.#owned.get(id);
    if (!owned) this.#owned.set(id, (owned = object ? Promise.resolve(controlled(object)) : this.#isOwned(key, entries.at(-1)!.ts)));
    const ownedNow = await owned;
    const wanted = entries.filter((e) => e.op !== 'MODIFIED' || !ownedNow || (e.actor && !byComponent(e)));
    const out = new Map<string, Revision>();
    for (const pair of await Promise.all(wanted.map((e) => this.#change(key, e)))) {
      for (const r of pair) out.set(`${r.uid}\u0000${r.resourceVersion}\u0000${r.op}`, r);
    }
    return [...out.values()].sort((x, y) => x.ts - y.ts);
  }

  async #isOwned(key: ObjectKey, at: Micros): Promise<boolean> {
    const [latest] = await all(this.#store.revisions({ key, to: at, order: 'desc', limit: 1 }));
    return controlled(latest?.object ?? null);
  }

  /** One change and the revision before it, read once per query. */
  #change(key: ObjectKey, e: Revision): Promise<Revision[]> {
    const id = `${keyId(key)}\u0000${e.uid}\u0000${e.resourceVersion}\u0000${e.op}`;
    let p = this.#changes.get(id);
    if (!p) {
      p = Promise.all([
        all(this.#store.revisions({ key, from: e.ts, to: e.ts, order: 'asc' })),
        all(this.#store.revisions({ key, to: e.ts - 1, order: 'desc', limit: 1 })),
      ]).then(([at, before]) => [...before, ...at.filter((r) => r.uid === e.uid && r.resourceVersion === e.resourceVersion && r.op === e.op)]);
      this.#changes.set(id, p);
    }
    return p;
  }

  /**
   * The object's state at `at` (the last revision stored at or before it), read once per object
   * and query: owners are asked about for their own owners, which a name keeps for its life.
   */
  stateAt(key: ObjectKey, at: Micros): Promise<KubeObject | null> {
    const id = keyId(key);
    let p = this.#states.get(id);
    if (!p) {
      p = all(this.#store.revisions({ key, to: at, order: 'desc', limit: 1 })).then(([r]) => (r && r.op !== 'DELETED' ? r.object : null));
      this.#states.set(id, p);
    }
    return p;
  }

  /**
   * The revisions of a workload up to `to`, newest first (at most `limit`), read once per query:
   * the Pods of one workload all look in them for the change that made their template.
   */
  history(key: ObjectKey, to: Micros, limit: number): Promise<Revision[]> {
    const id = keyId(key);
    let p = this.#histories.get(id);
    if (!p) this.#histories.set(id, (p = all(this.#store.revisions({ key, to, order: 'desc', limit }))));
    return p;
  }
}

/** A Warning Event as evidence: about which uid, when, why. */
export interface WarningEvent {
  uid: string;
  reason: string;
  message: string;
  count: number;
  first: Micros;
  last: Micros;
}

function eventTimes(ev: KubeObject, ts: Micros): { first: Micros; last: Micros } {
  const parse = (v: unknown) => (typeof v === 'string' ? Date.parse(v) * 1000 : NaN);
  const first = parse(ev.firstTimestamp ?? ev.eventTime);
  const last = parse(ev.lastTimestamp ?? (ev.series as { lastObservedTime?: string } | undefined)?.lastObservedTime ?? ev.eventTime);
  return { first: Number.isNaN(first) ? ts : first, last: Number.isNaN(last) ? ts : last };
}

/**
 * Warning Events about some objects (`about`: namespace → names) that lived in [from, to], by the
 * uid they are about. Events are named after their object (`<name>.<suffix>`, as kubelets and
 * controllers name them), so only those are read: the namespace's Events are found from their
 * lifetimes, not from the change feed of the whole cluster.
 */
export async function warningEvents(store: HistoryStore, q: { cluster: string; about: Map<string, Set<string>>; from: Micros; to: Micros }): Promise<Map<string, WarningEvent[]>> {
  const latest: (ObjectKey & { ts: Micros })[] = [];
  for (const [namespace, names] of q.about) {
    for await (const l of store.lifetimes({ cluster: q.cluster, gk: 'Event', namespace })) {
      const dot = l.key.name.lastIndexOf('.');
      if (dot < 0 || !names.has(l.key.name.slice(0, dot)) || l.from > q.to || (l.to !== null && l.to < q.from)) continue;
      latest.push({ ...l.key, ts: Math.min(q.to, l.to ?? q.to) });
    }
  }
  const out = new Map<string, WarningEvent[]>();
  await mapLimit(latest, LIST_CONCURRENCY, async (k) => {
    const [rev] = await all(store.revisions({ key: k, to: k.ts, order: 'desc', limit: 1 }));
    const ev = rev?.object;
    if (!ev || ev.type !== 'Warning') return;
    const about = (ev.involvedObject ?? ev.regarding) as { uid?: string } | undefined;
    if (!about?.uid) return;
    const list = out.get(about.uid) ?? [];
    list.push({ uid: about.uid, reason: String(ev.reason ?? ''), message: String(ev.message ?? ev.note ?? ''), count: Number(ev.count ?? 1), ...eventTimes(ev, rev.ts) });
    out.set(about.uid, list);
  });
  return out;
}
