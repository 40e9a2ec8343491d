/**
 * The failure timeline over the HistoryStore: a bounded scan of the window (bench/failures.ts
 * measured it against keeping an index as records arrive; see bench/results/failures.md). For
 * every object of the covered kinds that lived in the window, its revisions are replayed through
 * the kind's detector (conditions.ts → spans.ts); each span gets its suspects (suspects.ts) from
 * the revisions of related objects (related.ts), read once per object per query.
 */
import type { Viewer } from '../access.ts';
import { invalidArgument } from '../errors.ts';
import type { HistoryStore } from '../ports.ts';
import type { Ref } from '../query-types.ts';
import type { KubeObject, ObjectKey } from '../record.ts';
import { mapLimit } from '../concurrency.ts';
import { all, LIST_CONCURRENCY, type Scope } from '../scope.ts';
import type { Micros } from '../time.ts';
import { DEFAULT_THRESHOLDS, DETECTORS, type Thresholds } from './conditions.ts';
import { dependenciesOf, ownersOf, type RelatedKey } from './related.ts';
import { byUid, keysLiving, RelatedReader, revisionsAround, warningEvents, type WarningEvent } from './scan.ts';
import { longEnough, spansOf, type RawSpan } from './spans.ts';
import type { FailureIndex, IndexedSpan } from './failure-index.ts';
import { rankSuspects, templateChange, type Candidate } from './suspects.ts';
import { DEFAULT_SUSPECT_WINDOW, type FailureQueries, type FailureSpan, type FailuresRequest } from './types.ts';

/** Largest suspect window accepted: a day. */
export const MAX_SUSPECT_WINDOW: Micros = 86_400e6;
const OWNER_DEPTH = 4;
/** Revisions of a Pod's top owner read (newest first, once per query) to find the change that made its template. */
const TEMPLATE_LOOKBACK = 512;

/** A detected span with where its object lives (as the index keeps them). */
type Found = IndexedSpan;

function refOf(kind: string, namespace: string, name: string): Ref {
  return { kind, ...(namespace ? { namespace } : {}), name };
}

function mayList(viewer: Viewer, cluster: string, r: { group: string; resource: string; namespace: string }): Promise<boolean> {
  return viewer.may({ cluster, verb: 'list', group: r.group, resource: r.resource, namespace: r.namespace });
}

function encodePage(from: Micros, to: Micros, offset: number): string {
  return Buffer.from(JSON.stringify([from, to, offset])).toString('base64url');
}

function decodePage(token: string): { from: Micros; to: Micros; offset: number } {
  try {
    const [from, to, offset] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as number[];
    if (![from, to, offset].every(Number.isSafeInteger)) throw new Error('malformed');
    return { from: from!, to: to!, offset: offset! };
  } catch {
    throw invalidArgument('continue', 'not a token from a previous page of this list');
  }
}

interface ScanQuery { cluster: string; gk: string; namespace?: string; name?: string; from: Micros; to: Micros; thresholds: Thresholds }

/** Spans of every object of one kind in scope that overlap [from, to]. */
async function detectKind(store: HistoryStore, q: ScanQuery): Promise<Found[]> {
  return detectKeys(store, await keysLiving(store, q), q);
}

/** Spans of these objects (of one kind) that overlap [from, to], from their stored revisions. */
async function detectKeys(store: HistoryStore, keys: readonly ObjectKey[], q: ScanQuery): Promise<Found[]> {
  const detect = DETECTORS.get(q.gk)!;
  const perKey = await mapLimit(keys, LIST_CONCURRENCY, async (key) => {
    const found: Found[] = [];
    for (const revs of byUid(await revisionsAround(store, key, q.from, q.to, detect))) {
      const r0 = revs[0]!;
      for (const raw of spansOf(revs, detect, { until: q.to, thresholds: q.thresholds })) {
        if (raw.start > q.to || (raw.end !== null && raw.end < q.from)) continue;
        found.push({ raw, key, group: r0.group, resource: r0.resource, kind: r0.kind, uid: r0.uid });
      }
    }
    return found;
  });
  return perKey.flat();
}

/** The failing object itself, its owner chain (as of the span's start), its Node and config. */
type Related = Candidate & { group: string; resource: string; namespace: string };

async function candidatesOf(store: HistoryStore, f: Found, reader: RelatedReader, window: Micros, to: Micros): Promise<Related[]> {
  const start = f.raw.start;
  const obj = f.raw.opened.object!;
  const keys: RelatedKey[] = [{ gk: f.key.gk, kind: f.kind, namespace: f.key.namespace, name: f.key.name, relation: 'self' }];
  let frontier = ownersOf(obj, f.key.namespace);
  for (let depth = 0; depth < OWNER_DEPTH && frontier.length; depth++) {
    keys.push(...frontier);
    const next: RelatedKey[] = [];
    for (const o of frontier) {
      const state = await reader.stateAt({ cluster: f.key.cluster, gk: o.gk, namespace: o.namespace, name: o.name }, start);
      if (state) next.push(...ownersOf(state, o.namespace));
    }
    frontier = next;
  }
  keys.push(...dependenciesOf(obj, f.key.namespace));
  const out = await Promise.all(keys.map(async (k): Promise<Related> => {
    const revisions = await reader.revisions({ cluster: f.key.cluster, gk: k.gk, namespace: k.namespace, name: k.name }, start - window, f.raw.end ?? to, k.relation === 'self' ? obj : undefined);
    return { ref: refOf(k.kind, k.namespace, k.name), relation: k.relation, revisions, group: revisions[0]?.group ?? '', resource: revisions[0]?.resource ?? '', namespace: k.namespace };
  }));
  const top = keys.filter((k) => k.relation === 'owner').at(-1);
  if (top && f.kind === 'Pod') {
    const template = await templateCandidate(reader, { cluster: f.key.cluster, gk: top.gk, namespace: top.namespace, name: top.name }, obj, to);
    if (template) out.push({ ...template, ref: refOf(top.kind, top.namespace, top.name), relation: 'template', anyTime: true, namespace: top.namespace });
  }
  return out;
}

/** The change of the Pod's top owner that introduced the Pod's template, read up to the Pod's creation. */
async function templateCandidate(reader: RelatedReader, key: ObjectKey, pod: KubeObject, to: Micros) {
  const created = Date.parse(String((pod.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? '')) * 1000;
  if (Number.isNaN(created)) return undefined;
  const revs = (await reader.history(key, to, TEMPLATE_LOOKBACK)).filter((r) => r.ts <= created + 1e6);
  const change = templateChange(revs);
  return change && { revisions: change, group: change[0]!.group, resource: change[0]!.resource };
}

function eventsEvidence(events: readonly WarningEvent[] | undefined, start: Micros, end: Micros): FailureSpan['evidence']['events'] {
  const byReason = new Map<string, { reason: string; count: number; message: string }>();
  for (const e of events ?? []) {
    if (e.last < start || e.first > end) continue;
    const cur = byReason.get(e.reason);
    byReason.set(e.reason, { reason: e.reason, count: (cur?.count ?? 0) + e.count, message: e.message });
  }
  return byReason.size ? [...byReason.values()] : undefined;
}

/** Pods deleted in [from, to] (drained, evicted) and the Node each was on. */
async function podEndings(store: HistoryStore, cluster: string, namespace: string | undefined, from: Micros, to: Micros) {
  const out: { ref: Ref; node: string; at: Micros; group: string; resource: string; namespace: string }[] = [];
  const lives = (await all(store.lifetimes({ cluster, gk: 'Pod', namespace }))).filter((l) => l.to !== null && l.to >= from && l.to <= to);
  await mapLimit(lives, LIST_CONCURRENCY, async (l) => {
    const [rev] = await all(store.revisions({ key: l.key, to: l.to!, order: 'desc', limit: 1 }));
    const node = (rev?.object?.spec as { nodeName?: string } | undefined)?.nodeName;
    if (node) out.push({ ref: refOf('Pod', l.key.namespace, l.key.name), node, at: l.to!, group: '', resource: 'pods', namespace: l.key.namespace });
  });
  return out.sort((a, b) => a.at - b.at);
}

/** Spans from the index where it covers the window: its own, and a scan of the objects it is unsure of. */
async function fromIndex(store: HistoryStore, index: FailureIndex, q: Omit<ScanQuery, 'gk'> & { gks: string[] }): Promise<Found[]> {
  const { spans, scan } = index.spans(q);
  const found: Found[] = spans.filter((s) => longEnough(s.raw, q.to, q.thresholds)).map((s) => {
    // As the scan answers: a span that ended after the window is ongoing at its end.
    if (s.raw.end === null || s.raw.end <= q.to) return s;
    const { ended: _, ...raw } = s.raw;
    return { ...s, raw: { ...raw, end: null } };
  });
  for (const gk of q.gks) {
    const keys = scan.filter((k) => k.gk === gk);
    if (keys.length) found.push(...await detectKeys(store, keys, { ...q, gk, namespace: gk === 'Node' ? '' : q.namespace }));
  }
  return found;
}

/** Options of the failures query: detection thresholds, and the index kept as records arrive (absent: every query scans). */
export interface FailureOptions {
  thresholds?: Thresholds;
  index?: FailureIndex;
}

export function failureQueries(scope: Scope, opts: FailureOptions = {}): FailureQueries {
  const store = scope.store;
  const thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;

  async function scopeOf(r: FailuresRequest, cluster: string) {
    if (!r.kind) return { gks: [...DETECTORS.keys()].filter((gk) => !(r.namespace && gk === 'Node')), namespace: r.namespace || undefined };
    const kind = await scope.kind(cluster, r.kind);
    if (!DETECTORS.has(kind.gk)) {
      throw invalidArgument('kind', `failures are detected for Pod, Node, Deployment, StatefulSet, DaemonSet, Job, HorizontalPodAutoscaler and PersistentVolumeClaim, not ${kind.kind}`);
    }
    return { gks: [kind.gk], namespace: scope.namespaceFor(kind, r.namespace, false) };
  }

  async function suspectsOf(f: Found, reader: RelatedReader, viewer: Viewer, window: Micros, to: Micros) {
    const visible: Candidate[] = [];
    for (const c of await candidatesOf(store, f, reader, window, to)) if (c.revisions.length && await mayList(viewer, f.key.cluster, c)) visible.push(c);
    return rankSuspects(f.raw, visible, window);
  }

  async function affectedOf(spans: FailureSpan[], r: FailuresRequest, cluster: string, to: Micros): Promise<void> {
    const nodeSpans = spans.filter((s) => s.object.kind === 'Node');
    if (!nodeSpans.length) return;
    const from = Math.min(...nodeSpans.map((s) => s.start));
    const endings = await podEndings(store, cluster, r.namespace || undefined, from, to);
    for (const s of nodeSpans) {
      const pods: Ref[] = [];
      for (const e of endings) if (e.node === s.object.name && e.at >= s.start && e.at <= (s.end ?? to) && await mayList(r.viewer, cluster, e)) pods.push(e.ref);
      if (pods.length) s.affected = pods;
    }
  }

  return {
    async failures(r) {
      const page = r.continue ? decodePage(r.continue) : undefined;
      const from = page?.from ?? r.from;
      const to = page?.to ?? r.to;
      if (from > to) throw invalidArgument('from', 'must not be after to');
      const window = r.suspectWindow ?? DEFAULT_SUSPECT_WINDOW;
      if (!(window >= 0 && window <= MAX_SUSPECT_WINDOW)) throw invalidArgument('suspectWindow', 'must be from 0 to 24h');
      const cluster = await scope.cluster(r.cluster);
      const { gks, namespace } = await scopeOf(r, cluster);
      await scope.checkHorizon(cluster, from, 'from', { namespace });
      const since = opts.index?.since(cluster);
      const detected = opts.index && since !== undefined && from >= since
        ? await fromIndex(store, opts.index, { cluster, gks, namespace, name: r.name || undefined, from, to, thresholds })
        : (await Promise.all(gks.map((gk) => detectKind(store, { cluster, gk, namespace: gk === 'Node' ? '' : namespace, name: r.name || undefined, from, to, thresholds })))).flat();
      const found: Found[] = [];
      for (const f of detected) if (await mayList(r.viewer, cluster, { ...f, namespace: f.key.namespace })) found.push(f);
      const items = await present(found, r, cluster, from, to, window);
      items.sort((a, b) => a.start - b.start || a.object.kind.localeCompare(b.object.kind) || (a.object.namespace ?? '').localeCompare(b.object.namespace ?? '') || a.object.name.localeCompare(b.object.name) || a.reason.localeCompare(b.reason));
      const offset = page?.offset ?? 0;
      const limit = r.limit ?? items.length;
      const pageItems = items.slice(offset, offset + limit);
      const more = offset + limit < items.length;
      return { cluster, from, to, items: pageItems, ...(more ? { continue: encodePage(from, to, offset + limit) } : {}) };
    },
  };

  async function present(found: Found[], r: FailuresRequest, cluster: string, from: Micros, to: Micros, window: Micros): Promise<FailureSpan[]> {
    if (!found.length) return [];
    const earliest = Math.min(...found.map((f) => f.raw.start));
    const reader = new RelatedReader(store, earliest - window, to);
    const about = new Map<string, Set<string>>();
    for (const f of found) if (f.key.namespace) about.set(f.key.namespace, (about.get(f.key.namespace) ?? new Set()).add(f.key.name));
    const events = await warningEvents(store, { cluster, about, from: Math.min(earliest, from), to });
    const spans = await mapLimit(found, LIST_CONCURRENCY, async (f): Promise<FailureSpan> => {
      const { suspects, recoveredAfter } = await suspectsOf(f, reader, r.viewer, window, to);
      const evs = eventsEvidence(events.get(f.uid), f.raw.start, f.raw.end ?? to);
      return {
        object: { ...refOf(f.kind, f.key.namespace, f.key.name), uid: f.uid },
        reason: f.raw.reason, start: f.raw.start, end: f.raw.end,
        ...(f.raw.ended && f.raw.end !== null ? { ended: f.raw.ended } : {}),
        evidence: evs ? { ...f.raw.evidence, events: evs } : f.raw.evidence,
        suspects,
        ...(recoveredAfter ? { recoveredAfter } : {}),
      };
    });
    await affectedOf(spans, r, cluster, to);
    return spans;
  }
}
