/**
 * The history queries (core/query-types.ts) over the HistoryStore port: typed arguments in,
 * domain values out. Semantics (API.md): the state at T includes every change with ts <= T;
 * windows are inclusive at both ends; only objects that existed at T take part in lists and graphs.
 */
import { KubetimeError, invalidArgument, k8sInvalidAsArgument } from './errors.ts';
import { buildGraph, type GraphObject } from './graph.ts';
import { changedPaths, diff, type JsonPatchOp } from '../k8s/json-patch.ts';
import { kindCatalog } from './kinds.ts';
import { withoutNoise } from './noise.ts';
import { compareResourceVersions, groupKind, type KubeObject, type ObjectKey } from './record.ts';
import type { Revision } from './ports.ts';
import type * as Q from './query-types.ts';
import { all, Scope, type ScopeOptions } from './scope.ts';
import { fieldSelector, labelSelector, selectableFieldsOf } from '../k8s/selectors.ts';
import { formatTime } from './time.ts';
import { feedQueries } from './feed-queries.ts';
import type { Viewer } from './access.ts';
import { listFilter, ListVisibility, requireRead } from './visibility.ts';
import { valueChanges } from './present/diff.ts';
import { decodeToken, encodeToken, pageAt, pageSize } from './present/paging.ts';
import { summaryFromSlim, TABLE_ROW_TEXT } from './present/slim.ts';
import { VIEW_TEXTS } from './present/view.ts';

const CRD_GK = 'CustomResourceDefinition.apiextensions.k8s.io';
import { pace } from './yield.ts';
import { failureQueries, type FailureOptions } from './failures/query.ts';

export const DEFAULT_LIMIT = 500;
/** The most edges a graph query follows (the HTTP `hops` parameter is bounded by it too). */
export const MAX_HOPS = 5;

export function revisionInfo(r: Pick<Revision, 'ts' | 'op' | 'resourceVersion' | 'source' | 'actor' | 'verb' | 'gap'>): Q.RevisionInfo {
  return {
    ts: r.ts, op: r.op, resourceVersion: r.resourceVersion, source: r.source,
    ...(r.actor ? { actor: r.actor } : {}),
    ...(r.verb ? { verb: r.verb } : {}),
    ...(r.gap ? { gap: true } : {}),
  };
}

function patchBetween(a: KubeObject | null, b: KubeObject | null, raw: boolean | undefined): JsonPatchOp[] {
  return raw ? diff(a, b) : diff(withoutNoise(a), withoutNoise(b));
}

export function createHistoryQueries(opts: ScopeOptions & { failures?: FailureOptions }): Q.HistoryQueries {
  const scope = new Scope(opts);

  /** Resolves one object's key; FORBIDDEN unless the viewer may `get` it (so a 404 only reaches those who may). */
  async function objectKey(r: { viewer: Viewer; cluster?: string; kind: string; namespace?: string; name: string }) {
    const cluster = await scope.cluster(r.cluster, r.viewer);
    const kind = await scope.kind(cluster, r.kind);
    const namespace = scope.namespaceFor(kind, r.namespace, true)!;
    await requireRead(r.viewer, { cluster, verb: 'get', group: kind.group, resource: kind.resource, namespace }, r.name);
    const key: ObjectKey = { cluster, gk: kind.gk, namespace, name: r.name };
    return { cluster, kind, key };
  }

  async function existed(key: ObjectKey): Promise<{ from: string; to: string | null }[]> {
    const lives = await all(scope.store.lifetimes({ cluster: key.cluster, gk: key.gk, namespace: key.namespace, name: key.name }));
    return lives.sort((a, b) => a.from - b.from).map((l) => ({ from: formatTime(l.from), to: l.to === null ? null : formatTime(l.to) }));
  }

  async function notFound(key: ObjectKey, kind: string, at: number): Promise<KubetimeError> {
    const intervals = await existed(key);
    const where = key.namespace ? ` in namespace ${key.namespace}` : '';
    const hint = intervals.length
      ? `; it existed ${intervals.map((i) => `from ${i.from} to ${i.to ?? 'now'}`).join(', ')}`
      : '; kubetime has no record of it';
    return new KubetimeError('NOT_FOUND', `${kind} ${key.name}${where} did not exist at ${formatTime(at)}${hint}`, { existed: intervals });
  }

  /** A kind across a scope (one namespace, or all), and which of its namespaces the viewer may list. */
  async function listedKind(r: { viewer: Viewer; cluster?: string; kind: string; namespace?: string }) {
    const cluster = await scope.cluster(r.cluster, r.viewer);
    const kind = await scope.kind(cluster, r.kind);
    const namespace = scope.namespaceFor(kind, r.namespace, false);
    return { cluster, kind, namespace, visible: await listFilter(r.viewer, cluster, kind, namespace) };
  }

  async function listAt(r: Q.ListAtRequest): Promise<Q.ListAtResult> {
    const { cluster, kind, namespace, visible } = await listedKind(r);
    // A continue token carries the `at` of its first page, so `at=now` pages stay one list.
    const filters = { cluster, gk: kind.gk, namespace, l: r.labelSelector, f: r.fieldSelector };
    const page = r.continue ? decodeToken(r.continue, 'objects', filters) : undefined;
    const at = page?.times[0] ?? r.at;
    await scope.checkHorizon(cluster, at, 'at', { gk: kind.gk, namespace });
    const labels = k8sInvalidAsArgument(() => labelSelector(r.labelSelector ?? ''));
    // A custom resource's selectable fields are those its CRD declared as of `at`.
    const crd = kind.group && r.fieldSelector ? await scope.stateAt({ cluster, gk: CRD_GK, namespace: '', name: `${kind.resource}.${kind.group}` }, at) : undefined;
    const selectable = selectableFieldsOf(crd?.object ?? undefined, kind.version);
    const fields = k8sInvalidAsArgument(() => fieldSelector(r.fieldSelector ?? '', 'fieldSelector', { ...kind, selectableFields: selectable }));
    const size = pageSize('objects', r.limit);
    const list = { cluster, gk: kind.gk, namespace, at, after: page?.cursor as [string, string] | undefined, visible, enough: size + 1 }; // one more tells whether a page follows
    const keep = (o: KubeObject) => labels(o) && fields(o);
    // A page's token: the next page starts after its last object.
    const tokenAfter = (last: { namespace?: string; name: string }) => encodeToken({ query: 'objects', times: [at], cursor: [last.namespace ?? '', last.name] }, filters);
    // Manifests as text (VIEW_TEXTS), where the store answers them: selectors read the object as
    // stored, which the raw text is. Without the store's texts, one stringify of the whole answer is cheaper.
    // Table rows as text (TABLE_ROW_TEXT) where a summary list would read slim objects: they hold what selectors read.
    const slimEnough = summaryFromSlim(kind) && !(r.fieldSelector && selectable.length);
    const variant = r.text === 'raw' ? VIEW_TEXTS.raw
      : r.text === 'full' && !r.labelSelector && !r.fieldSelector ? VIEW_TEXTS.full
        : r.text === 'tableRow' && slimEnough ? TABLE_ROW_TEXT : undefined;
    if (scope.store.objectTextsAt && variant) {
      const found = await scope.objectTextsAt({ ...list, variant, ...(r.labelSelector || r.fieldSelector ? { keep } : {}) });
      const shown = found.slice(0, size);
      const last = shown.at(-1)?.key;
      const token = found.length > size && last ? tokenAfter(last) : undefined;
      return { cluster, at, items: [], texts: shown.map((x) => x.text), ...(token ? { continue: token } : {}) };
    }
    // Summary rows read slim objects (core/present/slim.ts) unless a CRD's fields may be read.
    const objects = r.summary && slimEnough
      ? await scope.summariesAt({ ...list, keep })
      : (await scope.objectsAt({ ...list, keep: (rev) => keep(rev.object!) })).map((rev) => rev.object!);
    const items = objects.slice(0, size);
    const token = objects.length > size ? tokenAfter(items.at(-1)!.metadata as { namespace?: string; name: string }) : undefined;
    return { cluster, at, items, ...(token ? { continue: token } : {}) };
  }

  return {
    async objectAt(r) {
      const { cluster, kind, key } = await objectKey(r);
      await scope.checkHorizon(cluster, r.at, 'at', key);
      const rev = await scope.stateAt(key, r.at);
      if (!rev) throw await notFound(key, kind.kind, r.at);
      return { cluster, at: r.at, object: rev.object!, revision: revisionInfo(rev) };
    },

    listAt,

    async history(r) {
      const { cluster, key } = await objectKey(r);
      // Pages are offsets into the window the first page resolved (an absent `from` is -1).
      const filters = { key, objects: r.objects, raw: r.raw };
      const page = r.continue ? decodeToken(r.continue, 'history', filters) : undefined;
      const from = page ? (page.times[0]! < 0 ? undefined : page.times[0]) : r.from;
      const to = page ? (page.times[1]! < 0 ? undefined : page.times[1]) : r.to;
      const offset = (page?.cursor as number | undefined) ?? 0;
      if (from !== undefined) await scope.checkHorizon(cluster, from, 'from', key);
      const size = pageSize('history', r.limit);
      const read = inCommitOrder(await all(scope.store.revisions({ key, from, to, order: 'asc', limit: offset + size + 1 })));
      const prevByUid = new Map<string, Revision>();
      if (read[0] && from !== undefined) {
        const before = await all(scope.store.revisions({ key, to: from - 1, order: 'desc', limit: 1 }));
        if (before[0]) prevByUid.set(before[0].uid, before[0]);
      }
      const all_: Q.HistoryItem[] = read.map((rev) => {
        const prev = prevByUid.get(rev.uid);
        prevByUid.set(rev.uid, rev);
        const first = !prev;
        const patch = first || rev.op === 'DELETED' ? [] : patchBetween(prev.object, rev.object, r.raw);
        const withObject = r.objects || first;
        return { ...revisionInfo(rev), uid: rev.uid, patch, ...(withObject && rev.object ? { object: rev.object } : {}) };
      });
      const { items, next } = pageAt(all_, offset, size);
      const token = next === undefined ? undefined : encodeToken({ query: 'history', times: [from ?? -1, to ?? -1], cursor: next }, filters);
      return { cluster, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), items, ...(token ? { continue: token } : {}) };
    },

    async diffObject(r) {
      if (r.from > r.to) throw invalidArgument('from', 'must not be after to');
      const { cluster, kind, key } = await objectKey(r);
      await scope.checkHorizon(cluster, r.from, 'from', key);
      const [before, after] = await Promise.all([scope.stateAt(key, r.from), scope.stateAt(key, r.to)]);
      if (!before && !after) throw await notFound(key, kind.kind, r.to);
      const patch = patchBetween(before?.object ?? null, after?.object ?? null, r.raw);
      return { cluster, from: r.from, to: r.to, before: before?.object ?? null, after: after?.object ?? null, patch, paths: changedPaths(patch) };
    },

    async diffScope(r) {
      if (r.from > r.to) throw invalidArgument('from', 'must not be after to');
      const { cluster, kind, namespace, visible } = await listedKind(r);
      const filters = { cluster, gk: kind.gk, namespace, l: r.labelSelector, raw: r.raw };
      const page = r.continue ? decodeToken(r.continue, 'diff', filters) : undefined;
      const [from, to] = page ? (page.times as [number, number]) : [r.from, r.to];
      await scope.checkHorizon(cluster, from, 'from', { gk: kind.gk, namespace });
      const labels = k8sInvalidAsArgument(() => labelSelector(r.labelSelector ?? ''));
      const at = (t: number) => scope.objectsAt({ cluster, gk: kind.gk, namespace, at: t, visible, keep: (rev) => labels(rev.object!) });
      const [a, b] = await Promise.all([at(from), at(to)]);
      const id = (o: KubeObject) => {
        const m = o.metadata as { namespace?: string; name: string; uid?: string };
        return { id: `${m.namespace ?? ''}/${m.name}`, uid: m.uid, ref: { kind: String(o.kind ?? kind.kind), ...(m.namespace ? { namespace: m.namespace } : {}), name: m.name } };
      };
      const before = new Map(a.map((rev) => [id(rev.object!).id, rev.object!]));
      const after = new Map(b.map((rev) => [id(rev.object!).id, rev.object!]));
      // One sequence (added, removed, changed) so that one offset pages all three.
      type Entry = { k: 'added' | 'removed'; e: Q.ScopeEntry } | { k: 'changed'; e: Q.DiffScopeResult['changed'][number] };
      const added: Entry[] = [];
      const removed: Entry[] = [];
      const changed: Entry[] = [];
      for (const [k, o] of after) {
        await pace();
        const old = before.get(k);
        if (!old || id(old).uid !== id(o).uid) {
          if (old) removed.push({ k: 'removed', e: { ref: id(old).ref, object: old } });
          added.push({ k: 'added', e: { ref: id(o).ref, object: o } });
          continue;
        }
        const patch = patchBetween(old, o, r.raw);
        if (patch.length) changed.push({ k: 'changed', e: { ref: id(o).ref, patch, changes: valueChanges(old, patch) } });
      }
      for (const [k, o] of before) if (!after.has(k)) removed.push({ k: 'removed', e: { ref: id(o).ref, object: o } });
      const offset = (page?.cursor as number | undefined) ?? 0;
      const { items, next } = pageAt([...added, ...removed, ...changed], offset, pageSize('diff', r.limit));
      const out: Q.DiffScopeResult = { cluster, from, to, added: [], removed: [], changed: [] };
      for (const x of items) {
        if (x.k === 'changed') out.changed.push(x.e);
        else out[x.k].push(x.e);
      }
      if (next !== undefined) out.continue = encodeToken({ query: 'diff', times: [from, to], cursor: next }, filters);
      return out;
    },

    async graph(r) {
      const hops = r.hops ?? 2;
      if (!Number.isInteger(hops) || hops < 0 || hops > MAX_HOPS) throw invalidArgument('hops', `must be an integer from 0 to ${MAX_HOPS}`);
      const { cluster, kind, key } = await objectKey(r);
      const filters = { key, hops };
      const page = r.continue ? decodeToken(r.continue, 'graph', filters) : undefined;
      const at = page?.times[0] ?? r.at;
      await scope.checkHorizon(cluster, at, 'at', key);
      const start = await scope.stateAt(key, at);
      if (!start) throw await notFound(key, kind.kind, at);
      const objects = await graphObjectsAt(scope, new ListVisibility(r.viewer, cluster), key.namespace, at, start);
      const startObj = objects.find((o) => o.uid === start.uid)!;
      const graph = buildGraph(startObj, objects, hops, at, cluster);
      const offset = (page?.cursor as number | undefined) ?? 0;
      return pageGraph(graph, offset, pageSize('graph', r.limit), (next) => encodeToken({ query: 'graph', times: [at], cursor: next }, filters));
    },

    async kinds(r) {
      const cluster = await scope.cluster(r.cluster, r.viewer);
      return { cluster, items: kindCatalog(await scope.store.kinds(cluster), opts.servedKinds?.(cluster) ?? []) };
    },

    ...feedQueries(scope),
    ...failureQueries(scope, opts.failures),
  };
}

/**
 * One page of a graph: its nodes in traversal order from `offset`, and each edge in the page of
 * the later of its two ends (so every edge comes exactly once, once both ends have been shown).
 */
function pageGraph(g: Q.GraphResult, offset: number, size: number, token: (next: number) => string): Q.GraphResult {
  const refId = (r: Q.Ref) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  const index = new Map(g.nodes.map((n, i) => [refId(n), i]));
  const { items, next } = pageAt(g.nodes, offset, size);
  const end = offset + items.length;
  const edges = g.edges.filter((e) => {
    const last = Math.max(index.get(refId(e.from)) ?? 0, index.get(refId(e.to)) ?? 0);
    return last >= offset && last < end;
  });
  return { cluster: g.cluster, at: g.at, nodes: items, edges, ...(next !== undefined ? { continue: token(next) } : {}) };
}

/**
 * Revisions in the order they were committed: by time across uids, by resourceVersion within one
 * uid (a watch-timed revision can be stored after a later, audit-timed one), a deletion last.
 */
function inCommitOrder(revs: Revision[]): Revision[] {
  const firstSeen = new Map<string, number>();
  revs.forEach((r, i) => firstSeen.has(r.uid) || firstSeen.set(r.uid, i));
  const rank = (r: Revision) => (r.op === 'DELETED' ? 1 : 0);
  return [...revs].sort((a, b) =>
    a.uid !== b.uid ? firstSeen.get(a.uid)! - firstSeen.get(b.uid)!
      : rank(a) - rank(b) || (a.resourceVersion && b.resourceVersion ? compareResourceVersions(a.resourceVersion, b.resourceVersion) : a.ts - b.ts));
}

function toGraphObject(rev: Revision): GraphObject {
  return { kind: rev.kind, group: rev.group, namespace: rev.namespace, name: rev.name, uid: rev.uid, object: rev.object! };
}

/**
 * Every object of the start's namespace at T (Events aside), plus the Nodes and PVs they point at:
 * only those the viewer may list, so neither a node nor an edge reveals what it may not see.
 */
async function graphObjectsAt(scope: Scope, visibility: ListVisibility, namespace: string, at: number, start: Revision): Promise<GraphObject[]> {
  const cluster = start.cluster;
  const kinds = await scope.store.kinds(cluster);
  const objects = new Map<string, GraphObject>([[start.uid, toGraphObject(start)]]);
  for (const k of kinds) {
    if (k.kind === 'Event') continue;
    const ns = k.namespaced ? namespace : '';
    if (!k.namespaced && !['Node', 'PersistentVolume', 'Namespace'].includes(k.kind) && namespace !== '') continue;
    const visible = (n: string) => visibility.may(k, n);
    for (const rev of await scope.objectsAt({ cluster, gk: groupKind(k.group, k.kind), namespace: ns || (k.namespaced ? undefined : ''), at, visible })) {
      objects.set(rev.uid, toGraphObject(rev));
    }
  }
  return [...objects.values()];
}
