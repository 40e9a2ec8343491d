/**
 * Request and response types of the history queries (core/queries.ts). Times are Micros here;
 * history-api formats them as RFC 3339 UTC. Kinds are the user's strings, resolved by the queries
 * (core/kinds.ts). Every request's `cluster` is optional while the store holds one cluster.
 */
import type { Viewer } from './access.ts';
import type { FailureQueries } from './failures/types.ts';
import type { JsonPatchOp } from '../k8s/json-patch.ts';
import type { KindInfo } from './kinds.ts';
import type { EventGroup } from './present/events.ts';
import type { ValueChange } from './present/diff.ts';
import type { Actor, KubeObject, Op } from './record.ts';
import type { Micros } from './time.ts';

export interface RevisionInfo {
  ts: Micros;
  op: Op;
  resourceVersion: string;
  source: string;
  actor?: Actor;
  verb?: string;
  /** True when the exact time is unknown (found by a relist after a watch gap). */
  gap?: boolean;
}

/** Who asks: every query filters its answer through the viewer (core/access.ts, core/visibility.ts). */
export interface Viewed { viewer: Viewer }

export interface ObjectAtRequest extends Viewed { cluster?: string; kind: string; namespace?: string; name: string; at: Micros }
export interface ObjectAtResult { cluster: string; at: Micros; object: KubeObject; revision: RevisionInfo }

export interface ListAtRequest extends Viewed {
  cluster?: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  at: Micros;
  limit?: number;
  continue?: string;
  /**
   * The answer is shown as summary rows only (view=summary, no `fields`): items may then be slim
   * objects (core/present/slim.ts), which give the same rows, wide cells and selector matches.
   */
  summary?: boolean;
  /**
   * The answer is shown as manifests in this view, nothing else (view=raw or full, no `fields`):
   * the result then carries `texts`, each object's JSON text as the view shows it, instead of
   * `items`, where the store answers them (HistoryStore.objectTextsAt; core/present/view.ts VIEW_TEXTS).
   * `tableRow`: each object as a Table row reads it (core/present/slim.ts TABLE_ROW_TEXT: its slim
   * object and its metadata's JSON text), for the kinds a summary list reads slim objects of.
   */
  text?: 'raw' | 'full' | 'tableRow';
}
export interface ListAtResult {
  cluster: string; at: Micros; items: KubeObject[]; continue?: string;
  /** Only when `text` was asked and answered as text: the objects' texts in that variant, in list order (`items` is then empty). */
  texts?: string[];
}

export interface HistoryRequest extends Viewed {
  cluster?: string;
  kind: string;
  namespace?: string;
  name: string;
  from?: Micros;
  to?: Micros;
  limit?: number;
  /** Include each revision's full object (default: only the first revision's). */
  objects?: boolean;
  /** Keep metadata.managedFields, resourceVersion and generation in the patches. */
  raw?: boolean;
  /** A token from a previous page (core/present/paging.ts); its window wins over from/to. */
  continue?: string;
}
export interface HistoryItem extends RevisionInfo { uid: string; patch: JsonPatchOp[]; object?: KubeObject }
export interface HistoryResult { cluster: string; from?: Micros; to?: Micros; items: HistoryItem[]; continue?: string }

export interface DiffObjectRequest extends Viewed {
  cluster?: string;
  kind: string;
  namespace?: string;
  name: string;
  from: Micros;
  to: Micros;
  /** Keep metadata.managedFields, resourceVersion and generation in the patch. */
  raw?: boolean;
}
export interface DiffObjectResult {
  cluster: string;
  from: Micros;
  to: Micros;
  before: KubeObject | null;
  after: KubeObject | null;
  patch: JsonPatchOp[];
  paths: string[];
}

export type { Ref } from './ref.ts';
import type { Ref, WindowScope } from './ref.ts';

export interface DiffScopeRequest extends Viewed {
  cluster?: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  from: Micros;
  to: Micros;
  raw?: boolean;
  limit?: number;
  continue?: string;
}
/** An object created or deleted within the window, with its state at `to` (added) or `from` (removed). */
export interface ScopeEntry { ref: Ref; object: KubeObject }
export interface DiffScopeResult {
  cluster: string;
  from: Micros;
  to: Micros;
  added: ScopeEntry[];
  removed: ScopeEntry[];
  changed: { ref: Ref; patch: JsonPatchOp[]; changes: ValueChange[] }[];
  continue?: string;
}

export const EDGE_TYPES = ['owns', 'selects', 'scheduled-on', 'routes-to', 'mounts', 'binds'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

export interface GraphRequest extends Viewed { cluster?: string; kind: string; namespace?: string; name: string; at: Micros; hops?: number; limit?: number; continue?: string }
export interface GraphResult {
  cluster: string;
  at: Micros;
  nodes: (Ref & { uid: string })[];
  edges: { from: Ref; to: Ref; type: EdgeType }[];
  continue?: string;
  /** Set when the graph reached MAX_GRAPH_NODES / MAX_GRAPH_EDGES and was cut (core/graph.ts). */
  truncated?: boolean;
}

export interface ChangesRequest extends Viewed, WindowScope {
  /** Matches actor.username exactly (or impersonated user). */
  actor?: string;
  /** Leave out changes whose actor is a `system:` user (controllers, kubelets, the scheduler). */
  excludeSystem?: boolean;
  continue?: string;
}
export interface ChangeItem extends RevisionInfo { kind: string; namespace: string; name: string; uid: string }
export interface ChangesResult { cluster: string; from: Micros; to: Micros; items: ChangeItem[]; continue?: string }

export interface EventsRequest extends Viewed, WindowScope {
  continue?: string;
  /** By the Event's last time: newest first (default, like the change feed) or oldest first. */
  order?: 'asc' | 'desc';
  /** `Normal` or `Warning`. */
  type?: string;
  reason?: string;
  /** Fold Events by (object, reason, message) before paging (core/present/events.ts). */
  aggregate?: boolean;
}
export interface EventsResult { cluster: string; from: Micros; to: Micros; items: KubeObject[] | EventGroup[]; continue?: string }

export type ClustersRequest = Viewed;

/** Every kind a cluster's history can be asked about: built in, served (discovery) or recorded. */
export interface KindsRequest extends Viewed { cluster?: string }
export interface KindsResult { cluster: string; items: KindInfo[] }

export interface ClustersResult { items: { name: string; firstSeen: Micros; lastSeen: Micros }[] }

/** The query surface history-api serves; implemented by core/queries.ts over a HistoryStore. */
export interface HistoryQueries extends FailureQueries {
  objectAt(r: ObjectAtRequest): Promise<ObjectAtResult>;
  listAt(r: ListAtRequest): Promise<ListAtResult>;
  history(r: HistoryRequest): Promise<HistoryResult>;
  diffObject(r: DiffObjectRequest): Promise<DiffObjectResult>;
  diffScope(r: DiffScopeRequest): Promise<DiffScopeResult>;
  graph(r: GraphRequest): Promise<GraphResult>;
  changes(r: ChangesRequest): Promise<ChangesResult>;
  events(r: EventsRequest): Promise<EventsResult>;
  clusters(r: ClustersRequest): Promise<ClustersResult>;
  /** The kind catalog (kinds.ts kindCatalog): what a Kubernetes discovery document lists. */
  kinds(r: KindsRequest): Promise<KindsResult>;
}
