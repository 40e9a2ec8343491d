/**
 * Turning served Kubernetes objects into ChangeRecords, and the per-object state the ingester
 * keeps instead of manifests: uid → {resourceVersion, namespace, name}.
 */
import { redactObject } from '../core/redact.ts';
import { groupKind, type ChangeRecord, type KubeObject, type Op } from '../core/record.ts';
import type { Micros } from '../core/time.ts';

/** One listable and watchable resource, as discovery found it (its preferred version). */
export interface ResourceInfo {
  group: string;
  version: string;
  /** `v1`, `apps/v1`, `example.com/v1alpha1`. */
  apiVersion: string;
  kind: string;
  /** Plural resource name, as in the API path. */
  resource: string;
  namespaced: boolean;
  shortNames: readonly string[];
  /** Discovery's singularName, when the server tells it. */
  singular?: string;
  /** Discovery's categories (`all`), when any. */
  categories?: readonly string[];
  /** groupKind(group, kind). */
  gk: string;
}

/** Fills `apiVersion` and `gk` in from group, version and kind. */
export function resourceInfo(r: Omit<ResourceInfo, 'gk' | 'apiVersion'>): ResourceInfo {
  return { ...r, apiVersion: r.group ? `${r.group}/${r.version}` : r.version, gk: groupKind(r.group, r.kind) };
}

/** What is remembered about one live object: enough to dedupe and to record its deletion. */
export interface Tracked {
  rv: string;
  namespace: string;
  name: string;
  /**
   * Known from the store at a resume, with revisions after the checkpoint: `rv` was lowered to the
   * checkpoint's, so the replay records what the store lacks (resume.ts), and the replay's own
   * event type is the op.
   */
  replay?: true;
}

/** uid → Tracked, for one source (resource + scope). */
export type TrackedMap = Map<string, Tracked>;

export interface ObjectIdentity {
  uid: string;
  name: string;
  namespace: string;
  rv: string;
}

/** The identity fields of a served object, or undefined when any is missing or malformed. */
export function identityOf(obj: unknown): ObjectIdentity | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const meta = (obj as { metadata?: unknown }).metadata;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { uid, name, namespace, resourceVersion } = meta as Record<string, unknown>;
  if (typeof uid !== 'string' || !uid || typeof name !== 'string' || !name) return undefined;
  if (typeof resourceVersion !== 'string' || !resourceVersion) return undefined;
  return { uid, name, namespace: typeof namespace === 'string' ? namespace : '', rv: resourceVersion };
}

const INT = /^\d{1,15}$/;

/** Whether a resourceVersion is an integer (as etcd's revisions are) small enough to compare as a number. */
export function isIntegerRv(rv: string): boolean {
  return INT.test(rv);
}

/**
 * Whether `rv` is a later revision than `known`. resourceVersions are opaque to clients, but
 * every API server in practice serves etcd revisions (integers), which order; for anything else
 * only "different" is known, and different is treated as newer.
 */
export function isNewerRv(rv: string, known: string): boolean {
  if (isIntegerRv(rv) && isIntegerRv(known)) return Number(rv) > Number(known);
  return rv !== known;
}

/** What every record of one source shares. */
export interface RecordContext {
  cluster: string;
  resource: ResourceInfo;
}

/** One record to build: the change, where it came from and when kubetime saw it. */
export interface RecordInput {
  op: Op;
  source: 'watch' | 'relist';
  id: ObjectIdentity;
  /** The object as served; null for a deletion whose last state is unknown. */
  object: unknown;
  now: Micros;
  gap?: boolean;
  /** Overrides id.rv (a relist deletion carries the list's resourceVersion). */
  resourceVersion?: string;
}

/** Builds a record; the object gets apiVersion/kind (list items lack them) and is redacted. */
export function buildRecord(ctx: RecordContext, input: RecordInput): ChangeRecord {
  const res = ctx.resource;
  let object: KubeObject | null = null;
  if (input.object !== null && typeof input.object === 'object') {
    object = redactObject({ apiVersion: res.apiVersion, kind: res.kind, ...(input.object as KubeObject) }, res.kind);
  }
  const record: ChangeRecord = {
    cluster: ctx.cluster,
    apiVersion: res.apiVersion,
    group: res.group,
    kind: res.kind,
    resource: res.resource,
    namespace: res.namespaced ? input.id.namespace : '',
    name: input.id.name,
    uid: input.id.uid,
    resourceVersion: input.resourceVersion ?? input.id.rv,
    op: input.op,
    ts: input.now,
    observedAt: input.now,
    source: input.source,
    object,
  };
  if (input.gap) record.gap = true;
  return record;
}
