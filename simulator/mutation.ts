/** The types of a change to the simulated cluster: who made it, through which request, and what it produced. */
import type { KubeObject, WatchEventType } from '../k8s/object.ts';
import type { Micros } from '../k8s/time.ts';
import type { ResourceType } from './resources.ts';

/** Who made a request, as an audit event's `user` carries it. */
export interface AuditUser {
  username: string;
  uid?: string;
  groups: string[];
}

export type Verb = 'create' | 'update' | 'patch' | 'delete';

/** The API request behind a mutation. */
export interface MutationContext {
  user: AuditUser;
  userAgent: string;
  verb: Verb;
  subresource?: string;
  /** False for changes no API request made (an Event expiring): they produce no audit event. */
  audited?: boolean;
  fieldManager?: string;
}

/** One committed change: a new revision of one object. */
export interface Mutation {
  rv: number;
  /** When it happened (µs); strictly increasing across mutations. */
  ts: Micros;
  op: WatchEventType;
  type: ResourceType;
  namespace: string;
  name: string;
  uid: string;
  /** The object after the change; for DELETED, its last state with the deletion's resourceVersion. */
  object: KubeObject;
  json: string;
  previous: KubeObject | undefined;
  ctx: MutationContext;
  /** The HTTP status the request was answered with (201 for create). */
  code: number;
}

/** How much history the store keeps; watching or continuing from an older revision gets 410. */
export interface CompactionWindow {
  /** Keep at least the last N revisions. */
  revisions?: number;
  /** Keep revisions younger than this many seconds of clock time. */
  seconds?: number;
}
