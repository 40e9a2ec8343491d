/**
 * Audit events for the simulated cluster's mutations, shaped like kube-apiserver's
 * `audit.k8s.io/v1` Events at stage ResponseComplete: deterministic auditIDs, microsecond
 * timestamps, level RequestResponse (Metadata for Secrets, so no Secret data leaves), and the
 * request/response objects a real request would carry. The AuditPoster (audit-poster.ts) sends
 * them to a webhook sink in batches; the ground truth (ground-truth.ts) lists every revision.
 */
import type { KubeObject } from '../k8s/object.ts';
import type { Mutation } from './cluster.ts';
import { fnv1a, stableUuid } from './prng.ts';
import { scaleOf } from './scale.ts';
import { microTime } from './time-format.ts';

export { GroundTruth, type TruthRevision } from './ground-truth.ts';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';

/** An `audit.k8s.io/v1` Event. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: Exclude<AuditLevel, 'None'>;
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups: string[] };
  sourceIPs: string[];
  userAgent: string;
  objectRef: { resource: string; namespace?: string; name: string; uid?: string; apiGroup?: string; apiVersion: string; resourceVersion?: string; subresource?: string };
  responseStatus: { metadata: Record<string, never>; code: number; status?: string };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations: Record<string, string>;
}

/** The `audit.k8s.io/v1` EventList the webhook backend POSTs. */
export interface AuditEventList {
  kind: 'EventList';
  apiVersion: 'audit.k8s.io/v1';
  metadata: Record<string, never>;
  items: AuditEvent[];
}

export interface AuditOptions {
  /** Seeds auditIDs (same seed + same revision → same ID). */
  seed: number;
  /** The audit policy; default: Metadata for Secrets, RequestResponse for everything else. */
  levelFor?: (m: Mutation) => AuditLevel;
}

/** The auditID of the request that made revision `rv`. */
export function auditIdFor(seed: number, rv: number): string {
  return stableUuid(seed, `audit:${rv}`);
}

export function defaultLevel(m: Mutation): AuditLevel {
  return m.type.gk === 'Secret' ? 'Metadata' : 'RequestResponse';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON merge patch that turns `a` into `b` (what a `kubectl patch --type merge` would send). */
export function mergeDiff(a: unknown, b: unknown): unknown {
  if (!isRecord(a) || !isRecord(b)) return b;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) if (!(k in b)) out[k] = null;
  for (const [k, v] of Object.entries(b)) {
    if (!(k in a)) out[k] = v;
    else if (JSON.stringify(a[k]) !== JSON.stringify(v)) out[k] = mergeDiff(a[k], v);
  }
  return out;
}

function requestPath(m: Mutation, withName: boolean): string {
  const t = m.type;
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns = t.namespaced ? `/namespaces/${m.namespace}` : '';
  const name = withName ? `/${m.name}` : '';
  const sub = withName && m.ctx.subresource ? `/${m.ctx.subresource}` : '';
  return `${base}${ns}/${t.resource}${name}${sub}`;
}

function sourceIP(username: string): string {
  const node = /^system:node:ip-(\d+)-(\d+)-(\d+)-(\d+)/.exec(username);
  if (node) return `${node[1]}.${node[2]}.${node[3]}.${node[4]}`;
  const h = fnv1a(username);
  return username.startsWith('system:') ? `10.0.0.${(h % 200) + 10}` : `203.0.113.${(h % 200) + 10}`;
}

function stripServerFields(obj: KubeObject): KubeObject {
  const meta = { ...(obj.metadata as Record<string, unknown>) };
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) delete meta[k];
  return { ...obj, metadata: meta };
}

/** What the client sent: the object, a merge patch, or the subresource's own kind. */
function requestObject(m: Mutation): unknown {
  const meta = { name: m.name, namespace: m.namespace || undefined };
  switch (m.ctx.subresource) {
    case 'binding':
      return { kind: 'Binding', apiVersion: 'v1', metadata: { ...meta, uid: m.uid }, target: { kind: 'Node', name: (m.object.spec as { nodeName?: string }).nodeName } };
    case 'eviction':
      return { kind: 'Eviction', apiVersion: 'policy/v1', metadata: meta };
    case 'scale':
      return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: meta, spec: { replicas: (m.object.spec as { replicas?: number }).replicas } };
  }
  if (m.ctx.verb === 'delete') {
    const grace = m.ctx.user.username.startsWith('system:node:') ? { gracePeriodSeconds: 0 } : { propagationPolicy: 'Background' };
    return { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...grace };
  }
  if (m.ctx.verb === 'patch' && m.previous) return mergeDiff(stripServerFields(m.previous), stripServerFields(m.object));
  return stripServerFields(m.object);
}

function responseObject(m: Mutation): unknown {
  if (m.ctx.subresource === 'binding' || m.ctx.subresource === 'eviction') {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }
  return m.ctx.subresource === 'scale' ? scaleOf(m.object) : m.object;
}

/** The audit event of one mutation; undefined when the policy level is None or no request made it. */
export function toAuditEvent(m: Mutation, opts: AuditOptions): AuditEvent | undefined {
  if (m.ctx.audited === false) return undefined;
  const level = (opts.levelFor ?? defaultLevel)(m);
  if (level === 'None') return undefined;
  const auditID = auditIdFor(opts.seed, m.rv);
  const latency = 300 + (fnv1a(auditID) % 4000);
  const code = m.ctx.subresource === 'binding' || m.ctx.subresource === 'eviction' ? 201 : m.code;
  const objectRef: AuditEvent['objectRef'] = { resource: m.type.resource, namespace: m.namespace || undefined, name: m.name, apiVersion: m.type.version };
  if (m.type.group) objectRef.apiGroup = m.type.group;
  if (m.ctx.verb !== 'create' || m.ctx.subresource) objectRef.uid = m.uid;
  if (m.ctx.subresource) objectRef.subresource = m.ctx.subresource;
  if (!objectRef.namespace) delete objectRef.namespace;
  const ev: AuditEvent = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID,
    stage: 'ResponseComplete',
    requestURI: requestPath(m, m.ctx.verb !== 'create' || !!m.ctx.subresource),
    verb: m.ctx.verb,
    user: m.ctx.user,
    sourceIPs: [sourceIP(m.ctx.user.username)],
    userAgent: m.ctx.userAgent,
    objectRef,
    responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: microTime(m.ts - latency),
    stageTimestamp: microTime(m.ts),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
  if (level !== 'Metadata') ev.requestObject = requestObject(m);
  if (level === 'RequestResponse') ev.responseObject = responseObject(m);
  return ev;
}

/** Wraps events into the EventList body the webhook backend sends. */
export function eventList(items: AuditEvent[]): AuditEventList {
  return { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items };
}
