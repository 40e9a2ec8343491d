/**
 * The canonical change record: one observed change to one Kubernetes object, from any source
 * (watch, relist, audit webhook, audit log import, snapshot restore).
 *
 * Identity and ordering — the rules every store and query relies on:
 * - A *revision* is identified by (cluster, uid, resourceVersion). Two records with the same
 *   identity are the same revision seen twice (e.g. by the watch and by the audit sink) and are
 *   merged, never stored twice (see `mergeRecords`). A DELETED record is identified by
 *   (cluster, uid, "DELETED") because a uid is deleted at most once and an audit delete answered
 *   with a Status carries no resourceVersion.
 * - Revisions of one object are ordered by `ts`; equal `ts` are ordered by resourceVersion
 *   (numerically when both are integers, as etcd revisions are; otherwise as strings), and a
 *   DELETED record sorts after every other revision of its uid with the same ts.
 * - "State at T" includes every revision with ts <= T.
 */
import { z } from 'zod';
import { groupKind, type KubeObject } from '../k8s/object.ts';
import type { Micros } from './time.ts';

/** The Kubernetes object and its group-kind name live in k8s/; re-exported for kubetime's modules. */
export { groupKind, type KubeObject } from '../k8s/object.ts';

export const OPS = ['ADDED', 'MODIFIED', 'DELETED'] as const;
export type Op = (typeof OPS)[number];

/** Where a record came from. Merged revisions join their sources with "+" (`watch+audit`). */
export type Source = 'watch' | 'relist' | 'audit' | 'import' | 'snapshot';

export const actorSchema = z.object({
  username: z.string(),
  groups: z.array(z.string()).optional(),
  userAgent: z.string().optional(),
  /** The user the request impersonated (audit `impersonatedUser.username`), when any. */
  impersonatedUser: z.string().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

export const changeRecordSchema = z.object({
  cluster: z.string().min(1),
  apiVersion: z.string().min(1),
  group: z.string(),
  kind: z.string().min(1),
  resource: z.string().min(1),
  /** "" for cluster-scoped objects. */
  namespace: z.string(),
  name: z.string().min(1),
  uid: z.string().min(1),
  /** "" only for an audit DELETED answered with a Status (no new resourceVersion is known). */
  resourceVersion: z.string(),
  op: z.enum(OPS),
  /** When the change happened, in µs: the audit stageTimestamp, or the watch observation time. */
  ts: z.number().int(),
  /** When kubetime learned of it, in µs. */
  observedAt: z.number().int(),
  source: z.string().min(1),
  actor: actorSchema.optional(),
  /** The API verb (create, update, patch, delete, deletecollection) when an audit event told it. */
  verb: z.string().optional(),
  /** The audit event id, when the record came from one. */
  auditID: z.string().optional(),
  /** Set when the exact time is unknown (a relist found the change after a gap in the watch). */
  gap: z.boolean().optional(),
  /**
   * The object after the change; for DELETED, its last known state (null when a source could
   * not tell, e.g. an audit delete answered with a Status: the store then keeps the previous state).
   */
  object: z.record(z.string(), z.unknown()).nullable(),
});

export type ChangeRecord = z.infer<typeof changeRecordSchema> & { object: KubeObject | null };

/** Identifies one object name over time (several uids may have carried it). */
export interface ObjectKey {
  cluster: string;
  /** groupKind(): `Deployment.apps` */
  gk: string;
  namespace: string;
  name: string;
}

export function objectKeyOf(r: Pick<ChangeRecord, 'cluster' | 'group' | 'kind' | 'namespace' | 'name'>): ObjectKey {
  return { cluster: r.cluster, gk: groupKind(r.group, r.kind), namespace: r.namespace, name: r.name };
}

/** The identity of a revision (see the module comment). */
export function revisionId(r: Pick<ChangeRecord, 'cluster' | 'uid' | 'resourceVersion' | 'op'>): string {
  return `${r.cluster}\u0000${r.uid}\u0000${r.op === 'DELETED' ? 'DELETED' : r.resourceVersion}`;
}

/** Integers as etcd writes them (no leading zeros), small enough to be exact as a JS number. */
const INT = /^(0|[1-9]\d{0,14})$/;

/** Compares resourceVersions: numerically when both are integers, else as strings. */
export function compareResourceVersions(a: string, b: string): number {
  if (INT.test(a) && INT.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ordering rule for revisions of one object (module comment). */
export function compareRevisions(
  a: Pick<ChangeRecord, 'ts' | 'resourceVersion' | 'op'>,
  b: Pick<ChangeRecord, 'ts' | 'resourceVersion' | 'op'>,
): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  const ad = a.op === 'DELETED' ? 1 : 0;
  const bd = b.op === 'DELETED' ? 1 : 0;
  if (ad !== bd) return ad - bd;
  return compareResourceVersions(a.resourceVersion, b.resourceVersion);
}

/** A sortable form of a resourceVersion for store keys: integers as numbers, else the string. */
export function rvSortKey(rv: string): number | string {
  return INT.test(rv) ? Number(rv) : rv;
}

function rankOf(source: string): number {
  // audit knows the exact time and the actor; a watch knows the object exactly as served.
  return source.includes('audit') || source.includes('import') ? 2 : source.includes('watch') ? 1 : 0;
}

/**
 * Merges two records of the same revision. The audit's time and actor win (they are exact);
 * of two audited requests answering with one revision, the earlier wins: a request that changed
 * nothing (an update or patch to the state already stored, as controllers often send) answers
 * with the unchanged revision after the request that made it, and audit batches may arrive in
 * any order. The object is the one first stored (both sources carry the same revision's
 * content) unless that was unknown; sources are joined. Returns the same object when `incoming`
 * adds nothing, so a duplicate delivery is recognisable (`merged === existing`).
 */
export function mergeRecords(existing: ChangeRecord, incoming: ChangeRecord): ChangeRecord {
  const sources = new Set(existing.source.split('+'));
  const newSources = incoming.source.split('+').filter((s) => !sources.has(s));
  const auditWins = rankOf(incoming.source) === 2 && (rankOf(existing.source) < 2 || incoming.ts < existing.ts);
  const needsObject = existing.object === null && incoming.object !== null;
  const needsActor = !existing.actor && incoming.actor;
  if (newSources.length === 0 && !needsObject && !needsActor && !(auditWins && incoming.ts !== existing.ts)) {
    return existing;
  }
  const merged: ChangeRecord = { ...existing };
  if (newSources.length) merged.source = [...sources, ...newSources].join('+');
  if (auditWins) {
    merged.ts = incoming.ts;
    merged.gap = undefined;
    if (incoming.actor) merged.actor = incoming.actor;
    if (incoming.verb) merged.verb = incoming.verb;
    if (incoming.auditID) merged.auditID = incoming.auditID;
  } else {
    merged.actor ??= incoming.actor;
    merged.verb ??= incoming.verb;
    merged.auditID ??= incoming.auditID;
  }
  // One revision has one content: the object stays as first stored unless it was unknown.
  if (incoming.object && existing.object === null) merged.object = incoming.object;
  if (!merged.resourceVersion && incoming.resourceVersion) merged.resourceVersion = incoming.resourceVersion;
  return merged;
}
