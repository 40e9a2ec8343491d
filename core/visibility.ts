/**
 * How the queries ask a Viewer (core/access.ts) what it may see: one decision per (kind,
 * namespace), never per object. A single-object read needs `get`; anything listed needs `list`,
 * asked once cluster-wide and, only when that is refused, per namespace. The Viewer memoizes
 * decisions for the request; these helpers add the "cluster-wide first" rule and the 403 error.
 */
import type { ReadAttributes, Viewer } from './access.ts';
import { KubetimeError } from './errors.ts';
import { builtinKind, guessResource } from './kinds.ts';
import { groupKind } from './record.ts';
import type { SeenKind } from './ports.ts';

/** What an authorization check needs of a kind. */
export interface KindRef { group: string; resource: string }

/** The 403 for a refused read; its details name exactly what was refused. */
export function forbidden(viewer: Viewer, a: ReadAttributes): KubetimeError {
  const who = viewer.subject?.user ?? 'this caller';
  const what = `${a.verb} ${a.resource}${a.group ? `.${a.group}` : ''}${a.name ? ` ${a.name}` : ''}`;
  const where = a.namespace ? ` in namespace ${a.namespace}` : a.verb === 'list' ? ' (all namespaces or cluster-scoped)' : '';
  return new KubetimeError('FORBIDDEN', `${who} may not ${what}${where} in cluster ${a.cluster}`, {
    user: who, cluster: a.cluster, verb: a.verb, group: a.group, resource: a.resource, namespace: a.namespace,
    ...(a.name ? { name: a.name } : {}),
  });
}

/**
 * Resolves when the viewer may make the read; otherwise throws FORBIDDEN. The decision is asked
 * per (kind, namespace), without the object's name, so that it is shared by every object read
 * (an RBAC rule limited to resourceNames therefore grants nothing here: fail closed); the name,
 * when given, only goes into the error.
 */
export async function requireRead(viewer: Viewer, a: ReadAttributes, name?: string): Promise<void> {
  if (!(await viewer.may(a))) throw forbidden(viewer, { ...a, ...(name ? { name } : {}) });
}

/**
 * "May the viewer list objects of this kind in this namespace" for one cluster, as a list across
 * namespaces asks it: `list` cluster-wide once per kind; when refused, `list` in each namespace met.
 * Cluster-scoped objects (namespace "") need the cluster-wide `list`.
 */
export class ListVisibility {
  readonly #viewer: Viewer;
  readonly #cluster: string;
  readonly #decided = new Map<string, Promise<boolean>>();

  constructor(viewer: Viewer, cluster: string) {
    this.#viewer = viewer;
    this.#cluster = cluster;
  }

  may(kind: KindRef, namespace: string): Promise<boolean> {
    const key = `${kind.group}/${kind.resource}/${namespace}`;
    let d = this.#decided.get(key);
    if (!d) {
      d = this.#wide(kind).then((wide) => wide || (namespace !== '' && this.#ask(kind, namespace)));
      this.#decided.set(key, d);
    }
    return d;
  }

  #wide(kind: KindRef): Promise<boolean> {
    return this.#ask(kind, '');
  }

  #ask(kind: KindRef, namespace: string): Promise<boolean> {
    return this.#viewer.may({ cluster: this.#cluster, verb: 'list', group: kind.group, resource: kind.resource, namespace });
  }
}

/** (group, kind) → plural resource: the kinds seen in the data, the built-in table, else a guess. */
export function resourceLookup(seen: readonly SeenKind[]): (group: string, kind: string) => string {
  const bySeen = new Map(seen.map((k) => [groupKind(k.group, k.kind), k.resource]));
  return (group, kind) => bySeen.get(groupKind(group, kind)) ?? builtinKind(group, kind)?.resource ?? guessResource(kind);
}

/**
 * The namespace filter of a list of one kind. A named namespace (or "" for a cluster-scoped kind)
 * must be listable, else FORBIDDEN. Across namespaces: undefined (everything visible) when the
 * viewer may list cluster-wide, else a per-namespace filter.
 */
export async function listFilter(viewer: Viewer, cluster: string, kind: KindRef, namespace: string | undefined): Promise<((namespace: string) => Promise<boolean>) | undefined> {
  const wide: ReadAttributes = { cluster, verb: 'list', group: kind.group, resource: kind.resource, namespace: '' };
  if (namespace !== undefined) {
    await requireRead(viewer, { ...wide, namespace });
    return undefined;
  }
  if (await viewer.may(wide)) return undefined;
  return (ns) => viewer.may({ ...wide, namespace: ns });
}

/**
 * The entries of `entries` that `visible` admits, in order. Decisions are asked for `chunk`
 * entries at once, so a feed meeting many new (kind, namespace) pairs waits for one round of
 * reviews per chunk instead of one per pair; at most `chunk - 1` entries are read ahead.
 */
export async function* visibleOnly<T>(entries: AsyncIterable<T>, visible: (e: T) => Promise<boolean>, chunk = 64): AsyncGenerator<T> {
  let batch: T[] = [];
  const admitted = async () => {
    const shown = await Promise.all(batch.map(visible));
    const out = batch.filter((_, i) => shown[i]);
    batch = [];
    return out;
  };
  for await (const e of entries) {
    batch.push(e);
    if (batch.length >= chunk) yield* await admitted();
  }
  if (batch.length) yield* await admitted();
}
