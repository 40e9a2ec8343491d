/**
 * Request and response types of the history queries (core/queries.ts). Times are Micros here;
 * history-api formats them as RFC 3339 UTC. Kinds are the user's strings, resolved by the queries
 * (core/kinds.ts). Every request's `cluster` is optional while the store holds one cluster.
 */
import type { FailureQueries } from './failures/types.ts';
import type { JsonPatchOp } from './json-patch.ts';
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

export interface ObjectAtRequest { cluster?: string; kind: string; namespace?: string; name: string; at: Micros }
export interface ObjectAtResult { cluster: string; at: Micros; object: KubeObject; revision: RevisionInfo }

export interface ListAtRequest {
  cluster?: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  at: Micros;
  limit?: number;
  continue?: string;
}
export interface ListAtResult { cluster: string; at: Micros; items: KubeObject[]; continue?: string }

export interface HistoryRequest {
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
}
export interface HistoryItem extends RevisionInfo { uid: string; patch: JsonPatchOp[]; object?: KubeObject }
export interface HistoryResult { cluster: string; items: HistoryItem[] }

export interface DiffObjectRequest {
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

export interface Ref { kind: string; namespace?: string; name: string }

export interface DiffScopeRequest {
  cluster?: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  from: Micros;
  to: Micros;
  raw?: boolean;
}
export interface DiffScopeResult {
  cluster: string;
  from: Micros;
  to: Micros;
  added: Ref[];
  removed: Ref[];
  changed: { ref: Ref; patch: JsonPatchOp[] }[];
}

export const EDGE_TYPES = ['owns', 'selects', 'scheduled-on', 'routes-to', 'mounts', 'binds'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

export interface GraphRequest { cluster?: string; kind: string; namespace?: string; name: string; at: Micros; hops?: number }
export interface GraphResult {
  cluster: string;
  at: Micros;
  nodes: (Ref & { uid: string })[];
  edges: { from: Ref; to: Ref; type: EdgeType }[];
}

export interface ChangesRequest {
  cluster?: string;
  from: Micros;
  to: Micros;
  namespace?: string;
  kind?: string;
  name?: string;
  /** Matches actor.username exactly (or impersonated user). */
  actor?: string;
  limit?: number;
}
export interface ChangeItem extends RevisionInfo { kind: string; namespace: string; name: string; uid: string }
export interface ChangesResult { cluster: string; items: ChangeItem[] }

export interface EventsRequest {
  cluster?: string;
  from: Micros;
  to: Micros;
  namespace?: string;
  kind?: string;
  name?: string;
  limit?: number;
}
export interface EventsResult { cluster: string; items: KubeObject[] }

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
  clusters(): Promise<ClustersResult>;
}
