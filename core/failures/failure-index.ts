/**
 * The failure index: spans kept as records arrive, so a window of the recent past is answered
 * without reading every revision in it (bench/results/failures.md: the scan reads ~0.5 ms per
 * stored revision; the detector costs a few µs per record on arrival).
 *
 * It covers a cluster from the first record it observed (`since`). An object first seen already
 * broken (not created then: the informers' initial list, a restart) is marked for a scan, since
 * its span may have begun earlier; queries scan such objects and windows reaching before `since`
 * (query.ts). Records of an object older than the newest one observed (a late audit record of
 * a revision already seen, a relist) change nothing. Closed spans are kept up to `maxSpans` per
 * cluster, oldest dropped first (and `since` moves past them). In memory: a restart starts afresh.
 * Times are the first record's of each revision (with the watch first, its observation time: the
 * audit's exact time, merged into the store later, is not taken back here).
 */
import type { HistoryStore } from '../ports.ts';
import { compareResourceVersions, groupKind, objectKeyOf, type ChangeRecord, type ObjectKey } from '../record.ts';
import type { Micros } from '../time.ts';
import { DETECTORS } from './conditions.ts';
import { skeleton, SpanTracker, type RawSpan } from './spans.ts';

/** A span with where its object lives. */
export interface IndexedSpan {
  raw: RawSpan;
  key: ObjectKey;
  group: string;
  resource: string;
  kind: string;
  uid: string;
}

interface ObjectState {
  meta: Omit<IndexedSpan, 'raw'>;
  tracker: SpanTracker;
  lastRv: string;
}

interface ClusterState {
  since: Micros;
  objects: Map<string, ObjectState>;
  closed: IndexedSpan[];
  /** Objects first seen broken: their spans may have begun before they were observed. */
  unsure: Map<string, ObjectKey>;
}

export const DEFAULT_MAX_SPANS = 200_000;

export class FailureIndex {
  readonly #clusters = new Map<string, ClusterState>();
  readonly #maxSpans: number;

  constructor(opts: { maxSpans?: number } = {}) {
    this.#maxSpans = opts.maxSpans ?? DEFAULT_MAX_SPANS;
  }

  /** Takes stored records (any order across objects; per object, older-than-seen ones are ignored). */
  observe(records: readonly ChangeRecord[]): void {
    for (const r of records) {
      const gk = groupKind(r.group, r.kind);
      const detect = DETECTORS.get(gk);
      if (!detect) continue;
      const c = this.#cluster(r.cluster, r.ts);
      let st = c.objects.get(r.uid);
      if (!st) {
        st = { meta: { key: objectKeyOf(r), group: r.group, resource: r.resource, kind: r.kind, uid: r.uid }, tracker: new SpanTracker(detect), lastRv: '' };
        c.objects.set(r.uid, st);
      } else if (r.op !== 'DELETED' && r.resourceVersion && st.lastRv && compareResourceVersions(r.resourceVersion, st.lastRv) <= 0) {
        continue;
      }
      const first = st.lastRv === '';
      st.lastRv = r.resourceVersion || st.lastRv;
      for (const raw of st.tracker.step(r, skeleton)) this.#close(c, { ...st.meta, raw });
      if (first && r.op !== 'ADDED' && st.tracker.ongoing().length) c.unsure.set(r.uid, st.meta.key);
      if (r.op === 'DELETED') c.objects.delete(r.uid);
    }
  }

  /** The first time the index answers for in `cluster`, or undefined when it has seen nothing of it. */
  since(cluster: string): Micros | undefined {
    return this.#clusters.get(cluster)?.since;
  }

  /** Spans of `gks` in scope overlapping [from, to] (thresholds not applied), and the objects to scan instead. */
  spans(q: { cluster: string; gks: readonly string[]; namespace?: string; name?: string; from: Micros; to: Micros }): { spans: IndexedSpan[]; scan: ObjectKey[] } {
    const c = this.#clusters.get(q.cluster);
    if (!c) return { spans: [], scan: [] };
    const inScope = (k: ObjectKey) => q.gks.includes(k.gk) && (k.gk === 'Node' || q.namespace === undefined || k.namespace === q.namespace) && (q.name === undefined || k.name === q.name);
    const scan = [...c.unsure.values()].filter(inScope);
    const unsure = new Set(scan.map((k) => `${k.gk}\u0000${k.namespace}\u0000${k.name}`));
    const keep = (s: IndexedSpan) => inScope(s.key) && !unsure.has(`${s.key.gk}\u0000${s.key.namespace}\u0000${s.key.name}`)
      && s.raw.start <= q.to && (s.raw.end === null || s.raw.end >= q.from);
    const open = [...c.objects.values()].flatMap((o) => o.tracker.ongoing().map((raw) => ({ ...o.meta, raw })));
    return { spans: [...c.closed, ...open].filter(keep), scan };
  }

  #cluster(name: string, ts: Micros): ClusterState {
    let c = this.#clusters.get(name);
    if (!c) this.#clusters.set(name, (c = { since: ts, objects: new Map(), closed: [], unsure: new Map() }));
    return c;
  }

  #close(c: ClusterState, s: IndexedSpan): void {
    c.closed.push(s);
    if (c.closed.length > this.#maxSpans) {
      const dropped = c.closed.splice(0, c.closed.length - this.#maxSpans);
      c.since = Math.max(c.since, ...dropped.map((d) => d.raw.end ?? d.raw.start));
    }
  }
}

/** `store`, with every record it accepts shown to `index` once durable (cli/ wraps the writer's store so). */
export function observedStore(store: HistoryStore, index: FailureIndex): HistoryStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'append') {
        return async (records: Parameters<HistoryStore['append']>[0]) => {
          const result = await target.append(records);
          index.observe(records);
          return result;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
