/**
 * The history queries (core/query-types.ts) over the HistoryStore port: typed arguments in,
 * domain values out. Semantics (API.md): the state at T includes every change with ts <= T;
 * windows are inclusive at both ends; only objects that existed at T take part in lists and graphs.
 */
import { KubetimeError, invalidArgument } from './errors.ts';
import { buildGraph, type GraphObject } from './graph.ts';
import { changedPaths, diff, type JsonPatchOp } from './json-patch.ts';
import { withoutNoise } from './noise.ts';
import { compareResourceVersions, groupKind, type KubeObject, type ObjectKey } from './record.ts';
import type { Revision } from './ports.ts';
import type * as Q from './query-types.ts';
import { all, Scope, type ScopeOptions } from './scope.ts';
import { fieldSelector, labelSelector } from './selectors.ts';
import { formatTime } from './time.ts';
import { feedQueries } from './feed-queries.ts';
import { failureQueries, type FailureOptions } from './failures/query.ts';

export const DEFAULT_LIMIT = 500;
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

function encodeContinue(at: number, ns: string, name: string): string {
  return Buffer.from(JSON.stringify([at, ns, name])).toString('base64url');
}

/**
 * A continue token carries the `at` of its first page (as a Kubernetes continue token carries its
 * snapshot), so `at=now` pages stay one consistent list; the request's own `at` is then ignored.
 */
function decodeContinue(token: string): { at: number; after: [string, string] } {
  try {
    const [t, ns, name] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [number, string, string];
    if (!Number.isSafeInteger(t) || typeof ns !== 'string' || typeof name !== 'string') throw new Error('malformed');
    return { at: t, after: [ns, name] };
  } catch {
    throw invalidArgument('continue', 'not a token from a previous page of this list');
  }
}

export function createHistoryQueries(opts: ScopeOptions & { failures?: FailureOptions }): Q.HistoryQueries {
  const scope = new Scope(opts);

  async function objectKey(r: { cluster?: string; kind: string; namespace?: string; name: string }) {
    const cluster = await scope.cluster(r.cluster);
    const kind = await scope.kind(cluster, r.kind);
    const namespace = scope.namespaceFor(kind, r.namespace, true)!;
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

  async function listAt(r: Q.ListAtRequest): Promise<Q.ListAtResult> {
    const cluster = await scope.cluster(r.cluster);
    const kind = await scope.kind(cluster, r.kind);
    const namespace = scope.namespaceFor(kind, r.namespace, false);
    const page = r.continue ? decodeContinue(r.continue) : undefined;
    const at = page?.at ?? r.at;
    await scope.checkHorizon(cluster, at, 'at', { gk: kind.gk, namespace });
    const labels = labelSelector(r.labelSelector ?? '');
    const fields = fieldSelector(r.fieldSelector ?? '');
    const revs = await scope.objectsAt({
      cluster, gk: kind.gk, namespace, at, after: page?.after,
      keep: (rev) => labels(rev.object!) && fields(rev.object!),
      ...(r.limit !== undefined ? { enough: r.limit + 1 } : {}), // one more tells whether a page follows
    });
    const items = revs.slice(0, r.limit ?? revs.length).map((rev) => rev.object!);
    let token: string | undefined;
    if (r.limit !== undefined && revs.length > r.limit) {
      const last = items.at(-1)!.metadata as { namespace?: string; name: string };
      token = encodeContinue(at, last.namespace ?? '', last.name);
    }
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
      if (r.from !== undefined) await scope.checkHorizon(cluster, r.from, 'from', key);
      const limit = r.limit ?? DEFAULT_LIMIT;
      const revs = inCommitOrder(await all(scope.store.revisions({ key, from: r.from, to: r.to, order: 'asc', limit })));
      const prevByUid = new Map<string, Revision>();
      if (revs[0] && r.from !== undefined) {
        const before = await all(scope.store.revisions({ key, to: r.from - 1, order: 'desc', limit: 1 }));
        if (before[0]) prevByUid.set(before[0].uid, before[0]);
      }
      const items: Q.HistoryItem[] = revs.map((rev) => {
        const prev = prevByUid.get(rev.uid);
        prevByUid.set(rev.uid, rev);
        const first = !prev;
        const patch = first || rev.op === 'DELETED' ? [] : patchBetween(prev.object, rev.object, r.raw);
        const withObject = r.objects || first;
        return { ...revisionInfo(rev), uid: rev.uid, patch, ...(withObject && rev.object ? { object: rev.object } : {}) };
      });
      return { cluster, items };
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
      const base = { cluster: r.cluster, kind: r.kind, namespace: r.namespace, labelSelector: r.labelSelector };
      const [a, b] = await Promise.all([listAt({ ...base, at: r.from }), listAt({ ...base, at: r.to })]);
      const id = (o: KubeObject) => {
        const m = o.metadata as { namespace?: string; name: string; uid?: string };
        return { id: `${m.namespace ?? ''}/${m.name}`, uid: m.uid, ref: { kind: String(o.kind ?? r.kind), ...(m.namespace ? { namespace: m.namespace } : {}), name: m.name } };
      };
      const before = new Map(a.items.map((o) => [id(o).id, o]));
      const after = new Map(b.items.map((o) => [id(o).id, o]));
      const added: Q.Ref[] = [];
      const removed: Q.Ref[] = [];
      const changed: { ref: Q.Ref; patch: JsonPatchOp[] }[] = [];
      for (const [k, o] of after) {
        const old = before.get(k);
        if (!old || id(old).uid !== id(o).uid) {
          if (old) removed.push(id(old).ref);
          added.push(id(o).ref);
          continue;
        }
        const patch = patchBetween(old, o, r.raw);
        if (patch.length) changed.push({ ref: id(o).ref, patch });
      }
      for (const [k, o] of before) if (!after.has(k)) removed.push(id(o).ref);
      return { cluster: a.cluster, from: r.from, to: r.to, added, removed, changed };
    },

    async graph(r) {
      const hops = r.hops ?? 2;
      if (!Number.isInteger(hops) || hops < 0 || hops > MAX_HOPS) throw invalidArgument('hops', `must be an integer from 0 to ${MAX_HOPS}`);
      const { cluster, kind, key } = await objectKey(r);
      await scope.checkHorizon(cluster, r.at, 'at', key);
      const start = await scope.stateAt(key, r.at);
      if (!start) throw await notFound(key, kind.kind, r.at);
      const objects = await graphObjectsAt(scope, cluster, key.namespace, r.at, start);
      const startObj = objects.find((o) => o.uid === start.uid)!;
      return buildGraph(startObj, objects, hops, r.at, cluster);
    },

    ...feedQueries(scope),
    ...failureQueries(scope, opts.failures),
  };
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

/** Every object of the start's namespace at T (Events aside), plus the Nodes and PVs they point at. */
async function graphObjectsAt(scope: Scope, cluster: string, namespace: string, at: number, start: Revision): Promise<GraphObject[]> {
  const kinds = await scope.store.kinds(cluster);
  const objects = new Map<string, GraphObject>([[start.uid, toGraphObject(start)]]);
  for (const k of kinds) {
    if (k.kind === 'Event') continue;
    const ns = k.namespaced ? namespace : '';
    if (!k.namespaced && !['Node', 'PersistentVolume', 'Namespace'].includes(k.kind) && namespace !== '') continue;
    for (const rev of await scope.objectsAt({ cluster, gk: groupKind(k.group, k.kind), namespace: ns || (k.namespaced ? undefined : ''), at })) {
      objects.set(rev.uid, toGraphObject(rev));
    }
  }
  return [...objects.values()];
}
