/**
 * A small in-process fake of the Kubernetes API behind the KubeApi port, for unit tests:
 * discovery, paged lists with continue tokens, watches from a resourceVersion with replay,
 * bookmarks, compaction (410), dropped, closed and stalled streams, injected list failures.
 * The fault tests against a real HTTP server use the simulator (simulator/).
 */
import { KubeApiError, type KubeApi, type Query, type WatchEvent } from '../watch/kube-api.ts';

export interface FakeResourceDef {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  verbs?: string[];
  shortNames?: string[];
  singularName?: string;
  categories?: string[];
}

type Obj = { metadata: { uid: string; name: string; namespace?: string; resourceVersion: string }; [k: string]: unknown };

interface Res {
  def: FakeResourceDef;
  objects: Map<string, Obj>;
  events: { rv: number; type: string; object: Obj }[];
  compactedRv: number;
}

interface OpenWatch {
  key: string;
  namespace: string | undefined;
  queue: WatchEvent[];
  wake: (() => void) | undefined;
  ended: 'closed' | 'dropped' | undefined;
  stalled: boolean;
}

const keyOf = (group: string, resource: string) => `${group}/${resource}`;

function parsePath(path: string): { group: string; version: string; namespace?: string; resource: string } | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  return { group: m[2] ?? '', version: (m[1] ?? m[3])!, resource: m[5]!, ...(m[4] ? { namespace: decodeURIComponent(m[4]) } : {}) };
}

export class FakeCluster implements KubeApi {
  rv = 100;
  readonly #res = new Map<string, Res>();
  readonly #watches = new Set<OpenWatch>();
  readonly #continues = new Map<string, { items: Obj[]; offset: number; rv: string }>();
  #uid = 0;
  /** How a too-old resourceVersion is answered: HTTP 410 or an ERROR event. */
  goneAs: 'status' | 'event' = 'event';
  /** Paths of every GET and WATCH, in order. */
  readonly calls: string[] = [];
  /** Fail the next n list GETs (status 0 = transport error). */
  failLists = 0;
  /** Every change, as a watch could have seen it. */
  readonly truth: { uid: string; rv: string; type: string; kind: string }[] = [];

  addResource(def: FakeResourceDef): void {
    this.#res.set(keyOf(def.group, def.resource), { def, objects: new Map(), events: [], compactedRv: 0 });
  }

  removeResource(group: string, resource: string): void {
    this.#res.delete(keyOf(group, resource));
  }

  get openWatches(): number {
    return [...this.#watches].filter((w) => !w.ended).length;
  }

  #emit(res: Res, type: string, object: Obj): void {
    const rv = Number(object.metadata.resourceVersion);
    res.events.push({ rv, type, object });
    this.truth.push({ uid: object.metadata.uid, rv: object.metadata.resourceVersion, type, kind: res.def.kind });
    const key = keyOf(res.def.group, res.def.resource);
    for (const w of this.#watches) {
      if (w.key !== key || w.ended || (w.namespace !== undefined && w.namespace !== (object.metadata.namespace ?? ''))) continue;
      w.queue.push({ type, object: structuredClone(object) });
      w.wake?.();
    }
  }

  #get(group: string, resource: string): Res {
    const r = this.#res.get(keyOf(group, resource));
    if (!r) throw new Error(`fake: no resource ${group}/${resource}`);
    return r;
  }

  create(group: string, resource: string, meta: { name: string; namespace?: string }, body: Record<string, unknown> = {}): Obj {
    const res = this.#get(group, resource);
    const d = res.def;
    const obj: Obj = {
      apiVersion: d.group ? `${d.group}/${d.version}` : d.version,
      kind: d.kind,
      ...structuredClone(body),
      metadata: { name: meta.name, ...(d.namespaced ? { namespace: meta.namespace ?? 'default' } : {}), uid: `uid-${++this.#uid}`, resourceVersion: String(++this.rv) },
    };
    res.objects.set(obj.metadata.uid, obj);
    this.#emit(res, 'ADDED', obj);
    return obj;
  }

  update(group: string, resource: string, uid: string, change: Record<string, unknown>): Obj {
    const res = this.#get(group, resource);
    const prev = res.objects.get(uid);
    if (!prev) throw new Error(`fake: no object ${uid}`);
    const obj: Obj = { ...prev, ...structuredClone(change), metadata: { ...prev.metadata, resourceVersion: String(++this.rv) } };
    res.objects.set(uid, obj);
    this.#emit(res, 'MODIFIED', obj);
    return obj;
  }

  delete(group: string, resource: string, uid: string): void {
    const res = this.#get(group, resource);
    const prev = res.objects.get(uid);
    if (!prev) throw new Error(`fake: no object ${uid}`);
    res.objects.delete(uid);
    this.#emit(res, 'DELETED', { ...prev, metadata: { ...prev.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Forgets history: watches from a resourceVersion before now get 410. */
  compact(): void {
    for (const r of this.#res.values()) r.compactedRv = this.rv;
  }

  /** Ends every open watch: `dropped` with a transport error, `closed` as a normal end. */
  endWatches(how: 'closed' | 'dropped'): void {
    for (const w of this.#watches) {
      w.ended = how;
      w.wake?.();
    }
  }

  /** Open watches go silent (a half-dead connection): they deliver nothing more; new watches work. */
  stallWatches(): void {
    for (const w of this.#watches) w.stalled = true;
  }

  /** Sends a bookmark at the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.#watches) {
      w.queue.push({ type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.rv) } } });
      w.wake?.();
    }
  }

  /** Invalidates every continue token (the next page gets 410). */
  expireContinues(): void {
    this.#continues.clear();
  }

  async get(path: string, query: Query): Promise<unknown> {
    this.calls.push(`GET ${path}`);
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'] };
    if (path === '/apis') return this.#groups();
    const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (gv) return this.#resourceList(gv[2] ?? '', (gv[1] ?? gv[3])!);
    const p = parsePath(path);
    const res = p && this.#res.get(keyOf(p.group, p.resource));
    if (!p || !res) throw new KubeApiError(`GET ${path}: 404`, { status: 404, reason: 'NotFound' });
    if (this.failLists > 0) {
      this.failLists--;
      throw new KubeApiError(`GET ${path}: injected failure`, { status: 0 });
    }
    return this.#list(res, p.namespace, query);
  }

  #groups(): unknown {
    const groups = new Map<string, string>();
    for (const r of this.#res.values()) if (r.def.group) groups.set(r.def.group, r.def.version);
    return {
      kind: 'APIGroupList',
      groups: [...groups].map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
    };
  }

  #resourceList(group: string, version: string): unknown {
    const defs = [...this.#res.values()].map((r) => r.def).filter((d) => d.group === group && d.version === version);
    if (defs.length === 0) throw new KubeApiError('404', { status: 404, reason: 'NotFound' });
    return {
      kind: 'APIResourceList',
      groupVersion: group ? `${group}/${version}` : version,
      resources: defs.flatMap((d) => [
        { name: d.resource, kind: d.kind, namespaced: d.namespaced, verbs: d.verbs ?? ['get', 'list', 'watch', 'create'], shortNames: d.shortNames ?? [], ...(d.singularName ? { singularName: d.singularName } : {}), ...(d.categories ? { categories: d.categories } : {}) },
        { name: `${d.resource}/status`, kind: d.kind, namespaced: d.namespaced, verbs: ['get', 'patch'] },
      ]),
    };
  }

  #list(res: Res, namespace: string | undefined, query: Query): unknown {
    let page: { items: Obj[]; offset: number; rv: string };
    if (query.continue) {
      const c = this.#continues.get(String(query.continue));
      if (!c) throw new KubeApiError('continue token expired', { status: 410, reason: 'Expired' });
      page = c;
    } else {
      const items = [...res.objects.values()]
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        .map((o) => structuredClone(o))
        .map(({ apiVersion: _a, kind: _k, ...rest }) => rest as Obj); // list items carry no apiVersion/kind
      page = { items, offset: 0, rv: String(this.rv) };
    }
    const limit = typeof query.limit === 'number' ? query.limit : page.items.length;
    const items = page.items.slice(page.offset, page.offset + limit);
    const next = page.offset + limit;
    let cont = '';
    if (next < page.items.length) {
      cont = `c${this.#continues.size + 1}-${next}-${Math.random()}`;
      this.#continues.set(cont, { ...page, offset: next });
    }
    return { kind: `${res.def.kind}List`, metadata: { resourceVersion: page.rv, ...(cont ? { continue: cont } : {}) }, items };
  }

  watch(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    this.calls.push(`WATCH ${path}?rv=${String(query.resourceVersion)}`);
    const p = parsePath(path);
    const res = p && this.#res.get(keyOf(p.group, p.resource));
    return this.#stream(res, p?.namespace, Number(query.resourceVersion), signal);
  }

  async *#stream(res: Res | undefined, namespace: string | undefined, from: number, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    if (!res) throw new KubeApiError('404', { status: 404, reason: 'NotFound' });
    if (from < res.compactedRv) {
      if (this.goneAs === 'status') throw new KubeApiError('too old resource version', { status: 410, reason: 'Gone' });
      yield [{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } }];
      return;
    }
    const w: OpenWatch = { key: keyOf(res.def.group, res.def.resource), namespace, queue: [], wake: undefined, ended: undefined, stalled: false };
    for (const e of res.events) {
      if (e.rv > from && (namespace === undefined || e.object.metadata.namespace === namespace)) w.queue.push({ type: e.type, object: structuredClone(e.object) });
    }
    this.#watches.add(w);
    try {
      for (;;) {
        if (signal.aborted) throw new DOMException('aborted', 'AbortError');
        if (w.ended === 'dropped' && !w.stalled) throw new KubeApiError('connection reset', { status: 0 });
        if (w.queue.length && !w.stalled) {
          yield w.queue.splice(0);
          continue;
        }
        if (w.ended === 'closed') return;
        await new Promise<void>((resolve) => {
          w.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        w.wake = undefined;
      }
    } finally {
      this.#watches.delete(w);
    }
  }
}
