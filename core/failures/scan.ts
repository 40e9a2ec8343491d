/**
 * Reading what the detection needs from the store, bounded by the window: the objects of the
 * covered kinds that lived during it, their revisions in it (and, for an object already broken
 * when the window opened, enough revisions before it to find when that began), the revisions of
 * related objects around each span, and the Warning Events about the objects.
 */
import type { HistoryStore, Revision } from '../ports.ts';
import type { KubeObject, ObjectKey } from '../record.ts';
import { all, mapConcurrently, LIST_CONCURRENCY } from '../scope.ts';
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

/** Revisions of related objects, read once per name for a query: [lo, hi] plus the one before. */
export class RelatedReader {
  readonly #store: HistoryStore;
  readonly #lo: Micros;
  readonly #hi: Micros;
  readonly #memo = new Map<string, Promise<Revision[]>>();

  constructor(store: HistoryStore, lo: Micros, hi: Micros) {
    this.#store = store;
    this.#lo = lo;
    this.#hi = hi;
  }

  revisions(key: ObjectKey): Promise<Revision[]> {
    const id = keyId(key);
    let p = this.#memo.get(id);
    if (!p) {
      p = Promise.all([
        all(this.#store.revisions({ key, to: this.#lo - 1, order: 'desc', limit: 1 })),
        all(this.#store.revisions({ key, from: this.#lo, to: this.#hi, order: 'asc' })),
      ]).then(([b, w]) => [...b, ...w]);
      this.#memo.set(id, p);
    }
    return p;
  }

  /** The object's state at `at` among what was read (the last revision at or before it, else the first). */
  async stateAt(key: ObjectKey, at: Micros): Promise<KubeObject | null> {
    const revs = await this.revisions(key);
    let found: Revision | undefined;
    for (const r of revs) if (r.ts <= at) found = r;
    found ??= revs[0];
    return found && found.op !== 'DELETED' ? found.object : (found?.object ?? null);
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

/** Warning Events in [from, to] (their last revision in it) of a namespace, by the uid they are about. */
export async function warningEvents(store: HistoryStore, q: { cluster: string; namespace?: string; from: Micros; to: Micros }): Promise<Map<string, WarningEvent[]>> {
  const latest = new Map<string, ObjectKey & { ts: Micros }>();
  for await (const e of store.feed({ cluster: q.cluster, from: q.from, to: q.to, order: 'asc', gk: 'Event', namespace: q.namespace })) {
    latest.set(e.uid, { cluster: q.cluster, gk: e.gk, namespace: e.namespace, name: e.name, ts: e.ts });
  }
  const out = new Map<string, WarningEvent[]>();
  await mapConcurrently([...latest.values()], LIST_CONCURRENCY, async (k) => {
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
