/**
 * The simulated cluster's object store: one global resourceVersion counter (like etcd's
 * revision), per-resource tables with history back to the compaction revision, and two
 * subscriptions: watch events (for the server) and mutations with their actor (for audit and
 * the ground truth).
 *
 * Objects handed out by `get`/`list` are the stored ones: treat them as read-only. Writers pass
 * a `mutate` callback that receives a private copy.
 */
import { splitApiVersion } from '../k8s/kinds.ts';
import { groupKind, type KubeObject } from '../k8s/object.ts';
import type { Micros } from '../k8s/time.ts';
import { systemClock, type Clock } from './clock.ts';
import { cloneJson } from './json.ts';
import { managerFromUserAgent, upsertManagedFields, type ManagedFieldsEntry } from './managed-fields.ts';
import { crdManifest } from './manifests/crd.ts';
import type { CompactionWindow, Mutation, MutationContext } from './mutation.ts';
import { Rng } from './prng.ts';
import { ResourceRegistry, type CustomResourceSpec, type ResourceType } from './resources.ts';
import { ResourceTable, objectKey, type LogEntry } from './resource-table.ts';
import { apiError } from './status.ts';
import { k8sTime, seconds } from './time-format.ts';

export type { AuditUser, CompactionWindow, Mutation, MutationContext, Verb } from './mutation.ts';

export interface ClusterOptions {
  clock?: Clock;
  /** Seeds uids and generated names. */
  seed?: number;
  /** Default: five minutes, like the apiserver's etcd compaction interval. */
  compactionWindow?: CompactionWindow;
  registry?: ResourceRegistry;
}

export interface DeleteOptions {
  /** Default: the pod's terminationGracePeriodSeconds (30) for pods, 0 otherwise. */
  gracePeriodSeconds?: number;
}

type Meta = Record<string, unknown> & { name?: string; namespace?: string; generateName?: string; labels?: Record<string, string> };

function metaOf(obj: KubeObject): Meta {
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  return obj.metadata as Meta;
}

export class Cluster {
  readonly registry: ResourceRegistry;
  readonly clock: Clock;
  private readonly rng: Rng;
  private readonly tables = new Map<string, ResourceTable>();
  private readonly eventListeners = new Set<(t: ResourceTable, e: LogEntry) => void>();
  private readonly mutationListeners = new Set<(m: Mutation) => void>();
  private readonly window: CompactionWindow;
  /** (rv, ts) of recent revisions, for time-based compaction. */
  private readonly marks: [number, Micros][] = [];
  private rv = 1;
  private compacted = 0;
  private lastTs = 0;

  constructor(opts: ClusterOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.rng = new Rng((opts.seed ?? 1) ^ 0x5bd1e995);
    this.registry = opts.registry ?? new ResourceRegistry();
    this.window = opts.compactionWindow ?? { seconds: 300 };
  }

  /** The current revision. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Revisions at or below this are compacted: reading from them gets 410 Gone. */
  get compactedRevision(): number {
    return this.compacted;
  }

  table(type: ResourceType): ResourceTable {
    let t = this.tables.get(type.gk);
    if (!t) {
      t = new ResourceTable(type);
      this.tables.set(type.gk, t);
    }
    return t;
  }

  private tableFor(gk: string): ResourceTable {
    const type = this.registry.get(gk);
    if (!type) throw apiError('NotFound', `the server could not find the requested resource (${gk})`);
    return this.table(type);
  }

  /** Subscribes to watch events (the server fans them out). */
  onEvent(fn: (t: ResourceTable, e: LogEntry) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /** Subscribes to committed mutations (audit, ground truth). */
  onMutation(fn: (m: Mutation) => void): () => void {
    this.mutationListeners.add(fn);
    return () => this.mutationListeners.delete(fn);
  }

  /** A fresh uid from the seeded generator. */
  newUid(): string {
    return this.rng.uuid();
  }

  get(gk: string, namespace: string, name: string): KubeObject | undefined {
    return this.tableFor(gk).current(objectKey(namespace, name))?.obj;
  }

  /** Current objects of a kind (optionally one namespace), in key order. */
  list(gk: string, namespace?: string, filter?: (obj: KubeObject) => boolean): KubeObject[] {
    const page = this.tableFor(gk).page({ at: 'latest', namespace, filter: filter && ((v) => filter(v.obj!)) });
    return page.items.map((v) => v.obj!);
  }

  count(gk: string): number {
    return this.tableFor(gk).size;
  }

  /** Total objects that exist now, over every kind. */
  totalObjects(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }

  /** Creates an object (metadata.name or generateName required). Returns the stored object. */
  create(input: KubeObject, ctx: MutationContext): KubeObject {
    const { group } = splitApiVersion(String(input.apiVersion ?? ''));
    const table = this.tableFor(groupKind(group, String(input.kind ?? '')));
    const type = table.type;
    const obj = cloneJson(input);
    const meta = metaOf(obj);
    if (type.namespaced) meta.namespace ||= 'default';
    else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${this.rng.suffix(5)}`;
    if (!meta.name) throw apiError('Invalid', `${type.kind} is invalid: metadata.name: Required value`, { kind: type.resource });
    const ns = meta.namespace ?? '';
    if (table.current(objectKey(ns, meta.name))) {
      throw apiError('AlreadyExists', `${type.resource}${type.group ? '.' + type.group : ''} "${meta.name}" already exists`, { name: meta.name, group: type.group, kind: type.resource });
    }
    obj.apiVersion = type.apiVersion;
    obj.kind = type.kind;
    meta.uid = this.newUid();
    meta.creationTimestamp = k8sTime(this.peekTs());
    // Like the apiserver: core-group kinds (Pod, Node, Service, …) carry no generation.
    if (type.group && obj.spec !== undefined) meta.generation = 1;
    return this.commit(table, obj, undefined, ctx).object;
  }

  /**
   * Changes an object: `mutate` edits a private copy. A change that leaves the object as it was
   * commits nothing (no new revision), like the apiserver's no-op updates.
   */
  update(gk: string, namespace: string, name: string, mutate: (obj: KubeObject) => void, ctx: MutationContext): KubeObject {
    const table = this.tableFor(gk);
    const cur = table.current(objectKey(namespace, name));
    if (!cur) throw this.notFound(table.type, name);
    const next = JSON.parse(cur.json) as KubeObject;
    mutate(next);
    const meta = metaOf(next);
    const before = cur.obj!;
    const prevMeta = before.metadata as Meta;
    Object.assign(meta, { name: prevMeta.name, uid: prevMeta.uid, creationTimestamp: prevMeta.creationTimestamp, resourceVersion: prevMeta.resourceVersion });
    if (table.type.namespaced) meta.namespace = prevMeta.namespace;
    else delete meta.namespace;
    if (JSON.stringify(next) === cur.json) return before;
    if (ctx.subresource !== 'status' && table.type.group && before.spec !== undefined && JSON.stringify(before.spec) !== JSON.stringify(next.spec)) {
      meta.generation = Number(prevMeta.generation ?? 0) + 1;
    }
    if (meta.deletionTimestamp && !(meta.finalizers as unknown[] | undefined)?.length && !meta.deletionGracePeriodSeconds) {
      return this.remove(table, next, before, ctx).object;
    }
    return this.commit(table, next, before, ctx).object;
  }

  /**
   * Deletes an object. With finalizers or a grace period it is only marked (deletionTimestamp,
   * a MODIFIED event); deleting a marked object with grace 0 and no finalizers removes it.
   */
  delete(gk: string, namespace: string, name: string, ctx: MutationContext, opts: DeleteOptions = {}): KubeObject {
    const table = this.tableFor(gk);
    const cur = table.current(objectKey(namespace, name));
    if (!cur) throw this.notFound(table.type, name);
    const before = cur.obj!;
    const next = JSON.parse(cur.json) as KubeObject;
    const meta = metaOf(next);
    const finalizers = (meta.finalizers as unknown[] | undefined)?.length ?? 0;
    const podGrace = (before.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
    const grace = opts.gracePeriodSeconds ?? (table.type.gk === 'Pod' ? podGrace : 0);
    if (meta.deletionTimestamp) {
      if (finalizers === 0 && grace === 0) {
        // As kube-apiserver does: the final delete of a terminating object answers with its
        // grace period shortened to 0 (seen with a real apiserver: test/e2e/fidelity.test.ts).
        meta.deletionGracePeriodSeconds = 0;
        return this.remove(table, next, before, ctx).object;
      }
      return before;
    }
    if (finalizers === 0 && grace === 0) return this.remove(table, next, before, ctx).object;
    meta.deletionTimestamp = k8sTime(this.peekTs() + seconds(grace));
    meta.deletionGracePeriodSeconds = grace;
    return this.commit(table, next, before, ctx, 200).object;
  }

  /** Registers a custom resource and creates its CustomResourceDefinition object. */
  addCustomResource(spec: CustomResourceSpec, ctx: MutationContext): ResourceType {
    const type = this.registry.addCustom(spec);
    const crdName = `${type.resource}.${type.group}`;
    if (!this.get('CustomResourceDefinition.apiextensions.k8s.io', '', crdName)) {
      this.create(crdManifest(type), ctx);
    }
    return type;
  }

  /** Compacts history up to `toRv` (default: the current revision): older reads get 410. */
  compact(toRv = this.rv): void {
    if (toRv <= this.compacted) return;
    this.compacted = Math.min(toRv, this.rv);
    for (const t of this.tables.values()) t.compact(this.compacted);
  }

  private notFound(type: ResourceType, name: string) {
    return apiError('NotFound', `${type.resource}${type.group ? '.' + type.group : ''} "${name}" not found`, { name, group: type.group, kind: type.resource });
  }

  /** The timestamp the next mutation will get (monotonic, at least 1 µs apart). */
  private peekTs(): Micros {
    return Math.max(this.clock.now(), this.lastTs + 1);
  }

  private remove(table: ResourceTable, obj: KubeObject, before: KubeObject, ctx: MutationContext): Mutation {
    return this.commit(table, obj, before, ctx, 200, true);
  }

  private commit(table: ResourceTable, obj: KubeObject, previous: KubeObject | undefined, ctx: MutationContext, code?: number, deleted = false): Mutation {
    const rv = ++this.rv;
    const ts = this.peekTs();
    this.lastTs = ts;
    const meta = metaOf(obj);
    meta.resourceVersion = String(rv);
    if (!deleted) {
      const mf = upsertManagedFields(meta.managedFields as ManagedFieldsEntry[] | undefined, {
        obj, manager: ctx.fieldManager ?? managerFromUserAgent(ctx.userAgent), subresource: ctx.subresource, time: k8sTime(ts), apiVersion: table.type.apiVersion,
      });
      if (mf) meta.managedFields = mf;
    }
    const json = JSON.stringify(obj);
    const namespace = (meta.namespace as string | undefined) ?? '';
    const name = meta.name as string;
    const base = { rv, key: objectKey(namespace, name), namespace, json, labels: meta.labels };
    const entry = deleted ? table.remove(base) : table.put(base, obj);
    for (const l of this.eventListeners) l(table, entry);
    const m: Mutation = {
      rv, ts, op: entry.type, type: table.type, namespace, name, uid: meta.uid as string,
      object: obj, json, previous, ctx, code: code ?? (previous ? 200 : 201),
    };
    for (const l of this.mutationListeners) l(m);
    this.autoCompact(rv, ts);
    return m;
  }

  private autoCompact(rv: number, ts: Micros): void {
    let target = this.compacted;
    if (this.window.revisions !== undefined) target = Math.max(target, rv - this.window.revisions);
    if (this.window.seconds !== undefined) {
      this.marks.push([rv, ts]);
      const horizon = ts - seconds(this.window.seconds);
      while (this.marks.length && this.marks[0]![1] < horizon) target = Math.max(target, this.marks.shift()![0]);
    }
    if (target > this.compacted) this.compact(target);
  }
}
