/**
 * Query results as the API returns them: every Micros field becomes an RFC 3339 UTC string, every
 * answer names the moment it is about (`asOf`), and objects are shown through core/present
 * (`view`, `fields`). Everything else passes through unchanged.
 */
import type {
  ChangesResult,
  ClustersResult,
  DiffObjectResult,
  DiffScopeResult,
  EventsResult,
  GraphResult,
  HistoryResult,
  ListAtResult,
  ObjectAtResult,
  RevisionInfo,
  ScopeEntry,
} from '../core/query-types.ts';
import { manifestView, showList, showObject, summaryRow, valueChanges, type PrinterColumn, type View } from '../core/present/index.ts';
import type { KubeObject } from '../core/record.ts';
import { formatTime, type Micros } from '../core/time.ts';

type Timed<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

/** How a route shows objects: the view, a projection, a CRD's printer columns for summary rows. */
export interface Showing {
  view: View;
  fields?: readonly string[];
  printerColumns?: readonly PrinterColumn[];
  /** view=summary with kubectl's `-o wide` columns. */
  wide?: boolean;
}

/** A revision with its `ts` as RFC 3339. */
export function presentRevision<R extends RevisionInfo>(r: R): Timed<R, 'ts'> {
  return { ...r, ts: formatTime(r.ts) };
}

/** `/v1/object`: `{cluster, at, asOf, object, revision}`. */
export function presentObjectAt(r: ObjectAtResult, s: Showing = { view: 'raw' }) {
  const at = formatTime(r.at);
  return { cluster: r.cluster, at, asOf: at, object: showObject(r.object, { ...s, at: r.at }), revision: presentRevision(r.revision) };
}

/** `/v1/objects`: `{cluster, at, asOf, [columns], items, continue?}`. */
export function presentListAt(r: ListAtResult, s: Showing = { view: 'raw' }, withNamespace = false) {
  const at = formatTime(r.at);
  const shown = showList(r.items, { ...s, at: r.at }, withNamespace);
  return { cluster: r.cluster, at, asOf: at, ...shown, ...(r.continue ? { continue: r.continue } : {}) };
}

/**
 * `/v1/objects` answered as text (ListAtResult `texts`): JSON.stringify of presentListAt's answer,
 * the items' texts joined in place of its (empty) items array, so the envelope is presentListAt's own.
 */
export function presentListAtText(r: ListAtResult & { texts: readonly string[] }, s: Showing = { view: 'raw' }, withNamespace = false): string {
  return withArrayTexts(presentListAt({ ...r, items: [] }, s, withNamespace), 'items', r.texts);
}

/**
 * JSON.stringify(envelope) with `texts` (each an element's JSON) as its member `member`, an array
 * that must be empty in `envelope` and named by no other member of it (a `{Kind}List`'s `items`, a
 * Table's `rows`). A JSON string holds `"` only escaped, so `"member":[]` in the envelope's text is
 * that member.
 */
export function withArrayTexts<K extends string>(envelope: { [k in K]: readonly unknown[] }, member: K, texts: readonly string[]): string {
  if (envelope[member].length) throw new Error(`withArrayTexts: the envelope's ${member} must be empty`);
  const json = JSON.stringify(envelope);
  const empty = `"${member}":[]`;
  const at = json.indexOf(empty) + empty.length - 1;
  return json.slice(0, at) + texts.join(',') + json.slice(at);
}

/** `/v1/history`: every item's `ts` formatted, objects in the view asked. */
export function presentHistory(r: HistoryResult, view: View, now: Micros) {
  const to = formatTime(r.to ?? now);
  return {
    cluster: r.cluster,
    ...(r.from !== undefined ? { from: formatTime(r.from) } : {}),
    to,
    asOf: to,
    items: r.items.map((i) => {
      const item = presentRevision(i);
      if (!i.object) return item;
      return { ...item, object: (view === 'summary' ? summaryRow(i.object, { at: i.ts }, true) : manifestView(i.object, view)) as Record<string, unknown> };
    }),
    ...(r.continue ? { continue: r.continue } : {}),
  };
}

function shownAt(obj: KubeObject | null, view: View, at: Micros) {
  if (!obj) return null;
  return view === 'summary' ? summaryRow(obj, { at }, true) : manifestView(obj, view);
}

/** `/v1/diff` on one object: before/after in the view asked, each change with old and new values. */
export function presentDiffObject(r: DiffObjectResult, view: View = 'raw') {
  return {
    cluster: r.cluster, from: formatTime(r.from), to: formatTime(r.to), asOf: formatTime(r.to),
    before: shownAt(r.before, view, r.from), after: shownAt(r.after, view, r.to),
    patch: r.patch, paths: r.paths,
    // Created or deleted within the window: before/after show its content; no per-path list of everything.
    changes: r.before && r.after ? valueChanges(r.before, r.patch) : [],
    ...(!r.before ? { created: true as const } : {}),
    ...(!r.after ? { deleted: true as const } : {}),
  };
}

/** `/v1/diff` on a scope: created and deleted objects with their content (summary row by default). */
export function presentDiffScope(r: DiffScopeResult, view: View = 'summary') {
  const entry = (e: ScopeEntry, at: Micros) => ({
    ...e.ref,
    ...(view === 'summary' ? { summary: summaryRow(e.object, { at }, false) } : { object: manifestView(e.object, view) }),
  });
  return {
    cluster: r.cluster, from: formatTime(r.from), to: formatTime(r.to), asOf: formatTime(r.to),
    added: r.added.map((e) => entry(e, r.to)),
    removed: r.removed.map((e) => entry(e, r.from)),
    changed: r.changed,
    ...(r.continue ? { continue: r.continue } : {}),
  };
}

/** `/v1/diff` (object or scope). */
export function presentDiff(r: DiffObjectResult | DiffScopeResult, view?: View) {
  return 'added' in r ? presentDiffScope(r, view) : presentDiffObject(r, view);
}

/** `/v1/graph`: `at` formatted. */
export function presentGraph(r: GraphResult) {
  const at = formatTime(r.at);
  return { ...r, at, asOf: at };
}

/** `/v1/changes`: every item's `ts` formatted. */
export function presentChanges(r: ChangesResult) {
  return { ...r, from: formatTime(r.from), to: formatTime(r.to), asOf: formatTime(r.to), items: r.items.map(presentRevision) };
}

/** `/v1/events`: Event objects in the view asked (full drops managedFields), or folded groups. */
export function presentEvents(r: EventsResult, view: View = 'raw') {
  const items = (r.items as Record<string, unknown>[]).map((i) => ('metadata' in i && view !== 'summary' ? manifestView(i as KubeObject, view) : i));
  return { ...r, from: formatTime(r.from), to: formatTime(r.to), asOf: formatTime(r.to), items };
}

/** `/v1/clusters`: `firstSeen` and `lastSeen` formatted. */
export function presentClusters(r: ClustersResult) {
  return { items: r.items.map((c) => ({ ...c, firstSeen: formatTime(c.firstSeen), lastSeen: formatTime(c.lastSeen) })) };
}
