/**
 * Writes through the HTTP API: create (POST), replace (PUT), patch (merge, strategic-merge as
 * merge, JSON patch), delete, and pod eviction. The scenario engine does not reconcile objects
 * written this way; they are stored, watched and audited like every other change.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { applyPatch, type JsonPatchOp } from '../k8s/json-patch.ts';
import type { KubeObject } from '../k8s/object.ts';
import type { AuditUser, Cluster, MutationContext, Verb } from './cluster.ts';
import { parseObject, readBody, sendJson, sendJsonText, sendStatus, type ApiTarget } from './http-util.ts';
import { scaleOf } from './scale.ts';
import { apiError, failureStatus } from './status.ts';

export interface WriteDeps {
  cluster: Cluster;
  /** Who HTTP writers are, in audit events (any bearer token maps to this user). */
  user: AuditUser;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function replaceContents(target: KubeObject, source: Record<string, unknown>): void {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, source);
}

function ctxFor(deps: WriteDeps, req: IncomingMessage, verb: Verb, subresource?: string): MutationContext {
  return { user: deps.user, userAgent: String(req.headers['user-agent'] ?? 'unknown'), verb, subresource };
}

/** Applies a PATCH body of the given content type to a copy of `obj`. */
function patched(obj: KubeObject, body: string, contentType: string): KubeObject {
  if (contentType.startsWith('application/json-patch+json')) {
    let ops: JsonPatchOp[];
    try {
      ops = JSON.parse(body) as JsonPatchOp[];
    } catch {
      throw apiError('BadRequest', 'the JSON patch is not valid JSON');
    }
    if (!Array.isArray(ops) || ops.some((o) => !['add', 'remove', 'replace'].includes(o?.op))) {
      throw apiError('Invalid', 'only add, remove and replace JSON patch operations are supported');
    }
    try {
      return applyPatch(obj, ops);
    } catch (e) {
      throw apiError('Invalid', `the JSON patch cannot be applied: ${(e as Error).message}`);
    }
  }
  if (contentType.startsWith('application/apply-patch+yaml')) {
    return mergePatch(obj, parseYaml(body)) as KubeObject;
  }
  if (contentType.startsWith('application/merge-patch+json') || contentType.startsWith('application/strategic-merge-patch+json')) {
    return mergePatch(obj, parseObject(body)) as KubeObject;
  }
  throw apiError('BadRequest', `the body of the request was in an unknown format: ${contentType}`);
}

/** Keeps only what a write to `subresource` may change. */
function scoped(current: KubeObject, next: KubeObject, subresource: string | undefined): KubeObject {
  if (subresource === 'status') return { ...current, status: next.status };
  if (subresource === undefined && current.status !== undefined) return { ...next, status: current.status };
  return next;
}

function checkPrecondition(current: KubeObject, next: KubeObject, t: ApiTarget): void {
  const want = (next.metadata as Record<string, unknown> | undefined)?.resourceVersion;
  const have = (current.metadata as Record<string, unknown>).resourceVersion;
  if (want !== undefined && want !== have) {
    throw apiError('Conflict', `Operation cannot be fulfilled on ${t.type.resource} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: t.name, kind: t.type.resource });
  }
}

/** POST, PUT, PATCH and DELETE on resource paths. */
export async function handleWrite(deps: WriteDeps, t: ApiTarget, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  const body = method === 'DELETE' && !req.headers['content-length'] && !req.headers['transfer-encoding'] ? '' : await readBody(req);
  const ns = t.namespace ?? '';
  if (method === 'POST' && !t.name) return create(deps, t, req, res, body);
  if (method === 'POST' && t.subresource === 'eviction' && t.type.gk === 'Pod') {
    const ev = body ? parseObject(body) : {};
    const grace = (ev.deleteOptions as { gracePeriodSeconds?: number } | undefined)?.gracePeriodSeconds;
    deps.cluster.delete('Pod', ns, t.name!, ctxFor(deps, req, 'create', 'eviction'), { gracePeriodSeconds: grace });
    return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }
  if (!t.name || (t.subresource && !['status', 'scale'].includes(t.subresource))) {
    return sendStatus(res, failureStatus('MethodNotAllowed', `the server does not allow this method on the requested resource`));
  }
  if (method === 'DELETE') {
    const opts = body ? parseObject(body) : {};
    const graceText = q.get('gracePeriodSeconds');
    const grace = graceText !== null ? Number(graceText) : (opts.gracePeriodSeconds as number | undefined);
    const obj = deps.cluster.delete(t.type.gk, ns, t.name, ctxFor(deps, req, 'delete'), { gracePeriodSeconds: grace });
    return sendJson(res, 200, obj);
  }
  if (method !== 'PUT' && method !== 'PATCH') {
    return sendStatus(res, failureStatus('MethodNotAllowed', `the server does not allow this method on the requested resource`));
  }
  const verb: Verb = method === 'PUT' ? 'update' : 'patch';
  deps.cluster.update(t.type.gk, ns, t.name, (obj) => {
    if (t.subresource === 'scale') {
      const scale = method === 'PUT' ? parseObject(body) : patched(scaleOf(obj), body, String(req.headers['content-type'] ?? ''));
      const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number') throw apiError('Invalid', 'spec.replicas: Required value');
      (obj.spec as Record<string, unknown>).replicas = replicas;
      return;
    }
    const next = method === 'PUT' ? (parseObject(body) as KubeObject) : patched(obj, body, String(req.headers['content-type'] ?? ''));
    if (method === 'PUT') checkPrecondition(obj, next, t);
    replaceContents(obj, scoped(obj, next, t.subresource));
  }, ctxFor(deps, req, verb, t.subresource));
  const result = deps.cluster.get(t.type.gk, ns, t.name);
  if (t.subresource === 'scale' && result) return sendJson(res, 200, scaleOf(result));
  return sendJsonText(res, 200, JSON.stringify(result));
}

function create(deps: WriteDeps, t: ApiTarget, req: IncomingMessage, res: ServerResponse, body: string): void {
  const obj = parseObject(body) as KubeObject;
  if ((obj.kind && obj.kind !== t.type.kind) || (obj.apiVersion && obj.apiVersion !== t.type.apiVersion)) {
    throw apiError('BadRequest', `the API version in the data (${obj.apiVersion}) does not match the expected API version (${t.type.apiVersion})`);
  }
  obj.kind = t.type.kind;
  obj.apiVersion = t.type.apiVersion;
  const meta = (isRecord(obj.metadata) ? obj.metadata : (obj.metadata = {})) as Record<string, unknown>;
  if (t.type.namespaced) {
    if (meta.namespace && meta.namespace !== t.namespace) {
      throw apiError('BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = t.namespace ?? 'default';
  }
  const created = deps.cluster.create(obj, ctxFor(deps, req, 'create'));
  sendJson(res, 201, created);
}
