/**
 * Kubernetes audit events (audit.k8s.io/v1 Event) → change records.
 *
 * Only completed, successful mutations count: stage ResponseComplete, verb create / update /
 * patch / delete / deletecollection, a 2xx responseStatus. The object is the `responseObject`
 * (never the request, never invented):
 * - a response that is the object itself (its kind, with uid and resourceVersion) → ADDED for
 *   create and for a patch or update answered 201 (server-side apply creating), otherwise MODIFIED; a delete answered with the object carrying `deletionTimestamp`
 *   leaves it existing and terminating (MODIFIED) — unless no grace period and no finalizer is
 *   left, when the same request removed it (a pod's final delete, an update removing the last
 *   finalizer): DELETED; a delete answered with the object without it means it is gone;
 * - a delete answered with a Status means it is gone: DELETED, object unknown (the store keeps
 *   the last state), identified by the uid from `objectRef.uid` or `details.uid`;
 * - deletecollection answered with a list: each item as a delete answered with that item;
 * - a response with the object's metadata alone (PartialObjectMetadata, as the garbage collector's
 *   and the namespace controller's metadata clients ask for): a removal is DELETED without object,
 *   any other write an attribution to the revision with that resourceVersion;
 * - subresources count only when the response is the parent object (status, ephemeralcontainers,
 *   resize): a Scale, a Binding's Status or an Eviction's Status tells no new object state, and
 *   the watch records what followed. A Scale, a Binding and an Eviction still name the revision
 *   they made, and a grace-0 delete the update it made just before removing the object: these
 *   become attributions (ingester/attribution/attributor.ts), which give that watched revision its exact time
 *   and actor.
 * Events without a response body (Metadata or Request level, as audit policies often log Secrets
 * and custom resources) record nothing themselves; a create, update, patch or delete of an object
 * named in `objectRef`, or a write of a subresource that changes it (status, scale, binding,
 * ephemeralcontainers, resize, finalize, approval), becomes an attribution by name and time: the
 * watched revision it made between the request's receipt and its response (ingester/attribution/attributor.ts,
 * `within`); a deletecollection, one by kind, namespace and time (`collection`).
 * ingester/attribution/ATTRIBUTION.md tables every case.
 */
import { invalidArgument } from '../../core/errors.ts';
import { builtinKind, guessResource, splitApiVersion, BUILTIN_KINDS } from '../../core/kinds.ts';
import { redactObject } from '../../core/redact.ts';
import { groupKind, type Actor, type ChangeRecord, type KubeObject, type Op } from '../../core/record.ts';
import type { Attribution } from '../attribution/attributor.ts';
import { parseRfc3339, type Micros } from '../../core/time.ts';

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface AuditConversionOptions {
  cluster: string;
  observedAt: Micros;
  /** Kind for a (group, resource) the built-in table lacks (CRDs), e.g. from the kinds seen in the store. */
  kindForResource?: (group: string, resource: string) => string | undefined;
}

/** Why an audit event produced no record (for metrics and import reports). */
export type SkipReason = 'not-mutation' | 'stage' | 'failed' | 'unchanged' | 'no-object' | 'subresource' | 'malformed';

export interface Conversion {
  records: ChangeRecord[];
  /** What the event tells about revisions it does not carry (module comment). */
  attributions?: Attribution[];
  /** Why no record came of it (an event with only attributions says 'subresource'). */
  skipped?: SkipReason;
}

function actorOf(e: Obj): Actor | undefined {
  const user = asObj(e.user);
  const username = str(user?.username);
  if (!username) return undefined;
  const groups = Array.isArray(user?.groups) ? user.groups.filter((g): g is string => typeof g === 'string') : undefined;
  const imp = str(asObj(e.impersonatedUser)?.username);
  const ua = str(e.userAgent);
  return { username, ...(groups?.length ? { groups } : {}), ...(ua ? { userAgent: ua } : {}), ...(imp ? { impersonatedUser: imp } : {}) };
}

function kindOf(group: string, resource: string, opts: AuditConversionOptions): string | undefined {
  const builtin = BUILTIN_KINDS.find((k) => k.group === group && k.resource === resource);
  return builtin?.kind ?? opts.kindForResource?.(group, resource);
}

function isFullObject(o: Obj | undefined): o is KubeObject {
  const meta = asObj(o?.metadata);
  return !!o && !!str(o.kind) && !!str(o.apiVersion) && !!str(meta?.uid) && !!str(meta?.resourceVersion) && !!str(meta?.name);
}

/** Whether `obj` is an object of the resource the event addressed (not a Scale, Status, List, …). */
function isObjectOf(obj: KubeObject, group: string, resource: string): boolean {
  const { group: g } = splitApiVersion(String(obj.apiVersion));
  if (g !== group) return false;
  const kind = String(obj.kind);
  return (builtinKind(g, kind)?.resource ?? guessResource(kind)) === resource || !builtinKind(g, kind);
}

function recordFor(obj: KubeObject, op: Op, base: Omit<ChangeRecord, 'apiVersion' | 'group' | 'kind' | 'namespace' | 'name' | 'uid' | 'resourceVersion' | 'op' | 'object'>): ChangeRecord {
  const meta = obj.metadata as Obj;
  const kind = String(obj.kind);
  const { group } = splitApiVersion(String(obj.apiVersion));
  return {
    ...base, apiVersion: String(obj.apiVersion), group, kind,
    namespace: str(meta.namespace) ?? '', name: String(meta.name), uid: String(meta.uid),
    resourceVersion: String(meta.resourceVersion), op, object: redactObject(obj, kind),
  };
}

/**
 * Whether the request that answered with `obj` removed it although the answer carries a
 * deletionTimestamp: no grace period left and no finalizers (a pod's final delete with grace 0;
 * an update that removed the last finalizer of an object being deleted).
 */
function removedBy(obj: KubeObject): boolean {
  const meta = asObj(obj.metadata);
  const finalizers = Array.isArray(meta?.finalizers) ? meta.finalizers.length : 0;
  return !!meta?.deletionTimestamp && meta.deletionGracePeriodSeconds === 0 && finalizers === 0;
}

/**
 * Whether an update or patch changed nothing: its request was conditional on the resourceVersion
 * it answered with (a change would have given a new one). Controllers send many such requests;
 * the revision they answer with was made, and is recorded, by an earlier request. (A request
 * without that condition that changed nothing is not recognisable here: the store keeps the
 * earliest audited request of a revision, core/record.ts `mergeRecords`.)
 */
function changedNothing(e: Obj, verb: string, resp: KubeObject): boolean {
  if (verb !== 'update' && verb !== 'patch') return false;
  const asked = str(asObj(asObj(e.requestObject)?.metadata)?.resourceVersion);
  return asked !== undefined && asked === (resp.metadata as Obj).resourceVersion;
}

type Attribute = (uid: string, m: Attribution['match']) => Attribution;
type Base = Parameters<typeof recordFor>[2];

/** A delete that removed a scheduled pod at once (grace 0) first wrote it with grace period 0. */
function graceZeroUpdate(obj: KubeObject, verb: string, attribution: Attribute): Attribution[] {
  if ((verb !== 'delete' && verb !== 'deletecollection') || !removedBy(obj)) return [];
  const meta = obj.metadata as Obj;
  return [attribution(String(meta.uid), { by: 'graceZeroBefore', rv: String(meta.resourceVersion) })];
}

/**
 * Whether a namespace's `finalize` removed it: the last spec finalizer gone from a namespace being
 * deleted, with no metadata finalizer left (the apiserver deletes it during that update; the
 * namespace controller sends it once the namespace is empty).
 */
function finalizedAway(obj: KubeObject, resource: string, subresource: string | undefined): boolean {
  if (resource !== 'namespaces' || subresource !== 'finalize') return false;
  const meta = asObj(obj.metadata);
  const spec = asObj(obj.spec);
  const none = (v: unknown) => !Array.isArray(v) || v.length === 0;
  return !!meta?.deletionTimestamp && none(meta.finalizers) && none(spec?.finalizers);
}

function deleteOp(obj: KubeObject): Op {
  return !asObj(obj.metadata)?.deletionTimestamp || removedBy(obj) ? 'DELETED' : 'MODIFIED';
}

/** Whether `obj` is the object's metadata alone: what a metadata-only client (the garbage and namespace controllers') asks for. */
function isPartialMetadata(obj: KubeObject): boolean {
  return String(obj.kind) === 'PartialObjectMetadata' && splitApiVersion(String(obj.apiVersion)).group === 'meta.k8s.io';
}

/** The event's object and what it addressed, for records and attributions made from its metadata alone. */
interface Addressed { group: string; resource: string; kind: string | undefined; apiVersion: string; verb: string; base: Base; attribution: Attribute }

/** A DELETED record without object (the store keeps the last state), from the request's address and the object's identity. */
function deletedRecord(at: Addressed, kind: string, m: { namespace: string; name: string; uid: string; rv: string }): ChangeRecord {
  return { ...at.base, apiVersion: at.apiVersion, group: at.group, kind, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.rv, op: 'DELETED', object: null };
}

/**
 * A response that is the object (or its metadata alone, PartialObjectMetadata): its revision as a
 * record, or, from metadata alone, an attribution to the revision the watch records (a removal
 * becomes a DELETED record without object, like a delete answered with a Status). `created`: the
 * request made the object (a create, or a patch or update answered 201: server-side apply).
 */
function fromObject(obj: KubeObject, at: Addressed, created: boolean, subresource: string | undefined): Conversion {
  const { verb } = at;
  const deleting = verb === 'delete' || verb === 'deletecollection';
  const op: Op = created && !subresource ? 'ADDED'
    : deleting ? deleteOp(obj)
    : (!subresource && removedBy(obj)) || finalizedAway(obj, at.resource, subresource) ? 'DELETED' : 'MODIFIED';
  const graceZero = graceZeroUpdate(obj, verb, at.attribution);
  if (!isPartialMetadata(obj)) return { records: [recordFor(obj, op, at.base)], ...(graceZero.length ? { attributions: graceZero } : {}) };
  const meta = obj.metadata as Obj;
  const id = { namespace: str(meta.namespace) ?? '', name: String(meta.name), uid: String(meta.uid), rv: String(meta.resourceVersion) };
  if (op === 'DELETED') {
    if (!at.kind) return { records: [], skipped: 'no-object' };
    return { records: [deletedRecord(at, at.kind, id)], ...(graceZero.length ? { attributions: graceZero } : {}) };
  }
  return { records: [], attributions: [at.attribution(id.uid, { by: 'rv', rv: id.rv })], skipped: 'no-object' };
}

/** Subresources whose write changes the parent object (others, like exec or token, change nothing kubetime records). */
const WRITES_PARENT = new Set(['status', 'scale', 'binding', 'ephemeralcontainers', 'resize', 'finalize', 'approval']);

/** Converts one audit event. Never throws: a malformed event is `skipped: 'malformed'`. */
export function convertAuditEvent(event: unknown, opts: AuditConversionOptions): Conversion {
  const e = asObj(event);
  if (!e) return { records: [], skipped: 'malformed' };
  const verb = str(e.verb) ?? '';
  if (!MUTATING.has(verb)) return { records: [], skipped: 'not-mutation' };
  if (e.stage !== 'ResponseComplete') return { records: [], skipped: 'stage' };
  const code = Number(asObj(e.responseStatus)?.code);
  if (!(code >= 200 && code < 300)) return { records: [], skipped: 'failed' };
  const ref = asObj(e.objectRef);
  const ts = parseRfc3339(str(e.stageTimestamp) ?? '');
  const resource = str(ref?.resource);
  if (!ref || !resource || ts === undefined) return { records: [], skipped: 'malformed' };
  const group = str(ref.apiGroup) ?? '';
  const subresource = str(ref.subresource);
  const actor = actorOf(e);
  const base = {
    cluster: opts.cluster, resource, ts, observedAt: opts.observedAt, source: 'audit', verb,
    ...(actor ? { actor } : {}), ...(str(e.auditID) ? { auditID: str(e.auditID)! } : {}),
  };
  const resp = asObj(e.responseObject);
  const attribution: Attribute = (uid, match) => ({
    cluster: opts.cluster, uid, match, ts, verb, ...(actor ? { actor } : {}), ...(base.auditID ? { auditID: base.auditID } : {}),
  });
  const kind = kindOf(group, resource, opts);
  const apiVersion = group ? `${group}/${str(ref.apiVersion) ?? 'v1'}` : (str(ref.apiVersion) ?? 'v1');
  const at: Addressed = { group, resource, kind, apiVersion, verb, base, attribution };
  // A patch or update answered 201 created the object (server-side apply, `kubectl apply` of a new one).
  const created = verb === 'create' || (code === 201 && (verb === 'patch' || verb === 'update'));
  if (isFullObject(resp)) {
    // A removal answers with the object as it was before (same resourceVersion as asked): it changed something.
    const removal = removedBy(resp) || finalizedAway(resp, resource, subresource);
    if (!removal && changedNothing(e, verb, resp)) return { records: [], skipped: 'unchanged' };
    if (!isPartialMetadata(resp) && !isObjectOf(resp, group, resource)) {
      // A Scale: the parent's uid and the resourceVersion the change gave it.
      const meta = resp.metadata as Obj;
      if (subresource && verb !== 'delete') return { records: [], attributions: [attribution(String(meta.uid), { by: 'rv', rv: String(meta.resourceVersion) })], skipped: 'subresource' };
      return { records: [], skipped: subresource ? 'subresource' : 'malformed' };
    }
    return fromObject(resp, at, created, subresource);
  }
  if (verb === 'deletecollection' && resp && Array.isArray(resp.items)) {
    // Each item as a delete answered with that item (full objects, or their metadata alone). Items
    // of a list carry no kind or apiVersion: the list's tell them (ConfigMapList → ConfigMap).
    const itemKind = str(resp.kind)?.replace(/List$/, '');
    const typed = (item: Obj | undefined) => item && ({ ...(itemKind ? { kind: itemKind } : {}), ...(str(resp.apiVersion) ? { apiVersion: resp.apiVersion } : {}), ...item });
    const each = resp.items.map(asObj).map(typed).filter(isFullObject).map((item) => fromObject(item, at, false, undefined));
    const attributions = each.flatMap((c) => c.attributions ?? []);
    return { records: each.flatMap((c) => c.records), ...(attributions.length ? { attributions } : {}) };
  }
  if (verb === 'create' && subresource === 'binding' && resource === 'pods' && group === '') {
    // The scheduler's Binding names the pod's uid (when the binder set it) and the node.
    const req = asObj(e.requestObject);
    const uid = str(asObj(req?.metadata)?.uid) ?? str(ref.uid);
    const node = str(asObj(req?.target)?.name);
    if (uid && node) return { records: [], attributions: [attribution(uid, { by: 'nodeName', nodeName: node })], skipped: 'subresource' };
  }
  if (verb === 'create' && subresource === 'eviction' && resource === 'pods' && group === '') {
    // An Eviction names the pod by namespace and name; it just marked the pod (DisruptionTarget)
    // and deleted it gracefully: two revisions. A pod that had finished it removes at once.
    const namespace = str(ref.namespace);
    const name = str(ref.name);
    if (namespace && name) {
      const named = { gk: 'Pod', namespace, name };
      const from = Math.min(parseRfc3339(str(e.requestReceivedTimestamp) ?? '') ?? ts, ts);
      return {
        records: [], skipped: 'subresource',
        attributions: [
          { ...attribution('', { by: 'disruptedAt', at: ts }), named }, { ...attribution('', { by: 'terminatingAt', at: ts }), named },
          { ...attribution('', { by: 'removed', window: { from, to: ts, ops: ['DELETED'] } }), named },
        ],
      };
    }
  }
  // A delete that removed the object at once answers with a Status, or (a grace-0 delete of a pod
  // that never ran, seen from kube-apiserver 1.34) with the object without its resourceVersion.
  const goneWithoutRv = verb === 'delete' && !subresource && !!resp && str(resp.kind) !== 'Status' && !str(asObj(resp.metadata)?.resourceVersion);
  if (verb === 'delete' && !subresource && (str(resp?.kind) === 'Status' || goneWithoutRv)) {
    const details = goneWithoutRv ? asObj(resp?.metadata) : asObj(resp?.details);
    const uid = str(ref.uid) ?? str(details?.uid);
    const name = str(ref.name) ?? str(details?.name);
    if (!uid || !name || !kind) return { records: [], skipped: 'no-object' };
    return { records: [deletedRecord(at, kind, { namespace: str(ref.namespace) ?? '', name, uid, rv: '' })] };
  }
  if (e.responseObject === undefined && (!subresource || WRITES_PARENT.has(subresource))) {
    const byTime = attributionByTime({ e, ref, group, resource, verb, ts, kind, created, subresource }, attribution);
    if (byTime) return { records: [], attributions: [byTime], skipped: 'no-object' };
  }
  return { records: [], skipped: subresource ? 'subresource' : 'no-object' };
}

/** What each verb may have made of an object, as the watch sees it. */
const OPS_OF_VERB: Record<string, Op[]> = {
  // An update removing the last finalizer of an object being deleted removes it.
  update: ['MODIFIED', 'DELETED'],
  patch: ['MODIFIED', 'DELETED'],
  // A graceful delete, or one held by finalizers, leaves the object terminating.
  delete: ['DELETED', 'MODIFIED'],
};

/**
 * An event without a response body: the object it names, changed between receipt and response
 * (`ts`, the stageTimestamp the caller parsed); a deletecollection: every object of the kind in
 * the namespace it deleted then.
 */
function attributionByTime(
  ev: { e: Obj; ref: Obj; group: string; resource: string; verb: string; ts: Micros; kind: string | undefined; created: boolean; subresource: string | undefined },
  attribution: Attribute,
): Attribution | undefined {
  const { e, ref, group, ts, kind } = ev;
  if (!kind) return undefined;
  const received = parseRfc3339(str(e.requestReceivedTimestamp) ?? '') ?? ts;
  const from = Math.min(received, ts);
  const gk = groupKind(group, kind);
  const namespace = str(ref.namespace) ?? '';
  if (ev.verb === 'deletecollection') {
    return ev.subresource ? undefined : attribution('', { by: 'collection', gk, namespace, window: { from, to: ts, ops: ['DELETED', 'MODIFIED'] } });
  }
  // A subresource's write changes the parent (its status, its scale, the node it is bound to).
  const ops: Op[] | undefined = ev.subresource ? ['MODIFIED'] : ev.created ? ['ADDED'] : OPS_OF_VERB[ev.verb];
  const name = str(ref.name); // a create by generateName at Metadata level does not tell the name
  if (!ops || !name) return undefined;
  return { ...attribution(str(ref.uid) ?? '', { by: 'within', window: { from, to: ts, ops } }), named: { gk, namespace, name } };
}

/** The events of an `audit.k8s.io/v1` (or v1beta1) EventList body. */
export function eventsOfList(body: unknown): unknown[] {
  const list = asObj(body);
  if (!list || !Array.isArray(list.items)) throw invalidArgument('body', 'expected an audit.k8s.io/v1 EventList with items');
  const kind = list.kind;
  if (kind !== undefined && kind !== 'EventList') throw invalidArgument('body', `expected kind EventList, got ${String(kind)}`);
  return list.items;
}
