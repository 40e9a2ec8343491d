/**
 * Shared plumbing of the queries: cluster and kind resolution, namespace rules, and "the state of
 * an object / a set of objects at T" over the HistoryStore port.
 */
import { mapLimit } from './concurrency.ts';
import { KubetimeError, invalidArgument } from './errors.ts';
import { resolveKind, resolveKinds, type KindInfo, type ResolvedKind } from './kinds.ts';
import type { HistoryStore, Lifetime, Revision, RevisionRef, TextVariant } from './ports.ts';
import { compareResourceVersions, type KubeObject, type ObjectKey } from './record.ts';
import { formatTime, type Micros } from './time.ts';
import type { Viewer } from './access.ts';
import { clustersVisibleTo } from './visible-clusters.ts';
import { pace } from './yield.ts';

export interface ScopeOptions {
  store: HistoryStore;
  /** Cluster name reported while the store is still empty. */
  defaultCluster?: string;
  /**
   * The oldest time still answerable for a cluster (retention horizon, compactor/), if any;
   * a query before it gets HISTORY_EXPIRED.
   */
  horizon?: (cluster: string, scope: { gk?: string; namespace?: string }) => Promise<Micros | undefined>;
  /**
   * The kinds a cluster serves now or served while kubetime ran (discovery and established CRDs,
   * with short names, singular and categories): they resolve before any object of theirs is
   * stored. Composed in cli/; none: the built-in table and the stored kinds only.
   */
  servedKinds?: (cluster: string) => readonly KindInfo[];
}

/** Objects read at once by a list as of T. */
export const LIST_CONCURRENCY = 32;
const LIST_CHUNK = 512;

/** How many revisions back a late-stored earlier revision is looked for (revisionAt). */
export const REORDER_WINDOW = 8;

/**
 * The revision in force among revisions stored at or before some time: a uid's deletion is final
 * for that uid; otherwise the highest resourceVersion wins (etcd orders them as it commits).
 * A deletion known only from an audit Status has no resourceVersion: then time decides.
 */
export function currentOf<R extends RevisionRef>(revs: readonly R[]): R | undefined {
  let best: R | undefined;
  for (const r of revs) {
    if (!best) best = r;
    else if (r.uid === best.uid && r.deleted !== best.deleted) best = r.deleted ? r : best;
    else if (r.resourceVersion && best.resourceVersion ? compareResourceVersions(r.resourceVersion, best.resourceVersion) > 0 : r.ts > best.ts) best = r;
  }
  return best;
}

const refOf = (r: Revision): RevisionRef => ({ ts: r.ts, uid: r.uid, resourceVersion: r.resourceVersion, deleted: r.op === 'DELETED' });
const isRef = (r: Revision, ref: RevisionRef) => r.uid === ref.uid && r.resourceVersion === ref.resourceVersion && (r.op === 'DELETED') === ref.deleted;

import { all } from './async-iter.ts';

export { all };

/** Removes, in place, the keys of namespaces `visible` refuses (one decision per namespace). */
async function dropInvisible(keys: ObjectKey[], visible: (namespace: string) => Promise<boolean>): Promise<void> {
  const namespaces = [...new Set(keys.map((k) => k.namespace))];
  const allowed = new Set((await Promise.all(namespaces.map(async (n) => ((await visible(n)) ? n : undefined)))).filter((n) => n !== undefined));
  if (allowed.size === namespaces.length) return;
  let w = 0;
  for (const k of keys) if (allowed.has(k.namespace)) keys[w++] = k;
  keys.length = w;
}

/** What a list as of T reads: a kind (and namespace) at `at`, from after `after`. */
export interface ListOptions {
  cluster: string; gk: string; namespace?: string; at: Micros; after?: [string, string];
  /** With `keep`: stop reading once that many were kept. */
  enough?: number;
  /** Whether the reader may see a namespace's objects (core/visibility.ts); absent = all. Asked once per namespace, before any object is read. */
  visible?: (namespace: string) => Promise<boolean>;
}

export class Scope {
  readonly store: HistoryStore;
  readonly #opts: ScopeOptions;

  constructor(opts: ScopeOptions) {
    this.store = opts.store;
    this.#opts = opts;
  }

  /**
   * The cluster a request means: the one given, or the only one stored. An error names only the
   * clusters `viewer` may read something of (absent = all).
   */
  async cluster(requested: string | undefined, viewer?: Viewer): Promise<string> {
    const known = (await this.store.clusters()).map((c) => c.name).sort();
    const shown = async () => (viewer ? (await clustersVisibleTo(this.store, viewer)).map((c) => c.name).sort() : known);
    if (requested !== undefined && requested !== '') {
      if (!known.includes(requested) && known.length > 0) {
        const names = await shown();
        throw invalidArgument('cluster', `unknown cluster "${requested}"; known clusters: ${names.join(', ') || 'none you may read'}`, { known: names });
      }
      return requested;
    }
    if (known.length > 1) {
      const names = await shown();
      throw invalidArgument('cluster', `required: the store holds several clusters${names.length ? ` (${names.join(', ')})` : ''}`, { known: names });
    }
    return known[0] ?? this.#opts.defaultCluster ?? 'default';
  }

  async kind(cluster: string, text: string, param = 'kind'): Promise<ResolvedKind> {
    return resolveKind(text, await this.store.kinds(cluster), param, this.#opts.servedKinds?.(cluster));
  }

  /** One kind, or every kind of a category (`all`): kinds.ts `resolveKinds`. */
  async kinds(cluster: string, text: string, param = 'kind'): Promise<ResolvedKind[] & { category?: true }> {
    return resolveKinds(text, await this.store.kinds(cluster), param, this.#opts.servedKinds?.(cluster));
  }

  /** Applies the namespace rules of API.md; returns "" for cluster-scoped kinds. */
  namespaceFor(kind: ResolvedKind, namespace: string | undefined, single: boolean): string | undefined {
    if (!kind.namespaced) {
      if (namespace) throw invalidArgument('namespace', `must be absent: ${kind.kind} is cluster-scoped`);
      return '';
    }
    if (single && !namespace) throw invalidArgument('namespace', `required: ${kind.kind} is namespaced`);
    return namespace || undefined;
  }

  /** Throws HISTORY_EXPIRED when `t` is older than the retained history of the scope. */
  async checkHorizon(cluster: string, t: Micros, param: string, scope: { gk?: string; namespace?: string } = {}): Promise<void> {
    const oldest = await this.#opts.horizon?.(cluster, scope);
    if (oldest !== undefined && t < oldest) {
      throw new KubetimeError('HISTORY_EXPIRED', `${param}: history before ${formatTime(oldest)} has been removed by retention; ask about ${formatTime(oldest)} or later`, { param, oldest: formatTime(oldest) });
    }
  }

  /**
   * The revision in force at `at` for one object name (any uid), or undefined.
   *
   * A watch record's time is when kubetime saw the change, an upper bound of when it happened;
   * an audit record's is exact. So a revision can be stored after a later one (higher
   * resourceVersion) whose audit time is earlier. Whatever is stored at or before T happened at or
   * before T, so the state at T is the *newest by resourceVersion* among them (currentOf), looked
   * for among the last REORDER_WINDOW revisions.
   */
  async revisionAt(key: ObjectKey, at: Micros): Promise<Revision | undefined> {
    if (this.store.revisionAt) return this.store.revisionAt(key, at, REORDER_WINDOW);
    return this.composedRevisionAt(key, at);
  }

  /** revisionAt over `revisionRefs`/`revisions` alone (stores without the fast path; the contract suite compares the two). */
  async composedRevisionAt(key: ObjectKey, at: Micros): Promise<Revision | undefined> {
    const q = { key, to: at, order: 'desc' as const, limit: REORDER_WINDOW };
    const refs = this.store.revisionRefs
      ? await all(this.store.revisionRefs(q))
      : (await all(this.store.revisions({ ...q, objects: false }))).map(refOf);
    const best = currentOf(refs);
    if (!best) return undefined;
    if (best === refs[0]) {
      const [r] = await all(this.store.revisions({ key, to: at, order: 'desc', limit: 1 }));
      if (r && isRef(r, best)) return r;
    }
    const same = await all(this.store.revisions({ key, from: best.ts, to: best.ts, order: 'asc' }));
    return same.find((r) => isRef(r, best));
  }

  /** The object's state at `at`: the revision in force unless that is a deletion. */
  async stateAt(key: ObjectKey, at: Micros): Promise<Revision | undefined> {
    const r = await this.revisionAt(key, at);
    return r && r.op !== 'DELETED' && r.object ? r : undefined;
  }

  /** Every object of a kind (and namespace) that existed at `at`, in (namespace, name) order. */
  async objectsAt(opts: ListOptions & {
    /** Keep only these; with `enough`, stop reading once that many were kept. */
    keep?: (r: Revision) => boolean;
  }): Promise<Revision[]> {
    return this.#readList({ keys: await this.#keysAlive(opts), enough: opts.enough, keep: opts.keep, read: (keys) => this.#statesAt(keys, opts.at) });
  }

  /**
   * objectsAt for summary rows: the same objects, each as its slim object (core/present/slim.ts)
   * where the store keeps one (`summaryStatesAt`), else in full; either gives the same summary
   * row, wide cells and selector matches.
   */
  async summariesAt(opts: ListOptions & { keep?: (o: KubeObject) => boolean }): Promise<KubeObject[]> {
    const summaries = this.store.summaryStatesAt?.bind(this.store);
    if (!summaries) return (await this.objectsAt({ ...opts, keep: opts.keep && ((r) => opts.keep!(r.object!)) })).map((r) => r.object!);
    return this.#readList({
      keys: await this.#keysAlive(opts), enough: opts.enough, keep: opts.keep,
      read: async (chunk) => {
        const slim = await summaries(chunk, opts.at, REORDER_WINDOW);
        const full = await this.#statesAt(chunk.filter((_, i) => slim[i] === 'full'), opts.at);
        let f = 0;
        return slim.map((s) => (s === 'full' ? full[f++]?.object ?? undefined : s ?? undefined));
      },
    });
  }

  /**
   * objectsAt as text, for a store that answers it (`objectTextsAt`; the caller checks): each
   * object's `variant.text`, with its key. `keep` sees the object `variant.parse` (or JSON.parse)
   * reads from its text.
   */
  async objectTextsAt(opts: ListOptions & { variant: TextVariant; keep?: (o: KubeObject) => boolean }): Promise<{ key: ObjectKey; text: string }[]> {
    const texts = this.store.objectTextsAt!.bind(this.store);
    const keep = opts.keep && ((x: { text: string }) => opts.keep!(opts.variant.parse ? opts.variant.parse(x.text) : JSON.parse(x.text) as KubeObject));
    return this.#readList({
      keys: await this.#keysAlive(opts), enough: opts.enough, keep,
      read: async (chunk) => (await texts(chunk, opts.at, REORDER_WINDOW, opts.variant)).map((text, i) => (text ? { key: chunk[i]!, text } : undefined)),
    });
  }

  /** The keys of the objects alive at `at` (one per name), after `after`, that the reader may see. */
  async #keysAlive(opts: ListOptions): Promise<ObjectKey[]> {
    const lives: Lifetime[] = await all(this.store.lifetimes({ cluster: opts.cluster, gk: opts.gk, namespace: opts.namespace, aliveAt: opts.at }));
    const keys: ObjectKey[] = [];
    let last = '';
    for (const l of lives) {
      const id = `${l.key.namespace}\0${l.key.name}`;
      if (id === last) continue; // two uids alive under one name cannot both be current; the revision in force decides
      last = id;
      if (opts.after && (l.key.namespace < opts.after[0] || (l.key.namespace === opts.after[0] && l.key.name <= opts.after[1]))) continue;
      keys.push(l.key);
    }
    if (opts.visible) await dropInvisible(keys, opts.visible);
    return keys;
  }

  async #statesAt(keys: readonly ObjectKey[], at: Micros): Promise<(Revision | undefined)[]> {
    return mapLimit(keys, LIST_CONCURRENCY, async (key) => {
      const state = await this.stateAt(key, at);
      await pace();
      return state;
    });
  }

  /**
   * Reads `keys` in chunks, in order, keeping what `keep` keeps: a store over the network
   * (Cassandra) answers many objects at once far faster than in turn; chunks let a limited list
   * stop early.
   */
  async #readList<T>({ keys, enough, keep, read }: {
    keys: readonly ObjectKey[]; enough?: number; keep?: (x: T) => boolean; read: (chunk: ObjectKey[]) => Promise<(T | undefined)[]>;
  }): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < keys.length && (enough === undefined || out.length < enough); i += LIST_CHUNK) {
      for (const x of await read(keys.slice(i, i + LIST_CHUNK))) if (x !== undefined && (!keep || keep(x))) out.push(x);
      await pace();
    }
    return enough === undefined ? out : out.slice(0, enough);
  }
}
